"""An office that runs one industry need not name it: ``lead add`` and
``import`` take the database's only enabled industry when ``--industry``
is left out; with two enabled, they ask, and write nothing."""
import json

T = "2026-03-05T10:00"
REGISTER = "姓名,性别,手机,需求,来访日期,置业顾问\n张伟,男,13800138000,三房,2026/3/4,李娜\n"


def _leads(run):
    result = run("list", "--json", now=T)
    assert result.exit_code == 0, result.output
    return [(r["name"], r["industry"]) for r in json.loads(result.stdout)]


def test_lead_add_and_import_take_the_only_industry(run, tmp_path):
    assert run("init", "--industry", "realestate", "--simulation", now=T).exit_code == 0
    assert run("agent", "add", "李娜", now=T).exit_code == 0
    r = run("lead", "add", "--name", "王芳", "--gender", "女", "--phone", "13900139000", "--need", "两房",
            "--agent", "李娜", now=T)
    assert r.exit_code == 0, r.output
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER, encoding="utf-8")
    r = run("import", str(register), "--json", now=T)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["imported"] == 1
    assert sorted(_leads(run)) == [("张伟", "realestate"), ("王芳", "realestate")]


def test_with_two_industries_both_ask_and_write_nothing(run, tmp_path):
    assert run("init", "--industry", "realestate", "--industry", "software_sales", "--simulation",
               now=T).exit_code == 0
    assert run("agent", "add", "李娜", now=T).exit_code == 0
    r = run("lead", "add", "--name", "王芳", "--gender", "女", "--phone", "13900139000", "--need", "两房", now=T)
    assert r.exit_code == 2 and "Missing option '--industry'" in r.stderr
    register = tmp_path / "reg.csv"
    register.write_text(REGISTER, encoding="utf-8")
    r = run("import", str(register), now=T)
    assert r.exit_code == 1
    assert r.stderr.strip() == "Error: which industry? give --industry NAME (or an industry column)"
    assert _leads(run) == []


def test_fields_takes_the_only_industry_and_asks_for_one_otherwise(run, tmp_path):
    """``fields`` needed --industry on a database of one industry (session 20)."""
    no_db = run("--db", str(tmp_path / "none.db"), "fields", now=T)
    assert no_db.exit_code == 2 and "Missing option '--industry'" in no_db.output
    assert not (tmp_path / "none.db").exists()
    assert run("init", "--industry", "machinery", "--simulation", now=T).exit_code == 0
    one = run("fields", now=T)
    assert one.exit_code == 0 and one.output.startswith("heavy machinery (machinery)"), one.output
    assert run("init", "--industry", "realestate", now=T).exit_code == 0  # enables a second one
    two = run("fields", now=T)
    assert two.exit_code == 2 and "Missing option '--industry'" in two.output
