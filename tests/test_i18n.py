"""Chinese first (issue #15): message catalogs, help in the reader's
language, summaries that fit, an example on every command."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from leadcycle import i18n
from leadcycle.cli import cli
from leadcycle.cli import messages


def commands():
    ctx = click.Context(cli)
    return [(group, name, cmd) for group, name, cmd in messages._commands(cli, ctx)]


def help_of(*args, lang="en", columns=80):
    result = CliRunner().invoke(cli, ["--lang", lang, *args, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


# ------------------------------------------------------------------ catalogs


def test_the_compiled_catalogs_are_current():
    assert messages.stale() == [], "run: make catalogs"


def test_every_marked_message_and_every_summary_has_a_chinese_translation():
    """What the code marks with _() and the command line's summaries and
    global options: a new one without its zh fails here (make catalogs
    brings it into the .po; translate it there)."""
    ctx = click.Context(cli)
    wanted = {m if isinstance(m, str) else m[0] for m, _ in messages.code_messages()}
    wanted |= set(messages.CLICK_MESSAGES)
    wanted |= {cmd.get_short_help_str(messages.summary_width(group, ctx)) for group, _, cmd in commands()}
    wanted |= {p.help for p in cli.params if getattr(p, "help", None)}
    wanted.add(cli.help and __import__("inspect").cleandoc(cli.help))
    missing = sorted(m for m in wanted if not i18n.has(m, "zh"))
    assert missing == []


def test_every_help_text_has_a_chinese_translation():
    """Every command's long help and every option's help (make catalogs
    brings a new one into the .po; translate it there)."""
    missing = sorted({m for m, _where in messages.help_messages() if m and not i18n.has(m, "zh")})
    assert missing == []


def _command_paths():
    ctx = click.Context(cli)

    def walk(group, path):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            yield path + [name], cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, path + [name])

    return list(walk(cli, []))


def test_every_commands_chinese_help_has_no_english_help_text():
    """What --help prints under --lang zh: the command's text and each
    option's help in Chinese (the English of neither is shown)."""
    import inspect

    for path, cmd in _command_paths():
        out = " ".join(help_of(*path, lang="zh", columns=200).split())
        english = [inspect.cleandoc(cmd.help or "").splitlines()[0]] + [
            p.help for p in cmd.params if getattr(p, "help", None)]
        shown = [text for text in english if text and " ".join(text.split()[:6]) in out]
        assert shown == [], (path, shown)


def test_every_translation_fills_only_placeholders_its_message_has():
    """A template's zh may leave a value out, never name one the code does
    not give (it would print the English instead); ``{zh}`` goes with a
    label's ``{en}``, ``{items_zh}`` with ``{items}``."""
    import string

    def names(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for m in messages.read("zh"):
        if not m.id or not m.string or isinstance(m.id, tuple):
            continue
        given = names(m.id) | ({"zh"} if "en" in names(m.id) else set()) | {f"{n}_zh" for n in names(m.id)}
        assert names(m.string) <= given, (m.id, m.string)


def test_the_language_comes_from_the_option_the_variable_or_the_locale(monkeypatch):
    for var in ("LEADCYCLE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.default_lang() == "zh"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")  # a language leadcycle does not speak
    assert i18n.default_lang() == "en"
    monkeypatch.setenv("LEADCYCLE_LANG", "zh")
    assert i18n.default_lang() == "zh"
    assert "用法" in CliRunner().invoke(cli, ["--help"]).output
    assert "Usage" in CliRunner().invoke(cli, ["--lang", "en", "--help"]).output


# ---------------------------------------------------------------------- help


def test_no_summary_is_cut_off_at_80_columns():
    groups = [()] + [tuple(path) for path in _group_paths()]
    for path in groups:
        out = help_of(*path)
        listing = out.split("Commands:")[-1]
        assert "..." not in listing and "…" not in listing, (path, listing)


def _group_paths():
    ctx = click.Context(cli)
    paths = []

    def walk(group, path):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                paths.append(path + [name])
                walk(cmd, path + [name])

    walk(cli, [])
    return paths


def test_every_command_shows_an_example():
    for group, name, cmd in commands():
        assert "Examples:" in (cmd.help or ""), name
        assert "\b" in cmd.help.split("Examples:")[1], f"{name}: the examples are a literal block (\\b)"


def test_examples_are_shown_by_help_as_written():
    out = help_of("lead", "add")
    assert "Examples:" in out
    assert '    --phone "+86 138-0013-8000" --need "三房 120㎡" --agent 李娜' in out


def test_help_in_chinese():
    out = help_of(lang="zh")
    assert out.startswith("用法：") and "选项：" in out and "命令：" in out
    assert "查找客户：电话尾号、姓名或拼音。" in out and "每位顾问今天要做的事。" in out
    assert "显示本帮助并退出。" in out
    for line in out.splitlines():  # wrapped by display width: a Chinese character takes two columns
        from leadcycle.cli.output import _width

        assert _width(line) <= 80, line
    sub = help_of("list", lang="zh")
    assert "输出 JSON。" in sub and "每行输出一个 JSON 对象。" in sub
    assert "用法：" in sub and "list [OPTIONS]" in sub


def test_lang_before_help_is_read_first():
    """--lang is eager, so it applies to a --help that follows it."""
    result = CliRunner().invoke(cli, ["--lang", "zh", "--help"])
    assert "命令：" in result.output


# ------------------------------------------------------------------- plugins


def test_plugins_show_versions_and_hide_the_cores_own(run):
    import json

    listed = json.loads(run("plugins", "--json").output)
    names = {p["name"] for p in listed}
    assert {"realestate", "software_sales", "machinery"} <= names
    assert "leadcycle.defaults" not in names
    from importlib.metadata import version

    assert all(p["version"] == version("leadcycle") and p["package"] == "leadcycle" for p in listed)
    everything = json.loads(run("plugins", "--all", "--json").output)
    assert "leadcycle.defaults" in {p["name"] for p in everything}
    table = run("plugins").output
    assert f"leadcycle {version('leadcycle')}" in table and "leadcycle.defaults" not in table


# ---------------------------------------------- every command, in each language

from conftest import DEMO_NOW  # noqa: E402

#: every command that prints on the demo database (what it prints in the
#: reader's language); \`plugins\` is left out: it lists the plugins' hook
#: implementations by their names, which are Python's
CLEAN = [
    ("list",), ("due",), ("due", "--agent", "李娜"), ("pool",), ("queue",), ("agent", "list"),
    ("review", "--dry-run"), ("rescore",), ("find", "李"), ("find", "zw"), ("credit", "1"),
    ("revisit", "list"), ("revisit", "due"), ("report", "sources"),
    ("history", "1"), ("history", "305"), ("phase",), ("accounts",), ("report", "deals"), ("report", "followups"),
    ("fields", "--industry", "realestate"), ("fields", "--industry", "software_sales"),
    ("fields", "--industry", "machinery"), ("settings", "list"), ("show", "1"), ("penalties",),
    ("agent", "relation", "list"), ("whoami",), ("verify",),
]

#: commands checked in Chinese only: the evening report has no --json to
#: tell its data (names, notes) from its words
ZH_ONLY = [("report", "daily")]

#: a code shown with its label beside it (visit（面访）), a path or a time
#: zone (plugins/machinery, Asia/Shanghai)
CODE_WITH_LABEL = __import__("re").compile(r"[A-Za-z0-9_.-]+(?=（)|\b[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+")

#: words that stay as they are in Chinese output: the program's name and
#: what follows it in a hint is a command line to type; units, brands, data
ALLOWED = {"leadcycle", "IT", "SaaS", "CRM", "ERP", "OA", "ABC", "EI", "EII", "EIII", "EIV", "yudao", "CordysCRM",
           "QQ", "sha"}  # sha256: the hash verify names

#: a hash as verify prints it (sha256 9f86…, --head 1234:9f86…): its letters are hex digits
HASH = __import__("re").compile(r"\b[0-9a-f]{16,64}\b")
ENGLISH_WORD = __import__("re").compile(r"(?<![-\w.#/])[A-Za-z][A-Za-z_]+")
COMMAND_LINE = __import__("re").compile(r"leadcycle(?:\s+[a-z][a-z-]*)+")  # a table may wrap it
CJK = __import__("re").compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _run_lang(db, lang, *args):
    result = CliRunner().invoke(cli, ["--db", db, "--now", DEMO_NOW, "--lang", lang, *args], env={"COLUMNS": ""})
    assert result.exit_code == 0, (args, result.output)
    return result.stdout if "--json" in args else result.output  # notes go to stderr, beside the JSON


def _codes(value) -> set[str]:
    """The codes ``fields --json`` lists: what an operator types (field and
    event kind names, choice values), shown beside their labels."""
    if isinstance(value, dict):
        own = {value[k] for k in ("name", "value") if isinstance(value.get(k), str)}
        return own.union(*(_codes(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_codes(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("args", CLEAN + ZH_ONLY, ids=" ".join)
def test_chinese_output_has_no_english_words(demo_copy, args):
    out = _run_lang(demo_copy, "zh", *args)
    out = CODE_WITH_LABEL.sub("", out)
    for given in args:  # what the operator typed comes back as typed
        out = out.replace(given, "")
    if args[0] == "fields":
        for code in sorted(_codes(__import__("json").loads(_run_lang(demo_copy, "zh", *args, "--json"))),
                           key=len, reverse=True):
            out = __import__("re").sub(rf"(?<![\w]){__import__('re').escape(code)}(?![\w])", "", out)
    out = TYPED.sub("", out)
    out = HASH.sub("", out)
    english = sorted({w for w in ENGLISH_WORD.findall(out) if w not in ALLOWED})
    assert english == [], out


def _data_strings(value) -> set[str]:
    """Every text in a command's JSON: names, needs, notes… (the data)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_data_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_data_strings(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("args", CLEAN, ids=" ".join)
def test_english_output_has_chinese_only_in_the_data(demo_copy, args):
    import json

    out = _run_lang(demo_copy, "en", *args)
    data = _data_strings(json.loads(_run_lang(demo_copy, "en", *args, "--json")))
    data |= _data_strings(json.loads(_run_lang(demo_copy, "en", "agent", "list", "--json")))  # names in reasons
    for text in sorted(data, key=len, reverse=True):
        if CJK.search(text):
            out = out.replace(text, "")
    # what the data quotes in Chinese, wherever a table wrapped it (a setting's source cites 004's words)
    quoted = {run for text in data for run in CJK.findall(text)}
    assert [run for run in CJK.findall(out) if run not in quoted] == [], out


#: writes on the demo database, each printing its confirmation and the lead's line
WRITES = [
    ("agent", "add", "小周"),
    ("lead", "add", "--industry", "realestate", "--name", "钱多多", "--gender", "男", "--phone", "13911112222",
     "--need", "两房", "--agent", "小周"),
    ("log", "2", "visit", "--agent", "李娜"),
    ("lead", "set", "2", "budget=120", "--agent", "李娜"),
    ("agent", "away", "小周", "--reason", "personal"),
    ("agent", "back", "小周"),
    ("agent", "relation", "add", "李娜", "--phone", "13900001111", "--relation", "friend"),
    ("penalty", "add", "王强", "--kind", "grabbing", "--amount", "200", "--note", "抢接客户", "--agent", "陈经理"),
    ("revisit", "plan", "2", "--at", "2027-01-05T14:00", "--content", "新楼盘推介", "--purpose", "邀约复访",
     "--agent", "李娜"),
    ("lead", "add", "--industry", "realestate", "--name", "钱太太", "--gender", "女", "--phone", "13911112222",
     "--need", "两房", "--agent", "小周", "--relation", "spouse"),
]


def test_what_writes_print_in_chinese_has_no_english_words(demo_copy):
    for args in WRITES:
        result = CliRunner().invoke(cli, ["--db", demo_copy, "--now", LATE, "--lang", "zh", *args],
                                    env={"COLUMNS": ""})
        assert result.exit_code == 0, (args, result.output)
        out = TYPED.sub("", result.output)
        for given in args:
            out = out.replace(given, "")
        english = sorted({w for w in ENGLISH_WORD.findall(out) if w not in ALLOWED})
        assert english == [], (args, result.output)


def test_the_checks_catch_what_they_look_for():
    """Both sides of the checks: English in Chinese output is found (a hint
    to type is not), Chinese outside the data is found."""
    assert ENGLISH_WORD.findall("3个客户 (pool)") == ["pool"]
    assert ENGLISH_WORD.findall(COMMAND_LINE.sub("", "认领：leadcycle claim 客户编号 --agent 姓名")) == []
    assert CJK.findall("3 leads 客户") == ["客户"]
    typed = TYPED.sub("", "错误：'abc' 不是整数；查看：leadcycle settings set core.x 12 --agent NAME, then retry")
    assert ENGLISH_WORD.findall(typed) == ["then", "retry"]


def test_chinese_input_where_a_code_is_asked(run):
    """男/女/先生/女士, 是/否/有/无, and choice labels in either language."""
    import json

    assert run("init", "--industry", "realestate", "--industry", "machinery", "--simulation").exit_code == 0
    run("agent", "add", "李娜")
    for n, gender in enumerate(("男", "女", "先生", "女士", "M", "F")):
        result = run("lead", "add", "--industry", "machinery", "--name", f"客户{n}", "--gender", gender,
                     "--phone", f"1390000000{n}", "--need", "挖掘机", "--agent", "李娜", "--json",
                     now="2026-03-05T10:00")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["gender"] == ("M" if gender in ("男", "先生", "M") else "F")
    for given, stored in (("是", True), ("有", True), ("否", False), ("无", False), ("yes", True)):
        result = run("lead", "set", "1", f"bargaining={given}", "--agent", "李娜", "--json", now="2026-03-05T11:00")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["attributes"]["bargaining"] is stored
    bad = run("lead", "set", "1", "bargaining=也许", "--agent", "李娜", now="2026-03-05T11:00")
    assert bad.exit_code == 1 and "也许" in bad.output


# ------------------------------------------------- domain errors, each language

#: a clock after every entry of the demo database, so that a write is
#: refused for the reason the case is about, not for a back-filled log
LATE = "2026-12-31T10:00"

#: one error of each kind an operator meets, from the modules that raise
#: them: (case, command line)
ERRORS = [
    ("unknown agent (api)", ("due", "--agent", "无名")),
    ("bad grade (api)", ("list", "--grade", "Z")),
    ("bad gender (validate)", ("lead", "add", "--industry", "realestate", "--name", "王五", "--gender", "X",
                               "--phone", "13900001111", "--need", "两房", "--agent", "李娜")),
    ("missing need (validate)", ("lead", "add", "--industry", "realestate", "--name", "王五", "--gender", "男",
                                 "--phone", "13900001111", "--agent", "李娜")),
    ("bad phone (phones)", ("lead", "add", "--industry", "realestate", "--name", "王五", "--gender", "男",
                            "--phone", "139", "--need", "两房", "--agent", "李娜")),
    ("bad date (model)", ("lead", "set", "1", "birth_date=2026-13-45", "--agent", "李娜")),
    ("bad time (revisit)", ("revisit", "plan", "1", "--at", "明天", "--content", "看房", "--purpose", "回访")),
    ("refused claim (ownership)", ("claim", "1", "--agent", "李娜")),
    ("bad setting value (settings)", ("settings", "set", "ownership.lunch_start", "25:00")),
    ("unknown setting (settings)", ("settings", "set", "core.lunch_start", "12:00")),
    ("no author (api)", ("log", "1", "visit")),
    ("not a manager (api)", ("approve", "1", "--agent", "李娜")),
    ("no such lead (storage)", ("show", "99999")),
    ("bad event id (corrections)", ("void", "1", "abc", "--reason", "录错", "--agent", "李娜")),
    ("unmask without --as (privacy)", ("show", "1", "--unmask")),
    ("no such import file (io)", ("import", "/nonexistent/登记表.xlsx", "--industry", "realestate")),
    ("unknown import column (io)", ("import", "{tmp}/登记表.csv", "--industry", "realestate")),
    ("unclosed quote (registers)", ("import", "{tmp}/引号.csv", "--industry", "realestate", "--agent", "李娜")),
    ("export into no folder (io)", ("export", "-o", "/nonexistent/客户.xlsx")),
    ("no database (storage)", ("--db", "{tmp}/没有.db", "list")),
]

#: what an error shows as it is to be typed: a whole command line with its
#: options and placeholders, a quoted value ('abc', the input or a choice),
#: a setting key (ownership.pool_claims), a placeholder or acronym (NAME, CSV)
TYPED = __import__("re").compile(r"leadcycle(?:\s+(?:--?[a-z][\w-]*|[a-z][\w.-]*|[A-Z][A-Z_]*|\S*/\S*"
                                 r"|[\u4e00-\u9fff]+(?=\s+[-a-zA-Z])))+"
                                 r"|'[^']*'|\b[a-z_]+(?:\.[a-z_][a-z0-9_]*)+\b|\b[A-Z][A-Z0-9_]+\b")
#: Chinese that an English message quotes on purpose: the input it accepts
#: (男/女, 先生/女士 for a gender; 转 for an extension)
ACCEPTED_INPUT = {"男", "女", "先生", "女士", "转"}


@pytest.fixture(scope="module")
def error_db(demo_db, tmp_path_factory):
    """A copy of the demo database and a register with columns nobody knows."""
    import shutil

    folder = tmp_path_factory.mktemp("errors")
    shutil.copy(demo_db, folder / "demo.db")
    (folder / "登记表.csv").write_text("客户名称,phon,a\n王五,13900001111,x\n", encoding="utf-8")
    (folder / "引号.csv").write_text('姓名,性别,电话,需求\n张三,男,13900001111,"两房\n李四,女,13900002222,三房\n',
                                   encoding="utf-8")
    return folder


def _error(folder, lang, args):
    args = [a.replace("{tmp}", str(folder)) for a in args]
    db = [] if args[0] == "--db" else ["--db", str(folder / "demo.db")]
    result = CliRunner().invoke(cli, [*db, "--now", LATE, "--lang", lang, *args], env={"COLUMNS": ""})
    assert result.exit_code != 0, (args, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, (args, result.output)
    return lines[0], args


@pytest.mark.parametrize("case,args", ERRORS, ids=[c for c, _ in ERRORS])
def test_a_domain_error_in_chinese_has_no_english_words(error_db, case, args):
    line, args = _error(error_db, "zh", args)
    assert line.startswith("错误："), line
    text = line
    typed = {part for a in args for part in (a, *a.split("="))}
    for given in sorted(typed, key=len, reverse=True):  # what the operator typed comes back as typed
        text = text.replace(given, "")
    text = TYPED.sub("", text)
    english = sorted({w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED})
    assert english == [], line


@pytest.mark.parametrize("case,args", ERRORS, ids=[c for c, _ in ERRORS])
def test_a_domain_error_in_english_has_chinese_only_in_the_data(error_db, demo_db, case, args):
    import json

    line, args = _error(error_db, "en", args)
    assert line.startswith("Error: "), line
    data = set(args) | ACCEPTED_INPUT | _data_strings(json.loads(_run_lang(demo_db, "en", "agent", "list", "--json")))
    for text in sorted(data, key=len, reverse=True):
        if CJK.search(text):
            line = line.replace(text, "")
    assert CJK.findall(line) == [], line


def test_a_bad_registration_file_says_what_is_wrong_in_the_readers_language(run, tmp_path):
    """``lead add --from-json``: cattrs' problems, one line, in the reader's
    language (the JSON path and the type names stay as JSON and Python spell them)."""
    bad = tmp_path / "登记.json"
    bad.write_text('{"industry": "realestate", "nam": "张三"}', encoding="utf-8")
    run("init", "--industry", "realestate")
    zh = run("--lang", "zh", "lead", "add", "--from-json", str(bad))
    assert zh.exit_code == 1 and zh.output.count("\n") == 1
    assert zh.output.startswith("错误：登记有误：缺少必填字段（位置 $.name）")
    assert "有多余的字段（nam）（位置 $）" in zh.output
    en = run("--lang", "en", "lead", "add", "--from-json", str(bad))
    assert en.output.startswith("Error: bad registration: required field missing @ $.name")


@pytest.mark.parametrize("args", [("list", "--limit", "abc"), ("list", "--nosuch"), ("export", "--format", "xyz"),
                                  ("rescore", "--batch-size", "x"), ("show",)], ids=" ".join)
def test_click_usage_errors_in_chinese_name_no_english_type(run, args):
    """click's own usage errors come from the catalog, without its English
    type names ("integer range")."""
    run("init", "--industry", "realestate")
    result = run("--lang", "zh", *args)
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("错误：")
    for given in args:
        line = line.replace(given, "")
    line = __import__("re").sub(r"'[^']*'", "", line)  # what to type: choices, a parameter's name
    english = sorted({w for w in ENGLISH_WORD.findall(line) if w not in ALLOWED})
    assert english == [], line


def _english_words(text: str) -> list[str]:
    text = HASH.sub("", TYPED.sub("", text))
    return sorted({w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED})


def test_an_import_says_why_it_rejected_rows_in_the_readers_language(run, tmp_path):
    """On screen and in FILE.rejects.csv: a bad phone, a date that is no
    date, an agent no one added, a missing basic — and a sheet with no
    header row, in a workbook."""
    import csv

    from openpyxl import Workbook

    assert run("init", "--simulation", "--industry", "realestate").exit_code == 0
    run("agent", "add", "李娜")
    path = tmp_path / "来访.csv"
    path.write_text("来访日期,姓名,性别,联系电话,需求,置业顾问\n"
                    "2026-03-05,甲,男,12345678901,三房,李娜\n"
                    "三月五日,乙,男,13800000002,三房,李娜\n"
                    "2026-03-05,丙,男,13800000003,三房,王五\n"
                    "2026-03-05,丁,男,13800000004,,李娜\n"
                    "2026-03-05,戊,男,13800000005,三房,李娜\n", encoding="utf-8")
    result = run("--lang", "zh", "import", str(path), "--industry", "realestate", "--dry-run", now="2026-04-10T10:00")
    rejected = [line for line in result.output.splitlines() if line.startswith("拒绝 ") and "：" in line]
    assert len(rejected) == 4, result.output
    for line in rejected:
        assert _english_words(line) == [], line
    run("--lang", "zh", "import", str(path), "--industry", "realestate", now="2026-04-10T10:00")
    with open(f"{path}.rejects.csv", encoding="utf-8-sig") as f:
        reasons = [row[1] for row in csv.reader(f)][1:]
    assert len(reasons) == 4 and all(_english_words(r) == [] for r in reasons), reasons
    assert any("不是有效的大陆号码" in r for r in reasons)

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由前台填写"])
    sheet = wb.create_sheet("三月")
    sheet.append(["来访日期", "姓名", "性别", "联系电话", "需求", "置业顾问"])
    sheet.append(["2026-03-06", "己", "女", "13800000006", "两房", "李娜"])
    book = tmp_path / "来访.xlsx"
    wb.save(book)
    result = run("--lang", "zh", "import", str(book), "--industry", "realestate", now="2026-04-10T10:00")
    said = [line for line in result.output.splitlines() if "说明" in line]
    assert said and all(_english_words(line) == [] for line in said), result.output


def test_the_html_report_and_the_daily_workbook_name_industries_and_stages_in_chinese(demo_copy, tmp_path):
    """The lists of leads behind the report's numbers and the evening
    workbook show 房地产 and 客户积累, not realestate and accumulation; the
    line the command prints is Chinese too."""
    from openpyxl import load_workbook

    page = tmp_path / "报告.html"
    result = CliRunner().invoke(cli, ["--db", demo_copy, "--now", DEMO_NOW, "--lang", "zh", "report", "html",
                                      "-o", str(page), "--industry", "realestate"])
    assert result.exit_code == 0, result.output
    assert _english_words(result.output.replace(str(page), "")) == [], result.output
    text = page.read_text(encoding="utf-8")
    lists = text[text.index('id="leads"'):]
    assert "<td>房地产</td>" in lists and "<td>realestate</td>" not in lists
    assert "<td>accumulation</td>" not in lists and "<td>客户积累</td>" in lists
    daily = tmp_path / "日报.xlsx"
    result = CliRunner().invoke(cli, ["--db", demo_copy, "--now", DEMO_NOW, "--lang", "zh", "report", "daily",
                                      "--format", "xlsx", "-o", str(daily)])
    assert result.exit_code == 0, result.output
    industries = {row[5] for ws in load_workbook(daily) for row in ws.iter_rows(min_row=2, values_only=True)}
    assert industries and industries <= {"房地产", "软件销售", "工程机械"}, industries


def test_the_demo_speaks_chinese(run):
    """The Quick start's main job: its summary in the reader's language,
    industries and stages by their names (房地产, 客户积累), the pool as 公共池."""
    result = run("--lang", "zh", "demo", "--days", "7")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "按等级：" in out and "房地产" in out and "客户积累" in out and "realestate" not in out
    tried = [line for line in out.splitlines() if "leadcycle --db" in line]  # commands to type
    assert len(tried) == 2 and tried[0].startswith("试试：")
    assert _english_words("\n".join(line for line in out.splitlines() if line not in tried)) == [], out


def _catalog_pairs(lang: str) -> list[tuple[str, str]]:
    import ast
    from pathlib import Path

    path = Path(i18n.LOCALE_DIR) / lang / "LC_MESSAGES" / "leadcycle.po"
    lines, pairs, i = path.read_text(encoding="utf-8").split("\n"), [], 0
    while i < len(lines):
        if lines[i].startswith("msgid "):
            mid = ast.literal_eval(lines[i][6:])
            i += 1
            while lines[i].startswith('"'):
                mid += ast.literal_eval(lines[i])
                i += 1
            if lines[i].startswith("msgstr "):
                ms = ast.literal_eval(lines[i][7:])
                i += 1
                while i < len(lines) and lines[i].startswith('"'):
                    ms += ast.literal_eval(lines[i])
                    i += 1
                pairs.append((mid, ms))
                continue
        i += 1
    return pairs


def test_a_command_a_chinese_hint_gives_takes_the_values_it_names():
    """A translated hint may translate its placeholders (姓名, 客户编号), never
    an option's fixed value: ``--reason 重新分配`` was refused by the very
    command the hint told the reader to type (--reason redistribute)."""
    import re

    ctx = click.Context(cli)
    found, unknown = [], []
    for text in (t for pair in _catalog_pairs("zh") for t in pair):
        for m in re.finditer(r"leadcycle((?: [a-z][a-z-]*)+)([^；。;\n()（）'，,]*)", text):
            words, rest = m.group(1).split(), m.group(2)
            cmd, group = cli, cli
            for w in words:
                sub = group.get_command(ctx, w) if isinstance(group, click.Group) else None
                if sub is None:
                    break
                cmd = group = sub
            options = {o: p for p in cmd.params for o in getattr(p, "opts", ())}
            if cmd is not cli:  # every option a hint names is one the command has
                unknown += [(text, opt) for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest)
                            if opt not in options and opt not in ("--db", "--now", "--lang", "--as", "--help")]
            for opt, value in re.findall(r"(--[a-z][a-z-]*)[ =]([^\s,，;；)）]+)", rest):
                param = options.get(opt)
                if param is None or not isinstance(param.type, click.Choice) or value.startswith("{"):
                    continue
                found.append((opt, value))
                for one in value.split("|"):  # a|b: either
                    try:
                        param.type.convert(one, param, None)
                    except click.BadParameter:
                        raise AssertionError((text, opt, value)) from None
    assert ("--reason", "redistribute") in found
    assert unknown == [], "\n".join(f"{o}: {t[:150]}" for t, o in unknown)


def test_a_count_a_setting_fills_in_says_one_day_not_one_days():
    from leadcycle import count_en

    assert [count_en(n, "day") for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert count_en(1, "visit") == "1 visit" and count_en(3, "visit") == "3 visits"
    assert count_en(2, "entry", "entries") == "2 entries"


def test_a_cadence_of_one_day_reads_in_the_singular(realestate_office):
    run = realestate_office
    assert run("settings", "set", "realestate.first_call_back_days", "1").exit_code == 0
    assert run("lead", "add", "--name", "张伟", "--gender", "男", "--phone", "13800138000", "--need", "三房",
               "--agent", "李娜", now="2026-03-05T10:00").exit_code == 0
    shown = run("--lang", "en", "show", "1", now="2026-03-05T10:00").output
    assert "first call-back within 1 day, then every" in shown, shown
    assert "1 days" not in shown


def test_ownership_commands_penalties_and_disputes_read_in_chinese(realestate_office):
    """Session 20's office tester: owner lines, the queue's refusal, derived
    penalties, entries by others and a dispute's codes came out in English
    under --lang zh."""
    run = realestate_office
    zh = lambda *args, now: run("--lang", "zh", *args, now=now)  # noqa: E731
    assert run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M", "--phone",
               "13800138000", "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00").exit_code == 0
    run("log", "1", "visit", "--agent", "王强", now="2026-03-03T10:00")  # 李娜 does not recognise them
    run("log", "1", "deposit", "--agent", "王强", now="2026-03-03T10:20")
    out = zh("penalties", now="2026-03-04T10:00").output
    assert "记录推定" in out and "李娜未在15" in out and "derived" not in out and "did not" not in out
    history = zh("history", "1", now="2026-03-04T10:00").output
    assert "来访      王强" in history and "visit" not in history
    run("dispute", "1", "--claim", "knowingly", "--agent", "李娜", now="2026-03-04T10:00")
    run("decide", "1", "upheld", "--agent", "陈经理", "--reason", "登记在先", now="2026-03-04T11:00")
    show = zh("show", "1", now="2026-03-04T12:00").output
    assert "争议类型=明知是他人客户仍接待" in show and "裁定=成立" in show and "upheld" not in show
    moved = zh("reassign", "1", "--to", "赵敏", "--reason", "complaint", "--agent", "陈经理", now="2026-03-04T12:00")
    assert moved.output.startswith("客户 #1 张伟：归属 赵敏\n  原因："), moved.output
    assert run("receive", now="2026-03-05T10:00").exit_code == 0
    r = zh("lead", "add", "--industry", "realestate", "--name", "刘洋", "--gender", "M", "--phone", "13900139000",
           "--need", "两房", "--agent", "赵敏", now="2026-03-05T10:01")
    assert r.exit_code == 1 and "排队把最近一位来访客户分给了" in r.output and "the queue" not in r.output
