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
import json
import os
import sqlite3
from typing import Any, Iterable, Iterator

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .errors import LeadcycleError, NotFound
from .model import Agent, Event, Lead, Reason, State

APPLICATION_ID = 0x4C43594C  # "LCYL"
BUSY_TIMEOUT_MS = 30_000

core_migrations = Migrations("core")


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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value.isoformat()


_STATE_COLUMNS = ("lead_id", "industry", "score", "grade", "stage", "owner", "next_follow_up",
                  "follow_up_kind", "reasons", "extra", "computed_at", "expires_at", "owner_until")


class Store:
    """A leadcycle database. ``Store.open(path)`` for an existing one,
    ``Store.create(path)`` to create or upgrade, ``Store.memory()`` for tests."""

    def __init__(self, db: Database, path: str | None = None):
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path

    # ------------------------------------------------------------ opening

    @staticmethod
    def _connect(path: str) -> Database:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        db = Database(conn, execute_plugins=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as e:
            conn.close()
            raise LeadcycleError(
                f"{path} is not a leadcycle database ({e}); give another --db, "
                "or create one with: leadcycle init --industry NAME") from None
        return db

    @classmethod
    def open(cls, path: str) -> "Store":
        if not os.path.exists(path):
            raise NotFound(f"no database at {path}; create one with: "
                           f"leadcycle --db {path} init --industry NAME")
        store = cls(cls._connect(path), path)
        store._check_ours()
        return store

    @classmethod
    def create(cls, path: str, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        existed = os.path.exists(path) and os.path.getsize(path) > 0
        store = cls(cls._connect(path), path)
        if existed:
            store._check_ours(allow_empty=True)
        store.migrate(extra_migrations)
        return store

    @classmethod
    def memory(cls, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        store = cls(cls._connect(":memory:"), ":memory:")
        store.migrate(extra_migrations)
        return store

    def _check_ours(self, allow_empty: bool = False) -> None:
        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            tables = self.db.table_names()
        except sqlite3.DatabaseError as e:
            raise LeadcycleError(f"{self.path} is not a leadcycle database ({e}); "
                                 "give another --db") from None
        if app_id == APPLICATION_ID:
            return
        if allow_empty and not tables:
            return
        raise LeadcycleError(f"{self.path} is a SQLite file but not a leadcycle database; "
                             "give another --db")

    def migrate(self, extra: Iterable[Migrations] = ()) -> list[str]:
        """Apply pending migrations (the core's, then each plugin's); returns
        the names applied."""
        applied = []
        for m in (core_migrations, *extra):
            pending = [p.name for p in m.pending(self.db)]
            if pending:
                m.apply(self.db)
                applied.extend(f"{m.name}.{p}" for p in pending)
        return applied

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """One user action = one transaction, holding the write lock from
        the start so check-then-write is safe across processes."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

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
        self.conn.execute("INSERT OR REPLACE INTO settings(key, value, updated_at) VALUES (?, ?, ?)",
                          (key, _json(value), _iso(at)))

    def delete_setting(self, key: str) -> None:
        self.conn.execute("DELETE FROM settings WHERE key = ?", (key,))

    # ----------------------------------------------------------- agents

    def add_agent(self, agent: Agent) -> None:
        self.conn.execute(
            "INSERT INTO agents(name, team, is_manager, active, created_at) VALUES (?, ?, ?, 1, ?)",
            (agent.name, agent.team, int(agent.is_manager), agent.created_at))

    def get_agent(self, name: str) -> Agent | None:
        row = self.conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        cols = [d[0] for d in self.conn.execute("SELECT * FROM agents LIMIT 0").description]
        return Agent.from_row(dict(zip(cols, row)))

    def list_agents(self, include_left: bool = True) -> list[Agent]:
        where = "" if include_left else "WHERE active = 1"
        return [Agent.from_row(r) for r in self.db.query(f"SELECT * FROM agents {where} ORDER BY created_at, name")]

    def update_agent(self, name: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE agents SET {sets} WHERE name = ?", (*fields.values(), name))

    # ------------------------------------------------------------ leads

    def insert_lead(self, lead: Lead) -> int:
        cur = self.conn.execute(
            "INSERT INTO leads(industry, name, gender, phone, need, created_at, attributes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (lead.industry, lead.name, lead.gender, lead.phone, lead.need,
             _iso(lead.created_at), _json(lead.attributes)))
        return cur.lastrowid

    @staticmethod
    def _lead(row: dict) -> Lead:
        return Lead(id=row["id"], industry=row["industry"], name=row["name"], gender=row["gender"],
                    phone=row["phone"], need=row["need"], created_at=row["created_at"],
                    attributes=json.loads(row["attributes"] or "{}"))

    def get_lead(self, lead_id: int) -> Lead:
        # an id past SQLite's 64-bit integers (from JSON, the API) names no lead
        # rather than overflowing the query
        rows = list(self.db.query("SELECT * FROM leads WHERE id = ?", [lead_id])) \
            if -2**63 <= lead_id < 2**63 else []
        if not rows:
            raise NotFound(f"no lead #{lead_id}; find ids with: leadcycle list")
        return self._lead(rows[0])

    def leads_by_phone(self, industry: str, phone: str) -> list[Lead]:
        return [self._lead(r) for r in self.db.query(
            "SELECT * FROM leads WHERE industry = ? AND phone = ? ORDER BY id", [industry, phone])]

    def update_lead(self, lead: Lead) -> None:
        """Store the fields folded from the log (name… and attributes)."""
        self.conn.execute(
            "UPDATE leads SET name = ?, gender = ?, phone = ?, need = ?, attributes = ? WHERE id = ?",
            (lead.name, lead.gender, lead.phone, lead.need, _json(lead.attributes), lead.id))

    def count_leads(self, industry: str | None = None) -> int:
        if industry:
            return self.conn.execute("SELECT count(*) FROM leads WHERE industry = ?", (industry,)).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM leads").fetchone()[0]

    def iter_lead_batches(self, batch_size: int = 5000, industry: str | None = None,
                          ids: Iterable[int] | None = None) -> Iterator[list[tuple[Lead, list[Event]]]]:
        """Leads with their events, ``batch_size`` at a time, in id order."""
        if ids is not None:
            ids = sorted(set(ids))
            for i in range(0, len(ids), batch_size):
                chunk = ids[i:i + batch_size]
                marks = ",".join("?" * len(chunk))
                leads = [self._lead(r) for r in self.db.query(
                    f"SELECT * FROM leads WHERE id IN ({marks}) ORDER BY id", chunk)]
                yield self._with_events(leads)
            return
        last = 0
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
        cur = self.conn.execute(
            "SELECT id, lead_id, kind, at, agent, data, note FROM events "
            "WHERE lead_id BETWEEN ? AND ? ORDER BY lead_id, id", (leads[0].id, leads[-1].id))
        for row in cur:
            bucket = by_lead.get(row[1])
            if bucket is not None:
                bucket.append(self._event(row))
        return [(lead, by_lead[lead.id]) for lead in leads]

    # ----------------------------------------------------------- events

    def append_event(self, event: Event, recorded_at: dt.datetime | None = None) -> int:
        cur = self.conn.execute(
            "INSERT INTO events(lead_id, kind, at, agent, data, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event.lead_id, event.kind, _iso(event.at), event.agent, _json(event.data),
             event.note, _iso(recorded_at or event.at)))
        return cur.lastrowid

    @staticmethod
    def _event(row) -> Event:
        return Event(id=row[0], lead_id=row[1], kind=row[2], at=row[3], agent=row[4],
                     data=json.loads(row[5] or "{}"), note=row[6])

    def events_for(self, lead_id: int) -> list[Event]:
        return [self._event(r) for r in self.conn.execute(
            "SELECT id, lead_id, kind, at, agent, data, note FROM events WHERE lead_id = ? ORDER BY id",
            (lead_id,))]

    # ------------------------------------------------------------ state

    def save_states(self, states: Iterable[State]) -> int:
        rows = [(
            s.lead_id, s.industry, s.score, s.grade, s.stage, s.owner,
            _iso(s.next_follow_up), s.follow_up_kind,
            _json([r.to_json() for r in s.reasons]), _json(s.extra),
            _iso(s.computed_at), _iso(s.expires_at), _iso(s.owner_until),
        ) for s in states]
        # an upsert updates the row in place: only the indexes whose columns
        # changed are touched (INSERT OR REPLACE deletes and re-inserts)
        self.conn.executemany(
            "INSERT INTO lead_state(lead_id, industry, score, grade, stage, owner, "
            "next_follow_up, follow_up_kind, reasons, extra, computed_at, expires_at, owner_until) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(lead_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[1:]), rows)
        latest = max((r[10] for r in rows if r[10]), default=None)
        if latest is not None:
            # the latest clock any projection was computed for: a later run
            # with an earlier --now knows it must look for those
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES ('max_computed_at', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)", (latest,))
        return len(rows)

    @staticmethod
    def _state(row: dict) -> State:
        nfu = row.get("next_follow_up")
        return State(
            lead_id=row["lead_id"], industry=row["industry"], score=row["score"],
            grade=row["grade"], stage=row["stage"], owner=row["owner"],
            next_follow_up=dt.date.fromisoformat(nfu) if nfu else None,
            follow_up_kind=row["follow_up_kind"],
            reasons=[Reason.from_json(r) for r in json.loads(row["reasons"] or "[]")],
            extra=json.loads(row["extra"] or "{}"),
            computed_at=dt.datetime.fromisoformat(row["computed_at"]) if row["computed_at"] else None,
            expires_at=dt.datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None,
            owner_until=dt.datetime.fromisoformat(row["owner_until"]) if row.get("owner_until") else None,
        )

    def get_state(self, lead_id: int) -> State | None:
        rows = list(self.db.query("SELECT * FROM lead_state WHERE lead_id = ?", [lead_id]))
        return self._state(rows[0]) if rows else None

    def stale_lead_ids(self, now: dt.datetime) -> list[int]:
        """Leads whose projection the clock has overtaken (or that were
        computed for a later clock than ``now``)."""
        t = _iso(now)
        stale = [r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE expires_at <= ?", (t,))]  # by index
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'max_computed_at'").fetchone()
        if row is not None and row[0] > t:  # rare: a run with an earlier --now
            stale += [r[0] for r in self.conn.execute(
                "SELECT lead_id FROM lead_state WHERE computed_at > ? "
                "AND (expires_at IS NULL OR expires_at > ?)", (t, t))]
        return stale

    def query_leads(self, industry: str | None = None, grade: str | None = None,
                    stage: str | None = None, owner: str | None = None, pool: bool = False,
                    limit: int | None = None) -> Iterator[dict]:
        where, args = [], []
        for col, val in (("s.industry", industry), ("s.grade", grade), ("s.stage", stage),
                         ("s.owner", owner)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if pool:
            where.append("s.owner IS NULL")
        sql = ("SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, "
               "l.attributes, s.score, s.grade, s.stage, s.owner, s.next_follow_up, s.follow_up_kind, "
               "s.reasons, s.extra FROM leads l JOIN lead_state s ON s.lead_id = l.id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY l.id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        yield from self.db.query(sql, args)

    def due_rows(self, until: dt.date, owner: str | None = None) -> list[dict]:
        """Leads whose next follow-up falls on or before ``until``, through
        the ``(owner, next_follow_up)`` index."""
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               "s.next_follow_up, s.follow_up_kind, s.score, s.extra FROM lead_state s "
               "JOIN leads l ON l.id = s.lead_id WHERE s.next_follow_up <= ?")
        args: list = [until.isoformat()]
        if owner is not None:
            sql += " AND s.owner = ?"
            args.append(owner)
        return list(self.db.query(sql, args))

    def lapsing_rows(self, after: dt.datetime, until: dt.datetime, owner: str | None = None,
                     industry: str | None = None) -> list[dict]:
        """Owned leads whose protection period ends (``owner_until``) in
        ``(after, until]``, through the ``(owner, owner_until)`` index: one
        range per owner (every agent when ``owner`` is None)."""
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               "s.owner_until, s.next_follow_up FROM lead_state s JOIN leads l ON l.id = s.lead_id "
               "WHERE s.owner_until > ? AND s.owner_until <= ?")
        args: list = [_iso(after), _iso(until)]
        if owner is not None:
            sql += " AND s.owner = ?"
            args.append(owner)
        else:
            sql += " AND s.owner IN (SELECT name FROM agents)"
        if industry is not None:
            sql += " AND s.industry = ?"
            args.append(industry)
        return list(self.db.query(sql + " ORDER BY s.owner_until, l.id", args))

    def kind_events(self, kind: str, industry: str | None = None,
                    until: dt.datetime | None = None) -> list[dict]:
        """Every event of ``kind`` (through the ``(kind, at)`` index) up to
        ``until``, with its lead's industry, name and folded attributes."""
        sql = ("SELECT e.id, e.lead_id, e.at, e.agent, e.data, l.industry, l.name, l.attributes "
               "FROM events e JOIN leads l ON l.id = e.lead_id WHERE e.kind = ?")
        args: list = [kind]
        if until is not None:
            sql += " AND e.at <= ?"
            args.append(_iso(until))
        if industry is not None:
            sql += " AND l.industry = ?"
            args.append(industry)
        return [{"id": r[0], "lead_id": r[1], "at": dt.datetime.fromisoformat(r[2]), "agent": r[3],
                 "data": json.loads(r[4] or "{}"), "industry": r[5], "name": r[6],
                 "attributes": json.loads(r[7] or "{}")}
                for r in self.conn.execute(sql + " ORDER BY e.at, e.id", args)]

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def states_with_extra_flag(self, industry: str, path: str, owner: str | None = None) -> list[dict]:
        """Leads of ``industry`` whose projection's ``extra`` is true at the
        JSON ``path`` (``$.x_account.change_due``): the items a plugin's due
        list or review acts on, through the (industry, …) or (owner, …)
        index rather than a scan of every lead."""
        sql = ("SELECT l.id, l.name, l.phone, s.grade, s.owner, s.extra FROM lead_state s "
               "JOIN leads l ON l.id = s.lead_id WHERE s.industry = ? AND json_extract(s.extra, ?) = 1")
        args: list = [industry, path]
        if owner is not None:
            sql += " AND s.owner = ?"
            args.append(owner)
        return list(self.db.query(sql + " ORDER BY l.id", args))

    def grade_counts(self) -> list[tuple[str, str | None, int]]:
        return list(self.conn.execute(
            "SELECT industry, grade, count(*) FROM lead_state GROUP BY industry, grade ORDER BY industry, grade"))

    def summary_counts(self, column: str) -> list[tuple]:
        if column not in ("grade", "stage", "owner"):
            raise ValueError(column)
        return list(self.conn.execute(
            f"SELECT industry, {column}, count(*) FROM lead_state GROUP BY industry, {column} "
            f"ORDER BY industry, {column}"))

    # ----------------------------------------------------------- import

    def imported_rows(self, file_hash: str, row_numbers: list[int]) -> set[int]:
        """Which of ``row_numbers`` of the file ``file_hash`` were imported already."""
        if not row_numbers:
            return set()
        lo, hi = min(row_numbers), max(row_numbers)
        return {r[0] for r in self.conn.execute(
            "SELECT row_no FROM import_rows WHERE file_hash = ? AND row_no BETWEEN ? AND ?",
            (file_hash, lo, hi))}

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

    def insert_leads_bulk(self, leads: list[Lead]) -> None:
        """Insert leads that carry their ids (from :meth:`next_lead_id`)."""
        self.conn.executemany(
            "INSERT INTO leads(id, industry, name, gender, phone, need, created_at, attributes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(lead.id, lead.industry, lead.name, lead.gender, lead.phone, lead.need,
              _iso(lead.created_at), _json(lead.attributes)) for lead in leads])

    def append_events_bulk(self, events: list[Event], recorded_at: dt.datetime) -> None:
        rec = _iso(recorded_at)
        self.conn.executemany(
            "INSERT INTO events(lead_id, kind, at, agent, data, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.lead_id, e.kind, _iso(e.at), e.agent, _json(e.data), e.note, rec) for e in events])

    def record_import_rows(self, file_hash: str, rows: list[tuple[int, int | None, str]],
                           at: dt.datetime) -> None:
        """``rows`` are ``(row_no, lead_id, outcome)``; a row recorded twice is
        a programming error and aborts the batch (primary key)."""
        when = _iso(at)
        self.conn.executemany(
            "INSERT INTO import_rows(file_hash, row_no, lead_id, outcome, imported_at) VALUES (?, ?, ?, ?, ?)",
            [(file_hash, n, lead_id, outcome, when) for n, lead_id, outcome in rows])

    # -------------------------------------------------------- ownership

    def add_relation(self, agent: str, name: str | None, phone: str, relation: str,
                     at: dt.datetime) -> int:
        cur = self.conn.execute(
            "INSERT INTO agent_relations(agent, name, phone, relation, recorded_at) VALUES (?, ?, ?, ?, ?)",
            (agent, name, phone, relation, _iso(at)))
        return cur.lastrowid

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

    def add_reception(self, at: dt.datetime, kind: str, agent: str | None, data: dict) -> int:
        cur = self.conn.execute("INSERT INTO receptions(at, kind, agent, data) VALUES (?, ?, ?, ?)",
                                (_iso(at), kind, agent, _json(data)))
        return cur.lastrowid

    def receptions(self, kinds: Iterable[str] | None = None) -> list[dict]:
        sql, args = "SELECT id, at, kind, agent, data FROM receptions", []
        if kinds is not None:
            kinds = list(kinds)
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            args = kinds
        return [{"id": r[0], "at": dt.datetime.fromisoformat(r[1]), "kind": r[2], "agent": r[3],
                 "data": json.loads(r[4] or "{}")} for r in self.conn.execute(sql + " ORDER BY id", args)]

    def owned_lead_ids(self, agent: str) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE owner = ? ORDER BY lead_id", (agent,))]

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
        """Leads with their state and the registration's agent and channel,
        in id order, read ``batch_size`` at a time (bounded memory)."""
        where, args = [], []
        for col, val in (("s.industry", industry), ("s.grade", grade), ("s.owner", owner)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        cond = (" AND " + " AND ".join(where)) if where else ""
        sql = ("SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, l.created_at, l.attributes, "
               "s.score, s.grade, s.stage, s.owner, s.next_follow_up, "
               "(SELECT e.agent FROM events e WHERE e.lead_id = l.id AND e.kind = 'register' ORDER BY e.id LIMIT 1), "
               "(SELECT e.data FROM events e WHERE e.lead_id = l.id AND e.kind = 'register' ORDER BY e.id LIMIT 1) "
               "FROM leads l JOIN lead_state s ON s.lead_id = l.id WHERE l.id > ?" + cond +
               " ORDER BY l.id LIMIT ?")
        cols = ("id", "industry", "name", "gender", "phone", "need", "created_at", "attributes",
                "score", "grade", "stage", "owner", "next_follow_up", "register_agent", "register_data")
        last = 0
        while True:
            rows = self.conn.execute(sql, [last, *args, batch_size]).fetchall()
            if not rows:
                return
            for r in rows:
                yield dict(zip(cols, r))
            last = rows[-1][0]

    def explain_query_plan(self, sql: str, args: list) -> list[str]:
        return [r[-1] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
