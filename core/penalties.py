"""The penalties ledger of 002 (处罚): what an office fines or marks an agent
for, and a manager's report of it.

Two sources, one ledger:

* **recorded** — a manager writes the entry (``leadcycle penalty add``): a
  ``penalty`` row in the reception log, append-only and hash-chained like
  the rest of that log. 甩客 (dropping a new client mid-reception, 100–500
  CNY), 抢单 (grabbing a colleague's client), unannounced absence from the
  rotation (10–50 CNY), knowingly working another's client (1000 CNY) and
  failing to recognise one's own client (失职) can all be recorded;
* **derived** — what the lead logs already prove, found when the report is
  read (facts on write, rules at read): a ``not_recognized`` change of owner
  is the original agent's failure to recognise their client (失职) unless
  they were away at the reception; an upheld ``knowingly`` dispute is the
  closer's violation. Nothing is written for them, so a void or a decision
  changes the report at once.
"""

from __future__ import annotations

import datetime as dt
import math

from .errors import LeadcycleError
from .model import Label
from .i18n import M_, N_

KINDS = {
    "dropped_client": Label("dropped a client mid-reception (甩客)", "接待新客户中途甩客"),
    "grabbing": Label("grabbed a colleague's client (抢单)", "抢单"),
    "knowingly": Label("knowingly worked another agent's client", "明知是他人客户仍接待"),
    "absence": Label("left the rotation without leave (无故轮空)", "未经请示不站排/无故轮空"),
    "failed_recognition": Label("failed to recognise own client (失职)", "认不出自己的老客户（失职）"),
}


#: the largest fine a penalty records (CNY): more is a typing slip (``1e20``)
FINE_MAX = 1_000_000


def add(book, agent: str, kind: str, manager: str, *, lead_id: int | None = None,
        amount: float | None = None, note: str | None = None) -> dict:
    """A manager records a penalty (one row of the reception log)."""
    if kind not in KINDS:
        raise LeadcycleError(N_("--kind {kind!r} is not one of {kinds}"), kind=kind, kinds=', '.join(KINDS))
    manager = book.author(manager)
    manager = book.agent(manager, manager=True, what=M_("--agent (the manager)")).name
    who = book.agent(agent, what="AGENT")
    if amount is not None and not (math.isfinite(amount) and amount <= FINE_MAX):
        raise LeadcycleError(N_("--amount {amount} is not a fine in CNY; give a number up to {most:,}, "
                                "e.g. --amount 100"), amount=str(amount), most=FINE_MAX)
    if amount is not None and amount < 0:
        raise LeadcycleError(N_("--amount {amount:g} is negative; give the fine in CNY, e.g. --amount 100"),
                             amount=amount)
    text = " ".join(str(note or "").split())
    if not text:
        raise LeadcycleError(N_("--note is required: say what happened (the evidence)"))
    if lead_id is not None:
        lead_id = book.lead(lead_id).id
    data = {"penalized": who.name, "kind": kind, "lead": lead_id, "amount": amount, "note": text,
            "by": manager}
    with book.store.transaction():
        rid = book.store.add_reception(book.now, "penalty", who.name, data)
    return {"id": rid, "at": book.now, "agent": who.name, "kind": kind, "lead_id": lead_id, "amount": amount,
            "note": text, "by": manager, "source": "recorded"}


def _derived(book, since: dt.datetime | None, until: dt.datetime, lang: str) -> list[dict]:
    """Penalties the lead logs prove (see the module's docstring)."""
    from . import claims

    away_at = claims.away_at_from(book)
    out = []
    for lead_id in book.store.leads_with_kinds(("visit", "dispute"), since, until):
        lead, events, own = claims.live(book, lead_id)
        for i, h in enumerate(own.history):
            if h.rule != "not_recognized" or not (since is None or h.at >= since) or h.at > until:
                continue
            original = own.history[i - 1].owner if i else None
            if original is None or away_at(original, h.at):
                continue
            out.append({"id": None, "at": h.at, "agent": original, "kind": "failed_recognition",
                        "lead_id": lead_id, "amount": None, "note": h.reason.text(lang), "by": None,
                        "source": "derived"})
        for d in claims.lead_deals(book, lead_id, events):
            if d.rule == "knowingly" and d.violation is not None and d.closer \
                    and (since is None or d.at >= since) and d.at <= until:
                out.append({"id": None, "at": d.at, "agent": d.closer, "kind": "knowingly", "lead_id": lead_id,
                            "amount": None, "note": d.violation(lang), "by": None, "source": "derived"})
    return out


def report(book, *, agent: str | None = None, since: dt.date | None = None, lang: str = "en") -> list[dict]:
    """Every penalty up to the clock, recorded and derived, oldest first;
    a derived one's note in ``lang``."""
    start = dt.datetime.combine(since, dt.time()) if since else None
    until = book.now
    rows = []
    for r in book.store.receptions(kinds=("penalty",), until=until):
        if start and r["at"] < start:
            continue
        d = r["data"]
        rows.append({"id": r["id"], "at": r["at"], "agent": d.get("penalized"), "kind": d.get("kind"),
                     "lead_id": d.get("lead"), "amount": d.get("amount"), "note": d.get("note"),
                     "by": d.get("by"), "source": "recorded"})
    rows += _derived(book, start, until, lang)
    if agent is not None:
        rows = [r for r in rows if r["agent"] == agent]
    return sorted(rows, key=lambda r: (r["at"], r["agent"] or "", r["kind"]))
