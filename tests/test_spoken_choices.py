"""Fixed choices given in Chinese (``--reason 公务``), as operators say them."""

import click
import pytest

from leadcycle.cli import app
from leadcycle.cli.choices import Spoken


def _spoken_params():
    """Every option and argument of every command that takes a fixed choice in words."""
    out = []

    def walk(cmd, path):
        for p in cmd.params:
            if isinstance(p.type, Spoken):
                out.append((" ".join(path), p))
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name])

    walk(app.cli, [])
    return out


def test_the_fixed_choices_operators_type_take_chinese_words():
    found = {path for path, _ in _spoken_params()}
    for command in ("agent away", "agent role", "agent relation add", "penalty add", "dispute", "decide",
                    "reassign", "lead add"):
        assert command in found, command


@pytest.mark.parametrize("path,param", _spoken_params(), ids=lambda x: x if isinstance(x, str) else x.name)
def test_every_word_means_its_code_and_nothing_else_is_taken(path, param):
    for code, words in param.type.words.items():
        assert words, f"{path} {param.name}: {code} has no Chinese word"
        for word in (code, *words, f" {words[0]} ", code.upper()):
            assert param.type.convert(word, param, None) == code
    with pytest.raises(click.BadParameter) as e:
        param.type.convert("不知道", param, None)
    assert all(f"{code}({ws[0]})" in str(e.value) for code, ws in param.type.words.items())


def test_a_word_for_two_codes_is_refused_when_the_choice_is_made():
    with pytest.raises(ValueError, match="明知"):
        Spoken({"a": ("明知",), "b": ("明知",)})


def test_an_agent_marked_away_in_chinese(run):
    run("init", "--industry", "realestate", "--simulation", now="2026-03-01T09:00")
    run("agent", "add", "王强", now="2026-03-01T09:00")
    r = run("--lang", "zh", "agent", "away", "王强", "--reason", "公务", now="2026-03-01T09:05")
    assert r.exit_code == 0, r.output
    assert "公务外出" in r.output
    r = run("--lang", "en", "queue", now="2026-03-01T09:06")
    assert "away on company business" in r.output, r.output


def test_the_reception_says_who_it_skipped_and_why_in_the_reader_s_words(run):
    run("init", "--industry", "realestate", "--simulation", now="2026-03-01T09:00")
    for name in ("王强", "李娜", "赵敏"):
        run("agent", "add", name, now="2026-03-01T09:00")
    run("agent", "away", "王强", "--reason", "business", now="2026-03-01T09:05")
    run("agent", "away", "李娜", "--reason", "personal", now="2026-03-01T09:05")
    zh = run("--lang", "zh", "receive", now="2026-03-01T09:10").output
    assert "跳过 王强（公务）" in zh and "跳过 李娜（个人）" in zh and "business" not in zh, zh
    run("agent", "back", "王强", now="2026-03-01T09:20")
    run("agent", "away", "王强", "--reason", "business", now="2026-03-01T09:25")
    en = run("receive", now="2026-03-01T09:30").output
    assert "skipped 王强 (business)" in en, en


def test_a_buyer_s_relation_has_its_chinese_name():
    from leadcycle.registry import CORE_EVENT_KINDS

    (contract,) = [k for k in CORE_EVENT_KINDS if k.name == "contract"]
    assert [c.label.zh for c in contract.field("buyer_relation").choices] == [
        "配偶", "父母", "子女", "兄弟姐妹", "合伙人", "其他"]


def test_a_wrong_word_is_one_line_in_chinese_and_writes_nothing(run, db_path):
    import hashlib
    from pathlib import Path

    run("init", "--industry", "realestate", "--simulation", now="2026-03-01T09:00")
    run("agent", "add", "王强", now="2026-03-01T09:00")
    before = hashlib.sha256(Path(db_path).read_bytes()).hexdigest()
    r = run("--lang", "zh", "agent", "away", "王强", "--reason", "出去玩", now="2026-03-01T09:05")
    assert r.exit_code == 2
    assert "不是可选的值" in r.output and "business(公务)" in r.output
    assert "Traceback" not in r.output
    assert hashlib.sha256(Path(db_path).read_bytes()).hexdigest() == before


def test_help_in_chinese_shows_the_words():
    from click.testing import CliRunner

    r = CliRunner().invoke(app.cli, ["--lang", "zh", "agent", "away", "--help"])
    assert "business(公务)" in r.output
    r = CliRunner().invoke(app.cli, ["--lang", "en", "agent", "away", "--help"])
    assert "[personal|business|with_client]" in r.output


def test_the_words_name_exactly_the_codes_the_core_takes():
    """The CLI's words are the office's; the codes are the core's: a code
    the core adds or drops must be added to or dropped from its words."""
    from leadcycle import auth, ownership, penalties, reception
    from leadcycle.cli import choices
    from leadcycle.validate import FAMILY_RELATIONS
    from leadcycle.plugins.realestate import commands as realestate_commands, report as realestate_report

    assert set(choices.CLAIM_WORDS) == set(ownership.CLAIMS)
    assert set(choices.PROOF_WORDS) == set(ownership.PROOFS)
    assert set(choices.REGISTERED_AS_WORDS) == set(ownership.REGISTERED_AS)
    assert set(choices.RELATION_KIND_WORDS) == set(ownership.RELATIONS)
    assert set(choices.AWAY_WORDS) == set(reception.AWAY_REASONS)
    assert set(choices.PENALTY_WORDS) == set(penalties.KINDS)
    assert set(choices.ROLE_WORDS) == set(auth.ROLES)
    assert set(choices.RELATION_WORDS) == set(FAMILY_RELATIONS)
    assert set(realestate_commands.BY_WORDS) == set(realestate_report.BY)
