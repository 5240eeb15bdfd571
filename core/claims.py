"""The ownership commands (DOMAIN §3): claims from the pool, giving up,
recognition, reassignment, arbitration, disputes over a deal's credit, an
agent's departure, family registered apart — the writes that sit on top of
the folds in :mod:`leadcycle.ownership`.

Each is one transaction through a LeadBook (``book``): it reads the lead's
log inside the transaction (after the write lock is held, so two processes
cannot both claim one lead), hands the events and the industry's policy to
the pure folds (:func:`~leadcycle.ownership.resolve`,
:func:`~leadcycle.ownership.deals`…), and appends ``owner``/``dispute``
events. The folds never see the book; only this layer and the API above it
do (tests/test_layers.py).
"""

from __future__ import annotations

import datetime as dt
import json

import attrs

from . import ownership
from .corrections import VOID, effective_events
from .errors import LeadcycleError, Refused
from .model import Added, Event, Label, Reason
from .ownership import (CLAIMS, INTRODUCTIONS, PROOFS, REGISTERED_AS, AwayAt, Deal, Ownership, deals, displaced,
                        receptions_of, resolve)
from .rules import OwnershipPolicy
from .i18n import M_, N_

def policy_of(book, industry: str) -> OwnershipPolicy:
    """The industry's ownership policy under the book's settings: the one
    thing from the book that the folds need."""
    return book.context.for_industry(industry).ownership


def _owner_event(book, lead_id: int, to: str | None, rule: str, label: Label, agent: str | None,
                 **extra) -> Event:
    data = {"to": to, "rule": rule, "reason": label.to_json(), **extra}
    return Event(None, lead_id, "owner", book.now, agent, data)


def live(book, lead_id: int) -> tuple[object, list[Event], Ownership]:
    """A lead, its effective events (voided entries left out) and its
    ownership now (read inside a transaction to see what other writers
    committed)."""
    lead = book.store.get_lead(lead_id)
    events = effective_events(book.seen(book.store.events_for(lead_id)))
    return lead, events, resolve(events, policy_of(book, lead.industry), book.now)


def referral_owner(book, lead_id: int, limit: int = 100) -> tuple[str | None, list[int]]:
    """The owner a referral by ``lead_id`` leads to: that lead's owner, or —
    while a referrer has no owner — its own referrer's, up the chain."""
    chain: list[int] = []
    current: int | None = lead_id
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        _, events, own = live(book, current)
        if own.owner is not None:
            return own.owner, chain
        reg = next((e for e in events if e.kind == "register"), None)
        current = reg.data.get("referred_by") if reg is not None and reg.data.get("referral_proof") else None
    return None, chain


def registration_data(book, industry: str, phone: str, *, asks_for: str | None = None,
                      referred_by: int | None = None, referral_proof: str | None = None,
                      channel: str = "visit", agent: str | None = None, registered_as: str | None = None,
                      family_of: int | None = None, relation: str | None = None) -> dict:
    """What a registration records for the ownership fold: the named agent,
    the referral (with the owner it leads to now) and an agent's recorded
    relation with this phone. Raises on bad input; called inside the
    registration's transaction."""
    from .errors import LeadcycleError, NotFound

    data: dict = {}
    if registered_as is not None:
        if registered_as not in REGISTERED_AS:
            raise LeadcycleError(N_("--registered-as {registered_as!r} is not one of {registered_as2}"),
                                 registered_as=registered_as, registered_as2=', '.join(REGISTERED_AS))
        if channel != "visit":
            raise LeadcycleError(N_("--registered-as {registered_as} goes with a visit"),
                                 registered_as=registered_as)
        data["registered_as"] = registered_as
    if family_of is not None:  # split mode: a lead of their own (family_arrival took the other)
        fam = book.lead(family_of)
        data.update(family_of=fam.id, family_relation=relation, family_owner=live(book, fam.id)[2].owner)
    if asks_for and channel != "visit":
        raise LeadcycleError(N_("--asks-for goes with a visit: a caller is not told whom to ask for (002), and a "
                                "name given on the phone decides nothing; when the client names an agent on "
                                "arrival, log it: leadcycle log LEAD visit --agent NAME --set asks_for=AGENT"))
    if asks_for:
        book.agent(asks_for, what="--asks-for")
        data["asks_for"] = asks_for
    if referral_proof is not None and referral_proof not in PROOFS:
        raise LeadcycleError(N_("--referral-proof {referral_proof!r} is not one of {proofs}"),
                             referral_proof=referral_proof, proofs=', '.join(PROOFS))
    if referral_proof is not None and referred_by is None:
        raise LeadcycleError(N_("--referral-proof needs --referred-by LEAD_ID (the referring client's lead)"))
    if referred_by is not None:
        try:
            ref = book.store.get_lead(int(referred_by))
        except NotFound:
            raise NotFound(N_("--referred-by: no lead #{referred_by}; give the referring client's lead id "
                              "(leadcycle list)"), referred_by=referred_by) from None
        if ref.industry != industry:
            raise LeadcycleError(N_("--referred-by: lead #{ref_id} is a {industry} lead, not {industry2}"),
                                 ref_id=ref.id, industry=ref.industry, industry2=industry)
        data["referred_by"] = ref.id
        data["referral_proof"] = referral_proof
        if referral_proof is not None:
            owner, chain = referral_owner(book, ref.id)
            if owner is not None:
                data["referral_owner"] = owner
                data["referral_chain"] = chain
    for rel in book.store.relations(phone=phone, before=book.now):
        agent = book.store.get_agent(rel["agent"])
        if agent is not None and agent.active:
            data["agent_relation"] = {"agent": rel["agent"], "relation": rel["relation"],
                                      "name": rel["name"], "recorded_at": rel["recorded_at"]}
            break
    if channel == "visit" and agent and not (asks_for or data.get("referral_owner") or data.get("agent_relation")
                                             or registered_as in INTRODUCTIONS):
        from . import reception

        ticket = reception.check_walk_in(book, agent)  # the queue's walk-in goes to the agent it named
        if ticket is not None:
            reception.use_ticket(book, ticket, agent)
    return data


def queue_visit(book, industry: str, visit: Event, history: list[Event]) -> None:
    """A visit that makes the lead a new client (:data:`ownership.NEW_CLIENT_RULES`:
    the owner's protection lapsed, 004's new-client rules, a phone-only
    lead's first visit) is a walk-in for the reception queue, as a new
    registration is: on a day the front desk uses the queue, the agent who
    logs it uses the walk-in the queue gave them, and is refused when the
    queue named someone else (§3.4, §3.10). Run in the write's transaction,
    after the visit is appended to ``history``."""
    from . import reception

    policy = book.context.for_industry(industry).ownership
    changes = ownership.resolve(history, policy, book.now).history
    last = changes[-1] if changes else None
    if (last is None or last.at != visit.at or last.owner != visit.agent
            or last.rule not in ownership.NEW_CLIENT_RULES):
        return
    ticket = reception.check_walk_in(book, visit.agent)
    if ticket is not None:
        reception.use_ticket(book, ticket, visit.agent)


#: pool entries no agent may claim: the first visit decides a phone-only
#: lead (§3.1); the manager reassigns a departed agent's leads (§3.7, 002)
_NOT_CLAIMABLE = {
    "no_owner": N_("lead #{id} cannot be claimed: a phone-only lead is owned at the first visit (log the visit "
                   "with the receiving agent)"),
    "introduction": N_("lead #{id} cannot be claimed: a company or staff introduction is allocated by the "
                       "manager: leadcycle reassign {id} --to AGENT --reason redistribute --agent MANAGER"),
    "departed": N_("lead #{id} cannot be claimed: a departed agent's clients are the manager's to reassign: "
                   "leadcycle reassign {id} --to AGENT --reason redistribute --agent MANAGER"),
    "departed_new_client": N_("lead #{id} cannot be claimed: a departed agent's clients are the manager's to "
                              "reassign: leadcycle reassign {id} --to AGENT --reason redistribute --agent MANAGER"),
}


def _claims_today(book, agent: str) -> int:
    day = book.now.date()
    start, end = dt.datetime.combine(day, dt.time()), dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    return book.store.owner_changes(agent, "claimed", start, end)


class NotYet(Refused):
    """A claim the office's rules allow later (the previous owner's bar):
    a plugin's rule that forbids it for good is said instead (:func:`claim`)."""


def check_claim(book, lead_id: int, agent: str, own: Ownership) -> None:
    """Refuse a claim the office's pool rules do not allow (one line each)."""
    settings = book.settings
    if own.owner is not None:
        raise Refused(N_("lead #{lead_id} is owned by {owner} ({en}); "
                         "only a pool lead can be claimed"),
                      lead_id=lead_id, owner=own.owner, en=own.reason.text.en, zh=own.reason.text.zh)
    last = own.history[-1] if own.history else None
    rule = last.rule if last else "no_owner"
    if rule in _NOT_CLAIMABLE:
        raise Refused(_NOT_CLAIMABLE[rule], id=lead_id)
    if settings["ownership.pool_claims"] != "open":
        raise Refused(N_("lead #{lead_id} is in the pool ({en}); in this "
                         "office the manager hands out pooled leads (leadcycle reassign LEAD --to AGENT --reason "
                         "redistribute), and a lapsed client's next visit is a new client for the queue "
                         "(ownership.pool_claims open lets agents claim)"),
                      lead_id=lead_id, en=last.reason.text.en if last else M_("no owner"),
                      zh=last.reason.text.zh if last else M_("no owner"))
    bar = settings["ownership.reclaim_days"]
    before = next((h.owner for h in reversed(own.history[:-1]) if h.owner is not None), None)
    if bar and before == agent and (book.now.date() - last.at.date()).days < bar:
        until = last.at.date() + dt.timedelta(days=bar)
        raise NotYet(N_("{agent} owned lead #{lead_id} until {at}; the previous owner may claim it "
                         "back from {until} (ownership.reclaim_days {bar})"),
                      agent=agent, lead_id=lead_id, at=last.at.date(), until=until, bar=bar)
    limit = settings["ownership.claim_daily_limit"]
    if limit and _claims_today(book, agent) >= limit:
        raise Refused(N_("{agent} has claimed {limit} leads today, the daily limit (ownership.claim_daily_limit)"),
                      agent=agent, limit=limit)
    most = settings["ownership.max_owned"]
    # the leads the agent has at the clock, as their list shows them (a
    # stored row may name them for a lead whose protection has run out since)
    if most and (owned := len(book.list(owner=agent, attributes=False))) >= most:
        raise Refused(N_("{agent} owns {n} leads; ownership.max_owned lets an agent claim more only while "
                         "owning fewer than {most}: give one up first"), agent=agent, n=owned, most=most)


def claim(book, lead_id: int, agent: str):
    """An agent takes a lead from the pool, as the office's pool rules allow
    (:func:`check_claim`)."""
    agent = book.author(agent)
    book.agent(agent)
    lead = book.lead(lead_id)

    def check():
        try:
            check_claim(book, lead.id, agent, live(book, lead.id)[2])
        except NotYet:
            # "from 03-16" is wrong where a plugin never lets this agent claim it
            book._check_events(lead.id, book.store.events_for(lead.id), [event])
            raise

    with book.store.transaction():  # the day in the reason is the write's
        event = _owner_event(book, lead.id, agent, "claimed", Label(
            f"{agent}: claimed from the pool on {book.now.date()}", f"{agent}：{book.now.date()}从公共池认领"), agent)
        return book.append(lead.id, [event], check=check)


def give_up(book, lead_id: int, agent: str, reason: str):
    """The owner gives the client up (002: the client refused to buy and the
    agent gave up; a colleague who then closes takes all the credit)."""
    agent = book.author(agent)
    book.agent(agent)
    text = " ".join(str(reason or "").split())
    if not text:
        raise LeadcycleError(N_("--reason is required: say why the client is given up"))
    lead = book.lead(lead_id)

    def check():
        own = live(book, lead.id)[2]
        if own.owner != agent:
            raise Refused(N_("lead #{lead_id} is {owner}'s, not {agent}'s; only the owner "
                             "gives a client up"),
                          lead_id=lead.id, owner=own.owner or M_("the pool"), agent=agent)

    with book.store.transaction():
        event = _owner_event(book, lead.id, None, "given_up", Label(
            f"pool: {agent} gave the client up on {book.now.date()} ({text})",
            f"公共客户池：{agent}于{book.now.date()}放弃该客户（{text}）"), agent, previous=agent)
        return book.append(lead.id, [attrs.evolve(event, note=text)], check=check)


def recognize(book, lead_id: int, agent: str):
    """The original agent recognises their returning client, received by a
    colleague without naming them, within the recognition window (§3.5):
    the lead stays theirs. Outside the window, after a lapse, or for a
    client who came back as a new client, it is refused."""
    agent = book.author(agent)
    book.agent(agent)
    lead = book.lead(lead_id)
    policy = policy_of(book, lead.industry)

    def check():
        now = book.now
        _, events, own = live(book, lead.id)
        if any(e.kind == "owner" and e.data.get("rule") == "arbitration" for e in events):
            raise Refused(N_("lead #{lead_id}'s owner was decided by a manager's arbitration, which is final"),
                          lead_id=lead.id)
        if own.awaiting_recognition and own.owner == agent:
            return
        if own.owner == agent:
            raise Refused(N_("{agent} owns lead #{lead_id} and no colleague is receiving the client; "
                             "there is nothing to recognise"), agent=agent, lead_id=lead.id)
        if agent not in {h.owner for h in own.history}:
            raise Refused(N_("{agent} never owned lead #{lead_id}; only the original agent can recognise "
                             "a returning client"), agent=agent, lead_id=lead.id)
        last = own.history[-1]
        if last.rule == "not_recognized" and displaced(own) == agent:
            at = max(a for a, who in receptions_of(events) if who == last.owner and a <= last.at)
            # to the second: 15 minutes and 1 second is past a 15-minute window, and says so
            minutes, seconds = divmod(int((now - at).total_seconds()), 60)
            elapsed = M_("{minutes} minutes", minutes=minutes) if not seconds else \
                M_("{minutes} min {seconds} s", minutes=minutes, seconds=seconds)
            raise Refused(N_("{agent} recognised the client {elapsed} after {owner}'s reception at "
                             "{at:%Y-%m-%d %H:%M:%S}, outside the {recognition_minutes}-minute window; "
                             "the lead stays with {owner2}"),
                          agent=agent, elapsed=elapsed, owner=last.owner, at=at,
                          recognition_minutes=policy.recognition_minutes, owner2=own.owner)
        raise Refused(N_("lead #{lead_id} is no longer {agent}'s client ({en}); "
                         "a client who came back as a new client is the receiver's"),
                      lead_id=lead.id, agent=agent, en=last.reason.text.en, zh=last.reason.text.zh)

    with book.store.transaction():  # the window is measured to the moment of the write
        now = book.now
        label = Label(f"{agent}: recognised the returning client within {policy.recognition_minutes} minutes "
                      f"of the reception ({now:%Y-%m-%d %H:%M})",
                      f"{agent}：在接待后{policy.recognition_minutes}分钟内认出老客户（{now:%Y-%m-%d %H:%M}）")
        return book.append(lead.id, [_owner_event(book, lead.id, agent, "recognized", label, agent)],
                           check=check)


def reassign(book, lead_id: int, to: str, reason: str, manager: str, note: str | None = None):
    """A manager moves a lead: after the client's complaint (with all
    credit, §3.8) or to redistribute a pooled lead."""
    from .errors import LeadcycleError, Refused

    if reason not in ("complaint", "redistribute"):
        raise LeadcycleError(N_("--reason {reason!r} is not complaint or redistribute"), reason=reason)
    manager = book.agent(manager, manager=True, what=M_("--agent (the manager)")).name
    book.agent(to, what="--to")
    lead = book.lead(lead_id)
    grade = lowest = None
    if reason == "redistribute":  # the lead's grade now, and its scale's lowest (D)
        grade = book.record(lead.id).state.grade
        lowest = book.registry.industry(lead.industry).grades[-1].value
    with book.store.transaction():  # the previous owner is read under the write lock
        _, _, own = live(book, lead.id)
        old = own.owner
        if old == to:
            raise Refused(N_("{to} already owns lead #{lead_id}"), to=to, lead_id=lead.id)
        if reason == "redistribute" and old is not None and grade != lowest:
            # the manager redistributes the pool (lapsed, departed, D: DOMAIN §1); an
            # owned lead keeps its protection, and moves only on a complaint (§3.8)
            raise Refused(N_("lead #{lead_id} is {owner}'s (grade {grade}): redistribute moves pool leads and D "
                             "leads; a client who complained moves with: --reason complaint"),
                          lead_id=lead.id, owner=old, grade=grade or "-")
        if reason == "complaint":
            label = Label(f"{to}: the client complained about {old or 'the service'} and asked to change agent; "
                          f"moved with all credit by {manager}",
                          f"{to}：客户投诉{old or '服务'}并要求更换顾问，由{manager}改派，业绩全部归新顾问")
        else:
            label = Label(f"{to}: redistributed by {manager}" + (f" (was {old})" if old else " from the pool"),
                          f"{to}：由{manager}重新分配" + (f"（原为{old}）" if old else "（公共池）"))
        event = _owner_event(book, lead.id, to, reason, label, manager, by=manager, previous=old)
        event = attrs.evolve(event, note=note)
        return book.append(lead.id, [event])


def arbitrate(book, lead_id: int, to: str, reason: str, manager: str):
    """A manager's final decision on a dispute (§3.9), recorded with the reason."""
    from .errors import LeadcycleError

    manager = book.agent(manager, manager=True, what=M_("--agent (the manager)")).name
    book.agent(to, what="--to")
    text = " ".join(str(reason or "").split())
    if not text:
        raise LeadcycleError(N_("--reason is required: say why the manager decided so"))
    lead = book.lead(lead_id)
    label = Label(f"{to}: manager {manager}'s arbitration (final): {text}",
                  f"{to}：{manager}裁决（最终决定）：{text}")
    event = _owner_event(book, lead.id, to, "arbitration", label, manager, by=manager, final=True,
                         text=text)
    event = attrs.evolve(event, note=text)
    return book.append(lead.id, [event])


def away_at_from(book) -> AwayAt:
    """``away_at(agent, moment)`` from the reception log's away/back rows
    up to the clock (a read into the past knows no leave after it: a deal
    without a contract yet asks about any moment)."""
    by_agent: dict[str, list] = {}
    for r in book.store.receptions(kinds=("away", "back", "left"), until=book.now):
        by_agent.setdefault(r["agent"], []).append(r)

    def away_at(agent: str, at: dt.datetime) -> str | None:
        state = None
        for r in by_agent.get(agent, ()):
            if r["at"] > at:
                break
            state = r["data"].get("reason") if r["kind"] == "away" else ("left" if r["kind"] == "left" else None)
        return state

    return away_at


def lead_deals(book, lead_id: int, events: list[Event] | None = None) -> list[Deal]:
    lead = book.lead(lead_id)
    if events is None:
        events = book.seen(book.store.events_for(lead.id))
    if lead.industry in book.context.missing:
        return []  # no plugin: its deals and their rules are not known
    kinds = frozenset(k.name for k in book.registry.industry(lead.industry).event_kinds)
    return deals(events, policy_of(book, lead.industry), away_at_from(book), kinds)


def write_credit(book, lead_id: int, events: list[Event]) -> None:
    """Rewrite the lead's credit ledger from its whole log ``events``
    (inside the caller's transaction)."""
    if not any(e.kind in ("contract", "deposit", VOID) for e in events):
        return  # no deal, and no correction that could have undone one
    rows = []
    for d in lead_deals(book, lead_id, events):
        for s in d.shares:
            rows.append((d.event_id, s.agent, s.share.numerator, s.share.denominator, s.role, d.rule,
                         json.dumps(Reason(d.reason, f"credit:{d.rule}").to_json(), ensure_ascii=False)))
    book.store.save_credit(lead_id, rows, book.now)


def _deal_for_dispute(book, lead, policy, now) -> Deal:
    found = lead_deals(book, lead.id)
    if not found:
        moment = M_("subscription (deposit) or contract") if policy.deal_moment == "subscription" else M_("contract")
        raise Refused(N_("lead #{lead_id} has no deal yet; a dispute is about a deal ({moment})"),
                      lead_id=lead.id, moment=moment)
    deal = found[-1]
    if deal.arbitrated:
        raise Refused(N_("lead #{lead_id}'s credit was decided by a manager's arbitration, which is final"),
                      lead_id=lead.id)
    return deal


def dispute(book, lead_id: int, claim_kind: str, claimant: str, note: str | None = None):
    """An agent raises a dispute about a deal's credit, within the dispute
    window after the subscription (§3.6); a manager decides it
    (:func:`decide`). ``knowingly``: the claimant's identified client was
    knowingly worked by the closer; ``unrecognized``: the claimant failed to
    recognise their own client within the window and proves the earlier
    reception — only for a client they lost that way, not for a lapsed one."""
    if claim_kind not in CLAIMS:
        raise LeadcycleError(N_("--claim {claim_kind!r} is not one of {claims}"),
                             claim_kind=claim_kind, claims=', '.join(CLAIMS))
    claimant = book.author(claimant)
    if claimant is None:
        raise LeadcycleError(N_("--agent is required: the agent who raises the dispute"))
    book.agent(claimant)
    lead = book.lead(lead_id)
    policy = policy_of(book, lead.industry)
    holder: dict = {}

    def check():
        deal = _deal_for_dispute(book, lead, policy, book.now)
        if book.now.date() > deal.dispute_until:
            raise Refused(N_("the dispute window closed on {dispute_until} ({dispute_days} days after "
                             "the subscription on {subscribed_at}); the credit is final"),
                          dispute_until=deal.dispute_until, dispute_days=policy.dispute_days, subscribed_at=deal.subscribed_at.date())
        if any(c == claimant for _, _, c in deal.open_disputes):
            raise Refused(N_("{claimant} already has an open dispute on lead #{lead_id}; a manager decides it "
                             "with: leadcycle decide {lead_id} upheld|rejected --agent MANAGER"),
                          claimant=claimant, lead_id=lead.id)
        events = effective_events(book.store.events_for(lead.id))
        prior = events[:next(i for i, e in enumerate(events) if e.id == deal.event_id)]
        own = resolve(prior, policy, deal.at)
        original = displaced(own)
        if claimant == deal.closer:
            raise Refused(N_("{claimant} made the deal; a dispute is raised by another agent"),
                          claimant=claimant)
        if claim_kind == "knowingly":
            victim = original if original and deal.owner == deal.closer else deal.owner
            if victim != claimant:
                raise Refused(N_("{claimant} was not the owner of lead #{lead_id} when {closer} made the deal "
                                 "(owner: {owner}); only the owner can claim it was knowingly worked"),
                              claimant=claimant, lead_id=lead.id, closer=deal.closer, owner=deal.owner or M_("none"))
        elif original != claimant:
            lapsed = [h for h in own.history if h.rule in ("lapsed", "no_first_callback", "no_new_intent",
                                                          "no_contact")]
            if not any(a == claimant for _, a in receptions_of(prior)):
                raise Refused(N_("{claimant} has no recorded reception of lead #{lead_id} before the deal; "
                                 "the registration table is the only evidence"),
                              claimant=claimant, lead_id=lead.id)
            why = (f"{lapsed[-1].reason.text.en}" if lapsed else f"the owner at the deal was {deal.owner}")
            raise Refused(N_("{claimant} did not lose lead #{lead_id} by failing to recognise the client ({why}); "
                             "a client who came back as a new client is the receiver's, there is nothing to dispute"),
                          claimant=claimant, lead_id=lead.id, why=why)
        holder["deal"] = deal

    with book.store.transaction():  # the deal is read under the write lock; the event names it
        check()
        event = Event(None, lead.id, "dispute", book.now, claimant,
                      {"claim": claim_kind, "claimant": claimant, "deal": holder["deal"].event_id}, note)
        return book.append(lead.id, [event])


def decide(book, lead_id: int, verdict: str, manager: str, split: str | None = None,
           reason: str | None = None):
    """A manager decides the open dispute on the lead's latest deal
    (§3.6, §3.9): ``upheld`` (the rule's split, or ``split`` — the
    claimant's share) or ``rejected``. Recorded with the reason."""
    from .defaults import SPLIT_CHOICES

    if verdict not in ("upheld", "rejected"):
        raise LeadcycleError(N_("{verdict!r} is not upheld or rejected"), verdict=verdict)
    if split is not None and split not in SPLIT_CHOICES:
        raise LeadcycleError(N_("--split {split!r} is not one of {split_choices}"),
                             split=split, split_choices=', '.join(SPLIT_CHOICES))
    if split is not None and verdict != "upheld":
        raise LeadcycleError(N_("--split goes with upheld: a rejected dispute leaves the credit as it is"))
    text = " ".join(str(reason or "").split())
    if not text:
        raise LeadcycleError(N_("--reason is required: say why the manager decided so"))
    manager = book.author(manager)
    manager = book.agent(manager, manager=True, what=M_("--agent (the manager)")).name
    lead = book.lead(lead_id)
    policy = policy_of(book, lead.industry)
    holder: dict = {}

    def check():
        deal = _deal_for_dispute(book, lead, policy, book.now)
        if not deal.open_disputes:
            raise Refused(N_("lead #{lead_id} has no open dispute; an agent raises one with: "
                             "leadcycle dispute {lead_id} --claim knowingly|unrecognized --agent NAME"),
                          lead_id=lead.id)
        holder["dispute"] = deal.open_disputes[0]

    with book.store.transaction():
        check()
        did, claim_kind, claimant = holder["dispute"]
        event = Event(None, lead.id, "dispute", book.now, manager,
                      {"dispute": did, "decision": verdict, "manager": manager, "claim": claim_kind,
                       "claimant": claimant, "split": split}, text)
        events = [event]
        _, _, own = live(book, lead.id)
        if verdict == "upheld" and claim_kind == "knowingly" and claimant and own.owner != claimant:
            # all the credit is the owner's (§3.6): so is the client a colleague worked knowingly
            events.append(_owner_event(book, lead.id, claimant, "knowingly_upheld", Label(
                f"{claimant}: {manager} upheld the dispute — {own.owner or 'a colleague'} knowingly worked "
                f"{claimant}'s client", f"{claimant}：{manager}裁定争议成立——{own.owner or '同事'}明知是"
                f"{claimant}的客户仍接待"), manager, by=manager))
        return book.append(lead.id, events)


def leave(book, agent: str, to: str | None = None):
    """An agent leaves (§3.7): their leads go to the pool — or, with a
    deposit, to ``to`` — and leads without a deposit become new clients.
    On an office database a manager accepts the departure."""
    from .errors import LeadcycleError

    book.require("manager", M_("accepting a departure"))
    by = book.actor.name if book.office else None  # who accepted it: every entry names its author
    book.agent(agent)
    if to is not None:
        book.agent(to, what="--to")
        if to == agent:
            raise LeadcycleError(N_("--to must name another agent than the one leaving"))
    book.refresh()
    moved = []
    with book.store.transaction():
        now = book.now
        for lead_id in book.store.owned_lead_ids(agent):
            lead, events, own = live(book, lead_id)
            if own.owner != agent:
                continue
            if events and events[-1].at > now:
                raise LeadcycleError(N_("the clock ({now}) is before lead #{lead_id}'s last event; "
                                        "the log cannot be back-filled"), now=now.isoformat(), lead_id=lead_id)
            if any(e.kind == "deposit" for e in events):
                if to is not None:
                    rule, new = "departed_handover", to
                    label = Label(f"{to}: took over from {agent}, who left on {now.date()} (deposit paid)",
                                  f"{to}：{agent}于{now.date()}离职，已交定金的客户由其接管")
                else:
                    rule, new = "departed", None
                    label = Label(f"pool: {agent} left on {now.date()}; the manager reassigns this "
                                  "subscribed client", f"公共客户池：{agent}于{now.date()}离职，已下定客户由经理统一安排")
            else:
                rule, new = "departed_new_client", None
                label = Label(f"pool: {agent} left on {now.date()}; without a deposit the client is a new client",
                              f"公共客户池：{agent}于{now.date()}离职，未下定客户视作新客户")
            book.store.append_event(_owner_event(book, lead_id, new, rule, label, by, departed=agent))
            moved.append((lead_id, new, rule))
        book.store.update_agent(agent, active=0, left_at=now.isoformat(timespec="seconds"), away=None)
        book.store.add_reception(now, "left", agent, {"to": to, **({"by": by} if by else {})})
        if moved:
            book._reproject([m[0] for m in moved])
    return moved


# ------------------------------------------------- family, friends, buyers


def family_arrival(book, industry: str, family_of: int, name: str, gender: str, phone: str,
                   relation: str | None, agent: str | None):
    """Close family of lead ``family_of`` arriving separately with a phone of
    their own (002). ``ownership.family_separate`` ``first``: the first
    registration counts — the person is recorded on that lead, which keeps
    its owner (returns the :class:`~leadcycle.Added`); ``split``: a lead
    of their own whose deal is split equally (returns None)."""
    from .validate import FAMILY_RELATIONS, RELATION_WORDS

    if relation not in FAMILY_RELATIONS:
        raise LeadcycleError(N_("--family-of needs --relation {family_relations}: how {name} is close "
                                "family of lead #{family_of}'s client (other people are leads of their own)"),
                             family_relations='|'.join(FAMILY_RELATIONS), name=name, family_of=family_of)
    lead = book.lead(family_of)
    if lead.industry != industry:
        raise LeadcycleError(N_("--family-of: lead #{lead_id} is a {industry} lead, not {industry2}"),
                             lead_id=lead.id, industry=lead.industry, industry2=industry)
    if book.settings["ownership.family_separate"] != "first":
        return None
    event = Event(None, lead.id, "set", book.now, agent, {"changes": {}, "family_member": {
        "name": name, "gender": gender, "relation": relation, "phone": phone, "received_by": agent}})
    state = book.append(lead.id, [event])
    return Added(book.store.get_lead(lead.id), state, "family",
                 M_("same lead #{id}: {name} is {lead}'s {relation}; a family arriving separately is one client "
                    "and the first registration counts (ownership.family_separate first)", id=lead.id, name=name,
                    lead=lead.name, relation=RELATION_WORDS.get(relation, relation)))


def after_registration(book, lead_id: int, register: Event) -> list[int]:
    """Entries a registration writes on other leads (inside its
    transaction): a family member registered apart (``split``) is recorded
    on the family's first lead, so a deal on either splits. Returns the
    leads written."""
    first = register.data.get("family_of")
    if not first:
        return []
    member = {"name": register.data.get("name"), "gender": register.data.get("gender"),
              "relation": register.data.get("family_relation"), "lead": lead_id, "owner": register.agent}
    book.store.append_event(Event(None, first, "set", register.at, register.agent,
                                  {"changes": {}, "family_member": member}))
    return [first]


