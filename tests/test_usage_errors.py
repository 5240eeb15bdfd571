"""A bad option or argument is one line (what was wrong, and the help that
says what is right), exit 2, nothing written — not click's usage block."""
import hashlib

import pytest

CASES = [
    (("show", "0"), "'0' is not a lead id", "leadcycle show --help"),
    (("--now", "2026-13-01", "list"), "'2026-13-01' is not a time", "leadcycle --help"),
    (("industry",), "No such command 'industry'. Did you mean 'history'?", "leadcycle --help"),
    (("list", "--bogus"), "No such option '--bogus'", "leadcycle list --help"),
    (("lead", "add", "--name", "x", "--from-json", "nope.json"), "--name cannot be combined with --from-json",
     "leadcycle lead add --help"),
]


@pytest.mark.parametrize("args, said, help_", CASES)
def test_a_usage_error_is_one_line_naming_the_help(realestate_office, db_path, args, said, help_):
    run = realestate_office
    before = hashlib.sha256(open(db_path, "rb").read()).hexdigest()
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ") and said in lines[0] and lines[0].endswith(f"(see: {help_})"), lines
    assert hashlib.sha256(open(db_path, "rb").read()).hexdigest() == before


def test_in_chinese_too(realestate_office):
    result = realestate_office("--lang", "zh", "show", "abc")
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("错误：") and line.endswith("（参见：leadcycle show --help）") and "Try" not in line
