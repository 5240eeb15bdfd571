"""Rule shapes a third-party plugin writes, read the same by a list (the
compiled SQL) and by ``show`` (the engine) at every clock (issue #17):
a criterion on the stage, a date field or a moment against a day, a count of a kind
never logged, a condition on nothing (``== None``), a multiple-choice
field (tested part by part: "red,blue" is in ("red",) and == "blue"). Session 20's plugin
tester found each of them disagreeing or silently never holding."""

from __future__ import annotations

import importlib.metadata as md
import json
import sys
import textwrap

import pytest

from leadcycle import loader

PROBE = '''
import datetime as dt
from leadcycle import (Cadence, CadenceRule, CadenceStop, Cond, Criterion, EventKind, Field, Industry, Label,
                       Scorecard, Stage, StageLadder, Tally, hookimpl)
from leadcycle.model import Choice

def L(s):
    return Label(s, s + "（中）")

@hookimpl
def register_industries(register):
    register(Industry("probe", L("probe"),
        fields=(Field("drive_date", "date", L("test drive")), Field("budget", "int", L("budget"), minimum=0),
                Field("note2", "str", L("note")),
                Field("colors", "choice", L("colors"), choices=(Choice("red", L("red")), Choice("blue", L("blue"))),
                      multiple=True),
                Field("doors", "choice", L("doors"), choices=((2, ("2 doors", "两门")), (4, ("4 doors", "四门"))))),
        event_kinds=(EventKind("drive", L("drive"), contact=True, fields=(
                         Field("liked", "choice", L("liked"), choices=("seats", "engine"), multiple=True),)),
                     EventKind("quote", L("quote"), contact=True)),
        tallies=(Tally("drives", ("drive",)), Tally("seat_fans", ("drive",), where=(Cond("liked", "in", ("seats",)),)))))

@hookimpl
def stages(industry, settings):
    if industry == "probe":
        return StageLadder((Stage("new", L("new")), Stage("driving", L("driving"), (Cond("n_drive", ">=", 1),)),
                            Stage("quoted", L("quoted"), (Cond("n_quote", ">=", 1),))), mode="computed")

@hookimpl
def scorecard(industry, settings):
    if industry == "probe":
        return Scorecard("probe", L("probe"), criteria=(
            Criterion("recent_drive", L("drive in March or later"), 20, Cond("drive_date", ">=", dt.date(2026, 3, 1))),
            Criterion("quoted_stage", L("at the quoted stage"), 30, Cond("stage", "==", "quoted")),
            Criterion("never_drove", L("never drove"), 5, Cond("n_drive", "==", 0)),
            Criterion("noted", L("has a note"), 7, Cond("note2", "!=", None)),
            Criterion("budget", L("budget"), 40, Cond("budget", ">=", 100)),
            Criterion("registered", L("registered since March 2"), 1, Cond("registered_at", ">=", dt.date(2026, 3, 2))),
            Criterion("seats", L("liked the seats on a drive"), 11, Cond("n_seat_fans", ">=", 1)),
            Criterion("engine", L("liked the engine last"), 13, Cond("last_drives.liked", "==", "engine")),
            Criterion("red", L("likes red"), 15, Cond("colors", "in", ("red",))),
            Criterion("blue", L("likes blue"), 3, Cond("colors", "==", "blue")),
            Criterion("not_red", L("not red"), 1, Cond("colors", "not_in", ("red",))),
        ), thresholds=(("A", 70), ("B", 40), ("C", 10)), fallback="D")

@hookimpl
def follow_up_cadence(industry, settings):
    if industry == "probe":  # a cadence reads the grade and the score as graded
        return Cadence((CadenceRule(None, L("every 3 days"), interval_days=3),
                        CadenceRule(None, L("high scores daily"), interval_days=1, when=(Cond("score", ">=", 90),))),
                       stops=(CadenceStop(Cond("grade", "==", "D"), L("grade D: none")),))
'''

CLOCKS = ("2026-03-02T12:00", "2026-03-03T12:00", "2026-03-04T12:00", "2026-04-10T12:00")


@pytest.fixture
def probe(run, tmp_path, monkeypatch):
    real = md.entry_points
    (tmp_path / "lc_test_probe.py").write_text(textwrap.dedent(PROBE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="probe", value="lc_test_probe", group="leadcycle")
    monkeypatch.setattr(md, "entry_points",
                        lambda **kw: list(real(**kw)) + ([ep] if kw.get("group") == "leadcycle" else []))
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "probe")
    loader.reset()
    assert run("init", "--industry", "probe", "--simulation", now="2026-03-01T09:00").exit_code == 0
    run("agent", "add", "李娜", now="2026-03-01T09:00")
    yield run
    sys.modules.pop("lc_test_probe", None)
    loader.reset()


def _add(run, phone, *sets):
    r = run("lead", "add", "--industry", "probe", "--name", "张伟", "--gender", "M", "--phone", phone,
            "--need", "SUV", "--agent", "李娜", *sum((("--set", s) for s in sets), ()), now="2026-03-02T10:00")
    assert r.exit_code == 0, r.output


def _listed(run, now):
    return {r["id"]: (r["grade"], r["score"], r["stage"], r["next_follow_up"])
            for r in json.loads(run("list", "--json", now=now).output)}


def _shown(run, lead, now):
    r = json.loads(run("show", str(lead), "--json", now=now).output)
    return r["grade"], r["score"], r["stage"], r["next_follow_up"]


def test_list_and_show_agree_on_stage_dates_counts_and_nothing(probe):
    run = probe
    _add(run, "13800138000", "drive_date=2026-03-05", "budget=150", "note2=周末再来")
    _add(run, "13900139000", "drive_date=2026-02-27", "colors=blue")
    _add(run, "13700137000", "colors=red,blue")
    assert run("log", "1", "drive", "--agent", "李娜", now="2026-03-03T10:00").exit_code == 0
    assert run("log", "1", "quote", "--agent", "李娜", now="2026-03-04T10:00").exit_code == 0
    seen = {}
    for now in CLOCKS:  # each clock read twice, in both orders: a read never writes
        for _ in range(2):
            listed = _listed(run, now)
            assert listed == {i: _shown(run, i, now) for i in listed}, now
        seen[now] = listed
    # lead 1: budget 40, note 7, March drive 20, never drove 5, not red (nothing chosen) 1, registered 1
    assert seen["2026-03-02T12:00"][1] == ("A", 74.0, "new", "2026-03-05")
    assert seen["2026-03-03T12:00"][1] == ("B", 69.0, "driving", "2026-03-05")  # it drove: no more "never drove"
    assert seen["2026-03-04T12:00"][1] == ("A", 99.0, "quoted", "2026-03-03")   # the quoted stage: + 30; daily
    assert seen["2026-04-10T12:00"][1] == ("A", 99.0, "quoted", "2026-03-03")
    assert seen["2026-04-10T12:00"][2] == ("C", 10.0, "new", "2026-03-05")  # February drive; blue 3, not red 1, 5, 1
    assert seen["2026-04-10T12:00"][3] == ("C", 24.0, "new", "2026-03-05")  # red 15 and blue 3 of red,blue; 5, 1
    _add(run, "13600136000")  # never drove 5, not red 1, registered 1: D, and the cadence stops
    assert _listed(run, "2026-04-10T12:00")[4] == _shown(run, 4, "2026-04-10T12:00") == ("D", 7.0, "new", None)
    why = run("show", "3", now="2026-04-10T12:00").output
    assert "met: likes red (+15)" in why and "met: likes blue (+3)" in why and "missed: not red" in why


def test_choices_declared_as_numbers_are_taken_as_text(probe):
    """``choices=((2, label), (4, label))`` registered, then every lead
    with ``--set doors=4`` failed with an AttributeError traceback."""
    run = probe
    _add(run, "13800138000", "doors=4")
    shown = json.loads(run("show", "1", "--json", now="2026-03-02T12:00").output)
    assert shown["attributes"]["doors"] == "4"
    assert "四门" in run("--lang", "zh", "show", "1", now="2026-03-02T12:00").output
    bad = run("lead", "add", "--industry", "probe", "--name", "刘洋", "--gender", "M", "--phone", "13900139000",
              "--need", "SUV", "--agent", "李娜", "--set", "doors=3", now="2026-03-02T10:00")
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "2, 4" in bad.output, bad.output


def test_a_tally_and_a_last_entry_read_a_multiple_choice_key_part_by_part(probe):
    """A drive that liked "seats,engine": the tally of drives that liked the
    seats counts it, and the last drive liked the engine."""
    run = probe
    _add(run, "13800138000", "drive_date=2026-02-01")
    assert run("log", "1", "drive", "--agent", "李娜", "--set", "liked=engine,seats", now="2026-03-03T10:00").exit_code == 0
    for now in ("2026-03-03T12:00", "2026-04-10T12:00"):
        assert _listed(run, now)[1] == _shown(run, 1, now)
    why = run("show", "1", now="2026-03-03T12:00").output
    assert "met: liked the seats on a drive (+11)" in why and "met: liked the engine last (+13)" in why, why
