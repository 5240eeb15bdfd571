"""``leadcycle report html`` (issue #16): the demo office's report drawn in
headless Chromium — every chart drawn as SVG with its title in zh and en, no
script error, no network, phones masked, every count linked to its leads."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from leadcycle import LeadBook
from leadcycle.reports import data, html

NOW = dt.datetime(2026, 9, 22, 18, 0)
START = dt.date(2026, 9, 9)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


needs_chromium = pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed "
                                    "(.ci/run installs it: apt-get install chromium)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo office (3 weeks), its report collected once for both languages."""
    from click.testing import CliRunner

    from leadcycle import loader
    from leadcycle.cli import cli

    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    loader.reset()
    result = CliRunner().invoke(cli, ["--db", path, "--now", "2026-09-01T09:00", "demo", "--days", "21"])
    assert result.exit_code == 0, result.output
    book = LeadBook.open(path, NOW)
    collected = data.collect(book, START, NOW.date(), data.Scope(book))
    yield path, book, collected
    book.close()


def dump_dom(page: str, tmp_path) -> str:
    """The page after its scripts ran, as Chromium sees it (file://, no network)."""
    target = tmp_path / "page.html"
    target.write_text(page, encoding="utf-8")
    proc = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--virtual-time-budget=20000", "--dump-dom", target.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def expected_titles(collected, lang: str) -> list[str]:
    t = lambda key, **kw: (html.T[key].format(**kw) if kw else html.T[key])(lang)  # noqa: E731
    titles = [t("grade_mix"), t("compliance"), t("first_call_back"), t("pool_flow"), t("phase"),
              t("followups"), t("abc"), t("matrix"), t("levels"), t("credit")]
    titles += [t("funnel", industry=f["label"][lang]) for f in collected["funnel"]]
    titles += [t("deals", by=label(lang)) for label in html.DEAL_BY.values()]
    return titles


@needs_chromium
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_draws_with_its_title(demo, tmp_path, lang):
    _, _, collected = demo
    page = html.render(collected, lang)
    assert "http://" not in page.split("<script>")[0] and "cdn" not in page.lower().split("<script>")[0]
    dom = dump_dom(page, tmp_path)
    errors = re.search(r'<pre id="errors">(.*?)</pre>', dom, re.S).group(1)
    assert errors == "", errors
    charts = re.findall(r'<div class="chart[^"]*" id="(chart\d+)"', page)
    drawn = int(re.search(r'data-charts-drawn="(\d+)"', dom).group(1))
    assert drawn == len(charts) >= 17
    # each chart's div holds a plotly SVG with marks, and its title as text
    for div in charts:
        start = dom.index(f'id="{div}"')
        block = dom[start:dom.find('class="chart', start + 10) if dom.find('class="chart', start + 10) > 0 else None]
        assert "main-svg" in block, div
        assert re.search(r"<(path|rect)[^>]+d=\"M", block) or "<rect" in block, div
    titles = re.findall(r'class="gtitle"[^>]*>([^<]*)<', dom)
    assert sorted(titles) == sorted(expected_titles(collected, lang))
    assert ("各顾问客户等级结构（按周）" in titles) == (lang == "zh")


def test_counts_link_to_their_leads_with_phones_masked(demo):
    path, book, collected = demo
    page = html.render(collected, "en")
    anchors = set(re.findall(r'href="#(L\d+)"', page))
    assert anchors and all(f'id="{a}"' in page for a in anchors)
    phones = [r["phone"] for r in book.list()]
    assert not [p for p in phones if p in page]
    assert re.search(r"1\d\d\*\*\*\*\d{4}", page)
    # a count says how many leads its list holds
    for anchor, n in re.findall(r'<a href="#(L\d+)">(\d+)</a>', page)[:50]:
        listed = re.search(rf'id="{anchor}"><h3>.*? \((\d+)\)</h3>', page).group(1)
        assert listed == n


def test_grade_mix_is_the_list_at_each_week_end(demo):
    _, book, collected = demo
    mix = collected["grade_mix"]
    assert mix["weeks"] == ["2026-09-15", "2026-09-22"]  # counted back from --to
    with book.at(dt.datetime(2026, 9, 15, 23, 59, 59)):
        rows = book.list(owner="李娜", grade="A")
    assert mix["agents"]["李娜"]["2026-09-15"]["A"]["lead_ids"] == [r["id"] for r in rows]


def test_overdue_is_due_at_the_period_end(demo):
    _, book, collected = demo
    with book.at(NOW):
        overdue = sorted(r["id"] for r in book.due() if r["next_follow_up"] < NOW.date().isoformat())
    listed = sorted(i for a in collected["compliance"]["agents"] for i in a["overdue"]["lead_ids"])
    assert listed == overdue
    for a in collected["compliance"]["agents"]:
        parts = [a[k]["lead_ids"] for k in ("on_time", "late", "open")]
        assert sorted(sum(parts, [])) == sorted(a["due"]["lead_ids"])


def test_the_command_writes_one_offline_file(demo, tmp_path, runner):
    path, _, _ = demo
    from leadcycle.cli import cli

    out = tmp_path / "r.html"
    result = runner.invoke(cli, ["--db", path, "--now", "2026-09-22T18:00", "--lang", "zh", "report", "html",
                                 "--industry", "software_sales", "--agent", "李娜", "--from", "2026-09-16",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "阶段漏斗：软件销售" in text and "房地产" not in text
    assert "<script src=" not in text


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-09-30"], "is after --to"),
    (["--to", "2026-10-01"], "a report cannot see the future"),
    (["--to", "2026-9-x"], "is not a date"),
    (["--team", "二组"], "no agent is in team '二组'"),
    (["--agent", "nobody"], "nobody"),
    (["--industry", "flowers"], "flowers"),
    (["--team", "一组", "--agent", "李娜"], "not both"),
])
def test_bad_input_is_one_line_and_writes_nothing(demo, tmp_path, runner, args, message):
    path, _, _ = demo
    from leadcycle.cli import cli

    out = tmp_path / "r.html"
    result = runner.invoke(cli, ["--db", path, "--now", "2026-09-22T18:00", "report", "html", "-o", str(out), *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_missing_extra_is_one_line(monkeypatch):
    import sys

    from leadcycle.errors import LeadcycleError
    from leadcycle.reports import need

    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)  # its import → ImportError
    with pytest.raises(LeadcycleError, match=r"pip install 'leadcycle\[report\]'"):
        need("plotly.graph_objects", "report")


def test_two_counts_of_the_same_leads_open_lists_with_their_own_titles(demo):
    """The funnel's "contract" and an agent's grade A may be the same
    leads: each link opens a list under its own title, not the first one's."""
    path, book, collected = demo
    page = html.Page(collected, "en")
    ids = [r["id"] for r in book.list()][:2]
    first, second = page.count(ids, "李娜 09-15: grade A"), page.count(ids, "funnel: contract")
    assert first != second and page.count(ids, "funnel: contract") == second
    lists = page.lead_lists()
    for link, title in ((first, "李娜 09-15: grade A"), (second, "funnel: contract")):
        anchor = re.search(r'href="#(L\d+)"', link).group(1)
        assert re.search(rf'id="{anchor}"><h3>{re.escape(title)} \(2\)</h3>', lists), title
