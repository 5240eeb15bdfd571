"""Databases made by other versions (issue #14): an older one is upgraded
by its first write (one transaction, once, even when several processes
start on it together) and a read that needs a missing table says to run
``init``; a newer one is refused, with one line, for writes and reads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import types

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from leadcycle import LeadBook, LeadcycleError, hookimpl, loader
from leadcycle.storage import Store, core_migrations
from conftest import dump

CORE = [m.name for m in core_migrations._migrations]
NOW = "2026-03-06T10:00"


def old_database(path: str, n: int) -> None:
    """A database as a leadcycle with only the first ``n`` core migrations
    left it, with real estate enabled."""
    db = Database(path)
    core_migrations.apply(db, stop_before=CORE[n:])
    db["industries"].insert({"name": "realestate", "enabled_at": "2026-03-01T09:00:00"})
    db.close()


def applied(path: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id").fetchall()
    finally:
        conn.close()


def user_version(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_the_old_database_is_really_old(db_path):
    old_database(db_path, 2)
    assert applied(db_path) == [("core", "m001_initial"), ("core", "m002_import_rows")]
    assert "agent_relations" not in Database(db_path).table_names()


@pytest.mark.parametrize("n", range(1, len(CORE)))
def test_an_old_database_is_upgraded_by_its_first_write(db_path, run, n):
    old_database(db_path, n)
    result = run("agent", "add", "李娜")
    assert result.exit_code == 0, result.output
    assert applied(db_path) == [("core", name) for name in CORE]
    assert user_version(db_path) == len(CORE)
    # what the newer tables serve works at once
    assert run("agent", "relation", "add", "李娜", "--phone", "13900001111",
               "--relation", "friend").exit_code == 0
    added = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
                "--phone", "13800138000", "--need", "三房", "--agent", "李娜", now=NOW)
    assert added.exit_code == 0, added.output
    assert run("queue").exit_code == 0


def test_a_read_that_needs_a_missing_table_says_to_run_init(db_path, run):
    old_database(db_path, 2)
    before = dump(db_path)
    result = run("queue")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {db_path} was made by an older leadcycle or before a plugin was "
                             "installed (no such table: receptions); upgrade it with: "
                             f"leadcycle --db {db_path} init\n")
    assert dump(db_path) == before  # a read does not upgrade
    assert run("agent", "list").exit_code == 0  # reads of what is there still work
    assert run("init", "--industry", "realestate").exit_code == 0
    assert run("queue").exit_code == 0


def test_init_on_an_old_database_upgrades_it(db_path, run):
    old_database(db_path, 1)
    result = run("init", "--industry", "software_sales")
    assert result.exit_code == 0, result.output
    assert applied(db_path) == [("core", name) for name in CORE]


def _racer_script() -> str:
    return (
        "import os, sys, time\n"
        "from leadcycle import LeadBook\n"
        "path, name, go = sys.argv[1:4]\n"
        "book = LeadBook.open(path)\n"
        "assert book.store.pending_migrations(), 'opened after the upgrade: no race'\n"
        "open(go + '.' + name, 'w').close()\n"
        "while not os.path.exists(go):\n"
        "    time.sleep(0.002)\n"
        "book.add_agent(name)\n"
        "print('added', name)\n"
    )


def test_processes_opening_an_old_database_together_upgrade_it_once(db_path, tmp_path):
    old_database(db_path, 2)
    go = str(tmp_path / "go")
    names = ["李娜", "王强", "赵敏"]
    env = {**os.environ, "LEADCYCLE_LOAD_PLUGINS": "realestate"}
    procs = [subprocess.Popen([sys.executable, "-c", _racer_script(), db_path, name, go], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in names]
    deadline = time.monotonic() + 60
    # every process has opened the old database (and seen it pending) before any writes
    while not all(os.path.exists(f"{go}.{name}") for name in names):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), \
            [p.communicate() for p in procs if p.poll() is not None]
        time.sleep(0.01)
    open(go, "w").close()
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert applied(db_path) == [("core", name) for name in CORE]
    book = LeadBook.open(db_path)
    assert sorted(a.name for a in book.agents()) == sorted(names)
    book.close()


# ------------------------------------------------------------- newer


def future_database(db_path: str, now, migration_set: str = "core", name: str = "m999_from_the_future") -> None:
    book = LeadBook.create(db_path, ["realestate"], now=now)
    book.add_agent("李娜")
    book.close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                     (migration_set, name, "2027-01-01 00:00:00+00:00"))
        conn.execute("PRAGMA user_version = 999")
    conn.close()


NEWER = "was written by a newer leadcycle (schema 999, with migrations this version does not know: "


@pytest.mark.parametrize("command", [
    ("agent", "add", "王强"),
    ("init", "--industry", "realestate"),
    ("settings", "set", "ownership.protection_days", "15"),
    ("agent", "list"),
    ("list",),
], ids=["write", "init", "settings", "read", "list"])
def test_a_newer_database_is_refused(db_path, now, run, command):
    future_database(db_path, now)
    before = dump(db_path)
    result = run(*command, now=NOW)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {db_path} {NEWER}core.m999_from_the_future); "
                             "upgrade leadcycle to use it\n")
    assert dump(db_path) == before


def test_a_newer_database_is_refused_by_the_python_api(db_path, now):
    future_database(db_path, now)
    with pytest.raises(LeadcycleError, match="written by a newer leadcycle"):
        LeadBook.open(db_path)
    with pytest.raises(LeadcycleError, match="written by a newer leadcycle"):
        LeadBook.create(db_path, ["realestate"])


def test_an_upgrade_by_a_newer_version_after_opening_stops_the_next_write(db_path, now):
    book = LeadBook.create(db_path, ["realestate"], now=now)
    book.close()
    book = LeadBook.open(db_path, now)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('core', 'm999_from_the_future', '2027-01-01')")
    conn.close()
    with pytest.raises(LeadcycleError, match="written by a newer leadcycle"):
        book.add_agent("李娜")
    book.close()
    assert "李娜" not in str(dump(db_path))


gadget_migrations = Migrations("gadgets")


@gadget_migrations()
def m001_gadgets(db):
    db["gadgets"].create({"id": int, "lead_id": int}, pk="id")


@pytest.fixture
def gadgets():
    pm = loader.get_pm()
    pm.register(types.SimpleNamespace(register_migrations=hookimpl(lambda register: register(gadget_migrations))),
                name="gadgets")
    yield
    pm.unregister(name="gadgets")


def test_a_plugin_s_unknown_migration_is_refused_too(db_path, now, run, gadgets):
    future_database(db_path, now, "gadgets", "m002_newer_gadgets")
    result = run("agent", "add", "王强")
    assert result.exit_code == 1
    assert f"{NEWER}gadgets.m002_newer_gadgets)" in result.stderr


def test_a_set_of_a_plugin_that_is_not_loaded_is_left_alone(db_path, now, run):
    future_database(db_path, now, "gadgets", "m005_gadgets")
    result = run("agent", "add", "王强")
    assert result.exit_code == 0, result.output


def test_plugin_migrations_are_applied_by_the_first_write(db_path, now, run, gadgets):
    old_database(db_path, 2)
    assert run("agent", "add", "王强").exit_code == 0
    assert ("gadgets", "m001_gadgets") in applied(db_path)
    assert "gadgets" in Database(db_path).table_names()


def test_a_failing_migration_is_one_line_and_migrates_nothing(db_path, run):
    broken = Migrations("gadgets")

    @broken()
    def m001_boom(db):
        db["gadgets"].create({"id": int}, pk="id")
        db.execute("SELECT * FROM no_such_thing")

    old_database(db_path, 2)
    before = dump(db_path)
    pm = loader.get_pm()
    pm.register(types.SimpleNamespace(register_migrations=hookimpl(lambda register: register(broken))),
                name="gadgets")
    try:
        result = run("agent", "add", "王强")
    finally:
        pm.unregister(name="gadgets")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: migration gadgets.m001_boom failed (OperationalError: no such table")
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before  # the core's pending migration too: one transaction


def test_a_fresh_database_records_its_schema_version(db_path, now):
    LeadBook.create(db_path, ["realestate"], now=now).close()
    assert user_version(db_path) == len(CORE)
    store = Store.open(db_path)
    assert store.pending_migrations() == [] and store.unknown_migrations() == []
    store.close()


def before_the_fold(path: str) -> None:
    """Make ``path`` a database as the leadcycle before migration m010 left
    it: projections stored without the ownership fold's columns."""
    conn = sqlite3.connect(path)
    later = CORE[CORE.index("m010_owner_fold"):]
    for index in ("lead_state_fold_owner", "lead_state_fold_window_to", "lead_state_foldless"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    for col in [r[1] for r in conn.execute("PRAGMA table_info(lead_state)") if r[1].startswith("fold_")]:
        conn.execute(f"ALTER TABLE lead_state DROP COLUMN {col}")
    conn.execute(f"DELETE FROM _sqlite_migrations WHERE name IN ({', '.join('?' * len(later))})", later)
    conn.execute(f"PRAGMA user_version = {len(CORE) - len(later)}")
    conn.commit()
    conn.close()


def test_reads_of_a_database_from_before_the_ownership_fold(demo_copy, runner):
    """A read does not upgrade, so it evaluates an older file's stale
    leads without the columns the newer program keeps (it once failed with
    "no such column fold_owner"); the first write upgrades it."""
    from leadcycle.cli import cli

    before_the_fold(demo_copy)
    before = dump(demo_copy)
    month_later = ["--db", demo_copy, "--now", "2026-10-15T09:00"]
    for read in (["list"], ["list", "--owner", "李娜"], ["due"], ["due", "--agent", "李娜"], ["pool"],
                 ["show", "1"], ["report", "daily"]):
        result = runner.invoke(cli, [*month_later, *read])
        assert result.exit_code == 0, (read, result.output)
    assert dump(demo_copy) == before
    listed = runner.invoke(cli, [*month_later, "list", "--json"])
    assert runner.invoke(cli, ["--db", demo_copy, "rescore"]).exit_code == 0  # a write: upgrades
    assert [name for _, name in applied(demo_copy)] == CORE
    assert runner.invoke(cli, [*month_later, "list", "--json"]).output == listed.output


def test_projections_stored_by_another_program_are_not_trusted(demo_copy, monkeypatch):
    """A newer leadcycle (or a plugin's new release) may grade differently
    under the same version number and settings: its reads re-evaluate what
    an older program stored, since the rules' version hashes the code that
    computes projections. Here the stored grades are "an older program's"
    (every one A); the same program trusts them, a changed one does not."""
    import datetime as dt

    from leadcycle import api

    conn = sqlite3.connect(demo_copy)
    clock = dt.datetime.fromisoformat(conn.execute(
        "SELECT datetime(max(computed_at), 'unixepoch') FROM lead_state").fetchone()[0])
    conn.execute("UPDATE lead_state SET grade = 'A' WHERE industry = 'realestate'")
    conn.commit()
    conn.close()

    def listed_and_shown(book):
        listed = {r["id"]: r["grade"] for r in book.list(industry="realestate")}
        return listed, {i: book.record(i).state.grade for i in listed}

    book = LeadBook.open(demo_copy, clock)
    listed, shown = listed_and_shown(book)
    assert any(listed[i] == "A" != shown[i] for i in listed)  # the same program: its cache, trusted
    book.close()
    monkeypatch.setattr(api, "code_fingerprint", lambda plugins=(): "another program")
    book = LeadBook.open(demo_copy, clock)
    listed, shown = listed_and_shown(book)
    assert listed == shown and set(listed.values()) != {"A"}
    book.close()


def test_folds_stored_by_another_program_are_refolded_not_trusted(demo_copy, monkeypatch):
    """The ownership fold kept per lead carries a hash of the code that
    folded it: after an upgrade that changes the fold, reads evaluate the
    owner from the events (not from the stored fold) until ``rescore``
    folds again, which it does for every such lead."""
    import datetime as dt

    from leadcycle import ownership

    monkeypatch.setattr(ownership, "_folds_source", lambda: "another program's folds")
    clock = dt.datetime(2026, 10, 20, 9)
    book = LeadBook.open(demo_copy, clock)
    listed = {r["id"]: r["owner"] for r in book.list()}
    assert listed == {i: book.record(i).state.owner for i in listed}
    book.close()
    conn = sqlite3.connect(demo_copy)
    stale = conn.execute("SELECT count(*) FROM lead_state WHERE fold_version IS NOT NULL").fetchone()[0]
    conn.close()
    book = LeadBook.open(demo_copy)
    signature = ownership.signature(book.context.for_industry("realestate").ownership)
    book.rescore()
    book.close()
    conn = sqlite3.connect(demo_copy)
    # every fold is now kept under the new signature (some with the periods it holds under)
    tags = [r[0] for r in conn.execute("SELECT (SELECT tag FROM versions WHERE code = fold_version) "
                                       "FROM lead_state WHERE industry = 'realestate'")]
    assert stale and tags and all(tag.partition("/")[0] == signature for tag in tags)
    conn.close()


@pytest.mark.parametrize("change", ["upgrade", "setting"])
def test_rescore_folds_again_itself_and_stores_what_the_engine_stores(demo_copy, tmp_path, monkeypatch, change):
    """Folds rescore cannot use — made by another version of the fold, or
    under another ownership policy (``ownership.recognition_minutes``,
    which every fold reads) — are folded again from each lead's log and
    the rest evaluated by the compiled statement: the engine evaluates no
    real-estate lead (software sales and machinery store ``x_`` values the
    statement does not compute: the engine evaluates theirs), and every
    row stored (states, lead rows, facts) is the one ``rescore --refold``
    (the engine for every lead) stores, at the demo's end and at a clock
    inside it."""
    import datetime as dt
    import shutil

    from leadcycle import engine, ownership

    if change == "upgrade":
        monkeypatch.setattr(ownership, "_folds_source", lambda: "another program's folds")
    else:
        book = LeadBook.open(demo_copy)
        book.set_setting("ownership.recognition_minutes", 30)
        book.close()
    for clock in (dt.datetime(2026, 10, 20, 9), dt.datetime(2026, 10, 6, 12)):
        fast, slow = str(tmp_path / "fast.db"), str(tmp_path / "slow.db")
        shutil.copy(demo_copy, fast)
        shutil.copy(demo_copy, slow)
        book = LeadBook.open(slow, clock)
        book.rescore(refold=True)
        book.close()
        engine_leads = []
        project_batch = engine.project_batch
        with monkeypatch.context() as m:
            m.setattr(engine, "project_batch", lambda ctx, batch, *a, **k: engine_leads.extend(
                lead.id for lead, events in batch if all(e.at <= book.now for e in events))
                or project_batch(ctx, batch, *a, **k))
            book = LeadBook.open(fast, clock)
            book.rescore()
            book.close()
        conn = sqlite3.connect(fast)
        industry = dict(conn.execute("SELECT id, industry FROM leads"))
        assert "realestate" in industry.values()
        assert {industry[i] for i in engine_leads} == {"software_sales", "machinery"}, clock
        conn.execute(f"ATTACH '{slow}' AS slow")
        # versions are kept by codes each database gives in its own order: compared by their tags
        cols = {table: ", ".join(f"(SELECT tag FROM {{db}}.versions WHERE code = {c})" if c.endswith("_version")
                                 else c for c, in conn.execute(f"SELECT name FROM pragma_table_info('{table}')"))
                for table in ("lead_state", "leads", "facts")}
        for table, select in cols.items():
            differ = conn.execute(f"SELECT count(*) FROM (SELECT {select.format(db='main')} FROM main.{table} "
                                  f"EXCEPT SELECT {select.format(db='slow')} FROM slow.{table})").fetchone()[0]
            assert differ == 0, (table, clock)
            assert conn.execute(f"SELECT count(*) FROM main.{table}").fetchone() == \
                conn.execute(f"SELECT count(*) FROM slow.{table}").fetchone()
        conn.close()
