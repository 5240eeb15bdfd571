"""The storage module: migrations, the append-only log, foreign files."""

import json
import os
from pathlib import Path
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from leadcycle import LeadBook
from leadcycle.errors import LeadcycleError
from leadcycle.model import Event
from leadcycle.storage import APPLICATION_ID, Encoder, Store, core_migrations


def test_core_migrations_on_a_fresh_database():
    db = Database(memory=True)
    core_migrations.apply(db)
    assert {"meta", "agents", "industries", "settings", "leads", "events", "lead_state"} <= set(db.table_names())
    assert db["events"].columns_dict == {"id": int, "lead_id": int, "kind": str, "at": str, "agent": str,
                                         "data": str, "note": str, "recorded_at": str, "hash": str}
    assert db["lead_state"].columns_dict["grade"] is str
    assert db["lead_state"].columns_dict["score"] is float
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert [m.name for m in core_migrations.pending(db)] == []
    indexed = {tuple(i.columns) for i in db["lead_state"].indexes}
    assert ("owner", "next_follow_up") in indexed and ("owner", "owner_until") in indexed


def test_init_is_safe_to_repeat(db_path, now):
    book = LeadBook.create(db_path, ["realestate"], now=now)
    book.close()
    again = LeadBook.create(db_path, ["realestate"], now=now)
    assert again.store.enabled_industries() == ["realestate"]
    assert again.init(["realestate"]) == []
    again.close()


def test_events_are_append_only(fresh_db):
    added = fresh_db.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房", agent="李娜")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        fresh_db.store.conn.execute("UPDATE events SET kind = 'visit' WHERE lead_id = ?", (added.lead.id,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        fresh_db.store.conn.execute("DELETE FROM events")


def test_wal_and_busy_timeout(db_path, now):
    book = LeadBook.create(db_path, ["realestate"], now=now)
    assert book.store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert book.store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    book.close()


def test_a_file_that_is_not_a_leadcycle_database(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("this is not sqlite\n" * 100)
    with pytest.raises(LeadcycleError, match="not a leadcycle database"):
        Store.open(str(text))
    other = tmp_path / "other.db"
    Database(str(other))["t"].insert({"a": 1})
    with pytest.raises(LeadcycleError, match="not a leadcycle database"):
        Store.open(str(other))
    with pytest.raises(LeadcycleError, match="not a leadcycle database"):
        Store.create(str(other))
    with pytest.raises(LeadcycleError, match="no database at"):
        Store.open(str(tmp_path / "missing.db"))


def test_opening_a_file_that_is_not_ours_leaves_it_as_it_was(tmp_path):
    # SQLite makes an empty file a database (with -wal and -shm beside it),
    # and WAL mode is written into the file: a refused read wrote both
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(LeadcycleError, match="empty file, not a database"):
        Store.open(str(empty))
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    other = tmp_path / "other.db"
    Database(str(other))["t"].insert({"a": 1})
    before = other.read_bytes()
    for attempt in (Store.open, Store.create):
        with pytest.raises(LeadcycleError, match="not a leadcycle database"):
            attempt(str(other))
    assert other.read_bytes() == before
    assert sqlite3.connect(other).execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    made = Store.create(str(empty))  # init may make an empty file its database
    assert made.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    made.close()


def test_a_failed_action_writes_nothing(fresh_db):
    added = fresh_db.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房")
    before = fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises(LeadcycleError):
        with fresh_db.store.transaction():
            fresh_db.store.append_event(Event(None, added.lead.id, "note", fresh_db.now))
            raise LeadcycleError("refused half-way")
    assert fresh_db.store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == before


def test_only_the_values_lists_and_reports_read_are_stored(demo_db):
    """A projection stores the ``x_`` values a list or report reads from the
    stored state (a ``listed`` or ``stored`` Feature: machinery's account,
    software's follow-up count and stage history), without their texts;
    the others (real estate's contact level, return cycle…) only ``show``
    displays, computed at its clock, and the store never holds them."""
    import json
    import sqlite3

    conn = sqlite3.connect(demo_db)
    try:
        kept: dict[str, set[str]] = {}
        for industry, extra in conn.execute("SELECT industry, extra FROM lead_state"):
            value = json.loads(extra or "{}")
            kept.setdefault(industry, set()).update(value)
            assert not any(isinstance(v, dict) and "summary" in v for v in value.values())
    finally:
        conn.close()
    assert kept["realestate"] == set()
    assert kept["machinery"] == {"x_account"}
    assert kept["software_sales"] <= {"x_follow_ups", "x_stage"} and "x_follow_ups" in kept["software_sales"]


def test_bulk_work_has_a_larger_cache_and_gives_it_back(fresh_db):
    """An import and ``rescore`` write every lead with a 64 MB page cache;
    the connection has its own back afterwards, even when the work fails."""
    from leadcycle.storage import BULK_CACHE_KIB

    store = fresh_db.store
    before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    with store.bulk():
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -BULK_CACHE_KIB
    with pytest.raises(ZeroDivisionError), store.bulk():
        1 / 0
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before
    fresh_db.rescore()
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_bulk_work_holds_the_cycle_collector_back_and_gives_it_back(fresh_db):
    """During an import or ``rescore`` the collector runs seldom, over what
    the work made (the heap before it frozen out); afterwards the process
    collects as before, even when the work fails, and a cycle made during
    the work is still collected."""
    import gc
    import weakref

    from leadcycle.storage import BULK_GC_THRESHOLD

    class Node:
        pass

    store = fresh_db.store
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with store.bulk():
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_freeze_count() > frozen
        with store.bulk():  # nested: the outer block gives it back
            pass
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    gc.collect()
    assert ref() is None
    with pytest.raises(ZeroDivisionError), store.bulk():
        1 / 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=_JSON_VALUES, sort_keys=st.booleans(), ensure_ascii=st.booleans())
def test_an_encoder_made_once_writes_what_json_writes(value, sort_keys, ensure_ascii):
    """Stored JSON, row keys and the hash chain's text are written by
    ``Encoder``, which makes its C encoder once: the same text as
    ``json.JSONEncoder`` (NaN, infinities, non-ASCII text, nesting, a bare
    string), and the circular check's way still works."""
    options = dict(ensure_ascii=ensure_ascii, separators=(",", ":"), sort_keys=sort_keys, check_circular=False)
    assert Encoder(**options).encode(value) == json.JSONEncoder(**options).encode(value)
    checked = Encoder(ensure_ascii=ensure_ascii, sort_keys=sort_keys)  # the standard way
    assert checked._once is None
    assert checked.encode(value) == json.JSONEncoder(ensure_ascii=ensure_ascii, sort_keys=sort_keys).encode(value)


def test_an_encoder_made_once_asks_its_default_for_other_values():
    """A row key's dates and a chained row's odd values go through the
    encoder's ``default``, as json's own encoder sends them."""
    import datetime as dt

    value = [dt.date(2026, 3, 5), {"b": dt.datetime(2026, 3, 5, 10), "a": {1, 2} - {1, 2}}]
    for default in (str, lambda v: f"<{type(v).__name__}:{v!r}>"):
        options = dict(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=default)
        assert Encoder(**options).encode(value) == json.JSONEncoder(**options).encode(value)
    with pytest.raises(TypeError):
        Encoder(check_circular=False).encode([dt.date(2026, 3, 5)])


def test_a_database_in_a_missing_folder_is_one_line(tmp_path):
    with pytest.raises(LeadcycleError, match="there is no folder .*nowhere; create it"):
        Store.create(str(tmp_path / "nowhere" / "leads.db"))


def _as_another_user(folder):
    """A way to run the CLI where file permissions hold: directly when not
    root; as nobody through setpriv when root (None when that cannot run
    this checkout)."""
    import shutil
    import subprocess
    import sys

    base = [sys.executable, "-c", "from leadcycle.cli import main; main()"]
    if os.geteuid() != 0:
        return base
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *base]
    probe = subprocess.run([*cmd, "--version"], capture_output=True, cwd=folder)
    return cmd if probe.returncode == 0 else None


def test_a_read_only_database_is_read_and_a_write_to_it_is_one_line(tmp_path, now):
    import shutil
    import subprocess
    import tempfile

    # beside tmp_path, whose parents only root may enter
    outside = Path(tempfile.mkdtemp(prefix="leadcycle-ro-"))
    outside.chmod(0o755)
    folder = outside / "share"
    folder.mkdir()
    db = folder / "leads.db"
    book = LeadBook.create(str(tmp_path / "office.db"), ["realestate"], now=now)
    book.add_agent("李娜")
    book.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房", agent="李娜")
    book.store.backup(str(db))  # a backup: rollback journal, no -wal
    book.close()
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    cli = _as_another_user(outside)
    if cli is None:
        shutil.rmtree(outside, ignore_errors=True)
        pytest.skip("cannot run the CLI as a user the file permissions bind")
    env = {**os.environ, "LEADCYCLE_LANG": "en", "LEADCYCLE_NOW": "2026-03-05T10:00"}
    try:
        read = subprocess.run([*cli, "--db", str(db), "list", "--json"], capture_output=True, text=True, env=env,
                              cwd=outside)
        assert read.returncode == 0, read.stderr
        assert [r["name"] for r in json.loads(read.stdout)] == ["张伟"]
        write = subprocess.run([*cli, "--db", str(db), "lead", "add", "--industry", "realestate", "--name", "李四",
                                "--gender", "男", "--phone", "13700137000", "--need", "两房", "--agent", "李娜"],
                               capture_output=True, text=True, env=env, cwd=outside)
        assert write.returncode == 1 and write.stderr.count("\n") == 1, write.stderr
        assert "is read-only (the file or its folder)" in write.stderr
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(outside)


def test_a_read_leaves_a_backup_as_it_was_and_a_write_takes_the_write_ahead_log(tmp_path, now):
    # a read set WAL mode on a backup (rollback journal): the file's header changed
    book = LeadBook.create(str(tmp_path / "office.db"), ["realestate"], now=now)
    book.add_agent("李娜")
    copy = tmp_path / "copy.db"
    book.store.backup(str(copy))
    book.close()
    before = copy.read_bytes()
    reader = LeadBook.open(str(copy), now)
    assert [r["id"] for r in reader.list()] == []
    reader.close()
    assert copy.read_bytes() == before
    writer = LeadBook.open(str(copy), now)
    writer.add_agent("王强")
    assert writer.store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer.close()
