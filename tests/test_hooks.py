"""Every hook, exercised through a throw-away plugin registered for the test."""

import datetime as dt
import inspect
import pathlib

import click
import pytest
from sqlite_utils.migrations import Migrations

from leadcycle import (
    Cadence,
    CadenceRule,
    Cond,
    Criterion,
    EventKind,
    Feature,
    Field,
    Industry,
    Label,
    LeadBook,
    LeadcycleError,
    OwnershipPolicy,
    Scorecard,
    Setting,
    Stage,
    StageLadder,
    hookimpl,
    hookspecs,
    loader,
)

flowers_migrations = Migrations("flowers")


@flowers_migrations()
def m001_bouquets(db):
    db["flowers_bouquets"].create({"id": int, "lead_id": int, "size": str}, pk="id")


class Flowers:
    """A tiny industry: a florist grading wedding clients."""

    @hookimpl
    def register_industries(self, register):
        register(Industry(
            "flowers", Label("flowers", "花店"),
            fields=(Field("budget", "int", Label("budget", "预算"), minimum=0),
                    Field("wedding", "bool", Label("wedding", "婚礼"))),
            event_kinds=(EventKind("tasting", Label("arrangement shown", "样品展示"), contact=True,
                                   fields=(Field("liked", "bool", Label("liked it", "喜欢")),)),),
        ))

    @hookimpl
    def register_settings(self, register):
        register(Setting("flowers.a_points", "int", 90, Label("points for A", "A类分数线"),
                         minimum=0, maximum=100, source="test"))

    @hookimpl
    def scorecard(self, industry, settings):
        if industry != "flowers":
            return None
        return Scorecard(
            "flowers", Label("florist score", "花店评分"),
            criteria=(
                Criterion("budget", Label("budget over 5000", "预算超过5000"), 60, Cond("budget", ">", 5000)),
                Criterion("wedding", Label("a wedding", "婚礼"), 30, Cond("wedding", "true")),
                Criterion("liked", Label("liked a tasting", "喜欢样品"), 10, Cond("x_liked", ">=", 1)),
            ),
            thresholds=(("A", settings["flowers.a_points"]), ("B", 60)), fallback="C",
            features=(Feature("x_liked", Label("tastings liked", "喜欢的样品数"),
                              lambda v: sum(1 for e in v.events if e.kind == "tasting" and e.data.get("liked"))),),
        )

    @hookimpl
    def stages(self, industry, settings):
        if industry == "flowers":
            return StageLadder((Stage("enquiry", Label("enquiry", "咨询")),
                                Stage("tasted", Label("tasted", "看样"), requires=Cond("n_tasting", ">=", 1))))

    @hookimpl
    def ownership_policy(self, industry, settings):
        if industry == "flowers":
            return OwnershipPolicy(protection_days=7)

    @hookimpl
    def follow_up_cadence(self, industry, settings):
        if industry == "flowers":
            return Cadence((CadenceRule(None, Label("every 2 days", "每2天"), interval_days=2, first_days=1),))

    @hookimpl
    def register_commands(self, cli):
        @cli.command(name="bouquet")
        def bouquet():
            "Say hello from the flowers plugin."
            click.echo("a bouquet")

    @hookimpl
    def register_migrations(self, register):
        register(flowers_migrations)

    @hookimpl
    def due_items(self, book, agent, today):
        return [{"lead_id": 0, "owner": agent, "kind": "water_plants",
                 "text": Label("water the plants", "浇花")}]

    @hookimpl
    def run_review(self, book, apply):
        return [{"lead_id": 0, "change": "none", "reason": Label("checked", "已检查"), "applied": apply}]

    @hookimpl
    def check_event(self, book, lead, events, event):
        if lead.industry == "flowers" and event.kind == "tasting":
            if sum(1 for e in events if e.kind == "tasting") >= 2:
                raise LeadcycleError("at most 2 tastings per client; log a follow_up instead")

    @hookimpl
    def populate_demo(self, book, rng, start, days):
        with book.at(start):
            book.add_lead("flowers", name="林芳", gender="F", phone="13900000001", need="婚礼花艺",
                          attributes={"budget": 8000}, agent="李娜")


@pytest.fixture
def flowers():
    pm = loader.get_pm()
    plugin = Flowers()
    pm.register(plugin, name="flowers")
    yield plugin
    pm.unregister(name="flowers")


@pytest.fixture
def book(flowers, now):
    b = LeadBook.create(":memory:", ["flowers"], now=now)
    b.add_agent("李娜")
    yield b
    b.close()


def test_industry_fields_settings_scorecard_stages_cadence(book, now):
    added = book.add_lead("flowers", name="林芳", gender="F", phone="13900000001", need="婚礼花艺",
                          attributes={"budget": "8000", "wedding": "yes"}, agent="李娜")
    state = added.state
    assert state.score == 90 and state.grade == "A"
    assert state.stage == "enquiry"
    assert state.next_follow_up == now.date() + dt.timedelta(days=1)
    book.set_setting("flowers.a_points", 95)
    assert book.record(added.lead.id).state.grade == "B"
    with book.at(now + dt.timedelta(hours=1)):
        book.log(added.lead.id, "tasting", agent="李娜", data={"liked": "yes"})
        rec = book.record(added.lead.id)
    assert rec.state.grade == "A" and rec.state.stage == "tasted"
    assert rec.state.extra["x_liked"] == 1
    assert "met: liked a tasting (+10)" in [r.text.en for r in rec.state.reasons]


def test_ownership_policy_from_the_plugin(book, now):
    added = book.add_lead("flowers", name="林芳", gender="F", phone="13900000001", need="花", agent="李娜")
    with book.at(now + dt.timedelta(days=7)):
        assert book.record(added.lead.id).state.owner == "李娜"
    with book.at(now + dt.timedelta(days=8)):
        state = book.record(added.lead.id).state
    assert state.owner is None
    assert any("protection of 7 days lapsed" in r.text.en for r in state.reasons)


def test_check_event_refuses_a_write_and_nothing_is_written(book, now):
    lead_id = book.add_lead("flowers", name="林芳", gender="F", phone="13900000001", need="花",
                            agent="李娜").lead.id
    with book.at(now + dt.timedelta(hours=1)):
        book.log(lead_id, "tasting", agent="李娜")
        book.log(lead_id, "tasting", agent="李娜")
        with pytest.raises(LeadcycleError, match="at most 2 tastings"):
            book.log(lead_id, "tasting", agent="李娜")
    assert [e.kind for e in book.store.events_for(lead_id)] == ["register", "tasting", "tasting"]


def test_plugin_migrations_are_applied(book):
    assert "flowers_bouquets" in book.store.db.table_names()
    assert [m.name for m in flowers_migrations.applied(book.store.db)] == ["m001_bouquets"]


def test_commands_due_items_review_and_demo(flowers, run, tmp_path):
    assert run("init", "--industry", "flowers").exit_code == 0
    result = run("bouquet")
    assert result.exit_code == 0 and result.output == "a bouquet\n"
    assert run("agent", "add", "李娜").exit_code == 0
    assert "water the plants" in run("due").output
    empty = run("review")
    assert empty.exit_code == 1 and "no leads to review" in empty.output
    run("lead", "add", "--industry", "flowers", "--name", "林芳", "--gender", "F",
        "--phone", "13900000001", "--need", "花", "--agent", "李娜")
    out = run("review", "--json").output
    assert '"change": "none"' in out and '"applied": true' in out
    demo_db = str(tmp_path / "demo.db")
    result = run("--db", demo_db, "demo", "--days", "7")
    assert result.exit_code == 0, result.output
    assert LeadBook.open(demo_db).store.count_leads("flowers") == 1


def test_show_names_a_derived_value_by_its_label(flowers, run):
    """``x_liked`` has no summary of its own: show writes its label in the
    reader's language (喜欢的样品数：1), not the bare key."""
    assert run("init", "--industry", "flowers", "--simulation").exit_code == 0
    run("agent", "add", "李娜")
    run("lead", "add", "--industry", "flowers", "--name", "林芳", "--gender", "F", "--phone", "13900000001",
        "--need", "花", "--agent", "李娜", now="2026-03-05T10:00")
    run("log", "1", "tasting", "--agent", "李娜", "--set", "liked=yes", now="2026-03-05T11:00")
    en = run("show", "1", now="2026-03-05T12:00").output
    zh = run("--lang", "zh", "show", "1", now="2026-03-05T12:00").output
    assert "  tastings liked: 1" in en and "liked: 1" not in en.replace("tastings liked: 1", "")
    assert "  喜欢的样品数：1" in zh


def test_plugins_command_lists_hooks(flowers, run):
    result = run("plugins", "--json")
    assert result.exit_code == 0
    import json

    info = {p["name"]: p for p in json.loads(result.output)}
    assert info["flowers"]["industries"] == ["flowers"]
    assert "scorecard" in info["flowers"]["hooks"]
    assert "realestate" in info


def test_a_plugin_that_raises_is_named_and_skipped(run):
    class Broken:
        @hookimpl
        def register_industries(self, register):
            raise RuntimeError("boom")

    loader.get_pm().register(Broken(), name="broken")
    result = run("fields", "--industry", "realestate")
    assert result.exit_code == 0
    assert "broken" in result.stderr and "boom" in result.stderr
    assert "real estate" in result.stdout


def test_a_plugin_that_fails_to_import_is_skipped(monkeypatch, capsys):
    import importlib.metadata as md

    bad = md.EntryPoint(name="nonexistent", value="leadcycle_no_such_module", group="leadcycle")
    real = md.entry_points

    def fake(**kw):
        eps = list(real(**kw))
        return eps + [bad] if kw.get("group") == "leadcycle" else eps

    monkeypatch.setattr(md, "entry_points", fake)
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "realestate,nonexistent")
    loader.reset()
    pm = loader.get_pm()
    assert pm.get_plugin("realestate") is not None
    # one line on stderr, as for a plugin that raises in a hook (no Python warning)
    assert "plugin 'nonexistent' failed to load and was skipped" in capsys.readouterr().err
    assert any(p["name"] == "nonexistent" and "error" in p for p in loader.plugin_info())


def test_load_plugins_variable_limits_what_loads(monkeypatch):
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "")
    loader.reset()
    names = {name for name, _ in loader.get_pm().list_name_plugin()}
    assert names == {"leadcycle.defaults"}


def test_every_hook_is_exercised_and_documented():
    specs = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
                   if hasattr(fn, "leadcycle_spec"))
    exercised = {name for name in dir(Flowers) if not name.startswith("_")}
    assert set(specs) <= exercised, f"hooks without a test: {set(specs) - exercised}"
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in specs:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"{name}({params})" in readme, f"{name}({params}) is not documented in README.md"
