"""The reception queue (轮接 / 轮牌, DOMAIN §3.10).

New walk-ins go to agents in a fixed rotation: the active agents who are not
managers, in the order the supervisor set (排号, ``queue order``; agents not
named follow in the order they were added). The queue's state is a fold over
the ``receptions`` log (every reception, away, back and order is a row), so it
can be replayed like a lead's owner:

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
  consuming a turn — unless they have left or are away: then the rotation
  goes on (a wrong lunch setting never stops the front desk);
* a returning client (``--returning OWNER``) is received by their owner,
  or — owner away — by the stand-in, the last agent in the current order
  (002: 安排排轮最后销售人员辅助接待); neither consumes a turn;
* a walk-in is registered by the agent the queue gave it to: on a day the
  front desk uses the queue, ``lead add --agent X`` for a visit needs an
  unused reception of X that day (a turn, make-up turn, lunch duty or
  appointment); a named request, a referral or an agent's recorded
  relative goes to its agent anyway.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs

from .errors import LeadcycleError, Refused
from .model import Label
from .i18n import M_, N_

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
    "returning": Label("returning client, received by the owner (no turn consumed)", "老客户由原顾问接待（不计轮次）"),
    "stand_in": Label("returning client, owner away: stand-in (no turn consumed)",
                      "老客户来访、原顾问不在：排轮最后者辅助接待（不计轮次）"),
}
#: receptions of a walk-in that a registration may use
TICKETS = ("turn", "makeup", "lunch_duty", "appointment")


@attrs.frozen
class QueueState:
    order: tuple[str, ...]
    last: str | None
    makeup: dict
    away: dict
    #: the rotation with the agents who have left in their places: the
    #: turn after one of them is the next agent still in the order
    places: tuple[str, ...] = ()

    def cycle(self) -> list[str]:
        """The rotation starting with the agent after the last regular turn
        (after the place of an agent who took it and has left since)."""
        places = list(self.places or self.order)  # every agent of the order has a place
        if self.last in places:
            i = places.index(self.last) + 1
            return [a for a in places[i:] + places[:i] if a in self.order]
        return list(self.order)


def state(book) -> QueueState:
    """The rotation at the book's clock, from the reception log up to it
    (a read into the past sees the order, the turns and who was away then)."""
    staff = [a for a in book.agents() if not a.is_manager]
    agents = [a for a in staff if a.active]
    places = tuple(a.name for a in staff)
    set_by = book.store.receptions(kinds=("order",), until=book.now)
    if set_by:
        chosen = [n for n in set_by[-1]["data"].get("order", ()) if n in places]
        places = tuple(chosen) + tuple(n for n in places if n not in chosen)
    active = {a.name for a in agents}
    order = tuple(n for n in places if n in active)
    away = {a.name: a.away for a in agents if a.away}
    last = None
    makeup: Counter = Counter()
    for r in book.store.receptions(kinds=("turn", "makeup"), until=book.now):
        if r["kind"] == "turn":
            last = r["agent"]
            for s in r["data"].get("skipped", ()):
                if s.get("makeup"):
                    makeup[s["agent"]] += 1
        else:
            makeup[r["agent"]] -= 1
    return QueueState(order, last, {k: v for k, v in makeup.items() if v > 0 and k in order}, away, places)


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
    raise Refused(N_("no agent is available to receive: everyone in the rotation is away; "
                     "mark someone back with: leadcycle agent back NAME"))


def _hhmm(book, key: str) -> dt.time:
    raw = str(book.settings[key]).strip()
    try:
        return dt.time.fromisoformat(raw)
    except ValueError:
        raise LeadcycleError(N_("{key}: {raw!r} is not a time such as 12:00; "
                                "fix it with: leadcycle settings set {key} 12:00"), key=key, raw=raw) from None


def lunch_duty(book) -> str | None:
    """The lunch-duty agent if the clock is in the lunch break and they are
    an active agent; a left agent or a time stored before settings were
    checked leaves the rotation to work as usual (see :func:`lunch_problem`)."""
    name = str(book.settings["ownership.lunch_duty_agent"] or "").strip()
    if not name or lunch_problem(book):
        return None
    start, end = _hhmm(book, "ownership.lunch_start"), _hhmm(book, "ownership.lunch_end")
    if start <= book.now.time() < end:
        return name
    return None


def lunch_problem(book) -> str | None:
    """Why the lunch duty cannot apply, as one line to fix it (or None): a
    message, English as text, in the reader's language through ``render``."""
    name = str(book.settings["ownership.lunch_duty_agent"] or "").strip()
    if not name:
        return None
    try:
        _hhmm(book, "ownership.lunch_start"), _hhmm(book, "ownership.lunch_end")
    except LeadcycleError as e:
        return M_(e.message, **e.params)
    if not in_rotation(book, name):
        return M_("ownership.lunch_duty_agent: {name!r} is not an agent in the rotation (left, unknown or a "
                  "manager); the rotation receives at lunch until it is fixed: leadcycle settings set "
                  "ownership.lunch_duty_agent NAME", name=name)
    return None


def in_rotation(book, name: str) -> bool:
    """Whether ``name`` is an agent who takes walk-ins: known, not left,
    not a manager."""
    a = book.store.get_agent(name)
    return a is not None and a.active and not a.is_manager


def check_lunch_duty_agent(book, name: str) -> None:
    """Refuse, when it is set, a lunch-duty agent the rotation would skip
    (:func:`lunch_problem` says the same of one stored earlier): unknown or
    left (as any command naming an agent says), or a manager."""
    if name and not in_rotation(book, name):
        book.agent(name, what="ownership.lunch_duty_agent")
        raise LeadcycleError(N_("ownership.lunch_duty_agent: {name!r} is a manager, not an agent in the "
                                "rotation; see: leadcycle agent list"), name=name)


def _result(agent, kind, skipped, q_after: QueueState) -> dict:
    label = KINDS[kind]
    return {"agent": agent, "kind": kind, "consumes_turn": kind == "turn",
            "reason": Label(f"{agent}: {label.en}", f"{agent}：{label.zh}"),
            "skipped": skipped, "makeup_owed": dict(q_after.makeup)}


def _last_in_order(q: QueueState) -> str:
    """The duty agent: the last available one in the current order."""
    candidates = [a for a in reversed(q.cycle()) if a not in q.away]
    if not candidates:
        raise Refused(N_("no agent is available to receive: everyone in the rotation is away"))
    return candidates[0]


def receive(book, *, non_buyer: bool = False, appointment: str | None = None,
            returning: str | None = None) -> dict:
    """Name the agent who takes the next walk-in and advance the rotation
    (one transaction: two front desks cannot hand out the same turn)."""
    if sum(map(bool, (non_buyer, appointment, returning))) > 1:
        raise LeadcycleError(N_("choose one of --non-buyer, --appointment and --returning"))
    with book.store.transaction():
        now = book.now
        q = state(book)
        if not q.order:
            raise Refused(N_("the rotation is empty: add agents with: leadcycle agent add NAME"))
        if returning:
            a = book.agent(returning, what=M_("--returning (the client's owner)"))
            if a.name in q.order and a.name not in q.away:
                agent, kind, skipped = a.name, "returning", []
            else:
                agent, kind, skipped = _last_in_order(q), "stand_in", []
        elif appointment:
            a = book.agent(appointment, what="--appointment")
            if a.name in q.away:
                raise Refused(N_("{a} is marked away ({away}); mark them back first: "
                                 "leadcycle agent back {a}"), a=a.name, away=q.away[a.name])
            agent, kind, skipped = a.name, "appointment", []
        else:
            duty = lunch_duty(book) if not non_buyer else None
            if duty is not None and duty not in q.away:
                agent, kind, skipped = duty, "lunch_duty", []
            elif non_buyer:
                agent, kind, skipped = _last_in_order(q), "non_buyer", []
            else:
                agent, kind, skipped = _plan(q)
        data = {"skipped": skipped, **({"owner": returning} if returning else {})}
        book.store.add_reception(now, kind, agent, data)
        out = _result(agent, kind, skipped, state(book))
        out["warning"] = lunch_problem(book)
        return out


def set_order(book, order: list[str], manager: str) -> tuple[str, ...]:
    """The supervisor sets the rotation order (排号)."""
    manager = book.author(manager)
    manager = book.agent(manager, manager=True, what=M_("--agent (the supervisor)")).name
    if len(set(order)) != len(order):
        dup = next(n for n in order if order.count(n) > 1)
        raise LeadcycleError(N_("{dup} is named twice; give each agent once, in the order of the rotation"),
                             dup=dup)
    for name in order:
        a = book.agent(name, what=M_("the order"))
        if a.is_manager:
            raise LeadcycleError(N_("{name} is a manager, not in the rotation; name the agents who receive"),
                                 name=name)
    with book.store.transaction():
        book.store.add_reception(book.now, "order", None, {"order": list(order), "by": manager})
        return state(book).order


def check_walk_in(book, agent: str) -> int | None:
    """The reception a walk-in's registration by ``agent`` uses, on a day the
    front desk uses the queue; refused when the queue gave the walk-in to
    someone else. ``None`` when the queue is not in use that day."""
    day = book.now.date()
    rows = [r for r in book.store.receptions(kinds=TICKETS + ("registered",)) if r["at"].date() == day]
    if not any(r["kind"] in TICKETS for r in rows):
        return None
    used = {r["data"].get("reception") for r in rows if r["kind"] == "registered"}
    mine = [r for r in rows if r["kind"] in TICKETS and r["agent"] == agent and r["id"] not in used
            and r["at"] <= book.now]
    if mine:
        return mine[-1]["id"]
    waiting = [r for r in rows if r["kind"] in TICKETS and r["id"] not in used]
    given = M_("the queue gave the last walk-in to {agent}", agent=waiting[-1]["agent"]) if waiting else \
        M_("every walk-in the queue gave out today is registered")
    raise Refused(N_("{agent} has no walk-in from the queue today ({given}); register the walk-in with the agent "
                     "the queue named, or take the next turn first: leadcycle receive"),
                  agent=agent, given=given)


def use_ticket(book, reception_id: int, agent: str) -> None:
    book.store.add_reception(book.now, "registered", agent, {"reception": reception_id})


def view(book) -> dict:
    """The rotation as the front desk sees it: who is next, in order, with
    their status and make-up turns owed."""
    q = state(book)
    rows = []
    try:
        nxt, kind, _ = _plan(q) if q.order else (None, None, [])
    except Refused:
        nxt, kind = None, None
    turn, duty = nxt, lunch_duty(book)
    if duty is not None:  # the lunch break: the duty agent receives, as receive says, and no turn moves
        nxt, kind = duty, "lunch_duty"
    for i, a in enumerate(q.cycle(), 1):
        why = q.away.get(a)
        rows.append({"position": i, "agent": a, "status": why or "available",
                     "status_label": AWAY_REASONS[why] if why else Label("available", "在岗"),
                     "makeup_turns": q.makeup.get(a, 0), "next": a == nxt})
    return {"next": nxt, "next_kind": kind, "next_turn": turn, "last_turn": q.last, "rotation": rows,
            "lunch_duty": duty, "lunch_problem": lunch_problem(book)}


def _by(book, agent: str, what) -> dict:
    """On an office database an agent writes their own status and their own
    relations; a colleague's needs a manager. The entry names who wrote it."""
    if not book.office:
        return {}
    me = book.author(None)
    if me != agent:
        book.require("manager", what)
    return {"by": me}


def set_away(book, agent: str, reason: str) -> None:
    if reason not in AWAY_REASONS:
        raise LeadcycleError(N_("--reason {reason!r} is not one of {away_reasons}"),
                             reason=reason, away_reasons=', '.join(AWAY_REASONS))
    a = book.agent(agent)
    if a.away == reason:  # a second mark would add an entry and change nothing
        raise Refused(N_("{a} is already marked away: {why}"), a=a.name, why=AWAY_REASONS[reason])
    by = _by(book, a.name, M_("marking a colleague away"))
    with book.store.transaction():
        book.store.update_agent(a.name, away=reason)
        book.store.add_reception(book.now, "away", a.name, {"reason": reason, **by})


def set_back(book, agent: str) -> None:
    a = book.agent(agent)
    if not a.away:
        raise Refused(N_("{a} is not marked away"), a=a.name)
    by = _by(book, a.name, M_("marking a colleague back"))
    with book.store.transaction():
        book.store.update_agent(a.name, away=None)
        book.store.add_reception(book.now, "back", a.name, by)


def add_relation(book, agent: str, phone: str, relation: str, name: str | None = None) -> dict:
    """Record beforehand that the person with ``phone`` is a relative or
    friend of ``agent`` (§3.2)."""
    from .ownership import RELATIONS
    from .privacy import mask_phone
    from .validate import normalize_phone

    a = book.agent(agent)
    _by(book, a.name, M_("recording a colleague's relative or friend"))
    if relation not in RELATIONS:
        raise LeadcycleError(N_("--relation {relation!r} is not one of {relations}"),
                             relation=relation, relations=', '.join(RELATIONS))
    phone = normalize_phone(phone)
    with book.store.transaction():
        for r in book.store.relations(phone=phone):
            other = book.store.get_agent(r["agent"])
            if other is not None and other.active:
                raise Refused(N_("phone {phone} is already recorded as {agent}'s {relation} "
                                 "(on {recorded_at})"),
                              phone=mask_phone(phone), agent=r['agent'], relation=r['relation'], recorded_at=r['recorded_at'][:10])
        recorded_at = book.now
        rid = book.store.add_relation(a.name, name, phone, relation, recorded_at)
    return {"id": rid, "agent": a.name, "name": name, "phone": phone, "relation": relation,
            "recorded_at": recorded_at}
