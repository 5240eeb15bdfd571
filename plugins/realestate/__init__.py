"""Real estate (房地产): a property sales office's rule book, DOMAIN §2–3.

Grades leads A–D by one of three methods chosen with ``realestate.grading``:
the multi-dimension table (§2b, the default, :mod:`.table`), the 100-point
scorecard (§2a, :mod:`.points`) or the visit count (§2c, :mod:`.visits`).
A grade needs its method's inputs — every capping dimension, every
criterion — and until then the lead is "not graded yet" (no grade, not D).
A move into D waits for a manager's approval (:mod:`.review`).
Under every method the buying signals raise the intent score and the return
cycle takes points off (:mod:`.signals`), and the weekly review's downgrades
cap the grade (:mod:`.review`). Leads move through the commission stages
(§3.11); the follow-up cadence follows the grade (§2 cadence table). Commands:
``approve``, ``lift``, ``phase``, ``report deals``; ``due`` gets lapse warnings.

The cadence (DOMAIN §2, 客户分级跟踪回访要求 and 楼盘客户划分标准):

* the first call-back is due within ``realestate.first_call_back_days`` of
  the registration — default **3** days (楼盘客户划分标准: 初访后3天内), not the
  table's "same day": the issue asks for 3 days as the due limit;
* then A at least twice a week (every 3 days), B every 3–5 days (5), C at
  least weekly (7); D none: the lead goes to the manager's pool;
* once a contract is logged no accumulation follow-ups are planned any more
  (our decision: the deal is closed; after-sale steps are the stages').
"""

from __future__ import annotations

import datetime as dt

import attrs

from leadcycle import (
    Cadence,
    CadenceRule,
    Cond,
    Industry,
    Label,
    LeadcycleError,
    Scorecard,
    Stage,
    StageLadder,
    count_en,
    hookimpl,
)

from . import config, points, report, review, signals, table, visits
from leadcycle.i18n import N_

NAME = "realestate"


@hookimpl
def register_industries(register):
    register(Industry(
        NAME, Label("real estate", "房地产"),
        fields=table.fields() + points.fields() + visits.fields() + report.fields(),
        event_kinds=signals.event_kinds() + _mortgage_kinds() + (review.EVENT_KIND,),
        agent_label=Label("sales consultant", "置业顾问"),
        grades=_GRADES,
        tallies=(signals.RETURN, table.REVISIT, *review.tallies()),
        help=Label("Property sales office: A/B/C/D intent grades, call-backs, ownership by first contact.",
                   "售楼处：A/B/C/D意向分级、回访、首接负责制归属。"),
    ))


def _mortgage_kinds():
    from leadcycle import EventKind

    return (
        EventKind("mortgage_processed", Label("mortgage processed", "按揭办理"),
                  help=Label("The bank accepted the mortgage file.", "银行受理按揭。")),
        EventKind("loan_released", Label("loan released", "银行放款"),
                  help=Label("The bank released the loan: the deal is fully paid.", "银行放款，房款到账。")),
    )


_GRADES = (
    ("A", Label("A: strong intent, can buy at any moment", "A类：意向很强，随时可能购买")),
    ("B", Label("B: strong intent, buys after comparison or family talk", "B类：意向较强，比较或与家人商量后购买")),
    ("C", Label("C: some intent, doubts on price or region", "C类：有一定意向，对价格或区域有疑虑")),
    ("D", Label("D: weak, just looking", "D类：意向弱，随便看看")),
)


@hookimpl
def register_settings(register):
    for s in config.settings():
        register(s)


@hookimpl
def scorecard(industry, settings):
    if industry != NAME:
        return None
    method = settings["realestate.grading"]
    common = dict(
        adjustments=signals.decay(settings),
        caps=review.caps(),
        floors=review.floors(),
        fallback="D",
        # the clock only lowers a grade: the return cycle's points fall as
        # days pass (config.ORDER keeps them in that order), and the contact
        # window, closing without a return, rates contact C (tests/test_live.py)
        decays="C",
    )
    feats = signals.features() + review.features()
    sig = signals.criteria(settings)
    if method == "points":
        return Scorecard(
            "points", Label("100-point intent score", "意向程度打分"),
            criteria=points.ratings() + sig,
            thresholds=(("A", settings["realestate.points_a"]), ("B", settings["realestate.points_b"]),
                        ("C", settings["realestate.points_c"])),
            require=tuple(r.feature for r in points.ratings()), require_all=True, features=feats, **common)
    if method == "visits":
        return Scorecard(
            "visits", Label("visit count and interaction", "来访次数与互动"),
            criteria=sig, ladder=visits.ladder(settings), require=("interaction",), features=feats, **common)
    return Scorecard(
        "table", Label("multi-dimension table: lowest dimension", "多维度表格：按单项最低界定"),
        criteria=table.ratings(settings) + sig, dimensions=table.dimensions(settings),
        require=table.capping(settings), require_all=True, features=table.features(settings) + feats, **common)


@hookimpl
def stages(industry, settings):
    if industry != NAME:
        return None
    return StageLadder((
        Stage("accumulation", Label("client accumulation", "客户积累")),
        Stage("subscribed", Label("deposit paid", "认购/交定金"), requires=Cond("n_deposit", ">=", 1)),
        Stage("contracted", Label("contract and down payment", "签约并首付"), requires=Cond("n_contract", ">=", 1)),
        Stage("mortgage", Label("mortgage processed", "按揭办理"),
              requires=(Cond("n_contract", ">=", 1), Cond("n_mortgage_processed", ">=", 1))),
        Stage("loan_released", Label("loan released", "银行放款"),
              requires=(Cond("n_contract", ">=", 1), Cond("n_loan_released", ">=", 1))),
    ))


@hookimpl
def follow_up_cadence(industry, settings):
    if industry != NAME:
        return None
    first = settings["realestate.first_call_back_days"]
    a, b, c = (settings[f"realestate.cadence_{g}_days"] for g in "abc")
    within, days_a, days_b, days_c = (count_en(n, "day") for n in (first, a, b, c))
    return Cadence((
        CadenceRule("A", Label(f"grade A: first call-back within {within}, then at least every {days_a}",
                               f"A类：{first}天内首次回访，此后至少每{a}天一次"),
                    interval_days=a, first_days=first),
        CadenceRule("B", Label(f"grade B: first call-back within {within}, then every {days_b}",
                               f"B类：{first}天内首次回访，此后每{b}天一次"),
                    interval_days=b, first_days=first),
        CadenceRule("C", Label(f"grade C: first call-back within {within}, then at least every {days_c}",
                               f"C类：{first}天内首次回访，此后至少每{c}天一次"),
                    interval_days=c, first_days=first),
        CadenceRule("D", Label(f"grade D redistributed by the manager (互换资源): follow up at least every {days_c}",
                               f"D类客户经经理互换资源分配：至少每{c}天跟进一次"),
                    interval_days=c, when=(Cond("d_redistributed", "true"), Cond("owner", "set"))),
        CadenceRule("D", Label("grade D: no follow-up; the manager pools and redistributes it",
                               "D类：无效客户，由销售经理收回公共池重新分配"), pool=True),
        CadenceRule(None, Label(f"not graded yet: first call-back within {within}, then every {days_c}",
                                f"尚未分级：{first}天内首次回访，此后每{c}天一次"),
                    interval_days=c, first_days=first),
    ), stop=Cond("n_contract", ">=", 1),
        stop_label=Label("contract signed: no more accumulation follow-ups", "已签约：不再做客户积累回访"),
        # 004: the initial call-back within 3 days of the first visit (a client who phoned first included)
        first_after_visit=True,
        # a lead handed to an agent (a redistributed D lead) is due a whole interval after the hand-over
        restart=("owner",),
        decays=True)  # a worse grade is followed up no more often (config.ORDER: a ≤ b ≤ c)


@hookimpl
def ownership_policy(industry, settings):
    """The core's policy plus 004's new-client rule (楼盘客户划分标准), a
    real-estate office's rule."""
    if industry != NAME:
        return None
    from leadcycle import defaults

    base = defaults.ownership_policy(industry=industry, settings=settings)
    return attrs.evolve(base, first_callback_days=settings["ownership.first_callback_days"] or None,
                        new_intent_days=settings["ownership.new_intent_days"] or None)


@hookimpl
def register_commands(cli):
    from . import commands

    commands.register(cli)


#: the deal's later steps and the step each needs before it, since the
#: last contract (DOMAIN §3.11: contract → mortgage processed → loan released)
DEAL_STEPS = {"mortgage_processed": "contract", "loan_released": "mortgage_processed"}


@hookimpl
def check_event(book, lead, events, event):
    if lead.industry != NAME:
        return None
    if event.kind in DEAL_STEPS:
        _check_deal_step(lead, events, event)
    elif event.kind == "unit_shortlist":
        _check_shortlist(event)
    elif event.kind == "owner":
        review.check_owner_change(book, lead, events, event)
    return None


def _check_deal_step(lead, events, event):
    """A mortgage is processed after a contract, a loan released after the
    mortgage, each once per contract; ``events`` are the effective log."""
    contracts = [i for i, e in enumerate(events) if e.kind == "contract"]
    if not contracts:
        raise LeadcycleError(N_("{kind} refused: lead #{lead_id} has no contract yet; log the contract first "
                                "(leadcycle log {lead_id} contract --agent NAME --set amount=… --set units=…)"),
                             kind=event.kind, lead_id=lead.id)
    since = events[contracts[-1] + 1:]
    need = DEAL_STEPS[event.kind]
    if need != "contract" and not any(e.kind == need for e in since):
        raise LeadcycleError(N_("{kind} refused: lead #{lead_id}'s contract of {at} "
                                "has no {need} yet; log it first (leadcycle log {lead_id} {need} --agent NAME)"),
                             kind=event.kind, lead_id=lead.id, at=events[contracts[-1]].at.date(), need=need)
    done = next((e for e in since if e.kind == event.kind), None)
    if done is not None:
        raise LeadcycleError(N_("{kind} refused: already logged on {at} for lead #{lead_id}'s "
                                "contract of {at2}; a wrong entry is corrected with "
                                "leadcycle void {lead_id} {done_id} --reason … --agent NAME"),
                             kind=event.kind, at=done.at.date(), lead_id=lead.id, at2=events[contracts[-1]].at.date(), done_id=done.id)


def _check_shortlist(event):
    units = [u for u in str(event.data.get("units") or "").replace("，", ",").split(",") if u.strip()]
    if not 1 <= len(units) <= signals.MAX_SHORTLIST:
        raise LeadcycleError(
            N_("unit_shortlist: {n_units} units given; the shortlist is 2–3 units at most "
               "({max_shortlist}), e.g. --set units=3-1201,3-1502"),
            n_units=len(units), max_shortlist=signals.MAX_SHORTLIST)
    return None


@hookimpl
def due_items(book, agent, today):
    if NAME not in book.store.enabled_industries():
        return None
    days = book.settings["realestate.lapse_warning_days"]
    start = dt.datetime.combine(today, dt.time())
    rows = book.lapsing(start, start + dt.timedelta(days=days + 1), owner=agent, industry=NAME)
    items = []
    for r in rows:
        until = dt.datetime.fromisoformat(r["owner_until"])
        last_day = until.date() - dt.timedelta(days=1)
        left = (last_day - today).days
        items.append({
            "lead_id": r["id"], "name": r["name"], "phone": r["phone"], "owner": r["owner"],
            "industry": r["industry"], "grade": r["grade"], "kind": "lapse_warning",
            "due": last_day.isoformat(), "days_left": left, "registered": r["created_at"],
            "text": Label(f"protection ends {last_day} ({count_en(left, 'day')} left): follow up to keep the lead",
                          f"保护期{last_day}到期（剩{left}天）：请跟进以保留客户"),
        })
    return items


@hookimpl
def run_review(book, apply):
    return review.review(book, apply)


@hookimpl
def populate_demo(book, rng, start, days):
    from . import demo

    demo.populate(book, rng, start, days)
