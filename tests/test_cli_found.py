"""What a tester hunting for crashes met at the command line (session 18):
a refused ``init`` left a database behind (a trial one, which needs no
sign-in)."""

import json
import os

import pytest


@pytest.mark.parametrize("args, stdin, says", [
    (("--industry", "nope"), None, "unknown industry 'nope'"),
    (("--industry", "realestate", "--admin", "陈经理", "--password-stdin"), "12345", "at least 6 characters"),
    (("--industry", "realestate", "--admin", " ", "--password-stdin"), "secret1", "--admin needs the admin's name"),
])
def test_a_refused_init_creates_no_database(runner, tmp_path, args, stdin, says):
    from leadcycle.cli import cli

    db = str(tmp_path / "new.db")
    r = runner.invoke(cli, ["--db", db, "init", *args], input=stdin)
    assert r.exit_code != 0 and says in r.output and len(r.output.strip().splitlines()) == 1
    assert not [f for f in os.listdir(tmp_path) if f.startswith("new.db")]


def test_a_refused_init_of_an_existing_database_keeps_it(runner, tmp_path):
    from leadcycle.cli import cli

    db = str(tmp_path / "old.db")
    assert runner.invoke(cli, ["--db", db, "init", "--industry", "realestate"]).exit_code == 0
    r = runner.invoke(cli, ["--db", db, "init", "--industry", "nope"])
    assert r.exit_code == 1 and os.path.exists(db)
    assert "realestate" in runner.invoke(cli, ["--db", db, "init"]).output


@pytest.mark.parametrize("now, ok", [("2099-12-31T23:59-12:00", False), ("2000-01-01T00:00+14:00", False),
                                     ("2099-12-31T15:59+00:00", True), ("2000-01-01T00:00+08:00", True)])
def test_a_clock_with_an_offset_is_held_to_the_years_in_the_office_s_time(run, db_path, now, ok):
    """2099-12-31T23:59-12:00 is 2100-01-01 in Shanghai: a visit stamped
    then froze its lead for every clock a database takes."""
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    with open(db_path, "rb") as f:
        before = f.read()
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone", "13800138000",
            "--need", "三房", "--agent", "李娜", now=now)
    assert (r.exit_code == 0) is ok, r.output
    if not ok:
        assert "outside the years 2000–2099" in r.output and len(r.output.strip().splitlines()) == 1
        with open(db_path, "rb") as f:
            assert f.read() == before


def test_json_input_nested_past_sense_or_not_utf8_is_one_line(run, db_path, tmp_path):
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    nested = tmp_path / "d.json"
    nested.write_text("[" * 100000 + "\n", encoding="utf-8")
    lines = tmp_path / "d.jsonl"
    lines.write_text("[" * 100000 + "\n", encoding="utf-8")
    gbk = tmp_path / "g.jsonl"
    gbk.write_bytes('{"format":"叉"}\n'.encode("gb18030"))
    for args, says in ((("lead", "add", "--from-json", str(nested)), "is not valid JSON"),
                       (("import", str(lines)), "line 1 is not JSON"),
                       (("import", str(gbk)), "is not UTF-8 text")):
        r = run(*args, now="2026-03-05T10:00")
        assert r.exit_code == 1 and says in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output


def _leadcycle(db, *args, stdout, env=None):
    import subprocess
    import sys

    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADCYCLE_")}
    environ.update(LEADCYCLE_LANG="en", **(env or {}))
    return subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'leadcycle'; "
                           "from leadcycle.cli import main; main()", "--db", db, *args],
                          stdout=stdout, stderr=subprocess.PIPE, text=True, env=environ, timeout=120)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_output_that_cannot_be_printed_is_one_line_and_the_write_is_kept(tmp_path):
    import subprocess

    db = str(tmp_path / "x.db")
    assert _leadcycle(db, "init", "--industry", "realestate", "--simulation", stdout=subprocess.DEVNULL).returncode == 0
    add = ("--now", "2026-03-03T10:00", "lead", "add", "--industry", "realestate", "--name", "赵六", "--gender", "M",
           "--phone", "13800138003", "--need", "三房")
    with open("/dev/full", "w") as full:
        r = _leadcycle(db, *add, stdout=full)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == ("Error: could not print the output: No space left on device "
                                "(what the command wrote to the database is kept)")
    found = _leadcycle(db, "--now", "2026-03-03T11:00", "find", "8003", "--json", stdout=subprocess.PIPE)
    assert [row["name"] for row in __import__("json").loads(found.stdout)] == ["赵六"]
    latin = _leadcycle(db, "--now", "2026-03-03T11:00", "list", stdout=subprocess.PIPE,
                       env={"PYTHONIOENCODING": "latin-1"})
    assert latin.returncode == 1 and "Traceback" not in latin.stderr
    assert "the output's encoding (latin-1) cannot show this text" in latin.stderr


def _register(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("姓名,性别,手机,需求\n")
        for i in range(rows):
            phone = "12345" if i % 2 else f"139{i:08d}"  # every second row rejected
            f.write(f"客户{i},男,{phone},三房\n")


def test_an_interrupted_import_leaves_the_last_rejects_file_as_it_was(tmp_path, monkeypatch):
    """The rejects file is the whole run's: Ctrl-C half-way keeps the one
    before (it was removed, then half written); a run to the end replaces
    it, through a link as every written file is."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle import io as lio

    db = str(tmp_path / "x.db")
    book = LeadBook.create(db, ["realestate"], now=dt.datetime(2026, 3, 5, 10))
    register = str(tmp_path / "r.csv")
    _register(register, 40)
    real = tmp_path / "kept.csv"
    real.write_text("an earlier run's rejects\n", encoding="utf-8")
    os.symlink(real, register + ".rejects.csv")
    batches = {"n": 0}
    original = lio._import_batch

    def interrupted(*args, **kwargs):
        batches["n"] += 1
        if batches["n"] == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(lio, "_import_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lio.import_file(book, register, "realestate", batch_size=10)
    assert real.read_text(encoding="utf-8") == "an earlier run's rejects\n"
    monkeypatch.setattr(lio, "_import_batch", original)
    result = lio.import_file(book, register, "realestate", batch_size=10)
    assert len(result.rejects) == 20
    assert os.path.islink(register + ".rejects.csv")  # the link stays, the file it names is replaced
    assert len(real.read_text(encoding="utf-8-sig").splitlines()) == 21
    book.close()


@pytest.fixture
def one_lead(run):
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    r = run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone", "13800138000",
            "--need", "三房", "--agent", "李娜", now="2026-03-05T10:00")
    assert r.exit_code == 0, r.output
    return run


@pytest.mark.parametrize("text", ["８０００", "8000", "ｚｗ", "zw"])
def test_find_reads_full_width_as_an_ime_types_it(one_lead, text):
    import json

    r = one_lead("find", text, "--json", now="2026-03-05T11:00")
    assert [row["name"] for row in json.loads(r.output)] == ["张伟"], r.output


def test_a_name_of_two_agents_is_not_advised_as_an_agent_to_add(one_lead):
    r = one_lead("lead", "add", "--industry", "realestate", "--name", "王五", "--gender", "M", "--phone",
                 "13800138009", "--need", "三房", "--agent", "李娜/王强", now="2026-03-05T11:00")
    assert r.exit_code == 1 and "names more than one agent" in r.output and "agent add" not in r.output


def test_serve_refuses_one_file_for_the_snapshot_and_its_metadata(one_lead, tmp_path):
    pytest.importorskip("datasette")
    same = str(tmp_path / "q.json")
    r = one_lead("serve", "--metadata", same, "--snapshot", same, now="2026-03-05T11:00")
    assert r.exit_code == 2 and "name one file" in r.output and not os.path.exists(same)


def test_a_revisit_time_with_an_offset_is_kept_as_the_office_s_time(one_lead):
    """23:30Z is 07:30 the next morning in Shanghai: not overdue at 06:00."""
    import json

    r = one_lead("revisit", "plan", "1", "--at", "2026-03-18T23:30Z", "--content", "回访", "--purpose", "了解",
                 "--agent", "李娜", now="2026-03-05T10:00")
    assert r.exit_code == 0, r.output
    items = json.loads(one_lead("revisit", "due", "--agent", "李娜", "--json", now="2026-03-19T06:00").output)
    assert [i.get("days_overdue", 0) for i in items] == [0] and "07:30" in json.dumps(items, ensure_ascii=False)


def test_a_chinese_export_heads_a_field_with_its_own_industry_s_label(tmp_path):
    """A plugin's field named as another industry's (software sales'
    budget, 预算（万元）) is headed with its own label, and imports back."""
    import datetime as dt

    from leadcycle import Field, Industry, Label, LeadBook, hookimpl, loader
    from leadcycle import io as lio

    class Cars:
        @hookimpl
        def register_industries(self, register):
            register(Industry("vehicles", Label("car sales", "汽车销售"),
                              fields=(Field("budget", "int", Label("budget (yuan)", "购车预算（元）"), minimum=0),)))

    pm = loader.get_pm()
    pm.register(Cars(), name="vehicles")
    try:
        book = LeadBook.create(str(tmp_path / "vehicles.db"), ["vehicles"], now=dt.datetime(2026, 3, 5, 10))
        book.add_agent("李娜")
        book.add_lead("vehicles", name="张伟", gender="M", phone="13800138000", need="SUV", attributes={"budget": 150000},
                      agent="李娜")
        headers = lio.export_headers(book, ["name", "budget"], "zh")
        assert headers[1] == "购车预算（元）"
        out = str(tmp_path / "zh.csv")
        lio.export_to_file(book, out, "csv", lang="zh", unmask=True)
        book.close()
        again = LeadBook.create(str(tmp_path / "again.db"), ["vehicles"], now=dt.datetime(2026, 3, 6, 10))
        again.add_agent("李娜")
        result = lio.import_file(again, out, "vehicles")
        assert result.imported == 1 and json.loads(again.list()[0]["attributes"])["budget"] == 150000
        again.close()
        # and software sales' budget, in a database of that industry, keeps its own (in 万元)
        soft = LeadBook.create(str(tmp_path / "soft.db"), ["software_sales"], now=dt.datetime(2026, 3, 5, 10))
        assert lio.export_headers(soft, ["name", "budget"], "zh")[1] == "预算（万元）"
        soft.close()
    finally:
        pm.unregister(name="vehicles")


def test_a_revisit_time_with_an_offset_is_held_to_the_years_in_the_office_s_time(one_lead):
    r = one_lead("revisit", "plan", "1", "--at", "2099-12-31T23:59-12:00", "--content", "回访", "--purpose", "了解",
                 "--agent", "李娜", now="2026-03-05T10:00")
    assert r.exit_code == 1 and "after 2099" in r.output and len(r.output.strip().splitlines()) == 1
