"""The revisit workflow (客户回访的工作流程, seed 000; DOMAIN §6), for every
industry.

The document's nine steps — query the client base, pick the revisit list,
plan (time, content, purpose), make the appointment, prepare the material,
revisit and record, write the report, supervisor review, archive — become
six events, each written by its own ``leadcycle revisit`` command and
checked against the step before it:

====================  =========================  ==========================
event                 command                    the document
====================  =========================  ==========================
``revisit_plan``      ``revisit plan``           3 《客户回访计划》: time, content, purpose
``revisit_appointment`` ``revisit appoint``      4 预约拜访时间
``revisit_done``      ``revisit record``         6 实施回访, 《客户回访记录表》
``revisit_report``    ``revisit report``         7 《客户回访报告》: main conclusions
``revisit_review``    ``revisit approve``        8 主管领导审阅 — a manager's step
``revisit_archive``   ``revisit archive``        9 保存资料
====================  =========================  ==========================

Steps 1–2 are ``revisit list`` (the owner's leads by grade, with where each
revisit stands); step 5 (preparing the material) leaves no record of its
own. ``revisit due`` lists plans whose time has come and reports waiting
for the supervisor; the same items appear in ``leadcycle due``.
"""

from __future__ import annotations

import datetime as dt

from .errors import LeadcycleError
from .model import CLOCK_END, CLOCK_MIN, Event, EventKind, Field, Label
from .i18n import N_

_TEXT = "str"

#: (kind, en, zh, fields, contact, what the step needs before it)
STEPS = (
    ("revisit_plan", "revisit planned", "制订回访计划", (
        Field("planned_at", _TEXT, Label("planned time", "计划回访时间"), required=True),
        Field("content", _TEXT, Label("content", "回访内容"), required=True),
        Field("purpose", _TEXT, Label("purpose", "回访目的"), required=True),
    ), False),
    ("revisit_appointment", "revisit appointment made", "预约回访时间", (
        Field("appointed_at", _TEXT, Label("appointed time", "约定回访时间"), required=True),
    ), False),
    ("revisit_done", "revisit done and recorded", "实施回访并记录", (
        Field("reaction", _TEXT, Label("client's reaction", "客户反应")),
    ), True),
    ("revisit_report", "revisit report written", "整理回访报告", (), False),
    ("revisit_review", "revisit reviewed by the supervisor", "主管领导审阅", (
        Field("opinion", _TEXT, Label("supervisor's opinion", "指导意见"), required=True),
    ), False),
    ("revisit_archive", "revisit archived", "回访资料归档", (), False),
)
KINDS = tuple(s[0] for s in STEPS)
LABELS = {kind: Label(en, zh) for kind, en, zh, _, _ in STEPS}

EVENT_KINDS: tuple[EventKind, ...] = tuple(
    EventKind(kind, Label(en, zh), fields=fields, contact=contact, loggable=False,
              help=Label(f"Written by leadcycle revisit (seed 000 revisit workflow): {en}.",
                         f"由 leadcycle revisit 写入（资料000客户回访流程）：{zh}。"))
    for kind, en, zh, fields, contact in STEPS)

#: the steps whose note is their record (《客户回访记录表》, 《客户回访报告》)
NOTED = ("revisit_done", "revisit_report")

#: the command that writes each step, for the one-line refusals
COMMANDS = dict(zip(KINDS, ("plan", "appoint", "record", "report", "approve", "archive")))


def current(events) -> Event | None:
    """The last step of the lead's open revisit (None: none open)."""
    last = None
    for e in events:
        if e.kind in KINDS:
            last = e
    return None if last is None or last.kind == "revisit_archive" else last


def _parse_time(text: str, what: str, zone=None) -> dt.datetime:
    """``text`` as a time; one with an offset as the office's time in
    ``zone`` (23:30Z is 07:30 the next morning in Shanghai), its year
    checked after that."""
    try:
        when = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise LeadcycleError(N_("{what} {text!r} is not a time such as 2026-03-10T14:00"),
                             what=what, text=text) from None
    if when.tzinfo is not None and zone is not None:
        when = when.astimezone(zone).replace(tzinfo=None)
    if when.replace(tzinfo=None) >= CLOCK_END:  # (before today is refused where it matters)
        raise LeadcycleError(N_("{what} {text!r} is after {last}; check the year"), what=what, text=text,
                             last=CLOCK_END.year - 1)
    if when.replace(tzinfo=None) < CLOCK_MIN:  # an appointment may be logged late, not in year 1
        raise LeadcycleError(N_("{what} {text!r} is before {first}; check the year"), what=what, text=text,
                             first=CLOCK_MIN.year)
    return when


def check_step(lead_id: int, events, kind: str, now: dt.datetime, data: dict) -> None:
    """Refuse a step out of order (one line naming the step that is due)."""
    open_step = current(events)
    if kind == "revisit_plan":
        if open_step is not None:
            nxt = KINDS[KINDS.index(open_step.kind) + 1]
            raise LeadcycleError(N_("lead #{lead_id} already has an open revisit ({en}); "
                                    "next: leadcycle revisit {commands} {lead_id}"),
                                 lead_id=lead_id, en=LABELS[open_step.kind].en, zh=LABELS[open_step.kind].zh, commands=COMMANDS[nxt])
        if _parse_time(data["planned_at"], "--at").date() < now.date():
            raise LeadcycleError(N_("--at {planned_at} is before today ({now}); plan a revisit ahead"),
                                 planned_at=data['planned_at'], now=now.date())
        return
    if open_step is None:
        raise LeadcycleError(N_("lead #{lead_id} has no open revisit; plan one first: "
                                "leadcycle revisit plan {lead_id} --at TIME --content TEXT --purpose TEXT"),
                             lead_id=lead_id)
    expected = KINDS[KINDS.index(open_step.kind) + 1]
    # an appointment is optional when the planned time holds: record may follow the plan
    allowed = {expected} | ({"revisit_done"} if open_step.kind == "revisit_plan" else set())
    if kind not in allowed:
        raise LeadcycleError(N_("lead #{lead_id}'s revisit is at '{en}'; "
                                "next: leadcycle revisit {commands} {lead_id}"),
                             lead_id=lead_id, en=LABELS[open_step.kind].en, zh=LABELS[open_step.kind].zh, commands=COMMANDS[expected])
    if kind == "revisit_appointment":
        _parse_time(data["appointed_at"], "--at")


def step_event(lead_id: int, kind: str, now: dt.datetime, agent: str | None, data: dict,
               note: str | None) -> Event:
    # a text of spaces says nothing: it is no content, purpose, opinion or note
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    clean = {k: v for k, v in clean.items() if v not in (None, "")}
    for f in next(s[3] for s in STEPS if s[0] == kind):
        if f.required and not clean.get(f.name):
            raise LeadcycleError(N_("revisit {commands} needs --{split}"),
                                 commands=COMMANDS[kind], split=f.name.split('_')[0])
    note = note.strip() or None if isinstance(note, str) else note
    if kind in NOTED and not note:
        raise LeadcycleError(N_("revisit {commands} needs --note"), commands=COMMANDS[kind])
    return Event(None, lead_id, kind, now, agent, clean, note)


def write(book, lead_id: int, kind: str, *, agent: str | None, data: dict, note: str | None = None):
    """Append one step to the lead's log, checked against its revisit."""
    for key in ("planned_at", "appointed_at"):
        text = data.get(key)
        if isinstance(text, str) and text.strip():
            local = _parse_time(text, "--at", book._zone())
            if dt.datetime.fromisoformat(text.strip()).tzinfo is not None:  # kept as the office's time
                data = {**data, key: local.isoformat(timespec="minutes" if not local.second else "seconds")}
    event = step_event(lead_id, kind, book.now, agent, data, note)

    def check():
        check_step(lead_id, book.store.events_for(lead_id), kind, book.now, event.data)

    return book.append(lead_id, [event], check=check)


def _when(step: Event) -> dt.datetime | None:
    raw = step.data.get("appointed_at") or step.data.get("planned_at")
    try:
        return dt.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def due(book, agent: str | None, today: dt.date) -> list[dict]:
    """Revisits whose planned (or appointed) day has come and are not done,
    and reports waiting for the supervisor's review — through the
    ``(kind, at)`` index of the plans, not a scan of every lead."""
    leads = {r["lead_id"] for r in book.store.kind_events("revisit_plan")}
    if leads:
        book.refresh()  # each lead's owner at the clock, not as stored (a protection may have lapsed)
    who = book.store.get_agent(agent) if agent else None
    manager = bool(who and who.is_manager)  # the supervisor sees every report waiting
    out = []
    for lead_id in sorted(leads):
        events = book.store.events_for(lead_id)
        step = current([e for e in events if e.at <= book.now])
        if step is None:
            continue
        state = book.store.get_state(lead_id)
        owner = state.owner if state else None
        if agent is not None and owner != agent and not (step.kind == "revisit_report" and manager):
            continue
        lead = book.store.get_lead(lead_id)
        item = {"lead_id": lead_id, "name": lead.name, "phone": lead.phone, "owner": owner,
                "industry": lead.industry, "grade": state.grade if state else None}
        plan = next(e for e in reversed(events) if e.kind == "revisit_plan")
        if step.kind in ("revisit_plan", "revisit_appointment"):
            when = _when(step)
            if when is None or when.date() > today:
                continue
            item.update(kind="revisit_due", due=when.date().isoformat(), days_overdue=(today - when.date()).days,
                        text=Label(f"revisit at {when:%Y-%m-%d %H:%M}: {plan.data['purpose']} — "
                                   f"{plan.data['content']} (then: leadcycle revisit record {lead_id})",
                                   f"{when:%Y-%m-%d %H:%M}回访：{plan.data['purpose']}——{plan.data['content']}"
                                   f"（完成后：leadcycle revisit record {lead_id}）"))
        elif step.kind == "revisit_report":
            item.update(kind="revisit_review", due=step.at.date().isoformat(),
                        days_overdue=(today - step.at.date()).days,
                        text=Label(f"revisit report of {step.at.date()} waits for the supervisor: "
                                   f"leadcycle revisit approve {lead_id} --opinion TEXT",
                                   f"{step.at.date()}的回访报告待主管审阅：leadcycle revisit approve {lead_id}"))
        else:
            continue
        out.append(item)
    return out
