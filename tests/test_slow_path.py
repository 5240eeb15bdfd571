"""A third-party plugin's Python :class:`Feature` — the slow path of issue
#17 — under the same promise as the compiled rules: any read at any clock
lists what ``show`` says then, and writes nothing.

A feature that reads the clock (``view.now``, or a day count of
``view.facts``) without saying when its value changes (:class:`Expiring`)
makes the lead's stored projection hold at its own clock only; a feature
that does not read the clock keeps the stored projection good until the
lead's next entry, so lists at later clocks stay on the fast path."""

import datetime as dt
import json
import sqlite3

import pytest
from click.testing import CliRunner

from leadcycle import (Adjustment, Cadence, CadenceRule, CadenceStop, Cond, Criterion, Expiring, Feature, Field, Industry, Label,
                       LeadBook, OwnershipPolicy, Scorecard, hookimpl, loader)
from leadcycle.cli import cli

T0 = dt.datetime(2026, 3, 5, 9)
#: read clocks in no particular order, before and after the thresholds
CLOCKS = (0, 5, 20, 3, 9, 10, 11, 30, 1)
calls = {"n": 0}


def _age_by_clock(view):
    calls["n"] += 1
    return (view.now - view.lead.created_at).days


def _age_by_facts(view):
    calls["n"] += 1
    return view.facts["days_since_registered"]


def _age_expiring(view):
    calls["n"] += 1
    age = (view.now - view.lead.created_at).days
    fresh_until = dt.datetime.combine(view.lead.created_at.date() + dt.timedelta(days=10), dt.time())
    return Expiring(age, fresh_until if age < 10 else None)


def _budget_band(view):  # no clock: the stored projection holds until the next entry
    calls["n"] += 1
    return "high" if (view.attributes.get("budget") or 0) > 5 else "low"


class Tea:
    """A tea shop: a client is A while fresh (under 10 days) with a budget;
    without ``compute``, A by the budget alone (no feature reads the clock)."""

    def __init__(self, compute=None):
        self.compute = compute

    @hookimpl
    def register_industries(self, register):
        register(Industry("tea", Label("tea", "茶"), fields=(Field("budget", "int", Label("budget", "预算"), minimum=0),)))

    @hookimpl
    def scorecard(self, industry, settings):
        if industry != "tea":
            return None
        band = Feature("x_band", Label("budget band", "预算档"), _budget_band)
        budget = Criterion("budget", Label("budget", "预算"), 40 if self.compute else 100, Cond("x_band", "==", "high"))
        if self.compute is None:
            return Scorecard("tea", Label("tea", "茶"), criteria=(budget,), thresholds=(("A", 90),), fallback="C",
                             features=(band,))
        return Scorecard(
            "tea", Label("tea", "茶"),
            criteria=(Criterion("fresh", Label("fresh", "新客"), 60, Cond("x_age", "<", 10)), budget),
            thresholds=(("A", 90), ("B", 50)), fallback="C",
            features=(Feature("x_age", Label("days since registered", "登记天数"), self.compute), band))


@pytest.fixture
def tea(request, tmp_path):
    plugin = Tea(request.param)
    pm = loader.get_pm()
    pm.register(plugin, name="tea")
    path = str(tmp_path / "tea.db")
    book = LeadBook.create(path, ["tea"], now=T0)
    book.add_agent("李娜")
    for i, budget in enumerate((8, 1)):
        book.add_lead("tea", name=f"客户{i}", gender="F", phone=f"1390000000{i}", need="茶",
                      attributes={"budget": budget}, agent="李娜")
    book.close()
    yield path
    pm.unregister(name="tea")


def _dump(path):
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize("tea", [_age_by_clock, _age_by_facts, _age_expiring], indirect=True,
                         ids=["view.now", "a day count of view.facts", "Expiring"])
def test_a_clock_reading_feature_lists_what_show_says_at_every_clock(tea):
    before = _dump(tea)
    for days in CLOCKS:
        book = LeadBook.open(tea, T0 + dt.timedelta(days=days))
        shown = {i: book.record(i).state for i in (1, 2)}
        assert shown[1].grade == ("A" if days < 10 else "C"), days  # the rule itself, both sides of 10 days
        assert shown[2].grade == ("B" if days < 10 else "C"), days
        assert {r["id"]: (r["grade"], r["score"]) for r in book.list()} == {
            i: (s.grade, s.score) for i, s in shown.items()}, days
        for grade in "ABC":
            assert {r["id"] for r in book.list(grade=grade)} == {i for i, s in shown.items() if s.grade == grade}
        book.close()
    assert _dump(tea) == before  # no read wrote


@pytest.mark.parametrize("tea", [_age_by_clock], indirect=True)
def test_the_cli_lists_what_show_says_at_a_later_clock(tea):
    runner = CliRunner()
    later = (T0 + dt.timedelta(days=20)).isoformat()
    listed = runner.invoke(cli, ["--db", tea, "--now", later, "list", "--json"])
    shown = runner.invoke(cli, ["--db", tea, "--now", later, "show", "1", "--json"])
    assert listed.exit_code == shown.exit_code == 0, (listed.output, shown.output)
    assert [r["grade"] for r in json.loads(listed.stdout) if r["id"] == 1] == [json.loads(shown.stdout)["grade"]] == ["C"]


def test_a_feature_that_does_not_read_the_clock_keeps_later_lists_on_the_stored_rows(tmp_path):
    pm = loader.get_pm()
    pm.register(Tea(), name="tea")
    try:
        path = str(tmp_path / "flat.db")
        book = LeadBook.create(path, ["tea"], now=T0)
        book.add_agent("李娜")
        book.add_lead("tea", name="客户", gender="F", phone="13900000001", need="茶", attributes={"budget": 8},
                      agent="李娜")
        book.close()
        calls["n"] = 0
        book = LeadBook.open(path, T0 + dt.timedelta(days=20))  # before the protection lapses
        assert [r["grade"] for r in book.list()] == ["A"]
        assert calls["n"] == 0  # the stored projection holds: nothing evaluated in Python
        book.close()
    finally:
        pm.unregister(name="tea")


# ------------------------------------------- every day count a rule tests
#
# A stored row holds until the next day a rule's answer may change. These
# rules test day counts in every way a plugin may declare them — as data
# (compiled to SQL), in a cadence, through a feature computed from another
# — and each must move the row when its answer moves.

L = lambda text: Label(text, text)  # noqa: E731
DEADLINE = (T0 + dt.timedelta(days=10)).date().isoformat()
_age = lambda v: (v.now - v.lead.created_at).days  # noqa: E731
DECLARED = {
    "in a list": dict(criteria=(Criterion("c", L("c"), 100, Cond("days_since_registered", "in", (3, 7))),)),
    "not in a list": dict(criteria=(Criterion("c", L("c"), 100, Cond("days_since_registered", "not_in", (0, 1, 2))),)),
    "a truth test": dict(criteria=(Criterion("c", L("c"), 100, Cond("days_since_registered", "true")),)),
    "a countdown's bands": dict(
        criteria=(Criterion("c", L("c"), 50, Cond("n_visit", ">=", 1)),),
        adjustments=(Adjustment("a", L("a"), "days_until_deadline", ((2, 50), (6, 0)), beyond=-50),)),
    "a feature through another": dict(
        criteria=(Criterion("young", L("young"), 100, Cond("x_old", "false")),),
        features=(Feature("x_base", L("age"), _age), Feature("x_old", L("old"), lambda v: v.facts["x_base"] >= 4))),
    "a stored feature that reads the clock": dict(
        criteria=(Criterion("young", L("young"), 100, Cond("x_age", "<", 4)),),
        features=(Feature("x_age", L("age"), _age, stored=True),)),
}
CADENCES = {
    "a cadence that stops": Cadence((CadenceRule(None, L("every 3 days"), interval_days=3, first_days=1),),
                                    stop=(Cond("days_since_last_contact", ">=", 20),)),
    # stops are alternatives: the first quiet week (days 6–8) or from day 20
    "a cadence that stops for either of two reasons": Cadence(
        (CadenceRule(None, L("every 3 days"), interval_days=3, first_days=1),),
        stop=(Cond("days_since_registered", ">=", 20),),
        stops=CadenceStop((Cond("days_since_registered", ">=", 6), Cond("days_since_registered", "<", 9)),
                          Label("a quiet week", "安静的一周"))),
    "a cadence rule from a day": Cadence((
        CadenceRule(None, L("late: every 10 days"), interval_days=10, when=(Cond("days_since_registered", ">=", 8),)),
        CadenceRule(None, L("every 3 days"), interval_days=3, first_days=1))),
}


class Clockwork:
    """A shop whose only rules are ``declared`` (a scorecard's parts) or a
    follow-up ``cadence``."""

    def __init__(self, declared=None, cadence=None):
        self.declared, self.cadence = declared or {}, cadence

    @hookimpl
    def register_industries(self, register):
        register(Industry("clock", L("clock"), fields=(Field("deadline", "date", L("deadline")),)))

    @hookimpl
    def scorecard(self, industry, settings):
        if industry == "clock":
            return Scorecard("clock", L("clock"), thresholds=(("A", 90), ("B", 40)), fallback="C",
                             **{"criteria": (Criterion("visited", L("visited"), 100, Cond("n_visit", ">=", 1)),),
                                **self.declared})

    @hookimpl
    def ownership_policy(self, industry, settings):
        if industry == "clock":
            return OwnershipPolicy(protection_days=90)  # no lapse within the days read

    @hookimpl
    def follow_up_cadence(self, industry, settings):
        if industry == "clock":
            return self.cadence


@pytest.mark.parametrize("plugin", [*(Clockwork(declared=d) for d in DECLARED.values()),
                                    *(Clockwork(cadence=c) for c in CADENCES.values())],
                         ids=[*DECLARED, *CADENCES])
def test_every_day_count_a_rule_tests_moves_the_lists_with_show(plugin, tmp_path):
    pm = loader.get_pm()
    pm.register(plugin, name="clock")
    try:
        path = str(tmp_path / "clock.db")
        book = LeadBook.create(path, ["clock"], now=T0)
        book.add_agent("李娜")
        book.add_lead("clock", name="客户", gender="F", phone="13900000001", need="钟",
                      attributes={"deadline": DEADLINE}, agent="李娜")
        book.close()
        seen = set()
        for days in range(0, 26):
            book = LeadBook.open(path, T0 + dt.timedelta(days=days))
            shown = book.record(1).state
            row, = book.list()
            due = shown.next_follow_up is not None and shown.next_follow_up <= book.now.date()
            assert (row["grade"], row["score"], row["next_follow_up"]) == (
                shown.grade, shown.score, shown.next_follow_up and shown.next_follow_up.isoformat()), days
            assert [r["id"] for r in book.due("李娜")] == ([1] if due else []), days
            seen.add((shown.grade, shown.next_follow_up))
            book.close()
        assert len(seen) > 1  # the rule did move with the clock
    finally:
        pm.unregister(name="clock")


def test_each_stop_of_a_cadence_says_its_own_reason(tmp_path):
    """The first stop that holds gives the lead's reason; the list plans
    nothing on the same days (above: every day of four weeks)."""
    pm = loader.get_pm()
    pm.register(Clockwork(cadence=CADENCES["a cadence that stops for either of two reasons"]), name="clock")
    try:
        path = str(tmp_path / "clock.db")
        book = LeadBook.create(path, ["clock"], now=T0)
        book.add_agent("李娜")
        book.add_lead("clock", name="客户", gender="F", phone="13900000001", need="钟", agent="李娜")
        book.close()
        said = {}
        for days in (5, 6, 8, 9, 19, 20):
            book = LeadBook.open(path, T0 + dt.timedelta(days=days))
            state = book.record(1).state
            stops = [r.text.en for r in state.reasons if r.rule == "cadence:stop"]
            said[days] = (stops, state.next_follow_up is None, book.list()[0]["next_follow_up"] is None)
            book.close()
        assert said == {5: ([], False, False), 6: (["a quiet week"], True, True), 8: (["a quiet week"], True, True),
                        9: ([], False, False), 19: ([], False, False), 20: (["no follow-up planned"], True, True)}
    finally:
        pm.unregister(name="clock")
