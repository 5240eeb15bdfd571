"""Issue #12, software sales through the command line, at the documents'
boundaries: cadence per grade and ladder level, contacts that keep the
90-day protection, the follow-up report, the ten-level and SaaS ladders,
contradictions refused."""

import json

import pytest

IND = "software_sales"
HAVES4 = ("has_need=yes", "has_budget=yes", "has_intent=yes", "has_pain=yes", "decision_maker=yes")


@pytest.fixture
def lc(run):
    """``lc(now, *args)``: a simulation database with the software industry."""
    assert run("init", "--simulation", "--industry", IND).exit_code == 0
    run("agent", "add", "李娜")

    def _lc(now, *args):
        return run(*args, now=now)

    return _lc


def add(lc, now, phone="13800138000", *sets):
    r = lc(now, "lead", "add", "--industry", IND, "--name", "张伟", "--gender", "男", "--phone", phone,
           "--need", "ERP", "--agent", "李娜", *sum((("--set", s) for s in sets), ()))
    assert r.exit_code == 0, r.output
    return r


def due(lc, now, **match):
    r = lc(now, "due", "--json")
    assert r.exit_code == 0, r.output
    return [i for i in json.loads(r.output) if all(i.get(k) == v for k, v in match.items())]


def shown(lc, now, lead="1"):
    r = lc(now, "show", lead, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_a_b_lead_is_due_every_5_days_and_a_three_month_silence_shows(lc):
    add(lc, "2026-03-05T10:00")
    assert lc("2026-03-05T10:10", "lead", "set", "1", *HAVES4, "no_obstacle=unknown", "--agent", "李娜").exit_code == 0
    # the first call-back within 3 days (004), then grade B every 5 days
    assert due(lc, "2026-03-07T09:00", lead_id=1) == []
    first = due(lc, "2026-03-08T09:00", lead_id=1)
    assert first and first[0]["kind"] == "first_call_back"
    lc("2026-03-08T10:00", "log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访")
    assert due(lc, "2026-03-12T09:00", lead_id=1) == []
    item = due(lc, "2026-03-13T09:00", lead_id=1)[0]
    assert item["kind"] == "follow_up" and item["days_overdue"] == 0
    # untouched for three months: overdue, and the protection warning comes first
    late = due(lc, "2026-06-01T09:00", lead_id=1)
    assert {i["kind"] for i in late} == {"follow_up", "lapse_warning"}


@pytest.mark.parametrize("grade_sets, days", [
    ((*HAVES4, "no_obstacle=yes"), 3),  # A
    ((*HAVES4, "no_obstacle=unknown"), 5),  # B
    (("has_need=yes", "has_budget=yes", "decision_maker=yes"), 7),  # C
    (("has_need=no", "decision_maker=yes"), 30),  # D
])
def test_cadence_per_grade(lc, grade_sets, days):
    add(lc, "2026-03-05T10:00")
    lc("2026-03-05T10:10", "lead", "set", "1", *grade_sets, "--agent", "李娜")
    lc("2026-03-06T10:00", "log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访")
    due_day = f"2026-03-{6 + days:02d}" if 6 + days <= 31 else f"2026-04-{6 + days - 31:02d}"
    assert shown(lc, "2026-03-06T11:00")["next_follow_up"].startswith(due_day)


def test_a_sprint_level_is_followed_every_2_days_and_a_refusal_not_at_all(lc):
    lc(None, "settings", "set", "software_sales.ladder", "ten_level")
    add(lc, "2026-03-05T10:00", "13800138000", "expected_purchase=2026-04-01")
    lc("2026-03-05T11:00", "log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访")
    st = shown(lc, "2026-03-05T12:00")
    assert st["stage"] == "A03" and st["next_follow_up"].startswith("2026-03-07")
    add(lc, "2026-03-05T10:00", "13800138001")
    lc("2026-03-05T11:00", "log", "2", "answer", "--agent", "李娜", "--set", "answer=refused",
       "--set", "by_decision_maker=yes", "--set", "informed=yes", "--set", "considered=yes",
       "--note", "别再打电话来了")
    st = shown(lc, "2026-03-05T12:00", "2")
    assert st["stage"] == "A31" and st["next_follow_up"] is None
    # an A31 lead is never advised to be called again, however few its follow-ups
    assert due(lc, "2026-07-01T09:00", lead_id=2, kind="lapsed_before_follow_up_4") == []
    assert not [i for i in due(lc, "2026-07-01T09:00", lead_id=2) if "following up again" in (i.get("text") or "")]


def test_signals_and_answers_keep_the_90_day_protection(lc):
    add(lc, "2026-03-02T10:00")
    for kind in ("asked_price", "asked_seats", "price_objection", "data_security", "asked_service",
                 "asked_company", "other_software", "trial_request", "next_contact", "function_questions"):
        assert lc("2026-03-03T10:00", "log", "1", kind, "--agent", "李娜").exit_code == 0
    lc("2026-03-03T10:30", "log", "1", "answer", "--agent", "李娜", "--set", "answer=neutral",
       "--set", "by_decision_maker=no")
    # last contact 03-03: day 90 is 06-01 (owned), day 91 is 06-02 (pool)
    assert shown(lc, "2026-06-01T23:00")["owner"] == "李娜"
    st = shown(lc, "2026-06-02T00:00")
    assert st["owner"] is None
    assert any("last contact 2026-03-03" in r for r in json.dumps(st["reasons"], ensure_ascii=False).split("\""))


def test_lapse_warning_7_days_before_the_protection_ends(lc):
    add(lc, "2026-03-05T10:00")  # last protected day: 03-05 + 90 = 06-03
    assert due(lc, "2026-05-26T09:00", kind="lapse_warning") == []
    item = due(lc, "2026-05-27T09:00", kind="lapse_warning")[0]
    assert item["due"] == "2026-06-03" and item["days_left"] == 7
    assert due(lc, "2026-06-03T09:00", kind="lapse_warning")[0]["days_left"] == 0
    assert due(lc, "2026-06-04T09:00", kind="lapse_warning") == []
    zh = lc("2026-05-27T09:00", "--lang", "zh", "due").output
    assert "保护期2026-06-03到期" in zh


def test_report_counts_every_contact_once_a_day_and_the_won_stage(lc):
    lc(None, "settings", "set", "software_sales.ladder", "ten_level")
    add(lc, "2026-03-02T10:00")
    # eleven signals on one day are one contact; two days later an order: A02
    for kind in ("asked_price", "asked_seats", "asked_company"):
        lc("2026-03-03T10:00", "log", "1", kind, "--agent", "李娜")
    lc("2026-03-04T10:00", "log", "1", "answer", "--agent", "李娜", "--set", "answer=positive",
       "--set", "by_decision_maker=yes", "--set", "informed=yes", "--set", "considered=yes")
    lc("2026-03-05T10:00", "log", "1", "order", "--agent", "李娜")
    r = lc("2026-03-10T09:00", "report", "followups", "--json")
    data = json.loads(r.output)
    assert data["deals"] == 1
    rows = {b["follow_ups"]: b["office_deals"] for b in data["buckets"]}
    assert rows["2"] == 1  # registration day = first contact; 03-03 and 03-04 = two follow-ups
    assert shown(lc, "2026-03-10T09:00")["extra"]["x_follow_ups"]["count"] == 2


def _answer(lc, now, answer, lead="1", **extra):
    sets = {"answer": answer, "by_decision_maker": "yes", "informed": "yes", "considered": "yes", **extra}
    r = lc(now, "log", lead, "answer", "--agent", "李娜", *sum((("--set", f"{k}={v}") for k, v in sets.items()), ()))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("kind", ["material_request", "next_contact", "asked_price", "function_questions",
                                  "asked_company"])
def test_a06_by_the_decision_makers_own_question_after_a_considered_answer(lc, kind):
    lc(None, "settings", "set", "software_sales.ladder", "ten_level")
    add(lc, "2026-03-05T10:00", "13800138000", "decision_maker=yes")
    lc("2026-03-05T10:30", "log", "1", kind, "--agent", "李娜")
    assert shown(lc, "2026-03-05T11:00")["stage"] == "A21"  # no considered answer yet
    _answer(lc, "2026-03-06T10:00", "neutral")
    assert shown(lc, "2026-03-06T10:10")["stage"] == "A07"
    lc("2026-03-06T10:20", "log", "1", kind, "--agent", "李娜")
    assert shown(lc, "2026-03-06T10:30")["stage"] == "A06"


def test_a06_question_from_someone_else_than_the_decision_maker_stays_a07(lc):
    lc(None, "settings", "set", "software_sales.ladder", "ten_level")
    add(lc, "2026-03-05T10:00", "13800138000", "decision_maker=no")
    _answer(lc, "2026-03-06T10:00", "neutral")
    lc("2026-03-06T10:20", "log", "1", "asked_price", "--agent", "李娜")
    assert shown(lc, "2026-03-06T10:30")["stage"] == "A07"


def test_a31_without_a_reason_shows_the_reason_is_desirable(lc):
    lc(None, "settings", "set", "software_sales.ladder", "ten_level")
    add(lc, "2026-03-05T10:00")
    _answer(lc, "2026-03-06T10:00", "refused")
    out = lc("2026-03-06T10:10", "show", "1").output
    assert "A31" in out and "real reason is not recorded" in out


def test_contradictions_are_refused_and_nothing_is_written(lc):
    add(lc, "2026-03-05T10:00")
    r = lc("2026-03-05T10:10", "lead", "set", "1", "decision_maker=no", "contact_role=decision_maker",
           "--agent", "李娜")
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert "decision_maker=no contradicts contact_role=decision_maker" in r.output
    r = lc("2026-03-05T10:10", "lead", "add", "--industry", IND, "--name", "王芳", "--gender", "女",
           "--phone", "13900139000", "--need", "CRM", "--agent", "李娜",
           "--set", "decision_maker=no", "--set", "contact_role=decision_maker")
    assert r.exit_code == 1 and "contradicts" in r.output
    assert lc("2026-03-05T10:20", "list", "--json").output.count('"id"') == 1
    # each side alone is fine
    assert lc("2026-03-05T10:30", "lead", "set", "1", "contact_role=decision_maker", "--agent", "李娜").exit_code == 0
    r = lc("2026-03-05T10:40", "lead", "set", "1", "decision_maker=no", "--agent", "李娜")
    assert r.exit_code == 1


def test_stall_reason_explains_no_obstacle(lc):
    add(lc, "2026-03-05T10:00")
    lc("2026-03-05T10:10", "lead", "set", "1", "no_obstacle=no", "--agent", "李娜")
    assert "why it stalls is not recorded" in lc("2026-03-05T10:20", "show", "1").output
    assert lc("2026-03-05T10:30", "lead", "set", "1", "stall_reason=价格太贵,relocating", "--agent", "李娜").exit_code == 0
    out = lc("2026-03-05T10:40", "show", "1").output
    assert "stalls because: building a new plant or relocating, too expensive" in out
    r = lc("2026-03-05T10:50", "lead", "set", "1", "no_obstacle=yes", "--agent", "李娜")
    assert r.exit_code == 1 and "clear it with stall_reason=" in r.output
    assert lc("2026-03-05T11:00", "lead", "set", "1", "no_obstacle=yes", "stall_reason=", "--agent", "李娜").exit_code == 0


@pytest.mark.parametrize("key, value, words", [
    ("software_sales.grade_b_haves", "5", "above software_sales.grade_a_haves (4)"),
    ("software_sales.grade_a_haves", "3", "below software_sales.grade_b_haves (4)"),
    ("software_sales.grade_c_haves", "5", "above software_sales.grade_b_haves (4)"),
])
def test_haves_settings_keep_their_order(lc, key, value, words):
    assert lc(None, "settings", "set", "software_sales.grade_a_haves", "4").exit_code == 0  # = B: fine
    r = lc(None, "settings", "set", key, value)
    assert r.exit_code == 1 and words in r.output and r.output.count("\n") == 1
    assert lc(None, "settings", "set", "software_sales.grade_b_haves", "3").exit_code == 0
    assert lc(None, "settings", "set", "software_sales.grade_a_haves", "4").exit_code == 0
    assert lc(None, "settings", "set", "software_sales.grade_b_haves", "4").exit_code == 0  # equal is fine


def test_sector_settings_take_known_sectors_only(lc):
    r = lc(None, "settings", "set", "software_sales.target_sectors", "government,banks")
    assert r.exit_code == 1 and "'banks' is not allowed" in r.output
    assert lc(None, "settings", "set", "software_sales.target_sectors", "finance、telecom").exit_code == 0


def test_signal_evidence_names_its_data_by_label_in_the_readers_language(lc):
    """``show``'s signal line: 点数=20 and 其它厂商=用友 in Chinese (seats=20
    and other vendor=用友 in English), a note as it was written."""
    add(lc, "2026-03-09T10:00")
    lc("2026-03-10T10:00", "log", "1", "asked_seats", "--set", "seats=20", "--agent", "李娜")
    lc("2026-03-10T10:01", "log", "1", "other_software", "--set", "vendor=用友", "--agent", "李娜")
    lc("2026-03-10T10:02", "log", "1", "trial_request", "--agent", "李娜", "--note", "要求试用两周")
    zh = [line for line in lc("2026-03-10T11:00", "--lang", "zh", "show", "1").output.splitlines()
          if "签单意向信号：" in line]
    assert zh and "（2026-03-10：点数=20）" in zh[0] and "其它厂商=用友" in zh[0] and "要求试用两周" in zh[0]
    assert "seats" not in zh[0] and "vendor" not in zh[0]
    en = lc("2026-03-10T11:00", "show", "1").output
    assert "(2026-03-10: seats=20)" in en and "other vendor=用友" in en
    assert shown(lc, "2026-03-10T11:00")["extra"]["x_signals"]["signals"][0]["evidence"] == "seats=20"


def test_a_software_deal_has_its_credit_and_no_property_commission_stages(lc):
    """§3.11's commission by stage (accumulation 30 %, contract 50 %,
    mortgage, loan) is the property office's: a software deal showed it."""
    add(lc, "2026-03-05T10:00")
    assert lc("2026-03-05T11:00", "log", "1", "contract", "--agent", "李娜").exit_code == 0
    out = lc("2026-03-05T12:00", "credit", "1")
    assert out.exit_code == 0 and "李娜 closed their own client: all credit" in out.output
    assert "commission" not in out.output and "payable" not in out.output and "accumulation" not in out.output
    (deal,) = json.loads(lc("2026-03-05T12:00", "credit", "1", "--json").output)
    assert deal["commission"] is None and deal["shares"][0]["share"] == "1"


def test_a_stage_refusal_names_the_target_sectors_in_the_reader_s_words(lc):
    """The target group's sectors were their codes (government, retail_chain)
    under --lang zh too (session 20's tester)."""
    add(lc, "2026-03-05T10:00")
    zh = lc("2026-03-06T10:00", "--lang", "zh", "advance", "1", "opportunity", "--agent", "李娜")
    assert zh.exit_code == 1 and "行业属于目标客户群（政府、电信、电力、金融、连锁、高校）" in zh.output, zh.output
    en = lc("2026-03-06T10:00", "advance", "1", "opportunity", "--agent", "李娜")
    assert "sector in the target group (government, telecom, power, finance, chain retail, university)" in en.output
