"""``leadcycle report daily`` (issue #16, DOMAIN §2's cadence table): the
evening report agrees with ``list`` and ``due`` at the same clock, in text,
HTML, xlsx and JSON; phones masked; bad input is one line."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from leadcycle.cli import cli

NOW = "2026-09-12T19:00"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    from leadcycle import loader

    path = str(tmp_path_factory.mktemp("daily") / "demo.db")
    loader.reset()
    result = CliRunner().invoke(cli, ["--db", path, "--now", "2026-09-01T09:00", "demo", "--days", "11"])
    assert result.exit_code == 0, result.output
    return path


def invoke(path, *args, lang="en"):
    return CliRunner().invoke(cli, ["--db", path, "--now", NOW, "--lang", lang, *args])


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_daily_report_matches_list_and_due(office):
    rep = as_json(invoke(office, "report", "daily", "--manager", "陈经理", "--format", "json"))
    assert rep["team"] == "一组"
    team = set(rep["agents"])
    for grade, key in (("A", "a_leads"), ("B", "b_leads")):
        listed = [r["id"] for r in as_json(invoke(office, "list", "--grade", grade, "--json")) if r["owner"] in team]
        assert [i["lead_id"] for i in rep[key]] == listed and listed
    due = as_json(invoke(office, "due", "--json"))
    overdue = [(i["lead_id"], i["days_overdue"]) for i in due if i["owner"] in team
               and i["kind"] in ("follow_up", "first_call_back") and i["days_overdue"] > 0]
    assert [(i["lead_id"], i["days_overdue"]) for i in rep["overdue"]] == overdue and overdue
    lapsing = [i["lead_id"] for i in due if i["kind"] == "lapse_warning" and i["owner"] in team]
    assert [i["lead_id"] for i in rep["lapsing"]] == lapsing
    text = json.dumps(rep, ensure_ascii=False)
    assert re.search(r"1[3-9]\d{9}", text) is None  # no phone in full
    assert all("****" in i["phone"] for i in rep["a_leads"] + rep["overdue"])


def test_the_office_report_has_the_pools_a_and_b_leads_a_teams_has_not(office):
    later = "2026-11-20T19:00"  # weeks on: leads have lapsed into the pool

    def report(*args):
        r = CliRunner().invoke(cli, ["--db", office, "--now", later, "report", "daily", *args, "--format", "json"])
        return as_json(r)

    def listed(grade):
        r = CliRunner().invoke(cli, ["--db", office, "--now", later, "list", "--grade", grade, "--json"])
        return as_json(r)

    whole, team = report(), report("--team", "一组")
    for grade, key in (("A", "a_leads"), ("B", "b_leads")):
        everyone = listed(grade)
        assert [i["lead_id"] for i in whole[key]] == [r["id"] for r in everyone]
        assert [i["lead_id"] for i in team[key]] == [r["id"] for r in everyone if r["owner"] in team["agents"]]
    pooled = [i for i in whole["a_leads"] + whole["b_leads"] if i["owner"] is None]
    assert pooled  # the case this is about
    text = CliRunner().invoke(cli, ["--db", office, "--now", later, "--lang", "zh", "report", "daily"]).output
    assert f"#{pooled[0]['lead_id']} " in text and "· （公共池） ·" in text


def test_text_html_and_xlsx_say_the_same(office, tmp_path):
    from openpyxl import load_workbook

    rep = as_json(invoke(office, "report", "daily", "--team", "一组", "--format", "json"))
    text = invoke(office, "report", "daily", "--team", "一组", lang="zh")
    assert text.exit_code == 0
    assert text.output.startswith("2026-09-12 每日客户报告（一组）")
    assert f"A类客户及今日跟进: {len(rep['a_leads'])}" in text.output
    assert f"逾期未回访: {len(rep['overdue'])}" in text.output
    page = tmp_path / "daily.html"
    assert invoke(office, "report", "daily", "--team", "一组", "--format", "html", "-o", str(page)).exit_code == 0
    body = page.read_text(encoding="utf-8")
    assert body.count("<li>") == sum(len(rep[k]) for k in ("a_leads", "b_leads", "overdue", "new_leads", "lapsing"))
    book = tmp_path / "daily.xlsx"
    assert invoke(office, "report", "daily", "--team", "一组", "--format", "xlsx", "-o", str(book)).exit_code == 0
    wb = load_workbook(book)
    assert [ws.max_row - 1 for ws in wb.worksheets] == [len(rep[k]) for k in
                                                      ("a_leads", "b_leads", "overdue", "new_leads", "lapsing")]
    assert wb.worksheets[0]["C2"].value == rep["a_leads"][0]["phone"] and "****" in wb.worksheets[0]["C2"].value


def test_what_was_done_today_and_new_leads_by_source(run):
    run("init", "--industry", "realestate")
    run("agent", "add", "李娜", "--team", "一组")
    run("agent", "add", "王强", "--team", "二组")
    run("agent", "add", "陈经理", "--team", "一组", "--manager")
    add = ["lead", "add", "--industry", "realestate", "--gender", "M", "--need", "三房"]
    assert run(*add, "--name", "张伟", "--phone", "13800138000", "--agent", "李娜", now="2026-03-04T10:00").exit_code == 0
    for lead in ("motivation=A", "region=A", "product=A", "price=A", "funds=A", "expected_deal=A", "contact=A",
                 "mortgage=A"):
        run("lead", "set", "1", lead, "--agent", "李娜", now="2026-03-04T11:00")
    run("log", "1", "follow_up", "--agent", "李娜", "--note", "约周末看房", "--reaction", "positive",
        now="2026-03-05T09:30")
    run(*add, "--name", "王芳", "--phone", "13900139000", "--agent", "李娜", now="2026-03-05T10:00")
    run(*add, "--name", "赵六", "--phone", "13700137000", "--agent", "李娜", "--channel", "call", now="2026-03-05T10:10")
    run(*add, "--name", "钱七", "--phone", "13600136000", "--agent", "李娜", "--referred-by", "1",
        "--referral-proof", "accompanied", now="2026-03-05T10:20")
    run(*add, "--name", "孙八", "--phone", "13500135000", "--agent", "王强", now="2026-03-05T10:30")
    result = run("report", "daily", "--manager", "陈经理", "--format", "json", now="2026-03-05T19:00")
    rep = json.loads(result.output)
    assert [(i["lead_id"], [e["note"] for e in i["today"]]) for i in rep["a_leads"]] == [(1, ["约周末看房"])]
    assert rep["new_by_source"] == {"walk-in visit": 1, "phone call": 1, "referral": 1}  # 孙八 is 二组's
    assert rep["a_leads"][0]["phone"] == "138****8000"
    text = run("--lang", "zh", "report", "daily", "--team", "一组", now="2026-03-05T19:00").output
    assert "09:30 回访跟进 (约周末看房)" in text and "今日新增客户（按来源）: 3 (来访 1, 来电 1, 老带新 1)" in text


@pytest.mark.parametrize("args, message", [
    (["--manager", "李娜"], "李娜"),
    (["--team", "三组"], "no agent is in team '三组'"),
    (["--manager", "陈经理", "--team", "二组"], "not '二组'"),
    (["--format", "xlsx"], "give -o FILE.xlsx"),
])
def test_bad_input_is_one_line(run, args, message):
    run("init", "--industry", "realestate")
    run("agent", "add", "李娜", "--team", "一组")
    run("agent", "add", "王强", "--team", "二组")
    run("agent", "add", "陈经理", "--team", "一组", "--manager")
    result = run("report", "daily", *args)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_json_is_the_json_format(office):
    assert as_json(invoke(office, "report", "daily", "--json")) == as_json(
        invoke(office, "report", "daily", "--format", "json"))
    both = invoke(office, "report", "daily", "--json", "--format", "html")
    assert both.exit_code == 2 and "--json is --format json; give one of them" in both.output
