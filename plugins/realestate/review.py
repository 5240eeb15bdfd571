"""The weekly review (客户分级跟踪回访要求, DOMAIN §2 cadence table, seed 004).

Every week is one big cycle (每周为一个大周期):

* an A lead still undecided after a week — graded A a full review period
  ago and still A now, with no deposit or contract — drops to B;
* a B lead whose intent faded — graded B (or better) a period ago, B now,
  and no progress event (visit, call, buying signal, deposit, contract) in
  the period — drops to C;
* a C lead that faded the same way drops to D **only** once a manager
  approves it (``leadcycle approve LEAD --agent MANAGER``), after seeing the
  lead's follow-up record; the review lists it as awaiting approval;
* D leads go to the manager's pool (an ``owner`` event to nobody) to be
  redistributed.

"A period ago" is the lead's own projection replayed at ``now − review_days``
from the events it had then (pure: the log and the rules), so no grade
history has to be stored.

Each downgrade is a ``review`` event (data: from, to, rule, reason). The
grade the rules compute is then capped by it, declaratively: the feature
``review_cap`` is the latest downgrade's grade until the lead shows progress
after it (a progress event, or an agent re-rating a grading attribute), and
three :class:`Cap` rules hold the grade at B, C or D while it is set.

Running the review twice in the same ISO week changes nothing the second
time: the week of the last applied run is kept in the database, and a lead
downgraded within the review period is not reviewed again.
"""

from __future__ import annotations

import datetime as dt
import functools

from leadcycle import (Cap, Cond, Derived, Event, EventKind, Feature, Label, LeadcycleError, Ref, Refused, Tally,
                       count_en)

from .signals import SIGNAL_NAMES
from leadcycle.i18n import M_, N_

NAME = "realestate"
META_KEY = "realestate.review.last_week"

#: what shows the client is still moving
PROGRESS_KINDS = frozenset({"visit", "call", "deposit", "contract", *SIGNAL_NAMES})
DECISION_KINDS = frozenset({"deposit", "contract"})
#: what the manager sees before approving C → D (ratings included: an
#: agent's D rating is the request)
RECORD_KINDS = ("register", "set", "visit", "call", "follow_up", *SIGNAL_NAMES, "review", "note")

#: the ``rule`` of a ``review`` event by which a manager lifts a downgrade
LIFTED = "lifted"

EVENT_KIND = EventKind(
    "review", Label("weekly review downgrade", "每周复盘降级"), loggable=False,
    help=Label("Written by 'leadcycle review' and 'leadcycle approve'.", "由复盘与主管批准写入。"))


@functools.cache
def grading_fields() -> frozenset[str]:
    from . import points, table, visits

    return frozenset(table.DIMENSION_NAMES) | {n for n, _, _ in points.CRITERIA} | {
        f.name for f in visits.fields()}


def tallies() -> tuple[Tally, ...]:
    """What the review cap reads: the latest downgrade or lift, and what
    came after it — a deposit
    or contract, progress, a re-rating (a grading attribute set to a value
    it did not have: ``LeadBook.set`` records what it ``changed``), the lead
    pooled as D."""
    after = dict(after="mark", anchor="last", later_by="id")
    return (
        Tally("mark", ("review",), (Cond("to", "set"), Cond("rule", "==", LIFTED)), match="any"),
        Tally("decision_since_mark", tuple(sorted(DECISION_KINDS)), **after),
        Tally("progress_since_mark", tuple(sorted(PROGRESS_KINDS)), **after),
        Tally("rerating_since_mark", ("set",), tuple(Cond(f"changed.{f}", "true") for f in sorted(grading_fields())),
              match="any", **after),
        # pooled by the review, or handed to another agent by the manager
        # straight away (both are 004's 互换资源)
        Tally("d_pool_since_mark", ("owner",), (Cond("rule", "in", ("d_pool", "redistribute")),), **after),
    )


_MARKED = Cond("n_mark", ">=", 1)
_D = Cond("last_mark.to", "==", "D")

#: the grade the downgrade in effect holds the lead at: a manager's D until
#: a manager lifts it or the client pays a deposit or signs; a weekly B or C
#: until progress or a re-rating
REVIEW_CAP = Derived(
    "review_cap", Label("grade held by the weekly review", "复盘降级后的等级上限"), (
        ((_MARKED, _D, Cond("n_decision_since_mark", "==", 0)), "D"),
        ((_MARKED, Cond("last_mark.to", "in", ("B", "C")), Cond("n_progress_since_mark", "==", 0),
          Cond("n_rerating_since_mark", "==", 0)), Ref("last_mark.to")),
    ))

#: a D lead pooled once for the downgrade in effect, then redistributed
#: (互换资源, 004): its new agent works it, the review does not pool it again
D_REDISTRIBUTED = Derived(
    "d_redistributed", Label("grade D, pooled once and redistributed", "D类客户已交回公共池重新分配"),
    (((_MARKED, _D, Cond("n_decision_since_mark", "==", 0), Cond("n_d_pool_since_mark", ">=", 1)), True),),
    default=False)


def _cap_in_effect(row: dict) -> tuple[str, dt.datetime, dict] | None:
    """The downgrade in effect as the rules read it (:data:`REVIEW_CAP`
    over the lead's row): its grade, when it was made and what its entry
    recorded; or None."""
    cap = row.get("review_cap")
    if cap is None:
        return None
    return cap, row["last_mark_at"], {k[len("last_mark."):]: v for k, v in row.items() if k.startswith("last_mark.")}


def _row_of(book, lead, events) -> dict:
    from leadcycle import engine

    return engine.feature_row(book.context, lead, events, book.now)


def _review_text(view):
    found = _cap_in_effect(view.facts)
    if found is None:
        return {}
    to, at, data = found
    frm, day = data.get("from"), at.date()
    if to == "D":
        by = data.get("approved_by")
        return {"from": frm, "to": to, "at": at.isoformat(timespec="minutes"), "approved_by": by,
                "summary": {"en": f"downgraded {frm} → D on {day}, approved by {by} "
                                  "(holds until a manager lifts it, or a deposit)",
                            "zh": f"{day} 由{frm}降为D类，经{by}批准（经理解除或客户交定金前保持）"}}
    return {"from": frm, "to": to, "at": at.isoformat(timespec="minutes"),
            "summary": {"en": f"weekly review: {frm} → {to} on {day} (holds until new progress)",
                        "zh": f"每周复盘：{day} 由{frm}降为{to}（客户有新进展前保持）"}}


def features() -> tuple[Feature, ...]:
    return (
        REVIEW_CAP,
        D_REDISTRIBUTED,
        Feature("x_review", Label("weekly review downgrade", "复盘降级"), _review_text),
    )


def caps() -> tuple[Cap, ...]:
    return (
        *(Cap(g, Cond("review_cap", "==", g),
              Label(f"downgraded to {g} by the weekly review; lifts with new progress or a re-rating",
                    f"每周复盘降为{g}类；客户有新进展或重新评定后解除"))
          for g in ("B", "C")),
        Cap("D", Cond("review_cap", "==", "D"),
            Label("downgraded to D with a manager's approval; only a manager lifts it (leadcycle lift)",
                  "经销售经理批准降为D类；只有经理可以解除（leadcycle lift）")),
    )


def floors() -> tuple[Cap, ...]:
    """A rating that makes D is a request: the grade stays C until a
    manager approves the move (004: C → D only with the manager's approval,
    after seeing the follow-up record)."""
    return (Cap("C", Cond("review_cap", "!=", "D"),
                Label("a move into D waits for a manager's approval: leadcycle approve LEAD --agent MANAGER",
                      "降为D类须经销售经理批准：leadcycle approve 客户编号 --agent 经理")),)


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def review(book, apply: bool) -> list[dict]:
    """The weekly review's changes; with ``apply`` they are decided and
    written in one transaction (a grade an agent raises meanwhile either
    lands before the review reads it, or waits)."""
    if NAME not in book.store.enabled_industries():
        return []
    if not apply:
        return _review(book, apply)
    with book.store.transaction():
        return _review(book, apply)


def _review(book, apply: bool) -> list[dict]:
    store = book.store
    now = book.now
    week = week_of(now.date())
    last = store.get_meta(META_KEY)
    if last is not None and last >= week:
        # the week is reviewed (or a later one: a review does not go back in
        # time): a run again would downgrade twice in it. A dry run says the
        # same, not what a run would no longer do
        return [already_reviewed(week, now.date()) if last == week else reviewed_later(last, week)]
    days = book.settings["realestate.review_days"]
    since = now - dt.timedelta(days=days)
    book.refresh()
    current = {g: list(store.query_leads(industry=NAME, grade=g)) for g in ("A", "B", "C", "D")}
    ids = [r["id"] for g in ("A", "B", "C") for r in current[g]]
    before = book.grades_at(ids, since)  # the grades a week ago
    # C leads the floor holds there: rated D, waiting for a manager
    held = book.held_by_floor(r["id"] for r in current["C"])
    # what each lead's log holds, kind by kind (voided entries left out):
    # its count and its last moment
    kinds = book.kinds_at(ids)
    stamp = since.replace(microsecond=0).isoformat()

    def since_then(facts: dict, wanted) -> bool:
        return any(k in facts and facts[k][2] > stamp for k in wanted)

    changes: list[dict] = []
    for grade, row in [(g, r) for g in ("A", "B", "C") for r in current[g]]:
        lead_id = row["id"]
        facts = kinds.get(lead_id, {})
        if any(k in facts for k in DECISION_KINDS) or since_then(facts, ("review",)):
            continue  # decided, or reviewed within the period
        was = before.get(lead_id)
        progressed = since_then(facts, PROGRESS_KINDS)
        if grade == "A" and was == "A":
            changes.append(_change(lead_id, row, "A", "B", "a_undecided", Label(
                f"still undecided after {count_en(days, 'day')} as A (A on {since.date()} and now, no deposit or contract)",
                f"A类客户{days}天仍未下定决心（{since.date()}起即为A类，无定金、无签约），降为B类")))
        elif grade == "B" and was in ("A", "B") and not progressed:
            changes.append(_change(lead_id, row, "B", "C", "b_faded", Label(
                f"intent faded: no visit, call, signal or deposit in the {count_en(days, 'day')} since {since.date()}",
                f"意向变淡：自{since.date()}起{days}天内无来访、来电、购买信号或定金，降为C类")))
        elif grade == "C" and lead_id in held:
            changes.append(_needs_approval(lead_id, row, "d_requested", Label(
                "rated D, held at C: needs a manager's approval after the follow-up record",
                "评定为D类，暂按C类：需销售经理审阅跟进记录后批准")))
        elif grade == "C" and was in ("A", "B", "C") and not progressed:
            changes.append(_needs_approval(lead_id, row, "c_faded_needs_approval", Label(
                f"intent faded (nothing in {count_en(days, 'day')}); needs a manager's approval",
                f"意向变淡（{days}天无进展）；需销售经理批准")))
    redistributed = {lead.id for batch in store.iter_lead_batches(ids=[r["id"] for r in current["D"]])
                     for lead, events in batch if _row_of(book, lead, events)["d_redistributed"]}
    for row in current["D"]:
        if row["owner"] is None or row["id"] in redistributed:
            continue  # a redistributed D lead: its new agent works it (互换资源)
        changes.append({
            "lead_id": row["id"], "name": row["name"], "owner": row["owner"],
            "change": f"{row['owner']} → pool", "rule": "d_pool", "written": apply,
            "reason": Label(f"grade D: returned to the manager's pool for redistribution (was {row['owner']}'s)",
                            f"D类客户：交回公共客户池，由销售经理重新分配（原属{row['owner']}）")})

    if apply:
        for c in changes:
            if c["rule"] == "d_pool":
                book.append(c["lead_id"], [Event(None, c["lead_id"], "owner", now, None, {
                    "to": None, "rule": "d_pool", "previous": c["owner"], "reason": c["reason"].to_json()})])
            elif c["written"]:
                frm, to = c["change"].split(" → ")
                book.append(c["lead_id"], [Event(None, c["lead_id"], "review", now, None, {
                    "from": frm, "to": to, "rule": c["rule"], "week": week,
                    "reason": c["reason"].to_json()})])
        store.set_meta(META_KEY, week)
    else:
        for c in changes:
            c["written"] = False
    return changes


def reviewed_later(last: str, week: str) -> dict:
    """The review's note for a clock before the last week reviewed."""
    return {"note": Label(
        f"real estate: a later week ({last}) is reviewed already; a review of {week} cannot run after it",
        f"房地产：之后的一周（{last}）已复盘；不能再复盘更早的{week}")}


def already_reviewed(week: str, today: dt.date) -> dict:
    """The review's note (``run_review``'s ``{"note": …}``) for a week
    already reviewed: when the next review can run."""
    monday = today + dt.timedelta(days=7 - today.weekday())
    return {"note": Label(
        f"real estate: this week ({week}) is reviewed already; the next review runs from Monday {monday}",
        f"房地产：本周（{week}）已复盘；下次复盘自周一 {monday} 起")}


def _needs_approval(lead_id, row, rule, why: Label) -> dict:
    """A C → D the review proposes and a manager approves (``written``
    false: the review writes nothing for it)."""
    return {"lead_id": lead_id, "name": row["name"], "owner": row["owner"], "change": "C → D?", "rule": rule,
            "written": False, "reason": Label(f"{why.en}: leadcycle approve {lead_id} --agent MANAGER",
                                              f"{why.zh}：leadcycle approve {lead_id} --agent 经理")}


def _change(lead_id, row, frm, to, rule, label):
    return {"lead_id": lead_id, "name": row["name"], "owner": row["owner"], "change": f"{frm} → {to}",
            "rule": rule, "written": True, "reason": label}


def follow_up_record(record) -> list:
    return [e for e in record.events if e.kind in RECORD_KINDS]


def _approvable(book, lead_id: int):
    """The record of a C lead a manager may move into D, or one line why not."""
    record = book.record(lead_id)
    if record.lead.industry != NAME:
        raise LeadcycleError(N_("lead #{lead_id} is a {industry} lead; "
                                "approve downgrades real-estate leads only"),
                             lead_id=lead_id, industry=record.lead.industry)
    grade = record.state.grade
    if grade != "C":
        raise Refused(N_("lead #{lead_id} is grade {grade}, not C; only a C lead is "
                         "downgraded to D by a manager's approval"),
                      lead_id=lead_id, grade=grade or M_("none (not graded yet)"))
    return record


def approval_record(book, lead_id: int, manager: str | None):
    """What a manager reads *before* approving C → D: the lead's record
    (its follow-up record is :func:`follow_up_record` of it). Nothing is
    written."""
    book.agent(manager, manager=True, what=M_("the approving manager"))
    return _approvable(book, lead_id)


def approve(book, lead_id: int, manager: str | None, note: str | None = None):
    """A manager approves C → D for one lead; returns (record before, record after)."""
    manager = book.agent(manager, manager=True, what=M_("the approving manager")).name
    with book.store.transaction():  # the grade approved is the one read under the write lock
        record = _approvable(book, lead_id)
        requested = any(r.rule == "floor" for r in record.state.reasons)
        rule = "d_request_approved" if requested else "c_to_d_approved"
        reason = Label(f"C → D approved by {manager} after reviewing the follow-up record",
                       f"经销售经理{manager}审阅跟进记录后批准降为D类")
        event = Event(None, lead_id, "review", book.now, manager, {
            "from": "C", "to": "D", "rule": rule, "approved_by": manager,
            "week": week_of(book.now.date()), "reason": reason.to_json()}, note)
        book.append(lead_id, [event])
        return record, book.record(lead_id)


def lift(book, lead_id: int, manager: str | None, note: str | None = None):
    """A manager lifts the downgrade in effect (a weekly B/C or an approved
    D): the grade is the ratings' again. Returns (grade before, record after)."""
    manager = book.agent(manager, manager=True, what=M_("the manager lifting the downgrade")).name
    with book.store.transaction():
        record = book.record(lead_id)
        if record.lead.industry != NAME:
            raise LeadcycleError(N_("lead #{lead_id} is a {industry} lead; "
                                    "lift applies to real-estate downgrades only"),
                                 lead_id=lead_id, industry=record.lead.industry)
        found = _cap_in_effect(_row_of(book, record.lead, record.events))
        if found is None:
            raise Refused(N_("lead #{lead_id} has no downgrade in effect; there is nothing to lift"),
                          lead_id=lead_id)
        to, at, _ = found
        reason = Label(f"{manager} lifted the downgrade to {to} of {at.date()}",
                       f"{manager}解除{at.date()}的降级（{to}类）")
        event = Event(None, lead_id, "review", book.now, manager, {
            "from": to, "to": None, "rule": LIFTED, "lifted_by": manager,
            "reason": reason.to_json()}, note)
        book.append(lead_id, [event])
        return record.state.grade, book.record(lead_id)


def effective(events):
    from leadcycle.corrections import effective_events

    return effective_events(list(events))


def pooled_from(book, events) -> set[str]:
    """The agents a D lead was pooled from (review ``d_pool`` events)."""
    out = set()
    for i, e in enumerate(events):
        if e.kind == "owner" and e.data.get("rule") == "d_pool":
            prev = e.data.get("previous")
            if prev is None and "previous" not in e.data:  # written before the field existed
                from leadcycle import ownership

                policy = book.context.for_industry(NAME).ownership
                prev = ownership.resolve(events[:i], policy, e.at).owner
            if prev:
                out.add(prev)
    return out


def check_owner_change(book, lead, events, event) -> None:
    """The manager redistributes a pooled D lead to *other* agents (互换资源,
    004): its original agent may not claim it back, nor be given it back as
    a redistribution. Any other owner change is the ownership rules'."""
    rule = event.data.get("rule")
    if rule not in ("claimed", "redistribute"):
        return
    to = event.data.get("to")
    if to is None or to not in pooled_from(book, effective(events)):
        return
    if rule == "claimed":
        raise Refused(N_("{to} cannot claim lead #{lead_id} back: it was pooled as grade D from {to}, and the "
                         "manager redistributes D leads to other agents (互换资源); ask a manager"),
                      to=to, lead_id=lead.id)
    raise Refused(N_("lead #{lead_id} was pooled as grade D from {to}; redistribute it to another agent "
                     "(互换资源, 004)"), lead_id=lead.id, to=to)
