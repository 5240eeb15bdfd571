"""Who owns a lead: a fold over its events (DOMAIN §3).

The owner is never stored as a fact of its own: it is replayed from the log
with the industry's :class:`~leadcycle.OwnershipPolicy` and the clock, so a
dispute can be replayed and every owner carries the rule that decided it.

Rules applied here:

* first contact: the agent who receives a registered *visit* owns the lead;
  a phone-only registration creates no owner (§3.1);
* protection period: ownership lapses after ``protection_days`` calendar days
  without a visit or a follow-up by the owner (day 30 still owned, day 31
  lapsed, with the default 30) and the lead goes to the pool (§3.4);
* a lapsed or pooled lead's next visit makes it the receiving agent's new
  client (§3.4);
* ``owner`` events written by commands (claim, departure, reassignment,
  arbitration…) set the owner with the rule they name.
"""

from __future__ import annotations

import datetime as dt

import attrs

from .model import Event, Label, Reason
from .rules import OwnershipPolicy

#: event kinds by which the owner keeps the protection period alive
OWNER_CONTACT_KINDS = frozenset({"follow_up", "visit", "call"})


@attrs.frozen
class OwnerChange:
    at: dt.datetime
    owner: str | None
    rule: str
    reason: Reason


@attrs.frozen
class Ownership:
    owner: str | None
    reason: Reason
    history: tuple[OwnerChange, ...]
    #: the moment the protection period runs out, while owned
    lapses_at: dt.datetime | None
    #: the last visit or owner's follow-up that started the period
    anchor: dt.datetime | None


def lapse_moment(anchor: dt.datetime, days: int) -> dt.datetime:
    """Midnight after the last protected day: ``anchor``'s date + days + 1."""
    return dt.datetime.combine(anchor.date() + dt.timedelta(days=days + 1), dt.time())


def resolve(events: list[Event], policy: OwnershipPolicy, now: dt.datetime) -> Ownership:
    owner: str | None = None
    anchor: dt.datetime | None = None
    history: list[OwnerChange] = []

    def change(at, new_owner, rule, label):
        nonlocal owner
        owner = new_owner
        history.append(OwnerChange(at, new_owner, rule, Reason(label, f"owner:{rule}")))

    def check_lapse(until: dt.datetime):
        if owner is not None and anchor is not None:
            moment = lapse_moment(anchor, policy.protection_days)
            if until >= moment:
                change(moment, None, "lapsed", Label(
                    f"pool: protection of {policy.protection_days} days lapsed on {moment.date()} "
                    f"(last contact {anchor.date()}, {owner} was owner)",
                    f"公共客户池：{policy.protection_days}天保护期已于{moment.date()}失效"
                    f"（最后联系{anchor.date()}，原归属{owner}）"))

    for e in events:
        check_lapse(e.at)
        kind = e.kind
        if kind == "register":
            channel = e.data.get("channel", "visit")
            anchor = e.at
            if channel == "visit" and e.agent:
                change(e.at, e.agent, "first_contact", Label(
                    f"{e.agent}: first contact, received the registered visit on {e.at.date()}",
                    f"{e.agent}：首接负责制，{e.at.date()}接待登记来访"))
            elif channel == "call" and policy.calls_establish_ownership and e.agent:
                change(e.at, e.agent, "first_contact", Label(
                    f"{e.agent}: first contact by phone on {e.at.date()}",
                    f"{e.agent}：{e.at.date()}电话首接"))
            else:
                change(e.at, None, "no_owner", Label(
                    "no owner: phone-only contact does not establish ownership"
                    if channel == "call" else "no owner: registered without a receiving agent",
                    "无归属：仅电话来访不确立归属" if channel == "call" else "无归属：登记时无接待顾问"))
        elif kind == "owner":
            anchor = e.at
            rule = e.data.get("rule", "reassigned")
            text = e.data.get("reason") or {}
            new = e.data.get("to")
            label = Label(text.get("en", f"{new or 'pool'}: {rule}"), text.get("zh", f"{new or '公共池'}：{rule}"))
            change(e.at, new, rule, label)
        elif kind == "visit":
            if owner is None and e.agent:
                change(e.at, e.agent, "new_client", Label(
                    f"{e.agent}: received the visit on {e.at.date()} while the lead had no owner",
                    f"{e.agent}：{e.at.date()}接待来访，当时客户无归属（视为新客户）"))
            anchor = e.at
        elif kind in OWNER_CONTACT_KINDS and owner is not None and e.agent == owner:
            anchor = e.at
    check_lapse(now)

    lapses_at = lapse_moment(anchor, policy.protection_days) if owner and anchor else None
    if history:
        reason = history[-1].reason
    else:
        reason = Reason(Label("no owner", "无归属"), "owner:none")
    return Ownership(owner, reason, tuple(history), lapses_at, anchor)
