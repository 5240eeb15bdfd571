"""Shell completion (issue #15): agents, lead ids, industries, stages and
setting keys complete from the database, read-only, and never fail."""

from __future__ import annotations

import os

import click
from click.shell_completion import ShellComplete

from leadcycle.cli import cli, complete


def completions(*words, incomplete=""):
    """What the shell would offer after ``leadcycle WORDS… INCOMPLETE``."""
    comp = ShellComplete(cli, {}, "leadcycle", "_LEADCYCLE_COMPLETE")
    return [item.value for item in comp.get_completions(list(words), incomplete)]


def test_agents_complete_wherever_an_agent_is_asked(demo_db):
    db = ("--db", str(demo_db))
    for words in (("due", "--agent"), ("list", "--owner"), ("reassign", "3", "--to"), ("agent", "away"),
                  ("log", "1", "follow_up", "--agent"), ("--as",)):
        assert completions(*db, *words) == ["李娜", "王强", "赵敏", "陈经理"], words
    assert completions(*db, "due", "--agent", incomplete="王") == ["王强"]


def test_lead_ids_complete_with_the_clients_name(demo_db):
    comp = ShellComplete(cli, {}, "leadcycle", "_LEADCYCLE_COMPLETE")
    items = comp.get_completions(["--db", str(demo_db), "show"], "1")
    assert items and all(i.value.startswith("1") for i in items) and len(items) <= 50
    assert all(i.help for i in items)  # the client's name beside the id
    assert "12" in [i.value for i in items]
    assert completions("--db", str(demo_db), "show", incomplete="zz") == []


def test_industries_stages_and_setting_keys_complete(demo_db):
    db = ("--db", str(demo_db))
    assert completions(*db, "list", "--industry") == ["machinery", "realestate", "software_sales"]
    assert completions(*db, "lead", "add", "--industry", incomplete="re") == ["realestate"]
    stages = completions(*db, "list", "--stage")
    assert "opportunity" in stages and len(stages) == len(set(stages))
    keys = completions(*db, "settings", "set", incomplete="ownership.")
    assert "ownership.protection_days" in keys and all(k.startswith("ownership.") for k in keys)
    assert completions(*db, "settings", "get", incomplete="core.t") == ["core.timezone"]


def test_completion_never_fails_and_never_writes(tmp_path):
    missing = tmp_path / "none.db"
    assert completions("--db", str(missing), "due", "--agent") == []
    assert not missing.exists()  # read-only: never created
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"not a database at all")
    assert completions("--db", str(foreign), "show") == []
    assert completions("--db", str(foreign), "list", "--industry") == ["machinery", "realestate", "software_sales"]
    before = foreign.read_bytes()
    completions("--db", str(foreign), "list", "--stage")
    assert foreign.read_bytes() == before


def test_the_database_is_opened_read_only(demo_db, monkeypatch):
    stat = os.stat(demo_db)
    completions("--db", str(demo_db), "due", "--agent")
    completions("--db", str(demo_db), "list", "--stage")
    assert os.stat(demo_db).st_mtime == stat.st_mtime
    assert not os.path.exists(str(demo_db) + "-wal") or os.path.getsize(str(demo_db) + "-wal") == 0


def test_a_completion_that_raises_completes_nothing():
    @complete.never_fails
    def broken(ctx, param, incomplete):
        raise RuntimeError("boom")

    assert broken(click.Context(cli), None, "") == []


def test_the_bash_script_is_what_the_readme_says(runner):
    result = runner.invoke(cli, [], env={"_LEADCYCLE_COMPLETE": "bash_source"}, prog_name="leadcycle")
    assert "_leadcycle_completion" in result.output and "complete " in result.output
