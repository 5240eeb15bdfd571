"""``leadcycle verify`` and ``leadcycle backup``: is the register of record
intact (issue #10), and a copy of it that is."""

from __future__ import annotations

import sys

import click

from leadcycle.i18n import render

from .app import cli
from .io import _progress
from .output import _, echo_json, interactive

pass_env = click.pass_obj


def _head(value: str | None) -> tuple[int, str] | None:
    """``--head ID:HASH`` as ``verify`` prints it (a hash prefix of 12 or more hex digits)."""
    if value is None:
        return None
    event_id, _sep, digest = value.partition(":")
    digest = digest.strip().lower()
    if not event_id.strip().lstrip("#").isdigit() or len(digest) < 12 or \
            any(ch not in "0123456789abcdef" for ch in digest):
        raise click.BadParameter(_("{value!r} is not ID:HASH; give the head a previous verify printed, "
                                   "such as 1234:9f86d081884c7d65…").format(value=value), param_hint="--head")
    return int(event_id.strip().lstrip("#")), digest


@cli.command()
@click.option("--head", "head", metavar="ID:HASH",
              help="The head an earlier verify printed, kept outside this file: fails if the log "
                   "no longer holds that event with that hash (a log rewritten hashes and all, or cut short).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON (for monitoring).")
@pass_env
def verify(env, head, as_json):
    """Check that nothing was changed outside leadcycle.

    Walks the event log hash by hash (each event's hash chains it to the one
    before), and the reception, relation and settings logs; checks that the
    append-only guards are in place and that leads, agents, settings and
    the credit ledger are what the logs say. Names the first row that does
    not match; exits 1 if any check fails, 0 on a clean database.

    Examples:

    \b
    leadcycle verify
    """
    expect = _head(head)
    book = env.book()
    show = interactive() and not as_json
    total = book.store.verify_total() if show else None
    with _progress("verifying", total, show) as update:
        result = book.verify(progress=update, expect_head=expect)
    if as_json:
        echo_json(result.to_json())
    else:
        for c in result.checks:
            click.echo(f"{'✓' if c.ok else '✗'} {_(c.name)}: {render(c.message, env.lang)}")
        failed = [c for c in result.checks if not c.ok]
        if failed:
            click.echo(_("{n_failed} of {n_checks} checks failed: {db_path} was changed "
                         "outside leadcycle; keep this file as evidence and restore the last backup that verifies").format(n_failed=len(failed), n_checks=len(result.checks), db_path=env.db_path))
        elif result.head["id"]:
            click.echo(_("all {n_checks} checks passed; to check later that nothing up to here "
                         "is rewritten, keep: --head {id}:{hash}").format(n_checks=len(result.checks), id=result.head['id'], hash=result.head['hash']))
        else:
            click.echo(_("all {n_checks} checks passed (no events yet)").format(n_checks=len(result.checks)))
    if not result.ok:
        sys.exit(1)


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def backup(env, path, force, as_json):
    """Copy the database while others keep working.

    Copy the database to PATH, consistently, while others keep working.

    The copy is one self-contained file. To restore it, stop leadcycle
    everywhere, move the database (and its -wal and -shm files) aside, copy
    PATH in its place and run 'leadcycle verify'.

    Examples:

    \b
    leadcycle backup leads-2026-03-05.db
    """
    info = env.book().backup(path, force=force)
    if as_json:
        echo_json(info)
        return
    click.echo(_("backup written: {path} ({events} events, {bytes:.1f} MB); "
                 "check it with: leadcycle --db {path} verify").format(path=info['path'], events=info['events'], bytes=info['bytes'] / 1e6))
