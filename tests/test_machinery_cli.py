"""Issue #12, heavy machinery through the command line at the documents'
boundaries: 30/31 and 90/91 days to the site, a passed deadline, day 5/6
after a problem, 10 M vs 9.99 M with a dealer's account types, ABC by
profit or sales, a stated purpose for every contact."""

import json

import pytest

A_SETS = ("bargaining=yes", "brand_view=accepts", "commercial_terms=yes")
B_SETS = ("asked_price=yes", "brand_view=relatively", "has_site=yes", "funds_ready=yes",
          "purchase_date=2026-04-01", "model=JS205")
T = "2026-03-05T10:00"


@pytest.fixture
def lc(run):
    assert run("init", "--simulation", "--industry", "machinery").exit_code == 0
    run("agent", "add", "李娜")

    def _lc(now, *args):
        return run(*args, now=now)

    return _lc


_phones = iter(range(13800000000, 13899999999))


def add(lc, *sets, now=T):
    r = lc(now, "lead", "add", "--industry", "machinery", "--name", "周建设路桥", "--gender", "男",
           "--phone", str(next(_phones)), "--need", "挖掘机", "--agent", "李娜",
           *sum((("--set", s) for s in sets), ()))
    assert r.exit_code == 0, r.output
    return int(r.output.split("#")[1].split()[0])


def grade(lc, lead, now=T):
    return json.loads(lc(now, "show", str(lead), "--json").output)["grade"]


@pytest.mark.parametrize("days, expected", [(30, "A"), (31, "C")])
def test_a_at_30_days_and_a_prospect_not_d_at_31(lc, days, expected):
    lead = add(lc, *A_SETS, f"site_deadline=2026-{'04-04' if days == 30 else '04-05'}")
    assert grade(lc, lead) == expected


@pytest.mark.parametrize("deadline, expected", [("2026-06-03", "B"), ("2026-06-04", "C")])
def test_b_at_90_days_and_c_at_91_with_a_reason_to_buy(lc, deadline, expected):
    # 2026-03-05 + 90 days = 2026-06-03
    lead = add(lc, *B_SETS, f"site_deadline={deadline}")
    assert grade(lc, lead) == expected
    # without the price asked, a site is still a clear reason to buy: a prospect, not D
    other = add(lc, "has_site=yes", "brand_view=undecided", f"site_deadline={deadline}")
    assert grade(lc, other) == "C"


def test_a_passed_site_deadline_keeps_the_grade_and_asks_for_the_new_date(lc):
    lead = add(lc, *A_SETS, "site_deadline=2026-03-20")
    assert grade(lc, lead, "2026-03-20T18:00") == "A"
    due = json.loads(lc("2026-03-20T18:00", "due", "--json").output)
    assert not [d for d in due if d["kind"] == "site_deadline_passed"]
    assert grade(lc, lead, "2026-03-21T09:00") == "A"
    due = [d for d in json.loads(lc("2026-03-21T09:00", "due", "--json").output) if d["kind"] == "site_deadline_passed"]
    assert due and due[0]["lead_id"] == lead and "ask the client for the new date" in due[0]["text"]
    lc("2026-03-21T10:00", "lead", "set", str(lead), "site_deadline=2026-04-10", "--agent", "李娜")
    due = json.loads(lc("2026-03-21T10:10", "due", "--json").output)
    assert not [d for d in due if d["kind"] == "site_deadline_passed"]


def test_bargaining_with_no_price_asked_is_refused(lc):
    lead = add(lc, "asked_price=no")
    r = lc("2026-03-05T10:10", "lead", "set", str(lead), "bargaining=yes", "--agent", "李娜")
    assert r.exit_code == 1 and "a client who bargains has asked the price" in r.output


@pytest.mark.parametrize("kind", ["visit", "call", "follow_up"])
def test_every_contact_needs_a_purpose(lc, kind):
    lead = add(lc)
    said = ("--reaction", "positive", "--note", "谈了工地") if kind == "follow_up" else ()  # a follow-up's content
    r = lc("2026-03-05T11:00", "log", str(lead), kind, "--agent", "李娜", *said)
    assert r.exit_code == 1 and "needs a stated purpose" in r.output and r.output.count("\n") == 1
    r = lc("2026-03-05T11:00", "log", str(lead), kind, "--agent", "李娜", *said, "--set", "purpose=了解工地进度")
    assert r.exit_code == 0, r.output


def _order(lc, lead, now, amount=300000, **extra):
    sets = {"amount": amount, "units": 1, "model": "3CX", **extra}
    r = lc(now, "log", str(lead), "order", "--agent", "李娜", *sum((("--set", f"{k}={v}") for k, v in sets.items()), ()))
    assert r.exit_code == 0, r.output


def _review(lc, now):
    return [c["change"] for c in json.loads(lc(now, "review", "--json").output)]


def test_a_problem_before_the_first_review_is_not_lost(lc):
    lead = add(lc, "account_type=parts_dealer")
    _order(lc, lead, "2026-03-05T10:30")
    lc("2026-03-06T10:00", "log", str(lead), "problem", "--agent", "李娜", "--set", "type=contract_execution")
    due = [d for d in json.loads(lc("2026-03-10T09:00", "due", "--json").output) if d["kind"] == "account_downgrade"]
    assert due and due[0]["days_overdue"] == 0 and "(day 5 of 5)" in due[0]["text"]
    due = [d for d in json.loads(lc("2026-03-11T09:00", "due", "--json").output) if d["kind"] == "account_downgrade"]
    assert due[0]["days_overdue"] == 1
    # show says the change is due, as due and review do: the account stands at C
    # (it traded), and the problem takes it C → D, though unreviewed it reads D
    shown = json.loads(lc("2026-03-11T09:00", "show", str(lead), "--json").output)["extra"]["x_account"]
    assert shown["change_due"] and shown["from"] == "C" and shown["target"] == "D"
    assert "Change to D due by 2026-03-10" in shown["summary"]["en"]
    # past the deadline it is late, not "day 6 of 5"
    assert "(1 day late)" in due[0]["text"] and "C → D" in due[0]["text"]
    assert "（已逾期1天）" in lc("2026-03-11T09:00", "--lang", "zh", "due").output
    assert [c["change"] for c in json.loads(lc("2026-03-11T10:00", "--lang", "zh", "review", "--dry-run",
                                               "--json").output)] == ["客户级别 C → D"]
    assert _review(lc, "2026-03-11T10:00") == ["account level C → D"]
    shown = json.loads(lc("2026-03-11T10:10", "show", str(lead), "--json").output)
    assert shown["extra"]["x_account"]["rule"] == "problem"
    # the recorded change says what review said (the period report's level changes read it)
    recorded = [e["data"] for e in shown["events"] if e["kind"] == "account_level"]
    assert [(d["from"], d["level"]) for d in recorded] == [("C", "D")]


def test_a_late_payment_on_a_c_account_drops_it_within_5_days(lc):
    lead = add(lc, "account_type=modifier")
    _order(lc, lead, "2026-03-05T10:30")
    assert _review(lc, "2026-03-05T11:00") == ["account level D → C"]
    lc("2026-03-06T10:00", "log", str(lead), "payment", "--agent", "李娜", "--set", "amount=300000",
       "--set", "days_late=40")
    due = [d for d in json.loads(lc("2026-03-06T11:00", "due", "--json").output) if d["kind"] == "account_downgrade"]
    assert due and due[0]["due"] == "2026-03-10" and "late payment" in due[0]["text"]
    assert _review(lc, "2026-03-10T10:00") == ["account level C → D"]


def test_a_crisis_costs_b(lc):
    lead = add(lc, "account_type=oem", "long_term_intent=yes")
    _order(lc, lead, "2026-03-05T10:30", amount=6_000_000)
    assert _review(lc, "2026-03-05T11:00") == ["account level D → B"]
    lc("2026-03-06T10:00", "log", str(lead), "problem", "--agent", "李娜", "--set", "type=crisis")
    out = json.loads(lc("2026-03-06T11:00", "review", "--json").output)
    assert [c["change"] for c in out] == ["account level B → C"] and "current risk: crisis" in out[0]["reason"]


def _due_change(lc, lead, now):
    """What ``show`` says the level should be, and what ``review --dry-run``
    proposes, at ``now``: the two must agree at every clock."""
    account = json.loads(lc(now, "show", str(lead), "--json").output)["extra"]["x_account"]
    proposed = json.loads(lc(now, "review", "--dry-run", "--json").output)
    return (account["target"] if account["change_due"] else None), [c["change"] for c in proposed]


def test_the_year_slides_past_an_order_at_its_own_moment_in_show_and_review(lc):
    """An order leaves the year (365 days) the moment it is 365 days old:
    ``show`` said a change was due from then on, while the stored level
    held to the midnight after, so ``review`` found nothing to change."""
    lead = add(lc, "account_type=oem", "long_term_intent=yes", now="2026-03-02T09:00")
    _order(lc, lead, "2026-03-02T10:00", amount=10_000_000)
    assert _review(lc, "2026-03-02T12:00") == ["account level D → A"]
    assert _due_change(lc, lead, "2027-03-02T09:59") == (None, [])
    assert _due_change(lc, lead, "2027-03-02T10:00") == ("C", ["account level A → C"])
    assert _review(lc, "2027-03-02T10:00") == ["account level A → C"]


def test_a_crisis_stops_weighing_at_its_own_moment_in_show_and_review(lc):
    """A crisis keeps B away for ``machinery.clean_review_days`` (90) days
    from its moment, in ``show`` and in ``review`` alike."""
    lead = add(lc, "account_type=oem", "long_term_intent=yes")
    _order(lc, lead, "2026-03-05T10:30", amount=6_000_000)
    assert _review(lc, "2026-03-05T11:00") == ["account level D → B"]
    lc("2026-03-06T10:00", "log", str(lead), "problem", "--agent", "李娜", "--set", "type=crisis")
    assert _review(lc, "2026-03-06T11:00") == ["account level B → C"]
    assert _due_change(lc, lead, "2026-06-04T09:59") == (None, [])  # 90 days after 03-06 10:00, less a minute
    assert _due_change(lc, lead, "2026-06-04T10:00") == ("B", ["account level C → B"])


@pytest.mark.parametrize("amount, level", [(10_000_000, "A"), (9_990_000, "B")])
def test_a_dealer_lets_contractors_reach_a_and_b(lc, amount, level):
    lead = add(lc, "account_type=contractor", "long_term_intent=yes")
    _order(lc, lead, "2026-03-05T10:30", amount=amount)
    assert _review(lc, "2026-03-05T11:00") == ["account level D → C"]  # the document's default: OEMs only
    shown = lc("2026-03-05T11:10", "show", str(lead)).output
    assert "levels A/B open to: oem (machinery.level_ab_account_types)" in shown
    assert lc(None, "settings", "set", "machinery.level_ab_account_types", "oem,施工单位/终端用户").exit_code == 0
    assert _review(lc, "2026-03-05T12:00") == [f"account level C → {level}"]
    assert "levels A/B open to: oem/contractor" in lc("2026-03-05T12:10", "show", str(lead)).output
    shown_zh = lc("2026-03-05T12:10", "--lang", "zh", "show", str(lead)).output  # the types as zh names them
    assert "A/B级限于：主机厂（oem）、施工单位/终端用户（contractor）（machinery.level_ab_account_types）" in shown_zh
    r = lc(None, "settings", "set", "machinery.level_ab_account_types", "oem,farmer")
    assert r.exit_code == 1 and "'farmer' is not allowed" in r.output


def test_abc_by_profit_flags_orders_without_profit_and_by_sales_ranks_amounts(lc):
    big = add(lc)
    small = add(lc)
    _order(lc, big, "2026-03-05T10:30", amount=5_000_000)  # no profit recorded
    _order(lc, small, "2026-03-05T10:40", amount=1_000_000, profit=100_000)
    data = json.loads(lc("2026-03-06T09:00", "accounts", "--json").output)
    rows = {r["id"]: r for r in data["accounts"]}
    assert data["basis"] == "profit" and data["accounts_missing_profit"] == [big]
    assert rows[big]["missing_profit"] == 1 and rows[small]["abc"] == "A"
    text = lc("2026-03-06T09:00", "accounts").output
    assert "!1 without profit" in text and "warning: 1 orders have no profit recorded (accounts #1)" in text
    assert lc(None, "settings", "set", "machinery.abc_basis", "sales").exit_code == 0
    data = json.loads(lc("2026-03-06T09:00", "accounts", "--json").output)
    rows = {r["id"]: r for r in data["accounts"]}
    assert rows[big]["abc"] == "A" and rows[small]["abc"] == "B" and data["accounts_missing_profit"] == []


def test_accounts_at_an_earlier_clock_answers_as_then(lc):
    """A void and a new name logged later do not reach back: ``accounts`` at
    an earlier clock counts the order voided since and names the client as
    then, as ``show`` and ``list`` do at that clock."""
    a = add(lc, "account_type=oem")
    b = add(lc, "account_type=modifier")
    _order(lc, a, "2026-03-05T10:30", profit=600000)
    _order(lc, b, "2026-03-05T10:40", profit=50000)
    before = lc("2026-03-20T09:00", "accounts", "--json").output
    order_b = [e for e in json.loads(lc("2026-03-20T09:00", "show", str(b), "--json").output)["events"]
               if e["kind"] == "order"][0]["id"]
    assert lc("2026-04-01T09:00", "void", str(b), str(order_b), "--reason", "录入错误", "--agent", "李娜").exit_code == 0
    assert lc("2026-04-02T09:00", "lead", "set", str(a), "name=徐工集团", "--agent", "李娜").exit_code == 0
    assert lc("2026-03-20T09:00", "accounts", "--json").output == before
    then = {r["id"]: r for r in json.loads(before)["accounts"]}
    assert then[a]["name"] == "周建设路桥" and then[b]["value"] == 50000
    later = {r["id"]: r for r in json.loads(lc("2026-04-03T09:00", "accounts", "--json").output)["accounts"]}
    assert later[a]["name"] == "徐工集团" and b not in later


def test_chinese_readers_read_the_entry_and_the_account_type_in_chinese(lc):
    """The purpose refusal names the entry as the reader calls it (回访跟进,
    not follow-up); the review's level entry and its reason name their key
    and the account type in Chinese (客户级别, 主机厂, not level and oem)."""
    add(lc, "account_type=modifier")
    refused = lc("2026-03-06T10:00", "--lang", "zh", "log", "1", "follow_up", "--note", "x", "--reaction", "积极",
                 "--agent", "李娜")
    assert refused.exit_code == 1 and "回访跟进需要说明目的" in refused.output and "follow" not in refused.output
    assert lc("2026-03-06T10:00", "log", "1", "order", "--set", "amount=100000", "--set", "units=1", "--set",
              "model=X", "--agent", "李娜").exit_code == 0
    assert lc("2026-03-06T12:00", "review").exit_code == 0
    shown = lc("2026-03-07T10:00", "--lang", "zh", "show", "1").output
    line = next(ln for ln in shown.splitlines() if "客户级别变更" in ln)
    assert "客户级别=C" in line and "主机厂" in line, line
    assert "level=" not in line and "oem" not in line.replace("level_ab_account_types", ""), line


def test_an_amount_just_short_of_a_level_is_not_rounded_up_to_it():
    from leadcycle.plugins.machinery.accounts import _money

    assert _money(9_999_999.99) == "9,999,999.99" and _money(5_000_000) == "5,000,000"
