"""``leadcycle import`` and ``leadcycle export``: registers in and out of Excel."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from leadcycle.errors import LeadcycleError
from leadcycle.i18n import M_

from .app import cli
from .output import BATCH_MAX, N_, _, echo_json, interactive, phone_view, table

pass_env = click.pass_obj


def _mapping(values) -> dict[str, str]:
    out = {}
    for pair in values:
        if "=" not in pair:
            raise click.BadParameter(_("{pair!r} is not COLUMN=FIELD").format(pair=pair), param_hint="--map")
        column, field = pair.split("=", 1)
        if not column.strip():
            raise click.BadParameter(_("{pair!r} has no column before '='").format(pair=pair), param_hint="--map")
        out[column.strip()] = field.strip()
    return out


@contextlib.contextmanager
def _progress(label: str, total: int | None, enabled: bool):
    """A progress bar on stderr when it is a terminal; quiet when piped."""
    if not enabled or not total:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


IMPORT_LABELS = {
    "imported": N_("imported (new leads)"),
    "merged": N_("merged into existing leads"),
    "unchanged": N_("already on the log"),
    "rejected": N_("rejected"),
    "already_imported": N_("already imported by an earlier run"),
}


def _list_profiles(ctx, _param, value):
    """``--list-profiles``: the built-in mapping profiles and where they are."""
    if not value or ctx.resilient_parsing:
        return
    from leadcycle import profiles

    for p in profiles.builtin():
        click.echo(f"{p.name:18} {p.title}\n{'':18} {p.path}")
    click.echo(_("copy one, edit it and import with --profile PATH.toml"))
    ctx.exit(0)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--industry", help="The industry of the leads (else the file's industry column, or the "
                                 "database's only industry).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Read COLUMN as FIELD (name, gender, phone, need, registered, agent, channel, "
                   "relation, note or an attribute); COLUMN=- skips it. Repeatable.")
@click.option("--profile", metavar="NAME|PATH",
              help="Read the columns with this mapping profile (default: recognised from the headers).")
@click.option("--list-profiles", is_flag=True, expose_value=False, is_eager=True, callback=_list_profiles,
              help="List the built-in mapping profiles and where their files are, and exit.")
@click.option("--sheet", "sheets", multiple=True, metavar="NAME",
              help="Import only this sheet of a workbook (default: every sheet). Repeatable.")
@click.option("--header-row", type=click.IntRange(min=1), metavar="N",
              help="The row holding the column headers (default: found below any title rows).")
@click.option("--dry-run", is_flag=True, help="Show what would be imported, merged and rejected; write nothing.")
@click.option("--agent", help="Receiving agent for rows without one (置业顾问).")
@click.option("--add-agents", is_flag=True, help="Create agents named in the file who do not exist yet.")
@click.option("--batch-size", type=click.IntRange(min=1, max=BATCH_MAX), show_default="10,000",
              help="Rows per transaction (a run killed half-way keeps the batches it committed).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def import_cmd(env, file, industry, maps, profile, sheets, header_row, dry_run, agent, add_agents, batch_size,
               as_json):
    """Import a register, another CRM's export, or a history.

    A register (.xlsx, .xls, .ods, .csv or .tsv) with Chinese or English
    headers, or another CRM's export (see --list-profiles).

    Every sheet is read (or --sheet), its header row found below any title
    rows (or --header-row), merged cells filled down. Every row is checked
    as 'lead add' checks it; bad rows go to FILE.rejects.csv with their row
    number and the reason, and the command exits 1 (so does a sheet that
    has no header row). A text file may be UTF-8, UTF-16, GB18030 (GBK) or
    Big5; one that does not parse (a quote never closed) is refused whole.
    Rows already imported — by their content, however the file was saved
    since — are skipped; a run that was interrupted is finished by running
    it again. --dry-run does all of it and writes nothing.

    A file written by 'export --history' (.jsonl, or .xlsx with a history
    sheet) is applied whole or not at all: what the database has already
    is skipped, the rest appended with its own dates.

    Examples:

    \b
    leadcycle import 来访客户登记表.xlsx --industry realestate
    leadcycle import 来访客户登记表.xlsx --industry realestate --dry-run
    leadcycle import clues.xlsx --industry software_sales --profile yudao_clue
    leadcycle import all.jsonl
    """
    from leadcycle.io import BATCH, count_rows, import_file

    book = env.book()
    from leadcycle import history

    if history.is_history(file):
        return _import_history(env, book, file, as_json, bool(industry or maps or agent or add_agents or profile
                                                              or sheets or header_row or dry_run))
    mapping = _mapping(maps)
    show = interactive() and not as_json
    total = count_rows(file) if show and os.path.exists(file) else None
    with _progress("importing", total, show) as update:
        result = import_file(book, file, industry, mapping=mapping, agent=agent, add_agents=add_agents,
                             batch_size=batch_size or BATCH, progress=update, profile=profile,
                             sheets=tuple(sheets),
                             header_row=header_row, dry_run=dry_run)
    out = result.to_json()
    if as_json:
        echo_json(out)
    else:
        _summary(result, out)
    # an empty sheet (Sheet2, Sheet3 of a new workbook) is said, and fails nothing
    if result.rejected or any(not s["empty"] for s in result.skipped_sheets):
        sys.exit(1)


HISTORY_LABELS = {"industries": N_("industries"), "settings": N_("settings"), "agents": N_("agents"),
                  "receptions": N_("receptions"), "relations": N_("relations"), "leads": N_("leads"),
                  "events": N_("events")}


def _import_history(env, book, file, as_json, options):
    """``import`` of a file written by ``export --history``."""
    from leadcycle.history import import_history

    if options:
        raise click.UsageError(_("a history file brings its own industries and agents and is applied whole: drop "
                                 "--industry, --map, --profile, --sheet, --header-row, --dry-run, --agent and "
                                 "--add-agents"))
    out = import_history(book, file).to_json()
    if as_json:
        echo_json(out)
        return
    rows = [(_(HISTORY_LABELS[t]), v["added"], v["already_there"]) for t, v in out["tables"].items()]
    click.echo(table(rows, [_("table"), _("added"), _("already there")]))


def _summary(result, out: dict) -> None:
    if result.dry_run:
        click.echo(_("dry run: what the import would do; nothing was written"))
    rows = [(_(IMPORT_LABELS[k]), out[k]) for k in IMPORT_LABELS]
    click.echo(table(rows, [_("rows"), _("count")]))
    if result.encoding:
        click.echo(_("read as: {encoding}").format(encoding=result.encoding))
    for s in result.sheets:
        where = _("{sheet}: ").format(sheet=s["sheet"]) if s["sheet"] is not None else ""
        counts = _(", ").join(f"{_(IMPORT_LABELS[k])} {s[k]}" for k in IMPORT_LABELS if s[k])
        line = (_("header row {row}, profile {profile} (recognised from the headers)") if s["recognised"] else
                _("header row {row}, profile {profile}")).format(row=s["header_row"], profile=s["profile"])
        click.echo(where + line + (_("; ") + counts if counts else ""))
        if s.get("not_read"):
            click.echo(where + _("not read: {columns} (each lead's log decides them: a copy with its log is "
                                 "export --history)").format(columns=_(", ").join(s["not_read"])), err=True)
    for s in result.skipped_sheets:
        click.echo(_("sheet {sheet} not imported: {reason}").format(sheet=s["sheet"], reason=s["reason"]), err=True)
    if result.agents_added:
        click.echo(_("agents added: {names}").format(names=", ".join(result.agents_added)))
    if result.dry_run:
        for sheet, row, reason in result.rejects:
            where = f"{sheet}!{row}" if sheet is not None and len(result.sheets) > 1 else str(row)
            click.echo(_("rejected {where}: {reason}").format(where=where, reason=reason))
    elif result.rejected:
        click.echo(_("rejected rows and reasons: {path}").format(path=result.rejects_path), err=True)


@cli.command(name="export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json", "jsonl"]), default=None,
              help="Output format (default: from --output's extension, else csv).")
@click.option("--industry", help="Only this industry.")
@click.option("--grade", help="Only this grade (A, B, C, D…).")
@click.option("--owner", help="Only this agent's leads.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default, or -: stdout).")
@click.option("--unmask", is_flag=True,
              help="Write phone numbers in full (managers only; default: 138****1234).")
@click.option("--force", is_flag=True, help="Replace --output if it exists (never the database).")
@click.option("--history", is_flag=True,
              help="Every lead with every event, the agents, settings and industries: a .jsonl or .xlsx "
                   "file that 'leadcycle import' reads back (with --unmask) into this or a new database.")
@pass_env
def export_cmd(env, fmt, industry, grade, owner, output, unmask, force, history):
    """Export leads to .xlsx or .csv, or the whole history.

    Export leads with their registration, attributes, grade and owner.

    Phones are masked unless --unmask (a manager's); an unmasked .xlsx or
    .csv export imports back into the same leads ('leadcycle import FILE'); a
    .json one is for programs. An existing
    file is replaced only with --force, the database never; an export that
    matches no lead writes nothing and exits 1. Text that starts like a
    formula (=, +, -, @) is written as text.

    Examples:

    \b
    leadcycle export --industry realestate --grade A -o a-leads.xlsx
    leadcycle export --history --unmask -o all.jsonl
    """
    from leadcycle import privacy
    from leadcycle.io import export_grade, export_to_file, write_export

    if output == "-":
        output = None  # stdout, as the default (never a file named "-")
    book = env.book()
    if history:
        return _export_history(env, book, output, fmt, unmask, force, bool(industry or grade or owner))
    if industry:
        book.industry(industry)
    if owner and book.store.get_agent(owner) is None:
        raise LeadcycleError(N_("unknown agent {owner!r}; see: leadcycle agent list"), owner=owner)
    ext = _extension(fmt, output)
    if fmt is None:
        fmt = ext if ext in ("csv", "xlsx", "json", "jsonl") else "csv"
    if fmt == "jsonl":
        raise click.UsageError(_("JSON lines hold a history: add --history (or write .csv, .xlsx or .json)"))
    if fmt == "xlsx" and not output:
        raise click.UsageError(_("xlsx needs a file: give --output FILE.xlsx"))
    export_grade(book, industry, grade)  # a grade off the scale is one line, before any work
    if output is not None:
        from leadcycle.io import check_export_target

        check_export_target(output, env.db_path, force)  # never the database, never a file without --force
    phone_view(env, unmask, privacy.managers_only, M_("an export"))
    show = interactive() and output is not None
    total = book.store.count_leads(industry) if show else None
    kw = dict(industry=industry, grade=grade, owner=owner, unmask=unmask, lang=env.lang)
    with _progress("exporting", total, show) as update:
        if output is None:
            n = write_export(book, fmt, sys.stdout, progress=update, **kw)
        else:
            n = export_to_file(book, output, fmt, force=force, progress=update, **kw)
    if output is not None:
        click.echo((_("{n} leads written to {output}") if unmask else _("{n} leads written to {output} (phones masked)"))
                   .format(n=n, output=output), err=True)


def _extension(fmt: str | None, output: str | None) -> str:
    """``--output``'s extension (lower case, no dot), refused in one line
    when it names another format than ``--format``: an .xlsx workbook
    named m.csv opens nowhere, and does not import back."""
    ext = os.path.splitext(output or "")[1].lower().lstrip(".")
    if fmt is not None and ext in ("csv", "xlsx", "json", "jsonl", "xls", "tsv") and ext != fmt:
        raise click.UsageError(_("--format {fmt} and --output {output} disagree: name the file .{fmt}, or "
                                 "leave --format out").format(fmt=fmt, output=output))
    return ext


def _export_history(env, book, output, fmt, unmask, force, filtered):
    """``export --history``: the whole database, never filtered (a lead's
    referral or a void names other rows)."""
    from leadcycle import privacy
    from leadcycle.history import write_history
    from leadcycle.io import check_export_target, export_to_file

    if filtered:
        raise click.UsageError(_("a history is the whole database: drop --industry, --grade and --owner"))
    if not output:
        raise click.UsageError(_("a history needs a file: give --output FILE.jsonl or FILE.xlsx"))
    ext = _extension(fmt, output)
    fmt = fmt or ext
    if fmt not in ("jsonl", "xlsx"):
        raise click.UsageError(_("a history is written as .jsonl or .xlsx: give --output FILE.jsonl or FILE.xlsx"))
    if book.store.leads_logged_after(book.now):
        # the history is the whole chained log: a prefix of it would not be "as of" the clock
        # for every table, and one stamped with the clock must not hold what came after it
        raise click.UsageError(_("a history is the whole log, and entries were logged after the clock "
                                 "({now}); export it without --now (leadcycle export, without --history, "
                                 "gives the leads as they were then)").format(now=book.now.isoformat(sep=" ")))
    check_export_target(output, env.db_path, force)
    phone_view(env, unmask, privacy.managers_only, M_("an export"))
    counts = export_to_file(book, output, fmt, force=force, writer=lambda path: write_history(
        book, fmt, path, unmask=unmask))
    text = _("history written to {output}: {leads} leads, {events} events").format(
        output=output, leads=counts["leads"], events=counts["events"])
    if not unmask:
        text += _("; phones masked, so it cannot be imported back — a manager exports one that can with --unmask")
    click.echo(text, err=True)
