"""What a tester hunting for crashes met at the command line (session 18):
a refused ``init`` left a database behind (a trial one, which needs no
sign-in)."""

import os

import pytest


@pytest.mark.parametrize("args, stdin, says", [
    (("--industry", "nope"), None, "unknown industry 'nope'"),
    (("--industry", "realestate", "--admin", "陈经理", "--password-stdin"), "12345", "at least 6 characters"),
    (("--industry", "realestate", "--admin", " ", "--password-stdin"), "secret1", "--admin needs the admin's name"),
])
def test_a_refused_init_creates_no_database(runner, tmp_path, args, stdin, says):
    from leadcycle.cli import cli

    db = str(tmp_path / "new.db")
    r = runner.invoke(cli, ["--db", db, "init", *args], input=stdin)
    assert r.exit_code != 0 and says in r.output and len(r.output.strip().splitlines()) == 1
    assert not [f for f in os.listdir(tmp_path) if f.startswith("new.db")]


def test_a_refused_init_of_an_existing_database_keeps_it(runner, tmp_path):
    from leadcycle.cli import cli

    db = str(tmp_path / "old.db")
    assert runner.invoke(cli, ["--db", db, "init", "--industry", "realestate"]).exit_code == 0
    r = runner.invoke(cli, ["--db", db, "init", "--industry", "nope"])
    assert r.exit_code == 1 and os.path.exists(db)
    assert "realestate" in runner.invoke(cli, ["--db", db, "init"]).output
