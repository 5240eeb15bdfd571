"""Broken plugins (issue #14): each through the command line, with no
traceback, the plugin and the hook named, and — where the hook's failure
refuses the command — a non-zero exit and nothing written.

Which hooks skip and which refuse is the hookspecs' decision
(``leadcycle.hookspecs.on_error``); the table below holds one or more broken
implementations of every hook, and a test checks that it covers them all.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import inspect
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import types

import click
import pytest
from sqlite_utils.migrations import Migrations

from leadcycle import (
    Adjustment,
    Cadence,
    CadenceRule,
    CadenceStop,
    Cond,
    Criterion,
    Derived,
    Event,
    EventKind,
    Field,
    Industry,
    Label,
    LeadBook,
    LeadcycleError,
    OwnershipPolicy,
    Rating,
    Scorecard,
    Setting,
    Stage,
    StageLadder,
    Tally,
    hookimpl,
    hookspecs,
    loader,
)
from conftest import dump

NOW = "2026-03-06T10:00"
ADD_LEAD = ("lead", "add", "--industry", "realestate", "--name", "王芳", "--gender", "F",
            "--phone", "13900139000", "--need", "两房", "--agent", "李娜")


@pytest.fixture
def office(db_path, now):
    """A database with one agent and one real-estate lead (#1), made before
    any broken plugin is registered."""
    book = LeadBook.create(db_path, ["realestate"], now=now)
    book.add_agent("李娜")
    book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房", agent="李娜")
    book.close()
    return db_path


@pytest.fixture
def plugin():
    """``plugin(hook=function, ...)`` registers a throw-away plugin named
    ``bad`` (more with ``name=``); all are removed afterwards."""
    registered = []

    def _register(name="bad", **hooks):
        pm = loader.get_pm()
        pm.register(types.SimpleNamespace(**{h: hookimpl(f) for h, f in hooks.items()}), name=name)
        registered.append((pm, name))

    yield _register
    for pm, name in registered:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def _raise(*exc):
    def boom(*args):
        raise exc[0]

    return boom


# ------------------------------------------------ every hook, broken


def _register_bad_industry(register):
    register({"name": "flowers"})


def _register_half_then_raise(register):
    register(Industry("gadgets", Label("gadgets", "小工具")))
    raise RuntimeError("second industry missing")


def _register_core_field(register):
    register(Industry("gadgets", Label("gadgets", "小工具"), fields=(Field("phone", "str", Label("p", "p")),)))


def _register_bad_setting(register):
    register("gadgets.threshold=5")


def _register_bad_migrations(register):
    register("m001_create_gadgets")


def _register_core_migrations(register):
    register(Migrations("core"))


def _commands_return(cli):
    return ["bouquet"]


def _demo_exit(book, rng, start, days):
    sys.exit(3)


def _check_returns_false(book, lead, events, event):
    return False


def _check_exit(book, lead, events, event):
    sys.exit(1)


#: (hook, broken implementation, command that calls it, what is wrong)
SKIPPED = [
    ("register_industries", _raise(RuntimeError("boom")), ("fields", "--industry", "realestate"), "boom"),
    ("register_industries", _raise(SystemExit(2)), ("fields", "--industry", "realestate"), "SystemExit"),
    ("register_industries", _register_bad_industry, ("fields", "--industry", "realestate"), "not dict"),
    ("register_industries", _register_core_field, ("fields", "--industry", "realestate"), "is the core's"),
    ("register_industries", lambda register: [Industry("gadgets", Label("g", "g"))],
     ("fields", "--industry", "realestate"), "returned a list"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), fields=(
        Field("size", "choice", Label("size", "尺寸"), choices="SML"),))),
     ("fields", "--industry", "realestate"), "not the text 'SML'"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), fields=(
        Field("area", "float", Label("area", "面积"), minimum=200, maximum=20),))),
     ("fields", "--industry", "realestate"), "minimum 200 is above maximum 20"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), fields=(
        Field("budget", "int", Label("budget", "预算")), Field("budget", "float", Label("budget", "预算"))))),
     ("fields", "--industry", "realestate"), "field 'budget' is declared twice"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), event_kinds=(
        EventKind("quote", Label("quote", "报价")), EventKind("quote", Label("quote", "报价"))))),
     ("fields", "--industry", "realestate"), "event kind 'quote' is declared twice"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), fields=(
        Field("budget", "integer", Label("budget", "预算")),))),
     ("fields", "--industry", "realestate"),
     "raised ValueError: field 'budget': type 'integer' is not one of str, int, float, bool, date, choice; skipped"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), event_kinds=(
        EventKind("demo", Label("demo", "演示"), fields=(Field("liked", "bool", Label("liked", " ")),)),))),
     ("fields", "--industry", "realestate"),
     "industry 'gadgets': field 'liked' of event kind 'demo' has no Chinese label (Label('liked', ' '))"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), event_kinds=(
        EventKind("demo", Label("demo", "演示"), fields=(Field("mode", "choice", Label("mode", "方式"),
                                                               choices=(("a", ("", "甲")),)),)),))),
     ("fields", "--industry", "realestate"), "choice 'a' of field 'mode' of event kind 'demo' has no English label"),
    # a tally's condition on data its entries never carry, or on a value its field never is
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), event_kinds=(
        EventKind("test_drive", Label("test drive", "试驾"), fields=(Field("liked", "bool", Label("l", "满意")),)),),
        tallies=(Tally("liked_drive", ("test_drive",), where=(Cond("likes", "true"),)),))),
     ("fields", "--industry", "realestate"), "tally 'liked_drive' reads 'likes', which no entry it counts carries "
                                              "(their data: not_owner, owner, owner_away, liked)"),
    ("register_industries", lambda register: register(Industry("gadgets", Label("g", "g"), event_kinds=(
        EventKind("test_drive", Label("test drive", "试驾"), fields=(Field("liked", "bool", Label("l", "满意")),)),),
        tallies=(Tally("liked_drive", ("test_drive",), where=(Cond("liked", "==", "yes"),)),))),
     ("fields", "--industry", "realestate"), "compares liked with 'yes', which it never is (it is true or false"),
    ("register_settings", _register_bad_setting, ("settings", "list"), "not str"),
    ("register_settings", _raise(ValueError("no settings")), ("settings", "list"), "no settings"),
    ("register_migrations", _register_bad_migrations, ("init", "--industry", "realestate"), "Migrations"),
    ("register_migrations", _register_core_migrations, ("init", "--industry", "realestate"), "already taken"),
    ("register_commands", _raise(RuntimeError("no commands")), ("agent", "list"), "no commands"),
    ("register_commands", _commands_return, ("agent", "list"), "returned a list"),
    ("due_items", _raise(KeyError("owner")), ("due",), "KeyError"),
    ("due_items", lambda book, agent, today: "call 张伟", ("due",), "not a list of dicts"),
    ("due_items", lambda book, agent, today: [1], ("due",), "item 0 is an int"),
    ("due_items", lambda book, agent, today: [{"lead_id": "1", "owner": None, "kind": "x", "text": "t"}],
     ("due",), "lead_id is a str"),
    ("due_items", lambda book, agent, today: [{"lead_id": 1, "owner": None, "kind": "x"}], ("due",),
     "has no text"),
    ("due_items", lambda book, agent, today: [{"lead_id": 1, "owner": None, "kind": "x", "text": "t",
                                               "grade": ["A"]}], ("due",), "grade is a list"),
    ("due_items", lambda book, agent, today: [{"lead_id": 1, "owner": None, "kind": "x", "text": "t",
                                               "extra": {1, 2}}], ("due",), "not plain data"),
]

REFUSED = [
    ("scorecard", lambda industry, settings: {"A": 90}, ADD_LEAD, "returned a dict, not a Scorecard"),
    ("scorecard", _raise(ZeroDivisionError("division by zero")), ADD_LEAD, "ZeroDivisionError"),
    ("stages", lambda industry, settings: 42, ADD_LEAD, "returned an int, not a StageLadder"),
    ("ownership_policy", lambda industry, settings: {"protection_days": 7}, ADD_LEAD,
     "returned a dict, not an OwnershipPolicy"),
    ("ownership_policy", lambda industry, settings: OwnershipPolicy(protection_days="30"), ADD_LEAD,
     "returned an OwnershipPolicy whose protection_days is a str, not int"),
    ("ownership_policy", lambda industry, settings: OwnershipPolicy(first_callback_days=True), ADD_LEAD,
     "first_callback_days is a bool, not int or None"),
    ("follow_up_cadence", lambda industry, settings: [("A", 3)], ADD_LEAD, "returned a list, not a Cadence"),
    # a name no lead has: a misspelt count, a kind the industry does not have (a condition that never holds)
    ("stages", lambda industry, settings: StageLadder([Stage("new", "new"), Stage("seen", "seen", requires=(
        Cond("n_vist", ">=", 1),))]), ADD_LEAD, "its rules for realestate read n_vist, which no lead has"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3, when=(
        Cond("days_since_last_vist", ">", 3),)), CadenceRule(None, "y", interval_days=5)]), ADD_LEAD,
     "read days_since_last_vist"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 90, (
        Cond("n_visit", ">=", 1),)),), thresholds=(("A+", 90), ("A", 70)), fallback="E"),
     ADD_LEAD, "gives grades A+, E, which are not on the industry's scale (A, B, C, D)"),
    ("scorecard", lambda industry, settings: Scorecard("quotes", "quotes", criteria=(Criterion("q", "q", 10, (
        Cond("n_quote", ">=", 1),)),), thresholds=(("A", 10),)), ADD_LEAD, "read n_quote"),
    # a kind's moment with no tally: the hint says to declare one (session 21's plugin tester)
    ("scorecard", lambda industry, settings: Scorecard("d", "d", criteria=(Criterion("q", "q", 10, (
        Cond("days_since_last_deposit", "<=", 7),)),), thresholds=(("A", 10),)), ADD_LEAD,
     "the moments of a kind are a tally's: declare Tally('deposit', ('deposit',)) in the industry"),
    # a "never is" test that always holds says so
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("f", "f", 90, (
        Cond("funds", "!=", "a"),)),), thresholds=(("A", 90),)), ADD_LEAD,
     "compares funds with 'a', which it never is (it is one of A, B, C, D), so it always holds"),
    # a value a name the rules read never is: a choice, a stage, a grade, a yes/no, a number
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("f", "f", 90, (
        Cond("funds", "==", "a"),)),), thresholds=(("A", 90),)), ADD_LEAD,
     "Cond('funds', '==', …) compares funds with 'a', which it never is (it is one of A, B, C, D)"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("f", "f", 90, (
        Cond("funds", "in", ("A", "E")),)),), thresholds=(("A", 90),)), ADD_LEAD, "compares funds with 'E'"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("u", "u", 90, (
        Cond("urgent", "==", "yes"),)),), thresholds=(("A", 90),)), ADD_LEAD,
     "compares urgent with 'yes', which it never is (it is true or false; or write Cond('urgent', \"true\"))"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("a", "a", 90, (
        Cond("area", ">=", "120"),)),), thresholds=(("A", 90),)), ADD_LEAD,
     "compares area with '120', which it never is (it is a number, written without quotes)"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 90, (
        Cond("n_visit", ">=", "2"),)),), thresholds=(("A", 90),)), ADD_LEAD, "compares n_visit with '2'"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Rating("funds", "f", {
        "A": 30, "b": 20, "c": 10}),), thresholds=(("A", 30),)), ADD_LEAD,
     "Rating('funds', …) gives points for 'b', 'c', which funds never is (it is one of A, B, C, D)"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3, when=(
        Cond("grade", "in", ("a", "b")),)), CadenceRule(None, "y", interval_days=5)]), ADD_LEAD,
     "compares grade with 'a'"),
    # a value read before it is decided: never set there (session 21's plugin tester)
    ("stages", lambda industry, settings: StageLadder([Stage("new", "new"), Stage("seen", "seen", requires=(
        Cond("grade", "in", ("A", "B")),))]), ADD_LEAD,
     "its ladder reads grade, which the scorecard decides after the stage"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("s", "s", 10, (
        Cond("score", ">=", 10),)),), thresholds=(("A", 10),)), ADD_LEAD,
     "its scorecard reads score, which the scorecard itself decides"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("s", "s", 10, (
        Cond("staged", "==", 1),)),), thresholds=(("A", 10),), features=(Derived(
            "staged", "staged", (((Cond("stage", "set"),), 1),), default=0),)), ADD_LEAD,
     "its derived values read stage, which are decided after them"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule("a", "x", interval_days=3),
                                                              CadenceRule(None, "y", interval_days=5)]), ADD_LEAD,
     "its cadence has rules for grades a, which are not on the industry's scale (A, B, C, D)"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3)],
                                                             kinds=("follow_up", "vist")), ADD_LEAD,
     "its cadence counts entries of kinds vist, which realestate does not have"),
    ("ownership_policy", lambda industry, settings: OwnershipPolicy(deal_kinds=("deposit", "contrat")), ADD_LEAD,
     "its ownership policy for realestate counts entries of kinds contrat, which the industry does not have"),
    ("ownership_policy", lambda industry, settings: OwnershipPolicy(contact_kinds=("visit", "cal")), ADD_LEAD,
     "counts entries of kinds cal"),
    # declarations of the wrong shape: each refused with what is wrong, not read another way
    ("stages", lambda industry, settings: StageLadder([Stage("new", "new"), Stage("seen", "seen", requires=(
        Cond("channel", "in", "visit"),))]), ADD_LEAD, "takes a list or tuple of values, not 'visit'"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 90, (
        Cond("n_visit", ">=", 1),)),), thresholds=(("B", 50), ("A", 80))), ADD_LEAD,
     "thresholds go from the highest score down"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 90, (
        Cond("n_visit", ">=", None),)),)), ADD_LEAD, "compares with a number or a text"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", "5", (
        Cond("n_visit", ">=", 1),)),)), ADD_LEAD, "criterion 'v': points are a number, not '5'"),
    ("scorecard", lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 5, (
        Cond("n_visit", ">=", 1),)),), adjustments=(Adjustment("d", Label("{days} days: {points}", "{days}天：{points}"),
                                                                "days_since_registered", ((3, 0),), beyond=-5),)),
     ADD_LEAD, "may name {value} and {points} only"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3)], stops=(
        Cond("n_contract", ">=", 1),)), ADD_LEAD, "takes CadenceStop(when, label) alternatives"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3)], stops=(
        CadenceStop((), "done"),)), ADD_LEAD, "a cadence stop needs at least one condition"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=3)], stops=(
        CadenceStop(Cond("n_contrct", ">=", 1), "done"),)), ADD_LEAD, "read n_contrct"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, "x", interval_days=-3)]), ADD_LEAD,
     "interval_days is a number of days, 0 or more, not -3"),
    ("follow_up_cadence", lambda industry, settings: Cadence([CadenceRule(None, Label("every 3 days", None),
                                                                          interval_days=3)]), ADD_LEAD,
     "a label is two texts, English and Chinese"),
    ("follow_up_cadence", _raise(SystemExit(3)), ("log", "1", "visit", "--agent", "李娜"), "SystemExit: 3"),
    ("run_review", lambda book, apply: 42, ("review",), "returned an int"),
    ("run_review", lambda book, apply: [{"lead_id": 1, "reason": "r"}], ("review",), "item 0 has no change"),
    ("run_review", _raise(RuntimeError("review broke")), ("review",), "review broke"),
    ("check_event", _raise(RuntimeError("boom")), ("log", "1", "visit", "--agent", "李娜"), "boom"),
    ("check_event", _check_returns_false, ("log", "1", "visit", "--agent", "李娜"), "returned a bool"),
    ("check_event", _check_exit, ("lead", "set", "1", "funds=A", "--agent", "李娜"), "SystemExit: 1"),
]


def _ids(cases):
    return [f"{hook}-{n}" for n, (hook, *_rest) in enumerate(cases)]


def test_the_battery_covers_every_hook_with_its_policy():
    specs = {name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, "leadcycle_spec")}
    skipped = {c[0] for c in SKIPPED} | {"populate_demo"}  # the demo: test below
    refused = {c[0] for c in REFUSED}
    assert skipped | refused == specs
    assert all(hookspecs.on_error(h) == hookspecs.SKIP for h in skipped)
    assert all(hookspecs.on_error(h) == hookspecs.REFUSE for h in refused)
    assert set(loader.RESULT_CHECKS) == specs


@pytest.mark.parametrize("hook, impl, command, problem", SKIPPED, ids=_ids(SKIPPED))
def test_a_broken_collection_or_advice_hook_is_skipped_with_a_warning(office, plugin, run, hook, impl,
                                                                      command, problem):
    plugin(**{hook: impl})
    result = run(*command, now=NOW)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "plugin 'bad'" in line]
    assert len(warning) == 1 and warning[0].startswith("Warning:") and hook in warning[0], result.stderr
    assert problem in warning[0]


@pytest.mark.parametrize("hook, impl, command, problem", REFUSED, ids=_ids(REFUSED))
def test_a_broken_decision_hook_refuses_the_command_and_writes_nothing(office, plugin, run, hook, impl,
                                                                       command, problem):
    before = dump(office)
    plugin(**{hook: impl})
    result = run(*command, now=NOW)
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Error: plugin 'bad' failed in {hook}: ")
    assert problem in result.stderr
    assert dump(office) == before


@pytest.mark.parametrize("hook, impl, command, said", [
    ("due_items", lambda book, agent, today: [1], ("due",), "警告：插件 'bad' due_items：第 0 项是 int 值，不是 dict；已跳过"),
    ("due_items", lambda book, agent, today: [{"lead_id": 1, "owner": None, "kind": "x"}], ("due",),
     "第 0 项缺少 text"),
    ("register_commands", _raise(RuntimeError("no commands")), ("agent", "list"),
     "register_commands：抛出了 RuntimeError: no commands；已跳过"),
    ("scorecard", lambda industry, settings: {"A": 90}, ADD_LEAD,
     "错误：插件 'bad' 在 scorecard 中出错：返回了 dict 值，应为 Scorecard 值（或 None）"),
    ("run_review", lambda book, apply: [{"lead_id": "1", "change": "x", "reason": "r"}], ("review",),
     "第 0 项：lead_id 是 str 值，应为 客户编号（int）"),
])
def test_what_a_broken_plugin_did_is_said_in_chinese(office, plugin, run, hook, impl, command, said):
    """The warning for a skipped plugin and the refusal of a command a
    plugin broke are in the reader's language, what was wrong included
    (only Python's own names stay as they are)."""
    plugin(**{hook: impl})
    result = run("--lang", "zh", *command, now=NOW)
    no_traceback(result)
    assert said in result.stderr, result.stderr
    assert "returned" not in result.stderr and "Warning" not in result.stderr


def _ladder(industry, settings):
    return StageLadder([Stage("new", "new"), Stage("signed", "signed", requires=(Cond("n_contract", ">=", 1),))])


def _stop_at(*stages):
    def cadence(industry, settings):
        return Cadence([CadenceRule(None, "x", interval_days=3)], stops=(
            CadenceStop(Cond("stage", "in", stages), "done"),))
    return cadence


def test_a_stage_its_own_ladder_does_not_have_is_refused(office, plugin, run):
    before = dump(office)
    plugin(stages=_ladder, follow_up_cadence=_stop_at("sigend"))
    result = run(*ADD_LEAD, now=NOW)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin 'bad' failed in follow_up_cadence: its rules for realestate "
                                    "never hold as written: Cond('stage', 'in', …) compares stage with 'sigend', "
                                    "which it never is (it is one of new, signed)"), result.stderr
    assert dump(office) == before
    # a list may name the stages of ladders a setting would choose: one of this one's is enough
    plugin(name="good", stages=_ladder, follow_up_cadence=_stop_at("signed", "A01"))
    loader.get_pm().unregister(name="bad")
    assert run(*ADD_LEAD, now=NOW).exit_code == 0


def _ladder_by_setting(industry, settings):
    """One ladder for table grading, another for points (a setting chooses)."""
    last = "signed" if settings["realestate.grading"] == "table" else "won"
    return StageLadder([Stage("new", "new"), Stage(last, last, requires=(Cond("n_contract", ">=", 1),))])


def test_a_stage_of_a_ladder_another_setting_chooses_may_be_named_alone(office, plugin, run):
    """A cadence naming each ladder's last stage in a stop of its own
    (``stage == won``) is right under either setting; a stage of no
    ladder is still refused."""
    plugin(stages=_ladder_by_setting, follow_up_cadence=lambda industry, settings: Cadence(
        [CadenceRule(None, "x", interval_days=3)], stops=(CadenceStop(Cond("stage", "==", "signed"), "done"),
                                                          CadenceStop(Cond("stage", "==", "won"), "done"))))
    assert run(*ADD_LEAD, now=NOW).exit_code == 0
    loader.get_pm().unregister(name="bad")
    plugin(name="typo", stages=_ladder_by_setting, follow_up_cadence=_stop_at("wn"))
    result = run(*(x if x != "13900139000" else "13900139001" for x in ADD_LEAD), now=NOW)
    assert result.exit_code == 1 and "compares stage with 'wn', which it never is (it is one of new, signed, won)" \
        in result.stderr, result.stderr


def _ladder_by_flag(industry, settings):
    """The tender ladder in fleet mode (a yes/no setting of another section
    chooses), the walk-in ladder otherwise."""
    last = "tender" if settings["fleet.on"] else "signed"
    return StageLadder([Stage("new", "new"), Stage(last, last, requires=(Cond("n_contract", ">=", 1),))])


@pytest.mark.parametrize("flag", [False, True])
def test_a_stage_of_a_ladder_a_yes_no_setting_chooses_may_be_named(office, plugin, run, flag):
    """Session 21's plugin tester: a yes/no (or number) setting, or one of
    another section, choosing the ladder made a correct rule refused — and
    then the setting could not be switched at all."""
    from leadcycle import Setting

    plugin(register_settings=lambda register: register(Setting("fleet.on", "bool", flag, Label("fleet", "车队"))),
           stages=_ladder_by_flag, follow_up_cadence=lambda industry, settings: Cadence(
               [CadenceRule(None, "x", interval_days=3)], stops=(CadenceStop(Cond("stage", "==", "tender"), "done"),
                                                                 CadenceStop(Cond("stage", "==", "signed"), "done"))))
    assert run(*ADD_LEAD, now=NOW).exit_code == 0
    switched = run("settings", "set", "fleet.on", "false" if flag else "true", now=NOW)
    assert switched.exit_code == 0, switched.output
    assert run("list", now=NOW).exit_code == 0


def test_a_stage_of_a_ladder_two_settings_choose_together_may_be_named(office, plugin, run):
    """Neither setting alone chooses the tender ladder; both together do."""
    from leadcycle import Setting

    def register_settings(register):
        register(Setting("fleet.on", "bool", False, Label("fleet", "车队")))
        register(Setting("fleet.region", "choice", "south", Label("region", "区域"), choices=("south", "north")))

    def ladder(industry, settings):
        last = "tender" if settings["fleet.on"] and settings["fleet.region"] == "north" else "signed"
        return StageLadder([Stage("new", "new"), Stage(last, last, requires=(Cond("n_contract", ">=", 1),))])

    plugin(register_settings=register_settings, stages=ladder, follow_up_cadence=lambda industry, settings: Cadence(
        [CadenceRule(None, "x", interval_days=3)], stops=(CadenceStop(Cond("stage", "==", "tender"), "done"),)))
    assert run(*ADD_LEAD, now=NOW).exit_code == 0


def test_a_stage_of_another_plugin_s_ladder_is_not_judged_by_it(office, plugin, run):
    """The ladder is real estate's; the cadence may have been written for
    its own plugin's ladder, which real estate's replaced."""
    plugin(follow_up_cadence=_stop_at("sigend"))
    assert run(*ADD_LEAD, now=NOW).exit_code == 0


def test_a_rule_that_never_holds_refuses_enabling_the_industry_and_plugins_says_so(plugin, run, db_path):
    """Found when the industry is enabled (and listed by ``plugins``), not
    at the first lead: ``init`` leaves no database behind."""
    plugin(follow_up_cadence=lambda industry, settings: Cadence([CadenceRule("a", "x", interval_days=3)]))
    result = run("init", "--industry", "realestate")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin 'bad' failed in follow_up_cadence: its rules for realestate "
                                    "never hold as written: its cadence has rules for grades a"), result.stderr
    assert not os.path.exists(db_path)
    listed = run("plugins", "--json")
    (bad,) = [p for p in json.loads(listed.output) if p["name"] == "bad"]
    # (its cadence is for every industry: the first it breaks is named)
    assert bad["error"].startswith("follow_up_cadence: its rules for ") and ("never hold as written: its cadence "
                                                                             "has rules for grades a") in bad["error"]
    assert "its cadence has rules for grades a" in " ".join(run("plugins").output.split())  # (wrapped)
    assert all("error" not in p for p in json.loads(listed.output) if p["name"] != "bad")


def test_a_rule_reading_a_setting_whose_declaration_was_refused_says_so(office, plugin, run):
    plugin(register_settings=lambda register: register(Setting("gadgets.a_points", "int", "70", "A points")),
           scorecard=lambda industry, settings: Scorecard("e", "e", criteria=(Criterion("v", "v", 5, (
               Cond("n_visit", ">=", 1),)),), thresholds=(("A", settings["gadgets.a_points"]),)))
    result = run(*ADD_LEAD, now=NOW)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "its default '70' is a str, not the int it declares" in lines[0]
    assert lines[1] == ("Error: plugin 'bad' failed in scorecard: raised UndeclaredSetting: no setting "
                        "'gadgets.a_points' is declared: its declaration was refused (see the warning above) or the "
                        "name is misspelt; fix or uninstall the plugin (leadcycle plugins lists them)")


def test_a_setting_under_which_a_plugin_s_rules_break_is_refused_and_not_written(office, plugin, run):
    """The value was stored, then every command after it was refused
    (``settings list`` still showed the old one)."""
    plugin(stages=lambda industry, settings: 42 if settings["ownership.protection_days"] == 15 else None)
    before = dump(office)
    result = run("settings", "set", "ownership.protection_days", "15", now=NOW)
    assert result.exit_code == 1 and result.stderr.startswith(
        "Error: ownership.protection_days stays as it is: under 15 the rules of plugin 'bad' would be refused in "
        "stages (returned an int"), result.stderr
    assert dump(office) == before
    assert run("settings", "set", "ownership.protection_days", "20", now=NOW).exit_code == 0
    loader.get_pm().unregister(name="bad")
    plugin(name="fussy", stages=lambda industry, settings: 42 if settings["ownership.protection_days"] == 30 else None)
    before = dump(office)
    result = run("settings", "reset", "ownership.protection_days", now=NOW)  # back to 30
    assert result.exit_code == 1 and "under its default the rules of plugin 'fussy' would be refused in stages" \
        in result.stderr, result.stderr
    assert dump(office) == before


def test_a_plugin_s_registrations_count_all_or_none(office, plugin, run):
    plugin(register_industries=_register_half_then_raise)
    result = run("fields", "--industry", "gadgets")
    assert result.exit_code == 1 and "unknown industry 'gadgets'" in result.stderr
    assert "plugin 'bad' register_industries: raised RuntimeError: second industry missing" in result.stderr
    assert run("fields", "--industry", "realestate").exit_code == 0


def test_a_good_plugin_next_to_a_broken_one_still_works(office, plugin, run):
    plugin(name="good", due_items=lambda book, agent, today: [
        {"lead_id": 1, "owner": "李娜", "kind": "water", "text": Label("water the plants", "浇花")}])
    plugin(due_items=_raise(RuntimeError("boom")))
    result = run("due", now=NOW)
    assert result.exit_code == 0
    assert "water the plants" in result.stdout and "plugin 'bad' due_items" in result.stderr


def test_a_decision_hook_returning_none_defers_to_the_next_plugin(office, plugin, run):
    plugin(scorecard=lambda industry, settings: None)
    assert run(*ADD_LEAD, now=NOW).exit_code == 0


def test_a_broken_demo_plugin_is_skipped(plugin, run, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "machinery")
    loader.reset()
    plugin(populate_demo=_demo_exit)
    result = run("--db", str(tmp_path / "demo.db"), "demo", "--days", "7")
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "plugin 'bad' populate_demo: raised SystemExit: 3; skipped" in result.stderr
    assert "demo database" in result.stdout


def test_the_warning_is_shown_once_per_command(office, plugin, run):
    # the registry is built more than once by some commands; one line is enough
    plugin(register_settings=_raise(RuntimeError("boom")))
    result = run("settings", "list")
    assert result.stderr.count("plugin 'bad'") == 1


def test_raise_errors_shows_the_plugin_s_traceback(office, plugin, run, monkeypatch):
    monkeypatch.setenv("LEADCYCLE_RAISE_ERRORS", "1")
    plugin(due_items=_raise(RuntimeError("deep down")))
    result = run("due", now=NOW)
    assert result.exit_code == 0
    assert "Traceback" in result.stderr and "deep down" in result.stderr


def test_check_event_refusals_by_leadcycle_error_keep_their_own_line(office, plugin, run):
    def refuse(book, lead, events, event):
        raise LeadcycleError("no visits on Fridays; log a call instead")

    before = dump(office)
    plugin(check_event=refuse)
    result = run("log", "1", "visit", "--agent", "李娜", now=NOW)
    assert result.exit_code == 1
    assert result.stderr == "Error: no visits on Fridays; log a call instead\n"
    assert dump(office) == before


# --------------------------------------------------- run_review and writes


def _review_writes_then_raises(book, apply):
    book.append(1, [Event(None, 1, "note", book.now, None, {}, "written by the review")])
    raise RuntimeError("half-way")


def test_a_review_that_writes_then_raises_exits_non_zero_naming_the_plugin(office, plugin, run):
    plugin(run_review=_review_writes_then_raises)
    result = run("review", now=NOW)
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin 'bad' failed in run_review: raised RuntimeError: half-way")


@pytest.mark.parametrize("error, line", [
    ("attempt to write a readonly database", "is read-only (the file or its folder)"),
    ("database or disk is full", "is full; nothing was written"),
    ("database is locked", "busy with another writer"),
])
def test_a_database_that_cannot_be_written_is_not_blamed_on_the_plugin(office, plugin, run, error, line):
    # a review on a read-only database said the plugin failed and told the
    # operator to uninstall it
    plugin(run_review=_raise(sqlite3.OperationalError(error)))
    result = run("review", now=NOW)
    no_traceback(result)
    assert result.exit_code == 1 and line in result.stderr and "plugin" not in result.stderr, result.stderr


def test_a_plugin_s_own_sql_error_is_still_the_plugin_s(office, plugin, run):
    plugin(run_review=_raise(sqlite3.OperationalError("no such function: frobnicate")))
    result = run("review", now=NOW)
    assert result.exit_code == 1 and "plugin 'bad' failed in run_review" in result.stderr


def _notes(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM events WHERE kind = 'note'").fetchone()[0]
    finally:
        conn.close()


def test_a_review_that_writes_then_raises_leaves_nothing_behind(office, plugin, run):
    plugin(run_review=_review_writes_then_raises)
    assert run("review", now=NOW).exit_code == 1
    assert _notes(office) == 0


def test_review_dry_run_writes_nothing_even_when_a_plugin_does(office, plugin, run):
    def writes_anyway(book, apply):
        book.append(1, [Event(None, 1, "note", book.now, None, {}, "dry?")])
        return []

    plugin(run_review=writes_anyway)
    assert run("review", "--dry-run", now=NOW).exit_code == 0
    assert _notes(office) == 0


# ------------------------------------------------------------ commands


def _export_hijack(cli):
    @cli.command(name="export")
    def export():
        click.echo("all phones, unmasked")


def test_a_plugin_cannot_replace_a_core_command(office, plugin, run):
    plugin(register_commands=_export_hijack)
    result = run("export", "--help")
    assert result.exit_code == 0
    assert "--unmask" in result.stdout  # the core's export
    assert ("Warning: plugin 'bad' register_commands: 'leadcycle export' is already a command; "
            "the plugin's was refused and the existing one kept") in result.stderr


def _deep_hijack(cli):
    @click.command(name="add")
    def add():
        click.echo("hijacked")

    cli.commands["agent"].add_command(add)
    del cli.commands["due"]

    @cli.command(name="bouquet")
    def bouquet():
        click.echo("a bouquet")


def test_nor_replace_a_subcommand_nor_remove_one_but_its_own_commands_stay(office, plugin, run):
    plugin(register_commands=_deep_hijack)
    result = run("agent", "add", "王强")
    assert result.exit_code == 0 and "hijacked" not in result.output
    assert "'leadcycle agent add' is already a command" in result.stderr
    assert "'leadcycle due' is already a command" in result.stderr
    assert run("due", now=NOW).exit_code == 0
    assert run("bouquet").stdout == "a bouquet\n"


def test_the_first_plugin_keeps_a_command_name(plugin, run):
    def first(cli):
        @cli.command(name="bouquet")
        def bouquet():
            click.echo("first")

    def second(cli):
        @cli.command(name="bouquet")
        def bouquet():
            click.echo("second")

    plugin(name="second", register_commands=second)
    plugin(name="first", register_commands=first)  # registered last: called first
    result = run("bouquet")
    assert result.stdout == "first\n"
    assert "plugin 'second' register_commands: 'leadcycle bouquet' is already a command" in result.stderr


def test_a_plugin_that_raises_in_register_commands_adds_nothing(plugin, run):
    def half(cli):
        @cli.command(name="bouquet")
        def bouquet():
            click.echo("a bouquet")

        raise RuntimeError("then broke")

    plugin(register_commands=half)
    result = run("bouquet")
    assert result.exit_code == 2 and "No such command 'bouquet'" in result.stderr
    assert "plugin 'bad' register_commands: raised RuntimeError: then broke; skipped" in result.stderr


def test_a_plugin_command_piped_into_head_is_not_blamed_on_the_plugin(plugin, run):
    """``leadcycle accounts | head``: the pipe closed early is the reader's
    doing; the command ends as the core's do (click: exit 1, nothing said)."""
    def commands(cli):
        @cli.command(name="bouquet")
        def bouquet():
            raise BrokenPipeError(32, "Broken pipe")

    plugin(register_commands=commands)
    result = run("bouquet")
    no_traceback(result)
    assert result.exit_code == 1 and "plugin" not in result.stderr, result.stderr


def test_an_exception_in_a_plugin_command_is_one_line_naming_the_plugin(plugin, run):
    def commands(cli):
        @cli.group(name="flowers")
        def group():
            "Flower reports."

        @group.command(name="count")
        def count():
            return {}["budget"]

    plugin(register_commands=commands)
    result = run("flowers", "count")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr == ("Error: plugin 'bad' failed in its command 'leadcycle flowers': KeyError: 'budget'; "
                             "fix or uninstall the plugin (leadcycle plugins lists them)\n")


# ------------------------------------------------------ import failures


@pytest.fixture
def entry_point(tmp_path, monkeypatch):
    """``entry_point(name, source)`` installs a plugin module with that
    source behind a fake ``leadcycle`` entry point, and loads the plugins
    anew with the built-in ones and it."""
    eps = []
    real = md.entry_points
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(md, "entry_points",
                        lambda **kw: list(real(**kw)) + (eps if kw.get("group") == "leadcycle" else []))

    def _install(name, source):
        module = f"lc_test_{name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        eps.append(md.EntryPoint(name=name, value=module, group="leadcycle"))
        monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", f"realestate,{name}")
        loader.reset()

    yield _install
    for ep in eps:
        sys.modules.pop(ep.value, None)


@pytest.mark.parametrize("source, error", [
    ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    ("raise RuntimeError('no licence key')\n", "RuntimeError: no licence key"),
    ("import leadcycle_no_such_dependency\n", "ModuleNotFoundError"),
    ("class Stop(BaseException):\n    pass\nraise Stop('odd')\n", "Stop: odd"),
    ("from leadcycle import hookimpl\n@hookimpl\ndef scorecard(industry, lead):\n    pass\n",
     "PluginValidationError"),
], ids=["sys.exit", "raises", "missing dependency", "BaseException", "wrong hook arguments"])
def test_a_plugin_whose_import_fails_is_named_and_skipped(entry_point, run, office, source, error):
    entry_point("broken", source)
    result = run("show", "1")
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "张伟" in result.stdout
    line = [x for x in result.stderr.splitlines() if "broken" in x]
    assert len(line) == 1 and "plugin 'broken' failed to load and was skipped" in line[0] and error in line[0]
    info = {p["name"]: p for p in loader.plugin_info()}
    assert error in info["broken"]["error"]


def test_keyboard_interrupt_at_import_still_stops(entry_point):
    entry_point("interrupted", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        loader.get_pm()


def test_a_misspelt_hook_is_named(entry_point, run, office):
    entry_point("typo", """
        from leadcycle import hookimpl

        @hookimpl
        def scorecards(industry, settings):
            return None
    """)
    result = run("show", "1")
    assert result.exit_code == 0
    assert "plugin 'typo' implements 'scorecards', which is not a leadcycle hook" in result.stderr


def test_a_misspelt_hook_is_named_however_the_plugin_is_registered(plugin, capsys):
    """Registered by a script (here the fixture's ``pm.register``), not by
    an entry point: said when it is registered."""
    plugin(scorecards=lambda industry, settings: None)
    assert "plugin 'bad' implements 'scorecards', which is not a leadcycle hook" in capsys.readouterr().err


def test_a_hook_parameter_with_a_default_is_named(entry_point, run, office):
    """pluggy never passes it: ``industry=None`` made the scorecard answer
    for no industry, silently."""
    entry_point("defaulted", """
        from leadcycle import hookimpl

        @hookimpl
        def scorecard(settings, industry=None):
            return None
    """)
    result = run("show", "1")
    assert result.exit_code == 0
    assert ("plugin 'defaulted' gives industry of its scorecard a default value; pluggy never passes a "
            "parameter that has one, so it is always the default: remove the default") in result.stderr


def test_sys_exit_at_import_in_an_installed_plugin(tmp_path, office):
    """The real thing: a distribution on the path whose plugin calls
    ``sys.exit(3)`` at import, and the installed ``leadcycle`` program."""
    site = tmp_path / "site"
    (site / "lc_exiter-0.1.dist-info").mkdir(parents=True)
    (site / "lc_exiter-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lc-exiter\nVersion: 0.1\n", encoding="utf-8")
    (site / "lc_exiter-0.1.dist-info" / "entry_points.txt").write_text(
        "[leadcycle]\nexiter = lc_exiter\n", encoding="utf-8")
    (site / "lc_exiter.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site), "LEADCYCLE_LOAD_PLUGINS": "realestate,exiter"}
    program = os.path.join(os.path.dirname(sys.executable), "leadcycle")
    proc = subprocess.run([program, "--db", office, "--now", NOW, "log", "1", "visit", "--agent", "李娜"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "plugin 'exiter' failed to load and was skipped (SystemExit: 3)" in proc.stderr
    assert "visit" in proc.stdout


def test_setting_from_a_broken_plugin_is_not_half_declared(office, plugin, run):
    def half(register):
        register(Setting("gadgets.a", "int", 1, Label("a", "a")))
        register(Setting("gadgets.a", "int", 2, Label("a", "a")))

    plugin(register_settings=half)
    result = run("settings", "list")
    assert result.exit_code == 0
    assert "gadgets.a" not in result.stdout
    assert "setting 'gadgets.a' is declared twice" in result.stderr


def test_a_plugin_setting_with_the_cores_key_is_the_plugins_fault(office, plugin, run):
    """A plugin declaring ``ownership.protection_days`` is skipped, named;
    the core keeps every setting it declares (it was the core that was
    skipped, and pool and queue then failed with a traceback)."""
    def clash(register):
        register(Setting("gadgets.b", "int", 1, Label("b", "b")))
        register(Setting("ownership.protection_days", "int", 70, Label("p", "p")))

    plugin(register_settings=clash)
    result = run("settings", "list", "--json")
    assert result.exit_code == 0
    keys = {s["key"]: s for s in json.loads(result.stdout)}
    assert "ownership.pool_claims" in keys and "gadgets.b" not in keys
    assert keys["ownership.protection_days"]["value"] == 30
    warning = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    assert warning == ["Warning: plugin 'bad' register_settings: raised ValueError: setting "
                       "'ownership.protection_days' is declared twice; skipped"], result.stderr
    for args in (("pool",), ("queue",)):
        shown = run(*args, now=NOW)
        no_traceback(shown)
        assert shown.exit_code == 0, shown.output


def test_rescore_refuses_with_a_broken_scorecard_and_keeps_the_stored_grades(office, plugin, run):
    before = dump(office)
    plugin(scorecard=lambda industry, settings: "A")
    result = run("rescore", now=NOW)
    assert result.exit_code == 1 and "plugin 'bad' failed in scorecard" in result.stderr
    assert dump(office) == before


def test_a_broken_rule_hook_for_an_industry_not_enabled_changes_nothing(office, plugin, run):
    def only_machinery(industry, settings):
        return {"broken": True} if industry == "machinery" else None

    plugin(stages=only_machinery)
    assert run(*ADD_LEAD, now=NOW).exit_code == 0


def test_hook_results_are_checked_on_the_python_api_too(office, plugin, now):
    plugin(stages=lambda industry, settings: 42)
    book = LeadBook.open(office, now + dt.timedelta(days=1))
    try:
        with pytest.raises(loader.PluginFailed, match="plugin 'bad' failed in stages"):
            book.log(1, "visit", agent="李娜")
    finally:
        book.close()
    assert _notes(office) == 0


def test_plugin_code_the_engine_runs_is_named_when_it_raises(office, plugin, run):
    from leadcycle import Cond, Criterion, Feature, Scorecard

    def card(industry, settings):
        return Scorecard("x", Label("x", "x"), criteria=(Criterion("c", Label("c", "c"), 10, Cond("x_f", ">", 1)),),
                         thresholds=(("A", 5),), fallback="C",
                         features=(Feature("x_f", Label("f", "f"), lambda view: 1 / 0),))

    before = dump(office)
    plugin(scorecard=card)
    result = run("log", "1", "visit", "--agent", "李娜", now=NOW)
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr == ("Error: plugin 'bad' failed: ZeroDivisionError: division by zero; "
                             "fix or uninstall the plugin (leadcycle plugins lists them)\n")
    assert dump(office) == before  # the write's transaction rolled back


def test_a_plugin_s_due_item_names_its_client_though_the_plugin_did_not(office, plugin, run):
    """A due item with only the documented keys (lead_id, owner, kind,
    text) is listed with its client's name and phone, as the core's own."""
    plugin(due_items=lambda book, agent, today: [{"lead_id": 1, "owner": "李娜", "kind": "call_me",
                                                 "text": Label("ring the client", "给客户打电话")}])
    items = [i for i in json.loads(run("due", "--json", now=NOW).output) if i["kind"] == "call_me"]
    assert [(i["name"], i["phone"]) for i in items] == [("张伟", "138****8000")]
    assert "张伟" in next(line for line in run("due", now=NOW).output.splitlines() if "ring the client" in line)


def test_settings_that_make_an_empty_band_or_grade_are_still_taken(realestate_office):
    """The shape checks refuse a band or threshold out of order, not an
    equal one the office's settings may make (normal as short as hot)."""
    run = realestate_office
    result = run("settings", "set", "realestate.decay_normal_days", "3")
    assert result.exit_code == 0, result.output
    assert run("lead", "add", "--industry", "realestate", "--name", "王芳", "--gender", "F", "--phone",
               "13900139000", "--need", "两房", "--agent", "李娜", now=NOW).exit_code == 0
    assert run("list", now=NOW).exit_code == 0


def test_a_day_default_of_a_date_setting_and_an_exact_float_default_are_taken(office, plugin, run):
    """Session 21's plugin tester: ``Setting(…, "date", dt.date(2026, 3, 1))``
    and a float setting's ``Fraction(1, 2)`` were refused, and with them every
    setting of the plugin."""
    from fractions import Fraction

    from leadcycle import Setting

    def register_settings(register):
        register(Setting("promo.start", "date", dt.date(2026, 3, 1), Label("start", "开始")))
        register(Setting("promo.share", "float", Fraction(1, 2), Label("share", "比例")))

    plugin(register_settings=register_settings)
    shown = run("settings", "list", "--json", now=NOW)
    assert shown.exit_code == 0 and "Warning" not in shown.output, shown.output
    values = {s["key"]: s["value"] for s in json.loads(shown.output)}
    assert values["promo.start"] == "2026-03-01" and values["promo.share"] == 0.5
