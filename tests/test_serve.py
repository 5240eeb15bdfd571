"""``leadcycle serve`` (issue #16): datasette's own test client serves the
masked snapshot with its zh/en metadata, facets and canned queries; no full
phone is anywhere in the file datasette reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3

import pytest
from click.testing import CliRunner

from leadcycle import LeadBook
from leadcycle.cli import cli

datasette_app = pytest.importorskip("datasette.app", reason="the 'serve' extra (datasette) is not installed")

NOW = dt.datetime(2026, 9, 12, 19)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leadcycle import loader

    tmp = tmp_path_factory.mktemp("serve")
    path = str(tmp / "demo.db")
    loader.reset()
    result = CliRunner().invoke(cli, ["--db", path, "--now", "2026-09-01T09:00", "demo", "--days", "11"])
    assert result.exit_code == 0, result.output
    meta = tmp / "metadata.json"
    result = CliRunner().invoke(cli, ["--db", path, "--now", NOW.isoformat(), "--lang", "zh", "serve",
                                      "--metadata", str(meta)])
    assert result.exit_code == 0, result.output
    snapshot = str(tmp / "metadata.db")
    ds = datasette_app.Datasette([snapshot], metadata=json.loads(meta.read_text(encoding="utf-8")))
    book = LeadBook.open(path, NOW)
    yield ds, snapshot, book
    book.close()


def get(ds, url):
    async def fetch():
        return await ds.client.get(url)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (url, response.text[:500])
    return response.json()


def test_the_metadata_is_served_in_both_languages(served):
    ds, _, _ = served
    meta = get(ds, "/-/metadata.json")
    tables = meta["databases"]["metadata"]["tables"]
    assert tables["leads"]["title"] == "意向客户 (Leads)"
    assert tables["leads"]["columns"]["phone"] == "电话（脱敏） (phone (masked))"
    assert tables["sqlite_stat1"] == {"hidden": True}
    assert set(meta["databases"]["metadata"]["queries"]) == {"due_today", "pool", "a_leads_per_agent"}


def test_facets_on_grade_stage_owner(served):
    ds, _, book = served
    data = get(ds, "/metadata/leads.json?_size=0&_extra=facet_results")
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"grade", "stage", "owner"} <= set(facets)
    grades = {f["value"]: f["count"] for f in facets["grade"]["results"]}
    expected: dict = {}
    for r in book.list():
        expected[r["grade"]] = expected.get(r["grade"], 0) + 1
    assert grades == {k: v for k, v in expected.items() if k is not None}


def test_canned_queries_answer_as_the_commands_do(served):
    ds, _, book = served
    rows = get(ds, f"/metadata/due_today.json?day={NOW.date()}&_shape=array")
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in book.due())
    assert all("****" in r["phone"] for r in rows)
    pool = get(ds, "/metadata/pool.json?_shape=array")
    assert [r["id"] for r in pool] == [r["id"] for r in book.list(pool=True)]
    per_agent = get(ds, "/metadata/a_leads_per_agent.json?_shape=array")
    assert {r["owner"]: r["a_leads"] for r in per_agent} == {
        a: len(book.list(grade="A", owner=a)) for a in {r["owner"] for r in book.list(grade="A") if r["owner"]}}


def test_no_full_phone_anywhere_in_the_snapshot(served):
    _, snapshot, book = served
    phones = {r["phone"] for r in book.list()}
    db = sqlite3.connect(snapshot)
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert set(names) >= {"leads", "contacts", "agents"}
    assert not {"events", "lead_state", "credit_ledger", "_sqlite_migrations"} & set(names)
    for table in names:
        for row in db.execute(f"SELECT * FROM [{table}]"):
            text = " ".join(str(v) for v in row)
            assert not any(p in text for p in phones), table
    db.close()


def test_a_note_with_a_phone_is_masked():
    from leadcycle.reports.serve import mask_text

    assert mask_text("请拨 13812341234 或 010-88886666") == "请拨 138****1234 或 010-****6666"
    assert mask_text("订单 2026091512345678") == "订单 2026091512345678"
