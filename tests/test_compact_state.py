"""The state rows as migration m014 keeps them (issue #17: bytes per lead):
the moments reads only compare with the clock as seconds since 1970,
nothing for empty reasons and derived values, indexes without what they
never need. A database from before reads as it did and its first write
converts it."""
import datetime as dt
import sqlite3

from leadcycle.storage import STATE_INDEXES, _STATE_COLUMNS

READS = (["list"], ["show", "3"], ["due"], ["list", "--grade", "A"], ["pool"], ["list", "--owner", "李娜"])


def text_state_again(path):
    """Make ``path`` a database as the leadcycle before migration m014 left
    it: ``lead_state``'s moments and days as ISO text, '[]' and '{}' for empty
    reasons and derived values, versions as their tags, the indexes of
    m001–m011."""
    conn = sqlite3.connect(path)
    cols = ", ".join(_STATE_COLUMNS)
    text = {"computed_at": "strftime('%Y-%m-%dT%H:%M:%S', computed_at, 'unixepoch')",
            "fold_anchor": "strftime('%Y-%m-%dT%H:%M:%S', fold_anchor, 'unixepoch')",
            "next_follow_up": "date(next_follow_up * 86400, 'unixepoch')",
            "reasons": "coalesce(reasons, '[]')", "extra": "coalesce(extra, '{}')",
            "rules_version": "(SELECT tag FROM versions WHERE code = rules_version)",
            "fold_version": "(SELECT tag FROM versions WHERE code = fold_version)"}
    conn.executescript(f"""
        CREATE TABLE old AS SELECT {', '.join(text.get(c, c) + ' AS ' + c for c in _STATE_COLUMNS)}
            FROM lead_state;
        DROP TABLE lead_state;
        CREATE TABLE lead_state (lead_id INTEGER PRIMARY KEY REFERENCES leads(id), industry TEXT, score FLOAT,
            grade TEXT, stage TEXT, owner TEXT, next_follow_up TEXT, follow_up_kind TEXT, reasons TEXT,
            extra TEXT, computed_at TEXT, expires_at TEXT, owner_until TEXT, rules_version TEXT,
            fold_owner TEXT, fold_anchor TEXT, fold_dealt INTEGER, fold_window_until TEXT, fold_window_to TEXT,
            fold_window_at TEXT, fold_version TEXT);
        INSERT INTO lead_state({cols}) SELECT {cols} FROM old;
        DROP TABLE old;
        DROP TABLE versions;
        CREATE INDEX idx_lead_state_owner_owner_until ON lead_state(owner, owner_until);
        CREATE INDEX idx_lead_state_owner_next_follow_up ON lead_state(owner, next_follow_up);
        CREATE INDEX idx_lead_state_next_follow_up ON lead_state(next_follow_up);
        CREATE INDEX idx_lead_state_industry_grade ON lead_state(industry, grade);
        CREATE INDEX idx_lead_state_industry_stage ON lead_state(industry, stage);
        CREATE INDEX idx_lead_state_expires_at ON lead_state(expires_at);
        CREATE INDEX idx_lead_state_rules_version ON lead_state(rules_version);
        CREATE INDEX lead_state_fold_window_to ON lead_state(fold_window_to) WHERE fold_window_to IS NOT NULL;
        CREATE INDEX lead_state_foldless ON lead_state(lead_id) WHERE fold_version IS NULL;
        DELETE FROM _sqlite_migrations WHERE name = 'm014_compact_state';
        PRAGMA user_version = 13;
    """)
    conn.commit()
    conn.close()


def outputs(runner, path, clock):
    from leadcycle.cli import cli

    out = {}
    for read in READS:
        result = runner.invoke(cli, ["--db", path, "--now", clock, *read, "--json"])
        assert result.exit_code == 0, (read, result.output)
        out[" ".join(read)] = result.output
    return out


def test_a_database_from_before_reads_as_it_did_and_its_first_write_converts_it(demo_copy, runner):
    from leadcycle.cli import cli

    clocks = ("2026-10-13T09:00", "2026-10-15T09:00", "2026-11-20T09:00")  # before the last writes, after, later
    want = {clock: outputs(runner, demo_copy, clock) for clock in clocks}
    text_state_again(demo_copy)
    conn = sqlite3.connect(demo_copy)
    assert conn.execute("SELECT typeof(computed_at) FROM lead_state LIMIT 1").fetchone() == ("text",)
    before = list(conn.iterdump())
    for clock in clocks:
        assert outputs(runner, demo_copy, clock) == want[clock], clock
    assert list(conn.iterdump()) == before  # reads wrote nothing
    assert runner.invoke(cli, ["--db", demo_copy, "rescore"]).exit_code == 0  # a write: upgrades
    assert conn.execute("SELECT DISTINCT typeof(computed_at), typeof(fold_anchor), typeof(rules_version), "
                        "typeof(fold_version), typeof(next_follow_up) FROM lead_state "
                        "WHERE fold_anchor IS NOT NULL AND next_follow_up IS NOT NULL").fetchall() \
        == [("integer",) * 5]
    assert conn.execute("SELECT count(*) FROM lead_state WHERE reasons = '[]' OR extra = '{}'").fetchone() == (0,)
    for clock in clocks:
        assert outputs(runner, demo_copy, clock) == want[clock], clock
    assert runner.invoke(cli, ["--db", demo_copy, "verify"]).exit_code == 0
    conn.close()


#: a state row's values, its versions by their tags
KEPT = ("SELECT lead_id, industry, score, grade, stage, owner, next_follow_up, expires_at, owner_until, fold_owner, "
        "computed_at, fold_anchor, (SELECT tag FROM versions WHERE code = rules_version), "
        "(SELECT tag FROM versions WHERE code = fold_version) FROM lead_state ORDER BY lead_id")


def test_the_migration_keeps_every_row_and_gives_the_indexes_it_declares(demo_copy):
    conn = sqlite3.connect(demo_copy)
    rows = conn.execute(KEPT).fetchall()
    conn.close()
    text_state_again(demo_copy)
    from leadcycle import LeadBook

    book = LeadBook.open(demo_copy, dt.datetime(2026, 10, 15, 9))
    book.store.migrate()
    conn = sqlite3.connect(demo_copy)
    assert conn.execute(KEPT).fetchall() == rows
    have = {r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'lead_state' "
                                       "AND type = 'index' AND sql IS NOT NULL")}
    assert have == set(STATE_INDEXES)
    book.close()
    conn.close()


def test_the_clock_overtaking_a_row_is_found_by_its_partial_index(demo_copy):
    """Only the rows the clock can overtake are in the expiry index; a read
    still finds them through it (the partial index's condition is implied
    by the comparison)."""
    conn = sqlite3.connect(demo_copy)
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT lead_id FROM lead_state WHERE expires_at <= ?", ("2026-11-01T00:00:00",)))
    assert "idx_lead_state_expires_at" in plan, plan
    conn.close()


def test_a_version_no_row_is_stored_under_has_no_code_until_a_write_gives_it_one(demo_copy, runner):
    """A read under rules no row was stored under (a setting changed) finds
    no code for them: every stored row is from other rules, and the read
    gives no code (it writes nothing). The write that stores rows under
    them gives one."""
    from leadcycle.cli import cli

    def versions():
        conn = sqlite3.connect(demo_copy)
        try:
            return conn.execute("SELECT tag FROM versions ORDER BY code").fetchall()
        finally:
            conn.close()

    lc = ["--db", demo_copy, "--now", "2026-10-15T09:00"]
    assert runner.invoke(cli, [*lc, "settings", "set", "realestate.table_points_a", "19"]).exit_code == 0
    before = versions()
    listed = runner.invoke(cli, [*lc, "list", "--industry", "realestate", "--json"])
    assert listed.exit_code == 0, listed.output
    assert versions() == before
    from leadcycle import LeadBook

    book = LeadBook.open(demo_copy, dt.datetime(2026, 10, 15, 9))
    assert book.store.version_code(book.rules_version) == -1
    rows = {r["id"]: (r["score"], r["grade"]) for r in book.list(industry="realestate")}
    assert rows == {i: (book.record(i).state.score, book.record(i).state.grade) for i in rows}
    book.close()
    assert runner.invoke(cli, [*lc, "rescore"]).exit_code == 0
    assert len(versions()) == len(before) + 1


def test_a_follow_up_day_is_kept_as_a_day_count_on_both_sides_of_1970_and_due_on_its_day():
    """The next follow-up is kept as days since 1970 (a simulation may
    start before it): a due list through its day has it, the day before
    does not, and lists and ``show`` give the date back."""
    from leadcycle import LeadBook

    for start in (dt.datetime(1969, 12, 20, 10), dt.datetime(2026, 3, 2, 10)):
        book = LeadBook.create(":memory:", ["realestate"], now=start)
        book.add_agent("李娜")
        lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                             agent="李娜", attributes={"motivation": "A", "funds": "A"}).lead
        due = book.record(lead.id).state.next_follow_up
        assert due is not None
        kept = book.store.conn.execute("SELECT next_follow_up FROM lead_state WHERE lead_id = ?",
                                       (lead.id,)).fetchone()[0]
        assert kept == (due - dt.date(1970, 1, 1)).days
        assert {r["id"]: r["next_follow_up"] for r in book.list()} == {lead.id: due.isoformat()}
        assert [r["next_follow_up"] for r in book.store.due_rows(due)] == [due.isoformat()]
        assert book.store.due_rows(due - dt.timedelta(days=1)) == []
        book.close()


#: the clocks the index migrations' reads are compared at
CLOCKS = ("2026-10-15T09:00", "2026-10-20T09:00", "2026-11-20T09:00")


def _before(db: str, script: str) -> sqlite3.Connection:
    """``db`` taken back to before a migration: ``script`` undoes it and
    forgets it was applied."""
    conn = sqlite3.connect(db)
    conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {conn.execute('PRAGMA user_version').fetchone()[0] - 1}")
    conn.commit()
    return conn


def _answers(runner, db: str, reads) -> dict:
    """What each of ``reads`` prints as JSON at each of :data:`CLOCKS`."""
    from leadcycle.cli import cli

    out = {}
    for clock in CLOCKS:
        for read in reads:
            result = runner.invoke(cli, ["--db", db, "--now", clock, *read, "--json"])
            assert result.exit_code == 0, (read, result.output)
            out[(clock, *read)] = result.output
    assert any('"id"' in text for text in out.values())  # the reads find leads
    return out


def test_m015_drops_the_office_wide_indexes_and_the_reads_they_served_answer_the_same(demo_copy, runner):
    """A database from before m015 keeps a grade's, a stage's and every due
    follow-up's index; its first write drops them, and the office-wide
    lists (due, by grade, by stage) give what they gave, at three clocks."""
    from leadcycle.cli import cli
    from leadcycle.storage import DROPPED_STATE_INDEXES

    reads = (["due"], ["list", "--grade", "A"], ["list", "--grade", "C"], ["list", "--stage", "accumulation"],
             ["list", "--owner", "李娜"])
    conn = _before(demo_copy, """
        CREATE INDEX idx_lead_state_next_follow_up ON lead_state(next_follow_up);
        CREATE INDEX idx_lead_state_grade ON lead_state(grade);
        CREATE INDEX idx_lead_state_stage ON lead_state(stage);
        DELETE FROM _sqlite_migrations WHERE name = 'm015_fewer_state_indexes';
    """)
    want = _answers(runner, demo_copy, reads)
    assert runner.invoke(cli, ["--db", demo_copy, "rescore"]).exit_code == 0  # a write: upgrades
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'lead_state' "
                                       "AND type = 'index'")}
    assert not have & set(DROPPED_STATE_INDEXES)
    assert "idx_lead_state_owner_next_follow_up" in have
    assert _answers(runner, demo_copy, reads) == want
    conn.close()


def test_m016_keeps_only_owned_leads_in_the_agents_indexes_and_their_reads_answer_the_same(demo_copy, runner):
    """A database from before m016 keeps every lead, owned or pooled, in the
    two indexes an agent's lists read; its first write makes them partial
    (owned leads only), and an agent's lists, the pool and the due list give
    what they gave, at three clocks, through those indexes still."""
    from leadcycle.cli import cli
    from leadcycle.storage import OWNED_STATE_INDEXES

    names = tuple(OWNED_STATE_INDEXES)

    reads = (["due", "--agent", "李娜"], ["list", "--owner", "李娜"], ["list", "--owner", "王强", "--grade", "B"],
             ["pool"], ["due"])
    conn = _before(demo_copy, """
        DROP INDEX idx_lead_state_owner_owner_until;
        DROP INDEX idx_lead_state_owner_next_follow_up;
        CREATE INDEX idx_lead_state_owner_owner_until ON lead_state(owner, owner_until);
        CREATE INDEX idx_lead_state_owner_next_follow_up ON lead_state(owner, next_follow_up);
        DELETE FROM _sqlite_migrations WHERE name = 'm016_owned_state_indexes';
    """)

    def partial():
        return {name: "WHERE owner IS NOT NULL" in sql for name, sql in conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE name IN {names}")}

    want = _answers(runner, demo_copy, reads)
    assert partial() == dict.fromkeys(names, False)
    assert runner.invoke(cli, ["--db", demo_copy, "rescore"]).exit_code == 0  # a write: upgrades
    assert partial() == dict.fromkeys(names, True)
    assert _answers(runner, demo_copy, reads) == want
    # what an agent's reads ask is still answered by those indexes
    for sql, index in (
            ("SELECT lead_id FROM lead_state WHERE owner = ? AND next_follow_up < ?", names[1]),
            ("SELECT lead_id FROM lead_state s WHERE (s.owner = ? AND s.owner_until > ?) "
             "OR (s.owner = ? AND s.owner_until IS NULL)", names[0]),
            ("SELECT lead_id FROM lead_state s WHERE s.owner IN (?, ?) AND s.owner_until <= ?", names[0])):
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, [1] * sql.count("?")))
        assert f"INDEX {index}" in plan, plan
    conn.close()
