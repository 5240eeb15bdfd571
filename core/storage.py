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
from .search import search_key

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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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


def _recorded_now() -> str:
    """The machine's clock, in UTC, to the second: when an entry was written."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value.isoformat()


def _names(migrations: Migrations) -> list[str]:
    """The names a migration set declares (sqlite-utils keeps them in
    ``_migrations``; its public ``pending``/``applied`` need a database)."""
    return [m.name for m in migrations._migrations]


_STATE_COLUMNS = ("lead_id", "industry", "score", "grade", "stage", "owner", "next_follow_up",
                  "follow_up_kind", "reasons", "extra", "computed_at", "expires_at", "owner_until",
                  "rules_version")

#: what reads query: the stored projections, with the leads evaluated for
#: this run's clock and rules (``Store.set_overlay``) laid over them
LIVE = "live_state"


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
        self._live_ready = False
        #: called before every write transaction (the LeadBook's office
        #: rules: sign-in and the machine's clock); ``transaction(check=False)``
        #: skips it for signing in itself
        self.before_write = None
        self.migrations: tuple[Migrations, ...] = (core_migrations, *extra_migrations)
        self._schema_ok = False  # checked (and upgraded) since this store was opened

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
    def open(cls, path: str, extra_migrations: Iterable[Migrations] = ()) -> "Store":
        """An existing database; ``extra_migrations`` are the loaded
        plugins' sets (to upgrade, and to recognise a newer database)."""
        if not os.path.exists(path):
            raise NotFound(f"no database at {path}; create one with: "
                           f"leadcycle --db {path} init --industry NAME")
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
        existed = os.path.exists(path) and os.path.getsize(path) > 0
        store = cls(cls._connect(path), path, extra_migrations)
        try:
            if existed:
                store._check_ours(allow_empty=True)
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
            raise LeadcycleError(f"{self.path} is not a leadcycle database ({e}); "
                                 "give another --db") from None
        if app_id == APPLICATION_ID:
            return
        if allow_empty and not tables:
            return
        raise LeadcycleError(f"{self.path} is a SQLite file but not a leadcycle database; "
                             "give another --db")

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
                f"{self.path} was written by a newer leadcycle (schema {self.schema_version()}, "
                f"with migrations this version does not know: {', '.join(unknown)}); "
                "upgrade leadcycle to use it")

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
                        f"migration {m.name}.{failed} failed ({type(e).__name__}: {e}); "
                        "nothing was changed — fix or uninstall the plugin that declares it") from e
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
        if applied and self._live_ready:  # the overlay copies lead_state's columns
            self.conn.execute("DROP VIEW IF EXISTS temp.live_state")
            self.conn.execute("DROP TABLE IF EXISTS temp.state_overlay")
            self._live_ready = False
        return applied

    def _upgrade_for_write(self) -> None:
        """Before the first write: refuse a newer database, apply what is
        pending. A quick read first, so an up-to-date database costs no lock."""
        if self.unknown_migrations() or self.pending_migrations():
            self.migrate()
        self._schema_ok = True

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self, check: bool = True) -> Iterator["Store"]:
        """One user action = one transaction, holding the write lock from
        the start so check-then-write is safe across processes."""
        if check and self.before_write is not None and not self.conn.in_transaction:
            self.before_write()
        if self.conn.in_transaction:
            try:
                with self.db.atomic():
                    yield self
            except BaseException:
                self._live_ready = False  # a rollback may drop the temp overlay made inside it
                raise
            return
        if not self._schema_ok:
            self._upgrade_for_write()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._live_ready = False
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
        return [Agent.from_row(r) for r in self.db.query(f"SELECT * FROM agents {where} ORDER BY created_at, name")]

    def update_agent(self, name: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE agents SET {sets} WHERE name = ?", (*fields.values(), name))

    # ------------------------------------------------------------ leads

    def insert_lead(self, lead: Lead) -> int:
        cur = self.conn.execute(
            "INSERT INTO leads(industry, name, gender, phone, need, created_at, attributes, search) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (lead.industry, lead.name, lead.gender, lead.phone, lead.need,
             _iso(lead.created_at), _json(lead.attributes), search_key(lead.name)))
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
            "UPDATE leads SET name = ?, gender = ?, phone = ?, need = ?, attributes = ?, search = ? WHERE id = ?",
            (lead.name, lead.gender, lead.phone, lead.need, _json(lead.attributes), search_key(lead.name),
             lead.id))

    def count_leads(self, industry: str | None = None) -> int:
        if industry:
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
        """Append one event. ``recorded_at`` is the machine's clock (UTC)
        whatever the event's own time: a simulated clock or an imported
        visit date never hides when an entry was really written."""
        cur = self.conn.execute(
            "INSERT INTO events(lead_id, kind, at, agent, data, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event.lead_id, event.kind, _iso(event.at), event.agent, _json(event.data),
             event.note, _recorded_now()))
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

    @staticmethod
    def _state_rows(states: Iterable[State], rules_version: str | None) -> list[tuple]:
        return [(
            s.lead_id, s.industry, s.score, s.grade, s.stage, s.owner,
            _iso(s.next_follow_up), s.follow_up_kind,
            _json([r.to_json() for r in s.reasons]), _json(s.extra),
            _iso(s.computed_at), _iso(s.expires_at), _iso(s.owner_until), rules_version,
        ) for s in states]

    def save_states(self, states: Iterable[State], rules_version: str | None = None) -> int:
        """Store projections computed by a write (or ``rescore``) under the
        rules ``rules_version``."""
        rows = self._state_rows(states, rules_version)
        # an upsert updates the row in place: only the indexes whose columns
        # changed are touched (INSERT OR REPLACE deletes and re-inserts)
        self.conn.executemany(
            f"INSERT INTO lead_state({', '.join(_STATE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_STATE_COLUMNS))}) ON CONFLICT(lead_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[1:]), rows)
        if self._live_ready and rows:
            # what this write stored is newer than this run's overlay
            self.conn.executemany("DELETE FROM temp.state_overlay WHERE lead_id = ?", [(r[0],) for r in rows])
        latest = max((r[10] for r in rows if r[10]), default=None)
        if latest is not None:
            # the latest clock any projection was computed for: a later run
            # with an earlier --now knows it must look for those
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES ('max_computed_at', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)", (latest,))
        return len(rows)

    # The live view. A read evaluates, for its own clock and rules, the
    # leads whose stored projection does not hold then, and lays them over
    # the stored ones in a TEMP table of this connection: the database file
    # is never written by a read, and every query of the run sees one
    # consistent answer.

    def _ensure_live(self) -> None:
        if self._live_ready:
            return
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS state_overlay AS "
                          "SELECT * FROM main.lead_state WHERE 0")
        self.conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS temp.state_overlay_lead "
                          "ON state_overlay(lead_id)")
        self.conn.execute(
            f"CREATE TEMP VIEW IF NOT EXISTS {LIVE} AS "
            "SELECT * FROM temp.state_overlay WHERE industry IS NOT NULL UNION ALL "
            "SELECT * FROM main.lead_state WHERE lead_id NOT IN (SELECT lead_id FROM temp.state_overlay)")
        self._live_ready = True

    def clear_overlay(self) -> None:
        self._ensure_live()
        self.conn.execute("DELETE FROM temp.state_overlay")

    def add_overlay(self, states: Iterable[State], rules_version: str | None,
                    absent: Iterable[int] = ()) -> None:
        """Lay states evaluated by a read over the stored ones, for this
        connection only; the ``absent`` leads (registered after the read's
        clock) are hidden from it."""
        self._ensure_live()
        self.conn.executemany(
            f"INSERT OR REPLACE INTO temp.state_overlay({', '.join(_STATE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_STATE_COLUMNS))})", self._state_rows(states, rules_version))
        self.conn.executemany("INSERT OR REPLACE INTO temp.state_overlay(lead_id) VALUES (?)",
                              [(i,) for i in absent])

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
        """The lead's projection as this run sees it (stored, or evaluated
        by the last ``LeadBook.refresh``)."""
        self._ensure_live()
        rows = list(self.db.query(f"SELECT * FROM {LIVE} WHERE lead_id = ?", [lead_id]))
        return self._state(rows[0]) if rows else None

    def stale_lead_ids(self, now: dt.datetime, rules_version: str | None) -> list[int]:
        """Leads whose stored projection does not hold at ``now`` under the
        rules ``rules_version``: the clock has overtaken it, it was computed
        for a later clock, or under other rules (settings changed, a plugin
        added, a ``rescore`` killed half-way) — Through
        indexes, but for the rare run with an earlier clock than some stored
        projection."""
        t = _iso(now)
        stale = {r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE expires_at <= ?", (t,))}  # by index
        stale.update(r[0] for r in self.conn.execute(
            "SELECT lead_id FROM lead_state WHERE rules_version < ? UNION ALL "
            "SELECT lead_id FROM lead_state WHERE rules_version > ? UNION ALL "
            "SELECT lead_id FROM lead_state WHERE rules_version IS NULL", (rules_version, rules_version)))
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'max_computed_at'").fetchone()
        if row is not None and row[0] > t:  # rare: a run with an earlier --now
            stale.update(r[0] for r in self.conn.execute(
                "SELECT lead_id FROM lead_state WHERE computed_at > ?", (t,)))
        return sorted(stale)

    def query_leads(self, industry: str | None = None, grade: str | None = None,
                    stage: str | None = None, owner: str | None = None, pool: bool = False,
                    limit: int | None = None) -> Iterator[dict]:
        self._ensure_live()
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
               f"s.reasons, s.extra FROM leads l JOIN {LIVE} s ON s.lead_id = l.id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY l.id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        yield from self.db.query(sql, args)

    def due_rows(self, until: dt.date, owner: str | None = None) -> list[dict]:
        """Leads whose next follow-up falls on or before ``until``, through
        the ``(owner, next_follow_up)`` index."""
        self._ensure_live()
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               f"s.next_follow_up, s.follow_up_kind, s.score, s.extra FROM {LIVE} s "
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
        self._ensure_live()
        sql = ("SELECT l.id, l.industry, l.name, l.phone, l.created_at, s.grade, s.stage, s.owner, "
               f"s.owner_until, s.next_follow_up FROM {LIVE} s JOIN leads l ON l.id = s.lead_id "
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
                 "attributes": json.loads(r[7] or "{}")}
                for r in self.conn.execute(sql + " ORDER BY e.at, e.id", args)]

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    def states_with_extra_flag(self, industry: str, path: str, owner: str | None = None) -> list[dict]:
        """Leads of ``industry`` whose projection's ``extra`` is true at the
        JSON ``path`` (``$.x_account.change_due``): the items a plugin's due
        list or review acts on, through the (industry, …) or (owner, …)
        index rather than a scan of every lead."""
        self._ensure_live()
        sql = (f"SELECT l.id, l.name, l.phone, s.grade, s.owner, s.extra FROM {LIVE} s "
               "JOIN leads l ON l.id = s.lead_id WHERE s.industry = ? AND json_extract(s.extra, ?) = 1")
        args: list = [industry, path]
        if owner is not None:
            sql += " AND s.owner = ?"
            args.append(owner)
        return list(self.db.query(sql + " ORDER BY l.id", args))

    def grade_counts(self) -> list[tuple[str, str | None, int]]:
        self._ensure_live()
        return list(self.conn.execute(
            f"SELECT industry, grade, count(*) FROM {LIVE} GROUP BY industry, grade ORDER BY industry, grade"))

    def summary_counts(self, column: str) -> list[tuple]:
        self._ensure_live()
        if column not in ("grade", "stage", "owner"):
            raise ValueError(column)
        return list(self.conn.execute(
            f"SELECT industry, {column}, count(*) FROM {LIVE} GROUP BY industry, {column} "
            f"ORDER BY industry, {column}"))

    # ----------------------------------------------------------- import

    def imported_keys(self, keys: list[str], run: str) -> set[str]:
        """Which of these row keys an earlier import run committed."""
        keys = list(set(keys))
        out: set[str] = set()
        for i in range(0, len(keys), 900):
            chunk = keys[i:i + 900]
            out.update(r[0] for r in self.conn.execute(
                f"SELECT key FROM import_keys WHERE key IN ({','.join('?' * len(chunk))}) AND run != ?",
                [*chunk, run]))
        return out

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
            "INSERT INTO leads(id, industry, name, gender, phone, need, created_at, attributes, search) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(lead.id, lead.industry, lead.name, lead.gender, lead.phone, lead.need,
              _iso(lead.created_at), _json(lead.attributes), search_key(lead.name)) for lead in leads])

    def append_events_bulk(self, events: list[Event]) -> None:
        rec = _recorded_now()
        self.conn.executemany(
            "INSERT INTO events(lead_id, kind, at, agent, data, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.lead_id, e.kind, _iso(e.at), e.agent, _json(e.data), e.note, rec) for e in events])

    def record_import_keys(self, rows: list[tuple[str, int | None, str, int]], source: str, run: str,
                           at: dt.datetime) -> None:
        """``rows`` are ``(key, lead_id, outcome, row_no)``; a key already
        recorded (the same row twice in one file) keeps its first entry."""
        when = _iso(at)
        self.conn.executemany(
            "INSERT OR IGNORE INTO import_keys(key, lead_id, outcome, source, row_no, run, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(key, lead_id, outcome, source, row_no, run, when) for key, lead_id, outcome, row_no in rows])

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
        self._ensure_live()
        return [r[0] for r in self.conn.execute(
            f"SELECT lead_id FROM {LIVE} WHERE owner = ? ORDER BY lead_id", (agent,))]

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
        self._ensure_live()
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
               f"FROM leads l JOIN {LIVE} s ON s.lead_id = l.id WHERE l.id > ?" + cond +
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

    def find_leads(self, kind: str, text: str, industry: str | None = None, limit: int = 20) -> list[dict]:
        """Leads whose phone ends with (or holds) the digits, whose name holds
        the text, or whose name's pinyin starts with or holds the letters
        (``kind`` from :func:`leadcycle.search.classify`); best matches
        first: a phone's last digits, a pinyin's initials, then the rest."""
        self._ensure_live()
        if kind == "phone":
            match, rank = "replace(l.phone, '-', '') LIKE '%' || ?1 || '%'", \
                "CASE WHEN replace(l.phone, '-', '') LIKE '%' || ?1 THEN 0 ELSE 1 END"
        elif kind == "pinyin":
            match, rank = "instr(l.search, ?1) > 0", "CASE WHEN l.search LIKE ?1 || '%' THEN 0 ELSE 1 END"
        else:
            match, rank = "instr(l.name, ?1) > 0", "CASE WHEN l.name = ?1 THEN 0 ELSE 1 END"
        sql = (f"SELECT l.id, l.industry, l.name, l.gender, l.phone, l.need, s.grade, s.stage, s.owner, "
               f"s.next_follow_up FROM leads l JOIN {LIVE} s ON s.lead_id = l.id WHERE {match}"
               + (" AND l.industry = ?2" if industry else "") + f" ORDER BY {rank}, l.id LIMIT {int(limit)}")
        args = [text] + ([industry] if industry else [])
        return list(self.db.query(sql, args))

    def explain_query_plan(self, sql: str, args: list) -> list[str]:
        return [r[-1] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
