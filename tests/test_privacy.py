"""Phones masked everywhere (issue #14, "nothing leaked"): by default every
command prints ``138****8000``; ``--unmask`` shows an owner their own
leads' numbers and a manager every lead's; anyone else gets one line and
nothing else."""

import csv
import io
import json

import pytest

from leadcycle import io as leadcycle_io
from leadcycle import privacy
from leadcycle.errors import Refused
from leadcycle.model import Agent

NOW = "2026-03-05T10:00"
LATER = "2026-03-06T09:00"
DUE = "2026-03-09T09:00"  # the first call-backs (within 3 days) are overdue

#: lead #1 is 李娜's, #2 王强's, #3 came by phone only (no owner: the pool)
PHONES = {1: "13800138000", 2: "13900139000", 3: "010-88886666"}
MASKED = {1: "138****8000", 2: "139****9000", 3: "010-****6666"}


@pytest.fixture
def office(realestate_office):
    run = realestate_office
    for name, phone, agent, channel in (("张伟", "+86 138-0013-8000", "李娜", "visit"),
                                        ("王芳", "13900139000", "王强", "visit"),
                                        ("刘洋", "(010) 8888 6666", "赵敏", "call")):
        added = run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "M",
                    "--phone", phone, "--need", "三房", "--agent", agent, "--channel", channel, now=NOW)
        assert added.exit_code == 0, added.output
    return run


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def refused(result, *words):
    """One line on stderr, exit 1, nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert "Traceback" not in result.output
    for w in words:
        assert w in lines[0]
    return lines[0]


def no_full_phone(text):
    leaked = [p for p in PHONES.values() if p in text]
    assert not leaked, (leaked, text)


# ------------------------------------------------------------- the mask


@pytest.mark.parametrize("raw, masked", [
    ("13812341234", "138****1234"), ("010-88886666", "010-****6666"), ("0755-1234567", "0755-***4567"),
    ("", ""), (None, None),
])
def test_mask_phone_is_one_function(raw, masked):
    assert privacy.mask_phone(raw) == masked
    assert leadcycle_io.mask_phone is privacy.mask_phone  # the export's, moved


def test_mask_phones_reaches_every_phone_in_event_data():
    data = {"phone": "13800138000", "changes": {"phone": "13900139000", "need": "两房"},
            "items": [{"phone": "010-88886666"}], "note": "13800138000 in free text is the note's"}
    assert privacy.mask_phones(data) == {
        "phone": "138****8000", "changes": {"phone": "139****9000", "need": "两房"},
        "items": [{"phone": "010-****6666"}], "note": "13800138000 in free text is the note's"}


def test_phone_view_rules():
    agent = privacy.own_leads(Agent("李娜"))
    assert agent.reveals("李娜") and not agent.reveals("王强") and not agent.reveals(None)
    manager = privacy.own_leads(Agent("陈经理", is_manager=True))
    assert manager.reveals("王强") and manager.reveals(None)
    assert not privacy.MASKED.reveals("李娜") and not privacy.MASKED.reveals(None)
    with pytest.raises(Refused, match="has left"):
        privacy.own_leads(Agent("老张", active=False))
    with pytest.raises(Refused, match="--as NAME"):
        privacy.one_lead(None, 1, "李娜")
    with pytest.raises(Refused, match="belongs to 王强, not 李娜"):
        privacy.one_lead(Agent("李娜"), 2, "王强")
    with pytest.raises(Refused, match="not a manager"):
        privacy.managers_only(Agent("李娜"), "the pool")


# --------------------------------------------------- masked by default


def test_every_command_that_prints_a_phone_masks_it_by_default(office, tmp_path):
    run = office
    outputs = [
        ok(run("list", now=LATER)), ok(run("list", "--json", now=LATER)), ok(run("list", "--csv", now=LATER)),
        ok(run("pool", now=LATER)), ok(run("pool", "--json", now=LATER)),
        ok(run("due", "--json", now=DUE)), ok(run("due", now=DUE)),
        ok(run("lead", "set", "1", "funds=A", "--agent", "李娜", now=LATER)),
        ok(run("lead", "set", "1", "funds=B", "--agent", "李娜", "--json", now=LATER)),
        ok(run("log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访", now=LATER)),
        ok(run("log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访", "--json",
               now=LATER)),
        ok(run("lead", "set", "2", "phone=13700137000", "--agent", "王强", now=LATER)),
        ok(run("history", "1", now=LATER)), ok(run("history", "1", "--json", now=LATER)),
        ok(run("export", now=LATER)), ok(run("export", "--format", "json", now=LATER)),
        ok(run("lead", "add", "--industry", "realestate", "--name", "张伟太太", "--gender", "F",
               "--phone", "13800138000", "--need", "三房", "--relation", "spouse", now=LATER)),
        ok(run("lead", "add", "--industry", "realestate", "--name", "路人", "--gender", "F",
               "--phone", "13900139000", "--need", "三房", "--json", now=LATER)),
    ]
    for lead in (1, 2, 3):
        outputs += [ok(run("show", str(lead), now=LATER)), ok(run("show", str(lead), "--json", now=LATER))]
    for text in outputs:
        no_full_phone(text)
    # the phone a `set` changed is masked in the history too
    assert "13700137000" not in ok(run("show", "2", now=LATER)) + ok(run("show", "2", "--json", now=LATER))
    out = tmp_path / "leads.csv"
    ok(run("export", "-o", str(out), now=LATER))
    no_full_phone(out.read_text(encoding="utf-8-sig"))


def test_a_refusal_names_the_lead_and_owner_but_not_the_phone(office):
    again = office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
                   "--phone", "138 0013 8000", "--need", "三房", "--agent", "王强", now=LATER)
    line = refused(again, "already lead #1", "owner: 李娜", "138****8000")
    assert "13800138000" not in line
    assert office("agent", "relation", "add", "李娜", "--phone", "13600136000", "--relation", "friend",
                  now=NOW).exit_code == 0
    twice = office("agent", "relation", "add", "王强", "--phone", "13600136000", "--relation", "friend", now=NOW)
    assert "13600136000" not in refused(twice, "136****6000", "李娜's friend")


def test_tables_say_phones_are_masked_and_json_says_it_per_record(office):
    for args in (("list",), ("show", "1"), ("pool",)):
        assert privacy.NOTICE.en in ok(office(*args, now=LATER)), args
    assert privacy.NOTICE.zh in ok(office("--lang", "zh", "show", "1", now=LATER))
    rows = json.loads(ok(office("list", "--json", now=LATER)))
    assert [(r["phone"], r["phone_masked"]) for r in rows] == [(MASKED[i], True) for i in (1, 2, 3)]
    csv_rows = list(csv.DictReader(io.StringIO(ok(office("list", "--csv", now=LATER)))))
    assert [(r["phone"], r["phone_masked"]) for r in csv_rows] == [(MASKED[i], "True") for i in (1, 2, 3)]
    assert all(r["phone_masked"] for r in json.loads(ok(office("pool", "--json", now=LATER))))
    due = json.loads(ok(office("due", "--json", now=DUE)))
    assert due and all(i["phone_masked"] for i in due)
    shown = json.loads(ok(office("show", "1", "--json", now=LATER)))
    assert shown["phone"] == MASKED[1] and shown["phone_masked"] is True
    assert shown["events"][0]["data"]["phone"] == MASKED[1]


# --------------------------------------------------------------- --unmask


def test_the_owner_sees_their_own_leads_numbers(office):
    shown = json.loads(ok(office("--as", "李娜", "show", "1", "--unmask", "--json", now=LATER)))
    assert (shown["phone"], shown["phone_masked"]) == (PHONES[1], False)
    assert shown["events"][0]["data"]["phone"] == PHONES[1]
    text = ok(office("--as", "李娜", "show", "1", "--unmask", now=LATER))
    assert PHONES[1] in text and privacy.NOTICE.en not in text
    rows = json.loads(ok(office("--as", "李娜", "list", "--unmask", "--json", now=LATER)))
    assert [(r["phone"], r["phone_masked"]) for r in rows] == [
        (PHONES[1], False), (MASKED[2], True), (MASKED[3], True)]
    table = ok(office("--as", "李娜", "list", "--unmask", now=LATER))
    assert PHONES[1] in table and PHONES[2] not in table and privacy.NOTICE.en in table
    due = json.loads(ok(office("--as", "李娜", "due", "--unmask", "--json", now=DUE)))
    assert {i["lead_id"]: i["phone"] for i in due} == {1: PHONES[1], 2: MASKED[2], 3: MASKED[3]}


def test_the_viewer_can_come_from_the_environment(office, runner, db_path):
    from leadcycle.cli import cli

    result = runner.invoke(cli, ["--db", db_path, "--now", LATER, "show", "1", "--unmask", "--json"],
                           env={"LEADCYCLE_AS": "李娜"})
    assert json.loads(ok(result))["phone"] == PHONES[1]


def test_a_manager_sees_every_number(office, tmp_path):
    as_manager = ("--as", "陈经理")
    rows = json.loads(ok(office(*as_manager, "list", "--unmask", "--json", now=LATER)))
    assert [(r["phone"], r["phone_masked"]) for r in rows] == [(PHONES[i], False) for i in (1, 2, 3)]
    assert privacy.NOTICE.en not in ok(office(*as_manager, "list", "--unmask", now=LATER))
    for lead in (1, 2, 3):
        assert json.loads(ok(office(*as_manager, "show", str(lead), "--unmask", "--json", now=LATER)))[
            "phone"] == PHONES[lead]
    pool = json.loads(ok(office(*as_manager, "pool", "--unmask", "--json", now=LATER)))
    assert [(r["lead_id"], r["phone"]) for r in pool] == [(3, PHONES[3])]
    out = tmp_path / "all.csv"
    ok(office(*as_manager, "export", "--unmask", "-o", str(out), now=LATER))
    assert all(p in out.read_text(encoding="utf-8-sig") for p in PHONES.values())


def test_another_agent_is_refused_and_nothing_is_printed(office):
    line = refused(office("--as", "王强", "show", "1", "--unmask", now=LATER), "lead #1 belongs to 李娜")
    assert "13800138000" not in line
    refused(office("--as", "王强", "show", "3", "--unmask", "--json", now=LATER), "belongs to the pool")
    refused(office("--as", "王强", "pool", "--unmask", now=LATER), "not a manager")
    for args in (("list", "--unmask"), ("show", "1", "--unmask"), ("due", "--unmask", "--json"),
                 ("pool", "--unmask"), ("agent", "relation", "list", "--unmask")):
        refused(office(*args, now=LATER), "--as NAME")  # no one named
    refused(office("--as", "路人", "list", "--unmask", now=LATER), "--as '路人' is not an agent")
    ok(office("agent", "leave", "赵敏", now=LATER))
    refused(office("--as", "赵敏", "list", "--unmask", now=LATER), "赵敏 has left")
    # --as alone reveals nothing and refuses nothing
    no_full_phone(ok(office("--as", "李娜", "list", now=LATER)))


def test_export_unmask_is_refused_for_a_non_manager_and_writes_nothing(office, tmp_path):
    out = tmp_path / "all.csv"
    refused(office("--as", "李娜", "export", "--unmask", "-o", str(out), now=LATER), "not a manager")
    refused(office("export", "--unmask", "-o", str(out), now=LATER), "--as NAME")
    assert not out.exists() and not (tmp_path / "all.csv.part").exists()
    refused(office("--as", "李娜", "export", "--unmask", now=LATER), "not a manager")


def test_a_phone_that_changed_hands_follows_the_owner_now(run):
    """``due`` items from a plugin may name the agent who had the lead
    before it lapsed: they no longer see its phone."""
    run("init", "--industry", "software_sales")
    run("agent", "add", "李娜")
    ok(run("lead", "add", "--industry", "software_sales", "--name", "赵六", "--gender", "M",
           "--phone", "13700137000", "--need", "ERP", "--agent", "李娜", now=NOW))
    items = json.loads(ok(run("--as", "李娜", "due", "--unmask", "--json", now="2026-07-10T10:00")))
    lapsed = [i for i in items if i["kind"].startswith("lapsed")]
    assert lapsed and lapsed[0]["owner"] == "李娜"
    assert (lapsed[0]["phone"], lapsed[0]["phone_masked"]) == ("137****7000", True)
    report = json.loads(ok(run("report", "followups", "--json", now="2026-07-10T10:00")))
    assert [(i["phone"], i["phone_masked"]) for i in report["given_up_early"]] == [("137****7000", True)]


def test_relations_are_masked_unless_the_agent_or_a_manager_asks(office):
    added = ok(office("agent", "relation", "add", "李娜", "--phone", "13600136000", "--relation", "friend",
                      now=NOW))
    assert "136****6000" in added and "13600136000" not in added
    assert "13600136000" not in ok(office("agent", "relation", "list", now=NOW))
    assert privacy.NOTICE.en in ok(office("agent", "relation", "list", now=NOW))
    for who, visible in (("李娜", True), ("陈经理", True), ("王强", False)):
        rows = json.loads(ok(office("--as", who, "agent", "relation", "list", "--unmask", "--json", now=NOW)))
        assert (rows[0]["phone"] == "13600136000") is visible and rows[0]["phone_masked"] is not visible
