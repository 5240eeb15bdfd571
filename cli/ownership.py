"""Ownership commands (DOMAIN §3): pool, claim, queue, receive, recognize,
credit, dispute, reassign, arbitrate, history, and the agent subcommands
relation, away, back, leave."""

from __future__ import annotations

import click

from .app import cli
from .choices import CLAIM_WORDS, VERDICT_WORDS, REASSIGN_WORDS, RELATION_KIND_WORDS, AWAY_WORDS, PENALTY_WORDS, Spoken
from .commands import _lead_id, agent, pass_env
from .output import N_, Words, _, echo_json, emit, ngettext, output_format, output_options, owner_cell, phone_notice, phone_view
from .output import credit_lines, fraction, plain_number, table, unmask_option
from leadcycle.i18n import M_, render

#: the rules that decide an owner (ownership.py, DOMAIN §3): codes in the
#: data, each in the reader's language in history's table
OWNER_RULES = (
    N_("first_contact"), N_("first_visit"), N_("new_client"), N_("named_request"), N_("relation"),
    N_("referral"), N_("no_first_callback"), N_("no_new_intent"), N_("not_recognized"), N_("lapsed"),
    N_("no_contact"), N_("introduction"), N_("no_owner"), N_("claimed"), N_("given_up"), N_("recognized"),
    N_("complaint"), N_("redistribute"), N_("arbitration"), N_("departed"), N_("departed_new_client"),
    N_("departed_handover"), N_("d_pool"),
)

#: an agent's part in a deal's credit (Share.role), as people read it
ROLE_WORDS = {"owner": N_("owner"), "closer": N_("closer"), "claimant": N_("claimant"), "family": N_("family"),
              "stand_in": N_("stand-in"), "arbitrated": N_("arbitrated")}


def role_text(role: str) -> str:
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role


#: a dispute's claim as the reader says it
CLAIM_TEXT = {"knowingly": N_("the closer knowingly worked another's client"),
              "unrecognized": N_("the claimant's client was not recognised")}


#: where a penalty comes from: a manager's record, or the leads' logs
SOURCE_WORDS = {"recorded": N_("recorded"), "derived": N_("from the log")}


def claim_text(claim: str | None) -> str:
    return _(CLAIM_TEXT[claim]) if claim in CLAIM_TEXT else str(claim)


def _owner_line(book, lead_id, lang):
    record = book.record(lead_id)
    state = record.state
    why = next((r for r in state.reasons if r.rule.startswith("owner:")), None)
    text = why.text(lang) if why else ""
    line = _("lead #{id} {name}: owner {owner}").format(id=lead_id, name=record.lead.name,
                                                         owner=owner_cell(state.owner))
    return record, line + ("\n" + _("  why: {reason}").format(reason=text) if text else "")


def _owner_json(record, lang) -> dict:
    state = record.state
    why = next((r for r in state.reasons if r.rule.startswith("owner:")), None)
    return {"lead_id": record.lead.id, "name": record.lead.name, "owner": state.owner,
            "owner_until": state.owner_until, "rule": why.rule.split(":", 1)[1] if why else None,
            "reason": why.text(lang) if why else None}


def _changed(env, lead_id, as_json):
    book = env.book()
    record, line = _owner_line(book, lead_id, env.lang)
    if as_json:
        echo_json(_owner_json(record, env.lang))
    else:
        click.echo(line)


# ------------------------------------------------------------------ pool


@cli.command()
@click.option("--industry", help="Only this industry.")
@click.option("--unmask", is_flag=True, help="Phones in full (managers only; say who you are with --as NAME).")
@output_options
@pass_env
def pool(env, industry, unmask):
    """Leads without an owner (公共客户池).

    Leads without an owner (公共客户池): lapsed, departed agents', phone-only.

    Examples:

    \b
    leadcycle pool
    leadcycle pool --industry realestate --csv
    """

    from leadcycle import privacy

    book = env.book()
    if industry:
        book.industry(industry)
    phones = phone_view(env, unmask, privacy.managers_only, M_("the pool"))
    rows = []
    pooled = book.list(industry=industry, pool=True, attributes=False)
    reasons = book.owner_reasons(r["id"] for r in pooled)
    for r in pooled:
        why = reasons.get(r["id"])
        rows.append({"lead_id": r["id"], "industry": r["industry"], "name": r["name"],
                     "phone": phones.phone(r["phone"], None), "phone_masked": not phones.everything,
                     "grade": r["grade"], "rule": why.rule.split(":", 1)[1] if why else None,
                     "reason": why.text(env.lang) if why else None})
    take = (_("take one with: leadcycle claim LEAD --agent NAME") if book.settings["ownership.pool_claims"] == "open"
            else _("the manager hands them out: leadcycle reassign LEAD --to NAME --reason redistribute"))
    emit(rows, ("lead_id", "industry", "name", "phone", "phone_masked", "grade", "rule", "reason"),
         [_("lead"), _("name"), _("phone"), _("grade"), _("why in the pool")],
         [(r["lead_id"], r["name"], r["phone"], r["grade"], r["reason"]) for r in rows],
         footer=[ngettext("{n} lead in the pool", "{n} leads in the pool", len(rows)).format(n=len(rows))
                 + _("; ") + take,
                 phone_notice(bool(rows) and not phones.everything, env.lang)])


@cli.command()
@click.argument("lead_id")
@click.option("--agent", help="The agent who takes the lead (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def claim(env, lead_id, agent, as_json):
    """Take a lead from the pool.

    Examples:

    \b
    leadcycle claim 8 --agent 赵敏
    """
    lead_id = _lead_id(lead_id)
    env.book().claim(lead_id, agent)
    _changed(env, lead_id, as_json)


# ----------------------------------------------------------------- queue


@cli.command()
@output_options
@pass_env
def queue(env):
    """The reception rotation (轮接): who takes the next walk-in.

    Examples:

    \b
    leadcycle queue
    """
    from leadcycle import reception

    v = dict(reception.view(env.book()))
    v["rotation"] = [{**r, "status_label": r["status_label"](env.lang)} for r in v["rotation"]]
    rotation = v["rotation"]
    emit(rotation, ("position", "agent", "status", "status_label", "makeup_turns", "next"),
         [_("next"), "#", _("agent"), _("status"), _("make-up turns")],
         [("→" if r["next"] else "", r["position"], r["agent"], r["status_label"], r["makeup_turns"] or "")
          for r in rotation],
         as_json=v, footer=[_("lunch break: {agent} is on duty (no turn consumed)").format(agent=v["lunch_duty"])
                            if v["lunch_duty"] else ""])
    if v["lunch_problem"] and output_format() == "table":
        click.echo(_("warning: {problem}").format(problem=render(v["lunch_problem"], env.lang)))


@cli.command(name="queue-order")
@click.argument("agents", nargs=-1, required=True)
@click.option("--agent", "manager", help="The supervisor (on an office database: the signed-in agent).")
@pass_env
def queue_order(env, agents, manager):
    """The supervisor sets the rotation order (排号).

    AGENTS take turns in the order given; agents not named follow in the
    order they were added.

    Examples:

    \b
    leadcycle queue-order 王强 李娜 赵敏 --agent 陈经理
    """
    from leadcycle import reception

    order = reception.set_order(env.book(), list(agents), manager)
    click.echo(_("rotation: {order}").format(order=" → ".join(order)))


@cli.command()
@click.option("--non-buyer", is_flag=True,
              help="The visitor declared a non-buying purpose (vendor, press, survey) on arrival.")
@click.option("--appointment", metavar="AGENT", help="The visitor has an appointment with this agent.")
@click.option("--returning", metavar="OWNER",
              help="A returning client of OWNER: OWNER receives, or (away) the last agent in the order stands in.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def receive(env, non_buyer, appointment, returning, as_json):
    """Name who takes the next walk-in; advance the rotation.

    Name the agent who takes the next walk-in and advance the rotation; a
    returning client (--returning OWNER) goes to the owner, or to a
    stand-in when the owner is away, without using a turn.

    Examples:

    \b
    leadcycle receive
    leadcycle receive --appointment 李娜
    leadcycle receive --returning 李娜
    """
    r = env.book().receive(non_buyer=non_buyer, appointment=appointment, returning=returning)
    if as_json:
        echo_json({**r, "reason": r["reason"](env.lang)})
        return
    if r["warning"]:
        click.echo(_("warning: {problem}").format(problem=render(r["warning"], env.lang)), err=True)
    click.echo(_("next walk-in: {agent} ({reason})").format(
        agent=r["agent"], reason=r["reason"](env.lang).split("：" if env.lang == "zh" else ": ", 1)[-1]))
    for s in r["skipped"]:
        # the reason as the staff say it (公务, 个人): the code under English
        said = AWAY_WORDS.get(s["reason"], (s["reason"],))[0] if env.lang == "zh" else s["reason"]
        click.echo(_("  skipped {agent} ({reason})").format(agent=s["agent"], reason=said)
                   + (_(", make-up turn owed") if s["makeup"] else ""))


@cli.command()
@click.argument("lead_id")
@click.option("--agent", help="The original agent who recognised the client (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def recognize(env, lead_id, agent, as_json):
    """The original agent recognises a returning client.

    The original agent recognises their returning client, received by a
    colleague without naming them, within ownership.recognition_minutes:
    the lead stays theirs (after the window it is the receiver's).

    Examples:

    \b
    leadcycle recognize 5 --agent 李娜
    """
    lead_id = _lead_id(lead_id)
    env.book().recognize(lead_id, agent)
    _changed(env, lead_id, as_json)


# ---------------------------------------------------------------- credit


def deal_json(d, lang, now) -> dict:
    return {
        "deal_event_id": d.event_id, "at": d.at, "closer": d.closer, "owner_at_deal": d.owner,
        "rule": d.rule, "reason": d.reason(lang),
        "shares": [{"agent": s.agent, "share": fraction(s.share), "share_float": float(s.share), "role": s.role}
                   for s in d.shares],
        "subscribed_at": d.subscribed_at, "contract_at": d.contract_at, "dispute_until": d.dispute_until,
        "open_disputes": [{"event_id": i, "claim": c, "claimant": a} for i, c, a in d.open_disputes],
        "disputable": d.disputable(now), "arbitrated": d.arbitrated,
        "violation": d.violation(lang) if d.violation else None,
        # an industry without commission stages (§3.11 is the property office's) has none
        "commission": None if not d.stages else {
            "payable_percent": d.payable_percent,
            "stages": [{"stage": s.name, "label": s.label(lang), "percent": s.percent, "reached_at": s.at}
                       for s in d.stages],
            "per_agent": [{"agent": s.agent, "payable_percent": d.payable_for(s.agent),
                           "percent_of_commission": fraction(s.share * d.payable_for(s.agent)),
                           "departed": s.agent in d.departed} for s in d.shares],
        },
    }


@cli.command()
@click.argument("lead_id")
@output_options
@pass_env
def credit(env, lead_id):
    """Who is credited with a lead's deals, and commission.

    Who is credited with the lead's deals, and the commission payable so far.

    Examples:

    \b
    leadcycle credit 5
    leadcycle credit 5 --json
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    found = book.credit(lead_id)
    out = [deal_json(d, env.lang, book.now) for d in found]
    if output_format() != "table":
        # one record per agent's share of a deal; --json keeps each deal whole
        # what each agent is paid now: a departed agent's part waits (004 提成发放)
        shares = [{"deal_event_id": d["deal_event_id"], "at": d["at"], **s,
                   "percent_of_commission": p.get("percent_of_commission"),
                   "payable_percent": p.get("payable_percent")}
                  for d in out for s, p in zip(d["shares"], d["commission"]["per_agent"] if d["commission"]
                                               else [{}] * len(d["shares"]))]
        emit(shares, ("deal_event_id", "at", "agent", "share", "role", "percent_of_commission",
                      "payable_percent"), as_json=out)
        return
    if not out:
        from leadcycle.claims import policy_of

        industry = book.lead(lead_id).industry
        subscription = industry not in book.context.missing and \
            policy_of(book, industry).deal_moment == "subscription"
        click.echo((_("lead #{id} has no deal yet (a deposit or a contract makes one)") if subscription else
                    _("lead #{id} has no deal yet (a contract makes one)")).format(id=lead_id))
        return
    for d in out:
        click.echo(_("deal of {day} (event {event}): {reason}").format(
            day=f"{d['at']:%Y-%m-%d}", event=d["deal_event_id"], reason=d["reason"]))
        if d["commission"] is None:
            click.echo(table([(s["agent"], s["share"], role_text(s["role"])) for s in d["shares"]],
                             [_("agent"), _("share"), _("role")]))
        else:
            per_agent = d["commission"]["per_agent"]
            click.echo(table([(s["agent"], s["share"], role_text(s["role"]),
                               f"{p['payable_percent']}%" + (" " + _("(departed)") if p["departed"] else ""))
                              for s, p in zip(d["shares"], per_agent)],
                             [_("agent"), _("share"), _("role"), _("payable now")]))
        if d["violation"]:
            click.echo(_("violation: {text}").format(text=d["violation"]))
        if d["arbitrated"]:  # final whatever the window's day: no date still to come
            click.echo(_("disputes: closed by a manager's arbitration (final)"))
        else:
            window = _("disputes: open until {day}") if d["disputable"] else _("disputes: closed on {day}")
            click.echo(window.format(day=d["dispute_until"]))
        for raised in d["open_disputes"]:  # raised, not yet decided: the credit above stands meanwhile
            click.echo(_("open dispute (entry {event}): {claim}, raised by {claimant}; the credit stands until a "
                         "manager decides (leadcycle decide)").format(
                event=raised["event_id"], claim=claim_text(raised["claim"]), claimant=raised["claimant"]))
        if d["commission"] is not None:
            stages = ", ".join(f"{s['label']} {s['percent']}%" + (" ✓" if s["reached_at"] else "")
                               for s in d["commission"]["stages"])
            click.echo(_("commission payable: {percent}%  ({stages})").format(
                percent=d["commission"]["payable_percent"], stages=stages))


@cli.command()
@click.argument("lead_id")
@click.option("--claim", "claim_kind", required=True, type=Spoken(CLAIM_WORDS),
              help="knowingly: the closer knew it was your identified client; unrecognized: you failed to "
                   "recognise your own client within the window and prove the earlier reception.")
@click.option("--agent", help="The agent who raises the dispute (on an office database: the signed-in agent).")
@click.option("--note", help="The evidence.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def dispute(env, lead_id, claim_kind, agent, note, as_json):
    """Raise a dispute about a deal's credit.

    Raise a dispute about a deal's credit (within ownership.dispute_days of
    the subscription); a manager decides it with `leadcycle decide`.

    Examples:

    \b
    leadcycle dispute 5 --claim unrecognized --agent 王强
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    book.dispute(lead_id, claim=claim_kind, claimant=agent, note=note)
    d = book.credit(lead_id)[-1]
    if as_json:
        echo_json(deal_json(d, env.lang, book.now))
        return
    click.echo(_("dispute raised on lead #{lead_id}; the credit stands until a manager decides: "
                 "leadcycle decide {lead_id} upheld|rejected --reason TEXT --agent MANAGER").format(lead_id=lead_id))


@cli.command()
@click.argument("lead_id")
@click.argument("verdict", type=Spoken(VERDICT_WORDS))
@click.option("--split", help="With upheld: the claimant's share, e.g. 1/2 (else the rule's split).")
@click.option("--reason", required=True, help="Why (recorded).")
@click.option("--agent", help="The manager who decides (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def decide(env, lead_id, verdict, split, reason, agent, as_json):
    """A manager decides a dispute over a deal's credit.

    The open dispute on a lead's deal is upheld or rejected (managers only),
    with a split of the credit if the manager sets one.

    Examples:

    \b
    leadcycle decide 5 upheld --split 1/2 --reason 双方均有接待 --agent 陈经理
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    book.decide(lead_id, verdict, manager=agent, reason=reason, split=split)
    d = book.credit(lead_id)[-1]
    if as_json:
        echo_json(deal_json(d, env.lang, book.now))
        return
    said = VERDICT_WORDS[verdict][0] if env.lang == "zh" and verdict in VERDICT_WORDS else verdict  # 成立, 驳回
    click.echo(_("dispute {verdict} on lead #{lead_id}: {reason}").format(verdict=said, lead_id=lead_id,
                                                                          reason=d.reason(env.lang)))
    click.echo(table([(s.agent, fraction(s.share), role_text(s.role)) for s in d.shares],
                     [_("agent"), _("share"), _("role")]))


# ------------------------------------------------------ manager decisions


@cli.command()
@click.argument("lead_id")
@click.option("--to", "to", required=True, help="The new owner.")
@click.option("--reason", required=True, type=Spoken(REASSIGN_WORDS),
              help="complaint: the client asked to change agent for bad service (all credit moves); "
                   "redistribute: the manager hands out a pooled lead.")
@click.option("--agent", help="The manager who decides (on an office database: the signed-in agent).")
@click.option("--note", help="Details.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def reassign(env, lead_id, to, reason, agent, note, as_json):
    """Move a lead to another agent (managers only).

    Examples:

    \b
    leadcycle reassign 5 --to 赵敏 --reason complaint --agent 陈经理
    """
    lead_id = _lead_id(lead_id)
    env.book().reassign(lead_id, to, reason=reason, manager=agent, note=note)
    _changed(env, lead_id, as_json)


@cli.command()
@click.argument("lead_id")
@click.option("--to", "to", required=True, help="The agent the lead belongs to.")
@click.option("--reason", required=True, help="Why (recorded).")
@click.option("--agent", help="The manager who arbitrates (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def arbitrate(env, lead_id, to, reason, agent, as_json):
    """A manager's final decision on a dispute.

    A manager's final decision on a dispute, recorded with its reason.

    Examples:

    \b
    leadcycle arbitrate 5 --to 赵敏 --reason "首访记录在先" --agent 陈经理
    """
    lead_id = _lead_id(lead_id)
    env.book().arbitrate(lead_id, to, reason=reason, manager=agent)
    _changed(env, lead_id, as_json)


@cli.command()
@click.argument("lead_id")
@output_options
@pass_env
def history(env, lead_id):
    """The chain of a lead's owners, each with its rule.

    The chain of owners over time, each with the rule that decided it;
    then the corrections (voids) and the entries colleagues or managers
    wrote on the lead.

    Examples:

    \b
    leadcycle history 5
    leadcycle history 5 --json
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    own = book.history(lead_id)
    rows = [{"at": h.at, "owner": h.owner, "rule": h.rule, "reason": h.reason.text(env.lang)}
            for h in own.history]
    marked = _marked_entries(book, lead_id, env.lang)
    deals = book.credit(lead_id)
    cells = [(f"{r['at']:%Y-%m-%d %H:%M}", owner_cell(r["owner"]), _(r["rule"]), r["reason"]) for r in rows]
    headers = [_("from"), _("owner"), _("rule"), _("why")]
    if output_format() in ("json", "nl", "csv", "tsv"):
        # the chain of owners, one record per change; --json keeps the whole document
        emit(rows, ("at", "owner", "rule", "reason"), headers, cells,
             as_json={"lead_id": lead_id, "owner": own.owner, "lapses_at": own.lapses_at,
                      "awaiting_recognition": own.awaiting_recognition, "history": rows,
                      "stand_ins": [{"at": at, "agent": a} for at, a in own.stand_ins],
                      "credit": [{"deal_event_id": d.event_id, "at": d.at, "rule": d.rule,
                                  "reason": d.reason(env.lang),
                                  "shares": [{"agent": s.agent, "share": fraction(s.share)} for s in d.shares]}
                                 for d in deals],
                      **marked})
        return
    emit(rows, ("at", "owner", "rule", "reason"), headers, cells)  # the table, or --fmt's
    if own.awaiting_recognition:
        click.echo(_("{receiver} received the client, who did not name {owner}: the lead is {receiver}'s after "
                     "{time} unless {owner} recognises them (leadcycle recognize {lead} --agent {owner})").format(
            receiver=own.awaiting_recognition, owner=own.owner, time=f"{own.lapses_at:%H:%M:%S}", lead=lead_id))
    elif own.lapses_at:
        until = own.lapses_at - __import__('datetime').timedelta(seconds=1)
        click.echo(_("protection runs until {day}").format(day=f"{until:%Y-%m-%d}"))
    if deals:
        click.echo("\n" + _("Credit:"))
        for line in credit_lines(book, lead_id, env.lang):
            click.echo(f"  {line}")
    if marked["corrections"]:
        click.echo("\n" + _("Corrections:"))
        click.echo(table([(f"#{c['id']}", f"{c['at']:%Y-%m-%d %H:%M}", c["agent"], c["text"])
                          for c in marked["corrections"]], [_("void"), _("at"), _("by"), _("what")]))
    if marked["not_owner"]:
        words, industry = Words(book, env.lang), book.lead(lead_id).industry
        click.echo("\n" + _("Entries by others than the owner:"))
        click.echo(table([(f"#{n['id']}", f"{n['at']:%Y-%m-%d %H:%M}", words.kind(industry, n["kind"]), n["agent"], n["owner"],
                           _("voided") if n["voided"] else "") for n in marked["not_owner"]],
                         [_("entry"), _("at"), _("kind"), _("by"), _("owner then"), ""]))


def _marked_entries(book, lead_id: int, lang: str) -> dict:
    """The lead's voids, and its entries marked ``not_owner``."""
    from leadcycle.corrections import VOID, void_line, voided_by

    events = book.seen(book.store.events_for(lead_id))
    voided = voided_by(events)
    return {
        "corrections": [{"id": e.id, "at": e.at, "agent": e.agent, "event": e.data.get("event"),
                         "kind": e.data.get("kind"), "as": e.data.get("as"), "reason": e.data.get("reason"),
                         "text": void_line(e, lang)} for e in events if e.kind == VOID],
        "not_owner": [{"id": e.id, "at": e.at, "kind": e.kind, "agent": e.agent, "owner": e.data.get("owner"),
                       "voided": e.id in voided} for e in events if e.data.get("not_owner")],
    }


# ------------------------------------------------------------ agent extras


@agent.group(name="relation")
def relation():
    """Agents' relatives and friends, recorded beforehand.

    Agents' relatives and friends, recorded beforehand (they belong to the agent).

    Examples:

    \b
    leadcycle agent relation add 李娜 --phone 13900001111 --relation friend
    leadcycle agent relation list
    """


@relation.command(name="add")
@click.argument("agent_name", metavar="AGENT")
@click.option("--phone", required=True, help="The relative's or friend's phone.")
@click.option("--relation", "kind", required=True, type=Spoken(RELATION_KIND_WORDS))
@click.option("--name", help="Their name.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def relation_add(env, agent_name, phone, kind, name, as_json):
    """Record a relative or friend of AGENT.

    Examples:

    \b
    leadcycle agent relation add 李娜 --phone 13900001111 --relation friend
    """
    from leadcycle import reception

    from leadcycle.privacy import mask_phone

    r = reception.add_relation(env.book(), agent_name, phone, kind, name)
    r = {**r, "phone": mask_phone(r["phone"]), "phone_masked": True}
    if as_json:
        echo_json(r)
    else:
        relations = {"relative": _("relative"), "friend": _("friend")}
        click.echo(_("recorded: {phone} ({name}) is {agent}'s {relation}").format(
            phone=r["phone"], name=r["name"] or _("no name"), agent=r["agent"],
            relation=relations.get(r["relation"], r["relation"])))


@relation.command(name="list")
@click.option("--agent", "agent_name", help="Only this agent's.")
@unmask_option
@output_options
@pass_env
def relation_list(env, agent_name, unmask):
    """Recorded relatives and friends (phones masked).

    Recorded relatives and friends (phones masked; --unmask shows an
    agent their own, a manager everyone's).

    Examples:

    \b
    leadcycle agent relation list --agent 李娜
    """
    from leadcycle import privacy

    phones = phone_view(env, unmask, privacy.own_leads)
    rows = [{**r, "phone": phones.phone(r["phone"], r["agent"]), "phone_masked": not phones.reveals(r["agent"])}
            for r in env.book().store.relations(agent=agent_name)]
    emit(rows, ("agent", "name", "phone", "phone_masked", "relation", "recorded_at"),
         [_("agent"), _("name"), _("phone"), _("relation"), _("recorded")],
         [(r["agent"], r["name"], r["phone"], r["relation"], r["recorded_at"]) for r in rows],
         footer=[phone_notice(any(r["phone_masked"] for r in rows), env.lang)])


@agent.command(name="away")
@click.argument("agent_name", metavar="AGENT")
@click.option("--reason", required=True, type=Spoken(AWAY_WORDS),
              help="personal: skipped, no make-up turn; business / with_client: skipped, make-up turn.")
@pass_env
def agent_away(env, agent_name, reason):
    """Mark an agent away from the reception desk.

    Examples:

    \b
    leadcycle agent away 王强 --reason business
    """
    from leadcycle import reception

    reception.set_away(env.book(), agent_name, reason)
    click.echo(_("{agent_name} is away: {value}").format(agent_name=agent_name, value=reception.AWAY_REASONS[reason](env.lang)))


@agent.command(name="back")
@click.argument("agent_name", metavar="AGENT")
@pass_env
def agent_back(env, agent_name):
    """Mark an agent back at the reception desk.

    Examples:

    \b
    leadcycle agent back 王强
    """
    from leadcycle import reception

    reception.set_back(env.book(), agent_name)
    click.echo(_("{agent_name} is back in the rotation").format(agent_name=agent_name))


@agent.command(name="leave")
@click.argument("agent_name", metavar="AGENT")
@click.option("--to", "to", help="Hand the subscribed leads (with a deposit) to this agent.")
@output_options
@pass_env
def agent_leave(env, agent_name, to):
    """An agent leaves: hand over or pool their leads.

    An agent leaves: their leads go to the pool (or, with a deposit, to
    --to); leads without a deposit become new clients.

    Examples:

    \b
    leadcycle agent leave 王强
    leadcycle agent leave 王强 --to 赵敏
    """
    moved = env.book().leave_agent(agent_name, to)
    rows = [{"lead_id": i, "to": new, "rule": rule} for i, new, rule in moved]
    if output_format() == "table":
        click.echo(_("{agent_name} has left; {n_rows} leads moved").format(agent_name=agent_name, n_rows=len(rows)))
    if rows or output_format() != "table":
        emit(rows, ("lead_id", "to", "rule"), ["lead", "to", "rule"],
             [(r["lead_id"], r["to"] or "(pool)", r["rule"]) for r in rows],
             as_json={"agent": agent_name, "leads": rows})


# ------------------------------------------------------ giving up, penalties


@cli.command(name="give-up")
@click.argument("lead_id")
@click.option("--reason", required=True, help="Why the client is given up (recorded).")
@click.option("--agent", help="The owner (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def give_up(env, lead_id, reason, agent, as_json):
    """The owner gives a client up to the pool.

    The lead goes to the pool, and a colleague who then closes it takes all
    the credit (002).

    Examples:

    \b
    leadcycle give-up 5 --reason 客户已在别处购房 --agent 李娜
    """
    lead_id = _lead_id(lead_id)
    env.book().give_up(lead_id, agent, reason)
    _changed(env, lead_id, as_json)


@cli.group(name="penalty")
def penalty():
    """The penalties ledger of 002: record a penalty.

    甩客, 抢单, knowingly working another's client, absence, failing to
    recognise one's own client.

    Examples:

    \b
    leadcycle penalty add 王强 --kind absence --note 未请假缺勤 --agent 陈经理
    """


@penalty.command(name="add")
@click.argument("agent_name", metavar="AGENT")
@click.option("--kind", required=True,
              type=Spoken(PENALTY_WORDS))
@click.option("--lead", "lead_id", type=int, help="The lead concerned, if any.")
@click.option("--amount", type=float, help="The fine in CNY, if any.")
@click.option("--note", required=True, help="What happened (the evidence).")
@click.option("--agent", "manager", help="The manager who records it (on an office database: the signed-in agent).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def penalty_add(env, agent_name, kind, lead_id, amount, note, manager, as_json):
    """A manager records a penalty against AGENT.

    Examples:

    \b
    leadcycle penalty add 王强 --kind grabbing --note 抢接李娜的客户 --agent 陈经理
    """
    from leadcycle import penalties

    r = penalties.add(env.book(), agent_name, kind, manager, lead_id=lead_id, amount=amount, note=note)
    if as_json:
        echo_json(r)
    else:
        click.echo(_("penalty recorded: {agent}: {kind}").format(agent=r["agent"], kind=penalties.KINDS[kind](env.lang))
                   + (_(", {amount} CNY").format(amount=plain_number(amount)) if amount is not None else ""))


@cli.command(name="penalties")
@click.option("--agent", "agent_name", help="Only this agent's.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="From this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def penalties_report(env, agent_name, since, as_json):
    """The penalties ledger, recorded and derived.

    Recorded by managers, and derived from the lead logs (failing to
    recognise one's own client, an upheld 'knowingly' dispute).

    Examples:

    \b
    leadcycle penalties --agent 王强 --since 2026-03-01
    """
    from leadcycle import penalties

    book = env.book()
    if agent_name:
        book.agent(agent_name, what="--agent", reading=True)
    rows = penalties.report(book, agent=agent_name, since=since.date() if since else None, lang=env.lang)
    if as_json:
        echo_json(rows)
        return
    click.echo(table([(f"{r['at']:%Y-%m-%d %H:%M}", r["agent"], penalties.KINDS[r["kind"]](env.lang),
                       f"#{r['lead_id']}" if r["lead_id"] else "", plain_number(r['amount']) if r["amount"] is not None
                       else "", _(SOURCE_WORDS.get(r["source"], r["source"])), r["note"]) for r in rows],
                     [_("at"), _("agent"), _("penalty"), _("lead"), _("CNY"), _("source"), _("what")]))
    totals: dict = {}
    for r in rows:
        totals[r["agent"]] = totals.get(r["agent"], 0) + 1
    click.echo(ngettext("{n} penalty", "{n} penalties", len(rows)).format(n=len(rows))
               + (_(": ") + _(", ").join(f"{a} {n}" for a, n in sorted(totals.items())) if totals else ""))
