"""The reception queue (轮接 / 轮牌, DOMAIN §3.10).

New walk-ins go to agents in a fixed rotation: the active agents who are not
managers, in the order they were added. The queue's state is a fold over the
``receptions`` log (every reception, away and back is a row), so it can be
replayed like a lead's owner:

* the next regular turn goes to the first *available* agent after the one
  who took the last regular turn;
* an agent away for personal reasons is skipped and gets no make-up turn; an
  agent away on company business or busy with a client is skipped and is
  owed a make-up turn;
* make-up turns are served first, before the rotation continues
  ("义务置业顾问若被轮过则优先补接"); taking one does not move the rotation;
* a visitor who declares a non-buying purpose (vendor, press, survey) on
  arrival is received by the duty agent — the last one in the current order,
  i.e. the agent who took the last turn ("义务置业顾问") — and consumes no turn;
* an appointment with a named agent consumes no turn;
* during the lunch break (``ownership.lunch_start``–``ownership.lunch_end``)
  the lunch-duty agent (``ownership.lunch_duty_agent``) receives without
  consuming a turn.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs

from .errors import LeadcycleError, Refused
from .model import Label

AWAY_REASONS = {
    "personal": Label("away for personal reasons (no make-up turn)", "因私外出/请假（不补排）"),
    "business": Label("away on company business (make-up turn)", "公务外出（可补排）"),
    "with_client": Label("busy with a client (make-up turn)", "正在接待客户（可补排）"),
}
MAKEUP_REASONS = frozenset({"business", "with_client"})

KINDS = {
    "turn": Label("regular turn", "正常轮次"),
    "makeup": Label("make-up turn", "补排"),
    "appointment": Label("appointment (no turn consumed)", "预约客户（不计轮次）"),
    "non_buyer": Label("non-buying visitor (no turn consumed)", "非购房来访（不计轮次）"),
    "lunch_duty": Label("lunch duty (no turn consumed)", "午餐值班接待（不计轮次）"),
}


@attrs.frozen
class QueueState:
    order: tuple[str, ...]
    last: str | None
    makeup: dict
    away: dict

    def cycle(self) -> list[str]:
        """The rotation starting with the agent after the last regular turn."""
        order = list(self.order)
        if self.last in order:
            i = order.index(self.last) + 1
            return order[i:] + order[:i]
        return order


def state(book) -> QueueState:
    agents = [a for a in book.store.list_agents() if a.active and not a.is_manager]
    order = tuple(a.name for a in agents)
    away = {a.name: a.away for a in agents if a.away}
    last = None
    makeup: Counter = Counter()
    for r in book.store.receptions(kinds=("turn", "makeup")):
        if r["kind"] == "turn":
            last = r["agent"]
            for s in r["data"].get("skipped", ()):
                if s.get("makeup"):
                    makeup[s["agent"]] += 1
        else:
            makeup[r["agent"]] -= 1
    return QueueState(order, last, {k: v for k, v in makeup.items() if v > 0 and k in order}, away)


def _plan(q: QueueState) -> tuple[str, str, list[dict]]:
    cycle = q.cycle()
    for a in cycle:
        if q.makeup.get(a, 0) > 0 and a not in q.away:
            return a, "makeup", []
    skipped = []
    for a in cycle:
        if a not in q.away:
            return a, "turn", skipped
        skipped.append({"agent": a, "reason": q.away[a], "makeup": q.away[a] in MAKEUP_REASONS})
    raise Refused("no agent is available to receive: everyone in the rotation is away; "
                  "mark someone back with: leadcycle agent back NAME")


def _hhmm(book, key: str) -> dt.time:
    raw = str(book.settings[key]).strip()
    try:
        return dt.time.fromisoformat(raw)
    except ValueError:
        raise LeadcycleError(f"{key}: {raw!r} is not a time such as 12:00; "
                             f"fix it with: leadcycle settings set {key} 12:00") from None


def lunch_duty(book) -> str | None:
    """The lunch-duty agent if the clock is in the lunch break."""
    name = str(book.settings["ownership.lunch_duty_agent"] or "").strip()
    if not name:
        return None
    start, end = _hhmm(book, "ownership.lunch_start"), _hhmm(book, "ownership.lunch_end")
    if start <= book.now.time() < end:
        return name
    return None


def _result(agent, kind, skipped, q_after: QueueState) -> dict:
    label = KINDS[kind]
    return {"agent": agent, "kind": kind, "consumes_turn": kind == "turn",
            "reason": Label(f"{agent}: {label.en}", f"{agent}：{label.zh}"),
            "skipped": skipped, "makeup_owed": dict(q_after.makeup)}


def receive(book, *, non_buyer: bool = False, appointment: str | None = None) -> dict:
    """Name the agent who takes the next walk-in and advance the rotation
    (one transaction: two front desks cannot hand out the same turn)."""
    if non_buyer and appointment:
        raise LeadcycleError("choose one of --non-buyer and --appointment")
    with book.store.transaction():
        now = book.now
        q = state(book)
        if not q.order:
            raise Refused("the rotation is empty: add agents with: leadcycle agent add NAME")
        if appointment:
            a = book.agent(appointment, what="--appointment")
            if a.name in q.away:
                raise Refused(f"{a.name} is marked away ({q.away[a.name]}); mark them back first: "
                              f"leadcycle agent back {a.name}")
            agent, kind, skipped = a.name, "appointment", []
        else:
            duty = lunch_duty(book) if not non_buyer else None
            if duty is not None:
                d = book.store.get_agent(duty)
                if d is None or not d.active:
                    raise LeadcycleError(f"ownership.lunch_duty_agent: {duty!r} is not an active agent; "
                                         "fix it with: leadcycle settings set ownership.lunch_duty_agent NAME")
            if duty is not None and duty not in q.away:
                agent, kind, skipped = duty, "lunch_duty", []
            elif non_buyer:
                candidates = [a for a in reversed(q.cycle()) if a not in q.away]
                if not candidates:
                    raise Refused("no agent is available to receive: everyone in the rotation is away")
                agent, kind, skipped = candidates[0], "non_buyer", []
            else:
                agent, kind, skipped = _plan(q)
        book.store.add_reception(now, kind, agent, {"skipped": skipped})
        return _result(agent, kind, skipped, state(book))


def view(book) -> dict:
    """The rotation as the front desk sees it: who is next, in order, with
    their status and make-up turns owed."""
    q = state(book)
    rows = []
    try:
        nxt, kind, _ = _plan(q) if q.order else (None, None, [])
    except Refused:
        nxt, kind = None, None
    for i, a in enumerate(q.cycle(), 1):
        why = q.away.get(a)
        rows.append({"position": i, "agent": a, "status": why or "available",
                     "status_label": AWAY_REASONS[why] if why else Label("available", "在岗"),
                     "makeup_turns": q.makeup.get(a, 0), "next": a == nxt})
    return {"next": nxt, "next_kind": kind, "last_turn": q.last, "rotation": rows,
            "lunch_duty": lunch_duty(book)}


def set_away(book, agent: str, reason: str) -> None:
    if reason not in AWAY_REASONS:
        raise LeadcycleError(f"--reason {reason!r} is not one of {', '.join(AWAY_REASONS)}")
    a = book.agent(agent)
    with book.store.transaction():
        book.store.update_agent(a.name, away=reason)
        book.store.add_reception(book.now, "away", a.name, {"reason": reason})


def set_back(book, agent: str) -> None:
    a = book.agent(agent)
    if not a.away:
        raise Refused(f"{a.name} is not marked away")
    with book.store.transaction():
        book.store.update_agent(a.name, away=None)
        book.store.add_reception(book.now, "back", a.name, {})


def add_relation(book, agent: str, phone: str, relation: str, name: str | None = None) -> dict:
    """Record beforehand that the person with ``phone`` is a relative or
    friend of ``agent`` (§3.2)."""
    from .ownership import RELATIONS
    from .privacy import mask_phone
    from .validate import normalize_phone

    a = book.agent(agent)
    if relation not in RELATIONS:
        raise LeadcycleError(f"--relation {relation!r} is not one of {', '.join(RELATIONS)}")
    phone = normalize_phone(phone)
    with book.store.transaction():
        for r in book.store.relations(phone=phone):
            other = book.store.get_agent(r["agent"])
            if other is not None and other.active:
                raise Refused(f"phone {mask_phone(phone)} is already recorded as {r['agent']}'s {r['relation']} "
                              f"(on {r['recorded_at'][:10]})")
        recorded_at = book.now
        rid = book.store.add_relation(a.name, name, phone, relation, recorded_at)
    return {"id": rid, "agent": a.name, "name": name, "phone": phone, "relation": relation,
            "recorded_at": recorded_at}
