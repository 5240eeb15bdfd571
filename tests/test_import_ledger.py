"""The import ledger (issue #17): a run's file, id and moment once in
``import_runs``, each row it saw as 8 raw key bytes in ``imported_rows``
(migrations m012, m020), append-only, checked by ``verify``, upgraded from the
``import_keys`` table of m006 without losing what a re-import skips."""

import csv
import json
import shutil
import sqlite3

import pytest
from sqlite_utils import Database

from leadcycle.errors import LeadcycleError
from leadcycle.storage import GUARDS, IMPORT_OUTCOMES, Store, core_migrations

NOW = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    return run


def register(path, n, start=0, repeat_first=False):
    """A register of ``n`` people with phones of their own (a first row
    repeated at the end with ``repeat_first``)."""
    rows = [[f"客户{i}", "男女"[i % 2], f"138{i:08d}", "三房", f"2026/{1 + i % 2}/{1 + i % 28}", "李娜"]
            for i in range(start, start + n)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "性别", "手机", "需求", "来访日期", "置业顾问"])
        w.writerows(rows + rows[:1] * repeat_first)
    return str(path)


def imported(run, path, *args):
    result = run("import", path, "--industry", "realestate", "--json", *args, now=NOW)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def query(db_path, sql, args=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def triggers(db_path):
    return sorted(query(db_path, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))


# ------------------------------------------------------------------ layout


def test_a_new_database_keeps_the_ledger_in_two_tables():
    db = Database(memory=True)
    core_migrations.apply(db)
    assert not {"import_keys", "import_rows"} & set(db.table_names())
    assert db["import_runs"].columns_dict == {"id": int, "run": str, "source": str, "imported_at": str}
    assert db["imported_rows"].pks == ["key"]
    assert db["imported_rows"].columns_dict == {"key": bytes, "run": int, "row_no": int, "lead_id": int,
                                                "outcome": int}
    assert "WITHOUT ROWID" in db["imported_rows"].schema
    assert {n for n in GUARDS if n.startswith("import")} == {
        "import_runs_no_update", "import_runs_no_delete", "imported_rows_no_update", "imported_rows_no_delete"}


def test_a_run_is_written_once_and_each_row_as_its_key_bytes(office, db_path, tmp_path):
    result = imported(office, register(tmp_path / "a.csv", 30, repeat_first=True), "--batch-size", "10")
    assert (result["imported"], result["unchanged"]) == (30, 1)  # the repeat is the same run's: not skipped
    runs = query(db_path, "SELECT id, run, source, imported_at FROM import_runs")
    assert [(i, s, at) for i, _, s, at in runs] == [(1, "a.csv", "2026-03-05T10:00:00")]
    assert len(runs[0][1]) == 32
    rows = query(db_path, "SELECT typeof(key), length(key), run, row_no, lead_id, outcome FROM imported_rows "
                          "ORDER BY row_no")
    assert len(rows) == 30  # the repeated row keeps its first entry
    assert {r[:3] for r in rows} == {("blob", 8, 1)}
    assert [(r[3], IMPORT_OUTCOMES[r[5]]) for r in rows] == [(i + 2, "imported") for i in range(30)]
    # each row names the lead it made (leads are numbered in visit-date order, not row order)
    assert query(db_path, "SELECT count(*) FROM imported_rows i JOIN leads l ON l.id = i.lead_id "
                          "WHERE replace(l.phone, '-', '') = printf('138%08d', i.row_no - 2)") == [(30,)]


def test_a_second_run_skips_what_the_first_recorded(office, db_path, tmp_path):
    first = register(tmp_path / "a.csv", 20)
    imported(office, first)
    again = imported(office, register(tmp_path / "b.csv", 25))  # 20 rows seen, 5 new
    assert (again["already_imported"], again["imported"]) == (20, 5)
    assert query(db_path, "SELECT id, source FROM import_runs ORDER BY id") == [(1, "a.csv"), (2, "b.csv")]
    assert query(db_path, "SELECT run, count(*) FROM imported_rows GROUP BY run") == [(1, 20), (2, 5)]
    nothing = imported(office, first)
    assert (nothing["already_imported"], nothing["imported"]) == (20, 0)
    assert len(query(db_path, "SELECT * FROM import_runs")) == 2  # a run that wrote no row is not on it


def test_a_row_costs_few_bytes(office, db_path, tmp_path):
    """8 raw key bytes and small integers, in batches as an import writes
    them: with 16 (before m020) a row cost 39, with the key as its 32 hex
    characters 55, the layout before m012 (every column on every row, and a
    rowid plus an index) 170."""
    imported(office, register(tmp_path / "a.csv", 2000), "--batch-size", "250")
    sizes = dict(query(db_path, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    ledger = sizes["imported_rows"] + sizes["import_runs"] + sizes.get("sqlite_autoindex_import_runs_1", 0)
    assert set(sizes) & {"import_keys", "sqlite_autoindex_imported_rows_1"} == set()
    assert ledger / 2000 < 36, sizes  # 31 measured; 39 with 16-byte keys, 55 with hex text


def test_a_row_that_never_was_an_outcome_is_refused(office, db_path):
    with pytest.raises(sqlite3.IntegrityError):
        query(db_path, "INSERT INTO imported_rows(key, run, row_no, lead_id, outcome) VALUES (x'00', 1, 2, 1, 3)")


# ----------------------------------------------------------------- upgrade

_OLD_LAYOUT = """
CREATE TABLE [import_keys] ([key] TEXT PRIMARY KEY, [lead_id] INTEGER, [outcome] TEXT, [source] TEXT,
                            [row_no] INTEGER, [run] TEXT, [imported_at] TEXT);
INSERT INTO import_keys SELECT lower(hex(i.key)) || '0123456789abcdef', i.lead_id,
    CASE i.outcome WHEN 0 THEN 'imported' WHEN 1 THEN 'merged' ELSE 'unchanged' END,
    r.source, i.row_no, r.run, r.imported_at FROM imported_rows i JOIN import_runs r ON r.id = i.run;
DROP TABLE imported_rows;
DROP TABLE import_runs;
CREATE TRIGGER import_keys_no_update BEFORE UPDATE ON import_keys
    BEGIN SELECT RAISE(ABORT, 'import_keys is append-only'); END;
CREATE TRIGGER import_keys_no_delete BEFORE DELETE ON import_keys
    BEGIN SELECT RAISE(ABORT, 'import_keys is append-only'); END;
DELETE FROM _sqlite_migrations WHERE name IN ('m012_import_runs', 'm020_short_ledger_keys');
"""


def as_before_m012(db_path):
    """The office as the code before migration m012 left it: the ledger in
    ``import_keys``, keys as hex text of 16 bytes (the first 8 this one's,
    as migration m020 keeps them), every column on every row."""
    conn = sqlite3.connect(db_path)
    try:
        conn.executescript(_OLD_LAYOUT)
    finally:
        conn.close()


def test_an_old_ledger_moves_across_and_still_skips_its_rows(office, db_path, tmp_path):
    first, second = register(tmp_path / "a.csv", 40), register(tmp_path / "b.csv", 10, start=100)
    imported(office, first, "--batch-size", "15")
    imported(office, second)
    fresh = triggers(db_path)
    before = query(db_path, "SELECT hex(i.key), r.run, r.source, r.imported_at, i.row_no, i.lead_id, i.outcome "
                            "FROM imported_rows i JOIN import_runs r ON r.id = i.run ORDER BY i.key")
    as_before_m012(db_path)
    assert query(db_path, "SELECT count(*), min(length(key)) FROM import_keys") == [(50, 32)]

    again = imported(office, first)  # a write upgrades the file first
    assert (again["already_imported"], again["imported"]) == (40, 0)
    assert query(db_path, "SELECT name FROM sqlite_master WHERE name = 'import_keys'") == []
    assert triggers(db_path) == fresh  # exactly the guards a new database has
    assert query(db_path, "SELECT hex(i.key), r.run, r.source, r.imported_at, i.row_no, i.lead_id, i.outcome "
                          "FROM imported_rows i JOIN import_runs r ON r.id = i.run ORDER BY i.key") == before
    assert office("verify").exit_code == 0


def test_the_upgrade_keeps_keys_it_cannot_read_and_refuses_unknown_outcomes(tmp_path):
    path = str(tmp_path / "old.db")
    db = Database(path)
    core_migrations.apply(db, stop_before="m012_import_runs")
    rows = [("ab" * 16, 1, "imported", "a.csv", 2, "r1", "2026-03-01T09:00:00"),
            ("not hex", 2, "merged", "a.csv", 3, "r1", "2026-03-01T09:00:05"),
            ("cd" * 16, 1, "unchanged", "b.csv", 2, "r2", "2026-03-02T09:00:00")]
    db.conn.executemany("INSERT INTO import_keys VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.conn.commit()
    shutil.copy(path, tmp_path / "bad.db")
    core_migrations.apply(db)
    assert query(path, "SELECT id, run, source, imported_at FROM import_runs") == [
        (1, "r1", "a.csv", "2026-03-01T09:00:00"), (2, "r2", "b.csv", "2026-03-02T09:00:00")]
    assert query(path, "SELECT key, run, row_no, lead_id, outcome FROM imported_rows ORDER BY key") == [
        (b"not hex", 1, 3, 2, 1), (bytes.fromhex("ab" * 8), 1, 2, 1, 0), (bytes.fromhex("cd" * 8), 2, 2, 1, 2)]
    store = Store.open(path)
    try:
        assert store.imported_keys(["ab" * 16, "cd" * 16, "ef" * 16], "r3") == {"ab" * 16, "cd" * 16}
        assert store.imported_keys(["ab" * 16, "cd" * 16], "r2") == {"ab" * 16}  # r2's own rows: not skipped
        cd, ef = bytes.fromhex("cd" * 16), bytes.fromhex("ef" * 16)
        assert store.imported_keys([cd, ef], "r3") == {cd}  # the raw bytes, as they are
    finally:
        store.close()
    bad = sqlite3.connect(tmp_path / "bad.db")
    bad.executescript("DROP TRIGGER import_keys_no_update; "
                      "UPDATE import_keys SET outcome = 'lost' WHERE run = 'r2'")
    bad.close()
    store = Store.open(str(tmp_path / "bad.db"))
    try:
        with pytest.raises(LeadcycleError, match="outcome 'lost'"):
            store.migrate()
    finally:
        store.close()
    assert query(tmp_path / "bad.db", "SELECT count(*) FROM import_keys") == [(3,)]  # nothing changed
