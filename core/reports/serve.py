"""Browse the leads in datasette (``leadcycle serve``, extra ``serve``).

datasette serves a **snapshot**, not the live database: a new SQLite file
written from ``book.list`` at the run's clock (so grades, stages and owners
are today's, evaluated by the engine, and the live file is only read), with
phones masked by :func:`leadcycle.io.mask_phone` before they are written.
Nothing with a full phone number is in the file, so no view, facet, canned
query or hand-written SQL can show one. The log's internal tables
(projections, overlays, ledgers, migrations) are not copied at all.

The metadata gives zh/en titles and column descriptions, facets on grade,
stage and owner, and the canned queries managers ask for every day.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from leadcycle.engine import is_detail, project
from leadcycle.i18n import M_, render
from leadcycle.io import mask_phone
from leadcycle.model import Label

#: mobiles and landlines written in a note
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1\d{2})[- ]?\d{4}[- ]?(\d{4})(?!\d)|(?<!\d)(0\d{2,3})-?\d{3,4}(\d{4})(?!\d)")

TABLES = {
    "leads": (Label("Leads", "意向客户"), Label("Every lead with its grade, stage, owner and next follow-up "
                                               "at the snapshot's clock; phones masked.",
                                               "全部意向客户及其在快照时点的等级、阶段、归属与下次回访；电话已脱敏。")),
    "contacts": (Label("Contacts", "跟进记录"), Label("Visits, calls and follow-ups from the log; phones in notes masked.",
                                                    "来访、来电与回访记录；备注中的电话已脱敏。")),
    "agents": (Label("Agents", "置业顾问"), Label("Agents and managers, with their teams.", "顾问与主管及其所属团队。")),
}
COLUMNS = {
    "id": Label("lead number", "客户编号"), "industry": Label("industry", "行业"), "name": Label("name", "姓名"),
    "gender": Label("gender", "性别"), "phone": Label("phone (masked)", "电话（脱敏）"), "need": Label("need", "需求"),
    "registered": Label("registered at", "登记时间"), "channel": Label("first came by", "来访方式"),
    "received_by": Label("received by", "接待顾问"), "grade": Label("grade A–D", "等级"),
    "score": Label("score", "得分"), "stage": Label("stage", "阶段"), "owner": Label("owner (empty: the pool)", "归属（空：公共池）"),
    "team": Label("owner's team", "所属团队"), "next_follow_up": Label("next follow-up", "下次回访"),
    "follow_up_kind": Label("follow-up kind", "回访类型"), "why": Label("why this grade and owner", "等级与归属的原因"),
    "lead_id": Label("lead number", "客户编号"), "at": Label("when", "时间"), "kind": Label("what", "类型"),
    "agent": Label("agent", "顾问"), "note": Label("note", "备注"), "is_manager": Label("manager", "主管"),
    "active": Label("active", "在职"),
}
QUERIES = {
    "due_today": (Label("Due today", "今日应回访"),
                  "SELECT id, name, phone, grade, owner, next_follow_up, follow_up_kind FROM leads "
                  "WHERE next_follow_up <= :day ORDER BY owner, grade, next_follow_up, id"),
    "pool": (Label("The pool", "公共客户池"),
             "SELECT id, industry, name, phone, grade, stage, registered FROM leads WHERE owner IS NULL ORDER BY id"),
    "a_leads_per_agent": (Label("A leads per agent", "各顾问A类客户"),
                          "SELECT owner, count(*) AS a_leads, group_concat(id || ' ' || name, ', ') AS leads "
                          "FROM leads WHERE grade = 'A' AND owner IS NOT NULL GROUP BY owner ORDER BY a_leads DESC"),
}


def mask_text(text: str | None) -> str | None:
    """Phones written in free text, masked as :func:`mask_phone` does."""
    if not text:
        return text

    def one(m: re.Match) -> str:
        if m.group(1):  # a mobile
            return f"{m.group(1)}****{m.group(2)}"
        area = m.group(3)
        return mask_phone(f"{area}-{re.sub(r'[^0-9]', '', m.group(0)[len(area):])}")

    return _PHONE_IN_TEXT.sub(one, text)


def snapshot(book, path: str, lang: str) -> dict:
    """Write the masked snapshot at ``path`` (replaced if it exists, unless
    it is the book's own database); returns the row counts."""
    import os

    from leadcycle.io import check_export_target

    check_export_target(path, book.store.path, force=True, option="path", stream=False)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    agents = {a.name: a for a in book.agents()}
    contact = set()
    for name in book.installed_industries():
        contact.update(k.name for k in book.industry(name).event_kinds if k.contact)
    db = sqlite3.connect(path)
    try:
        db.executescript("""
            CREATE TABLE agents (name TEXT PRIMARY KEY, team TEXT, is_manager INTEGER, active INTEGER);
            CREATE TABLE leads (id INTEGER PRIMARY KEY, industry TEXT, name TEXT, gender TEXT, phone TEXT,
                need TEXT, registered TEXT, channel TEXT, received_by TEXT, grade TEXT, score REAL, stage TEXT,
                owner TEXT REFERENCES agents(name), team TEXT, next_follow_up TEXT, follow_up_kind TEXT, why TEXT);
            CREATE TABLE contacts (id INTEGER PRIMARY KEY, lead_id INTEGER REFERENCES leads(id), at TEXT,
                kind TEXT, agent TEXT, note TEXT);
            CREATE INDEX leads_grade ON leads(grade); CREATE INDEX leads_owner ON leads(owner);
            CREATE INDEX leads_stage ON leads(stage); CREATE INDEX leads_next ON leads(next_follow_up);
            CREATE INDEX contacts_lead ON contacts(lead_id);
        """)
        db.executemany("INSERT INTO agents VALUES (?, ?, ?, ?)",
                       [(a.name, a.team, int(a.is_manager), int(a.active)) for a in agents.values()])
        n_leads = n_contacts = 0
        for r in book.list(attributes=False):
            events = book.store.events_for(r["id"])
            register = next((e for e in events if e.kind == "register"), None)
            # the reasons rendered now, from the same rules as the list's values
            _, state = project(book.context, book.store.get_lead(r["id"]), events, book.now)
            reasons = [x.text(lang) for x in state.reasons if not is_detail(x)]
            owner = agents.get(r["owner"])
            db.execute("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                r["id"], r["industry"], r["name"], r["gender"], mask_phone(r["phone"]), r["need"], r["created_at"],
                register.data.get("channel", "visit") if register else None, register.agent if register else None,
                r["grade"], r["score"], r["stage"], r["owner"], owner.team if owner else None,
                r["next_follow_up"], r["follow_up_kind"], "\n".join(reasons)))
            rows = [(e.id, e.lead_id, e.at.isoformat(timespec="minutes"), e.kind, e.agent, mask_text(e.note))
                    for e in events if e.kind in contact and e.at <= book.now]
            db.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?)", rows)
            n_leads += 1
            n_contacts += len(rows)
        db.commit()
    finally:
        db.close()
    return {"leads": n_leads, "contacts": n_contacts, "agents": len(agents)}


def metadata(database: str, day: dt.date, lang: str) -> dict:
    """datasette metadata for the snapshot named ``database``: titles and
    column descriptions in ``lang`` (the other language in brackets),
    facets, canned queries; SQLite's own tables hidden."""
    other = "en" if lang == "zh" else "zh"

    def both(label: Label) -> str:
        return f"{label(lang)} ({label(other)})"

    tables = {}
    for name, (title, description) in TABLES.items():
        columns = {"leads": ("id", "industry", "name", "gender", "phone", "need", "registered", "channel",
                             "received_by", "grade", "score", "stage", "owner", "team", "next_follow_up",
                             "follow_up_kind", "why"),
                   "contacts": ("lead_id", "at", "kind", "agent", "note"),
                   "agents": ("name", "team", "is_manager", "active")}[name]
        tables[name] = {"title": both(title), "description": description(lang),
                        "columns": {c: both(COLUMNS[c]) for c in columns}}
    tables["leads"].update(facets=["grade", "stage", "owner", "industry"], label_column="name",
                           sort_desc="registered")
    tables["contacts"].update(facets=["kind", "agent"], sort_desc="at")
    tables["sqlite_stat1"] = {"hidden": True}
    queries = {key: {"title": both(title), "sql": sql} for key, (title, sql) in QUERIES.items()}
    queries["due_today"]["params"] = ["day"]
    queries["due_today"]["description"] = render(M_("day: YYYY-MM-DD, e.g. {day}", day=day), lang)
    return {
        "title": "leadcycle " + render(M_("intent leads"), lang),
        "description": render(M_("Snapshot at {day}; every phone is masked.", day=day), lang),
        "databases": {database: {"tables": tables, "queries": queries}},
    }
