"""Reports people look at (issue #16): ``report html``, ``report daily``,
``notify`` and ``serve``.

``report`` is the core's group; the industry plugins add their own reports
to it (``report deals``, ``report followups``) through ``register_commands``.
The heavy libraries (plotly, datasette) are imported inside the commands,
so ``--help`` stays light.
"""

from __future__ import annotations

import datetime as dt
import os

import click

from .app import cli
from .output import N_, _

pass_env = click.pass_obj

#: the ``--force`` of every command that writes a file
force_option = click.option("--force", is_flag=True, help="Replace the file if it exists.")


class ReportGroup(click.Group):
    """The ``report`` group: its own commands plus those the plugins add.
    When the set of plugins changes in one process, the plugins' reports
    are dropped before they are added again (see ``LeadcycleGroup``)."""

    def reset_plugin_commands(self) -> None:
        self.commands = {name: cmd for name, cmd in self.commands.items() if name in CORE_REPORTS}


@cli.group(cls=ReportGroup)
def report():
    """Reports: HTML, the evening report, the industries'.

    Reports: the period report as HTML, the evening report, and the
    industries' own (deals, follow-ups…).

    Examples:

    \b
    leadcycle report daily
    leadcycle report html -o report.html
    """


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    from leadcycle.model import CLOCK_END, CLOCK_MIN

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a date; use YYYY-MM-DD such as 2026-09-01").format(value=value),
                                 param_hint=option) from None
    if not CLOCK_MIN.date() <= day < CLOCK_END.date():  # 0001-01-01: weeks before it run off the calendar
        raise click.BadParameter(_("{value!r} is outside the years {first}–{last} a lead database holds; check "
                                   "the year").format(value=value, first=CLOCK_MIN.year, last=CLOCK_END.year - 1),
                                 param_hint=option)
    return day


@report.command(name="html")
@click.option("-o", "--output", "output", metavar="FILE", help="Write here (default report.html).")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (default: 4 weeks before --to).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day (default: today, by --now).")
@click.option("--industry", help="Only this industry (default: all enabled).")
@click.option("--team", help="Only this team's agents.")
@click.option("--agent", help="Only this agent.")
@force_option
@pass_env
def report_html(env, output, start, end, industry, team, agent, force):
    """The period report as one HTML file that opens offline.

    One self-contained HTML file that opens offline: grade mix per agent
    week by week, the funnel, follow-up compliance, pool flow, the
    industries' reports and credit per agent; every number lists its leads
    (phones masked). Language from --lang.

    Examples:

    \b
    leadcycle report html -o report.html
    """
    from leadcycle.errors import LeadcycleError
    from leadcycle.reports import data, html, need, period

    if team and agent:
        raise click.UsageError(_("give --team or --agent, not both"))
    need("plotly", "report")
    book = env.book()
    first, last = period(book.now, _date(start, "--from"), _date(end, "--to"))
    scope = data.Scope(book, industry, team, agent)
    if book.store.count_leads(industry) == 0:
        raise LeadcycleError(N_("there are no leads to report on yet; register one with: leadcycle lead add"))
    path = output or "report.html"
    _check(env, path, force)  # before the work, which takes seconds on a large office
    page = html.render(data.collect(book, first, last, scope), env.lang)
    _write(env, path, page, force)
    scope_said = [book.industry(industry).label(env.lang)] if industry else []
    scope_said += [_("team {team}").format(team=team)] if team else []
    scope_said += [agent] if agent else []
    click.echo(_("{path}: report {first} – {last}").format(path=path, first=first, last=last)
               + "".join(_(", ") + x for x in scope_said))


def _check(env, path: str, force: bool, option: str = "--output") -> None:
    from leadcycle.io import check_export_target

    check_export_target(path, env.db_path, force, option)


def _write(env, path: str, text: str, force: bool, option: str = "--output") -> None:
    """``text`` into ``path`` as every written file is: never the database,
    never over a file without ``--force``, complete or not at all
    (:func:`leadcycle.io.write_file`)."""
    from leadcycle.io import write_text_file

    write_text_file(path, env.db_path, text, force=force, option=option)



@report.command(name="daily")
@click.option("--team", help="The team (default: everyone).")
@click.option("--manager", help="The manager whose team it is.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "xlsx", "json"]), default="text",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("-o", "--output", "output", metavar="FILE", help="Write here (xlsx needs it; default: print).")
@force_option
@pass_env
def report_daily(env, team, manager, fmt, as_json, output, force):
    """The evening report: A leads, overdue call-backs, lapses.

    The evening report: A leads and what was done today, B leads,
    overdue call-backs, new leads by source, leads about to lapse.

    Examples:

    \b
    leadcycle report daily --team 一组
    leadcycle report daily --json
    leadcycle report daily --format xlsx -o 日报.xlsx
    """
    from leadcycle.reports import daily

    if as_json:  # as every other command that prints records takes it
        if fmt not in ("text", "json"):
            raise click.UsageError(_("--json is --format json; give one of them"))
        fmt = "json"
    if fmt == "xlsx" and not output:
        raise click.UsageError(_("--format xlsx writes a file; give -o FILE.xlsx"))
    if output:
        _check(env, output, force)
        # a file named for one format holding another opens nowhere (a workbook named d.csv)
        ext = os.path.splitext(output)[1].lower().lstrip(".")
        workbook = ext in ("xlsx", "xls")
        if (fmt == "xlsx") != workbook or ext in ("csv", "tsv", "jsonl"):
            raise click.UsageError(_("--format {fmt} and --output {output} disagree: name the file for the format "
                                     "(.txt, .html, .xlsx, .json), or give the format the file's name says").format(
                                         fmt=fmt, output=output))
    book = env.book()
    rep = daily.daily(book, team, manager, env.lang)
    if fmt == "xlsx":
        from leadcycle.io import write_file

        write_file(output, env.db_path, lambda path: daily.write_xlsx(rep, env.lang, path), force=force)
        click.echo(f"{output}: {daily.title(rep, env.lang)}")
        return
    if fmt == "json":
        from .output import dumps

        text = dumps(daily.to_json(rep)) + "\n"
    else:
        text = daily.text(rep, env.lang) if fmt == "text" else daily.to_html(rep, env.lang)
    if output:
        _write(env, output, text, force)
        click.echo(f"{output}: {daily.title(rep, env.lang)}")
    else:
        click.echo(text, nl=False)


#: the core's own reports (``sources`` is added by cli/revisit.py); the rest
#: are the plugins'
CORE_REPORTS = ("html", "daily", "sources")


# ---------------------------------------------------------------- notify


@cli.group()
def notify():
    """Push the evening report to a group, or a calendar.

    Push the evening report to a WeCom or DingTalk group robot, or write
    an agent's follow-ups as a calendar.

    Examples:

    \b
    leadcycle notify wecom URL --dry-run
    leadcycle notify ics --agent 李娜 -o 李娜.ics
    """


def _push(env, robot: str, url: str, team, manager, secret=None, dry_run=False):
    import time

    from leadcycle.reports import daily
    from leadcycle.reports import notify as nt

    from .output import echo_json

    book = env.book()
    rep = daily.daily(book, team, manager, env.lang)
    body = nt.payload(robot, rep, env.lang)
    if dry_run:
        echo_json(body)
        return
    target = nt.signed_url(url, secret, int(time.time() * 1000)) if secret else url
    nt.post(target, body)
    click.echo(_("sent {title} to the {robot} robot").format(title=daily.title(rep, env.lang), robot=robot))


@notify.command(name="wecom")
@click.argument("webhook")
@click.option("--team", help="The team (default: everyone).")
@click.option("--manager", help="The manager whose team it is.")
@click.option("--dry-run", is_flag=True, help="Print the message; send nothing.")
@pass_env
def notify_wecom(env, webhook, team, manager, dry_run):
    """Post the evening report to a WeCom (企业微信) group robot webhook.

    Examples:

    \b
    leadcycle notify wecom URL --dry-run
    """
    _push(env, "wecom", webhook, team, manager, dry_run=dry_run)


@notify.command(name="dingtalk")
@click.argument("webhook")
@click.option("--secret", envvar="LEADCYCLE_DINGTALK_SECRET", help="The robot's signing secret (加签), if it has one.")
@click.option("--team", help="The team (default: everyone).")
@click.option("--manager", help="The manager whose team it is.")
@click.option("--dry-run", is_flag=True, help="Print the message; send nothing.")
@pass_env
def notify_dingtalk(env, webhook, secret, team, manager, dry_run):
    """Post the evening report to a DingTalk (钉钉) group robot webhook.

    Examples:

    \b
    leadcycle notify dingtalk URL --secret SEC --dry-run
    """
    _push(env, "dingtalk", webhook, team, manager, secret=secret, dry_run=dry_run)


@notify.command(name="ics")
@click.option("--agent", required=True, help="Whose follow-ups.")
@click.option("--days", type=click.IntRange(min=0, max=366), default=14, show_default=True,
              help="Follow-ups due up to this many days ahead (overdue ones go on today).")
@click.option("--unmask", is_flag=True, help="Full phone numbers (a calendar is often synced elsewhere).")
@click.option("-o", "--output", "output", metavar="FILE", help="Write here (default AGENT.ics).")
@force_option
@pass_env
def notify_ics(env, agent, days, unmask, output, force):
    """An agent's follow-ups as an iCalendar (.ics) file.

    An agent's follow-ups as an iCalendar (.ics) file for their phone's calendar.

    Examples:

    \b
    leadcycle notify ics --agent 李娜 -o 李娜.ics
    """
    from leadcycle import privacy
    from leadcycle.reports import notify as nt

    from .output import phone_view

    path = output or f"{agent}.ics"
    _check(env, path, force)
    # full phones as list --unmask shows them: a manager's every one, an agent's own leads'
    phones = phone_view(env, unmask, privacy.own_leads)
    text = nt.calendar(env.book(), agent, days, phones, env.lang)
    _write(env, path, text, force)
    click.echo(_("{path}: {count} follow-ups of {agent}").format(path=path, count=text.count('BEGIN:VEVENT'), agent=agent))


# ----------------------------------------------------------------- serve


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--snapshot", "snapshot", metavar="FILE", help="Where to write the masked snapshot "
              "(default: a temporary file, removed on exit).")
@click.option("--metadata", "metadata_out", metavar="FILE",
              help="Write the snapshot and its datasette metadata.json, and do not serve.")
@force_option
@pass_env
def serve(env, host, port, snapshot, metadata_out, force):
    """Browse a masked snapshot of the leads in datasette.

    Browse the leads in datasette: a snapshot at the clock with every
    phone masked, zh/en labels, facets on grade/stage/owner, canned queries
    (due today, the pool, A leads per agent).

    Examples:

    \b
    leadcycle serve --port 8001
    """
    import json
    import os
    import tempfile

    from leadcycle.io import check_export_target, write_file
    from leadcycle.reports import need
    from leadcycle.reports import serve as sv

    book = env.book()
    # every file checked before any is written: the snapshot beside
    # leads.json is leads.db, which may be the database itself
    if snapshot:
        check_export_target(snapshot, env.db_path, force, "--snapshot", stream=False)
    if metadata_out:
        path = snapshot or os.path.splitext(metadata_out)[0] + ".db"
        if os.path.abspath(path) == os.path.abspath(metadata_out) or (
                os.path.exists(path) and os.path.exists(metadata_out) and os.path.samefile(path, metadata_out)):
            raise click.UsageError(_("--snapshot and --metadata name one file ({path}): the snapshot is a database, "
                                     "the metadata JSON beside it; give them two names").format(path=metadata_out))
        if not snapshot:
            check_export_target(path, env.db_path, force, "--metadata", stream=False)
        check_export_target(metadata_out, env.db_path, force, "--metadata")
        counts = write_file(path, env.db_path, lambda tmp: sv.snapshot(book, tmp, env.lang), force=force,
                            option="--snapshot", stream=False)
        name = os.path.splitext(os.path.basename(path))[0]
        _write(env, metadata_out, json.dumps(sv.metadata(name, book.now.date(), env.lang), ensure_ascii=False,
                                             indent=2), force, "--metadata")
        click.echo(_("{path}: {leads} leads, phones masked; {metadata}: datasette metadata").format(
            path=path, leads=counts["leads"], metadata=metadata_out))
        click.echo(_("serve with: {command}").format(command=f"datasette {path} -m {metadata_out}"))
        return
    datasette_app = need("datasette.app", "serve")
    uvicorn = need("uvicorn", "serve")
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot or os.path.join(tmp, "leads.db")
        counts = (write_file(path, env.db_path, lambda part: sv.snapshot(book, part, env.lang), force=force,
                             option="--snapshot", stream=False) if snapshot else sv.snapshot(book, path, env.lang))
        env.close()
        name = os.path.splitext(os.path.basename(path))[0]
        ds = datasette_app.Datasette([path], metadata=sv.metadata(name, book.now.date(), env.lang),
                                     settings={"default_facet_size": 10})
        click.echo(_("serving {leads} leads (phones masked) on http://{host}:{port}/ — Ctrl-C to stop").format(leads=counts['leads'], host=host, port=port))
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
