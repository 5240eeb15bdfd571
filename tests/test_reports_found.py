"""What a manager and an integrator met in the reports and exports
(session 18): a history export at an earlier clock, a daily report
written under another format's name, ``list --limit 0``, and the keys of
``show --json``."""

import hashlib
import json
import os

import pytest

T = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--simulation", "--industry", "realestate").exit_code == 0
    run("agent", "add", "李娜", now=T)
    run("agent", "add", "陈经理", "--manager", now=T)
    for phone, at in (("13800138000", "2026-03-05T10:00"), ("13900139000", "2026-03-09T10:00")):
        r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone", phone,
                "--need", "三房", "--agent", "李娜", now=at)
        assert r.exit_code == 0, r.output
    return run


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_a_history_at_a_clock_before_the_log_s_end_is_refused(office, db_path, tmp_path):
    """The history is the whole chained log: stamped with an earlier clock
    it held what came after it (a fresh database then refused it)."""
    out = str(tmp_path / "h.jsonl")
    before = digest(db_path)
    r = office("--as", "陈经理", "export", "--unmask", "--history", "-o", out, now="2026-03-08T10:00")
    assert r.exit_code == 2 and "entries were logged after the clock" in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not os.path.exists(out) and digest(db_path) == before
    r = office("--as", "陈经理", "export", "--unmask", "--history", "-o", out, now="2026-03-09T10:00")
    assert r.exit_code == 0, r.output  # at the log's last moment: all of it
    assert sum(1 for line in open(out, encoding="utf-8") if '"table": "events"' in line) == 2


@pytest.mark.parametrize("fmt, name, ok", [("xlsx", "d.csv", False), ("xlsx", "d.txt", False), ("html", "d.xlsx", False),
                                          ("text", "d.csv", False), ("xlsx", "d.xlsx", True), ("html", "d.html", True),
                                          ("text", "d.txt", True), ("html", "d.txt", True)])
def test_a_daily_report_is_written_under_its_format_s_name(office, tmp_path, fmt, name, ok):
    out = tmp_path / name
    r = office("report", "daily", "--format", fmt, "-o", str(out), now="2026-03-09T18:00")
    assert (r.exit_code == 0) is ok, r.output
    assert out.exists() is ok
    if not ok:
        assert "disagree" in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("limit, code, rows", [("0", 2, None), ("-5", 2, None), ("1", 0, 1), ("2", 0, 2)])
def test_list_limit_is_one_or_more(office, limit, code, rows):
    r = office("list", "--limit", limit, "--json", now="2026-03-09T18:00")
    assert r.exit_code == code, r.output
    if rows is not None:
        assert len(json.loads(r.output)) == rows


def test_show_json_has_the_same_keys_at_every_clock(office):
    r = office("log", "1", "follow_up", "--agent", "李娜", "--reaction", "积极", "--note", "回访", now="2026-03-09T11:00")
    assert r.exit_code == 0, r.output
    keys = {}
    for now in ("2026-03-05T11:00", "2026-03-10T11:00"):
        shown = json.loads(office("show", "1", "--json", now=now).output)
        keys[now] = set(shown)
    assert keys["2026-03-05T11:00"] == keys["2026-03-10T11:00"]
    later = {now: json.loads(office("show", "1", "--json", now=now).output)["later_entries"] for now in keys}
    assert later == {"2026-03-05T11:00": 1, "2026-03-10T11:00": 0}


def test_the_html_deal_analysis_groups_as_report_deals(office, db_path):
    """The period report's deal analysis and ``report deals`` band areas
    (80–100, over 100 up to 134, over 134 m²) and ages (company purchases
    apart) the same way."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle.plugins.realestate import report as report_mod
    from leadcycle.reports import data

    sets = {"1": ("area=120", "age=35"), "2": ("area=134.5", "age=45", "company_purchase=yes")}
    for lead, values in sets.items():
        assert office("lead", "set", lead, *values, "--agent", "李娜", now="2026-03-10T10:00").exit_code == 0
        assert office("log", lead, "contract", "--set", "units=1", "--agent", "李娜",
                      now="2026-03-10T11:00").exit_code == 0
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 11, 9))
    analysis = data.realestate(book, data.Scope(book))["analysis"]
    for by in ("area_band", "age_band"):
        plain = {g["label"]["en"]: g["deals"] for g in report_mod.deals(book, by)["groups"]}
        html = {g["label"]["en"]: len(g["lead_ids"]) for g in analysis[by]}
        assert html == plain, by
    assert {g["label"]["en"] for g in analysis["area_band"]} == {"over 100 up to 134 m²", "over 134 m²"}
    assert {g["label"]["en"] for g in analysis["age_band"]} == {"31–40", "company purchase"}
    book.close()


@pytest.mark.parametrize("moment, says", [("subscription", "a deposit or a contract makes one"),
                                          ("contract", "a contract makes one")])
def test_credit_without_a_deal_says_what_makes_one(office, moment, says):
    assert office("settings", "set", "ownership.deal_moment", moment, now="2026-03-09T12:00").exit_code == 0
    out = office("credit", "1", now="2026-03-09T12:00").output
    assert out.strip() == f"lead #1 has no deal yet ({says})"


@pytest.mark.parametrize("lang, heading", [("zh", "面积段"), ("en", "area band")])
def test_report_deals_heads_its_groups_with_a_label(office, lang, heading):
    assert office("lead", "set", "1", "area=120", "--agent", "李娜", now="2026-03-10T10:00").exit_code == 0
    assert office("log", "1", "contract", "--agent", "李娜", now="2026-03-10T11:00").exit_code == 0
    out = office("--lang", lang, "report", "deals", "--by", "area_band", now="2026-03-10T12:00").output
    assert out.splitlines()[0].startswith(heading) and "area_band" not in out


def test_a_chinese_export_writes_yes_no_attributes_in_chinese_and_reads_them_back(office, tmp_path, runner):
    from leadcycle.cli import cli

    assert office("lead", "set", "1", "company_purchase=yes", "--agent", "李娜", now="2026-03-10T10:00").exit_code == 0
    assert office("lead", "set", "2", "company_purchase=no", "--agent", "李娜", now="2026-03-10T10:00").exit_code == 0
    out = str(tmp_path / "zh.csv")
    r = office("--lang", "zh", "--as", "陈经理", "export", "--unmask", "-o", out, now="2026-03-10T11:00")
    assert r.exit_code == 0, r.output
    text = open(out, encoding="utf-8-sig").read()
    assert "True" not in text and "False" not in text
    rows = {line.split(",")[0]: line for line in text.splitlines()[1:]}
    assert len(rows) == 2 and any("是" in line for line in rows.values()) and any("否" in line for line in rows.values())
    again = str(tmp_path / "again.db")
    assert runner.invoke(cli, ["--db", again, "init", "--industry", "realestate", "--simulation"]).exit_code == 0
    assert runner.invoke(cli, ["--db", again, "--now", "2026-03-11T10:00", "import", out, "--add-agents"]).exit_code == 0
    from leadcycle import LeadBook
    import datetime as dt

    book = LeadBook.open(again, dt.datetime(2026, 3, 11, 10))
    got = sorted(book.record(row["id"]).lead.attributes.get("company_purchase") for row in book.list())
    book.close()
    assert got == [False, True]
