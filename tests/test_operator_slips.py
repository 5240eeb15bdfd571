"""What an operator types by slip — a name pasted with spaces, an option
left empty, the same command twice, no terminal for a password — gets what
they meant, or one line and nothing written (session 19)."""

import hashlib
import json
from pathlib import Path

import pytest


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def desk(run, db_path):
    run("init", "--industry", "realestate", "--simulation", now="2026-03-01T09:00")
    for name in ("李娜", "王强"):
        run("agent", "add", name, now="2026-03-01T09:00")
    return db_path


def test_an_agent_marked_away_twice_for_the_same_reason_is_one_entry(run, desk):
    assert run("agent", "away", "李娜", "--reason", "business", now="2026-03-01T09:05").exit_code == 0
    before = _digest(desk)
    r = run("agent", "away", "李娜", "--reason", "business", now="2026-03-01T09:06")
    assert r.exit_code == 1 and "already marked away" in r.output and len(r.output.strip().splitlines()) == 1
    assert _digest(desk) == before
    # another reason is a change the rotation must know: business earns a make-up turn, personal none
    r = run("agent", "away", "李娜", "--reason", "personal", now="2026-03-01T09:07")
    assert r.exit_code == 0, r.output
    assert "personal" in run("agent", "list", now="2026-03-01T09:08").output


@pytest.mark.parametrize("args", [("receive", "--appointment", ""), ("receive", "--returning", "  "),
                                  ("list", "--owner", ""), ("due", "--agent", " "),
                                  ("reassign", "1", "--to", "", "--reason", "redistribute", "--agent", "李娜")])
def test_an_agent_option_given_empty_is_refused_and_writes_nothing(run, desk, args):
    """``receive --appointment ""`` was taken as no appointment: it handed
    out the next regular turn."""
    before = _digest(desk)
    r = run(*args, now="2026-03-01T09:10")
    assert r.exit_code == 2 and "needs an agent's name" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    assert _digest(desk) == before


def test_an_agent_s_name_with_spaces_around_it_is_the_agent(run, desk):
    r = run("lead", "add", "--name", "张三", "--gender", "男", "--phone", "13800138000", "--need", "三房",
            "--agent", " 王强 ", now="2026-03-01T10:00")
    assert r.exit_code == 0, r.output
    lead = json.loads(run("show", "1", "--json", now="2026-03-01T10:01").output)
    assert lead["owner"] == "王强"
    assert [row["id"] for row in json.loads(run("list", "--owner", "王强 ", "--json",
                                                now="2026-03-01T10:01").output)] == [1]
    r = run("receive", "--returning", "\t王强", "--json", now="2026-03-01T10:05")
    assert r.exit_code == 0 and json.loads(r.output)["agent"] == "王强", r.output


@pytest.mark.parametrize("db", ["", "  "])
def test_an_empty_database_name_is_refused(runner, tmp_path, monkeypatch, db):
    """SQLite takes "" for a private database that vanishes with the run:
    ``init`` said ready, and nothing was kept."""
    from leadcycle.cli import cli

    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli, ["--db", db, "init", "--industry", "realestate"])
    assert r.exit_code == 2 and "--db" in r.output and "file name" in r.output
    assert list(tmp_path.iterdir()) == []


def test_an_empty_reader_name_is_refused(run, desk):
    r = run("--as", " ", "list", now="2026-03-01T10:00")
    assert r.exit_code == 2 and "--as" in r.output and "needs an agent's name" in r.output


def test_a_password_asked_with_no_terminal_is_read_from_the_pipe(runner, tmp_path):
    """Without a terminal, getpass printed its warnings about echo and,
    given nothing, click's "Aborted!"; the pipe's line is the password, and
    an empty pipe is one line saying how to give it."""
    from leadcycle.cli import cli

    db = str(tmp_path / "office.db")
    r = runner.invoke(cli, ["--db", db, "init", "--industry", "realestate", "--admin", "陈经理"], input="secret1\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["--db", db, "login", "陈经理", "--print-token"], input="")
    assert r.exit_code == 1 and "no password given" in r.output and "--password-stdin" in r.output
    assert "Warning" not in r.output and "Aborted" not in r.output
    r = runner.invoke(cli, ["--db", db, "login", "陈经理", "--print-token"], input="secret1\n")
    assert r.exit_code == 0 and r.output.strip(), r.output


@pytest.mark.parametrize("stage, found", [("target_group", True), ("目标客户群", True), ("Target group", True),
                                          ("Target_Group", True), ("成交客户", False), ("won", False)])
def test_a_stage_is_filtered_by_the_name_list_prints(run, db_path, stage, found):
    """``list`` prints 目标客户群 in Chinese; ``list --stage 目标客户群``
    refused it, naming only the codes."""
    run("init", "--industry", "software_sales", "--simulation", now="2026-03-02T09:00")
    run("agent", "add", "李娜", now="2026-03-02T09:00")
    run("lead", "add", "--industry", "software_sales", "--name", "林雪", "--gender", "女", "--phone", "13911112222",
        "--need", "ERP", "--agent", "李娜", now="2026-03-02T09:01")
    r = run("list", "--stage", stage, "--json", now="2026-03-03T09:00")
    assert r.exit_code == 0, r.output
    assert [row["id"] for row in json.loads(r.output)] == ([1] if found else [])
    r = run("list", "--stage", "目标客户", now="2026-03-03T09:00")
    assert r.exit_code == 1 and "target_group" in r.output


@pytest.mark.parametrize("stage", ["opportunity", "潜在的商机", "Potential opportunity", "Opportunity", "OPPORTUNITY"])
def test_a_lead_is_advanced_to_a_stage_by_the_name_list_prints(run, db_path, stage):
    """``advance`` takes what ``list --stage`` takes: the code or the label."""
    run("init", "--industry", "software_sales", "--simulation", now="2026-03-02T09:00")
    run("agent", "add", "李娜", now="2026-03-02T09:00")
    run("lead", "add", "--industry", "software_sales", "--name", "林雪", "--gender", "女", "--phone", "13911112222",
        "--need", "ERP", "--agent", "李娜", now="2026-03-02T09:01")
    r = run("lead", "set", "1", "company=某电力公司", "sector=power", "employees=500", "it_landscape=SAP",
            "competitors=用友", "requirements=培训", "budget=50", "project_team=张三", "--agent", "李娜",
            now="2026-03-03T09:00")
    assert r.exit_code == 0, r.output
    r = run("advance", "1", stage, "--agent", "李娜", now="2026-03-04T09:00")
    assert r.exit_code == 0, r.output
    assert json.loads(run("show", "1", "--json", now="2026-03-04T09:01").output)["stage"] == "opportunity"
