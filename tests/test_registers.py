"""Issue #13: reading the registers offices really have — title rows, merged
cells, several sheets, .xls/.ods, UTF-16/GBK/Big5, register values, phones,
mapping profiles for other CRMs, --dry-run. Every fixture is generated here."""

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from leadcycle import LeadBook, cells
from leadcycle.errors import LeadcycleError
from leadcycle.validate import normalize_phone

NOW = "2026-03-10T18:00"
CLOCK = dt.datetime(2026, 3, 10, 18)


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", "--industry", "software_sales").exit_code == 0
    for args in (("李娜",), ("王强",), ("陈经理", "--manager")):
        assert run("agent", "add", *args).exit_code == 0
    return run


def leads(db_path):
    """The leads by name and the open book (the caller closes it)."""
    book = LeadBook.open(db_path, CLOCK)
    return {r["name"]: r for r in book.list()}, book


def out_of(result):
    return json.loads(result.output)


def rejects_of(path):
    with open(str(path) + ".rejects.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("raw, expected", [
    ("3月7日", dt.datetime(2026, 3, 7)),
    ("12月28日", dt.datetime(2025, 12, 28)),  # after the clock's day: last year's
    ("2026年3月7日", dt.datetime(2026, 3, 7)),
    ("2026年3月7日 14:30", dt.datetime(2026, 3, 7, 14, 30)),
    ("20260309", dt.datetime(2026, 3, 9)),
    (20260309, dt.datetime(2026, 3, 9)),
    ("2026-03-07T02:00:00Z", dt.datetime(2026, 3, 7, 10)),  # UTC → Asia/Shanghai
    ("2026-03-07T02:00:00.000+0000", dt.datetime(2026, 3, 7, 10)),
    ("Mar 7, 2026", dt.datetime(2026, 3, 7)),
    ("２０２６/３/７", dt.datetime(2026, 3, 7)),
    (46088, dt.datetime(2026, 3, 7)),
])
def test_dates_as_registers_write_them(raw, expected):
    assert cells.parse_moment(raw, now=CLOCK, zone=ZoneInfo("Asia/Shanghai")) == expected


def test_excel_serials_in_both_date_systems():
    assert cells.parse_moment(46088, now=CLOCK) == dt.datetime(2026, 3, 7)
    assert cells.parse_moment(44626, now=CLOCK, date1904=True) == dt.datetime(2026, 3, 7)


@pytest.mark.parametrize("raw", ["2月30日", "13月1日", "明天", "2026-02-30", "", "20261399"])
def test_bad_dates_are_one_line(raw):
    with pytest.raises(LeadcycleError) as e:
        cells.parse_moment(raw, now=CLOCK)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("raw, expected", [("120㎡", 120), ("120 平米", 120), ("89.5m²", 89.5),
                                           ("140-160", 150), ("160～140", 150), ("90至101", 95.5),
                                           (120, 120), ("大平层", "大平层")])
def test_areas_and_ranges(raw, expected):
    assert cells.parse_area(raw) == expected


@pytest.mark.parametrize("name, gender", [("刘先生", "M"), ("王女士", "F"), ("陈小姐", "F"), ("Mr. Smith", "M"),
                                          ("Ms Li", "F"), ("先生", None), ("刘伟", None), ("李娜", None),
                                          ("Mrs", None)])
def test_gender_only_from_a_title(name, gender):
    assert cells.gender_from_title(name) == gender


# ------------------------------------------------------------------ phones


@pytest.mark.parametrize("raw, stored", [
    ("138００１３８００５", "13800138005"),
    ("+86 (0)138 0013 8008", "13800138008"),
    ("4008001234", "400-8001234"),
    ("800-820-8820", "800-8208820"),
    ("13800138000 转 8001", "13800138000,8001"),
    ("010-88886666 ext. 801", "010-88886666,801"),
    ("+852 2345 6789", "+85223456789"),
    ("+853 2888 1234", "+85328881234"),
    ("+886 2 2345 6789", "+886223456789"),
    ("（010）８８８８ ６６６６", "010-88886666"),
    ("0755-1234567", "0755-1234567"),  # a shape earlier versions stored
])
def test_phones_every_region_and_form(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["00000000000", "01000000000", "+86 0000000000", "95533", "12812345678",
                                 "转 8001", "+852 1234"])
def test_placeholder_and_impossible_phones_are_refused(raw):
    with pytest.raises(LeadcycleError) as e:
        normalize_phone(raw)
    assert "\n" not in str(e.value)


def test_full_width_phone_is_the_same_lead_and_lead_set_checks_duplicates(office, db_path):
    add = ("lead", "add", "--industry", "realestate", "--gender", "男", "--need", "三房", "--agent", "李娜")
    assert office(*add, "--name", "张伟", "--phone", "138００１３８００５", now=NOW).exit_code == 0
    again = office(*add, "--name", "王五", "--phone", "13800138005", now=NOW)
    assert again.exit_code == 1 and "#1" in again.output  # no second lead on the same phone
    assert office(*add, "--name", "赵六", "--phone", "13900139000", now=NOW).exit_code == 0
    moved = office("lead", "set", "2", "phone=１３８００１３８００５", "--agent", "李娜", now=NOW)
    assert moved.exit_code == 1 and "#1" in moved.output and "Traceback" not in moved.output
    found = office("find", "8005", now=NOW)
    assert "张伟" in found.output and "138****8005" in found.output


# ------------------------------------------------------------------ 来访客户登记表.xlsx


HEAD = ["序号", "来访日期", "客户姓名", "性别", "联系电话", "意向面积", "需求", "客户等级", "来访次数", "置业顾问"]


def _register_xlsx(path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "三月"
    ws.append(["XX花园项目来访客户登记表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEAD))
    ws.append(HEAD)
    ws.append([1, "3月7日", "刘先生", None, "13800138001", "120㎡", "三房", "A", 3, "李娜"])
    ws.append([2, None, "王芳", "女士", "13800138002", "140-160", "四房", "B", 1, None])  # merged date, agent
    ws.merge_cells("B3:B4")
    ws.merge_cells("J3:J4")
    ws.append([3, "2026年3月9日", "赵强", "先生", "13800138003", "90", "两房", "C", 2, "王强"])
    ws.append([4, "20260308", "赵强", "先生", "13800138003", "90", "两房", "B", 1, "王强"])  # earlier, below
    ws.append([5, "2026-03-09", "", "男", "13800138004", "", "两房", "C", 1, "王强"])  # no name
    march = wb.create_sheet("二月")
    march.append(["来访日期", "客户姓名", "性别", "联系电话", "需求", "置业顾问"])
    march.append([dt.datetime(2026, 2, 20, 15, 0), "陈静", "女", "13800138005", "两房", "李娜"])
    notes = wb.create_sheet("说明")
    notes.append(["本表由前台每日填写"])
    notes.append(["如有疑问请联系主管"])
    wb.save(path)
    return str(path)


def test_register_with_title_merged_cells_and_sheets(office, db_path, tmp_path):
    path = _register_xlsx(tmp_path / "来访客户登记表.xlsx")
    result = office("import", path, "--industry", "realestate", "--json", now=NOW)
    out = out_of(result)
    assert result.exit_code == 1  # a row rejected, a sheet without a header
    assert (out["imported"], out["merged"], out["rejected"]) == (4, 1, 1)
    by_sheet = {s["sheet"]: s for s in out["sheets"]}
    assert by_sheet["三月"]["header_row"] == 2 and by_sheet["三月"]["imported"] == 3
    assert by_sheet["二月"]["imported"] == 1
    assert [s["sheet"] for s in out["sheets_not_imported"]] == ["说明"]
    rows, book = leads(db_path)
    try:
        liu, wang, zhao = rows["刘先生"], rows["王芳"], rows["赵强"]
        assert (liu["gender"], liu["owner"]) == ("M", "李娜")
        assert (wang["gender"], wang["owner"]) == ("F", "李娜")  # the merged agent cell
        record = book.record(wang["id"])
        assert record.lead.created_at == dt.datetime(2026, 3, 7)  # the merged date cell
        assert record.lead.attributes["area"] == 150 and record.lead.attributes["grade_as_imported"] == "B"
        liu_lead = book.record(liu["id"]).lead
        assert liu_lead.attributes["visits_as_imported"] == 3 and liu_lead.attributes["area"] == 120
        zhao_lead = book.record(zhao["id"]).lead
        assert zhao_lead.created_at == dt.datetime(2026, 3, 8)  # the earlier visit, listed below, first
        assert zhao_lead.attributes["grade_as_imported"] == "C"
        assert book.record(rows["陈静"]["id"]).lead.created_at == dt.datetime(2026, 2, 20, 15)
    finally:
        book.close()
    [reject] = rejects_of(path)
    assert reject[0] == "三月!7" and reject[1].startswith("name is missing")
    shown = office("show", str(liu["id"]), now=NOW)
    assert "grade as the office recorded it=A" in shown.output  # shown with its label


def test_only_the_sheets_asked_for_and_a_header_row_given(office, db_path, tmp_path):
    path = _register_xlsx(tmp_path / "r.xlsx")
    result = office("import", path, "--industry", "realestate", "--sheet", "二月", "--json", now=NOW)
    assert result.exit_code == 0 and out_of(result)["imported"] == 1
    assert "no sheet '四月'" in office("import", path, "--industry", "realestate", "--sheet", "四月", now=NOW).output
    wrong = office("import", path, "--industry", "realestate", "--sheet", "三月", "--header-row", "1", now=NOW)
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output


def test_dry_run_writes_nothing(office, db_path, tmp_path):
    path = _register_xlsx(tmp_path / "r.xlsx")
    before = Path(db_path).read_bytes()
    result = office("import", path, "--industry", "realestate", "--dry-run", now=NOW)
    assert result.exit_code == 1 and "nothing was written" in result.output
    assert "rejected 三月!7: name is missing" in result.output
    assert Path(db_path).read_bytes() == before
    assert not Path(path + ".rejects.csv").exists()
    assert out_of(office("import", path, "--industry", "realestate", "--json", now=NOW))["imported"] == 4


def test_unknown_columns_are_listed_at_once_with_suggestions(office, db_path, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("姓名,性别,电话,需求,置业顾闻,星座,来访日其\n张伟,男,13800138000,三房,李娜,狮子,2026-03-01\n",
                    encoding="utf-8")
    before = Path(db_path).read_bytes()
    result = office("import", str(path), "--industry", "realestate", now=NOW)
    assert result.exit_code == 1 and "3 columns are not known" in result.output
    assert "'置业顾闻' (did you mean '置业顾问'" in result.output and "'星座'" in result.output
    assert "'来访日其' (did you mean '来访日期'" in result.output
    assert Path(db_path).read_bytes() == before


# ------------------------------------------------------------------ formats and encodings


ROWS = [["姓名", "性别", "电话", "需求", "来访日期", "置业顾问"],
        ["張偉", "男", "13800138000", "三房", "2026/3/5", "李娜"],
        ["陳美玲", "女", "+886 2 2345 6789", "兩房", "2026/3/6", "王强"]]


def _text(rows, sep=","):
    return "\r\n".join(sep.join(r) for r in rows) + "\r\n"


@pytest.mark.parametrize("name, encoding, data", [
    ("gbk.csv", "gb18030", _text([[c.replace("張偉", "张伟").replace("陳美玲", "陈美玲").replace("兩房", "两房")
                                   for c in r] for r in ROWS]).encode("gbk")),
    ("big5.csv", "big5", _text([["姓名", "性別", "電話", "需求", "來訪日期", "置業顧問"], *[
        [c.replace("强", "強") for c in r] for r in ROWS[1:]]]).encode("big5")),
    ("unicode.txt", "utf-16", _text(ROWS, "\t").encode("utf-16")),  # Excel's "Unicode text"
    ("nobom.tsv", "utf-16-le", _text(ROWS, "\t").encode("utf-16-le")),
    ("nobom-be.tsv", "utf-16-be", _text(ROWS, "\t").encode("utf-16-be")),
    ("bom.csv", "utf-8-sig", _text(ROWS).encode("utf-8-sig")),
    # a stray NUL in UTF-8 text (pasted from another program) is no UTF-16:
    # it was read as UTF-16 and every column came out as mojibake
    ("nul.csv", "utf-8", _text([ROWS[0], [ROWS[1][0].replace("張偉", "張\x00偉"), *ROWS[1][1:]], ROWS[2]]).encode()),
])
def test_text_encodings_are_detected_and_named(office, db_path, tmp_path, name, encoding, data):
    path = tmp_path / name
    path.write_bytes(data)
    result = office("import", str(path), "--industry", "realestate", "--add-agents", "--json", now=NOW)
    out = out_of(result)
    assert result.exit_code == 0, result.output
    assert (out["encoding"], out["imported"]) == (encoding, 2)
    rows, book = leads(db_path)
    book.close()
    assert len([n for n in rows if n in ("張偉", "张伟")]) == 1 and any("美玲" in n for n in rows)
    assert "read as: " + encoding in office("import", str(path), "--industry", "realestate", now=NOW).output


def test_xls_written_by_excel_97(office, db_path, tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("登记")
    ws.write_merge(0, 0, 0, 5, "XX花园项目来访客户登记表")
    for c, h in enumerate(ROWS[0]):
        ws.write(1, c, h)
    ws.write_merge(2, 3, 5, 5, "李娜")  # one agent over two visits
    for r, row in enumerate(([["张伟", "男", "13800138000", "三房"], ["王芳", "女", "13900139000", "两房"]]), start=2):
        for c, v in enumerate(row):
            ws.write(r, c, v)
        ws.write(r, 4, "2026/3/5")
    path = tmp_path / "r.xls"
    wb.save(str(path))
    out = out_of(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["rejected"], out["sheets"][0]["header_row"]) == (2, 0, 2)
    rows, book = leads(db_path)
    book.close()
    assert rows["王芳"]["owner"] == "李娜"


def test_ods_from_libreoffice(office, db_path, tmp_path):
    pytest.importorskip("odf")
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="来访")
    for row in (["XX花园项目来访客户登记表"], *ROWS[:1], ["张伟", "男", "13800138000", "三房", "3月7日", "李娜"]):
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "r.ods"
    doc.save(str(path))
    assert zipfile.is_zipfile(path)
    out = out_of(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["sheets"][0]["sheet"]) == (1, "来访")


# ------------------------------------------------------------------ other CRMs


def test_yudao_clue_export(office, db_path, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "线索名称", "跟进状态", "最后跟进时间", "最后跟进内容", "下次联系时间", "负责人名字",
               "负责人部门", "转化状态", "客户名称", "手机号", "电话", "QQ", "wechat", "email", "地区编号",
               "地区名称", "详细地址", "所属行业", "客户等级", "客户来源", "备注", "创建人", "创建人名字",
               "创建时间", "更新时间"])
    ws.append([1, "刘先生", "是", "2026-03-06 15:00:00", "约周末演示", "2026-03-12 10:00:00", "李娜", "一组",
               "否", "蓝海制造", "13800138001", "", "12345", "liu_wx", "liu@example.com", 1, "北京", "朝阳路1号",
               "金融业", "A (重点客户)", "转介绍", "ERP 五十点", 1, "admin", "2026-03-02 09:00:00",
               "2026-03-06 15:00:00"])
    ws.append([2, "周总", "否", None, None, None, "王强", "一组", "否", "远山科技", "13800138002", "", "", "",
               "", 1, "北京", "", "制造业", "B (普通客户)", "促销", "CRM", 1, "admin", "2026-03-03 09:00:00",
               "2026-03-03 09:00:00"])  # no gender anywhere: rejected with the reason
    path = tmp_path / "线索.xlsx"
    wb.save(path)
    result = office("import", str(path), "--industry", "software_sales", "--json", now=NOW)
    out = out_of(result)
    assert (out["imported"], out["rejected"]) == (1, 1)
    assert out["sheets"][0]["profile"] == "yudao_clue" and out["sheets"][0]["recognised"]
    [reject] = rejects_of(path)
    assert reject[0] == "3" and reject[1].startswith("gender is missing")
    rows, book = leads(db_path)
    try:
        lead = book.record(rows["刘先生"]["id"]).lead
        assert rows["刘先生"]["owner"] == "李娜"
        assert lead.attributes == {"sector": "finance", "grade_as_imported": "A", "source": "referral",
                                   "company": "蓝海制造", "qq": "12345", "wechat": "liu_wx",
                                   "email": "liu@example.com", "address": "朝阳路1号",
                                   "last_follow_up_at": "2026-03-06 15:00", "last_follow_up": "约周末演示",
                                   "next_contact_at": "2026-03-12 10:00"}
        assert lead.created_at == dt.datetime(2026, 3, 2, 9)
    finally:
        book.close()


SALESFORCE = ("Id,Salutation,FirstName,LastName,Title,Company,Phone,MobilePhone,Email,LeadSource,Status,"
              "Industry,Rating,OwnerId,CreatedDate,Description\n"
              "00Q1,Mr.,Wei,Zhang,CTO,Blue Sea,+852 2345 6789 ext. 801,,wei@example.com,Web,Open,Banking,Hot,"
              "Li Na,2026-03-07T02:00:00.000Z,ERP for 50 users\n"
              "00Q2,Ms.,娜,王,CFO,Far Hill,,138 0013 8009,,Phone Inquiry,Open,Technology,Warm,Wang Qiang,"
              "2026-03-08T01:30:00.000Z,CRM\n"
              "00Q3,Dr.,Bo,Li,CEO,Far Hill,,13800138010,,Other,Open,Agriculture,Cold,Li Na,"
              "2026-03-08T01:30:00.000Z,CRM\n")


def test_salesforce_leads(office, db_path, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(SALESFORCE, encoding="utf-8")
    result = office("import", str(path), "--industry", "software_sales", "--json", now=NOW)
    out = out_of(result)
    assert (out["imported"], out["rejected"], out["sheets"][0]["profile"]) == (2, 1, "salesforce_leads")
    [reject] = rejects_of(path)
    assert reject[0] == "4" and "gender" in reject[1]  # Dr. says no gender: never guessed
    rows, book = leads(db_path)
    try:
        zhang = book.record(rows["Wei Zhang"]["id"]).lead
        assert (zhang.phone, zhang.gender, zhang.created_at) == ("+85223456789,801", "M",
                                                                   dt.datetime(2026, 3, 7, 10))
        assert zhang.attributes["sector"] == "finance" and zhang.attributes["grade_as_imported"] == "Hot"
        assert rows["Wei Zhang"]["owner"] == "李娜" and rows["王娜"]["owner"] == "王强"
        assert book.record(rows["王娜"]["id"]).lead.phone == "13800138009"
    finally:
        book.close()


def test_hubspot_contacts_owner_spelled_in_pinyin(office, db_path, tmp_path):
    path = tmp_path / "hubspot.csv"
    path.write_text("Record ID,First Name,Last Name,Email,Phone Number,Contact owner,Create Date,Lifecycle Stage,"
                    "Salutation,Message\n"
                    "1,Fang,Wang,f@example.com,13800138011,Na Li,2026-03-05 10:00,lead,Ms.,两房\n"
                    "2,Tom,Lee,t@example.com,13800138012,Qiang Wang,2026-03-05 11:00,lead,,三房\n",
                    encoding="utf-8")
    result = office("import", str(path), "--industry", "realestate", "--json", now=NOW)
    out = out_of(result)
    assert (out["imported"], out["rejected"], out["agents_added"]) == (1, 1, [])
    rows, book = leads(db_path)
    book.close()
    assert rows["Fang Wang"]["owner"] == "李娜"  # Na Li spells 李娜: no new agent


def test_list_profiles_and_a_copied_profile(office, db_path, tmp_path):
    listed = office("import", "--list-profiles")
    assert listed.exit_code == 0 and "salesforce_leads" in listed.output and "yudao_clue" in listed.output
    mine = tmp_path / "mine.toml"
    mine.write_text('title = "ours"\n[columns]\n"客户" = "name"\n"称呼" = "gender"\n"手机" = "phone"\n'
                    '"意向" = "need"\n[values.gender]\n"男士" = "M"\n', encoding="utf-8")
    path = tmp_path / "a.csv"
    path.write_text("客户,称呼,手机,意向\n张伟,男士,13800138000,三房\n", encoding="utf-8")
    out = out_of(office("import", str(path), "--industry", "realestate", "--profile", str(mine), "--json",
                        now=NOW))
    assert (out["imported"], out["sheets"][0]["profile"]) == (1, "mine")
    bad = office("import", str(path), "--industry", "realestate", "--profile", "nope", now=NOW)
    assert bad.exit_code == 1 and "no profile 'nope'" in bad.output


# ------------------------------------------------------------------ fuzz

_POOL = [None, "", " ", "张伟", "刘先生", "王女士", "Mr. Smith", "男", "女", "先生", "X", "13800138000",
         "138００１３８００５", "+852 2345 6789", "00000000000", "13800138000 转 8001", "4008001234", "12345",
         "三房", "两房 120㎡", "3月7日", "12月28日", "2026年3月7日", "20260309", "2026-03-07T02:00:00Z",
         "2099-01-01", "1899-01-01", 46088, 46088.5, -1, 10**12, 1e308, float("inf"), float("nan"), True,
         "140-160", "大平层", "3次", "A (重点客户)", "李娜", "Li Na", "=1+1", "'=1+1", "a\nb", "长" * 40000]


def _random_row(rng):
    return [rng.choice(_POOL) if rng.random() < 0.8 else
            "".join(rng.choice("张伟李娜0123456789-+年月日 ㎡,\"") for _ in range(rng.randrange(12)))
            for _ in range(8)]


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32))
def test_fuzz_random_rows_give_a_reason_for_every_reject(tmp_path_factory, seed):
    """10,000 random rows (20 × 500): no traceback, a reason for every reject."""
    import random

    import openpyxl

    rng = random.Random(seed)
    rows = [_random_row(rng) for _ in range(500)]
    folder = tmp_path_factory.mktemp("fuzz")
    book = LeadBook.create(str(folder / "f.db"), ["realestate"], now=CLOCK)
    book.add_agent("李娜")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("登记")
    ws.append(["姓名", "性别", "电话", "需求", "来访日期", "置业顾问", "来访次数", "意向面积"])
    for row in rows:
        ws.append([c if not (isinstance(c, float) and c != c or c in (float("inf"),)) else str(c) for c in row])
    path = str(folder / "f.xlsx")
    wb.save(path)
    from leadcycle.io import import_file

    try:
        result = import_file(book, path, "realestate", batch_size=250)
    except LeadcycleError as e:
        assert "\n" not in str(e)
        return
    finally:
        book.close()
    assert result.imported + result.merged + result.unchanged + result.rejected + result.skipped == len(rows)
    assert all(reason.strip() for _, _, reason in result.rejects)


def test_a_sheet_off_the_corner_is_read_row_by_row_with_its_merges_filled_down(tmp_path):
    """A register that starts at C3 (blank rows above, blank columns to the
    left), with a date merged over three visits and an agent over two: the
    rows are numbered as Excel shows them, each merged row holds the first
    cell's value, and reading the sheet twice gives the same rows (the
    import reads it once for the header, once for the rows)."""
    import openpyxl

    from leadcycle.registers import read_register

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"], ws["D3"], ws["E3"] = "姓名", "来访日期", "置业顾问"
    for r, name in enumerate(["张伟", "王芳", "李雷", "韩梅"], start=4):
        ws.cell(row=r, column=3, value=name)
    ws["D4"], ws["E4"], ws["D7"], ws["E6"] = "2026-03-01", "李娜", "2026-03-02", "王强"
    ws.merge_cells("D4:D6")
    ws.merge_cells("E4:E5")
    path = tmp_path / "off.xlsx"
    wb.save(path)
    register = read_register(str(path), lambda h: h in {"姓名", "来访日期", "置业顾问"})
    [table] = register.tables
    assert (table.header_row, table.headers) == (3, ["", "", "姓名", "来访日期", "置业顾问"])
    rows = list(table.rows)
    assert rows == [(4, [None, None, "张伟", "2026-03-01", "李娜"]),
                    (5, [None, None, "王芳", "2026-03-01", "李娜"]),
                    (6, [None, None, "李雷", "2026-03-01", "王强"]),
                    (7, [None, None, "韩梅", "2026-03-02", None])]
    assert list(table.rows) == rows
