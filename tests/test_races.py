"""Races (issue #14): the live clock is read under the write lock, the review
decides and writes in one transaction, and concurrent processes on one
database file never see a refused write or a stale decision."""

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from leadcycle import LeadBook, LeadcycleError, hookimpl, loader

NOW = "2026-03-05T10:00"
OFFICE = ZoneInfo("Asia/Shanghai")

# A CLI process with a simulated slow moment, chosen by environment variables:
#   H3_DELAY_BEFORE_LOCK=S  sleeps S seconds before the command's first write transaction
#   H3_SLOW_D_QUERY=FLAG    the review's query of grade-D leads touches FLAG, then sleeps 2 s
CHILD = r"""
import contextlib, os, sys, time
from leadcycle import storage

delay = float(os.environ.get("H3_DELAY_BEFORE_LOCK") or 0)
if delay:
    original = storage.Store.transaction
    waited = []

    @contextlib.contextmanager
    def late(self, **kw):
        if not waited and not self.conn.in_transaction:
            waited.append(True)
            time.sleep(delay)
        with original(self, **kw) as store:
            yield store

    storage.Store.transaction = late

flag = os.environ.get("H3_SLOW_D_QUERY")
if flag:
    query = storage.Store.query_leads

    def slow(self, *a, **kw):
        rows = query(self, *a, **kw)
        if kw.get("grade") == "D":
            open(flag, "w").close()
            time.sleep(2)
        return rows

    storage.Store.query_leads = slow

from leadcycle.cli import main
main()
"""


def office_clock() -> dt.datetime:
    return dt.datetime.now(OFFICE).replace(tzinfo=None, microsecond=0)


def spawn(db_path, *args, **env):
    return subprocess.Popen([sys.executable, "-c", CHILD, "--db", db_path, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **env})


@pytest.fixture
def office(realestate_office):
    return realestate_office


def events_of(db_path, lead_id):
    book = LeadBook.open(db_path)
    try:
        return book.store.events_for(lead_id)
    finally:
        book.close()


# ------------------------------------------------------------------ clock


def test_live_clock_is_read_after_the_write_lock(office, db_path):
    """Another writer holds the lock 1.5 s: the log waits, and its event
    carries the time it got the lock, not the time it was asked for."""
    office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
           "--phone", "13800138000", "--need", "三房", "--agent", "李娜")
    locked, released = threading.Event(), {}

    def hold():
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(1.5)
        released["at"] = office_clock()
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(5)
    asked = office_clock()
    book = LeadBook.open(db_path)
    try:
        event, _ = book.log(1, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")
    finally:
        book.close()
    holder.join()
    stored = events_of(db_path, 1)[-1]
    assert stored.at == event.at >= released["at"] > asked


def test_successive_writes_in_one_process_read_the_clock_again(office, db_path):
    book = LeadBook.open(db_path)
    try:
        added = book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房",
                              agent="李娜")
        time.sleep(1.05)
        event, _ = book.log(added.lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")
        registered = book.store.events_for(added.lead.id)[0]
        assert event.at > registered.at
        with book.store.transaction():  # one transaction, one moment
            first = book.now
            time.sleep(1.05)
            assert book.now == first
        assert book.now > first
    finally:
        book.close()


def test_a_fixed_clock_is_unchanged(office, db_path):
    fixed = dt.datetime(2026, 3, 5, 10, 0)
    book = LeadBook.open(db_path, now=fixed)
    try:
        added = book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房",
                              agent="李娜")
        with book.at(fixed + dt.timedelta(hours=2)):
            event, _ = book.log(added.lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")
        assert [e.at for e in book.store.events_for(added.lead.id)] == [fixed, fixed + dt.timedelta(hours=2)]
        with book.store.transaction():
            assert book.now == fixed
    finally:
        book.close()
    # --now: a time earlier than the lead's last event is still refused (no back-filling)
    late = office("log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", "回访",
                  now="2026-03-05T11:00")
    assert late.exit_code == 1 and "is before lead #1's last event" in late.output


def test_plugin_events_built_before_the_lock_are_stamped_inside(office, db_path):
    """A plugin that builds its event with ``book.now`` before calling
    ``append`` (as the built-in commands do) still writes the moment of the
    lock: ``append`` stamps events with the live clock."""
    from leadcycle import Event

    book = LeadBook.open(db_path)
    try:
        lead = book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房",
                             agent="李娜").lead
        early = Event(None, lead.id, "follow_up", book.now - dt.timedelta(hours=1), "李娜", {})
        book.append(lead.id, [early])
        stored = book.store.events_for(lead.id)
        assert stored[-1].at >= stored[0].at and stored[-1].at > early.at
    finally:
        book.close()


def test_concurrent_logs_without_now_are_all_accepted_in_time_order(office, db_path):
    """Six processes log on one lead with the live clock. Each waits a
    different time between starting and taking the write lock — the later
    it starts, the sooner it locks — so a clock read before the lock would
    be out of order and refused."""
    office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
           "--phone", "13800138000", "--need", "三房", "--agent", "李娜")
    n = 6
    procs = []
    for i in range(n):
        procs.append(spawn(db_path, "log", "1", "follow_up", "--agent", "李娜", "--reaction", "positive", "--note", f"p{i}",
                           H3_DELAY_BEFORE_LOCK=str(0.4 * (n - i))))
        time.sleep(0.3)
    outputs = [(p.wait(60), p.stdout.read()) for p in procs]
    assert [code for code, _ in outputs] == [0] * n, outputs
    events = events_of(db_path, 1)
    assert len(events) == n + 1
    times = [e.at for e in events]
    assert times == sorted(times)


# ----------------------------------------------------------------- review


def _d_lead(office):
    """Lead #1, rated D on every capping dimension's worst and moved into D
    by the manager (a grade needs all six; D needs the approval)."""
    ratings = [f"{d}=A" for d in ("region", "product", "price", "funds", "expected_deal")] + ["motivation=D"]
    add = office("lead", "add", "--industry", "realestate", "--name", "张伟", "--gender", "M",
                 "--phone", "13800138000", "--need", "三房", "--agent", "李娜",
                 *(x for r in ratings for x in ("--set", r)), now=NOW)
    assert add.exit_code == 0, add.output
    approved = office("approve", "1", "--agent", "陈经理", "--yes", now=NOW)
    assert approved.exit_code == 0, approved.output


def test_review_racing_with_lead_set_decides_on_what_it_reads(office, db_path):
    """A D lead is lifted by a manager while a slow review is analysing:
    the lift waits for the review's transaction, so the lead is pooled as
    the D it was when the review read it, and the lift comes after — never
    a pooling written after (and in spite of) the raise. (An agent's own
    re-rating no longer raises a manager's D, issue #11.)"""
    _d_lead(office)
    flag = os.path.join(os.path.dirname(db_path), "reviewing")
    later = "2026-03-06T10:00"
    reviewer = spawn(db_path, "--now", later, "review", H3_SLOW_D_QUERY=flag)
    deadline = time.monotonic() + 30
    while not os.path.exists(flag):
        assert reviewer.poll() is None and time.monotonic() < deadline, reviewer.stdout.read()
        time.sleep(0.05)
    setter = spawn(db_path, "--now", later, "lift", "1", "--agent", "陈经理")  # a manager lifts the D
    assert reviewer.wait(60) == 0, reviewer.stdout.read()
    assert setter.wait(60) == 0, setter.stdout.read()
    events = events_of(db_path, 1)
    pooled = [e.id for e in events if e.kind == "owner" and e.data.get("rule") == "d_pool"]
    raised = [e.id for e in events if e.kind == "review" and e.data.get("rule") == "lifted"]
    assert len(pooled) == 1 and len(raised) == 1 and pooled[0] < raised[0], events


def test_review_sees_a_raise_that_landed_first(office):
    _d_lead(office)
    assert office("lift", "1", "--agent", "陈经理", now="2026-03-06T09:00").exit_code == 0
    out = office("review", "--json", now="2026-03-06T10:00")
    assert out.exit_code == 0 and "pool" not in out.output


def _dump(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_review_dry_run_writes_nothing(office, db_path):
    _d_lead(office)
    before = _dump(db_path)
    dry = office("review", "--dry-run", now="2026-03-20T10:00")  # later: the projection would be refreshed
    assert dry.exit_code == 0 and "李娜 → pool" in dry.output and "proposed (dry run)" in dry.output
    assert _dump(db_path) == before
    real = office("review", now="2026-03-20T10:00")
    assert real.exit_code == 0 and "李娜 → pool" in real.output
    assert _dump(db_path) != before


class Exploding:
    """A plugin whose review raises after the built-in reviews wrote."""

    @hookimpl(trylast=True)
    def run_review(self, book, apply):
        raise RuntimeError("disk of the CRM bridge is full")


@pytest.fixture
def exploding():
    pm = loader.get_pm()
    pm.register(Exploding(), name="exploding")
    yield
    pm.unregister(name="exploding")


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_plugin_raising_in_the_review_rolls_the_whole_review_back(office, db_path, exploding, dry_run):
    _d_lead(office)
    before = _dump(db_path)
    out = office("review", *(["--dry-run"] if dry_run else []), now="2026-03-20T10:00")
    assert out.exit_code == 1
    assert out.output.strip().splitlines() == [
        "Error: plugin 'exploding' failed in run_review: raised RuntimeError: disk of the CRM bridge is full; "
        "fix or uninstall the plugin (leadcycle plugins lists them); the review wrote nothing"]
    assert _dump(db_path) == before


def test_book_review_is_one_transaction(fresh_db, exploding):
    with fresh_db.at(dt.datetime(2026, 3, 5, 10)):
        fresh_db.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房",
                          attributes={"motivation": "D"}, agent="李娜")
    count = fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    with fresh_db.at(dt.datetime(2026, 3, 20, 10)), pytest.raises(LeadcycleError, match="'exploding'"):
        fresh_db.review()
    assert fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == count
    assert not fresh_db.store.conn.in_transaction
