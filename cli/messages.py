"""Building the message catalogs (``make catalogs``): collect every message
a person reads, merge it into each language's ``.po`` and compile the
``.mo`` files leadcycle reads at run time.

Messages come from two places: the code's ``_()`` and ``ngettext()`` calls
(Babel's extractor) and the command line's help — every command's help
text and summary and every option's help, walked from the click tree, so a
new command or option is in the catalog without marking its strings.
Babel is needed here only (the ``test`` extra), never at run time.

    python -m leadcycle.cli.messages            # update the .po files, compile the .mo files
    python -m leadcycle.cli.messages --check    # exit 1 if a .mo is not the compiled .po
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Iterator

import click

from leadcycle.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent

#: click's own words in our help (click marks them for gettext in its own domain)
CLICK_MESSAGES = ("Usage:", "Options:", "Commands:", "Show this message and exit.", "Show the version and exit.",
                  "default:", "required", "env var:")

#: what click itself tells an operator — a usage error, a bad value, a
#: prompt — as click's source spells it (a plural as its two forms); the
#: messages only a plugin's author meets (a command declared wrong) are not
#: here. leadcycle hands click the catalog's gettext (cli/__init__.py).
CLICK_ERRORS = (
    "Error: {message}", "Try '{command} {option}' for help.", "Aborted!",
    "Invalid value: {message}", "Invalid value for {param_hint}: {message}",
    "Missing argument", "Missing option", "Missing parameter", "Missing {param_type}",
    "Missing parameter: {param_name}", "Missing command.",
    "No such option {name!r}.", "No such command {name!r}.",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    "Option {name!r} does not take a value.",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    "Argument {name!r} takes {nargs} values.",
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    "Choose from:\n\t{choices}",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    "{value!r} is not a valid {number_type}.", "{value} is not in the range {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}",
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."),
    "file", "directory", "path", "{name} {filename!r} does not exist.", "{name} {filename!r} is a file.",
    "{name} {filename!r} is a directory.", "{name} {filename!r} is not readable.",
    "{name} {filename!r} is not writable.", "Could not open file {filename!r}: {message}",
    "Do you want to continue?", "Repeat for confirmation", "Error: The two entered values do not match.",
    "Error: invalid input",
)


def _commands(group: click.Group, ctx: click.Context) -> Iterator[tuple[click.Group, str, click.Command]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield group, name, cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, ctx)


def summary_width(group: click.Group, ctx: click.Context, width: int = 80) -> int:
    """How many columns a group's help gives its commands' summaries (click's rule)."""
    names = group.list_commands(ctx)
    return width - 6 - max((len(n) for n in names), default=0)


def help_messages() -> Iterator[tuple[str, str]]:
    """Every help text of the command line: (message, where)."""
    from leadcycle.cli import cli

    ctx = click.Context(cli)
    yield from ((m, "click") for m in CLICK_MESSAGES)
    yield from _own_help(cli, "leadcycle")
    for group, name, cmd in _commands(cli, ctx):
        where = f"leadcycle {name}"
        yield cmd.get_short_help_str(summary_width(group, ctx)), where
        yield from _own_help(cmd, where)


def _own_help(cmd: click.Command, where: str) -> Iterator[tuple[str, str]]:
    if cmd.help:
        yield inspect.cleandoc(cmd.help).partition("\f")[0], where
    for param in cmd.params:
        if getattr(param, "help", None):
            yield param.help, f"{where} {param.opts[-1]}"


def setting_messages() -> Iterator[tuple[str, str]]:
    """Where each setting's default comes from (``settings list``'s source),
    walked from the installed plugins' settings like the help texts."""
    from leadcycle.registry import Registry

    for key, setting in sorted(Registry().settings.items()):
        if setting.source:
            yield setting.source, f"setting {key}"


def code_messages() -> Iterator[tuple[str | tuple[str, str], str]]:
    """The messages the code marks with ``_()``, ``N_()``, ``M_()`` and ``ngettext()``."""
    from babel.messages.extract import extract_from_dir

    for folder in ("core", "cli", "plugins"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")],
                keywords={"_": None, "N_": None, "M_": (1,), "ngettext": (1, 2)}):
            yield message, f"{folder}/{filename}:{lineno}"


def template():
    """The catalog template: every message, with where it is used."""
    from babel.messages.catalog import Catalog

    pot = Catalog(domain=DOMAIN, project="leadcycle", charset="utf-8")
    clicks = [(m, "click") for m in CLICK_ERRORS]
    for message, where in [*help_messages(), *setting_messages(), *code_messages(), *clicks]:
        if message:
            pot.add(message, locations=[(where, 0)])
    return pot


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str):
    from babel.messages.pofile import read_po

    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def update() -> None:
    """Merge the template into every language's .po (new messages come in
    untranslated, gone ones are dropped), then compile."""
    from babel.messages.pofile import write_po

    pot = template()
    for lang in LANGUAGES:
        if lang == "en":
            continue
        po = read(lang)
        po.update(pot, no_fuzzy_matching=True)
        po.obsolete.clear()
        with open(po_path(lang), "wb") as f:
            write_po(f, po, omit_header=False, sort_output=True, include_lineno=False, width=100)
    compile_all()


def compiled(lang: str) -> bytes:
    """The .mo of ``lang``'s .po, as ``make catalogs`` writes it."""
    import io

    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, read(lang), use_fuzzy=False)
    return buf.getvalue()


def compile_all() -> None:
    for lang in LANGUAGES:
        if lang != "en":
            po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))


def stale() -> list[str]:
    """The languages whose .mo is not their compiled .po."""
    return [lang for lang in LANGUAGES if lang != "en"
            and po_path(lang).with_suffix(".mo").read_bytes() != compiled(lang)]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for lang in bad:
            print(f"{po_path(lang).with_suffix('.mo')} is not the compiled .po; run: make catalogs", file=sys.stderr)
        return 1 if bad else 0
    update()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
