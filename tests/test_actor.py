"""Every entry has an author, a follow-up its content and the client's
reaction, and a colleague writes on another agent's lead only what the
ownership rules foresee (issue #10 item 5)."""

import json

import pytest

T = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", "--industry", "software_sales", now=T).exit_code == 0
    for name in ("李娜", "王强"):
        assert run("agent", "add", name, now=T).exit_code == 0
    assert run("agent", "add", "陈经理", "--manager", now=T).exit_code == 0
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男",
            "--phone", "13800138000", "--need", "三房", "--agent", "李娜", now=T)
    assert r.exit_code == 0, r.output
    return run


def events(run, lead=1, now="2026-03-06T12:00"):
    return json.loads(run("show", str(lead), "--json", now=now).output)["events"]


def test_entries_without_an_agent_are_refused_and_nothing_written(office):
    office("settings", "set", "software_sales.ladder", "stages")
    office("lead", "add", "--industry", "software_sales", "--name", "王芳", "--gender", "女",
           "--phone", "13900139000", "--need", "OA", "--agent", "李娜", now=T)
    for args in (("log", "1", "visit"), ("log", "1", "deposit", "--set", "amount=1000"),
                 ("log", "1", "follow_up", "--reaction", "积极", "--note", "约看房"),
                 ("lead", "set", "1", "funds=A"), ("advance", "2", "opportunity")):
        r = office(*args, now="2026-03-06T10:00")
        assert r.exit_code == 1 and "who wrote this entry? give --agent NAME" in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1
    r = office("log", "1", "visit", "--agent", " ", now="2026-03-06T10:00")  # a name left blank
    assert r.exit_code == 2 and "needs an agent's name" in r.output and len(r.output.strip().splitlines()) == 1
    assert [e["kind"] for e in events(office)] == ["register"]
    assert [e["kind"] for e in events(office, 2)] == ["register"]


def test_a_follow_up_needs_content_and_reaction(office):
    base = ("log", "1", "follow_up", "--agent", "李娜")
    r = office(*base, now="2026-03-06T10:00")
    assert r.exit_code == 1
    assert "the client's reaction" in r.output and "what was said (--note" in r.output
    r = office(*base, "--note", "约周末看房", now="2026-03-06T10:00")
    assert r.exit_code == 1 and "the client's reaction" in r.output and "what was said" not in r.output
    r = office(*base, "--reaction", "positive", now="2026-03-06T10:00")
    assert r.exit_code == 1 and "what was said (--note" in r.output and "reaction (" not in r.output
    r = office(*base, "--reaction", "positive", "--note", "  ", now="2026-03-06T10:00")
    assert r.exit_code == 1 and "what was said" in r.output
    r = office(*base, "--reaction", "happy", "--note", "约看房", now="2026-03-06T10:00")
    assert r.exit_code == 1 and "reaction: 'happy' is not allowed; use one of positive, neutral" in r.output
    assert [e["kind"] for e in events(office)] == ["register"]
    # the Chinese word, the English label or the key; content by --note or --set content=
    assert office(*base, "--reaction", "犹豫", "--note", "要和家人商量", now="2026-03-06T10:00").exit_code == 0
    assert office(*base, "--set", "reaction=no answer", "--set", "content=电话未接通",
                  now="2026-03-06T11:00").exit_code == 0
    ok = office(*base, "--reaction", "未接通", "--set", "content=再打", "--set", "reaction_detail=关机",
                "--json", now="2026-03-06T12:00")
    assert ok.exit_code == 0, ok.output
    got = [e["data"] for e in events(office)[1:]]
    assert [d["reaction"] for d in got] == ["hesitant", "no_answer", "no_answer"]
    assert got[2]["reaction_detail"] == "关机"
    # the follow-up moves the cadence only once it is accepted
    assert json.loads(ok.output)["next_follow_up"] > "2026-03-06"


def test_a_colleague_logs_only_what_ownership_foresees_and_is_marked(office):
    n = len(events(office))
    for args in (("log", "1", "follow_up", "--reaction", "积极", "--note", "我来跟进"),
                 ("log", "1", "deep_question", "--note", "问物业费"),
                 ("lead", "set", "1", "funds=A")):
        r = office(*args, "--agent", "王强", now="2026-03-06T10:00")
        assert r.exit_code == 1, (args, r.output)
        assert "lead #1 belongs to 李娜: 王强 may log only assist, call" in r.output
        assert "ask 李娜 or a manager" in r.output and len(r.output.strip().splitlines()) == 1
    assert len(events(office)) == n
    # an assist and a stand-in's reception are foreseen: accepted, marked, and shown
    assert office("log", "1", "assist", "--agent", "王强", now="2026-03-06T10:00").exit_code == 0
    assert office("log", "1", "visit", "--agent", "王强", "--set", "asks_for=李娜",
                  now="2026-03-06T11:00").exit_code == 0
    # a manager may log anything, marked the same way; the owner's own entries are not marked
    assert office("log", "1", "follow_up", "--agent", "陈经理", "--reaction", "一般", "--note", "经理回访",
                  now="2026-03-06T11:30").exit_code == 0
    assert office("log", "1", "follow_up", "--agent", "李娜", "--reaction", "积极", "--note", "约看房",
                  now="2026-03-06T12:00").exit_code == 0
    got = events(office)
    assert [(e["kind"], e["agent"], e["data"].get("not_owner"), e["data"].get("owner")) for e in got[1:]] == [
        ("assist", "王强", True, "李娜"), ("visit", "王强", True, "李娜"),
        ("follow_up", "陈经理", True, "李娜"), ("follow_up", "李娜", None, None)]
    text = office("show", "1", now="2026-03-06T12:00").output
    assert "[王强]  (not the owner: 李娜's lead)" in text
    hist = json.loads(office("history", "1", "--json", now="2026-03-06T12:00").output)
    assert [(n["kind"], n["agent"], n["owner"]) for n in hist["not_owner"]] == [
        ("assist", "王强", "李娜"), ("visit", "王强", "李娜"), ("follow_up", "陈经理", "李娜")]
    assert "Entries by others than the owner:" in office("history", "1", now="2026-03-06T12:00").output
    # the assist counts for the split: 70/30 when the owner closes
    assert office("log", "1", "contract", "--agent", "李娜", now="2026-03-07T10:00").exit_code == 0
    shares = json.loads(office("credit", "1", "--json", now="2026-03-07T10:00").output)[0]["shares"]
    assert {s["agent"]: s["share"] for s in shares} == {"李娜": "7/10", "王强": "3/10"}


def test_a_lead_without_owner_is_open_to_every_agent(office):
    # lapsed after 30 days without contact: the pool
    r = office("log", "1", "follow_up", "--agent", "王强", "--reaction", "积极", "--note", "公共池客户回访",
               now="2026-04-06T10:00")
    assert r.exit_code == 0, r.output
    assert "not_owner" not in events(office, now="2026-04-06T10:00")[-1]["data"]
    # a phone-only registration has no owner until the first visit
    office("lead", "add", "--industry", "realestate", "--name", "李四", "--gender", "男", "--phone",
           "13900139000", "--need", "两房", "--channel", "call", "--agent", "李娜", now="2026-04-06T10:00")
    assert office("log", "2", "follow_up", "--agent", "王强", "--reaction", "一般", "--note", "回电",
                  now="2026-04-06T11:00").exit_code == 0


def test_an_import_without_agent_column_is_written_by_the_import(office, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("姓名,性别,电话,需求\n王五,男,13700137000,两房\n", encoding="utf-8")
    r = office("import", str(path), "--industry", "realestate", now="2026-03-06T10:00")
    assert r.exit_code == 0, r.output
    register = events(office, 2)[0]
    assert register["agent"] is None and register["data"]["source"] == {"file": "register.csv", "row": 2}
