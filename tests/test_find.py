"""``leadcycle find``: the last digits of a phone, part of a name, pinyin."""

import json

from leadcycle.search import classify, search_key


def test_search_keys():
    assert search_key("张伟") == "zw zhangwei"
    assert search_key("ZHANG Wei") == "zw zhangwei"
    assert search_key("欧阳娜娜") == "oynn ouyangnana"
    assert search_key("張偉") == "zw zhangwei"  # traditional characters read the same
    assert search_key("") == ""
    assert classify("8000") == ("phone", "8000")
    assert classify("138 0013") == ("phone", "1380013")
    assert classify("12") == ("pinyin", "12")  # two digits are too few for a phone
    assert classify("ZhangWei") == ("pinyin", "zhangwei")
    assert classify("张") == ("name", "张")


def setup(run):
    run("init", "--industry", "realestate", "--industry", "software_sales")
    run("agent", "add", "李娜")
    for industry, name, phone in (("realestate", "张伟", "13800138000"), ("realestate", "王芳", "13900128000"),
                                  ("software_sales", "张伟强", "13700137001"), ("realestate", "赵敏", "010-88886666")):
        out = run("lead", "add", "--industry", industry, "--name", name, "--gender", "女", "--phone", phone,
                  "--need", "三房", "--agent", "李娜", now="2026-03-05T10:00")
        assert out.exit_code == 0, out.output


def found(run, *args):
    result = run("find", *args, "--json", now="2026-03-06")
    assert result.exit_code == 0, result.output
    return [(r["id"], r["name"]) for r in json.loads(result.output)]


def test_find_by_last_digits_name_and_pinyin(run):
    setup(run)
    assert found(run, "8000") == [(1, "张伟"), (2, "王芳")]  # the last four digits (尾号)
    assert found(run, "138000") == [(1, "张伟")]
    assert found(run, "6666") == [(4, "赵敏")]  # a landline's last digits
    assert found(run, "张伟") == [(1, "张伟"), (3, "张伟强")]  # the exact name first
    assert found(run, "zw") == [(1, "张伟"), (3, "张伟强")]
    assert found(run, "zwq") == [(3, "张伟强")]
    assert found(run, "ZhangWei") == [(1, "张伟"), (3, "张伟强")]
    assert found(run, "wangfang") == [(2, "王芳")]
    assert found(run, "zw", "--industry", "software_sales") == [(3, "张伟强")]
    assert found(run, "9999") == []
    assert found(run, "zw", "--limit", "1") == [(1, "张伟")]


def test_find_masks_phones_and_bad_input_is_one_line(run):
    setup(run)
    result = run("find", "8000", now="2026-03-06")
    assert "138****8000" in result.output and "13800138000" not in result.output
    assert "phones masked" in result.output
    empty = run("find", "  ")
    assert empty.exit_code == 1 and "give something to find" in empty.output
    bad = run("find", "zw", "--industry", "flowers")
    assert bad.exit_code == 1 and "flowers" in bad.output


def test_list_q_finds_as_find_does_within_the_other_filters(run):
    setup(run)

    def listed(*args):
        result = run("list", *args, "--json", now="2026-03-06")
        assert result.exit_code == 0, result.output
        return [r["id"] for r in json.loads(result.output)]

    assert listed("--q", "8000") == [1, 2]
    assert listed("--q", "zw") == [1, 3]
    assert listed("--q", "zw", "--industry", "realestate") == [1]
    assert listed("--q", "张伟", "--owner", "李娜") == [1, 3]
    assert listed("--q", "9999") == []
    empty = run("list", "--q", " ")
    assert empty.exit_code == 1 and "--q needs something to find" in empty.output


#: every character search keys convert (``search._is_cjk``), as one
#: process's pinyin, hashed: run in a fresh process, with or without
#: pypinyin's phrases
ALL_CHARACTERS = """
import hashlib, sys
if sys.argv[1] == "full":
    import pypinyin  # imported first: leadcycle keeps the whole library
from leadcycle import search
chars = [chr(c) for c in [*range(0x3400, 0xA000), *range(0xF900, 0xFB00)]]
text = "\\n".join(search._char_pinyin(ch) for ch in chars)
from pypinyin import constants
print(hashlib.sha256(text.encode()).hexdigest(), len(constants.PHRASES_DICT) > 0, search.search_key("张伟 绿长重"))
"""


def test_pinyin_without_phrases_is_every_characters_pinyin_with_them():
    """Search keys load pypinyin without its phrases (0.2 s of every
    ``lead add``): one character at a time, they never read one."""
    import subprocess
    import sys

    def run(mode):
        out = subprocess.run([sys.executable, "-c", ALL_CHARACTERS, mode], capture_output=True, text=True,
                             check=True)
        return out.stdout.split(" ", 2)

    lean, full = run("lean"), run("full")
    assert lean[1] == "False" and full[1] == "True"  # phrases not loaded, then loaded
    assert lean[0] == full[0] and lean[2] == full[2] == "zwlzz zhangweilvzhangzhong\n"
