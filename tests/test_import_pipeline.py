"""An import reads its next batch while this batch's rules run (issue #17):
``Store.beside`` runs statements in a worker thread beside Python work, and
the importer reads each batch ahead on its clock's day, reading it again
when its own transaction's clock is on another day. A batch's leads and
events go through TEMP tables, moved into the log by one statement each
beside Python work: what is stored is what writing them directly stores."""

import csv
import datetime as dt
import json
import sqlite3
import sys
import threading
import time

import pytest

from leadcycle import LeadBook
from leadcycle import io as lio
from leadcycle.model import Event, Lead
from leadcycle.storage import data_text

NOW = dt.datetime(2026, 3, 5, 10)

#: a statement that would count for minutes unless interrupted
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c WHERE x < 4e9"


@pytest.fixture
def book(tmp_path):
    book = LeadBook.create(str(tmp_path / "x.db"), ["realestate"], now=NOW)
    yield book
    book.close()


# ------------------------------------------------------------------ beside


def test_beside_runs_the_statements_while_this_thread_works(book):
    """``meanwhile`` runs while the worker's statement is running: the
    statement holds inside a function until ``meanwhile`` lets it go."""
    inside, let_go = threading.Event(), threading.Event()
    threads = []

    def hold():
        threads.append(threading.current_thread())
        inside.set()
        return let_go.wait(60)

    book.store.conn.create_function("hold", 0, hold)
    seen = []

    def meanwhile():
        seen.append(inside.wait(60))  # the statement has started and has not ended
        let_go.set()

    assert book.store.beside(lambda: book.store.conn.execute("SELECT hold()").fetchone()[0], meanwhile) == 1
    assert seen == [True]
    assert threads and threads[0] is not threading.current_thread()


def test_an_error_beside_the_statements_interrupts_them(book):
    """Ctrl-C (or any error) while the statements run: they are stopped, and
    the error is raised once they have; the connection goes on working."""
    outcome = []

    started = threading.Event()
    book.store.conn.create_function("started", 0, lambda: started.set() or 1)

    def work():
        try:
            # the interrupt may stop the first statement, or the endless one
            book.store.conn.execute("SELECT started()").fetchone()
            return book.store.conn.execute(ENDLESS).fetchone()
        except sqlite3.OperationalError as e:
            outcome.append(str(e))
            raise

    def meanwhile():
        started.wait(60)  # (no database here: only wait for the statement to start)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        book.store.beside(work, meanwhile)
    assert outcome == ["interrupted"]
    assert book.store.conn.execute("SELECT 1").fetchone() == (1,)


def test_an_error_in_the_statements_is_raised_after_meanwhile_is_done(book):
    done = []
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        book.store.beside(lambda: book.store.conn.execute("SELECT * FROM nowhere"), lambda: done.append(1))
    assert done == [1]


def test_beside_gives_back_the_switch_interval(book):
    """Python's switch interval is shortened while statements run beside
    Python work, and given back however the work ends."""
    before = sys.getswitchinterval()
    seen = []
    assert book.store.beside(lambda: 7, lambda: seen.append(sys.getswitchinterval())) == 7
    assert seen == [min(before, 0.0005)] and sys.getswitchinterval() == before

    def fails():
        raise ValueError("meanwhile")

    with pytest.raises(ValueError):
        book.store.beside(lambda: 7, fails)
    assert sys.getswitchinterval() == before


# ---------------------------------------------------------- reading ahead


def _register(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "性别", "手机", "需求", "来访日期", "置业顾问"])
        w.writerows(rows)
    return str(path)


def _counted(monkeypatch):
    """How many rows were normalised, in all."""
    seen = []
    original = lio._normalised

    def counting(batch, normalise, day):
        seen.append(len(batch))
        return original(batch, normalise, day)

    monkeypatch.setattr(lio, "_normalised", counting)
    return seen


def _leads(book):
    return [(r["name"], r["created_at"], r.get("owner"), r.get("grade")) for r in book.list()]


def _log(book):
    return book.store.conn.execute("SELECT id, lead_id, kind, at, agent, data, note FROM events ORDER BY id").fetchall()


def test_each_row_is_read_once_and_as_without_reading_ahead(book, tmp_path, monkeypatch):
    """Batches read ahead give what batches read in turn give: the same
    leads, owners, rejects and agents added (an agent added in one batch is
    the agent a later row spells in pinyin)."""
    rows = [["张三", "男", "13800000001", "三房", "2026/3/1", "李娜"],
            ["李四", "女", "12345", "三房", "2026/3/2", "李娜"],  # rejected: the phone
            ["王五", "男", "13800000003", "三房", "2026/3/3", "Li Na"],
            ["赵六", "女", "13800000004", "两房", "2026/3/4", "王强"]]
    path = _register(tmp_path / "r.csv", rows)
    seen = _counted(monkeypatch)
    ahead = lio.import_file(book, path, "realestate", batch_size=1, add_agents=True)
    assert sum(seen) == 4  # each row once: the batches after the first were read ahead
    assert (ahead.imported, ahead.rejected, ahead.agents_added) == (3, 1, ["李娜", "王强"])
    assert [owner for _, _, owner, _ in _leads(book)] == ["李娜", "李娜", "王强"]

    original = lio._import_batch
    monkeypatch.setattr(lio, "_import_batch", lambda *args: original(*args[:9]))  # nothing read ahead
    in_turn = LeadBook.create(str(tmp_path / "in_turn.db"), ["realestate"], now=NOW)
    seen.clear()
    result = lio.import_file(in_turn, path, "realestate", batch_size=1, add_agents=True)
    assert seen == [1, 1, 1, 1]
    assert (result.imported, result.rejected, result.agents_added, result.rejects) == (
        ahead.imported, ahead.rejected, ahead.agents_added, ahead.rejects)
    assert _leads(in_turn) == _leads(book)
    assert _log(in_turn) == _log(book)
    in_turn.close()


def test_a_batch_whose_clock_moved_to_another_day_is_read_again(book, tmp_path, monkeypatch):
    """A row is read on its batch's day (a date without its year takes
    the clock's): a batch read ahead on the day before is read again."""
    path = _register(tmp_path / "r.csv", [["张三", "男", "13800000001", "三房", "2026/3/1", "李娜"],
                                          ["李四", "女", "13800000002", "三房", "3月4日", "李娜"]])
    book.add_agent("李娜")
    seen = _counted(monkeypatch)
    next_year = NOW.replace(year=2027)

    def progress(n):  # after the first batch: the clock is a year on
        book._now = next_year

    lio.import_file(book, path, "realestate", batch_size=1, progress=progress)
    assert [n for n in seen if n] == [1, 1, 1]  # the second batch read ahead, then again
    assert [created for _, created, _, _ in _leads(book)] == ["2026-03-01T00:00:00", "2027-03-04T00:00:00"]


def test_a_row_without_a_date_takes_its_own_batch_clock(book, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("姓名,性别,手机,需求\n张三,男,13800000001,三房\n李四,女,13800000002,三房\n", encoding="utf-8")
    later = NOW + dt.timedelta(hours=2)

    def progress(n):
        book._now = later

    lio.import_file(book, str(path), "realestate", batch_size=1, progress=progress)
    assert [created for _, created, _, _ in _leads(book)] == [NOW.isoformat(), later.isoformat()]


def test_an_agent_to_add_is_one_agent_whatever_the_batches(tmp_path):
    """With --add-agents, a later row spelling an agent to add (Li Na for
    李娜) names that agent, in the same batch as in a later one: a register
    adds the same agents whatever its batch size."""
    rows = [["张三", "男", "13800000001", "三房", "2026/3/1", "李娜"],
            ["王五", "男", "13800000003", "三房", "2026/3/3", "Li Na"],
            ["赵六", "女", "13800000004", "两房", "2026/3/4", "王强"]]
    path = _register(tmp_path / "r.csv", rows)
    seen = []
    for size in (1, 2, 100):
        book = LeadBook.create(str(tmp_path / f"{size}.db"), ["realestate"], now=NOW)
        result = lio.import_file(book, path, "realestate", batch_size=size, add_agents=True)
        seen.append((result.agents_added, [owner for _, _, owner, _ in _leads(book)]))
        book.close()
    assert seen == [(["李娜", "王强"], ["李娜", "李娜", "王强"])] * 3


# ------------------------------------------------------------ staged writes

#: attribute values of every kind a cell gives: text, whole and decimal
#: numbers, yes/no, and a key only some leads have
ATTRIBUTES = [{"budget": "300万", "area": 120.5, "rooms": 3, "loan": True},
              {"budget": "500万", "area": 89.0, "rooms": 2, "loan": False, "vip": "是"},
              {}]


def _batch(first_id):
    at = dt.datetime(2026, 3, 1, 9, 30)
    leads = [Lead(first_id + i, "realestate", f"客户{i}", "F", f"1380000000{i}", "三房", at, a)
             for i, a in enumerate(ATTRIBUTES)]
    events = [Event(None, lead.id, "register", at, "李娜",
                    {"name": lead.name, "phone": lead.phone, "attributes": lead.attributes, "channel": "visit"})
              for lead in leads]
    events.append(Event(None, leads[0].id, "visit", at + dt.timedelta(hours=1), None, {}, "又来了"))
    return leads, events


def _stored(book):
    conn = book.store.conn
    leads = [tuple(r) for r in conn.execute("SELECT * FROM leads ORDER BY id")]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(leads)")]
    kinds = conn.execute(f"SELECT {', '.join(f'typeof({c})' for c in columns)} FROM leads ORDER BY id").fetchall()
    events = conn.execute("SELECT id, lead_id, kind, at, agent, data, note, typeof(lead_id) FROM events "
                          "ORDER BY id").fetchall()
    facts = conn.execute("SELECT * FROM facts ORDER BY 1, 2").fetchall()
    return leads, kinds, events, facts


def test_staged_leads_and_events_are_stored_as_written_directly(tmp_path):
    """Through the TEMP tables or bound directly: the same rows, each value
    of the same SQLite type (an integer stays one, yes/no too), the same
    facts, and a chain ``verify`` accepts. The events' data made already
    (an import makes its registrations as it reads their rows) is stored
    as given."""
    stored = []
    for staged in (False, True):
        book = LeadBook.create(str(tmp_path / f"{staged}.db"), ["realestate"], now=NOW)
        book.add_agent("李娜")
        with book.store.transaction():
            leads, events = _batch(book.store.next_lead_id())
            if staged:
                texts = {0: data_text(events[0].data)}
                book.store.insert_leads_and_events(leads, events, texts)()
            else:
                book.store.insert_leads_bulk(leads)
                book.store.append_events_bulk(events)
        assert book.verify().ok
        assert not book.store.conn.execute("SELECT name FROM temp.sqlite_schema WHERE name LIKE '%staged'").fetchall()
        stored.append(_stored(book))
        book.close()
    assert stored[0] == stored[1]
    leads, kinds, events, facts = stored[1]
    assert len(leads) == 3 and len(events) == 4 and facts
    assert {"real", "integer"} <= set(kinds[0]) and "integer" in kinds[1]  # 120.5, 3, yes as 1 / no as 0


def test_a_staged_move_that_fails_is_raised_and_leaves_nothing(book):
    """A move the database refuses (a lead id taken) is raised once the work
    beside it is done; the transaction rolls back with its TEMP tables, and
    the next batch is written as if nothing had happened."""
    book.add_agent("李娜")
    with book.store.transaction():
        leads, events = _batch(book.store.next_lead_id())
        book.store.insert_leads_and_events(leads, events)()
    ready = []
    with pytest.raises(sqlite3.IntegrityError):
        with book.store.transaction():
            book.store.insert_leads_and_events(leads[:1], events[:1])  # the same id again
    assert book.store.conn.execute("SELECT count(*) FROM leads").fetchone() == (3,)
    with book.store.transaction():
        leads, events = _batch(book.store.next_lead_id())
        book.store.insert_leads_and_events(leads, events)()
        ready.append(book.store.conn.execute("SELECT count(*) FROM events").fetchone()[0])
    assert ready == [8] and book.verify().ok


def test_an_import_stores_each_registration_as_its_data_reads(book, tmp_path):
    """A registration's stored data is made as its row is read, ahead of
    its batch: it is the text its event's data makes, with the row's
    source, and the chain holds."""
    rows = [["张三", "男", "13800000001", "三房", "2026/3/1", "李娜"],
            ["王五", "男", "13800000003", "三房", "2026/3/3", "李娜"],
            ["张三", "男", "13800000001", "四房", "2026/3/4", "李娜"]]  # a return: a visit and a set
    book.add_agent("李娜")
    lio.import_file(book, _register(tmp_path / "r.csv", rows), "realestate", batch_size=1)
    log = _log(book)
    assert [kind for _, _, kind, *_ in log] == ["register", "register", "visit", "set"]
    for _, _, kind, _, _, data, _ in log:
        assert data == data_text(json.loads(data))
    assert json.loads(log[1][5])["source"] == {"file": "r.csv", "row": 3}
    assert book.verify().ok


# ------------------------------------------------------ checkpoints beside

def _checkpointers():
    return [t for t in threading.enumerate() if t.name == "leadcycle-checkpoints"]


def test_bulk_work_checkpoints_the_log_beside_it(book, tmp_path):
    """During bulk work, each commit's pages are copied from the log into
    the database file by a thread of its own (SQLite's own checkpoint is
    off meanwhile, and comes back after): the file grows with a commit too
    small for SQLite to have checkpointed it."""
    store, path = book.store, tmp_path / "x.db"
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    automatic = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    before = path.stat().st_size
    with store.bulk():
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert len(_checkpointers()) == 1
        with store.transaction():
            store.conn.execute("CREATE TABLE filler(x)")
            store.conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,) for _ in range(400)])
        for _ in range(500):  # the checkpoint is another thread's: wait for it (at most 5 s)
            if path.stat().st_size > before:
                break
            threading.Event().wait(0.01)
        assert path.stat().st_size > before + 100_000
    assert not _checkpointers()
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (automatic,)


def test_bulk_work_that_fails_stops_its_checkpoints(book):
    with pytest.raises(ZeroDivisionError):
        with book.store.bulk():
            with book.store.transaction():
                book.store.conn.execute("CREATE TABLE filler(x)")
            1 / 0
    assert not _checkpointers()
    assert book.store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    assert book.store.conn.execute("SELECT count(*) FROM filler").fetchone() == (0,)


def test_bulk_work_in_memory_has_no_checkpoints():
    book = LeadBook.create(":memory:", ["realestate"], now=NOW)
    with book.store.bulk():
        assert not _checkpointers()
    book.close()


def test_bulk_work_keeps_the_log_bounded(book, tmp_path, monkeypatch):
    """A checkpoint beside the next write never lets SQLite start the log
    again from its beginning: once the log holds BULK_LOG_FRAMES, a commit
    waits for its checkpoint, and the log stays a few commits long (twenty
    commits of about 55 pages each made it 1,058 pages). Each transaction
    lasts long enough for the checkpoint of the one before, as an import
    batch does."""
    from leadcycle import storage

    monkeypatch.setattr(storage, "BULK_LOG_FRAMES", 100)
    store, wal = book.store, tmp_path / "x.db-wal"
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = store.conn.execute("PRAGMA page_size").fetchone()[0]
    with store.bulk():
        with store.transaction():
            store.conn.execute("CREATE TABLE filler(x)")
        for _ in range(20):
            with store.transaction():
                store.conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,) for _ in range(400)])
                time.sleep(0.1)
    assert wal.stat().st_size < 400 * page
    assert store.conn.execute("SELECT count(*) FROM filler").fetchone() == (8000,)
