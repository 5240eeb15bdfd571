"""Account levels from the transaction history (客户分级管理制度, DOMAIN §5, seed 004).

The levels are the document's:

* **A** — an OEM (主机厂), business with us ≥ 10 M CNY a year, pays on time
  (no late payment in the year), wants a long-term partnership;
* **B** — an OEM, ≥ 5 M CNY a year, no late payment, no current risk
  (当前无风险: no ``crisis`` within the clean review period), willing to
  cooperate long-term (A needs no current risk either);
* **C** — has traded with us and has no violation on record (the document:
  reputable modifiers and parts dealers; we extend it to any account that
  has traded and does not meet A or B);
* **D** — never traded.

"A year" is the trailing ``machinery.level_window_days`` (365) days; a late
payment is a ``payment`` with ``days_late`` > 0 (or ``on_time=no``) or a
``problem`` of type ``late_payment`` in that window. Which account types
qualify for A/B is a setting (``machinery.level_ab_account_types``, default
``oem`` as written for a parts supplier; a dealer selling to contractors sets
``oem,contractor``); ``show`` names them.

The level is **recorded**: ``leadcycle review`` writes an ``account_level``
event with its reason whenever the rules call for a change. Dynamic rules:

* a C account with a problem (a ``problem`` event — contract execution,
  late payment, crisis — or a late ``payment``) after its last level change
  drops to D — the review applies it at once; an account never reviewed is
  judged at the level its history gives it, so a problem logged before the
  first review is not lost;
  the document allows 5 days (``machinery.problem_downgrade_days``), so the
  due list warns the owner from the problem's day (day 1) and shows the
  downgrade overdue after day 5;
* an account at D because of a problem rises to C after a clean review
  period — ``machinery.clean_review_days`` days (90, **our** number: the
  document says "a period") with no problem and no late payment;
* otherwise the level follows the history (a first order lifts D to C,
  10 M a year lifts to A, a late payment drops A/B to C…).

Everything here is a pure function of the lead's events, attributes and the
clock; the core calls it once per lead as a scorecard Feature.
"""

from __future__ import annotations

import datetime as dt

from leadcycle import Choice, Expiring, Label, count_en

#: the kinds of account (the ``account_type`` field's choices)
ACCOUNT_TYPES = (
    Choice("oem", Label("OEM (truck or machinery maker)", "主机厂")),
    Choice("modifier", Label("modifier / body builder", "改装厂")),
    Choice("parts_dealer", Label("parts dealer", "配件经销商")),
    Choice("contractor", Label("contractor / end user", "施工单位/终端用户")),
    Choice("individual", Label("individual", "个人")),
)

LEVELS = ("A", "B", "C", "D")

#: the entries an account level moves with: without one, a lead stands at
#: D ("never traded") at every clock, so reads need not compute it
MOVED_BY = ("order", "payment", "problem", "account_level")

LEVEL_LABELS = {
    "A": Label("A: key account, ≥ 10 M CNY/year, pays on time", "A级：重点客户，年业务量≥1000万元，按期付款"),
    "B": Label("B: ≥ 5 M CNY/year, no late payment, no current risk", "B级：年业务量≥500万元，无滞期付款，当前无风险"),
    "C": Label("C: has traded, reputable, no violations", "C级：有业务往来，信誉良好，无违法记录"),
    "D": Label("D: never traded (or downgraded for a problem)", "D级：从未有过经营往来（或因问题降级）"),
}

#: rights per level (DOMAIN §5; the document lists A's rights only)
RIGHTS = {
    "A": (Label("annual price agreement and annual purchase contract", "订立年度购销价格，签订年度购销合同"),
          Label("pay on delivery, as the contract provides", "按合同规定享受货到付款政策"),
          Label("first access to new products: developed and delivered first, pay after trial",
                "新产品优先开发、优先发交、试用后付款")),
    "B": (Label("standard terms (the document lists rights for A only)", "标准条款（制度仅列出A级客户权利）"),),
    "C": (Label("standard terms (the document lists rights for A only)", "标准条款（制度仅列出A级客户权利）"),),
    "D": (Label("no credit: payment before delivery (our default)", "无信用：款到发货（本系统默认）"),),
}

PROBLEM_TYPES = (
    ("contract_execution", ("poor contract execution", "合同执行能力差")),
    ("late_payment", ("late payment", "付款不及时")),
    ("crisis", ("crisis in the client's business", "客户公司运行出现重大危机")),
)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _money(amount: float) -> str:
    """CNY with its fen when it has any: 9,999,999.99 is not rounded up to
    the 10,000,000 a level needs, in the reason that says it falls short."""
    return f"{amount:,.2f}".rstrip("0").rstrip(".")


def _problem_type(e) -> str:
    return "late_payment" if e.kind == "payment" else e.data.get("type")


def is_late(e) -> bool:
    if e.kind == "payment":
        return (e.data.get("days_late") or 0) > 0 or e.data.get("on_time") is False
    return e.kind == "problem" and e.data.get("type") == "late_payment"


def is_problem(e) -> bool:
    """A problem for the C → D rule: a ``problem`` event or a late payment."""
    return e.kind == "problem" or is_late(e)


def qualifying_types(settings) -> list[str]:
    return [t for t in str(settings["machinery.level_ab_account_types"]).split(",") if t]


def history_level(events, attributes: dict, now: dt.datetime, settings) -> tuple[str, Label, list]:
    """The level the transaction history calls for, why, and the moments
    at which the clock alone will change it."""
    window = settings["machinery.level_window_days"]
    since = now - dt.timedelta(days=window)
    orders = [e for e in events if e.kind == "order"]
    recent = [e for e in orders if e.at > since]
    annual = sum(e.data.get("amount", 0) for e in recent)
    late = [e for e in events if is_late(e) and e.at > since]
    # the window slides past old orders and late payments: each leaves it
    # the moment it is ``window`` days old (``e.at > since`` no longer
    # holds), which is when a stored level stops holding (not the midnight
    # after: ``review`` then missed a change ``show`` said was due)
    expiries = [e.at + dt.timedelta(days=window) for e in recent + late]
    types = qualifying_types(settings)
    type_ok = attributes.get("account_type") in types
    long_term = attributes.get("long_term_intent") is True
    risk_days = settings["machinery.clean_review_days"]
    crises = [e for e in events if e.kind == "problem" and e.data.get("type") == "crisis"
              and e.at > now - dt.timedelta(days=risk_days)]
    expiries += [e.at + dt.timedelta(days=risk_days) for e in crises]
    a_amount, b_amount = settings["machinery.level_a_amount"], settings["machinery.level_b_amount"]
    missing: dict[str, list[Label]] = {"A": [], "B": []}
    for lvl, need in (("A", a_amount), ("B", b_amount)):
        if annual < need:
            missing[lvl].append(Label(f"business {_money(annual)} < {_money(need)} CNY in {count_en(window, 'day')}",
                                      f"近{window}天业务量{_money(annual)}元＜{_money(need)}元"))
        if late:
            missing[lvl].append(Label(f"{len(late)} late payment(s) in {count_en(window, 'day')}",
                                      f"近{window}天有{len(late)}次滞期付款"))
        if not long_term:
            missing[lvl].append(Label("long-term partnership intent not recorded", "未记录长期合作意愿"))
        if crises:
            day = crises[-1].at.date()
            missing[lvl].append(Label(f"current risk: crisis on {day} (within {count_en(risk_days, 'day')})",
                                      f"当前有风险：{day}出现经营危机（{risk_days}天内）"))
        if not type_ok:
            named = {c.value: c.label for c in ACCOUNT_TYPES}
            said = [named[t] if t in named else Label(t, t) for t in types]
            missing[lvl].append(Label(f"account type is not {'/'.join(x.en for x in said)} "
                                      "(machinery.level_ab_account_types)",
                                      f"客户类型不是{'/'.join(x.zh for x in said)}（machinery.level_ab_account_types）"))
    for lvl in ("A", "B"):
        if not missing[lvl]:
            need = a_amount if lvl == "A" else b_amount
            return lvl, Label(f"{_money(annual)} CNY in {count_en(window, 'day')} ≥ {_money(need)}, on time, long-term intent",
                              f"近{window}天业务量{_money(annual)}元≥{_money(need)}元，按期付款，有长期合作意愿"), expiries
    gaps_b = "; ".join(m.en for m in missing["B"])
    gaps_b_zh = "；".join(m.zh for m in missing["B"])
    if orders and not attributes.get("violation"):
        return "C", Label(f"has traded ({count_en(len(orders), 'order')}), no violation; for B still missing: {gaps_b}",
                          f"有业务往来（{len(orders)}笔订单），无违法记录；升B尚缺：{gaps_b_zh}"), expiries
    if orders:
        return "D", Label("violation on record", "有违法记录"), expiries
    return "D", Label("never traded", "从未有过经营往来"), expiries


def _unreviewed_standing(events, problems, attributes, hist: str, settings) -> str:
    """An account never reviewed stands where its history puts it — as it
    stood before its first problem when that was A or B (a late payment
    then costs A/B by the history rule, not C → D as well)."""
    if problems:
        first = problems[0]
        before, _, _ = history_level(events[:events.index(first)], attributes, first.at, settings)
        if before in ("A", "B"):
            return before
    return hist


def account(events, attributes: dict, now: dt.datetime, settings) -> Expiring:
    """The ``x_account`` feature: recorded level, the level the rules call
    for, whether a change is due (and by when), the reason and the rights."""
    level_events = [e for e in events if e.kind == "account_level"]
    last = level_events[-1] if level_events else None
    recorded = last.data.get("level") if last else None
    current = recorded or "D"
    events = list(events)
    cut = max((i for i, e in enumerate(events) if e.kind == "account_level"), default=-1)
    since_last = events[cut + 1:]
    problems = [e for e in since_last if is_problem(e)]
    hist, hist_why, expiries = history_level(events, attributes, now, settings)
    standing = recorded or _unreviewed_standing(events, problems, attributes, hist, settings)
    expiries = list(expiries)
    due_by = None
    days = settings["machinery.problem_downgrade_days"]
    clean_days = settings["machinery.clean_review_days"]
    if recorded == "D" and last.data.get("rule") == "problem":
        bad = [e for e in since_last if e.kind == "problem" or is_late(e)]
        start = bad[-1].at if bad else last.at
        clean_at = _midnight(start.date() + dt.timedelta(days=clean_days))
        if now >= clean_at:
            target, rule = "C", "clean_period"
            why = Label(f"clean review period: {count_en(clean_days, 'day')} without a problem or late payment "
                        f"since {start.date()}", f"考核期表现良好：自{start.date()}起{clean_days}天无问题、无滞期付款")
        else:
            target, rule = "D", "problem"
            why = Label(f"at D after a problem; rises to C on {clean_at.date()} if the period stays clean",
                        f"因问题降为D级；若考核期无问题，{clean_at.date()}升为C级")
            expiries.append(clean_at)
    elif standing == "C" and problems:
        first = problems[0]
        names = dict(PROBLEM_TYPES)
        kinds = ", ".join(names[_problem_type(p)][0] for p in problems)
        kinds_zh = "、".join(names[_problem_type(p)][1] for p in problems)
        target, rule = "D", "problem"
        due_by = first.at.date() + dt.timedelta(days=days - 1)
        why = Label(f"C account with a problem ({kinds}) on {first.at.date()}: drop to D within {count_en(days, 'day')} "
                    f"(by {due_by})", f"C级客户于{first.at.date()}出现问题（{kinds_zh}）：应{days}日内降为D级"
                    f"（{due_by}前）")
    else:
        target, rule, why = hist, "history", hist_why
    out = {
        "level": current,
        "recorded": recorded is not None,
        "target": target,
        "change_due": target != current or (recorded is None and rule == "problem"),
        # the level a change is from: the recorded one, but for a never-reviewed
        # account that traded (it stands at C) with a problem: C → D, not D → D
        "from": standing if recorded is None and rule == "problem" else current,
        "due_by": due_by.isoformat() if due_by else None,
        "rule": rule,
        "reason": why.to_json(),
        "level_label": LEVEL_LABELS[current].to_json(),
        "rights": [r.to_json() for r in RIGHTS[current]],
    }
    rights = RIGHTS[current]
    named = {c.value: c.label for c in ACCOUNT_TYPES}
    types = "/".join(qualifying_types(settings))
    types_zh = "、".join(f"{named[t].zh}（{t}）" if t in named else t for t in qualifying_types(settings))
    out["ab_account_types"] = qualifying_types(settings)
    head = Label(f"account level {current}" + ("" if recorded else " (never reviewed)") + f" — {LEVEL_LABELS[current].en}"
                 f"; rights: " + "; ".join(r.en for r in rights)
                 + f"; levels A/B open to: {types} (machinery.level_ab_account_types)",
                 f"客户级别 {current}" + ("" if recorded else "（尚未评审）") + f"——{LEVEL_LABELS[current].zh}"
                 f"；权利：" + "；".join(r.zh for r in rights)
                 + f"；A/B级限于：{types_zh}（machinery.level_ab_account_types）")
    if out["change_due"]:
        by_en = f" by {due_by}" if due_by else ""
        by_zh = f"（{due_by}前）" if due_by else ""
        head = Label(f"{head.en}. Change to {target} due{by_en}: {why.en} (leadcycle review applies it)",
                     f"{head.zh}。应调整为{target}级{by_zh}：{why.zh}（由 leadcycle review 执行）")
    out["summary"] = head.to_json()
    future = [t for t in expiries if t > now]
    return Expiring(out, min(future) if future else None)
