"""The operator's command line, end to end through CliRunner."""

import csv
import datetime as dt
import io
import json

import pytest

T = "2026-03-05T10:00"
A_PROFILE = ["buying_power=A", "region_view=A", "price_view=A", "product_view=A", "trust=A",
             "decision=A", "target_unit=A", "urgency=A"]


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", now=T).exit_code == 0
    assert run("agent", "add", "李娜", "--team", "一组", now=T).exit_code == 0
    assert run("agent", "add", "陈经理", "--manager", now=T).exit_code == 0
    if run("settings", "get", "realestate.grading").exit_code == 0:
        assert run("settings", "set", "realestate.grading", "points").exit_code == 0
    if run("settings", "get", "realestate.first_call_back_days").exit_code == 0:
        # these tests use the cadence table's "same day"; realestate's default is 3 days
        assert run("settings", "set", "realestate.first_call_back_days", "0").exit_code == 0
    return run


def add(run, *extra, phone="+86 138-0013-8000", name="张伟", now=T):
    return run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "男",
               "--phone", phone, "--need", "三房", "--agent", "李娜", *extra, now=now)


def test_init_is_safe_to_repeat(run):
    first = run("init", "--industry", "realestate")
    again = run("init", "--industry", "realestate")
    assert first.exit_code == again.exit_code == 0
    assert "new: realestate" in first.output and "new:" not in again.output


def test_register_log_and_see_the_grade_change_with_its_reason(office):
    result = add(office, "--json")
    assert result.exit_code == 0, result.output
    lead = json.loads(result.output)
    assert lead["id"] == 1 and lead["phone"] == "138****8000" and lead["phone_masked"] and lead["owner"] == "李娜"
    stored = json.loads(office("--as", "李娜", "show", "1", "--unmask", "--json", now=T).output)
    assert stored["phone"] == "13800138000" and not stored["phone_masked"]
    assert lead["grade"] is None and lead["reasons"][0].startswith("no grade yet")

    result = office("lead", "set", "1", *A_PROFILE, "--agent", "李娜", now="2026-03-05T11:00")
    assert result.exit_code == 0, result.output
    assert "grade - → A" in result.output

    result = office("lead", "set", "1", "region_view=B", "target_unit=D", "--agent", "李娜", now="2026-03-05T12:00")
    assert "grade A → B" in result.output  # 100 − 3 − 8 = 89
    shown = json.loads(office("show", "1", "--json", now="2026-03-05T12:00").output)
    assert shown["score"] == 89 and shown["grade"] == "B"
    assert "B: score 89 ≥ 70" in shown["reasons"]
    for key in ("id", "industry", "name", "phone", "grade", "score", "stage", "owner", "reasons",
                "next_follow_up"):
        assert key in shown
    assert [e["kind"] for e in shown["events"]] == ["register", "set", "set"]


def test_show_for_people_and_in_chinese(office):
    add(office)
    office("lead", "set", "1", *A_PROFILE, "--agent", "李娜", now="2026-03-05T11:00")
    text = office("show", "1", now="2026-03-06T09:00").output
    assert "Lead #1  张伟 (M)  138****8000" in text
    assert "A: score 100 ≥ 90" in text
    assert "1 day overdue" in text
    zh = office("--lang", "zh", "show", "1", now="2026-03-06T09:00").output
    assert "首接负责制" in zh and "得分 100" in zh


def test_log_validates_kind_and_fields(office):
    add(office)
    ok = office("log", "1", "follow_up", "--agent", "李娜", "--set", "channel=phone",
                "--set", "reaction=犹豫", "--set", "reaction_detail=想再看看", "--note", "约周末",
                now="2026-03-06T10:00")
    assert ok.exit_code == 0, ok.output
    for args, message in [
        (("log", "1", "dance"), "unknown event kind 'dance'"),
        (("log", "1", "follow_up", "--agent", "李娜", "--set", "mood=ok"), "has no field 'mood'"),
        (("log", "1", "follow_up", "--agent", "李娜", "--set", "channel=pigeon"), "not allowed; use one of"),
        (("log", "1", "follow_up", "--agent", "李娜", "--set", "reaction=meh"), "reaction: 'meh' is not allowed"),
        (("log", "1", "contract", "--agent", "李娜", "--set", "amount=-5"), "below the minimum"),
        (("log", "1", "visit"), "give --agent NAME"),
        (("log", "1", "register"), "written by their own command"),
        (("log", "99", "visit"), "no lead #99"),
        (("log", "x", "visit"), "is not a lead id"),
        (("log", "1", "visit", "--agent", "nobody"), "unknown agent 'nobody'"),
        (("log", "1", "visit", "--set", "novalue"), "is not KEY=VALUE"),
    ]:
        result = office(*args, now="2026-03-07T10:00")
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    events = json.loads(office("show", "1", "--json", now="2026-03-07T10:00").output)["events"]
    assert [e["kind"] for e in events] == ["register", "follow_up"]


@pytest.mark.parametrize("args,message", [
    (("--name", "", "--gender", "M", "--phone", "13800138000", "--need", "三房"), "name is missing"),
    (("--name", "张伟", "--phone", "13800138000", "--need", "三房"), "gender is missing"),
    (("--name", "张伟", "--gender", "M", "--need", "三房"), "phone is missing"),
    (("--name", "张伟", "--gender", "M", "--phone", "13800138000"), "need is missing"),
    (("--name", "张伟", "--gender", "M", "--phone", "12345", "--need", "三房"), "not a valid mainland number"),
    (("--name", "张伟", "--gender", "M", "--phone", "13800138000", "--need", "三房", "--set", "colour=red"),
     "unknown attribute 'colour'"),
    (("--name", "张伟", "--gender", "M", "--phone", "13800138000", "--need", "三房", "--set", "trust=Z"),
     "not allowed; use one of A, B, C, D"),
    (("--name", "张伟", "--gender", "M", "--phone", "13800138000", "--need", "三房", "--agent", "ghost"),
     "unknown agent 'ghost'"),
])
def test_bad_registrations_write_nothing(office, args, message):
    result = office("lead", "add", "--industry", "realestate", *args, now=T)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert json.loads(office("list", "--json").output) == []


def test_a_second_registration_names_the_owner_at_the_clock(run):
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    assert run("agent", "add", "李娜", now="2026-03-05T09:00").exit_code == 0
    assert add(run, now="2026-03-05T10:00").exit_code == 0
    before = add(run, now="2026-04-03T10:00")  # 29 days without a contact: still hers
    assert before.exit_code == 1 and "already lead #1 (张伟, owner: 李娜)" in before.output
    after = add(run, now="2026-04-05T10:00")  # 30 days passed: the protection lapsed, the pool's
    assert after.exit_code == 1 and "already lead #1 (张伟, owner: no owner (pool))" in after.output


def test_unknown_industry(office):
    result = office("lead", "add", "--industry", "bakery", "--name", "a", "--gender", "M",
                    "--phone", "13800138000", "--need", "x")
    assert result.exit_code == 1 and "unknown industry 'bakery'" in result.output
    result = office("init", "--industry", "bakery")
    assert result.exit_code == 1 and "unknown industry 'bakery'" in result.output


def test_same_phone_is_the_same_lead(office):
    assert add(office).exit_code == 0
    again = add(office, phone="138 0013 8000", now="2026-03-05T10:30")
    assert again.exit_code == 1
    assert "already lead #1 (张伟, owner: 李娜)" in again.output
    spouse = add(office, "--relation", "spouse", name="李梅", now="2026-03-05T10:40")
    assert spouse.exit_code == 0 and "same lead #1: 李梅 is 张伟's spouse" in spouse.output
    refused = add(office, name="王五", now="2026-03-05T10:50")
    assert refused.exit_code == 1 and "--relation spouse|parent|child|sibling|partner" in refused.output \
        and "--different-person" in refused.output
    other = add(office, "--different-person", name="王五", now="2026-03-05T10:50")
    assert other.exit_code == 0 and "registered as a different person" in other.output
    assert [r["id"] for r in json.loads(office("list", "--json").output)] == [1, 2]
    # the lead's history says a family member came, not that its name changed
    shown = office("show", "1", now="2026-03-05T11:00").output
    assert "family member registered  [李娜]  李梅 (spouse, M)" in shown and "name=李梅" not in shown
    shown = office("--lang", "zh", "show", "1", now="2026-03-05T11:00").output
    assert "家属登记  [李娜]  李梅（配偶、男）" in shown and "spouse" not in shown and "registered" not in shown


def test_the_log_cannot_be_back_filled(office):
    add(office)
    result = office("log", "1", "visit", "--agent", "李娜", now="2026-03-01T10:00")
    assert result.exit_code == 1 and "cannot be back-filled" in result.output


def test_list_filters_json_and_csv(office):
    add(office)
    add(office, phone="13900139000", name="李四")
    office("lead", "set", "1", *A_PROFILE, "--agent", "李娜", now="2026-03-05T11:00")
    rows = json.loads(office("list", "--grade", "A", "--json", now="2026-03-05T12:00").output)
    assert [r["id"] for r in rows] == [1]
    text = office("list", "--csv", now="2026-03-05T12:00").output
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in parsed] == ["张伟", "李四"] and parsed[0]["grade"] == "A"
    assert office("list", "--owner", "ghost").exit_code == 1
    assert office("list", "--json", "--csv").exit_code != 0


def test_due_lists_first_call_backs_and_overdue_follow_ups(office):
    add(office)
    today = json.loads(office("due", "--agent", "李娜", "--json", now="2026-03-05T18:00").output)
    assert [(i["lead_id"], i["kind"], i["days_overdue"]) for i in today] == [(1, "first_call_back", 0)]
    later = json.loads(office("due", "--json", now="2026-03-08T09:00").output)
    assert later[0]["days_overdue"] == 3
    office("log", "1", "follow_up", "--agent", "李娜", "--reaction", "积极", "--note", "约看房",
           now="2026-03-08T10:00")
    assert json.loads(office("due", "--json", now="2026-03-08T11:00").output) == []


def test_rescore_prints_counts_per_grade(office):
    add(office)
    add(office, phone="13900139000", name="李四")
    office("lead", "set", "1", *A_PROFILE, "--agent", "李娜", now="2026-03-05T11:00")
    result = office("rescore", "--json", now="2026-03-05T12:00")
    assert json.loads(result.output) == {"realestate": {"A": 1, "none": 1}}
    assert "2 leads rescored" in office("rescore", now="2026-03-05T12:00").output


def test_fields_lists_attributes_and_kinds_with_labels(office):
    data = json.loads(office("fields", "--industry", "realestate", "--json").output)
    assert {"name", "gender", "phone", "need"} == {f["name"] for f in data["basics"]}
    kinds = {k["name"] for k in data["event_kinds"]}
    assert {"visit", "call", "follow_up", "contract"} <= kinds
    trust = next(f for f in data["attributes"] if f["name"] == "trust")
    assert [c["value"] for c in trust["choices"]] == ["A", "B", "C", "D"]
    assert trust["label"]["zh"]
    text = office("--lang", "zh", "fields", "--industry", "realestate").output
    assert "房地产" in text and "来访" in text
    # bounds as they are typed: a number's, a date's
    ages = [line for line in office("fields", "--industry", "realestate").output.splitlines() if line.startswith("age ")]
    assert ages and "0..120" in ages[0]
    assert office("init", "--industry", "machinery").exit_code == 0
    deadline = [line for line in office("fields", "--industry", "machinery").output.splitlines()
                if line.startswith("site_deadline")]
    assert deadline and deadline[0].rstrip().endswith("2000-01-01..")


def test_settings_are_typed_and_validated(office):
    assert office("settings", "get", "ownership.protection_days").output.strip() == "30"
    assert office("settings", "set", "ownership.protection_days", "15").exit_code == 0
    assert office("settings", "get", "ownership.protection_days").output.strip() == "15"
    rows = json.loads(office("settings", "list", "--json").output)
    row = next(r for r in rows if r["key"] == "ownership.protection_days")
    assert row["value"] == 15 and row["default"] == 30 and row["is_default"] is False
    for args, message in [(("ownership.protection_days", "soon"), "is not a whole number"),
                          (("ownership.protection_days", "0"), "below the minimum"),
                          (("no.such", "1"), "unknown setting 'no.such'"),
                          (("core.timezone", "Mars/Olympus"), "not a time zone"),
                          (("ownership.protection_days", "1_5"), "is not a whole number"),  # not 15
                          (("ownership.protection_days", ""), "settings reset ownership.protection_days")]:
        result = office("settings", "set", *args)
        assert result.exit_code == 1 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert office("settings", "reset", "ownership.protection_days").exit_code == 0
    assert office("settings", "get", "ownership.protection_days").output.strip() == "30"
    # empty where the setting means "none" by it: no lunch-duty agent
    office("settings", "set", "ownership.lunch_duty_agent", "李娜")
    assert office("settings", "set", "ownership.lunch_duty_agent", "").exit_code == 0
    assert office("settings", "get", "ownership.lunch_duty_agent").output.strip() == ""
    reset = office("settings", "reset", "realestate.launch_date")  # no default date: nothing, not None
    assert reset.exit_code == 0 and "None" not in reset.output


def test_protection_period_day_30_vs_31(office):
    add(office)
    assert json.loads(office("show", "1", "--json", now="2026-04-04T23:00").output)["owner"] == "李娜"
    lapsed = json.loads(office("show", "1", "--json", now="2026-04-05T00:00").output)
    assert lapsed["owner"] is None
    assert any("lapsed on 2026-04-05" in r for r in lapsed["reasons"])
    pool = json.loads(office("list", "--json", now="2026-04-05T08:00").output)
    assert pool[0]["owner"] is None  # the stored projection expired and was refreshed


def test_the_database_must_be_leadcycles(run, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n" * 200)
    result = run("--db", str(bad), "list")
    assert result.exit_code == 1 and "not a leadcycle database" in result.output
    missing = run("--db", str(tmp_path / "none.db"), "show", "1")
    assert missing.exit_code == 1 and "no database at" in missing.output
    assert not (tmp_path / "none.db").exists()


def test_now_must_be_iso(run):
    result = run("list", now="yesterday")
    assert result.exit_code == 2 and "--now" in result.output


def test_now_is_repeatable(office):
    add(office)
    office("lead", "set", "1", *A_PROFILE, "--agent", "李娜", now="2026-03-05T11:00")
    first = office("show", "1", "--json", now="2026-03-20T09:00").output
    assert first == office("show", "1", "--json", now="2026-03-20T09:00").output


def test_agents(office):
    rows = json.loads(office("agent", "list", "--json").output)
    assert [(r["name"], r["is_manager"]) for r in rows] == [("李娜", False), ("陈经理", True)]
    dup = office("agent", "add", "李娜")
    assert dup.exit_code == 1 and "already exists" in dup.output


@pytest.mark.parametrize("zone, kept_until", [
    ("Asia/Shanghai", "2026-03-31T15:59:59Z"),  # the office's midnight after day 30 is 16:00 UTC
    ("UTC", "2026-03-31T23:59:59Z"),
    ("America/New_York", "2026-04-01T03:59:59Z"),  # EDT: UTC−4
])
def test_a_clock_with_an_offset_is_the_office_s_time_in_its_own_zone(run, zone, kept_until):
    """``--now`` with an offset (Z, +08:00) is converted to the time zone the
    database's ``core.timezone`` names, whichever it is: the lead of 03-01
    is its agent's through the office's 03-31 and in the pool at the
    office's midnight."""
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    run("agent", "add", "李娜")
    assert run("settings", "set", "core.timezone", zone).exit_code == 0
    run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone", "13800138000",
        "--need", "三房", "--agent", "李娜", now="2026-03-01T10:00")
    kept = dt.datetime.fromisoformat(kept_until.replace("Z", "+00:00"))
    owners = [json.loads(run("list", "--json", now=moment.isoformat()).output)[0]["owner"]
              for moment in (kept, kept + dt.timedelta(seconds=1))]
    assert owners == ["李娜", None]
