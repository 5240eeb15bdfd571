"""The output flags of the family (issue #15): every command that prints
records takes --json, --nl, --csv, --tsv and --fmt NAME, and each reads
back; tables fit the terminal with Chinese text lined up."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from click.testing import CliRunner

from leadcycle.cli import cli
from leadcycle.cli.output import _width, _wrap, table
from conftest import DEMO_NOW

#: every command that prints records, as run on the demo database
RECORD_COMMANDS = [
    ("list", "--limit", "5"), ("due", "--agent", "李娜"), ("pool",), ("queue",), ("history", "1"),
    ("credit", "1"), ("accounts",), ("agent", "list"), ("agent", "relation", "list"), ("settings", "list"),
    ("report", "deals"), ("report", "sources"), ("report", "followups"), ("phase",),
    ("fields", "--industry", "realestate"), ("find", "李"), ("plugins",), ("revisit", "list"),
    ("revisit", "due"), ("review", "--dry-run"), ("rescore",),
]


def invoke(db, *args, env=None):
    result = CliRunner().invoke(cli, ["--db", db, "--now", DEMO_NOW, *args], env=env)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout  # the records; a note (a week already reviewed) goes to stderr


@pytest.mark.parametrize("args", RECORD_COMMANDS, ids=" ".join)
def test_every_flag_round_trips(demo_copy, args):
    as_json = json.loads(invoke(demo_copy, *args, "--json"))
    lines = invoke(demo_copy, *args, "--nl").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) for r in records)
    if isinstance(as_json, list):  # a list of records: --nl is the same records, one per line
        assert records == as_json
    for flag, delimiter in (("--csv", ","), ("--tsv", "\t")):
        rows = list(csv.reader(io.StringIO(invoke(demo_copy, *args, flag)), delimiter=delimiter))
        assert len(rows) == len(records) + 1, flag  # a header, then one row per record
        assert all(len(row) == len(rows[0]) for row in rows)
        header = rows[0]
        for row, record in zip(rows[1:], records):
            for key, cell in zip(header, row):
                value = record.get(key)
                expected = "" if value is None else value
                if isinstance(expected, (dict, list)):
                    assert json.loads(cell) == expected
                elif isinstance(expected, float):
                    assert float(cell) == expected
                elif isinstance(expected, bool):
                    assert cell == str(expected)
                else:
                    assert cell.lstrip("'") == str(expected), (flag, key)
    github = invoke(demo_copy, *args, "--fmt", "github")
    if records:
        assert github.splitlines()[1].startswith("|-")


def test_list_records_round_trip_in_every_format(demo_copy):
    """The same leads, whichever way they are asked for."""
    as_json = json.loads(invoke(demo_copy, "list", "--limit", "7", "--json"))
    assert len(as_json) == 7
    ids = [r["id"] for r in as_json]
    assert [json.loads(line)["id"] for line in invoke(demo_copy, "list", "--limit", "7", "--nl").splitlines()] == ids
    for flag, delimiter in (("--csv", ","), ("--tsv", "\t")):
        rows = list(csv.DictReader(io.StringIO(invoke(demo_copy, "list", "--limit", "7", flag)),
                                   delimiter=delimiter))
        assert [int(r["id"]) for r in rows] == ids
        assert [r["name"] for r in rows] == [r["name"] for r in as_json]
        assert all("****" in r["phone"] for r in rows)  # masked in every format
    plain = invoke(demo_copy, "list", "--limit", "7", "--fmt", "plain").splitlines()
    assert len(plain) == 8 and "leads" not in plain[-1]  # tabulate's table, no footer


def test_two_formats_at_once_are_a_usage_error(demo_copy):
    result = CliRunner().invoke(cli, ["--db", demo_copy, "list", "--nl", "--tsv"])
    assert result.exit_code == 2
    assert "choose one output format: --nl or --tsv" in result.output


def test_an_unknown_table_format_names_the_formats(demo_copy):
    result = CliRunner().invoke(cli, ["--db", demo_copy, "list", "--fmt", "fancy"])
    assert result.exit_code == 2
    assert "'fancy' is not a table format" in result.output and "github" in result.output


def test_an_empty_result_is_a_header_for_programs(demo_copy):
    out = invoke(demo_copy, "list", "--grade", "A", "--owner", "陈经理", "--csv")
    assert out.splitlines() == ["id,industry,name,phone,grade,score,stage,owner,next_follow_up,phone_masked"]
    assert invoke(demo_copy, "list", "--grade", "A", "--owner", "陈经理", "--nl") == ""
    assert json.loads(invoke(demo_copy, "list", "--grade", "A", "--owner", "陈经理", "--json")) == []


# ------------------------------------------------------------ the table


def test_widths_count_chinese_as_two_columns():
    assert _width("张伟") == 4
    assert _width("ab") == 2
    assert _width("é") == 1  # e + combining acute: one column
    assert _width("１２") == 4  # full-width digits


@given(st.text(alphabet=st.sampled_from("ab -3张伟。，（）😀\u2e7f\u2e80\uffff\U00010000"), max_size=12))
def test_a_line_breaks_between_runs_of_narrow_characters_and_each_wide_one(word):
    import re

    from leadcycle.cli.output import _atoms

    assert _atoms(word) == re.findall(r"[^\u2e80-\uffff]+|[\u2e80-\uffff]", word)


def test_known_widths_are_wcwidths_for_every_character_they_cover():
    # the table that spares --help wcwidth's import must never disagree with it
    from wcwidth import wcwidth

    from leadcycle.cli.output import KNOWN_WIDTHS

    for low, high, width in KNOWN_WIDTHS:
        assert [c for c in range(low, high + 1) if max(wcwidth(chr(c)), 0) != width] == [], hex(low)
    # and outside the table wcwidth answers: a combining mark, a tab, an emoji
    assert _width("e\u0301\t") == 1
    assert _width("😀") == 2


def test_wrapping_never_cuts_a_wide_character_and_stays_within_the_width():
    text = "贾静建土石方公司 site deadline 2026-10-06 passed"
    for width in range(2, 20):
        lines = _wrap(text, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(_width(line) <= width for line in lines), width
    assert _wrap("张伟张伟", 5) == ["张伟", "张伟"]  # 5 columns hold two characters, not two and a half
    assert _wrap("张伟张伟", 4) == ["张伟", "张伟"]  # exactly at the boundary


def test_a_table_fits_the_terminal_and_lines_up():
    rows = [(1, "贾静建土石方公司", "site deadline 2026-10-06 passed 7 days ago: ask the client"),
            (22, "张伟", "call back")]
    for width in (40, 60, 80):
        text = table(rows, ["lead", "name", "to do"], width=width)
        lines = text.splitlines()
        assert all(_width(line) <= width for line in lines), (width, text)
        # every line's second column starts where the header's does (Chinese counted as two)
        start = len(lines[1].split("  ")[0]) + 2
        for line in lines[2:]:
            head, rest = _split_at(line, start)
            assert _width(head) == start and head.endswith("  "), line
    wide = table(rows, ["lead", "name", "to do"], width=None)
    assert len(wide.splitlines()) == 4  # not fitted: one line per row


def _split_at(line: str, columns: int) -> tuple[str, str]:
    """``line`` cut after ``columns`` display columns."""
    n = 0
    for i, ch in enumerate(line):
        if n >= columns:
            return line[:i], line[i:]
        n += _width(ch)
    return line + " " * (columns - n), ""


def test_tables_fit_the_columns_variable(demo_copy):
    narrow = invoke(demo_copy, "due", "--agent", "李娜", env={"COLUMNS": "50"})
    assert max(_width(line) for line in narrow.splitlines()) <= 50
    piped = invoke(demo_copy, "due", "--agent", "李娜", env={"COLUMNS": ""})
    assert max(_width(line) for line in piped.splitlines()) > 50


def test_an_entrys_two_language_text_reads_in_the_readers_language():
    """A reason an entry stores in both languages ({"en": …, "zh": …}) is
    printed in the reader's, with or without the industry's words."""
    import datetime as dt

    from leadcycle.cli.output import event_line
    from leadcycle.model import Event

    level = Event(4, 1, "level", dt.datetime(2026, 3, 3, 10), None,
                  {"level": "C", "reason": {"en": "a clean quarter", "zh": "一个季度无问题"}})
    assert event_line(level, {}, "zh").endswith("level=C, reason=一个季度无问题")
    assert event_line(level, {}, "en").endswith("level=C, reason=a clean quarter")


def test_a_review_entry_reads_as_words_not_codes():
    """A downgrade's line: the change, who approved it and why, in the
    reader's language; not the rule's id, which the reason says in words."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle.cli.output import Words, event_line
    from leadcycle.i18n import set_language
    from leadcycle.model import Event

    book = LeadBook.create(":memory:", ["realestate"], now=dt.datetime(2026, 9, 21, 9))
    kinds = {k.name: k for k in book.registry.industry("realestate").event_kinds}
    review = Event(9, 1, "review", dt.datetime(2026, 9, 21, 8, 30), "陈经理",
                   {"from": "C", "to": "D", "approved_by": "陈经理", "rule": "c_to_d_approved", "week": "2026-W39",
                    "reason": {"en": "C → D approved by 陈经理", "zh": "经销售经理陈经理批准降为D类"}})
    lines = {}
    for lang in ("zh", "en"):  # the catalog a command of that language reads
        set_language(lang)
        lines[lang] = event_line(review, kinds, lang, words=Words(book, lang), industry="realestate")
    set_language(None)
    zh, en = lines["zh"], lines["en"]
    assert "批准人=陈经理" in zh and "原因=经销售经理陈经理批准降为D类" in zh and "周次=2026-W39" in zh
    assert all(part in en for part in ("change=C→D", "approved by=陈经理", "reason=C → D approved by 陈经理",
                                       "week=2026-W39"))
    assert "c_to_d_approved" not in zh + en and "approved_by" not in zh + en
    book.close()


def test_json_output_writes_a_plugin_s_set_as_its_sorted_members():
    """A plugin's derived value that is a set (tags, say) is written as its
    members in order; ``show --json`` stopped with a traceback."""
    from leadcycle.cli.output import dumps

    assert json.loads(dumps({"x_tags": {"b", "a"}, "x_codes": frozenset({3, 1})})) == {
        "x_tags": ["a", "b"], "x_codes": [1, 3]}
