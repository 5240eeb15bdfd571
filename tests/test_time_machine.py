"""``--now`` is a time machine (issue #17): a read at an earlier clock
answers as it would have then. The oracle is a replay: one database gets
every write of an office's scripted weeks, another only the writes up to a
cut; every read at the cut's clock must print the same on both.

Settings and the agents themselves are not dated (README): the scenarios
add every agent and set every setting before the first write; a week's
protection makes leads lapse into the pool within them.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from click.testing import CliRunner

from leadcycle.cli import cli

START = dt.datetime(2026, 3, 2, 9, 0)
AGENTS = ("李娜", "王强", "赵敏")
NAMES = ("张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "黄磊", "周杰")
#: per industry: what an agent rates (KEY=VALUE choices) and logs
RATINGS = {
    "realestate": {k: "ABCD" for k in ("motivation", "region", "product", "price", "funds", "expected_deal",
                                        "contact", "mortgage")},
    "software_sales": {k: ("yes", "no") for k in ("has_need", "has_budget", "has_intent", "has_pain",
                                                  "decision_maker")},
    "machinery": {"has_site": ("yes", "no"), "funds_ready": ("yes", "no"), "asked_price": ("yes", "no"),
                  "brand_view": ("accepts", "relatively", "undecided", "rejects"),
                  "purchase_date": ("2026-03-20", "2026-05-01", "2026-09-01"), "purchase_volume": "12345"},
}
LOGGED = {"realestate": ("visit", "call", "follow_up"), "software_sales": ("call", "visit", "follow_up"),
          "machinery": ("visit", "call", "follow_up")}


def _writes(seed: int, industry: str = "realestate") -> list[tuple[dt.datetime, tuple[str, ...]]]:
    """Three weeks of a sales office, in time order: registrations,
    ratings, renames, visits and calls, reassignments, away and back,
    walk-ins received, and one agent who leaves."""
    rng = random.Random(seed)
    ratings = RATINGS[industry]
    at, out, leads = START, [], 0
    for _ in range(34):
        at += dt.timedelta(hours=rng.choice((2, 5, 9, 20, 27)))
        roll = rng.random()
        if leads == 0 or roll < 0.22:
            leads += 1
            out.append((at, ("lead", "add", "--industry", industry, "--name", rng.choice(NAMES), "--gender",
                             "男", "--phone", f"1380013{leads:04d}", "--need", "三房", "--agent",
                             rng.choice(AGENTS), "--different-person")))
            continue
        lead = str(rng.randint(1, leads))
        if roll < 0.40:
            out.append((at, ("lead", "set", lead, *(f"{k}={rng.choice(ratings[k])}" for k in rng.sample(
                sorted(ratings), 3)), "--agent", "陈经理")))
        elif roll < 0.47:
            out.append((at, ("lead", "set", lead, f"name={rng.choice(NAMES)}明", f"phone=1390013{rng.randint(0, 9999):04d}",
                             "--agent", "陈经理")))
        elif roll < 0.65:
            kind = rng.choice(LOGGED[industry])
            told = ("--set", "purpose=了解进场时间") if industry == "machinery" and kind != "follow_up" else ()
            said = ("--set", "reaction=positive", "--note", "约下周面谈") if kind == "follow_up" else ()
            out.append((at, ("log", lead, kind, "--agent", rng.choice(AGENTS), *told, *said)))
        elif roll < 0.75:
            out.append((at, ("reassign", lead, "--to", rng.choice(AGENTS), "--reason", "redistribute",
                             "--agent", "陈经理")))
        elif roll < 0.83:
            out.append((at, ("agent", "away", rng.choice(AGENTS), "--reason", rng.choice(("business", "personal")))))
        elif roll < 0.90:
            out.append((at, ("agent", "back", rng.choice(AGENTS))))
        else:
            out.append((at, ("receive",)))
    at += dt.timedelta(hours=3)
    out.insert(rng.randint(len(out) // 2, len(out)), (at, ("agent", "leave", "王强")))
    out.sort(key=lambda w: w[0])
    return out


def _office(path: str, industry: str = "realestate") -> None:
    for args in (("init", "--industry", industry, "--simulation"),
                 *(("agent", "add", a, "--team", "一组") for a in AGENTS),
                 ("agent", "add", "陈经理", "--team", "一组", "--manager"),
                 # a week's protection: leads lapse into the pool within the weeks
                 ("settings", "set", "ownership.protection_days" if industry == "realestate"
                  else f"{industry}.protection_days", "7")):
        result = CliRunner().invoke(cli, ["--db", path, "--now", START.isoformat(), *args])
        assert result.exit_code == 0, result.output


def _write(path: str, writes) -> list[int]:
    codes = []
    for at, args in writes:
        codes.append(CliRunner().invoke(cli, ["--db", path, "--now", at.isoformat(), *args]).exit_code)
    return codes


READS = (
    ("list", "--json"), ("list", "--q", "138", "--json"), ("find", "张", "--json"), ("due", "--json"),
    ("due", "--agent", "王强", "--json"), ("pool", "--json"), ("agent", "list", "--json"), ("queue", "--json"),
    ("show", "1", "--json"), ("history", "1", "--json"), ("report", "daily", "--json"), ("penalties", "--json"),
    ("credit", "1", "--json"), ("revisit", "list", "--json"), ("report", "sources", "--json"),
    ("review", "--dry-run", "--json"), ("export", "--format", "json", "-o", "-"),
)


def _read(path: str, clock: dt.datetime, args) -> tuple[int, object]:
    result = CliRunner().invoke(cli, ["--db", path, "--now", clock.isoformat(), "--lang", "en", *args])
    if result.exit_code != 0:
        return result.exit_code, result.output.strip().splitlines()[-1:]
    shown = json.loads(result.stdout)
    if isinstance(shown, dict):
        shown.pop("later_entries", None)  # says entries after the clock exist: the only allowed difference
    return 0, shown


@pytest.mark.parametrize("industry, seed", [("realestate", 1), ("realestate", 2), ("realestate", 3),
                                            ("software_sales", 1), ("software_sales", 2), ("machinery", 1),
                                            ("machinery", 2)])
def test_a_read_at_an_earlier_clock_prints_what_it_printed_then(tmp_path, industry, seed):
    writes = _writes(seed, industry)
    full = str(tmp_path / "full.db")
    _office(full, industry)
    codes = _write(full, writes)
    assert codes.count(0) >= len(codes) * 2 // 3, codes  # the weeks mostly happen
    cuts = sorted({writes[len(writes) // 3][0], writes[len(writes) // 2][0] + dt.timedelta(minutes=30),
                   writes[-4][0]})  # at a write, between two, near the end
    for n, clock in enumerate(cuts):
        cut = str(tmp_path / f"cut{n}.db")
        _office(cut, industry)
        done = [w for w in writes if w[0] <= clock]
        assert _write(cut, done) == codes[:len(done)]
        for args in READS:
            assert _read(cut, clock, args) == _read(full, clock, args), (clock, args)


def test_a_rescore_before_a_lead_was_registered_does_not_count_it(run):
    """rescore's counts are what list sees at its clock: a lead registered
    the next day is in neither (and a later read still finds it)."""
    assert run("init", "--industry", "realestate", "--simulation").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    assert run("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "男", "--phone",
               "13800138000", "--need", "三房", "--agent", "李娜", now="2026-03-02T10:00").exit_code == 0
    early = "2026-03-01T00:00"
    before = {read: run(read, "--json", now=early).output for read in ("list", "pool", "due")}
    result = run("rescore", "--json", now=early)
    assert result.exit_code == 0 and json.loads(result.output) == {}
    # the early rescore stored nothing a read at its clock would show
    assert {read: run(read, "--json", now=early).output for read in ("list", "pool", "due")} == before
    assert json.loads(before["list"]) == []
    counted = json.loads(run("rescore", "--json", now="2026-03-02T10:00").output)
    assert sum(counted["realestate"].values()) == 1
    assert [r["id"] for r in json.loads(run("list", "--json", now="2026-03-03T00:00").output)] == [1]


@pytest.mark.parametrize("industry, seed", [("realestate", 1), ("software_sales", 1), ("machinery", 1)])
def test_a_rescore_at_an_earlier_clock_leaves_that_clock_s_answers(tmp_path, industry, seed):
    """``rescore --now T`` on a simulation database stores every lead's
    row for T; what every read prints at T is what it printed before
    (leads registered after T stay out of it)."""
    import shutil

    writes = _writes(seed, industry)
    full = str(tmp_path / "full.db")
    _office(full, industry)
    _write(full, writes)
    for n, clock in enumerate(sorted({writes[len(writes) // 3][0] - dt.timedelta(minutes=1), writes[-4][0]})):
        copy = str(tmp_path / f"rescored{n}.db")
        shutil.copy(full, copy)
        result = CliRunner().invoke(cli, ["--db", copy, "--now", clock.isoformat(), "rescore"])
        assert result.exit_code == 0, result.output
        for args in READS:
            assert _read(copy, clock, args) == _read(full, clock, args), (clock, args)
