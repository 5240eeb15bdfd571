"""The correction command (DOMAIN §1): void an earlier entry of a lead with
a ``void`` event, in one transaction, or refuse with one line and write
nothing.

What a void *is* — the kinds of correction, the effective log the rules
read — lives in :mod:`leadcycle.corrections`, below the engine; this module
is the write on top: it checks the target, the author (the owner, the
writer, or a manager) and the later entries that depended on the voided
one (with the same ``check_event`` hook and stage ladder that checked them
when they were written).
"""

from __future__ import annotations

from . import claims, engine, loader, ownership
from .corrections import VOID, Correction, correction, effective_events, voided_by
from .errors import LeadcycleError, NotFound, Refused
from .model import Event
from .i18n import M_, N_


def void(book, lead_id: int, event_id: int, *, reason: str | None, agent: str | None,
         as_: str | None = None):
    """Void event ``event_id`` of lead ``lead_id`` (see the module doc):
    one ``void`` event, written in one transaction, or a one-line refusal
    and nothing written. Returns ``(void event, new state)``."""
    who = book.agent(book.author(agent), what=M_("--agent (who records the correction)"))
    text = " ".join(str(reason or "").split())
    if not text:
        raise LeadcycleError(N_("--reason is required: say why the entry is voided (the register keeps both)"))
    kind = correction(as_)
    lead = book.lead(lead_id)
    try:
        event_id = int(str(event_id).lstrip("#"))
    except ValueError:
        raise LeadcycleError(N_("{event_id!r} is not an event id (a number such as 12; "
                                "see: leadcycle show {lead_id})"), event_id=event_id, lead_id=lead.id) from None
    data = {"event": event_id, "as": kind.name, "reason": text}

    def check(history: list[Event]) -> None:
        target = _target(book, lead, history, event_id, kind)
        effective = effective_events(history)
        _check_author(book, lead, who, target, effective)
        _check_dependents(book, lead, effective, target, kind)
        data["kind"] = target.kind

    event = Event(None, lead.id, VOID, book.now, who.name, data)
    state, (event,) = book._append(lead.id, [event], history_check=check)
    return event, state


def _target(book, lead, history: list[Event], event_id: int, kind: Correction) -> Event:
    target = next((e for e in history if e.id == event_id), None)
    if target is None:
        raise NotFound(N_("event #{event_id} is not in lead #{lead_id}'s log; "
                          "see its entries with: leadcycle show {lead_id}"),
                       event_id=event_id, lead_id=lead.id)
    if target.kind == VOID:
        raise Refused(N_("event #{event_id} is itself a void; a correction is not undone — "
                         "log the entry again instead"), event_id=event_id)
    if target.kind == "register":
        raise Refused(N_("event #{event_id} is lead #{lead_id}'s registration, the evidence of ownership "
                         "(DOMAIN §1), and cannot be voided; correct its details with: "
                         "leadcycle lead set {lead_id} KEY=VALUE --agent NAME"),
                      event_id=event_id, lead_id=lead.id)
    done = voided_by(history).get(event_id)
    if done is not None:
        raise Refused(N_("event #{event_id} was already voided by #{done_id} on {at:%Y-%m-%d} "
                         "({reason})"),
                      event_id=event_id, done_id=done.id, at=done.at, reason=done.data.get('reason'))
    industry = book.registry.industries.get(lead.industry)
    ek = next((k for k in industry.event_kinds if k.name == target.kind), None) if industry else None
    if target.kind not in ("set", "stage") and (ek is None or not ek.loggable):
        raise Refused(N_("event #{event_id} is a {kind} entry, written by its own command, and is not "
                         "voided (ownership: leadcycle reassign or arbitrate; reviews: the next review)"),
                      event_id=event_id, kind=target.kind)
    if kind.targets is not None and target.kind not in kind.targets:
        raise LeadcycleError(N_("--as {kind} ({zh}) voids {targets} entries, "
                                "and event #{event_id} is a {kind2}; a mistake is --as wrong_entry"),
                             kind=kind.name, zh=kind.label.zh, targets=' or '.join(kind.targets), event_id=event_id,
                             kind2=target.kind)
    return target


def _check_author(book, lead, who, target: Event, effective: list[Event]) -> None:
    """The owner, the agent who wrote the entry, or a manager corrects it."""
    owner = ownership.resolve(effective, claims.policy_of(book, lead.industry), book.now).owner
    if who.is_manager or who.name in (owner, target.agent):
        return
    raise Refused(N_("lead #{lead_id} belongs to {owner} and event #{target_id} was written "
                     "by {author}; only they or a manager may void it"),
                  lead_id=lead.id, owner=owner or M_("no one (pool)"), target_id=target.id,
                  author=target.agent or M_("no agent"))


def _check_dependents(book, lead, effective: list[Event], target: Event, kind: Correction) -> None:
    """Refuse a void that would leave a later entry without what it needs:
    a contract after the cancelled deposit, a payment after the voided
    order, a stage entered on the voided evidence. Later entries are
    checked again, without the target, by the same ``check_event`` hook
    that checked them when they were written."""
    remaining = [e for e in effective if e.id != target.id]
    later = [(i, e) for i, e in enumerate(remaining) if e.id is not None and e.id > target.id]

    def refuse(e: Event, why: str | LeadcycleError) -> None:
        raise Refused(N_("voiding #{target_id} ({kind}) would leave #{id} ({kind2}, "
                         "{at:%Y-%m-%d}) without what it needs: {why}; void #{id} first"),
                      target_id=target.id, kind=target.kind, id=e.id, kind2=e.kind, at=e.at, why=why)

    if kind.name == "cancel_subscription":
        for _, e in later:
            if e.kind in ("contract", "order"):
                raise Refused(N_("lead #{lead_id} signed a {kind} (#{id}) after this deposit; a client who "
                                 "withdraws after signing returns the unit: leadcycle void {lead_id} {id} "
                                 "--as return_unit"), lead_id=lead.id, kind=e.kind, id=e.id)
    hooks = loader.get_pm().hook.check_event.get_hookimpls()
    ladder = book.context.for_industry(lead.industry).stages if lead.industry in book.context.rules else None
    for i, e in later:
        if hooks:
            try:
                loader.call_checks("check_event", book=book, lead=lead, events=remaining[:i], event=e)
            except LeadcycleError as err:
                refuse(e, err)
        if e.kind == "stage" and ladder is not None and ladder.mode == "advanced":
            stage = ladder.stage(e.data.get("stage"))
            if stage is None:
                continue
            row = engine.feature_row(book.context, lead, remaining[:i], e.at)
            missing = ladder.missing(stage, row)
            if missing:
                refuse(e, f"{stage.label.en} needs " + "; ".join(c.describe().en for c in missing))
