"""The ``leadcycle`` command line: the operator's home.

Global options come before the command: ``leadcycle --db office.db --now
2026-03-05T10:00 due``. Every command that prints records takes ``--json``.
Errors are one line and a non-zero exit; set ``LEADCYCLE_RAISE_ERRORS=1``
for the traceback.
"""

from __future__ import annotations

import locale
import os
import sqlite3
import sys

import click

from leadcycle.errors import LeadcycleError


def default_lang() -> str:
    for var in ("LEADCYCLE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


class Env:
    """What every command needs: the database path, the clock, the language."""

    def __init__(self, db: str, now: str | None, lang: str):
        self.db_path = db
        self.now_text = now
        self.lang = lang
        self._book = None

    @property
    def now(self):
        from leadcycle.api import parse_now

        return parse_now(self.now_text)

    def book(self):
        """The open database (it must exist and be a leadcycle one)."""
        if self._book is None:
            from leadcycle.api import LeadBook

            self._book = LeadBook.open(self.db_path, self.now)
            self._sign_in(self._book)
        return self._book

    def _sign_in(self, book) -> None:
        """On an office database, the session of this run (if any) is the
        book's actor; a bad session is remembered for the first write."""
        from leadcycle import accounts
        from leadcycle.errors import LeadcycleError

        from .auth import saved_token

        if not accounts.is_office(book.store):
            return
        token = saved_token(self.db_path)
        if token is None:
            return
        try:
            book.actor = accounts.session_agent(book, token)
        except LeadcycleError as e:
            book.actor_problem = str(e)

    def actor(self):
        """The signed-in agent, on an office database; None on any other
        (where commands name their agent). See :mod:`leadcycle.accounts`."""
        return self.book().actor

    def require_role(self, needed: str, what: str, allow_self: str | None = None):
        """On an office database, refuse in one line unless the signed-in
        agent has ``needed`` (or is ``allow_self``); elsewhere, allow."""
        book = self.book()
        if not book.office:
            return None
        who = book.actor
        if who is not None and allow_self is not None and who.name == allow_self:
            return who
        book.require(needed, what)
        return who

    def close(self):
        if self._book is not None:
            self._book.close()
            self._book = None


class LeadcycleGroup(click.Group):
    """A group that turns domain errors into one line, and adds plugin
    commands the first time a command is looked up."""

    #: the plugin manager whose commands are on the group, and the group's
    #: own commands before any plugin added to it
    _loaded_for = None
    _core_commands: dict | None = None

    def _load_plugin_commands(self) -> None:
        if self is not cli:
            return
        from leadcycle import loader

        pm = loader.get_pm()
        if LeadcycleGroup._loaded_for is pm:
            return
        # another set of plugins (tests, or LEADCYCLE_LOAD_PLUGINS changed in
        # this process): start again from the core's commands
        if LeadcycleGroup._core_commands is None:
            LeadcycleGroup._core_commands = dict(self.commands)
        else:
            self.commands = dict(LeadcycleGroup._core_commands)
        LeadcycleGroup._loaded_for = pm
        loader.call_safely("register_commands", cli=self)

    def get_command(self, ctx, cmd_name):
        self._load_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LeadcycleError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise click.ClickException(str(e)) from None
        except sqlite3.OperationalError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            if "locked" in str(e) or "busy" in str(e):
                raise click.ClickException(
                    "the database is busy with another writer; try again in a moment") from None
            raise click.ClickException(f"database error: {e}") from None
        except sqlite3.DatabaseError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise click.ClickException(f"{ctx.obj.db_path if ctx.obj else 'the database'} "
                                       f"is not a usable leadcycle database: {e}") from None
        finally:
            if ctx.obj is not None and isinstance(ctx.obj, Env):
                ctx.obj.close()


@click.group(cls=LeadcycleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadcycle")
@click.option("--db", "db", envvar="LEADCYCLE_DB", default="leads.db", show_default=True,
              type=click.Path(dir_okay=False), help="The lead database (env LEADCYCLE_DB).")
@click.option("--now", "now", envvar="LEADCYCLE_NOW", metavar="ISO-8601",
              help="Fix the clock for the whole run, e.g. 2026-03-05T10:30 (env LEADCYCLE_NOW).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of labels and reasons (default from the locale).")
@click.pass_context
def cli(ctx, db, now, lang):
    """leadcycle — sales leads (意向客户) from first contact to closed deal.

    \b
    Start:    leadcycle init --industry realestate
              leadcycle agent add 李娜
              leadcycle lead add --industry realestate --name 张伟 --gender M \\
                  --phone 13800138000 --need 三房 --agent 李娜
    Every day: leadcycle due --agent 李娜
    """
    if now is not None:
        from leadcycle.api import parse_now

        try:
            parse_now(now)
        except LeadcycleError as e:
            raise click.BadParameter(str(e).split("; ")[0] + "; use ISO-8601 such as 2026-03-05T10:30",
                                     param_hint="--now") from None
    ctx.obj = Env(db, now, lang or default_lang())


from . import commands  # noqa: E402,F401  (registers the core commands)
from . import ownership  # noqa: E402,F401  (registers the ownership commands)
from . import stages  # noqa: E402,F401  (leadcycle advance)
from . import io  # noqa: E402,F401  (import, export)
from . import auth  # noqa: E402,F401  (login, logout, whoami, agent password/role)
from . import revisit  # noqa: E402,F401  (the revisit workflow)


def main() -> None:  # pragma: no cover
    cli(prog_name="leadcycle")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
