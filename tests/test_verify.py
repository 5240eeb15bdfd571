"""Tamper evidence (issue #10): ``leadcycle verify`` and ``leadcycle backup``.

The database every test starts from is built through the command line
(three industries, registrations, follow-ups, a deal, an import, the
reception queue, relations, settings); the tampering is done the way
someone with the file would do it: plain ``sqlite3``, triggers dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from leadcycle import LeadBook
from leadcycle.cli import cli
from leadcycle.storage import CHAINED, GUARDS, core_migrations

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ENV = {"LEADCYCLE_LOAD_PLUGINS": "realestate,software_sales,machinery", "LEADCYCLE_LANG": "en",
       "LEADCYCLE_RAISE_ERRORS": ""}


def _office(path: str) -> None:
    """A small office's database, written only through the CLI."""
    runner = CliRunner()

    def run(*args, now="2026-03-05T10:00"):
        result = runner.invoke(cli, ["--db", path, "--now", now, *args], env=ENV)
        assert result.exit_code in (0, 1), result.output
        return result

    run("init", "--industry", "realestate", "--industry", "software_sales", "--industry", "machinery")
    for name in ("李娜", "王强", "赵敏"):
        run("agent", "add", name)
    run("agent", "add", "陈经理", "--manager")
    run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男",
        "--phone", "13800138000", "--need", "三房", "--agent", "李娜")
    run("lead", "add", "--industry", "software_sales", "--name", "王芳", "--gender", "女",
        "--phone", "13900139000", "--need", "CRM", "--agent", "王强")
    run("lead", "add", "--industry", "machinery", "--name", "刘洋", "--gender", "男",
        "--phone", "13700137000", "--need", "挖掘机", "--agent", "赵敏")
    run("lead", "set", "1", "funds=A", "price=B", "--agent", "李娜", now="2026-03-05T11:00")
    run("log", "1", "follow_up", "--agent", "李娜", "--set", "reaction=positive", "--note", "约周末看房",
        now="2026-03-06T15:00")
    run("log", "2", "asked_price", "--agent", "王强", now="2026-03-06T16:00")
    run("agent", "relation", "add", "王强", "--phone", "13600136000", "--relation", "friend",
        now="2026-03-06T17:00")
    run("receive", now="2026-03-07T09:00")
    run("agent", "away", "赵敏", "--reason", "business", now="2026-03-07T09:30")
    run("agent", "back", "赵敏", now="2026-03-07T12:00")
    run("settings", "set", "ownership.protection_days", "15", now="2026-03-07T13:00")
    run("log", "1", "deposit", "--agent", "李娜", "--set", "amount=50000", now="2026-03-08T10:00")
    run("log", "1", "contract", "--agent", "李娜", now="2026-03-09T10:00")
    register = os.path.join(os.path.dirname(path), "register_good.csv")  # its rejects go beside it
    shutil.copy(os.path.join(FIXTURES, "register_good.csv"), register)
    run("import", register, "--industry", "realestate", now="2026-03-10T10:00")
    run("log", "1", "visit", "--agent", "李娜", now="2026-03-11T10:00")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("office") / "office.db")
    _office(path)
    return path


@pytest.fixture
def office(template, db_path):
    """A copy of the office database at ``db_path`` (the ``run`` fixture's)."""
    shutil.copy(template, db_path)
    return db_path


def sql(path: str, *statements: str, args=()) -> None:
    """Plain sqlite3, as anyone with the file could use it."""
    conn = sqlite3.connect(path)
    try:
        for s in statements:
            conn.execute(s, args if "?" in s else ())
        conn.commit()
    finally:
        conn.close()


def event(path: str, event_id: int) -> tuple:
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT id, lead_id, at FROM events WHERE id = ?", (event_id,)).fetchone()
    conn.close()
    return row


def verify(run, *args, path=None):
    base = ("--db", path) if path else ()
    return run(*base, "verify", *args) if not path else CliRunner().invoke(cli, [*base, "verify", *args])


def verdict(result) -> dict:
    return json.loads(result.output)


def failed(result) -> dict[str, dict]:
    return {c["check"]: c for c in verdict(result)["checks"] if not c["ok"]}


def one_line(result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


# ----------------------------------------------------------------- clean


def test_a_void_of_a_change_of_the_basics_is_no_tampering(office, run):
    """``lead set 1 need=四房`` voided: the lead row keeps the need its log
    says once the void is taken out — verify folds the log as a write does."""
    assert run("lead", "set", "1", "need=四房", "phone=13800138111", "--agent", "李娜",
               now="2026-03-12T10:00").exit_code == 0
    set_id = json.loads(run("show", "1", "--json", now="2026-03-12T10:01").output)["events"][-1]["id"]
    voided = run("void", "1", str(set_id), "--reason", "记错", "--agent", "李娜", now="2026-03-12T10:05")
    assert voided.exit_code == 0, voided.output
    shown = json.loads(run("show", "1", "--json", now="2026-03-12T10:06").output)
    assert shown["need"] == "三房"
    result = run("verify", now="2026-03-12T10:06")
    assert result.exit_code == 0, result.output


def test_a_clean_database_verifies(office, run):
    result = run("verify")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]) and len(lines) == 13
    assert lines[-1].startswith("all 12 checks passed")
    out = run("verify", "--json")
    assert out.exit_code == 0
    report = verdict(out)
    assert report["ok"] is True
    by = {c["check"]: c for c in report["checks"]}
    assert by["event log"]["count"] == report["head"]["id"] > 10
    assert by["leads"]["count"] == 3 + 3  # three by hand, three imported (张伟 merged)
    assert by["reception log"]["count"] >= 3 and by["agent relations"]["count"] == 1
    assert by["credit ledger"]["count"] == 1 and by["import ledger"]["count"] == 3
    assert by["facts"]["count"] == by["leads"]["count"]


def test_every_append_path_extends_the_chain(office, run):
    """lead add, log, set, plugin commands, receptions, relations, settings and import
    all chain; a head kept from before still matches after more writes."""
    head = verdict(run("verify", "--json"))["head"]
    assert run("log", "2", "data_security", "--agent", "王强", now="2026-03-12T10:00").exit_code == 0
    assert run("settings", "reset", "ownership.protection_days", now="2026-03-12T10:00").exit_code == 0
    assert run("receive", now="2026-03-12T11:00").exit_code == 0
    result = run("verify", "--json", "--head", f"{head['id']}:{head['hash']}")
    assert result.exit_code == 0, result.output
    assert verdict(result)["head"]["id"] == head["id"] + 1


# ------------------------------------------------------------- tampering


@pytest.mark.parametrize("column, value", [
    ("agent", "赵敏"),
    ("data", '{"reaction":"negative"}'),
    ("at", "2026-03-06T14:00:00"),
])
def test_one_rewritten_event_is_named(office, run, column, value):
    eid, lead, at = event(office, 5)
    sql(office, "DROP TRIGGER events_no_update", f"UPDATE events SET {column} = ? WHERE id = 5", args=(value,))
    result = run("verify")
    assert result.exit_code == 1
    if column == "at":
        at = value
    assert f"✗ event log: event #5 (lead #{lead}, {at}) does not match its hash" in result.output
    assert "✗ guards: guards dropped: events_no_update" in result.output
    problem = failed(run("verify", "--json"))["event log"]["problem"]
    assert (problem["id"], problem["lead_id"], problem["at"], problem["what"]) == (5, lead, at, "hash_mismatch")


def test_only_the_first_mismatch_is_named(office, run):
    sql(office, "DROP TRIGGER events_no_update", "UPDATE events SET note = 'x' WHERE id IN (4, 8)")
    problem = failed(run("verify", "--json"))["event log"]["problem"]
    assert problem["id"] == 4


def test_re_created_triggers_do_not_hide_it(office, run):
    sql(office, "DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete",
        "UPDATE events SET agent = '王强' WHERE id = 5")
    assert run("init").exit_code == 0  # puts the guards back
    result = run("verify", "--json")
    assert result.exit_code == 1
    assert set(failed(result)) == {"event log"}
    assert failed(result)["event log"]["problem"]["id"] == 5
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(office, "UPDATE events SET agent = '李娜' WHERE id = 5")


def test_a_deleted_event_is_detected(office, run):
    sql(office, "DROP TRIGGER events_no_delete", "DELETE FROM events WHERE id = 6")
    result = run("verify")
    assert result.exit_code == 1
    _, lead, at = event(office, 7)
    assert f"✗ event log: event #6 missing: the log jumps from #5 to event #7 (lead #{lead}, {at})" in result.output


def test_the_deleted_last_event_is_detected(office, run):
    last = verdict(run("verify", "--json"))["head"]["id"]
    sql(office, "DROP TRIGGER events_no_delete", f"DELETE FROM events WHERE id = {last}")
    problem = failed(run("verify", "--json"))["event log"]["problem"]
    assert (problem["what"], problem["id"]) == ("truncated", last)


def test_an_inserted_event_is_refused_then_detected(office, run):
    insert = ("INSERT INTO events(lead_id, kind, at, agent, data, recorded_at) "
              "VALUES (1, 'visit', '2026-03-20T10:00:00', '王强', '{}', '2026-03-20T10:00:00')")
    with pytest.raises(sqlite3.IntegrityError, match="chained"):
        sql(office, insert)
    sql(office, "DROP TRIGGER events_need_hash", insert)
    result = run("verify", "--json")
    problem = failed(result)["event log"]["problem"]
    assert result.exit_code == 1 and problem["what"] == "no_hash" and problem["lead_id"] == 1
    assert problem["at"] == "2026-03-20T10:00:00"
    forged = insert.replace("recorded_at)", "recorded_at, hash)").replace("00')", "00', '" + "ab" * 32 + "')")
    sql(office, "DROP TRIGGER events_no_delete", f"DELETE FROM events WHERE id = {problem['id']}", forged)
    assert failed(run("verify", "--json"))["event log"]["problem"]["what"] == "hash_mismatch"


def test_a_log_rewritten_hashes_and_all_is_caught_by_the_kept_head(office, run):
    """Someone who knows the scheme can recompute every hash after an edit;
    the head kept outside the file (--head) still tells."""
    from leadcycle.storage import _backfill_chain

    head = verdict(run("verify", "--json"))["head"]
    conn = sqlite3.connect(office)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET agent = '王强' WHERE id = 3")
    _backfill_chain(conn, "events")
    conn.commit()
    conn.close()
    assert verdict(run("verify", "--json"))["checks"][1]["ok"]  # the chain alone is consistent
    result = run("verify", "--head", f"{head['id']}:{head['hash'][:16]}")
    assert result.exit_code == 1
    assert f"event #{head['id']}" in result.output and "rewritten" in result.output


@pytest.mark.parametrize("statements, check", [
    (["DROP TRIGGER receptions_no_update", "UPDATE receptions SET agent = '王强' WHERE id = 1"], "reception log"),
    (["DROP TRIGGER agent_relations_no_delete", "DELETE FROM agent_relations"], "agent relations"),
    (["UPDATE settings SET value = '90' WHERE key = 'ownership.protection_days'"], "settings"),
    (["DELETE FROM settings"], "settings"),
    (["UPDATE leads SET phone = '13811112222' WHERE id = 1"], "leads"),
    (["DROP TRIGGER leads_no_delete", "PRAGMA foreign_keys = OFF", "DELETE FROM leads WHERE id = 2"], "leads"),
    (["UPDATE facts SET n = n + 1 WHERE lead_id = 1 AND kind = (SELECT code FROM fact_kinds WHERE name = '@visit')"], "facts"),
    (["DELETE FROM facts WHERE lead_id = 2"], "facts"),
    (["UPDATE lead_state SET fold_owner = '王强' WHERE lead_id = 1"], "owner folds"),
    (["UPDATE lead_state SET fold_anchor = '2026-12-31T00:00:00' WHERE lead_id = 1"], "owner folds"),
    (["UPDATE agents SET away = 'personal' WHERE name = '李娜'"], "agents"),
    (["UPDATE agents SET active = 0 WHERE name = '王强'"], "agents"),
    (["UPDATE credit_ledger SET share_num = 2"], "credit ledger"),
    (["DROP TRIGGER imported_rows_no_update", "UPDATE imported_rows SET lead_id = 99"], "import ledger"),
    (["DROP TRIGGER imported_rows_no_update", "UPDATE imported_rows SET run = 99"], "import ledger"),
    (["DROP TRIGGER import_runs_no_delete", "DELETE FROM import_runs"], "import ledger"),
    (["DROP TRIGGER import_runs_no_update", "UPDATE import_runs SET id = id + 1"], "import ledger"),
])
def test_the_other_evidence_tables(office, run, statements, check):
    sql(office, *statements)
    result = run("verify", "--json")
    assert result.exit_code == 1
    assert check in failed(result), result.output


@pytest.mark.parametrize("statement", [
    "UPDATE leads SET industry_c = industry_c + 1 WHERE id = 1",
    "UPDATE leads SET created = created - 86400 WHERE id = 1",
    "DELETE FROM leads WHERE id = 1",
    "UPDATE agents SET created_at = '2020-01-01' WHERE name = '李娜'",
    "DELETE FROM agents WHERE name = '李娜'",
    "UPDATE agent_relations SET phone = '13000000000'",
    "DELETE FROM receptions",
    "UPDATE settings_log SET value = '90'",
    "DELETE FROM imported_rows",
    "UPDATE imported_rows SET lead_id = 1",
    "DELETE FROM import_runs",
    "UPDATE import_runs SET source = 'other.csv'",
])
def test_the_guards_refuse(office, statement):
    with pytest.raises(sqlite3.IntegrityError):
        sql(office, statement)


@pytest.mark.parametrize("statement", ["UPDATE leads SET industry = 'machinery' WHERE id = 1",
                                       "UPDATE leads SET created_at = '2026-01-01T00:00:00' WHERE id = 1"])
def test_a_lead_s_industry_and_registration_are_computed_from_what_the_guard_keeps(office, statement):
    with pytest.raises(sqlite3.OperationalError, match="generated column"):
        sql(office, statement)


def test_leadcycle_itself_still_updates_what_it_folds(office, run):
    """The guards leave the folded columns alone: set, away/back, leave."""
    assert run("lead", "set", "1", "phone=13811112222", "--agent", "李娜", now="2026-03-12T10:00").exit_code == 0
    assert run("agent", "leave", "赵敏", now="2026-03-12T11:00").exit_code == 0
    assert run("verify").exit_code == 0


# -------------------------------------------------------------- upgrade


def _downgrade(path: str) -> None:
    """Turn a database back into what the migrations before m008 made."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    for name in GUARDS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in CHAINED:
        if table != "settings_log":
            conn.execute(f"ALTER TABLE {table} DROP COLUMN hash")
    conn.execute("DROP TABLE settings_log")
    conn.execute("DELETE FROM meta WHERE key LIKE 'chain:%'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_tamper_evidence'")
    for action in ("UPDATE", "DELETE"):
        conn.execute(f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                     "BEGIN SELECT RAISE(ABORT, 'the event log is append-only: "
                     "record a correcting event instead'); END")
    conn.commit()
    conn.close()


def test_a_database_upgraded_by_the_migration_verifies(office, run, tmp_path):
    from sqlite_utils import Database

    _downgrade(office)
    old = Database(str(tmp_path / "old.db"))
    core_migrations.apply(old, stop_before="m008_tamper_evidence")
    assert Database(office)["events"].columns_dict == old["events"].columns_dict  # really the old schema
    assert one_line(run("verify")).startswith(f"Error: {office} predates tamper evidence; upgrade it with")
    assert run("init").exit_code == 0
    result = run("verify", "--json")
    assert result.exit_code == 0, result.output
    assert run("log", "1", "visit", "--agent", "李娜", now="2026-03-12T10:00").exit_code == 0
    assert run("verify").exit_code == 0


# --------------------------------------------------------------- backup


def test_backup_copies_a_database_that_verifies(office, run, tmp_path):
    target = str(tmp_path / "copy.db")
    result = run("backup", target)
    assert result.exit_code == 0 and f"backup written: {target}" in result.output
    assert verify(run, path=target).exit_code == 0
    assert not os.path.exists(target + "-wal")
    assert verdict(verify(run, "--json", path=target))["head"] == verdict(run("verify", "--json"))["head"]


def test_backup_refuses_to_overwrite_without_force(office, run, tmp_path):
    target = tmp_path / "copy.db"
    target.write_text("precious")
    line = one_line(run("backup", str(target)))
    assert line == f"Error: {target} already exists; give --force to overwrite it, or another path"
    assert target.read_text() == "precious"
    assert run("log", "1", "visit", "--agent", "李娜", now="2026-03-12T10:00").exit_code == 0
    assert run("backup", str(target), "--force").exit_code == 0
    copy = verify(run, "--json", path=str(target))
    assert copy.exit_code == 0 and verdict(copy)["head"] == verdict(run("verify", "--json"))["head"]


def test_backup_refuses_the_open_database(office, run, tmp_path):
    os.symlink(office, tmp_path / "link.db")
    for target in (office, os.path.relpath(office), str(tmp_path / "link.db"), office + "-wal"):
        assert "is the open database itself" in one_line(run("backup", target, "--force"))
    assert run("verify").exit_code == 0


def test_backup_to_a_path_it_cannot_write(office, run, tmp_path):
    assert "folder" in one_line(run("backup", str(tmp_path / "no" / "such" / "copy.db")))
    assert "is a folder" in one_line(run("backup", str(tmp_path)))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        # as root permissions do not apply: /proc refuses new files to anyone
        folder = str(locked) if not os.access(locked, os.W_OK) else "/proc"
        line = one_line(run("backup", os.path.join(folder, "copy.db")))
        assert line.startswith(f"Error: cannot write {folder}") and "nothing" not in line.lower()[:0]
    finally:
        locked.chmod(0o700)
    assert os.listdir(locked) == []


WRITER = """
import datetime as dt, sys, time
from leadcycle import LeadBook
book = LeadBook.open(sys.argv[1])
t = dt.datetime(2026, 4, 1, 9)
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    with book.at(t + dt.timedelta(minutes=n)):
        book.log(1 + n % 3, "visit", agent="李娜", note=f"visit {n}", data={"purpose": "看样机"})  # any agent may log a reception
    n += 1
print(n)
"""


def test_backup_while_another_process_writes(office, run, tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, office, "3"], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, **ENV})
    copies = []
    time.sleep(0.5)
    while writer.poll() is None and len(copies) < 5:
        target = str(tmp_path / f"copy{len(copies)}.db")
        assert run("backup", target).exit_code == 0
        copies.append(target)
        time.sleep(0.2)
    written = int(writer.communicate(timeout=60)[0])
    assert writer.returncode == 0 and written > 0 and copies
    for target in copies:
        result = verify(run, "--json", path=target)
        assert result.exit_code == 0, result.output
    assert run("verify").exit_code == 0


# ------------------------------------------------------------ bad input


def test_bad_head_and_missing_database_are_one_line(office, run, tmp_path):
    assert "--head" in run("verify", "--head", "nonsense").output
    assert run("verify", "--head", "nonsense").exit_code == 2
    line = one_line(CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "verify"]))
    assert line.startswith("Error: no database at")


def test_a_refold_repairs_an_owner_changed_outside_leadcycle(office):
    """Reads compute the owner from the stored fold: a fold changed outside
    leadcycle is caught by verify, and ``rescore --refold`` folds every
    lead's ownership again from its log."""
    book = LeadBook.open(office, dt.datetime(2026, 3, 8, 12))
    owner = book.record(1).state.owner
    book.close()
    sql(office, "UPDATE lead_state SET fold_owner = 'nobody', owner = 'nobody' WHERE lead_id = 1")
    book = LeadBook.open(office, dt.datetime(2026, 3, 8, 12))
    assert not book.verify().ok
    book.rescore(refold=True)
    assert book.verify().ok
    assert {r["id"]: r["owner"] for r in book.list()}[1] == owner
    book.close()


def test_rescore_rebuilds_facts_changed_outside_leadcycle(office, run):
    sql(office, "UPDATE facts SET n = n + 1 WHERE lead_id = 1 AND kind = (SELECT code FROM fact_kinds WHERE name = '@visit')", "DELETE FROM facts WHERE lead_id = 2")
    assert "facts" in failed(run("verify", "--json"))
    assert run("rescore").exit_code == 0
    assert run("verify").exit_code == 0


@pytest.mark.parametrize("statements", [
    ["DROP TRIGGER events_no_update", "UPDATE events SET note = 'x' WHERE id = 3"],
    ["UPDATE facts SET n = n + 1 WHERE lead_id = 1 AND kind = (SELECT code FROM fact_kinds WHERE name = '@visit')"],
    ["UPDATE lead_state SET fold_owner = '王强' WHERE lead_id = 1"],
    ["UPDATE settings SET value = '90' WHERE key = 'ownership.protection_days'"],
    ["UPDATE leads SET phone = '13811112222' WHERE id = 1"],
], ids=["event", "facts", "fold", "setting", "lead"])
def test_what_verify_finds_is_said_in_the_readers_language(office, run, statements):
    """The failing lines too: a manager reading Chinese sees what was
    changed, in Chinese (--json keeps the English)."""
    import re

    sql(office, *statements)
    out = run("--lang", "zh", "verify").output
    failing = [line for line in out.splitlines() if line.startswith("✗")]
    assert failing, out
    for line in failing:
        # what stays as typed: the program, a command, a hash, a code (events_no_update, a kind)
        line = re.sub(r"'[^']*'|\b[0-9a-f]{16,64}\b|leadcycle(?: [a-z-]+)*|\w+_\w+|\w+\.\w+|@\w+|\b(?:sha|register)\b", "",
                      line)
        assert re.findall(r"(?<![-\w.#/])[A-Za-z][A-Za-z_]+", line) == [], line
    english = json.loads(run("verify", "--json").output)
    assert any(not c["ok"] and re.search("[a-z]{4}", c["message"]) for c in english["checks"])
