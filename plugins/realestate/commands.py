"""The real-estate commands: ``approve``, ``lift``, ``phase``, ``report deals``."""

from __future__ import annotations

import click

from leadcycle.cli.choices import Spoken
from leadcycle.cli.output import Words, echo_json, emit, event_line, lead_id, output_format, output_options, table
from leadcycle.i18n import N_, _
from leadcycle.privacy import mask_phone

from . import phase as phase_mod
from . import report as report_mod
from . import review as review_mod


def _lead_id(value: str) -> int:
    return lead_id(value, "LEAD")


#: how the sales compare with the phase's target (``phase``)
STATUS = {"ahead": N_("ahead"), "behind": N_("behind"), "on track": N_("on track"), "not started": N_("not started")}


def _print_record(env, record) -> None:
    """The lead's follow-up record, as a manager reads it before deciding."""
    from leadcycle.corrections import voided_by

    lang = env.lang
    ind = record.industry
    kinds = {k.name: k for k in ind.event_kinds} if ind else {}
    lead_ = record.lead
    click.echo(_("Lead #{id} {name} {phone}  grade {grade}  owner {owner}").format(
        id=lead_.id, name=lead_.name, phone=mask_phone(lead_.phone), grade=record.state.grade or "-",
        owner=record.state.owner or _("(pool)")))
    click.echo(_("Follow-up record:"))
    voided = voided_by(record.events)
    words = Words(env.book(), lang)
    for e in review_mod.follow_up_record(record):
        click.echo(event_line(e, kinds, lang, voided, words=words, industry=lead_.industry))


def _confirm(question: str) -> bool:
    """Ask; no answer (end of input, Ctrl-C) is no."""
    try:
        return click.confirm(question, default=False)
    except click.exceptions.Abort:
        click.echo()
        return False


@click.command()
@click.argument("lead")
@click.option("--agent", help="The approving manager (销售经理).")
@click.option("--note", help="Why (recorded with the approval).")
@click.option("--yes", is_flag=True, help="Approve without asking (the record is still printed first).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON (implies --yes).")
@click.pass_obj
def approve(env, lead, agent, note, yes, as_json):
    """A manager approves a C lead's move into D (批准降为D类).

    DOMAIN §2: only with the manager's approval, after the follow-up
    record. The record is printed first and the manager confirms; an
    agent's rating that makes D waits here as a request (see
    ``leadcycle review``).

    Examples:

    \b
    leadcycle approve 12 --agent 陈经理
    leadcycle approve 12 --agent 陈经理 --yes
    """
    book = env.book()
    lead_no = _lead_id(lead)
    lang = env.lang
    if not as_json:
        _print_record(env, review_mod.approval_record(book, lead_no, agent))
        if not yes and not _confirm(_("Approve the move into D?")):
            raise click.ClickException(_("not approved; nothing was written (--yes approves without asking)"))
    before, after = review_mod.approve(book, lead_no, agent, note)
    if as_json:
        from leadcycle.cli.commands import event_json, state_json

        out = state_json(after, lang)
        out["approved_by"] = agent
        out["follow_up_record"] = [event_json(e) for e in review_mod.follow_up_record(before)]
        echo_json(out)
        return
    click.echo(_("grade C → {grade}: approved by {agent}").format(grade=after.state.grade, agent=agent))


@click.command()
@click.argument("lead")
@click.option("--agent", help="The manager (销售经理).")
@click.option("--note", help="Why (recorded).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.pass_obj
def lift(env, lead, agent, note, as_json):
    """A manager lifts a lead's downgrade (解除降级).

    A weekly B/C, or an approved D, which an agent's ratings never undo:
    the grade is the ratings' again.

    Examples:

    \b
    leadcycle lift 12 --agent 陈经理
    """
    book = env.book()
    was, after = review_mod.lift(book, _lead_id(lead), agent, note)
    if as_json:
        from leadcycle.cli.commands import state_json

        out = state_json(after, env.lang)
        out["lifted_by"] = agent
        echo_json(out)
        return
    now = after.state.grade or "-"
    click.echo(_("grade {was} → {now}: downgrade lifted by {agent}").format(was=was, now=now, agent=agent))


@click.command()
@output_options
@click.pass_obj
def phase(env, as_json):
    """The project's sales phase and today's target.

    The project's sales phase, units sold and the target for today
    (warm-up, strong, continuous, tail; DOMAIN §2).

    Examples:

    \b
    leadcycle phase
    leadcycle phase --json
    """
    book = env.book()
    book.industry("realestate")
    rep = phase_mod.phase_report(book)
    if output_format() != "table":  # one record per phase; --json keeps the whole report
        emit(rep["phases"], ("phase", "start", "end", "target_percent"), as_json=rep)
        return
    lang = env.lang
    label = rep["phase_label"][lang]
    low, high = rep["target_now_percent"]
    click.echo(_("{today}: {phase} (launch {launch})").format(today=rep["today"], phase=label,
                                                              launch=rep["launch_date"]))
    click.echo(_("sold {sold} of {total} units ({percent} %), target now {low}–{high} %: {status}").format(
        sold=rep["units_sold"], total=rep["total_units"], percent=f"{rep['sold_percent']:g}", low=f"{low:g}",
        high=f"{high:g}", status=_(STATUS[rep["status"]])))
    rows = [(p["label"][lang], p["start"], p["end"], f"{p['target_percent'][0]}–{p['target_percent'][1]} %",
             "◀" if p["phase"] == rep["phase"] else "") for p in rep["phases"]]
    click.echo(table(rows, [_("phase"), _("from"), _("until"), _("cumulative target"), ""]))


#: the attributes deals are grouped by, as an office says them
BY_WORDS = {"unit_type": ("户型",), "age_band": ("年龄段", "年龄"), "area_band": ("面积段", "面积"),
            "occupation": ("职业",), "building": ("楼栋", "楼号"), "building_unit_type": ("楼栋户型",)}


@click.command(name="deals")
@click.option("--by", "by", type=Spoken(BY_WORDS), default="unit_type", show_default=True,
              help="Group the closed deals by this attribute.")
@output_options
@click.pass_obj
def deals(env, by, as_json):
    """Closed real-estate deals by unit type, age or job.

    Closed real-estate deals and their share by unit type, age band,
    occupation or building (成交客户分析).

    Examples:

    \b
    leadcycle report deals --by unit_type
    """
    book = env.book()
    book.industry("realestate")
    rep = report_mod.deals(book, by)
    if output_format() != "table":  # one record per group; --json keeps the whole report
        emit(rep["groups"], tuple(k for k in (rep["groups"][0] if rep["groups"] else ()) if k != "label")
             or ("deals", "units"), as_json=rep)
        return
    lang = env.lang
    if not rep["deals"]:
        click.echo(_("no closed deals yet (log one with: leadcycle log LEAD contract --set units=1)"))
        return
    rows = [(g["label"][lang], g["deals"], g["units"], f"{g['share_percent']:g} %", g["company"] or "")
            for g in rep["groups"]]
    heading = {"unit_type": N_("unit type"), "age_band": N_("age band"), "area_band": N_("area band"),
               "occupation": N_("occupation"), "building": N_("building"),
               "building_unit_type": N_("building and unit type")}[by]
    click.echo(table(rows, [_(heading), _("deals"), _("units"), _("share"), _("company")]))
    click.echo(_("{deals} deals, {units} units, {company_purchases} in a company's name").format(deals=rep['deals'], units=rep['units'], company_purchases=rep['company_purchases']))


def register(cli) -> None:
    cli.add_command(approve)
    cli.add_command(lift)
    cli.add_command(phase)
    from leadcycle.cli.output import report_group

    report_group(cli).add_command(deals)
