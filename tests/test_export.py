"""``leadcycle export``: formats, filters, masking, and the round trip
through ``leadcycle import``."""

import csv
import datetime as dt
import io
import json
import os
import shutil
import stat
from pathlib import Path

import openpyxl
import pytest

from leadcycle import LeadBook
from leadcycle.io import mask_phone

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2026-03-05T10:00"


@pytest.fixture
def office(run, tmp_path):
    """A database with the good register imported, plus a lead added by hand."""
    run("init", "--industry", "realestate")
    run("agent", "add", "李娜")
    run("agent", "add", "王强")
    run("agent", "add", "陈经理", "--manager")  # the one who may export full phones
    path = tmp_path / "register_good.csv"
    shutil.copy(FIXTURES / "register_good.csv", path)
    assert run("import", str(path), "--industry", "realestate", now=NOW).exit_code == 0
    added = run("lead", "add", "--industry", "realestate", "--name", "周敏", "--gender", "F",
                "--phone", "13600136000", "--need", "复式", "--channel", "call", "--agent", "王强",
                "--set", "buying_power=B", now="2026-03-04T15:20")
    assert added.exit_code == 0, added.output
    return run


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("raw, masked", [
    ("13812341234", "138****1234"),
    ("010-88886666", "010-****6666"),
    ("0755-1234567", "0755-***4567"),
    (None, None),
])
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_csv_export_masks_phones_by_default(office):
    result = office("export", now=NOW)
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.output)
    assert [r["name"] for r in rows] == ["张伟", "王芳", "刘洋", "陈静", "周敏"]
    assert rows[0]["phone"] == "138****8000"
    assert rows[3]["phone"] == "010-****6666"
    assert all("*" in r["phone"] for r in rows)
    assert rows[0]["registered"] == "2026-03-01T00:00:00" and rows[0]["agent"] == "李娜"
    assert rows[4]["channel"] == "call" and rows[4]["buying_power"] == "B"
    unmasked = csv_rows(office("--as", "陈经理", "export", "--unmask", now=NOW).output)
    assert unmasked[0]["phone"] == "13800138000"


def test_an_output_of_dash_is_stdout(office, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dashed = office("export", "-o", "-", now=NOW)
    assert dashed.exit_code == 0 and dashed.stdout == office("export", now=NOW).stdout
    assert not (tmp_path / "-").exists()  # never a file named "-"


def test_json_export_and_filters(office):
    everything = json.loads(office("export", "--format", "json", now=NOW).output)
    assert len(everything) == 5
    grade = everything[0]["grade"]
    only = json.loads(office("export", "--format", "json", "--grade", grade, now=NOW).output)
    assert only and {r["grade"] for r in only} == {grade}
    assert len(only) == sum(1 for r in everything if r["grade"] == grade)
    mine = json.loads(office("export", "--format", "json", "--owner", "王强", now=NOW).output)
    assert [r["name"] for r in mine] == ["王芳"]  # 周敏 only phoned: no owner
    bad = office("export", "--owner", "无名", now=NOW)
    assert bad.exit_code == 1 and "unknown agent" in bad.output
    assert office("export", "--industry", "nope", now=NOW).exit_code == 1


def test_xlsx_export_needs_a_file_and_writes_chinese_headers(office, tmp_path):
    assert office("export", "--format", "xlsx", now=NOW).exit_code == 2
    out = tmp_path / "leads.xlsx"
    result = office("--lang", "zh", "export", "--output", str(out), now=NOW)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:9] == ("编号", "行业", "姓名", "性别", "电话", "需求", "来访日期", "置业顾问", "来访方式")
    assert "购买力与首付能力" in rows[0]
    assert rows[1][2:5] == ("张伟", "男", "138****8000")
    assert len(rows) == 6
    # what a person reads is named in the reader's language, not as a code
    # (the round trip below reads each back as its code)
    by_header = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert {r["行业"] for r in by_header} == {"房地产"}
    assert [r["来访方式"] for r in by_header] == ["来访"] * 4 + ["来电"]
    assert {r["阶段"] for r in by_header} == {"客户积累"}
    power = {r["购买力与首付能力"] for r in by_header} - {None}
    assert power and all(p.startswith(("A：", "B：", "C：", "D：")) for p in power), power


def _snapshot(db_path):
    book = LeadBook.open(db_path, dt.datetime(2026, 3, 5, 10))
    try:
        out = []
        for r in book.list():
            record = book.record(r["id"])
            register = record.events[0]
            out.append((r["name"], r["gender"], r["phone"], r["need"], r["created_at"],
                        json.loads(r["attributes"]), register.agent, register.data.get("channel"),
                        r["grade"], r["score"], r["owner"], r["next_follow_up"]))
        return out
    finally:
        book.close()


@pytest.mark.parametrize("fmt, lang", [("csv", "en"), ("xlsx", "zh"), ("csv", "zh")])
def test_round_trip_through_import(office, db_path, tmp_path, runner, fmt, lang):
    out = tmp_path / f"all.{fmt}"
    assert office("--lang", lang, "--as", "陈经理", "export", "--unmask", "--output", str(out), now=NOW).exit_code == 0
    from leadcycle.cli import cli

    other = str(tmp_path / "other.db")
    runner.invoke(cli, ["--db", other, "init", "--industry", "realestate"])
    result = runner.invoke(cli, ["--db", other, "--now", NOW, "import", str(out), "--add-agents", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["imported"] == 5
    assert _snapshot(other) == _snapshot(db_path)
    # and importing the export into the database it came from adds nothing
    again = office("import", str(out), "--json", now=NOW)
    assert again.exit_code == 0, again.output
    out = json.loads(again.output)
    # the four register rows have the content the export wrote back (their
    # keys match); the lead added by hand is found on the log
    assert (out["imported"], out["merged"], out["already_imported"], out["unchanged"]) == (0, 0, 4, 1)


def test_masked_export_does_not_import(office, tmp_path):
    out = tmp_path / "masked.csv"
    office("export", "--output", str(out), now=NOW)
    result = office("import", str(out), "--json", now=NOW)
    assert result.exit_code == 1
    assert json.loads(result.output)["rejected"] == 5


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


@needs_fifo
def test_an_export_into_a_pipe_writes_into_it_and_leaves_the_pipe(office, tmp_path):
    # a device or a pipe (/dev/null, /dev/stdout, a FIFO) is written into, as
    # a shell's redirection would: swapping it for a file broke /dev/null for
    # every program on the machine
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("text", pipe.read_text(encoding="utf-8-sig")),
                              daemon=True)
    reader.start()
    result = office("export", "-o", str(pipe), now=NOW)  # no --force: nothing is replaced
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert [r["name"] for r in csv_rows(got["text"])] == ["张伟", "王芳", "刘洋", "陈静", "周敏"]


@needs_fifo
@pytest.mark.parametrize("args", [("backup", "{}"), ("serve", "--snapshot", "{}"),
                                  ("serve", "--metadata", "{}")])
def test_a_database_is_never_written_into_a_pipe(office, tmp_path, args):
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    if "--metadata" in args:  # the snapshot beside meta.json is meta.db: the pipe
        pipe = pipe.rename(tmp_path / "meta.db")
        args = ("serve", "--metadata", str(tmp_path / "meta.json"))
    result = office(*[a.format(pipe) for a in args], now=NOW)
    assert result.exit_code == 1
    assert "device or a pipe" in result.output and "Traceback" not in result.output
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_a_replaced_file_keeps_its_link_and_its_permissions(office, tmp_path):
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link.symlink_to(real)
    assert office("export", "-o", str(link), "--force", now=NOW).exit_code == 0
    assert link.is_symlink() and len(csv_rows(real.read_text(encoding="utf-8-sig"))) == 5
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    fresh = tmp_path / "fresh.csv"
    umask = os.umask(0o022)
    try:
        assert office("export", "-o", str(fresh), now=NOW).exit_code == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o644  # as any new file, not the private temporary's 0600
