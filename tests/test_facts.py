"""Per-lead facts (issue #17): kept on every write in the write's
transaction, equal to a set-based rebuild from the log, voids left out."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from leadcycle import LeadBook
from leadcycle.corrections import effective_events
from leadcycle.engine import data_value
from leadcycle.rules import Cond
from leadcycle.sqlrules import cond_sql as _cond_sql
from leadcycle.storage import CORE_TALLIES

T0 = dt.datetime(2026, 3, 2, 10, 0)


def facts(book):
    return book.store.conn.execute("SELECT * FROM facts ORDER BY lead_id, kind").fetchall()


def expected(book, lead_id):
    """The facts of one lead as Python folds its effective log: per kind,
    then per tally (the core's and the industry's), written out here
    independently of the engine."""
    events = effective_events(book.store.events_for(lead_id))
    groups = {kind: [e for e in events if e.kind == kind] for kind in {e.kind for e in events}}
    industry = book.store.get_lead(lead_id).industry
    tallies = [t for t in book.store.tallies if t.industry in (None, industry)]

    def matching(t):
        out = []
        for e in events:
            if e.kind not in t.kinds:
                continue
            results = [c.test(data_value(e.data, c.feature)) for c in t.where]
            if not t.where or (any(results) if t.match == "any" else all(results)):
                out.append(e)
        return out

    by_name = {t.name: t for t in tallies}
    for t in tallies:
        mine = matching(t)
        if t.after:
            anchors = matching(by_name[t.after])
            start = (anchors[0] if t.anchor == "first" else anchors[-1]) if anchors else None
            key = (lambda e: e.at) if t.later_by == "at" else (lambda e: e.id)
            mine = [e for e in mine if start is not None and key(e) > key(start)]
        if mine:
            groups["@" + t.name] = mine
    everything = book.store.events_for(lead_id)  # voids and voided entries too: where a void is
    if any(e.kind == "void" for e in everything):
        groups["*"] = everything
    return {k: (len(v), min(e.at for e in v).isoformat(timespec="seconds"),
                max(e.at for e in v).isoformat(timespec="seconds"), max(e.id for e in v))
            for k, v in groups.items()}


def book_with_agent():
    book = LeadBook.create(":memory:", ["realestate"], now=T0)
    book.add_agent("李娜")
    return book


def test_a_write_keeps_the_facts_and_a_void_takes_its_event_out():
    book = book_with_agent()
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜").lead
    with book.at(T0 + dt.timedelta(days=2)):
        visit, _ = book.log(lead.id, "visit", agent="李娜")
    with book.at(T0 + dt.timedelta(days=3)):
        book.log(lead.id, "visit", agent="李娜")
    kept = book.store.facts_for([lead.id])[lead.id]
    assert kept["@visit"][0] == 3 and kept["visit"][0] == 2
    with book.at(T0 + dt.timedelta(days=4)):
        book.void(lead.id, visit.id, reason="录错了", agent="李娜")
    kept = book.store.facts_for([lead.id])[lead.id]
    assert kept["visit"][0] == 1 and kept["@visit"][0] == 2
    assert "void" not in kept
    assert kept == expected(book, lead.id)


def test_a_phone_registration_is_no_visit():
    book = book_with_agent()
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜", channel="call").lead
    kept = book.store.facts_for([lead.id])[lead.id]
    assert "@visit" not in kept and kept["register"][0] == 1


def test_facts_kept_as_iso_text_are_not_trusted_and_the_next_write_converts_them(tmp_path, monkeypatch):
    """A database from before moments were kept as whole seconds and kinds
    by code (format 2: ISO text, names): reads leave its facts alone and
    evaluate in Python, with the answers a rebuild gives; the next write
    rebuilds them as numbers."""
    import sqlite3

    from leadcycle import storage

    path = str(tmp_path / "office.db")
    book = LeadBook.create(path, ["realestate"], now=T0)
    book.add_agent("李娜")
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜").lead
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(lead.id, "visit", agent="李娜")
    tallies = book.store.tallies
    book.close()
    with sqlite3.connect(path) as conn:  # the facts as format 2 kept them
        rows = conn.execute("SELECT f.lead_id, k.name, f.n, "
                            "strftime('%Y-%m-%dT%H:%M:%S', coalesce(f.first_at, f.last_at), 'unixepoch'), "
                            "strftime('%Y-%m-%dT%H:%M:%S', f.last_at, 'unixepoch'), f.last_id FROM facts f "
                            "JOIN fact_kinds k ON k.code = f.kind").fetchall()
        conn.execute("DROP TABLE facts")
        conn.execute("DROP TABLE fact_kinds")
        conn.execute("CREATE TABLE facts (lead_id INTEGER NOT NULL REFERENCES leads(id), kind TEXT NOT NULL, "
                     "n INTEGER NOT NULL, first_at TEXT NOT NULL, last_at TEXT NOT NULL, last_id INTEGER NOT NULL, "
                     "PRIMARY KEY (lead_id, kind)) WITHOUT ROWID")
        conn.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?)", rows)
        monkeypatch.setattr(storage, "FACTS_FORMAT", 2)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'facts:tallies'", (storage.tallies_signature(tallies),))
        monkeypatch.undo()
    conn.close()
    book = LeadBook.open(path)
    assert not book.store.facts_current()
    later = T0 + dt.timedelta(days=40)  # far enough for the day counts to matter

    def answers():
        with book.at(later):
            row = {r["id"]: r for r in book.list()}[lead.id]
            state = book.record(lead.id).state
        assert (row["grade"], row["score"], row["stage"], row["next_follow_up"]) == (
            state.grade, state.score, state.stage, state.next_follow_up.isoformat())
        return row["grade"], row["score"], row["stage"], row["next_follow_up"]

    before = answers()
    assert not book.store.facts_current()  # the read wrote nothing
    with book.at(T0 + dt.timedelta(days=3)):
        book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")
    assert book.store.facts_current()
    assert {t for (t,) in book.store.conn.execute("SELECT DISTINCT typeof(last_at) FROM facts UNION "
                                                  "SELECT DISTINCT typeof(first_at) FROM facts "
                                                  "WHERE first_at IS NOT NULL UNION "
                                                  "SELECT DISTINCT typeof(kind) FROM facts")} == {"integer"}
    assert book.store.facts_for([lead.id])[lead.id] == expected(book, lead.id)
    after = answers()
    assert after[1:3] == before[1:3] and after[3] != before[3]  # the follow-up moved the next one
    book.close()


def test_a_failed_write_leaves_the_facts_as_they_were():
    book = book_with_agent()
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜").lead
    before = facts(book)
    with pytest.raises(Exception):
        with book.store.transaction():
            book.store.append_event(book.store.events_for(lead.id)[0].__class__(
                None, lead.id, "visit", T0 + dt.timedelta(days=1), "李娜", {}, None))
            raise RuntimeError("the write fails after the append")
    assert facts(book) == before


KINDS = ("visit", "call", "follow_up", "signal")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(KINDS + ("void",)), st.integers(0, 30)),
                max_size=25),
       st.sampled_from(("visit", "call")))
def test_kept_facts_equal_a_rebuild_and_the_python_fold(steps, channel):
    book = book_with_agent()
    leads = [book.add_lead("realestate", name=n, gender="F", phone=p, need="三房", agent="李娜",
                           channel=channel if i == 0 else "visit").lead
             for i, (n, p) in enumerate((("王芳", "13900139000"), ("李雷", "13900139001"), ("韩梅", "13900139002")))]
    clock = T0
    for which, kind, back in steps:
        clock += dt.timedelta(hours=1)
        lead = leads[which]
        with book.at(clock):
            if kind == "void":
                candidates = [e for e in effective_events(book.store.events_for(lead.id))
                              if e.kind in KINDS]
                if candidates:
                    book.void(lead.id, candidates[back % len(candidates)].id, reason="录错了", agent="李娜")
            elif kind == "follow_up":
                book.log(lead.id, kind, agent="李娜", data={"reaction": "positive"}, note="回访")
            elif kind == "signal":
                book.log(lead.id, "visit", agent="李娜")
            else:
                book.log(lead.id, kind, agent="李娜")
    kept = facts(book)
    for lead in leads:
        assert book.store.facts_for([lead.id])[lead.id] == expected(book, lead.id)
    book.store.rebuild_facts()
    assert facts(book) == kept


VALUES = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["", "a", "b", "yes"]), st.booleans())


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from(("==", "!=", ">=", ">", "<=", "<", "in", "not_in", "set", "unset", "true",
                                "false")),
       st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b"]),
                 st.lists(st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", "yes"])), max_size=3)))
def test_a_condition_compiled_to_sql_agrees_with_its_python_test(value, op, operand):
    import json
    import sqlite3

    if op in ("in", "not_in") and not isinstance(operand, list):
        operand = [operand]
    if op not in ("in", "not_in") and isinstance(operand, list):
        return
    # text against a number too: Python's test fails it, and so must SQL (which would order them by type)
    cond = Cond("x", op, operand)
    sql, args = _cond_sql(cond, "json_extract(?, '$.x')")
    conn = sqlite3.connect(":memory:")
    doc = json.dumps({"x": value}) if value is not None else "{}"
    # every occurrence of the expression reads the same document
    parts = sql.split("json_extract(?, '$.x')")
    bound, pos = [], 0
    for i, part in enumerate(parts):
        bound += args[pos:pos + part.count("?")]
        pos += part.count("?")
        if i < len(parts) - 1:
            bound.append(doc)
    got = conn.execute(f"SELECT {sql}", bound).fetchone()[0]
    assert bool(got) == cond.test(value), (sql, bound)


def test_the_core_tallies_are_named_as_rules_read_them():
    assert [t.name for t in CORE_TALLIES] == ["visit"]


def test_the_facts_of_a_write_are_found_through_the_lead_index():
    """A write refreshes its own leads' facts: every read of the log goes
    through the (lead_id, id) index, never a scan nor the kind index (which
    would walk every void of the database)."""
    import json

    from leadcycle.storage import _SCOPE, Store, _facts_sql

    store = Store.memory()
    sql, args = _facts_sql(CORE_TALLIES, True)
    ids = json.dumps([1, 2])
    plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, [ids if a is _SCOPE else a for a in args])]
    reads = [step for step in plan if "events" in step]
    assert reads and all("USING INDEX idx_events_lead_id_id" in step for step in reads), plan


@pytest.mark.parametrize("start", [dt.datetime(1969, 12, 20, 23, 30), dt.datetime(2026, 3, 2, 23, 30)])
def test_day_counts_from_kept_moments_agree_with_the_engine_before_1970_too(start):
    """A fact's moment is kept as seconds since 1970; its day is taken
    rightly on both sides of 1970 (late in the evening: a day count that
    rounded toward 1970 would be one off before it)."""
    book = LeadBook.create(":memory:", ["realestate"], now=start)
    book.add_agent("李娜")
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜").lead
    with book.at(start + dt.timedelta(days=3)):
        book.log(lead.id, "visit", agent="李娜")
    for later in (4, 10, 34, 40):
        with book.at(start + dt.timedelta(days=later)):
            row = {r["id"]: r for r in book.list()}[lead.id]
            state = book.record(lead.id).state
            assert (row["score"], row["next_follow_up"]) == (state.score, state.next_follow_up.isoformat()), later


def test_the_last_moment_logged_is_the_latest_of_a_lead_s_facts_rows_voids_and_voided_entries_too():
    """A lead keeps a ``LOGGED`` row only where its log holds a void; the
    latest ``last_at`` of its rows (``LAST_LOGGED``, what a read into the
    past and the trust in a stored row go by) is the log's last moment
    whatever was voided, and a write's facts equal a rebuild's."""
    from leadcycle.sqlrules import LAST_LOGGED, LOGGED_CODE

    book = book_with_agent()
    plain = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房", agent="李娜").lead
    voided_last = book.add_lead("realestate", name="李雷", gender="M", phone="13900139001", need="两房",
                                agent="李娜").lead
    backdated_void = book.add_lead("realestate", name="韩梅", gender="F", phone="13900139002", need="两房",
                                   agent="李娜").lead
    with book.at(T0 + dt.timedelta(hours=1)):  # only its registration, by phone
        registered = book.add_lead("realestate", name="张伟", gender="M", phone="13900139003", need="两房",
                                   agent="李娜", channel="call").lead
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(plain.id, "visit", agent="李娜")
        visit, _ = book.log(voided_last.id, "visit", agent="李娜")
        book.log(backdated_void.id, "call", agent="李娜")
    with book.at(T0 + dt.timedelta(days=5)):
        book.void(voided_last.id, visit.id, reason="录错了", agent="李娜")  # the latest entry: a void
    with book.at(T0 + dt.timedelta(days=6)):
        late, _ = book.log(backdated_void.id, "visit", agent="李娜")
        book.void(backdated_void.id, late.id, reason="录错了", agent="李娜")  # the latest entry voided
    conn = book.store.conn
    with_logged = {r[0] for r in conn.execute("SELECT lead_id FROM facts WHERE kind = ?", (LOGGED_CODE,))}
    assert with_logged == {voided_last.id, backdated_void.id}
    assert conn.execute("SELECT count(*) FROM facts f JOIN fact_kinds k ON k.code = f.kind "
                        "WHERE k.name IN ('register', '*') AND f.lead_id IN (?, ?)",
                        (plain.id, registered.id)).fetchone()[0] == 0  # no row for a registration
    for lead in (plain, voided_last, backdated_void, registered):
        last = conn.execute(f"SELECT strftime('%Y-%m-%dT%H:%M:%S', {LAST_LOGGED.format(lead='?1')}, 'unixepoch')",
                            (lead.id,)).fetchone()[0]
        assert last == conn.execute("SELECT max(at) FROM events WHERE lead_id = ?", (lead.id,)).fetchone()[0]
        assert book.store.facts_for([lead.id])[lead.id] == expected(book, lead.id)
    assert book.store.leads_logged_after(T0 + dt.timedelta(days=5, hours=12)) == {backdated_void.id}
    assert book.store.leads_logged_after(T0 + dt.timedelta(days=3)) == {voided_last.id, backdated_void.id}
    kept = sorted(conn.execute("SELECT * FROM facts"))
    book.store.rebuild_facts()
    assert sorted(conn.execute("SELECT * FROM facts")) == kept


def test_a_lead_with_no_facts_row_was_last_logged_at_its_registration():
    """A registration by phone with nothing counted yet keeps no facts row
    at all: the last moment logged is the lead's own registration."""
    from leadcycle.model import Event, Lead
    from leadcycle.sqlrules import LAST_LOGGED
    from leadcycle.storage import Store

    store = Store.memory()
    lead_id = store.insert_lead(Lead(None, "realestate", "王芳", "F", "13900139000", "三房", T0))
    store.append_events_bulk([Event(None, lead_id, "register", T0, "李娜", {"channel": "call"})])
    conn = store.conn
    assert conn.execute("SELECT count(*) FROM facts WHERE lead_id = ?", (lead_id,)).fetchone()[0] == 0
    last = conn.execute(f"SELECT strftime('%Y-%m-%dT%H:%M:%S', {LAST_LOGGED.format(lead='?1')}, 'unixepoch')",
                        (lead_id,)).fetchone()[0]
    assert last == T0.isoformat(timespec="seconds")
