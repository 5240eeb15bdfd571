"""Real-estate grading by the book (issue #11, DOMAIN §2, seed 004): a grade
needs its method's inputs, a move into D needs a manager, a D lead goes to
the pool and on to *other* agents, the auxiliary column, the deal report,
and settings that cannot contradict each other — all through the CLI."""

import json

import pytest

CAPPING = ("motivation", "region", "product", "price", "funds", "expected_deal")
POINTS = ("buying_power", "region_view", "price_view", "product_view", "trust", "decision", "target_unit",
          "urgency")
NOW = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    for args in (("李娜",), ("王强",), ("陈经理", "--manager")):
        assert run("agent", "add", *args).exit_code == 0
    return run


def add(run, phone="13800138000", name="张伟", agent="李娜", now=NOW):
    result = run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "男", "--phone", phone,
                 "--need", "三房", "--agent", agent, now=now)
    assert result.exit_code == 0, result.output


def rate(run, lead, now=NOW, agent="李娜", **values):
    result = run("lead", "set", str(lead), *(f"{k}={v}" for k, v in values.items()), "--agent", agent, now=now)
    assert result.exit_code == 0, result.output
    return result


def show(run, lead, now=NOW):
    return json.loads(run("show", str(lead), "--json", now=now).output)


# ------------------------------------------------------------ a grade needs its inputs


def test_table_one_rated_dimension_is_not_a_grade_until_all_six_capping_ones_are(office):
    run = office
    add(run)
    rate(run, 1, funds="A")
    st = show(run, 1)
    assert st["grade"] is None
    assert st["reasons"][0] == ("not graded yet: still to rate motivation, view of the region's value, "
                                "view of the product, price tolerance, expected deal")
    zh = run("--lang", "zh", "show", "1", now=NOW).output
    assert "尚未分级：还需评定 购房动机、区域价值认同、产品认同、价格承受、预计成交时间" in zh
    rate(run, 1, motivation="A", region="A", product="A", price="A")
    assert show(run, 1)["grade"] is None                        # five of six: still not graded
    assert show(run, 1)["reasons"][0] == "not graded yet: still to rate expected deal"
    rate(run, 1, expected_deal="B")
    st = show(run, 1)                                           # six of six: the lowest is the grade
    assert st["grade"] == "B" and st["reasons"][0] == "B: lowest dimension expected deal rated B"


def test_contact_and_mortgage_are_auxiliary_by_default_and_a_setting_makes_them_cap(office):
    run = office
    add(run)
    rate(run, 1, **dict.fromkeys(CAPPING, "A"), mortgage="D", contact="C")
    st = show(run, 1)
    assert st["grade"] == "A"                                   # 004 note 2: 沟通频次/深度 is auxiliary
    assert run("settings", "set", "realestate.mortgage_auxiliary", "no").exit_code == 0
    assert show(run, 1)["grade"] == "C"                         # mortgage D caps: a D request held at C
    listed = run("settings", "list", "--json").output
    assert '"realestate.contact_auxiliary"' in listed


def test_a_capping_mortgage_must_be_rated_too(office):
    run = office
    assert run("settings", "set", "realestate.mortgage_auxiliary", "no").exit_code == 0
    add(run)
    rate(run, 1, **dict.fromkeys(CAPPING, "A"))
    assert show(run, 1)["reasons"][0] == "not graded yet: still to rate mortgage process"
    rate(run, 1, mortgage="B")
    assert show(run, 1)["grade"] == "B"


def test_points_one_criterion_is_not_d_and_the_review_does_not_pool_it(office):
    run = office
    assert run("settings", "set", "realestate.grading", "points").exit_code == 0
    add(run)
    rate(run, 1, buying_power="A")
    st = show(run, 1)
    assert st["grade"] is None and st["owner"] == "李娜"
    assert st["reasons"][0].startswith("not graded yet: still to rate view of the region")
    assert json.loads(run("review", "--json", now="2026-03-19T10:00").output) == []
    assert show(run, 1, "2026-03-19T10:00")["owner"] == "李娜"
    rate(run, 1, **dict.fromkeys(POINTS[1:-1], "A"))
    assert show(run, 1)["grade"] is None                        # seven of eight
    rate(run, 1, urgency="A")
    assert show(run, 1)["grade"] == "A"                         # 100 points


def test_an_ungraded_lead_is_in_no_grade_list_and_due_calls_it_back(office):
    run = office
    add(run)
    rate(run, 1, funds="A")
    for g in "ABCD":
        assert json.loads(run("list", "--grade", g, "--json", now=NOW).output) == []
    due = json.loads(run("due", "--agent", "李娜", "--json", now="2026-03-08T09:00").output)
    first = [i for i in due if i["lead_id"] == 1]
    assert first and first[0]["kind"] == "first_call_back" and first[0]["grade"] is None
    assert run("list", "--grade", "X").output.strip().startswith("Error: grade 'X' is not on the scale")
    bad = run("list", "--stage", "bogus")
    assert bad.exit_code != 0 and bad.output.count("\n") == 1


# ------------------------------------------------------------ C → D only with a manager


def _rated_d(run):
    add(run)
    rate(run, 1, **dict.fromkeys(CAPPING, "A"))
    rate(run, 1, expected_deal="D", now="2026-03-06T10:00")


@pytest.mark.parametrize("lang, words", [("zh", ("资金到位=A", "预计成交时间=D", "渠道=来访")),
                                         ("en", ("funds ready=A", "expected deal=D", "channel=visit"))])
def test_the_record_a_manager_approves_reads_as_labels(office, lang, words):
    """The follow-up record ``approve`` prints is the lead's history as
    `show` writes it: labels and values in the reader's language, not the
    stored dict."""
    run = office
    _rated_d(run)
    out = run("--lang", lang, "approve", "1", "--agent", "陈经理", "--yes", now="2026-03-06T11:00").output
    assert all(w in out for w in words), out
    assert "{'" not in out and "expected_deal" not in out


def test_an_agents_d_rating_is_a_request_held_at_c_until_a_manager_approves(office):
    run = office
    _rated_d(run)
    st = show(run, 1, "2026-03-06T11:00")
    assert st["grade"] == "C"
    assert st["reasons"][0].startswith("held at C (rated D): a move into D waits for a manager's approval")
    dry = json.loads(run("review", "--dry-run", "--json", now="2026-03-06T11:00").output)
    assert [(c["lead_id"], c["change"], c["rule"]) for c in dry] == [(1, "C → D?", "d_requested")]

    refused = run("approve", "1", "--agent", "李娜", now="2026-03-06T11:00")
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    # the manager reads the record first; no (or no answer) writes nothing
    before = run("show", "1", "--json", now="2026-03-06T11:00").output
    no = run("approve", "1", "--agent", "陈经理", now="2026-03-06T11:00", input="n\n")
    assert no.exit_code == 1 and no.output.rstrip().endswith("Error: not approved; nothing was written "
                                                             "(--yes approves without asking)")
    assert run("show", "1", "--json", now="2026-03-06T11:00").output == before
    yes = run("approve", "1", "--agent", "陈经理", now="2026-03-06T11:00", input="y\n")
    assert yes.exit_code == 0, yes.output
    out = yes.output
    assert out.index("Follow-up record:") < out.index("expected deal=D") < out.index("Approve the move into D?")
    assert out.rstrip().endswith("grade C → D: approved by 陈经理")
    assert show(run, 1, "2026-03-06T11:00")["grade"] == "D"


def test_an_agent_cannot_undo_a_managers_d_a_manager_can_lift_it(office):
    run = office
    _rated_d(run)
    assert run("approve", "1", "--agent", "陈经理", "--yes", now="2026-03-06T11:00").exit_code == 0
    rate(run, 1, funds="A", now="2026-03-06T12:00")             # a value it already had
    assert show(run, 1, "2026-03-06T12:00")["grade"] == "D"
    rate(run, 1, expected_deal="A", now="2026-03-06T13:00")     # even a real re-rating
    assert show(run, 1, "2026-03-06T13:00")["grade"] == "D"
    bad = run("lift", "1", "--agent", "李娜", now="2026-03-06T14:00")
    assert bad.exit_code == 1 and bad.output.strip() == "Error: 李娜 is not a manager; only a manager may do this"
    ok = run("lift", "1", "--agent", "陈经理", "--note", "客户重新来电", now="2026-03-06T14:00")
    assert ok.exit_code == 0 and ok.output.strip() == "grade D → A: downgrade lifted by 陈经理"
    assert show(run, 1, "2026-03-06T14:00")["grade"] == "A"
    again = run("lift", "1", "--agent", "陈经理", now="2026-03-06T14:00")
    assert again.output.strip() == "Error: lead #1 has no downgrade in effect; there is nothing to lift"


def test_a_weekly_downgrade_holds_against_a_value_the_lead_already_had(office):
    run = office
    add(run)
    rate(run, 1, **{**dict.fromkeys(CAPPING, "A"), "price": "B"})  # B
    # no progress for two weeks: B → C (review of week 12)
    out = json.loads(run("review", "--json", now="2026-03-19T10:00").output)
    assert [c["change"] for c in out] == ["B → C"]
    rate(run, 1, price="B", funds="A", now="2026-03-19T11:00")  # values it already had
    assert show(run, 1, "2026-03-19T11:00")["grade"] == "C"
    rate(run, 1, price="A", now="2026-03-19T12:00")             # a real re-rating lifts it
    assert show(run, 1, "2026-03-19T12:00")["grade"] == "A"


# ------------------------------------------------------------ D → pool → other agents


def _approved_d_open_pool(run):
    """Lead #1 rated D and approved by the manager, in an office whose
    agents claim from the pool."""
    assert run("settings", "set", "ownership.pool_claims", "open").exit_code == 0
    _rated_d(run)
    assert run("approve", "1", "--agent", "陈经理", "--yes", now="2026-03-06T11:00").exit_code == 0


def test_a_redistributed_d_lead_is_not_pooled_again_and_its_original_agent_cannot_claim_it(office):
    run = office
    _approved_d_open_pool(run)
    out = json.loads(run("review", "--json", now="2026-03-09T10:00").output)
    assert [c["change"] for c in out] == ["李娜 → pool"]
    # within the office's reclaim bar (ownership.reclaim_days 7) and past it, the D bar
    # holds: the refusal never names a day from which the claim would be allowed
    for now in ("2026-03-09T11:00", "2026-03-15T23:59", "2026-03-16T00:00", "2026-03-17T11:00"):
        claim = run("claim", "1", "--agent", "李娜", now=now)
        assert claim.exit_code == 1
        assert claim.output.strip() == ("Error: 李娜 cannot claim lead #1 back: it was pooled as grade D from 李娜, "
                                        "and the manager redistributes D leads to other agents (互换资源); "
                                        "ask a manager"), now
    back = run("reassign", "1", "--to", "李娜", "--reason", "redistribute", "--agent", "陈经理",
               now="2026-03-09T11:00")
    assert back.exit_code == 1 and "redistribute it to another agent" in back.output
    assert show(run, 1, "2026-03-09T11:00")["owner"] is None
    ok = run("reassign", "1", "--to", "王强", "--reason", "redistribute", "--agent", "陈经理", now="2026-03-09T11:00")
    assert ok.exit_code == 0, ok.output
    st = show(run, 1, "2026-03-09T12:00")
    assert st["owner"] == "王强" and st["grade"] == "D"
    # the new agent works it: weekly (C cadence), from the hand-over, not from 李娜's last follow-up
    assert st["next_follow_up"] == "2026-03-16"
    for now, due in (("2026-03-15T18:00", []), ("2026-03-16T09:00", [1])):
        items = json.loads(run("due", "--agent", "王强", "--json", now=now).output)
        assert [i["lead_id"] for i in items if i["kind"] == "follow_up"] == due, now
        assert all(not i.get("days_overdue") for i in items), now
    # next week's review: the same downgrade does not pool it again
    assert json.loads(run("review", "--json", now="2026-03-16T10:00").output) == []
    assert show(run, 1, "2026-03-16T10:00")["owner"] == "王强"


def test_a_d_lead_the_manager_redistributed_straight_away_is_not_pooled_by_the_next_review(office):
    """互换资源 without the pool in between: the manager hands the approved D
    lead to another agent before the weekly review; the review leaves it
    with him (it pooled it from him)."""
    run = office
    _approved_d_open_pool(run)
    ok = run("reassign", "1", "--to", "王强", "--reason", "redistribute", "--agent", "陈经理", now="2026-03-06T12:00")
    assert ok.exit_code == 0, ok.output
    assert json.loads(run("review", "--json", now="2026-03-09T10:00").output) == []
    assert show(run, 1, "2026-03-09T10:00")["owner"] == "王强"
    assert json.loads(run("pool", "--json", now="2026-03-09T10:00").output) == []


def test_another_agent_may_claim_a_pooled_d_lead(office):
    run = office
    _approved_d_open_pool(run)
    run("review", now="2026-03-09T10:00")
    ok = run("claim", "1", "--agent", "王强", now="2026-03-09T11:00")
    assert ok.exit_code == 0, ok.output
    assert show(run, 1, "2026-03-09T11:00")["owner"] == "王强"


# ------------------------------------------------------------ deal report


def _deal(run, i, now="2026-03-05T11:00", **attributes):
    add(run, phone=f"1390000{i:04d}", name=f"客户{i}")
    if attributes:
        rate(run, i, **attributes)
    assert run("log", str(i), "contract", "--agent", "李娜", "--set", "units=1", "--set", "amount=900000",
               now=now).exit_code == 0


def test_deal_report_keeps_company_purchases_out_of_age_bands_and_adds_area_and_building_unit(office):
    run = office
    _deal(run, 1, age=30, area=79.9, building="B", unit_type="two_rooms")
    _deal(run, 2, age=31, area=80, building="B", unit_type="two_rooms")
    _deal(run, 3, age=45, area=100, building="C", unit_type="three_rooms")
    _deal(run, 4, age=45, area=100.5, building="B", unit_type="two_rooms", company_purchase="yes")
    _deal(run, 5, area=134, building="D", unit_type="three_rooms", company_purchase="yes")
    _deal(run, 6, age=60, area=134.5)
    out = json.loads(run("report", "deals", "--by", "age_band", "--json", now="2026-03-06T10:00").output)
    assert [(g["value"], g["deals"]) for g in out["groups"]] == [
        ("19-30", 1), ("31-40", 1), ("41-50", 1), ("50+", 1), ("company", 2)]   # 45-year-old company: out
    out = json.loads(run("report", "deals", "--by", "area_band", "--json", now="2026-03-06T10:00").output)
    assert [(g["value"], g["deals"]) for g in out["groups"]] == [
        ("under_80", 1), ("80-100", 2), ("100-134", 2), ("over_134", 1)]
    out = json.loads(run("report", "deals", "--by", "building_unit_type", "--json", now="2026-03-06T10:00").output)
    assert [(g["value"], g["deals"], g["label"]["zh"]) for g in out["groups"]] == [
        (["B", "two_rooms"], 3, "B栋 两房"), (["C", "three_rooms"], 1, "C栋 三房"),
        (["D", "three_rooms"], 1, "D栋 三房"), (None, 1, "未记录")]
    zh = run("--lang", "zh", "report", "deals", "--by", "area_band", now="2026-03-06T10:00").output
    assert "80–100㎡" in zh


# ------------------------------------------------------------ settings that contradict each other


@pytest.mark.parametrize("key, bad, good", [
    ("realestate.points_b", "91", "90"),                        # B above A (90)
    ("realestate.points_c", "71", "70"),                        # C above B (70)
    ("realestate.points_a", "69", "70"),                        # A below B
    ("realestate.phase_strong_target_low", "51", "50"),         # a low target above its high (50)
    ("realestate.phase_strong_target_high", "39", "40"),        # a high target below its low (40)
    ("realestate.phase_continuous_target_low", "39", "40"),     # a later phase's target below an earlier one
    ("realestate.visits_b", "4", "3"),
    ("realestate.table_points_c", "8", "7"),
    ("realestate.contact_a_days", "16", "15"),
    ("realestate.decay_normal_days", "31", "30"),
    ("realestate.decay_watching_points", "-1", "-2"),
    ("realestate.cadence_a_days", "6", "5"),
    ("software_sales.win_band_4", "96", "95"),
    ("software_sales.cadence_sprint_days", "4", "3"),
    ("machinery.a_site_days", "91", "90"),
    ("machinery.cadence_c_days", "31", "30"),
    ("machinery.level_b_amount", "10000001", "10000000"),
    ("machinery.abc_b_share", "20.5", "20"),                    # A 80 % + B within 100 %
    ("ownership.commission_mortgage_pct", "49", "50"),          # commission shares are cumulative
])
def test_settings_refuse_impossible_orders_with_one_line_and_accept_the_boundary(run, key, bad, good):
    for industry in ("realestate", "software_sales", "machinery"):
        assert run("init", "--industry", industry, "--simulation").exit_code == 0
    before = run("settings", "list", "--json").output
    result = run("settings", "set", key, "--", bad)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: {key}: {bad}")
    assert run("settings", "list", "--json").output == before   # nothing written
    assert run("settings", "set", key, "--", good).exit_code == 0


def test_resetting_a_setting_to_a_default_that_breaks_the_order_is_refused(run):
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    assert run("settings", "set", "realestate.points_c", "40").exit_code == 0
    assert run("settings", "set", "realestate.points_b", "50").exit_code == 0
    assert run("settings", "set", "realestate.points_a", "60").exit_code == 0
    result = run("settings", "reset", "realestate.points_b")   # the default 70 is above A's 60
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: realestate.points_b: 70 is above realestate.points_a (60); "
                                     "lower it, or raise realestate.points_a first")
