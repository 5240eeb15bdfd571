"""Software sales as a tester met it (session 17): a refusal by the
decision maker stands against others' answers, a contract ends the
follow-ups on every ladder, a lost account is warned of nothing and can
be re-opened, and A08's minimum revenue needs a known revenue."""

import json

import pytest

IND = "software_sales"
T = "2026-03-01T10:00"


@pytest.fixture
def lc(run):
    assert run("init", "--simulation", "--industry", IND).exit_code == 0
    run("agent", "add", "李娜")

    def _lc(now, *args):
        result = run(*args, now=now)
        return result

    return _lc


def add(lc, now, *sets, phone="13800138000"):
    r = lc(now, "lead", "add", "--industry", IND, "--name", "张伟", "--gender", "男", "--phone", phone,
           "--need", "ERP", "--agent", "李娜", *sum((("--set", s) for s in sets), ()))
    assert r.exit_code == 0, r.output


def shown(lc, now, lead="1"):
    r = lc(now, "show", lead, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def listed(lc, now):
    r = lc(now, "list", "--json")
    assert r.exit_code == 0, r.output
    return {row["id"]: row for row in json.loads(r.output)}


def answer(lc, now, *sets):
    r = lc(now, "log", "1", "answer", *sum((("--set", s) for s in sets), ()), "--agent", "李娜")
    assert r.exit_code == 0, r.output


DM_REFUSAL = ("answer=refused", "by_decision_maker=yes", "informed=yes", "considered=yes", "reason=无预算")


@pytest.mark.parametrize("later", [("answer=refused", "by_decision_maker=no"),
                                   ("answer=positive", "by_decision_maker=no"),
                                   ("answer=neutral", "by_decision_maker=yes", "informed=no")])
def test_an_answer_that_does_not_qualify_leaves_the_decision_maker_s_refusal(lc, later):
    assert lc(T, "settings", "set", "software_sales.ladder", "ten_level").exit_code == 0
    add(lc, T)
    answer(lc, "2026-03-02T10:00", *DM_REFUSAL)
    answer(lc, "2026-03-03T10:00", *later)
    for now in ("2026-03-03T10:00", "2026-04-03T10:00"):
        state = shown(lc, now)
        assert state["stage"] == "A31" and state["next_follow_up"] is None, (later, state["stage"])
        assert listed(lc, now)[1]["stage"] == "A31"
    # the decision maker's own considered word replaces it
    answer(lc, "2026-03-04T10:00", "answer=positive", "by_decision_maker=yes", "informed=yes", "considered=yes")
    assert shown(lc, "2026-03-04T10:00")["stage"] != "A31"


def test_a_contract_ends_the_follow_ups_on_the_project_ladder(lc):
    add(lc, T, "product_fit=yes", "has_need=yes", "decision_maker=yes")
    before = shown(lc, "2026-03-09T10:00")
    assert before["next_follow_up"] is not None  # a lead being worked is followed up
    assert "keep going to at least 4" in lc("2026-03-09T10:00", "show", "1").output
    assert lc("2026-03-10T10:00", "log", "1", "contract", "--set", "amount=100000", "--agent", "李娜").exit_code == 0
    for now in ("2026-03-10T12:00", "2026-04-20T12:00"):
        state = shown(lc, now)
        assert state["next_follow_up"] is None, state["next_follow_up"]
        assert listed(lc, now)[1]["next_follow_up"] is None
        items = json.loads(lc(now, "due", "--json").output)
        assert [i for i in items if i["lead_id"] == 1 and i["kind"] in ("follow_up", "first_call_back")] == []
        text = lc(now, "show", "1").output
        assert "follow-ups: 0 before the deal on 2026-03-10" in text and "keep going" not in text
        # the cadence's stop says why, in the reader's language
        assert "contract signed: no follow-up planned (the deal is won)" in text
        assert "已签约：无需跟进（已成交）" in lc(now, "--lang", "zh", "show", "1").output


def test_a_lost_account_is_not_warned_and_can_be_re_opened(lc):
    add(lc, T, "company=甲", "sector=telecom", "lost_reason=选了别家")
    assert lc("2026-03-01T11:00", "advance", "1", "lost", "--agent", "李娜").exit_code == 0
    items = json.loads(lc("2026-05-25T09:00", "due", "--json").output)
    assert [i["kind"] for i in items if i["lead_id"] == 1 and i["kind"] == "lapse_warning"] == []
    # the same account not lost is warned, at the same clock
    add(lc, T, phone="13900139000")
    items = json.loads(lc("2026-05-25T09:00", "due", "--json").output)
    assert [i["lead_id"] for i in items if i["kind"] == "lapse_warning"] == [2]
    refused = lc("2026-05-26T09:00", "advance", "1", "lost", "--agent", "李娜")
    assert refused.exit_code == 1 and "re-open it to a stage of its ladder" in refused.output
    # re-opened (the client came back): to a stage whose requirements hold, as any advance
    blocked = lc("2026-05-26T09:00", "advance", "1", "opportunity", "--agent", "李娜")
    assert blocked.exit_code == 1 and "cannot enter" in blocked.output
    assert lc("2026-05-26T09:00", "advance", "1", "target_group", "--agent", "李娜").exit_code == 0
    assert shown(lc, "2026-05-26T09:00")["stage"] == "target_group"
    assert listed(lc, "2026-05-26T09:00")[1]["stage"] == "target_group"


@pytest.mark.parametrize("revenue, stage", [(None, "A21"), (999, "A21"), (1000, "A08")])
def test_a08_s_minimum_revenue_needs_a_known_revenue(lc, revenue, stage):
    assert lc(T, "settings", "set", "software_sales.ladder", "ten_level").exit_code == 0
    assert lc(T, "settings", "set", "software_sales.a08_min_revenue", "1000").exit_code == 0
    sets = ["company=乙", "sector=it", "fax=1", "employees=5"] + ([f"annual_revenue={revenue}"] if revenue else [])
    add(lc, "2026-03-06T10:00", *sets)
    assert shown(lc, "2026-03-06T10:00")["stage"] == stage
    assert listed(lc, "2026-03-06T10:00")[1]["stage"] == stage
