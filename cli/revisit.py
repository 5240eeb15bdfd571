"""``leadcycle revisit …``: the revisit workflow of seed 000 (see
:mod:`leadcycle.revisit`), and ``leadcycle report sources``."""

from __future__ import annotations

import click

from leadcycle.i18n import M_

from . import reports
from .app import cli
from .output import (_, emit, lead_id as parse_lead_id, output_options, overdue, owner_cell, phone_view,
                     unmask_option)

@cli.group()
def revisit():
    """The revisit workflow (客户回访): plan to archive.

    The revisit workflow (客户回访): list → plan → appoint → record → report → approve → archive.

    Examples:

    \b
    leadcycle revisit list --agent 李娜
    leadcycle revisit due
    """


def _write(env, lead, kind, agent, data, note=None, manager=False):
    from leadcycle import revisit as rv

    book = env.book()
    lead_id = parse_lead_id(lead, "LEAD")
    if manager:
        book.require("manager", M_("reviewing a revisit report"))
        book.agent(book.author(agent), manager=True)
    state = rv.write(book, lead_id, kind, agent=agent, data=data, note=note)
    click.echo(_("lead #{lead_id}: {what}").format(lead_id=lead_id, what=rv.LABELS[kind](env.lang))
               + (f" — {data.get('planned_at') or data.get('appointed_at')}" if kind in (
                   "revisit_plan", "revisit_appointment") else ""))
    return state


AGENT = click.option("--agent", help="Who does this step (on an office database: the signed-in agent).")


@revisit.command(name="list")
@click.option("--grade", help="Only leads of this grade (A, B, C, D).")
@AGENT
@output_options
@click.pass_obj
def list_cmd(env, grade, agent):
    """Your leads and where their revisit stands.

    Pick the revisit list: your leads (by grade) and where their revisit stands.

    Examples:

    \b
    leadcycle revisit list --grade A --agent 李娜
    """
    from leadcycle import revisit as rv

    book = env.book()
    filters = {"grade": grade} if grade else {}
    if agent:
        book.agent(agent, reading=True)
        filters["owner"] = agent
    rows = []
    for r in book.list(**filters, attributes=False):
        step = rv.current(book.seen(book.store.events_for(r["id"])))
        rows.append({"lead_id": r["id"], "name": r["name"], "grade": r["grade"], "owner": r["owner"],
                     "revisit": step.kind if step else None,
                     "text": rv.LABELS[step.kind](env.lang) if step else ""})
    emit(rows, ("lead_id", "name", "grade", "owner", "revisit", "text"),
         [_("lead"), _("name"), _("grade"), _("owner"), _("revisit")],
         [(r["lead_id"], r["name"], r["grade"] or "-", owner_cell(r["owner"]), r["text"] or "-") for r in rows])


@revisit.command()
@click.argument("lead")
@click.option("--at", "planned_at", required=True, help="Planned time, e.g. 2026-03-10T14:00.")
@click.option("--content", required=True, help="What the revisit covers (回访内容).")
@click.option("--purpose", required=True, help="Why (回访目的).")
@AGENT
@click.pass_obj
def plan(env, lead, planned_at, content, purpose, agent):
    """Plan a revisit: time, content, purpose (《客户回访计划》).

    Examples:

    \b
    leadcycle revisit plan 12 --at 2026-03-10T14:00 --content 新楼盘推介 --purpose 邀约复访 --agent 李娜
    """
    _write(env, lead, "revisit_plan", agent, {"planned_at": planned_at, "content": content, "purpose": purpose})


@revisit.command()
@click.argument("lead")
@click.option("--at", "appointed_at", required=True, help="The time agreed with the client.")
@AGENT
@click.pass_obj
def appoint(env, lead, appointed_at, agent):
    """Record the time agreed with the client (预约拜访时间).

    Examples:

    \b
    leadcycle revisit appoint 12 --at 2026-03-10T15:00 --agent 李娜
    """
    _write(env, lead, "revisit_appointment", agent, {"appointed_at": appointed_at})


@revisit.command()
@click.argument("lead")
@click.option("--reaction", help="The client's reaction (客户反应).")
@click.option("--note", required=True, help="What was said and learned (《客户回访记录表》).")
@AGENT
@click.pass_obj
def record(env, lead, reaction, note, agent):
    """The revisit took place: record it (实施回访). It counts as a contact.

    Examples:

    \b
    leadcycle revisit record 12 --reaction 积极 --note 有意向看样板间 --agent 李娜
    """
    _write(env, lead, "revisit_done", agent, {"reaction": reaction}, note)


@revisit.command()
@click.argument("lead")
@click.option("--note", required=True, help="The main conclusions (《客户回访报告》).")
@AGENT
@click.pass_obj
def report(env, lead, note, agent):
    """Write the revisit report for the supervisor (整理回访记录).

    Examples:

    \b
    leadcycle revisit report 12 --note 客户预算充足，周末复访 --agent 李娜
    """
    _write(env, lead, "revisit_report", agent, {}, note)


@revisit.command()
@click.argument("lead")
@click.option("--opinion", required=True, help="The supervisor's guidance (指导意见).")
@AGENT
@click.pass_obj
def approve(env, lead, opinion, agent):
    """The supervisor reviews the revisit (managers only).

    The supervisor reviews the record and report (主管领导审阅) — managers only.

    Examples:

    \b
    leadcycle revisit approve 12 --opinion 同意 --agent 陈经理
    """
    _write(env, lead, "revisit_review", agent, {"opinion": opinion}, manager=True)


@revisit.command()
@click.argument("lead")
@AGENT
@click.pass_obj
def archive(env, lead, agent):
    """File the reviewed revisit with the client's records (保存资料).

    Examples:

    \b
    leadcycle revisit archive 12 --agent 李娜
    """
    _write(env, lead, "revisit_archive", agent, {})


@revisit.command(name="due")
@AGENT
@unmask_option
@output_options
@click.pass_obj
def due_cmd(env, agent, unmask):
    """Revisits due or overdue; reports awaiting review.

    Revisits planned for today or earlier and not done; reports waiting for review.

    Examples:

    \b
    leadcycle revisit due --agent 李娜
    """
    from leadcycle import privacy
    from leadcycle import revisit as rv

    from .commands import _mask_due_phones

    book = env.book()
    if agent:
        book.agent(agent, reading=True)
    phones = phone_view(env, unmask, privacy.own_leads)
    items = rv.due(book, agent, book.now.date())
    _mask_due_phones(book, items, phones)  # masked as every other list masks them
    for i in items:
        i["text"] = i["text"](env.lang)
    emit(items, ("owner", "lead_id", "name", "text", "days_overdue"),
         [_("owner"), _("lead"), _("name"), _("to do"), _("status")],
         [(owner_cell(i["owner"]), i["lead_id"], i["name"], i["text"], overdue(max(i["days_overdue"], 0)))
          for i in items],
         empty=(_("no revisit due on {day} for {agent}") if agent else _("no revisit due on {day}")).format(
             day=book.now.date(), agent=agent))


@click.command(name="sources")
@click.option("--industry", help="Only this industry.")
@output_options
@click.pass_obj
def sources_cmd(env, industry):
    """Leads and deals by lead source (来源).

    Leads and deals by lead source (来源), recorded or from the registration.

    Examples:

    \b
    leadcycle report sources --industry realestate
    """
    from leadcycle import profile

    book = env.book()
    book.refresh()
    rows = profile.sources_report(book, industry)
    emit(rows, ("source", "en", "zh", "leads", "deals", "leads_pct"),
         [_("source"), _("leads"), _("deals"), _("share of leads")],
         [(r[env.lang], r["leads"], r["deals"], f"{r['leads_pct']:g} %") for r in rows])


reports.report.add_command(sources_cmd)  # a core report: leadcycle report sources
