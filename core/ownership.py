"""Who owns a lead, and who is credited with its deal: folds over its events
(DOMAIN §3).

The owner is never stored as a fact of its own: it is replayed from the log
with the industry's :class:`~leadcycle.OwnershipPolicy` and the clock, so a
dispute can be replayed and every owner carries the rule that decided it.
Whatever a rule needs from outside the lead's own log (the owner of the
referring lead, an agent's recorded relatives) is looked up once, when the
registration is written, and recorded in the ``register`` event's data — so
replaying the log gives the same owner.

Rules applied by :func:`resolve`:

* first contact: the agent who receives a registered *visit* owns the lead;
  a phone-only registration creates no owner (§3.1) — at the first visit
  the lead goes to the agent the caller names (``asks_for``), else to the
  receiver;
* named request (§3.2): a visitor who asks for an agent belongs to them;
* relatives and friends of an agent, recorded beforehand, belong to that
  agent (§3.2);
* referral chain (§3.3): a newcomer introduced by a client belongs to the
  client's owner (walking up the chain while a referrer has no owner) — only
  with a proof (accompanied, phoned ahead, named); a chance meeting does not
  count;
  precedence at one registration: named request, then relation, then
  referral, then the receiver (defined here; the documents do not rank them);
* protection period (§3.4): ownership lapses after ``protection_days``
  calendar days without a visit or a follow-up by the owner (day 30 still
  owned, day 31 lapsed, with the default 30) and the lead goes to the pool.
  A lead with a deposit or a contract no longer lapses (defined here: a
  subscribed client is a deal, "以成交为准");
* a returning visit within protection leaves the owner in place (the
  receiver is a stand-in); a lapsed or pooled lead's next visit makes it the
  receiving agent's new client (or the named agent's, if the visitor asks
  for one). Asking for another agent *within* protection changes nothing: that
  is a complaint, for a manager (``reassign``);
* ``owner`` events written by commands (claim, recognition, departure,
  complaint, arbitration) set the owner with the rule they name.

:func:`deals` computes the credit of every ``contract`` (§3.6, §3.11).

Everything here is a pure function of a lead's events, the policy and
plain values (``now``, an ``away_at`` callable): no book, no database. The
commands that write ownership (claim, give up, reassign, dispute…) live a
layer above, in :mod:`leadcycle.claims`.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Callable

import attrs

from .corrections import effective_events
from .model import Event, Fold, Label, Reason
from .rules import OwnershipPolicy

PROOFS = {
    "accompanied": Label("the referrer came along", "老客户陪同前来"),
    "phoned": Label("the referrer phoned ahead", "老客户预先电话通知"),
    "named": Label("the newcomer named the referrer or the agent", "新客户指明介绍人或置业顾问"),
}

CLAIMS = ("knowingly", "unrecognized")

#: how a registration came about, when the rules treat it apart (002)
REGISTERED_AS = {
    "friend_viewing": Label("a friend viewing for the client (帮朋友看房)", "帮朋友看房"),
    "company_introduction": Label("introduced through the company (公司关系介绍)", "公司关系介绍"),
    "staff_introduction": Label("introduced by a member of staff (公司职员介绍)", "公司职员介绍"),
}
INTRODUCTIONS = ("company_introduction", "staff_introduction")

RELATIONS = {"relative": Label("relative", "亲属"), "friend": Label("friend", "朋友")}


#: the owner changes by which a visit makes the lead a new client, its
#: visitor the agent who received it (§3.4: "a lapsed lead's next visit is
#: a new client for the queue"; 004's new-client rules; §3.1's first visit
#: after a phone-only contact)
NEW_CLIENT_RULES = frozenset({"new_client", "first_visit", "no_first_callback", "no_new_intent", "no_contact"})


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
    #: receptions by colleagues while the lead was owned: ``(at, agent)``
    stand_ins: tuple[tuple[dt.datetime, str], ...] = ()
    #: the colleague who received the owner's unnamed returning client and
    #: gets the lead unless the owner recognises it in time (``lapses_at``)
    awaiting_recognition: str | None = None
    #: the fold's state after the last event, before the clock is applied
    #: (see :class:`Fold`): stored per lead, so that a read computes the
    #: owner at its own clock in SQL (:func:`leadcycle.sqlrules.owner_sql`)
    fold: "Fold | None" = None

    def since(self) -> dt.datetime | None:
        """When the current owner became owner."""
        return self.history[-1].at if self.history else None


#: the fields of :class:`OwnershipPolicy` the fold reads besides the
#: protection period (which a :class:`Fold` carries its own range of): a
#: changed credit split, commission or dispute window leaves every stored
#: fold good (``tests/test_fold_signature.py`` holds this list to the code)
FOLD_FIELDS = ("calls_establish_ownership", "contact_kinds", "deal_kinds", "first_callback_days",
               "new_intent_days", "recognition_contact_days", "recognition_minutes")


def signature(policy: OwnershipPolicy) -> str:
    """A short hash of what the fold reads of the policy (:data:`FOLD_FIELDS`)
    and the program that folds it (this module's source and the effective
    log's): a stored :class:`Fold` folded under another is not trusted by a
    read. The protection period is not in it: each fold says which periods
    it holds under (:meth:`~leadcycle.model.Fold.tag`)."""
    from . import __version__
    from .fingerprint import version_tag

    def plain(value):
        if isinstance(value, (set, frozenset)):
            return sorted(map(str, value))
        return str(value)

    fields = {name: getattr(policy, name) for name in FOLD_FIELDS}
    text = json.dumps([__version__, _folds_source(), fields], sort_keys=True, default=plain, ensure_ascii=False)
    return version_tag(text)


def _folds_source() -> str:
    """A hash of the code the fold is: this module and the corrections it reads."""
    from pathlib import Path

    from .fingerprint import source_hash

    here = Path(__file__)
    return source_hash((here, here.with_name("corrections.py")))


def owner_at(fold: Fold, policy: OwnershipPolicy, now: dt.datetime) -> tuple[str | None, dt.datetime | None]:
    """``(owner, lapses_at)`` at ``now`` (not before the last event) from
    the stored fold: what :func:`resolve` gives, and what
    :func:`leadcycle.sqlrules.owner_sql` computes in SQL."""
    owner, anchor, window = _holder_at(fold, now)
    if owner and anchor and not fold.dealt and now >= lapse_moment(anchor, policy.protection_days):
        owner = None
    lapses = lapse_moment(anchor, policy.protection_days) if owner and anchor and not fold.dealt else None
    if window is not None:
        end = window + dt.timedelta(seconds=1)
        lapses = end if lapses is None else min(lapses, end)
    return owner, lapses


def _holder_at(fold: Fold, now: dt.datetime) -> tuple[str | None, dt.datetime | None, dt.datetime | None]:
    """``(holder, anchor, open window's end)`` at ``now``: a recognition
    window that has closed hands the client to its receiver from the
    reception on (``check_lapse``, as :func:`resolve` applies it at the
    clock), before any lapse is looked at."""
    if fold.window_until is not None and now > fold.window_until:
        return fold.window_to, fold.window_at, None
    return fold.owner, fold.anchor, fold.window_until


def lapsed(fold: Fold, policy: OwnershipPolicy, now: dt.datetime) -> tuple[Reason, str] | None:
    """``(why, who had it)`` for a lead in the pool at ``now`` because its
    owner's protection lapsed after its last event, as the stored fold
    tells it: the reason :func:`resolve` gives, without the events. None
    when the fold cannot tell (the lead still has an owner, or lost it by
    an entry: a give-up, a departure)."""
    owner, anchor, _ = _holder_at(fold, now)
    if not owner or anchor is None or fold.dealt:
        return None
    moment = lapse_moment(anchor, policy.protection_days)
    return (Reason(_lapsed(policy, moment, anchor, owner), "owner:lapsed"), owner) if now >= moment else None


def _lapsed(policy: OwnershipPolicy, moment: dt.datetime, anchor: dt.datetime, owner: str) -> Label:
    return Label(f"pool: protection of {policy.protection_days} days lapsed on {moment.date()} "
                 f"(last contact {anchor.date()}, {owner} was owner)",
                 f"公共客户池：{policy.protection_days}天保护期已于{moment.date()}失效"
                 f"（最后联系{anchor.date()}，原归属{owner}）")


def lapse_moment(anchor: dt.datetime, days: int) -> dt.datetime:
    """Midnight after the last protected day: ``anchor``'s date + days + 1."""
    return dt.datetime.combine(anchor.date() + dt.timedelta(days=days + 1), dt.time())


def _registration_claim(e: Event, *, visit_at: dt.datetime | None = None,
                        asks_for: str | None = None) -> tuple[str, str, Label] | None:
    """The owner a registration's recorded claims decide, with the rule:
    named request, then relation, then referral (with proof)."""
    data = e.data
    day = (visit_at or e.at).date()
    # a caller's wish on the phone is no claim (002: callers may not be told
    # whom to ask for); only a name given on arrival is
    asks = asks_for if data.get("channel") == "call" else (asks_for or data.get("asks_for"))
    if asks:
        if data.get("channel") == "call":
            return asks, "named_request", Label(
                f"{asks}: the caller named {asks} on the first visit ({day})",
                f"{asks}：来电客户来访时报出{asks}的名字（{day}）")
        return asks, "named_request", Label(
            f"{asks}: the visitor asked for {asks} on {day} (named request)",
            f"{asks}：客户{day}来访指名找{asks}接待")
    rel = data.get("agent_relation")
    if rel:
        kind = RELATIONS.get(rel.get("relation"), Label(str(rel.get("relation")), str(rel.get("relation"))))
        recorded = str(rel.get("recorded_at", ""))[:10]
        return rel["agent"], "relation", Label(
            f"{rel['agent']}: {kind.en} of {rel['agent']}, recorded beforehand on {recorded}",
            f"{rel['agent']}：{rel['agent']}事先登记的{kind.zh}（{recorded}登记）")
    ref_owner = data.get("referral_owner")
    if ref_owner and data.get("referral_proof") in PROOFS:
        chain = data.get("referral_chain") or [data.get("referred_by")]
        proof = PROOFS[data["referral_proof"]]
        path = " ← ".join(f"#{i}" for i in chain)
        return ref_owner, "referral", Label(
            f"{ref_owner}: referral chain {path} ({proof.en})",
            f"{ref_owner}：裙带原则，介绍链 {path}（{proof.zh}）")
    return None


def _named(asks: str) -> tuple[str, Label]:
    return asks, Label(f"{asks}: the visitor asked for {asks} on arrival (named request)",
                       f"{asks}：客户来访时指名找{asks}接待")


def _new_client_deadline(policy: OwnershipPolicy, first: dt.datetime | None,
                         callback: dt.datetime | None) -> tuple[dt.date, str, Label] | None:
    """The last day on which a colleague's reception is still the owner's
    returning client under 004's new-client rule (None: the rule is off)."""
    if callback is None and policy.first_callback_days is not None and first is not None:
        day = first.date() + dt.timedelta(days=policy.first_callback_days)
        return day, "no_first_callback", Label(
            f"no first call-back within {policy.first_callback_days} days of the first visit ({first.date()})",
            f"初访（{first.date()}）后{policy.first_callback_days}天内未进行初次回访")
    if callback is not None and policy.new_intent_days is not None:
        day = callback.date() + dt.timedelta(days=policy.new_intent_days)
        return day, "no_new_intent", Label(
            f"no new talk within {policy.new_intent_days} days of the last call-back ({callback.date()})",
            f"最后一次回访（{callback.date()}）后{policy.new_intent_days}天内未达成新的意向洽谈")
    return None


def resolve(events: list[Event], policy: OwnershipPolicy, now: dt.datetime) -> Ownership:
    """The owner of one lead at ``now``, with the history of owners
    (voided entries left out). A pure function of the events, the policy
    and the clock."""
    return _run(events, policy, now, True)


def fold_of(events: list[Event], policy: OwnershipPolicy) -> Fold:
    """The fold after the lead's last event (:attr:`Ownership.fold`), the
    same state machine as :func:`resolve` without the history and its
    two-language reasons, which only an explanation reads: for a write
    that stores the fold alone (an import's new leads), where the reasons
    were most of the fold's cost."""
    return _run(events, policy, None, False)


def _run(events: list[Event], policy: OwnershipPolicy, now: dt.datetime | None, reasons: bool) -> Ownership | Fold:
    """:func:`resolve` (``reasons``) or :func:`fold_of`. Each owner change
    passes its reason as a callable, called only when ``reasons``."""
    events = effective_events(events)
    owner: str | None = None
    anchor: dt.datetime | None = None
    history: list[OwnerChange] = []
    stand_ins: list[tuple[dt.datetime, str]] = []
    pending: Event | None = None  # a phone-only registration waiting for the first visit
    #: a colleague's reception of the owner's unnamed returning client,
    #: waiting for the original agent's recognition: (deadline, receiver, at)
    window: tuple[dt.datetime, str, dt.datetime] | None = None
    first: dt.datetime | None = None  # the owner's first reception (004's first call-back)
    callback: dt.datetime | None = None  # the owner's last call-back or talk since
    ever_owned = False
    dealt = False
    on_behalf = False  # registered by a friend viewing for the client
    # the protection periods under which every lapse tested between two
    # entries comes out as it did (Fold.days_from, Fold.days_to)
    days_from, days_to = 0, None

    def change(at, new_owner, rule, label: Callable[[], Label]):
        nonlocal owner, ever_owned, first, callback
        if reasons:  # the label reads the state before the change (the owner it had)
            history.append(OwnerChange(at, new_owner, rule, Reason(label(), f"owner:{rule}")))
        if new_owner != owner:
            first, callback = at, None
        owner = new_owner
        ever_owned = ever_owned or new_owner is not None

    def check_lapse(until: dt.datetime):
        nonlocal window, anchor, days_from, days_to
        if window is not None and until > window[0]:
            deadline, receiver, at = window
            window = None
            original = owner
            change(deadline, receiver, "not_recognized", lambda: Label(
                f"{receiver}: received the returning client at {at:%Y-%m-%d %H:%M}, who did not name "
                f"{original}; {original} did not recognise them within {policy.recognition_minutes} minutes",
                f"{receiver}：{at:%Y-%m-%d %H:%M}接待未报出{original}名字的老客户，"
                f"{original}未在{policy.recognition_minutes}分钟内认出"))
            anchor = at
        if owner is not None and anchor is not None and not dealt:
            # lapsed at ``until`` under a period of ``days`` exactly when
            # days < gap (lapse_moment: midnight after the last protected day)
            gap = (until.date() - anchor.date()).days
            moment = lapse_moment(anchor, policy.protection_days)
            if until >= moment:
                days_to = gap - 1 if days_to is None else min(days_to, gap - 1)
                change(moment, None, "lapsed", lambda: _lapsed(policy, moment, anchor, owner))
            else:
                days_from = max(days_from, gap)

    def returning(e: Event) -> None:
        """A colleague receives the owner's client (§3.5; 004). A visit that
        stays the owner's (the client named them, or they were marked away)
        is the client's last visit: the protection runs from it (§3.4)."""
        nonlocal window, anchor
        asks = e.data.get("asks_for")
        if e.data.get("family_visitor"):
            # the client's family, received by a colleague: a voluntary
            # reception, the first registration counts (§1; 002: 家人朋友…算义务接待)
            stand_ins.append((e.at, e.agent))
            anchor = e.at
            return
        if asks == owner:
            stand_ins.append((e.at, e.agent))  # named: the receiver stands in
            anchor = e.at
            return
        if asks:
            return  # asking for another agent within protection is a complaint, for a manager
        if dealt or on_behalf:
            # a subscribed client stays with the deal's owner; the client a friend
            # viewed for cannot recognise the agent they never met (002: 分半)
            stand_ins.append((e.at, e.agent))
            return
        rule_004 = _new_client_deadline(policy, first, callback)
        if rule_004 is not None and e.at.date() > rule_004[0]:
            change(e.at, e.agent, rule_004[1], lambda: Label(
                f"{e.agent}: received the visit on {e.at.date()} as a new client ({rule_004[2].en} by {owner})",
                f"{e.agent}：{e.at.date()}按新客户接待（{owner}{rule_004[2].zh}）"))
            return
        if anchor is not None and (e.at.date() - anchor.date()).days > policy.recognition_contact_days:
            change(e.at, e.agent, "no_contact", lambda: Label(
                f"{e.agent}: received the client on {e.at.date()}, more than "
                f"{policy.recognition_contact_days} days after {owner}'s last contact ({anchor.date()})",
                f"{e.agent}：{e.at.date()}接待，距{owner}最后联系（{anchor.date()}）已超过"
                f"{policy.recognition_contact_days}天"))
            return
        if window is None and not e.data.get("owner_away"):  # an owner away cannot recognise: a stand-in
            window = (e.at + dt.timedelta(minutes=policy.recognition_minutes), e.agent, e.at)
        elif e.data.get("owner_away"):
            anchor = e.at
        stand_ins.append((e.at, e.agent))

    for e in events:
        check_lapse(e.at)
        kind = e.kind
        if kind == "register":
            channel = e.data.get("channel", "visit")
            anchor = e.at
            on_behalf = e.data.get("registered_as") == "friend_viewing"
            if e.data.get("registered_as") in INTRODUCTIONS:
                kind_label = REGISTERED_AS[e.data["registered_as"]]
                change(e.at, None, "introduction", lambda: Label(
                    f"no owner: {kind_label.en}; the manager allocates the client (002)",
                    f"无归属：{kind_label.zh}客户由上级领导负责分配（002）"))
            elif channel == "visit":
                claim = _registration_claim(e)
                if claim is not None:
                    change(e.at, claim[0], claim[1], lambda: claim[2])
                elif e.agent:
                    change(e.at, e.agent, "first_contact", lambda: Label(
                        f"{e.agent}: first contact, received the registered visit on {e.at.date()}",
                        f"{e.agent}：首接负责制，{e.at.date()}接待登记来访"))
                else:
                    change(e.at, None, "no_owner", lambda: Label("no owner: registered without a receiving agent",
                                                         "无归属：登记时无接待顾问"))
            elif policy.calls_establish_ownership and e.agent:
                change(e.at, e.agent, "first_contact", lambda: Label(
                    f"{e.agent}: first contact by phone on {e.at.date()}", f"{e.agent}：{e.at.date()}电话首接"))
            else:
                pending = e
                change(e.at, None, "no_owner", lambda: Label(
                    "no owner: a phone-only contact does not establish ownership until the first visit",
                    "无归属：仅电话来访不确立归属，待首次来访"))
        elif kind == "owner":
            anchor = e.at
            rule = e.data.get("rule", "reassigned")
            # the owner recognised the client, or a manager (or a departure)
            # decided the owner: no window left to run out on the new owner
            window = None
            text = e.data.get("reason") or {}
            new = e.data.get("to")
            change(e.at, new, rule, lambda: Label(text.get("en", f"{new or 'pool'}: {rule}"),
                                                  text.get("zh", f"{new or '公共池'}：{rule}")))
        elif kind == "visit":
            asks = e.data.get("asks_for")
            if owner is None:
                claim = None
                if pending is not None and not ever_owned:
                    claim = _registration_claim(pending, visit_at=e.at, asks_for=asks)
                elif asks:
                    claim = (asks, "named_request", _named(asks)[1])
                if claim is not None:
                    change(e.at, claim[0], claim[1], lambda: claim[2])
                elif e.agent:
                    was_call = pending is not None and not ever_owned
                    change(e.at, e.agent, "first_visit" if was_call else "new_client", lambda: Label(
                        f"{e.agent}: received the first visit on {e.at.date()} after a phone-only contact"
                        if was_call else
                        f"{e.agent}: received the visit on {e.at.date()} while the lead had no owner (new client)",
                        f"{e.agent}：{e.at.date()}接待来电客户的首次来访" if was_call else
                        f"{e.agent}：{e.at.date()}接待来访，当时客户无归属（视为新客户）"))
                pending = None
                anchor = e.at
            elif e.agent and e.agent != owner:
                before = owner
                returning(e)
                if owner != before:
                    anchor = e.at
            else:
                rule_004 = (_new_client_deadline(policy, first, callback)
                            if e.agent and e.agent == owner and not (dealt or on_behalf)
                            and e.data.get("asks_for") != owner else None)
                if rule_004 is not None and e.at.date() > rule_004[0]:
                    # 004 makes the next visit a new client whoever receives
                    # it: the lapsed owner too takes it as a walk-in, anew
                    change(e.at, e.agent, rule_004[1], lambda: Label(
                        f"{e.agent}: received the visit on {e.at.date()} as a new client ({rule_004[2].en})",
                        f"{e.agent}：{e.at.date()}按新客户接待（{rule_004[2].zh}）"))
                    first, callback = e.at, None
                elif e.agent == owner and e.at > (first or e.at):
                    callback = e.at
                anchor = e.at
        elif kind in policy.contact_kinds and owner is not None and e.agent == owner:
            anchor = e.at
            callback = e.at
        if kind in policy.deal_kinds:
            dealt = True
    fold = Fold(owner, anchor, dealt, *(window or (None, None, None)), days_from=days_from, days_to=days_to)
    if not reasons:
        return fold
    check_lapse(now)

    lapses_at = lapse_moment(anchor, policy.protection_days) if owner and anchor and not dealt else None
    if window is not None:  # the owner holds the lead to the last second of the window
        end = window[0] + dt.timedelta(seconds=1)
        lapses_at = end if lapses_at is None else min(lapses_at, end)
    if history:
        reason = history[-1].reason
    else:
        reason = Reason(Label("no owner", "无归属"), "owner:none")
    since = history[-1].at if history else None
    current_stand_ins = tuple(s for s in stand_ins if since is None or s[0] >= since)
    return Ownership(owner, reason, tuple(history), lapses_at, anchor, current_stand_ins,
                     window[1] if window else None, fold)


def receptions_of(events: list[Event]) -> list[tuple[dt.datetime, str]]:
    """Every reception of the client: registered visits and visits, ``(at, agent)``."""
    out = []
    for e in events:
        if e.agent and (e.kind == "visit" or (e.kind == "register" and e.data.get("channel", "visit") == "visit")):
            out.append((e.at, e.agent))
    return out


# -------------------------------------------------------------------- credit


@attrs.frozen
class Share:
    agent: str
    share: Fraction
    role: str


@attrs.frozen
class StageReached:
    name: str
    label: Label
    percent: int
    at: dt.datetime | None


@attrs.frozen
class Deal:
    """The credit of one deal — made at the subscription (the first
    deposit) or at the contract, as ``policy.deal_moment`` says: shares
    summing to exactly 1."""

    event_id: int | None
    at: dt.datetime
    closer: str | None
    owner: str | None
    rule: str
    reason: Label
    shares: tuple[Share, ...]
    subscribed_at: dt.datetime
    dispute_until: dt.date
    arbitrated: bool
    violation: Label | None
    stages: tuple[StageReached, ...]
    #: the contract of the deal (``None`` while only subscribed)
    contract_at: dt.datetime | None = None
    #: disputes raised and not yet decided: ``(event id, claim, claimant)``
    open_disputes: tuple[tuple[int | None, str, str], ...] = ()
    #: agents who left before the contract: 30 % of their share once the
    #: contract is signed and the price is paid in full (004)
    departed: tuple[str, ...] = ()

    @property
    def payable_percent(self) -> int:
        reached = [s.percent for s in self.stages if s.at is not None]
        return max(reached) if reached else 0

    def payable_for(self, agent: str) -> int:
        """The percent of ``agent``'s commission payable now (004: a
        departed agent's 30 % waits for the contract and the full price)."""
        if agent in self.departed:
            paid = self.contract_at is not None and all(s.at is not None for s in self.stages)
            return DEPARTED_PERCENT if paid else 0
        return self.payable_percent

    def disputable(self, now: dt.datetime) -> bool:
        return not self.arbitrated and now.date() <= self.dispute_until


#: 004 (提成发放事项 2a): a departed agent's deferred commission
DEPARTED_PERCENT = 30

AwayAt = Callable[[str, dt.datetime], "str | None"]


def _never_away(agent: str, at: dt.datetime) -> str | None:
    return None


def _combine(parts: list[tuple[str, Fraction, str]]) -> tuple[Share, ...]:
    merged: dict[str, list] = {}
    for agent, share, role in parts:
        if share == 0:
            continue
        if agent in merged:
            merged[agent][0] += share
        else:
            merged[agent] = [share, role]
    shares = tuple(Share(a, s, r) for a, (s, r) in merged.items())
    total = sum((s.share for s in shares), Fraction(0))
    assert total == 1, f"credit shares sum to {total}, not 1"
    return tuple(sorted(shares, key=lambda s: (-s.share, s.agent)))


def deal_spans(events: list[Event], moment: str) -> list[tuple[int, int | None]]:
    """Each deal as ``(index of the event that made it, index of its
    contract or None)``. With ``moment == "subscription"`` the first deposit
    makes the deal and the next contract closes it; a contract without a
    deposit before it makes a deal of its own."""
    spans: list[list] = []
    for i, e in enumerate(events):
        if e.kind == "deposit" and moment == "subscription":
            if not spans or spans[-1][1] is not None:
                spans.append([i, None])
        elif e.kind == "contract":
            if moment == "subscription" and spans and spans[-1][1] is None:
                spans[-1][1] = i
            else:
                spans.append([i, i])
    return [(a, b) for a, b in spans]


def displaced(own: Ownership) -> str | None:
    """The agent the current owner took the lead from by non-recognition
    (§3.5), or None."""
    h = own.history
    if len(h) >= 2 and h[-1].rule == "not_recognized":
        return h[-2].owner
    return None


def _timely(prior: list[Event], policy: OwnershipPolicy, owner: str, first: dt.datetime) -> dt.datetime | None:
    """The owner's last contact with the client before ``first`` — a
    follow-up, a call, their own reception of a return visit — when it is
    timely (§3.6), else None. The reception that registered the client is
    not one: it is what the follow-ups follow, and an owner who never
    called back "had no follow-up record" (002: 没有回访记录…销售员A获得20%)."""
    contacts = [e.at for e in prior if e.agent == owner and e.at <= first and e.kind != "register"
                and (e.kind in policy.contact_kinds or e.kind == "follow_up")]
    if contacts and (first.date() - contacts[-1].date()).days <= policy.timely_follow_up_days:
        return contacts[-1]
    return None


def _collision(prior, policy, owner, closer, first, away, referral) -> tuple[str, Label, Fraction]:
    """The split between an owner and a colleague who closed their client."""
    if referral and away:
        k = policy.split_referral_owner
        return "referral_away", Label(
            f"referral received by {closer} while {owner} was away ({away[0][1]}): {closer} {1 - k}, {owner} {k}",
            f"老客户介绍的新客户在{owner}不在时由{closer}接待成交：{closer} {1 - k}，{owner} {k}"), k
    if away:
        k = policy.split_stand_in_owner
        return "stand_in_away", Label(
            f"{closer} stood in while {owner} was away ({away[0][1]}) and closed: {closer} {1 - k}, {owner} {k}",
            f"{owner}不在时{closer}代接并成交：{closer} {1 - k}，{owner} {k}"), k
    last = _timely(prior, policy, owner, first)
    if last is not None:
        k = policy.split_collision_owner
        return "collision", Label(
            f"collision in good faith; {owner} followed up on time (last contact {last.date()}): "
            f"{owner} {k}, {closer} {1 - k}",
            f"撞单（善意），{owner}按时跟进（最后联系{last.date()}）：{owner} {k}，{closer} {1 - k}"), k
    k = policy.split_late_owner
    return "collision_late", Label(
        f"collision; {owner} had no timely follow-up (limit {policy.timely_follow_up_days} days before "
        f"{closer}'s reception on {first.date()}): {closer} {1 - k}, {owner} {k}",
        f"撞单，{owner}在{closer}接待（{first.date()}）前{policy.timely_follow_up_days}天内无跟进："
        f"{closer} {1 - k}，{owner} {k}"), k


def deals(events: list[Event], policy: OwnershipPolicy, away_at: AwayAt = _never_away,
          kinds: frozenset[str] | None = None) -> list[Deal]:
    """The credit of every deal of one lead (§3.6), and the commission
    stages it reached (§3.11). ``away_at(agent, moment)`` says whether an
    agent was away (and why, ``left`` after a departure) at a moment;
    ``kinds`` are the industry's event kinds (commission stages of other
    kinds are left out). A voided deposit or contract is no deal.

    Disputes are raised by an agent and decided by a manager (``dispute``
    events with a ``decision``); only an upheld dispute changes the credit.
    """
    events = effective_events(events)
    out: list[Deal] = []
    spans = deal_spans(events, policy.deal_moment)
    for n, (i, ci) in enumerate(spans):
        c = events[i]
        contract = events[ci] if ci is not None else None
        prior = events[:i]
        end = spans[n + 1][0] if n + 1 < len(spans) else len(events)
        after = events[i + 1:end]
        own = resolve(prior, policy, c.at)
        owner = own.owner
        original = displaced(own)
        closer = c.agent or owner
        start = events[spans[n - 1][0]].at if n else None
        deposits = [e for e in prior + [c] if e.kind == "deposit" and (start is None or e.at > start)]
        subscribed = deposits[0].at if deposits else c.at
        dispute_until = subscribed.date() + dt.timedelta(days=policy.dispute_days)
        ids = {c.id, contract.id if contract else None} - {None}
        raised = [e for e in after if e.kind == "dispute" and e.data.get("deal") in ids and "decision" not in e.data]
        decided = {e.data.get("dispute"): e for e in after if e.kind == "dispute" and "decision" in e.data}
        upheld = [(d, decided[d.id]) for d in raised if d.id in decided
                  and decided[d.id].data["decision"] == "upheld"]
        # a dispute recorded by a manager before raising and deciding were two steps
        upheld += [(d, d) for d in raised if d.data.get("manager") and d.id not in decided]
        arbitrations = [e for e in after if e.kind == "owner" and e.data.get("rule") == "arbitration"]
        # a manager's arbitration is final: it settles every dispute raised before it
        settled = after.index(arbitrations[-1]) if arbitrations else -1
        open_disputes = tuple((d.id, d.data.get("claim"), d.data.get("claimant")) for d in raised
                              if d.id not in decided and not d.data.get("manager") and after.index(d) > settled)
        # the client complained and a manager moved them before the deal closed
        # (§3.8): between the subscription and its contract
        open_span = events[i + 1:ci if ci is not None else end]
        complaints = [e for e in open_span if e.kind == "owner" and e.data.get("rule") == "complaint"
                      and e.data.get("to")]
        violation = None
        since = own.since()
        mine = [at for at, agent in receptions_of(prior) if agent == closer and (since is None or at >= since)]
        if arbitrations:
            a = arbitrations[-1]
            text = a.data.get("reason") or {}
            rule, reason = "arbitration", Label(
                f"manager's arbitration (final): all credit to {a.data.get('to')} — {text.get('en', '')}",
                f"经理裁决（最终）：业绩全部归{a.data.get('to')}——{text.get('zh', '')}")
            parts = [(a.data["to"], Fraction(1), "arbitrated")]
        elif complaints:
            moved = complaints[-1]
            to, by = moved.data["to"], moved.data.get("by") or moved.agent
            rule, reason = "complaint", Label(
                f"the client complained and {by} moved them to {to} on {moved.at.date()}: all credit to {to}",
                f"客户投诉，{by}于{moved.at.date()}改派{to}：业绩全部归{to}")
            parts = [(to, Fraction(1), "owner")]
        elif closer is None:
            out.append(Deal(c.id, c.at, None, owner, "no_agent", Label(
                "no agent: log the deal with --agent", "无成交顾问：成交请用 --agent 记录"), (),
                subscribed, dispute_until, False, None, (), contract.at if contract else None, open_disputes))
            continue
        else:
            knowing = [(d, v) for d, v in upheld if d.data.get("claim") == "knowingly"]
            unrecognized = [(d, v) for d, v in upheld if d.data.get("claim") == "unrecognized"]
            victim = original if original and owner == closer else owner
            buyer_rule = _buyer_rule(prior, contract, closer)
            family_partner = _family_partner(prior, closer) if policy.family_split else None
            on_behalf = any(e.kind == "register" and e.data.get("registered_as") == "friend_viewing" for e in prior)
            split = next((v.data["split"] for d, v in reversed(upheld) if v.data.get("split") is not None), None)
            if split is not None:
                d, verdict = next((d, v) for d, v in reversed(upheld) if v.data.get("split") is not None)
                claimant, k = d.data["claimant"], Fraction(split)
                rule = "dispute_split"
                reason = Label(f"manager {verdict.data.get('manager')} upheld {claimant}'s dispute "
                               f"({d.data.get('claim')}) and set {claimant} {k}, {closer} {1 - k}",
                               f"经理{verdict.data.get('manager')}支持{claimant}的业绩争议，裁定{claimant} {k}，{closer} {1 - k}")
                parts = [(claimant, k, "claimant"), (closer, 1 - k, "closer")]
            elif buyer_rule is not None:
                rule, reason = buyer_rule
                parts = [(closer, Fraction(1), "closer")]
            elif family_partner is not None:
                k = Fraction(1, 2)
                rule = "family_split"
                reason = Label(f"a family registered apart with {family_partner} (分单制): {closer} {k}, "
                               f"{family_partner} {k}",
                               f"同一家人分别登记（分单制）：{closer} {k}，{family_partner} {k}")
                parts = [(closer, k, "closer"), (family_partner, k, "family")]
            elif on_behalf and owner and closer != owner:
                k = policy.split_friend_owner
                rule = "friend_viewing"
                reason = Label(f"{owner} received a friend viewing for the client, who came back to {closer}: "
                               f"{owner} {k}, {closer} {1 - k}",
                               f"{owner}接待帮朋友看房者，朋友再访由{closer}接待成交：{owner} {k}，{closer} {1 - k}")
                parts = [(owner, k, "owner"), (closer, 1 - k, "closer")]
            elif knowing and victim and closer != victim:
                rule = "knowingly"
                reason = Label(f"{closer} knowingly worked {victim}'s client: all credit to {victim}, "
                               "violation recorded",
                               f"{closer}明知是{victim}的客户仍深度接触：业绩全部归{victim}，记违规")
                violation = Label(f"{closer} knowingly worked {victim}'s client (penalty per office rules)",
                                  f"{closer}明知是{victim}的客户仍接待（按制度处罚）")
                parts = [(victim, Fraction(1), "owner")]
            elif unrecognized:
                d, verdict = unrecognized[-1]
                claimant = d.data["claimant"]
                first = max((at for at, a in receptions_of(prior) if a == closer and at <= (since or c.at)),
                            default=c.at)
                if _timely(prior, policy, claimant, first) is not None:
                    k = policy.split_unrecognized_claimant
                    rule = "unrecognized"
                    reason = Label(f"{claimant} failed to recognise their client, followed up on time and proved "
                                   f"the earlier reception: {claimant} {k}, {closer} {1 - k}",
                                   f"{claimant}未认出老客户、按时跟进并事后拿出接待依据：{claimant} {k}，{closer} {1 - k}")
                else:
                    k = policy.split_late_owner
                    rule = "unrecognized_late"
                    reason = Label(f"{claimant} failed to recognise their client and had no timely follow-up: "
                                   f"{closer} {1 - k}, {claimant} {k}",
                                   f"{claimant}未认出老客户且未按时跟进：{closer} {1 - k}，{claimant} {k}")
                parts = [(claimant, k, "claimant"), (closer, 1 - k, "closer")]
            elif owner is None or owner == closer:
                helpers = sorted({e.agent for e in prior if e.kind == "assist" and e.agent
                                  and e.agent != closer and (since is None or e.at >= since)})
                if helpers and owner == closer:
                    k = policy.split_assist_stand_in
                    rule = "assisted"
                    names = "、".join(helpers)
                    reason = Label(f"{owner} closed after substantial help from {', '.join(helpers)}: "
                                   f"{owner} {1 - k}, helpers {k}",
                                   f"{owner}成交，{names}有重大促进作用：{owner} {1 - k}，协助者 {k}")
                    parts = [(owner, 1 - k, "owner")] + [(h, k / len(helpers), "stand_in") for h in helpers]
                else:
                    rule = "owner_closed" if owner else "closer_no_owner"
                    reason = Label(f"{closer} closed their own client: all credit" if owner else
                                   f"{closer} closed a lead without owner: all credit",
                                   f"{closer}成交自己的客户：业绩全部归其所有" if owner else
                                   f"{closer}成交无归属客户：业绩全部归其所有")
                    parts = [(closer, Fraction(1), "owner" if owner else "closer")]
            else:
                away = [(at, away_at(owner, at)) for at in mine]
                away = [(at, why) for at, why in away if why]
                first = mine[0] if mine else c.at
                # §3.6's referral split is for the referral's own reception by
                # the closer while the owner was away; a referral received
                # otherwise and closed later by a stand-in is the stand-in's case
                received = [(at, a) for at, a in receptions_of(prior) if since is None or at >= since]
                referral = (bool(own.history) and own.history[-1].rule == "referral" and bool(received)
                            and received[0][1] == closer and any(at == received[0][0] for at, _ in away))
                rule, reason, k = _collision(prior, policy, owner, closer, first, away, referral)
                parts = [(owner, k, "owner"), (closer, 1 - k, "closer")]
        stages = []
        for s in policy.commission_stages:
            if s.kind is None:
                reached = events[0].at if events else c.at
            elif kinds is not None and s.kind not in kinds:
                continue
            elif s.kind == "contract":
                reached = contract.at if contract else None
            else:
                hit = [e.at for e in after if e.kind == s.kind]
                reached = hit[0] if hit else None
            stages.append(StageReached(s.name, s.label, s.percent, reached))
        shares = _combine(parts)
        # left before the contract (or, none yet, left at all)
        left = tuple(s.agent for s in shares
                     if away_at(s.agent, contract.at if contract else dt.datetime.max) == "left")
        out.append(Deal(c.id, c.at, closer, owner, rule, reason, shares, subscribed,
                        dispute_until, bool(arbitrations), violation, tuple(stages),
                        contract.at if contract else None, open_disputes, left))
    return out


def _family_partner(events: list[Event], closer: str) -> str | None:
    """The other agent of a family registered apart (split mode), if any."""
    for e in events:
        if e.kind == "register" and e.data.get("family_owner") and e.data["family_owner"] != closer:
            return e.data["family_owner"]
        member = e.data.get("family_member") if e.kind == "set" else None
        if member and member.get("lead") and member.get("owner") and member["owner"] != closer:
            return member["owner"]
    return None


def _buyer_rule(prior: list[Event], contract: Event | None, closer: str) -> tuple[str, Label] | None:
    """A contract whose buyer is not the registered client nor close family
    of theirs is not this registration's deal (002: 以是否直系亲属关系为判定依据):
    the closer takes it all."""
    from .validate import FAMILY_RELATIONS

    buyer = (contract.data.get("buyer") or "").strip() if contract else ""
    registered = next((e.data.get("name") for e in prior if e.kind == "register"), None)
    if not buyer or buyer == registered or contract.data.get("buyer_relation") in FAMILY_RELATIONS:
        return None
    return "buyer_not_family", Label(
        f"the buyer {buyer} is not {registered} nor close family: not this registration's client; "
        f"all credit to {closer}",
        f"签约人{buyer}与登记人{registered}非直系亲属：不属该登记客户，业绩全部归{closer}")
