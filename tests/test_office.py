"""An office database through the command line (issue #10): agents sign
in, writes take the machine's clock, manager and admin authority holds, and
every refusal is one line with nothing written."""

import datetime as dt
import json
import sqlite3

import pytest

from leadcycle import accounts

LEAD = ("--industry", "realestate", "--gender", "女", "--need", "三房")


def dump(path):
    conn = sqlite3.connect(path)
    try:
        return [line for line in conn.iterdump() if "INSERT INTO \"sessions\"" not in line]
    finally:
        conn.close()


@pytest.fixture
def office(run, db_path):
    """An office with an admin (陈经理), a manager (赵经理) and two agents;
    ``office.login(name)`` signs in as one of them."""
    out = run("init", "--industry", "realestate", "--admin", "陈经理", "--password-stdin", input="open-sesame\n")
    assert out.exit_code == 0 and "office database" in out.output, out.output

    def login(name, secret=None):
        result = run("login", name, "--password-stdin", input=(secret or f"{name}-secret") + "\n")
        assert result.exit_code == 0, result.output
        return result

    run.login = login
    login("陈经理", "open-sesame")
    for args in (("李娜",), ("王强",), ("赵经理", "--manager")):
        assert run("agent", "add", *args).exit_code == 0
        assert run("agent", "password", args[0], "--password-stdin", input=f"{args[0]}-secret\n").exit_code == 0
    return run


def test_signed_out_you_can_only_read(office, db_path):
    office("logout")
    before = dump(db_path)
    for args in (("agent", "add", "刘洋"), ("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000"),
                 ("settings", "set", "ownership.protection_days", "15")):
        result = office(*args)
        assert result.exit_code == 1 and "sign in with: leadcycle login" in result.output, result.output
        assert result.output.count("\n") == 1
    assert office("list").exit_code == 0 and office("whoami").output.startswith("not signed in (office")
    assert dump(db_path) == before


def test_the_signed_in_admin_enables_an_industry(office, db_path):
    # init built its book without the session: the admin was "nobody"
    enabled = office("init", "--industry", "machinery")
    assert enabled.exit_code == 0 and "(new: machinery)" in enabled.output, enabled.output
    assert office("init").exit_code == 0  # nothing to enable: no write, and fine for anyone
    office.login("李娜")
    before = dump(db_path)
    refused = office("init", "--industry", "software_sales")
    assert refused.exit_code == 1 and "needs the admin role" in refused.output
    office("logout")
    assert office("init").exit_code == 0
    refused = office("init", "--industry", "software_sales")
    assert refused.exit_code == 1 and "sign in with: leadcycle login" in refused.output
    assert dump(db_path) == before


def test_writes_act_as_the_signed_in_agent(office, db_path):
    office.login("李娜")
    added = office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["owner"] == "李娜"
    before = dump(db_path)
    spoof = office("lead", "add", *LEAD, "--name", "李四", "--phone", "13900139000", "--agent", "王强")
    assert spoof.exit_code == 1 and "signed in as 李娜, not 王强" in spoof.output
    spoof = office("log", "1", "visit", "--agent", "王强")
    assert spoof.exit_code == 1 and "not 王强" in spoof.output
    assert dump(db_path) == before
    assert office("log", "1", "visit").exit_code == 0
    events = json.loads(office("show", "1", "--json").output)
    assert events["owner"] == "李娜"


def test_back_dating_is_refused_on_an_office_database(office, db_path):
    office.login("李娜")
    assert office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000").exit_code == 0
    before = dump(db_path)
    back = office("lead", "add", *LEAD, "--name", "李四", "--phone", "13900139000", now="2025-12-01T10:00")
    assert back.exit_code == 1 and "writes take the machine's clock" in back.output
    assert office("log", "1", "visit", now="2030-01-01T10:00").exit_code == 1  # nor forward-dating
    assert dump(db_path) == before
    # reads may look at any clock
    assert office("list", "--json", now="2025-12-01T10:00").exit_code == 0
    # …and the moment an event was recorded is the machine's
    conn = sqlite3.connect(db_path)
    (at, recorded), = conn.execute("SELECT at, recorded_at FROM events WHERE kind = 'register'")
    conn.close()
    utc = dt.datetime.now(dt.timezone.utc)
    assert recorded.endswith("Z") and abs((dt.datetime.fromisoformat(recorded) - utc).total_seconds()) < 60
    shanghai = dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert abs((shanghai - utc).total_seconds()) < 60  # the office's wall clock (Asia/Shanghai)


def test_back_dating_is_allowed_on_a_simulation_database(run, db_path):
    run("init", "--industry", "realestate", "--simulation")
    run("agent", "add", "王强")
    out = run("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000", "--agent", "王强",
              now="2025-12-01T10:00")
    assert out.exit_code == 0, out.output
    conn = sqlite3.connect(db_path)
    (at, recorded), = conn.execute("SELECT at, recorded_at FROM events")
    conn.close()
    assert at == "2025-12-01T10:00:00" and recorded[:4] >= "2026"  # when it was really written
    assert "simulation" in run("whoami").output
    # a simulation never becomes an office
    made = run("init", "--admin", "陈经理", "--password-stdin", input="open-sesame\n")
    assert made.exit_code == 0 and "(simulation database)" in made.output


def test_an_agent_cannot_use_a_managers_authority(office, db_path):
    office.login("李娜")
    office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000")
    before = dump(db_path)
    for args, needed in ((("approve", "1"), "manager"),
                         (("arbitrate", "1", "--to", "王强", "--reason", "首访在先"), "manager"),
                         (("reassign", "1", "--to", "王强", "--reason", "complaint"), "manager"),
                         (("agent", "leave", "王强"), "manager"),
                         (("settings", "set", "ownership.protection_days", "15"), "admin"),
                         (("agent", "add", "刘洋"), "admin"),
                         (("agent", "role", "李娜", "admin"), "admin")):
        result = office(*args)
        assert result.exit_code == 1 and f"needs the {needed} role" in result.output, (args, result.output)
        assert "李娜 is an agent" in result.output
    # naming a manager does not help
    named = office("reassign", "1", "--to", "王强", "--reason", "complaint", "--agent", "赵经理")
    assert named.exit_code == 1 and "not 赵经理" in named.output
    assert dump(db_path) == before
    office.login("赵经理")
    moved = office("reassign", "1", "--to", "王强", "--reason", "complaint", "--json")
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.output)["owner"] == "王强"
    refused = office("settings", "set", "ownership.protection_days", "15")
    assert refused.exit_code == 1 and "needs the admin role" in refused.output


def test_a_session_expires_on_the_machine_clock(office, db_path, monkeypatch):
    office.login("李娜")
    assert "李娜 (agent) until" in office("whoami").output
    real = accounts.wall_clock
    monkeypatch.setattr(accounts, "wall_clock", lambda book: real(book) + dt.timedelta(hours=12, minutes=1))
    result = office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000")
    assert result.exit_code == 1 and "your session expired" in result.output
    assert office("list").exit_code == 0  # reading still works
    monkeypatch.setattr(accounts, "wall_clock", real)
    assert office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000").exit_code == 0


def test_a_token_for_scripts(office, runner, db_path, monkeypatch):
    token = office("login", "王强", "--password-stdin", "--print-token", input="王强-secret\n").output.strip()
    assert token.startswith("lc_")
    office("logout")  # the saved session (陈经理's) ends; the printed token is another session
    monkeypatch.setenv("LEADCYCLE_TOKEN", token)
    out = office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000", "--json")
    assert out.exit_code == 0 and json.loads(out.output)["owner"] == "王强"
    monkeypatch.setenv("LEADCYCLE_TOKEN", "lc_forged")
    forged = office("log", "1", "visit")
    assert forged.exit_code == 1 and "not known to this database" in forged.output


def test_wrong_password_is_one_line(office):
    result = office("login", "李娜", "--password-stdin", input="guess-guess\n")
    assert result.exit_code == 1 and result.output.startswith("Error: wrong name or password")


def test_a_review_dry_run_is_a_read(office, db_path):
    """Signed out, at any --now: a dry run proposes and writes nothing; the
    real review needs a signed-in agent and the machine's clock."""
    office.login("李娜")
    assert office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000").exit_code == 0
    office("logout")
    before = dump(db_path)
    dry = office("review", "--dry-run", "--json", now="2030-01-01T09:00")
    assert dry.exit_code == 0, dry.output
    assert dump(db_path) == before
    real = office("review", now="2030-01-01T09:00")
    assert real.exit_code == 1 and "machine's clock" in real.output


def test_a_managers_decisions_name_the_signed_in_manager(office, db_path):
    """reassign, arbitrate, a departure: recorded with the manager who
    signed in (they were recorded as ``None`` when --agent was left out)."""
    office.login("李娜")
    assert office("lead", "add", *LEAD, "--name", "张三", "--phone", "13800138000").exit_code == 0
    assert office("lead", "add", *LEAD, "--name", "李四", "--phone", "13900139000").exit_code == 0
    office.login("赵经理")
    moved = office("reassign", "1", "--to", "王强", "--reason", "complaint")
    assert moved.exit_code == 0 and "None" not in moved.output, moved.output
    decided = office("arbitrate", "1", "--to", "李娜", "--reason", "首访记录在先")
    assert decided.exit_code == 0 and "None" not in decided.output, decided.output
    assert office("agent", "leave", "李娜").exit_code == 0
    conn = sqlite3.connect(db_path)
    try:
        owners = conn.execute("SELECT agent, data FROM events WHERE kind = 'owner' ORDER BY id").fetchall()
        left = conn.execute("SELECT data FROM receptions WHERE kind = 'left'").fetchone()
    finally:
        conn.close()
    assert len(owners) == 4 and all(agent == "赵经理" for agent, _ in owners), owners
    assert [json.loads(d).get("by") for _, d in owners[:2]] == ["赵经理", "赵经理"]
    assert json.loads(left[0])["by"] == "赵经理"
    shown = office("show", "1").output + office("--lang", "zh", "show", "1").output
    assert "None" not in shown


def test_a_session_ended_by_a_password_reset_says_so(office, runner, db_path, monkeypatch):
    """The agent did not sign out: the admin changed the password, which
    ends their sessions — the line says either may have happened."""
    token = office("login", "王强", "--password-stdin", "--print-token", input="王强-secret\n").output.strip()
    office.login("陈经理", "open-sesame")
    assert office("agent", "password", "王强", "--password-stdin", input="new-secret-1\n").exit_code == 0
    monkeypatch.setenv("LEADCYCLE_TOKEN", token)
    result = office("whoami")
    assert result.exit_code == 1 and "password was changed" in result.output, result.output


def test_a_password_is_asked_in_the_readers_language(run, monkeypatch):
    """Typed at the terminal (no --password-stdin): 密码, then 再输入一次以确认."""
    monkeypatch.setattr("leadcycle.cli.output._terminal", lambda stream: True)  # the runner's input as typed
    result = run("--lang", "zh", "init", "--industry", "realestate", "--admin", "陈经理",
                 input="open-sesame\nopen-sesame\n")
    assert result.exit_code == 0, result.output
    assert "陈经理 的密码" in result.output and "再输入一次以确认" in result.output and "Password" not in result.output


def test_an_agent_marks_only_themselves_away_and_records_only_their_own_relations(office, db_path):
    """Away status moves the rotation and a relation decides ownership: a
    colleague's needs a manager; every such entry names who wrote it."""
    office.login("王强")
    before = dump(db_path)
    for args, what in ((("agent", "away", "李娜", "--reason", "personal"), "marking a colleague away"),
                       (("agent", "relation", "add", "李娜", "--phone", "13900001111", "--relation", "friend"),
                        "recording a colleague's relative or friend")):
        refused = office(*args)
        assert refused.exit_code == 1 and what in refused.output and refused.output.count("\n") == 1, refused.output
    assert dump(db_path) == before
    assert office("agent", "away", "王强", "--reason", "business").exit_code == 0
    assert office("agent", "back", "王强").exit_code == 0
    office.login("赵经理")
    assert office("agent", "away", "李娜", "--reason", "personal").exit_code == 0
    conn = sqlite3.connect(db_path)
    try:
        by = [json.loads(d).get("by") for (d,) in conn.execute("SELECT data FROM receptions ORDER BY id")]
    finally:
        conn.close()
    assert by[-3:] == ["王强", "王强", "赵经理"]
