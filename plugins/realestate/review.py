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

from leadcycle import Cap, Cond, Derived, Event, EventKind, Feature, Label, LeadcycleError, Ref, Refused, Tally

from .signals import SIGNAL_NAMES

NAME = "realestate"
META_KEY = "realestate.review.last_week"

#: what shows the client is still moving
PROGRESS_KINDS = frozenset({"visit", "call", "deposit", "contract", *SIGNAL_NAMES})
DECISION_KINDS = frozenset({"deposit", "contract"})
#: what the manager sees before approving C → D
RECORD_KINDS = ("register", "visit", "call", "follow_up", *SIGNAL_NAMES, "review", "note")

EVENT_KIND = EventKind(
    "review", Label("weekly review downgrade", "每周复盘降级"), loggable=False,
    help=Label("Written by 'leadcycle review' and 'leadcycle approve'.", "由复盘与主管批准写入。"))


@functools.cache
def grading_fields() -> frozenset[str]:
    from . import points, table, visits

    return frozenset(table.DIMENSION_NAMES) | {n for n, _, _ in points.CRITERIA} | {
        f.name for f in visits.fields()}


def tallies() -> tuple[Tally, ...]:
    """What the weekly review's cap reads: the downgrades, and what came
    after the latest one (progress, or a re-rating of a grading field)."""
    return (
        Tally("downgrade", ("review",), (Cond("to", "set"),)),
        Tally("progress_since_downgrade", tuple(sorted(PROGRESS_KINDS)), after="downgrade", anchor="last",
              later_by="id"),
        Tally("regrade_since_downgrade", ("set",), tuple(Cond(f"changes.{f}", "set") for f in sorted(grading_fields())),
              match="any", after="downgrade", anchor="last", later_by="id"),
    )


#: the grade the latest downgrade holds the lead at, until progress or a
#: re-rating (a rating cleared is no re-rating)
REVIEW_CAP = Derived(
    "review_cap", Label("grade held by the weekly review", "复盘降级后的等级上限"),
    (((Cond("n_downgrade", ">=", 1), Cond("n_progress_since_downgrade", "==", 0),
       Cond("n_regrade_since_downgrade", "==", 0)), Ref("last_downgrade.to")),))


def _review_text(view):
    cap = view.facts.get("review_cap")
    if cap is None:
        return {}
    for e in reversed(view.events):
        if e.kind == "review" and e.data.get("to") == cap:
            frm, day = e.data.get("from"), e.at.date()
            return {"from": frm, "to": cap, "at": e.at.isoformat(timespec="minutes"),
                    "summary": {"en": f"weekly review: {frm} → {cap} on {day} (holds until new progress)",
                                "zh": f"每周复盘：{day} 由{frm}降为{cap}（客户有新进展前保持）"}}
    return {}


def features() -> tuple[Feature, ...]:
    return (
        REVIEW_CAP,
        Feature("x_review", Label("weekly review downgrade", "复盘降级"), _review_text),
    )


def caps() -> tuple[Cap, ...]:
    return tuple(
        Cap(g, Cond("review_cap", "==", g),
            Label(f"downgraded to {g} by the weekly review; lifts with new progress or a re-rating",
                  f"每周复盘降为{g}类；客户有新进展或重新评定后解除"))
        for g in ("B", "C", "D"))


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _grades_at(book, lead_batch, moment):
    """Each lead's grade as projected at ``moment`` from the events it had then."""
    from leadcycle import engine  # not at the top: keeps `leadcycle --help` fast

    past = [(lead, [e for e in events if e.at <= moment]) for lead, events in lead_batch]
    results = engine.project_batch(book.context, past, moment)
    return {lead.id: (state.grade if lead.created_at <= moment else None)
            for lead, state in results}


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
    if apply and store.get_meta(META_KEY) == week:
        return []
    days = book.settings["realestate.review_days"]
    since = now - dt.timedelta(days=days)
    book.refresh()
    current = {g: list(store.query_leads(industry=NAME, grade=g)) for g in ("A", "B", "C", "D")}
    ids = [r["id"] for g in ("A", "B", "C") for r in current[g]]
    before: dict[int, str | None] = {}
    events_of: dict[int, list] = {}
    for batch in store.iter_lead_batches(ids=ids):
        before.update(_grades_at(book, batch, since))
        events_of.update({lead.id: events for lead, events in batch})

    changes: list[dict] = []

    def recently_reviewed(events):
        return any(e.kind == "review" and e.at > since for e in events)

    for grade, row in [(g, r) for g in ("A", "B", "C") for r in current[g]]:
        lead_id = row["id"]
        events = events_of.get(lead_id, [])
        if any(e.kind in DECISION_KINDS for e in events) or recently_reviewed(events):
            continue
        was = before.get(lead_id)
        progressed = any(e.kind in PROGRESS_KINDS and e.at > since for e in events)
        if grade == "A" and was == "A":
            changes.append(_change(lead_id, row, "A", "B", "a_undecided", Label(
                f"still undecided after {days} days as A (A on {since.date()} and now, no deposit or contract)",
                f"A类客户{days}天仍未下定决心（{since.date()}起即为A类，无定金、无签约），降为B类")))
        elif grade == "B" and was in ("A", "B") and not progressed:
            changes.append(_change(lead_id, row, "B", "C", "b_faded", Label(
                f"intent faded: no visit, call, signal or deposit in the {days} days since {since.date()}",
                f"意向变淡：自{since.date()}起{days}天内无来访、来电、购买信号或定金，降为C类")))
        elif grade == "C" and was in ("A", "B", "C") and not progressed:
            changes.append({
                "lead_id": lead_id, "name": row["name"], "owner": row["owner"], "change": "C → D?",
                "rule": "c_faded_needs_approval", "written": False,
                "reason": Label(
                    f"intent faded (nothing in {days} days); needs a manager's approval: "
                    f"leadcycle approve {lead_id} --agent MANAGER",
                    f"意向变淡（{days}天无进展）；需销售经理批准：leadcycle approve {lead_id} --agent 经理")})
    for row in current["D"]:
        if row["owner"] is None:
            continue
        changes.append({
            "lead_id": row["id"], "name": row["name"], "owner": row["owner"],
            "change": f"{row['owner']} → pool", "rule": "d_pool", "written": apply,
            "reason": Label(f"grade D: returned to the manager's pool for redistribution (was {row['owner']}'s)",
                            f"D类客户：交回公共客户池，由销售经理重新分配（原属{row['owner']}）")})

    if apply:
        for c in changes:
            if c["rule"] == "d_pool":
                book.append(c["lead_id"], [Event(None, c["lead_id"], "owner", now, None, {
                    "to": None, "rule": "d_pool", "reason": c["reason"].to_json()})])
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


def _change(lead_id, row, frm, to, rule, label):
    return {"lead_id": lead_id, "name": row["name"], "owner": row["owner"], "change": f"{frm} → {to}",
            "rule": rule, "written": True, "reason": label}


def follow_up_record(record) -> list:
    return [e for e in record.events if e.kind in RECORD_KINDS]


def approve(book, lead_id: int, manager: str | None, note: str | None = None):
    """A manager approves C → D for one lead; returns (record before, record after)."""
    book.agent(manager, manager=True, what="the approving manager")
    with book.store.transaction():  # the grade approved is the one read under the write lock
        record = book.record(lead_id)
        if record.lead.industry != NAME:
            raise LeadcycleError(f"lead #{lead_id} is a {record.lead.industry} lead; "
                                 "approve downgrades real-estate leads only")
        grade = record.state.grade
        if grade != "C":
            raise Refused(f"lead #{lead_id} is grade {grade or 'none'}, not C; only a C lead is downgraded "
                          "to D by a manager's approval")
        reason = Label(f"C → D approved by {manager} after reviewing the follow-up record",
                       f"经销售经理{manager}审阅跟进记录后批准降为D类")
        event = Event(None, lead_id, "review", book.now, manager, {
            "from": "C", "to": "D", "rule": "c_to_d_approved", "approved_by": manager,
            "week": week_of(book.now.date()), "reason": reason.to_json()}, note)
        book.append(lead_id, [event])
        return record, book.record(lead_id)
