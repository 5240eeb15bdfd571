"""plugins/realestate: the weekly review and the manager's approval, the
sales phases and the deal report (DOMAIN §2)."""

import datetime as dt
import json

import pytest

from leadcycle import LeadBook

T0 = dt.datetime(2026, 3, 5, 10, 0)  # Thursday of ISO week 10
CAPPING_A = {d: "A" for d in ("motivation", "region", "product", "price", "funds", "expected_deal")}
ALL_A = {d: "A" for d in ("motivation", "region", "product", "price", "funds", "expected_deal",
                          "contact", "mortgage")}


def day(n, hours=0):
    return T0 + dt.timedelta(days=n, hours=hours)


def add(book, phone="13800138000", name="张伟", attributes=None, at=T0, agent="李娜"):
    with book.at(at):
        return book.add_lead("realestate", name=name, gender="M", phone=phone, need="三房",
                             attributes=attributes or {}, agent=agent).lead.id


def review(book, at, apply=True):
    """The review's changes at ``at`` (its notes as ``.notes``)."""
    with book.at(at):
        return book.review(apply=apply)


def grade(book, lead, at):
    with book.at(at):
        return book.record(lead).state


def approve(book, lead, manager):
    from leadcycle.plugins.realestate import review as review_mod

    return review_mod.approve(book, lead, manager)


def summary(changes):
    return [(c["lead_id"], c["change"], c["written"]) for c in changes]


def test_a_undecided_for_a_week_drops_to_b_not_before(fresh_db):
    lead = add(fresh_db, attributes=ALL_A)
    assert summary(review(fresh_db, day(6, 1))) == []        # A for 6 days: not yet (ISO week 11 run)
    n = len(fresh_db.store.events_for(lead))
    assert summary(review(fresh_db, day(13))) == [(lead, "A → B", True)]  # a week later
    st = grade(fresh_db, lead, day(13))
    assert st.grade == "B"
    assert st.reasons[0].text.en == ("capped at B: downgraded to B by the weekly review; lifts with new "
                                     "progress or a re-rating (was A)")
    assert st.extra["x_review"]["summary"]["en"].startswith(f"weekly review: A → B on {day(13).date()}")
    events = fresh_db.store.events_for(lead)
    assert len(events) == n + 1 and events[-1].kind == "review"
    assert events[-1].data["reason"]["en"].startswith("still undecided after 7 days as A")


def test_one_week_boundary_exactly(fresh_db):
    lead = add(fresh_db, attributes=ALL_A)
    # a week after the registration minus one minute: the lead did not exist a week before
    assert review(fresh_db, day(7) - dt.timedelta(minutes=1)) == []
    other = add(fresh_db, phone="13900000002", name="李四", attributes=ALL_A, at=day(7))
    assert summary(review(fresh_db, day(14))) == [(lead, "A → B", True), (other, "A → B", True)]


def test_a_with_a_deposit_is_decided(fresh_db):
    lead = add(fresh_db, attributes=ALL_A)
    with fresh_db.at(day(2)):
        fresh_db.log(lead, "deposit", agent="李娜", data={"amount": 50000})
    assert review(fresh_db, day(14)) == []


def test_a_deposit_cancelled_leaves_the_lead_undecided(fresh_db):
    """A voided entry is left out of the review as of every projection:
    the client who took the deposit back (退定) is undecided again."""
    lead = add(fresh_db, attributes=ALL_A)
    with fresh_db.at(day(2)):
        fresh_db.log(lead, "deposit", agent="李娜", data={"amount": 50000})
    deposit = fresh_db.store.events_for(lead)[-1].id
    with fresh_db.at(day(3)):
        fresh_db.void(lead, deposit, reason="退定", agent="李娜", as_="cancel_subscription")
    assert summary(review(fresh_db, day(14))) == [(lead, "A → B", True)]


def test_running_twice_in_the_same_week_changes_nothing(fresh_db):
    lead = add(fresh_db, attributes=ALL_A)
    d = add(fresh_db, phone="13900000002", name="李四", attributes={**CAPPING_A, "motivation": "D"})
    with fresh_db.at(T0):
        approve(fresh_db, d, "陈经理")  # a move into D is a manager's
    first = review(fresh_db, day(7))
    assert {c["change"] for c in first} == {"A → B", "李娜 → pool"}
    count = fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    again = review(fresh_db, day(7))
    assert again == [] and [n.en for n in again.notes] == [
        "real estate: this week (2026-W11) is reviewed already; the next review runs from Monday 2026-03-16"]
    assert review(fresh_db, day(10)) == []  # Sunday of the same ISO week
    assert fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == count
    assert grade(fresh_db, lead, day(10)).grade == "B"


def test_a_dry_run_in_a_reviewed_week_proposes_what_the_review_would_do_nothing(fresh_db):
    """Issue #17's class: a dry run proposing what ``review`` then refuses
    to do. Both sides of the week's end: Sunday 23:59 is the reviewed week,
    Monday 00:00 the next."""
    lead = add(fresh_db, attributes=ALL_A)
    other = add(fresh_db, phone="13900000003", name="王五", attributes=ALL_A, at=day(1))
    assert summary(review(fresh_db, day(7))) == [(lead, "A → B", True)]  # ISO week 11; the other A for 6 days
    sunday, monday = dt.datetime(2026, 3, 15, 23, 59), dt.datetime(2026, 3, 16, 0, 0)
    assert sunday.isocalendar()[1] == 11 and monday.isocalendar()[1] == 12
    dry = review(fresh_db, sunday, apply=False)
    assert dry == [] and [n.en for n in dry.notes] == [
        "real estate: this week (2026-W11) is reviewed already; the next review runs from Monday 2026-03-16"]
    assert review(fresh_db, sunday) == []
    dry = review(fresh_db, monday, apply=False)
    assert summary(dry) == [(other, "A → B", False)] and dry.notes == []
    assert summary(review(fresh_db, monday)) == [(other, "A → B", True)]


def test_a_dry_run_at_an_earlier_clock_reviews_the_log_as_it_was_then(fresh_db):
    """The time machine: a deposit logged after the clock does not decide
    the client yet; a clock before the last week reviewed is refused with a
    note, on both sides of that week's start."""
    lead = add(fresh_db, attributes=ALL_A)
    with fresh_db.at(day(9)):
        fresh_db.log(lead, "deposit", agent="李娜", data={"amount": 50000})
    assert summary(review(fresh_db, day(7), apply=False)) == [(lead, "A → B", False)]  # before the deposit
    assert review(fresh_db, day(14)) == []  # decided by then: nothing to change; week 12 reviewed
    dry = review(fresh_db, day(10), apply=False)  # Sunday 03-15, week 11: before the week reviewed
    assert dry == [] and [n.en for n in dry.notes] == [
        "real estate: a later week (2026-W12) is reviewed already; a review of 2026-W11 cannot run after it"]
    assert [n.en for n in review(fresh_db, day(11), apply=False).notes] == [  # Monday 03-16: week 12
        "real estate: this week (2026-W12) is reviewed already; the next review runs from Monday 2026-03-23"]


def test_dry_run_writes_nothing(fresh_db):
    lead = add(fresh_db, attributes=ALL_A)
    n = len(fresh_db.store.events_for(lead))
    assert summary(review(fresh_db, day(7), apply=False)) == [(lead, "A → B", False)]
    assert len(fresh_db.store.events_for(lead)) == n
    assert summary(review(fresh_db, day(7))) == [(lead, "A → B", True)]  # the dry run did not use the week


def test_b_without_progress_drops_to_c_progress_keeps_it_and_lifts_the_cap(fresh_db):
    faded = add(fresh_db, attributes={**ALL_A, "price": "B"})
    busy = add(fresh_db, phone="13900000002", name="李四", attributes={**ALL_A, "price": "B"})
    with fresh_db.at(day(10)):
        fresh_db.log(busy, "deep_question", agent="李娜")
    changes = review(fresh_db, day(14))
    assert summary(changes) == [(faded, "B → C", True)]
    assert changes[0]["reason"].en.startswith("intent faded: no visit, call, signal or deposit in the 7 days")
    assert grade(fresh_db, faded, day(14)).grade == "C"
    # the client comes back: progress lifts the review's cap
    with fresh_db.at(day(15)):
        fresh_db.log(faded, "visit", agent="李娜")
    assert grade(fresh_db, faded, day(15)).grade == "B"


def test_a_then_b_then_c_then_approval_then_pool(fresh_db, run, db_path):
    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("李娜")
    book.add_agent("陈经理", manager=True)
    lead = add(book, attributes=ALL_A)
    with book.at(day(1)):
        book.log(lead, "follow_up", agent="李娜", data={"reaction": "犹豫", "reaction_detail": "考虑中"}, note="电话回访")
    book.close()
    week = lambda n: day(7 * n).isoformat(timespec="minutes")  # noqa: E731
    out = json.loads(run("review", "--json", now=week(1)).output)
    assert [c["change"] for c in out] == ["A → B"]
    out = json.loads(run("review", "--json", now=week(2)).output)
    assert [c["change"] for c in out] == ["B → C"]
    out = json.loads(run("review", "--json", now=week(3)).output)
    assert [(c["change"], c["written"]) for c in out] == [("C → D?", False)]
    assert "leadcycle approve 1 --agent MANAGER" in out[0]["reason"]

    # a non-manager cannot approve; nothing is written
    before = run("show", "1", "--json", now=week(3)).output
    result = run("approve", "1", "--agent", "李娜", now=week(3))
    assert result.exit_code == 1
    assert result.output.strip() == "Error: 李娜 is not a manager; only a manager may do this"
    assert run("show", "1", "--json", now=week(3)).output == before
    result = run("approve", "1", now=week(3))
    assert result.exit_code == 1 and "give --agent NAME" in result.output

    result = run("approve", "1", "--agent", "陈经理", now=week(3), input="y\n")
    assert result.exit_code == 0, result.output
    assert "Follow-up record:" in result.output
    assert "follow-up  [李娜]  client's reaction=hesitant, the reaction in the client's words=考虑中  “电话回访”" \
        in result.output
    assert "weekly review downgrade" in result.output
    assert result.output.strip().endswith("grade C → D: approved by 陈经理")
    shown = json.loads(run("show", "1", "--json", now=week(3)).output)
    assert shown["grade"] == "D" and shown["next_follow_up"] is None and shown["owner"] == "李娜"
    # approving again: it is not C any more
    again = run("approve", "1", "--agent", "陈经理", now=week(3))
    assert again.exit_code == 1 and "is grade D, not C" in again.output

    out = json.loads(run("review", "--json", now=week(4)).output)
    assert [c["change"] for c in out] == ["李娜 → pool"]
    shown = json.loads(run("show", "1", "--json", now=week(4)).output)
    assert shown["owner"] is None
    assert "grade D: returned to the manager's pool" in shown["reasons"][1] or any(
        r.startswith("grade D: returned to the manager's pool") for r in shown["reasons"])
    assert json.loads(run("review", "--json", now=week(5)).output) == []


def test_approve_json_and_chinese(run, db_path):
    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("陈经理", manager=True)
    add(book, attributes={**CAPPING_A, "motivation": "C"}, agent="陈经理")
    book.close()
    out = json.loads(run("approve", "1", "--agent", "陈经理", "--json", now="2026-03-06T10:00").output)
    assert out["grade"] == "D" and out["approved_by"] == "陈经理"
    assert [e["kind"] for e in out["follow_up_record"]] == ["register"]
    zh = run("--lang", "zh", "show", "1", now="2026-03-06T10:00").output
    assert "2026-03-06 由C降为D类，经陈经理批准" in zh


def test_review_before_any_lead_exists(run):
    assert run("init", "--industry", "realestate").exit_code == 0
    result = run("review")
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: there are no leads to review yet; "
                                     "register one with: leadcycle lead add")


# ------------------------------------------------------------ phases


def _office(db_path, units_sold=(), launch="2026-05-01", total=100):
    book = LeadBook.create(db_path, ["realestate"], now=dt.datetime(2026, 1, 1))
    book.add_agent("李娜")
    if launch:
        book.set_setting("realestate.launch_date", launch)
    if total:
        book.set_setting("realestate.total_units", total)
    for i, (when, units) in enumerate(units_sold):
        lead = add(book, phone=f"1390000{i:04d}", name=f"客户{i}", at=when)
        with book.at(when + dt.timedelta(hours=1)):
            book.log(lead, "contract", agent="李娜", data={"units": units, "amount": 1_000_000})
    book.close()


def test_phase_needs_the_launch_date_and_the_units(run, db_path):
    _office(db_path, launch=None, total=0)
    result = run("phase", now="2026-03-05T10:00")
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: the launch date is not set; set it with: "
                                     "leadcycle settings set realestate.launch_date 2026-05-01")
    run("settings", "set", "realestate.launch_date", "2026-05-01")
    result = run("phase", now="2026-03-05T10:00")
    assert result.exit_code == 1 and "realestate.total_units" in result.output
    bad = run("settings", "set", "realestate.total_units", "--", "-5")
    assert bad.exit_code == 1 and "below the minimum" in bad.output
    bad = run("settings", "set", "realestate.launch_date", "soon")
    assert bad.exit_code == 1 and "is not a date" in bad.output


@pytest.mark.parametrize("now, phase, status", [
    ("2026-02-28T10:00", "before", "not started"),
    ("2026-03-01T10:00", "warmup", "ahead"),         # 2 months before the launch: target 0–0 %, sold 3 %
    ("2026-04-30T10:00", "warmup", "behind"),        # target ≈ 4.9–9.8 %, sold 3 %
    ("2026-05-01T10:00", "strong", "behind"),        # target 5–10 %, sold 3 %
    ("2026-07-01T10:00", "continuous", "behind"),
    ("2026-11-01T10:00", "tail", "behind"),
    ("2027-03-01T10:00", "after", "behind"),
])
def test_phase_boundaries(run, db_path, now, phase, status):
    _office(db_path, units_sold=[(dt.datetime(2026, 2, 1, 10), 3)])
    out = json.loads(run("phase", "--json", now=now).output)
    assert (out["phase"], out["status"]) == (phase, status)
    assert out["units_sold"] == 3 and out["sold_percent"] == 3.0
    assert [p["target_percent"] for p in out["phases"]] == [[5, 10], [40, 50], [70, 80], [90, 95]]
    assert [p["phase"] for p in out["phases"]] == ["warmup", "strong", "continuous", "tail"]


def test_phase_ahead_and_text(run, db_path):
    _office(db_path, units_sold=[(T0, 5), (day(1), 3)])
    out = json.loads(run("phase", "--json", now="2026-03-31T10:00").output)
    # warm-up 2026-03-01..05-01 (61 days), day 30: target 2.5–4.9 %, sold 8 %
    assert out["target_now_percent"] == [2.5, 4.9]
    assert out["status"] == "ahead"
    text = run("phase", now="2026-03-31T10:00").output
    assert "warm-up (launch 2026-05-01)" in text and "sold 8 of 100 units (8 %)" in text
    zh = run("--lang", "zh", "phase", now="2026-03-31T10:00").output
    assert "预热期" in zh and "超前" in zh


# ------------------------------------------------------------ deal report


def test_report_deals_by_age_band_unit_type_and_building(run, db_path):
    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("李娜")
    people = [  # age, unit type, building, occupation, company
        ({"age": 19, "unit_type": "two_rooms", "building": "B", "occupation": "教师"}, 1),
        ({"age": 30, "unit_type": "two_rooms", "building": "B", "occupation": "个体"}, 1),
        ({"age": 31, "unit_type": "three_rooms", "building": "C", "occupation": "个体"}, 2),
        ({"birth_date": "1976-03-06", "unit_type": "two_rooms", "building": "B"}, 1),  # 49 on 03-05
        ({"age": 51, "unit_type": "three_rooms", "building": "D", "company_purchase": "yes"}, 1),
        ({"age": 18, "building": "D"}, 1),
    ]
    for i, (attributes, units) in enumerate(people):
        lead = add(book, phone=f"1390000{i:04d}", name=f"客户{i}", attributes=attributes)
        with book.at(T0 + dt.timedelta(hours=1)):
            book.log(lead, "contract", agent="李娜", data={"units": units, "amount": 900000})
    add(book, phone="13700000000", name="没成交")
    book.close()
    out = json.loads(run("report", "deals", "--by", "age_band", "--json", now="2026-03-06T10:00").output)
    assert out["deals"] == 6 and out["units"] == 7 and out["company_purchases"] == 1
    assert [(g["value"], g["deals"], g["share_percent"]) for g in out["groups"]] == [
        ("under_19", 1, 16.7), ("19-30", 2, 33.3), ("31-40", 1, 16.7), ("41-50", 1, 16.7), ("company", 1, 16.7)]
    out = json.loads(run("report", "deals", "--json", now="2026-03-06T10:00").output)
    assert out["by"] == "unit_type"
    assert [(g["value"], g["deals"], g["units"]) for g in out["groups"]] == [
        ("two_rooms", 3, 3), ("three_rooms", 2, 3), (None, 1, 1)]
    text = run("report", "deals", "--by", "building", now="2026-03-06T10:00").output
    assert "B         3      3      50 %" in text
    zh = run("--lang", "zh", "report", "deals", "--by", "age_band", now="2026-03-06T10:00").output
    assert "19–30岁" in zh and "单位名义购房" in zh
    bad = run("report", "deals", "--by", "salary", now="2026-03-06T10:00")
    assert bad.exit_code == 2 and "Invalid value for '--by'" in bad.output


def test_report_deals_when_there_are_none(run, db_path):
    _office(db_path)
    out = run("report", "deals", now="2026-03-06T10:00")
    assert out.exit_code == 0 and out.output.startswith("no closed deals yet")


# ------------------------------------------------------------ labels


def test_every_grade_dimension_value_kind_and_phase_has_zh_and_en():
    from leadcycle.plugins.realestate import config
    from leadcycle.registry import Registry

    ind = Registry().industry("realestate")
    for c in ind.grades:
        assert c.label.en and c.label.zh and c.label.en != c.label.zh
    for f in ind.fields:
        assert f.label.en != f.label.zh, f.name
        for c in f.choices:
            assert c.label.en != c.label.zh, (f.name, c.value)
    for k in ind.event_kinds:
        assert k.label.en != k.label.zh, k.name
    for key, label in config.PHASE_LABELS.items():
        assert label.en != label.zh
    settings = Registry().settings
    for key, s in settings.items():
        if key.startswith("realestate."):
            assert s.label.en != s.label.zh and s.source, key


@pytest.mark.parametrize("lang, line", [("en", "reviewing 1 lead…"), ("zh", "正在审阅 1 个客户……")])
def test_a_long_review_says_it_is_working_on_a_terminal(realestate_office, monkeypatch, lang, line):
    """A review of tens of thousands of leads takes seconds: a terminal is
    told what is going on (on stderr, so --json stays clean); a pipe is not."""
    from leadcycle.cli import commands

    run = realestate_office
    run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone", "13800138000",
        "--need", "三房", "--agent", "李娜", now="2026-03-05T10:00")
    quiet = run("--lang", lang, "review", "--dry-run", "--json", now="2026-03-12T10:00")
    assert quiet.exit_code == 0 and line not in quiet.stderr
    monkeypatch.setattr(commands, "interactive", lambda: True)
    monkeypatch.setattr(commands, "REVIEW_NOTICE", 1)
    told = run("--lang", lang, "review", "--dry-run", "--json", now="2026-03-12T10:00")
    assert told.exit_code == 0 and told.stderr.strip() == line
    json.loads(told.stdout)


def test_the_leads_a_floor_holds_up_are_found_in_sql_as_the_engine_gives_its_reason(fresh_db):
    """``held_by_floor`` (the review's "rated D, held at C") compares the
    compiled grade with and without the floors; a lead with entries after
    the clock goes to the engine. Both agree with the rules' own reason."""
    import datetime as dt

    book = fresh_db
    rated = dict.fromkeys(("motivation", "region", "product", "price", "funds", "expected_deal"), "A")
    for i, last in enumerate(("D", "C", "A", None)):
        lead = book.add_lead("realestate", name=f"张{'一二三四'[i]}", gender="男", phone=f"1380013800{i}",
                             need="三房", agent="李娜").lead.id
        book.set(lead, rated, agent="李娜")
        if last:
            with book.at(book.now + dt.timedelta(days=1)):
                book.set(lead, {"expected_deal": last}, agent="李娜")
    ids = [r["id"] for r in book.list(industry="realestate")]
    for moment in (book.now, book.now + dt.timedelta(days=1), book.now + dt.timedelta(days=9)):
        with book.at(moment):
            why = {i: [r.rule for r in book.record(i).state.reasons] for i in ids}
            expected = {i for i, rules in why.items() if "floor" in rules}
            assert book.held_by_floor(ids) == expected, (moment, why)
            if moment > book.now:
                assert expected == {ids[0]}
    assert book.held_by_floor([]) == set()
