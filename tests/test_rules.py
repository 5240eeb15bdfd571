"""The declarative rule evaluator, with the documents' boundaries."""

import datetime as dt

import pytest

from leadcycle import Adjustment, Cap, Cond, Criterion, Dimension, GradeRule, Label, Rating, Scorecard
from leadcycle.rules import Cadence, CadenceRule, evaluate, next_follow_up

POINTS = Scorecard(
    "points", Label("points", "打分"),
    criteria=(Rating("x", Label("x", "x"), {str(i): i for i in range(101)}),),
    thresholds=(("A", 90), ("B", 70), ("C", 60)),
)


@pytest.mark.parametrize("score,grade", [(100, "A"), (90, "A"), (89, "B"), (70, "B"), (69, "C"),
                                         (60, "C"), (59, "D"), (0, "D")])
def test_point_thresholds_at_the_documents_boundaries(score, grade):
    (v,) = evaluate(POINTS, [{"x": str(score)}])
    assert (v.score, v.grade) == (score, grade)
    assert v.reasons[0].rule == "threshold"
    assert str(score) in v.reasons[0].text.en


def test_criteria_add_up_and_explain_met_and_missed():
    card = Scorecard("c", Label("c", "c"), criteria=(
        Criterion("funds", Label("funds ready", "资金到位"), 60, Cond("funds", "==", "yes")),
        Criterion("family", Label("family agrees", "家人同意"), 40, (Cond("family", "true"),)),
    ), thresholds=(("A", 90), ("B", 50)))
    (v,) = evaluate(card, [{"funds": "yes", "family": False}])
    assert v.score == 60 and v.grade == "B"
    texts = [r.text.en for r in v.reasons]
    assert "met: funds ready (+60)" in texts
    assert "missed: family agrees (0 of 40)" in texts
    assert any("资金到位" in r.text.zh for r in v.reasons)


def test_adjustment_bands_and_clamping():
    card = Scorecard("d", Label("d", "d"), criteria=(Criterion("base", Label("b", "b"), 20, ()),),
                     adjustments=(Adjustment("decay", Label("no return for {value} days: {points}", "{value}天未回访：{points}"),
                                             "days_since_last_contact", ((3, 0), (7, -5), (30, -10)), beyond=-25),),
                     thresholds=(("A", 90),))
    scores = [v.score for v in evaluate(card, [{"days_since_last_contact": d} for d in (3, 4, 7, 8, 30, 31)])]
    assert scores == [20, 15, 15, 10, 10, 0]  # 20 - 25 clamps at 0
    (v,) = evaluate(card, [{"days_since_last_contact": 34}])
    assert "no return for 34 days: -25" in [r.text.en for r in v.reasons]


def test_lowest_dimension_names_the_capping_dimension():
    card = Scorecard("t", Label("t", "t"), dimensions=(
        Dimension("price", Label("price", "价格")), Dimension("funds", Label("funds", "资金")),
        Dimension("contact", Label("contact", "联络"), auxiliary=True)))
    v1, v2, v3 = evaluate(card, [{"price": "B", "funds": "C", "contact": "D"}, {}, {"price": "A"}])
    assert v1.grade == "C"
    assert "funds" in v1.reasons[0].text.en and "price" not in v1.reasons[0].text.en
    assert v2.grade is None and v2.reasons[0].rule == "grade:unrated"
    assert v3.grade == "A"


def test_ladder_first_matching_rule_and_what_the_next_grade_lacks():
    card = Scorecard("l", Label("l", "l"), ladder=(
        GradeRule("A", (Cond("bargaining", "true", label=("bargaining", "议价")),
                        Cond("days_to_site", "<=", 30, ("on site within 30 days", "30天内到场")))),
        GradeRule("B", (Cond("asked_price", "true", label=("asked the price", "询价")),)),
    ), fallback="C")
    a, b, c = evaluate(card, [{"bargaining": True, "days_to_site": 30, "asked_price": True},
                              {"bargaining": True, "days_to_site": 31, "asked_price": True}, {}])
    assert (a.grade, b.grade, c.grade) == ("A", "B", "C")
    assert "on site within 30 days" in b.reasons[-1].text.en
    assert "bargaining" not in b.reasons[-1].text.en
    assert "asked the price" in c.reasons[-1].text.en


def test_caps_limit_the_grade_and_say_why():
    card = Scorecard("c", Label("c", "c"), criteria=(Rating("x", Label("x", "x"), {"top": 100}),),
                     thresholds=(("A", 90),), fallback="D",
                     caps=(Cap("C", Cond("decision_maker", "false"), ("no decision maker", "未接触决策人")),))
    capped, free = evaluate(card, [{"x": "top"}, {"x": "top", "decision_maker": True}])
    assert capped.grade == "C" and "no decision maker" in capped.reasons[0].text.en
    assert free.grade == "A"


def test_cond_missing_values_fail_comparisons():
    assert not Cond("n", ">=", 1).test(None)
    assert Cond("n", "!=", 1).test(None)
    assert Cond("n", "unset").test(None) and not Cond("n", "set").test(None)
    assert Cond("g", "in", ["A", "B"]).test("A") and not Cond("g", "in", ["A", "B"]).test("C")


def test_cadence_first_call_back_then_interval_and_pool():
    cad = Cadence((CadenceRule("A", Label("a", "a"), interval_days=3, first_days=0),
                   CadenceRule("D", Label("d", "d"), pool=True)))
    day = dt.date(2026, 3, 5)
    assert next_follow_up(cad, "A", day, None)[:2] == (day, "first")
    assert next_follow_up(cad, "A", day, dt.date(2026, 3, 6))[:2] == (dt.date(2026, 3, 9), "follow_up")
    due, kind, reason = next_follow_up(cad, "D", day, None)
    assert due is None and reason.rule == "cadence:pool"


def test_a_yes_no_rating_says_yes_or_no_not_true():
    """A Rating over a bool field explained itself as 'wedding: True'
    (session 20's plugin tester); 1 stays 1."""
    from leadcycle.rules import Rating, Scorecard, evaluate

    card = Scorecard("w", "w", criteria=(Rating("wedding", ("wedding", "婚礼"), {True: 30, False: 0}),
                                         Rating("rooms", ("rooms", "房间"), {1: 2, 3: 5})), thresholds=(("A", 30),))
    yes, no = evaluate(card, [{"wedding": True, "rooms": 3}, {"wedding": False, "rooms": 1}])
    assert [r.text.en for r in yes.reasons][1:] == ["wedding: yes (30 of 30)", "rooms: 3 (5 of 5)"]
    assert [r.text.zh for r in no.reasons][1:] == ["婚礼：否（0/30）", "房间：1（2/5）"]
