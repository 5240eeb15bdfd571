"""The real-estate commands: ``approve``, ``phase``, ``report deals``."""

from __future__ import annotations

import click

from leadcycle.cli.output import echo_json, emit, event_line, lead_id, output_format, output_options, table
from leadcycle.privacy import mask_phone

from . import phase as phase_mod
from . import report as report_mod
from . import review as review_mod


def _lead_id(value: str) -> int:
    return lead_id(value, "LEAD")


@click.command()
@click.argument("lead")
@click.option("--agent", help="The approving manager (销售经理).")
@click.option("--note", help="Why (recorded with the approval).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.pass_obj
def approve(env, lead, agent, note, as_json):
    """A manager approves a C lead's downgrade to D.

    A manager approves a C lead's downgrade to D (DOMAIN §2: only with the
    manager's approval, after the follow-up record); prints that record.

    Examples:

    \b
    leadcycle approve 12 --agent 陈经理
    """
    book = env.book()
    before, after = review_mod.approve(book, _lead_id(lead), agent, note)
    record = review_mod.follow_up_record(before)
    lang = env.lang
    if as_json:
        from leadcycle.cli.commands import event_json, state_json

        out = state_json(after, lang)
        out["approved_by"] = agent
        out["follow_up_record"] = [event_json(e) for e in record]
        echo_json(out)
        return
    ind = before.industry
    kinds = {k.name: k for k in ind.event_kinds} if ind else {}
    lead_ = before.lead
    click.echo(f"Lead #{lead_.id} {lead_.name} {mask_phone(lead_.phone)}  owner {after.state.owner or '(pool)'}")
    click.echo("Follow-up record:" if lang == "en" else "跟进记录：")
    from leadcycle.corrections import voided_by

    voided = voided_by(before.events)
    for e in record:
        click.echo(event_line(e, kinds, lang, voided))
    click.echo(f"grade C → {after.state.grade}: approved by {agent}" if lang == "en"
               else f"等级 C → {after.state.grade}：{agent} 已批准")


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
    if lang == "zh":
        click.echo(f"{rep['today']}：{label}（开盘 {rep['launch_date']}）")
        click.echo(f"已售 {rep['units_sold']}/{rep['total_units']} 套（{rep['sold_percent']:g}%），"
                   f"当前目标 {low:g}–{high:g}%：" + {"ahead": "超前", "behind": "落后", "on track": "符合目标",
                                                    "not started": "尚未开始"}[rep["status"]])
    else:
        click.echo(f"{rep['today']}: {label} (launch {rep['launch_date']})")
        click.echo(f"sold {rep['units_sold']} of {rep['total_units']} units ({rep['sold_percent']:g} %), "
                   f"target now {low:g}–{high:g} %: {rep['status']}")
    rows = [(p["label"][lang], p["start"], p["end"], f"{p['target_percent'][0]}–{p['target_percent'][1]} %",
             "◀" if p["phase"] == rep["phase"] else "") for p in rep["phases"]]
    click.echo(table(rows, ["phase", "from", "until", "cumulative target", ""]))


@click.command(name="deals")
@click.option("--by", "by", type=click.Choice(report_mod.BY), default="unit_type", show_default=True,
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
        click.echo("no closed deals yet (log one with: leadcycle log LEAD contract --set units=1)"
                   if lang == "en" else "尚无成交（用 leadcycle log 客户 contract 记录签约）")
        return
    rows = [(g["label"][lang], g["deals"], g["units"], f"{g['share_percent']:g} %", g["company"] or "")
            for g in rep["groups"]]
    click.echo(table(rows, [by, "deals", "units", "share", "company"]))
    click.echo(f"{rep['deals']} deals, {rep['units']} units, {rep['company_purchases']} in a company's name")


def register(cli) -> None:
    cli.add_command(approve)
    cli.add_command(phase)
    group = cli.commands.get("report")
    if group is None:
        @click.group(name="report")
        def group():
            """Reports over the closed deals and the pipeline."""
        cli.add_command(group)
    group.add_command(deals)
