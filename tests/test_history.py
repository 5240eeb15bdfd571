"""``export --history`` and its ``import`` (issue #13, items 3 and 4): the
demo office goes out with every event — voids, receptions, relations,
referrals included — and comes back into the same database (nothing added)
or a new one (the same ``list`` and ``show`` at one clock, the chains
verifying); the plain export's round trip; exports people like to open."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from leadcycle import LeadBook
from leadcycle.cli import cli
from conftest import dump

END = "2026-09-08T09:00"  # the demo's clock after 7 days
NOW = "2026-09-09T09:00"  # every comparison reads at this clock


def invoke(db, *args, now=NOW, lang="en", input=None):
    base = ["--db", str(db), "--lang", lang] + (["--now", now] if now else [])
    return CliRunner().invoke(cli, base + [str(a) for a in args], input=input)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def copy_db(src, dst):
    """A copy through SQLite's backup (the WAL included)."""
    with sqlite3.connect(str(src)) as a, sqlite3.connect(str(dst)) as b:
        a.backup(b)
    return dst


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo office after a week, plus what the demo does not write:
    voided entries, an agent away and back, a recorded friend, a referral."""
    from leadcycle import loader

    loader.reset()
    path = tmp_path_factory.mktemp("history") / "demo.db"
    ok(invoke(path, "demo", "--days", "7", now="2026-09-01T09:00"))
    at = "2026-09-08T10:00"
    voided = []
    for lead_id in range(1, 60):
        shown = json.loads(ok(invoke(path, "show", lead_id, "--json", now=at)).output)
        follow = [e for e in shown["events"] if e["kind"] == "follow_up"]
        if follow and shown["owner"]:
            ok(invoke(path, "void", lead_id, follow[-1]["id"], "--reason", "录错了客户", "--agent", "陈经理",
                      now=at))
            voided.append(lead_id)
        if len(voided) == 3:
            break
    assert len(voided) == 3
    ok(invoke(path, "agent", "away", "王强", "--reason", "business", now="2026-09-08T10:05"))
    ok(invoke(path, "agent", "back", "王强", now="2026-09-08T11:00"))
    ok(invoke(path, "agent", "relation", "add", "李娜", "--phone", "13900001111", "--relation", "friend",
              "--name", "老周", now="2026-09-08T11:05"))
    referrer = json.loads(ok(invoke(path, "list", "--json", "--industry", "realestate", now=at)).output)[0]
    ok(invoke(path, "lead", "add", "--industry", "realestate", "--name", "黄蓉", "--gender", "女",
              "--phone", "13700137000", "--need", "=1+1 三房", "--agent", "王强", "--referred-by", referrer["id"],
              "--referral-proof", "accompanied", now="2026-09-08T11:10"))
    ok(invoke(path, "settings", "set", "ownership.protection_days", "20", now="2026-09-08T11:15"))
    return {"path": path, "voided": voided}


@pytest.fixture
def source(demo, tmp_path):
    return copy_db(demo["path"], tmp_path / "source.db")


def new_db(tmp_path, name="new.db"):
    path = tmp_path / name
    ok(invoke(path, "init", "--simulation", now=None))
    return path


def export_history(db, out, *extra):
    return invoke(db, "--as", "陈经理", "export", "--history", "--unmask", "-o", out, *extra)


def records(path):
    """Every lead's record (the folded lead, its state with every reason,
    its events) at :data:`NOW`: what ``show`` prints."""
    book = LeadBook.open(str(path), dt.datetime.fromisoformat(NOW))
    try:
        return [book.record(r["id"]) for r in book.list()]
    finally:
        book.close()


def assert_same_answers(a, b, sample):
    assert ok(invoke(a, "list", "--json")).output == ok(invoke(b, "list", "--json")).output
    ra, rb = records(a), records(b)
    assert len(ra) == len(rb) == 321
    for x, y in zip(ra, rb):
        assert (x.lead, x.state, x.events) == (y.lead, y.state, y.events)
    for lead_id in sample:
        assert ok(invoke(a, "show", lead_id, "--json")).output == ok(invoke(b, "show", lead_id, "--json")).output


@pytest.mark.parametrize("ext", ["jsonl", "xlsx"])
def test_a_new_database_gives_the_same_answers(demo, source, tmp_path, ext):
    out = tmp_path / f"history.{ext}"
    written = ok(export_history(source, out))
    assert "321 leads" in written.output
    target = new_db(tmp_path)
    result = json.loads(ok(invoke(target, "import", out, "--json")).output)
    assert result["tables"]["leads"] == {"added": 321, "already_there": 0}
    assert result["tables"]["receptions"]["added"] == 2 and result["tables"]["relations"]["added"] == 1
    assert_same_answers(source, target, [*demo["voided"], 321, 1, 160, 320])
    ok(invoke(target, "verify"))
    # and again: a history imported twice adds nothing
    again = json.loads(ok(invoke(target, "import", out, "--json")).output)
    assert all(t["added"] == 0 for t in again["tables"].values())


def test_the_same_database_adds_nothing(source, tmp_path):
    out = tmp_path / "history.jsonl"
    ok(export_history(source, out))
    before = dump(source)
    result = ok(invoke(source, "import", out))
    assert "events      0" in result.output
    assert dump(source) == before


def test_rows_in_any_order_give_the_same_log(demo, source, tmp_path):
    out = tmp_path / "history.jsonl"
    ok(export_history(source, out))
    head, *rows = out.read_text(encoding="utf-8").splitlines()
    random.Random(13).shuffle(rows)
    out.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    target = new_db(tmp_path)
    ok(invoke(target, "import", out))
    assert_same_answers(source, target, demo["voided"])
    # voided entries stay on the log, marked, and the rules leave them out
    shown = json.loads(ok(invoke(target, "show", demo["voided"][0], "--json")).output)
    voids = [e for e in shown["events"] if e["kind"] == "void"]
    assert voids and any(e.get("voided_by") == voids[0]["id"] for e in shown["events"])


def test_an_older_copy_catches_up(source, tmp_path):
    """A backup taken earlier, given the history of today: the entries it
    lacks are appended after its own, the chains verify."""
    older = new_db(tmp_path, "older.db")
    early = tmp_path / "early.jsonl"
    ok(export_history(source, early))
    ok(invoke(older, "import", early))
    ok(invoke(source, "log", 1, "visit", "--agent", "陈经理", "--set", "purpose=回访", now="2026-09-08T12:00"))
    late = tmp_path / "late.jsonl"
    ok(export_history(source, late))
    result = json.loads(ok(invoke(older, "import", late, "--json")).output)
    assert result["tables"]["events"]["added"] == 1 and result["tables"]["leads"]["added"] == 0
    assert ok(invoke(older, "show", 1, "--json")).output == ok(invoke(source, "show", 1, "--json")).output
    ok(invoke(older, "verify"))


def test_a_masked_history_says_it_cannot_come_back(source, tmp_path):
    out = tmp_path / "masked.jsonl"
    written = ok(invoke(source, "export", "--history", "-o", out))
    assert "cannot be imported back" in written.output and "--unmask" in written.output
    assert "13700137000" not in out.read_text(encoding="utf-8")
    target = new_db(tmp_path)
    before = dump(target)
    refused = invoke(target, "import", out)
    assert refused.exit_code == 1 and "masked phones" in refused.output
    assert refused.output.count("\n") == 1 and dump(target) == before
    # --unmask is a manager's, as for every export
    agent = invoke(source, "--as", "李娜", "export", "--history", "--unmask", "-o", tmp_path / "x.jsonl")
    assert agent.exit_code == 1 and "not a manager" in agent.output


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:-1], "cut short"),
    (lambda lines: lines + ["{not json"], "is not JSON"),
    (lambda lines: [lines[0].replace('"version": 1', '"version": 9')] + lines[1:], "version 9"),
    (lambda lines: [l.replace('"kind": "register"', '"kind": "visit"', 1) if '"lead_id": 7,' in l else l
                    for l in lines], "not its registration"),
    (lambda lines: [l.replace('"value": 20,', '"value": -5,') for l in lines], "ownership.protection_days"),
    (lambda lines: [l.replace('"phone": "13700137000"', '"phone": "137****7000"') if '"table": "leads"' in l
                    else l for l in lines], "is not a phone number"),
])
def test_a_broken_history_is_one_line_and_writes_nothing(source, tmp_path, edit, message):
    out = tmp_path / "history.jsonl"
    ok(export_history(source, out))
    out.write_text("\n".join(edit(out.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")
    target = new_db(tmp_path)
    before = dump(target)
    result = invoke(target, "import", out)
    assert result.exit_code == 1 and message in result.output, result.output
    assert result.output.count("\n") == 1 and dump(target) == before


def test_another_database_with_the_same_client_is_refused(source, tmp_path):
    out = tmp_path / "history.jsonl"
    ok(export_history(source, out))
    other = tmp_path / "other.db"
    ok(invoke(other, "init", "--simulation", "--industry", "realestate", now=None))
    ok(invoke(other, "agent", "add", "李娜", now=None))
    ok(invoke(other, "lead", "add", "--industry", "realestate", "--name", "郭靖", "--gender", "男",
              "--phone", "13700137000", "--need", "两房", "--agent", "李娜", now="2026-09-01T10:00"))
    before = dump(other)
    result = invoke(other, "import", out)
    assert result.exit_code == 1 and "has the phone of lead #1 (郭靖)" in result.output
    assert dump(other) == before


def test_an_office_database_takes_the_history_with_its_own_dates(tmp_path):
    """Importing is a migration of records: the entries keep their past
    times on an office database (whose own writes take the machine's
    clock), and the hash chains verify afterwards."""
    sim = tmp_path / "sim.db"
    ok(invoke(sim, "init", "--simulation", "--industry", "realestate", now=None))
    ok(invoke(sim, "agent", "add", "李娜", now=None))
    ok(invoke(sim, "agent", "add", "陈经理", "--manager", now=None))
    ok(invoke(sim, "lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男",
              "--phone", "13800138000", "--need", "三房", "--agent", "李娜", now="2024-03-05T10:00"))
    ok(invoke(sim, "log", 1, "follow_up", "--agent", "李娜", "--reaction", "积极", "--note", "约看房",
              now="2024-03-06T10:00"))
    ok(invoke(sim, "void", 1, 2, "--reason", "记错了", "--agent", "李娜", now="2024-03-06T11:00"))
    out = tmp_path / "history.xlsx"
    ok(invoke(sim, "--as", "陈经理", "export", "--history", "--unmask", "-o", out, now="2024-03-07T10:00"))
    office = tmp_path / "office.db"
    ok(invoke(office, "init", "--industry", "realestate", "--admin", "陈经理", "--password-stdin", now=None,
              input="open-sesame\n"))
    ok(invoke(office, "login", "陈经理", "--password-stdin", now=None, input="open-sesame\n"))
    ok(invoke(office, "import", out, now=None))
    at = "2024-03-07T10:00"
    assert ok(invoke(office, "show", 1, "--json", now=at)).output == ok(invoke(sim, "show", 1, "--json", now=at)).output
    ok(invoke(office, "verify", now=None))
    ok(invoke(office, "logout", now=None))
    refused = invoke(office, "import", out, now=None)
    assert refused.exit_code == 1 and "sign in" in refused.output


def test_history_options_are_checked(source, tmp_path):
    for args, message in ((("--grade", "A"), "whole database"), ((), "needs a file"),
                          (("-o", tmp_path / "h.csv"), ".jsonl or .xlsx")):
        if args == ():
            result = invoke(source, "export", "--history")
        else:
            result = invoke(source, "export", "--history", *args)
        assert result.exit_code == 2 and message in result.output, result.output
    out = tmp_path / "history.jsonl"
    ok(export_history(source, out))
    mixed = invoke(source, "import", out, "--industry", "realestate")
    assert mixed.exit_code == 2 and "drop --industry" in mixed.output


# ---------------------------------------------------------------- plain exports


@pytest.mark.parametrize("lang, ext", [("en", "csv"), ("zh", "csv"), ("zh", "xlsx")])
def test_a_plain_export_reads_back_into_its_database_unchanged(source, tmp_path, lang, ext):
    out = tmp_path / f"all.{ext}"
    ok(invoke(source, "--as", "陈经理", "export", "--unmask", "-o", out, lang=lang))
    if ext == "csv":
        headers = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert len(headers) == len(set(headers))
        if lang == "zh":
            assert "行业" in headers and "行业（sector）" in headers
    before = dump(source)
    result = json.loads(ok(invoke(source, "import", out, "--json")).output)
    assert result["rejected"] == 0 and result["imported"] == result["merged"] == 0
    assert result["unchanged"] == 321
    # what it wrote is only the import ledger: the rows it has seen
    ledger = ("import_runs", "imported_rows")
    assert [l for l in dump(source) if not any(t in l for t in ledger)] == \
        [l for l in before if not any(t in l for t in ledger)]


def test_an_older_conflicting_row_is_still_refused(source, tmp_path):
    out = tmp_path / "all.csv"
    ok(invoke(source, "--as", "陈经理", "export", "--unmask", "--industry", "realestate", "-o", out))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("need")] = "别墅"  # a changed fact dated at the registration: a back-fill
    out.write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    result = json.loads(invoke(source, "import", out, "--json").output)
    assert result["rejected"] == 1
    assert "cannot be back-filled" in (tmp_path / "all.csv.rejects.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("industry, word", [("realestate", "置业顾问"), ("software_sales", "销售"),
                                            ("machinery", "客户经理"), (None, "接待人")])
def test_xlsx_export_is_laid_out_for_people(source, tmp_path, industry, word):
    out = tmp_path / "leads.xlsx"
    args = ["--industry", industry] if industry else []
    ok(invoke(source, "export", "-o", out, *args, lang="zh"))
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws.title == "线索"
    head = [c.value for c in ws[1]]
    assert head[:9] == ["编号", "行业", "姓名", "性别", "电话", "需求", "来访日期", word, "来访方式"]
    assert len(head) == len(set(head))
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}{ws.max_row}"
    registered = ws.cell(2, 7)
    assert registered.is_date and isinstance(registered.value, dt.datetime)
    follow = next(c for c in ws[openpyxl.utils.get_column_letter(head.index("下次跟进") + 1)][1:] if c.value)
    assert follow.is_date
    width = {h: ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i, h in enumerate(head)}
    assert width["需求"] > width["编号"]  # fitted to the text, CJK counted double
    if industry in ("realestate", None):
        formula = next(c for c in ws["F"][1:] if str(c.value).startswith("="))
        assert formula.data_type == "s" and formula.value == "=1+1 三房" and formula.quotePrefix
    en = tmp_path / "leads-en.xlsx"
    ok(invoke(source, "export", "-o", en, *args))
    assert openpyxl.load_workbook(en, read_only=True).sheetnames == ["leads"]


def test_history_workbook_is_laid_out_too(source, tmp_path):
    out = tmp_path / "history.xlsx"
    ok(export_history(source, out))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["history", "industries", "settings", "agents", "receptions", "relations",
                             "leads", "events"]
    events = wb["events"]
    assert all(c.font.bold for c in events[1]) and events.freeze_panes == "A2" and events.auto_filter.ref
    assert events.cell(2, 4).is_date  # at
    leads = wb["leads"]
    need = [c.value for c in leads[1]].index("need") + 1
    formula = next(r[need - 1] for r in leads.iter_rows(min_row=2) if str(r[need - 1].value).startswith("="))
    assert formula.data_type == "s"


def test_unwritable_path_and_empty_match_are_one_line(source, tmp_path):
    for args, message in ((("-o", "/nonexistent/x.csv"), "there is no folder"),
                          (("--history", "--unmask", "-o", "/nonexistent/x.jsonl"), "there is no folder"),
                          (("--grade", "Z"), "grade")):
        result = invoke(source, "--as", "陈经理", "export", *args)
        assert result.exit_code == 1 and message in result.output and result.output.count("\n") == 1, result.output


def test_what_xlsx_cannot_hold_is_one_line_and_no_file(tmp_path):
    db = tmp_path / "c.db"
    ok(invoke(db, "init", "--simulation", "--industry", "realestate", now=None))
    ok(invoke(db, "agent", "add", "李娜", now=None))
    ok(invoke(db, "lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone",
              "13800138000", "--need", "三房", "--set", "occupation=教师\x01", "--agent", "李娜",
              now="2026-03-05T10:00"))  # (a name or need drops its control characters; other text keeps them)
    ok(invoke(db, "log", "1", "call", "--note", "来电\x01", "--agent", "李娜", now="2026-03-05T11:00"))
    for args in (("-o", tmp_path / "c.xlsx"), ("--history", "-o", tmp_path / "h.xlsx")):
        result = invoke(db, "export", *args)
        assert result.exit_code == 1 and "control character" in result.output, result.output
        assert result.output.count("\n") == 1
    assert not [p.name for p in tmp_path.iterdir() if not p.name.startswith("c.db")]
    ok(invoke(db, "export", "--history", "-o", tmp_path / "h.jsonl"))  # JSON lines hold any text
    plain = invoke(db, "export", "-o", tmp_path / "x.jsonl")
    assert plain.exit_code == 2 and "add --history" in plain.output


def test_a_history_never_changes_a_database_s_own_settings_without_a_word(source, tmp_path):
    """The history sets protection_days 20 and leaves the rest at their
    defaults. A database configured otherwise is refused, naming the first
    setting that differs, and keeps its settings and its (empty) register;
    a fresh one takes the history's; one configured the same takes it too."""
    out = tmp_path / "all.jsonl"
    ok(export_history(source, out))
    configured = new_db(tmp_path, "configured.db")
    ok(invoke(configured, "settings", "set", "realestate.grading", "points", now=END))
    before = dump(configured)
    refused = invoke(configured, "import", out)
    assert refused.exit_code == 1 and refused.output.count("\n") == 1, refused.output
    assert ("setting ownership.protection_days is (default) in this database and 20 in the history; make them the "
            "same first") in refused.output
    assert dump(configured) == before
    theirs = {s["key"]: s["value"] for s in json.loads(ok(invoke(source, "settings", "list", "--json")).output)
              if not s["is_default"]}
    assert "ownership.protection_days" in theirs
    for key, value in theirs.items():
        ok(invoke(configured, "settings", "set", key, value, now=END))
    assert "setting realestate.grading is points in this database and (default) in the history" in \
        invoke(configured, "import", out).output
    ok(invoke(configured, "settings", "reset", "realestate.grading", now=END))
    ok(invoke(configured, "import", out))
    fresh = new_db(tmp_path, "fresh.db")
    ok(invoke(fresh, "import", out))
    for db in (configured, fresh):
        shown = json.loads(ok(invoke(db, "settings", "list", "--json")).output)
        assert {s["key"]: s["value"] for s in shown}["ownership.protection_days"] == 20
