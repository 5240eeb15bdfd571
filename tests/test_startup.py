"""Start-up stays light (issue 7): ``leadcycle --help``, every command's and
every group's ``--help`` list the plugins' commands without importing the
database layer (sqlite-utils) or the spreadsheet library (openpyxl).

A deterministic check of what is imported, not a timing test; the timing is
``bench/run``'s start-up row.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlite_utils", "openpyxl", "leadcycle.api", "leadcycle.storage", "leadcycle.engine")

SCRIPT = r"""
import json, sys
import click
import leadcycle.cli
from leadcycle.cli import cli

heavy = %r
out = {}

def help_of(args):
    try:
        cli.main([*args, "--help"], prog_name="leadcycle", standalone_mode=False)
    except SystemExit:  # pragma: no cover
        pass
    return sorted(m for m in heavy if m in sys.modules)

out["--help"] = help_of([])
ctx = click.Context(cli)
names = cli.list_commands(ctx)
out["commands"] = names
for name in names:
    cmd = cli.get_command(ctx, name)
    out[name] = help_of([name])
    if isinstance(cmd, click.Group):
        for sub in cmd.list_commands(ctx):
            out[name + " " + sub] = help_of([name, sub])
print(json.dumps(out))
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_help_does_not_import_the_database_or_spreadsheet_layers():
    proc = _run(SCRIPT % (HEAVY,))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    # the plugins' commands are listed (they are added on the first lookup)
    assert {"init", "lead", "due", "approve", "phase", "report"} <= set(out["commands"])
    assert out["--help"] == []
    imported = {args: mods for args, mods in out.items() if args != "commands" and mods}
    assert imported == {}, f"--help imported {imported}"


def test_the_help_text_lists_plugin_commands():
    proc = _run("import leadcycle.cli, sys\n"
                "from leadcycle.cli import cli\n"
                "cli.main(['--help'], prog_name='leadcycle', standalone_mode=False)\n"
                "print('sqlite_utils' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert "approve" in proc.stdout and "lead" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "False"


def test_import_leadcycle_is_lazy_but_complete():
    code = ("import sys, leadcycle\n"
            "light = 'sqlite_utils' not in sys.modules and 'leadcycle.api' not in sys.modules\n"
            "ns = {}\n"
            "exec('from leadcycle import *', ns)\n"
            "missing = [n for n in leadcycle.__all__ if n not in ns]\n"
            "mods = [leadcycle.loader.get_pm is not None, leadcycle.hookspecs.hookimpl is leadcycle.hookimpl,\n"
            "        leadcycle.LeadBook.__module__ == 'leadcycle.api', 'LeadBook' in dir(leadcycle)]\n"
            "try:\n"
            "    leadcycle.no_such_name\n"
            "    bad = False\n"
            "except AttributeError:\n"
            "    bad = True\n"
            "print(light, missing, all(mods), bad)")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "[]", "True", "True"]


def test_a_command_does_not_load_pandas_or_numpy_through_sqlite_utils(tmp_path):
    """sqlite-utils imports pandas and numpy whenever they are installed
    (issue #17: about 1 s and 70 MB on every command); leadcycle's storage
    loads it with them hidden. Stand-ins on the path record an import."""
    fake = tmp_path / "site"
    fake.mkdir()
    for name in ("pandas", "numpy"):
        (fake / f"{name}.py").write_text(f"import pathlib\npathlib.Path({str(tmp_path / name)!r}).touch()\n")
    env = {"PYTHONPATH": str(fake), "LEADCYCLE_LANG": "en", "PATH": "/usr/bin:/bin"}
    db = tmp_path / "office.db"
    for args in (["init", "--simulation", "--industry", "realestate"], ["list"], ["due"]):
        done = subprocess.run([sys.executable, "-c", "from leadcycle.cli import main; main()", "--db", str(db), *args],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
    assert not (tmp_path / "pandas").exists() and not (tmp_path / "numpy").exists()
    # the stand-ins are found by anything else that asks for them
    subprocess.run([sys.executable, "-c", "import pandas, numpy"], env=env, check=True)
    assert (tmp_path / "pandas").exists() and (tmp_path / "numpy").exists()


#: libraries an everyday read has no use for: phone parsing beyond a
#: mobile's shape (libphonenumber), pinyin (names are converted when written)
READ_LIGHT = ("phonenumbers", "pypinyin", "openpyxl", "wcwidth")

READ = r"""
import json, sys
from leadcycle.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="leadcycle", standalone_mode=False)
except SystemExit:  # pragma: no cover
    pass
print(json.dumps(sorted(m for m in %r if m in sys.modules)), file=sys.stderr)
"""


def test_everyday_commands_import_no_library_they_do_not_use(demo_copy):
    """A list, a due list, a lead shown (40 ms of libphonenumber and 0.2 s
    of pypinyin's phrases were on every command): imported only where a
    phone other than a mobile, or a name, is read."""
    for args in (["list", "--grade", "A", "--json"], ["due", "--agent", "李娜", "--json"], ["show", "3", "--json"]):
        proc = subprocess.run([sys.executable, "-c", READ % (READ_LIGHT,), "--db", demo_copy, "--now",
                               "2026-09-15T09:00", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stderr.splitlines()[-1]) == [], args
    # a landline is read by libphonenumber, when one comes
    from leadcycle.phones import normalize_phone

    assert normalize_phone("(010) 8888 6666") == "010-88886666"
