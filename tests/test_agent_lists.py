"""One agent's lists at a later clock (issue #17): the leads the clock took
from the agent are left out by their stored protection, not evaluated one by
one, and every other read still sees who has them now.

The stored rows below are computed at the entries' clocks; every read is at a
later clock, around the end of the protection period (30 days by default:
day 30 after the last contact still protected, the pool from the midnight
after it).
"""

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcycle import LeadBook
from leadcycle.errors import Refused

T0 = dt.datetime(2026, 3, 5, 9, 0)
#: the midnight after day 30 of the protection that started on T0's day
LAPSE = dt.datetime(2026, 4, 5)
A_RATED = dict.fromkeys(("motivation", "region", "product", "funds", "price", "expected_deal"), "A")
AGENT, OTHER = "李娜", "王强"


@pytest.fixture
def office():
    """Two leads stored as the entries left them: ``mine`` received by
    李娜; ``window``, 王强's client who came back an hour later and was
    received by 李娜 without naming 王强 (a recognition window that closes,
    unrecognised, 15 minutes later and gives the client to 李娜)."""
    book = LeadBook.create(":memory:", ["realestate"], now=T0)
    for name in (AGENT, OTHER):
        book.add_agent(name)
    with book.at(T0):
        mine = book.add_lead("realestate", name="张伟", gender="M", phone="13900000001", need="两房",
                             agent=AGENT, attributes=A_RATED).lead.id
        window = book.add_lead("realestate", name="李雷", gender="M", phone="13900000002", need="三房",
                               agent=OTHER, attributes=A_RATED).lead.id
    with book.at(T0 + dt.timedelta(hours=1)):
        book.log(window, "visit", agent=AGENT)
    yield book, {"mine": mine, "window": window}
    book.close()


def overlaid(book) -> int:
    """Leads this run laid over the stored rows (none, and no overlay made,
    when every stored row held)."""
    made = book.store.conn.execute("SELECT count(*) FROM temp.sqlite_master WHERE name = 'state_overlay'")
    if not made.fetchone()[0]:
        return 0
    return book.store.conn.execute("SELECT count(*) FROM temp.state_overlay").fetchone()[0]


@pytest.mark.parametrize("clock, owner", [
    (T0 + dt.timedelta(hours=1, minutes=14), {"mine": AGENT, "window": OTHER}),  # the window still open
    (T0 + dt.timedelta(hours=2), {"mine": AGENT, "window": AGENT}),  # closed: the receiver's client
    (LAPSE - dt.timedelta(days=1, hours=15), {"mine": AGENT, "window": AGENT}),  # day 29 of protection
    (LAPSE - dt.timedelta(hours=15), {"mine": AGENT, "window": AGENT}),  # day 30, the last protected day
    (LAPSE - dt.timedelta(seconds=1), {"mine": AGENT, "window": AGENT}),
    (LAPSE, {"mine": None, "window": None}),  # the pool
    (LAPSE + dt.timedelta(hours=9), {"mine": None, "window": None}),  # day 31
    (LAPSE + dt.timedelta(days=26), {"mine": None, "window": None}),
])
def test_an_agents_lists_hold_the_leads_the_agent_has_at_the_clock(office, clock, owner):
    book, ids = office
    with book.at(clock):
        listed = {r["id"] for r in book.list(owner=AGENT)}
        due = {r["id"] for r in book.due(AGENT)}
        theirs = {r["id"] for r in book.list(owner=OTHER)}
        shown = {name: book.record(i).state for name, i in ids.items()}
        assert {name: s.owner for name, s in shown.items()} == owner  # show, by the engine from the log
        assert listed == {ids[n] for n, s in shown.items() if s.owner == AGENT}
        assert theirs == {ids[n] for n, s in shown.items() if s.owner == OTHER}
        assert due == {ids[n] for n, s in shown.items()
                       if s.owner == AGENT and s.next_follow_up and s.next_follow_up <= clock.date()}
        for grade in ("A", "B", "C", "D"):
            assert {r["id"] for r in book.list(grade=grade, owner=AGENT)} == {
                ids[n] for n, s in shown.items() if s.owner == AGENT and s.grade == grade}, grade
        # the reads that follow an agent's list see who has each lead now
        assert {n: book.store.get_state(i).owner for n, i in ids.items()} == owner
        pooled = {r["id"] for r in book.list(pool=True)}
        assert pooled == {ids[n] for n, who in owner.items() if who is None}


def test_the_leads_the_clock_took_are_not_evaluated_by_an_agents_list(office):
    book, ids = office
    with book.at(LAPSE + dt.timedelta(hours=9)):
        assert book.list(owner=AGENT) == [] and book.due(AGENT) == []
        assert book.list(grade="A", owner=AGENT) == []
        assert overlaid(book) == 0  # nothing evaluated, nothing laid over: the stored rows say it all
        assert book.store.owned_lead_ids(AGENT) == []
        # a read not by an agent's name lays their owner over them
        assert book.store.get_state(ids["mine"]).owner is None and overlaid(book) == 1
    with book.at(LAPSE - dt.timedelta(hours=15)):  # day 30: still 李娜's, both
        assert {r["id"] for r in book.list(owner=AGENT)} == set(ids.values())
        assert overlaid(book) == 2  # both still hers, evaluated: the clock moved on past their stored rows


def test_the_day_after_protection_follows_the_setting(office):
    book, ids = office
    book.set_setting("ownership.protection_days", 15)  # the stored rows' folds are from other rules now
    for day, owned in ((15, True), (16, False)):
        with book.at(dt.datetime.combine(T0.date() + dt.timedelta(days=day), dt.time(9))):
            assert {r["id"] for r in book.list(owner=AGENT)} == (set(ids.values()) if owned else set()), day
            assert {book.record(i).state.owner for i in ids.values()} == {AGENT if owned else None}, day


def test_due_of_one_agent_flags_the_software_lead_that_lapsed_from_them(run, db_path):
    """The software plugin's due items read the pool after ``due --agent``
    evaluated the agent's leads alone: the lead that lapsed from the agent
    is there, its phone masked to the agent who no longer owns it."""
    run("init", "--industry", "software_sales")
    book = LeadBook.open(db_path, now=T0)
    book.add_agent(AGENT)
    with book.at(T0):
        lapsed = book.add_lead("software_sales", name="张伟", gender="M", phone="13700007000", need="ERP",
                               agent=AGENT).lead.id
    book.close()
    for day, flagged in ((90, False), (91, True)):  # software sales: 90 days of protection
        now = (T0 + dt.timedelta(days=day)).isoformat(timespec="minutes")
        r = run("--as", AGENT, "due", "--json", "--agent", AGENT, "--unmask", now=now)
        assert r.exit_code == 0, r.output
        items = [i for i in json.loads(r.output) if i["kind"] == "lapsed_before_follow_up_4"]
        assert [(i["lead_id"], i["owner"], i["phone_masked"]) for i in items] == (
            [(lapsed, AGENT, True)] if flagged else []), day


@pytest.mark.parametrize("day, owned", [(90, True), (91, False)])  # machinery: 90 days of protection
def test_a_plugins_due_items_by_agent_hold_only_the_leads_they_have(day, owned):
    """The machinery plugin's items (a site deadline passed) read the
    agent's leads by name after ``due`` evaluated the agent's leads alone."""
    from leadcycle.reports.daily import due_items

    book = LeadBook.create(":memory:", ["machinery"], now=T0)
    book.add_agent(AGENT)
    with book.at(T0):
        lead = book.add_lead("machinery", name="周建设路桥", gender="M", phone="13800000001", need="挖掘机",
                             agent=AGENT, attributes={"site_deadline": "2026-03-20"}).lead.id
    with book.at(T0 + dt.timedelta(days=day)):
        mine = [(i["lead_id"], i["owner"]) for i in due_items(book, AGENT, "en") if i["kind"] == "site_deadline_passed"]
        everyone = [(i["lead_id"], i["owner"]) for i in due_items(book, None, "en")
                    if i["kind"] == "site_deadline_passed"]
    assert mine == ([(lead, AGENT)] if owned else [])
    assert everyone == [(lead, AGENT if owned else None)]
    book.close()


#: a lead: who registers it, then entries (hours after T0, kind, by whom)
lead = st.tuples(st.sampled_from((AGENT, OTHER)), st.lists(st.tuples(
    st.integers(min_value=0, max_value=40 * 24), st.sampled_from(("visit", "follow_up", "deposit")),
    st.sampled_from((AGENT, OTHER))), max_size=4))
LOG_DATA = {"deposit": {"amount": 1000}, "follow_up": {"reaction": "positive"}}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lead, min_size=1, max_size=4), st.lists(st.integers(min_value=0, max_value=80 * 24), max_size=4),
       st.booleans())
def test_after_an_agents_list_every_read_sees_who_has_their_leads(leads, hours, shorter):
    """Whatever the entries and the clock (windows, deals, a changed
    protection period): after one agent's list and due list, a point read
    and the pool tell who has each lead stored as the agent's, as ``show``
    does from the log."""
    book = LeadBook.create(":memory:", ["realestate"], now=T0)
    for name in (AGENT, OTHER):
        book.add_agent(name)
    ids, last = [], T0
    for n, (registrar, entries) in enumerate(leads):
        with book.at(T0):
            ids.append(book.add_lead("realestate", name=f"客户{n}", gender="F", phone=f"1390000{n:04d}",
                                     need="两房", agent=registrar, attributes=A_RATED).lead.id)
        for h, kind, who in sorted(entries):
            last = max(last, T0 + dt.timedelta(hours=h))
            with book.at(last):
                try:  # an entry on a colleague's lead may be refused: nothing is written then
                    book.log(ids[-1], kind, agent=who, data=LOG_DATA.get(kind, {}),
                             note="回访" if kind == "follow_up" else None)
                except Refused:
                    pass
    if shorter:
        book.set_setting("ownership.protection_days", 15)
    stored = dict(book.store.conn.execute("SELECT lead_id, owner FROM lead_state"))
    for h in hours:
        with book.at(last + dt.timedelta(hours=h)):
            listed = {r["id"] for r in book.list(owner=AGENT)}
            book.due(AGENT)
            owners = {i: book.record(i).state.owner for i in ids}
            assert listed == {i for i, who in owners.items() if who == AGENT}
            theirs = [i for i in ids if AGENT in (stored[i], owners[i])]
            assert {i: book.store.get_state(i).owner for i in theirs} == {i: owners[i] for i in theirs}
            pooled = {r["id"] for r in book.store.query_leads(pool=True)}
            assert {i for i in theirs if i in pooled} == {i for i in theirs if owners[i] is None}
    book.close()
