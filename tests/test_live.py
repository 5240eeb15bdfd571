"""Reads answer for their own clock and rules, and never write (issue #17).

A stored projection is trusted by a read only when it holds at the read's
clock under the read's rules; every other lead is evaluated by the read
itself, in memory. So any order of reads at any clocks gives the same
answers, a settings change reaches every list on the next command, and a
``rescore`` killed half-way leaves nothing silently stale.
"""

import datetime as dt
import json
import shutil
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest

from leadcycle import LeadBook, engine
from leadcycle.errors import LeadcycleError, NotFound, Refused
from conftest import dump

FIVE_HAVES = ("has_need=yes", "has_budget=yes", "has_intent=yes", "has_pain=yes", "decision_maker=yes")


def software(run):
    run("init", "--industry", "software_sales", "--industry", "realestate")
    run("agent", "add", "李娜")
    run("agent", "add", "陈经理", "--manager")
    out = run("lead", "add", "--industry", "software_sales", "--name", "张伟", "--gender", "男",
              "--phone", "13800138000", "--need", "ERP", "--agent", "李娜", now="2026-03-02T10:00")
    assert out.exit_code == 0, out.output
    out = run("lead", "set", "1", *FIVE_HAVES, "no_obstacle=no", "--agent", "李娜", now="2026-03-03T10:00")
    assert out.exit_code == 0, out.output


def grades(run, now, *args):
    result = run("list", "--json", *args, now=now)
    assert result.exit_code == 0, result.output
    return [(r["id"], r["grade"]) for r in json.loads(result.output)]


def test_a_read_at_an_earlier_clock_leaves_nothing_stale(run, db_path):
    software(run)
    before = dump(db_path)
    # before the lead existed… and before the five haves were recorded
    assert grades(run, "2026-03-01") == []
    assert grades(run, "2026-03-02T12:00") == [(1, None)]
    assert dump(db_path) == before  # the reads wrote nothing
    assert grades(run, "2026-03-05", "--grade", "B") == [(1, "B")]
    shown = json.loads(run("show", "1", "--json", now="2026-03-05").output)
    assert shown["grade"] == "B"


def test_every_read_command_leaves_the_database_as_it_was(run, db_path):
    software(run)
    run("lead", "add", "--industry", "realestate", "--name", "王芳", "--gender", "女", "--phone",
        "13900139000", "--need", "三房", "--agent", "李娜", now="2026-03-04T10:00")
    before = dump(db_path)
    for args in (("list",), ("list", "--grade", "A"), ("due",), ("due", "--agent", "李娜"), ("pool",),
                 ("show", "1"), ("show", "2", "--json"), ("review", "--dry-run"), ("history", "2"),
                 ("credit", "2"), ("queue",), ("settings", "list")):
        for now in ("2026-03-01", "2026-03-04T09:00", "2026-05-30"):
            result = run(*args, now=now)
            assert result.exit_code in (0, 1) and result.exception is None or isinstance(result.exception, SystemExit), (args, now, result.output)
    assert dump(db_path) == before


def test_a_setting_reaches_lists_on_the_next_command(run):
    software(run)
    run("lead", "set", "1", "no_obstacle=unknown", "--agent", "李娜", now="2026-03-04T10:00")
    assert grades(run, "2026-03-05", "--grade", "A") == []
    assert run("settings", "set", "software_sales.grade_a_haves", "4").exit_code == 0
    assert grades(run, "2026-03-05", "--grade", "A") == [(1, "A")]
    assert json.loads(run("show", "1", "--json", now="2026-03-05").output)["grade"] == "A"
    assert run("settings", "reset", "software_sales.grade_a_haves").exit_code == 0
    assert grades(run, "2026-03-05", "--grade", "A") == []


def test_reads_under_other_rules_say_on_a_terminal_that_rescore_stores_them_anew(run, monkeypatch):
    """After an upgrade or a changed setting every stored row is from other
    rules and every read evaluates them again: the operator is told, once
    per command, on stderr only (never into --json)."""
    from leadcycle.cli import app

    monkeypatch.setattr(app, "interactive", lambda: True)
    monkeypatch.setattr(app, "STALE_NOTE", 2)
    software(run)
    run("lead", "add", "--industry", "software_sales", "--name", "王芳", "--gender", "女", "--phone",
        "13900139000", "--need", "CRM", "--agent", "李娜", now="2026-03-04T10:00")
    assert run("list", now="2026-03-04T11:00").stderr == ""  # stored under these rules
    assert run("settings", "set", "software_sales.grade_a_haves", "4").exit_code == 0
    listed = run("list", "--json", now="2026-03-04T11:00")
    assert [r["id"] for r in json.loads(listed.stdout)] == [1, 2]
    assert listed.stderr.startswith("note: 2 leads are stored under other rules") and listed.stderr.count("\n") == 1
    assert "leadcycle rescore" in listed.stderr
    monkeypatch.setattr(app, "STALE_NOTE", 3)  # fewer than that many: no note
    assert run("list", now="2026-03-04T11:00").stderr == ""
    monkeypatch.setattr(app, "STALE_NOTE", 2)
    assert run("rescore", now="2026-03-04T11:00").exit_code == 0
    assert run("list", now="2026-03-04T11:00").stderr == ""


def test_the_protection_setting_reaches_the_pool(run):
    run("init", "--industry", "realestate")
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", "realestate", "--name", "王芳", "--gender", "女", "--phone",
        "13900139000", "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00")

    def pool(now):
        return [r["lead_id"] for r in json.loads(run("pool", "--json", now=now).output)]

    # day 16 after the visit: inside 30 days, outside 15
    assert pool("2026-03-18T09:00") == []
    assert run("settings", "set", "ownership.protection_days", "15").exit_code == 0
    assert pool("2026-03-17T09:00") == []  # day 15: still protected
    assert pool("2026-03-18T09:00") == [1]
    assert json.loads(run("show", "1", "--json", now="2026-03-18T09:00").output)["owner"] is None
    assert grades(run, "2026-03-17T09:00", "--owner", "李娜") == [(1, None)]


def test_review_dry_run_proposes_what_review_then_does(run):
    run("init", "--industry", "realestate")
    run("agent", "add", "李娜")
    for i, phone in enumerate(("13900139001", "13900139002", "13900139003")):
        run("lead", "add", "--industry", "realestate", "--name", f"客户{i}", "--gender", "女", "--phone", phone,
            "--need", "三房", "--agent", "李娜", now=f"2026-03-0{2 + i}T10:00")
        run("lead", "set", str(i + 1), *(f"{d}=B" for d in (
            "motivation", "region", "product", "price", "funds", "expected_deal", "mortgage")),
            "--agent", "李娜", now=f"2026-03-0{2 + i}T11:00")
    run("list", now="2026-03-03")  # an earlier read changes nothing below
    dry = json.loads(run("review", "--dry-run", "--json", now="2026-03-20").output)
    done = json.loads(run("review", "--json", now="2026-03-20").output)
    unwritten = [{k: v for k, v in d.items() if k != "written"} for d in done]
    assert dry and [{k: v for k, v in d.items() if k != "written"} for d in dry] == unwritten
    # the week is reviewed: a dry run proposes what a run does, nothing, and both say why
    again = run("review", "--dry-run", "--json", now="2026-03-20")
    twice = run("review", "--json", now="2026-03-20")
    assert json.loads(again.stdout) == json.loads(twice.stdout) == []
    assert again.stderr == twice.stderr == ("note: real estate: this week (2026-W12) is reviewed already; "
                                            "the next review runs from Monday 2026-03-23\n")
    zh = run("--lang", "zh", "review", "--dry-run", now="2026-03-20")
    assert zh.stderr == "注意：房地产：本周（2026-W12）已复盘；下次复盘自周一 2026-03-23 起\n"


KILL_RESCORE = textwrap.dedent("""
    import os, signal, sys
    from leadcycle import LeadBook
    book = LeadBook.open(sys.argv[1])
    seen = []
    def progress(n):
        seen.append(n)
        if len(seen) == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
    book.rescore(batch_size=5, progress=progress)
    print(len(seen))
""")


def _office_of(tmp_path, n: int) -> str:
    """A database of ``n`` leads rated funds A and motivation A (score 38
    once ``realestate.table_points_a`` is 19)."""
    path = str(tmp_path / "office.db")
    book = LeadBook.create(path, ["realestate"], now=dt.datetime(2026, 3, 2, 9))
    book.add_agent("李娜")
    for i in range(n):
        book.add_lead("realestate", name=f"客户{i}", gender="F", phone=f"1390000{i:04d}", need="两房",
                      agent="李娜", attributes={"funds": "A", "motivation": "A"})
    book.close()
    return path


def test_rescore_of_compiled_rules_is_one_statement(tmp_path):
    """Rules that compile: rescore rebuilds the facts and stores every
    lead's state in one statement (all or nothing), then leaves nothing to
    the engine."""
    path = _office_of(tmp_path, 12)
    book = LeadBook.open(path, now=dt.datetime(2026, 3, 3, 9))
    book.set_setting("realestate.table_points_a", 19)
    seen = []
    book.rescore(batch_size=5, progress=seen.append)
    assert seen == [12]
    assert {r["score"] for r in book.list()} == {38}
    # each row holds until the clock alone changes it, as the engine finds
    stored = {r[0]: r[1] for r in sqlite3.connect(path).execute("SELECT lead_id, expires_at FROM lead_state")}
    for lead_id, expires in stored.items():
        _, state = engine.project(book.context, book.store.get_lead(lead_id), book.store.events_for(lead_id),
                                  book.now)
        assert expires == state.expires_at.isoformat() and state.expires_at > book.now


def test_a_killed_rescore_leaves_no_lead_silently_stale_and_resumes(tmp_path):
    path = _office_of(tmp_path, 30)
    book = LeadBook.open(path, now=dt.datetime(2026, 3, 3, 9))
    book.set_setting("realestate.table_points_a", 19)  # other rules: every stored row is now stale
    # another ownership policy the fold reads: every lead's ownership is folded again, lead by lead
    book.set_setting("ownership.recognition_minutes", 20)
    book.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run([sys.executable, "-c", KILL_RESCORE, path, "2"], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    versions = [r[0] for r in conn.execute("SELECT rules_version FROM lead_state ORDER BY lead_id")]
    conn.close()
    assert len(set(versions)) == 2  # the first two batches are on the new rules, the rest say they are not
    book = LeadBook.open(path, now=dt.datetime(2026, 3, 3, 9))
    assert {r["score"] for r in book.list()} == {38}  # every lead, stored or not, under the new points
    book.close()
    rerun = subprocess.run([sys.executable, "-c", KILL_RESCORE, path, "0"], env=env, capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip() == "4"  # 30 leads, 10 done: four batches of five remain
    conn = sqlite3.connect(path)
    assert len({r[0] for r in conn.execute("SELECT rules_version FROM lead_state")}) == 1
    conn.close()


# --------------------------------------------------------------- property

T0 = dt.datetime(2026, 3, 5, 9, 0)
AGENTS = ("李娜", "王强")


def _history(kinds, rated, values, data):
    """A lead's history in an industry: rated at registration or not, then
    up to eight entries at hours after ``T0`` — events of ``kinds`` (with
    ``data[kind]``) or attribute changes among ``rated`` to ``values``."""
    step = st.one_of(
        st.tuples(st.just("log"), st.sampled_from(kinds), st.sampled_from(AGENTS)),
        st.tuples(st.just("set"), st.sampled_from(rated), st.sampled_from(values)),
    )
    return st.tuples(
        st.one_of(st.none(), st.tuples(*[st.sampled_from(values)] * len(rated))),
        st.lists(st.tuples(st.integers(min_value=0, max_value=40 * 24), step), max_size=8))


def _reads(changes):
    """Reads at clocks from two days before ``T0`` to 80 days after, with
    rescores and the settings ``changes`` among them."""
    return st.lists(st.one_of(
        st.tuples(st.just("read"), st.integers(min_value=-2 * 24, max_value=80 * 24)),
        st.tuples(st.just("mine"), st.integers(min_value=0, max_value=80 * 24)),  # one agent's list first
        st.tuples(st.just("graded"), st.integers(min_value=0, max_value=80 * 24)),  # by grade, due lists first
        st.tuples(st.just("rescore"), st.integers(min_value=0, max_value=80 * 24)),
        st.tuples(st.just("setting"), st.sampled_from(changes)),
    ), min_size=1, max_size=6)


def _logged(industry, histories, data, first_attributes=lambda rated: rated):
    """A book of ``industry`` with the leads of ``histories`` written at
    their clocks; ``(book, ids)``."""
    book = LeadBook.create(":memory:", [industry], now=T0)
    for a in AGENTS:
        book.add_agent(a)
    ids = []
    for i, (rated, steps) in enumerate(histories):
        with book.at(T0):
            ids.append(book.add_lead(industry, name=f"客户{i}", gender="F", phone=f"1390000{i:04d}",
                                     need="两房", agent=AGENTS[i % 2],
                                     attributes=first_attributes(rated) if rated else None).lead.id)
        t = T0
        for hours, (op, a, b) in sorted(steps, key=lambda s: s[0]):
            t = max(t, T0 + dt.timedelta(hours=hours))
            with book.at(t):
                try:  # an entry may be refused (a colleague's lead, a payment before
                    # any order, bargaining without asking the price): nothing is written then
                    if op == "log":
                        book.log(ids[-1], a, agent=b, data=data.get(a, {}),
                                 note="回访" if a == "follow_up" else None)
                    else:
                        book.set(ids[-1], {a: b}, agent=AGENTS[(len(ids) - 1) % 2])
                except LeadcycleError:
                    pass
    return book, ids


def _lists_agree_with_show(book, ids, reads):
    """Each read of ``reads``, in its order, at its clock: every lead's
    grade, score, stage, owner and next follow-up in the lists (all, an
    agent's, by grade, the due list) equal what ``show`` says then."""
    for op, arg in reads:
        if op == "setting":
            book.set_setting(*arg)
            continue
        clock = T0 + dt.timedelta(hours=arg)
        if op == "rescore":  # a simulation's write at that clock: stores what the reads compute
            with book.at(clock):
                book.rescore(batch_size=2)
            continue
        with book.at(clock):
            if op == "mine":  # evaluates only the leads the agent may own, then the rest
                mine = {r["id"]: r for r in book.list(owner=AGENTS[0])}
                assert set(mine) == {i for i in ids if book.record(i).state.owner == AGENTS[0]}, clock
                for lead_id, row in mine.items():
                    shown = book.record(lead_id).state
                    assert (row["grade"], row["score"], row["stage"], row["next_follow_up"]) == (
                        shown.grade, shown.score, shown.stage,
                        shown.next_follow_up.isoformat() if shown.next_follow_up else None), (lead_id, clock)
            if op in ("graded", "mine"):  # a list by grade, a due list: the leads they leave alone are not theirs
                states = {i: book.record(i).state for i in ids}
                for grade in ("A", "B", "C", "D"):
                    assert {r["id"] for r in book.list(grade=grade, owner=AGENTS[0])} == {
                        i for i, st in states.items() if st.grade == grade and st.owner == AGENTS[0]}, (grade, clock)
                    assert {r["id"] for r in book.list(grade=grade)} == {
                        i for i, st in states.items() if st.grade == grade}, (grade, clock)
                assert {r["id"] for r in book.due(AGENTS[1])} == {
                    i for i, st in states.items() if st.owner == AGENTS[1] and st.next_follow_up
                    and st.next_follow_up <= clock.date()}, clock
            listed = {r["id"]: r for r in book.list()}
            for lead_id in ids:
                if clock < T0:  # before the registration: not there yet, in the list or in show
                    assert lead_id not in listed
                    with pytest.raises(NotFound, match="after the clock"):
                        book.record(lead_id)
                    continue
                shown = book.record(lead_id).state
                row = listed[lead_id]
                assert (row["grade"], row["score"], row["stage"], row["owner"],
                        row["next_follow_up"]) == (
                    shown.grade, shown.score, shown.stage, shown.owner,
                    shown.next_follow_up.isoformat() if shown.next_follow_up else None), (lead_id, clock)
    book.close()


RATED = ("motivation", "region", "product", "funds", "price", "expected_deal")
LOG_DATA = {"deposit": {"amount": 1000}, "follow_up": {"reaction": "positive"}}
REALESTATE_SETTINGS = (
    ("ownership.protection_days", 15), ("ownership.protection_days", 30),
    ("realestate.grading", "points"), ("realestate.grading", "table"),
    ("realestate.contact_b_days", 20), ("realestate.decay_cold_points", -50),
    ("realestate.cadence_a_days", 1), ("realestate.cadence_c_days", 10))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_history(("visit", "call", "follow_up", "deep_question", "deposit"), RATED, "ABCD", LOG_DATA),
                min_size=1, max_size=4),
       _reads(REALESTATE_SETTINGS))
def test_lists_and_show_agree_at_any_clock_whatever_came_before(histories, reads):
    book, ids = _logged("realestate", histories, LOG_DATA, lambda rated: dict(zip(RATED, rated)))
    _lists_agree_with_show(book, ids, reads)


HAVES = ("has_need", "has_budget", "has_intent", "has_pain", "decision_maker", "no_obstacle")
SOFTWARE_DATA = {"follow_up": {"reaction": "positive"}, "answer": {"answer": "positive", "by_decision_maker": True},
                 "quote": {"amount": 20}, "next_contact": {"on": "2026-03-20"}, "payment": {"amount": 10}}
SOFTWARE_SETTINGS = (
    ("software_sales.grade_a_haves", 4), ("software_sales.grade_b_haves", 3), ("software_sales.grade_c_haves", 1),
    ("software_sales.protection_days", 30), ("ownership.protection_days", 15),
    ("software_sales.cadence_a_days", 2), ("software_sales.cadence_c_days", 14),
    ("software_sales.first_call_days", 1), ("software_sales.min_follow_ups", 2),
    ("software_sales.no_decision_maker_cap", "B"), ("software_sales.intent_from_signals", 2),
    ("software_sales.points_asked_price", 40), ("software_sales.ladder", "ten_level"),
    ("software_sales.ladder", "saas"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_history(("follow_up", "call", "visit", "asked_price", "trial_request", "next_contact", "answer",
                          "meeting_request", "demo", "quote", "verbal_commitment", "order", "payment"),
                         HAVES, ("yes", "no", "unknown"), SOFTWARE_DATA), min_size=1, max_size=4),
       _reads(SOFTWARE_SETTINGS))
def test_software_sales_lists_and_show_agree_at_any_clock(histories, reads):
    """The property above, for the five haves, the signals, the caps and
    the three ladders of software sales."""
    book, ids = _logged("software_sales", histories, SOFTWARE_DATA, lambda rated: dict(zip(HAVES, rated)))
    _lists_agree_with_show(book, ids, reads)


INTENT = ("has_site", "funds_ready", "asked_price", "bargaining", "commercial_terms", "long_term_intent")
MACHINERY_DATA = {"visit": {"purpose": "看工地"}, "call": {"purpose": "报价"},
                  "follow_up": {"reaction": "positive", "purpose": "回访"},
                  "order": {"amount": 3_000_000, "profit": 200_000, "units": 1, "model": "JS220"},
                  "payment": {"amount": 1_000_000, "on_time": False, "days_late": 10},
                  "problem": {"type": "late_payment"}, "delivery": {"units": 1}}
MACHINERY_SETTINGS = (
    ("machinery.a_site_days", 10), ("machinery.b_site_days", 45), ("machinery.cadence_a_days", 1),
    ("machinery.cadence_b_days", 5), ("machinery.cadence_d_days", 20), ("machinery.protection_days", 20),
    ("machinery.level_a_amount", 6_000_000), ("machinery.level_b_amount", 1_000_000),
    ("machinery.level_window_days", 30), ("machinery.problem_downgrade_days", 1),
    ("machinery.clean_review_days", 10), ("ownership.protection_days", 15))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_history(("visit", "call", "follow_up", "order", "payment", "problem", "delivery"),
                         INTENT, (True, False), MACHINERY_DATA), min_size=1, max_size=4),
       st.sampled_from((None, "2026-03-10", "2026-04-01", "2026-04-20", "2026-07-01")),
       st.sampled_from(("accepts", "relatively", "rejects")), st.booleans(),
       _reads(MACHINERY_SETTINGS))
def test_machinery_lists_and_show_agree_at_any_clock(histories, deadline, brand_view, decided, reads):
    """The property above, for machinery's purchase urgency (the site
    deadline against the clock: A within 30 days, B within 90), its
    contact cadence and account levels."""
    def registered(rated):
        intent = dict(zip(INTENT, rated), brand_view=brand_view)
        intent["asked_price"] |= intent["bargaining"]  # a client who bargains has asked the price
        if decided:  # the purchase date and the model B asks for
            intent.update(purchase_date="2026-05-01", model="JS220")
        return {**intent, **({"site_deadline": deadline} if deadline else {})}

    book, ids = _logged("machinery", histories, MACHINERY_DATA, registered)
    _lists_agree_with_show(book, ids, reads)


def test_a_grade_or_stage_no_industry_has_is_one_line(run):
    software(run)
    for args, says in ((("--grade", "Z"), "grade 'Z' is not on the scale"),
                       (("--stage", "bogus"), "stage 'bogus' is not a stage"),
                       (("--industry", "software_sales", "--stage", "client_accumulation"), "not a stage of software_sales")):
        result = run("list", *args)
        assert result.exit_code == 1 and says in result.output, result.output
    assert grades(run, "2026-03-05", "--grade", "b") == [(1, "B")]  # the scale's own spelling
    assert grades(run, "2026-03-05", "--stage", "target_group") == [(1, "B")]


def test_a_rehearsal_does_not_leave_the_run_reading_stale_rows():
    """``review --dry-run`` evaluates inside a transaction it rolls back
    (the temp overlay with it): a later read of the same run evaluates
    again, and answers as a fresh run does."""
    book = LeadBook.create(":memory:", ["realestate"], now=dt.datetime(2026, 3, 2, 9))
    book.add_agent("李娜")
    for i in range(3):
        book.add_lead("realestate", name=f"客户{i}", gender="F", phone=f"1390000{i:04d}", need="两房",
                      agent="李娜")
    later = dt.datetime(2026, 5, 2, 9)  # every protection has lapsed
    with book.at(later):
        book.review(apply=False)
        assert [r["owner"] for r in book.list()] == [None, None, None]
        assert [r["id"] for r in book.list(pool=True)] == [1, 2, 3]


@pytest.mark.parametrize("write", ["log", "rescore"])
def test_a_write_between_two_reads_at_one_clock_does_not_leave_the_second_stale(write):
    """A run reads at a clock, writes (which stores rows for the write's
    own clock), then reads at the first clock again: the second read
    answers as a fresh run does, not with the rows the write stored."""
    t0 = dt.datetime(2026, 3, 2, 10)
    book = LeadBook.create(":memory:", ["realestate"], now=t0)
    book.add_agent("李娜")
    ids = [book.add_lead("realestate", name=f"客户{i}", gender="F", phone=f"1390000{i:04d}", need="两房",
                         agent="李娜").lead.id for i in range(3)]
    later = t0 + dt.timedelta(days=40)  # every lead's return has gone cold, every protection lapsed

    def listed():
        with book.at(later):
            rows = {r["id"]: (r["score"], r["owner"], r["next_follow_up"]) for r in book.list()}
            shown = {i: book.record(i).state for i in ids}
        assert rows == {i: (s.score, s.owner, s.next_follow_up.isoformat()) for i, s in shown.items()}
        return rows

    first = listed()
    with book.at(t0 + dt.timedelta(days=2)):
        if write == "log":
            book.log(ids[0], "visit", agent="李娜")
        else:
            book.rescore()
    second = listed()
    if write == "rescore":
        assert second == first


def test_rescore_reads_the_clock_once(tmp_path, monkeypatch):
    """On an office database the clock moves on while rescore runs: the
    whole run is computed for one moment (the compiled statement's rows
    are not done again by the engine because a second has passed)."""
    path = str(tmp_path / "office.db")
    book = LeadBook.create(path, ["realestate"], now=dt.datetime(2026, 3, 2, 9))
    book.add_agent("李娜")
    for i in range(4):
        book.add_lead("realestate", name=f"客户{i}", gender="F", phone=f"1390000{i:04d}", need="两房",
                      agent="李娜")
    ticks = iter(dt.datetime(2026, 3, 3, 9) + dt.timedelta(seconds=s) for s in range(10_000))
    monkeypatch.setattr(LeadBook, "now", property(lambda self: next(ticks)))
    seen = []
    book.rescore(batch_size=1, progress=seen.append)
    assert seen == [4]


# ------------------------------------------------------ the decay promise

RATINGS = st.sampled_from(("A", "B", "C", "D", None))
TABLE = ("motivation", "region", "product", "price", "funds", "expected_deal", "contact", "mortgage")
POINTS = ("buying_power", "region_view", "price_view", "product_view", "trust", "decision", "target_unit", "urgency")
ENTRY = st.sampled_from(("visit", "call", "follow_up", "deep_question", "bargaining", "payment_discussion"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(("table", "points", "visits")),
       ratings=st.fixed_dictionaries({name: RATINGS for name in TABLE + POINTS}),
       interaction=st.sampled_from(("frequent", "some", "none", None)),
       entries=st.lists(st.tuples(st.integers(0, 30 * 24), ENTRY), max_size=6),
       contact_b=st.sampled_from((7, 15, 40)),
       points=st.lists(st.integers(-40, 20), min_size=4, max_size=4).map(sorted),
       cadence=st.lists(st.integers(1, 20), min_size=3, max_size=3).map(sorted),
       later=st.lists(st.integers(0, 120 * 24), min_size=2, max_size=4))
def test_the_real_estate_grade_only_decays(method, ratings, interaction, entries, contact_b, points, cadence, later):
    """The promise real estate makes (``Scorecard.decays``, ``Cadence.decays``)
    and lists by grade and due lists rely on: with no new entry, a later
    clock never gives a better grade, never grades an ungraded lead better
    than C, and never brings the next follow-up sooner."""
    book = LeadBook.create(":memory:", ["realestate"], now=T0)
    book.add_agent("李娜")
    book.set_setting("realestate.grading", method)
    book.set_setting("realestate.contact_b_days", contact_b)
    # any values in the order the settings keep (config.ORDER): cold ≤ watching ≤ normal ≤ hot,
    # A ≤ B ≤ C days; each step keeps it (all to the floor / ceiling first)
    bands = ("cold", "watching", "normal", "hot")
    for name in bands:
        book.set_setting(f"realestate.decay_{name}_points", -100)
    for name, value in reversed(list(zip(bands, points))):
        book.set_setting(f"realestate.decay_{name}_points", value)
    for grade in "cba":
        book.set_setting(f"realestate.cadence_{grade}_days", 20)
    for grade, days in zip("abc", cadence):
        book.set_setting(f"realestate.cadence_{grade}_days", days)
    attributes = {k: v for k, v in ratings.items() if v is not None}
    if interaction:
        attributes["interaction"] = interaction
    lead = book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房",
                         agent="李娜", attributes=attributes).lead
    last = T0
    for hours, kind in sorted(entries):
        last = T0 + dt.timedelta(hours=hours, minutes=1)
        with book.at(last):
            book.log(lead.id, kind, agent="李娜", data=LOG_DATA.get(kind, {}),
                     note="回访" if kind == "follow_up" else None)
    card = book.context.for_industry("realestate")
    assert card.scorecard.decays == "C" and card.cadence.decays
    scale = card.scorecard.scale
    rank = lambda g: scale.index(g) if g else len(scale)  # noqa: E731
    before = None
    for hours in sorted(later):
        with book.at(last + dt.timedelta(hours=hours)):
            now = book.record(lead.id).state
        if before is not None:
            if before.grade:
                assert rank(now.grade) >= rank(before.grade), (before.grade, now.grade)
            elif now.grade:
                assert rank(now.grade) >= rank(card.scorecard.decays), now.grade
            if now.next_follow_up is not None:
                assert before.next_follow_up is not None and now.next_follow_up >= before.next_follow_up
        before = now


def test_the_pool_reasons_told_by_the_folds_are_the_events_own(demo_copy, monkeypatch):
    """``pool`` and the software follow-ups report say why each lead is in
    the pool: a lapse after the lead's last entry is read from its stored
    fold, every other reason folded from the events — the same words
    either way, at any clock."""
    from leadcycle import ownership

    resolve, folded, in_pool = ownership.resolve, [], 0
    monkeypatch.setattr(ownership, "resolve", lambda events, *a: folded.append(1) or resolve(events, *a))
    for clock in ("2026-09-15T09:00", "2026-10-20T09:00", "2027-01-10T09:00"):
        book = LeadBook.open(demo_copy, dt.datetime.fromisoformat(clock))
        pooled = [r["id"] for r in book.list(pool=True)]
        in_pool += len(pooled)
        told = book.owner_reasons(pooled)
        for lead_id in pooled:
            lead = book.store.get_lead(lead_id)
            events = [e for e in book.store.events_for(lead_id) if e.at <= book.now]
            why = resolve(events, book.context.for_industry(lead.industry).ownership, book.now).reason
            assert (told[lead_id].rule, told[lead_id].text("en"), told[lead_id].text("zh")) == (
                why.rule, why.text("en"), why.text("zh")), (lead_id, clock)
        book.close()
    assert 0 < len(folded) < in_pool  # most lapses told by their folds, the other reasons by the events


def test_grades_a_week_ago_by_sql_equal_the_engines(demo_copy):
    """The weekly review compares each lead's grade now with its grade a
    week ago: in SQL for the leads with no entry since, by the engine for
    the others — the same grades as the engine gives every lead."""
    book = LeadBook.open(demo_copy, dt.datetime(2026, 9, 15, 9))
    ids = [r["id"] for r in book.list()]
    for moment in (dt.datetime(2026, 9, 8, 9), dt.datetime(2026, 9, 12, 18), dt.datetime(2026, 9, 1, 8)):
        expected = {}
        for batch in book.store.iter_lead_batches(ids=ids):
            past = [(lead, [e for e in events if e.at <= moment]) for lead, events in batch]
            for lead, state in engine.project_batch(book.context, past, moment):
                expected[lead.id] = state.grade if lead.created_at <= moment else None
        assert book.grades_at(ids, moment) == expected, moment
    book.close()


def test_a_read_whose_leads_hold_creates_nothing_and_an_overlay_lost_to_a_rollback_starts_empty(fresh_db):
    """A read whose stored rows all hold reads them as they are (no
    temporary overlay made); rows a read laid over for one clock never
    show through after a rollback lost them, at another clock."""
    book = fresh_db
    t0 = book.now
    a, b = (book.add_lead("realestate", name=n, gender="女", phone=p, need="三房", agent="李娜").lead.id
            for n, p in (("王芳", "13900139000"), ("李雷", "13900139001")))
    with book.at(t0 + dt.timedelta(days=3)):
        book.log(b, "call", agent="李娜")  # b's stored row is from day 3, a's from day 0

    def made():
        return book.store.conn.execute("SELECT count(*) FROM temp.sqlite_master").fetchone()[0]

    def owners(at):
        with book.at(at):
            listed = {r["id"]: r["owner"] for r in book.list()}
            assert listed == {i: book.record(i).state.owner for i in (a, b)}, at
            return listed

    assert owners(t0 + dt.timedelta(days=3, hours=1)) == {a: "李娜", b: "李娜"} and made() == 0
    assert book.evaluated == 0
    assert owners(t0 + dt.timedelta(days=60)) == {a: None, b: None} and made() > 0  # laid over for day 60
    with pytest.raises(RuntimeError):
        with book.store.transaction():
            raise RuntimeError("a write that fails: the overlay is lost with it")
    before = book.evaluated
    # day 5: a's stored row no longer holds (it is evaluated again), b's does
    assert owners(t0 + dt.timedelta(days=5)) == {a: "李娜", b: "李娜"}
    assert book.evaluated - before == 1


# ------------------------------------------ a read at an earlier clock

def _departed(run):
    """李娜's two leads, registered on 03-02; she leaves on 03-03 (to the
    pool); a deposit on lead 2 on 03-04 by 王强 after he claims it."""
    run("init", "--industry", "realestate", "--simulation")
    for name in ("李娜", "王强"):
        run("agent", "add", name, now="2026-03-02T09:00")
    run("agent", "add", "陈经理", "--manager", now="2026-03-02T09:00")
    for i in (0, 1):
        out = run("lead", "add", "--industry", "realestate", "--name", f"客户{i}", "--gender", "男",
                  "--phone", f"1380013800{i}", "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00")
        assert out.exit_code == 0, out.output
    assert run("agent", "leave", "李娜", now="2026-03-03T10:00").exit_code == 0
    out = run("reassign", "2", "--to", "王强", "--reason", "redistribute", "--agent", "陈经理", now="2026-03-03T11:00")
    assert out.exit_code == 0, out.output
    out = run("log", "2", "deposit", "--agent", "王强", "--set", "amount=50000", now="2026-03-04T10:00")
    assert out.exit_code == 0, out.output


def test_a_read_at_an_earlier_clock_shows_no_entry_after_it(run):
    _departed(run)
    before = "2026-03-02T12:00"
    shown = json.loads(run("show", "1", "--json", now=before).stdout)
    assert [e["kind"] for e in shown["events"]] == ["register"]
    assert shown["owner"] == "李娜" and shown["later_entries"] == 1
    text = run("--lang", "en", "show", "1", now=before).stdout
    assert "owner changed" not in text and "(entries after the clock 2026-03-02 12:00, not shown: 1)" in text
    after = json.loads(run("show", "1", "--json", now="2026-03-05T09:00").stdout)
    assert [e["kind"] for e in after["events"]] == ["register", "owner"] and after["later_entries"] == 0
    # the chain of owners ends at the clock, and names the owner show names
    chain = json.loads(run("history", "1", "--json", now=before).stdout)
    assert chain["owner"] == shown["owner"] == "李娜"
    assert [h["rule"] for h in chain["history"]] == ["first_contact"]
    assert json.loads(run("history", "1", "--json", now="2026-03-05T09:00").stdout)["owner"] is None
    # a deal after the clock is not there yet
    assert json.loads(run("credit", "2", "--json", now="2026-03-03T12:00").stdout) == []
    deals = json.loads(run("credit", "2", "--json", now="2026-03-05T09:00").stdout)
    assert [s["agent"] for s in deals[0]["shares"]] == ["王强"]


@pytest.mark.parametrize("lang, says", [
    ("en", "to=(pool), why=pool: 李娜 left on 2026-03-03"),
    ("zh", "归属给=（公共池），原因=公共客户池：李娜于2026-03-03离职"),
])
def test_an_owner_change_in_a_history_reads_in_the_readers_language(run, lang, says):
    _departed(run)
    text = run("--lang", lang, "show", "1", now="2026-03-05T09:00").stdout
    assert says in text
    assert "en=" not in text and "zh=" not in text  # never the stored two-language pair


def test_a_read_at_an_earlier_clock_exports_and_reports_what_was_known_then(run, tmp_path):
    run("init", "--industry", "realestate", "--industry", "software_sales", "--industry", "machinery", "--simulation")
    run("agent", "add", "李娜", now="2026-03-02T09:00")
    for i, industry in enumerate(("realestate", "software_sales", "machinery")):
        out = run("lead", "add", "--industry", industry, "--name", f"客户{i}", "--gender", "男", "--phone",
                  f"1380013800{i}", "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00")
        assert out.exit_code == 0, out.output
    later = [("lead", "set", "1", "motivation=A", "--agent", "李娜"),
             ("lead", "set", "3", "site_deadline=2026-03-04", "--agent", "李娜"),
             ("log", "2", "contract", "--agent", "李娜", "--set", "amount=100000")]
    for args in later:  # all on 03-10, after the reads below
        out = run(*args, now="2026-03-10T10:00")
        assert out.exit_code == 0, out.output
    before, after = "2026-03-06T12:00", "2026-03-11T12:00"

    def exported(now):
        path = tmp_path / f"{now[:10]}.json"
        out = run("export", "--format", "json", "-o", str(path), "--force", now=now)
        assert out.exit_code == 0, out.output
        return {r["lead_id"]: r for r in json.loads(path.read_text(encoding="utf-8"))}

    assert exported(before)[1]["motivation"] is None and exported(after)[1]["motivation"] == "A"
    assert exported(before)[1]["motivation"] == json.loads(run("show", "1", "--json", now=before).stdout)[
        "attributes"].get("motivation")

    def site_items(now):
        return [i["lead_id"] for i in json.loads(run("due", "--json", now=now).stdout)
                if i["kind"] == "site_deadline_passed"]

    assert site_items(before) == [] and site_items(after) == [3]  # the deadline was set on 03-10

    def deals(now):
        sources = {r["source"]: r for r in json.loads(run("report", "sources", "--json", now=now).stdout)}
        followups = json.loads(run("report", "followups", "--json", now=now).stdout)["deals"]
        return sum(r["deals"] for r in sources.values()), followups

    assert deals(before) == (0, 0) and deals(after) == (1, 1)
    assert json.loads(run("report", "sources", "--json", now="2026-03-01T12:00").stdout) == []  # no lead yet


@pytest.mark.parametrize("command", [("show", "1"), ("history", "1"), ("credit", "1")])
def test_a_lead_registered_after_the_clock_is_not_there_for_any_read(run, command):
    _departed(run)
    out = run(*command, now="2026-03-01T12:00")
    assert out.exit_code == 1
    assert out.output.strip().splitlines() == [
        "Error: lead #1 was registered at 2026-03-02T10:00:00, after the clock (2026-03-01T12:00:00); "
        "give a later --now"]


def test_the_agents_at_an_earlier_clock_are_those_of_then(run):
    _departed(run)  # 李娜 leaves on 03-03
    run("agent", "add", "赵敏", now="2026-03-04T09:00")
    assert run("agent", "away", "王强", "--reason", "business", now="2026-03-04T09:30").exit_code == 0
    assert run("agent", "back", "王强", now="2026-03-04T12:00").exit_code == 0

    def agents(now):
        return {a["name"]: (a["active"], a["away"]) for a in json.loads(run("agent", "list", "--json", now=now).stdout)}

    assert agents("2026-03-02T12:00") == {"李娜": (True, None), "王强": (True, None), "陈经理": (True, None),
                                          "赵敏": (True, None)}  # agents are not dated: an office's may be
    assert agents("2026-03-03T10:00")["李娜"] == (False, None)  # the moment she left
    assert agents("2026-03-04T10:00") == {"李娜": (False, None), "王强": (True, "business"),
                                          "陈经理": (True, None), "赵敏": (True, None)}
    assert agents("2026-03-04T12:00")["王强"] == (True, None)
    assert "公务外出" in run("--lang", "zh", "agent", "list", now="2026-03-04T10:00").stdout


def test_a_client_is_found_by_the_name_and_phone_they_had_at_the_clock(run):
    _departed(run)  # 客户0 on 13800138000, registered on 03-02
    out = run("lead", "set", "1", "name=王大明", "phone=13900139000", "--agent", "陈经理", now="2026-03-05T10:00")
    assert out.exit_code == 0, out.output

    def found(now, text):
        by_find = [(r["id"], r["name"]) for r in json.loads(run("find", text, "--json", now=now).stdout)]
        by_list = [(r["id"], r["name"]) for r in json.loads(run("list", "--q", text, "--json", now=now).stdout)]
        assert by_find == by_list
        return by_find

    before, after = "2026-03-04T12:00", "2026-03-05T12:00"
    assert found(before, "客户0") == found(before, "38000") == [(1, "客户0")]
    assert found(before, "kh") == [(1, "客户0"), (2, "客户1")]
    for text in ("王大明", "9000", "wdm"):
        assert found(before, text) == []
        assert found(after, text) == [(1, "王大明")]
    assert found(after, "客户0") == found(after, "38000") == []
    assert found(after, "kh") == [(2, "客户1")]


def test_the_due_list_names_a_client_as_they_were_at_the_clock(run):
    run("init", "--industry", "realestate", "--simulation")
    run("agent", "add", "李娜", now="2026-03-02T09:00")
    out = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone", "13800138000",
              "--need", "三房", "--agent", "李娜", now="2026-03-06T10:00")
    assert out.exit_code == 0, out.output
    assert run("lead", "set", "1", "name=张伟明", "--agent", "李娜", now="2026-03-10T10:00").exit_code == 0

    def due(now):
        return [(i["lead_id"], i["name"]) for i in json.loads(run("due", "--json", now=now).stdout)]

    assert due("2026-03-09T12:00") == [(1, "张伟")]  # the first call-back, before the rename
    assert due("2026-03-10T12:00") == [(1, "张伟明")]


def test_an_agent_who_left_after_the_clock_is_at_work_in_a_read_before_it(run):
    _departed(run)  # 李娜 leaves on 03-03; 王强's deposit on lead 2 on 03-04
    assert run("agent", "leave", "王强", now="2026-03-06T10:00").exit_code == 0
    for args in (("due", "--agent", "李娜", "--json"), ("revisit", "list", "--agent", "李娜", "--json"),
                 ("penalties", "--agent", "李娜", "--json")):
        assert run(*args, now="2026-03-02T12:00").exit_code == 0, args
        refused = run(*args, now="2026-03-04T12:00")
        assert refused.exit_code == 1 and "李娜' has left" in refused.output

    def departed(now):
        (deal,) = json.loads(run("credit", "2", "--json", now=now).stdout)
        return [(a["agent"], a["departed"], a["payable_percent"]) for a in deal["commission"]["per_agent"]]

    at_work = departed("2026-03-05T12:00")  # no contract yet, and 王强 still at work
    assert at_work[0][:2] == ("王强", False) and at_work[0][2] > 0
    assert departed("2026-03-07T12:00") == [("王强", True, 0)]


def test_the_reception_queue_at_an_earlier_clock_is_the_one_of_then(run):
    run("init", "--industry", "realestate", "--simulation")
    for name in ("李娜", "王强", "赵敏"):
        run("agent", "add", name, now="2026-03-01T09:00")
    run("agent", "add", "陈经理", "--manager", now="2026-03-01T09:00")
    writes = [("2026-03-02T10:00", ("receive",)),
              ("2026-03-02T11:00", ("agent", "away", "王强", "--reason", "business")),
              ("2026-03-02T12:00", ("receive",)),  # skips 王强: a make-up turn owed
              ("2026-03-03T09:00", ("queue-order", "赵敏", "李娜", "王强", "--agent", "陈经理")),
              ("2026-03-03T10:00", ("agent", "back", "王强"))]
    for now, args in writes:
        assert run(*args, now=now).exit_code == 0

    def queue(now):
        q = json.loads(run("queue", "--json", now=now).stdout)
        return q["next"], q["next_kind"], [(r["agent"], r["status"], r["makeup_turns"]) for r in q["rotation"]]

    assert queue("2026-03-02T09:00") == ("李娜", "turn", [("李娜", "available", 0), ("王强", "available", 0),
                                                          ("赵敏", "available", 0)])
    assert queue("2026-03-02T10:30") == ("王强", "turn", [("王强", "available", 0), ("赵敏", "available", 0),
                                                          ("李娜", "available", 0)])
    assert queue("2026-03-02T12:30") == ("李娜", "turn", [("李娜", "available", 0), ("王强", "business", 1),
                                                          ("赵敏", "available", 0)])
    assert queue("2026-03-03T11:00") == ("王强", "makeup", [("李娜", "available", 0), ("王强", "available", 1),
                                                            ("赵敏", "available", 0)])


@pytest.mark.parametrize("industry, need, later", [
    ("machinery", "挖掘机", ("has_site=yes", "asked_price=yes", "site_deadline=2026-03-20")),
    ("realestate", "三房", ("motivation=C", "funds=A")),
])
def test_a_rescore_into_the_past_leaves_every_later_read_as_it_was(run, db_path, tmp_path, industry, need, later):
    # rescore --now before a lead's last entries stored the lead's row as
    # it was then: show (from the log) kept the later attributes, while due
    # and export (from the row) lost them at every clock after
    run("init", "--industry", industry, "--simulation", now="2026-03-01T09:00")
    run("agent", "add", "李娜", now="2026-03-01T09:00")
    assert run("lead", "add", "--industry", industry, "--name", "袁娜", "--gender", "F", "--phone", "13800138000",
               "--need", need, "--agent", "李娜", now="2026-03-02T10:00").exit_code == 0
    assert run("lead", "set", "1", *later, "--agent", "李娜", now="2026-03-05T10:00").exit_code == 0
    rescored = str(tmp_path / "rescored.db")
    shutil.copy(db_path, rescored)
    assert run("--db", rescored, "rescore", now="2026-03-03T12:00").exit_code == 0
    for clock in ("2026-03-04T09:00", "2026-03-10T09:00", "2026-03-25T09:00"):
        for args in (("due",), ("export", "--format", "json"), ("show", "1", "--json"), ("list", "--json")):
            assert run("--db", rescored, *args, now=clock).output == run(*args, now=clock).output, (clock, args)


@pytest.mark.parametrize("now, graded", [("2026-03-17T09:00", False), ("2026-03-18T09:00", True),
                                          ("2026-04-01T09:00", True)])
def test_a_lead_the_clock_grades_is_in_the_agent_s_list_by_that_grade(run, now, graded):
    """Rated A on every dimension but contact, a lead is ungraded until its
    contact window closes (day 16: contact C, so grade C). An agent's list
    by grade filters in SQL over rows stored ungraded; a NULL grade must not
    drop the row from the leads to evaluate (``NOT NULL`` is not true)."""
    import json as _json

    assert run("init", "--industry", "realestate", "--simulation", now="2026-03-01T08:00").exit_code == 0
    run("agent", "add", "李娜", now="2026-03-01T08:01")
    assert run("settings", "set", "realestate.contact_auxiliary", "no", now="2026-03-01T08:02").exit_code == 0
    run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone", "13800138001",
        "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00")
    r = run("lead", "set", "1", *(f"{k}=A" for k in ("motivation", "region", "product", "price", "funds",
                                                    "expected_deal")), "--agent", "李娜", now="2026-03-02T10:05")
    assert r.exit_code == 0, r.output
    shown = _json.loads(run("show", "1", "--json", now=now).output)
    assert (shown["grade"] == "C") is graded and shown["owner"] == "李娜"
    for args in (("--grade", "C", "--owner", "李娜"), ("--grade", "C"), ("--owner", "李娜")):
        ids = [x["id"] for x in _json.loads(run("list", *args, "--json", now=now).output)]
        assert ids == ([1] if graded or args[0] == "--owner" else []), args
