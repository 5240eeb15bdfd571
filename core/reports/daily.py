"""The evening report per team (DOMAIN §2's cadence table: A leads reported
to the manager every evening, B leads daily to the team lead) —
``leadcycle report daily`` as text, HTML or xlsx, and what ``leadcycle
notify`` pushes.

It is made of the same reads as the operator's own commands, at the same
clock: the A and B leads are ``list --grade A/B`` of the team's agents,
the overdue call-backs and lapse warnings are ``due``'s items (the list is
built by :func:`due_items`, which ``due`` prints), so the three never
disagree.
"""

from __future__ import annotations

import datetime as dt
import html
import json

from leadcycle import loader
from leadcycle.errors import LeadcycleError
from leadcycle.io import mask_phone
from leadcycle.model import Label
from ..i18n import M_, N_, render

GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, None: 4}

SECTIONS = {
    "a_leads": Label("A leads and what was done today", "A类客户及今日跟进"),
    "b_leads": Label("B leads", "B类客户"),
    "overdue": Label("Overdue call-backs", "逾期未回访"),
    "new_leads": Label("New leads today by source", "今日新增客户（按来源）"),
    "lapsing": Label("Leads about to lapse", "即将失效的客户"),
}
SOURCES = {"visit": Label("walk-in visit", "来访"), "call": Label("phone call", "来电"),
           "referral": Label("referral", "老带新")}


def due_items(book, agent: str | None, lang: str) -> list[dict]:
    """What ``leadcycle due`` lists: follow-ups due and overdue, first
    call-backs, and the plugins' items (lapse warnings…), by owner, grade
    and registration."""
    today = book.now.date()
    items = []
    for r in book.due(agent):
        nfu = dt.date.fromisoformat(r["next_follow_up"])
        kind = "first_call_back" if r["follow_up_kind"] == "first" else "follow_up"
        items.append({"lead_id": r["id"], "name": r["name"], "phone": r["phone"], "owner": r["owner"],
                      "industry": r["industry"], "grade": r["grade"], "kind": kind,
                      "due": r["next_follow_up"], "days_overdue": (today - nfu).days,
                      "registered": r["created_at"]})
    for extra in loader.call_safely("due_items", book=book, agent=agent, today=today):
        # a plugin's items name their clients as then, as book.due's rows do,
        # whether or not the plugin gave a name (the README's promise)
        known = book.store.identities_of(i["lead_id"] for i in extra if "name" not in i or "phone" not in i)
        extra = [{**dict(zip(("name", "phone"), known.get(item["lead_id"], (None, None)))), **item}
                 for item in extra]
        book.as_then(extra, key="lead_id")
        for item in extra:
            text = item.get("text")
            item = dict(item)
            if text is not None and hasattr(text, "to_json"):
                item["text"] = text(lang)
            items.append(item)
    from leadcycle import profile

    playbooks = profile.playbooks(book, [i["lead_id"] for i in items])  # the client's temperament tactics
    for item in items:
        if item["lead_id"] in playbooks:
            item["playbook"] = playbooks[item["lead_id"]](lang)
    items.sort(key=lambda i: (i.get("owner") or "", GRADE_ORDER.get(i.get("grade"), 4),
                              i.get("registered") or "", i["lead_id"]))
    return items


def team_of(book, team: str | None, manager: str | None) -> tuple[str | None, list[str]]:
    """The team a daily report is for (a manager's own team) and its agents."""
    agents = [a for a in book.agents() if a.active]
    if manager is not None:
        m = book.agent(manager, manager=True, what="--manager", reading=True)
        if team is not None and team != m.team:
            raise LeadcycleError(N_("{manager} is the manager of team {team!r}, not {team2!r}; give one of them"),
                                 manager=manager, team=m.team, team2=team)
        team = m.team
    if team is None:
        return None, [a.name for a in agents]
    names = [a.name for a in agents if a.team == team]
    if not names:
        teams = sorted({a.team for a in agents if a.team})
        raise LeadcycleError(N_("no agent is in team {team!r}; teams: {teams} "
                                "(see: leadcycle agent list)"),
                             team=team, teams=', '.join(teams) or M_("none yet"))
    return team, names


def _lead(r: dict, lang: str) -> dict:
    return {"lead_id": r["id"], "name": r["name"], "phone": mask_phone(r["phone"]), "industry": r["industry"],
            "grade": r.get("grade"), "stage": r.get("stage"), "owner": r.get("owner"),
            "next_follow_up": r.get("next_follow_up")}


def daily(book, team: str | None = None, manager: str | None = None, lang: str = "zh") -> dict:
    """The evening report of one team (everyone when no team is given) at
    the book's clock; phones masked."""
    team, agents = team_of(book, team, manager)
    members = set(agents)
    today = book.now.date()
    day_start = dt.datetime.combine(today, dt.time())
    kinds = {}
    for name in book.installed_industries():
        kinds.update({k.name: k.label for k in book.industry(name).event_kinds})
    rows = book.list(attributes=False)
    out: dict = {"date": today, "now": book.now, "team": team, "agents": agents,
                 # the industries as a reader names them (the file for people)
                 "industries": {name: book.industry(name).label.to_json()
                                for name in book.installed_industries()}}
    graded = {}
    # the office's report (no team) has the pool's A and B leads too: no
    # one's call-back, so the manager's to hand out
    pooled = team is None
    for grade in ("A", "B"):
        leads = []
        for r in rows:
            if r["grade"] != grade or not (r["owner"] in members or (pooled and r["owner"] is None)):
                continue
            entry = _lead(r, lang)
            done = [e for e in book.store.events_for(r["id"]) if day_start <= e.at <= book.now
                    and e.kind not in ("register", "set", "stage", "owner")]
            entry["today"] = [{"at": e.at.strftime("%H:%M"), "kind": e.kind,
                               "label": kinds.get(e.kind, Label(e.kind, e.kind))(lang), "agent": e.agent,
                               "note": e.note} for e in done]
            leads.append(entry)
        graded[grade] = leads
    out["a_leads"], out["b_leads"] = graded["A"], graded["B"]
    items = due_items(book, None, lang)
    out["overdue"] = [dict(i, phone=mask_phone(i.get("phone"))) for i in items
                      if i.get("owner") in members and (i.get("days_overdue") or 0) > 0
                      and i["kind"] in ("follow_up", "first_call_back")]
    out["lapsing"] = [dict(i, phone=mask_phone(i.get("phone"))) for i in items
                      if i.get("owner") in members and i["kind"] == "lapse_warning"]
    new = []
    for r in rows:
        if not r["created_at"].startswith(today.isoformat()):
            continue
        register = next(e for e in book.store.events_for(r["id"]) if e.kind == "register")
        if (r["owner"] or register.agent) not in members:
            continue
        source = "referral" if register.data.get("referred_by") else register.data.get("channel", "visit")
        new.append(_lead(r, lang) | {"source": source, "source_label": SOURCES.get(source, Label(source, source))(lang),
                                      "received_by": register.agent})
    out["new_leads"] = new
    by_source: dict[str, int] = {}
    for n in new:
        by_source[n["source_label"]] = by_source.get(n["source_label"], 0) + 1
    out["new_by_source"] = by_source
    return out


def title(report: dict, lang: str) -> str:
    team = report["team"] or render(M_("all agents"), lang)
    return render(M_("Daily leads report {date} ({team})", date=report["date"], team=team), lang)


def _detail(i: dict, lang: str) -> str:
    """What a line says after the lead and its owner."""
    if "today" in i:
        done = "; ".join(f"{e['at']} {e['label']}" + (f" ({e['note']})" if e["note"] else "") for e in i["today"])
        return ((done or render(M_("nothing done today"), lang))
                + " · " + render(M_("next {day}", day=i["next_follow_up"] or "-"), lang))
    if "days_overdue" in i and i["kind"] != "lapse_warning":
        return render(M_("overdue {n} d", n=i["days_overdue"]), lang)
    return i.get("text") or i.get("source_label") or ""


def _line(i: dict, lang: str) -> str:
    detail = _detail(i, lang)
    owner = i.get("owner") or render(M_("(pool)"), lang)
    return f"#{i['lead_id']} {i['name']} {i['phone']} · {owner}" + (f" · {detail}" if detail else "")


def lines(report: dict, lang: str) -> list[tuple[str, list[str]]]:
    """The sections as (heading, lines): what text, HTML and the robots show."""
    out = []
    for key in ("a_leads", "b_leads", "overdue", "new_leads", "lapsing"):
        items = report[key]
        heading = f"{SECTIONS[key](lang)}: {len(items)}"
        if key == "new_leads" and report["new_by_source"]:
            heading += " (" + ", ".join(f"{k} {v}" for k, v in report["new_by_source"].items()) + ")"
        out.append((heading, [_line(i, lang) for i in items]))
    return out


def text(report: dict, lang: str) -> str:
    parts = [title(report, lang), ""]
    for heading, items in lines(report, lang):
        parts.append(f"■ {heading}")
        parts.extend(f"  {x}" for x in items)
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def to_html(report: dict, lang: str) -> str:
    esc = html.escape
    body = [f"<h1>{esc(title(report, lang))}</h1>"]
    for heading, items in lines(report, lang):
        body.append(f"<h2>{esc(heading)}</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>")
    return ("<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>%s</title><style>"
            "body{font-family:sans-serif;max-width:900px;margin:1em auto;padding:0 1em}"
            "h2{border-bottom:1px solid #999}</style></head><body>%s</body></html>\n"
            % ("zh-CN" if lang == "zh" else "en", esc(title(report, lang)), "".join(body)))


def write_xlsx(report: dict, lang: str, path: str) -> None:
    """One sheet per section, one row per lead, for a manager to filter."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    heads = {"zh": ["客户", "姓名", "电话", "归属", "等级", "行业", "说明"],
             "en": ["lead", "name", "phone", "owner", "grade", "industry", "detail"]}[lang]
    for key in ("a_leads", "b_leads", "overdue", "new_leads", "lapsing"):
        ws = wb.create_sheet(SECTIONS[key](lang)[:31].replace(":", ""))
        ws.append(heads)
        for i in report[key]:
            named = report.get("industries", {}).get(i.get("industry"))
            ws.append([i["lead_id"], i["name"], i["phone"], i.get("owner"), i.get("grade"),
                       named.get(lang) or named["en"] if named else i.get("industry"), _detail(i, lang)])
    wb.save(path)


def to_json(report: dict) -> dict:
    return json.loads(json.dumps(report, default=str, ensure_ascii=False))
