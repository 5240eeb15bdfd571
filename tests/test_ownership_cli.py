"""Ownership from the command line: queue, commands, bad input, concurrency
with real processes, and the one-owner / replay property."""

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NOW = "2026-03-05T10:00"


@pytest.fixture
def office(realestate_office):
    return realestate_office


def add(run, phone="13800138000", name="张伟", *extra, now=NOW):
    return run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "M", "--phone", phone,
               "--need", "三房", *extra, now=now)


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_queue_rotation_skips_and_make_up_turns(office):
    run = office
    take = lambda *a: js(run("receive", *a, "--json", now=NOW))["agent"]  # noqa: E731
    assert [take(), take()] == ["李娜", "王强"]
    run("agent", "away", "赵敏", "--reason", "business", now=NOW)
    assert take() == "李娜"  # 赵敏 skipped, owed a make-up turn
    run("agent", "away", "王强", "--reason", "personal", now=NOW)
    assert take() == "李娜"  # 王强 skipped (personal: nothing owed), 赵敏 again (owed another)
    q = js(run("queue", "--json", now=NOW))
    assert {r["agent"]: r["makeup_turns"] for r in q["rotation"]} == {"王强": 0, "赵敏": 2, "李娜": 0}
    assert q["next"] == "李娜"
    run("agent", "back", "赵敏", now=NOW)
    run("agent", "back", "王强", now=NOW)
    assert [take(), take()] == ["赵敏", "赵敏"]  # make-up turns first
    assert take() == "王强"  # then the rotation goes on after 李娜
    # non-buyers and appointments consume no turn
    r = js(run("receive", "--non-buyer", "--json", now=NOW))
    assert r["agent"] == "王强" and r["consumes_turn"] is False
    assert js(run("receive", "--appointment", "李娜", "--json", now=NOW))["consumes_turn"] is False
    assert take() == "赵敏"


def test_the_rotation_goes_on_after_an_agent_who_took_a_turn_and_left(office):
    """李娜, 王强, 赵敏 in turn: 王强 takes the walk-in and leaves; the next
    one is 赵敏, whose turn it was (DOMAIN §3.10's fixed rotation), not 李娜
    again from the top."""
    run = office
    take = lambda now: js(run("receive", "--json", now=now))["agent"]  # noqa: E731
    assert [take("2026-03-05T09:10"), take("2026-03-05T09:20")] == ["李娜", "王强"]
    assert run("agent", "leave", "王强", now="2026-03-05T10:00").exit_code == 0
    assert js(run("queue", "--json", now="2026-03-05T10:05"))["next"] == "赵敏"
    assert [take("2026-03-05T10:05"), take("2026-03-05T10:10")] == ["赵敏", "李娜"]
    # read back at a clock before the departure, the rotation is the one of then
    assert js(run("queue", "--json", now="2026-03-05T09:30"))["next"] == "赵敏"


def test_lunch_duty_receives_without_a_turn(office):
    run = office
    assert run("settings", "set", "ownership.lunch_duty_agent", "赵敏").exit_code == 0
    # queue names whom receive gives the walk-in to, on both sides of the break
    for now, agent, kind in (("2026-03-05T11:59", "李娜", "turn"), ("2026-03-05T12:00", "赵敏", "lunch_duty"),
                             ("2026-03-05T13:29", "赵敏", "lunch_duty")):
        q = js(run("queue", "--json", now=now))
        assert (q["next"], q["next_kind"]) == (agent, kind), (now, q)
        assert [r["agent"] for r in q["rotation"] if r["next"]] == [agent]
    assert js(run("queue", "--json", now="2026-03-05T12:30"))["next_turn"] == "李娜"  # after the break
    r = js(run("receive", "--json", now="2026-03-05T12:30"))
    assert (r["agent"], r["kind"], r["consumes_turn"]) == ("赵敏", "lunch_duty", False)
    assert js(run("queue", "--json", now="2026-03-05T13:30"))["next"] == "李娜"
    assert js(run("receive", "--json", now="2026-03-05T13:30"))["agent"] == "李娜"


def test_pool_claim_history_and_show(office):
    run = office
    run("settings", "set", "ownership.pool_claims", "open")
    add(run, "13800138000", "张伟", "--agent", "李娜")
    later = "2026-04-05T09:00"  # day 31
    pool = js(run("pool", "--json", now=later))
    assert [p["lead_id"] for p in pool] == [1] and pool[0]["rule"] == "lapsed"
    assert js(run("claim", "1", "--agent", "王强", "--json", now=later))["owner"] == "王强"
    out = run("claim", "1", "--agent", "赵敏", now=later)
    assert out.exit_code == 1 and "owned by 王强" in out.output
    h = js(run("history", "1", "--json", now=later))
    assert [x["rule"] for x in h["history"]] == ["first_contact", "lapsed", "claimed"]
    assert js(run("show", "1", "--json", now=later))["owner"] == "王强"


def test_bad_input_is_one_line_and_writes_nothing(office):
    run = office
    add(run, "13800138000", "张伟", "--agent", "李娜")
    run("agent", "leave", "赵敏", now=NOW)
    cases = [
        (add(run, "13900139000", "刘洋", "--agent", "无名"), "unknown agent"),
        (add(run, "13900139000", "刘洋", "--agent", "赵敏"), "has left"),
        (add(run, "13900139000", "刘洋", "--agent", "王强", "--referred-by", "42", "--referral-proof", "named"),
         "no lead #42"),
        (run("arbitrate", "1", "--to", "王强", "--reason", "x", "--agent", "李娜", now=NOW), "not a manager"),
        (run("reassign", "1", "--to", "王强", "--reason", "complaint", "--agent", "王强", now=NOW), "not a manager"),
        (run("recognize", "1", "--agent", "李娜", now=NOW), "nothing to recognise"),
        (run("claim", "1", "--agent", "王强", now=NOW), "owned by 李娜"),
    ]
    for result, message in cases:
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    assert len(js(run("list", "--json", now=NOW))) == 1


def test_recognize_and_credit_from_the_cli(office):
    run = office
    add(run, "13800138000", "张伟", "--agent", "李娜")
    run("log", "1", "visit", "--agent", "王强", now="2026-03-12T10:00")
    bad = run("recognize", "1", "--agent", "李娜", now="2026-03-12T10:16")
    assert bad.exit_code == 1 and "15-minute window" in bad.output
    assert js(run("recognize", "1", "--agent", "李娜", "--json", now="2026-03-12T10:15"))["owner"] == "李娜"
    run("log", "1", "contract", "--agent", "李娜", now="2026-03-13T10:00")
    deals = js(run("credit", "1", "--json", now="2026-03-13T10:00"))
    assert deals[0]["shares"] == [{"agent": "李娜", "share": "1", "share_float": 1.0, "role": "owner"}]
    assert deals[0]["commission"]["payable_percent"] == 50
    assert "commission payable: 50%" in run("credit", "1", now="2026-03-13T10:00").output


def test_relation_and_leave_from_the_cli(office):
    run = office
    assert run("agent", "relation", "add", "王强", "--phone", "13900139000", "--relation", "friend",
               now=NOW).exit_code == 0
    assert js(add(run, "13900139000", "刘洋", "--agent", "李娜", "--json"))["owner"] == "王强"
    out = js(run("agent", "leave", "王强", "--json", now="2026-03-06T10:00"))
    assert out["leads"] == [{"lead_id": 1, "to": None, "rule": "departed_new_client"}]


# ------------------------------------------------------------ concurrency

def _cli(args):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-c", "from leadcycle.cli import main; main()", *args], capture_output=True, text=True,
                          env=env, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def test_same_walk_in_registered_by_several_processes(office, db_path):
    agents = ["李娜", "王强", "赵敏", "李娜", "王强", "赵敏"]
    jobs = [["--db", db_path, "--now", NOW, "lead", "add", "--industry", "realestate", "--name", "张伟",
             "--gender", "M", "--phone", "13800138000", "--need", "三房", "--agent", a] for a in agents]
    with ProcessPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(_cli, jobs))
    ok = [out for code, out in results if code == 0]
    refused = [out for code, out in results if code != 0]
    assert len(ok) == 1, results
    assert all("already lead #1" in out and "owner:" in out for out in refused), refused
    leads = js(office("list", "--json", now=NOW))
    assert len(leads) == 1 and leads[0]["owner"] in ("李娜", "王强", "赵敏")


def test_two_agents_claim_one_pool_lead(office, db_path):
    office("settings", "set", "ownership.pool_claims", "open")
    add(office, "13800138000", "张伟", "--agent", "李娜")
    later = "2026-04-05T09:00"
    jobs = [["--db", db_path, "--now", later, "claim", "1", "--agent", a] for a in ("王强", "赵敏", "王强", "赵敏")]
    with ProcessPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(_cli, jobs))
    assert sum(code == 0 for code, _ in results) == 1, results
    assert all("owned by" in out for code, out in results if code != 0)
    h = js(office("history", "1", "--json", now=later))
    assert [x["rule"] for x in h["history"]].count("claimed") == 1


# ---------------------------------------------------------------- property

ACTIONS = st.lists(st.tuples(
    st.integers(0, 40),  # days later
    st.sampled_from(["visit", "follow_up", "claim", "recognize", "reassign", "leave_none", "contract",
                     "deposit", "assist", "void"]),
    st.sampled_from(["李娜", "王强", "赵敏"]),
), max_size=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, channel=st.sampled_from(["visit", "call"]))
def test_one_owner_and_replay_gives_the_same_owner(actions, channel):
    from leadcycle import LeadBook, LeadcycleError
    from leadcycle.ownership import fold_of, resolve

    book = LeadBook.create(":memory:", ["realestate"], now=dt.datetime(2026, 3, 5, 10, 0))
    try:
        for name in ("李娜", "王强", "赵敏"):
            book.add_agent(name)
        book.add_agent("陈经理", manager=True)
        lead = book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房",
                             agent="李娜", channel=channel).lead
        clock = book.now
        for days, what, agent in actions:
            clock = clock + dt.timedelta(days=days, minutes=1)
            with book.at(clock):
                try:
                    if what in ("visit", "assist"):
                        book.log(lead.id, what, agent=agent)
                    elif what == "follow_up":
                        book.log(lead.id, what, agent=agent, data={"reaction": "neutral"}, note="回访")
                    elif what == "void":  # a manager corrects the latest entry that can be voided
                        from leadcycle.corrections import effective_events

                        last = [e for e in effective_events(book.store.events_for(lead.id))
                                if e.kind in ("visit", "follow_up", "assist", "deposit", "contract")]
                        if last:
                            book.void(lead.id, last[-1].id, reason="录入错误", agent="陈经理")
                    elif what == "deposit":
                        book.log(lead.id, "deposit", agent=agent, data={"amount": 1000})
                    elif what == "contract":
                        book.log(lead.id, "contract", agent=agent)
                    elif what == "claim":
                        book.claim(lead.id, agent)
                    elif what == "recognize":
                        book.recognize(lead.id, agent)
                    elif what == "reassign":
                        book.reassign(lead.id, agent, reason="complaint", manager="陈经理")
                    elif what == "leave_none":
                        book.leave_agent(agent)
                except LeadcycleError:
                    pass
                state = book.record(lead.id).state
                stored = book.store.get_state(lead.id)
                events = book.store.events_for(lead.id)
                policy = book.context.for_industry("realestate").ownership
                replay = resolve(events, policy, clock)
                assert state.owner == replay.owner
                # the fold an import stores, without the reasons, is resolve's
                assert fold_of(events, policy) == replay.fold
                owners = [r for r in state.reasons if r.rule.startswith("owner:")]
                assert len(owners) == 1  # exactly one owner (or the pool), with one reason
                assert state.owner is None or isinstance(state.owner, str)
                assert stored.owner == resolve(events, policy, stored.computed_at).owner
                for d in book.credit(lead.id):
                    assert sum(s.share for s in d.shares) in (0, 1)
    finally:
        book.close()


@pytest.mark.parametrize("fmt", ["plain", "github", "grid"])
def test_history_in_a_chosen_format_is_the_same_table(office, fmt):
    """``history --fmt NAME`` draws the chain of owners under its headers
    (it took the rows for the headers), then the same lines as the table."""
    run = office
    add(run, "13800138000", "张伟", "--agent", "李娜")
    run("log", "1", "visit", "--agent", "王强", now="2026-04-20T10:00")  # lapsed: a new client's
    table = run("history", "1", now="2026-04-20T11:00").output
    drawn = run("history", "1", "--fmt", fmt, now="2026-04-20T11:00").output
    assert "('" not in drawn and "from" in drawn.splitlines()[0 if fmt != "grid" else 1]
    for rule in ("first_contact", "lapsed", "new_client", "protection runs until 2026-05-20"):
        assert rule in table and rule in drawn, rule
    zh = run("--lang", "zh", "history", "1", "--fmt", fmt, now="2026-04-20T11:00").output
    assert "归属" in zh and "('" not in zh


def test_credit_says_what_each_agent_is_paid_now(office):
    """A departed agent's share waits until the contract and full price
    (004 提成发放): the table and the CSV say 0 % for them, as the JSON's
    per-agent commission does, not the deal's 50 %."""
    run = office
    add(run, "13800138000", "张伟", "--agent", "李娜")
    run("log", "1", "deposit", "--agent", "李娜", now="2026-03-06T10:00")
    assert run("agent", "leave", "李娜", "--to", "赵敏", now="2026-03-16T10:00").exit_code == 0
    run("log", "1", "contract", "--agent", "赵敏", now="2026-03-17T10:00")
    (deal,) = js(run("credit", "1", "--json", now="2026-03-17T10:01"))
    assert [(p["agent"], p["payable_percent"], p["departed"]) for p in deal["commission"]["per_agent"]] == [
        ("李娜", 0, True)]
    rows = list(csv.DictReader(io.StringIO(run("credit", "1", "--csv", now="2026-03-17T10:01").output)))
    assert [(r["agent"], r["payable_percent"]) for r in rows] == [("李娜", "0")]
    line = next(ln for ln in run("credit", "1", now="2026-03-17T10:01").output.splitlines() if ln.startswith("李娜"))
    assert "0% (departed)" in line


def test_agents_added_at_one_moment_are_queued_in_the_order_added(run):
    """A supervisor adds the rotation in its order (排号) in one go: agents
    with the same moment keep the order they were added in, not their
    names' (赵 sorts after 王 and 李)."""
    assert run("init", "--industry", "realestate", "--simulation", now=NOW).exit_code == 0
    for name in ("赵敏", "王强", "李娜"):
        assert run("agent", "add", name, now=NOW).exit_code == 0
    take = lambda: js(run("receive", "--json", now=NOW))["agent"]  # noqa: E731
    assert [take(), take(), take()] == ["赵敏", "王强", "李娜"]
    assert [a["name"] for a in js(run("agent", "list", "--json"))] == ["赵敏", "王强", "李娜"]
