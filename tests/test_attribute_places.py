"""Leads keep their attributes at their keys' places (``attribute_keys``,
issue #17), each place a column of ``leads`` and ``leads.attributes`` the
list computed from them: the same attributes back (yes/no as yes/no), fewer
bytes, a place never moved, a rolled-back place never reused under another
key, and a database from before (objects; stored lists) read as it is and
converted by its first write."""

import datetime as dt
import json
import sqlite3

import pytest

from leadcycle import LeadBook
from leadcycle.errors import LeadcycleError

T0 = dt.datetime(2026, 3, 2, 10)


def book_with_agent(path=":memory:"):
    book = LeadBook.create(path, ["realestate"], now=T0)
    book.add_agent("李娜")
    return book


def add(book, phone, **attributes):
    return book.add_lead("realestate", name="王芳", gender="F", phone=phone, need="三房", agent="李娜",
                         attributes=attributes).lead


def stored(book, lead_id):
    return book.store.conn.execute("SELECT attributes FROM leads WHERE id = ?", (lead_id,)).fetchone()[0]


def places(book):
    return dict(book.store.conn.execute("SELECT key, position FROM attribute_keys"))


def columns(book, lead_id):
    """The lead's attribute columns, a0 on."""
    cols = [c for (c,) in book.store.conn.execute("SELECT name FROM pragma_table_info('leads')")
            if c[0] == "a" and c[1:].isdigit()]
    assert cols == [f"a{i}" for i in range(len(cols))]
    return list(book.store.conn.execute(f"SELECT {', '.join(cols)} FROM leads WHERE id = ?", (lead_id,)).fetchone())


def test_attributes_come_back_as_written_from_a_list_without_their_keys():
    book = book_with_agent()
    first = add(book, "13900139000", buying_power="A", funds="B", source="seminar")
    second = add(book, "13900139001", funds="C", trust="A")  # a new key: the next place
    assert places(book) == {"buying_power": 0, "funds": 1, "source": 2, "trust": 3}
    assert columns(book, first.id) == ["A", "B", "seminar", None]  # the place given later is empty
    assert columns(book, second.id) == [None, "C", None, "A"]
    assert stored(book, first.id) == '["A","B","seminar",null]'
    assert stored(book, second.id) == '[null,"C",null,"A"]'
    assert book.lead(first.id).attributes == {"buying_power": "A", "funds": "B", "source": "seminar"}
    assert book.lead(second.id).attributes == {"funds": "C", "trust": "A"}
    # a value taken away leaves its place empty; the list ends at its last value
    with book.at(T0 + dt.timedelta(hours=1)):
        book.set(second.id, {"trust": None}, agent="李娜")
    assert columns(book, second.id) == [None, "C", None, None]
    assert book.lead(second.id).attributes == {"funds": "C"}
    # the API's rows still carry the object (read once the change has happened)
    with book.at(T0 + dt.timedelta(hours=1)):
        assert {r["id"]: json.loads(r["attributes"]) for r in book.list()} == {
            first.id: {"buying_power": "A", "funds": "B", "source": "seminar"}, second.id: {"funds": "C"}}


def row_bytes(book, lead_id):
    """The bytes of the lead's row as SQLite keeps it (its cell in the table's page)."""
    conn = book.store.conn
    return conn.execute("SELECT payload FROM dbstat WHERE name = 'leads' AND pagetype = 'leaf'").fetchone()[0]


def test_the_columns_are_shorter_than_the_list_and_the_object_they_stand_for(tmp_path):
    book = book_with_agent(str(tmp_path / "office.db"))
    ratings = {"motivation": "A", "region": "B", "product": "C", "price": "A", "funds": "B",
               "expected_deal": "C", "buying_power": "A", "decision": "B", "trust": "C", "source": "seminar"}
    lead = add(book, "13900139000", **ratings)
    as_object = json.dumps(ratings, ensure_ascii=False, separators=(",", ":"))
    as_list = stored(book, lead.id)
    assert len(as_list) * 3 < len(as_object)
    # the row: its basics, and a byte a place plus the value's own
    basics = book.store.conn.execute("SELECT length(CAST(name AS BLOB)) + length(CAST(phone AS BLOB)) + "
                                     "length(CAST(need AS BLOB)) + length(industry) + length(created_at) + "
                                     "length(gender) + length(search) FROM leads").fetchone()[0]
    payload = row_bytes(book, lead.id)
    assert payload - basics <= 2 * len(ratings) + len("seminar") + 10  # the header's other columns
    assert payload - basics < len(as_list)


def test_a_place_given_in_a_rolled_back_write_is_not_kept_by_the_run():
    book = book_with_agent()
    add(book, "13900139000", funds="B")
    with pytest.raises(RuntimeError):
        with book.store.transaction():
            add(book, "13900139001", trust="A")  # gives trust place 1, then rolled back
            raise RuntimeError("the write fails")
    assert places(book) == {"funds": 0}
    lead = add(book, "13900139002", source="seminar")  # place 1 is source's now
    assert places(book) == {"funds": 0, "source": 1}
    assert book.lead(lead.id).attributes == {"source": "seminar"}


def test_places_given_by_another_process_are_read_when_met(tmp_path):
    path = str(tmp_path / "office.db")
    book = book_with_agent(path)
    add(book, "13900139000", funds="B")
    other = LeadBook.open(path)
    assert other.lead(1).attributes == {"funds": "B"}  # this run has read place 0
    with book.at(T0 + dt.timedelta(hours=1)):
        lead = add(book, "13900139001", trust="A", funds="C")
    assert other.lead(lead.id).attributes == {"trust": "A", "funds": "C"}
    with other.at(T0 + dt.timedelta(hours=2)):  # and a write gives the next free place, not a taken one
        third = other.add_lead("realestate", name="李雷", gender="M", phone="13900139002", need="两房",
                               agent="李娜", attributes={"source": "seminar"}).lead
    assert places(book) == {"funds": 0, "trust": 1, "source": 2}
    assert book.lead(third.id).attributes == {"source": "seminar"}
    other.close()
    book.close()


def test_a_place_no_key_has_is_one_clear_error(tmp_path):
    path = str(tmp_path / "office.db")
    book = book_with_agent(path)
    lead = add(book, "13900139000", funds="B", trust="A")
    book.close()
    conn = sqlite3.connect(path)  # the key of place 1 taken away outside leadcycle
    conn.execute("DELETE FROM attribute_keys WHERE position = 1")
    conn.commit()
    conn.close()
    with pytest.raises(LeadcycleError, match="place 1, which attribute_keys does not have"):
        LeadBook.open(path).lead(lead.id)


def lists_again(path):
    """Make ``path`` a database as the leadcycle before migration m017 left
    it: attributes as a stored list of values at their places, no columns."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT id, attributes FROM leads").fetchall()
    n = conn.execute("SELECT count(*) FROM attribute_keys").fetchone()[0]
    conn.execute("ALTER TABLE leads DROP COLUMN attributes")
    for i in range(n):
        conn.execute(f"ALTER TABLE leads DROP COLUMN a{i}")
    conn.execute("ALTER TABLE leads ADD COLUMN attributes TEXT")
    for lead_id, text in rows:  # as the list was kept: its trailing empty places left off
        values = json.loads(text)
        while values and values[-1] is None:
            values.pop()
        conn.execute("UPDATE leads SET attributes = ? WHERE id = ?",
                     (json.dumps(values, ensure_ascii=False, separators=(",", ":")), lead_id))
    conn.execute("ALTER TABLE attribute_keys DROP COLUMN boolean")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm017_attribute_columns'")
    conn.execute("PRAGMA user_version = 16")
    conn.commit()
    conn.close()


def objects_again(path):
    """Make ``path`` a database as the leadcycle before migration m013 left
    it: attributes as objects, no ``attribute_keys``."""
    lists_again(path)
    conn = sqlite3.connect(path)
    keys = dict((p, k) for k, p in conn.execute("SELECT key, position FROM attribute_keys"))
    for lead_id, text in conn.execute("SELECT id, attributes FROM leads").fetchall():
        values = json.loads(text)
        obj = {keys[i]: v for i, v in enumerate(values) if v is not None}
        conn.execute("UPDATE leads SET attributes = ? WHERE id = ?", (json.dumps(obj, ensure_ascii=False), lead_id))
    conn.execute("DROP TABLE attribute_keys")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_attribute_places'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name > 'm013'")  # applied again after it
    conn.execute("PRAGMA user_version = 12")
    conn.commit()
    conn.close()


def test_a_database_from_before_reads_its_objects_and_its_first_write_converts_them(demo_copy, runner):
    from leadcycle.cli import cli

    month_later = ["--db", demo_copy, "--now", "2026-10-15T09:00"]
    want = {read[0] + str(len(read)): runner.invoke(cli, [*month_later, *read, "--json"]).output
            for read in (["list"], ["show", "3"], ["due"], ["list", "--grade", "A"])}
    objects_again(demo_copy)
    conn = sqlite3.connect(demo_copy)
    before = list(conn.iterdump())
    for read in (["list"], ["show", "3"], ["due"], ["list", "--grade", "A"]):
        result = runner.invoke(cli, [*month_later, *read, "--json"])
        assert result.exit_code == 0, (read, result.output)
        assert result.output == want[read[0] + str(len(read))], read
    assert list(conn.iterdump()) == before  # reads wrote nothing
    assert runner.invoke(cli, ["--db", demo_copy, "rescore"]).exit_code == 0  # a write: upgrades
    assert conn.execute("SELECT count(*) FROM leads WHERE attributes LIKE '{%'").fetchone()[0] == 0
    for read in (["list"], ["show", "3"], ["due"], ["list", "--grade", "A"]):
        assert runner.invoke(cli, [*month_later, *read, "--json"]).output == want[read[0] + str(len(read))]
    assert runner.invoke(cli, ["--db", demo_copy, "verify"]).exit_code == 0
    conn.close()


def test_an_attribute_without_a_value_is_no_attribute_and_the_log_still_matches():
    """A registration's blank attribute stays in its event (the log is
    what was said) but is no attribute of the lead: the stored list and the
    fold of the log agree, so ``verify`` passes."""
    book = book_with_agent()
    lead = add(book, "13900139000", funds=None, trust="A", motivation="")
    assert book.store.events_for(lead.id)[0].data["attributes"] == {"funds": None, "motivation": None,
                                                                     "trust": "A"}
    assert book.lead(lead.id).attributes == {"trust": "A"}
    with book.at(T0 + dt.timedelta(hours=1)):
        book.set(lead.id, {"funds": "B"}, agent="李娜")
        book.set(lead.id, {"trust": None}, agent="李娜")
    assert book.lead(lead.id).attributes == {"funds": "B"}
    assert all(check.ok for check in book.verify().checks), [c for c in book.verify().checks if not c.ok]


def listed_and_shown(book, lead_id, clock):
    with book.at(clock):
        row = {r["id"]: r for r in book.list()}[lead_id]
        state = book.record(lead_id).state
    return (row["score"], row["grade"]), (state.score, state.grade)


def test_statements_name_places_and_codes_and_still_find_those_given_later():
    """A read's statement names the places and codes the database had
    when it was compiled; a key or kind first written after that is found
    when the statement runs."""
    book = book_with_agent()
    first = add(book, "13900139000", funds="B")
    later = T0 + dt.timedelta(days=40)  # past what the writes store: the reads evaluate
    listed, shown = listed_and_shown(book, first.id, later)  # compiles the read's statement
    assert listed == shown
    plan = book._read_plan("realestate")
    with book.at(T0 + dt.timedelta(hours=1)):
        second = add(book, "13900139001", motivation="A", price="A", funds="A")  # new places
        book.log(second.id, "bargaining", agent="李娜")  # a new kind: a new code
    assert book._read_plan("realestate") is plan  # the same statement, compiled before them
    evaluated = book.evaluated
    listed, shown = listed_and_shown(book, second.id, later)
    assert book.evaluated > evaluated
    assert listed == shown and shown[0] > listed_and_shown(book, first.id, later)[1][0]


def test_a_statement_compiled_inside_a_rolled_back_write_is_compiled_again():
    """A rollback takes back the places given inside it: a statement
    compiled then, naming them, must not read another key given the same
    place afterwards."""
    book = book_with_agent()
    add(book, "13900139000", funds="B")
    later = T0 + dt.timedelta(days=2)
    with pytest.raises(RuntimeError):
        with book.store.transaction():
            lead = add(book, "13900139001", motivation="A")  # motivation takes place 1…
            assert listed_and_shown(book, lead.id, later)[0] is not None  # …and a statement names it
            raise RuntimeError("the write fails")
    lead = add(book, "13900139002", trust="D", funds="A")  # trust takes place 1
    with book.at(T0 + dt.timedelta(hours=1)):
        book.set(lead.id, {"motivation": "A"}, agent="李娜")  # motivation: place 2
    assert places(book) == {"funds": 0, "trust": 1, "motivation": 2}
    evaluated = book.evaluated
    listed, shown = listed_and_shown(book, lead.id, T0 + dt.timedelta(days=40))  # past what the write stored
    assert book.evaluated > evaluated
    assert listed == shown


def test_a_list_that_does_not_read_attributes_leaves_them_out():
    """The API's rows carry the attributes' object unless the caller asks
    them left out (turning each stored list into the object is most of a
    long list's cost): the CLI's lists and the reports do."""
    book = book_with_agent()
    lead = add(book, "13900139000", funds="B")
    assert json.loads(book.list()[0]["attributes"]) == {"funds": "B"}
    row = book.list(attributes=False)[0]
    assert "attributes" not in row and row["id"] == lead.id


READS = (["list", "--json"], ["show", "3", "--json"], ["due", "--json"], ["list", "--grade", "A", "--json"],
         ["export", "--format", "csv"])


def test_a_database_with_stored_lists_reads_them_and_its_first_write_makes_columns(demo_copy, runner):
    from leadcycle.cli import cli

    month_later = ["--db", demo_copy, "--now", "2026-10-15T09:00"]
    want = {" ".join(read): runner.invoke(cli, [*month_later, *read]).output for read in READS}
    lists_again(demo_copy)
    conn = sqlite3.connect(demo_copy)
    assert conn.execute("SELECT count(*) FROM leads WHERE attributes LIKE '[%'").fetchone()[0] > 0
    before = list(conn.iterdump())
    for read in READS:
        result = runner.invoke(cli, [*month_later, *read])
        assert result.exit_code == 0, (read, result.output)
        assert result.output == want[" ".join(read)], read
    assert list(conn.iterdump()) == before  # reads wrote nothing
    assert runner.invoke(cli, ["--db", demo_copy, "agent", "add", "新人"]).exit_code == 0  # a write: upgrades
    hidden = dict(conn.execute("SELECT name, hidden FROM pragma_table_xinfo('leads')"))
    assert hidden["attributes"] == 2 and hidden["a0"] == 0  # computed from the columns
    for read in READS:
        assert runner.invoke(cli, [*month_later, *read]).output == want[" ".join(read)], read
    assert runner.invoke(cli, ["--db", demo_copy, "verify"]).exit_code == 0


def test_yes_no_attributes_come_back_as_yes_no_and_the_rules_read_them_from_their_columns(tmp_path):
    book = LeadBook.create(str(tmp_path / "office.db"), ["machinery"], now=T0)
    book.add_agent("李娜")
    lead = book.add_lead("machinery", name="王芳", gender="F", phone="13900139000", need="挖掘机", agent="李娜",
                         attributes={"account_type": "oem", "long_term_intent": "yes", "violation": "no"}).lead
    assert book.lead(lead.id).attributes == {"account_type": "oem", "long_term_intent": True, "violation": False}
    assert {k: type(v) for k, v in book.lead(lead.id).attributes.items()} == {
        "account_type": str, "long_term_intent": bool, "violation": bool}
    assert stored(book, lead.id) == '["oem",true,false]'
    assert dict(book.store.conn.execute("SELECT key, boolean FROM attribute_keys")) == {
        "account_type": 0, "long_term_intent": 1, "violation": 1}
    constants = book.store.constants()
    assert constants.columns
    from leadcycle.sqlrules import attribute_sql
    assert attribute_sql("l.attributes", "violation", constants.place("violation"), constants.columns) == 'l."a2"'
    assert book.store.attribute_sql("violation") == 'l."a2"'
    # a yes/no key given its place by a value of another kind is marked when a yes/no value comes
    with book.at(T0 + dt.timedelta(hours=1)):
        book.set(lead.id, {"has_site": "yes"}, agent="李娜")
    assert book.lead(lead.id).attributes["has_site"] is True
