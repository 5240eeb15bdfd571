"""``leadcycle import``: registers from .csv/.xlsx, validation as ``lead add``,
the rejects file, merging by phone (DOMAIN §1), idempotency, crash safety."""

import csv
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadcycle import LeadBook, LeadcycleError
from leadcycle.io import parse_moment

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate").exit_code == 0
    for name in ("李娜", "王强"):
        assert run("agent", "add", name).exit_code == 0
    return run


def fixture(tmp_path, name):
    """A copy of a fixture in tmp_path (the rejects file is written next to it)."""
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return str(target)


def counts(result):
    return json.loads(result.output)


def leads(db_path):
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        return {r["name"]: r for r in book.list()}, book.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        book.close()


def read_rejects(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


# ---------------------------------------------------------------- good files


def test_good_csv_with_chinese_headers(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_good.csv")
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    out = counts(result)
    assert {k: out[k] for k in ("encoding", "imported", "merged", "unchanged", "rejected", "already_imported",
                                "rejects_file", "agents_added")} | {"file": None} == {
        "file": None, "encoding": "utf-8", "imported": 4, "merged": 0, "unchanged": 0, "rejected": 0, "already_imported": 0,
        "rejects_file": None, "agents_added": []}
    assert not os.path.exists(path + ".rejects.csv")
    rows, _ = leads(db_path)
    assert set(rows) == {"张伟", "王芳", "刘洋", "陈静"}
    assert rows["张伟"]["phone"] == "13800138000" and rows["张伟"]["gender"] == "M"
    assert rows["王芳"]["phone"] == "13900139000"
    assert rows["陈静"]["phone"] == "010-88886666"
    # the visit date is the registration time, in every form the file uses
    assert rows["张伟"]["created_at"] == "2026-03-01T00:00:00"
    assert rows["王芳"]["created_at"] == "2026-03-02T00:00:00"
    assert rows["刘洋"]["created_at"] == "2026-03-03T00:00:00"  # Excel serial 46084
    assert rows["陈静"]["created_at"] == "2026-03-04T00:00:00"  # 2026年3月4日
    # the receiving agent owns the lead (first contact); no agent → no owner
    assert rows["张伟"]["owner"] == "李娜" and rows["王芳"]["owner"] == "王强"
    assert rows["陈静"]["owner"] is None
    assert json.loads(rows["张伟"]["attributes"])["buying_power"] == "A"


def test_imported_lead_is_graded_as_lead_add_grades_it(office, db_path, tmp_path):
    book = LeadBook.open(db_path)
    if "realestate.grading" in book.registry.settings:
        book.set_setting("realestate.grading", "points")  # the fixture rates the §2a criteria
    book.close()
    office("import", fixture(tmp_path, "register_good.csv"), "--industry", "realestate", now=NOW)
    rows, _ = leads(db_path)
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        attrs = json.loads(rows["王芳"]["attributes"])
        with book.at(dt.datetime(2026, 3, 2)):
            added = book.add_lead("realestate", name="王芳二", gender="F", phone="13900139999", need="两房",
                                  attributes=attrs, agent="王强")
        twin = book.record(added.lead.id).state
        assert (rows["王芳"]["grade"], rows["王芳"]["score"]) == (twin.grade, twin.score)
        assert rows["王芳"]["grade"] is not None
    finally:
        book.close()


def test_good_xlsx_with_excel_dates_and_numeric_phones(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_good.xlsx")
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    assert counts(result)["imported"] == 4
    rows, _ = leads(db_path)
    assert rows["张伟"]["phone"] == "13800138000"  # a number cell
    assert rows["张伟"]["created_at"] == "2026-03-01T09:30:00"  # a date-time cell keeps its time
    assert rows["王芳"]["created_at"] == "2026-03-02T00:00:00"  # serial 46083
    assert rows["刘洋"]["created_at"] == "2026-03-03T00:00:00"  # text 2026/3/3
    assert rows["陈静"]["created_at"] == "2026-03-04T00:00:00"  # a date cell
    assert rows["陈静"]["owner"] is None


@pytest.mark.parametrize("raw, expected", [
    (46086, dt.datetime(2026, 3, 5)),
    (46086.5, dt.datetime(2026, 3, 5, 12)),
    ("46086", dt.datetime(2026, 3, 5)),
    ("2026/3/5", dt.datetime(2026, 3, 5)),
    ("2026-03-05", dt.datetime(2026, 3, 5)),
    ("2026年3月5日", dt.datetime(2026, 3, 5)),
    ("2026-03-05 14:30", dt.datetime(2026, 3, 5, 14, 30)),
    ("2026/3/5 9:05", dt.datetime(2026, 3, 5, 9, 5)),
    ("2026-03-05T14:30:00", dt.datetime(2026, 3, 5, 14, 30)),
    (dt.date(2026, 3, 5), dt.datetime(2026, 3, 5)),
])
def test_visit_dates_in_excel_forms(raw, expected):
    assert parse_moment(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("13/4/2026", dt.datetime(2026, 4, 13)), ("4/13/2026", dt.datetime(2026, 4, 13)),  # only one reading
    ("3/3/2026", dt.datetime(2026, 3, 3)), ("12/31/2026 10:00", dt.datetime(2026, 12, 31, 10)),
    ("3/4/2026", None), ("12/1/2026 10:00 AM", None), ("3.4.2026", None), ("03-04-2026", None),
])
def test_a_day_and_a_month_before_the_year_are_read_only_when_one_reading_is_possible(raw, expected):
    """3/4/2026 is 4 March in one office and 3 April in the next: refused,
    naming both, where 13/4/2026 (and 4/13/2026) can only be 13 April — a
    column is never read one way for one cell and the other way for the next."""
    if expected is not None:
        assert parse_moment(raw) == expected
    else:
        with pytest.raises(LeadcycleError, match=r"could be 2026-\d\d-\d\d or 2026-\d\d-\d\d .*write the year first"):
            parse_moment(raw)


# ----------------------------------------------------------------- bad rows


def test_bad_file_rejects_every_row_with_its_reason(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_bad.csv")
    result = office("import", path, "--industry", "realestate", now=NOW)
    assert result.exit_code == 1
    assert "rejected" in result.output
    rejects = read_rejects(path + ".rejects.csv")
    assert rejects[0] == ["row", "reason", "姓名", "性别", "电话", "需求", "来访日期", "置业顾问"]
    by_row = {int(r[0]): r for r in rejects[1:]}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7, 8]  # the header is row 1
    assert by_row[2][1].startswith("name is missing")
    assert by_row[3][1].startswith("gender 'X' is not M or F")
    assert by_row[4][1].startswith("phone '12345' is not a valid mainland number")
    assert by_row[5][1].startswith("need is missing")
    assert "2026/13/45" in by_row[6][1] and "not a date" in by_row[6][1]
    assert by_row[7][1].startswith("unknown agent '钱七'")
    assert "after the clock" in by_row[8][1]
    assert by_row[3][2:] == ["杨帆", "X", "13800138002", "三房", "2026/3/1", "李娜"]  # the row as it was
    rows, n_events = leads(db_path)
    assert rows == {} and n_events == 0  # nothing written


def test_mixed_file_imports_the_good_rows_and_merges_the_same_phone(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_mixed.csv")
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 1
    out = counts(result)
    assert (out["imported"], out["merged"], out["rejected"]) == (3, 0, 2)
    assert out["rejects_file"] == path + ".rejects.csv"
    rejects = read_rejects(path + ".rejects.csv")
    assert [(r[0], r[1].split(";")[0]) for r in rejects[1:]] == [
        ("3", "phone '1380013' is not a valid mainland number"),
        ("4", "buying_power: 'E' is not allowed"),
    ]
    rows, _ = leads(db_path)
    assert set(rows) == {"Zhang Wei", "Wang Fang", "Zhou Min"}
    # row 5 is the same phone and name as row 4 … but row 4 was rejected, so
    # row 5 registers Wang Fang; her return is not a second lead
    assert rows["Wang Fang"]["created_at"] == "2026-03-03T00:00:00"
    assert rows["Wang Fang"]["owner"] == "李娜"


def test_rejects_file_of_an_xlsx(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_mixed.xlsx")
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 1
    assert (counts(result)["imported"], counts(result)["rejected"]) == (2, 2)
    rejects = read_rejects(path + ".rejects.csv")
    assert [r[0] for r in rejects[1:]] == ["3", "4"]
    assert rejects[1][2:5] == ["李四", "男", "123"]


def test_unknown_column_stops_before_writing(office, db_path, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("姓名,性别,电话,需求,星座\n张伟,男,13800138000,三房,白羊\n", encoding="utf-8")
    result = office("import", str(path), "--industry", "realestate", now=NOW)
    assert result.exit_code == 1
    assert "column '星座' is not known; map it with --map '星座=FIELD'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert leads(db_path)[0] == {}
    # skipping it, or mapping it, imports the row
    assert office("import", str(path), "--industry", "realestate", "--map", "星座=-", now=NOW).exit_code == 0
    assert set(leads(db_path)[0]) == {"张伟"}


def test_headers_aligned_with_spaces_or_carrying_a_note_are_known(office, db_path, tmp_path):
    """Chinese forms align their headers with spaces (姓　名, 性 别) and note
    what a column holds in brackets (联系电话（手机）, 购买力与首付能力(等级)): the
    same columns. A space between words, or a note on a column no one
    knows, is still unknown."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["来访日期", "姓　　名", "性 别", "联系电话（手机）", "需　求", "置业顾问", "购买力与首付能力(等级)"])
    wb.active.append(["2026-03-01", "张伟", "男", "13800138000", "三房", "李娜", "A"])
    path = tmp_path / "前台登记.xlsx"
    wb.save(path)
    result = office("import", str(path), "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    rows, _ = leads(db_path)
    assert rows["张伟"]["phone"] == "13800138000" and rows["张伟"]["gender"] == "M" and rows["张伟"]["need"] == "三房"
    assert json.loads(rows["张伟"]["attributes"])["buying_power"] == "A"
    for header in ("星座（备注）", "phone number"):
        bad = tmp_path / "r.csv"
        bad.write_text(f"姓名,性别,电话,需求,{header}\n李四,男,13800138001,三房,x\n", encoding="utf-8")
        result = office("import", str(bad), "--industry", "realestate", now=NOW)
        assert result.exit_code == 1 and f"column '{header}' is not known" in result.output, result.output


def test_a_map_for_a_column_one_sheet_has_reads_that_sheet_and_lets_the_others_be(office, db_path, tmp_path):
    """Every sheet of a workbook is read: ``--map`` of a column only March
    has applies to March; a column no sheet has is still refused."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "三月"
    wb.active.append(["来访日期", "客户称呼", "性别", "电话", "需求"])
    wb.active.append(["2026-03-01", "张伟", "男", "13800138000", "三房"])
    april = wb.create_sheet("四月")
    april.append(["来访日期", "姓名", "性别", "电话", "需求"])
    april.append(["2026-03-02", "王芳", "女", "13900139000", "两房"])
    path = tmp_path / "来访.xlsx"
    wb.save(path)
    result = office("import", str(path), "--industry", "realestate", "--map", "客户称呼=name", "--map", "星座=-",
                    now=NOW)
    assert result.exit_code == 1 and "--map names a column the file does not have: '星座'" in result.output
    assert "客户称呼" in result.output and leads(db_path)[0] == {}
    result = office("import", str(path), "--industry", "realestate", "--map", "客户称呼=name", now=NOW)
    assert result.exit_code == 0, result.output
    assert set(leads(db_path)[0]) == {"张伟", "王芳"}


def test_map_option_reads_a_column_as_a_field(office, db_path, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("客户,男女,号码,想要,来的那天,资金\n张伟,男,13800138000,三房,2026-03-01,A\n", encoding="utf-8")
    result = office("import", str(path), "--industry", "realestate", "--map", "男女=gender", "--map", "号码=phone",
                    "--map", "想要=need", "--map", "来的那天=registered", "--map", "资金=buying_power", now=NOW)
    assert result.exit_code == 0, result.output
    row = leads(db_path)[0]["张伟"]
    assert row["created_at"].startswith("2026-03-01") and json.loads(row["attributes"]) == {"buying_power": "A"}
    bad = office("import", str(path), "--industry", "realestate", "--map", "资金=money", now=NOW)
    assert bad.exit_code == 1 and "'money' is not a field" in bad.output


def test_missing_basic_column(office, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("姓名,性别,需求\n张伟,男,三房\n", encoding="utf-8")
    result = office("import", str(path), "--industry", "realestate", now=NOW)
    assert result.exit_code == 1
    assert "no column holds phone" in result.output


def test_gbk_csv_from_chinese_excel(office, db_path, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("姓名,性别,电话,需求\n张伟,男,13800138000,三房\n".encode("gbk"))
    assert office("import", str(path), "--industry", "realestate", now=NOW).exit_code == 0
    assert set(leads(db_path)[0]) == {"张伟"}


# ------------------------------------------------------------ merging (§1)


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("姓名,性别,电话,需求,来访日期,置业顾问,关系,购买力与首付能力\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return str(path)


def test_same_phone_same_name_is_one_lead_with_a_return_visit(office, db_path, tmp_path):
    first = write(tmp_path, "a.csv", ["张伟,男,13800138000,三房,2026-03-01,李娜,,B"])
    office("import", first, "--industry", "realestate", now=NOW)
    second = write(tmp_path, "b.csv", ["张伟,男,13800138000,三房,2026-03-03,王强,,A",
                                       "张伟,男,13800138000,三房,2026-03-03,王强,,A"])
    result = office("import", second, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 0
    out = counts(result)
    assert (out["imported"], out["merged"], out["unchanged"]) == (0, 1, 1)
    rows, _ = leads(db_path)
    assert list(rows) == ["张伟"]
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    record = book.record(rows["张伟"]["id"])
    book.close()
    assert [(e.kind, e.at.date().isoformat(), e.agent) for e in record.events] == [
        ("register", "2026-03-01", "李娜"), ("visit", "2026-03-03", "王强"), ("set", "2026-03-03", "王强")]
    assert record.lead.attributes["buying_power"] == "A"
    # 王强 received the returning client, who did not name 李娜, and 李娜 did not
    # recognise them within 15 minutes: 王强's client (DOMAIN §3.5)
    assert record.state.owner == "王强"


def test_same_phone_other_name_is_rejected_unless_family(office, db_path, tmp_path):
    path = write(tmp_path, "a.csv", ["张伟,男,13800138000,三房,2026-03-01,李娜,,",
                                     "李梅,女,13800138000,三房,2026-03-01,李娜,配偶,",
                                     "王五,男,13800138000,两房,2026-03-02,王强,,"])
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    out = counts(result)
    assert (out["imported"], out["merged"], out["rejected"]) == (1, 1, 1)
    rows, _ = leads(db_path)
    assert set(rows) == {"张伟"}  # 李梅 is 张伟's spouse: the same lead; 王五 needs a decision
    rejects = read_rejects(path + ".rejects.csv")
    assert rejects[1][0] == "4" and "already lead #1 (张伟) under another name" in rejects[1][1]
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    events = book.record(rows["张伟"]["id"]).events
    book.close()
    assert events[-1].data["family_member"] == {"name": "李梅", "gender": "F", "relation": "spouse"}


def test_rows_of_one_client_out_of_time_order_are_applied_in_time_order(office, db_path, tmp_path):
    path = write(tmp_path, "a.csv", ["张伟,男,13800138000,三房,2026-03-03,李娜,,",
                                     "张伟,男,13800138000,三房,2026-03-01,李娜,,"])
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    assert (counts(result)["imported"], counts(result)["merged"]) == (1, 1)
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        [lead] = book.store.leads_by_phone("realestate", "13800138000")
        assert lead.created_at == dt.datetime(2026, 3, 1)  # the earlier visit is the registration
    finally:
        book.close()


@pytest.mark.parametrize("run_size", [1, 4, 1000])
def test_a_register_is_applied_in_time_order_however_many_runs_its_sort_takes(office, db_path, tmp_path,
                                                                           monkeypatch, run_size):
    """The rows are sorted on disk a run at a time (leadcycle.spool): runs
    of 1, 4 or all rows give the same lead numbers, registrations and
    merges, in the visit dates' order with file order breaking ties; a row
    without a date is rejected (its day decides first contact)."""
    from leadcycle import spool

    monkeypatch.setattr(spool, "RUN", run_size)
    rows = [f"客户{i % 7},男,1380013800{i % 7},三房,2026-03-0{1 + (i * 5) % 4},李娜,," for i in range(14)]
    rows.append("无日期,女,13900139000,两房,,李娜,,")
    path = write(tmp_path, "a.csv", rows)
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 1, result.output
    assert (counts(result)["imported"], counts(result)["merged"], counts(result)["rejected"]) == (7, 7, 1)
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        order = [(lead.id, lead.name, lead.created_at) for lead, _ in next(book.store.iter_lead_batches())]
        # each client's earliest row registers it; ties in file order
        firsts = {}
        for i in range(14):
            firsts.setdefault(f"客户{i % 7}", []).append((dt.datetime(2026, 3, 1 + (i * 5) % 4), i))
        expected = sorted((min(v), name) for name, v in firsts.items())
        assert [(name, at) for _, name, at in order] == [
            *[(name, at) for (at, _), name in expected]]
        visits = book.store.conn.execute("SELECT count(*) FROM events WHERE kind = 'visit'").fetchone()[0]
        assert visits == 7 - sum(1 for v in firsts.values() if len({d for d, _ in v}) < len(v))
    finally:
        book.close()


def test_the_spool_merges_its_runs_in_order():
    import random

    from leadcycle.spool import Spool

    rng = random.Random(3)
    # the same cell text twice in a row: a pickle refers back to it (its memo)
    items = [(rng.randrange(50), i, [tag, tag, None]) for i in range(500) for tag in [f"客户{i}"]]
    for run in (1, 7, 499, 500, 10_000):
        with Spool(run) as s:
            for item in items:
                s.add(item)
            assert s.count == 500
            assert list(s) == sorted(items)


def test_the_spool_merges_at_most_fan_in_runs_at_once_however_many_it_spilled(monkeypatch):
    """Runs beyond FAN_IN are first merged into longer runs, so the final
    merge (and each pass) holds a chunk of at most FAN_IN runs: memory does
    not grow with the register. On both sides of the fan-in."""
    import heapq
    import random

    from leadcycle import spool
    from leadcycle.spool import Spool

    monkeypatch.setattr(spool, "FAN_IN", 3)
    widest = []
    merge = heapq.merge

    def counted(*runs, **kw):
        widest.append(len(runs))
        return merge(*runs, **kw)

    monkeypatch.setattr(spool.heapq, "merge", counted)
    rng = random.Random(5)
    items = [(rng.randrange(40), i) for i in range(100)]
    for run in (34, 25, 10, 1):  # 3 runs (the fan-in), 4 (one beyond), 10, 100
        widest.clear()
        with Spool(run) as s:
            for item in items:
                s.add(item)
            assert len(s._files) == len(items) // run  # spilled; the rest is still in memory
            assert list(s) == sorted(items)
        runs = -(-len(items) // run)
        assert max(widest) <= 3
        assert (len(widest) > 1) == (runs > 3)  # merged in passes only beyond the fan-in


def test_row_dated_before_the_leads_last_event_in_the_database_is_rejected(office, db_path, tmp_path):
    first = write(tmp_path, "a.csv", ["张伟,男,13800138000,三房,2026-03-03,李娜,,"])
    assert office("import", first, "--industry", "realestate", now=NOW).exit_code == 0
    later = write(tmp_path, "b.csv", ["张伟,男,13800138000,三房,2026-03-01,李娜,,"])
    result = office("import", later, "--industry", "realestate", "--json", now=NOW)
    assert result.exit_code == 1
    rejects = read_rejects(later + ".rejects.csv")
    assert rejects[1][0] == "2" and "before lead #1's last event" in rejects[1][1]


# ------------------------------------------------------- idempotency, crash


def test_same_file_twice_adds_nothing(office, db_path, tmp_path):
    path = fixture(tmp_path, "register_mixed.csv")
    office("import", path, "--industry", "realestate", now=NOW)
    before = leads(db_path)
    again = office("import", path, "--industry", "realestate", "--json", now=NOW)
    out = counts(again)
    assert (out["imported"], out["merged"], out["already_imported"], out["rejected"]) == (0, 0, 3, 2)
    assert again.exit_code == 1  # the bad rows are still bad
    assert leads(db_path) == before
    assert len(read_rejects(path + ".rejects.csv")) == 3  # rewritten, not appended


def test_unknown_agent_can_be_added(office, db_path, tmp_path):
    path = write(tmp_path, "a.csv", ["张伟,男,13800138000,三房,2026-03-01,赵敏,,"])
    assert office("import", path, "--industry", "realestate", now=NOW).exit_code == 1
    result = office("import", path, "--industry", "realestate", "--add-agents", "--json", now=NOW)
    assert result.exit_code == 0 and counts(result)["agents_added"] == ["赵敏"]
    assert leads(db_path)[0]["张伟"]["owner"] == "赵敏"


def _big_csv(path, n):
    from leadcycle import synthetic
    import random

    rng = random.Random(42)
    phones = set()
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "性别", "手机", "需求", "来访日期", "置业顾问", "buying_power"])
        while len(phones) < n:
            phone = synthetic.mobile(rng)
            if phone in phones:
                continue
            phones.add(phone)
            w.writerow([synthetic.chinese_name(rng), rng.choice("男女"), phone, "三房",
                        f"2026/{rng.randint(1, 2)}/{rng.randint(1, 28)}", "李娜", rng.choice("ABCD")])


def test_kill_during_import_leaves_whole_batches_and_rerun_finishes(office, db_path, tmp_path):
    n, batch = 6000, 200
    path = str(tmp_path / "big.csv")
    _big_csv(path, n)
    env = dict(os.environ, LEADCYCLE_DB=db_path)
    cmd = [sys.executable, "-c", "from leadcycle.cli import cli; cli()", "--now", NOW, "import", path,
           "--industry", "realestate", "--batch-size", str(batch)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        with sqlite3.connect(db_path, timeout=5) as conn:
            committed = conn.execute("SELECT count(*) FROM imported_rows").fetchone()[0]
        if committed >= 3 * batch:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed; raise n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n_leads = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
    n_keys = conn.execute("SELECT count(*) FROM imported_rows").fetchone()[0]
    n_states = conn.execute("SELECT count(*) FROM lead_state").fetchone()[0]
    n_events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    assert 0 < n_leads < n
    assert n_leads % batch == 0  # whole batches only
    assert n_leads == n_keys == n_states == n_events
    # running it again finishes the job, with no duplicates
    rerun = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    out = json.loads(rerun.stdout)
    assert out["already_imported"] == n_leads and out["imported"] == n - n_leads
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*), count(DISTINCT phone) FROM leads").fetchone() == (n, n)
    assert conn.execute("SELECT count(*) FROM lead_state").fetchone()[0] == n
    conn.close()


@pytest.mark.parametrize("grading", ["table", "points"])
def test_an_import_stores_every_new_lead_as_the_engine_projects_it(office, db_path, tmp_path, grading):
    """An import's new leads are projected by the compiled statement (their
    ownership folded on write): the stored rows are the engine's, under the
    current rules, so the first read at the import's clock evaluates none."""
    import random

    from leadcycle import engine

    book = LeadBook.open(db_path)
    choice = [f for f in book.registry.industry("realestate").fields if f.type == "choice"]
    if "realestate.grading" in book.registry.settings:
        book.set_setting("realestate.grading", grading)
    book.close()
    rng = random.Random(17)
    path = tmp_path / "register.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "性别", "手机", "需求", "来访日期", "置业顾问", *[fl.name for fl in choice]])
        for i in range(60):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(63))
            w.writerow([f"客户{i % 50}", "男", f"1390000{i % 50:04d}", "两房", day.isoformat(),
                        rng.choice(["李娜", "王强", ""]),
                        *[(rng.choice(fl.choices).value if rng.random() < 0.8 else "") for fl in choice]])
    assert office("import", str(path), "--industry", "realestate", now=NOW).exit_code == 0
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        stored = {s.lead_id: s for s in map(book.store._state, book.store.db.query("SELECT * FROM lead_state"))}
        versions = {r[0] for r in book.store.conn.execute(
            "SELECT (SELECT tag FROM versions WHERE code = rules_version) FROM lead_state")}
        assert versions == {book.rules_version}
        assert len(stored) == 50
        for lead_id, state in stored.items():
            lead = book.lead(lead_id)
            _, want = engine.project(book.context, lead, book.store.events_for(lead_id), book.now)
            got = (state.grade, state.score, state.owner, state.next_follow_up, state.follow_up_kind,
                   state.expires_at, state.owner_until)
            assert got == (want.grade, want.score, want.owner, want.next_follow_up, want.follow_up_kind,
                           want.expires_at, want.owner_until), lead_id
        assert {s.grade for s in stored.values()} - {None}  # the register rates some leads fully
        assert book.refresh() == 0
    finally:
        book.close()


def test_an_imported_lead_stores_the_values_its_industrys_reports_read(run, db_path, tmp_path):
    """Software's follow-up count and stage history are read from the stored
    state (the follow-ups report, the funnel): an import stores them for its
    new leads, as ``lead add`` does, though the compiled statement does not
    compute them."""
    assert run("init", "--industry", "software_sales").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    path = tmp_path / "s.csv"
    path.write_text("姓名,性别,手机,需求,来访日期,置业顾问\n张伟,男,13800138000,CRM,2026-03-01,李娜\n"
                    "王芳,女,13900139000,ERP,2026-03-02,李娜\n", encoding="utf-8")
    path = str(path)
    result = run("import", path, "--industry", "software_sales", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db_path)
    try:
        extras = [json.loads(e) for (e,) in conn.execute("SELECT extra FROM lead_state ORDER BY lead_id")]
    finally:
        conn.close()
    assert len(extras) == 2 and all(e["x_follow_ups"] == {"count": 0} for e in extras), extras


def test_new_leads_state_rows_are_written_once(fresh_db):
    """An import stores its new leads' state rows in one statement
    (Store.save_new_states): the compiled evaluation with the ownership
    fold, the row add_lead stores; a lead the statement leaves out (here:
    registered after the clock it is given) keeps its fold under no rules,
    for a read to evaluate; the TEMP table that lends the statement the
    folds is gone afterwards."""
    from leadcycle.ownership import fold_of

    book, store = fresh_db, fresh_db.store
    lead = book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房", agent="李娜",
                         attributes={"motivation": "A", "funds": "B"}).lead
    plan = book._read_plan("realestate")
    assert plan is not None
    cols = ("lead_id", "industry", "score", "grade", "stage", "owner", "next_follow_up", "follow_up_kind",
            "fold_owner", "fold_anchor", "fold_dealt", "fold_version")
    read = f"SELECT {', '.join(cols)}, rules_version, computed_at FROM lead_state WHERE lead_id = ?"
    stored = store.conn.execute(read, (lead.id,)).fetchone()
    fold = fold_of(store.events_for(lead.id), plan.rules.ownership)
    for clock, computed in ((book.now, 1), (lead.created_at - dt.timedelta(days=1), 0)):
        with store.transaction():
            store.conn.execute("DELETE FROM lead_state WHERE lead_id = ?", (lead.id,))
            assert store.save_new_states(plan, clock, "realestate", book.rules_version, [(lead.id, fold)]) == computed
        row = store.conn.execute(read, (lead.id,)).fetchone()
        assert store.conn.execute("SELECT count(*) FROM temp.sqlite_master WHERE name = 'lead_state'").fetchone() == (0,)
        if computed:
            assert row == stored
        else:
            assert row[:2] == stored[:2] and row[2:8] == (None,) * 6 and row[8:12] == stored[8:12]
            assert row[12:] == (None, None)
    assert stored[5] == stored[8] == "李娜" and stored[2] is not None


def test_a_rejects_file_that_cannot_be_written_stops_the_import_before_any_row(office, db_path, tmp_path):
    # the rejects were written after the rows were committed: a folder of
    # that name was a traceback, with the rows in and their rejects lost
    path = fixture(tmp_path, "register_bad.csv")
    os.mkdir(path + ".rejects.csv")
    before, events = leads(db_path)
    result = office("import", path, "--industry", "realestate", now="2026-03-05T10:00")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "register_bad.csv.rejects.csv is a folder" in result.output and "move or rename it" in result.output
    assert leads(db_path) == (before, events)


def test_an_industrys_own_word_for_the_agent_is_the_agents_column():
    """A Chinese export heads the agent's column with the industry's own
    word (销售顾问 for a car dealer's plugin): import reads it back as the
    agent; an attribute of that name would win."""
    from leadcycle import Field, Industry, Label
    from leadcycle.io import resolve_columns

    dealer = Industry("autodealer", Label("car dealer", "汽车4S店"), agent_label=Label("sales advisor", "销售顾问"))
    headers = ["姓名", "性别", "电话", "需求", "销售顾问"]
    assert resolve_columns(headers, [dealer], {})[-1] == "agent"
    assert resolve_columns(["name", "gender", "phone", "need", "Sales Advisor"], [dealer], {})[-1] == "agent"
    owned = Industry("autodealer", Label("car dealer", "汽车4S店"), agent_label=Label("sales advisor", "销售顾问"),
                     fields=(Field("advisor", "str", Label("advisor", "销售顾问")),))
    assert resolve_columns(headers, [owned], {})[-1] == "advisor"


def test_a_family_row_before_any_lead_of_its_phone_is_rejected_as_lead_add_rejects_it(office, db_path, tmp_path):
    """``lead add --relation`` refuses a relation with no lead of that phone; an
    import refused nothing and made the spouse the lead, the relation lost,
    and then rejected the client's own row as another name on a known phone."""
    path = tmp_path / "rel.csv"
    path.write_text("name,gender,phone,need,registered,agent,relation\n"
                    "张太,F,13800138009,三房,2026-03-02,李娜,spouse\n"
                    "张伟,M,13800138009,三房,2026-03-05,李娜,\n"
                    "张太,F,13800138009,三房,2026-03-06,李娜,spouse\n", encoding="utf-8")
    r = office("import", str(path), "--industry", "realestate", "--json", now="2026-03-10T09:00")
    assert r.exit_code == 1, r.output  # some rows rejected
    got = json.loads(r.output)
    assert (got["imported"], got["merged"], got["rejected"]) == (1, 1, 1)
    rejected = read_rejects(str(path) + ".rejects.csv")
    assert [row[0] for row in rejected[1:]] == ["2"] and "no realestate lead has phone" in rejected[1][1]
    shown = json.loads(office("show", "1", "--json", now="2026-03-10T09:00").output)
    assert shown["name"] == "张伟"
    assert any(e["data"].get("family_member", {}).get("name") == "张太" for e in shown["events"])
