"""plugins/realestate: the three grading methods, buying signals, return-cycle
decay, cadence, due warnings — with the documents' numbers at every boundary
(DOMAIN §2)."""

import datetime as dt
import json

import pytest

from leadcycle import LeadcycleError

T0 = dt.datetime(2026, 3, 5, 10, 0)  # a Thursday
ALL_A = {d: "A" for d in ("motivation", "region", "product", "price", "funds", "expected_deal",
                          "contact", "mortgage")}
#: the six dimensions that cap the grade by default (contact and mortgage are auxiliary, 004 note 2)
CAPPING_A = {d: "A" for d in ("motivation", "region", "product", "price", "funds", "expected_deal")}
POINTS_A = {k: "A" for k in ("buying_power", "region_view", "price_view", "product_view", "trust",
                             "decision", "target_unit", "urgency")}


def day(n, hours=0):
    return T0 + dt.timedelta(days=n, hours=hours)


def add(book, phone="13800138000", name="张伟", attributes=None, at=T0, agent="李娜"):
    with book.at(at):
        return book.add_lead("realestate", name=name, gender="M", phone=phone, need="三房",
                             attributes=attributes or {}, agent=agent).lead.id


def state(book, lead_id, at):
    with book.at(at):
        return book.record(lead_id).state


def texts(st):
    return [r.text.en for r in st.reasons]


def log(book, lead_id, kind, at, agent="李娜", **data):
    note = None
    if kind == "follow_up":  # the register records the reaction and what was said
        data.setdefault("reaction", "neutral")
        note = "电话回访"
    with book.at(at):
        return book.log(lead_id, kind, agent=agent, data=data, note=note)[1]


# ------------------------------------------------------------ table (§2b)


def test_table_is_the_default_and_an_unrated_lead_has_no_grade(fresh_db):
    assert fresh_db.settings["realestate.grading"] == "table"
    lead = add(fresh_db)
    st = state(fresh_db, lead, T0)
    assert st.grade is None
    assert texts(st)[0] == "no grade yet: nothing rated"


def test_table_grade_is_the_lowest_dimension_and_names_it(fresh_db):
    lead = add(fresh_db, attributes={**ALL_A})
    assert state(fresh_db, lead, T0).grade == "A"
    with fresh_db.at(T0):
        fresh_db.set(lead, {"price": "C", "funds": "C", "region": "B"}, agent="李娜")
        st = fresh_db.record(lead).state
    assert st.grade == "C"
    assert texts(st)[0] == "C: lowest dimension price tolerance, funds ready rated C"
    assert "view of the region's value: B (7 of 10)" in texts(st)
    # one dimension alone does not grade (004: the lowest single dimension needs all of them)
    lead2 = add(fresh_db, phone="13900000002", name="李四", attributes={"motivation": "B"})
    assert state(fresh_db, lead2, T0).grade is None


def test_table_dimension_value_outside_a_to_d_is_refused_and_nothing_written(fresh_db, run, db_path):
    from leadcycle import LeadBook

    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("李娜")
    lead = add(book)
    n = len(book.store.events_for(lead))
    book.close()
    result = run("lead", "set", str(lead), "motivation=E", "--agent", "李娜", now="2026-03-05T11:00")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: motivation: 'E' is not allowed; use one of A, B, C, D"
    book = LeadBook.open(db_path, T0)
    assert len(book.store.events_for(lead)) == n
    book.close()


def _contact(book, lead, at):
    st = state(book, lead, at)
    return st.extra.get("x_contact", {}).get("level"), st


@pytest.mark.parametrize("kind", ["visit", "call"])
def test_contact_came_back_on_day_7_is_a_on_day_8_is_b(fresh_db, kind):
    fresh_db.set_setting("realestate.contact_auxiliary", "no")  # contact caps the grade
    on7 = add(fresh_db, attributes=CAPPING_A)
    on8 = add(fresh_db, phone="13900000002", name="李四", attributes=CAPPING_A)
    assert _contact(fresh_db, on7, day(6))[0] is None  # window open: not rated yet
    log(fresh_db, on7, kind, day(7, 5))
    log(fresh_db, on8, kind, day(8))
    level7, st7 = _contact(fresh_db, on7, day(8))
    level8, st8 = _contact(fresh_db, on8, day(8))
    assert (level7, st7.grade) == ("A", "A")
    assert (level8, st8.grade) == ("B", "B")
    assert texts(st8)[0] == "B: lowest dimension contact frequency rated B"


def test_contact_no_return_by_day_15_is_c_on_day_16(fresh_db):
    fresh_db.set_setting("realestate.contact_auxiliary", "no")  # contact caps the grade
    lead = add(fresh_db, attributes=CAPPING_A)
    late = add(fresh_db, phone="13900000002", name="李四", attributes=CAPPING_A)
    log(fresh_db, late, "call", day(15))
    assert _contact(fresh_db, lead, day(15))[0] is None
    assert _contact(fresh_db, late, day(16))[0] == "B"
    level, st = _contact(fresh_db, lead, day(16))
    assert (level, st.grade) == ("C", "C")
    # the stored projection expires on day 16 by itself (no event needed)
    with fresh_db.at(day(15)):
        fresh_db.refresh()
    assert fresh_db.store.get_state(lead).grade is None  # a capping contact not rated yet: not graded
    with fresh_db.at(day(16)):
        fresh_db.refresh()
    assert fresh_db.store.get_state(lead).grade == "C"


def test_contact_rated_by_hand_wins_and_can_be_auxiliary(fresh_db):
    fresh_db.set_setting("realestate.contact_auxiliary", "no")
    lead = add(fresh_db, attributes={**CAPPING_A, "contact": "B"})
    level, st = _contact(fresh_db, lead, day(20))
    assert (level, st.grade) == ("B", "B")
    assert st.extra["x_contact"]["source"] == "agent"
    fresh_db.set_setting("realestate.contact_auxiliary", "yes")
    assert state(fresh_db, lead, day(20)).grade == "A"


# ------------------------------------------------------------ points (§2a)


def test_points_method_89_is_b_and_90_is_a(fresh_db):
    fresh_db.set_setting("realestate.grading", "points")
    lead = add(fresh_db, attributes=POINTS_A)
    st = state(fresh_db, lead, T0)
    assert (st.score, st.grade) == (100, "A")
    with fresh_db.at(T0):
        fresh_db.set(lead, {"region_view": "B", "target_unit": "D"}, agent="李娜")  # 100 − 3 − 8 = 89
    st = state(fresh_db, lead, T0)
    assert (st.score, st.grade) == (89, "B")
    assert texts(st)[0] == "B: score 89 ≥ 70"
    with fresh_db.at(T0):
        fresh_db.set(lead, {"target_unit": "C"}, agent="李娜")  # 100 − 3 − 4 = 93 … then 90:
        fresh_db.set(lead, {"urgency": "C"}, agent="李娜")      # 93 − 4 = 89 → B; a signal lifts it back to A
    assert state(fresh_db, lead, T0).score == 89
    st = log(fresh_db, lead, "general_question", T0 + dt.timedelta(hours=1))
    assert (st.score, st.grade) == (91, "A")
    assert "met: buying signal: general question (price, area, discount) (+2)" in texts(st)


def test_points_thresholds_are_settings(fresh_db):
    fresh_db.set_setting("realestate.grading", "points")
    lead = add(fresh_db, attributes={**POINTS_A, "region_view": "B"})  # 97
    assert state(fresh_db, lead, T0).grade == "A"
    fresh_db.set_setting("realestate.points_a", 98)
    assert state(fresh_db, lead, T0).grade == "B"


# ------------------------------------------------------------ visits (§2c)


def test_visits_method(fresh_db):
    fresh_db.set_setting("realestate.grading", "visits")
    lead = add(fresh_db)
    st = state(fresh_db, lead, T0)
    assert st.grade is None  # interaction not recorded yet
    with fresh_db.at(T0):
        fresh_db.set(lead, {"interaction": "none"}, agent="李娜")
    st = state(fresh_db, lead, T0)  # D by the table, a request until a manager approves it
    assert st.grade == "C" and texts(st)[0].startswith("held at C (rated D): a move into D waits")
    with fresh_db.at(T0):
        fresh_db.set(lead, {"interaction": "some"}, agent="李娜")
    st = state(fresh_db, lead, T0)
    assert st.grade == "C" and texts(st)[0] == "C: 1+ visit with some interaction"
    with fresh_db.at(T0):
        fresh_db.set(lead, {"interaction": "frequent"}, agent="李娜")
    assert state(fresh_db, lead, T0).grade == "C"  # one visit: B needs two
    log(fresh_db, lead, "visit", day(1))
    assert state(fresh_db, lead, day(1)).grade == "B"
    log(fresh_db, lead, "visit", day(2))
    st = state(fresh_db, lead, day(2))
    assert st.grade == "B"  # three visits, but the A traits are not recorded
    assert any(t.startswith("for A still missing: knows the project well") for t in texts(st))
    with fresh_db.at(day(2)):
        fresh_db.set(lead, {t: "yes" for t in ("understands_project", "cares_surroundings", "clear_target",
                                                "ample_funds", "urgent")}, agent="李娜")
    st = state(fresh_db, lead, day(2))
    assert st.grade == "A" and texts(st)[0] == "A: 3+ visits, B's traits, ample funds, urgent"


def test_visits_a_by_frequent_interaction_with_fewer_visits(fresh_db):
    fresh_db.set_setting("realestate.grading", "visits")
    lead = add(fresh_db, attributes={"interaction": "frequent", "understands_project": "yes",
                                     "cares_surroundings": "yes", "clear_target": "yes",
                                     "ample_funds": "yes", "urgent": "yes"})
    assert state(fresh_db, lead, T0).grade == "A"


# ------------------------------------------------------------ signals and decay


def test_signals_raise_the_score_in_the_documents_order(fresh_db):
    st = fresh_db.settings
    order = ["general_question", "deep_question", "after_sales_question", "payment_discussion"]
    points = [st[f"realestate.signal_{k}"] for k in order]
    assert points == sorted(points) and len(set(points)) == 4
    lead = add(fresh_db, attributes={"motivation": "B"})
    base = state(fresh_db, lead, T0).score
    assert base == 7
    total = base
    for i, kind in enumerate(order + ["bargaining"]):
        s = log(fresh_db, lead, kind, T0 + dt.timedelta(minutes=i + 1))
        total += st[f"realestate.signal_{kind}"]
        assert s.score == total
    s = log(fresh_db, lead, "unit_shortlist", T0 + dt.timedelta(minutes=9), units="3-1201,3-1502")
    assert s.score == total + st["realestate.signal_unit_shortlist"]
    assert "met: buying signal: discussed payment method and mortgage (+8)" in texts(s)
    assert s.extra["x_strongest_signal"]["signal"] == "payment_discussion"
    # logging the same signal again does not count twice
    again = log(fresh_db, lead, "general_question", T0 + dt.timedelta(minutes=10))
    assert again.score == s.score


def test_unit_shortlist_of_more_than_three_units_is_refused(fresh_db):
    lead = add(fresh_db)
    n = len(fresh_db.store.events_for(lead))
    with fresh_db.at(T0), pytest.raises(LeadcycleError, match="2–3 units at most"):
        fresh_db.log(lead, "unit_shortlist", agent="李娜", data={"units": "1,2,3,4"})
    with fresh_db.at(T0), pytest.raises(LeadcycleError, match="unit_shortlist needs units"):
        fresh_db.log(lead, "unit_shortlist", agent="李娜", data={})
    assert len(fresh_db.store.events_for(lead)) == n


@pytest.mark.parametrize("days, points, text", [
    (3, 0, None),
    (4, -2, "no return for 4–7 days: -2"),
    (7, -2, "no return for 4–7 days: -2"),
    (8, -5, "no return for 8–30 days (watching, comparing): -5"),
    (30, -5, "no return for 8–30 days (watching, comparing): -5"),
    (31, -20, "no return for more than 30 days (intent sharply lower): -20"),
])
def test_return_cycle_decay_bands(fresh_db, days, points, text):
    lead = add(fresh_db, attributes={**ALL_A})  # 80 points from the eight dimensions
    st = state(fresh_db, lead, day(days))
    assert st.score == 80 + points
    decay = [t for t in texts(st) if t.startswith(("no return", "came back"))]
    assert decay == ([text] if text else [])


@pytest.mark.parametrize("normal, en, zh", [
    (7, "no return for 4–7 days: {points}", "4–7天未回访/来电：{points}"),
    (4, "no return for 4 days: {points}", "4天未回访/来电：{points}"),  # a band of one day
    (3, "no return for 4–3 days (no day: an empty band): {points}", "4–3天（空档：不含任何一天）未回访/来电：{points}"),
])
def test_a_decay_band_settings_narrow_says_its_days(normal, en, zh):
    from leadcycle.plugins.realestate import signals

    settings = {"realestate.decay_hot_days": 3, "realestate.decay_normal_days": normal,
                "realestate.decay_cold_days": 30, "realestate.decay_hot_points": 0,
                "realestate.decay_normal_points": -2, "realestate.decay_watching_points": -5,
                "realestate.decay_cold_points": -20}
    band = {a.name: a for a in signals.decay(settings)}["return_normal"]
    assert (band.label.en, band.label.zh) == (en, zh)


def test_only_the_clients_visits_and_calls_reset_the_return_cycle(fresh_db):
    lead = add(fresh_db, attributes={**ALL_A})
    log(fresh_db, lead, "follow_up", day(20))  # the agent's call-back is not a return
    assert state(fresh_db, lead, day(34)).score == 60
    log(fresh_db, lead, "call", day(34))
    st = state(fresh_db, lead, day(34))
    assert st.score == 80
    assert st.extra["x_return_cycle"]["days"] == 0


def test_show_prints_the_decay(fresh_db, run, db_path):
    from leadcycle import LeadBook

    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("李娜")
    add(book, attributes={"motivation": "A"})
    book.close()
    out = run("show", "1", now="2026-04-08T10:00").output
    assert "client last came or called 34 days ago (2026-03-05)" in out
    assert "no return for more than 30 days (intent sharply lower): -20" in out
    zh = run("--lang", "zh", "show", "1", now="2026-04-08T10:00").output
    assert "超过30天未回访/来电（意向大减）：-20" in zh


# ------------------------------------------------------------ cadence


def test_first_call_back_within_3_days_then_by_grade(fresh_db):
    assert fresh_db.settings["realestate.first_call_back_days"] == 3
    lead = add(fresh_db, attributes={**ALL_A})
    st = state(fresh_db, lead, T0)
    assert (st.next_follow_up, st.follow_up_kind) == (day(3).date(), "first")
    log(fresh_db, lead, "follow_up", day(1))
    st = state(fresh_db, lead, day(1))
    assert (st.next_follow_up, st.follow_up_kind) == (day(4).date(), "follow_up")  # A: every 3 days
    with fresh_db.at(day(1)):
        fresh_db.set(lead, {"price": "B"}, agent="李娜")
    assert state(fresh_db, lead, day(1)).next_follow_up == day(6).date()  # B: 5 days
    with fresh_db.at(day(1)):
        fresh_db.set(lead, {"price": "C"}, agent="李娜")
    assert state(fresh_db, lead, day(1)).next_follow_up == day(8).date()  # C: weekly


def test_d_goes_to_the_pool_and_a_contract_stops_follow_ups(fresh_db):
    from leadcycle.plugins.realestate import review

    lead = add(fresh_db, attributes={**CAPPING_A, "motivation": "D"})
    with fresh_db.at(T0):
        review.approve(fresh_db, lead, "陈经理")
    st = state(fresh_db, lead, T0)
    assert st.next_follow_up is None
    assert "grade D: no follow-up; the manager pools and redistributes it" in texts(st)
    won = add(fresh_db, phone="13900000002", name="李四", attributes={**ALL_A})
    st = log(fresh_db, won, "contract", day(2), units=1, amount=1_200_000)
    assert st.next_follow_up is None and st.stage == "contracted"
    assert "contract signed: no more accumulation follow-ups" in texts(st)


# ------------------------------------------------------------ due


def _due(book, at, agent=None):
    from leadcycle import loader

    with book.at(at):
        items = []
        for extra in loader.call_safely("due_items", book=book, agent=agent, today=at.date()):
            items.extend(extra)
    return items


def test_lapse_warning_from_3_days_before_the_protection_ends(fresh_db):
    lead = add(fresh_db, attributes={"motivation": "B"})
    # protection: 30 days from the registered visit, day 30 is the last protected day
    assert _due(fresh_db, day(26)) == []
    items = _due(fresh_db, day(27))
    assert [(i["lead_id"], i["kind"], i["days_left"], i["due"]) for i in items] == [
        (lead, "lapse_warning", 3, day(30).date().isoformat())]
    assert items[0]["text"].en == f"protection ends {day(30).date()} (3 days left): follow up to keep the lead"
    assert [i["days_left"] for i in _due(fresh_db, day(30))] == [0]
    assert _due(fresh_db, day(31)) == []  # lapsed: in the pool, nothing to keep
    assert _due(fresh_db, day(27), agent="王强") == []
    fresh_db.set_setting("realestate.lapse_warning_days", 5)
    assert len(_due(fresh_db, day(25))) == 1


def test_lapse_query_uses_the_owner_index(fresh_db):
    sql = ("SELECT lead_id FROM lead_state s WHERE s.owner_until > ? AND s.owner_until <= ? "
           "AND s.owner IN (SELECT name FROM agents)")
    plan = " ".join(fresh_db.store.explain_query_plan(sql, ["2026-01-01", "2026-02-01"]))
    assert "USING INDEX" in plan and "owner" in plan


def test_due_command_sorts_by_grade_then_age(run, db_path):
    from leadcycle import LeadBook

    book = LeadBook.create(db_path, ["realestate"], now=T0)
    book.add_agent("李娜")
    c_old = add(book, attributes={**CAPPING_A, "motivation": "C"})
    a_new = add(book, phone="13900000002", name="李四", attributes=CAPPING_A, at=day(1))
    b_mid = add(book, phone="13900000003", name="王五", attributes={**CAPPING_A, "motivation": "B"},
                at=day(0, 2))
    a_old = add(book, phone="13900000004", name="赵六", attributes=CAPPING_A, at=day(0, 1))
    book.close()
    result = run("due", "--agent", "李娜", "--json", now="2026-04-03T10:00")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    first = [i["lead_id"] for i in items if i["kind"] == "first_call_back"]
    assert first == [a_old, a_new, b_mid, c_old]
    lapse = [i["lead_id"] for i in items if i["kind"] == "lapse_warning"]
    assert lapse == [a_old, a_new, b_mid, c_old]
    text = run("due", "--agent", "李娜", now="2026-04-03T10:00").output
    assert "protection ends 2026-04-04 (1 day left)" in text
