"""A database whose industry's plugin is no longer installed: its leads
keep what was last computed for them, every read says so, and nothing
fails or forgets their owners."""

import hashlib
import json
from pathlib import Path

import pytest

from leadcycle import loader


@pytest.fixture
def orphaned(run, db_path, monkeypatch):
    """A machinery lead of 李娜's, then machinery's plugin uninstalled."""
    run("init", "--industry", "machinery", "--industry", "realestate", "--simulation", now="2026-03-01T09:00")
    run("agent", "add", "李娜", now="2026-03-01T09:00")
    r = run("lead", "add", "--industry", "machinery", "--name", "张伟", "--gender", "男", "--phone", "13800138000",
            "--need", "挖掘机", "--agent", "李娜", now="2026-03-01T09:00")
    assert r.exit_code == 0, r.output
    before = json.loads(run("show", "1", "--json", now="2026-03-02T09:00").output)
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "realestate")
    loader.reset()
    return before


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_list_and_show_keep_the_owner_and_say_the_plugin_is_missing(run, orphaned, db_path):
    digest = _digest(db_path)
    shown = run("show", "1", "--json", now="2026-03-09T09:00")
    assert shown.exit_code == 0, shown.output
    st = json.loads(shown.output)
    assert st["owner"] == orphaned["owner"] == "李娜"
    assert st["next_follow_up"] == orphaned["next_follow_up"]
    assert any("plugin machinery not installed" in r for r in st["reasons"])
    listed = json.loads(run("list", "--json", now="2026-03-09T09:00").output)
    assert [(r["id"], r["owner"], r["next_follow_up"]) for r in listed] == [(1, "李娜", st["next_follow_up"])]
    assert json.loads(run("list", "--owner", "李娜", "--json", now="2026-03-09T09:00").output)[0]["id"] == 1
    due = run("due", "--agent", "李娜", now="2026-03-09T09:00")
    assert due.exit_code == 0 and "张伟" in due.output
    text = run("show", "1", now="2026-03-09T09:00")
    assert text.exit_code == 0 and "Traceback" not in text.output and "Error" not in text.output
    assert _digest(db_path) == digest  # reads never write


def test_pool_and_rescore_leave_the_lead_to_its_owner(run, orphaned):
    pool = run("pool", "--json", now="2026-03-09T09:00")
    assert pool.exit_code == 0, pool.output
    assert json.loads(pool.output) == []
    assert run("rescore", now="2026-03-09T09:00").exit_code == 0
    st = json.loads(run("show", "1", "--json", now="2026-03-09T09:00").output)
    assert st["owner"] == "李娜" and st["next_follow_up"] == orphaned["next_follow_up"]


def test_a_write_on_the_lead_is_one_line_naming_the_missing_plugin(run, orphaned):
    r = run("log", "1", "call", "--agent", "李娜", now="2026-03-09T09:00")
    assert r.exit_code != 0
    assert "machinery" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_the_plugin_back_computes_the_lead_again(run, orphaned, monkeypatch):
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "realestate,machinery")
    loader.reset()
    st = json.loads(run("show", "1", "--json", now="2026-03-02T09:00").output)
    assert st == orphaned


@pytest.mark.parametrize("command", [("report", "daily"), ("report", "html", "-o", "r.html"), ("report", "sources"),
                                     ("export", "-o", "out.csv"), ("verify",), ("credit", "1")])
def test_the_office_s_reports_go_on_without_it(run, orphaned, command):
    r = run(*command, now="2026-03-09T09:00")
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output


def test_a_grade_filter_reads_the_grades_its_leads_were_last_computed_with(run, monkeypatch):
    """With the plugin gone, --grade takes the grades the industry's leads
    were last given (its scale went with the plugin; the error listed no
    grade at all)."""
    run("init", "--industry", "machinery", "--simulation", now="2026-03-01T09:00")
    run("agent", "add", "李娜", now="2026-03-01T09:00")
    run("lead", "add", "--industry", "machinery", "--name", "张伟", "--gender", "男", "--phone", "13800138000",
        "--need", "挖掘机", "--agent", "李娜", now="2026-03-01T09:00")
    run("lead", "set", "1", "bargaining=yes", "brand_view=accepts", "commercial_terms=yes",
        "site_deadline=2026-03-20", "--agent", "李娜", now="2026-03-01T10:00")
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", "realestate")
    loader.reset()
    listed = run("list", "--grade", "a", "--json", now="2026-03-02T09:00")
    assert listed.exit_code == 0, listed.output
    assert [(r["id"], r["grade"]) for r in json.loads(listed.output)] == [(1, "A")]
    wrong = run("list", "--grade", "Z", now="2026-03-02T09:00")
    assert wrong.exit_code == 1 and "use one of A" in wrong.output
