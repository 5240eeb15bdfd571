"""plugins/machinery with the documents' numbers (DOMAIN §5)."""

import datetime as dt
import json

import pytest

from leadcycle import LeadBook, LeadcycleError, loader

T0 = dt.datetime(2026, 3, 5, 10, 0)
A_ATTRS = {"bargaining": "yes", "brand_view": "accepts", "commercial_terms": "yes"}
B_ATTRS = {"asked_price": "yes", "brand_view": "relatively", "has_site": "yes", "funds_ready": "yes",
           "purchase_date": "2026-04-01", "model": "JS205"}
AB_ATTRS = {**B_ATTRS, **A_ATTRS}


@pytest.fixture(autouse=True)
def _machinery_only(monkeypatch):
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "machinery")
    loader.reset()
    yield
    loader.reset()


@pytest.fixture
def book():
    b = LeadBook.create(":memory:", ["machinery"], now=T0)
    b.add_agent("李娜")
    b.add_agent("王强")
    b.add_agent("陈经理", manager=True)
    yield b
    b.close()


_phones = iter(range(13800000000, 13899999999))


def add(book, **attributes):
    return book.add_lead("machinery", name="周建设路桥", gender="M", phone=str(next(_phones)),
                         need="挖掘机 20吨级", agent="李娜", attributes=attributes).lead.id


def day(n, hour=10):
    return T0 + dt.timedelta(days=n, hours=hour - 10)


def deadline(n):
    return (T0.date() + dt.timedelta(days=n)).isoformat()


def reasons(state):
    return [r.text.en for r in state.reasons]


# ------------------------------------------------------------ intent grades


def test_on_site_in_30_days_is_a_and_31_is_not(book):
    a30 = add(book, **AB_ATTRS, site_deadline=deadline(30))
    a31 = add(book, **AB_ATTRS, site_deadline=deadline(31))
    assert book.record(a30).state.grade == "A"
    state = book.record(a31).state
    assert state.grade == "B"
    assert "for A still missing: equipment on site within 30 days" in reasons(state)


def test_b_needs_site_within_90_days(book):
    b90 = add(book, **B_ATTRS, site_deadline=deadline(90))
    b91 = add(book, **B_ATTRS, site_deadline=deadline(91))
    assert book.record(b90).state.grade == "B"
    state = book.record(b91).state
    assert state.grade == "C"
    assert "for B still missing: equipment on site within 90 days" in reasons(state)


def test_the_grade_moves_as_the_deadline_approaches_and_passes(book):
    lead = add(book, **AB_ATTRS, site_deadline=deadline(31))
    stored = book.store.get_state(lead)
    assert stored.grade == "B"
    # the projection knows when the clock alone changes it: the day the deadline is 30 days away
    assert stored.expires_at == dt.datetime.combine(T0.date() + dt.timedelta(days=1), dt.time())
    with book.at(day(1)):
        assert [r["grade"] for r in book.list(industry="machinery")] == ["A"]
    with book.at(day(31)):
        assert book.record(lead).state.grade == "A"  # the deadline day itself
    with book.at(day(32)):
        state = book.record(lead).state
    # a passed deadline keeps the grade and asks for the new date (issue #12)
    assert state.grade == "A" and state.extra["x_site"]["passed"] is True
    assert "ask the client for the new date" in state.extra["x_site"]["summary"]["en"]


def test_c_and_d_are_defined_and_unrated_leads_have_no_grade(book):
    assert book.record(add(book)).state.grade is None
    assert book.record(add(book, asked_price="yes")).state.grade == "C"
    state = book.record(add(book, asked_price="yes", brand_view="rejects")).state
    assert state.grade == "D"
    assert any(r.startswith("for C still missing") and "does not reject our brand" in r for r in reasons(state))


def test_site_deadline_setting_moves_the_boundary(book):
    lead = add(book, **A_ATTRS, site_deadline=deadline(31))
    assert book.record(lead).state.grade == "C"  # bargaining: a prospect who asked the price
    book.set_setting("machinery.a_site_days", 31)
    assert book.record(lead).state.grade == "A"


# ---------------------------------------------------------------- cadence


def test_cadence_a_and_b_and_purpose_required(book, run):
    a = add(book, **A_ATTRS, site_deadline=deadline(20))
    b = add(book, **B_ATTRS, site_deadline=deadline(60))
    assert book.record(a).state.next_follow_up == T0.date() + dt.timedelta(days=3)
    state = book.record(b).state
    assert state.next_follow_up == T0.date() + dt.timedelta(days=7)
    assert any("1–2 calls or visits a week" in r for r in reasons(state))
    with book.at(day(2)):
        with pytest.raises(LeadcycleError, match="needs a stated purpose"):
            book.log(a, "follow_up", agent="李娜", data={"channel": "visit", "reaction": "积极"}, note="面谈")
        book.log(a, "follow_up", agent="李娜", data={"channel": "visit", "purpose": "确定商务条件",
                                                   "reaction": "积极"}, note="面谈，谈商务条件")
        assert book.record(a).state.next_follow_up == T0.date() + dt.timedelta(days=5)
    with book.at(day(7)):
        due = {r["id"]: r for r in book.due("李娜")}
    assert set(due) == {a, b}


# ------------------------------------------------------------- key account


def test_key_account_value_and_weights(book):
    lead = add(book, **{name: 5 for name in ("purchase_volume", "price_level", "profit_level",
                                             "purchase_frequency", "service_cost", "price_sensitivity",
                                             "cooperation", "growth_potential", "industry_influence")})
    state = book.record(lead).state
    assert state.score == 100
    assert state.extra["x_key_account"]["rated"] == 9
    half = add(book, purchase_volume=5, profit_level=5)  # weights 20 + 15 of 100
    state = book.record(half).state
    assert state.score == 35
    assert "key account: purchase volume: 5 (20 of 20)" in reasons(state)
    book.set_setting("machinery.weight_purchase_volume", 85)  # now 85 + 15 of 165
    assert book.record(half).state.score == pytest.approx(60.61, abs=0.01)
    with pytest.raises(LeadcycleError, match="above the maximum 5"):
        book.set(half, {"price_level": 6}, agent="李娜")


# ------------------------------------------------------------ transactions


def events_of(book, lead):
    return [e.kind for e in book.store.events_for(lead)]


@pytest.mark.parametrize("kind, sets, message", [
    ("order", ["amount=-5", "units=1", "model=JS205"], "amount: -5.0 is below the minimum 0.01"),
    ("order", ["amount=100", "units=0", "model=JS205"], "units: 0 is below the minimum 1"),
    ("order", ["amount=100", "units=1"], "order needs model"),
    ("order", ["amount=100", "units=1", "model=3CX", "delivery_due=2026-03-01"],
     "delivery_due 2026-03-01 is before the order date 2026-03-05"),
    ("payment", ["amount=100", "on_time=yes"], "payment refused: lead #1 has no order yet; log the order first"),
    ("delivery", ["units=1"], "delivery refused: lead #1 has no order yet"),
    ("payment", ["amount=abc"], "amount: 'abc' is not a number"),
    ("problem", ["type=bad_weather"], "type: 'bad_weather' is not allowed"),
])
def test_bad_transactions_are_refused_with_one_line_and_nothing_written(run, kind, sets, message):
    run("init", "--industry", "machinery")
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", "machinery", "--name", "周建设", "--gender", "M",
        "--phone", "13800000001", "--need", "挖掘机", "--agent", "李娜", now="2026-03-05T09:00")
    args = ["log", "1", kind, "--agent", "李娜"]
    for s in sets:
        args += ["--set", s]
    result = run(*args, now="2026-03-05T10:00")
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    shown = json.loads(run("show", "1", "--json", now="2026-03-05T10:00").output)
    assert [e["kind"] for e in shown["events"]] == ["register"]


def test_payments_and_deliveries_are_checked_against_the_orders(book):
    lead = add(book)
    with book.at(day(1)):
        book.log(lead, "order", agent="李娜", data={"amount": 1_200_000, "units": 2, "model": "JS205"})
        with pytest.raises(LeadcycleError, match="exceeds the 1,200,000 CNY still owed"):
            book.log(lead, "payment", agent="李娜", data={"amount": 1_200_001, "on_time": True})
        with pytest.raises(LeadcycleError, match="on_time=yes or days_late=N"):
            book.log(lead, "payment", agent="李娜", data={"amount": 100})
        with pytest.raises(LeadcycleError, match="give one of them"):
            book.log(lead, "payment", agent="李娜", data={"amount": 100, "on_time": True, "days_late": 3})
        with pytest.raises(LeadcycleError, match="delivery of 3 units exceeds the 2 ordered"):
            book.log(lead, "delivery", agent="李娜", data={"units": 3})
        book.log(lead, "delivery", agent="李娜", data={"units": 2})
        book.log(lead, "payment", agent="李娜", data={"amount": 1_200_000, "days_late": 0})
        tx = book.record(lead).state.extra["x_transactions"]
    assert events_of(book, lead) == ["register", "order", "delivery", "payment"]
    assert tx["outstanding"] == 0 and tx["units_delivered"] == 2 and tx["late_payments"] == 0


# ----------------------------------------------------------- account levels


def account(book, lead):
    return book.record(lead).state.extra["x_account"]


def oem(book):
    return add(book, account_type="oem", long_term_intent="yes")


def test_ten_million_a_year_is_a_and_9_99_million_is_b(book):
    a, b = oem(book), oem(book)
    with book.at(day(1)):
        for lead, amount in ((a, 10_000_000), (b, 9_990_000)):
            book.log(lead, "order", agent="李娜", data={"amount": amount, "units": 8, "model": "JS370"})
            book.log(lead, "payment", agent="李娜", data={"amount": amount, "on_time": "yes"})
        changes = {c["lead_id"]: c for c in book_review(book)}
        assert account(book, a)["level"] == "A" and account(book, b)["level"] == "B"
        assert "pay on delivery" in account(book, a)["summary"]["en"]
    assert changes[a]["change"].en == "account level D → A" and changes[a]["change"].zh == "客户级别 D → A"
    assert changes[b]["change"].en == "account level D → B"
    level_event = book.store.events_for(a)[-1]
    assert level_event.kind == "account_level" and level_event.data["rule"] == "history"
    assert "10,000,000 CNY in 365 days ≥ 10,000,000" in level_event.data["reason"]["en"]
    with book.at(day(1, 12)):
        assert book_review(book) == []  # a second review changes nothing


def book_review(book, apply=True):
    from leadcycle.plugins.machinery import review_accounts

    return review_accounts(book, apply)


def test_late_payment_costs_a_and_the_year_slides(book):
    lead = oem(book)
    with book.at(day(1)):
        book.log(lead, "order", agent="李娜", data={"amount": 12_000_000, "units": 8, "model": "JS370"})
        book.log(lead, "payment", agent="李娜", data={"amount": 12_000_000, "days_late": 10})
    with book.at(day(2)):
        assert account(book, lead)["target"] == "C"
        assert "1 late payment(s) in 365 days" in account(book, lead)["reason"]["en"]
    with book.at(day(367)):  # the order and the late payment left the year
        assert account(book, lead)["target"] == "C"  # has traded, but neither A nor B any more
        assert "business 0 < 5,000,000" in account(book, lead)["reason"]["en"]


def test_a_c_account_with_a_problem_drops_to_d_within_5_days(book, run, db_path):
    run("init", "--industry", "machinery")
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", "machinery", "--name", "马配件商行", "--gender", "M", "--phone",
        "13800000001", "--need", "配件", "--agent", "李娜", "--set", "account_type=parts_dealer",
        now="2026-03-05T09:00")
    run("log", "1", "order", "--agent", "李娜", "--set", "amount=300000", "--set", "units=1",
        "--set", "model=3CX", now="2026-03-05T10:00")
    assert "D → C" in run("review", now="2026-03-05T11:00").output
    result = run("log", "1", "problem", "--agent", "李娜", "--set", "type=late_payment", now="2026-03-06T10:00")
    assert result.exit_code == 0, result.output
    due = json.loads(run("due", "--agent", "李娜", "--json", now="2026-03-06T11:00").output)
    warn = [d for d in due if d["kind"] == "account_downgrade"]
    assert warn and "(day 1 of 5)" in warn[0]["text"] and warn[0]["due"] == "2026-03-10"
    day5 = [d for d in json.loads(run("due", "--json", now="2026-03-10T09:00").output)
            if d["kind"] == "account_downgrade"]
    assert day5[0]["days_overdue"] == 0 and "(day 5 of 5)" in day5[0]["text"]
    day6 = [d for d in json.loads(run("due", "--json", now="2026-03-11T09:00").output)
            if d["kind"] == "account_downgrade"]
    assert day6[0]["days_overdue"] == 1
    out = json.loads(run("review", "--json", now="2026-03-11T10:00").output)
    assert [c["change"] for c in out] == ["account level C → D"]
    assert "drop to D within 5 days" in out[0]["reason"]
    assert json.loads(run("review", "--json", now="2026-03-11T10:05").output) == []
    shown = run("show", "1", now="2026-03-11T10:10").output
    assert "account level D" in shown and "rises to C on 2026-06-09" in json.dumps(
        json.loads(run("show", "1", "--json", now="2026-03-11T10:10").output)["extra"])
    # a clean review period (90 days from the downgrade) lifts it back to C
    assert json.loads(run("review", "--json", now="2026-06-08T10:00").output) == []
    up = json.loads(run("review", "--json", now="2026-06-09T10:00").output)
    assert [c["change"] for c in up] == ["account level D → C"] and "clean review period" in up[0]["reason"]


def test_a_new_problem_restarts_the_clean_period(book):
    lead = add(book, account_type="modifier")
    with book.at(day(1)):
        book.log(lead, "order", agent="李娜", data={"amount": 100_000, "units": 1, "model": "3CX"})
        book_review(book)
        book.log(lead, "problem", agent="李娜", data={"type": "crisis"})
        book_review(book)
        assert account(book, lead)["level"] == "D"
    with book.at(day(50)):
        book.log(lead, "problem", agent="李娜", data={"type": "contract_execution"})
    with book.at(day(91)):
        assert book_review(book) == []
    with book.at(day(140)):
        assert [c["change"].en for c in book_review(book)] == ["account level D → C"]


# ------------------------------------------------------------ value classes


def test_abc_shares_and_the_matrix_on_a_known_history(run):
    run("init", "--industry", "machinery")
    run("agent", "add", "李娜")
    profits = [500_000, 300_000, 100_000, 50_000, 30_000, 20_000]
    for i, profit in enumerate(profits, start=1):
        run("lead", "add", "--industry", "machinery", "--name", f"客户{i}", "--gender", "M", "--phone",
            f"1380000000{i}", "--need", "挖掘机", "--agent", "李娜", now="2025-03-01T09:00")
        # lead 1 orders every quarter (stable), the others once
        months = ("2025-04-10", "2025-07-10", "2025-10-10", "2026-01-10") if i == 1 else ("2026-01-10",)
        for m in months:
            run("log", str(i), "order", "--agent", "李娜", "--set", f"amount={profit * 10 / len(months)}",
                "--set", "units=1", "--set", "model=JS205", "--set", f"profit={profit / len(months)}",
                now=f"{m}T10:00")
    result = run("accounts", "--json", now="2026-03-05T10:00")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["abc"] for r in report["accounts"]] == ["A", "A", "B", "B", "C", "C"]
    shares = {c["class"]: c["profit_pct"] for c in report["classes"]}
    assert shares == {"A": 80.0, "B": 15.0, "C": 5.0}
    assert [r["e_class"] for r in report["accounts"]] == ["EI", "EII", "EIV", "EIV", "EIV", "EIV"]
    assert report["accounts"][0]["strategy"]["en"].endswith("consolidate")
    assert report["accounts"][1]["strategy"]["en"].endswith("turn around")
    text = run("accounts", now="2026-03-05T10:00").output
    assert "80.0% (≈80%)" in text and "15.0% (≈15%)" in text and "EI 1  EII 1  EIII 0  EIV 4" in text


# --------------------------------------------------------------- ownership


def test_protection_90_days_named_manager_and_handover(book, run):
    lead = add(book)
    with book.at(day(90)):
        assert book.record(lead).state.owner == "李娜"
    with book.at(day(91)):
        assert book.record(lead).state.owner is None
    ordered = add(book)
    with book.at(day(1)):
        book.log(ordered, "order", agent="李娜", data={"amount": 500_000, "units": 1, "model": "3CX"})
    with book.at(day(200)):  # an account that has ordered keeps its account manager
        assert book.record(ordered).state.owner == "李娜"
    run("init", "--industry", "machinery")
    for name in ("李娜", "王强"):
        run("agent", "add", name)
    run("agent", "add", "陈经理", "--manager")
    run("lead", "add", "--industry", "machinery", "--name", "周建设", "--gender", "M",
        "--phone", "13800000001", "--need", "挖掘机", "--agent", "李娜", now="2026-03-05T09:00")
    refused = run("account-manager", "assign", "1", "王强", "--by", "李娜", now="2026-03-05T10:00")
    assert refused.exit_code == 1 and "not a manager" in refused.output
    assert "account manager 王强" in run("account-manager", "assign", "1", "王强", "--by", "陈经理",
                                        now="2026-03-05T10:00").output
    out = json.loads(run("account-manager", "handover", "王强", "--by", "陈经理", "--json",
                         now="2026-03-06T10:00").output)
    assert out == {"from": "王强", "to": "陈经理", "leads": [1]}
    shown = json.loads(run("show", "1", "--json", now="2026-03-06T10:00").output)
    assert shown["owner"] == "陈经理"
    assert any("departed" in r for r in shown["reasons"])


def test_zh_labels_and_demo(run, tmp_path):
    demo_db = str(tmp_path / "demo.db")
    result = run("--db", demo_db, "demo", "--days", "30")
    assert result.exit_code == 0, result.output
    book = LeadBook.open(demo_db)
    assert book.store.count_leads("machinery") == 60
    book.close()
    zh = run("--db", demo_db, "--lang", "zh", "--now", "2026-10-01T10:00", "show", "1")
    assert zh.exit_code == 0 and "客户级别" in zh.output and "大客户价值" in zh.output


def test_reads_evaluate_prospects_in_sql_and_accounts_in_python(book, monkeypatch):
    """Issue #17: machinery's grades, stages and follow-ups compile; its
    account level (a state machine over orders, payments and problems,
    read by the due list and the accounts report) is the one value still
    computed in Python, and only for the leads that have such an entry."""
    from leadcycle import engine

    prospect = add(book, **A_ATTRS, site_deadline=deadline(40))
    customer = add(book, account_type="parts_dealer")
    with book.at(day(0, 11)):
        book.log(customer, "order", agent="李娜", data={"amount": 300000, "units": 1, "model": "3CX"})
    assert engine.read_plan(book.context.for_industry("machinery")) is not None
    book.set_setting("machinery.cadence_d_days", 20)  # every stored row is from other rules now
    seen = []
    project = engine.project_batch
    monkeypatch.setattr(engine, "project_batch",
                        lambda ctx, batch, *a, **k: seen.extend(lead.id for lead, _ in batch) or project(
                            ctx, batch, *a, **k))
    with book.at(day(12)):  # the site deadline is 28 days away: the prospect becomes A
        listed = {r["id"]: r["grade"] for r in book.list()}
        assert seen == [customer]  # by the list: the customer in Python, the prospect in SQL
        assert listed[prospect] == "A" == book.record(prospect).state.grade
        assert listed[customer] == book.record(customer).state.grade
