"""Corrections as events (DOMAIN §1: the register may not be altered or
back-filled; a wrong entry is corrected by a new entry that points at it).

One mechanism: a ``void`` event names an earlier event of the same lead,
why (``reason``) and as what (``as``):

* ``wrong_entry`` (录入错误) — any entry an agent wrote by mistake;
* ``cancel_subscription`` (退定) — the client withdrew a ``deposit``;
* ``return_unit`` (退房) — the client returned what a ``contract`` (or a
  machinery ``order``) bought, and the deal's later steps (mortgage, loan,
  delivery, a stage entered on the deal);
* ``refund`` (退款) — money given back: a ``deposit`` or a ``payment``.

The voided event stays in the log (the register shows it, marked voided);
everything derived — grades, stages, cadence, owners, credit, reports —
folds :func:`effective_events`, the log with the voided events and the
voids themselves left out. A void is never voided, and the registration is
never voided (it is the evidence of ownership).

This module is what the folds need (pure functions of a lead's events);
the command that writes a void is :func:`leadcycle.correct.void`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import attrs

from .model import Event, Label
from .i18n import M_, N_, render

VOID = "void"

#: kinds that are never voided: the registration is the evidence of
#: ownership, and a correction is not undone (log the entry again instead)
NEVER_VOIDED = ("register", VOID)


@attrs.frozen
class Correction:
    """A kind of correction: what it is called and which kinds it voids
    (``None``: any voidable kind)."""

    name: str
    label: Label
    targets: tuple[str, ...] | None


CORRECTIONS = {c.name: c for c in (
    Correction("wrong_entry", Label("wrong entry", "录入错误"), None),
    Correction("cancel_subscription", Label("cancelled subscription", "退定"), ("deposit",)),
    Correction("return_unit", Label("returned unit", "退房"),
               ("contract", "order", "mortgage_processed", "loan_released", "delivery", "stage")),
    Correction("refund", Label("refund", "退款"), ("deposit", "payment")),
)}


def voided_by(events: Iterable[Event]) -> dict[int, Event]:
    """``{voided event id: the void event}`` for a lead's log."""
    return {e.data["event"]: e for e in events if e.kind == VOID and e.data.get("event") is not None}


def effective_events(events: Sequence[Event]) -> list[Event]:
    """The log as the rules read it: without voided events and without the
    voids. Every fold of a lead's events (projection, ownership, credit,
    plugin checks) goes through here; a log without voids is returned as
    it is."""
    if not any(e.kind == VOID for e in events):
        return events if isinstance(events, list) else list(events)
    gone = voided_by(events)
    return [e for e in events if e.kind != VOID and e.id not in gone]


def correction(name: str | None) -> Correction:
    """The correction named ``name`` (English key or Chinese label), or a
    one-line error listing them."""
    from .errors import LeadcycleError

    text = (name or "wrong_entry").strip()
    for c in CORRECTIONS.values():
        if text.lower() in (c.name, c.label.en.lower()) or text == c.label.zh:
            return c
    known = ", ".join(f"{c.name} ({c.label.zh})" for c in CORRECTIONS.values())
    raise LeadcycleError(N_("--as {text!r} is not a correction; use one of: {known}"), text=text, known=known)


def void_line(void: Event, lang: str = "en") -> str:
    """How a void reads in a history: ``void of #12 (contract) as returned
    unit: 客户退房``."""
    c = CORRECTIONS.get(void.data.get("as"))
    what = c.label(lang) if c else str(void.data.get("as"))
    reason = void.data.get("reason") or ""
    return render(M_("void of #{event} ({kind}) as {what}: {reason}", event=void.data.get("event"),
                     kind=void.data.get("kind"), what=what, reason=reason), lang)


def voided_mark(void: Event, lang: str = "en") -> str:
    """The mark a voided entry carries in a history."""
    day = f"{void.at:%Y-%m-%d}"
    return render(M_("[voided by #{id} on {day}]", id=void.id, day=day), lang)
