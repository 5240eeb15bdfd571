"""Follow-up counting (DOMAIN §4, seed 001): 2 % of sales close at the first
contact, 3 % after the first follow-up, 5 % after the second, 10 % after the
third and 80 % after the 4th–11th. Leads given up before their 4th
follow-up (``software_sales.min_follow_ups``) are flagged in ``leadcycle
due`` — not those the decision maker refused (A31: "don't call me again");
``leadcycle report followups`` puts the statistic next to the office's own
deals, counting every contact and the ladder's won stage
(:func:`.rules.count_follow_ups`). ``due`` also warns before the 90-day
protection ends."""

from __future__ import annotations

import datetime as dt
import json

import click

from leadcycle import Label, count_en
from leadcycle.cli.output import output_options, report_group
from leadcycle.i18n import N_, _, ngettext
from leadcycle.privacy import mask_phone

from . import model
from .rules import NAME, count_follow_ups, won_kinds

#: the documents' statistic: (bucket key, en, zh, share of sales in %)
STATISTIC = (
    ("0", "at the first contact", "第一次接洽后", 2),
    ("1", "after the 1st follow-up", "第一次跟踪后", 3),
    ("2", "after the 2nd follow-up", "第二次跟踪后", 5),
    ("3", "after the 3rd follow-up", "第三次跟踪后", 10),
    ("4-11", "after the 4th–11th follow-up", "第4至11次跟踪后", 80),
)
#: terminal "lost" stages of the software ladders; an A31 lead refused us
#: (informed, considered, by the decision maker) and is not advised a retry
LOST_STAGES = ("lost",)
REFUSED_STAGES = ("A31",)


def _bucket(n: int) -> str:
    if n <= 3:
        return str(n)
    return "4-11" if n <= 11 else "12+"


def _enabled(book) -> bool:
    return NAME in book.store.enabled_industries()


def given_up_early(book) -> list[dict]:
    """Leads lost (stage lost / A31) or lapsed to the pool with fewer than
    ``min_follow_ups`` follow-ups: through the (industry, stage) and
    (owner, …) indexes, never a scan of every lead."""
    minimum = book.settings[f"{NAME}.min_follow_ups"]
    out = []
    rows = []
    for stage in LOST_STAGES:
        rows.extend(("lost", r) for r in book.store.query_leads(industry=NAME, stage=stage))
    pooled = [r for r in book.store.query_leads(industry=NAME, pool=True)
              if r["stage"] not in LOST_STAGES + REFUSED_STAGES]
    lapsed = book.lapsed_owners(r["id"] for r in pooled)  # who had each, from the stored folds
    rows.extend(("lapsed", r) for r in pooled if r["id"] in lapsed)
    for why, r in rows:
        extra = json.loads(r["extra"] or "{}")
        n = (extra.get("x_follow_ups") or {}).get("count", 0)
        if n >= minimum:
            continue
        owner = lapsed[r["id"]] if why == "lapsed" else r["owner"]
        what_en = "lost" if why == "lost" else "lapsed to the pool"
        what_zh = "已丢单" if why == "lost" else "已失效进入公共池"
        out.append({
            "lead_id": r["id"], "name": r["name"], "phone": r["phone"], "owner": owner,
            "industry": NAME, "grade": r["grade"], "stage": r["stage"], "kind": f"{why}_before_follow_up_{minimum}",
            "follow_ups": n, "registered": r["created_at"],
            "text": Label(
                f"{what_en} after only {n} follow-up{'s' if n != 1 else ''} — 80 % of deals close after "
                f"the 4th–11th; consider following up again",
                f"仅跟进{n}次即{what_zh}——80%的成交发生在第4至11次跟踪后，建议继续跟进"),
        })
    return out


def lapse_warnings(book, agent, today) -> list[dict]:
    """Owned accounts whose protection ends within
    ``software_sales.lapse_warning_days`` (through the (owner, owner_until)
    index)."""
    days = book.settings[f"{NAME}.lapse_warning_days"]
    start = dt.datetime.combine(today, dt.time())
    out = []
    for r in book.lapsing(start, start + dt.timedelta(days=days + 1), owner=agent, industry=NAME):
        if r["stage"] in LOST_STAGES + REFUSED_STAGES:
            continue  # an account lost or refused is not kept by a call: nothing to warn of
        last_day = dt.datetime.fromisoformat(r["owner_until"]).date() - dt.timedelta(days=1)
        left = (last_day - today).days
        out.append({
            "lead_id": r["id"], "name": r["name"], "phone": r["phone"], "owner": r["owner"],
            "industry": NAME, "grade": r["grade"], "stage": r["stage"], "kind": "lapse_warning",
            "due": last_day.isoformat(), "days_left": left, "registered": r["created_at"],
            "text": Label(f"protection ends {last_day} ({count_en(left, 'day')} left): contact the client to keep the account",
                          f"保护期{last_day}到期（剩{left}天）：请联系客户以保留归属"),
        })
    return out


def due_items(book, agent, today):
    if not _enabled(book):
        return None
    # what the lists read, evaluated for the agent's leads (the leads they may
    # own now, and those that lapsed from them: their fold names them)
    book.refresh(owner=agent)
    items = given_up_early(book)
    if agent is not None:
        items = [i for i in items if i["owner"] == agent]
    return items + lapse_warnings(book, agent, today)


def report(book) -> dict:
    """The statistic next to the office's deals by the follow-ups (every
    contact, one a day) before the deal (the ladder's won stage), and the
    leads given up early."""
    deals: dict[str, list[int]] = {}
    total = 0
    contact, won = model.contact_kinds(), won_kinds(book.settings)
    for batch in book.store.iter_lead_batches(industry=NAME):
        for lead, events in batch:  # a voided contact or deal does not count, nor one after the clock
            follow_ups, deal = count_follow_ups(book.counted(events), contact, won)
            if deal is not None:
                key = _bucket(follow_ups)
                deals.setdefault(key, []).append(lead.id)
                total += 1
    rows = []
    buckets = list(STATISTIC) + [("12+", "after the 12th or later follow-up", "第12次及以后跟踪后", None)]
    for key, en, zh, pct in buckets:
        ids = deals.get(key, [])
        n = len(ids)
        if pct is None and not n:
            continue
        rows.append({"follow_ups": key, "en": en, "zh": zh, "documents_pct": pct, "office_deals": n,
                     "office_pct": round(100 * n / total, 1) if total else None, "lead_ids": ids})
    early = given_up_early(book)
    return {"deals": total, "buckets": rows,
            "given_up_early": [{k: v for k, v in i.items() if k != "text"}
                               | {"text": i["text"].to_json(), "phone": mask_phone(i["phone"]), "phone_masked": True}
                               for i in early],
            "min_follow_ups": book.settings[f"{NAME}.min_follow_ups"]}


@click.command(name="followups")
@output_options
@click.pass_obj
def followups_cmd(env, as_json):
    """Deals by number of follow-ups; leads given up early.

    Deals by number of follow-ups, next to the documents' 2/3/5/10/80 %,
    and the software leads given up before their 4th follow-up.

    Examples:

    \b
    leadcycle report followups
    """
    from leadcycle.cli.output import Words, emit, output_format, table
    from leadcycle.errors import LeadcycleError

    book = env.book()
    if not _enabled(book):
        raise LeadcycleError(N_("industry {name!r} is not enabled in this database; "
                                "run: leadcycle init --industry {name}"), name=NAME)
    book.refresh()
    data = report(book)
    lang = env.lang
    if output_format() != "table":  # one record per bucket; --json keeps the whole report
        emit(data["buckets"], tuple(data["buckets"][0]) if data["buckets"] else ("office_deals",), as_json=data)
        return
    click.echo(table([(r[lang], "" if r["documents_pct"] is None else f"{r['documents_pct']} %",
                       r["office_deals"], "-" if r["office_pct"] is None else f"{r['office_pct']:g} %")
                      for r in data["buckets"]],
                     [_("deal closed"), _("documents"), _("office deals"), _("office share")]))
    n = data["deals"]
    click.echo(ngettext("{n} deal; the documents' figures: American Marketing Association, quoted in seed 001",
                        "{n} deals; the documents' figures: American Marketing Association, quoted in seed 001",
                        n).format(n=n))
    early = data["given_up_early"]
    click.echo("\n" + ngettext("Given up before follow-up {k}: {n} lead", "Given up before follow-up {k}: {n} leads",
                                len(early)).format(k=data["min_follow_ups"], n=len(early)))
    if early:
        click.echo(table([(i["lead_id"], i["name"], i["owner"] or _("(pool)"),
                           Words(book, lang).stage(NAME, i["stage"]), i["follow_ups"], i["text"][lang]) for i in early],
                         [_("lead"), _("name"), _("owner"), _("stage"), _("follow-ups"), _("why")]))


def register(cli) -> None:
    group = report_group(cli)
    if isinstance(group, click.Group):
        group.add_command(followups_cmd)
