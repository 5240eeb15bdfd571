"""Corrections as events (issue #10 item 4): ``leadcycle void`` writes a
``void`` that points at an earlier entry; the entry stays in the register,
and everything derived — stage, cadence, owner, credit, phase, deal
report — leaves it out."""

import json

import pytest

from leadcycle import LeadBook

T = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", "--industry", "machinery",
               "--industry", "software_sales", now=T).exit_code == 0
    for name in ("李娜", "王强"):
        assert run("agent", "add", name, now=T).exit_code == 0
    assert run("agent", "add", "陈经理", "--manager", now=T).exit_code == 0
    assert run("settings", "set", "realestate.launch_date", "2026-03-01").exit_code == 0
    assert run("settings", "set", "realestate.total_units", "100").exit_code == 0
    return run


def add(run, phone="13800138000", name="张伟", agent="李娜", industry="realestate", now=T):
    r = run("lead", "add", "--industry", industry, "--name", name, "--gender", "男", "--phone", phone,
            "--need", "三房", "--agent", agent, "--set", "unit_type=three_rooms" if industry == "realestate"
            else "long_term_intent=yes" if industry == "machinery" else "sector=power", "--json", now=now)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["id"]


def log(run, lead, kind, *args, agent="李娜", now):
    r = run("log", str(lead), kind, "--agent", agent, *args, "--json", now=now)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["event"]["id"]


def show(run, lead, now):
    return json.loads(run("show", str(lead), "--json", now=now).output)


def void(run, lead, event, *args, agent="李娜", reason="录入错误", now):
    return run("void", str(lead), str(event), "--reason", reason, "--agent", agent, *args, now=now)


def n_events(run, lead, now="2026-04-01T10:00"):
    return len(show(run, lead, now)["events"])


def test_a_returned_unit_leaves_phase_deals_credit_stage_and_cadence(office, db_path):
    lead = add(office)
    log(office, lead, "assist", agent="王强", now="2026-03-06T10:00")
    deposit = log(office, lead, "deposit", "--set", "amount=50000", now="2026-03-07T10:00")
    contract = log(office, lead, "contract", "--set", "units=2", "--set", "amount=2400000", now="2026-03-08T10:00")
    before = show(office, lead, "2026-03-09T10:00")
    assert before["stage"] == "contracted" and before["next_follow_up"] is None
    assert json.loads(office("phase", "--json", now="2026-03-09T10:00").output)["units_sold"] == 2
    assert json.loads(office("report", "deals", "--json", now="2026-03-09T10:00").output)["deals"] == 1
    shares = json.loads(office("credit", str(lead), "--json", now="2026-03-09T10:00").output)[0]["shares"]
    assert {s["agent"] for s in shares} == {"李娜", "王强"}

    r = void(office, lead, contract, "--as", "退房", reason="客户退房", now="2026-03-09T10:00")
    assert r.exit_code == 0, r.output
    assert "stage contracted → subscribed" in r.output
    after = show(office, lead, "2026-03-09T11:00")
    assert after["stage"] == "subscribed" and after["next_follow_up"] is not None  # follow-ups resume
    assert json.loads(office("phase", "--json", now="2026-03-09T11:00").output)["units_sold"] == 0
    assert json.loads(office("report", "deals", "--json", now="2026-03-09T11:00").output)["deals"] == 0
    # the subscription stays the deal for credit (ownership.deal_moment), without its contract
    credit = json.loads(office("credit", str(lead), "--json", now="2026-03-09T11:00").output)
    assert [(d["deal_event_id"], d["contract_at"]) for d in credit] == [(deposit, None)]
    book = LeadBook.open(db_path)
    assert {r["deal_event_id"] for r in book.store.credit_rows(lead)} == {deposit}  # the stored ledger follows
    book.close()
    # the contract stays in the register, marked; the void says what and why
    events = {e["id"]: e for e in after["events"]}
    assert events[contract]["kind"] == "contract" and events[contract]["voided_by"] == contract + 1
    assert events[contract + 1]["data"] == {"event": contract, "as": "return_unit", "reason": "客户退房",
                                            "kind": "contract"}
    text = office("show", str(lead), now="2026-03-09T11:00").output
    assert f"void of #{contract} (contract) as returned unit: 客户退房" in text
    assert f"[voided by #{contract + 1} on 2026-03-09]" in text
    hist = json.loads(office("history", str(lead), "--json", now="2026-03-09T11:00").output)
    assert [(c["event"], c["as"], c["reason"]) for c in hist["corrections"]] == [
        (contract, "return_unit", "客户退房")]
    assert "Corrections:" in office("history", str(lead), now="2026-03-09T11:00").output
    # seen from before the void, the deal is still there
    assert json.loads(office("phase", "--json", now="2026-03-08T12:00").output)["units_sold"] == 2
    # 退定 of the deposit: back to client accumulation
    r = void(office, lead, deposit, "--as", "cancel_subscription", reason="退定", now="2026-03-10T10:00")
    assert r.exit_code == 0, r.output
    assert show(office, lead, "2026-03-10T11:00")["stage"] == "accumulation"


def test_cancelled_subscription_returns_the_stage_and_the_protection(office):
    lead = add(office)
    deposit = log(office, lead, "deposit", "--set", "amount=50000", now="2026-03-06T10:00")
    assert show(office, lead, "2026-03-06T11:00")["stage"] == "subscribed"
    # a subscribed client no longer lapses …
    assert show(office, lead, "2026-04-20T10:00")["owner"] == "李娜"
    r = void(office, lead, deposit, "--as", "退定", reason="客户退定金", now="2026-03-07T10:00")
    assert r.exit_code == 0, r.output
    assert "stage subscribed → accumulation" in r.output
    # … and without the deposit the 30-day protection from the registration visit applies again
    assert show(office, lead, "2026-04-04T23:00")["owner"] == "李娜"
    assert show(office, lead, "2026-04-05T00:00")["owner"] is None


def test_a_cancelled_subscription_after_a_contract_is_a_returned_unit(office):
    lead = add(office)
    deposit = log(office, lead, "deposit", "--set", "amount=50000", now="2026-03-06T10:00")
    contract = log(office, lead, "contract", "--set", "units=1", now="2026-03-07T10:00")
    n = n_events(office, lead)
    r = void(office, lead, deposit, "--as", "cancel_subscription", now="2026-03-08T10:00")
    assert r.exit_code == 1
    assert f"leadcycle void {lead} {contract} --as return_unit" in r.output
    r = void(office, lead, contract, "--as", "cancel_subscription", now="2026-03-08T10:00")
    assert r.exit_code == 1 and "voids deposit entries, and event" in r.output
    assert n_events(office, lead) == n


def test_refused_voids_write_nothing(office):
    lead = add(office)
    other = add(office, phone="13900139000", name="李四")
    visit = log(office, lead, "visit", now="2026-03-06T10:00")
    foreign = log(office, other, "visit", now="2026-03-06T10:00")
    assert void(office, lead, visit, now="2026-03-07T10:00").exit_code == 0
    n = n_events(office, lead)
    register = show(office, lead, "2026-03-07T11:00")["events"][0]["id"]
    cases = [
        ((lead, visit), {}, "was already voided by"),
        ((lead, visit + 2), {}, "is itself a void"),
        ((lead, register), {}, "registration, the evidence of ownership"),
        ((lead, foreign), {}, f"is not in lead #{lead}'s log"),
        ((lead, 999), {}, "is not in lead"),
        ((lead, "x"), {}, "is not an event id"),
        ((lead, visit), {"reason": " "}, "--reason is required"),
        ((lead, visit), {"agent": "ghost"}, "unknown agent 'ghost'"),
    ]
    for (lead_id, event), kw, message in cases:
        r = void(office, lead_id, event, now="2026-03-08T10:00", **kw)
        assert r.exit_code == 1 and message in r.output, (event, r.output)
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    r = office("void", str(lead), str(visit), "--reason", "x", now="2026-03-08T10:00")
    assert r.exit_code == 1 and "give --agent NAME" in r.output
    r = void(office, other, foreign, "--as", "lost", now="2026-03-08T10:00")
    assert r.exit_code == 1 and "is not a correction; use one of: wrong_entry" in r.output
    # a colleague may not void the owner's entry; a manager may
    r = void(office, other, foreign, agent="王强", now="2026-03-08T10:00")
    assert r.exit_code == 1 and "belongs to 李娜" in r.output
    assert n_events(office, lead) == n and n_events(office, other) == 2
    assert void(office, other, foreign, agent="陈经理", now="2026-03-08T10:00").exit_code == 0


def test_deal_steps_need_the_step_before(office):
    lead = add(office)
    n = n_events(office, lead)
    for kind, message in (("mortgage_processed", "has no contract yet"), ("loan_released", "has no contract yet")):
        r = office("log", str(lead), kind, "--agent", "李娜", now="2026-03-06T10:00")
        assert r.exit_code == 1 and message in r.output, r.output
    contract = log(office, lead, "contract", "--set", "units=1", now="2026-03-07T10:00")
    r = office("log", str(lead), "loan_released", "--agent", "李娜", now="2026-03-08T10:00")
    assert r.exit_code == 1 and "has no mortgage_processed yet" in r.output
    assert n_events(office, lead) == n + 1
    mortgage = log(office, lead, "mortgage_processed", now="2026-03-09T10:00")
    r = office("log", str(lead), "mortgage_processed", "--agent", "李娜", now="2026-03-09T11:00")
    assert r.exit_code == 1 and "already logged on 2026-03-09" in r.output
    loan = log(office, lead, "loan_released", now="2026-03-10T10:00")
    assert show(office, lead, "2026-03-10T11:00")["stage"] == "loan_released"
    # a returned unit after the loan: its later steps are voided first
    r = void(office, lead, contract, "--as", "return_unit", now="2026-03-11T10:00")
    assert r.exit_code == 1 and f"would leave #{mortgage} (mortgage_processed" in r.output
    r = void(office, lead, mortgage, "--as", "return_unit", now="2026-03-11T10:00")
    assert r.exit_code == 1 and f"would leave #{loan} (loan_released" in r.output
    for event in (loan, mortgage, contract):
        assert void(office, lead, event, "--as", "return_unit", now="2026-03-11T10:00").exit_code == 0
    state = show(office, lead, "2026-03-11T11:00")
    assert state["stage"] == "accumulation"
    credit = json.loads(office("credit", str(lead), "--json", now="2026-03-11T11:00").output)
    assert credit == []


def test_machinery_order_with_payment_is_not_voided_before_the_payment(office):
    lead = add(office, industry="machinery")
    order = log(office, lead, "order", "--set", "amount=300000", "--set", "units=1", "--set", "model=3CX",
                "--set", "profit=30000", now="2026-03-06T10:00")
    payment = log(office, lead, "payment", "--set", "amount=300000", "--set", "on_time=yes",
                  now="2026-03-07T10:00")
    r = void(office, lead, order, "--as", "return_unit", now="2026-03-08T10:00")
    assert r.exit_code == 1 and f"would leave #{payment} (payment" in r.output and "no order yet" in r.output
    assert void(office, lead, payment, "--as", "退款", now="2026-03-08T10:00").exit_code == 0
    assert void(office, lead, order, "--as", "return_unit", now="2026-03-08T10:00").exit_code == 0
    tx = show(office, lead, "2026-03-08T11:00")["extra"]["x_transactions"]
    assert tx["orders"] == 0 and tx["paid"] == 0
    accounts = json.loads(office("accounts", "--json", now="2026-03-08T11:00").output)
    assert accounts["accounts"] == []


def test_a_voided_follow_up_is_not_counted_and_a_stage_needs_its_evidence(office):
    lead = add(office, industry="software_sales")
    follow = log(office, lead, "follow_up", "--reaction", "积极", "--note", "介绍产品", now="2026-03-06T10:00")
    assert show(office, lead, "2026-03-06T11:00")["extra"]["x_follow_ups"]["count"] == 1
    assert void(office, lead, follow, now="2026-03-07T10:00").exit_code == 0
    assert show(office, lead, "2026-03-07T11:00")["extra"]["x_follow_ups"]["count"] == 0
    # a stage entered on an attribute: voiding the attribute's entry waits for the stage's void
    r = office("lead", "set", str(lead), "company=华信电力", "employees=300", "it_landscape=SAP", "competitors=用友",
               "requirements=培训", "budget=50", "project_team=IT部", "--agent", "李娜", "--json",
               now="2026-03-08T10:00")
    assert r.exit_code == 0, r.output
    setting = show(office, lead, "2026-03-08T10:00")["events"][-1]["id"]
    r = office("advance", str(lead), "opportunity", "--agent", "李娜", now="2026-03-08T11:00")
    assert r.exit_code == 0, r.output
    stage = setting + 1
    r = void(office, lead, setting, now="2026-03-09T10:00")
    assert r.exit_code == 1 and f"would leave #{stage} (stage" in r.output
    assert void(office, lead, stage, now="2026-03-09T10:00").exit_code == 0
    assert void(office, lead, setting, now="2026-03-09T10:00").exit_code == 0
    assert show(office, lead, "2026-03-09T11:00")["stage"] == "target_group"


def test_void_through_the_api_and_zh_history(office, db_path):
    lead = add(office)
    visit = log(office, lead, "visit", now="2026-03-06T10:00")
    book = LeadBook.open(db_path)
    import datetime as dt

    with book.at(dt.datetime(2026, 3, 7, 10)):
        event, state = book.void(lead, visit, reason="重复录入", agent="李娜")
    assert event.kind == "void" and event.data["kind"] == "visit"
    book.close()
    zh = office("--lang", "zh", "show", str(lead), now="2026-03-07T11:00").output
    assert f"作废 #{visit}（visit），录入错误：重复录入" in zh and f"[已作废 #{visit + 1} 2026-03-07]" in zh
