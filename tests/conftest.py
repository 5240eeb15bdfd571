import datetime as dt
import os
import sqlite3

import pytest
from click.testing import CliRunner

from leadcycle import LeadBook, loader


def dump(path) -> list[str]:
    """The database's content, as SQL: what a read, or a refused write, must
    leave as it was (``from conftest import dump``)."""
    conn = sqlite3.connect(str(path))
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every default path points into tmp_path; only the built-in plugins
    load; no locale leaks into the language."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEADCYCLE_DB", str(tmp_path / "leads.db"))
    monkeypatch.setenv("LEADCYCLE_LANG", "en")
    monkeypatch.delenv("LEADCYCLE_NOW", raising=False)
    monkeypatch.delenv("LEADCYCLE_RAISE_ERRORS", raising=False)
    monkeypatch.delenv("LEADCYCLE_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # sign-in sessions
    builtin = "realestate,software_sales,machinery"
    monkeypatch.setenv("LEADCYCLE_LOAD_PLUGINS", os.environ.get("LEADCYCLE_TEST_PLUGINS", builtin))
    loader.reset()
    from leadcycle import i18n

    i18n.set_language(None)  # a test that ran --lang zh leaves the next one its environment's language
    yield
    loader.reset()
    i18n.set_language(None)


T0 = dt.datetime(2026, 3, 5, 10, 0)


@pytest.fixture
def now():
    return T0


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "leads.db")


@pytest.fixture
def fresh_db():
    """An in-memory LeadBook with every built-in industry enabled."""
    from leadcycle.registry import Registry

    names = [n for n in ("realestate", "software_sales", "machinery") if n in Registry().industries]
    book = LeadBook.create(":memory:", names, now=T0)
    book.add_agent("李娜")
    book.add_agent("王强")
    book.add_agent("陈经理", manager=True)
    yield book
    book.close()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def run(runner, db_path):
    """``run("lead", "add", ..., now="2026-03-05T10:00")`` → click Result."""

    def _run(*args, now=None, input=None):
        base = ["--db", db_path]
        if now is not None:
            base += ["--now", now]
        return runner.invoke(__import__("leadcycle.cli", fromlist=["cli"]).cli, base + list(args), input=input)

    return _run


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A demo database (two simulated weeks of every built-in industry),
    built once per session in a subprocess of its own; copy it before
    writing to it (:func:`demo_copy`)."""
    import subprocess
    import sys

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    env = {**os.environ, "LEADCYCLE_LANG": "en", "LEADCYCLE_LOAD_PLUGINS": "realestate,software_sales,machinery"}
    env.pop("LEADCYCLE_NOW", None)
    subprocess.run([sys.executable, "-c", "from leadcycle.cli import main; main()",
                    "--db", str(path), "demo", "--days", "14"],
                   check=True, capture_output=True, env=env, timeout=300)
    return path


#: the demo's clock after ``demo --days 14`` (it starts on 2026-09-01 09:00)
DEMO_NOW = "2026-09-15T09:00"


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    """A copy of the session's demo database, for a test that writes."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    return str(path)


@pytest.fixture
def realestate_office(run):
    """A trial database with real estate enabled, three agents and a
    manager (陈经理); returns ``run``."""
    assert run("init", "--industry", "realestate").exit_code == 0
    for name in ("李娜", "王强", "赵敏"):
        run("agent", "add", name)
    run("agent", "add", "陈经理", "--manager")
    return run
