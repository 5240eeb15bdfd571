"""The full history of a database, out and back in (``export --history``,
``import`` of such a file).

A plain export (:mod:`leadcycle.io`) writes each lead as one row: what the
lead *is* now. A history writes what the database *knows*: every lead with
every event of its log — voided entries and their voids included — and
what else decides the answers the database gives: the enabled industries,
the settings, the agents, the reception log (away, back, left: who could
take a walk-in) and the agents' recorded relatives. Sessions and passwords
are never written.

Two shapes, the same content:

* **JSON lines** (``.jsonl``): a first line naming the format, its version,
  whether phones are masked and how many rows each table has (a file cut
  short is refused), then one object per row, ``{"table": "events", …}``;
* **a workbook** (``.xlsx``): a ``history`` sheet with the same facts, then
  one sheet per table, columns named as the database names them (in every
  language, so the file reads back the same). Times are date cells; text
  that looks like a formula stays text.

Importing a history (:func:`import_history`) is a migration of records,
all or nothing in one transaction:

* a lead of the file is the database's lead of that id when it is the same
  registration (industry, time, the registration's content); otherwise it
  is added, keeping its id when that id is free;
* an event is on the log already when the lead has one with the same
  content (kind, time, author, data, note — the k-th of identical entries
  matches the k-th); events and leads that entries point at (a void's
  target, a dispute's deal, a referral) are mapped to their ids here;
* what is new is appended in the order of the source log — one lead's
  entries in time order, whatever the order of the rows in the file — with
  its own time (``at``), also on an office database: the import is the one
  place history comes in with its own dates. ``recorded_at`` is the time of
  the import, as for every entry; the hash chains go on unbroken;
* an entry older than the last one of a lead already on the log is refused
  (the log cannot be back-filled), as is a phone registered here on another
  lead, a masked file, or one whose rows do not add up — one line, nothing
  written.

So importing a history into the database it came from adds nothing, and
into a new database gives the same ``list`` and ``show`` at the same clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections import defaultdict
from typing import Any, Iterator

import attrs

from .errors import LeadcycleError
from .io import ISO_SECONDS, write_sheet
from .model import Agent, Event, Lead
from .privacy import mask_phone
from .validate import refuse_json_constant
from .i18n import M_, N_

FORMAT = "leadcycle-history"
VERSION = 1
#: the tables of a history, in the order they are written and applied
#: (what an entry names comes before it), with their columns
COLUMNS: dict[str, tuple[str, ...]] = {
    "industries": ("name", "enabled_at"),
    "settings": ("key", "value", "updated_at"),
    "agents": ("name", "team", "role", "created_at"),
    "receptions": ("id", "at", "kind", "agent", "data"),
    "relations": ("id", "agent", "name", "phone", "relation", "recorded_at"),
    "leads": ("id", "industry", "name", "gender", "phone", "need", "created_at", "attributes"),
    "events": ("id", "lead_id", "kind", "at", "agent", "data", "note", "recorded_at"),
}
#: columns that hold JSON (an object in .jsonl, its text in .xlsx)
JSON_COLUMNS = frozenset({("settings", "value"), ("receptions", "data"), ("leads", "attributes"),
                          ("events", "data")})
#: keys of an event's data that name another event, or other leads, by id
EVENT_REFS = ("event", "deal")
LEAD_REFS = ("referred_by", "referral_chain", "different_person_from")
#: what a history file is called by its extension
EXTENSIONS = (".jsonl", ".xlsx")


# ------------------------------------------------------------------ export


#: where each table's rows come from, and in what order
_SOURCES = {
    "industries": ("industries", "enabled_at, name"),
    "settings": ("settings", "key"),
    "agents": ("agents", "created_at, name"),
    "receptions": ("receptions", "id"),
    "relations": ("agent_relations", "id"),
    "leads": ("leads", "id"),
    "events": ("events", "id"),
}


def table_rows(book, table: str, unmask: bool) -> Iterator[dict]:
    """The rows of one table of a history, streamed. Phones are masked
    unless ``unmask`` (the leads', the relations', and every ``phone`` an
    event's data holds)."""
    source, order = _SOURCES[table]
    cols = COLUMNS[table]
    for values in book.store.conn.execute(f"SELECT {', '.join(cols)} FROM {source} ORDER BY {order}"):
        row = dict(zip(cols, values))
        for c in cols:
            if (table, c) == ("leads", "attributes"):  # stored as a list of values at their keys' places
                row[c] = book.store.attribute_places.decode(row[c])
            elif (table, c) in JSON_COLUMNS:
                row[c] = json.loads(row[c]) if table == "settings" else json.loads(row[c] or "{}")
        if not unmask:
            if "phone" in row:
                row["phone"] = mask_phone(row["phone"])
            if table == "events":
                row["data"] = _mask_phones(row["data"])
        yield row


def history_rows(book, unmask: bool) -> Iterator[tuple[str, dict]]:
    """``(table, row)`` for every row of a history, table by table in
    :data:`COLUMNS` order (see :func:`table_rows`)."""
    for table in COLUMNS:
        for row in table_rows(book, table, unmask):
            yield table, row


def _mask_phones(value: Any) -> Any:
    """``value`` with every ``phone`` key's text masked, however deep."""
    if isinstance(value, dict):
        return {k: mask_phone(v) if k == "phone" and isinstance(v, str) else _mask_phones(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_phones(v) for v in value]
    return value


def _counts(book) -> dict[str, int]:
    conn = book.store.conn
    return {t: conn.execute(f"SELECT count(*) FROM {source}").fetchone()[0] for t, (source, _) in _SOURCES.items()}


def header(book, unmask: bool) -> dict:
    """The first line (or the ``history`` sheet): what the file is."""
    return {"table": "history", "format": FORMAT, "version": VERSION, "masked": not unmask,
            "exported_at": book.now.isoformat(timespec="seconds"), "rows": _counts(book)}


def write_history(book, fmt: str, path: str, *, unmask: bool = False) -> dict[str, int]:
    """Write the history of ``book`` to ``path`` (``jsonl`` or ``xlsx``),
    read in one transaction so that the rows add up. Returns the rows
    written per table."""
    if fmt not in ("jsonl", "xlsx"):
        raise LeadcycleError(N_("a history is written as .jsonl or .xlsx, not {fmt}; "
                                "give -o history.jsonl or -o history.xlsx"), fmt=fmt)
    with _snapshot(book.store.conn):
        head = header(book, unmask)
        if fmt == "jsonl":
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(json.dumps(head, ensure_ascii=False) + "\n")
                for table, row in history_rows(book, unmask):
                    f.write(json.dumps({"table": table, **row}, ensure_ascii=False, default=str) + "\n")
        else:
            _write_workbook(book, path, head, unmask)
    return head["rows"]


@contextlib.contextmanager
def _snapshot(conn):
    """One read transaction: every table as of one moment (WAL), while
    agents keep writing; the write lock is never taken."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def _write_workbook(book, path: str, head: dict, unmask: bool) -> None:
    """A ``history`` sheet with the head's facts, then a sheet per table
    (empty ones too), laid out by :func:`leadcycle.io.write_sheet`."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    facts = [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)
             for k, v in head.items() if k != "table"]
    write_sheet(wb, "history", ["key", "value"], facts)
    for table, cols in COLUMNS.items():
        write_sheet(wb, table, list(cols), ([_xlsx_value(table, c, row[c]) for c in cols]
                                            for row in table_rows(book, table, unmask)), stamps=True)
    wb.save(path)


def _xlsx_value(table: str, column: str, value: Any) -> Any:
    if (table, column) in JSON_COLUMNS:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        if len(text) > 32_767:  # Excel's cell limit
            raise LeadcycleError(N_("a {table} row holds more than an Excel cell can (32,767 characters); "
                                    "write the history as .jsonl instead"), table=table)
        return text
    return value


# ------------------------------------------------------------------ reading


def is_history(path: str) -> bool:
    """Whether ``path`` is a history file (a ``.jsonl``, or a workbook with
    a ``history`` sheet), to be read by :func:`import_history`."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".jsonl":
        return True
    if ext == ".xlsx" and os.path.isfile(path):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True)
        except Exception:  # not a workbook: the register import says so in its own words
            return False
        try:
            return "history" in wb.sheetnames
        finally:
            wb.close()
    return False


@attrs.define
class History:
    head: dict
    tables: dict[str, list[dict]]


def read_history(path: str) -> History:
    """The file's rows by table, checked: the format and version, masked
    phones, the row counts, each row's columns and types. One line
    naming the row for anything wrong."""
    if not os.path.isfile(path):
        raise LeadcycleError(N_("no file {path}; give the path of a history written by export --history"),
                             path=path)
    ext = os.path.splitext(path)[1].lower()
    head, raw = _read_jsonl(path) if ext == ".jsonl" else _read_xlsx(path)
    if head.get("format") != FORMAT:
        raise LeadcycleError(N_("{path} is not a leadcycle history (its first row does not say "
                                "format {format}); write one with: leadcycle export --history -o FILE.jsonl"),
                             path=path, format=FORMAT)
    if head.get("version") != VERSION:
        raise LeadcycleError(N_("{path} is a history of version {version}, this leadcycle "
                                "reads version {version2}; upgrade leadcycle"),
                             path=path, version=head.get('version'), version2=VERSION)
    if head.get("masked") is not False:
        raise LeadcycleError(N_("{path} was exported with masked phones (138****1234), so it cannot be "
                                "imported back faithfully; a manager exports it with: "
                                "leadcycle export --history --unmask -o FILE"), path=path)
    tables: dict[str, list[dict]] = {t: [] for t in COLUMNS}
    for where, table, row in raw:
        if table not in COLUMNS:
            raise LeadcycleError(N_("{path} {where}: unknown table {table!r}; a history has "
                                    "{columns}"),
                                 path=path, where=where, table=table, columns=', '.join(COLUMNS))
        tables[table].append(_check_row(f"{path} {where}", table, row))
    expected = head.get("rows") or {}
    for table, rows in tables.items():
        if expected.get(table, 0) != len(rows):
            raise LeadcycleError(N_("{path} has {n_rows} {table} rows, but its first row says "
                                    "{expected}: the file was cut short or edited; "
                                    "export it again"),
                                 path=path, n_rows=len(rows), table=table, expected=expected.get(table, 0))
    return History(head, tables)


def _read_jsonl(path: str) -> tuple[dict, list]:
    rows = []
    head = None
    with open(path, encoding="utf-8-sig") as f:
        lines = enumerate(f, start=1)
        while True:
            try:
                n, line = next(lines)
            except StopIteration:
                break
            except UnicodeDecodeError:  # GBK, or not text at all (a database renamed .jsonl)
                raise LeadcycleError(N_("{path} is not UTF-8 text: a history export is JSON lines in UTF-8; "
                                        "nothing was imported"), path=path) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=refuse_json_constant)
            except (ValueError, RecursionError) as e:  # not JSON; NaN or Infinity in it; nested past all sense
                raise LeadcycleError(N_("{path} line {n} is not JSON ({msg}); nothing was imported"),
                                     path=path, n=n, msg=getattr(e, "msg", str(e))) from None
            if not isinstance(obj, dict):
                raise LeadcycleError(N_("{path} line {n} is not a JSON object; nothing was imported"),
                                     path=path, n=n)
            if head is None:
                head = obj
                continue
            rows.append((f"line {n}", obj.pop("table", None), obj))
    if head is None:
        raise LeadcycleError(N_("{path} is empty; nothing was imported"), path=path)
    return head, rows


def _read_xlsx(path: str) -> tuple[dict, list]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception as e:
        raise LeadcycleError(N_("{path} is not a readable .xlsx file ({name})"),
                             path=path, name=type(e).__name__) from None
    try:
        head: dict = {}
        for key, value, *_ in wb["history"].iter_rows(min_row=2, values_only=True):
            if key is None:
                continue
            head[key] = json.loads(value) if key == "rows" and isinstance(value, str) else value
        rows = []
        for table in COLUMNS:
            if table not in wb.sheetnames:
                continue
            it = wb[table].iter_rows(values_only=True)
            names = [str(h) for h in next(it, ()) if h is not None]
            for n, cells in enumerate(it, start=2):
                if cells is None or all(c is None for c in cells):
                    continue
                row = {}
                for name, value in zip(names, cells):
                    if isinstance(value, dt.datetime):  # a time written as a date cell
                        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
                        value = value.isoformat(timespec="seconds")
                    if (table, name) in JSON_COLUMNS and isinstance(value, str):
                        try:
                            value = json.loads(value)
                        except json.JSONDecodeError as e:
                            raise LeadcycleError(N_("{path} sheet {table} row {n}: {name} is not JSON "
                                                    "({msg}); nothing was imported"),
                                                 path=path, table=table, n=n, name=name, msg=e.msg) from None
                    row[name] = value
                rows.append((f"sheet {table} row {n}", table, row))
        if head.get("masked") in (0, 1):  # a bool cell may read back as a number
            head["masked"] = bool(head["masked"])
        return head, rows
    finally:
        wb.close()


def _check_row(where: str, table: str, row: dict) -> dict:
    """The row with exactly its table's columns, each of the type it needs."""
    out = {c: row.get(c) for c in COLUMNS[table]}

    def bad(column: str, what: str) -> LeadcycleError:
        return LeadcycleError(N_("{where}: {column} {out!r} is not {what}; nothing was imported"),
                              where=where, column=column, out=out.get(column), what=what)

    for c, v in out.items():
        if c in ("id", "lead_id"):
            if isinstance(v, float) and v.is_integer():
                out[c] = v = int(v)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 2**63:
                raise bad(c, "a positive whole number")
        elif (table, c) in JSON_COLUMNS:
            if table != "settings" and not isinstance(v, dict):
                raise bad(c, "a JSON object")
        elif c in ("at", "created_at", "enabled_at") or (c == "recorded_at" and table == "relations"):
            if v is None and table == "agents":  # an agent added by an old leadcycle has no start
                continue
            if not isinstance(v, str) or not ISO_SECONDS.fullmatch(v):
                raise bad(c, "a time such as 2026-03-05T10:00:00")
        elif v is not None and not isinstance(v, str):
            if isinstance(v, (int, float)) and not isinstance(v, bool) and c not in ("key", "name", "kind"):
                out[c] = str(v)  # a cell Excel took for a number (a phone, a team "1")
            else:
                raise bad(c, "text")
    for c in {"industries": ("name",), "settings": ("key",), "agents": ("name",),
              "receptions": ("kind",), "relations": ("agent", "phone"), "leads": ("industry", "name", "phone"),
              "events": ("kind",)}[table]:
        if not out[c]:
            raise LeadcycleError(N_("{where}: {c} is missing; nothing was imported"), where=where, c=c)
    return out


# ------------------------------------------------------------------ import


@attrs.define
class HistoryResult:
    path: str
    #: per table: rows added, rows already in the database
    added: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(COLUMNS, 0))
    present: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(COLUMNS, 0))

    def to_json(self) -> dict:
        return {"file": self.path, "history": True,
                "tables": {t: {"added": self.added[t], "already_there": self.present[t]} for t in COLUMNS}}


def _setting_text(value: Any) -> Any:
    """A setting's value in a refusal: the default when it has none stored."""
    return M_("(default)") if value is None else value


def _key(*parts: Any) -> str:
    return json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def import_history(book, path: str) -> HistoryResult:
    """Import a history file into ``book`` (see the module docstring): all
    or nothing, in one transaction. On an office database an admin does it
    (it adds agents and changes settings)."""
    history = read_history(path)
    book.require("admin", M_("importing a full history"))
    book.store.migrate(book.registry.migrations)
    result = HistoryResult(path)
    with book.store.transaction():
        _Apply(book, history, result).run()
    book._context = None  # settings and industries may have changed
    book._tz = None
    return result


class _Apply:
    """One history applied inside the caller's transaction."""

    def __init__(self, book, history: History, result: HistoryResult):
        self.book = book
        self.store = book.store
        self.conn = book.store.conn
        self.tables = history.tables
        self.result = result
        self.now = book.now

    def run(self) -> None:
        self.industries()
        self.settings()
        self.agents()
        self.receptions()
        self.relations()
        touched = self.leads_and_events()
        self.project(touched)

    def _count(self, table: str, added: bool, n: int = 1) -> None:
        (self.result.added if added else self.result.present)[table] += n

    def _after_clock(self, what: str, at: str) -> None:
        if dt.datetime.fromisoformat(at) > self.now:
            raise LeadcycleError(N_("{what} is dated {at}, after the clock ({now}); "
                                    "import it at a later --now (or on the machine's clock)"),
                                 what=what, at=at, now=self.now.isoformat())

    # -------------------------------------------------------- the tables

    def industries(self) -> None:
        known = self.book.registry.industries
        for row in self.tables["industries"]:
            if row["name"] not in known:
                raise LeadcycleError(N_("the history's industry {name!r} is not installed here "
                                        "(installed: {known}); install its plugin first"),
                                     name=row['name'], known=', '.join(sorted(known)))
            self._count("industries", self.store.enable_industry(row["name"], dt.datetime.fromisoformat(
                row["enabled_at"])))
        self.book._context = None

    def settings(self) -> None:
        """The settings become the history's: a key it sets is set (on the
        settings log). A database with settings of its own that differ is
        refused, naming the first: the import would change its rules with
        no word (a key the history leaves at its default would be reset)."""
        from .settings import Settings

        declared = self.book.registry.settings
        # each value is checked against the history's other values (a bound
        # between two settings holds in the file, not half-way through)
        theirs = Settings(declared, {row["key"]: row["value"] for row in self.tables["settings"]})
        wanted = {}
        for row in self.tables["settings"]:
            if row["key"] not in declared:
                raise LeadcycleError(N_("the history's setting {key} is not one this leadcycle and its "
                                        "plugins know; install the plugin that declares it"), key=row['key'])
            try:
                wanted[row["key"]] = theirs.coerce(row["key"], row["value"])
            except LeadcycleError as e:
                raise LeadcycleError(N_("the history's setting {key}: {e}; nothing was imported"),
                                     key=row['key'], e=e) from None
        stored = self.store.stored_settings()
        if stored and stored != wanted:
            key = min(k for k in stored.keys() | wanted.keys() if stored.get(k) != wanted.get(k))
            raise LeadcycleError(N_("setting {key} is {here} in this database and {there} in the history; "
                                    "make them the same first (leadcycle settings set, or settings reset for "
                                    "the default), nothing was imported"), key=key,
                                 here=_setting_text(stored.get(key)), there=_setting_text(wanted.get(key)))
        for key, value in wanted.items():
            changed = key not in stored
            if changed:
                self.store.set_setting(key, value, self.now)
            self._count("settings", changed)
        self.book._context = None

    def agents(self) -> None:
        for row in self.tables["agents"]:
            if self.store.get_agent(row["name"]) is not None:
                self._count("agents", False)
                continue
            role = row["role"] if row["role"] in ("agent", "manager", "admin") else "agent"
            self.store.add_agent(Agent(row["name"], team=row["team"], is_manager=role != "agent",
                                       created_at=row["created_at"], role=role))
            self._count("agents", True)
        self.known_agents = {a.name for a in self.store.list_agents()}

    def _agent(self, where: str, name: str | None) -> None:
        if name is not None and name not in self.known_agents:
            raise LeadcycleError(N_("{where} names agent {name!r}, who is neither in the history's agents "
                                    "nor in this database; nothing was imported"), where=where, name=name)

    def _append_missing(self, table: str, sql_table: str, rows: list[dict], key) -> list[dict]:
        """The rows of ``table`` not in ``sql_table`` yet, by content
        (the k-th of identical rows matches the k-th)."""
        cols = [c for c in COLUMNS[table] if c != "id"]
        have: dict[str, int] = defaultdict(int)
        cur = self.conn.execute(f"SELECT {', '.join(cols)} FROM {sql_table} ORDER BY id")
        for values in cur:
            row = dict(zip(cols, values))
            if "data" in row:
                row["data"] = json.loads(row["data"] or "{}")
            have[key(row)] += 1
        missing = []
        for row in sorted(rows, key=lambda r: r["id"]):
            k = key(row)
            if have[k]:
                have[k] -= 1
                self._count(table, False)
            else:
                missing.append(row)
                self._count(table, True)
        return missing

    def receptions(self) -> None:
        rows = self.tables["receptions"]
        for r in rows:
            self._agent(f"reception #{r['id']}", r["agent"])
            self._after_clock(f"reception #{r['id']}", r["at"])
        missing = self._append_missing("receptions", "receptions", rows,
                                       lambda r: _key(r["at"], r["kind"], r["agent"], r["data"]))
        for r in missing:
            self.store.add_reception(dt.datetime.fromisoformat(r["at"]), r["kind"], r["agent"], r["data"],
                                        in_order=False)
        self._fold_agents({r["agent"] for r in missing if r["kind"] in ("away", "back", "left")})

    def _fold_agents(self, names: set) -> None:
        """An agent's ``active``, ``away`` and ``left_at`` are what the
        reception log's away/back/left rows say (as ``verify`` checks)."""
        status: dict[str, tuple] = {}
        for r in self.store.receptions(kinds=("away", "back", "left")):
            active, away, left_at = status.get(r["agent"], (1, None, None))
            if r["kind"] == "away":
                away = r["data"].get("reason")
            elif r["kind"] == "back":
                away = None
            else:
                active, away, left_at = 0, None, r["at"].isoformat(timespec="seconds")
            status[r["agent"]] = (active, away, left_at)
        for name in sorted(n for n in names if n):
            active, away, left_at = status.get(name, (1, None, None))
            self.store.update_agent(name, active=active, away=away, left_at=left_at)

    def relations(self) -> None:
        from .validate import normalize_phone

        rows = self.tables["relations"]
        for r in rows:
            self._agent(f"relation #{r['id']}", r["agent"])
            normalize_phone(r["phone"])
        missing = self._append_missing("relations", "agent_relations", rows,
                                       lambda r: _key(r["agent"], r["name"], r["phone"], r["relation"],
                                                      r["recorded_at"]))
        for r in missing:
            self.store.append_chained("agent_relations", [(r["agent"], r["name"], r["phone"], r["relation"],
                                                           r["recorded_at"])])

    # ---------------------------------------------------- leads and events

    def leads_and_events(self) -> list[int]:
        """Apply the leads and their logs in the order of the source log
        (event ids), so references resolve and, into a new database, every
        id stays what it was. Returns the ids of the leads that changed."""
        from .validate import normalize_phone

        leads = {}
        for row in self.tables["leads"]:
            if row["id"] in leads:
                raise LeadcycleError(N_("the history has lead #{id} twice; nothing was imported"),
                                     id=row['id'])
            if row["industry"] not in self.book.registry.industries:
                raise LeadcycleError(N_("lead #{id} is a {industry} lead, an industry not "
                                        "installed here; nothing was imported"),
                                     id=row['id'], industry=row['industry'])
            try:
                normalize_phone(row["phone"])
            except LeadcycleError:
                raise LeadcycleError(N_("lead #{id}'s phone {phone} is not a phone "
                                        "number (was the file exported with masked phones?); nothing was "
                                        "imported"), id=row['id'], phone=mask_phone(row['phone'])) from None
            self._after_clock(f"lead #{row['id']}", row["created_at"])
            leads[row["id"]] = row
        by_lead: dict[int, list[dict]] = defaultdict(list)
        seen_ids = set()
        for e in self.tables["events"]:
            if e["id"] in seen_ids:
                raise LeadcycleError(N_("the history has event #{id} twice; nothing was imported"), id=e['id'])
            seen_ids.add(e["id"])
            if e["lead_id"] not in leads:
                raise LeadcycleError(N_("event #{id} is on lead #{lead_id}, which the history does "
                                        "not have; nothing was imported"), id=e['id'], lead_id=e['lead_id'])
            self._agent(f"event #{e['id']}", e["agent"])
            self._after_clock(f"event #{e['id']}", e["at"])
            by_lead[e["lead_id"]].append(e)
        for lead_id, events in by_lead.items():
            events.sort(key=lambda e: e["id"])
            if events[0]["kind"] != "register":
                raise LeadcycleError(N_("lead #{lead_id}'s first entry in the history is {kind} "
                                        "(event #{id}), not its registration; nothing was imported"),
                                     lead_id=lead_id, kind=events[0]['kind'], id=events[0]['id'])
            for a, b in zip(events, events[1:]):
                if b["at"] < a["at"]:
                    raise LeadcycleError(N_("lead #{lead_id}'s event #{id} ({at}) is earlier than "
                                            "event #{id2} ({at2}) before it; the file was edited — "
                                            "export it again"),
                                         lead_id=lead_id, id=b['id'], at=b['at'], id2=a['id'], at2=a['at'])
        missing = sorted(set(leads) - set(by_lead))
        if missing:
            raise LeadcycleError(N_("lead #{missing} has no registration in the history; nothing was imported"),
                                 missing=missing[0])

        self.lead_map: dict[int, int] = {}
        self.event_map: dict[int, int] = {}
        self.next_lead = max([self.store.next_lead_id() - 1, *leads]) + 1
        head = self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        next_event = head + 1
        log: dict[int, _Log] = {}  # lead id here → its log as read here
        new_leads: list[Lead] = []
        new_events: list[Event] = []
        touched: set[int] = set()
        for e in sorted(self.tables["events"], key=lambda e: e["id"]):
            if e["kind"] == "register" and e["lead_id"] not in self.lead_map:
                lead = self.lead(leads[e["lead_id"]], e)
                if lead is not None:
                    new_leads.append(lead)
                    log[lead.id] = _Log(None, {})
            target = self.lead_map[e["lead_id"]]
            if target not in log:
                log[target] = _Log.read(self.store, target)
            data = self.mapped(e)
            key = _key(e["kind"], e["at"], e["agent"], data, e["note"])
            found = log[target].take(key)
            if found is not None:
                self.event_map[e["id"]] = found
                self._count("events", False)
                continue
            if log[target].last is not None and e["at"] < log[target].last:
                raise LeadcycleError(
                    N_("event #{id} of lead #{lead_id} ({kind}, {at}) is not on lead "
                       "#{target}'s log here, and is earlier than its last entry ({last}); the log "
                       "cannot be back-filled — import a history into the database it came from or into a "
                       "new one; nothing was imported"),
                    id=e['id'], lead_id=e['lead_id'], kind=e['kind'], at=e['at'], target=target, last=log[target].last)
            self.event_map[e["id"]] = next_event
            new_events.append(Event(next_event, target, e["kind"], dt.datetime.fromisoformat(e["at"]),
                                    e["agent"], data, e["note"]))
            log[target].last = e["at"]
            next_event += 1
            touched.add(target)
            self._count("events", True)
        self.store.insert_leads_bulk(new_leads)
        written = self.store.append_events_bulk(new_events)
        assert written == [e.id for e in new_events], "the event ids were taken while the lock was held"
        return sorted(touched)

    def lead(self, row: dict, register: dict) -> Lead | None:
        """Map the file's lead to one here: the same registration under the
        same id, else a new lead (returned, to be inserted) under its own id
        when free, else the next free one."""
        here = self.conn.execute("SELECT industry, created_at FROM leads WHERE id = ?", (row["id"],)).fetchone()
        if here is not None and here == (row["industry"], row["created_at"]):
            first = self.store.events_for(row["id"])[:1]
            if first and _event_key(first[0]) == _key("register", register["at"], register["agent"],
                                                      self.mapped(register), register["note"]):
                self.lead_map[row["id"]] = row["id"]
                self._count("leads", False)
                return None
        for other_id, name in self.conn.execute(
                "SELECT id, name FROM leads WHERE industry = ? AND phone = ?", (row["industry"], row["phone"])):
            raise LeadcycleError(N_("lead #{id} ({name}) of the history has the phone of lead "
                                    "#{other_id} ({name2}) here, a different registration; import a history into "
                                    "the database it came from or into a new one; nothing was imported"),
                                 id=row['id'], name=row['name'], other_id=other_id, name2=name)
        if here is None and row["id"] not in self.lead_map.values():
            new_id = row["id"]
        else:
            new_id = self.next_lead
            self.next_lead += 1
        self.lead_map[row["id"]] = new_id
        self._count("leads", True)
        return Lead(new_id, row["industry"], row["name"], row["gender"], row["phone"], row["need"],
                    dt.datetime.fromisoformat(row["created_at"]), row["attributes"])

    def mapped(self, e: dict) -> dict:
        """The event's data with the ids it names (events, leads) as they
        are here."""
        data = dict(e["data"])
        for k in EVENT_REFS:
            if isinstance(data.get(k), int) and data[k] in self.event_map:
                data[k] = self.event_map[data[k]]
        for k in LEAD_REFS:
            v = data.get(k)
            if isinstance(v, int):
                data[k] = self.lead_map.get(v, v)
            elif isinstance(v, list):
                data[k] = [self.lead_map.get(i, i) if isinstance(i, int) else i for i in v]
        return data

    def project(self, touched: list[int]) -> None:
        """Store the folded leads, their projections and credit."""
        from . import claims

        if not touched:
            return
        try:
            self.book._reproject(touched, explain=False)
            for lead_id in touched:
                claims.write_credit(self.book, lead_id, self.store.events_for(lead_id))
        except LeadcycleError:
            raise
        except Exception as e:  # data the rules cannot read: the file's fault, not a crash
            raise LeadcycleError(N_("the history's entries cannot be evaluated ({name}: {e}); "
                                    "export it again from leadcycle; nothing was imported"),
                                 name=type(e).__name__, e=e) from None


def _event_key(e: Event) -> str:
    return _key(e.kind, e.at.isoformat(timespec="seconds"), e.agent, e.data, e.note)


@attrs.define
class _Log:
    """A lead's log as read here: its entries' content keys (to match the
    file's against) and its last time."""

    last: str | None
    keys: dict[str, list[int]]

    @classmethod
    def read(cls, store, lead_id: int) -> "_Log":
        keys: dict[str, list[int]] = defaultdict(list)
        last = None
        for e in store.events_for(lead_id):
            keys[_event_key(e)].append(e.id)
            last = e.at.isoformat(timespec="seconds")
        return cls(last, keys)

    def take(self, key: str) -> int | None:
        ids = self.keys.get(key)
        return ids.pop(0) if ids else None


__all__ = ["COLUMNS", "FORMAT", "HistoryResult", "VERSION", "header", "history_rows", "import_history",
           "is_history", "read_history", "table_rows", "write_history"]
