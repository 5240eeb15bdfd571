"""The revisit workflow (seed 000 客户回访): commands that leave events, in
order, with the supervisor's review as a manager step and the plans due."""

import json

import pytest


@pytest.fixture
def lc(run):
    assert run("init", "--simulation", "--industry", "realestate").exit_code == 0
    run("agent", "add", "李娜")
    run("agent", "add", "陈经理", "--manager")
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone",
            "13800138000", "--need", "三房", "--agent", "李娜", now="2026-03-05T10:00")
    assert r.exit_code == 0, r.output

    def _lc(now, *args):
        return run(*args, now=now)

    return _lc


def kinds(lc, now):
    return [e["kind"] for e in json.loads(lc(now, "show", "1", "--json").output)["events"]]


def revisit_due(lc, now, *args):
    r = lc(now, "revisit", "due", "--json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_the_whole_workflow_leaves_one_event_per_step(lc):
    listed = json.loads(lc("2026-03-05T11:00", "revisit", "list", "--agent", "李娜", "--json").output)
    assert [r["lead_id"] for r in listed] == [1] and listed[0]["revisit"] is None
    r = lc("2026-03-05T11:00", "revisit", "plan", "1", "--at", "2026-03-10T14:00", "--content", "交房进度",
           "--purpose", "了解满意度", "--agent", "李娜")
    assert r.exit_code == 0, r.output
    # the plan is due on its day, not before
    assert revisit_due(lc, "2026-03-09T09:00") == []
    item = revisit_due(lc, "2026-03-10T09:00", "--agent", "李娜")[0]
    assert item["kind"] == "revisit_due" and item["days_overdue"] == 0 and "了解满意度" in item["text"]
    assert revisit_due(lc, "2026-03-11T09:00")[0]["days_overdue"] == 1
    # and it shows in the agent's day list
    assert [d for d in json.loads(lc("2026-03-10T09:00", "due", "--json").output) if d["kind"] == "revisit_due"]
    lc("2026-03-09T10:00", "revisit", "appoint", "1", "--at", "2026-03-12T15:00", "--agent", "李娜")
    assert revisit_due(lc, "2026-03-11T09:00") == []  # the appointment moved it
    assert lc("2026-03-12T16:00", "revisit", "record", "1", "--reaction", "满意", "--note", "物业服务好",
              "--agent", "李娜").exit_code == 0
    assert lc("2026-03-12T17:00", "revisit", "report", "1", "--note", "客户满意，可请其介绍新客户",
              "--agent", "李娜").exit_code == 0
    # the report waits for the supervisor, who sees it in their list
    assert revisit_due(lc, "2026-03-13T09:00", "--agent", "陈经理")[0]["kind"] == "revisit_review"
    r = lc("2026-03-13T10:00", "revisit", "approve", "1", "--opinion", "跟进转介绍", "--agent", "李娜")
    assert r.exit_code == 1 and "not a manager" in r.output and r.output.count("\n") == 1
    assert lc("2026-03-13T10:00", "revisit", "approve", "1", "--opinion", "跟进转介绍",
              "--agent", "陈经理").exit_code == 0
    assert lc("2026-03-13T11:00", "revisit", "archive", "1", "--agent", "李娜").exit_code == 0
    assert kinds(lc, "2026-03-13T12:00")[-6:] == ["revisit_plan", "revisit_appointment", "revisit_done",
                                                  "revisit_report", "revisit_review", "revisit_archive"]
    assert revisit_due(lc, "2026-03-20T09:00") == []
    # archived: a new revisit can be planned
    assert lc("2026-03-14T09:00", "revisit", "plan", "1", "--at", "2026-04-01T10:00", "--content", "x",
              "--purpose", "y", "--agent", "李娜").exit_code == 0


def test_a_revisit_done_is_a_contact(lc):
    lc("2026-03-05T11:00", "revisit", "plan", "1", "--at", "2026-03-05T15:00", "--content", "c", "--purpose", "p",
       "--agent", "李娜")
    lc("2026-03-05T15:00", "revisit", "record", "1", "--note", "谈了首付", "--agent", "李娜")
    assert json.loads(lc("2026-03-05T16:00", "show", "1", "--json").output)["events"][-1]["kind"] == "revisit_done"


@pytest.mark.parametrize("args, words", [
    (("record", "1", "--note", "x"), "has no open revisit; plan one first"),
    (("report", "1", "--note", "x"), "has no open revisit"),
    (("approve", "1", "--opinion", "x", "--agent", "陈经理"), "has no open revisit"),
    (("plan", "1", "--at", "2026-03-04T10:00", "--content", "c", "--purpose", "p"), "is before today"),
    (("plan", "1", "--at", "next tuesday", "--content", "c", "--purpose", "p"), "is not a time"),
    (("plan", "1", "--at", "2026-03-06T10:00", "--content", "", "--purpose", "p"), "needs --content"),
])
def test_out_of_order_or_bad_steps_are_one_line_and_write_nothing(lc, args, words):
    cmd = args[0]
    extra = () if "--agent" in args else ("--agent", "李娜")
    r = lc("2026-03-05T11:00", "revisit", *args, *extra)
    assert r.exit_code == 1 and words in r.output and r.output.count("\n") == 1, (cmd, r.output)
    assert kinds(lc, "2026-03-05T12:00") == ["register"]


def test_steps_follow_each_other(lc):
    lc("2026-03-05T11:00", "revisit", "plan", "1", "--at", "2026-03-06T10:00", "--content", "c", "--purpose", "p",
       "--agent", "李娜")
    r = lc("2026-03-05T11:10", "revisit", "plan", "1", "--at", "2026-03-07T10:00", "--content", "c",
           "--purpose", "p", "--agent", "李娜")
    assert r.exit_code == 1 and "already has an open revisit" in r.output
    r = lc("2026-03-05T11:10", "revisit", "report", "1", "--note", "x", "--agent", "李娜")
    assert r.exit_code == 1 and "next: leadcycle revisit appoint 1" in r.output
    r = lc("2026-03-05T11:10", "revisit", "archive", "1", "--agent", "李娜")
    assert r.exit_code == 1


def test_a_revisit_due_after_the_protection_lapsed_names_the_owner_show_names(lc):
    r = lc("2026-03-05T11:00", "revisit", "plan", "1", "--at", "2026-04-10T14:00", "--content", "新楼盘推介",
           "--purpose", "邀约复访", "--agent", "李娜")
    assert r.exit_code == 0, r.output
    assert json.loads(lc("2026-04-03T15:00", "show", "1", "--json").output)["owner"] == "李娜"
    # 30 days without a contact after 03-05: the lead went to the pool on 04-04
    later = "2026-04-10T15:00"
    assert json.loads(lc(later, "show", "1", "--json").output)["owner"] is None
    assert [i["owner"] for i in revisit_due(lc, later)] == [None]
    assert revisit_due(lc, later, "--agent", "李娜") == []  # no longer hers to visit


def test_revisit_due_masks_phones_as_every_list_does(lc):
    lc("2026-03-05T11:00", "revisit", "plan", "1", "--at", "2026-03-10T14:00", "--content", "交房进度",
       "--purpose", "了解满意度", "--agent", "李娜")
    item, = revisit_due(lc, "2026-03-10T15:00")
    assert item["phone"] == "138****8000" and item["phone_masked"] is True
    r = lc("2026-03-10T15:00", "--as", "李娜", "revisit", "due", "--unmask", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["phone"] == "13800138000"  # her own lead, on her word
