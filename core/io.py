"""Import and export of lead registers (来访客户登记表, 意向客户信息汇总表).

Sales offices keep their registers in Excel. :func:`import_file` reads a
``.csv`` or ``.xlsx`` file whose headers are Chinese or English (``姓名``,
``性别``, ``电话``/``手机``, ``需求``, ``来访日期``, ``置业顾问`` … or the
names :func:`export_rows` writes), validates every row with the checks of
``lead add`` (:func:`leadcycle.api.validate_registration`), and imports the
good rows in batches:

* each batch is one transaction that writes the leads, their events, their
  projections and one ``import_rows`` entry per file row (file hash + row
  number). A run killed at any moment leaves whole batches only, and the
  next run of the same file skips the rows already committed — importing a
  file twice adds nothing;
* the visit date of a row is the registration time (midnight when the cell
  has no time of day); an import is the one place history comes in with its
  own dates, so a row dated before the last event of the lead it merges into
  is rejected rather than written out of order;
* duplicate phones merge by DOMAIN §1: the same phone under the same name is
  the same lead (the row becomes a return visit, plus a ``set`` event for
  attributes that changed; a row that repeats a visit already on the log is
  ``unchanged``); the same phone under another name with a family relation
  (``关系`` column) is recorded on that lead; otherwise it is another person
  and a new lead;
* bad rows are written to ``FILE.rejects.csv`` with their row number (as the
  spreadsheet shows it: the header is row 1) and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
from typing import Any, Callable, Iterable, Iterator

import attrs

from . import engine
from .api import LeadBook, validate_registration
from .errors import LeadcycleError
from .model import Event, Industry, Lead, _EXCEL_EPOCH, parse_date
from .privacy import mask_phone  # re-exported: leadcycle.io.mask_phone predates leadcycle.privacy

# ------------------------------------------------------------------ headers

#: the register's usual headers → what they hold. Industry attributes are
#: also recognised by their name and by their English or Chinese label.
HEADER_ALIASES: dict[str, str] = {}
for _target, _names in {
    "name": ("name", "姓名", "客户姓名", "客户名称", "名字", "客户"),
    "gender": ("gender", "sex", "性别"),
    "phone": ("phone", "mobile", "tel", "telephone", "电话", "手机", "手机号", "手机号码", "联系电话",
              "电话号码", "联系方式"),
    "need": ("need", "needs", "需求", "客户需求", "需求信息", "意向", "购房需求", "意向房型", "客户需求基本信息"),
    "registered": ("registered", "visit_date", "date", "来访日期", "来访时间", "到访日期", "登记日期",
                   "登记时间", "日期", "首次来访日期"),
    "agent": ("agent", "置业顾问", "接待顾问", "销售员", "顾问", "课程顾问", "接待人", "业务员"),
    "channel": ("channel", "来访方式", "来源方式", "接待方式"),
    "relation": ("relation", "关系", "与登记人关系"),
    "industry": ("industry", "行业"),
    "note": ("note", "备注", "沟通内容"),
    # written by export, derived by the rules: read back as nothing
    "-": ("lead_id", "id", "编号", "序号", "grade", "等级", "客户等级", "score", "得分", "stage", "阶段",
          "owner", "归属", "next_follow_up", "下次跟进"),
}.items():
    for _n in _names:
        HEADER_ALIASES[_n.lower()] = _target

CORE_TARGETS = ("name", "gender", "phone", "need", "registered", "agent", "channel", "relation",
                "industry", "note")

_CHANNELS = {"visit": "visit", "来访": "visit", "到访": "visit", "上门": "visit",
             "call": "call", "来电": "call", "电话": "call"}
_RELATIONS = {"spouse": "spouse", "配偶": "spouse", "夫妻": "spouse", "丈夫": "spouse", "妻子": "spouse",
              "parent": "parent", "父母": "parent", "父亲": "parent", "母亲": "parent",
              "child": "child", "子女": "child", "儿子": "child", "女儿": "child",
              "sibling": "sibling", "兄弟姐妹": "sibling", "兄弟": "sibling", "姐妹": "sibling",
              "partner": "partner", "伴侣": "partner", "合伙人": "partner"}

#: export columns and their Chinese headers
EXPORT_HEADERS = {
    "lead_id": "编号", "industry": "行业", "name": "姓名", "gender": "性别", "phone": "电话",
    "need": "需求", "registered": "来访日期", "agent": "置业顾问", "channel": "来访方式",
    "grade": "等级", "score": "得分", "stage": "阶段", "owner": "归属", "next_follow_up": "下次跟进",
}


_QUALIFIED = re.compile(r"^.*[（(]\s*([a-z][a-z0-9_]*)\s*[)）]$")


def resolve_columns(headers: list[str], industries: list[Industry],
                    mapping: dict[str, str]) -> list[str | None]:
    """The target of every column (``None``: ignored), or a one-line error
    for a column nobody knows or a basic with no column."""
    attrs_by_key: dict[str, set[str]] = {}
    attr_names: set[str] = set()
    for ind in industries:
        for f in ind.fields:
            attr_names.add(f.name)
            for key in (f.label.en, f.label.zh):
                attrs_by_key.setdefault(key.strip().lower(), set()).add(f.name)
    for name in attr_names:  # a field's own name wins over another field's label
        attrs_by_key[name.lower()] = {name}
    user = {k.strip().lower(): v.strip() for k, v in mapping.items()}
    used_keys: set[str] = set()
    out: list[str | None] = []
    unknown = []
    for h in headers:
        key = (h or "").strip().lower()
        if key in user:
            used_keys.add(key)
            target = user[key]
            if target in ("", "-"):
                out.append(None)
                continue
            if target not in CORE_TARGETS and target not in attr_names:
                known = ", ".join(CORE_TARGETS + tuple(sorted(attr_names)))
                raise LeadcycleError(f"--map {h}={target}: {target!r} is not a field; use one of: {known}, "
                                     "or - to skip the column")
            out.append(target)
        elif key in HEADER_ALIASES:
            target = HEADER_ALIASES[key]
            out.append(None if target == "-" else target)
        elif _QUALIFIED.match(key) and _QUALIFIED.match(key).group(1) in attr_names:
            out.append(_QUALIFIED.match(key).group(1))  # 区域认同（region_view）, as export writes it
        elif key in attrs_by_key:
            names = sorted(attrs_by_key[key])
            if len(names) > 1:
                raise LeadcycleError(f"column {h!r} could be any of {', '.join(names)}; "
                                     f"choose with --map '{h}={names[0]}'")
            out.append(names[0])
        elif not key:
            out.append(None)
        else:
            unknown.append(h)
            out.append(None)
    missing_maps = [k for k in user if k not in used_keys]
    if missing_maps:
        raise LeadcycleError(f"--map names a column the file does not have: {missing_maps[0]!r}; "
                             f"its columns: {', '.join(h for h in headers if h)}")
    if unknown:
        raise LeadcycleError(f"column {unknown[0]!r} is not known; map it with --map '{unknown[0]}=FIELD' "
                             f"(see: leadcycle fields) or skip it with --map '{unknown[0]}=-'")
    seen: dict[str, str] = {}
    for h, t in zip(headers, out):
        if t is not None:
            if t in seen:
                raise LeadcycleError(f"columns {seen[t]!r} and {h!r} both hold {t}; "
                                     f"skip one with --map '{h}=-'")
            seen[t] = h
    for basic in ("name", "gender", "phone", "need"):
        if basic not in seen:
            raise LeadcycleError(f"no column holds {basic} (one of the three basics); "
                                 f"name it with --map COLUMN={basic}")
    return out


# ------------------------------------------------------------------ reading


def _cell_text(value: Any) -> Any:
    """Spreadsheet cells as the validators take them: whole floats as
    integers (a phone typed as a number), everything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sniff_encoding(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < (1 << 20) else head[:cut]
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"  # Excel's "CSV" on a Chinese Windows


def read_table(path: str) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header row and an iterator of ``(row_number, cells)``; row
    numbers are those the spreadsheet shows (the header is row 1)."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:
            raise LeadcycleError(f"{path} is not a readable .xlsx file ({type(e).__name__}); "
                                 "save it again from Excel as .xlsx or .csv") from None
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            wb.close()
            raise LeadcycleError(f"{path} is empty; the first row must hold the column headers") from None
        headers = ["" if h is None else str(h).strip() for h in header]

        def gen_xlsx():
            try:
                for n, row in enumerate(rows, start=2):
                    if row is None or all(v is None or v == "" for v in row):
                        continue
                    yield n, [_cell_text(v) for v in row]
            finally:
                wb.close()

        return headers, gen_xlsx()
    if ext not in (".csv", ".txt", ".tsv"):
        raise LeadcycleError(f"{path}: only .csv and .xlsx files can be imported")
    encoding = _sniff_encoding(path)
    f = open(path, newline="", encoding=encoding)
    reader = csv.reader(f, delimiter="\t" if ext == ".tsv" else ",")
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise LeadcycleError(f"{path} is empty; the first row must hold the column headers") from None
    except (UnicodeDecodeError, csv.Error) as e:
        f.close()
        raise LeadcycleError(f"{path} cannot be read as CSV ({e}); save it as UTF-8 CSV") from None
    headers = [h.strip() for h in header]

    def gen_csv():
        try:
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                yield reader.line_num, row
        except (UnicodeDecodeError, csv.Error) as e:
            raise LeadcycleError(f"{path} line {reader.line_num} cannot be read ({e}); "
                                 "save the file as UTF-8 CSV") from None
        finally:
            f.close()

    return headers, gen_csv()


def file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def count_rows(path: str) -> int:
    """About how many data rows a file has (for a progress bar)."""
    if os.path.splitext(path)[1].lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            return max(0, (wb.worksheets[0].max_row or 1) - 1)
        finally:
            wb.close()
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return max(0, n - 1)


def parse_moment(raw: Any) -> dt.datetime:
    """A visit date or time in the forms Excel and offices write: a date
    cell, a serial number (``46086``, ``46086.5`` = noon), ``2026/3/5``,
    ``2026-03-05``, ``2026-03-05 14:30``, ``2026-03-05T14:30:00``. A date
    alone means midnight."""
    if isinstance(raw, dt.datetime):
        return raw.replace(tzinfo=None, microsecond=0)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        moment = dt.datetime.combine(_EXCEL_EPOCH, dt.time()) + dt.timedelta(days=float(raw))
        return moment.replace(microsecond=0)
    return _parse_text_moment(str(raw).strip())


_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


@functools.lru_cache(maxsize=4096)
def _parse_text_moment(text: str) -> dt.datetime:
    # a register has few distinct dates: parse each once
    m = _YMD.fullmatch(text)
    if m:
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise LeadcycleError(f"visit date {text!r} is not a date such as 2026-03-05 or 2026/3/5") from None
    if re.fullmatch(r"\d{5}\.\d+", text):
        return parse_moment(float(text))
    if re.search(r"\d[ T]\d{1,2}:\d{2}", text):
        try:
            value = dt.datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            try:
                day, _, clock = text.replace("T", " ").partition(" ")
                clock = clock.strip()
                fmt = "%H:%M:%S" if clock.count(":") == 2 else "%H:%M"
                value = dt.datetime.combine(parse_date(day), dt.datetime.strptime(clock, fmt).time())
            except ValueError:
                raise LeadcycleError(f"visit date {text!r} is not a date such as 2026-03-05") from None
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return value.replace(microsecond=0)
    try:
        return dt.datetime.combine(parse_date(text), dt.time())
    except ValueError:
        raise LeadcycleError(f"visit date {text!r} is not a date such as 2026-03-05 or 2026/3/5") from None


# ------------------------------------------------------------------ import


@attrs.define
class ImportResult:
    path: str
    imported: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # committed by an earlier run of the same file
    rejects_path: str | None = None
    agents_added: list[str] = attrs.field(factory=list)

    def to_json(self) -> dict:
        return {"file": self.path, "imported": self.imported, "merged": self.merged,
                "unchanged": self.unchanged, "rejected": self.rejected,
                "already_imported": self.skipped, "rejects_file": self.rejects_path,
                "agents_added": self.agents_added}


@attrs.define
class _Row:
    row_no: int
    cells: list
    industry: str
    name: str
    gender: str
    phone: str
    need: str
    attributes: dict
    at: dt.datetime
    agent: str | None
    channel: str
    relation: str | None
    note: str | None


class _Rejects:
    """``FILE.rejects.csv``: opened on the first reject only."""

    def __init__(self, path: str, headers: list[str]):
        self.path = path
        self.headers = headers
        self._f = None
        self._w = None

    def add(self, row_no: int, reason: str, cells: list) -> None:
        if self._w is None:
            self._f = open(self.path, "w", newline="", encoding="utf-8-sig")
            self._w = csv.writer(self._f)
            self._w.writerow(["row", "reason", *self.headers])
        self._w.writerow([row_no, reason, *["" if c is None else c for c in cells]])

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


def import_file(book: LeadBook, path: str, industry: str | None = None, *,
                mapping: dict[str, str] | None = None, agent: str | None = None,
                add_agents: bool = False, batch_size: int = 1000,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import ``path`` into ``book``; see the module docstring. Raises
    :class:`LeadcycleError` (having written nothing) when the file as a
    whole cannot be imported: unknown columns, a basic with no column, an
    unknown industry."""
    if not os.path.exists(path):
        raise LeadcycleError(f"no file {path}; give the path of a .csv or .xlsx register")
    book.store.migrate(book.registry.migrations)  # a database made before import existed
    enabled = book.store.enabled_industries()
    if industry is not None:
        industries = {industry: book.industry(industry)}
    else:
        industries = {n: book.registry.industries[n] for n in enabled if n in book.registry.industries}
    headers, rows = read_table(path)
    targets = resolve_columns(headers, list(industries.values()), mapping or {})
    if industry is None and "industry" not in targets:
        raise LeadcycleError("which industry? give --industry NAME (or an industry column)")
    default_agent = agent
    if default_agent is not None and not add_agents:
        book.agent(default_agent)
    digest = file_hash(path)
    result = ImportResult(path)
    rejects = _Rejects(path + ".rejects.csv", headers)
    if os.path.exists(rejects.path):
        os.remove(rejects.path)  # ours, from an earlier run: it is rewritten
    now = book.now
    agents: dict[str, str | None] = {}  # name → None (usable) or the reason it is not

    def check_agent(name: str) -> None:
        if name not in agents:
            try:
                book.agent(name)
                agents[name] = None
            except LeadcycleError as e:
                if add_agents and book.store.get_agent(name) is None:
                    agents[name] = "add"
                else:
                    agents[name] = str(e)
        problem = agents[name]
        if problem is not None and problem != "add":
            raise LeadcycleError(problem)

    def prepare(row_no: int, cells: list) -> _Row:
        values: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for target, value in zip(targets, cells):
            if target is None:
                continue
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue
            if target in CORE_TARGETS:
                values[target] = value
            else:
                attributes[target] = value
        ind_name = industry
        if "industry" in values:
            text = str(values["industry"])
            if industry is not None and text != industry:
                raise LeadcycleError(f"industry {text!r} is not {industry}, the one being imported")
            if industry is None:
                if text not in industries:
                    raise LeadcycleError(f"industry {text!r} is not enabled in this database")
                ind_name = text
        if ind_name is None:
            raise LeadcycleError("no industry: fill the industry column or give --industry")
        ind = industries[ind_name]
        channel = values.get("channel", "visit")
        channel = _CHANNELS.get(str(channel).strip().lower(), str(channel))
        relation = values.get("relation")
        if relation is not None:
            relation = _RELATIONS.get(str(relation).strip().lower(), str(relation))
        name, gender, phone, need, attrs_clean = validate_registration(
            ind, name=values.get("name"), gender=values.get("gender"), phone=values.get("phone"),
            need=values.get("need"), attributes=attributes, channel=channel, relation=relation)
        at = parse_moment(values["registered"]) if "registered" in values else now
        if at > now:
            raise LeadcycleError(f"visit date {at.isoformat(sep=' ')} is after the clock "
                                 f"({now.isoformat(sep=' ')}); check the date or give --now")
        who = values.get("agent", default_agent)
        who = None if who is None else str(who).strip()
        if who:
            check_agent(who)
        note = values.get("note")
        return _Row(row_no, cells, ind_name, name, gender, phone, need, attrs_clean, at, who or None,
                    channel, relation, None if note is None else str(note))

    try:
        batch: list[tuple[int, list]] = []
        for row_no, cells in rows:
            batch.append((row_no, cells))
            if len(batch) >= batch_size:
                _import_batch(book, batch, prepare, digest, os.path.basename(path), rejects, result, agents)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            _import_batch(book, batch, prepare, digest, os.path.basename(path), rejects, result, agents)
            if progress is not None:
                progress(len(batch))
    finally:
        rejects.close()
    if result.rejected:
        result.rejects_path = rejects.path
    return result


def _import_batch(book: LeadBook, batch, prepare, digest: str, source: str, rejects: _Rejects,
                  result: ImportResult, agents: dict) -> None:
    store = book.store
    now = book.now
    with store.transaction():
        done = store.imported_rows(digest, [n for n, _ in batch])
        todo = [(n, c) for n, c in batch if n not in done]
        result.skipped += len(batch) - len(todo)
        if not todo:
            return
        good: list[_Row] = []
        for n, cells in todo:
            try:
                good.append(prepare(n, cells))
            except LeadcycleError as e:
                result.rejected += 1
                rejects.add(n, str(e), cells)
        for name, status in agents.items():
            if status == "add":
                book.add_agent(name)
                agents[name] = None
                result.agents_added.append(name)
        # leads already in the database with these phones
        by_phone: dict[tuple[str, str], list[list]] = {}  # (industry, phone) → [[id, name], ...]
        for ind in {r.industry for r in good}:
            for lead_id, phone, name in store.leads_by_phones(ind, [r.phone for r in good if r.industry == ind]):
                by_phone.setdefault((ind, phone), []).append([lead_id, name])
        existing_ids = {lead_id for v in by_phone.values() for lead_id, _ in v}
        last_at = store.last_event_at(existing_ids) if existing_ids else {}
        contacts = store.visit_days(existing_ids) if existing_ids else set()
        old_leads: dict[int, Lead] = {}
        next_id = store.next_lead_id()
        new_leads: dict[int, tuple[Lead, list[Event]]] = {}
        events: list[Event] = []
        touched_old: set[int] = set()
        keys: list[tuple[int, int | None, str]] = []

        def current(lead_id: int) -> Lead:
            if lead_id in new_leads:
                lead, evs = new_leads[lead_id]
                return engine.fold_lead(lead, evs)
            if lead_id not in old_leads:
                old_leads[lead_id] = store.get_lead(lead_id)
            return old_leads[lead_id]

        def add(lead_id: int, event: Event) -> None:
            events.append(event)
            last_at[lead_id] = event.at
            if lead_id in new_leads:
                new_leads[lead_id][1].append(event)
            else:
                touched_old.add(lead_id)

        for r in good:
            same_phone = by_phone.get((r.industry, r.phone), [])
            same = [lead_id for lead_id, name in same_phone if name == r.name]
            target = same[0] if same else (same_phone[0][0] if same_phone and r.relation else None)
            if target is not None:
                last = last_at.get(target)
                if last is not None and r.at < last:
                    result.rejected += 1
                    rejects.add(r.row_no, f"dated {r.at.isoformat(sep=' ')}, before lead #{target}'s last event "
                                          f"({last.isoformat(sep=' ')}); the log cannot be back-filled — "
                                          "import rows in date order", r.cells)
                    continue
                if same:
                    lead = current(target)
                    changes = {k: v for k, v in r.attributes.items() if lead.attributes.get(k) != v}
                    if r.need != lead.need:
                        changes["need"] = r.need
                    if r.gender != lead.gender:
                        changes["gender"] = r.gender
                    stamp = r.at.isoformat(timespec="seconds")
                    if not changes and (target, stamp) in contacts:
                        result.unchanged += 1
                        keys.append((r.row_no, target, "unchanged"))
                        continue
                    if (target, stamp) not in contacts:
                        add(target, Event(None, target, r.channel, r.at, r.agent, {}, r.note))
                        contacts.add((target, stamp))
                    if changes:
                        add(target, Event(None, target, "set", r.at, r.agent, {"changes": changes},
                                          f"import {source} row {r.row_no}"))
                        if target in old_leads:
                            core = {k: v for k, v in changes.items() if k in ("need", "gender")}
                            old_leads[target] = attrs.evolve(
                                lead, attributes={**lead.attributes, **{k: v for k, v in changes.items()
                                                                       if k not in core}}, **core)
                else:
                    add(target, Event(None, target, "set", r.at, r.agent, {"changes": {}, "family_member": {
                        "name": r.name, "gender": r.gender, "relation": r.relation}},
                        note=f"{r.name} ({r.relation}) registered with the same phone"))
                result.merged += 1
                keys.append((r.row_no, target, "merged"))
                continue
            lead_id = next_id
            next_id += 1
            lead = Lead(lead_id, r.industry, r.name, r.gender, r.phone, r.need, r.at, r.attributes)
            register = Event(None, lead_id, "register", r.at, r.agent, {
                "name": r.name, "gender": r.gender, "phone": r.phone, "need": r.need,
                "attributes": r.attributes, "channel": r.channel,
                "source": {"file": source, "row": r.row_no}}, r.note)
            new_leads[lead_id] = (lead, [])
            add(lead_id, register)
            by_phone.setdefault((r.industry, r.phone), []).append([lead_id, r.name])
            contacts.add((lead_id, r.at.isoformat(timespec="seconds")))
            result.imported += 1
            keys.append((r.row_no, lead_id, "imported"))

        store.insert_leads_bulk([lead for lead, _ in new_leads.values()])
        store.append_events_bulk(events, now)
        if new_leads:
            projected = engine.project_batch(book.context, list(new_leads.values()), now, book._cache)
            for (old, _), (lead, _s) in zip(new_leads.values(), projected):
                if lead != old:
                    store.update_lead(lead)
            store.save_states(s for _, s in projected)
        if touched_old:
            book._reproject(sorted(touched_old))
        store.record_import_rows(digest, keys, now)


# ------------------------------------------------------------------ export


def export_columns(book: LeadBook, industry: str | None) -> list[str]:
    names = [industry] if industry else book.store.enabled_industries()
    attributes: list[str] = []
    for n in names:
        ind = book.registry.industries.get(n)
        for f in ind.fields if ind else ():
            if f.name not in attributes:
                attributes.append(f.name)
    return ["lead_id", "industry", "name", "gender", "phone", "need", "registered", "agent", "channel",
            *attributes, "grade", "score", "stage", "owner", "next_follow_up"]


def export_headers(book: LeadBook, columns: list[str], lang: str) -> list[str]:
    if lang != "zh":
        return list(columns)
    labels: dict[str, str] = {}
    users: dict[str, set[str]] = {}
    for ind in book.registry.industries.values():
        for f in ind.fields:
            labels.setdefault(f.name, f.label.zh)
            users.setdefault(f.label.zh, set()).add(f.name)
    out = []
    for c in columns:
        if c in EXPORT_HEADERS:
            out.append(EXPORT_HEADERS[c])
        elif c in labels and len(users[labels[c]]) > 1:
            out.append(f"{labels[c]}（{c}）")  # two fields share the label: name the field
        else:
            out.append(labels.get(c, c))
    return out


def export_rows(book: LeadBook, *, industry: str | None = None, grade: str | None = None,
                owner: str | None = None, unmask: bool = False, lang: str = "en",
                columns: list[str] | None = None) -> Iterator[dict]:
    """Leads as flat records (one per lead, in id order), streamed; phones
    masked unless ``unmask``. ``registered``, ``agent`` and ``channel`` are
    the registration's, so that the file imports back to the same leads."""
    book.refresh()
    columns = columns or export_columns(book, industry)
    attr_cols = [c for c in columns[9:-5]]
    for r in book.store.export_rows(industry=industry, grade=grade, owner=owner):
        attributes = json.loads(r["attributes"] or "{}")
        data = json.loads(r["register_data"] or "{}")
        gender = r["gender"]
        if lang == "zh":
            gender = {"M": "男", "F": "女"}.get(gender, gender)
        out = {"lead_id": r["id"], "industry": r["industry"], "name": r["name"], "gender": gender,
               "phone": r["phone"] if unmask else mask_phone(r["phone"]), "need": r["need"],
               "registered": r["created_at"], "agent": r["register_agent"],
               "channel": data.get("channel", "visit")}
        for c in attr_cols:
            out[c] = attributes.get(c)
        out.update(grade=r["grade"], score=r["score"], stage=r["stage"], owner=r["owner"],
                   next_follow_up=r["next_follow_up"])
        yield out


def write_export(book: LeadBook, fmt: str, out, *, industry: str | None = None, grade: str | None = None,
                 owner: str | None = None, unmask: bool = False, lang: str = "en",
                 progress: Callable[[int], None] | None = None) -> int:
    """Write the export to ``out`` (a text stream for csv/json, a path for
    xlsx). Returns the number of leads written."""
    columns = export_columns(book, industry)
    headers = export_headers(book, columns, lang)
    rows = export_rows(book, industry=industry, grade=grade, owner=owner, unmask=unmask, lang=lang,
                       columns=columns)
    n = 0
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if r[c] is None else (f"{r[c]:g}" if isinstance(r[c], float) else r[c])
                        for c in columns])
            n += 1
            if progress is not None and n % 5000 == 0:
                progress(5000)
    elif fmt == "json":
        out.write("[")
        for r in rows:
            out.write(("," if n else "") + "\n  " + json.dumps({h: r[c] for h, c in zip(headers, columns)},
                                                           ensure_ascii=False))
            n += 1
            if progress is not None and n % 5000 == 0:
                progress(5000)
        out.write("\n]\n" if n else "]\n")
    elif fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("leads")
        ws.append(headers)
        for r in rows:
            ws.append([r[c] for c in columns])
            n += 1
            if progress is not None and n % 5000 == 0:
                progress(5000)
        wb.save(out)
    else:
        raise LeadcycleError(f"format {fmt!r} is not csv, xlsx or json")
    if progress is not None and n % 5000:
        progress(n % 5000)
    return n


__all__ = ["HEADER_ALIASES", "ImportResult", "import_file", "export_rows", "write_export", "mask_phone",
           "parse_moment", "read_table", "resolve_columns"]
