"""How the lead database lays out what it keeps outside the log (issue #17:
bytes a lead), and that a database laid out before reads as it did and is
laid out anew by its first write: the phone index without the industry
(m018), a lead's ``LOGGED`` facts row only where its log holds a void
(m019) and no row for its registration (facts format 6), a state row's
names as codes (m021), a lead's industry as a code and its registration
as seconds (m022). (The attributes' columns, m017:
tests/test_attribute_places.py.)"""

import datetime as dt
import json
import sqlite3

import pytest

from leadcycle import LeadBook
from leadcycle.sqlrules import LOGGED_CODE

NOW = "2026-10-15T09:00"


def plan(conn, sql, args):
    return " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


def test_a_phone_finds_its_leads_through_the_phone_index_and_counts_by_industry_stay_right(run, tmp_path):
    path = str(tmp_path / "office.db")
    run("--db", path, "init", "--industry", "realestate", "--industry", "machinery")
    run("--db", path, "agent", "add", "李娜")
    for industry, phone in (("realestate", "13900139000"), ("machinery", "13900139000"),
                            ("machinery", "13900139001")):
        run("--db", path, "lead", "add", "--industry", industry, "--name", "王芳", "--gender", "F",
            "--phone", phone, "--need", "三房", "--agent", "李娜")
    book = LeadBook.open(path)
    conn = book.store.conn
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                       "AND tbl_name = 'leads'")] == ["idx_leads_phone"]
    assert "USING INDEX idx_leads_phone (phone=?)" in plan(
        conn, "SELECT * FROM leads WHERE industry = ? AND phone = ?", ["machinery", "13900139000"])
    assert "USING INDEX idx_leads_phone (phone=?)" in plan(
        conn, "SELECT id FROM leads WHERE industry = ? AND phone IN (?, ?)", ["machinery", "1", "2"])
    assert [lead.industry for lead in book.store.leads_by_phone("machinery", "13900139000")] == ["machinery"]
    assert [book.store.count_leads(i) for i in (None, "realestate", "machinery", "software_sales")] == [3, 1, 2, 0]


def every_lead_logged(path):
    """Make ``path`` a database as the leadcycle before migration m019 left
    it: a ``LOGGED`` facts row and a registration row for every lead, kept
    as facts format 5."""
    conn = sqlite3.connect(path)
    conn.execute(f"INSERT OR REPLACE INTO facts(lead_id, kind, n, first_at, last_at, last_id) "
                 f"SELECT lead_id, {LOGGED_CODE}, count(*), CASE WHEN count(*) > 1 THEN unixepoch(min(at)) END, "
                 "unixepoch(max(at)), max(id) FROM events GROUP BY lead_id")
    conn.execute("INSERT OR REPLACE INTO facts(lead_id, kind, n, first_at, last_at, last_id) "
                 "SELECT lead_id, (SELECT code FROM fact_kinds WHERE name = 'register'), 1, NULL, unixepoch(at), id "
                 "FROM events WHERE kind = 'register'")
    conn.execute("UPDATE meta SET value = 'format 5' WHERE key = 'facts:tallies'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm019_logged_rows_where_voided'")
    conn.execute("PRAGMA user_version = 18")
    conn.commit()
    conn.close()


def test_a_database_with_every_lead_s_logged_row_reads_as_before_and_its_first_write_keeps_them_where_a_void_is(
        demo_copy, run):
    conn = sqlite3.connect(demo_copy)
    event, at, agent = conn.execute("SELECT id, at, agent FROM events WHERE lead_id = 3 AND kind != 'register' "
                                    "ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    voided = run("--db", demo_copy, "void", "3", str(event), "--reason", "录错了", "--agent", agent, now=NOW)
    assert voided.exit_code == 0, voided.output
    reads = (["list", "--json"], ["show", "3", "--json"], ["due", "--json"], ["list", "--grade", "A", "--json"])
    for clock in (NOW, at):  # the second at the voided entry: lead 3 is read into the past
        want = [run("--db", demo_copy, *read, now=clock).output for read in reads]
        every_lead_logged(demo_copy)
        conn = sqlite3.connect(demo_copy)
        n_leads = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM facts WHERE kind = ?", (LOGGED_CODE,)).fetchone()[0] == n_leads
        before = list(conn.iterdump())
        assert [run("--db", demo_copy, *read, now=clock).output for read in reads] == want
        assert "all 12 checks passed" in run("--db", demo_copy, "verify").output  # not yet upgraded: as it was
        assert list(conn.iterdump()) == before  # reads wrote nothing
        run("--db", demo_copy, "agent", "add", f"新人{clock[-5:-3]}")  # a write: upgrades
        assert [r[0] for r in conn.execute("SELECT lead_id FROM facts WHERE kind = ?", (LOGGED_CODE,))] == [3]
        assert [run("--db", demo_copy, *read, now=clock).output for read in reads] == want
        assert "all 12 checks passed" in run("--db", demo_copy, "verify").output
        assert run("--db", demo_copy, "rescore").exit_code == 0  # the facts in format 6 (as a logged entry does)
        assert conn.execute("SELECT count(*) FROM facts f JOIN fact_kinds k ON k.code = f.kind "
                            "WHERE k.name = 'register'").fetchone()[0] == 0
        assert [run("--db", demo_copy, *read, now=clock).output for read in reads] == want
        assert "all 12 checks passed" in run("--db", demo_copy, "verify").output
        conn.close()


def test_a_registration_counts_as_the_contact_it_is_without_a_facts_row(run, tmp_path):
    """Software sales counts the registration among contacts (``n_contact``
    for its ladder's "a second contact took place"): with no facts row for
    it, the compiled lists count it from the lead, as the engine does."""
    path = str(tmp_path / "office.db")
    run("--db", path, "init", "--industry", "software_sales")
    run("--db", path, "agent", "add", "李娜")
    assert run("--db", path, "settings", "set", "software_sales.ladder", "saas").exit_code == 0
    added = run("--db", path, "lead", "add", "--name", "王芳", "--gender", "F", "--phone", "13900139000",
                "--need", "CRM", "--agent", "李娜", "--set", "decision_maker=yes", now="2026-03-02T10:00")
    assert added.exit_code == 0, added.output

    def stages(clock):
        listed = json.loads(run("--db", path, "list", "--json", now=clock).output)
        shown = json.loads(run("--db", path, "show", "1", "--json", now=clock).output)
        return listed[0]["stage"], shown["stage"], listed[0]["next_follow_up"], shown["next_follow_up"]

    assert stages("2026-03-02T12:00")[:2] == (None, None)  # one contact, the registration: no stage yet
    assert run("--db", path, "log", "1", "call", "--agent", "李娜", now="2026-03-03T10:00").exit_code == 0
    # stored rows of other rules: the list evaluates the lead by the compiled rules
    assert run("--db", path, "settings", "set", "ownership.protection_days", "45").exit_code == 0
    for clock in ("2026-03-03T12:00", "2026-04-20T09:00"):  # the second contact
        listed_stage, shown_stage, listed_next, shown_next = stages(clock)
        assert listed_stage == shown_stage == "interest"
        assert listed_next == shown_next
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT k.name FROM facts f JOIN fact_kinds k ON k.code = f.kind "
                        "WHERE k.name = 'register'").fetchall() == []


def names_again(path):
    """Make ``path`` a database as the leadcycle before migration m021 left
    it: a state row's industry, stage and follow-up kind as text."""
    conn = sqlite3.connect(path)
    names = ("industry", "stage", "follow_up_kind")
    rows = conn.execute(f"SELECT lead_id, {', '.join(names)} FROM lead_state").fetchall()
    for name in names:
        conn.execute(f"ALTER TABLE lead_state DROP COLUMN {name}")
        conn.execute(f"ALTER TABLE lead_state DROP COLUMN {name}_c")
        conn.execute(f"ALTER TABLE lead_state ADD COLUMN {name} TEXT")
    conn.executemany("UPDATE lead_state SET industry = ?, stage = ?, follow_up_kind = ? WHERE lead_id = ?",
                     [(*r[1:], r[0]) for r in rows])
    # (state_texts stays: the leads' industries keep their codes there since m022)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm021_coded_state_texts'")
    conn.execute("PRAGMA user_version = 20")
    conn.commit()
    conn.close()


def test_state_names_are_kept_as_codes_and_a_database_with_names_reads_as_before_and_is_coded_by_its_first_write(
        demo_copy, run):
    reads = (["list", "--json"], ["due", "--json"], ["pool", "--json"], ["list", "--stage", "intent", "--json"],
             ["show", "3", "--json"])
    conn = sqlite3.connect(demo_copy)
    assert conn.execute("SELECT count(*) FROM lead_state WHERE typeof(stage_c) = 'text' "
                        "OR typeof(industry_c) != 'integer'").fetchone()[0] == 0
    assert {r[0] for r in conn.execute("SELECT text FROM state_texts")} >= {"realestate", "machinery",
                                                                          "software_sales", "first", "follow_up"}
    coded = conn.execute("SELECT lead_id, industry, stage, follow_up_kind FROM lead_state ORDER BY 1").fetchall()
    want = {clock: [run("--db", demo_copy, *read, now=clock).output for read in reads]
            for clock in (NOW, "2026-11-20T09:00")}
    conn.close()
    names_again(demo_copy)
    conn = sqlite3.connect(demo_copy)
    assert conn.execute("SELECT lead_id, industry, stage, follow_up_kind FROM lead_state ORDER BY 1").fetchall() == coded
    before = list(conn.iterdump())
    for clock, outputs in want.items():
        assert [run("--db", demo_copy, *read, now=clock).output for read in reads] == outputs
    assert list(conn.iterdump()) == before  # reads wrote nothing
    assert "all 12 checks passed" in run("--db", demo_copy, "verify").output
    run("--db", demo_copy, "agent", "add", "新人")  # a write: upgrades
    assert conn.execute("SELECT lead_id, industry, stage, follow_up_kind FROM lead_state ORDER BY 1").fetchall() == coded
    assert conn.execute("SELECT count(*) FROM lead_state WHERE typeof(stage_c) = 'text'").fetchone()[0] == 0
    for clock, outputs in want.items():
        assert [run("--db", demo_copy, *read, now=clock).output for read in reads] == outputs
    assert "all 12 checks passed" in run("--db", demo_copy, "verify").output


def test_a_name_without_a_code_reads_as_itself_and_a_code_given_after_a_read_keeps_the_reads_right(demo_copy):
    """A compiled statement keeps a name it finds no code for as the name;
    a write that gives new codes makes the virtual columns anew, after the
    run's live view that reads them (and the next read makes it again)."""
    book = LeadBook.open(demo_copy, dt.datetime(2026, 10, 15, 9))
    listed = book.list()
    store = book.store
    with store.transaction():
        store.conn.execute("UPDATE lead_state SET stage_c = 'unheard_of' WHERE lead_id = 1")
        store.state_texts.give(["another_new_name"])  # the live view of this run's read goes, made again
    assert store.conn.execute("SELECT stage FROM lead_state WHERE lead_id = 1").fetchone()[0] == "unheard_of"
    assert store.conn.execute("SELECT code FROM state_texts WHERE text = 'another_new_name'").fetchone() is not None
    again = book.list()
    assert [r["id"] for r in again] == [r["id"] for r in listed]
    book.close()


def identity_again(path):
    """Make ``path`` a database as the leadcycle before migration m022 left
    it: a lead's industry and registration moment as text, the guard of its
    identity naming them."""
    from leadcycle.storage import LEADS_KEY_BEFORE_M022, _guards

    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT id, industry, created_at FROM leads").fetchall()
    conn.execute("DROP TRIGGER leads_keep_identity")
    for name in ("industry", "created_at", "industry_c", "created"):
        conn.execute(f"ALTER TABLE leads DROP COLUMN {name}")
    conn.execute("ALTER TABLE leads ADD COLUMN industry TEXT")
    conn.execute("ALTER TABLE leads ADD COLUMN created_at TEXT")
    conn.executemany("UPDATE leads SET industry = ?, created_at = ? WHERE id = ?", [(*r[1:], r[0]) for r in rows])
    conn.execute(_guards(leads_key=LEADS_KEY_BEFORE_M022)["leads_keep_identity"])
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm022_coded_identity'")
    conn.execute("PRAGMA user_version = 21")
    conn.commit()
    conn.close()


def test_a_lead_s_identity_is_kept_as_codes_and_seconds_and_a_database_from_before_is_converted_by_its_first_write(
        demo_copy, run):
    reads = (["list", "--json"], ["due", "--json"], ["show", "3", "--json"], ["export", "--format", "csv"],
             ["find", "王", "--json"])
    conn = sqlite3.connect(demo_copy)
    assert conn.execute("SELECT count(*) FROM leads WHERE typeof(created) != 'integer' "
                        "OR typeof(industry_c) != 'integer'").fetchone()[0] == 0
    identity = conn.execute("SELECT id, industry, created_at FROM leads ORDER BY id").fetchall()
    want = [run("--db", demo_copy, *read, now=NOW).output for read in reads]
    conn.close()
    identity_again(demo_copy)
    conn = sqlite3.connect(demo_copy)
    before = list(conn.iterdump())
    assert [run("--db", demo_copy, *read, now=NOW).output for read in reads] == want
    assert "all 12 checks passed" in run("--db", demo_copy, "verify").output  # the guard as it was then
    assert list(conn.iterdump()) == before  # reads wrote nothing
    run("--db", demo_copy, "agent", "add", "新人")  # a write: upgrades
    assert conn.execute("SELECT id, industry, created_at FROM leads ORDER BY id").fetchall() == identity
    assert conn.execute("SELECT count(*) FROM leads WHERE typeof(created) != 'integer'").fetchone()[0] == 0
    assert [run("--db", demo_copy, *read, now=NOW).output for read in reads] == want
    assert "all 12 checks passed" in run("--db", demo_copy, "verify").output
    with pytest.raises(sqlite3.IntegrityError, match="never change"):
        conn.execute("UPDATE leads SET created = created + 1 WHERE id = 1")


def test_a_registration_moment_that_is_not_plain_seconds_is_kept_as_its_text():
    from leadcycle.storage import created_value

    assert created_value(dt.datetime(2026, 3, 2, 10, 0, 5)) == 1772445605
    assert created_value(dt.datetime(1969, 12, 31, 23, 59, 59)) == -1
    aware = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert created_value(aware) == "2026-03-02T10:00:00+08:00"
    conn = sqlite3.connect(":memory:")
    from leadcycle.storage import CREATED_AT_SQL, CREATED_SQL
    for text in ("2026-03-02T10:00:05", "2026-03-02T10:00:00+08:00", "2026-02-30T10:00:00", "1969-12-31T23:59:59"):
        kept = conn.execute(f"SELECT {CREATED_SQL.format(x='?1')}", (text,)).fetchone()[0]
        assert conn.execute(f"SELECT {CREATED_AT_SQL.replace('created', '?1')}", (kept,)).fetchone()[0] == text
