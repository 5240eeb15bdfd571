"""Ownership by the book (issue #11): every rule of DOMAIN §3 and seeds
002/004 from the command line, at both sides of each boundary."""

import json

import pytest

NOW = "2026-03-05T10:00"


@pytest.fixture
def office(realestate_office):
    return realestate_office


def add(run, phone="13800138000", name="张伟", *extra, agent="李娜", now=NOW):
    r = run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "M", "--phone", phone,
            "--need", "三房", "--agent", agent, *extra, "--json", now=now)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["id"]


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def one_line_refusal(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def n_events(run):
    return sum(len(js(run("show", str(i), "--json", now="2026-12-31T10:00"))["events"])
               for i in (r["id"] for r in js(run("list", "--json", now="2026-12-31T10:00"))))


def owner(run, lead, now):
    return js(run("show", str(lead), "--json", now=now))["owner"]


def split(run, lead, now):
    """The lead's one deal: its credit rule and each agent's share."""
    (d,) = js(run("credit", str(lead), "--json", now=now))
    return d["rule"], {s["agent"]: s["share"] for s in d["shares"]}


def rules(run, lead, now):
    return [h["rule"] for h in js(run("history", str(lead), "--json", now=now))["history"]]


def office_002(run):
    """An office without 004's new-client rule (002's own rules only)."""
    run("settings", "set", "ownership.first_callback_days", "0")
    run("settings", "set", "ownership.new_intent_days", "0")


def visit(run, lead, agent, now, *extra):
    r = run("log", str(lead), "visit", "--agent", agent, *extra, now=now)
    assert r.exit_code == 0, r.output


def call_back(run, lead, agent, now):
    r = run("log", str(lead), "follow_up", "--agent", agent, "--reaction", "积极", "--note", "电话回访", now=now)
    assert r.exit_code == 0, r.output


# ------------------------------------------------------------ recognition


def test_unnamed_returning_client_minute_15_recognised_minute_16_the_receivers(office):
    run = office
    a, b = add(run), add(run, "13900139000", "刘洋")
    for lead in (a, b):
        call_back(run, lead, "李娜", "2026-03-08T10:00")
        visit(run, lead, "王强", "2026-03-12T10:00")  # the client does not name 李娜
    h = js(run("history", str(a), "--json", now="2026-03-12T10:10"))
    assert h["owner"] == "李娜" and h["awaiting_recognition"] == "王强"
    assert "unless 李娜 recognises them" in run("history", str(a), now="2026-03-12T10:10").output
    assert js(run("recognize", str(a), "--agent", "李娜", "--json", now="2026-03-12T10:15"))["owner"] == "李娜"
    assert rules(run, a, "2026-03-12T12:00")[-1] == "recognized"
    assert owner(run, a, "2026-03-12T12:00") == "李娜"
    one_line_refusal(run("recognize", str(b), "--agent", "李娜", now="2026-03-12T10:16"),
                     "16 minutes after 王强's reception at 2026-03-12 10:00:00, outside the 15-minute window")
    # a second past the window is said as it is, not as "15 minutes" nor rounded up to 16
    one_line_refusal(run("recognize", str(b), "--agent", "李娜", now="2026-03-12T10:15:01"),
                     "15 min 1 s after 王强's reception at 2026-03-12 10:00:00, outside the 15-minute window")
    one_line_refusal(run("recognize", str(b), "--agent", "李娜", now="2026-03-12T10:15:30"),
                     "15 min 30 s after 王强's reception")
    said = run("--lang", "zh", "recognize", str(b), "--agent", "李娜", now="2026-03-12T10:15:30")
    assert "15分30秒" in said.stderr and "min" not in said.stderr, said.stderr
    assert owner(run, b, "2026-03-12T10:16") == "王强"
    assert rules(run, b, "2026-03-12T10:16")[-1] == "not_recognized"
    # the demerit for failing to recognise one's own client is on the ledger
    pen = js(run("penalties", "--json", now="2026-03-12T12:00"))
    assert [(p["agent"], p["kind"], p["lead_id"], p["source"]) for p in pen] == [
        ("李娜", "failed_recognition", b, "derived")]


def test_recognition_window_variant_5_minutes(office):
    run = office
    run("settings", "set", "ownership.recognition_minutes", "5")
    a, b = add(run), add(run, "13900139000", "刘洋")
    visit(run, a, "王强", "2026-03-06T10:00")
    visit(run, b, "王强", "2026-03-06T10:00")
    assert js(run("recognize", str(a), "--agent", "李娜", "--json", now="2026-03-06T10:05"))["owner"] == "李娜"
    one_line_refusal(run("recognize", str(b), "--agent", "李娜", now="2026-03-06T10:06"), "5-minute window")


def test_a_client_who_names_the_owner_stays_with_the_owner(office):
    run = office
    lead = add(run)
    visit(run, lead, "王强", "2026-03-12T10:00", "--set", "asks_for=李娜")
    h = js(run("history", str(lead), "--json", now="2026-03-12T11:00"))
    assert h["owner"] == "李娜" and h["awaiting_recognition"] is None
    assert [s["agent"] for s in h["stand_ins"]] == ["王强"]


def test_owner_away_is_no_failure_to_recognise(office):
    run = office
    lead = add(run)
    run("agent", "away", "李娜", "--reason", "personal", now="2026-03-06T09:00")
    visit(run, lead, "王强", "2026-03-06T10:00")
    # 王强 stands in (§3.6; seeds 002 #8, 004 第一接待原则: 辅助接待): the client stays 李娜's
    assert owner(run, lead, "2026-03-06T11:00") == "李娜"
    assert js(run("penalties", "--json", now="2026-03-06T11:00")) == []


def _returning_visit(run, tmp_path, path, lead, agent, at):
    """A colleague's visit on ``lead`` (张伟, 13800138000), through ``log`` or a register import."""
    if path == "log":
        return visit(run, lead, agent, at)
    register = tmp_path / "register.csv"
    register.write_text(f"姓名,性别,手机,需求,来访日期,置业顾问\n张伟,男,13800138000,三房,{at.replace('T', ' ')},{agent}\n",
                        encoding="utf-8")
    r = run("import", str(register), "--industry", "realestate", "--json", now=at)
    assert js(r)["merged"] == 1


@pytest.mark.parametrize("path", ["log", "import"])
@pytest.mark.parametrize("away", [True, False])
def test_a_register_s_returning_visit_is_read_as_logging_it_is(office, tmp_path, path, away):
    """An owner marked away (§3.6): the colleague stands in, no recognition
    window opens, whether the visit is logged or comes in a register; an
    owner at the desk has the 15-minute window either way."""
    run = office
    lead = add(run)
    if away:
        run("agent", "away", "李娜", "--reason", "business", now="2026-03-06T09:00")
    _returning_visit(run, tmp_path, path, lead, "王强", "2026-03-06T10:00")
    h = js(run("history", str(lead), "--json", now="2026-03-06T10:05"))
    assert h["owner"] == "李娜"
    assert h["awaiting_recognition"] == (None if away else "王强")
    assert owner(run, lead, "2026-03-06T10:16") == ("李娜" if away else "王强")
    events = js(run("show", str(lead), "--json", now="2026-03-06T10:16"))["events"]
    assert events[-1]["data"].get("owner_away") == ("business" if away else None)
    assert events[-1]["data"]["not_owner"] is True and events[-1]["data"]["owner"] == "李娜"


@pytest.mark.parametrize("how", ["named", "away", "owner"])
def test_a_visit_that_stays_the_owner_s_renews_the_protection(office, how):
    """§3.4: 30 days from the later of the last visit and the last recorded
    follow-up. A client who names the owner (§3.2), or comes while the owner
    is marked away (§3.6), visits the owner's client: the protection runs
    from that visit, as from one the owner receives."""
    run = office
    lead = add(run)
    run("log", str(lead), "follow_up", "--agent", "李娜", "--reaction", "积极", "--note", "回访",
        now="2026-03-06T10:00")
    if how == "away":
        run("agent", "away", "李娜", "--reason", "personal", now="2026-03-10T09:00")
    if how == "owner":
        visit(run, lead, "李娜", "2026-03-10T15:00")
    else:
        visit(run, lead, "王强", "2026-03-10T15:00", *(("--set", "asks_for=李娜") if how == "named" else ()))
    # from the follow-up (03-06) it would lapse on 04-06; from the visit (03-10), on 04-10
    assert owner(run, lead, "2026-04-06T09:00") == "李娜"
    assert owner(run, lead, "2026-04-09T23:59") == "李娜"
    assert owner(run, lead, "2026-04-10T00:00") is None


def test_thirty_days_without_contact_the_receiver_regardless(office):
    run = office
    office_002(run)
    run("settings", "set", "ownership.protection_days", "90")  # 3 months (002's other variant)
    a, b = add(run), add(run, "13900139000", "刘洋")
    visit(run, a, "王强", "2026-04-04T10:00")  # day 30 after the last contact: the window decides
    assert js(run("history", str(a), "--json", now="2026-04-04T10:05"))["awaiting_recognition"] == "王强"
    visit(run, b, "王强", "2026-04-05T10:00")  # day 31: the receiver's at once
    assert owner(run, b, "2026-04-05T10:01") == "王强"
    assert rules(run, b, "2026-04-05T10:01")[-1] == "no_contact"
    one_line_refusal(run("recognize", str(b), "--agent", "李娜", now="2026-04-05T10:01"),
                     "no longer 李娜's client")


def test_a_lapsed_client_cannot_be_recognised_back(office):
    run = office
    lead = add(run)
    visit(run, lead, "王强", "2026-04-10T10:00")  # day 36: lapsed, a new client
    one_line_refusal(run("recognize", str(lead), "--agent", "李娜", now="2026-04-10T10:05"),
                     "no longer 李娜's client")
    assert owner(run, lead, "2026-04-10T10:05") == "王强"


# --------------------------------------------------- 004's new-client rule


def test_no_first_call_back_day_10_vs_day_11(office):
    run = office
    a, b = add(run), add(run, "13900139000", "刘洋")
    visit(run, a, "王强", "2026-03-15T10:00")  # day 10: still 李娜's returning client
    assert js(run("history", str(a), "--json", now="2026-03-15T10:05"))["awaiting_recognition"] == "王强"
    visit(run, b, "王强", "2026-03-16T10:00")  # day 11: a new client for the queue
    assert owner(run, b, "2026-03-16T10:00") == "王强"
    assert rules(run, b, "2026-03-16T10:00")[-1] == "no_first_callback"
    # show and history name the rule, in both languages
    assert "no first call-back within 10 days of the first visit (2026-03-05)" in \
        run("show", str(b), now="2026-03-16T10:00").output
    zh = js(run("--lang", "zh", "history", str(b), "--json", now="2026-03-16T10:00"))["history"][-1]
    assert zh["rule"] == "no_first_callback" and "初访（2026-03-05）后10天内未进行初次回访" in zh["reason"]


def test_fifteen_days_after_the_last_call_back_day_15_vs_day_16(office):
    run = office
    a, b = add(run), add(run, "13900139000", "刘洋")
    for lead in (a, b):
        call_back(run, lead, "李娜", "2026-03-07T10:00")
    visit(run, a, "王强", "2026-03-22T10:00")  # 15 days after the call-back
    assert js(run("history", str(a), "--json", now="2026-03-22T10:05"))["awaiting_recognition"] == "王强"
    visit(run, b, "王强", "2026-03-23T10:00")  # 16 days
    assert rules(run, b, "2026-03-23T10:00")[-1] == "no_new_intent"
    # a client who names the agent is the exception (004)
    c = add(run, "13700137000", "周杰")
    visit(run, c, "王强", "2026-03-30T10:00", "--set", "asks_for=李娜")
    assert owner(run, c, "2026-03-30T10:00") == "李娜"


# ------------------------------------------------------------------ credit


def test_the_owners_own_reception_counts_as_a_follow_up(office):
    run = office
    office_002(run)
    met, not_met = add(run), add(run, "13900139000", "刘洋")
    visit(run, met, "李娜", "2026-03-20T10:00")  # the owner met the client 5 days before
    for lead in (met, not_met):
        visit(run, lead, "王强", "2026-03-25T10:00")  # day 20: registration 20 days old
        run("log", str(lead), "contract", "--agent", "王强", now="2026-03-25T10:05")
    got = {d["deal_event_id"]: d for d in js(run("credit", str(met), "--json", now="2026-03-26T10:00"))}
    (deal,) = got.values()
    assert deal["rule"] == "collision" and {s["agent"]: s["share"] for s in deal["shares"]} == {
        "李娜": "1/2", "王强": "1/2"}
    (late,) = js(run("credit", str(not_met), "--json", now="2026-03-26T10:00"))
    assert {s["agent"]: s["share"] for s in late["shares"]} == {"王强": "4/5", "李娜": "1/5"}


@pytest.mark.parametrize("called_back, split", [(None, {"王强": "4/5", "李娜": "1/5"}),
                                                 ("2026-03-06T10:00", {"李娜": "1/2", "王强": "1/2"})])
def test_an_owner_who_never_called_back_gets_a_fifth_of_a_collision(office, called_back, split):
    """With 004's new-client rule on (the default), a colleague's reception
    8 days after the registration is a collision; the reception that
    registered the client is no follow-up record of the owner (002:
    没有回访记录…销售员A获得20%), a call-back the next day is."""
    run = office
    lead = add(run)
    if called_back:
        call_back(run, lead, "李娜", called_back)
    visit(run, lead, "王强", "2026-03-13T11:00")
    run("log", str(lead), "deposit", "--agent", "王强", "--set", "amount=50000", now="2026-03-13T11:05")
    (deal,) = js(run("credit", str(lead), "--json", now="2026-03-13T12:00"))
    assert {s["agent"]: s["share"] for s in deal["shares"]} == split
    assert deal["rule"] == ("collision" if called_back else "collision_late")


def _colleague_subscribes(run, phone):
    """王强 receives 李娜's unnamed client and takes the deposit inside the
    recognition window: a collision, subscribed on 2026-03-06."""
    lead = add(run, phone)
    call_back(run, lead, "李娜", "2026-03-05T18:00")
    visit(run, lead, "王强", "2026-03-06T10:00")
    run("log", str(lead), "deposit", "--agent", "王强", "--set", "amount=20000", now="2026-03-06T10:05")
    return lead


def test_dispute_window_runs_from_the_subscription_day_3_vs_day_4(office):
    run = office
    day3, day4 = _colleague_subscribes(run, "13800138000"), _colleague_subscribes(run, "13900139000")
    assert js(run("dispute", str(day3), "--claim", "knowingly", "--agent", "李娜", "--json",
                  now="2026-03-09T23:59"))["open_disputes"][0]["claimant"] == "李娜"
    before = n_events(run)
    one_line_refusal(run("dispute", str(day4), "--claim", "knowingly", "--agent", "李娜", now="2026-03-10T00:00"),
                     "the dispute window closed on 2026-03-09 (3 days after the subscription on 2026-03-06)")
    assert n_events(run) == before
    # the contract more than 3 days after the subscription is the same deal
    run("log", str(day4), "contract", "--agent", "王强", now="2026-03-11T10:00")
    (deal,) = js(run("credit", str(day4), "--json", now="2026-03-11T10:00"))
    assert deal["subscribed_at"] == "2026-03-06T10:05:00" and deal["disputable"] is False


def test_dispute_raised_by_an_agent_decided_by_a_manager(office):
    run = office
    lead = add(run)
    call_back(run, lead, "李娜", "2026-03-05T18:00")
    visit(run, lead, "王强", "2026-03-06T10:00")
    run("log", str(lead), "deposit", "--agent", "王强", "--set", "amount=20000", now="2026-03-06T10:05")
    # day 3 after the subscription, before the contract: the deal exists, the window is open
    d = js(run("dispute", str(lead), "--claim", "knowingly", "--agent", "李娜", "--note", "登记表在先",
               "--json", now="2026-03-09T17:00"))
    assert d["rule"] == "collision" and d["open_disputes"][0]["claimant"] == "李娜"  # raised, not decided
    one_line_refusal(run("dispute", str(lead), "--claim", "knowingly", "--agent", "李娜", now="2026-03-09T17:01"),
                     "already has an open dispute")
    one_line_refusal(run("decide", str(lead), "upheld", "--reason", "x", "--agent", "王强", now="2026-03-10T10:00"),
                     "not a manager")
    out = js(run("decide", str(lead), "upheld", "--split", "2/3", "--reason", "王强知情但有促成",
                 "--agent", "陈经理", "--json", now="2026-03-10T10:00"))
    assert out["rule"] == "dispute_split"
    assert {s["agent"]: s["share"] for s in out["shares"]} == {"李娜": "2/3", "王强": "1/3"}
    one_line_refusal(run("decide", str(lead), "rejected", "--reason", "x", "--agent", "陈经理",
                         now="2026-03-10T10:01"), "no open dispute")
    # the decision reads as one in the log, not as the lead's rating of the same key (决策人与家人意见)
    for lang, said, not_said in (("en", "decision=dispute upheld", "decision maker"), ("zh", "裁定=成立", "决策人")):
        shown = run("--lang", lang, "show", str(lead), now="2026-03-10T10:01").output
        line = next(ln for ln in shown.splitlines() if said in ln)
        assert said in line and not_said not in line, line
    # the contract 5 days after the subscription belongs to the same deal
    run("log", str(lead), "contract", "--agent", "王强", now="2026-03-11T10:00")
    (deal,) = js(run("credit", str(lead), "--json", now="2026-03-11T10:00"))
    assert deal["contract_at"] == "2026-03-11T10:00:00" and deal["rule"] == "dispute_split"


def test_a_rejected_dispute_leaves_the_credit_and_knowingly_takes_it_all(office):
    run = office
    a, b = add(run), add(run, "13900139000", "刘洋")
    for lead in (a, b):
        call_back(run, lead, "李娜", "2026-03-05T18:00")
        visit(run, lead, "王强", "2026-03-06T10:00")
        run("log", str(lead), "deposit", "--agent", "王强", now="2026-03-06T10:05")
        run("dispute", str(lead), "--claim", "knowingly", "--agent", "李娜", now="2026-03-07T10:00")
    assert js(run("decide", str(a), "rejected", "--reason", "客户未提及", "--agent", "陈经理", "--json",
                  now="2026-03-08T10:00"))["rule"] == "collision"
    out = js(run("decide", str(b), "upheld", "--reason", "王强明知", "--agent", "陈经理", "--json",
                 now="2026-03-08T10:00"))
    assert out["rule"] == "knowingly" and out["shares"][0]["agent"] == "李娜" and out["shares"][0]["share"] == "1"
    pen = js(run("penalties", "--json", "--agent", "王强", now="2026-03-08T11:00"))
    assert [(p["kind"], p["lead_id"]) for p in pen] == [("knowingly", b)]


def test_contract_as_the_deal_moment_has_no_deal_before_the_contract(office):
    run = office
    run("settings", "set", "ownership.deal_moment", "contract")
    lead = add(run)
    run("log", str(lead), "deposit", "--agent", "李娜", now="2026-03-06T10:00")
    one_line_refusal(run("dispute", str(lead), "--claim", "unrecognized", "--agent", "王强", now="2026-03-07T10:00"),
                     "has no deal yet")


def test_unrecognized_claim_keeps_the_late_owners_one_fifth(office):
    run = office
    run("settings", "set", "ownership.first_callback_days", "0")
    run("settings", "set", "ownership.new_intent_days", "0")
    run("settings", "set", "ownership.protection_days", "90")
    timely, late = add(run), add(run, "13900139000", "刘洋")
    call_back(run, timely, "李娜", "2026-03-20T10:00")
    for lead in (timely, late):
        visit(run, lead, "王强", "2026-03-25T10:00")  # not recognised within 15 minutes
        run("log", str(lead), "deposit", "--agent", "王强", now="2026-03-25T11:00")
        run("dispute", str(lead), "--claim", "unrecognized", "--agent", "李娜", now="2026-03-26T10:00")
        run("decide", str(lead), "upheld", "--reason", "登记表可证", "--agent", "陈经理", now="2026-03-26T11:00")
    assert split(run, timely, "2026-03-27T10:00") == ("unrecognized", {"李娜": "1/2", "王强": "1/2"})
    assert split(run, late, "2026-03-27T10:00") == ("unrecognized_late", {"王强": "4/5", "李娜": "1/5"})


def test_departed_agents_commission_is_30_percent_after_contract_and_full_payment(office):
    run = office
    lead = add(run)
    run("log", str(lead), "deposit", "--agent", "李娜", now="2026-03-06T10:00")
    run("agent", "leave", "李娜", "--to", "王强", now="2026-03-07T10:00")
    (d,) = js(run("credit", str(lead), "--json", now="2026-03-07T10:00"))
    assert d["commission"]["per_agent"] == [{"agent": "李娜", "payable_percent": 0, "percent_of_commission": "0",
                                            "departed": True}]
    run("log", str(lead), "contract", "--agent", "王强", now="2026-03-08T10:00")
    run("log", str(lead), "mortgage_processed", "--agent", "王强", now="2026-03-20T10:00")
    (d,) = js(run("credit", str(lead), "--json", now="2026-03-20T10:00"))
    assert d["commission"]["per_agent"][0]["payable_percent"] == 0  # the price is not paid in full yet
    run("log", str(lead), "loan_released", "--agent", "王强", now="2026-04-20T10:00")
    (d,) = js(run("credit", str(lead), "--json", now="2026-04-20T10:00"))
    assert d["commission"]["per_agent"][0]["payable_percent"] == 30


# -------------------------------------------------------------------- pool


def test_pool_claims_follow_the_documents_by_default(office):
    run = office
    lead = add(run)
    one_line_refusal(run("claim", str(lead), "--agent", "王强", now="2026-04-05T09:00"),
                     "the manager hands out pooled leads")
    assert js(run("reassign", str(lead), "--to", "王强", "--reason", "redistribute", "--agent", "陈经理", "--json",
                  now="2026-04-05T09:00"))["owner"] == "王强"


def test_phone_only_and_departed_leads_are_never_claimed(office):
    run = office
    run("settings", "set", "ownership.pool_claims", "open")
    phone = add(run, "13900139000", "刘洋", "--channel", "call", agent="王强")
    one_line_refusal(run("claim", str(phone), "--agent", "赵敏", now=NOW), "owned at the first visit")
    departed = add(run, agent="赵敏")
    run("agent", "leave", "赵敏", now="2026-03-06T10:00")
    one_line_refusal(run("claim", str(departed), "--agent", "王强", now="2026-03-06T10:00"),
                     "the manager's to reassign")


def test_daily_claim_limit_n_and_n_plus_1(office):
    run = office
    run("settings", "set", "ownership.pool_claims", "open")
    run("settings", "set", "ownership.claim_daily_limit", "2")
    leads = [add(run, f"1390013900{i}", f"客户{i}") for i in range(3)]
    later = "2026-04-05T09:00"  # all lapsed
    for lead in leads[:2]:
        assert js(run("claim", str(lead), "--agent", "王强", "--json", now=later))["owner"] == "王强"
    one_line_refusal(run("claim", str(leads[2]), "--agent", "王强", now=later), "claimed 2 leads today")
    assert js(run("claim", str(leads[2]), "--agent", "王强", "--json", now="2026-04-06T09:00"))["owner"] == "王强"


def test_previous_owner_barred_from_reclaiming_for_n_days_and_max_owned(office):
    run = office
    run("settings", "set", "ownership.pool_claims", "open")
    lead = add(run)  # lapses on 2026-04-05 (day 31)
    one_line_refusal(run("claim", str(lead), "--agent", "李娜", now="2026-04-11T09:00"),
                     "may claim it back from 2026-04-12")
    assert js(run("claim", str(lead), "--agent", "李娜", "--json", now="2026-04-12T09:00"))["owner"] == "李娜"
    run("settings", "set", "ownership.max_owned", "1")
    other = add(run, "13900139000", "刘洋", agent="赵敏", now="2026-03-06T10:00")
    one_line_refusal(run("claim", str(other), "--agent", "李娜", now="2026-04-12T09:00"), "owns 1 leads")


def test_max_owned_counts_the_leads_the_agent_has_at_the_clock(office):
    """A lead stored as the agent's whose protection has run out since is in
    the pool: it does not count towards ownership.max_owned (no rescore
    needed), as their list does not show it."""
    run = office
    other = add(run, "13900139002", "乙二", agent="李娜", now="2026-03-01T10:00")  # in the pool from 04-01
    mine = add(run, "13900139001", "甲一", agent="王强", now="2026-03-02T10:00")  # 王强's through 04-01
    run("settings", "set", "ownership.pool_claims", "open")
    run("settings", "set", "ownership.max_owned", "1")
    # day 30 of his lead's protection: 王强 still has it, and may not claim
    assert [r["id"] for r in js(run("list", "--owner", "王强", "--json", now="2026-04-01T23:59"))] == [mine]
    one_line_refusal(run("claim", str(other), "--agent", "王强", now="2026-04-01T23:59"), "owns 1 leads")
    # the midnight after it: his lead is in the pool, and the claim goes through
    assert js(run("list", "--owner", "王强", "--json", now="2026-04-02T00:00")) == []
    assert js(run("claim", str(other), "--agent", "王强", "--json", now="2026-04-02T00:00"))["owner"] == "王强"


def test_give_up_sends_the_lead_to_the_pool(office):
    run = office
    lead = add(run)
    one_line_refusal(run("give-up", str(lead), "--reason", "x", "--agent", "王强", now="2026-03-06T10:00"),
                     "only the owner gives a client up")
    out = js(run("give-up", str(lead), "--reason", "客户明确拒绝购买", "--agent", "李娜", "--json",
                 now="2026-03-06T10:00"))
    assert out["owner"] is None and out["rule"] == "given_up"
    visit(run, lead, "王强", "2026-03-07T10:00")
    run("log", str(lead), "contract", "--agent", "王强", now="2026-03-07T11:00")
    (d,) = js(run("credit", str(lead), "--json", now="2026-03-07T11:00"))
    assert [(s["agent"], s["share"]) for s in d["shares"]] == [("王强", "1")]


def test_lapse_warning_n_days_before_the_pool(office):
    run = office
    add(run)  # protection ends 2026-04-04
    due = lambda now: [i for i in js(run("due", "--agent", "李娜", "--json", now=now))  # noqa: E731
                       if i.get("kind") == "lapse_warning"]
    assert due("2026-03-31T09:00") == []  # 4 days before
    assert [i["days_left"] for i in due("2026-04-01T09:00")] == [3]


def test_no_lapse_warning_while_a_recognition_window_is_open(office):
    """A colleague receives the owner's returning client, who names no one:
    the owner has the lead to the window's end (15 minutes), which is no
    end of the protection period — no "protection ends" warning with
    negative days, at any clock of the window."""
    run = office
    lead = add(run, agent="王强", now="2026-03-02T09:00")
    call_back(run, lead, "王强", "2026-03-10T15:00")  # talked within 15 days: no new client (004)
    visit(run, lead, "李娜", "2026-03-20T10:00")
    warnings = lambda agent, now: [i for i in js(run("due", "--agent", agent, "--json", now=now))  # noqa: E731
                                   if i.get("kind") == "lapse_warning"]
    for now in ("2026-03-20T10:00", "2026-03-20T10:05", "2026-03-20T10:15"):
        assert warnings("王强", now) == [], now
        assert owner(run, lead, now) == "王强", now
    assert owner(run, lead, "2026-03-20T10:15:01") == "李娜"
    assert warnings("李娜", "2026-03-20T10:16") == []  # hers for 30 days from the reception
    assert [i["days_left"] for i in warnings("李娜", "2026-04-16T09:00")] == [3]  # protected through 04-19


# ------------------------------------------------------- registration


def test_phone_registration_cannot_name_an_agent(office):
    run = office
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone", "13800138000",
            "--need", "三房", "--channel", "call", "--agent", "王强", "--asks-for", "王强", now=NOW)
    one_line_refusal(r, "--asks-for goes with a visit")
    assert js(run("list", "--json", now=NOW)) == []
    lead = add(run, "13800138000", "张伟", "--channel", "call", agent="王强")
    visit(run, lead, "赵敏", "2026-03-07T10:00", "--set", "asks_for=王强")  # named on arrival
    assert owner(run, lead, "2026-03-07T10:00") == "王强"


def test_relation_on_a_new_phone_is_one_clear_line(office):
    run = office
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone", "13800138000",
            "--need", "三房", "--agent", "李娜", "--relation", "spouse", now=NOW)
    one_line_refusal(r, "--relation spouse: no realestate lead has phone")
    assert js(run("list", "--json", now=NOW)) == []


# ------------------------------------------------------------------ queue


def test_supervisor_sets_the_rotation_order(office):
    run = office
    one_line_refusal(run("queue-order", "赵敏", "李娜", "--agent", "王强", now=NOW), "not a manager")
    one_line_refusal(run("queue-order", "赵敏", "赵敏", "--agent", "陈经理", now=NOW), "named twice")
    assert "赵敏 → 李娜 → 王强" in run("queue-order", "赵敏", "李娜", "--agent", "陈经理", now=NOW).output
    take = lambda: js(run("receive", "--json", now=NOW))["agent"]  # noqa: E731
    assert [take(), take(), take()] == ["赵敏", "李娜", "王强"]


def test_lunch_settings_never_block_the_front_desk(office):
    run = office
    one_line_refusal(run("settings", "set", "ownership.lunch_start", "25:00"), "not a time of day as HH:MM")
    one_line_refusal(run("settings", "set", "ownership.lunch_start", "14:00"), "above ownership.lunch_end")
    run("settings", "set", "ownership.lunch_duty_agent", "赵敏")
    assert js(run("receive", "--json", now="2026-03-05T12:30"))["agent"] == "赵敏"
    run("agent", "leave", "赵敏", now="2026-03-05T12:40")
    r = js(run("receive", "--json", now="2026-03-05T12:45"))
    assert (r["agent"], r["kind"]) == ("李娜", "turn") and "not an agent in the rotation" in r["warning"]
    warned = run("--lang", "zh", "queue", now="2026-03-05T12:50").output
    assert "注意：ownership.lunch_duty_agent：'赵敏' 不是轮接中的顾问" in warned and "is not" not in warned


def test_returning_client_owner_present_or_stand_in(office):
    run = office
    assert js(run("receive", "--json", now=NOW))["agent"] == "李娜"
    r = js(run("receive", "--returning", "王强", "--json", now=NOW))
    assert (r["agent"], r["kind"], r["consumes_turn"]) == ("王强", "returning", False)
    run("agent", "away", "王强", "--reason", "personal", now=NOW)
    r = js(run("receive", "--returning", "王强", "--json", now=NOW))
    assert (r["agent"], r["kind"]) == ("李娜", "stand_in")  # the last in the current order
    assert js(run("receive", "--json", now=NOW))["agent"] == "赵敏"  # no turn was consumed


@pytest.mark.parametrize("deposit_at", ["2026-03-05T10:10", "2026-03-05T10:30"])
def test_a_stand_in_for_an_owner_marked_away_keeps_the_client_the_owners(office, deposit_at):
    """§3.5's window is for an owner who is there to recognise the client;
    with the owner marked away the colleague stands in (§3.6): the lead
    stays the owner's past the 15 minutes, no 失职 is derived, and a close
    by the stand-in splits 1/2 whenever it is logged (it became the stand-in's
    own client, all credit, after 10:15)."""
    run = office
    lead = add(run, agent="李娜", now="2026-03-02T10:00")
    run("agent", "away", "李娜", "--reason", "personal", now="2026-03-05T09:00")
    assert js(run("receive", "--returning", "李娜", "--json", now="2026-03-05T10:00"))["kind"] == "stand_in"
    assert run("log", str(lead), "visit", "--agent", "赵敏", now="2026-03-05T10:01").exit_code == 0
    assert js(run("show", str(lead), "--json", now="2026-03-05T10:20"))["owner"] == "李娜"
    assert run("log", str(lead), "deposit", "--agent", "赵敏", "--set", "amount=1", now=deposit_at).exit_code == 0
    credit = js(run("credit", str(lead), "--json", now="2026-03-05T11:00"))
    shares = {s["agent"]: s["share"] for d in credit for s in d["shares"]}
    assert shares == {"李娜": "1/2", "赵敏": "1/2"}, credit
    assert js(run("penalties", "--json", now="2026-03-05T11:00")) == []
    shown = run("--lang", "zh", "show", str(lead), now="2026-03-05T11:00").output
    assert "李娜当时不在岗" in shown and "owner_away" not in shown


@pytest.mark.parametrize("decision", ["reassign", "leave"])
def test_a_managers_decision_closes_a_recognition_window(office, decision):
    """A window opened by a colleague's reception ends with a manager's
    decision on the owner: it used to run out on the new owner (a 失职 for
    王强 after the lead was reassigned to him) or hand a departed agent's
    pooled lead to the receiver."""
    run = office
    lead = add(run, agent="李娜", now="2026-03-02T10:00")
    assert run("log", str(lead), "visit", "--agent", "王强", now="2026-03-05T10:00").exit_code == 0
    if decision == "reassign":
        assert run("reassign", str(lead), "--to", "王强", "--reason", "complaint", "--agent", "陈经理",
                   now="2026-03-05T10:05").exit_code == 0
        expected = "王强"
    else:
        assert run("agent", "leave", "李娜", now="2026-03-05T10:05").exit_code == 0
        expected = None
    shown = js(run("show", str(lead), "--json", now="2026-03-05T10:30"))
    assert shown["owner"] == expected
    history = js(run("history", str(lead), "--json", now="2026-03-05T10:30"))
    assert "not_recognized" not in [h["rule"] for h in history["history"]]
    assert js(run("penalties", "--json", now="2026-03-05T10:30")) == []


def test_a_knowingly_dispute_upheld_gives_the_owner_the_credit_and_the_client(office):
    """All credit to the owner (§3.6): credit, show and list name the same
    owner after the manager upholds it (list --owner found nobody)."""
    run = office
    lead = add(run, agent="李娜", now="2026-03-02T10:00")
    run("log", str(lead), "visit", "--agent", "王强", now="2026-03-05T10:00")
    run("log", str(lead), "deposit", "--agent", "王强", "--set", "amount=1", now="2026-03-06T11:00")
    assert run("dispute", str(lead), "--claim", "knowingly", "--agent", "李娜", now="2026-03-07T11:30").exit_code == 0
    assert run("decide", str(lead), "upheld", "--reason", "查实", "--agent", "陈经理",
               now="2026-03-07T12:00").exit_code == 0
    credit = js(run("credit", str(lead), "--json", now="2026-03-07T12:00"))
    assert [(s["agent"], s["share"]) for s in credit[0]["shares"]] == [("李娜", "1")]
    assert js(run("show", str(lead), "--json", now="2026-03-07T12:00"))["owner"] == "李娜"
    assert [r["id"] for r in js(run("list", "--owner", "李娜", "--json", now="2026-03-07T12:00"))] == [lead]


def test_a_walk_in_is_registered_by_the_agent_the_queue_named(office):
    run = office
    assert js(run("receive", "--json", now=NOW))["agent"] == "李娜"
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone", "13800138000",
            "--need", "三房", "--agent", "王强", now=NOW)
    one_line_refusal(r, "王强 has no walk-in from the queue today (the queue gave the last walk-in to 李娜)")
    add(run, agent="李娜")
    r = run("lead", "add", "--industry", "realestate", "--name", "刘洋", "--gender", "M", "--phone", "13900139000",
            "--need", "两房", "--agent", "李娜", now=NOW)
    one_line_refusal(r, "every walk-in the queue gave out today is registered")
    add(run, "13900139000", "刘洋", "--asks-for", "王强", agent="赵敏")  # a named request goes to its agent
    add(run, "13700137000", "周杰", agent="王强", now="2026-03-06T10:00")  # no queue used that day


@pytest.mark.parametrize("day, queued", [("2026-04-04", False),   # day 30: still 王强's, his own client's visit
                                         ("2026-04-05", True)])   # day 31: lapsed, a new client for the queue
def test_a_lapsed_client_s_visit_is_a_walk_in_for_the_queue(office, day, queued):
    """§3.4: a lapsed lead's next visit is a new client for the queue. Its
    old owner cannot log it on a day the queue named someone else; the
    agent it named can, and that uses the turn."""
    run = office
    office_002(run)  # 004's new-client rule would make day 30 a new client too
    lead = add(run, agent="王强", now="2026-03-02T10:00")
    call_back(run, lead, "王强", "2026-03-05T10:00")  # protected until 30 days after: 04-04 its last day
    assert js(run("receive", "--json", now=f"{day}T10:00"))["agent"] == "李娜"
    before = n_events(run)
    r = run("log", str(lead), "visit", "--agent", "王强", now=f"{day}T10:01")
    if not queued:
        assert r.exit_code == 0, r.output
        assert owner(run, lead, f"{day}T10:02") == "王强"
        return
    one_line_refusal(r, "王强 has no walk-in from the queue today (the queue gave the last walk-in to 李娜)")
    assert n_events(run) == before
    visit(run, lead, "李娜", f"{day}T10:02")
    assert owner(run, lead, f"{day}T10:03") == "李娜"
    # the visit used 李娜's walk-in: she has none left for a new registration
    r = run("lead", "add", "--industry", "realestate", "--name", "刘洋", "--gender", "M", "--phone", "13900139000",
            "--need", "两房", "--agent", "李娜", now=f"{day}T10:05")
    one_line_refusal(r, "every walk-in the queue gave out today is registered")


@pytest.mark.parametrize("day, new_client", [("2026-03-15", False),   # day 10 without a first call-back
                                              ("2026-03-16", True)])   # day 11: a new client (004)
def test_the_owner_s_own_late_visit_is_a_new_client_for_the_queue(office, day, new_client):
    """004: ten days without a first call-back make the next visit a new
    client, received by the queue's order — whoever logs it, the owner too."""
    run = office
    lead = add(run, agent="王强")
    assert js(run("receive", "--json", now=f"{day}T10:00"))["agent"] == "李娜"
    before = n_events(run)
    r = run("log", str(lead), "visit", "--agent", "王强", now=f"{day}T10:01")
    if not new_client:
        assert r.exit_code == 0, r.output
        assert rules(run, lead, f"{day}T10:02") == ["first_contact"]
        return
    one_line_refusal(r, "王强 has no walk-in from the queue today (the queue gave the last walk-in to 李娜)")
    assert n_events(run) == before
    # the client who names 王强 is the exception; on a day without the queue he takes it anew
    visit(run, lead, "王强", f"{day}T10:02", "--set", "asks_for=王强")
    assert rules(run, lead, f"{day}T10:03") == ["first_contact"]
    other = add(run, "13900139000", "刘洋", agent="王强")
    visit(run, other, "王强", "2026-03-17T10:00")  # no queue used that day
    assert rules(run, other, "2026-03-17T10:01") == ["first_contact", "no_first_callback"]
    assert owner(run, other, "2026-03-17T10:01") == "王强"


def test_a_family_member_s_visit_to_a_lapsed_lead_is_a_walk_in_for_the_queue(office):
    """The client's spouse comes to a lead whose protection lapsed: the visit
    makes it a new client, whose reception is the queue's (§3.4), as a
    visit logged on it is."""
    run = office
    office_002(run)
    lead = add(run, agent="王强", now="2026-03-02T10:00")  # lapsed after 04-01
    assert js(run("receive", "--json", now="2026-04-10T10:00"))["agent"] == "李娜"
    before = n_events(run)
    r = run("lead", "add", "--industry", "realestate", "--name", "张丽", "--gender", "F", "--phone", "13800138000",
            "--need", "三房", "--agent", "王强", "--relation", "spouse", now="2026-04-10T10:01")
    one_line_refusal(r, "王强 has no walk-in from the queue today (the queue gave the last walk-in to 李娜)")
    assert n_events(run) == before
    r = run("lead", "add", "--industry", "realestate", "--name", "张丽", "--gender", "F", "--phone", "13800138000",
            "--need", "三房", "--agent", "李娜", "--relation", "spouse", now="2026-04-10T10:02")
    assert r.exit_code == 0, r.output
    assert owner(run, lead, "2026-04-10T10:03") == "李娜"


# --------------------------------------------- 002's rules beyond the queue


def test_friend_viewing_for_someone_else_splits_50_50(office):
    run = office
    lead = add(run, "13800138000", "张伟", "--registered-as", "friend_viewing")  # the client's name and phone
    visit(run, lead, "王强", "2026-03-08T10:00")  # the client comes, does not name 李娜
    assert owner(run, lead, "2026-03-08T11:00") == "李娜"  # no recognition to wait for: they never met
    run("log", str(lead), "deposit", "--agent", "王强", now="2026-03-08T11:00")
    assert split(run, lead, "2026-03-08T11:00") == ("friend_viewing", {"李娜": "1/2", "王强": "1/2"})


def test_company_introduction_is_allocated_by_the_manager(office):
    run = office
    lead = add(run, "13800138000", "张伟", "--registered-as", "company_introduction", agent="王强")
    assert owner(run, lead, NOW) is None and rules(run, lead, NOW) == ["introduction"]
    run("settings", "set", "ownership.pool_claims", "open")
    one_line_refusal(run("claim", str(lead), "--agent", "王强", now=NOW), "allocated by the manager")
    assert js(run("reassign", str(lead), "--to", "赵敏", "--reason", "redistribute", "--agent", "陈经理",
                  "--json", now=NOW))["owner"] == "赵敏"


def test_family_arriving_separately_first_registration_or_split(office):
    run = office
    first = add(run)
    one_line_refusal(run("lead", "add", "--industry", "realestate", "--name", "李梅", "--gender", "F",
                         "--phone", "13900139000", "--need", "三房", "--agent", "王强", "--family-of", str(first),
                         now=NOW), "--family-of needs --relation")
    r = js(run("lead", "add", "--industry", "realestate", "--name", "李梅", "--gender", "F", "--phone",
               "13900139000", "--need", "三房", "--agent", "王强", "--family-of", str(first), "--relation",
               "spouse", "--json", now=NOW))
    assert r["id"] == first and r["owner"] == "李娜"  # one client: the first registration counts
    run("settings", "set", "ownership.family_separate", "split")
    second = add(run, "13700137000", "张小伟", "--family-of", str(first), "--relation", "child", agent="王强")
    assert second != first and owner(run, second, NOW) == "王强"
    run("log", str(first), "deposit", "--agent", "李娜", now="2026-03-06T10:00")
    assert split(run, first, "2026-03-06T10:00") == ("family_split", {"李娜": "1/2", "王强": "1/2"})


def test_buyer_on_the_contract_direct_family_decides(office):
    run = office
    family, stranger = add(run), add(run, "13900139000", "刘洋")
    run("log", str(family), "contract", "--agent", "李娜", "--set", "buyer=李梅", "--set", "buyer_relation=spouse",
        now="2026-03-06T10:00")
    (d,) = js(run("credit", str(family), "--json", now="2026-03-06T10:00"))
    assert d["rule"] == "owner_closed"
    visit(run, stranger, "王强", "2026-03-06T10:00", "--set", "asks_for=李娜")
    run("log", str(stranger), "contract", "--agent", "王强", "--set", "buyer=陈某", "--set", "buyer_relation=other",
        now="2026-03-06T10:05")
    assert split(run, stranger, "2026-03-06T10:05") == ("buyer_not_family", {"王强": "1"})


def test_penalties_recorded_by_a_manager(office):
    run = office
    lead = add(run)
    one_line_refusal(run("penalty", "add", "王强", "--kind", "dropped_client", "--note", "x", "--agent", "李娜",
                         now=NOW), "not a manager")
    one_line_refusal(run("penalty", "add", "王强", "--kind", "absence", "--amount", "-5", "--note", "x",
                         "--agent", "陈经理", now=NOW), "negative")
    for kind, amount in (("dropped_client", "200"), ("absence", "20"), ("grabbing", "100")):
        assert run("penalty", "add", "王强", "--kind", kind, "--amount", amount, "--lead", str(lead),
                   "--note", "现场记录", "--agent", "陈经理", now=NOW).exit_code == 0
    rows = js(run("penalties", "--agent", "王强", "--json", now=NOW))
    assert [(r["kind"], r["amount"], r["source"]) for r in rows] == [
        ("absence", 20.0, "recorded"), ("dropped_client", 200.0, "recorded"), ("grabbing", 100.0, "recorded")]
    assert "3 penalties: 王强 3" in run("penalties", now=NOW).output


def test_credit_shows_an_open_dispute_and_an_arbitrated_one_as_closed_for_good(office):
    """The table says a raised dispute waits for a manager (the JSON's
    ``open_disputes``); once arbitrated, the window is closed for good, not
    "closed on" a day still to come."""
    run = office
    lead = _colleague_subscribes(run, "13800138000")  # the window runs to 2026-03-09
    before = run("credit", str(lead), now="2026-03-07T09:00").output
    assert "disputes: open until 2026-03-09" in before and "open dispute" not in before
    raised = js(run("dispute", str(lead), "--claim", "knowingly", "--agent", "李娜", "--json",
                    now="2026-03-07T10:00"))["open_disputes"][0]
    for lang, said in (("en", f"open dispute (entry {raised['event_id']}): the closer knowingly worked another's "
                              "client, raised by 李娜"),
                       ("zh", f"未决争议（记录 {raised['event_id']}）")):
        shown = run("--lang", lang, "credit", str(lead), now="2026-03-07T10:01").output
        assert said in shown, shown
    result = run("arbitrate", str(lead), "--to", "李娜", "--reason", "首访在先", "--agent", "陈经理",
                 now="2026-03-08T10:00")
    assert result.exit_code == 0, result.output
    after = run("credit", str(lead), now="2026-03-08T10:01").output
    assert "disputes: closed by a manager's arbitration (final)" in after, after
    assert "2026-03-09" not in after and "open dispute" not in after
    # the arbitration settled the dispute: nothing is left to decide
    one_line_refusal(run("decide", str(lead), "upheld", "--reason", "x", "--agent", "陈经理", now="2026-03-08T10:05"),
                     "decided by a manager's arbitration, which is final")


def test_redistribute_moves_pool_leads_not_a_protected_one(office):
    """The manager redistributes the pool (lapsed, departed, D: DOMAIN §1);
    an owned lead keeps its protection and moves only on the client's
    complaint (§3.8). 李娜's lead is hers on the protection's last day and
    refused, with nothing written; the next morning it is in the pool and moves."""
    run = office
    lead = add(run)
    before = n_events(run)
    for lang, said in (("en", f"lead #{lead} is 李娜's"), ("zh", f"客户 #{lead} 归 李娜")):
        one_line_refusal(run("--lang", lang, "reassign", str(lead), "--to", "王强", "--reason", "redistribute",
                             "--agent", "陈经理", now="2026-04-04T09:00"), said)
    assert n_events(run) == before and owner(run, lead, "2026-04-04T09:00") == "李娜"
    assert js(run("reassign", str(lead), "--to", "王强", "--reason", "complaint", "--agent", "陈经理", "--json",
                  now="2026-04-04T09:30"))["owner"] == "王强"  # a complaint still moves it
    other = add(run, "13900139000", "刘洋")
    assert js(run("reassign", str(other), "--to", "王强", "--reason", "redistribute", "--agent", "陈经理",
                  "--json", now="2026-04-05T09:00"))["owner"] == "王强"


def test_redistribute_takes_an_owned_d_lead_of_another_industry(demo_copy, runner):
    """Software leads graded D keep their salesperson until the manager
    redistributes them (the scale's lowest grade, D); an owned A is refused."""
    from leadcycle.cli import cli

    def run(*args):
        return runner.invoke(cli, ["--db", demo_copy, *args])

    rows = js(run("list", "--industry", "software_sales", "--json"))
    weak = next(r for r in rows if r["grade"] == "D" and r["owner"])
    strong = next(r for r in rows if r["grade"] == "A" and r["owner"])
    to = next(a for a in ("李娜", "王强", "赵敏") if a not in (weak["owner"], strong["owner"]))
    assert js(run("reassign", str(weak["id"]), "--to", to, "--reason", "redistribute", "--agent", "陈经理",
                  "--json"))["owner"] == to
    one_line_refusal(run("reassign", str(strong["id"]), "--to", to, "--reason", "redistribute", "--agent", "陈经理"),
                     f"lead #{strong['id']} is {strong['owner']}'s (grade A)")


def test_a_client_who_phoned_first_is_called_back_within_3_days_of_the_first_visit(office):
    """004: the initial call-back within 3 days of the first visit. A lead
    registered by phone owes it from the day it comes (its visit is not
    the call-back), as `due` and `show` and `list` say alike; the owner's
    call-back then starts the grade's cadence."""
    run = office
    lead = add(run, "13800138421", "来电甲", "--channel", "call", agent="王强", now="2026-03-05T10:00")
    visit(run, lead, "赵敏", "2026-03-06T10:00", "--set", "asks_for=王强")
    for now, due in (("2026-03-08T09:00", False), ("2026-03-09T09:00", True), ("2026-03-10T09:00", True)):
        shown = js(run("show", str(lead), "--json", now=now))
        listed = {r["id"]: r for r in js(run("list", "--json", now=now))}
        assert shown["owner"] == "王强" and shown["next_follow_up"] == "2026-03-09"
        assert listed[lead]["next_follow_up"] == "2026-03-09"
        items = [i for i in js(run("due", "--agent", "王强", "--json", now=now)) if i["lead_id"] == lead]
        assert [i["kind"] for i in items if i["kind"] == "first_call_back"] == (["first_call_back"] if due else []), now
    call_back(run, lead, "王强", "2026-03-10T10:00")
    shown = js(run("show", str(lead), "--json", now="2026-03-10T11:00"))
    assert shown["next_follow_up"] > "2026-03-10"
    assert {r["id"]: r for r in js(run("list", "--json", now="2026-03-10T11:00"))}[lead]["next_follow_up"] == \
        shown["next_follow_up"]
