"""The ``leadcycle`` group itself: the global options, the run's
:class:`Env`, one-line errors, and the loading of the plugins' commands.

The command modules (``commands``, ``ownership``, ``io``…) add their
commands to :data:`cli`; the package (``leadcycle.cli``) imports them, so
that a command module depends on this one and never on the package
(tests/test_layers.py).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys

import click

from leadcycle.errors import LeadcycleError
from leadcycle.i18n import M_, default_lang

from .output import N_, _, interactive

#: how many leads evaluated again because of other rules make a read note it
STALE_NOTE = 1000


class Env:
    """What every command needs: the database path, the clock, the
    language, and who is looking."""

    def __init__(self, db: str, now: str | None, lang: str, as_name: str | None = None):
        self.db_path = db
        self.now_text = now
        self.lang = lang
        self.as_name = as_name
        self._book = None

    @property
    def now(self):
        from leadcycle.api import parse_now

        return parse_now(self.now_text)

    def book(self):
        """The open database (it must exist and be a leadcycle one)."""
        if self._book is None:
            from leadcycle.api import LeadBook

            from leadcycle.api import parse_now

            # a --now with an offset is converted by the database's own time zone
            self._book = LeadBook.open(self.db_path, parse_now(self.now_text, timezone=None))
            self._sign_in(self._book)
        return self._book

    def _sign_in(self, book) -> None:
        """On an office database, the session of this run (if any) is the
        book's actor; a bad session is remembered for the first write."""
        from leadcycle import accounts
        from leadcycle.errors import LeadcycleError

        from .sessions import saved_token

        if not accounts.is_office(book.store):
            return
        token = saved_token(self.db_path)
        if token is None:
            return
        try:
            book.actor = accounts.session_agent(book, token)
        except LeadcycleError as e:
            book.actor_problem = e

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

    def viewer(self):
        """The agent who reads the output, for ``--unmask``; None when no one
        is named. On an office database it is the signed-in agent (``--as``
        naming anyone else is refused); elsewhere the agent named by
        ``--as NAME`` / ``LEADCYCLE_AS``. An unknown name is one line; what
        a departed agent may see is :mod:`leadcycle.privacy`'s call."""
        book = self.book()
        if book.office:
            who = book.actor
            if self.as_name and (who is None or self.as_name != who.name):
                if who is None:
                    raise LeadcycleError(N_("on an office database you read as yourself: sign in with: "
                                            "leadcycle login, not {name} (drop --as)"), name=self.as_name)
                raise LeadcycleError(N_("on an office database you read as yourself: you are {you}, "
                                        "not {name} (drop --as)"), you=who.name, name=self.as_name)
            return who
        if not self.as_name:
            return None
        agent = book.store.get_agent(self.as_name)
        if agent is None:
            raise LeadcycleError(N_("--as {name!r} is not an agent of this database; see: leadcycle agent list"),
                                 name=self.as_name)
        return agent

    def note_stale_rules(self) -> None:
        """One line on a terminal when this run's reads evaluated many leads
        because their stored projections were computed under other rules (an
        upgraded leadcycle or plugin, a changed setting): every read does so
        until ``rescore`` stores them again, and the operator should know."""
        book = self._book
        if book is None or book.evaluated < STALE_NOTE or not interactive():
            return
        other = book.store.count_other_rules(book.rules_version)
        if other >= STALE_NOTE:
            click.echo(_("note: {n} leads are stored under other rules (an upgrade, a changed setting), so every "
                         "read evaluates them again; leadcycle rescore stores them anew").format(n=other), err=True)

    def close(self):
        if self._book is not None:
            self._book.close()
            self._book = None


# ------------------------------------------------------------ help in the reader's language


def translate_help(text: str) -> str:
    """A help text in the current language: the whole text when the catalog
    has it, and click's ``  [default: …; required]`` suffix piece by piece."""
    from leadcycle.i18n import _

    head, sep, extra = text.rpartition("  [") if text.endswith("]") else (text, "", "")
    if not sep:
        if not (text.startswith("[") and text.endswith("]")):
            return _(text)
        head, extra = "", text[1:]
    parts = []
    for part in extra[:-1].split("; "):
        name, colon, value = part.partition(": ")
        key = f"{name}:" if colon else part
        label = _(key)
        parts.append(label + ("" if not colon else value if label.endswith("：") else " " + value))
    return (f"{_(head)}  [" if head else "[") + "; ".join(parts) + "]"


def _wide(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)


class LeadcycleFormatter(click.HelpFormatter):
    """click's help formatter, speaking the reader's language: every text,
    heading and definition goes through the message catalog, and text with
    Chinese in it is wrapped by display width (two columns a character),
    which click's own wrapping counts as one."""

    def write_usage(self, prog, args="", prefix=None):
        from leadcycle.i18n import _

        super().write_usage(prog, args, prefix if prefix is not None else f"{_('Usage:')} ")

    def write_heading(self, heading):
        from leadcycle.i18n import _

        heading = f"{heading}:"  # a whole msgid ("Options:"), so that zh can use its own colon
        self.write(f"{'':>{self.current_indent}}{_(heading)}\n")

    def write_text(self, text):
        text = translate_help(text)
        if not _wide(text):
            return super().write_text(text)
        from .output import _wrap

        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for n, para in enumerate(text.split("\n\n")):
            if n:
                self.write_paragraph()
            if para.startswith("\b\n"):  # click's literal block: as written
                self.write("".join(f"{indent}{line}\n" for line in para[2:].splitlines()))
            else:
                self.write("".join(f"{indent}{line}\n" for line in _wrap(" ".join(para.split()), width)))

    def write_dl(self, rows, col_max=30, col_spacing=2):
        rows = [(term, translate_help(text) if text else text) for term, text in rows]
        if not any(_wide(text) for _, text in rows):
            return super().write_dl(rows, col_max, col_spacing)
        from .output import _width, _wrap

        first = min(max(_width(term) for term, _ in rows), col_max) + col_spacing
        width = max(self.width - first - self.current_indent, 10)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if _width(term) <= first - col_spacing:
                self.write(" " * (first - _width(term)))
            else:
                self.write("\n" + " " * (first + self.current_indent))
            lines = _wrap(text, width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first + self.current_indent}}{line}\n")


class LeadcycleContext(click.Context):
    formatter_class = LeadcycleFormatter


class LeadcycleCommand(click.Command):
    context_class = LeadcycleContext


class TranslatedGroup(click.Group):
    """A group whose help, and its commands' help, is in the reader's language."""

    context_class = LeadcycleContext
    command_class = LeadcycleCommand


#: subgroups translate too, without the top group's plugin loading and error handling
TranslatedGroup.group_class = TranslatedGroup


def _tree(group: click.Group, path: tuple[str, ...] = (), seen: set | None = None) -> dict:
    """Every group from ``group`` down, by path, with a copy of its commands:
    what a plugin's ``register_commands`` must leave as it found it."""
    seen = set() if seen is None else seen
    seen.add(id(group))
    out = {path: (group, dict(group.commands))}
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group) and id(cmd) not in seen:
            out.update(_tree(cmd, path + (name,), seen))
    return out


def _restore(tree: dict) -> None:
    for group, commands in tree.values():
        group.commands.clear()
        group.commands.update(commands)


def _keep_existing(before: dict, plugin: str) -> None:
    """Put back every command the plugin replaced or removed, and say so."""
    from leadcycle import loader

    for path, (group, commands) in before.items():
        for name, cmd in commands.items():
            if group.commands.get(name) is not cmd:
                group.commands[name] = cmd
                loader.warn(plugin, M_("register_commands: 'leadcycle {command}' is already a command; the "
                                       "plugin's was refused and the existing one kept",
                                       command=" ".join(path + (name,))))


def _guard_new(before: dict, plugin: str) -> None:
    """Wrap the plugin's new commands, so that an exception escaping one is
    a line naming the plugin (commands inside a new group are covered by
    the group's wrapper)."""
    for path, (group, commands) in before.items():
        for name, cmd in group.commands.items():
            if name not in commands:
                _guard(cmd, plugin, " ".join(path + (name,)))


def _finish_tree(group: click.Group) -> None:
    """Give every command in the tree (plugins' plain click commands too)
    the context whose help speaks the reader's language, and its
    parameters their shell completion (:mod:`.complete`)."""
    from .complete import attach

    for path, (g, commands) in _tree(group).items():
        g.context_class = LeadcycleContext
        attach(g, path)
        _agent_names(g)
        for name, cmd in commands.items():
            cmd.context_class = LeadcycleContext
            attach(cmd, path + (name,))
            _agent_names(cmd)


def _agent_names(cmd: click.Command) -> None:
    """An agent's name as given is trimmed (`` 李娜 `` pasted from a
    register is 李娜, as ``agent add`` keeps it), and one given empty
    (``--appointment ""``) is refused: taken as no name, it let ``receive``
    hand out a regular turn."""
    from .complete import AGENT_PARAMS

    for param in cmd.params:
        if (param.name not in AGENT_PARAMS or getattr(param, "_agent_name", False)
                or (isinstance(param, click.Option) and param.is_flag)):
            continue
        param._agent_name = True
        param.callback = functools.partial(_agent_name, param.callback)


def _agent_name(then, ctx, param, value):
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise click.BadParameter(_("needs an agent's name; see: leadcycle agent list"), ctx=ctx, param=param)
    return then(ctx, param, value) if then is not None else value


def _guard(cmd: click.Command, plugin: str, path: str) -> None:
    # a plugin's module-level command object comes back with each new set of
    # plugins (tests): wrap its own invoke, never a wrapper
    inner = cmd.__dict__.setdefault("_leadcycle_unguarded", cmd.invoke)

    def invoke(ctx):
        try:
            return inner(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit,
                LeadcycleError, sqlite3.Error, BrokenPipeError):
            # one line already, by click or by LeadcycleGroup.invoke; a
            # reader that stopped reading (``| head``) is no fault of the
            # plugin's: click ends quietly, as for the core's commands
            raise
        except Exception as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise OneLine(_("plugin {plugin!r} failed in its command 'leadcycle {path}': {error}; fix or "
                            "uninstall the plugin (leadcycle plugins lists them)").format(
                plugin=plugin, path=path, error=f"{type(e).__name__}: {e}")) from None

    cmd.invoke = invoke


class OneLine(click.ClickException):
    """A one-line error as the operator reads it: ``Error: …`` (``错误：…``)
    around a message already in the reader's language; exit 1."""

    def show(self, file=None) -> None:
        from leadcycle.i18n import _

        click.echo(_("Error: {message}").format(message=self.format_message()), file=file, err=file is None)


class OneLineUsage(click.UsageError):
    """A usage error (a bad option or argument) as one line: what was wrong
    and the help that says what is right — not click's usage block."""

    def show(self, file=None) -> None:
        from leadcycle.i18n import _

        message = self.format_message()
        if self.ctx is not None:  # the program as operators type it, whatever ran it (a test's runner)
            command = " ".join(["leadcycle", *self.ctx.command_path.split()[1:]])
            message = _("{message} (see: {command} --help)").format(message=message, command=command)
        click.echo(_("Error: {message}").format(message=message), file=file, err=file is None)

    @classmethod
    def of(cls, e: click.UsageError) -> "OneLineUsage":
        one = cls(e.format_message(), e.ctx)  # (with its own additions: "Did you mean 'history'?")
        one.exit_code = e.exit_code
        return one


def _printing(e: BaseException) -> bool:
    """Whether ``e`` was raised printing to standard output (``click.echo``
    writing to it: a full disk, /dev/full), not by the command's own work."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    file = tb.tb_frame.f_locals.get("file")
    return file is not None and file in (sys.stdout, getattr(sys.stdout, "buffer", None))


def _quiet_stdout() -> None:
    """Drop what standard output holds: its last flush at exit would only
    fail again, with a traceback."""
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:  # pragma: no cover
        pass


class LeadcycleGroup(TranslatedGroup):
    """A group that turns domain errors into one line, and adds plugin
    commands the first time a command is looked up."""

    #: the plugin manager whose commands are on the group, and the groups'
    #: own commands before any plugin added to them
    _loaded_for = None
    _core_tree: dict | None = None

    def _load_plugin_commands(self) -> None:
        if self is not cli:
            return
        from leadcycle import loader

        pm = loader.get_pm()
        if LeadcycleGroup._loaded_for is pm:
            return
        # another set of plugins (tests, or LEADCYCLE_LOAD_PLUGINS changed in
        # this process): start again from the core's commands
        if LeadcycleGroup._core_tree is None:
            LeadcycleGroup._core_tree = _tree(self)
        else:
            _restore(LeadcycleGroup._core_tree)
        for command in self.commands.values():  # core groups that plugins add to (report)
            if hasattr(command, "reset_plugin_commands"):
                command.reset_plugin_commands()
        LeadcycleGroup._loaded_for = pm
        for plugin, impl in loader.implementations("register_commands"):
            before = _tree(self)
            try:
                loader.call_one("register_commands", plugin, impl, {"cli": self})
            except loader.PluginFailed as e:
                _restore(before)  # a plugin that raised adds nothing
                loader.skipped(e)
                continue
            _keep_existing(before, plugin)
            _guard_new(before, plugin)
        _finish_tree(self)

    def get_command(self, ctx, cmd_name):
        self._load_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as e:  # the global options (--now 2026-13-01)
            raise e if isinstance(e, OneLineUsage) else OneLineUsage.of(e) from None

    def list_commands(self, ctx):
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx):
        if sys.stdout is None:  # started with its output closed (leadcycle list >&-)
            raise OneLine(_("standard output is closed; send it somewhere (a file, /dev/null)"))
        try:
            result = super().invoke(ctx)
            if isinstance(ctx.obj, Env):
                ctx.obj.note_stale_rules()
            return result
        except LeadcycleError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise OneLine(e.translated()) from None
        except sqlite3.OperationalError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            if "locked" in str(e) or "busy" in str(e):
                raise OneLine(_("the database is busy with another writer; try again in a moment")) from None
            db = ctx.obj.db_path if isinstance(ctx.obj, Env) else "leads.db"
            if "readonly" in str(e):
                raise OneLine(_("{db} is read-only (the file or its folder), and this needed to write to it or "
                                "beside it; nothing was written — ask for write access, or work on a copy")
                              .format(db=db)) from None
            if "disk is full" in str(e):
                raise OneLine(_("the disk holding {db} is full; nothing was written — free some space and try "
                                "again").format(db=db)) from None
            if "no such table" in str(e) or "no such column" in str(e):
                db = ctx.obj.db_path if isinstance(ctx.obj, Env) else "leads.db"
                raise OneLine(_("{db} was made by an older leadcycle or before a plugin was installed ({error}); "
                                "upgrade it with: leadcycle --db {db} init").format(db=db, error=e)) from None
            raise OneLine(_("database error: {error}").format(error=e)) from None
        except sqlite3.DatabaseError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise OneLine(_("{db} is not a usable leadcycle database: {error}").format(
                db=ctx.obj.db_path if ctx.obj else _("the database"), error=e)) from None
        except click.UsageError as e:  # a command's options and arguments
            raise e if isinstance(e, OneLineUsage) else OneLineUsage.of(e) from None
        except (click.exceptions.ClickException, BrokenPipeError):
            raise  # a pipe the reader closed: click ends quietly
        except UnicodeEncodeError as e:  # printing to a terminal that cannot show Chinese
            if os.environ.get("LEADCYCLE_RAISE_ERRORS") or not _printing(e):
                raise
            _quiet_stdout()
            raise OneLine(_("the output's encoding ({encoding}) cannot show this text; use a UTF-8 locale or "
                            "PYTHONIOENCODING=utf-8 (what the command wrote to the database is kept)").format(
                                encoding=e.encoding)) from None
        except OSError as e:
            if os.environ.get("LEADCYCLE_RAISE_ERRORS") or not _printing(e):
                raise
            _quiet_stdout()
            raise OneLine(_("could not print the output: {error} (what the command wrote to the database is "
                            "kept)").format(error=e.strerror or e)) from None
        except Exception as e:
            # plugin code the core runs outside a hook call (a Feature's
            # compute…): name the plugin; a core bug keeps its traceback
            from leadcycle import loader

            plugin = loader.culprit(e)
            if plugin is None or os.environ.get("LEADCYCLE_RAISE_ERRORS"):
                raise
            raise OneLine(_("plugin {plugin!r} failed: {error}; fix or uninstall the plugin "
                            "(leadcycle plugins lists them)").format(plugin=plugin, error=f"{type(e).__name__}: {e}")
                          ) from None
        finally:
            if ctx.obj is not None and isinstance(ctx.obj, Env):
                ctx.obj.close()


@click.group(cls=LeadcycleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadcycle")
@click.option("--db", "db", envvar="LEADCYCLE_DB", default="leads.db", show_default=True,
              type=click.Path(dir_okay=False), help="The lead database (env LEADCYCLE_DB).")
@click.option("--now", "now", envvar="LEADCYCLE_NOW", metavar="ISO-8601",
              help="Fix the clock for the whole run, e.g. 2026-03-05T10:30 (env LEADCYCLE_NOW).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, is_eager=True,
              callback=lambda ctx, param, value: _set_language(value),
              help="Language of everything printed, help included (env LEADCYCLE_LANG; default from the locale).")
@click.option("--as", "as_name", envvar="LEADCYCLE_AS", metavar="NAME",
              # parsed before any command's parameters are given _agent_names
              callback=lambda ctx, param, value: _agent_name(None, ctx, param, value),
              help="The agent reading the output, for --unmask (env LEADCYCLE_AS); a stand-in "
                   "until sign-in.")
@click.pass_context
def cli(ctx, db, now, lang, as_name):
    """leadcycle — sales leads (意向客户) from first contact to closed deal.

    Global options come before the command. Commands that print records take
    --json, --nl, --csv, --tsv and --fmt NAME. The language is --lang, else
    LEADCYCLE_LANG, else the locale.

    Examples:

    \b
    leadcycle init --industry realestate --simulation
    leadcycle agent add 李娜
    leadcycle lead add --industry realestate --name 张伟 --gender 男 \\
        --phone 13800138000 --need 三房 --agent 李娜
    leadcycle due --agent 李娜
    leadcycle --lang zh list --grade A
    """
    if not str(db).strip():  # SQLite takes "" for a private database that vanishes with the run
        raise click.BadParameter(_("needs the lead database's file name, such as leads.db"), param_hint="--db")
    if now is not None:
        from leadcycle.api import parse_now

        try:
            parse_now(now)
        except LeadcycleError as e:
            text = (_("{now!r} is outside the years {first}–{last} a lead database holds; check the year")
                    .format(now=now, **{k: e.params[k] for k in ("first", "last")}) if "first" in e.params
                    else _("{now!r} is not a time; use ISO-8601 such as 2026-03-05T10:30").format(now=now))
            raise click.BadParameter(text, param_hint="--now") from None
    ctx.obj = Env(db, now, lang or default_lang(), as_name)


def _set_language(lang: str | None) -> str | None:
    """``--lang``, set before any other option is read (it is eager), so
    that ``leadcycle --lang zh --help`` is in Chinese."""
    from leadcycle import i18n

    i18n.set_language(lang)
    return lang


#: click's modules that mark what they print (usage errors, prompts) with
#: the standard library's gettext
CLICK_MODULES = ("core", "exceptions", "parser", "types", "decorators", "termui")


def _click_speaks_the_readers_language() -> None:
    """click marks its own messages with ``gettext.gettext``, which reads one
    language for the whole process (from the environment); leadcycle's is
    chosen per run (``--lang``). So click's modules are given the catalog's
    ``_`` and ``ngettext``, and "No such option" reads "没有选项" under
    --lang zh; click's messages are in our catalog (``CLICK_ERRORS`` in
    cli/messages.py)."""
    import importlib

    from leadcycle import i18n

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = i18n._
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext


_click_speaks_the_readers_language()
