"""The one module that owns the SQL.

Everything leadcycle keeps lives in one SQLite file opened through
sqlite-utils: the append-only ``events`` log (the truth), the ``leads``
registry (identity plus the attributes folded from events) and the
``lead_state`` projection (score, grade, stage, owner, next follow-up, with
reasons) that makes queries fast and can be rebuilt at any time.

Writes happen inside :meth:`Store.transaction`, which takes SQLite's write
lock up front (``BEGIN IMMEDIATE``), so that concurrent processes that check
and then write (the same walk-in registered twice) are serialised.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import itertools
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs


@contextlib.contextmanager
def _dataframes_hidden():
    """sqlite-utils imports pandas and numpy whenever they are installed,
    for column types leadcycle never stores: about 0.3–1 s and 65 MB on
    every command of an office that has them (issue #17). While it loads,
    they are not found — unless something imported them already."""
    import sys

    class Hide:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.partition(".")[0] in ("pandas", "numpy"):
                raise ModuleNotFoundError(f"{name} is not loaded for leadcycle's storage", name=name)
            return None

    hide = Hide()
    sys.meta_path.insert(0, hide)
    try:
        yield
    finally:
        sys.meta_path.remove(hide)


with _dataframes_hidden():
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

from .errors import LeadcycleError, NotFound
from .model import Agent, Event, Lead, Reason, State, Tally, fold_tag_holds
from .rules import Cond
from .sqlrules import (DIALECT, FIRST_AT, LAST_LOGGED, LOGGED, LOGGED_CODE, NOW_EPOCH, REGISTER, Constants, attribute_sql, clock_args,
                       code_of, data_cond_sql, date_of, day_count, epoch_of, moment_of)
from .search import search_key
from .i18n import M_, N_, Message

APPLICATION_ID = 0x4C43594C  # "LCYL"
BUSY_TIMEOUT_MS = 30_000

core_migrations = Migrations("core")


#: the ownership fold's stored state (:class:`leadcycle.ownership.Fold`)
#: and the policy it was folded under
FOLD_COLUMNS = (("fold_owner", str), ("fold_anchor", str), ("fold_dealt", int), ("fold_window_until", str),
                ("fold_window_to", str), ("fold_window_at", str), ("fold_version", str))


@core_migrations()
def m001_initial(db: Database) -> None:
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["agents"].create(
        {"name": str, "team": str, "is_manager": int, "active": int, "away": str,
         "created_at": str, "left_at": str},
        pk="name", not_null={"is_manager", "active"}, defaults={"is_manager": 0, "active": 1},
    )
    db["industries"].create({"name": str, "enabled_at": str}, pk="name")
    db["settings"].create({"key": str, "value": str, "updated_at": str}, pk="key")
    db["leads"].create(
        {"id": int, "industry": str, "name": str, "gender": str, "phone": str,
         "need": str, "created_at": str, "attributes": str},
        pk="id", not_null={"industry", "name", "phone", "created_at"},
    )
    db["leads"].create_index(["industry", "phone"])
    db["events"].create(
        {"id": int, "lead_id": int, "kind": str, "at": str, "agent": str,
         "data": str, "note": str, "recorded_at": str},
        pk="id", not_null={"lead_id", "kind", "at"}, foreign_keys=[("lead_id", "leads", "id")],
    )
    db["events"].create_index(["lead_id", "id"])
    db["events"].create_index(["kind", "at"])
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
            "BEGIN SELECT RAISE(ABORT, 'the event log is append-only: "
            "record a correcting event instead'); END"
        )
    db["lead_state"].create(
        {"lead_id": int, "industry": str, "score": float, "grade": str, "stage": str,
         "owner": str, "next_follow_up": str, "follow_up_kind": str, "reasons": str,
         "extra": str, "computed_at": str, "expires_at": str, "owner_until": str},
        pk="lead_id", foreign_keys=[("lead_id", "leads", "id")],
    )
    db["lead_state"].create_index(["owner", "owner_until"])
    db["lead_state"].create_index(["owner", "next_follow_up"])
    db["lead_state"].create_index(["next_follow_up"])
    db["lead_state"].create_index(["industry", "grade"])
    db["lead_state"].create_index(["industry", "stage"])
    db["lead_state"].create_index(["expires_at"])


@core_migrations()
def m002_import_rows(db: Database) -> None:
    """One row per imported file row (file hash + row number), written in the
    same transaction as the row's lead and events: a re-run skips what a
    killed run committed, and never doubles a lead."""
    db["import_rows"].create(
        {"file_hash": str, "row_no": int, "lead_id": int, "outcome": str, "imported_at": str},
        pk=("file_hash", "row_no"),
    )


@core_migrations()
def m003_ownership(db: Database) -> None:
    """Ownership (DOMAIN §3): agents' recorded relatives and friends, the
    reception queue's log (轮接: turns, make-up turns, away/back) and the
    credit ledger written when a deal closes."""
    db["agent_relations"].create(
        {"id": int, "agent": str, "name": str, "phone": str, "relation": str, "recorded_at": str},
        pk="id", not_null={"agent", "phone", "recorded_at"},
    )
    db["agent_relations"].create_index(["phone"])
    db["receptions"].create(
        {"id": int, "at": str, "kind": str, "agent": str, "data": str},
        pk="id", not_null={"at", "kind"},
    )
    db["credit_ledger"].create(
        {"lead_id": int, "deal_event_id": int, "agent": str, "share_num": int, "share_den": int,
         "role": str, "rule": str, "reason": str, "computed_at": str},
        pk=("lead_id", "deal_event_id", "agent"),
    )
    db["credit_ledger"].create_index(["agent"])


@core_migrations()
def m004_rules_version(db: Database) -> None:
    """Each stored projection names the rules it was computed under (a
    hash of the settings, the plugins and the program's version): a read
    under other rules evaluates the lead afresh instead of trusting it, and
    a ``rescore`` killed half-way leaves rows that say so."""
    db["lead_state"].add_column("rules_version", str)
    db["lead_state"].create_index(["rules_version"])


@core_migrations()
def m005_accounts(db: Database) -> None:
    """Sign-in (issue #10): each agent's role, their secret's hash, and the
    sessions handed out by ``login`` (only a hash of each token is kept)."""
    db["agents"].add_column("role", str)
    db.execute("UPDATE agents SET role = CASE WHEN is_manager THEN 'manager' ELSE 'agent' END")
    db["credentials"].create(
        {"agent": str, "secret_hash": str, "set_at": str}, pk="agent",
        foreign_keys=[("agent", "agents", "name")])
    db["sessions"].create(
        {"token_hash": str, "agent": str, "created_at": str, "expires_at": str, "ended_at": str},
        pk="token_hash", not_null={"agent", "created_at", "expires_at"},
        foreign_keys=[("agent", "agents", "name")])
    db["sessions"].create_index(["agent"])


#: The tables whose rows are evidence (DOMAIN §1): appended only, each row
#: chained to the one before it by ``hash`` (see :func:`chain_hash`), in
#: this column order. ``id`` counts 1, 2, 3… with no gaps.
CHAINED: dict[str, tuple[str, ...]] = {
    "events": ("id", "lead_id", "kind", "at", "agent", "data", "note", "recorded_at"),
    "agent_relations": ("id", "agent", "name", "phone", "relation", "recorded_at"),
    "receptions": ("id", "at", "kind", "agent", "data"),
    "settings_log": ("id", "key", "value", "at"),
}
_INTEGER_COLUMNS = frozenset({"id", "lead_id"})
#: the "previous hash" of a chain's first row
GENESIS = "0" * 64


def _no_change_sql(table: str, action: str) -> str:
    message = ("the event log is append-only: record a correcting event instead" if table == "events"
               else f"{table} is append-only")
    return (f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


#: the import ledger's tables (migration m012): one row per import run, one
#: per register row it saw
IMPORT_LEDGER = ("import_runs", "imported_rows")


#: what a lead's identity is kept in (migration m022: the industry as a
#: code, the registration moment as seconds since 1970), and before it
LEADS_KEY = ("id", "industry_c", "created")
LEADS_KEY_BEFORE_M022 = ("id", "industry", "created_at")


def _guards(ledger: tuple[str, ...] = IMPORT_LEDGER, leads_key: tuple[str, ...] = LEADS_KEY) -> dict[str, str]:
    """Every trigger that keeps evidence from being changed, by name, with
    the SQL that creates it (``verify`` checks both). The chained tables
    refuse updates, deletes and rows without a hash; the ``ledger`` tables
    (the import ledger) are append-only; ``leads`` and ``agents`` keep their
    identity (their other columns are folded from the logs). A migration
    passes the ledger tables of its own time (those that exist then) and
    the columns the leads' identity is kept in then."""
    out = {}
    for table in (*CHAINED, *ledger):
        for action in ("UPDATE", "DELETE"):
            out[f"{table}_no_{action.lower()}"] = _no_change_sql(table, action)
        if table in CHAINED:
            out[f"{table}_need_hash"] = (
                f"CREATE TRIGGER {table}_need_hash BEFORE INSERT ON {table} WHEN NEW.hash IS NULL "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are chained: write them through leadcycle'); END")
    for table, key in (("leads", leads_key), ("agents", ("name", "created_at"))):
        out[f"{table}_no_delete"] = _no_change_sql(table, "DELETE")
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in key)
        out[f"{table}_keep_identity"] = (
            f"CREATE TRIGGER {table}_keep_identity BEFORE UPDATE OF {', '.join(key)} ON {table} "
            f"WHEN {changed} BEGIN SELECT RAISE(ABORT, '{table}: {', '.join(key)} never change'); END")
    return out


GUARDS = _guards()


def _backfill_chain(conn: sqlite3.Connection, table: str, batch: int = 20_000) -> None:
    cols = CHAINED[table]
    prev, last, head = GENESIS, 0, None
    while True:
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
                            (last, batch)).fetchall()
        if not rows:
            break
        updates = []
        for row in rows:
            prev = chain_hash(prev, row)
            updates.append((prev, row[0]))
        conn.executemany(f"UPDATE {table} SET hash = ? WHERE id = ?", updates)
        last = head = rows[-1][0]
    if head is not None:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (f"chain:{table}", f"{head} {prev}"))


class Encoder(json.JSONEncoder):
    """A :class:`json.JSONEncoder` made once for many values, that makes its
    C encoder once too: ``encode`` makes one per call (and a float formatter),
    about a tenth of the time a register row's small values take. The text is
    the same; only an encoder without the circular check or an indent, where
    the C encoder exists, takes the short way."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        make = json.encoder.c_make_encoder
        self._once = None if make is None or self.check_circular or self.indent is not None else make(
            None, self.default, json.encoder.encode_basestring_ascii if self.ensure_ascii
            else json.encoder.encode_basestring, None, self.key_separator, self.item_separator,
            self.sort_keys, self.skipkeys, self.allow_nan)

    def encode(self, o: Any) -> str:
        if self._once is None or isinstance(o, str):
            return super().encode(o)
        return "".join(self._once(o, 0))


_CANONICAL = Encoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                     default=lambda v: f"<{type(v).__name__}:{v!r}>")  # a row: never a cycle


def canonical(row: Iterable[Any]) -> str:
    """A chained row's stored columns as one JSON array (the text hashed):
    ``[1,1,"register","2026-03-05T10:00:00","李娜","{…}",null,"…"]``."""
    return _CANONICAL.encode(list(row))


def chain_hash(prev_hash: str, row: Iterable[Any]) -> str:
    """``sha256(prev_hash || canonical(row))`` as hex: a row's hash binds
    its own columns and, through ``prev_hash``, every row before it."""
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def _chained(table: str, head: tuple[int, str] | None, rows: Iterable[tuple]) -> list[tuple]:
    """``rows`` (the values of ``CHAINED[table]`` after ``id``) as written
    after ``head`` (the last row's id and hash, or None): with the next ids
    and their hashes, in order."""
    cols = CHAINED[table]
    next_id, prev = (head[0] + 1, head[1] or "") if head else (1, GENESIS)
    out = []
    for values in rows:
        row = _as_stored(cols, (next_id, *values))
        prev = chain_hash(prev, row)
        out.append((*row, prev))
        next_id += 1
    return out


def _as_stored(cols: tuple[str, ...], values: tuple) -> tuple:
    """The values as SQLite hands them back (integer ids, text otherwise),
    so that the hash written is the hash ``verify`` recomputes."""
    return tuple([v if v is None or type(v) is kind else kind(v) for kind, v in zip(_stored_kinds(cols), values)])


@functools.cache
def _stored_kinds(cols: tuple[str, ...]) -> tuple[type, ...]:
    """What each of a chained table's columns is stored as (:func:`_as_stored`):
    decided once a table, not for every value of every row."""
    return tuple(int if c in _INTEGER_COLUMNS else str for c in cols)


#: stored JSON: one encoder for every value (``json.dumps`` with options builds one per call).
#: No circular-reference check: what is stored comes from cells, options and JSON, never
#: a cycle, and the check (an id per container into a dict) was half the time an
#: event's data took to encode; the text is the same
_JSON = Encoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False)


def _json(value: Any) -> str:
    return _JSON.encode(value)


@core_migrations()
def m006_import_content_keys(db: Database) -> None:
    """Import rows keyed by their normalised content (the lead and the
    row's facts), not by file hash + row number: the same register saved
    again by Excel is not a new file. The key is written in the same
    transaction as the row's lead and events, so a re-run still skips what
    a killed run committed. ``run`` tells an earlier run's keys from this
    run's (a row repeated in one file is merged, not skipped). The old
    table only knew file bytes; it is dropped."""
    db["import_keys"].create(
        {"key": str, "lead_id": int, "outcome": str, "source": str, "row_no": int, "run": str,
         "imported_at": str},
        pk="key",
    )
    db["import_rows"].drop(ignore=True)


@core_migrations()
def m007_search_key(db: Database) -> None:
    """Each lead's name in pinyin (initials and in full), for ``find``."""
    from .search import search_key

    db["leads"].add_column("search", str)
    rows = db.execute("SELECT id, name FROM leads").fetchall()
    db.conn.executemany("UPDATE leads SET search = ? WHERE id = ?", [(search_key(n), i) for i, n in rows])


@core_migrations()
def m008_tamper_evidence(db: Database) -> None:
    """Tamper evidence (issue #10): a ``hash`` column on each chained table,
    back-filled in id order; ``settings_log``, the history of settings
    changes (seeded with the settings as they are); and the guards on every
    evidence table. ``events`` keeps its append-only triggers: they are
    lifted only for the back-fill, inside this migration's transaction."""
    db["settings_log"].create({"id": int, "key": str, "value": str, "at": str},
                              pk="id", not_null={"key", "at"})
    db.conn.executemany(
        "INSERT INTO settings_log(id, key, value, at) VALUES (?, ?, ?, ?)",
        [(i, k, v, at) for i, (k, v, at) in enumerate(db.conn.execute(
            "SELECT key, value, updated_at FROM settings ORDER BY updated_at, key"), 1)])
    for table in CHAINED:
        db.execute(f"ALTER TABLE {table} ADD COLUMN hash TEXT")
        for name in (f"{table}_no_update", f"{table}_no_delete"):
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
        _backfill_chain(db.conn, table)
    ledger = tuple(t for t in ("import_keys", *IMPORT_LEDGER) if db[t].exists())  # m012 moves import_keys
    for name, sql in _guards(ledger=ledger, leads_key=LEADS_KEY_BEFORE_M022).items():
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(sql)


# ------------------------------------------------------------- attributes
#
# Each attribute key is given a place when first written (``attribute_keys``,
# one row a key), and a place never changes once given. Since migration
# m017 each place is a column of ``leads`` (``a0``, ``a1``…), a value in
# one or two bytes and an empty place in one (issue #17: a JSON list took
# 113 bytes a lead of the benchmark's, the columns 61). ``leads.attributes``
# is then a virtual column computed from them — the JSON list the earlier
# layout stored (``null`` where a place is empty), so every reader of the
# list reads both layouts alike — and the compiled rules read a key's
# column directly. A key whose values are yes/no is marked ``boolean``:
# SQLite keeps them as 1 and 0, and the list gives them back as ``true``
# and ``false``. Before m013 the attributes were a JSON object; between
# m013 and m017 the stored list.

ATTRIBUTE_KEYS_TABLE = ("CREATE TABLE IF NOT EXISTS attribute_keys (key TEXT PRIMARY KEY, "
                        "position INTEGER NOT NULL UNIQUE) WITHOUT ROWID")


def _places_json(places: Mapping[str, int], attributes: Mapping[str, Any]) -> str:
    """``attributes`` as the list ``places`` lays out (every key has one)."""
    if not attributes:
        return "[]"
    values: list = [None] * (max(map(places.__getitem__, attributes)) + 1)
    for key, value in attributes.items():
        values[places[key]] = value
    return _JSON.encode(values)


def _virtual(conn: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether ``column`` of the main database's ``table`` is computed (a
    virtual generated column: how migrations m017, m021 and m022 leave the
    values they encode)."""
    row = conn.execute("SELECT hidden FROM pragma_table_xinfo(?, 'main') WHERE name = ?", (table, column)).fetchone()
    return row is not None and row[0] == 2


def attribute_column(place: int) -> str:
    """The column of ``leads`` that holds the attribute at ``place`` (m017)."""
    return f'"a{int(place)}"'


def attributes_list_sql(n: int, booleans: Iterable[int] = ()) -> str:
    """The virtual ``leads.attributes``: the JSON list of the ``n`` places'
    columns, yes/no places (``booleans``) as ``true``/``false``. Text
    joined rather than ``json_array``, whose arguments SQLite limits."""
    booleans = set(booleans)
    parts = []
    for p in range(n):
        col = attribute_column(p)
        parts.append(f"CASE {col} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE json_quote({col}) END"
                     if p in booleans else f"json_quote({col})")
    return "'[' || " + " || ',' || ".join(parts) + " || ']'" if parts else "'[]'"


class AttributePlaces:
    """The places of a database's attribute keys, as far as this connection
    has read or given them (:data:`ATTRIBUTE_KEYS_TABLE`), and the columns
    of ``leads`` that hold them (once migration m017 has run)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.forget()

    def forget(self) -> None:
        """Read the places again when next needed: a rollback may have taken
        back places this connection gave (or a migration laid them out)."""
        self.keys: list[str] = []
        self.places: dict[str, int] = {}
        self.booleans: set[int] = set()
        self._columns: bool | None = None

    @property
    def columns(self) -> bool:
        """Whether each place is a column of ``leads`` (migration m017)."""
        if self._columns is None:
            self._columns = _virtual(self.conn, "leads", "attributes")
        return self._columns

    def _read(self) -> None:
        """The places given since last read (by this run or another)."""
        flag = "boolean" if self.columns else "0"
        for key, place, boolean in self.conn.execute(
                f"SELECT key, position, {flag} FROM attribute_keys WHERE position >= ? ORDER BY position",
                (len(self.keys),)):
            if place != len(self.keys):
                raise LeadcycleError(N_("attribute_keys has no key at place {n}: the table was changed outside "
                                        "leadcycle; restore the database from a backup"), n=len(self.keys))
            self.keys.append(key)
            self.places[key] = place
            if boolean:
                self.booleans.add(place)

    def give(self, keys: Iterable[str], booleans: Iterable[str] = ()) -> None:
        """A place for each of ``keys`` that has none, the next free ones in
        the order given, and its column; ``booleans``, keys whose values
        are yes/no, marked so (inside the write's transaction, which holds
        the lock)."""
        self._read()
        new = [k for k in dict.fromkeys(keys) if k not in self.places]
        self.conn.executemany("INSERT INTO attribute_keys(key, position) VALUES (?, ?)",
                              [(k, len(self.keys) + i) for i, k in enumerate(new)])
        for k in new:
            self.places[k] = len(self.keys)
            self.keys.append(k)
        if not self.columns:
            return
        for k in new:
            self.conn.execute(f"ALTER TABLE leads ADD COLUMN {attribute_column(self.places[k])}")
        marked = {self.places[k] for k in booleans} - self.booleans
        if marked:
            self.conn.executemany("UPDATE attribute_keys SET boolean = 1 WHERE position = ?",
                                  [(p,) for p in sorted(marked)])
            self.booleans |= marked
        if new or marked:
            self.conn.execute("ALTER TABLE leads DROP COLUMN attributes")  # virtual: nothing is rewritten
            self.conn.execute("ALTER TABLE leads ADD COLUMN attributes TEXT AS "
                              f"({attributes_list_sql(len(self.keys), self.booleans)}) VIRTUAL")

    def values(self, attributes: Mapping[str, Any]) -> list:
        """``attributes`` as the values of the columns ``a0``… (one for each
        place given, :attr:`keys`), giving a new key the next free place."""
        places, booleans = self.places, self.booleans
        row: list = [None] * len(self.keys)
        try:
            for key, value in attributes.items():
                place = places[key]
                if value.__class__ is bool and place not in booleans:
                    raise KeyError(key)  # a yes/no key not yet marked so
                row[place] = value
        except KeyError:
            self.give(attributes, [k for k, v in attributes.items() if v.__class__ is bool])
            return self.values(attributes)
        return row

    def encode(self, attributes: Mapping[str, Any]) -> str:
        """The stored list of ``attributes`` (the layout between migrations
        m013 and m017), giving a new key the next free place."""
        if not self.places.keys() >= attributes.keys():  # a key with no place yet
            self.give(attributes)
        return _places_json(self.places, attributes)

    def decode(self, text: str | None) -> dict:
        """The attributes a list holds (or an object, as a database
        from before migration m013 keeps them until its first write)."""
        if not text:
            return {}
        values = json.loads(text)
        if isinstance(values, dict):
            return values
        if len(values) > len(self.keys):
            self._read()
            if len(values) > len(self.keys):
                raise LeadcycleError(N_("a lead's attributes name place {n}, which attribute_keys does not have: "
                                        "the table was changed outside leadcycle; restore the database from a "
                                        "backup"), n=len(values) - 1)
        keys = self.keys
        return {keys[i]: v for i, v in enumerate(values) if v is not None}

    def object_text(self, text: str | None) -> str:
        """The stored list as the JSON object it stands for (what the API's
        rows have always carried)."""
        return self.object_of(self.decode(text))

    @staticmethod
    def object_of(attributes: Mapping[str, Any]) -> str:
        """Attributes as the JSON object the API's rows carry."""
        return _JSON.encode(dict(attributes))


# ------------------------------------------------------------ state texts
#
# A state row's industry, stage and follow-up kind are a handful of names
# repeated in every row (``realestate``, ``accumulation``, ``follow_up``:
# about 34 bytes a row). Since migration m021 each is kept as a small code
# (``state_texts``, one row a name; a code never changes once given) in a
# column of its own (``industry_c``, ``stage_c``, ``follow_up_kind_c``),
# and ``industry``, ``stage`` and ``follow_up_kind`` are virtual columns
# computed from them, so that every reader reads them as before. A name a
# compiled statement writes before it has a code is kept as it is (the
# virtual column gives it back unchanged): the statements look codes up,
# and a write gives the names it knows of (an industry's stages, the
# follow-up kinds) theirs first.

STATE_TEXTS_TABLE = "CREATE TABLE IF NOT EXISTS state_texts (code INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)"
#: the coded columns of ``lead_state``: the virtual name → the column kept
CODED_STATE = {"industry": "industry_c", "stage": "stage_c", "follow_up_kind": "follow_up_kind_c"}
#: the follow-up kinds a compiled statement writes
FOLLOW_UP_KINDS = ("first", "follow_up")


def coded_sql(x: str) -> str:
    """SQL for the value a coded column keeps for the name ``x`` (SQL): its
    code, or the name itself when it has none yet."""
    return f"coalesce((SELECT code FROM state_texts WHERE text = {x}), {x})"


class StateTexts:
    """The codes of the names state rows keep, as far as this connection
    has read or given them (:data:`STATE_TEXTS_TABLE`)."""

    def __init__(self, conn: sqlite3.Connection, before_change: Callable[[], None] = lambda: None) -> None:
        self.conn = conn
        #: called before the virtual columns are made anew: a view that reads them must go first
        self.before_change = before_change
        self.forget()

    def forget(self) -> None:
        """Read the codes again when next needed (a rollback may have taken
        back codes this connection gave, a migration made the table)."""
        self.codes: dict[str, int] = {}
        self._coded: bool | None = None

    @property
    def coded(self) -> bool:
        """Whether ``lead_state`` keeps its names coded (migration m021)."""
        if self._coded is None:
            self._coded = _virtual(self.conn, "lead_state", "stage")
        return self._coded

    def _read(self) -> None:
        self.codes = dict(self.conn.execute("SELECT text, code FROM state_texts"))

    def give(self, texts: Iterable[str | None]) -> None:
        """A code for each of ``texts`` that has none (inside the write's
        transaction), and the virtual columns that read them."""
        new = [t for t in dict.fromkeys(texts) if t is not None and t not in self.codes]
        if not new:
            return
        self._read()
        new = [t for t in new if t not in self.codes]
        if not new:
            return
        self.conn.executemany("INSERT INTO state_texts(text) VALUES (?)", [(t,) for t in new])
        self._read()
        self.regenerate()

    def regenerate(self) -> None:
        """Each coded column's virtual name column, as the codes now read."""
        whens = " ".join(f"WHEN {code} THEN '{text.replace(chr(39), chr(39) * 2)}'"
                         for text, code in sorted(self.codes.items(), key=lambda kv: kv[1]))
        self.before_change()
        have = {r[0] for r in self.conn.execute("SELECT name FROM pragma_table_xinfo('lead_state', 'main')")}
        columns = [("lead_state", name, kept, name in have) for name, kept in CODED_STATE.items()]
        leads = {r[0] for r in self.conn.execute("SELECT name FROM pragma_table_xinfo('leads', 'main')")}
        if "industry_c" in leads:  # a lead's industry too (m022)
            columns.append(("leads", "industry", "industry_c", "industry" in leads))
        for table, name, kept, there in columns:
            if there:
                self.conn.execute(f"ALTER TABLE main.{table} DROP COLUMN {name}")  # virtual: nothing rewritten
            self.conn.execute(f"ALTER TABLE main.{table} ADD COLUMN {name} TEXT AS "
                              f"({f'CASE {kept} {whens} ELSE {kept} END' if whens else kept}) VIRTUAL")

    def code(self, text: str | None) -> int | str | None:
        """What a coded column keeps for ``text``, giving it a code."""
        if text is None:
            return None
        if text not in self.codes:
            self.give([text])
        return self.codes[text]


# -------------------------------------------------------- lead identity
#
# Since migration m022 a lead's industry is kept as its code (``state_texts``,
# as the state rows keep theirs) in ``industry_c`` and its registration moment
# as whole seconds since 1970 in ``created``; ``industry`` and ``created_at``
# are virtual columns computed from them, and the guard of a lead's identity
# names the kept columns (:data:`LEADS_KEY`).

#: a lead's registration moment as ``leads.created`` keeps it (m022):
#: whole seconds since 1970 where its ISO text reads back the same, else
#: the text itself (SQL over the text ``{x}``), and back
CREATED_SQL = ("CASE WHEN strftime('%Y-%m-%dT%H:%M:%S', " + DIALECT["epoch"].format(x="{x}") + ", 'unixepoch') IS {x} "
               "THEN " + DIALECT["epoch"].format(x="{x}") + " ELSE {x} END")
CREATED_AT_SQL = "CASE typeof(created) WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%S', created, 'unixepoch') ELSE created END"


def _identity_coded(conn: sqlite3.Connection) -> bool:
    return _virtual(conn, "leads", "created_at")


def created_value(moment: dt.datetime | str) -> int | str:
    """What ``leads.created`` keeps for a registration moment (see
    :data:`CREATED_SQL`)."""
    text = moment_text(moment) if isinstance(moment, dt.datetime) else str(moment)
    if isinstance(moment, dt.datetime) and moment.tzinfo is None and len(text) == 19:
        return epoch_of(moment)
    return text


# ------------------------------------------------------------------ facts
#
# A lead's *facts* are what its log says that does not depend on the clock
# (issue #17): per kind of event — and per tally, a group of kinds whose
# data meet a condition — how many there are, the first and the last moment
# (whole seconds since 1970-01-01T00:00 of the office's clock: an integer of
# four bytes where ISO text took nineteen, twice a row), and the last one's
# id (its data is then one primary-key lookup away). They are kept on every
# write, in the write's transaction, and rebuilt set-based (``GROUP BY``
# over the events) by ``rescore``; a test holds the write's statement and
# the rebuild's to the same rows. Voided events and the voids themselves
# are left out, as :func:`leadcycle.corrections.effective_events` leaves
# them out.

#: the core's own tallies: a visit is a ``visit`` event or a registration
#: in person (``channel`` visit, not call)
CORE_TALLIES = (Tally("visit", ("visit", "register"), (Cond("channel", "!=", "call"),)),)


def _tally_conds(tally: Tally, alias: str = "") -> tuple[str, list]:
    """The data conditions of ``tally`` as one test ("" when it has none)."""
    a = f"{alias}." if alias else ""
    conds, args = [], []
    for cond in tally.where:
        sql, more = data_cond_sql(cond, f"{a}data")
        conds.append(sql)
        args += more
    return ("(" + (" OR " if tally.match == "any" else " AND ").join(conds) + ")" if conds else ""), args


def _tally_where(tally: Tally, alias: str = "", few: bool = False) -> tuple[str, list]:
    """The events of ``tally`` (its kinds, its data conditions, its
    industry's leads). For the events of ``few`` leads (a write's), each
    event's lead is looked up: the list of every lead of the industry cost
    a write 0.15 s at 100,000 leads, growing with the database."""
    a = f"{alias}." if alias else ""
    parts, args = [f"{a}kind IN ({', '.join('?' * len(tally.kinds))})"], list(tally.kinds)
    conds, cond_args = _tally_conds(tally, alias)
    if conds:
        parts.append(conds)
        args += cond_args
    if tally.industry is not None:
        parts.append(f"(SELECT industry FROM leads WHERE id = {a}lead_id) = ?" if few
                     else f"{a}lead_id IN (SELECT id FROM leads WHERE industry = ?)")
        args.append(tally.industry)
    return " AND ".join(parts), args


#: stands for the leads a scoped facts statement rewrites
_SCOPE = object()

#: the kinds of facts rows by number: a row keeps its kind's code (one
#: byte), not its name (``follow_up``, ``@return``: nine on average, seven
#: rows a lead). The ``LOGGED`` row is ``LOGGED_CODE`` (see :data:`_TRUSTED`); the
#: other codes are given as kinds are first counted, and never change.
FACT_KINDS_TABLE = "CREATE TABLE IF NOT EXISTS fact_kinds (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"


def _facts_sql(tallies: Iterable[Tally], one_lead_set: bool, table: str = "facts") -> tuple[str, list]:
    """The statement that fills ``table`` (``facts``) for every lead, or
    (with ``one_lead_set``) for the leads whose ids the first parameter
    lists (a JSON array): what a write runs for its own leads, and what
    ``verify`` rebuilds to compare with the kept facts. A full rebuild
    takes the faster path of :func:`_rebuild_sql`, which must give the same
    rows (``verify`` and ``tests/test_facts_rebuild.py`` hold the two together)."""
    tallies = list(tallies)
    scope = f" AND lead_id IN ({DIALECT['ids']})" if one_lead_set else ""
    args: list = [_SCOPE] * 2 if one_lead_set else []
    effective = (
        f"SELECT id, lead_id, kind, {DIALECT['epoch'].format(x='at')} AS at, data FROM events "
        f"WHERE kind != 'void'{scope} AND id NOT IN ("
        f"  SELECT {DIALECT['json'].format(col='data', key='event')} FROM events "
        # for a few leads, their voids through the lead index (``+kind``
        # keeps the planner off the kind index, which walks every void)
        f"  WHERE {'+kind' if one_lead_set else 'kind'} = 'void'{scope} AND "
        f"{DIALECT['json'].format(col='data', key='event')} IS NOT NULL)")
    ctes = [f"eff AS MATERIALIZED ({effective})"]
    # the moments an ``after`` tally counts from: one row per lead, a
    # column per (anchor tally, first or last, by time or by order)
    anchors = _anchors(tallies)
    cols = []
    for (anchor, first, later_by), name in anchors.items():
        where, more = _tally_where(anchor, few=one_lead_set)
        cols.append(f"{'min' if first == 'first' else 'max'}(CASE WHEN {where} THEN {later_by} END) AS {name}")
        args += more
    if cols:
        ctes.append(f"anchors AS MATERIALIZED (SELECT lead_id, {', '.join(cols)} FROM eff GROUP BY lead_id)")
    # (a registration has no row: the lead's own ``created_at`` is its moment)
    selects = [f"SELECT lead_id, kind, count(*), min(at), max(at), max(id) FROM eff WHERE kind != '{REGISTER}' "
               "GROUP BY lead_id, kind"]
    for tally in tallies:
        where, more = _tally_where(tally, "e", few=one_lead_set)
        if tally.after is None:
            selects.append(f"SELECT e.lead_id, ?, count(*), min(e.at), max(e.at), max(e.id) FROM eff e "
                           f"WHERE {where} GROUP BY e.lead_id")
        else:
            anchor = "x." + anchors[(anchor_of(tally, tallies), tally.anchor, tally.later_by)]
            selects.append(f"SELECT e.lead_id, ?, count(*), min(e.at), max(e.at), max(e.id) FROM eff e "
                           f"JOIN anchors x ON x.lead_id = e.lead_id WHERE {where} AND e.{tally.later_by} > {anchor} "
                           "GROUP BY e.lead_id")
        args += ["@" + tally.name, *more]
    # the last moment anything was logged, voids and voided entries too (a
    # read at an earlier clock leaves such a lead to the engine), for a lead
    # whose log holds a void: the others' kind rows count every entry
    selects.append(f"SELECT lead_id, '{LOGGED}', count(*), {DIALECT['epoch'].format(x='min(at)')}, "
                   f"{DIALECT['epoch'].format(x='max(at)')}, max(id) FROM events WHERE 1{scope} GROUP BY lead_id "
                   "HAVING max(kind = 'void')")
    args += [_SCOPE] if one_lead_set else []
    ctes.append(_rows_cte(selects))
    return f"INSERT INTO {table}(lead_id, kind, n, first_at, last_at, last_id) WITH {', '.join(ctes)} {_ROWS}", args


def _rows_cte(selects: list[str]) -> str:
    """The facts rows ``selects`` give (lead, kind or @tally name, n,
    first, last, last id), as the CTE ``r`` that :data:`_ROWS` reads."""
    return f"r(lead_id, kind, n, f, l, i) AS ({' UNION ALL '.join(selects)})"


#: the facts rows of ``r`` as ``facts`` keeps them: the kind by its code,
#: no first moment where it is the last
_ROWS = f"SELECT r.lead_id, {code_of('r.kind')} AS code, r.n, nullif(r.f, r.l), r.l, r.i FROM r"


#: the table of kept facts (:func:`m009_facts` creates it, a full rebuild
#: creates it anew). ``first_at`` is NULL when it is ``last_at`` (a kind
#: met once, as most are: four bytes a row); a read takes
#: :data:`FIRST_AT`
FACTS_TABLE = ("CREATE TABLE facts (lead_id INTEGER NOT NULL REFERENCES leads(id), kind INTEGER NOT NULL, "
               "n INTEGER NOT NULL, first_at INTEGER, last_at INTEGER NOT NULL, last_id INTEGER NOT NULL, "
               "PRIMARY KEY (lead_id, kind)) WITHOUT ROWID")

#: a full rebuild's working copy of the log: every event once, sorted by
#: lead, with what each tally asks of it already computed
_SORTED_LOG = "temp.facts_log"


def _rebuild_sql(tallies: Iterable[Tally], scoped: bool = False) -> list[tuple[str, list]]:
    """The statements that rebuild every lead's facts into an empty
    ``facts`` (with ``scoped``, the facts of the leads whose ids the
    :data:`_SCOPE` parameters list, whose rows are gone: a bulk write's,
    an import batch's, in about a quarter of :func:`_facts_sql`'s time):
    the rows of :func:`_facts_sql` in about 60 % of its time
    (issue #17; at 100,000 leads 2.7 times one ``GROUP BY`` over the log,
    against 4.4). That statement groups the log once per tally, each time
    sorting it anew, and writes each tally's rows all over the table.

    Here the log is sorted once, into a temporary table keyed by (lead,
    kind, id), with per event whether it counts (neither a void nor
    voided), whether its lead is of each industry that has tallies, and
    whether its data meet each tally's conditions (each event's JSON is
    read once, not once per tally). Every ``GROUP BY`` then reads that
    table in its key's order, without a sort, and all the rows go into
    ``facts`` in one sorted pass, as a new table is filled fastest."""
    tallies = list(tallies)
    industries = sorted({t.industry for t in tallies if t.industry is not None})
    conditional = [t for t in tallies if t.where]
    voided = DIALECT["json"].format(col="data", key="event")
    # scoped: the voids of those leads (through the lead index: ``+kind``
    # keeps the planner off the kind index), those leads of an industry
    scope = f" AND lead_id IN ({DIALECT['ids']})" if scoped else ""
    cols = {"live": f"kind != 'void' AND id NOT IN (SELECT {voided} FROM events "
                    f"WHERE {'+kind' if scoped else 'kind'} = 'void'{scope} AND {voided} IS NOT NULL)"}
    args: list = [_SCOPE] if scoped else []
    for n, industry in enumerate(industries):
        # (``+industry``: scoped, the leads by their keys, not every lead
        # of the industry through its index)
        cols[f"i{n}"] = (f"lead_id IN (SELECT id FROM leads WHERE +industry = ?{scope.replace('lead_id', 'id')})"
                         if scoped else "lead_id IN (SELECT id FROM leads WHERE industry = ?)")
        args += [industry, _SCOPE] if scoped else [industry]
    for n, tally in enumerate(conditional):
        test, more = _tally_conds(tally)
        # a CASE, not an AND: a value's AND computes both sides, and every
        # event's JSON would be read
        cols[f"c{n}"] = f"CASE WHEN kind IN ({', '.join('?' * len(tally.kinds))}) THEN {test} END"
        args += [*tally.kinds, *more]
    log = _SORTED_LOG
    fill = [
        (f"DROP TABLE IF EXISTS {log}", []),
        (f"CREATE TABLE {log} (lead_id INTEGER NOT NULL, kind TEXT NOT NULL, id INTEGER NOT NULL, "
         f"at INTEGER NOT NULL, {', '.join(cols)}, PRIMARY KEY (lead_id, kind, id)) WITHOUT ROWID", []),
        # NOT INDEXED: walking the (lead_id, id) index would half-sort the
        # log at the price of one random read of the table per event (a
        # scoped fill reads its few leads' events through that index)
        (f"INSERT INTO {log} SELECT lead_id, kind, id, {DIALECT['epoch'].format(x='at')}, "
         f"{', '.join(cols.values())} FROM events {'WHERE 1' + scope if scoped else 'NOT INDEXED'} "
         "ORDER BY lead_id, kind, id", [*args, *([_SCOPE] if scoped else [])]),
    ]

    def counted(tally: Tally) -> tuple[str, list]:
        test = f"e.live AND e.kind IN ({', '.join('?' * len(tally.kinds))})"
        if tally.where:
            test += f" AND e.c{conditional.index(tally)}"
        if tally.industry is not None:
            test += f" AND e.i{industries.index(tally.industry)}"
        return test, list(tally.kinds)

    agg = "count(*), min(e.at), max(e.at), max(e.id)"
    # the moments the ``after`` tallies count from, one row per lead that has one
    anchors = _anchors(tallies)
    ctes, args = [], []
    for (anchor, first, later_by), name in anchors.items():
        test, more = counted(anchor)
        ctes.append(f"{name} AS MATERIALIZED (SELECT e.lead_id, {'min' if first == 'first' else 'max'}"
                    f"(e.{later_by}) AS v FROM {log} e WHERE {test} GROUP BY e.lead_id)")
        args += more
    selects = [f"SELECT e.lead_id, e.kind, {agg} FROM {log} e WHERE e.live AND e.kind != '{REGISTER}' "
               "GROUP BY e.lead_id, e.kind",
               # everything logged, voids and voided entries too, where a void is (see _facts_sql)
               f"SELECT e.lead_id, '{LOGGED}', {agg} FROM {log} e GROUP BY e.lead_id HAVING max(e.kind = 'void')"]
    for tally in tallies:
        test, more = counted(tally)
        if tally.after is None:
            selects.append(f"SELECT e.lead_id, ?, {agg} FROM {log} e WHERE {test} GROUP BY e.lead_id")
        else:  # the leads with an anchor, each one's events found by the key
            x = anchors[(anchor_of(tally, tallies), tally.anchor, tally.later_by)]
            selects.append(f"SELECT e.lead_id, ?, {agg} FROM {x} x CROSS JOIN {log} e ON e.lead_id = x.lead_id "
                           f"WHERE {test} AND e.{tally.later_by} > x.v GROUP BY e.lead_id")
        args += ["@" + tally.name, *more]
    # one sort of the rows (not of the events): the new table is then
    # filled in its key's order, page after page
    ctes.append(_rows_cte(selects))
    if scoped:
        rows = (f"INSERT INTO facts(lead_id, kind, n, first_at, last_at, last_id) WITH {', '.join(ctes)} "
                f"{_ROWS} ORDER BY 1, 2")
        return [*fill, (rows, args), (f"DROP TABLE {log}", [])]
    # every lead's: into a copy of the empty table first, which SQLite then
    # copies whole, record by record, into ``facts`` (its transfer, as
    # VACUUM does: pages filled to the brim, about an eighth fewer than
    # rows inserted in order leave; foreign keys are off meanwhile)
    packed = "temp.facts_packed"
    rows = (f"INSERT INTO {packed}(lead_id, kind, n, first_at, last_at, last_id) WITH {', '.join(ctes)} "
            f"{_ROWS} ORDER BY 1, 2")
    return [*fill, (f"DROP TABLE IF EXISTS {packed}", []),
            (FACTS_TABLE.replace("TABLE facts", f"TABLE {packed}", 1).replace(" REFERENCES leads(id)", ""), []),
            (rows, args),
            (f"INSERT INTO main.facts SELECT * FROM {packed}", []),
            (f"DROP TABLE {packed}", []), (f"DROP TABLE {log}", [])]


def _anchors(tallies: list[Tally]) -> dict[tuple[Tally, str, str], str]:
    """The moments the ``after`` tallies count from, each once, named
    ``a0``, ``a1``…: (anchor tally, first or last, by time or by order)."""
    anchors: dict[tuple[Tally, str, str], str] = {}
    for t in tallies:
        if t.after is not None:
            anchors.setdefault((anchor_of(t, tallies), t.anchor, t.later_by), f"a{len(anchors)}")
    return anchors


def anchor_of(tally: Tally, tallies: Iterable[Tally]) -> Tally:
    """The tally an ``after`` tally counts from: one of its own industry's,
    else the core's."""
    own = core = None
    for t in tallies:
        if t.name == tally.after and t.after is None:
            if t.industry == tally.industry:
                own = t
            elif t.industry is None:
                core = t
    if own is None and core is None:
        raise LeadcycleError(N_("tally {tally!r} counts after {after!r}, which is no tally of "
                                "{industry} (nor one that is itself counted after another)"),
                             tally=tally.name, after=tally.after, industry=tally.industry or M_("the core"))
    return own or core


#: what the facts rows are, beside the tallies (2: the ``LOGGED`` row;
#: 3: moments as whole seconds since 1970, not ISO text; 4: kinds by code;
#: 5: no first moment where it is the last; 6: no registration row, the
#: ``LOGGED`` row only where a void is)
FACTS_FORMAT = 6


def tallies_signature(tallies: Iterable[Tally]) -> str:
    """What the kept facts were computed under: a change (a plugin that
    counts something new) makes the next write rebuild them. (Every read
    asks whether the facts are current: computed once a process.)"""
    return _signature(FACTS_FORMAT, tuple(tallies))


@functools.lru_cache(maxsize=16)
def _signature(facts_format: int, tallies: tuple[Tally, ...]) -> str:
    kept = (facts_format, sorted(tallies, key=lambda t: (t.industry or "", t.name)))
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:16]


#: the page cache of bulk work — an import, ``rescore``, a full facts
#: rebuild (:meth:`Store.bulk`) — in KiB (SQLite's default is 2 MiB), for
#: the database and for its temporary tables
BULK_CACHE_KIB = 65536


@contextlib.contextmanager
def _roomy_cache(conn: sqlite3.Connection) -> Iterator[None]:
    """A larger page cache for the duration of the block, then the one
    before: the rebuild's sort and its sorted copy of the log spill to
    temporary files beyond the cache (a tenth of its time at 100,000
    leads), and the new table's pages are written out early."""
    before = [(db, conn.execute(f"PRAGMA {db}.cache_size").fetchone()[0]) for db in ("main", "temp")]
    try:
        for db, _ in before:
            conn.execute(f"PRAGMA {db}.cache_size = -{BULK_CACHE_KIB}")
        yield
    finally:
        for db, size in before:
            conn.execute(f"PRAGMA {db}.cache_size = {size}")


#: the write-ahead log's frames (pages) at which bulk work waits for a
#: checkpoint, so that the next write starts the log from its beginning
#: (:meth:`Store._checkpoints_beside`): 64 MiB of 4 KiB pages
BULK_LOG_FRAMES = 16_384

#: how long a thread waiting for Python's lock waits before asking for it
#: while :meth:`Store.beside` runs statements beside Python work
SWITCH_INTERVAL_S = 0.0005

#: the allocations between two collections of the youngest objects during
#: bulk work (CPython's default: 700). A batch of 10,000 register rows keeps
#: a few million objects alive while it is written; at 100,000 the collector
#: walked them again and again, 0.5 s of a 10 s import of 100,000 rows
BULK_GC_THRESHOLD = 1_000_000

_collector_held = 0  # nested bulk blocks


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Python's cycle collector held back for the duration of the block.
    Bulk work makes millions of short-lived objects (cells, dicts, events)
    that reference counting frees, with almost no cycles among them; at the
    default threshold the collector still walked the young objects 3,100
    times in an import of 100,000 rows, and 25 times everything alive — the
    plugins' tables, the pinyin dictionary, the memos: 3.3 s of a 20 s import
    (``gc.callbacks``), 0.5 s with the threshold at 100,000, 0.03 s at
    :data:`BULK_GC_THRESHOLD` (the memory the same). What is alive when
    the block starts is frozen out of the collections (``gc.freeze``); both
    are undone at its end, and cycles made meanwhile are still collected."""
    global _collector_held
    if _collector_held:
        _collector_held += 1
        try:
            yield
        finally:
            _collector_held -= 1
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BULK_GC_THRESHOLD, *before[1:])
    _collector_held = 1
    try:
        yield
    finally:
        _collector_held = 0
        gc.set_threshold(*before)
        gc.unfreeze()


#: from how many leads a write's facts take the sorted path of a rebuild
#: (:func:`_rebuild_sql` scoped): its temporary table costs a single lead
#: more than it saves, an import batch of 10,000 a quarter of the time
SORTED_FILL_FROM = 200


def _fill_facts(conn: sqlite3.Connection, tallies: Iterable[Tally], lead_ids: list[int] | None = None) -> None:
    """Rewrite the facts of ``lead_ids`` (every lead when None) from the log."""
    tallies = list(tallies)
    if lead_ids is None:
        # a new table rather than DELETE, which removed the rows one by one
        # (1 s of the former 7 s at 100,000 leads)
        conn.execute("DROP TABLE facts")
        conn.execute(FACTS_TABLE)
        _give_codes(conn, tallies)
        with _roomy_cache(conn):
            for sql, args in _rebuild_sql(tallies):
                conn.execute(sql, args)
        return
    leads = sorted(set(lead_ids))  # (one id per event written: a lead counts once)
    ids = json.dumps(leads)
    _give_codes(conn, (), ids)
    conn.execute(f"DELETE FROM facts WHERE lead_id IN ({DIALECT['ids']})", (ids,))
    steps = _rebuild_sql(tallies, scoped=True) if len(leads) >= SORTED_FILL_FROM else [_facts_sql(tallies, True)]
    for sql, args in steps:
        conn.execute(sql, [ids if a is _SCOPE else a for a in args])


def _give_codes(conn: sqlite3.Connection, tallies: list[Tally], lead_ids: str | None = None) -> None:
    """A code for each kind the facts will count: every event kind on the
    log (on the log of ``lead_ids``, a JSON list, for a write: the rebuild
    that made the facts current gave the tallies theirs), the tallies'."""
    if lead_ids is None:
        conn.execute(FACT_KINDS_TABLE)
        conn.execute("INSERT OR IGNORE INTO fact_kinds(code, name) VALUES (?, ?)", (LOGGED_CODE, LOGGED))
        conn.executemany("INSERT OR IGNORE INTO fact_kinds(name) VALUES (?)", [("@" + t.name,) for t in tallies])
        conn.execute("INSERT OR IGNORE INTO fact_kinds(name) SELECT DISTINCT kind FROM events")
    else:
        conn.execute("INSERT OR IGNORE INTO fact_kinds(name) SELECT DISTINCT kind FROM events "
                     f"WHERE lead_id IN ({DIALECT['ids']})", (lead_ids,))


@core_migrations()
def m009_facts(db: Database) -> None:
    """Per-lead facts kept on write (issue #17), filled from the log."""
    db.execute(FACTS_TABLE)
    _fill_facts(db.conn, CORE_TALLIES)
    db.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('facts:tallies', ?)",
                    (tallies_signature(CORE_TALLIES),))


@core_migrations()
def m010_owner_fold(db: Database) -> None:
    """The ownership fold's state after each lead's last event (issue #17):
    a read computes the owner at its own clock from it in SQL
    (:func:`leadcycle.sqlrules.owner_sql`). Filled by the next write or
    ``rescore``; until then the engine evaluates the lead in Python."""
    for col, kind in FOLD_COLUMNS:
        db["lead_state"].add_column(col, kind)
    db.execute("CREATE INDEX lead_state_fold_owner ON lead_state(fold_owner)")
    db.execute("CREATE INDEX lead_state_fold_window_to ON lead_state(fold_window_to) "
               "WHERE fold_window_to IS NOT NULL")


@core_migrations()
def m011_foldless_rows(db: Database) -> None:
    """The projections stored without an ownership fold (written before
    m010, or computed for a clock some entry of the lead came after), by
    index: one agent's list evaluates them whoever they name, since only
    the engine can tell their owner (``Store.agent_stale``). The index of
    the folds' owners goes: an agent's list finds its leads by their stored
    owner (only after a change of rules by the fold's, among the rows the
    rules-version index gives)."""
    db.execute("CREATE INDEX lead_state_foldless ON lead_state(lead_id) WHERE fold_version IS NULL")
    db.execute("DROP INDEX IF EXISTS lead_state_fold_owner")


#: what an import did with a row it recorded, as ``imported_rows.outcome``
#: stores it (its index): new lead, merged into a lead, nothing new
IMPORT_OUTCOMES = ("imported", "merged", "unchanged")
_OUTCOME_CODES = {name: code for code, name in enumerate(IMPORT_OUTCOMES)}

_IMPORT_TABLES = (
    "CREATE TABLE IF NOT EXISTS import_runs (id INTEGER PRIMARY KEY, run TEXT NOT NULL UNIQUE, source TEXT, "
    "imported_at TEXT)",
    # the first 8 raw bytes of row_key's hash (16 before m020), keyed by
    # itself: no rowid, no second index
    "CREATE TABLE IF NOT EXISTS imported_rows (key BLOB PRIMARY KEY, run INTEGER NOT NULL, row_no INTEGER, "
    f"lead_id INTEGER, outcome INTEGER NOT NULL CHECK (outcome BETWEEN 0 AND {len(IMPORT_OUTCOMES) - 1})) "
    "WITHOUT ROWID",
)


#: the bytes of a row key's hash the import ledger keeps: 64 bits, so that
#: two different rows of a ledger of ten million share a key with a
#: chance of about one in 370,000 (n² / 2⁶⁵), and the ledger is 8 bytes a
#: row smaller than with all 16 (issue #17)
LEDGER_KEY_BYTES = 8


def _ledger_key(key: str | bytes) -> bytes:
    """A row key as ``imported_rows`` stores it: the first
    :data:`LEDGER_KEY_BYTES` of the hash, not its 32 hex characters (a key
    given as bytes, an earlier ledger's 16, is cut the same way). A key no
    leadcycle wrote, not hex, keeps its text's bytes: it stays on the
    ledger and never matches a row."""
    if isinstance(key, bytes):
        return key[:LEDGER_KEY_BYTES] if len(key) == 16 else key
    try:
        return bytes.fromhex(key)[:LEDGER_KEY_BYTES]
    except (TypeError, ValueError):
        return str(key).encode("utf-8")


@core_migrations()
def m012_import_runs(db: Database) -> None:
    """The import ledger in a fraction of its bytes (issue #17): a run's
    file, id and moment once in ``import_runs`` (the moment its first batch
    was written), each row as its key's 16 bytes, the run's number, the row
    number, the lead and a one-digit outcome in ``imported_rows``. The rows
    of ``import_keys`` move across in key order (full pages); it is dropped,
    with its guards, and the new tables get theirs. (Applied again to a
    file that has them — a test's downgrade of a later step — it keeps them.)"""
    for sql in _IMPORT_TABLES:
        db.execute(sql)
    if db["import_keys"].exists():
        _move_import_keys(db.conn)
    for name, sql in _guards(ledger=IMPORT_LEDGER).items():
        if name.startswith(IMPORT_LEDGER):
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
            db.execute(sql)


def _move_import_keys(conn: sqlite3.Connection) -> None:
    """``import_keys``' rows into ``import_runs`` and ``imported_rows``."""
    conn.execute("INSERT OR IGNORE INTO import_runs(run, source, imported_at) "
                 "SELECT coalesce(run, ''), min(source), min(imported_at) FROM import_keys "
                 "GROUP BY coalesce(run, '') ORDER BY min(imported_at)")
    runs = dict(conn.execute("SELECT run, id FROM import_runs"))
    rows = conn.execute("SELECT key, run, row_no, lead_id, outcome FROM import_keys ORDER BY key")
    while chunk := rows.fetchmany(20_000):
        conn.executemany("INSERT OR IGNORE INTO imported_rows(key, run, row_no, lead_id, outcome) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [(_ledger_key(key), runs[run or ""], row_no, lead_id, _outcome_code(outcome, key))
                          for key, run, row_no, lead_id, outcome in chunk])
    conn.execute("DROP TABLE import_keys")


@core_migrations()
def m013_attribute_places(db: Database) -> None:
    """Each lead's attributes as a list of values at their keys' places
    (``attribute_keys``) instead of an object: the keys most leads have
    come first, so that most lists end early. (Applied again to a file that
    has them — a test's downgrade of a later step — it converts only what
    is still an object.)"""
    db.execute(ATTRIBUTE_KEYS_TABLE)
    places = AttributePlaces(db.conn)
    objects = "json_type(attributes) = 'object'"
    keys = [k for (k,) in db.conn.execute(
        f"SELECT j.key FROM (SELECT attributes FROM leads WHERE {objects}) l, json_each(l.attributes) j "
        "GROUP BY j.key ORDER BY count(*) DESC, j.key")]
    places.give(keys)  # most frequent first
    last = 0
    while rows := db.conn.execute(f"SELECT id, attributes FROM leads WHERE id > ? AND {objects} ORDER BY id "
                                  "LIMIT 20000", (last,)).fetchall():
        db.conn.executemany("UPDATE leads SET attributes = ? WHERE id = ?",
                            [(places.encode(json.loads(text)), lead_id) for lead_id, text in rows])
        last = rows[-1][0]


#: ``lead_state`` as migration m014 leaves it: the moments the reads only
#: compare with the clock (``computed_at``, the fold's ``fold_anchor``) as
#: whole seconds since 1970 and the next follow-up's day as days since then
#: (INTEGER affinity: text would keep their digits as characters; a day
#: count takes two bytes, its date ten), ``reasons`` and ``extra`` NULL
#: when empty, the versions of the rules and of the fold's policy as codes
#: of :data:`VERSIONS_TABLE`
STATE_TABLE = (
    "CREATE TABLE lead_state (lead_id INTEGER PRIMARY KEY REFERENCES leads(id), industry TEXT, score REAL, "
    "grade TEXT, stage TEXT, owner TEXT, next_follow_up INTEGER, follow_up_kind TEXT, reasons TEXT, extra TEXT, "
    "computed_at INTEGER, expires_at TEXT, owner_until TEXT, rules_version INTEGER, fold_owner TEXT, "
    "fold_anchor INTEGER, fold_dealt INTEGER, fold_window_until TEXT, fold_window_to TEXT, fold_window_at TEXT, "
    "fold_version INTEGER)")
#: a version tag (:func:`leadcycle.fingerprint.version_tag`: the rules', an
#: ownership policy's) by the small number the state rows keep instead of
#: its eight characters, given by the first write that stores it
VERSIONS_TABLE = "CREATE TABLE IF NOT EXISTS versions (code INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE)"
#: the code of a version no row is stored under (a read's rules before any
#: write stored them): every stored row is from other rules
UNKNOWN_VERSION = -1
#: its indexes: an agent's leads by the end of their protection and by
#: their next follow-up, the rows the clock overtakes (only those that ever
#: are), the rules each row is from, the open recognition windows by
#: receiver, the rows stored without a fold. Migration m015 dropped the
#: three that only office-wide lists read (every due follow-up, a grade, a
#: stage): such a list reads a good part of the table anyway, and a scan of
#: rows this small beats keeping three more indexes on every write. The
#: two an agent's lists read keep only owned leads (migration m016): a
#: lead in the pool is found by no agent's list, and most leads of an
#: office with some history are in the pool (86 % of the benchmark's)
OWNED_STATE_INDEXES = {
    "idx_lead_state_owner_owner_until":
        "CREATE INDEX idx_lead_state_owner_owner_until ON lead_state(owner, owner_until) WHERE owner IS NOT NULL",
    "idx_lead_state_owner_next_follow_up":
        "CREATE INDEX idx_lead_state_owner_next_follow_up ON lead_state(owner, next_follow_up) "
        "WHERE owner IS NOT NULL",
}
STATE_INDEXES = (
    *OWNED_STATE_INDEXES.values(),
    "CREATE INDEX idx_lead_state_expires_at ON lead_state(expires_at) WHERE expires_at IS NOT NULL",
    "CREATE INDEX idx_lead_state_rules_version ON lead_state(rules_version)",
    "CREATE INDEX lead_state_fold_window_to ON lead_state(fold_window_to) WHERE fold_window_to IS NOT NULL",
    "CREATE INDEX lead_state_foldless ON lead_state(lead_id) WHERE fold_version IS NULL",
)


@core_migrations()
def m014_compact_state(db: Database) -> None:
    """The state rows in two thirds of their bytes (issue #17): the table
    built anew as :data:`STATE_TABLE` (its moments as seconds, versions as
    codes, nothing kept for empty reasons and derived values) with
    :data:`STATE_INDEXES` (a grade's and a stage's without the industry,
    the clock's overtaken rows without the rows it never overtakes). Rows
    are copied in key order."""
    epoch = DIALECT["epoch"]
    cols = _STATE_COLUMNS
    db.execute(VERSIONS_TABLE)
    db.execute("INSERT OR IGNORE INTO versions(tag) SELECT rules_version FROM lead_state "
               "WHERE rules_version IS NOT NULL UNION SELECT fold_version FROM lead_state "
               "WHERE fold_version IS NOT NULL ORDER BY 1")
    values = {"reasons": "nullif(reasons, '[]')", "extra": "nullif(extra, '{}')",
              "computed_at": epoch.format(x="computed_at"), "fold_anchor": epoch.format(x="fold_anchor"),
              "next_follow_up": DIALECT["day"].format(x="next_follow_up"),
              "rules_version": "(SELECT code FROM versions WHERE tag = rules_version)",
              "fold_version": "(SELECT code FROM versions WHERE tag = fold_version)"}
    db.execute("DROP TABLE IF EXISTS lead_state_m014")
    db.execute(STATE_TABLE.replace("TABLE lead_state", "TABLE lead_state_m014", 1))
    db.execute(f"INSERT INTO lead_state_m014({', '.join(cols)}) "
               f"SELECT {', '.join(values.get(c, c) for c in cols)} FROM lead_state ORDER BY lead_id")
    db.execute("DROP TABLE lead_state")
    db.execute("ALTER TABLE lead_state_m014 RENAME TO lead_state")
    for sql in STATE_INDEXES:
        db.execute(sql)


#: the indexes migration m015 drops (see :data:`STATE_INDEXES`)
DROPPED_STATE_INDEXES = ("idx_lead_state_next_follow_up", "idx_lead_state_grade", "idx_lead_state_stage")


@core_migrations()
def m015_fewer_state_indexes(db: Database) -> None:
    """The state rows' office-wide indexes go (issue #17: 50 bytes a lead,
    and three fewer indexes to keep on every write): a due list for the
    whole office, a list by grade or by stage read the table itself. An
    agent's lists keep their two indexes."""
    for name in DROPPED_STATE_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


@core_migrations()
def m016_owned_state_indexes(db: Database) -> None:
    """An agent's two indexes keep only owned leads (issue #17: about 26
    bytes a lead of the benchmark's 100,000, and less to write for every
    lead the pool holds). Every read through them names an owner
    (``owner = ?``, ``owner IN (…)``), which SQLite knows is not NULL."""
    for name, sql in OWNED_STATE_INDEXES.items():
        db.execute(f"DROP INDEX IF EXISTS {name}")
        db.execute(sql)


@core_migrations()
def m017_attribute_columns(db: Database) -> None:
    """Each attribute place a column of ``leads`` (issue #17: 52 bytes a
    lead of the benchmark's), ``attributes`` the virtual list computed from
    them (see :class:`AttributePlaces`). Keys whose values are yes/no are
    marked ``boolean``. (Applied again to a file that has them — a test's
    downgrade of a later step — it leaves them be.)"""
    places = AttributePlaces(db.conn)
    if places.columns:
        return
    if "boolean" not in {c for (c,) in db.conn.execute("SELECT name FROM pragma_table_info('attribute_keys')")}:
        db.execute("ALTER TABLE attribute_keys ADD COLUMN boolean INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE attribute_keys SET boolean = 1 WHERE position IN (SELECT DISTINCT j.key FROM leads l, "
               "json_each(l.attributes) j WHERE j.type IN ('true', 'false'))")
    n = db.conn.execute("SELECT count(*) FROM attribute_keys").fetchone()[0]
    for p in range(n):
        db.execute(f"ALTER TABLE leads ADD COLUMN {attribute_column(p)}")
    if n:
        db.execute("UPDATE leads SET " + ", ".join(f"{attribute_column(p)} = json_extract(attributes, '$[{p}]')"
                                                   for p in range(n)) + " WHERE attributes IS NOT NULL")
    db.execute("ALTER TABLE leads DROP COLUMN attributes")
    booleans = [p for (p,) in db.conn.execute("SELECT position FROM attribute_keys WHERE boolean")]
    db.execute(f"ALTER TABLE leads ADD COLUMN attributes TEXT AS ({attributes_list_sql(n, booleans)}) VIRTUAL")


@core_migrations()
def m018_phone_index(db: Database) -> None:
    """The leads' phone index without the industry (issue #17: 12 bytes a
    lead). A phone names one lead or a handful, whatever their industry, so
    the lookups (``industry = ? AND phone = ?``, a batch's ``phone IN``)
    read as few rows; a count of one industry's leads, made by the bulk
    commands, reads the table."""
    db.execute('DROP INDEX IF EXISTS "idx_leads_industry_phone"')
    db.execute('CREATE INDEX IF NOT EXISTS "idx_leads_phone" ON "leads" ("phone")')


@core_migrations()
def m019_logged_rows_where_voided(db: Database) -> None:
    """A lead's ``LOGGED`` facts row kept only where its log holds a void
    (issue #17: a row of 24 bytes a lead): elsewhere the kind rows count
    every entry, and the latest of them is the log's last moment."""
    if db["facts"].exists():
        db.execute(f"DELETE FROM facts WHERE kind = {LOGGED_CODE} AND lead_id NOT IN "
                   "(SELECT lead_id FROM events WHERE kind = 'void')")


@core_migrations()
def m020_short_ledger_keys(db: Database) -> None:
    """The import ledger's keys in 8 bytes, not 16 (issue #17: 8 bytes a
    row; see :data:`LEDGER_KEY_BYTES`). The table is built anew in key
    order with its guards; two rows whose keys now agree (no register has
    had them yet) keep the first run's."""
    if not db["imported_rows"].exists():
        return
    db.execute("DROP TABLE IF EXISTS imported_rows_m020")
    db.execute(_IMPORT_TABLES[1].replace("imported_rows", "imported_rows_m020", 1))
    short = f"CASE WHEN length(key) = 16 THEN substr(key, 1, {LEDGER_KEY_BYTES}) ELSE key END"
    db.execute("INSERT INTO imported_rows_m020(key, run, row_no, lead_id, outcome) "
               "SELECT k, run, row_no, lead_id, outcome FROM (SELECT *, row_number() OVER "
               "(PARTITION BY k ORDER BY run, row_no) AS nth FROM (SELECT *, "
               f"{short} AS k FROM imported_rows)) WHERE nth = 1 ORDER BY k")
    db.execute("DROP TABLE imported_rows")  # and its guards
    db.execute("ALTER TABLE imported_rows_m020 RENAME TO imported_rows")
    for name, sql in _guards(ledger=IMPORT_LEDGER).items():
        if name.startswith("imported_rows_"):
            db.execute(sql)


@core_migrations()
def m021_coded_state_texts(db: Database) -> None:
    """A state row's industry, stage and follow-up kind kept as codes
    (issue #17: about 30 bytes a row; see :class:`StateTexts`), the names
    virtual columns computed from them. (Applied again to a file that has
    them — a test's downgrade of a later step — it leaves them be.)"""
    texts = StateTexts(db.conn)
    if texts.coded or not db["lead_state"].exists():
        return
    db.execute("DROP VIEW IF EXISTS temp.live_state")  # reads the columns dropped below
    db.execute(STATE_TEXTS_TABLE)
    db.execute("INSERT OR IGNORE INTO state_texts(text) SELECT industry FROM lead_state WHERE industry IS NOT NULL "
               "UNION SELECT stage FROM lead_state WHERE stage IS NOT NULL UNION SELECT follow_up_kind "
               "FROM lead_state WHERE follow_up_kind IS NOT NULL ORDER BY 1")
    for name, kept in CODED_STATE.items():
        db.execute(f"ALTER TABLE lead_state ADD COLUMN {kept}")
    db.execute("UPDATE lead_state SET " + ", ".join(f"{kept} = {coded_sql(name)}" for name, kept in CODED_STATE.items()))
    for name in CODED_STATE:
        db.execute(f"ALTER TABLE lead_state DROP COLUMN {name}")
    texts._read()
    texts.regenerate()


@core_migrations()
def m022_coded_identity(db: Database) -> None:
    """A lead's industry as a code (``state_texts``) and its registration
    moment as whole seconds since 1970 (issue #17: about 25 bytes a lead),
    ``industry`` and ``created_at`` virtual columns computed from them
    (``industry_c``, ``created``); the guard of a lead's identity names
    those (:data:`LEADS_KEY`). (Applied again to a file that has them — a
    test's downgrade of a later step — it leaves them be.)"""
    if _identity_coded(db.conn):
        return
    db.execute(STATE_TEXTS_TABLE)
    db.execute("INSERT OR IGNORE INTO state_texts(text) SELECT DISTINCT industry FROM leads ORDER BY 1")
    db.execute("DROP TRIGGER IF EXISTS leads_keep_identity")
    db.execute("ALTER TABLE leads ADD COLUMN industry_c")
    db.execute("ALTER TABLE leads ADD COLUMN created")
    db.execute(f"UPDATE leads SET industry_c = {coded_sql('industry')}, created = {CREATED_SQL.format(x='created_at')}")
    db.execute("ALTER TABLE leads DROP COLUMN created_at")
    db.execute("ALTER TABLE leads DROP COLUMN industry")
    db.execute(f"ALTER TABLE leads ADD COLUMN created_at TEXT AS ({CREATED_AT_SQL}) VIRTUAL")
    texts = StateTexts(db.conn)
    texts._read()
    texts.regenerate()  # and the leads' industry
    db.execute(GUARDS["leads_keep_identity"])


def _outcome_code(outcome: str, key: str) -> int:
    try:
        return _OUTCOME_CODES[outcome]
    except KeyError:
        raise LeadcycleError(N_("the import ledger's row {key} has outcome {outcome!r}, which leadcycle "
                                "never writes"), key=key, outcome=outcome) from None


#: a search (:func:`leadcycle.search.classify`): how a lead matches, and how
#: good a match ranks (0 first): a phone's last digits, a pinyin's initials,
#: the exact name
_SEARCH = {
    "phone": ("replace(l.phone, '-', '') LIKE '%' || ?1 || '%'",
              "CASE WHEN replace(l.phone, '-', '') LIKE '%' || ?1 THEN 0 ELSE 1 END"),
    "pinyin": ("instr(l.search, ?1) > 0", "CASE WHEN l.search LIKE ?1 || '%' THEN 0 ELSE 1 END"),
    "name": ("instr(l.name, ?1) > 0", "CASE WHEN l.name = ?1 THEN 0 ELSE 1 END"),
}


def _recorded_now() -> str:
    """The machine's clock, in UTC, to the second: when an entry was written."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: a compiled statement's next follow-up (ISO text, ``c``) as a state row
#: keeps it
_DAY_OF_NFU = DIALECT["day"].format(x="c.next_follow_up")


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value.isoformat()


def fold_values(fold, signature: str | None, code: Callable[[str], Any] = lambda tag: tag) -> tuple:
    """A :class:`~leadcycle.model.Fold` as ``FOLD_COLUMNS`` store it, folded
    under the policy of ``signature``: its version is the fold's tag
    (:meth:`~leadcycle.model.Fold.tag`), as ``code`` keeps it (the code a
    database keeps it by: :meth:`Store.version_code`)."""
    if fold is None:
        return (None,) * len(FOLD_COLUMNS)
    anchor = epoch_of(fold.anchor) if fold.anchor is not None else None
    return (fold.owner, anchor, int(fold.dealt), _iso(fold.window_until), fold.window_to,
            _iso(fold.window_at), None if signature is None else code(fold.tag(signature)))


def _kept_extra(state: State) -> dict:
    """A projection's derived values as stored: those lists and reports
    read (:attr:`State.kept`), without their texts. The others only
    ``show`` displays, and it computes them at its own clock."""
    return {k: ({f: x for f, x in v.items() if f != "summary"} if isinstance(v, dict) else v)
            for k, v in state.extra.items() if k in state.kept}


def _names(migrations: Migrations) -> list[str]:
    """The names a migration set declares (sqlite-utils keeps them in
    ``_migrations``; its public ``pending``/``applied`` need a database)."""
    return [m.name for m in migrations._migrations]


def _event_values(e: Event, recorded: str | None = None, text: str | None = None) -> tuple:
    """An event's stored columns after ``id``; ``recorded``: when it is
    written (:func:`_recorded_now`, read once for a batch written at once);
    ``text``: its data's :func:`data_text`, when made already."""
    return (e.lead_id, e.kind, moment_text(e.at), e.agent, _json(e.data) if text is None else text, e.note,
            recorded or _recorded_now())


def data_text(data: Mapping[str, Any]) -> str:
    """An event's data as the log stores it (and its chain hashes it)."""
    return _JSON.encode(data)


#: a moment as stored (ISO text to the second), each distinct one written
#: once: an import's thousands of rows share a few hundred visit dates
moment_text = functools.lru_cache(maxsize=1 << 12, typed=True)(_iso)


_STATE_COLUMNS = ("lead_id", "industry", "score", "grade", "stage", "owner", "next_follow_up",
                  "follow_up_kind", "reasons", "extra", "computed_at", "expires_at", "owner_until",
                  "rules_version", *(c for c, _ in FOLD_COLUMNS))

#: what reads query: the stored projections, with the leads evaluated for
#: this run's clock and rules (``Store.set_overlay``) laid over them
LIVE = "live_state"

def settled_sql(plans: Mapping[str, Any], grade: str | None, due_by: dt.date | None,
                day: Callable[[dt.date], Any] = dt.date.isoformat) -> tuple[str, list] | None:
    """What makes a stale lead one a read for ``grade`` (or for follow-ups
    due by ``due_by``) can leave alone, as SQL over a stored row ``s``: its
    industry promises that the clock only lowers grades and delays
    follow-ups (:attr:`leadcycle.rules.Scorecard.decays`), and the row,
    computed under these rules for an earlier clock and after every entry,
    has a grade that cannot rise to ``grade`` (or a follow-up after
    ``due_by``, or none). ``plans`` are the industries'
    :class:`leadcycle.engine.ReadPlan`. None when nothing can be left
    alone; the caller adds the row's trust (:data:`_TRUSTED`). ``day``: a
    date as the rows keep it (:meth:`Store.day_of`)."""
    if grade is None and due_by is None:
        return None
    parts, args = [], []
    for industry, plan in sorted(plans.items()):
        if plan.decays is None:
            continue
        ways, more = [], []
        if grade is not None:
            if grade not in plan.scale:
                ways.append("1")  # a grade the industry does not give
            else:
                rank = plan.scale.index(grade)
                worse = plan.scale[rank + 1:]
                if worse:
                    ways.append(f"s.grade IN ({', '.join('?' * len(worse))})")
                    more += worse
                if plan.decays in plan.scale and rank < plan.scale.index(plan.decays):
                    ways.append("coalesce(s.grade, '') = ''")  # the clock grades it no better than decays
        if due_by is not None and plan.due_decays:
            ways.append("(s.next_follow_up IS NULL OR s.next_follow_up > ?)")
            more.append(day(due_by))
        if ways:
            parts.append(f"(s.industry = ? AND ({' OR '.join(ways)}))")
            args += [industry, *more]
    if not parts:
        return None
    return f"({' OR '.join(parts)})", args


def _owners_at(plans: Mapping[str, tuple[str, int]], now: dt.datetime) -> tuple[tuple[str, list], tuple[str, list]]:
    """``((owner, args), (owner_until, args))``: SQL over a stored row ``s``
    for its owner at ``now`` and the end of that owner's protection, from
    its fold, by its industry's protection period (``plans``: industry →
    (fold signature, days)); NULL for an industry not in ``plans``."""
    from .sqlrules import owner_sql

    exact = now.isoformat()  # to the microsecond, as the engine compares the clock with a window's end
    out = []
    for which in (0, 1):
        cases, args = [], []
        for industry, (_, days) in sorted(plans.items()):
            sql = owner_sql(days)[which]
            cases.append(f"WHEN ? THEN {sql}")
            args += [industry, *[exact] * sql.count("?")]
        out.append((f"(CASE s.industry {' '.join(cases)} END)" if cases else "NULL", args))
    return out[0], out[1]


def _trusted_folds(plans: Mapping[str, tuple[str, int]]) -> tuple[str, list]:
    """SQL over a stored row ``s`` (and its arguments): its ownership fold
    is kept under a version its industry's compiled reads trust (``plans``
    as :meth:`Store._coded` gives them: industry → (the versions, as a JSON
    list, days)), so its owner at a later clock follows from it
    (:func:`_owners_at`); false without plans."""
    parts, args = [], []
    for industry, (versions, _) in sorted(plans.items()):
        parts.append(f"(s.industry = ? AND s.fold_version IN ({DIALECT['ids']}))")
        args += [industry, versions]
    return (f"({' OR '.join(parts)})" if parts else "0"), args


#: what :meth:`Store.agent_stale` reads of an agent's stored rows
_AGENT_COLUMNS = ("lead_id", "industry", "grade", "owner", "next_follow_up", "owner_until", "computed_at",
                  "rules_version", *(c for c, _ in FOLD_COLUMNS))

#: a stored row that saw the whole log and holds a moment the clock only
#: degrades (see :func:`settled_sql`): computed under the rules of the
#: first parameter for a clock no later than the second's, after every entry
_TRUSTED = ("(s.rules_version = ? AND s.computed_at <= ? AND "
            f"coalesce({LAST_LOGGED.format(lead='s.lead_id')}, 0) <= s.computed_at)")
#: what trusts no row (the same parameters): the kept facts are not current
_UNTRUSTED = "(s.rules_version = ? AND s.computed_at <= ? AND 0)"


#: a stored row computed under rules other than the two parameters' (the
#: same version twice), through the rules-version index
_OTHER_RULES = "(rules_version < ? OR rules_version > ? OR rules_version IS NULL)"


class Store:
    """A leadcycle database. ``Store.open(path)`` for an existing one,
    ``Store.create(path)`` to create or upgrade, ``Store.memory()`` for tests.

    Schema versions: the applied migrations are the rows of
    ``_sqlite_migrations`` (``PRAGMA user_version`` also holds the number of
    core migrations, for a quick look from outside). A database made by an
    older leadcycle is upgraded by its first write (:meth:`migrate`, one
    transaction under the write lock); a read that needs a missing table
    fails, and the CLI says to run ``leadcycle init``. A database with
    migrations this program does not know was written by a newer leadcycle:
    it is refused, for reads and writes alike, since this program's rules
    and queries may not match it."""

    def __init__(self, db: Database, path: str | None = None, extra_migrations: Iterable[Migrations] = ()):
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        #: where each attribute sits in a lead's stored list
        self.attribute_places = AttributePlaces(self.conn)
        #: the codes of the names state rows keep
        self.state_texts = StateTexts(self.conn, self._drop_live_view)
        self._live_ready = False
        #: ``lead_state``'s columns and their declared types (None: not
        #: looked yet; an older database's lacks some, or types them so)
        self._state_cols: dict[str, str] | None = None
        #: bumped whenever this run's overlay may have been lost (a rollback, a
        #: migration) or outdated (a write stored rows for its own clock):
        #: what a LeadBook evaluated into it must be evaluated again
        self.overlay_epoch = 0
        #: bumped whenever constants read by :meth:`constants` may have
        #: been taken back (a rollback): statements naming them are compiled again
        self.constants_epoch = 0
        #: called before every write transaction (the LeadBook's office
        #: rules: sign-in and the machine's clock); ``transaction(check=False)``
        #: skips it for signing in itself
        self.before_write = None
        self.migrations: tuple[Migrations, ...] = (core_migrations, *extra_migrations)
        self._schema_ok = False  # checked (and upgraded) since this store was opened
        self._wal_set = False  # the write-ahead log asked for by this run (:meth:`_use_wal`)
        self._version_codes: dict[str, int] = {}  # version tag → code (m014), as given so far
        self._placed: bool | None = None  # whether leads keep attributes at their keys' places
        #: when the write lock of the open transaction was taken (UTC), else None
        self.locked_at: dt.datetime | None = None
        #: the tallies kept in ``facts`` beside the per-kind rows
        self.tallies: tuple[Tally, ...] = CORE_TALLIES
        #: the agents whose lists this run evaluated alone, with the clock
        #: and the industries' folds (:meth:`defer_owners`): their stored
        #: leads the clock took away are laid over only when a read needs it
        self._deferred: set[str] = set()
        self._deferred_at: tuple[dt.datetime, Mapping[str, tuple[str, int]]] | None = None
        #: told of each commit while bulk work checkpoints beside it (:meth:`_checkpoints_beside`)
        self._committed: Callable[[], None] | None = None

    # ------------------------------------------------------------ opening

    @staticmethod
    def _connect(path: str) -> Database:
        # (not bound to this thread: an import's rule statements run in a
        # worker while this thread reads on, :meth:`beside`)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        db = Database(conn, execute_plugins=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as e:
            conn.close()
            if "readonly" in str(e):  # a database in WAL mode writes beside itself even to be read
                raise LeadcycleError(N_("{path} is read-only (the file or its folder), and a database in use "
                                        "is read by writing beside it; copy it to a folder you can write to, "
                                        "or read a backup of it (leadcycle backup makes one that reads "
                                        "anywhere)"), path=path) from None
            raise LeadcycleError(
                N_("{path} is not a leadcycle database ({e}); give another --db, "
                   "or create one with: leadcycle init --industry NAME"), path=path, e=e) from None
        return db

    def _use_wal(self) -> None:
        """Readers and one writer at once (write-ahead log): set when the
        database is made, and before the first write of a run to one in
        another mode (a backup, written with a rollback journal) — the mode
        is written into the file, so a read leaves a backup, and someone
        else's SQLite file, as they were."""
        if self.path == ":memory:" or self._wal_set:
            return
        self._wal_set = True
        # the switch needs the file to itself, and SQLite can answer
        # "locked" at once where a write would have waited (seen once in
        # tests/test_upgrade.py's three processes upgrading one old file):
        # a desk waits here as long as a write would
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if "readonly" in str(e):
                    # a read-only file (a backup on a share) is read in the mode it
                    # has; a write to it is refused in one line (see the CLI)
                    return
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @staticmethod
    def _check_file(path: str) -> None:
        """Refuse, before SQLite opens it, a file that is no database: SQLite
        would make an empty one a database (and its -wal and -shm beside
        it) even for a read."""
        try:
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError:
            return  # SQLite names what is wrong (a folder, no permission)
        if not head:
            raise LeadcycleError(N_("{path} is an empty file, not a database; create one in it with: "
                                    "leadcycle --db {path} init --industry NAME"), path=path)
        if head != b"SQLite format 3\x00":
            raise LeadcycleError(N_("{path} is not a leadcycle database (not a SQLite file); give another "
                                    "--db, or create one with: leadcycle --db NEW.db init --industry NAME"),
                                 path=path)

    @classmethod
    def open(cls, path: str, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        """An existing database; ``extra_migrations`` are the loaded
        plugins' sets (to upgrade, and to recognise a newer database)."""
        if not os.path.exists(path):
            raise NotFound(N_("no database at {path}; create one with: "
                              "leadcycle --db {path} init --industry NAME"), path=path)
        cls._check_file(path)
        store = cls(cls._connect(path), path, extra_migrations)
        try:
            store._check_ours()
            store._refuse_newer()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def create(cls, path: str, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise LeadcycleError(N_("cannot create {path}: there is no folder {folder}; create it, or give "
                                    "another --db"), path=path, folder=folder)
        existed = os.path.exists(path) and os.path.getsize(path) > 0
        if existed:
            cls._check_file(path)
        store = cls(cls._connect(path), path, extra_migrations)
        try:
            if existed:
                store._check_ours(allow_empty=True)
            store._use_wal()
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def memory(cls, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        store = cls(cls._connect(":memory:"), ":memory:", extra_migrations)
        store.migrate()
        return store

    def _check_ours(self, allow_empty: bool = False) -> None:
        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            tables = self.db.table_names()
        except sqlite3.DatabaseError as e:
            raise LeadcycleError(N_("{path} is not a leadcycle database ({e}); "
                                    "give another --db"), path=self.path, e=e) from None
        if app_id == APPLICATION_ID:
            return
        if allow_empty and not tables:
            return
        raise LeadcycleError(N_("{path} is a SQLite file but not a leadcycle database; "
                                "give another --db"), path=self.path)

    def _applied(self) -> dict[str, set[str]]:
        """Migration set -> names applied, from ``_sqlite_migrations``."""
        try:
            rows = self.conn.execute(f"SELECT migration_set, name FROM [{Migrations.migrations_table}]")
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return {}
            raise
        applied: dict[str, set[str]] = {}
        for migration_set, name in rows:
            applied.setdefault(migration_set, set()).add(name)
        return applied

    def unknown_migrations(self) -> list[str]:
        """Applied migrations of a set this program knows (the core's, a
        loaded plugin's) that it does not have: the database was written by
        a newer version. A set nobody here knows belongs to a plugin that is
        not loaded, and is left alone."""
        applied = self._applied()
        unknown = []
        for m in self.migrations:
            known = set(_names(m))
            unknown += [f"{m.name}.{n}" for n in sorted(applied.get(m.name, set()) - known)]
        return unknown

    def pending_migrations(self) -> list[str]:
        applied = self._applied()
        return [f"{m.name}.{n}" for m in self.migrations
                for n in _names(m) if n not in applied.get(m.name, set())]

    def _refuse_newer(self) -> None:
        unknown = self.unknown_migrations()
        if unknown:
            raise LeadcycleError(
                N_("{path} was written by a newer leadcycle (schema {schema_version}, "
                   "with migrations this version does not know: {unknown}); "
                   "upgrade leadcycle to use it"),
                path=self.path, schema_version=self.schema_version(), unknown=', '.join(unknown))

    def schema_version(self) -> int:
        """``PRAGMA user_version``: the number of core migrations applied."""
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, extra: Iterable[Migrations] | None = None) -> list[str]:
        """Apply pending migrations (the core's, then each plugin's) in one
        transaction that holds the write lock, so that of two processes
        upgrading the same file the second finds nothing left to do; refuse
        a database written by a newer leadcycle. Returns the names applied.
        ``extra``, when given, replaces the plugins' sets."""
        if extra is not None:
            self.migrations = (core_migrations, *extra)
        self._use_wal()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self._refuse_newer()
            applied = []
            for m in self.migrations:
                pending = [p.name for p in m.pending(self.db)]
                if not pending:
                    continue
                try:
                    m.apply(self.db)  # each migration in a savepoint of this transaction
                except Exception as e:
                    done = {a.name for a in m.applied(self.db)} if self.conn.in_transaction else set()
                    failed = next((n for n in pending if n not in done), pending[0])
                    raise LeadcycleError(
                        N_("migration {m}.{failed} failed ({name}: {e}); "
                           "nothing was changed — fix or uninstall the plugin that declares it"),
                        m=m.name, failed=failed, name=type(e).__name__, e=e) from e
                applied += [f"{m.name}.{n}" for n in pending]
            if applied:
                n_core = len(core_migrations.applied(self.db))
                self.conn.execute(f"PRAGMA user_version = {n_core}")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        self._schema_ok = True
        self._state_cols = None
        self._version_codes = {}
        self._placed = None
        self.attribute_places.forget()
        self.state_texts.forget()
        self.restore_guards()
        if applied and self._live_ready:  # the overlay copies lead_state's columns
            self.conn.execute("DROP VIEW IF EXISTS temp.live_state")
            self.conn.execute("DROP TABLE IF EXISTS temp.state_overlay")
            self._forget_run_state()
        return applied

    def _upgrade_for_write(self) -> None:
        """Before the first write: refuse a newer database, apply what is
        pending. A quick read first, so an up-to-date database costs no lock."""
        if self.unknown_migrations() or self.pending_migrations():
            self.migrate()
        self._schema_ok = True

    def restore_guards(self) -> list[str]:
        """Re-create any guard that was dropped or altered (``init`` does
        this). What was changed while it was missing stays evident: the
        chains, not the guards, are the evidence."""
        def redo() -> list[str]:
            found = dict(self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
            return [n for n, sql in self.guards().items() if " ".join((found.get(n) or "").split()) != sql]

        names = redo()
        if names:
            with self.transaction(check=False):
                names = redo()  # as the upgrade the write applied first left them
                guards = self.guards()
                for name in names:
                    self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                    self.conn.execute(guards[name])
        return names

    def guards(self) -> dict[str, str]:
        """The guards this database should have (:data:`GUARDS`; a database
        not yet upgraded by m022 keeps the leads' identity in its former
        columns, and its guard names them)."""
        if self.identity_coded():
            return GUARDS
        return _guards(leads_key=LEADS_KEY_BEFORE_M022)

    def identity_coded(self) -> bool:
        """Whether ``leads`` keeps its industry as a code and its
        registration moment as seconds since 1970 (migration m022)."""
        return _identity_coded(self.conn)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def bulk(self) -> Iterator["Store"]:
        """A larger page cache (:data:`BULK_CACHE_KIB`) for work that writes
        every lead (an import, ``rescore``): its inserts land all over the
        indexes (phones, row keys, moments), and with SQLite's default 2 MB
        each batch reads again the pages the last one wrote. Memory stays
        bounded: the cache, not the work, sets it. Python's cycle collector
        runs seldom meanwhile (:func:`_few_collections`), and the log's
        checkpoints run beside the work (:meth:`_checkpoints_beside`)."""
        with _roomy_cache(self.conn), _few_collections(), self._checkpoints_beside():
            yield self

    @contextlib.contextmanager
    def _checkpoints_beside(self) -> Iterator[None]:
        """While the block runs, the write-ahead log is copied back into the
        database file (a checkpoint) after each commit by a thread of its
        own, on a connection of its own, while this one goes on writing:
        SQLite's own checkpoint, which the commit that filled the log runs
        and waits for (about 40 ms an import batch), is off meanwhile. A
        checkpoint copies only what was committed and waits for no lock; one
        that fails is left to the next (or to SQLite's own, after the
        block). A database without a log, or in memory, is left as it is.

        SQLite starts the log again from its beginning only when a write
        begins with every frame copied, which a checkpoint beside the next
        write never lets happen: once the log holds
        :data:`BULK_LOG_FRAMES`, a commit waits for its checkpoint, so the
        log stays bounded (it grew to 5 GB, and the memory mapping its index
        with it, over an import of 5,000,000 rows)."""
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        if self.path in (None, ":memory:") or mode.lower() != "wal" or self.conn.in_transaction:
            yield
            return
        try:
            other = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            yield
            return
        turn = threading.Condition()
        # commits so far, the commit the last checkpoint started after, the
        # log's frames it found, and whether the block is over
        state = {"committed": 0, "copied": 0, "frames": 0, "stop": False}

        def run() -> None:
            while True:
                with turn:
                    turn.wait_for(lambda: state["stop"] or state["committed"] > state["copied"])
                    if state["stop"]:
                        return
                    upto = state["committed"]
                try:
                    frames = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0][1]
                except Exception:  # (any: a commit may be waiting for this thread)
                    frames = None  # the next commit's, or SQLite's own after the block
                with turn:
                    state["copied"] = upto
                    if frames is not None:
                        state["frames"] = frames
                    turn.notify_all()

        def committed() -> None:
            with turn:
                state["committed"] += 1
                turn.notify_all()
                if state["frames"] >= BULK_LOG_FRAMES:  # this one waits: the next write starts the log anew
                    upto = state["committed"]
                    turn.wait_for(lambda: state["copied"] >= upto)
                    state["frames"] = 0

        automatic = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        worker = threading.Thread(target=run, name="leadcycle-checkpoints", daemon=True)
        worker.start()
        self._committed = committed
        try:
            yield
        finally:
            self._committed = None
            with turn:
                state["stop"] = True
                turn.notify_all()
            worker.join()
            other.close()
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(automatic)}")

    def beside(self, work: Callable[[], Any], meanwhile: Callable[[], None]) -> Any:
        """Run ``work`` — statements on this store — in a worker thread while
        ``meanwhile`` runs in this one, and return what ``work`` returns.
        SQLite lets go of Python's lock while a statement runs, so a long
        statement (the rules over an import batch's new leads) and Python
        work (reading the next batch) go on side by side, each on a
        processor of its own. ``meanwhile`` must not touch the database.

        An exception in ``meanwhile`` (Ctrl-C among them) interrupts the
        statements and is raised once they have stopped; one in ``work`` is
        raised after ``meanwhile`` is done. Either leaves the transaction to
        its caller, to roll back as for any error."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = work()
            except BaseException as e:  # raised in the caller's thread, below
                box["error"] = e

        worker = threading.Thread(target=run, name="leadcycle-statements", daemon=True)
        interval = sys.getswitchinterval()
        # a statement done waits for Python's lock until this thread lets
        # go of it: at most this long, not the default 5 ms
        sys.setswitchinterval(min(interval, SWITCH_INTERVAL_S))
        stopped: BaseException | None = None
        try:
            worker.start()
            try:
                meanwhile()
            except BaseException as e:
                stopped = e
            while worker.is_alive():
                if stopped is not None:
                    # again until the worker is done: an interrupt between two
                    # statements stops nothing, the next one is stopped by the next
                    self.conn.interrupt()
                try:
                    worker.join(None if stopped is None else 0.05)
                except BaseException as e:  # Ctrl-C while waiting
                    stopped = stopped or e
        finally:
            sys.setswitchinterval(interval)
        if stopped is not None:
            raise stopped
        if "error" in box:
            raise box["error"]
        return box.get("result")

    @contextlib.contextmanager
    def transaction(self, check: bool = True, *, rollback: bool = False) -> Iterator["Store"]:
        """One user action = one transaction, holding the write lock from
        the start so check-then-write is safe across processes.

        ``before_write`` (the office rules) is asked first, unless ``check``
        is false (signing in itself). The wall clock is read once the lock
        is held and kept in :attr:`locked_at` until the outermost
        transaction ends: a live :attr:`LeadBook.now
        <leadcycle.LeadBook.now>` stamps the writes with it, so that
        whichever process gets the lock second also writes the later time
        (a clock read before waiting for the lock could be earlier than the
        events the other process just wrote).

        A nested call is a savepoint. With ``rollback`` everything done in
        the block is undone at its end (a rehearsal such as ``review
        --dry-run``: the same reads and checks, under the same lock,
        nothing kept). Any rollback may drop this run's temp overlay."""
        if check and self.before_write is not None and not self.conn.in_transaction:
            self.before_write()
        if self.conn.in_transaction:
            if not rollback:
                try:
                    with self.db.atomic():
                        yield self
                except BaseException:
                    self._forget_run_state()
                    raise
                return
            self.conn.execute("SAVEPOINT rehearsal")
            try:
                yield self
            finally:
                self.conn.execute("ROLLBACK TO rehearsal")
                self.conn.execute("RELEASE rehearsal")
                self._forget_run_state()
            return
        self._use_wal()
        if not self._schema_ok:
            self._upgrade_for_write()
        self.conn.execute("BEGIN IMMEDIATE")
        self.locked_at = dt.datetime.now(dt.timezone.utc)
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._forget_run_state()
            raise
        else:
            self.conn.execute("ROLLBACK" if rollback else "COMMIT")
            if rollback:
                self._forget_run_state()
            elif self._committed is not None and not self.conn.in_transaction:
                self._committed()  # the log's checkpoint, beside the work (bulk)
        finally:
            self.locked_at = None

    # ------------------------------------------------------------- meta

    def enabled_industries(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM industries ORDER BY enabled_at, name")]

    def enable_industry(self, name: str, at: dt.datetime) -> bool:
        cur = self.conn.execute("INSERT OR IGNORE INTO industries(name, enabled_at) VALUES (?, ?)",
                                (name, _iso(at)))
        return cur.rowcount > 0

    def stored_settings(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM settings")}

    def set_setting(self, key: str, value: Any, at: dt.datetime) -> None:
        """Store a setting, and its change on the chained ``settings_log``
        (a rule's number is evidence too: it decides owners and grades)."""
        self.conn.execute("INSERT OR REPLACE INTO settings(key, value, updated_at) VALUES (?, ?, ?)",
                          (key, _json(value), _iso(at)))
        self.append_chained("settings_log", [(key, _json(value), _iso(at))])

    def delete_setting(self, key: str, at: dt.datetime) -> None:
        """Back to the default; the log records the reset as a null value."""
        self.conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        self.append_chained("settings_log", [(key, None, _iso(at))])

    # ----------------------------------------------------------- agents

    def add_agent(self, agent: Agent) -> None:
        self.conn.execute(
            "INSERT INTO agents(name, team, is_manager, role, active, created_at) VALUES (?, ?, ?, ?, 1, ?)",
            (agent.name, agent.team, int(agent.is_manager), agent.role, agent.created_at))

    # --------------------------------------------------------- accounts

    def set_credential(self, agent: str, secret_hash: str, at: dt.datetime) -> None:
        self.conn.execute("INSERT OR REPLACE INTO credentials(agent, secret_hash, set_at) VALUES (?, ?, ?)",
                          (agent, secret_hash, _iso(at)))

    def credential(self, agent: str) -> str | None:
        row = self.conn.execute("SELECT secret_hash FROM credentials WHERE agent = ?", (agent,)).fetchone()
        return None if row is None else row[0]

    def count_credentials(self) -> int:
        return self.conn.execute("SELECT count(*) FROM credentials").fetchone()[0]

    def add_session(self, token_hash: str, agent: str, created: dt.datetime, expires: dt.datetime) -> None:
        self.conn.execute("INSERT INTO sessions(token_hash, agent, created_at, expires_at) VALUES (?, ?, ?, ?)",
                          (token_hash, agent, _iso(created), _iso(expires)))

    def session(self, token_hash: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE token_hash = ?", [token_hash]))
        return rows[0] if rows else None

    def end_sessions(self, at: dt.datetime, token_hash: str | None = None, agent: str | None = None) -> int:
        """End one session, or every open session of ``agent``."""
        if token_hash is not None:
            cur = self.conn.execute("UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                                    (_iso(at), token_hash))
        else:
            cur = self.conn.execute("UPDATE sessions SET ended_at = ? WHERE agent = ? AND ended_at IS NULL",
                                    (_iso(at), agent))
        return cur.rowcount

    def get_agent(self, name: str) -> Agent | None:
        row = self.conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        cols = [d[0] for d in self.conn.execute("SELECT * FROM agents LIMIT 0").description]
        return Agent.from_row(dict(zip(cols, row)))

    def list_agents(self, include_left: bool = True) -> list[Agent]:
        where = "" if include_left else "WHERE active = 1"
        return [Agent.from_row(r) for r in self.db.query(f"SELECT * FROM agents {where} ORDER BY created_at, rowid")]

    def update_agent(self, name: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE agents SET {sets} WHERE name = ?", (*fields.values(), name))

    # ------------------------------------------------------------ leads

    def _attribute_columns(self, n: int) -> str:
        """``, "a0", "a1"…`` for the first ``n`` places (none: empty)."""
        return "".join(", " + attribute_column(p) for p in range(n))

    def insert_lead(self, lead: Lead) -> int:
        values = self.attribute_places.values(lead.attributes)
        cur = self.conn.execute(
            f"INSERT INTO leads(industry_c, name, gender, phone, need, created, search"
            f"{self._attribute_columns(len(values))}) VALUES (?, ?, ?, ?, ?, ?, ?{', ?' * len(values)})",
            (self.state_texts.code(lead.industry), lead.name, lead.gender, lead.phone, lead.need,
             created_value(lead.created_at), search_key(lead.name), *values))
        return cur.lastrowid

    def _lead(self, row: dict) -> Lead:
        return Lead(id=row["id"], industry=row["industry"], name=row["name"], gender=row["gender"],
                    phone=row["phone"], need=row["need"], created_at=row["created_at"],
                    attributes=self.attribute_places.decode(row["attributes"]))

    def get_lead(self, lead_id: int) -> Lead:
        # an id past SQLite's 64-bit integers (from JSON, the API) names no lead
        # rather than overflowing the query
        rows = list(self.db.query("SELECT * FROM leads WHERE id = ?", [lead_id])) \
            if -2**63 <= lead_id < 2**63 else []
        if not rows:
            raise NotFound(N_("no lead #{lead_id}; find ids with: leadcycle list"), lead_id=lead_id)
        return self._lead(rows[0])

    def folds_of(self, lead_ids: Iterable[int], now: dt.datetime) -> dict[int, tuple[str, Any, str | None]]:
        """``{lead id: (industry, Fold, its policy's signature)}`` of the
        leads of ``lead_ids`` whose ownership fold is kept and folded every
        entry by ``now`` (none logged after it)."""
        from .model import Fold

        if not self.folds_ready() or not self.facts_current():
            return {}
        ids = json.dumps(sorted(set(lead_ids)))
        cols = self._fold_columns()
        out = {}
        for lead_id, industry, owner, anchor, dealt, until, to, at, version in self.conn.execute(
                f"SELECT s.lead_id, s.industry, {cols} FROM lead_state s WHERE s.lead_id IN ({DIALECT['ids']}) "
                f"AND s.fold_version IS NOT NULL AND {LAST_LOGGED.format(lead='s.lead_id')} <= ?",
                (ids, clock_args(now)[NOW_EPOCH])):
            out[lead_id] = (industry, Fold(owner, moment_of(anchor), bool(dealt), _moment(until), to, _moment(at)),
                            version)
        return out

    def attributes_of(self, lead_ids: Iterable[int]) -> dict[int, dict]:
        """``{lead id: attributes}`` of the leads of ``lead_ids`` that
        exist, in one query."""
        ids = json.dumps(sorted({i for i in lead_ids if -2**63 <= i < 2**63}))
        decode = self.attribute_places.decode
        return {r[0]: decode(r[1]) for r in self.conn.execute(
            f"SELECT id, attributes FROM leads WHERE id IN ({DIALECT['ids']})", (ids,))}

    def identities_of(self, lead_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """``{lead id: (name, phone)}`` of the leads of ``lead_ids`` that
        exist, in one query."""
        ids = json.dumps(sorted({i for i in lead_ids if isinstance(i, int) and -2**63 <= i < 2**63}))
        return {r[0]: (r[1], r[2]) for r in self.conn.execute(
            f"SELECT id, name, phone FROM leads WHERE id IN ({DIALECT['ids']})", (ids,))}

    def leads_by_phone(self, industry: str, phone: str) -> list[Lead]:
        return [self._lead(r) for r in self.db.query(
            "SELECT * FROM leads WHERE industry = ? AND phone = ? ORDER BY id", [industry, phone])]

    def update_lead(self, lead: Lead) -> None:
        """Store the fields folded from the log (name… and attributes)."""
        values = self.attribute_places.values(lead.attributes)
        sets = "".join(f", {attribute_column(p)} = ?" for p in range(len(values)))
        self.conn.execute(
            f"UPDATE leads SET name = ?, gender = ?, phone = ?, need = ?, search = ?{sets} WHERE id = ?",
            (lead.name, lead.gender, lead.phone, lead.need, search_key(lead.name), *values, lead.id))

    def count_other_rules(self, rules_version: str) -> int:
        """Stored projections computed under other rules than
        ``rules_version`` (other settings, another program), which every
        read must evaluate again until ``rescore``."""
        return self.conn.execute(f"SELECT count(*) FROM lead_state WHERE {_OTHER_RULES}",
                                 [self.version_code(rules_version)] * 2).fetchone()[0]

    def count_leads(self, industry: str | None = None) -> int:
        # one industry's: the whole table (no index holds the industry),
        # unless it is the office's only one
        if industry and self.enabled_industries() != [industry]:
            return self.conn.execute("SELECT count(*) FROM leads WHERE industry = ?", (industry,)).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM leads").fetchone()[0]

    def iter_lead_batches(self, batch_size: int = 1000, industry: str | None = None,
                          ids: Iterable[int] | None = None,
                          after: int = 0) -> Iterator[list[tuple[Lead, list[Event]]]]:
        """Leads with their events, ``batch_size`` at a time, in id order
        (those of ``ids``, or every lead with an id above ``after``)."""
        if ids is not None:
            ids = sorted(set(ids))
            for i in range(0, len(ids), batch_size):
                chunk = ids[i:i + batch_size]
                marks = ",".join("?" * len(chunk))
                leads = [self._lead(r) for r in self.db.query(
                    f"SELECT * FROM leads WHERE id IN ({marks}) ORDER BY id", chunk)]
                yield self._with_events(leads)
            return
        last = after
        where = "AND industry = ?" if industry else ""
        while True:
            args = [last] + ([industry] if industry else []) + [batch_size]
            leads = [self._lead(r) for r in self.db.query(
                f"SELECT * FROM leads WHERE id > ? {where} ORDER BY id LIMIT ?", args)]
            if not leads:
                return
            yield self._with_events(leads)
            last = leads[-1].id

    def _with_events(self, leads: list[Lead]) -> list[tuple[Lead, list[Event]]]:
        if not leads:
            return []
        by_lead: dict[int, list[Event]] = {lead.id: [] for lead in leads}
        first, last = leads[0].id, leads[-1].id
        if last - first < 2 * len(leads):  # a run of ids: one range scan
            cur = self.conn.execute(
                "SELECT id, lead_id, kind, at, agent, data, note FROM events "
                "WHERE lead_id BETWEEN ? AND ? ORDER BY lead_id, id", (first, last))
        else:  # scattered ids (the stale leads of a read): by the index, lead by lead
            ids = [lead.id for lead in leads]
            cur = self.conn.execute(
                "SELECT id, lead_id, kind, at, agent, data, note FROM events "
                f"WHERE lead_id IN ({','.join('?' * len(ids))}) ORDER BY lead_id, id", ids)
        for row in cur:
            bucket = by_lead.get(row[1])
            if bucket is not None:
                bucket.append(self._event(row))
        return [(lead, by_lead[lead.id]) for lead in leads]

    # ----------------------------------------------------------- events

    def append_event(self, event: Event) -> int:
        """Append one event, chained. ``recorded_at`` is the machine's clock
        (UTC) whatever the event's own time: a simulated clock or an imported
        visit date never hides when an entry was really written."""
        return self.append_chained("events", [_event_values(event)])[0]

    def append_chained(self, table: str, rows: list[tuple], facts: bool = True) -> list[int]:
        """Append ``rows`` (the values of ``CHAINED[table]`` after ``id``) with
        the next ids and their hashes, in order; returns the ids. Events
        bring their leads' facts up to date; without ``facts`` the caller
        does (:meth:`fill_facts`), in the same transaction and before any
        read of them.

        The previous hash is the last row's, read under the write lock
        (inside the caller's transaction, or one of its own), so concurrent
        writers cannot fork the chain. The head (last id and hash) is kept
        in ``meta`` too: ``verify`` compares it with the table's last row,
        which tells a log cut short from a whole one."""
        if not self.conn.in_transaction:
            with self.transaction():
                return self.append_chained(table, rows, facts)
        return self._write_chained(table, _chained(table, self._head(table), rows), facts)

    def _head(self, table: str) -> tuple[int, str] | None:
        """The last row's id and hash (read under the write lock)."""
        return self.conn.execute(f"SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1").fetchone()

    def _write_chained(self, table: str, out: list[tuple], facts: bool = True, *,
                       later: bool = False) -> list[int] | Callable[[], None]:
        """Write rows :func:`_chained` made after the table's head, which no
        write has moved since it was read; returns their ids. With
        ``later``, the rows wait in a TEMP table (:meth:`_staged`), and what
        appends them — and brings their leads' facts up to date — is
        returned, to run in the same transaction before anything reads them
        (one statement and the facts' fill: for a worker thread)."""
        if not out:
            return (lambda: None) if later else []
        if table == "events" and not self.facts_current():
            # a plugin counts something new: every lead's facts first, from
            # the log before these rows (theirs are filled once, below)
            self.rebuild_facts()
        cols = f"{', '.join(CHAINED[table])}, hash"
        if later:
            move = self._staged(table, cols, out)
        else:
            self.conn.executemany(f"INSERT INTO {table}({cols}) VALUES ({', '.join('?' * len(out[0]))})", out)
        self.set_meta(f"chain:{table}", f"{out[-1][0]} {out[-1][-1]}")
        # the facts follow the log, in its transaction
        lead_ids = [r[1] for r in out] if table == "events" and facts else []
        if later:
            def append() -> None:
                move()
                if lead_ids:
                    self.fill_facts(lead_ids)

            return append
        if lead_ids:
            self.fill_facts(lead_ids)
        return [r[0] for r in out]

    def fill_facts(self, lead_ids: list[int]) -> None:
        """Bring the facts of ``lead_ids`` up to date with their logs (an id
        per event written will do: a lead counts once)."""
        _fill_facts(self.conn, self.tallies, lead_ids)

    def _trusted(self) -> str:
        """:data:`_TRUSTED`, or nothing trusted while the kept facts are not
        current (another format: a database not yet rebuilt) or the state
        rows keep their moments as text (not yet upgraded: m014)."""
        return _TRUSTED if self.facts_current() and self.state_compact() else _UNTRUSTED

    def facts_current(self) -> bool:
        """Whether the kept facts were computed under this run's tallies."""
        return self.get_meta("facts:tallies") == tallies_signature(self.tallies)

    def rebuild_facts(self) -> int:
        """Every lead's facts from the log, in one set-based pass (its own
        transaction unless inside one). Returns how many rows it wrote."""
        if not self.conn.in_transaction:
            # foreign keys off (they change only between transactions):
            # every row's lead is one of its events', which their own key
            # already holds to ``leads``, and checking the rows again cost
            # a tenth of the rebuild
            keys = self.conn.execute("PRAGMA foreign_keys").fetchone()[0]
            self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                with self.transaction():
                    return self.rebuild_facts()
            finally:
                self.conn.execute(f"PRAGMA foreign_keys = {int(keys)}")
        _fill_facts(self.conn, self.tallies)
        self.set_meta("facts:tallies", tallies_signature(self.tallies))
        return self.conn.execute("SELECT count(*) FROM facts").fetchone()[0]

    def compiled_grades(self, compiled, now: dt.datetime, industry: str,
                        lead_ids: Iterable[int] | None = None) -> dict[int, tuple]:
        """``{lead id: (score, grade[, next_follow_up, follow_up_kind])}``
        of an industry's leads at ``now`` (those of ``lead_ids``, by a scoped
        statement: a read plan's), by its compiled scorecard
        (:func:`leadcycle.engine.compile_sql`): one statement, nothing
        written. Leads with events after ``now`` are not in it (the engine
        folds what they had seen by then)."""
        from .sqlrules import bind

        ids = None if lead_ids is None else json.dumps(sorted(set(lead_ids)))
        return {row[0]: tuple(row[1:]) for row in self.conn.execute(
            compiled.sql, bind(compiled, now.isoformat(), industry, ids))}

    def facts_for(self, lead_ids: Iterable[int]) -> dict[int, dict[str, tuple]]:
        """``{lead id: {kind or @tally: (n, first_at, last_at, last_id)}}``,
        the moments as ISO text; the registration's from the lead (it keeps
        no row)."""
        ids = json.dumps(sorted(set(lead_ids)))
        out: dict[int, dict[str, tuple]] = {}
        for lead_id, at, first_id in self.conn.execute(
                f"SELECT l.id, l.created_at, (SELECT min(id) FROM events WHERE lead_id = l.id AND kind = ?) "
                f"FROM leads l WHERE l.id IN ({DIALECT['ids']})", (REGISTER, ids)):
            if first_id is not None:
                out[lead_id] = {REGISTER: (1, at, at, first_id)}
        moment = DIALECT["moment"]
        for lead_id, kind, n, first, last, last_id in self.conn.execute(
                f"SELECT f.lead_id, k.name, f.n, {moment.format(x=FIRST_AT.format(f='f'))}, "
                f"{moment.format(x='f.last_at')}, "
                "f.last_id FROM facts f JOIN fact_kinds k ON k.code = f.kind "
                f"WHERE f.lead_id IN ({DIALECT['ids']}) ORDER BY f.lead_id, k.name", (ids,)):
            out.setdefault(lead_id, {})[kind] = (n, first, last, last_id)
        return out

    @staticmethod
    def _event(row) -> Event:
        return Event(id=row[0], lead_id=row[1], kind=row[2], at=row[3], agent=row[4],
                     data=json.loads(row[5] or "{}"), note=row[6])

    def events_for(self, lead_id: int) -> list[Event]:
        return [self._event(r) for r in self.conn.execute(
            "SELECT id, lead_id, kind, at, agent, data, note FROM events WHERE lead_id = ? ORDER BY id",
            (lead_id,))]

    # ------------------------------------------------------------ state

    def _state_rows(self, states: Iterable[State], rules_version: str | None, give: bool) -> list[tuple]:
        """State rows as ``lead_state`` keeps them; ``give``: a write's, which
        gives a version its code (:meth:`version_code`)."""
        code = self.version_code
        rules = code(rules_version, give)
        return [(
            s.lead_id, s.industry, s.score, s.grade, s.stage, s.owner,
            self.day_of(s.next_follow_up), s.follow_up_kind,
            # reasons are rendered when asked (show, pool), from the rules
            # at that clock, in the reader's language: none are kept, nor a
            # derived value no list reads, nor a summary (show computes
            # them; a due list renders its own line from the kept values)
            None, _json(kept) if (kept := _kept_extra(s)) else None,
            self._stamp(s.computed_at), _iso(s.expires_at), _iso(s.owner_until), rules,
            *fold_values(s.fold, s.fold_version, lambda tag: code(tag, give)),
        ) for s in states]

    def drop_states(self, lead_ids: list[int]) -> None:
        """Delete the state rows of ``lead_ids``, for :meth:`save_new_states`
        to store them anew (``rescore``, in its transaction)."""
        self.conn.execute(f"DELETE FROM lead_state WHERE lead_id IN ({DIALECT['ids']})", (json.dumps(lead_ids),))

    def save_states(self, states: Iterable[State], rules_version: str | None = None) -> int:
        """Store projections computed by a write (or ``rescore``) under the
        rules ``rules_version``."""
        rows = self._state_rows(states, rules_version, give=True)
        cols = _STATE_COLUMNS
        if self.state_texts.coded:  # the names as their codes
            code = self.state_texts.code
            coded = [i for i, c in enumerate(cols) if c in CODED_STATE]
            cols = tuple(CODED_STATE.get(c, c) for c in cols)
            rows = [tuple(code(v) if i in coded else v for i, v in enumerate(row)) for row in rows]
        # an upsert updates the row in place: only the indexes whose columns
        # changed are touched (INSERT OR REPLACE deletes and re-inserts)
        self.conn.executemany(
            f"INSERT INTO lead_state({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))}) ON CONFLICT(lead_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]), rows)
        if rows:
            self._stored_anew([r[0] for r in rows])
        latest = max((r[10] for r in rows if r[10] is not None), default=None)
        if latest is not None:
            # the latest clock any projection was computed for: a later run
            # with an earlier --now knows it must look for those
            self._note_computed(_iso(moment_of(latest)))
        return len(rows)

    def _named(self, plan, industry: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
        """``(col, val)`` for a statement that stores state rows of
        ``industry``: the column a name is written to, and the SQL of what
        it keeps for a name (its code, :class:`StateTexts`). The names the
        statement can write are given their codes first: the industry's,
        its ladder's stages, the follow-up kinds."""
        texts = self.state_texts
        if not texts.coded:
            return (lambda name: name), (lambda x: x)
        ladder = plan.rules.stages
        texts.give([industry, *(s.name for s in (ladder.stages if ladder else ())), *FOLLOW_UP_KINDS])
        return CODED_STATE.__getitem__, coded_sql

    def save_new_states(self, plan, now: dt.datetime, industry: str, rules_version: str | None,
                        folds: list[tuple[int, Any]], *, first: Callable[[], None] | None = None,
                        meanwhile: Callable[[], None] | None = None) -> int:
        """Store the state rows of new leads of ``industry`` (an import's),
        each written once: its ownership fold (``(lead id, fold)``, folded
        under the policy ``plan.fold_version``) with what the industry's
        compiled statement computes from it and the facts at ``now`` — the
        rows :meth:`save_states` then :meth:`save_compiled` wrote, without
        writing each row twice (the update rewrote seven of the table's
        nine indexes). The statement reads the fold from ``lead_state``:
        while it runs, a TEMP table of that name holding the new folds
        stands in front of the stored table (SQLite looks an unqualified
        name up in ``temp`` first). A lead the statement leaves out is
        stored with its fold under no rules, for a read to evaluate.
        Returns how many rows the statement computed.

        ``first`` writes what the statement reads and this write has not
        yet (an import batch's facts), just before it. With ``meanwhile``
        both run in a worker thread while ``meanwhile`` runs here
        (:meth:`beside`): an import reads its next batch meanwhile."""
        from .sqlrules import bind

        col, val = self._named(plan, industry)
        computed = ("lead_id", col("industry"), "score", "grade", col("stage"), "owner", "next_follow_up",
                    col("follow_up_kind"), "reasons", "extra", "computed_at", "expires_at", "owner_until",
                    "rules_version")
        fold_cols = [c for c, _ in FOLD_COLUMNS]
        with self._folds_in_front(plan, industry, folds, functools.partial(self.version_code, give=True)) as rows:
            sql = (f"INSERT INTO main.lead_state({', '.join((*computed, *fold_cols))}) "
                   f"SELECT c.lead_id, {val('n.industry')}, c.score, c.grade, {val('c.stage')}, c.owner, "
                   f"{_DAY_OF_NFU}, {val('c.follow_up_kind')}, NULL, NULL, ?, c.expires_at, c.owner_until, ?, "
                   f"{', '.join('n.' + c for c in fold_cols)} "
                   f"FROM ({plan.statement.sql}) c JOIN temp.lead_state n ON n.lead_id = c.lead_id "
                   "ORDER BY c.lead_id")
            args = [self._stamp(now), self.version_code(rules_version, give=True),
                    *bind(plan.statement, now.isoformat(), industry, json.dumps([r[0] for r in rows]))]

            def compute() -> int:
                if first is not None:
                    first()
                return self.conn.execute(sql, args).rowcount

            done = compute() if meanwhile is None else self.beside(compute, meanwhile)
            self.conn.execute(f"INSERT OR IGNORE INTO main.lead_state(lead_id, {col('industry')}, "
                              f"{', '.join(fold_cols)}) SELECT lead_id, {val('industry')}, {', '.join(fold_cols)} "
                              "FROM temp.lead_state")
        if rows:
            self._stored_anew([r[0] for r in rows])
        if done:
            self._note_computed(_iso(now))
        return done

    # The live view. A read evaluates, for its own clock and rules, the
    # leads whose stored projection does not hold then, and lays them over
    # the stored ones in a TEMP table of this connection: the database file
    # is never written by a read, and every query of the run sees one
    # consistent answer.

    def _ensure_live(self, lay: bool = True) -> None:
        """Make the live view ready for a query. ``lay`` first lays over
        the leads an agent's list left as stored their owner at the run's
        clock (:meth:`defer_owners`): every read needs it but the overlay's
        own writes and a read by an agent's name (:meth:`_owned_by`)."""
        if not self._live_ready:
            self._create_live()
        if lay and self._deferred:
            self._lay_owners()

    def _states(self, lay: bool = True) -> str:
        """The relation a query reads the leads' states from: the live view
        once this run laid anything over the stored rows (``lay``: the
        owners an agent's list deferred, :meth:`_ensure_live`), else the
        stored table itself — a read whose leads all hold as stored creates
        nothing in the connection. An older database, whose table lacks
        some columns, is read through the view (they read as NULL)."""
        if (lay and self._deferred) or self._live_ready or not self._stored_complete():
            self._ensure_live(lay)
            return LIVE
        return "main.lead_state"

    def _state_columns(self) -> dict[str, str]:
        """``lead_state``'s columns and their declared types, read once a
        store (and again after a migration)."""
        if self._state_cols is None:  # (virtual columns too: the names of m021)
            self._state_cols = {r[1]: r[2].upper() for r in self.conn.execute("PRAGMA main.table_xinfo(lead_state)")
                                if r[6] != 1}
        return self._state_cols

    def _stored_complete(self) -> bool:
        """Whether the stored table has every column this program reads."""
        return set(_STATE_COLUMNS) <= self._state_columns().keys()

    def _create_live(self) -> None:
        # this program's columns, whatever the file has: a read does not
        # upgrade a database an older leadcycle wrote (its first write does),
        # and the columns it lacks read as NULL
        have = self._state_columns()
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS state_overlay ({', '.join(_STATE_COLUMNS)})")
        self.conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS temp.state_overlay_lead "
                          "ON state_overlay(lead_id)")
        stored = ", ".join(c if c in have else f"NULL AS {c}" for c in _STATE_COLUMNS)
        self.conn.execute(
            f"CREATE TEMP VIEW IF NOT EXISTS {LIVE} AS "
            f"SELECT {', '.join(_STATE_COLUMNS)} FROM temp.state_overlay WHERE industry IS NOT NULL UNION ALL "
            f"SELECT {stored} FROM main.lead_state WHERE lead_id NOT IN (SELECT lead_id FROM temp.state_overlay)")
        # made anew, or again after the overlay was lost (a rollback): what
        # an earlier table still holds is for another clock or other rows
        self.conn.execute("DELETE FROM temp.state_overlay")
        self._live_ready = True

    def _drop_live_view(self) -> None:
        """Before the state rows' virtual columns are made anew (names given
        new codes): the view that reads them goes, and the next read makes
        it again (and evaluates its overlay again)."""
        self.conn.execute(f"DROP VIEW IF EXISTS temp.{LIVE}")
        self._live_ready = False
        self.overlay_epoch += 1

    def _forget_run_state(self) -> None:
        """After a rollback (or a migration): the overlay may be gone, and
        so may attribute places and facts codes this run gave."""
        self._live_ready = False
        self.overlay_epoch += 1
        self.attribute_places.forget()
        self.state_texts.forget()
        self._version_codes = {}
        self.constants_epoch += 1

    def clear_overlay(self) -> None:
        if self._live_ready:
            self.conn.execute("DELETE FROM temp.state_overlay")
        self._deferred, self._deferred_at = set(), None

    def add_overlay(self, states: Iterable[State], rules_version: str | None,
                    absent: Iterable[int] = ()) -> None:
        """Lay states evaluated by a read over the stored ones, for this
        connection only; the ``absent`` leads (registered after the read's
        clock) are hidden from it."""
        self._ensure_live(lay=False)
        self.conn.executemany(
            f"INSERT OR REPLACE INTO temp.state_overlay({', '.join(_STATE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_STATE_COLUMNS))})", self._state_rows(states, rules_version, give=False))
        self.conn.executemany("INSERT OR REPLACE INTO temp.state_overlay(lead_id) VALUES (?)",
                              [(i,) for i in absent])

    def overlay_compiled(self, plan, now: dt.datetime, industry: str, lead_ids: list[int],
                         rules_version: str | None) -> set[int]:
        """Evaluate ``lead_ids`` of ``industry`` at ``now`` by the industry's
        compiled statement (:class:`leadcycle.engine.ReadPlan`) and lay them
        over the stored states for this connection, in one statement: the
        grade, score, stage and next follow-up from the facts and the
        settings, the owner from the stored ownership fold. Returns the
        leads it evaluated; the others (a fold from other rules or none,
        events after ``now``, registered after it) are left to the engine."""
        self._ensure_live(lay=False)
        return self._overlay_statement(plan, now, industry, lead_ids, rules_version,
                                       f"JOIN main.lead_state s ON s.lead_id = c.lead_id "
                                       f"WHERE s.fold_version IN ({DIALECT['ids']})",
                                       [self.fold_versions(plan.fold_version, plan.protection_days)])

    def _overlay_statement(self, plan, now: dt.datetime, industry: str, lead_ids: list[int],
                           rules_version: str | None, joins: str, join_args: list | None = None,
                           extra: str = "s.extra") -> set[int]:
        """Lay ``lead_ids`` evaluated by ``plan``'s statement (``c``) at
        ``now`` over the stored states, each with the ownership fold of the
        state row ``s`` that ``joins`` joins (and filters), and the stored
        derived values ``extra``. Returns the leads it laid."""
        from .sqlrules import bind

        ids = json.dumps(lead_ids)
        folds = [c for c, _ in FOLD_COLUMNS]
        cols = ["lead_id", "industry", "score", "grade", "stage", "owner", "next_follow_up", "follow_up_kind",
                "reasons", "extra", "computed_at", "expires_at", "owner_until", "rules_version", *folds]
        t = now.isoformat()  # to the microsecond, as the engine compares the clock with a window's end
        self.conn.execute(
            f"INSERT OR REPLACE INTO temp.state_overlay({', '.join(cols)}) "
            f"SELECT c.lead_id, ?, c.score, c.grade, c.stage, c.owner, {_DAY_OF_NFU}, c.follow_up_kind, NULL, "
            f"{extra}, ?, NULL, c.owner_until, ?, {', '.join('s.' + c for c in folds)} "
            f"FROM ({plan.statement.sql}) c {joins}",
            [industry, self._stamp(now), self.version_code(rules_version), *bind(plan.statement, t, industry, ids),
             *(join_args or [])])
        return {r[0] for r in self.conn.execute(
            f"SELECT lead_id FROM temp.state_overlay WHERE lead_id IN ({DIALECT['ids']}) AND industry = ?",
            (ids, industry))}

    @contextlib.contextmanager
    def _folds_in_front(self, plan, industry: str, folds: list[tuple[int, Any]], code: Callable[[str], Any]):
        """While the block runs, a TEMP ``lead_state`` holding ``folds``
        (``(lead id, Fold)``, folded under ``plan``'s policy; their versions
        as ``code`` keeps them) stands in front of the stored table: SQLite
        looks an unqualified name up in ``temp`` first, so a compiled
        statement reads these folds. Yields the rows it holds."""
        folded = ("lead_id", "industry", *(c for c, _ in FOLD_COLUMNS))
        rows = [(lead_id, industry, *fold_values(fold, plan.fold_version, code)) for lead_id, fold in folds]
        self.conn.execute(f"CREATE TEMP TABLE lead_state (lead_id INTEGER PRIMARY KEY, {', '.join(_STATE_COLUMNS[1:])})")
        try:
            self.conn.executemany(f"INSERT INTO temp.lead_state({', '.join(folded)}) "
                                  f"VALUES ({', '.join('?' * len(folded))})", rows)
            yield rows
        finally:
            self.conn.execute("DROP TABLE temp.lead_state")

    def overlay_refolded(self, plan, now: dt.datetime, industry: str, folds: list[tuple[int, Any]],
                         rules_version: str | None) -> set[int]:
        """Evaluate leads of ``industry`` whose stored ownership fold a read
        cannot trust (another protection period changed their lapse tests,
        another program folded them) by the compiled statement, as
        :meth:`overlay_compiled` does, from ``folds``: ``(lead id, Fold)``
        of each lead's log folded again by the read (none of it after
        ``now``). The fold is the only per-lead work in Python; the
        statement reads it, as an import's (:meth:`save_new_states`), from
        a TEMP ``lead_state`` standing in front of the stored table while
        it runs. Returns the leads it evaluated."""
        if not folds:
            return set()
        self._ensure_live(lay=False)
        # a read gives no version a code: a tag not yet kept is UNKNOWN_VERSION
        with self._folds_in_front(plan, industry, folds, self.version_code):
            return self._overlay_statement(plan, now, industry, [i for i, _ in folds], rules_version,
                                           "JOIN temp.lead_state s ON s.lead_id = c.lead_id "
                                           "LEFT JOIN main.lead_state m ON m.lead_id = c.lead_id", extra="m.extra")

    @staticmethod
    def _state(row: dict) -> State:
        nfu = row.get("next_follow_up")
        return State(
            lead_id=row["lead_id"], industry=row["industry"], score=row["score"],
            grade=row["grade"], stage=row["stage"], owner=row["owner"],
            next_follow_up=date_of(nfu),
            follow_up_kind=row["follow_up_kind"],
            reasons=[Reason.from_json(r) for r in json.loads(row["reasons"] or "[]")],
            extra=(extra := json.loads(row["extra"] or "{}")), kept=tuple(extra),  # what was stored is read
            computed_at=moment_of(row["computed_at"]),
            expires_at=dt.datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None,
            owner_until=dt.datetime.fromisoformat(row["owner_until"]) if row.get("owner_until") else None,
        )

    def get_state(self, lead_id: int) -> State | None:
        """The lead's projection as this run sees it (stored, or evaluated
        by the last ``LeadBook.refresh``; its owner now, if an agent's list
        left it as stored: :meth:`defer_owners`)."""
        if self._deferred:  # this lead only: a point read stays one
            self._ensure_live(lay=False)
            self._lay_owners(lead_id)
        rows = list(self.db.query(f"SELECT * FROM {self._states(lay=False)} WHERE lead_id = ?", [lead_id]))
        return self._state(rows[0]) if rows else None

    def stale_lead_ids(self, now: dt.datetime, rules_version: str | None,
                       settled: tuple[str, list] | None = None) -> list[int]:
        """Leads whose stored projection does not hold at ``now`` under the
        rules ``rules_version``: the clock has overtaken it, it was computed
        for a later clock, or under other rules (settings changed, a plugin
        added, a ``rescore`` killed half-way) — through indexes, but for the
        rare run with an earlier clock than some stored projection. One
        agent's list needs fewer: :meth:`agent_stale`; a list by grade or a
        due list leaves out the ``settled`` ones (:func:`settled_sql`)."""
        t, stamp = _iso(now), self._stamp(now)
        rules_version = self.version_code(rules_version)
        stale = {r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE expires_at <= ?", (t,))}  # by index
        stale.update(r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE rules_version < ? UNION ALL "
            "SELECT lead_id FROM lead_state WHERE rules_version > ? UNION ALL "
            "SELECT lead_id FROM lead_state WHERE rules_version IS NULL", (rules_version, rules_version)))
        if self._later_than(t):  # rare: a run with an earlier --now
            stale.update(r[0] for r in self.conn.execute("SELECT lead_id FROM lead_state WHERE computed_at > ?",
                                                          (stamp,)))
        if settled is not None and stale:
            stale -= {r[0] for r in self.conn.execute(
                f"SELECT s.lead_id FROM lead_state s WHERE s.lead_id IN ({DIALECT['ids']}) "
                f"AND {self._trusted()} AND {settled[0]}", [json.dumps(sorted(stale)), rules_version, stamp,
                                                            *settled[1]])}
        return sorted(stale)

    def agent_stale(self, now: dt.datetime, rules_version: str | None, agent: str,
                    plans: Mapping[str, tuple[str, int]],
                    settled: tuple[str, list] | None = None) -> list[int]:
        """The leads one agent's list at ``now`` must evaluate, found in SQL
        from the agent's own rows: those the agent may own at ``now`` whose
        stored projection does not hold.

        ``plans`` gives, per industry whose reads compile, the signature its
        stored folds must carry and the protection period: a lead of such an
        industry with a trusted fold, computed for an earlier clock, has its
        owner at ``now`` computed by :func:`~leadcycle.sqlrules.owner_sql`
        and is evaluated only when that owner is the agent. The others (no
        compiled reads, a fold from other rules or none, a stored row from a
        later clock) are evaluated when stale.

        The candidates come through indexes. Under unchanged rules a lead the
        agent may own now is stored with them as owner or as the receiver of
        an open recognition window, because the stored owner was computed at
        an earlier clock, and a lapse is not undone by time alone; of the
        leads stored as theirs, those whose stored protection ran out by
        ``now`` (``owner_until``, by the (owner, owner_until) index, as the
        list's floor reads it) are left out when their fold is trusted: the
        clock gave them to the pool or to a window's receiver, who is not the
        agent (:meth:`defer_owners`), so the work does not grow with the
        leads the clock took from the agent. Under changed rules (another
        protection period, say) any lead whose fold names them, and every
        lead whose fold the new rules do not trust; always, every lead stored
        without a fold (an entry of it came after the clock its row was
        computed for: only the engine can tell who has it once that entry
        counts)."""
        t, v, exact, stamp = _iso(now), self.version_code(rules_version), now.isoformat(), self._stamp(now)
        plans = self._coded(plans)
        untrusted, untrusted_args = [], []
        for industry, (versions, _) in sorted(plans.items()):
            untrusted.append(f"SELECT lead_id FROM lead_state WHERE {_OTHER_RULES} AND +industry = ? "
                             f"AND coalesce(fold_version NOT IN ({DIALECT['ids']}), 1)")
            untrusted_args += [v, v, industry, versions]
        trusted, trusted_args = _trusted_folds(plans)
        (owner_now, owner_args), _ = _owners_at(plans, now)
        trust = f"{trusted} AND s.computed_at <= ?" if plans else "0"
        # rows the list cannot show, whatever the clock did to them (a list
        # by grade, a due list: :func:`settled_sql`)
        # (coalesce: a test on a NULL grade is NULL, and NOT NULL would drop the row)
        unsettled, unsettled_args = (f" AND NOT coalesce({self._trusted()} AND {settled[0]}, 0)",
                                     [v, stamp, *settled[1]]) \
            if settled is not None else ("", [])
        later = self._later_than(t)
        # the agent's rows of an industry whose reads do not compile: only
        # the engine tells their owner, whatever their stored protection says
        python = sorted(set(self.enabled_industries()) - set(plans))
        branches = ["SELECT lead_id FROM lead_state WHERE owner = ? AND owner_until > ?",
                    "SELECT lead_id FROM lead_state WHERE owner = ? AND owner_until IS NULL",
                    f"SELECT lead_id FROM lead_state WHERE owner = ? AND owner_until <= ? "
                    f"AND +industry IN ({', '.join('?' * len(python))})" if python else None,
                    "SELECT lead_id FROM lead_state WHERE fold_window_to = ?",
                    "SELECT lead_id FROM lead_state WHERE fold_version IS NULL",
                    f"SELECT lead_id FROM lead_state WHERE {_OTHER_RULES} AND +fold_owner = ?",
                    "SELECT lead_id FROM lead_state WHERE computed_at > ?" if later else None,
                    *untrusted]
        branch_args = [agent, exact, agent, *([agent, exact, *python] if python else []), agent, v, v, agent,
                       *([stamp] if later else []), *untrusted_args]
        # a row that holds at ``now`` holds its owner too: the owner is
        # computed for the stale ones only
        # (the stale rows alone, read in place: copying every candidate's
        # row into a materialised table was a third of the query)
        sql = (f"WITH mine AS ({' UNION '.join(b for b in branches if b)}), "
               f"rows AS (SELECT {', '.join('s.' + c for c in _AGENT_COLUMNS)} "
               "FROM mine JOIN lead_state s ON s.lead_id = mine.lead_id "
               "WHERE s.expires_at <= ? OR s.rules_version IS NOT ? OR s.computed_at > ?) "
               f"SELECT s.lead_id FROM rows s WHERE 1{unsettled} "
               # a row stored under other rules names an owner and the end of
               # their protection by those rules (another period, say): the
               # list cannot go by it, so it is evaluated
               f"AND (NOT coalesce({trust}, 0) OR {owner_now} IS ? OR (s.rules_version IS NOT ? AND s.owner IS ?))")
        rows = self.conn.execute(sql, [*branch_args, t, v, stamp, *unsettled_args, *trusted_args,
                                       *([stamp] if plans else []), *owner_args, agent, v, agent])
        return sorted(r[0] for r in rows)

    def defer_owners(self, plans: Mapping[str, tuple[str, int]], now: dt.datetime, agent: str) -> None:
        """``agent``'s list at ``now`` was evaluated alone (:meth:`agent_stale`):
        their stored leads the clock took away keep their stored rows. A
        read by an agent's name leaves them out, as their stored protection
        ran out by ``now`` (:meth:`_owned_by`); any other read first lays
        their owner at ``now`` over them (:meth:`_lay_owners`) — work that
        grows with their number, which lists and due lists by agent never do."""
        self._deferred.add(agent)
        self._deferred_at = (now, plans)

    def _note_computed(self, at: str) -> None:
        """Stored projections were computed for the clock ``at``: the latest
        such clock is what :meth:`_later_than` reads."""
        self.conn.execute("INSERT INTO meta(key, value) VALUES ('max_computed_at', ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)", (at,))

    def settle_computed_at(self) -> None:
        """Record the latest clock any stored projection was computed for
        (after a ``rescore``, which may have rewritten every row for an
        earlier clock): a read before it checks for rows from its future."""
        self.conn.execute("DELETE FROM meta WHERE key = 'max_computed_at'")
        latest = self.conn.execute("SELECT max(computed_at) FROM lead_state").fetchone()[0]
        if latest is not None:
            self._note_computed(_iso(moment_of(latest)))

    def _later_than(self, t: str) -> bool:
        """Whether some stored projection was computed for a clock after ``t``."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'max_computed_at'").fetchone()
        return row is not None and row[0] is not None and row[0] > t

    def _lay_owners(self, lead_id: int | None = None) -> None:
        """Lay over the deferred agents' stored rows (or ``lead_id``'s, if it
        is one) whose protection ran out by the run's clock their owner at
        that clock and the end of its protection, computed from the trusted
        stored fold (:meth:`defer_owners`): the rest of each row is the
        stored one, which a full evaluation (the next
        :meth:`LeadBook.refresh` without an agent) replaces."""
        now, plans = self._deferred_at
        plans = self._coded(plans)
        agents = sorted(self._deferred)
        (owner, owner_args), (until, until_args) = _owners_at(plans, now)
        trusted, trusted_args = _trusted_folds(plans)
        cols = [c for c in _STATE_COLUMNS if c not in ("owner", "owner_until")]
        one = "s.lead_id = ? AND " if lead_id is not None else ""
        self.conn.execute(
            f"INSERT OR REPLACE INTO temp.state_overlay({', '.join(cols)}, owner, owner_until) "
            f"SELECT {', '.join('s.' + c for c in cols)}, {owner}, {until} FROM main.lead_state s "
            f"WHERE {one}s.owner IN ({', '.join('?' * len(agents))}) AND s.owner_until <= ? "
            f"AND {trusted} AND s.computed_at <= ? AND s.lead_id NOT IN (SELECT lead_id FROM temp.state_overlay)",
            [*owner_args, *until_args, *([lead_id] if lead_id is not None else []), *agents, now.isoformat(),
             *trusted_args, self._stamp(now)])
        if lead_id is None:
            self._deferred = set()

    def _owned_by(self, owner: str) -> tuple[str, list]:
        """``s.owner = owner`` over the live view, as SQL and its arguments,
        without the stored rows an agent's list left as they were whose
        owner's protection ran out by the run's clock (:meth:`defer_owners`):
        the floor's ``owner_until`` test, through the (owner, owner_until)
        index. A row the run evaluated, or that holds at its clock, keeps
        its owner past the clock: the test leaves it in."""
        if not self._deferred:
            return "s.owner = ?", [owner]
        # two ranges of the index, each a term of its own (an OR inside one
        # term would scan every row the agent was ever stored with)
        return ("((s.owner = ? AND s.owner_until > ?) OR (s.owner = ? AND s.owner_until IS NULL))",
                [owner, self._deferred_at[0].isoformat(), owner])

    def save_compiled(self, plan, now: dt.datetime, industry: str, rules_version: str | None) -> int:
        """Store every lead of ``industry`` evaluated at ``now`` by its
        compiled statement (``rescore``; an import's new leads go through
        :meth:`save_new_states`), in one statement: the leads whose stored
        ownership fold is current and that have no entry after ``now``. A
        row holds until the clock alone would change it (a day count
        crossing a band, the owner's protection ending). Returns how many
        rows it wrote."""
        from .sqlrules import bind

        col, val = self._named(plan, industry)
        statement, args = plan.everyone, bind(plan.everyone, now.isoformat(), industry)
        cur = self.conn.execute(
            f"UPDATE lead_state SET score = c.score, grade = c.grade, {col('stage')} = {val('c.stage')}, "
            f"owner = c.owner, next_follow_up = {_DAY_OF_NFU}, {col('follow_up_kind')} = {val('c.follow_up_kind')}, "
            "reasons = NULL, "
            "computed_at = ?, expires_at = c.expires_at, owner_until = c.owner_until, "
            f"rules_version = ? FROM ({statement.sql}) c "
            f"WHERE lead_state.lead_id = c.lead_id AND lead_state.fold_version IN ({DIALECT['ids']})",
            [self._stamp(now), self.version_code(rules_version, give=True), *args,
             self.fold_versions(plan.fold_version, plan.protection_days)])
        if cur.rowcount:
            self._note_computed(_iso(now))
            self._stored_anew(None)
        return cur.rowcount

    def _stored_anew(self, lead_ids: list[int] | None) -> None:
        """Rows a write stored (every lead's when None) are newer than this
        run's overlay, and computed for the write's clock, not the reads':
        their overlay rows go, and the next read starts its overlay afresh
        (:attr:`overlay_epoch`), since what it held as settled may now not be."""
        if not self._live_ready:
            return
        if lead_ids is None:
            self.conn.execute("DELETE FROM temp.state_overlay")
        else:
            self.conn.executemany("DELETE FROM temp.state_overlay WHERE lead_id = ?", [(i,) for i in lead_ids])
        self.overlay_epoch += 1

    def leads_not_computed(self, industry: str | None, rules_version: str | None, now: dt.datetime,
                           batch_size: int = 1000, after: int = 0) -> Iterator[list[int]]:
        """Leads (of ``industry``, with ids above ``after``) without a state
        computed at ``now`` under the rules ``rules_version``, ``batch_size``
        ids at a time in id order: what ``rescore`` leaves to the engine
        after the compiled statements (one page in memory at a time). A
        lead registered after ``now`` keeps the row its registration stored
        (computed for a later clock, which a read at ``now`` knows to leave
        out): a row for ``now`` would show it to such a read."""
        sql = ("SELECT l.id FROM leads l LEFT JOIN lead_state s ON s.lead_id = l.id WHERE l.id > ? "
               + ("AND l.industry = ? " if industry is not None else "")
               + "AND (s.lead_id IS NULL OR ((s.rules_version IS NOT ? OR s.computed_at IS NOT ?) "
               "AND l.created_at <= ?)) ORDER BY l.id LIMIT ?")
        while True:
            args = [after, *([industry] if industry is not None else []), self.version_code(rules_version),
                    self._stamp(now), _iso(now), batch_size]
            ids = [r[0] for r in self.conn.execute(sql, args)]
            if not ids:
                return
            yield ids
            after = ids[-1]

    def folds_ready(self) -> bool:
        """Whether this database keeps the ownership fold as this program
        reads it (migrations m010 and m014: a read of a database not yet
        upgraded evaluates in Python)."""
        return "fold_version" in self._state_columns() and self.state_compact()

    def state_compact(self) -> bool:
        """Whether ``lead_state`` keeps its moments as seconds since 1970
        (migration m014), not as ISO text."""
        return self._state_columns().get("computed_at") == "INTEGER"

    def version_code(self, tag: str | None, give: bool = False) -> int | str | None:
        """The code ``lead_state`` keeps the version ``tag`` under
        (:data:`VERSIONS_TABLE`). A write gives a new tag its code
        (``give``); for a read a tag without one is :data:`UNKNOWN_VERSION`,
        which no row has. A database not yet upgraded (m014) keeps tags."""
        if tag is None or not self.state_compact():
            return tag
        code = self._version_codes.get(tag)
        if code is None:
            row = self.conn.execute("SELECT code FROM versions WHERE tag = ?", (tag,)).fetchone()
            if row is None:
                if not give:
                    return UNKNOWN_VERSION
                row = (self.conn.execute("INSERT INTO versions(tag) VALUES (?)", (tag,)).lastrowid,)
            code = self._version_codes[tag] = row[0]
        return code

    def _coded(self, plans: Mapping[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
        """Compiled reads' plans (industry → (fold signature, days)) with
        each signature as the versions of the stored folds that hold under
        it and those days (:meth:`fold_versions`)."""
        return {industry: (self.fold_versions(version, days), days) for industry, (version, days) in plans.items()}

    def fold_versions(self, signature: str, days: int) -> str:
        """The versions, as the state rows keep them (a JSON list), of the
        stored ownership folds that are the ones their logs give under the
        policy of ``signature`` with a protection period of ``days``
        (:func:`~leadcycle.model.fold_tag_holds`): a changed period leaves
        the folds good whose every lapse test between entries comes out the
        same. A database not yet upgraded (m014) keeps tags; its folds were
        stored before folds kept their periods."""
        if not self.state_compact():
            return json.dumps([signature])
        rows = self.conn.execute("SELECT code, tag FROM versions WHERE tag = ? OR substr(tag, 1, ?) = ?",
                                 (signature, len(signature) + 1, signature + "/"))
        return json.dumps([c for c, tag in rows if fold_tag_holds(tag, signature, days)])

    def _tag_of(self, column: str) -> str:
        """SQL for the version tag of a state row's ``column`` (a code, or
        the tag itself in a database not yet upgraded)."""
        if not self.state_compact():
            return column
        return f"(SELECT tag FROM versions WHERE code = {column})"

    def _fold_columns(self) -> str:
        """SQL for a stored row ``s``'s ``FOLD_COLUMNS``, its policy's
        version as the tag (what :func:`fold_values` compares with)."""
        return ", ".join(self._tag_of("s.fold_version") if c == "fold_version" else f"s.{c}"
                         for c, _ in FOLD_COLUMNS)

    def day_of(self, day: dt.date | None) -> int | str | None:
        """A date as ``lead_state.next_follow_up`` keeps it: days since 1970
        (:meth:`state_compact`), else ISO text."""
        if day is None:
            return None
        return day_count(day) if self.state_compact() else day.isoformat()

    def _nfu_text(self) -> str:
        """SQL for a state row's next follow-up as ISO text, named as the
        column (what rows hand on: the API's, the CLI's)."""
        if not self.state_compact():
            return "s.next_follow_up"
        return f"{DIALECT['date'].format(x='s.next_follow_up')} AS next_follow_up"

    def _stamp(self, now: dt.datetime | None) -> int | str | None:
        """A clock as ``lead_state.computed_at`` keeps it (:meth:`state_compact`)."""
        if now is None:
            return None
        return epoch_of(now) if self.state_compact() else _iso(now)

    def constants(self) -> Constants:
        """The attribute places and facts codes given so far, for compiled
        statements to name as literals (:class:`~leadcycle.sqlrules.Constants`)."""
        places = tuple(self.conn.execute("SELECT key, position FROM attribute_keys")) \
            if self.attributes_placed() else ()
        codes = tuple(self.conn.execute("SELECT name, code FROM fact_kinds")) \
            if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fact_kinds'").fetchone() else ()
        return Constants(places, codes, columns=self.attribute_places.columns, identity=self.identity_coded())

    def attributes_placed(self) -> bool:
        """Whether this database keeps attributes at their keys' places
        (migration m013: a read of a database not yet upgraded reads the
        objects it has, and evaluates in Python)."""
        if self._placed is None:
            self._placed = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                             "AND name = 'attribute_keys'").fetchone() is not None
        return self._placed

    def attribute_sql(self, key: str, col: str = "l.attributes") -> str:
        """SQL for a lead's attribute ``key``, as this database keeps them."""
        if self.attributes_placed():
            places = self.attribute_places
            if places.columns:
                places._read()
                return attribute_sql(col, key, places.places.get(key), columns=True)
            return attribute_sql(col, key)
        return DIALECT["json"].format(col=col, key=key)

    def industries_of(self, lead_ids: list[int]) -> dict[str, list[int]]:
        """``{industry: [lead id…]}`` for ``lead_ids``."""
        out: dict[str, list[int]] = {}
        for lead_id, industry in self.conn.execute(
                f"SELECT id, industry FROM leads WHERE id IN ({DIALECT['ids']}) ORDER BY id",
                (json.dumps(lead_ids),)):
            out.setdefault(industry, []).append(lead_id)
        return out

    def query_leads(self, industry: str | None = None, grade: str | None = None,
                    stage: str | None = None, owner: str | None = None, pool: bool = False,
                    limit: int | None = None, q: tuple[str, str] | None = None,
                    attributes: bool = True, also: Iterable[int] = ()) -> Iterator[dict]:
        """Leads with their live state, filtered; ``q`` is a search as
        :func:`leadcycle.search.classify` reads it (``("phone", "8000")``),
        which the leads ``also`` pass whatever they are called (the caller
        matches them on what they were at its clock).
        Each row's ``attributes`` is the object's JSON text, unless
        ``attributes`` is false (the row then has none: turning a stored
        list into the object costs about 10 µs a row)."""
        states = self._states(lay=owner is None)
        where, args = [], []
        for col, val in (("s.industry", industry), ("s.grade", grade), ("s.stage", stage)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if owner is not None:
            mine, more = self._owned_by(owner)
            where.append(mine)
            args += more
        if pool:
            where.append("s.owner IS NULL")
        also = sorted(set(also)) if q is not None else []
        if q is not None:
            match = _SEARCH[q[0]][0].replace("?1", "?")
            where.append(f"({match} OR l.id IN (SELECT value FROM json_each(?)))" if also else match)
            args += [q[1], json.dumps(also)] if also else [q[1]]
        sql = ("SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, "
               f"l.attributes, s.score, s.grade, s.stage, s.owner, {self._nfu_text()}, s.follow_up_kind, "
               "coalesce(s.reasons, '[]') AS reasons, coalesce(s.extra, '{}') AS extra "
               f"FROM leads l JOIN {states} s ON s.lead_id = l.id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY l.id"
        if limit:
            sql += f" LIMIT {int(limit) + len(also)}"
        if not attributes:
            for row in self.db.query(sql, args):
                del row["attributes"]
                yield row
            return
        as_object = self.attribute_places.object_text
        for row in self.db.query(sql, args):
            row["attributes"] = as_object(row["attributes"])
            yield row

    def due_rows(self, until: dt.date, owner: str | None = None) -> list[dict]:
        """Leads whose next follow-up falls on or before ``until``, through
        the ``(owner, next_follow_up)`` index — or, after an agent's list
        left the leads the clock took from them as stored
        (:meth:`defer_owners`), through the agent's rows whose protection
        runs past the clock (``(owner, owner_until)``): a lead the clock took
        keeps its stored follow-up, long overdue, so the first index would
        go through every one of them."""
        states = self._states(lay=owner is None)
        mine, more = self._owned_by(owner) if owner is not None else (None, [])
        due = "+s.next_follow_up" if mine is not None and self._deferred else "s.next_follow_up"  # +: no index
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               f"{self._nfu_text()}, s.follow_up_kind, s.score, s.extra FROM {states} s "
               f"JOIN leads l ON l.id = s.lead_id WHERE {due} <= ?")
        args: list = [self.day_of(until)]
        if mine is not None:
            sql += f" AND {mine}"
            args += more
        return list(self.db.query(sql, args))

    def lapsing_rows(self, after: dt.datetime, until: dt.datetime, owner: str | None = None,
                     industry: str | None = None, now: dt.datetime | None = None) -> list[dict]:
        """Owned leads whose protection period ends (``owner_until``) in
        ``(after, until]``, through the ``(owner, owner_until)`` index: one
        range per owner (every agent when ``owner`` is None). A lead whose
        recognition window is open at ``now`` is not among them: its owner
        holds it to the window's end, which is no protection period's."""
        states = self._states(lay=owner is None)
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               f"s.owner_until, {self._nfu_text()} FROM {states} s JOIN leads l ON l.id = s.lead_id "
               "WHERE s.owner_until > ? AND s.owner_until <= ? AND NOT coalesce(s.fold_window_until >= ?, 0)")
        args: list = [_iso(after), _iso(until), (now or after).isoformat()]
        if owner is not None:
            mine, more = self._owned_by(owner)
            sql += f" AND {mine}"
            args += more
        else:
            sql += " AND s.owner IN (SELECT name FROM agents)"
        if industry is not None:
            sql += " AND s.industry = ?"
            args.append(industry)
        return list(self.db.query(sql + " ORDER BY s.owner_until, l.id", args))

    def owner_changes(self, agent: str, rule: str, since: dt.datetime, until: dt.datetime) -> int:
        """How many ``owner`` entries by ``agent`` under ``rule`` were
        logged in ``[since, until)`` (a day's claims), through the
        ``(kind, at)`` index."""
        return self.conn.execute(
            "SELECT count(*) FROM events WHERE kind = 'owner' AND agent = ? AND at >= ? AND at < ? "
            f"AND {DIALECT['json'].format(col='data', key='rule')} = ?",
            (agent, _iso(since), _iso(until), rule)).fetchone()[0]

    def leads_with_kinds(self, kinds: Iterable[str], since: dt.datetime | None, until: dt.datetime) -> list[int]:
        """The leads with an entry of ``kinds`` logged between ``since``
        (the beginning when None) and ``until``, in id order."""
        kinds = list(kinds)
        return [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT lead_id FROM events WHERE kind IN ({', '.join('?' * len(kinds))}) "
            "AND at <= ? AND at >= ? ORDER BY lead_id",
            (*kinds, _iso(until), _iso(since or dt.datetime.min)))]

    def kind_events(self, kind: str, industry: str | None = None,
                    until: dt.datetime | None = None) -> list[dict]:
        """Every event of ``kind`` (through the ``(kind, at)`` index) up to
        ``until``, with its lead's industry, name and folded attributes —
        but those voided by then (``leadcycle void``: a returned unit is no
        sale), looked up through the ``(lead_id, id)`` index."""
        voided = ("SELECT 1 FROM events v WHERE v.lead_id = e.lead_id AND v.id > e.id AND v.kind = 'void' "
                  "AND json_extract(v.data, '$.event') = e.id")
        sql = ("SELECT e.id, e.lead_id, e.at, e.agent, e.data, l.industry, l.name, l.attributes "
               "FROM events e JOIN leads l ON l.id = e.lead_id WHERE e.kind = ?")
        args: list = [kind]
        if until is not None:
            sql += " AND e.at <= ?"
            voided += " AND v.at <= ?"
            args.append(_iso(until))
        sql += f" AND NOT EXISTS ({voided})"
        if until is not None:
            args.append(_iso(until))
        if industry is not None:
            sql += " AND l.industry = ?"
            args.append(industry)
        return [{"id": r[0], "lead_id": r[1], "at": dt.datetime.fromisoformat(r[2]), "agent": r[3],
                 "data": json.loads(r[4] or "{}"), "industry": r[5], "name": r[6],
                 "attributes": self.attribute_places.decode(r[7])}
                for r in self.conn.execute(sql + " ORDER BY e.at, e.id", args)]

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    def leads_logged_after(self, now: dt.datetime, industry: str | None = None) -> set[int]:
        """The leads (of ``industry``) with an entry logged after ``now``:
        the lead row keeps their latest identity and attributes, so a read
        at ``now`` folds theirs from the entries it sees. Through the log's
        (kind, at) index, kind by kind (the log itself while the kinds in
        ``fact_kinds`` are not current)."""
        # "+": the leads of the entries found, not every lead of the
        # industry through an index
        by_industry = " AND +l.industry = ?" if industry is not None else ""
        if self.facts_current():
            latest = self.conn.execute(  # the log's last moment, kind by kind through the (kind, at) index
                "SELECT max((SELECT max(at) FROM events WHERE kind = k.name)) FROM fact_kinds k").fetchone()[0]
            if latest is None or latest <= _iso(now):
                return set()  # a read at the present: nothing was logged after it
            sql = ("SELECT DISTINCT e.lead_id FROM fact_kinds k CROSS JOIN events e ON e.kind = k.name AND e.at > ? "
                   f"JOIN leads l ON l.id = e.lead_id WHERE 1{by_industry}")
            args: list = [_iso(now)]
        else:
            sql = f"SELECT DISTINCT e.lead_id FROM events e JOIN leads l ON l.id = e.lead_id WHERE e.at > ?{by_industry}"
            args = [_iso(now)]
        return {r[0] for r in self.conn.execute(sql, args + ([industry] if industry is not None else []))}

    def leads_reidentified_after(self, now: dt.datetime) -> set[int]:
        """The leads whose name or phone may differ from their row at
        ``now``: those with a change or a void logged after it (through
        the (kind, at) index; a few at any clock)."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT lead_id FROM events WHERE kind IN ('set', 'void') AND at > ?", (_iso(now),))}

    def date_attribute_passed(self, industry: str, key: str, day: dt.date, owner: str | None = None) -> list[dict]:
        """Leads of ``industry`` (with their live grade and owner) whose date
        attribute ``key`` is before ``day``, as ``day`` (its ISO date)."""
        states = self._states(lay=owner is None)
        attr = self.attribute_sql(key)
        sql = (f"SELECT l.id, l.name, l.phone, s.grade, s.owner, date({attr}) AS day FROM {states} s "
               f"JOIN leads l ON l.id = s.lead_id WHERE s.industry = ? AND date({attr}) < ?")
        args: list = [industry, day.isoformat()]
        if owner is not None:
            mine, more = self._owned_by(owner)
            sql += f" AND {mine}"
            args += more
        return list(self.db.query(sql + " ORDER BY l.id", args))

    def states_with_extra_flag(self, industry: str, path: str, owner: str | None = None) -> list[dict]:
        """Leads of ``industry`` whose projection's ``extra`` is true at the
        JSON ``path`` (``$.x_account.change_due``): the items a plugin's due
        list or review acts on, through the (industry, …) or (owner, …)
        index rather than a scan of every lead."""
        states = self._states(lay=owner is None)
        sql = (f"SELECT l.id, l.name, l.phone, s.grade, s.owner, s.extra FROM {states} s "
               "JOIN leads l ON l.id = s.lead_id WHERE s.industry = ? AND json_extract(s.extra, ?) = 1")
        args: list = [industry, path]
        if owner is not None:
            mine, more = self._owned_by(owner)
            sql += f" AND {mine}"
            args += more
        return list(self.db.query(sql + " ORDER BY l.id", args))

    def grade_counts(self) -> list[tuple[str, str | None, int]]:
        states = self._states()
        return list(self.conn.execute(
            f"SELECT industry, grade, count(*) FROM {states} GROUP BY industry, grade ORDER BY industry, grade"))

    def summary_counts(self, column: str) -> list[tuple]:
        states = self._states()
        if column not in ("grade", "stage", "owner"):
            raise ValueError(column)
        return list(self.conn.execute(
            f"SELECT industry, {column}, count(*) FROM {states} GROUP BY industry, {column} "
            f"ORDER BY industry, {column}"))

    # ----------------------------------------------------------- import

    def imported_keys(self, keys: list[str], run: str) -> set[str]:
        """Which of these row keys (:func:`leadcycle.io.row_key`'s hex) an
        earlier import run committed; rows this ``run`` recorded are not
        among them (a row repeated in one file is merged, not skipped)."""
        this = self._import_run(run)
        raw = {_ledger_key(k): k for k in keys}
        blobs = list(raw)
        out: set[str] = set()
        for i in range(0, len(blobs), 900):
            chunk = blobs[i:i + 900]
            out.update(raw[r[0]] for r in self.conn.execute(
                f"SELECT key FROM imported_rows WHERE key IN ({','.join('?' * len(chunk))}) AND run IS NOT ?",
                [*chunk, this]))
        return out

    def _import_run(self, run: str) -> int | None:
        """The number ``import_runs`` gave this run, once it wrote a row."""
        row = self.conn.execute("SELECT id FROM import_runs WHERE run = ?", (run,)).fetchone()
        return None if row is None else row[0]

    def leads_by_phones(self, industry: str, phones: Iterable[str]) -> list[tuple[int, str, str]]:
        """``(id, phone, name)`` of the leads with any of ``phones``, by id."""
        phones = list(set(phones))
        out: list[tuple[int, str, str]] = []
        for i in range(0, len(phones), 900):
            chunk = phones[i:i + 900]
            out.extend(self.conn.execute(
                f"SELECT id, phone, name FROM leads WHERE industry = ? AND phone IN ({','.join('?' * len(chunk))})",
                [industry, *chunk]))
        return sorted(out)

    def last_event_at(self, lead_ids: Iterable[int]) -> dict[int, dt.datetime]:
        ids = list(set(lead_ids))
        out = {}
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            for lead_id, at in self.conn.execute(
                    f"SELECT lead_id, max(at) FROM events WHERE lead_id IN ({','.join('?' * len(chunk))}) "
                    "GROUP BY lead_id", chunk):
                out[lead_id] = dt.datetime.fromisoformat(at)
        return out

    def visit_days(self, lead_ids: Iterable[int]) -> set[tuple[int, str]]:
        """``(lead_id, at)`` of every registration and visit of these leads."""
        ids = list(set(lead_ids))
        out: set[tuple[int, str]] = set()
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            out.update(self.conn.execute(
                f"SELECT lead_id, at FROM events WHERE lead_id IN ({','.join('?' * len(chunk))}) "
                "AND kind IN ('register', 'visit', 'call')", chunk))
        return out

    def next_lead_id(self) -> int:
        """The next free lead id (call inside a transaction: the write lock is held)."""
        return (self.conn.execute("SELECT max(id) FROM leads").fetchone()[0] or 0) + 1

    def insert_leads_bulk(self, leads: list[Lead], meanwhile: Callable[[], None] | None = None,
                          also: Callable[[], None] | None = None) -> None:
        """Insert leads that carry their ids (from :meth:`next_lead_id`).

        With ``meanwhile``, this thread writes the rows into a TEMP table,
        which has no index to keep (under half the time), and one statement
        in a worker thread moves them into ``leads`` while ``meanwhile``
        runs here (:meth:`beside`): an import makes its batch's events
        ready meanwhile. ``also``: more statements for the worker, after
        the move (an import's ledger rows)."""
        values, code = self.attribute_places.values, self.state_texts.code
        rows = [[lead.id, code(lead.industry), lead.name, lead.gender, lead.phone, lead.need,
                 created_value(lead.created_at), search_key(lead.name), *values(lead.attributes)] for lead in leads]
        n = len(self.attribute_places.keys)  # every key of the batch placed: one width for all its rows
        for row in rows:
            if len(row) < 8 + n:  # placed before a later lead's new key
                row += [None] * (8 + n - len(row))
        cols = f"id, industry_c, name, gender, phone, need, created, search{self._attribute_columns(n)}"
        if meanwhile is None or not rows:
            self.conn.executemany(f"INSERT INTO leads({cols}) VALUES ({', '.join('?' * (8 + n))})", rows)
            if also is not None:
                also()
            if meanwhile is not None:
                meanwhile()
            return
        move = self._staged("leads", cols, rows)

        def work() -> None:
            move()
            if also is not None:
                also()

        self.beside(work, meanwhile)

    def insert_leads_and_events(self, leads: list[Lead], events: list[Event],
                                texts: Mapping[int, str] | None = None,
                                meanwhile: Callable[[], None] | None = None,
                                also: Callable[[], None] | None = None) -> Callable[[], None]:
        """Write an import batch's new leads (with their ids) and make its
        events ready to append, in order and chained as one run: their
        stored values and chain are made while the leads are written
        (:meth:`insert_leads_bulk`), and they wait in a TEMP table. Returns
        what appends them and brings their leads' facts up to date, to run
        in the same transaction before anything reads the events or the
        facts: one statement and the facts' fill, for a worker thread while
        the import reads its next batch (:meth:`LeadBook._project_new
        <leadcycle.LeadBook._project_new>`). ``texts``: the data of some
        events (by their place in ``events``) as :func:`data_text` made it
        already (an import makes its rows' registrations as it reads them,
        beside the statements of the batch before). ``meanwhile`` runs
        beside the leads' writing too, once the events are ready (an import
        folds its batch's owners), and must not touch the database;
        ``also``, statements in the worker after the leads' (an import's
        ledger rows, :meth:`record_import_keys` ``later``)."""
        head, recorded, rows, texts = self._head("events"), _recorded_now(), [], texts or {}

        def ready() -> None:
            rows.extend(_chained("events", head, [_event_values(e, recorded, texts.get(i))
                                                  for i, e in enumerate(events)]))
            if meanwhile is not None:
                meanwhile()

        self.insert_leads_bulk(leads, meanwhile=ready, also=also)
        return self._write_chained("events", rows, later=True)

    def _staged(self, table: str, cols: str, rows: list[Sequence], verb: str = "INSERT") -> Callable[[], None]:
        """Write ``rows`` (the values of ``cols``) into a TEMP table standing
        for ``table``; returns what moves them into ``table`` (``verb``), in
        their order, by one statement: SQLite lets go of Python's lock for
        all of it, where an ``executemany`` takes it back for each row. The
        TEMP table's columns have no type: each value is kept as bound, and
        takes its column's type in ``table`` as it moves there, as if it had
        been bound there."""
        if not rows:
            return lambda: None
        staged = f"{table}_staged"
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{staged}")
        self.conn.execute(f"CREATE TEMP TABLE {staged}({cols})")
        self.conn.executemany(f"INSERT INTO temp.{staged}({cols}) VALUES ({', '.join('?' * len(rows[0]))})",
                              rows)

        def move() -> None:
            self.conn.execute(f"{verb} INTO main.{table}({cols}) SELECT {cols} FROM temp.{staged} ORDER BY rowid")
            self.conn.execute(f"DROP TABLE temp.{staged}")

        return move

    def append_events_bulk(self, events: list[Event], facts: bool = True) -> list[int]:
        """Append a batch in order, chained as one run (one head read, one
        ``executemany``); ``facts`` as for :meth:`append_chained`."""
        recorded = _recorded_now()
        return self.append_chained("events", [_event_values(e, recorded) for e in events], facts)

    def record_import_keys(self, rows: list[tuple[str, int | None, str, int]], source: str, run: str,
                           at: dt.datetime, *, later: bool = False) -> Callable[[], None] | None:
        """``rows`` are ``(key, lead_id, outcome, row_no)``; a key already
        recorded (the same row twice in one file) keeps its first entry.
        The run's file and moment are written once, with its first rows.
        With ``later``, the rows wait in a TEMP table, and what moves them
        into the ledger (one statement: for a worker thread, :meth:`beside`)
        is returned, to run in the same transaction."""
        if not rows:
            return (lambda: None) if later else None
        this = self._import_run(run)
        if this is None:
            this = self.conn.execute("INSERT INTO import_runs(run, source, imported_at) VALUES (?, ?, ?)",
                                     (run, source, _iso(at))).lastrowid
        cols = "key, run, row_no, lead_id, outcome"
        entries = sorted((_ledger_key(key), this, row_no, lead_id, _OUTCOME_CODES[outcome])
                         for key, lead_id, outcome, row_no in rows)
        if later:
            return self._staged("imported_rows", cols, entries, verb="INSERT OR IGNORE")
        self.conn.executemany(f"INSERT OR IGNORE INTO imported_rows({cols}) VALUES (?, ?, ?, ?, ?)", entries)
        return None

    # -------------------------------------------------------- ownership

    def add_relation(self, agent: str, name: str | None, phone: str, relation: str,
                     at: dt.datetime) -> int:
        return self.append_chained("agent_relations", [(agent, name, phone, relation, _iso(at))])[0]

    def relations(self, agent: str | None = None, phone: str | None = None,
                  before: dt.datetime | None = None) -> list[dict]:
        where, args = [], []
        for col, val in (("agent", agent), ("phone", phone)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if before is not None:
            where.append("recorded_at <= ?")
            args.append(_iso(before))
        sql = "SELECT * FROM agent_relations" + (" WHERE " + " AND ".join(where) if where else "")
        return list(self.db.query(sql + " ORDER BY id", args))

    def add_reception(self, at: dt.datetime, kind: str, agent: str | None, data: dict, *,
                      in_order: bool = True) -> int:
        """Append one entry to the reception log (turns, away and back,
        departures, penalties). The log is read in the order it was written
        and cut at a clock by its times, so a live entry is never earlier
        than the last one (a free clock on a simulation could put it
        there). Agents are not dated (see the README): an entry may come
        before its agent was added, as a register's rows do. ``in_order``
        false for a history's entries, which keep their own times."""
        stamp = _iso(at)
        if in_order:
            last = self.conn.execute("SELECT at FROM receptions ORDER BY id DESC LIMIT 1").fetchone()
            if last is not None and stamp < last[0]:
                raise LeadcycleError(N_("the reception log's last entry is at {last}; an entry at {at} cannot go "
                                        "before it: give a later --now"), last=last[0].replace("T", " "),
                                     at=stamp.replace("T", " "))
        return self.append_chained("receptions", [(stamp, kind, agent, _json(data))])[0]

    def has_receptions(self) -> bool:
        """Whether the reception log's table is there (a database an older
        leadcycle made, not yet upgraded by ``init``, has none)."""
        return self.db["receptions"].exists()

    def receptions(self, kinds: Iterable[str] | None = None, until: dt.datetime | None = None) -> list[dict]:
        """The reception log's rows (of ``kinds``; up to the moment ``until``,
        for a read at that clock), in the order they were written."""
        where, args = [], []
        if kinds is not None:
            kinds = list(kinds)
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args += kinds
        if until is not None:
            where.append("at <= ?")
            args.append(_iso(until))
        sql = "SELECT id, at, kind, agent, data FROM receptions" + (" WHERE " + " AND ".join(where) if where else "")
        return [{"id": r[0], "at": dt.datetime.fromisoformat(r[1]), "kind": r[2], "agent": r[3],
                 "data": json.loads(r[4] or "{}")} for r in self.conn.execute(sql + " ORDER BY id", args)]

    def owned_lead_ids(self, agent: str) -> list[int]:
        states = self._states(lay=False)
        mine, args = self._owned_by(agent)
        return [r[0] for r in self.conn.execute(
            f"SELECT s.lead_id FROM {states} s WHERE {mine} ORDER BY s.lead_id", args)]

    def save_credit(self, lead_id: int, rows: list[tuple], at: dt.datetime) -> None:
        """Replace the lead's credit ledger: ``rows`` are ``(deal_event_id,
        agent, share_num, share_den, role, rule, reason_json)``."""
        self.conn.execute("DELETE FROM credit_ledger WHERE lead_id = ?", (lead_id,))
        self.conn.executemany(
            "INSERT INTO credit_ledger(lead_id, deal_event_id, agent, share_num, share_den, role, rule, "
            "reason, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(lead_id, *r, _iso(at)) for r in rows])

    def credit_rows(self, lead_id: int) -> list[dict]:
        return list(self.db.query(
            "SELECT * FROM credit_ledger WHERE lead_id = ? ORDER BY deal_event_id, share_num * 1.0 / share_den DESC, "
            "agent", [lead_id]))

    # ----------------------------------------------------------- export

    def export_rows(self, industry: str | None = None, grade: str | None = None,
                    owner: str | None = None, batch_size: int = 5000) -> Iterator[dict]:
        """Leads with their state (``attributes`` a dict) and the
        registration's agent and channel, in id order, read ``batch_size``
        at a time (bounded memory)."""
        states = self._states()
        where, args = [], []
        for col, val in (("s.industry", industry), ("s.grade", grade), ("s.owner", owner)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        cond = (" AND " + " AND ".join(where)) if where else ""
        sql = ("SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, l.attributes, "
               f"s.score, s.grade, s.stage, s.owner, {self._nfu_text()}, "
               "(SELECT e.agent FROM events e WHERE e.lead_id = l.id AND e.kind = 'register' ORDER BY e.id LIMIT 1), "
               "(SELECT e.data FROM events e WHERE e.lead_id = l.id AND e.kind = 'register' ORDER BY e.id LIMIT 1) "
               f"FROM leads l JOIN {states} s ON s.lead_id = l.id WHERE l.id > ?" + cond +
               " ORDER BY l.id LIMIT ?")
        cols = ("id", "industry", "name", "gender", "phone", "need", "created_at", "attributes",
                "score", "grade", "stage", "owner", "next_follow_up", "register_agent", "register_data")
        last = 0
        while True:
            rows = self.conn.execute(sql, [last, *args, batch_size]).fetchall()
            if not rows:
                return
            decode = self.attribute_places.decode
            for r in rows:
                row = dict(zip(cols, r))
                row["attributes"] = decode(row["attributes"])
                yield row
            last = rows[-1][0]

    def find_leads(self, kind: str, text: str, industry: str | None = None, limit: int = 20,
                   also: Iterable[int] = ()) -> list[dict]:
        """Leads whose phone ends with (or holds) the digits, whose name holds
        the text, or whose name's pinyin starts with or holds the letters
        (``kind`` from :func:`leadcycle.search.classify`); best matches
        first: a phone's last digits, a pinyin's initials, then the rest.
        The leads ``also`` come too, matched or not (the caller matches
        them on what they were at its clock)."""
        states = self._states()
        match, rank = _SEARCH[kind]
        also = sorted(set(also))
        if also:
            match = f"({match} OR l.id IN (SELECT value FROM json_each(?3)))"
        sql = (f"SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, s.grade, s.stage, s.owner, "
               f"{self._nfu_text()} FROM leads l JOIN {states} s ON s.lead_id = l.id WHERE {match}"
               + (" AND l.industry = ?2" if industry else "") + f" ORDER BY {rank}, l.id LIMIT {int(limit) + len(also)}")
        args = [text, industry, json.dumps(also)] if also else [text] + ([industry] if industry else [])
        return list(self.db.query(sql, args))

    # ---------------------------------------------------- verify, backup

    def verify(self, fold: Callable[[Lead, list[Event]], Lead] | None = None,
               progress: Callable[[int], None] | None = None,
               expect_head: tuple[int, str] | None = None,
               owner_fold: Callable[[Lead, list[Event]], tuple | None] | None = None) -> "Verification":
        """Walk every chain and check the guards and the derived tables
        (:class:`Verifier`); streaming, in one read transaction."""
        return Verifier(self, fold, progress, expect_head, owner_fold).run()

    def verify_total(self) -> int:
        return Verifier(self).total()

    def backup(self, target: str, force: bool = False) -> dict:
        """A consistent copy of the database at ``target``, taken with
        SQLite's online backup API in one step (one read snapshot: writers
        in other processes carry on, their later commits are not in the
        copy). The copy is written beside ``target`` and renamed into place,
        as one self-contained file (rollback journal, no ``-wal``).
        Returns ``{"path", "bytes", "events"}``."""
        target = os.path.abspath(target)
        self._check_backup_target(target, force)
        folder = os.path.dirname(target)
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".part")
            os.close(fd)
        except OSError as e:
            raise LeadcycleError(N_("cannot write {target}: {strerror}; give a path in a folder you can "
                                    "write to"), target=target, strerror=e.strerror) from None
        try:
            dst = sqlite3.connect(tmp)
            try:
                self.conn.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
                events = dst.execute("SELECT count(*) FROM events").fetchone()[0]
            finally:
                dst.close()
            for suffix in ("-wal", "-shm", "-journal"):  # an old copy's, never to be replayed into this one
                with contextlib.suppress(FileNotFoundError):
                    os.remove(target + suffix)
            os.replace(tmp, target)
        except (OSError, sqlite3.Error) as e:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise LeadcycleError(N_("cannot write {target}: {e}; nothing was written"), target=target, e=e) from None
        return {"path": target, "bytes": os.path.getsize(target), "events": events}

    def _check_backup_target(self, target: str, force: bool) -> None:
        if os.path.isdir(target):
            raise LeadcycleError(N_("{target} is a folder; give a file path such as "
                                    "{target2}"),
                                 target=target, target2=os.path.join(target, 'leads-backup.db'))
        if self.path not in (None, ":memory:"):
            own = os.path.realpath(self.path)
            if os.path.realpath(target) in (own, own + "-wal", own + "-shm", own + "-journal") or (
                    os.path.exists(target) and os.path.samefile(target, self.path)):
                raise LeadcycleError(N_("{target} is the open database itself; give another path for the backup"),
                                     target=target)
        if os.path.exists(target) and not os.path.isfile(target):  # /dev/null, a pipe: never replaced
            raise LeadcycleError(N_("cannot write {target}: it is a device or a pipe, not a file; give a file "
                                    "path for the backup"), target=target)
        if os.path.exists(target) and not force:
            raise LeadcycleError(N_("{target} already exists; give --force to overwrite it, or another path"),
                                 target=target)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            raise LeadcycleError(N_("cannot write {target}: folder {folder} does not exist; "
                                    "create it or give another path"), target=target, folder=folder)

    def explain_query_plan(self, sql: str, args: list) -> list[str]:
        return [r[-1] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]


# ------------------------------------------------------------ verify


@attrs.frozen
class Check:
    """One line of ``leadcycle verify``: a check, whether it passed, and the
    first row that failed it (``problem``: table, id, lead_id, at, what)."""

    name: str
    ok: bool
    message: str
    count: int = 0
    problem: dict | None = None

    def to_json(self) -> dict:
        return {"check": self.name, "ok": self.ok, "count": self.count, "message": self.message,
                "problem": self.problem}


_ROW_NAMES = {
    "events": lambda r: M_("event #{id} (lead #{lead_id}, {at})", id=r["id"], lead_id=r["lead_id"], at=r["at"]),
    "agent_relations": lambda r: M_("relation #{id} (agent {agent}, {at})", id=r["id"], agent=r["agent"],
                                    at=r["recorded_at"]),
    "receptions": lambda r: M_("reception #{id} ({kind} {agent}, {at})", id=r["id"], kind=r["kind"],
                               agent=r["agent"] or "", at=r["at"]),
    "settings_log": lambda r: M_("settings change #{id} ({key}, {at})", id=r["id"], key=r["key"], at=r["at"]),
}
#: a lead's folded columns, as verify names them
_LEAD_COLUMNS = {"name": M_("name"), "gender": M_("gender"), "phone": M_("phone"), "need": M_("need"),
                 "attributes": M_("attributes")}
#: one entry and several of a chain, as a gap names them
_SPANS = {"events": (N_("event #{first}"), N_("events #{first}–#{last}")),
          "agent_relations": (N_("relation #{first}"), N_("relations #{first}–#{last}")),
          "receptions": (N_("reception #{first}"), N_("receptions #{first}–#{last}")),
          "settings_log": (N_("change #{first}"), N_("changes #{first}–#{last}"))}
#: the entries of a chain, as "the last of the …" names them
_ENTRIES = {"events": N_("events"), "agent_relations": N_("relations"), "receptions": N_("receptions"),
            "settings_log": N_("changes")}
_CHECK_NAMES = {"events": "event log", "agent_relations": "agent relations",
                "receptions": "reception log", "settings_log": "settings log"}
#: a chain's line when nothing is wrong (the events' adds the head)
_CHAINED_OK = {"agent_relations": N_("{n} relations chained, none changed or missing"),
               "receptions": N_("{n} receptions chained, none changed or missing"),
               "settings_log": N_("{n} changes chained, none changed or missing"),
               "events": N_("{n} events chained, none changed or missing")}
#: the checks' names, as the CLI shows them (``--json`` keeps the English)
CHECK_NAMES = (N_("guards"), N_("event log"), N_("agent relations"), N_("reception log"), N_("settings log"),
               N_("leads"), N_("facts"), N_("owner folds"), N_("agents"), N_("settings"), N_("credit ledger"),
               N_("import ledger"))
PROGRESS_EVERY = 10_000


def _span(table: str, first: int, last: int) -> Message:
    """``event #7`` or ``events #7–#9``."""
    one, several = _SPANS[table]
    return M_(one, first=first) if first == last else M_(several, first=first, last=last)


def _problem(table: str, row: dict | None, what: str, message: str, **extra) -> dict:
    out = {"table": table, "what": what, "message": message, **extra}
    if row is not None:
        out.update(id=row["id"], lead_id=row.get("lead_id"),
                   at=row.get("at") or row.get("recorded_at"))
    return out


@attrs.frozen
class Verification:
    """What ``verify`` found: one :class:`Check` per table or guard, and the
    head of the event chain (``{"id", "hash"}``) to keep outside the file."""

    checks: tuple[Check, ...]
    head: dict

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict:
        return {"ok": self.ok, "head": self.head, "checks": [c.to_json() for c in self.checks]}


class Verifier:
    """The checks behind ``leadcycle verify``, each one streaming pass
    inside one read transaction (a consistent snapshot while others write).

    ``fold`` is :func:`leadcycle.engine.fold_lead` (passed in: storage does
    not evaluate rules); ``progress(n)`` is told of every ``n`` rows read."""

    def __init__(self, store: "Store", fold: Callable[[Lead, list[Event]], Lead] | None = None,
                 progress: Callable[[int], None] | None = None, expect_head: tuple[int, str] | None = None,
                 owner_fold: Callable[[Lead, list[Event]], tuple | None] | None = None):
        self.store, self.conn = store, store.conn
        self.fold = fold
        #: the ownership fold a lead's log gives under the current policy, as
        #: stored (``FOLD_COLUMNS``' values), or None (industry not installed)
        self.owner_fold = owner_fold
        self.progress = progress or (lambda n: None)
        self.expect_head = expect_head
        self.heads: dict[str, dict] = {}

    def total(self) -> int:
        """Rows the checks read, for a progress bar."""
        n = sum(self.conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0 for t in CHAINED)
        return n + (self.conn.execute("SELECT max(id) FROM leads").fetchone()[0] or 0)

    def run(self) -> Verification:
        if "hash" not in {r[1] for r in self.conn.execute("PRAGMA table_info(events)")}:
            raise LeadcycleError(N_("{store_path} predates tamper evidence; upgrade it with: "
                                    "leadcycle --db {store_path} init"), store_path=self.store.path)
        self.conn.execute("BEGIN")
        try:
            checks = [self.guards()]
            checks += [self.chain(t) for t in CHAINED]
            checks += [self.leads(), self.facts(), self.owner_folds(), self.agents(), self.settings(), self.credit(),
                       self.import_ledger()]
        finally:
            self.conn.execute("ROLLBACK")
        return Verification(tuple(checks), self.heads.get("events", {"id": 0, "hash": None}))

    # the guards

    def guards(self) -> Check:
        found = {name: sql for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
        expected = self.store.guards()
        missing = [n for n in expected if n not in found]
        changed = [n for n in expected if n in found and " ".join(found[n].split()) != expected[n]]
        if not missing and not changed:
            return Check("guards", True, M_("{n} append-only guards in place", n=len(expected)), len(expected))
        parts = ([f"dropped: {', '.join(missing)}"] if missing else []) + \
                ([f"altered: {', '.join(changed)}"] if changed else [])
        said = ([M_("dropped: {names}", names=", ".join(missing))] if missing else []) + \
               ([M_("altered: {names}", names=", ".join(changed))] if changed else [])
        return Check("guards", False, M_("guards {what} — the tables could be edited outside leadcycle (the "
                                         "checks below say whether they were); restore them with: leadcycle init",
                                         what=said), len(expected) - len(missing) - len(changed),
                     {"table": "sqlite_master", "what": "triggers_dropped" if missing else "triggers_altered",
                      "message": "; ".join(parts), "missing": missing, "altered": changed})

    # the chains

    def chain(self, table: str) -> Check:
        cols = CHAINED[table]
        name = _CHECK_NAMES[table]
        prev, expected, row, n = GENESIS, 1, None, 0
        expect = self.expect_head if table == "events" else None
        describe = _ROW_NAMES[table]

        def fail(what: str, text: str, **extra) -> Check:
            return Check(name, False, text, n, _problem(table, row, what, text, **extra))

        # the hot loop (200k rows a few seconds): chain_hash inlined, the
        # row described only when it fails
        sha256, encode, bad, values = hashlib.sha256, _CANONICAL.encode, None, ()
        for values in self.conn.execute(f"SELECT {', '.join(cols)}, hash FROM {table} ORDER BY id"):
            stored = values[-1]
            if values[0] != expected:
                bad = "missing"
            elif stored is None:
                bad = "no_hash"
            elif sha256((prev + encode(list(values[:-1]))).encode("utf-8")).hexdigest() != stored:
                bad = "hash_mismatch"
            elif expect is not None and values[0] == expect[0] and not stored.startswith(expect[1]):
                bad = "head_mismatch"
            if bad is not None:
                break
            prev, expected, n = stored, expected + 1, n + 1
            if n % PROGRESS_EVERY == 0:
                self.progress(PROGRESS_EVERY)
        if bad is not None:
            row = dict(zip(cols, values))
            if bad == "missing":
                gap = _span(table, expected, row["id"] - 1)
                text = M_("{gap} missing: the log jumps from #{last} to {row} (deleted outside leadcycle)",
                          gap=gap, last=expected - 1, row=describe(row)) if expected > 1 else M_(
                          "{gap} missing: the log starts at {row} (deleted outside leadcycle)", gap=gap,
                          row=describe(row))
                return fail("missing", text, missing_from=expected, missing_to=row["id"] - 1)
            if bad == "no_hash":
                return fail("no_hash", M_("{row} has no hash: written outside leadcycle", row=describe(row)))
            if bad == "hash_mismatch":
                return fail("hash_mismatch", M_("{row} does not match its hash: changed or inserted outside "
                                                "leadcycle", row=describe(row)))
            return fail("head_mismatch", M_("{row} is not the one you recorded (sha256 {hash}…): the log was "
                                            "rewritten from there on", row=describe(row), hash=expect[1][:16]))
        self.progress(n % PROGRESS_EVERY)
        last_id = expected - 1
        head = self.store.get_meta(f"chain:{table}")
        if table == "events":
            self.heads[table] = {"id": last_id, "hash": prev if last_id else None}
        if head is not None or last_id:
            head_id, _, head_hash = (head or "0 ").partition(" ")
            if head is None or int(head_id) != last_id or head_hash != prev:
                if head is not None and int(head_id) > last_id:
                    text = M_("{gap} missing: the log ends at #{last} but leadcycle wrote up to #{head} (deleted "
                              "outside leadcycle)", gap=_span(table, last_id + 1, int(head_id)), last=last_id,
                              head=head_id)
                    return Check(name, False, text, n, _problem(table, None, "truncated", text,
                                                                id=last_id + 1, missing_to=int(head_id)))
                text = M_("the last of the {entries} (#{last}) is not the head leadcycle recorded ({head}): the "
                          "table was written outside leadcycle", entries=M_(_ENTRIES[table]), last=last_id,
                          head=head or M_("none"))
                return Check(name, False, text, n, _problem(table, row, "head_mismatch", text))
        if expect is not None and last_id < expect[0]:
            text = M_("{gap} missing: the log ends at #{last}, the head you recorded is #{head} (truncated)",
                      gap=_span(table, last_id + 1, expect[0]), last=last_id, head=expect[0])
            return Check(name, False, text, n, _problem(table, None, "truncated", text, id=last_id + 1))
        if table == "events" and last_id:
            return Check(name, True, M_("{n} events chained, none changed or missing, head #{id} sha256 {hash}…",
                                        n=n, id=last_id, hash=prev[:16]), n)
        return Check(name, True, M_(_CHAINED_OK[table], n=n), n)

    # the tables derived from the logs

    def leads(self) -> Check:
        """Every lead opens with its registration (at its ``created_at``),
        every event belongs to a lead, and the folded columns (name, gender,
        phone, need, attributes) are those of the lead's log — as of the
        clock its projection was computed for (a run with an earlier
        ``--now`` folds fewer events), or as of the whole log."""
        orphan = self.conn.execute(
            "SELECT e.id, e.lead_id, e.at FROM events e LEFT JOIN leads l ON l.id = e.lead_id "
            "WHERE l.id IS NULL ORDER BY e.id LIMIT 1").fetchone()
        if orphan is not None:
            text = M_("event #{id} (lead #{lead_id}, {at}) belongs to no lead: lead #{lead_id} was deleted",
                      id=orphan[0], lead_id=orphan[1], at=orphan[2])
            return Check("leads", False, text, 0, {"table": "leads", "what": "missing", "id": orphan[1],
                                                   "lead_id": orphan[1], "at": orphan[2], "message": text})
        n = 0
        for lead, clock, first, folded in self._leads_with_log():
            problem = self._lead_problem(lead, clock, first, folded)
            if problem is not None:
                text = M_("lead #{id} ({at}) {problem}", id=lead.id, at=lead.created_at.isoformat(), problem=problem)
                return Check("leads", False, text, n, {
                    "table": "leads", "what": "mismatch", "id": lead.id, "lead_id": lead.id,
                    "at": lead.created_at.isoformat(), "message": text})
            n += 1
            if n % PROGRESS_EVERY == 0:
                self.progress(PROGRESS_EVERY)
        self.progress(n % PROGRESS_EVERY)
        return Check("leads", True, M_("{n} leads open with their registration and match their logs", n=n), n)

    #: the kinds :func:`leadcycle.engine.fold_lead` reads
    FOLDED_KINDS = ("register", "set")

    def _leads_with_log(self) -> Iterator[tuple[Lead, int | str | None, tuple | None, list[Event]]]:
        """Each lead (by id) with its projection's clock, its first event
        ``(id, kind, at)`` and its register/set events not voided: two cursors walked
        side by side, one lead in memory at a time."""
        leads = self.conn.execute(
            "SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, l.attributes, "
            "s.computed_at FROM leads l LEFT JOIN lead_state s ON s.lead_id = l.id ORDER BY l.id")
        events = itertools.groupby(self.conn.execute(
            "SELECT lead_id, id, kind, at, data FROM events ORDER BY lead_id, id"), key=lambda r: r[0])
        group = next(events, None)
        cols = ("id", "industry", "name", "gender", "phone", "need", "created_at", "attributes")
        for row in leads:
            lead = self.store._lead(dict(zip(cols, row)))
            while group is not None and group[0] < lead.id:  # events of no lead: the orphan check's
                group = next(events, None)
            rows = list(group[1]) if group is not None and group[0] == lead.id else []
            if rows:
                group = next(events, None)
            # a voided entry says nothing (as the write's fold leaves it out)
            voided = {json.loads(r[4] or "{}").get("event") for r in rows if r[2] == "void"}
            folded = [Event(r[1], r[0], r[2], r[3], None, json.loads(r[4] or "{}"))
                      for r in rows if r[2] in self.FOLDED_KINDS and r[1] not in voided]
            yield lead, row[8], (rows[0][1:4] if rows else None), folded

    def _lead_problem(self, lead: Lead, clock: int | str | None, first: tuple | None,
                      events: list[Event]) -> Message | None:
        if first is None or first[1] != "register":
            return M_("has no registration event: written outside leadcycle")
        if first[2] != _iso(lead.created_at):
            return M_("was registered at {at} (event #{id}), not at its created_at", at=first[2], id=first[0])
        if self.fold is None:
            return None
        seen = events
        if clock is not None:
            moment = moment_of(clock)
            seen = [e for e in events if e.at <= moment]
        stored = (lead.name, lead.gender, lead.phone, lead.need, lead.attributes)
        for candidate in (events, seen):
            f = self.fold(lead, candidate)
            if (f.name, f.gender, f.phone, f.need, f.attributes) == stored:
                return None
        f = self.fold(lead, events)
        diff = [k for k, a, b in zip(("name", "gender", "phone", "need", "attributes"), stored,
                                     (f.name, f.gender, f.phone, f.need, f.attributes)) if a != b]
        return M_("has {fields} that its log does not say: changed outside leadcycle",
                  fields=[_LEAD_COLUMNS[k] for k in diff])

    def owner_folds(self) -> Check:
        """Each lead's stored ownership fold — what reads compute the owner
        from — is the one its log gives under the policy it names (a fold
        from another policy is not trusted by reads, and ``rescore``
        folds it again)."""
        if self.owner_fold is None or not self.store.folds_ready():
            return Check("owner folds", True, M_("no ownership folds kept yet (the first write adds them)"), 0)
        cols = [c for c, _ in FOLD_COLUMNS]
        leads = self.conn.execute(
            "SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, l.attributes, "
            f"{self.store._fold_columns()} FROM leads l JOIN lead_state s ON s.lead_id = l.id "
            "WHERE s.fold_version IS NOT NULL ORDER BY l.id")
        events = itertools.groupby(self.conn.execute(
            "SELECT id, lead_id, kind, at, agent, data, note FROM events ORDER BY lead_id, id"),
            key=lambda r: r[1])
        group = next(events, None)
        n = 0
        for row in leads:
            lead = self.store._lead(dict(zip(("id", "industry", "name", "gender", "phone", "need", "created_at",
                                         "attributes"), row[:8])))
            while group is not None and group[0] < lead.id:
                group = next(events, None)
            log = [Store._event(r) for r in group[1]] if group and group[0] == lead.id else []
            stored = tuple(row[8:])
            expected = self.owner_fold(lead, log)
            if expected is not None and expected[-1] == stored[-1] and expected != stored:
                which = next(c for c, a, b in zip(cols, stored, expected) if a != b)
                text = M_("lead #{id}'s ownership ({which}) differs from its log: changed outside leadcycle; fold "
                          "it again with: leadcycle rescore --refold", id=lead.id, which=which)
                return Check("owner folds", False, text, n, {"table": "lead_state", "what": "mismatch",
                                                             "id": lead.id, "lead_id": lead.id, "message": text})
            n += 1
        return Check("owner folds", True, M_("{n} leads' owners match their logs", n=n), n)

    def agents(self) -> Check:
        """Every agent named on the logs exists; ``active``, ``away`` and
        ``left_at`` are what the reception log's away/back/left rows say."""
        for table in ("events", "receptions", "agent_relations"):
            row = self.conn.execute(
                f"SELECT t.id, t.agent FROM {table} t WHERE t.agent IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM agents a WHERE a.name = t.agent) ORDER BY t.id LIMIT 1").fetchone()
            if row is not None:
                text = M_("agent {name!r}, named on {table} #{id}, is not in the agents table: changed or deleted "
                          "outside leadcycle", name=row[1], table=table, id=row[0])
                return Check("agents", False, text, 0, {"table": "agents", "what": "missing", "id": row[1],
                                                        "message": text})
        status: dict[str, tuple] = {}  # agent → (active, away, left_at)
        for at, kind, agent, data in self.conn.execute(
                "SELECT at, kind, agent, data FROM receptions WHERE kind IN ('away', 'back', 'left') ORDER BY id"):
            active, away, left_at = status.get(agent, (1, None, None))
            if kind == "away":
                away = json.loads(data or "{}").get("reason")
            elif kind == "back":
                away = None
            else:
                active, away, left_at = 0, None, at
            status[agent] = (active, away, left_at)
        n = 0
        for name, active, away, left_at in self.conn.execute(
                "SELECT name, active, away, left_at FROM agents ORDER BY name"):
            if (active, away, left_at) != status.get(name, (1, None, None)):
                want = status.get(name, (1, None, None))
                text = M_("agent {name!r} is {state}, away {away}, left {left}; the reception log says {want}, away "
                          "{want_away}, left {want_left}: changed outside leadcycle", name=name,
                          state=M_("active") if active else M_("gone"), away=away or M_("no"),
                          left=left_at or M_("no"), want=M_("active") if want[0] else M_("gone"),
                          want_away=want[1] or M_("no"), want_left=want[2] or M_("no"))
                return Check("agents", False, text, n, {"table": "agents", "what": "mismatch", "id": name,
                                                        "message": text})
            n += 1
        return Check("agents", True, M_("{n} agents, as the logs say", n=n), n)

    def settings(self) -> Check:
        """The settings in force are the last value the settings log gave each key."""
        logged: dict[str, str | None] = {}
        for key, value in self.conn.execute("SELECT key, value FROM settings_log ORDER BY id"):
            logged[key] = value
        logged = {k: v for k, v in logged.items() if v is not None}
        stored = dict(self.conn.execute("SELECT key, value FROM settings"))
        for key in sorted(set(logged) | set(stored)):
            if logged.get(key) != stored.get(key):
                text = M_("setting {key} is {value} but the settings log says {logged}: changed outside leadcycle",
                          key=key, value=stored.get(key) or M_("(default)"),
                          logged=logged.get(key) or M_("(default)"))
                return Check("settings", False, text, len(stored), {"table": "settings", "what": "mismatch",
                                                                   "id": key, "message": text})
        return Check("settings", True, M_("{n} settings, as the settings log says", n=len(stored)), len(stored))

    def facts(self) -> Check:
        """Each lead's kept facts are those a rebuild from its log gives
        (computed into a temporary table: the file is not written)."""
        if "facts" not in self.store.db.table_names():
            return Check("facts", True, M_("no facts kept yet (the first write adds them)"), 0)
        if not self.store.facts_current():
            return Check("facts", True, M_("facts kept under other tallies (a plugin changed what it counts): "
                                           "the next write, or leadcycle rescore, rebuilds them"), 0)
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS facts_rebuilt AS SELECT * FROM main.facts WHERE 0")
        self.conn.execute("DELETE FROM temp.facts_rebuilt")
        sql, args = _facts_sql(self.store.tallies, False, table="temp.facts_rebuilt")
        self.conn.execute(sql, args)
        differ = self.conn.execute(
            "SELECT d.lead_id, coalesce(k.name, d.kind) FROM ("
            "SELECT lead_id, kind FROM (SELECT * FROM main.facts EXCEPT SELECT * FROM temp.facts_rebuilt) "
            "UNION ALL SELECT lead_id, kind FROM (SELECT * FROM temp.facts_rebuilt EXCEPT SELECT * FROM main.facts) "
            ") d LEFT JOIN fact_kinds k ON k.code = d.kind ORDER BY 1, 2 LIMIT 1").fetchone()
        n = self.conn.execute("SELECT count(DISTINCT lead_id) FROM temp.facts_rebuilt").fetchone()[0]
        self.conn.execute("DROP TABLE temp.facts_rebuilt")
        if differ is None:
            return Check("facts", True, M_("{n} leads' facts match their logs", n=n), n)
        text = M_("lead #{id}'s facts ({kind}) differ from its log: changed outside leadcycle; rebuild them with: "
                  "leadcycle rescore", id=differ[0], kind=differ[1])
        return Check("facts", False, text, n, {"table": "facts", "what": "mismatch", "id": differ[0],
                                                "lead_id": differ[0], "message": text})

    def credit(self) -> Check:
        """The credit ledger is derived (``leadcycle credit`` recomputes it from
        the log): each row names a deal (a deposit or a contract) of its own lead, and each deal's
        shares sum to exactly 1."""
        sums: dict[tuple[int, int], Fraction] = {}
        n = 0
        for lead_id, deal, agent, num, den, kind, owner in self.conn.execute(
                "SELECT c.lead_id, c.deal_event_id, c.agent, c.share_num, c.share_den, e.kind, e.lead_id "
                "FROM credit_ledger c LEFT JOIN events e ON e.id = c.deal_event_id ORDER BY c.lead_id, c.deal_event_id"):
            if kind not in ("contract", "deposit") or owner != lead_id or not den:
                text = M_("credit of lead #{id} names event #{deal}, which is not a deal (deposit or contract) of "
                          "that lead", id=lead_id, deal=deal)
                return Check("credit ledger", False, text, n, {"table": "credit_ledger", "what": "mismatch",
                                                               "id": deal, "lead_id": lead_id, "message": text})
            sums[(lead_id, deal)] = sums.get((lead_id, deal), Fraction(0)) + Fraction(num, den)
            n += 1
        for (lead_id, deal), total in sums.items():
            if total != 1:
                text = M_("credit of lead #{id}'s deal #{deal} sums to {total}, not 1: changed outside leadcycle",
                          id=lead_id, deal=deal, total=str(total))
                return Check("credit ledger", False, text, n, {"table": "credit_ledger", "what": "mismatch",
                                                               "id": deal, "lead_id": lead_id, "message": text})
        return Check("credit ledger", True, M_("{n} deals, shares sum to 1", n=len(sums)), len(sums))

    def import_ledger(self) -> Check:
        """Every recorded row names a run on the ledger and, when it made or
        merged into a lead, a lead that exists."""
        n = self.conn.execute("SELECT count(*) FROM imported_rows").fetchone()[0]
        row = self.conn.execute(
            "SELECT i.run, i.row_no FROM imported_rows i WHERE NOT EXISTS "
            "(SELECT 1 FROM import_runs r WHERE r.id = i.run) LIMIT 1").fetchone()
        if row is not None:
            text = M_("imported row {row} names import run #{run}, which is not on the ledger: "
                      "changed outside leadcycle", row=row[1], run=row[0])
            return Check("import ledger", False, text, n, {"table": "import_runs", "what": "missing",
                                                           "id": row[0], "message": text})
        row = self.conn.execute(
            "SELECT r.source, i.row_no, i.lead_id FROM imported_rows i JOIN import_runs r ON r.id = i.run "
            "WHERE i.lead_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = i.lead_id) "
            "LIMIT 1").fetchone()
        if row is not None:
            text = M_("imported row {row} of {source} names lead #{id}, which does not exist", row=row[1],
                      source=row[0], id=row[2])
            return Check("import ledger", False, text, n, {"table": "imported_rows", "what": "missing",
                                                           "id": row[2], "lead_id": row[2], "message": text})
        return Check("import ledger", True, M_("{n} imported rows, each on a lead", n=n), n)
