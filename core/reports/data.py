"""The numbers of the period report (``leadcycle report html``), as plain
data: every count comes with the ids of the leads behind it, so the page can
list them, and every label as ``{"en", "zh"}`` so one collection renders in
both languages.

Past states are read by moving the book's clock (``with book.at(moment)``)
and asking ``book.list`` / ``book.due``: the projection at that moment,
under today's rules, evaluated by the engine — never re-derived here. The
compliance section samples the due list at the start of every day of the
period, so its cost grows with the period's days times the leads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from fractions import Fraction

from leadcycle.io import mask_phone
from leadcycle.model import Label

from . import day_end
from ..i18n import M_, N_

GRADES = ("A", "B", "C", "D")
POOL = "(pool)"

#: ownership changes that move a lead out of the pool by itself (not a
#: manager's redistribution)
_FIRST_OWNER_RULES = ("first_contact", "first_visit", "named_request", "no_owner", "lapsed", "claimed")

DELAY_BUCKETS = (
    ("0", Label("same day", "当天")), ("1", Label("1 day", "1天")), ("2", Label("2 days", "2天")),
    ("3", Label("3 days", "3天")), ("4+", Label("4 days or more", "4天及以上")),
    ("none", Label("not yet", "尚未回访")),
)

class Scope:
    """Which leads a report is about: one industry or all, one team or one
    agent or everyone."""

    def __init__(self, book, industry: str | None = None, team: str | None = None, agent: str | None = None):
        if industry is not None:
            book.industry(industry)
        self.industry = industry
        self.team = team
        self.agent = agent
        agents = book.agents()
        if agent is not None:
            book.agent(agent, reading=True)
            self.agents = {agent}
        elif team is not None:
            self.agents = {a.name for a in agents if a.team == team}
            if not self.agents:
                from leadcycle.errors import LeadcycleError

                teams = sorted({a.team for a in agents if a.team})
                raise LeadcycleError(N_("no agent is in team {team!r}; teams: {teams} "
                                        "(see: leadcycle agent list)"),
                                     team=team, teams=', '.join(teams) or M_("none yet"))
        else:
            self.agents = None  # everyone, and the pool

    def owned(self, owner: str | None) -> bool:
        return self.agents is None or owner in self.agents

    def row(self, row: dict) -> bool:
        return (self.industry is None or row["industry"] == self.industry) and self.owned(row["owner"])


def _lead_entry(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "phone": mask_phone(row["phone"]),
            "industry": row["industry"], "grade": row.get("grade"), "stage": row.get("stage"),
            "owner": row.get("owner")}


def collect(book, start: dt.date, end: dt.date, scope: Scope) -> dict:
    """Everything the HTML report shows, for the days ``start``..``end``."""
    now = book.now
    end_at = day_end(end, now)
    with book.at(end_at):
        rows = [r for r in book.list(industry=scope.industry, attributes=False)]
    leads = {r["id"]: _lead_entry(r) for r in rows}
    in_scope = [r for r in rows if scope.row(r)]
    industries = [scope.industry] if scope.industry else book.installed_industries()
    out = {
        "from": start, "to": end, "now": now, "industry": scope.industry, "team": scope.team,
        "agent": scope.agent, "industries": industries,
        "grade_mix": grade_mix(book, start, end, scope, leads),
        "funnel": funnel(book, start, end_at, scope, in_scope, industries),
        "compliance": compliance(book, start, end, scope, leads),
        "pool_flow": pool_flow(book, start, end_at, scope, rows),
        "credit": credit(book, start, end_at, scope, rows),
    }
    with book.at(end_at):
        if "realestate" in industries:
            out["realestate"] = realestate(book, scope)
        if "software_sales" in industries:
            out["software_sales"] = software_sales(book, scope)
        if "machinery" in industries:
            out["machinery"] = machinery(book, start, end_at, scope)
    for r in _missing_leads(book, out, leads):
        leads[r["id"]] = _lead_entry(r)
    out["leads"] = leads
    out["labels"] = _labels(book, {lead["industry"] for lead in leads.values()})
    return out


def _labels(book, industries: set[str]) -> dict:
    """The names a reader sees for the codes in the lists of leads:
    ``{"industry": {code: label}, "stage": {industry: {code: label}}}``."""
    out: dict = {"industry": {}, "stage": {}}
    for name in sorted(industries):
        if name not in book.registry.industries:
            continue
        out["industry"][name] = book.industry(name).label.to_json()
        ladder = book.context.for_industry(name).stages if name in book.context.rules else None
        if ladder is not None:
            out["stage"][name] = {s.name: s.label.to_json() for s in ladder.stages}
    return out


def _missing_leads(book, out: dict, leads: dict) -> list[dict]:
    """Leads named in a section but not in the end-of-period list (none
    normally: every list is at or before the period's end)."""
    ids = set()

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "lead_ids":
                    ids.update(v)
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(out)
    missing = sorted(i for i in ids if i not in leads)
    rows = []
    for i in missing:
        lead = book.lead(i)
        rows.append({"id": lead.id, "name": lead.name, "phone": lead.phone, "industry": lead.industry})
    return rows


# ------------------------------------------------------------- grade mix


def week_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of each 7-day week of the period, counted back from its
    end (the first week may be shorter)."""
    days, day = [], end
    while day >= start:
        days.append(day)
        day -= dt.timedelta(days=7)
    return days[::-1]


def grade_mix(book, start: dt.date, end: dt.date, scope: Scope, leads: dict) -> dict:
    """Each agent's leads by grade at the end of each week of the period."""
    weeks = week_ends(start, end)
    per_agent: dict = defaultdict(lambda: {w.isoformat(): {g: [] for g in (*GRADES, "-")} for w in weeks})
    for w in weeks:
        with book.at(day_end(w, book.now)):
            for r in book.list(industry=scope.industry, attributes=False):
                if not scope.row(r) or r["owner"] is None:
                    continue
                per_agent[r["owner"]][w.isoformat()][r["grade"] or "-"].append(r["id"])
                leads.setdefault(r["id"], _lead_entry(r))
    return {"weeks": [w.isoformat() for w in weeks],
            "agents": {a: {w: {g: {"lead_ids": ids} for g, ids in by.items()} for w, by in v.items()}
                       for a, v in sorted(per_agent.items())}}


# ---------------------------------------------------------------- funnel


def funnel(book, start: dt.date, end_at: dt.datetime, scope: Scope, rows: list[dict],
           industries: list[str]) -> list[dict]:
    """Per industry with a stage ladder: the leads registered in the period,
    how many reached each stage by the period's end, and the conversion from
    the stage before. A lead at a stage has passed every stage before it; a
    lead at a terminal stage (lost) counts as having reached the furthest
    stage its ``stage`` events name."""
    out = []
    for name in industries:
        ladder = book.context.for_industry(name).stages
        if ladder is None:
            continue
        order = [s for s in ladder.stages if not s.terminal]
        index = {s.name: i for i, s in enumerate(order)}
        cohort = [r for r in rows if r["industry"] == name
                  and start.isoformat() <= r["created_at"][:10] <= end_at.date().isoformat()]
        reached: list[list[int]] = [[] for _ in order]
        lost: list[int] = []
        for r in cohort:
            if r["stage"] in index:
                top = index[r["stage"]]
            else:  # terminal: the furthest stage recorded before it
                lost.append(r["id"])
                history = (json.loads(r["extra"] or "{}").get("x_stage") or {}).get("history") or []
                top = max((index[h["stage"]] for h in history if h.get("stage") in index), default=0)
            for i in range(top + 1):
                reached[i].append(r["id"])
        stages = []
        for i, s in enumerate(order):
            before = len(reached[i - 1]) if i else None
            stages.append({"stage": s.name, "label": s.label.to_json(), "lead_ids": reached[i],
                           "conversion_pct": (round(100.0 * len(reached[i]) / before, 1) if before else None)})
        out.append({"industry": name, "label": book.industry(name).label.to_json(), "stages": stages,
                    "lost": {"lead_ids": lost}, "registered": len(cohort)})
    return out


# ------------------------------------------------------------ compliance


def _contact_kinds(book) -> set[str]:
    kinds = set()
    for name in book.installed_industries():
        kinds.update(k.name for k in book.industry(name).event_kinds if k.contact and k.name != "register")
    return kinds


def compliance(book, start: dt.date, end: dt.date, scope: Scope, leads: dict) -> dict:
    """Call-backs due against done on time, per agent.

    A call-back is a lead's next follow-up as the due list shows it at the
    start of its due day (sampled each morning of the period; one already
    overdue on the first morning counts too). It is done on time when the
    lead has a contact (follow-up, visit, call) on or before its due day
    after that morning, late when the contact came later in the period, and
    open otherwise. Overdue: the due list at the period's end. First
    call-back delay: days from registration to the first follow-up, for the
    leads registered in the period."""
    seen: dict[tuple[int, str], dict] = {}
    day = start
    while day <= end:
        morning = dt.datetime.combine(day, dt.time())
        if morning > book.now:
            break
        with book.at(morning):
            for r in book.due(until=day):
                if not scope.row(r):
                    continue
                key = (r["id"], r["next_follow_up"])
                if key not in seen:
                    seen[key] = {"owner": r["owner"], "since": morning, "kind": r["follow_up_kind"]}
                    leads.setdefault(r["id"], _lead_entry(r))
        day += dt.timedelta(days=1)
    end_at = day_end(end, book.now)
    contact = _contact_kinds(book)
    events = {lid: book.store.events_for(lid) for lid in {k[0] for k in seen}}
    per_agent: dict = defaultdict(lambda: {"due": [], "on_time": [], "late": [], "open": []})
    for (lid, due_day), info in seen.items():
        done = next((e.at for e in events[lid] if e.kind in contact and info["since"] <= e.at <= end_at), None)
        status = "open" if done is None else ("on_time" if done.date().isoformat() <= due_day else "late")
        agent = per_agent[info["owner"] or POOL]
        agent["due"].append(lid)
        agent[status].append(lid)
    with book.at(end_at):
        overdue: dict = defaultdict(list)
        for r in book.due(until=end_at.date() - dt.timedelta(days=1)):
            if scope.row(r):
                overdue[r["owner"] or POOL].append(r["id"])
                leads.setdefault(r["id"], _lead_entry(r))
        delays = {key: [] for key, _ in DELAY_BUCKETS}
        for r in book.list(industry=scope.industry, attributes=False):
            if not scope.row(r) or not (start.isoformat() <= r["created_at"][:10] <= end.isoformat()):
                continue
            registered = dt.datetime.fromisoformat(r["created_at"])
            first = next((e.at for e in book.store.events_for(r["id"])
                          if e.kind == "follow_up" and registered <= e.at <= end_at), None)
            if first is None:
                delays["none"].append(r["id"])
            else:
                days = (first.date() - registered.date()).days
                delays[str(days) if days < 4 else "4+"].append(r["id"])
    agents = sorted(set(per_agent) | set(overdue))
    return {
        "agents": [{"agent": a, **{k: {"lead_ids": v} for k, v in per_agent[a].items()},
                    "overdue": {"lead_ids": overdue.get(a, [])}} for a in agents],
        "first_call_back": [{"bucket": key, "label": label.to_json(), "lead_ids": delays[key]}
                            for key, label in DELAY_BUCKETS],
    }


# ------------------------------------------------------------- pool flow


def pool_flow(book, start: dt.date, end_at: dt.datetime, scope: Scope, rows: list[dict]) -> dict:
    """Leads that lapsed into the pool, were claimed from it, or were
    redistributed out of it (by a manager, or received again as a new
    client) during the period, from each lead's ownership history."""
    flows = {"lapsed": [], "claimed": [], "redistributed": []}
    since = dt.datetime.combine(start, dt.time())
    with book.at(end_at):
        for r in rows:
            if scope.industry is not None and r["industry"] != scope.industry:
                continue
            if r["industry"] in book.context.missing:
                continue  # no plugin, no ownership rules to replay
            history = book.history(r["id"]).history
            previous = None
            for change in history:
                if since <= change.at <= end_at:
                    who = change.owner if change.owner is not None else previous
                    if scope.owned(who):
                        if change.rule == "lapsed":
                            flows["lapsed"].append((r["id"], previous, change.at))
                        elif change.rule == "claimed":
                            flows["claimed"].append((r["id"], change.owner, change.at))
                        elif previous is None and change.owner is not None and change.rule not in _FIRST_OWNER_RULES:
                            flows["redistributed"].append((r["id"], change.owner, change.at))
                previous = change.owner
    weeks = week_ends(start, end_at.date())
    out = {}
    for kind, items in flows.items():
        per_week = []
        for w in weeks:
            lo = w - dt.timedelta(days=6)
            per_week.append({"week": w.isoformat(),
                             "lead_ids": [i for i, _, at in items if lo <= at.date() <= w]})
        out[kind] = {"lead_ids": [i for i, _, _ in items], "weeks": per_week,
                     "agents": {a: [i for i, who, _ in items if who == a]
                                for a in sorted({who or POOL for _, who, _ in items})}}
    with book.at(end_at):
        out["in_pool"] = {"lead_ids": [r["id"] for r in rows if r["owner"] is None
                                       and (scope.industry is None or r["industry"] == scope.industry)]}
    return out


# ---------------------------------------------------------------- credit


def credit(book, start: dt.date, end_at: dt.datetime, scope: Scope, rows: list[dict]) -> dict:
    """Credit per agent for the deals (deposit, contract…) of the period:
    the shares each deal splits into (exact fractions summing to 1) and the
    commission payable so far (30/50/70/100 % by the stage the deal reached)."""
    since = dt.datetime.combine(start, dt.time())
    per_agent: dict = defaultdict(lambda: {"share": Fraction(0), "deals": []})
    deals = []
    with book.at(end_at):
        for r in rows:
            if scope.industry is not None and r["industry"] != scope.industry:
                continue
            for deal in book.credit(r["id"]):
                if not since <= deal.at <= end_at:
                    continue
                shares = [s for s in deal.shares if scope.owned(s.agent)]
                if not shares:
                    continue
                deals.append({"lead_id": r["id"], "at": deal.at, "rule": deal.rule,
                              "reason": deal.reason.to_json(), "payable_percent": deal.payable_percent,
                              "shares": [{"agent": s.agent, "share": str(s.share), "percent": float(s.share) * 100,
                                          "role": s.role} for s in deal.shares]})
                for s in shares:
                    a = per_agent[s.agent]
                    a["share"] += s.share
                    a["deals"].append({"lead_id": r["id"], "share": str(s.share), "percent": float(s.share) * 100,
                                       "payable_percent": deal.payable_percent,
                                       "payable_share_percent": float(s.share) * deal.payable_percent})
    return {"deals": deals,
            "agents": [{"agent": a, "deals_credited": float(v["share"]), "share": str(v["share"]),
                        "payable_deal_percent": sum(d["payable_share_percent"] for d in v["deals"]),
                        "lead_ids": [d["lead_id"] for d in v["deals"]], "items": v["deals"]}
                       for a, v in sorted(per_agent.items())]}


# ------------------------------------------------------------ industries


def realestate(book, scope: Scope) -> dict:
    """The phase against its four targets and the deal analysis (the
    plugin's own report functions), with the leads behind each group."""
    from leadcycle.errors import LeadcycleError
    from leadcycle.plugins.realestate import phase as phase_mod
    from leadcycle.plugins.realestate import report as report_mod

    try:
        phase = phase_mod.phase_report(book)
        phase_error = None
    except LeadcycleError as e:
        phase, phase_error = None, e.translated()
    contracts = [e for e in book.store.kind_events("contract", "realestate", book.now)
                 if scope.owned(e["agent"])]
    analysis = {}
    for by in ("unit_type", "area_band", "age_band", "occupation", "company"):
        groups: dict = {}
        for e in contracts:
            a = e["attributes"]
            if by in ("age_band", "area_band"):  # as `report deals` groups them (company purchases apart)
                value = report_mod._value(by, a, e["at"])
                label = report_mod._label(by, value)
            elif by == "company":
                value = bool(a.get("company_purchase"))
                label = Label("company purchase", "单位购房") if value else Label("private purchase", "个人购房")
            else:
                value = a.get(by)
                label = report_mod._label(by, value)
            g = groups.setdefault(str(value), {"label": label.to_json(), "lead_ids": [], "units": 0})
            g["lead_ids"].append(e["lead_id"])
            g["units"] += int(e["data"].get("units") or 1)
        analysis[by] = sorted(groups.values(), key=lambda g: -len(g["lead_ids"]))
    return {"phase": phase, "phase_error": phase_error, "deals": len(contracts), "analysis": analysis}


def software_sales(book, scope: Scope) -> dict:
    """Deals by follow-ups before the contract next to the documents'
    2/3/5/10/80 % (the plugin's report) and the leads given up early."""
    from leadcycle.plugins.software_sales import followups

    rep = followups.report(book)
    rep["given_up_early"] = [i for i in rep["given_up_early"] if scope.owned(i["owner"])]
    if scope.agents is not None:
        owners = {r["id"]: r["owner"] for r in book.list(industry="software_sales", attributes=False)}
        for b in rep["buckets"]:
            b["lead_ids"] = [i for i in b["lead_ids"] if scope.owned(owners.get(i))]
            b["office_deals"] = len(b["lead_ids"])
    return rep


def machinery(book, start: dt.date, end_at: dt.datetime, scope: Scope) -> dict:
    """ABC shares and the EI–EIV matrix (the plugin's classification), the
    account levels now and the level changes of the period."""
    from leadcycle.plugins.machinery import value

    rep = value.accounts_report(book)
    rep["accounts"] = [a for a in rep["accounts"] if scope.owned(a["owner"])]
    for c in rep["classes"]:
        c["lead_ids"] = [a["id"] for a in rep["accounts"] if a["abc"] == c["class"]]
    rep["matrix_ids"] = {k: [a["id"] for a in rep["accounts"] if a["e_class"] == k] for k in rep["matrix"]}
    levels: dict = {lv: [] for lv in ("A", "B", "C", "D")}
    rows = book.list(industry="machinery", attributes=False)
    owners = {r["id"]: r["owner"] for r in rows}
    for r in rows:
        if scope.owned(r["owner"]):
            level = (json.loads(r["extra"] or "{}").get("x_account") or {}).get("level")
            if level in levels:
                levels[level].append(r["id"])
    since = dt.datetime.combine(start, dt.time())
    changes = [{"lead_id": e["lead_id"], "at": e["at"], "from": e["data"].get("from"), "to": e["data"].get("level"),
                "reason": e["data"].get("reason")}
               for e in book.store.kind_events("account_level", "machinery", end_at)
               if e["at"] >= since and scope.owned(owners.get(e["lead_id"]))]
    return {**rep, "levels": {k: {"lead_ids": v} for k, v in levels.items()}, "level_changes": changes}

