"""An import writes exactly what it wrote before it was made fast (issue #17).

The importer converts each distinct cell once (memoised per column), reads
text rows in one pass and encodes JSON with reused encoders. This test holds
it to what the import wrote before those changes: a register with every kind
of cell — dates in several forms (text, Excel serials, date cells, ``3月7日``),
areas, counts, booleans, choices by code and by label, multi-valued choices,
blanks, cells with spaces around, a formula-like text, merged cells in .xlsx,
repeated phones (the same client again, a family member, another person),
and bad rows — is imported as .csv and as .xlsx, and the leads, the events
(every stored column but the wall-clock ``recorded_at`` and the hash it
feeds), the counts and the rejects are compared with
``fixtures/import_golden.json``, written by the importer before the change.

To write the golden file again (only when an import's output is meant to
change): ``python tests/test_import_golden.py tests/fixtures/import_golden.json``
with the leadcycle to hold the others to.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "fixtures" / "import_golden.json"
NOW = "2026-03-05T10:00"
HEADERS = ["姓名", "性别", "手机", "需求", "来访日期", "置业顾问", "关系", "备注", "motivation", "funds",
           "面积（㎡）", "来访次数", "单位名义购房", "出生日期", "客户类型", "户型", "age", "最后跟进时间", "客户来源"]


def register_rows() -> list[list]:
    """The register's data rows; cells that an .xlsx holds as numbers or
    dates are Python numbers and dates here (the .csv writes them as text)."""
    rows = []
    dates = ["2025/12/8", "2025-12-09", "2025年12月10日", "12月11日", "20251212", "2025/12/13 14:30",
             dt.datetime(2025, 12, 14, 9, 15), dt.date(2025, 12, 15), 46006, "2025-12-17T02:00:00Z"]
    names = ["张伟", "王芳", "李娜娜", "刘先生", "陈女士", "赵敏", "孙丽", "周杰", "吴昊", "郑爽"]
    for i in range(40):
        rows.append([
            names[i % 10] + ("" if i < 10 or i % 10 in (3, 4) else str(i // 10)),
            ["男", "女", "M", "F", "先生", " 女 "][i % 6] if i % 10 not in (3, 4) else "",  # 3, 4: the title says
            f"138{i % 23:04d}{i:04d}",
            ["三房 120㎡", "  两房  ", "商铺", "别墅"][i % 4],
            dates[i % len(dates)],
            ["李娜", "王强", "", " 李娜 "][i % 4],
            "",
            ["", "周末再来", "=SUM(A1)", "'quoted"][i % 4],
            ["A", "B", " C ", "", "d"][i % 5],
            ["A", "", "B", "A"][i % 4],
            ["120㎡", "140-160", "95.5", "", 88, "100平"][i % 6],
            ["3次", "1", "", 2, "0"][i % 5],
            ["是", "否", "yes", "", "no"][i % 5],
            ["1985-04-12", "", "1990年5月6日", dt.date(1979, 1, 2), ""][i % 5],
            ["rational", "rational,task", "", "owner、friendly"][i % 4] if i % 7 else "",
            ["three_rooms", "", "两房", "villa"][i % 4],
            ["35", "", 41, " 28 "][i % 4],
            ["2025/12/20 10:00", "", "2025-12-21"][i % 3],
            ["walk_in", "", "referral"][i % 3],
        ])
    # the same client again (a return visit, an attribute changed), family, another person
    rows.append(["张伟", "男", "13800000000", "三房 120㎡", "2026/1/5", "李娜", "", "", "A", "B",
                 "", "", "", "", "", "", "", "", ""])
    rows.append(["张丽", "女", "13800000000", "三房", "2026/1/6", "李娜", "配偶", "", "", "", "",
                 "", "", "", "", "", "", "", ""])
    rows.append(["王五", "男", "13800000000", "两房", "2026/1/7", "王强", "", "", "", "", "", "",
                 "", "", "", "", "", "", ""])
    rows.append(["张伟", "男", "13800000000", "三房 120㎡", "2026/1/5", "李娜", "", "", "A", "B",
                 "", "", "", "", "", "", "", "", ""])
    # bad rows, one of each problem
    for bad in (["", "男", "13900000001"], ["某人", "X", "13900000002"], ["某人", "男", "123"],
                ["某人", "男", "13900000004", "两房", "2030/1/1"], ["某人", "男", "13900000005", "两房", "1月32日"],
                ["某人", "男", "13900000006", "两房", "", "", "", "", "E"],
                ["某人", "男", "13900000007", "两房", "", "", "", "", "", "", "", "三次"],
                ["某人", "男", "13900000008", "两房", "", "", "", "", "", "", "", "", "", "2030-01-01"],
                ["某人", "男", "13900000009", "两房", "", "", "", "", "", "", "", "", "", "", "", "", "200"],
                ["某人", "男", "13900000010", "两房", "2026/1/8", "不存在的人"],
                # two problems: the one named first is as it was (a register's form, then the basics,
                # then the fields)
                ["", "男", "13900000011", "两房", "", "", "", "", "E"],
                ["", "男", "13900000012", "两房", "", "", "", "", "", "", "", "三次"],
                ["某人", "男", "13900000013", "两房", "", "", "", "", "E", "", "", "", "", "1月32日"]):
        rows.append(bad + [""] * (len(HEADERS) - len(bad)))
    return rows


def write_csv(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for row in register_rows():
            w.writerow(["" if c is None else c.isoformat(sep=" ") if isinstance(c, dt.datetime)
                        else c.isoformat() if isinstance(c, dt.date) else c for c in row])


def write_xlsx(path: Path) -> None:
    """The rows on a sheet under a title row, the agent column merged
    down over each pair of rows whose second cell is empty (as a front desk
    merges them)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "三月"
    ws.append(["来访客户登记表"])
    ws.append(HEADERS)
    rows = register_rows()
    for row in rows:
        ws.append([None if c == "" else c for c in row])
    agent = HEADERS.index("置业顾问") + 1
    for i, row in enumerate(rows[:-14]):
        if row[agent - 1] == "" and i > 0 and rows[i - 1][agent - 1] != "":
            ws.merge_cells(start_row=i + 2, start_column=agent, end_row=i + 3, end_column=agent)
    wb.save(path)


def dump(db: str, result: dict, rejects: Path) -> dict:
    """What an import wrote, as JSON-able data."""
    from leadcycle.storage import AttributePlaces

    conn = sqlite3.connect(db)
    try:
        leads = conn.execute("SELECT id, industry, name, gender, phone, need, created_at, attributes, search "
                             "FROM leads ORDER BY id").fetchall()
        events = conn.execute("SELECT id, lead_id, kind, at, agent, data, note FROM events ORDER BY id").fetchall()
        # the attributes as the object a stored list stands for (sorted keys,
        # as the importer wrote them before they were kept at their places)
        places = AttributePlaces(conn)
        leads = [(*r[:7], json.dumps(places.decode(r[7]), ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")), r[8]) for r in leads]
    finally:
        conn.close()
    counts = {k: result[k] for k in ("imported", "merged", "unchanged", "rejected", "already_imported")}
    with open(rejects, encoding="utf-8-sig", newline="") as f:
        rejected = list(csv.reader(f))
    return {"leads": [list(r) for r in leads], "events": [list(r) for r in events], "counts": counts,
            "rejects": rejected}


def import_both(tmp: Path, invoke) -> dict:
    """Both files imported, each into a database of its own, by ``invoke(db, file) → result JSON``."""
    out = {}
    for kind, write in (("csv", write_csv), ("xlsx", write_xlsx)):
        path = tmp / f"register.{kind}"
        write(path)
        db = str(tmp / f"{kind}.db")
        result = invoke(db, str(path))
        out[kind] = dump(db, result, Path(str(path) + ".rejects.csv"))
    return out


def _cli_invoke(db: str, path: str) -> dict:
    from click.testing import CliRunner

    from leadcycle.cli import cli

    runner = CliRunner()
    for args in (["init", "--industry", "realestate"], ["agent", "add", "李娜"], ["agent", "add", "王强"]):
        assert runner.invoke(cli, ["--db", db, "--now", NOW, *args]).exit_code == 0
    r = runner.invoke(cli, ["--db", db, "--now", NOW, "import", path, "--industry", "realestate", "--json"])
    assert r.exit_code in (0, 1), r.output  # 1: some rows were rejected
    return json.loads(r.output)


def test_import_writes_what_it_wrote_before(tmp_path):
    got = import_both(tmp_path, _cli_invoke)
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for kind in ("csv", "xlsx"):
        assert got[kind]["counts"] == want[kind]["counts"], kind
        assert got[kind]["rejects"] == want[kind]["rejects"], kind
        assert got[kind]["leads"] == want[kind]["leads"], kind
        assert got[kind]["events"] == want[kind]["events"], kind
    # the register is varied enough to hold the importer to something
    assert got["csv"]["counts"]["merged"] >= 2 and got["csv"]["counts"]["rejected"] >= 10
    assert any('"area":150' in e[5] for e in got["csv"]["events"])


if __name__ == "__main__":  # write the golden file with the leadcycle on the path
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = import_both(Path(tmp), _cli_invoke)
    Path(sys.argv[1]).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
