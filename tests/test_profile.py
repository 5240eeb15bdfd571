"""Core attributes every industry has (issue #12): the client profile, the
lead source, temperament tags with their playbook, stall reasons."""

import json

import pytest

from leadcycle import Field, Industry, Label, Setting, loader, profile
from leadcycle.registry import Registry

INDUSTRIES = ("realestate", "software_sales", "machinery")


@pytest.fixture
def lc(run):
    args = sum((("--industry", i) for i in INDUSTRIES), ())
    assert run("init", "--simulation", *args).exit_code == 0
    run("agent", "add", "李娜")

    def _lc(now, *a):
        return run(*a, now=now)

    return _lc


def add(lc, industry, phone, *extra):
    r = lc("2026-03-05T10:00", "lead", "add", "--industry", industry, "--name", "张伟", "--gender", "男",
           "--phone", phone, "--need", "需求", "--agent", "李娜", *extra)
    assert r.exit_code == 0, r.output
    return r.output.split("#")[1].split()[0]


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_industry_has_the_profile_fields(lc, industry):
    out = lc(None, "fields", "--industry", industry).output
    for name in ("birth_date", "birthplace", "education", "family", "interests", "personality", "company",
                 "title", "address", "source", "temperament", "stall_reason"):
        assert name in out, (industry, name)
    lead = add(lc, industry, "13800138000", "--set", "birth_date=1985/6/1", "--set", "title=采购经理",
               "--set", "source=seminar")
    shown = json.loads(lc("2026-03-05T11:00", "show", lead, "--json").output)
    assert shown["attributes"]["birth_date"] == "1985-06-01" and shown["attributes"]["source"] == "seminar"


def test_a_plugin_field_named_like_a_core_one_is_refused():
    registry = Registry.__new__(Registry)
    registry.industries = {}
    with pytest.raises(ValueError, match="field 'company' is the core's"):
        registry._check_industry(Industry("florist", Label("florist", "花店"),
                                          fields=(Field("company", "str", Label("c", "c")),)), [])
    # nor one named as a value the rules derive from the log: the engine would
    # read the attribute and the compiled SQL the fact
    for name in ("n_test_drive", "days_since_quote", "days_until_launch", "last_quote_at", "first_visit_at",
                 "registered_at", "owner", "stage", "days_to_first_quote"):
        with pytest.raises(ValueError, match=f"field '{name}' is named as a value the core derives"):
            registry._check_industry(Industry("florist", Label("florist", "花店"),
                                              fields=(Field(name, "int", Label("c", "c")),)), [])
    registry._check_industry(Industry("florist", Label("florist", "花店"),  # a near name is fine
                                      fields=(Field("last_quote", "int", Label("c", "c")),)), [])
    # the built-in plugins declare none of them (realestate's birth_date and
    # software's company are the core's now)
    for name in INDUSTRIES:
        ind = Registry().industries[name]
        assert [f.name for f in ind.fields].count("company") == 1


def test_temperament_tags_and_their_playbook_in_show_and_due(lc):
    lead = add(lc, "realestate", "13800138000")
    r = lc("2026-03-05T11:00", "lead", "set", lead, "temperament=分析型、slick", "--agent", "李娜")
    assert r.exit_code == 0, r.output
    shown = lc("2026-03-05T11:10", "show", lead).output
    assert "playbook: analytical — be sincere, explain with reasons and facts" in shown
    assert "slick — read their real motive" in shown
    zh = lc("2026-03-05T11:10", "--lang", "zh", "show", lead).output
    assert "应对方式：分析型——真诚对待，合理解释" in zh
    due = json.loads(lc("2026-03-09T09:00", "due", "--json").output)
    mine = [d for d in due if d["lead_id"] == int(lead)]
    assert mine and mine[0]["playbook"].startswith("playbook: analytical")
    assert "playbook: analytical" in lc("2026-03-09T09:00", "due").output
    r = lc("2026-03-05T11:20", "lead", "set", lead, "temperament=grumpy", "--agent", "李娜")
    assert r.exit_code == 1 and "'grumpy' is not allowed" in r.output and r.output.count("\n") == 1


def test_multiple_values_are_stored_in_the_declared_order_once():
    field = next(f for f in profile.FIELDS if f.name == "temperament")
    assert field.coerce("slick,analytical，analytical") == "analytical,slick"
    assert field.coerce(["理智型"]) == "rational"
    assert field.coerce(" , ") is None


def test_source_recorded_or_from_the_registration_and_the_report(lc):
    walk_in = add(lc, "realestate", "13800138000")
    called = add(lc, "realestate", "13800138001", "--channel", "call")
    add(lc, "realestate", "13800138002", "--set", "source=online_ad")
    add(lc, "machinery", "13800138003", "--set", "source=online_ad")
    assert "lead source: walk-in (from the registration)" in lc("2026-03-05T11:00", "show", walk_in).output
    assert "lead source: phone call (from the registration)" in lc("2026-03-05T11:00", "show", called).output
    lc("2026-03-06T10:00", "log", walk_in, "contract", "--agent", "李娜", "--set", "amount=1000000")
    rows = {r["source"]: r for r in json.loads(lc("2026-03-07T09:00", "report", "sources", "--json").output)}
    assert rows["walk_in"]["leads"] == 1 and rows["walk_in"]["deals"] == 1
    assert rows["call"]["leads"] == 1 and rows["online_ad"]["leads"] == 2 and rows["online_ad"]["leads_pct"] == 50.0
    only = json.loads(lc("2026-03-07T09:00", "report", "sources", "--industry", "machinery", "--json").output)
    assert [(r["source"], r["leads"]) for r in only] == [("online_ad", 1)]
    assert "online ad" in lc("2026-03-07T09:00", "report", "sources").output
    # an industry no plugin has is one line, as every other --industry says it
    bad = lc("2026-03-07T09:00", "report", "sources", "--industry", "nope")
    assert bad.exit_code == 1 and "unknown industry 'nope'" in bad.output and len(bad.output.splitlines()) == 1


def test_report_sources_without_industry_plugins(monkeypatch, run):
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "")
    loader.reset()
    assert run("init", "--simulation").exit_code == 0
    r = run("report", "sources", "--json")
    assert r.exit_code == 0 and json.loads(r.output) == []


def _industry_commands():
    import click

    from leadcycle.cli import cli

    def walk(group, path):
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                yield from walk(command, [*path, name])
            elif any("--industry" in p.opts for p in command.params if isinstance(p, click.Option)):
                yield [*path, name]

    return list(walk(cli, []))


#: what a command needs besides --industry to get as far as reading it
_NEEDS = {"import": ["register.csv"], "find": ["张"], "html": ["-o", "r.html"], "export": ["-o", "out.csv"],
          "add": ["--name", "张伟", "--gender", "男", "--phone", "13800138000", "--need", "三房"]}


@pytest.mark.parametrize("command", _industry_commands(), ids=" ".join)
def test_every_industry_option_refuses_an_industry_no_plugin_has(run, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "register.csv").write_text("姓名,性别,手机,需求\n张伟,男,13800138000,三房\n", encoding="utf-8")
    assert run("init", "--simulation", "--industry", "realestate").exit_code == 0
    r = run(*command, "--industry", "nope", *_NEEDS.get(command[-1], []), now="2026-03-05T10:00")
    assert r.exit_code == 1, (command, r.output)
    assert "'nope'" in r.output and len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output


@pytest.mark.parametrize("setting, says", [
    (Setting("flowers.a_points", "int", "70", Label("a", "a")), "is a str, not the int"),
    (Setting("flowers.b_points", "int", 500, Label("b", "b"), maximum=100), "above the maximum 100"),
    (Setting("flowers.colour", "choice", "red", Label("c", "c"), choices=[("blue", ("blue", "蓝"))]),
     "'red' is not allowed"),
])
def test_a_setting_whose_default_it_would_refuse_is_refused(setting, says):
    """A plugin's default must be a value ``settings set`` would take: a
    default of another type crashed rules later, one out of range came
    back on every ``settings reset``."""
    registry = Registry.__new__(Registry)
    registry.settings = {}
    with pytest.raises(ValueError, match=says):
        registry._check_setting(setting, [])
    registry._check_setting(Setting("flowers.ok", "int", 70, Label("a", "a"), maximum=100), [])
    registry._check_setting(Setting("flowers.ratio", "float", 1, Label("r", "r")), [])  # an int is a float's


def test_a_name_no_lead_has_is_named_for_each_hook():
    """The names every rule reads are a lead's: its fields, the counts and
    moments the core derives from kinds and tallies the industry has, the
    scorecard's own derived values. A misspelt one is found, per hook."""
    import attrs

    from leadcycle import Cond, Stage, StageLadder
    from leadcycle.registry import unknown_rule_names
    from leadcycle.settings import Settings

    registry = Registry.current()
    for name in INDUSTRIES:
        rules = registry.context(Settings(registry.settings, {}), [name]).rules[name]
        assert unknown_rule_names(rules) == {}, name
    rules = registry.context(Settings(registry.settings, {}), ["realestate"]).rules["realestate"]
    ladder = StageLadder([Stage("new", "new"), Stage("seen", "seen", requires=(
        Cond("stagee", "==", "new"), Cond("n_visit", ">=", 1), Cond("last_revisit.agent", "set"),
        Cond("days_until_launch_date", "<", 3)))])
    assert unknown_rule_names(attrs.evolve(rules, stages=ladder)) == {"stages": ["days_until_launch_date",
                                                                               "stagee"]}
