"""plugins/software_sales (DOMAIN §4): signals, five haves, decision maker,
the three ladders, advance, follow-up counting, ownership."""

import datetime as dt
import json

import pytest

from leadcycle import LeadcycleError
from leadcycle.plugins.software_sales import model

T0 = dt.datetime(2026, 3, 5, 10, 0)
IND = "software_sales"
_phones = iter(range(13800000000, 13899999999))


def new(book, agent="李娜", channel="visit", **attributes):
    added = book.add_lead(IND, name="张伟", gender="M", phone=str(next(_phones)), need="培训管理系统",
                          agent=agent, channel=channel, attributes=attributes)
    return added.lead.id


def state(book, lead_id):
    return book.record(lead_id).state


def reasons(st):
    return [r.text.en for r in st.reasons]


ALL_HAVES = dict(has_need="yes", has_budget="yes", has_intent="yes", has_pain="yes", no_obstacle="yes")


# ---------------------------------------------------------------- signals


@pytest.mark.parametrize("kind", model.SIGNAL_KINDS)
def test_each_signal_counts_once_and_shows_newest_evidence(fresh_db, kind):
    book = fresh_db
    lead = new(book)
    assert state(book, lead).score == 0
    book.log(lead, kind, agent="李娜", note="first time")
    st = state(book, lead)
    assert st.score == 10
    label = next(en for k, en, _, _ in model.SIGNALS if k == kind)
    assert f"met: {label} (+10)" in reasons(st)
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(lead, kind, agent="陈经理", note="newest evidence")  # a manager: on anyone's lead
        st = state(book, lead)
    assert st.score == 10  # once per lead however often it is logged
    sig = st.extra["x_signals"]
    assert sig["count"] == 1
    item = sig["signals"][0]
    assert item["signal"] == kind and item["times"] == 2
    assert item["evidence"] == "newest evidence" and item["agent"] == "陈经理"
    assert item["last_at"].startswith("2026-03-07")


def test_ten_signals_make_100_and_the_points_are_settings(fresh_db):
    book = fresh_db
    lead = new(book)
    for kind in model.SIGNAL_KINDS:
        book.log(lead, kind, agent="李娜")
    assert state(book, lead).score == 100
    book.set_setting("software_sales.points_asked_price", 25)
    assert state(book, lead).score == 115  # the maximum is the sum of the points
    assert book.settings["software_sales.points_asked_price"] == 25


def test_signal_data_is_validated(run):
    run("init", "--industry", IND)
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", IND, "--name", "张伟", "--gender", "M", "--phone", "13800138000",
        "--need", "OA", "--agent", "李娜", now="2026-03-05T10:00")
    bad = run("log", "1", "asked_seats", "--set", "seats=0", "--agent", "李娜", now="2026-03-05T11:00")
    assert bad.exit_code == 1
    assert bad.output.strip().count("\n") == 0 and "seats" in bad.output and "minimum" in bad.output
    bad = run("log", "1", "asked_seats", "--set", "seats=many", "--agent", "李娜", now="2026-03-05T11:00")
    assert bad.exit_code == 1 and "whole number" in bad.output
    shown = json.loads(run("show", "1", "--json", now="2026-03-05T11:00").output)
    assert [e["kind"] for e in shown["events"]] == ["register"]  # nothing written
    ok = run("log", "1", "asked_seats", "--set", "seats=50", "--agent", "李娜", "--json", now="2026-03-05T11:00")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["extra"]["x_signals"]["signals"][0]["evidence"] == "seats=50"


# ------------------------------------------------------------- five haves


@pytest.mark.parametrize("count, grade, band", [
    (5, "A", "> 95 %"), (4, "B", "> 80 %"), (3, "C", "> 30 %"), (2, "C", "> 10 %"), (1, "D", "≤ 10 %"),
    (0, "D", "≤ 10 %"),
])
def test_five_haves_grade_and_band(fresh_db, count, grade, band):
    book = fresh_db
    names = [n for n, _, _ in model.HAVES]
    attrs = {n: ("yes" if i < count else "no") for i, n in enumerate(names)}
    lead = new(book, decision_maker="yes", **attrs)
    st = state(book, lead)
    assert st.grade == grade
    haves = st.extra["x_five_haves"]
    assert haves["count"] == count and haves["band"] == band
    assert haves["missing"] == names[count:]
    if count < 5:
        assert "missing:" in haves["summary"]["en"] and "欠缺" in haves["summary"]["zh"]


def test_intent_shown_by_signals_unless_recorded_as_no(fresh_db):
    book = fresh_db
    four = dict(ALL_HAVES, has_intent="unknown")
    lead = new(book, decision_maker="yes", **four)
    assert state(book, lead).grade == "B"
    book.log(lead, "function_questions", agent="李娜")
    st = state(book, lead)
    assert st.grade == "A" and "intent shown by signals" in st.extra["x_five_haves"]["summary"]["en"]
    book.set(lead, {"has_intent": "no"}, agent="李娜")
    assert state(book, lead).grade == "B"


def test_grade_c_from_three_signals(fresh_db):
    book = fresh_db
    lead = new(book, decision_maker="yes", has_intent="no")
    for kind in model.SIGNAL_KINDS[:2]:
        book.log(lead, kind, agent="李娜")
    assert state(book, lead).grade == "D"
    book.log(lead, model.SIGNAL_KINDS[2], agent="李娜")
    assert state(book, lead).grade == "C"


def test_unrated_lead_has_no_grade(fresh_db):
    lead = new(fresh_db)
    assert state(fresh_db, lead).grade is None


# --------------------------------------------------------- decision maker


def test_without_decision_maker_the_grade_is_capped_at_c(fresh_db):
    book = fresh_db
    lead = new(book, **ALL_HAVES)
    st = state(book, lead)
    assert st.grade == "C"
    assert reasons(st)[0].startswith("capped at C: decision maker not reached") and "(was A)" in reasons(st)[0]
    assert st.reasons[0].text.zh.startswith("封顶C")
    book.set(lead, {"contact_role": "legal_representative"}, agent="李娜")
    st = state(book, lead)
    assert st.grade == "C" and "legal representative is not necessarily the decision maker" in reasons(st)[0]
    assert "legal representative" in st.extra["x_decision_maker"]["summary"]["en"]
    book.set(lead, {"decision_maker": "yes"}, agent="李娜")
    assert state(book, lead).grade == "A"


def test_cap_grade_is_a_setting(fresh_db):
    book = fresh_db
    book.set_setting("software_sales.no_decision_maker_cap", "B")
    lead = new(book, **ALL_HAVES)
    assert state(book, lead).grade == "B"


# ---------------------------------------------------------------- advance

OPPORTUNITY = dict(employees=300, it_landscape="SAP", competitors="用友", requirements="培训", budget=50,
                   project_team="IT部")


def test_advance_refuses_naming_every_missing_item_and_writes_nothing(run):
    run("init", "--industry", IND)
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", IND, "--name", "张伟", "--gender", "M", "--phone", "13800138000",
        "--need", "OA", "--agent", "李娜", "--set", "company=华信电力", "--set", "sector=power",
        now="2026-03-05T10:00")
    r = run("advance", "1", "opportunity", "--agent", "李娜", now="2026-03-06T10:00")
    assert r.exit_code == 1
    line = r.output.strip()
    assert "\n" not in line and "Traceback" not in line
    for item in ("company size", "IT landscape", "competing vendors", "client's requirements", "budget",
                 "client's project team"):
        assert item in line
    assert "leadcycle lead set 1 employees=" in line
    shown = json.loads(run("show", "1", "--json", now="2026-03-06T10:00").output)
    assert all(e["kind"] != "stage" for e in shown["events"])
    assert shown["stage"] == "target_group"
    # record one item at a time: the list shrinks until the stage is entered
    run("lead", "set", "1", "employees=300", "it_landscape=SAP", "competitors=用友", "requirements=培训",
        "budget=50", "--agent", "李娜", now="2026-03-06T10:00")
    r = run("advance", "1", "opportunity", "--agent", "李娜", now="2026-03-06T10:00")
    assert r.exit_code == 1 and "project team" in r.output and "IT landscape" not in r.output
    run("lead", "set", "1", "project_team=IT部王经理", "--agent", "李娜", now="2026-03-06T10:00")
    r = run("advance", "1", "opportunity", "--agent", "李娜", "--json", now="2026-03-06T10:00")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["stage"] == "opportunity" and out["from_stage"] == "target_group"
    # days in the current stage and the history with entry dates
    shown = json.loads(run("show", "1", "--json", now="2026-03-10T09:00").output)
    st = shown["extra"]["x_stage"]
    assert st["days"] == 4 and st["since"] == "2026-03-06"
    assert [(h["stage"], h["entered"]) for h in st["history"]] == [
        ("target_group", "2026-03-05"), ("opportunity", "2026-03-06")]
    text = run("show", "1", now="2026-03-10T09:00").output
    assert "in stage potential opportunity for 4 days" in text
    zh = run("--lang", "zh", "show", "1", now="2026-03-10T09:00").output
    assert "处于潜在的商机阶段4天" in zh


def test_advance_checks_every_earlier_stage_and_moves_forward_only(fresh_db):
    book = fresh_db
    lead = new(book, company="华信电力", sector="power")
    with pytest.raises(LeadcycleError) as e:
        book.advance(lead, "intent", agent="李娜")
    msg = str(e.value)
    assert "IT landscape" in msg and "assessed as fitting our product" in msg and "decision maker" in msg
    book.set(lead, dict(OPPORTUNITY, product_fit=True, has_need="yes", decision_maker="yes"), agent="李娜")
    book.advance(lead, "intent", agent="李娜")  # skipping is fine when everything is recorded
    assert state(book, lead).stage == "intent"
    with pytest.raises(LeadcycleError, match="stages only move forward"):
        book.advance(lead, "opportunity", agent="李娜")
    with pytest.raises(LeadcycleError, match="already at intent client"):
        book.advance(lead, "intent", agent="李娜")
    with pytest.raises(LeadcycleError, match="unknown stage 'signed'.*target_group, opportunity"):
        book.advance(lead, "signed", agent="李娜")
    with pytest.raises(LeadcycleError, match="client approved the project"):
        book.advance(lead, "approval", agent="李娜")
    book.set(lead, {"project_approved": True, "has_budget": "yes"}, agent="李娜")
    book.advance(lead, "approval", agent="李娜")
    with pytest.raises(LeadcycleError, match="product demo.*leadcycle log .* demo"):
        book.advance(lead, "acceptance", agent="李娜")
    book.log(lead, "demo", agent="李娜")
    book.set(lead, {"solution_accepted": True}, agent="李娜")
    book.advance(lead, "acceptance", agent="李娜")
    with pytest.raises(LeadcycleError, match="quote"):
        book.advance(lead, "commercial", agent="李娜")
    book.log(lead, "quote", agent="李娜", data={"amount": 500000})
    book.advance(lead, "commercial", agent="李娜")
    with pytest.raises(LeadcycleError, match="signed contract"):
        book.advance(lead, "won", agent="李娜")
    n_events = len(book.record(lead).events)
    with pytest.raises(LeadcycleError, match="why the deal was lost"):
        book.advance(lead, "lost", agent="李娜")
    assert len(book.record(lead).events) == n_events
    book.set(lead, {"lost_reason": "选了竞品"}, agent="李娜")
    book.advance(lead, "lost", agent="李娜", note="lost to 用友")
    assert state(book, lead).stage == "lost"
    # a lost account is re-opened only to a stage whose requirements hold (a
    # client who came back and signed: tests/test_software_sales_found.py)
    with pytest.raises(LeadcycleError, match="cannot enter won"):
        book.advance(lead, "won", agent="李娜")
    assert state(book, lead).stage == "lost"


def test_target_group_needs_a_target_sector(fresh_db):
    book = fresh_db
    lead = new(book, company="某制造厂", sector="manufacturing", **OPPORTUNITY)
    with pytest.raises(LeadcycleError, match="sector in the target group"):
        book.advance(lead, "opportunity", agent="李娜")
    book.set_setting("software_sales.target_sectors", "government,manufacturing")
    book.advance(lead, "opportunity", agent="李娜")
    assert state(book, lead).stage == "opportunity"


def test_advance_bad_input(run):
    run("init", "--industry", IND, "--industry", "realestate")
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", IND, "--name", "张伟", "--gender", "M", "--phone", "13800138000",
        "--need", "OA", now="2026-03-05T10:00")
    for args, text in (
        (("advance", "x", "opportunity"), "not a lead id"),
        (("advance", "99", "opportunity"), "no lead #99"),
        (("advance", "1", "nowhere"), "unknown stage 'nowhere'"),
        (("advance", "1", "opportunity", "--agent", "无名"), "unknown agent"),
    ):
        r = run(*args, now="2026-03-05T11:00")
        assert r.exit_code != 0 and text in r.output and "Traceback" not in r.output, (args, r.output)
    run("settings", "set", "software_sales.ladder", "ten_level")
    r = run("advance", "1", "A08", now="2026-03-05T11:00")
    assert r.exit_code == 1 and "computed from the record" in r.output
    bad = run("settings", "set", "software_sales.ladder", "funnel")
    assert bad.exit_code == 1 and "stages, ten_level, saas" in bad.output


# ------------------------------------------------------- ten-level ladder

A08 = dict(company="蓝海制造", sector="manufacturing", employees=200, fax="010-1234567")
A05 = dict(decision_maker="yes", needs_met=True, fit_confirmed=True)


@pytest.fixture
def ten(fresh_db):
    fresh_db.set_setting("software_sales.ladder", "ten_level")
    return fresh_db


def answer(book, lead, answer, by_dm=True, informed=True, considered=True, reason=None):
    data = {"answer": answer, "by_decision_maker": by_dm, "informed": informed, "considered": considered}
    if reason:
        data["reason"] = reason
    book.log(lead, "answer", agent="李娜", data=data)


def test_a21_and_a08_needs_all_five_key_elements(ten):
    lead = new(ten)
    assert state(ten, lead).stage == "A21"
    full = new(ten, **A08)
    assert state(ten, full).stage == "A08"


@pytest.mark.parametrize("drop", ["company", "sector", "employees", "fax"])
def test_a08_boundary_each_element(ten, drop):
    attrs = {k: v for k, v in A08.items() if k != drop}
    assert state(ten, new(ten, **attrs)).stage == "A21"


def test_a08_size_by_revenue_and_excluded_sectors(ten):
    revenue_only = dict(A08, annual_revenue=800)
    del revenue_only["employees"]
    assert state(ten, new(ten, **revenue_only)).stage == "A08"
    ten.set_setting("software_sales.a08_min_revenue", 1000)
    assert state(ten, new(ten, **revenue_only)).stage == "A21"
    ten.set_setting("software_sales.a08_min_revenue", 800)
    assert state(ten, new(ten, **revenue_only)).stage == "A08"
    assert state(ten, new(ten, **dict(A08, sector="government"))).stage == "A21"
    assert state(ten, new(ten, **dict(A08, sector="non_profit"))).stage == "A21"


def test_a07_neutral_answer_needs_an_informed_considered_decision_maker(ten):
    lead = new(ten, **A08)
    answer(ten, lead, "neutral", by_dm=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "neutral", informed=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "neutral", considered=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "neutral")
    assert state(ten, lead).stage == "A07"


def test_a31_needs_the_informed_considered_decision_maker_not_a_reason(ten):
    lead = new(ten, **A08)
    answer(ten, lead, "refused", by_dm=False, reason="已有系统")
    st = state(ten, lead)
    assert st.stage == "A08"
    assert "not from the decision maker" in st.extra["x_refusal"]["summary"]["en"]
    answer(ten, lead, "refused", informed=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "refused", considered=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "refused")  # no reason: still A31; the reason is desirable, not required
    st = state(ten, lead)
    assert st.stage == "A31" and st.extra["x_refusal"]["counted"] is True
    assert "real reason is not recorded" in st.extra["x_refusal"]["summary"]["en"]
    answer(ten, lead, "refused", reason="三年内不换系统")
    st = state(ten, lead)
    assert st.stage == "A31" and "三年内不换系统" in st.extra["x_refusal"]["summary"]["en"]
    # the client moving on after the refusal ends it
    ten.log(lead, "unhappy_with_supplier", agent="李娜")
    assert state(ten, lead).stage == "A06"


@pytest.mark.parametrize("kind", ["considering_switch", "unhappy_with_supplier", "talking_to_vendors"])
def test_a06_each_cue(ten, kind):
    lead = new(ten, **A08)
    ten.log(lead, kind, agent="李娜")
    assert state(ten, lead).stage == "A06"


def test_a06_positive_answer(ten):
    lead = new(ten, **A08)
    answer(ten, lead, "positive", by_dm=False)
    assert state(ten, lead).stage == "A08"
    answer(ten, lead, "positive")
    assert state(ten, lead).stage == "A06"


@pytest.mark.parametrize("drop", ["decision_maker", "needs_met", "fit_confirmed", "quote"])
def test_a05_boundary(ten, drop):
    attrs = {k: v for k, v in A05.items() if k != drop}
    lead = new(ten, **A08, **attrs)
    if drop != "quote":
        ten.log(lead, "quote", agent="李娜", data={"amount": 1000})
    assert state(ten, lead).stage == "A08"
    full = new(ten, **A08, **A05)
    ten.log(full, "quote", agent="李娜")
    assert state(ten, full).stage == "A05"


def test_a04_price_level(ten):
    lead = new(ten, **A08, **A05, price_affordable=True)
    ten.log(lead, "quote", agent="李娜")
    assert state(ten, lead).stage == "A05"
    ten.set(lead, {"price_in_range": True}, agent="李娜")
    assert state(ten, lead).stage == "A04"


@pytest.mark.parametrize("kind", ["verbal_commitment", "substantive_action"])
def test_a03_by_commitment_or_action(ten, kind):
    lead = new(ten, **A08)
    ten.log(lead, kind, agent="李娜")
    assert state(ten, lead).stage == "A03"


def test_a03_purchase_within_two_calendar_months_boundary(ten):
    # two calendar months from 2026-03-05 is 2026-05-05 (60 days would stop at 05-04)
    inside = new(ten, **A08, expected_purchase="2026-05-05")
    outside = new(ten, **A08, expected_purchase="2026-05-06")
    today = new(ten, **A08, expected_purchase="2026-03-05")
    past = new(ten, **A08, expected_purchase="2026-03-04")
    assert state(ten, inside).stage == "A03"
    assert state(ten, outside).stage == "A08"
    assert state(ten, today).stage == "A03"
    assert state(ten, past).stage == "A08"
    # the clock alone moves it in, and out the day after the date: the
    # stored projection expires at those midnights
    with ten.at(dt.datetime(2026, 3, 6, 9, 0)):
        rows = {r["id"]: r["stage"] for r in ten.list(industry=IND)}
    assert rows[outside] == "A03" and rows[inside] == "A03" and rows[today] == "A08"


def test_a03_two_months_from_march_first_is_may_first(ten):
    with ten.at(dt.datetime(2026, 3, 1, 9, 0)):
        may1 = new(ten, **A08, expected_purchase="2026-05-01")
        may2 = new(ten, **A08, expected_purchase="2026-05-02")
        assert state(ten, may1).stage == "A03"  # 61 days: the 60-day count missed it
        assert state(ten, may2).stage == "A08"


@pytest.mark.parametrize("start, months, last_inside", [
    (dt.date(2026, 12, 31), 2, dt.date(2027, 2, 28)),   # month end, across a year
    (dt.date(2028, 12, 31), 2, dt.date(2029, 2, 28)),
    (dt.date(2027, 12, 31), 2, dt.date(2028, 2, 29)),   # leap year
    (dt.date(2026, 1, 15), 1, dt.date(2026, 2, 15)),
])
def test_add_months_clamps_to_the_month_end(start, months, last_inside):
    from leadcycle.plugins.software_sales.rules import add_months

    assert add_months(start, months) == last_inside


@pytest.mark.parametrize("kind", ["contract", "order", "payment"])
def test_a02_each_way(ten, kind):
    lead = new(ten, **A08)
    ten.log(lead, kind, agent="李娜")
    assert state(ten, lead).stage == "A02"


def test_a01_closed(ten):
    lead = new(ten, **A08)
    ten.log(lead, "order", agent="李娜")
    ten.log(lead, "delivered", agent="李娜")
    assert state(ten, lead).stage == "A02"
    ten.log(lead, "fully_paid", agent="李娜")
    assert state(ten, lead).stage == "A01"
    ten.set(lead, {"open_promises": True}, agent="李娜")
    assert state(ten, lead).stage == "A02"


# ------------------------------------------------------------ SaaS ladder


def test_saas_four_steps(fresh_db):
    book = fresh_db
    book.set_setting("software_sales.ladder", "saas")
    lead = new(book, channel="call")
    assert state(book, lead).stage is None
    book.log(lead, "next_contact", agent="李娜")
    assert state(book, lead).stage is None  # not asked yet whether the contact decides
    book.set(lead, {"decision_maker": "no"}, agent="李娜")
    assert state(book, lead).stage == "interest"
    second = new(book, channel="call", decision_maker="yes")
    book.log(second, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")
    assert state(book, second).stage == "interest"
    book.log(lead, "meeting_request", agent="李娜")
    assert state(book, lead).stage == "interest"  # a meeting without a stated need
    book.set(lead, {"has_need": "yes"}, agent="李娜")
    st = state(book, lead)
    assert st.stage == "interest"  # a clear need, but not the decision maker's
    book.set(lead, {"decision_maker": "yes"}, agent="李娜")
    assert state(book, lead).stage == "clear_need"
    book.set(second, {"has_need": "yes"}, agent="李娜")
    book.log(second, "other_software", agent="李娜", data={"vendor": "金蝶"})
    assert state(book, second).stage == "clear_need"
    book.set(lead, {"fit_confirmed": True}, agent="李娜")
    assert state(book, lead).stage == "value_assessment"
    book.set(lead, {"cooperation_agreed": True}, agent="李娜")
    assert state(book, lead).stage == "agreed"
    book.log(lead, "contract", agent="李娜", data={"amount": 36000})
    assert state(book, lead).stage == "signed"


# ------------------------------------------------ ownership and follow-ups


def test_first_registration_owns_even_by_phone_for_90_days(fresh_db):
    book = fresh_db
    lead = new(book, channel="call")
    assert state(book, lead).owner == "李娜"
    with book.at(T0 + dt.timedelta(days=90, hours=13)):  # day 90, 23:00
        assert state(book, lead).owner == "李娜"
    with book.at(T0 + dt.timedelta(days=91)):
        st = state(book, lead)
    assert st.owner is None and "protection of 90 days lapsed" in " ".join(reasons(st))
    assert book.settings["software_sales.protection_days"] == 90


def _lose(book, lead, follow_ups, start=T0):
    for i in range(follow_ups):
        with book.at(start + dt.timedelta(days=i + 1)):
            book.log(lead, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")
    with book.at(start + dt.timedelta(days=follow_ups + 1, hours=1)):
        book.set(lead, {"lost_reason": "预算取消"}, agent="李娜")
        book.advance(lead, "lost", agent="李娜")


def test_due_flags_leads_lost_or_lapsed_before_the_fourth_follow_up(run, db_path):
    from leadcycle import LeadBook

    run("init", "--industry", IND)
    book = LeadBook.open(db_path, now=T0)
    book.add_agent("李娜")
    book.add_agent("王强")
    three, four, lapsed, kept = (new(book) for _ in range(4))
    _lose(book, three, 3)
    _lose(book, four, 4)
    with book.at(T0 + dt.timedelta(days=1)):
        book.log(kept, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")
    book.close()
    # day 91 after the registration: the untouched lead has lapsed, 'kept' has not
    r = run("due", "--json", now="2026-06-04T09:00")
    assert r.exit_code == 0, r.output
    flagged = {i["lead_id"]: i for i in json.loads(r.output) if i["kind"].endswith("before_follow_up_4")}
    assert set(flagged) == {three, lapsed}
    assert flagged[three]["follow_ups"] == 3 and flagged[three]["owner"] == "李娜"
    assert flagged[lapsed]["kind"] == "lapsed_before_follow_up_4" and flagged[lapsed]["owner"] == "李娜"
    assert "80 %" in flagged[three]["text"]
    r = run("due", "--json", "--agent", "王强", now="2026-06-04T09:00")
    assert not [i for i in json.loads(r.output) if i["kind"].endswith("before_follow_up_4")]
    zh = run("--lang", "zh", "due", now="2026-06-04T09:00").output
    assert "仅跟进3次即已丢单" in zh
    r = run("due", "--json", now="2026-06-03T09:00")  # day 90: still protected
    assert {i["lead_id"] for i in json.loads(r.output) if i["kind"].endswith("before_follow_up_4")} == {three}


def test_report_followups_next_to_the_documents(run, db_path):
    from leadcycle import LeadBook

    run("init", "--industry", IND)
    book = LeadBook.open(db_path, now=T0)
    book.add_agent("李娜")
    for n in (0, 2, 5, 5):
        lead = new(book)
        for i in range(n):
            with book.at(T0 + dt.timedelta(days=i + 1)):
                book.log(lead, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")
        with book.at(T0 + dt.timedelta(days=n + 1, hours=2)):
            book.log(lead, "contract", agent="李娜", data={"amount": 100000})
            book.log(lead, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")  # after the deal: not counted
    lost = new(book)
    _lose(book, lost, 1)
    book.close()
    r = run("report", "followups", "--json", now="2026-03-20T09:00")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["deals"] == 4
    rows = {b["follow_ups"]: b for b in data["buckets"]}
    assert [rows[k]["documents_pct"] for k in ("0", "1", "2", "3", "4-11")] == [2, 3, 5, 10, 80]
    assert rows["0"]["office_deals"] == 1 and rows["2"]["office_deals"] == 1
    assert rows["4-11"]["office_deals"] == 2 and rows["4-11"]["office_pct"] == 50.0
    assert [i["lead_id"] for i in data["given_up_early"]] == [lost]
    text = run("report", "followups", now="2026-03-20T09:00").output
    assert "after the 4th–11th follow-up" in text and "80 %" in text and "50 %" in text


def test_follow_up_count_is_shown(fresh_db):
    book = fresh_db
    lead = new(book)
    for i in range(3):
        with book.at(T0 + dt.timedelta(days=i + 1)):
            book.log(lead, "follow_up", agent="李娜", data={"reaction": "neutral"}, note="电话回访")
    with book.at(T0 + dt.timedelta(days=5)):
        fu = state(book, lead).extra["x_follow_ups"]
    assert fu["count"] == 3 and "at least 4" in fu["summary"]["en"]


def test_report_needs_the_industry(run):
    run("init", "--industry", "realestate")
    r = run("report", "followups")
    assert r.exit_code == 1 and "not enabled" in r.output


# ---------------------------------------------------------------- settings


def test_settings_have_the_documents_defaults_and_sources(fresh_db):
    st = fresh_db.settings
    assert st["software_sales.ladder"] == "stages"
    assert st["software_sales.protection_days"] == 90
    assert st["software_sales.min_follow_ups"] == 4
    assert st["software_sales.win_band_5"] == 95 and st["software_sales.win_band_4"] == 80
    assert st["software_sales.sprint_months"] == 2
    for key in st:
        if key.startswith("software_sales."):
            assert st.setting(key).source, key


def test_demo_populates_software_leads(fresh_db):
    import random

    from leadcycle.plugins.software_sales import demo

    book = fresh_db
    book.add_agent("赵敏")
    demo.populate(book, random.Random(7), dt.datetime(2026, 9, 1, 9), 30, count=15)
    with book.at(dt.datetime(2026, 10, 1)):
        rows = book.list(industry=IND)
    assert len(rows) == 15
    assert {r["stage"] for r in rows} - {"target_group"}  # some accounts were advanced


def test_bad_attribute_and_event_input_is_one_line_and_writes_nothing(run):
    run("init", "--industry", IND)
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", IND, "--name", "张伟", "--gender", "M", "--phone", "13800138000",
        "--need", "OA", now="2026-03-05T10:00")
    for args, text in (
        (("lead", "set", "1", "has_need=maybe", "--agent", "李娜"), "has_need: 'maybe' is not allowed; use one of yes, no, unknown"),
        (("lead", "set", "1", "sector=mining", "--agent", "李娜"), "sector: 'mining' is not allowed"),
        (("lead", "set", "1", "expected_purchase=soon", "--agent", "李娜"), "expected_purchase: 'soon' is not a date"),
        (("log", "1", "answer", "--set", "by_decision_maker=yes", "--agent", "李娜"), "answer needs answer"),
        (("log", "1", "answer", "--set", "answer=maybe", "--set", "by_decision_maker=yes", "--agent", "李娜"), "is not allowed"),
        (("log", "1", "quote", "--set", "amount=-5", "--agent", "李娜"), "below the minimum"),
    ):
        r = run(*args, now="2026-03-05T11:00")
        assert r.exit_code == 1 and text in r.output and r.output.strip().count("\n") == 0, (args, r.output)
    shown = json.loads(run("show", "1", "--json", now="2026-03-05T11:00").output)
    assert [e["kind"] for e in shown["events"]] == ["register"]
