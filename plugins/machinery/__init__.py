"""Heavy machinery (工程机械): an equipment dealer's rule book, DOMAIN §5.

* purchase intent A–D by the JCB table (:mod:`.intent`), moving as the
  ``site_deadline`` approaches;
* key-account value: a weighted composite of nine criteria, the scorecard's
  score (:mod:`.keyaccount`);
* transactions as events (``order``, ``payment``, ``delivery``,
  ``problem``), checked against the history before they are written
  (``check_event``);
* account levels A–D from the transaction history, recorded by
  ``leadcycle review`` as ``account_level`` events (:mod:`.accounts`);
* value classes ABC and EI–EIV: ``leadcycle accounts`` (:mod:`.value`);
* named account managers and a 90-day protection period; a departing
  manager's accounts go to the sales manager (``leadcycle account-manager``).
"""

from __future__ import annotations

import datetime as dt

import attrs

from leadcycle import (
    PLAN_MIN,
    Cadence,
    CadenceRule,
    Choice,
    Event,
    EventKind,
    Feature,
    Field,
    Industry,
    Label,
    LeadcycleError,
    Scorecard,
    Setting,
    count_en,
    hookimpl,
)

from leadcycle.settings import chained

from . import accounts, intent, keyaccount
from leadcycle.i18n import N_

NAME = "machinery"

ACCOUNT_TYPES = accounts.ACCOUNT_TYPES

ACCOUNT_FIELDS = (
    Field("account_type", "choice", Label("account type", "客户类型"), choices=ACCOUNT_TYPES),
    Field("long_term_intent", "bool", Label("wants a long-term partnership", "有长期合作意愿")),
    Field("violation", "bool", Label("violation on record", "有违法记录")),
)

EVENT_KINDS = (
    EventKind("order", Label("order", "订单"), fields=(
        Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0.01, required=True),
        Field("units", "int", Label("units", "台数"), minimum=1, required=True),
        Field("model", "str", Label("model", "机型"), required=True),
        Field("profit", "float", Label("gross profit (CNY)", "毛利（元）")),
        Field("delivery_due", "date", Label("delivery promised by", "约定交货日期"), minimum=PLAN_MIN),
    ), help=Label("A signed order: amount, units, model (profit for the value classes).",
                  "签订的订单：金额、台数、机型（毛利用于价值分类）。")),
    EventKind("payment", Label("payment received", "回款"), fields=(
        Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0.01, required=True),
        Field("on_time", "bool", Label("paid on time", "按期付款")),
        Field("days_late", "int", Label("days late", "逾期天数"), minimum=0),
    ), help=Label("Money received against orders: on_time=yes or days_late=N.",
                  "收到货款：on_time=yes 或 days_late=天数。")),
    EventKind("delivery", Label("delivery", "交付"), fields=(
        Field("units", "int", Label("units", "台数"), minimum=1, required=True),
        Field("model", "str", Label("model", "机型")),
    )),
    EventKind("problem", Label("problem", "问题"), fields=(
        Field("type", "choice", Label("problem", "问题类型"), required=True,
              choices=tuple(Choice(v, Label(*lbl)) for v, lbl in accounts.PROBLEM_TYPES)),
    ), help=Label("Contract execution, late payment or a crisis: a C account drops to D within 5 days.",
                  "合同执行差、付款不及时或经营危机：C级客户5日内降为D级。")),
    EventKind("account_level", Label("account level changed", "客户级别变更"), fields=(
        # written by the review, not typed: named for the reader of the history
        Field("level", "str", Label("account level", "客户级别")),
        Field("rule", "str", Label("rule", "规则")),
    ), loggable=False),
)


@hookimpl
def register_industries(register):
    register(Industry(
        NAME, Label("heavy machinery", "工程机械"),
        fields=intent.FIELDS + keyaccount.FIELDS + ACCOUNT_FIELDS,
        event_kinds=EVENT_KINDS,
        agent_label=Label("account manager", "客户经理"),
        grades=(
            Choice("A", Label("A: urgent & important", "A类：紧急重要客户")),
            Choice("B", Label("B: not urgent, important", "B类：非紧急重要客户")),
            Choice("C", Label("C: interested (our definition)", "C类：有兴趣（本系统定义）")),
            Choice("D", Label("D: no purchase intent yet (our definition)", "D类：暂无购买意向（本系统定义）")),
        ),
        help=Label("Equipment dealer: JCB purchase-intent grades, key-account value, account levels "
                   "from transactions, value classes.",
                   "工程机械经销：JCB意向分级、大客户价值、按交易记录的客户分级、价值分类。"),
    ))


def _s(key, type_, default, en, zh, source, **kw):
    return Setting(f"machinery.{key}", type_, default, Label(en, zh), source=source, **kw)


OURS = "ours (documents give no number; see plugins/machinery)"

#: orderings a setting change may not break, lowest first: A is on site
#: sooner than B, followed up at least as often, and needs more business
ORDER = (
    ("machinery.a_site_days", "machinery.b_site_days"),
    tuple(f"machinery.cadence_{g}_days" for g in "abcd"),
    ("machinery.level_b_amount", "machinery.level_a_amount"),
)


@hookimpl
def register_settings(register):
    for s in chained((
        _s("a_site_days", "int", 30, "grade A: equipment on site within (days)", "A类：设备进场期限（天内）",
           "DOMAIN §5 JCB table (001): within one month", minimum=1, maximum=365),
        _s("b_site_days", "int", 90, "grade B: equipment on site within (days)", "B类：设备进场期限（天内）",
           "DOMAIN §5 JCB table (001): within three months", minimum=1, maximum=730),
        _s("cadence_a_days", "int", 3, "grade A: longest gap between face-to-face contacts (days)",
           "A类：面谈跟进最长间隔（天）", OURS + " — the document: face-to-face each time", minimum=1, maximum=60),
        _s("cadence_b_days", "int", 7, "grade B: longest gap between calls or visits (days)",
           "B类：电话拜访或见面最长间隔（天）", "DOMAIN §5 JCB table (001): 1–2 calls or visits a week",
           minimum=1, maximum=60),
        _s("cadence_c_days", "int", 14, "grade C: longest gap between contacts (days)", "C类：跟进最长间隔（天）",
           OURS, minimum=1, maximum=180),
        _s("cadence_d_days", "int", 30, "grade D: longest gap between contacts (days)", "D类：跟进最长间隔（天）",
           OURS, minimum=1, maximum=365),
        _s("level_a_amount", "float", 10_000_000, "level A: business a year at least (CNY)",
           "A级：年业务量不少于（元）", "DOMAIN §5 account levels (004): 1000万元/年", minimum=0),
        _s("level_b_amount", "float", 5_000_000, "level B: business a year at least (CNY)",
           "B级：年业务量不少于（元）", "DOMAIN §5 account levels (004): 500万元/年", minimum=0),
        _s("level_window_days", "int", 365, "account levels: the year is the last (days)",
           "客户分级：年业务量按最近（天）计", "DOMAIN §5 account levels (004): per year", minimum=30, maximum=1095),
        Setting("machinery.level_ab_account_types", "choice", "oem",
                Label("account types that qualify for levels A and B", "可评为A、B级的客户类型"),
                choices=ACCOUNT_TYPES, multiple=True,
                help=Label("The document (a parts supplier's) names OEMs; a dealer selling to contractors "
                           "sets oem,contractor.", "制度原文（配件供应商）为主机厂；面向施工单位的经销商可设 oem,contractor。"),
                source="DOMAIN §5 account levels (004): 主机厂"),
        _s("problem_downgrade_days", "int", 5, "a C account with a problem drops to D within (days)",
           "C级客户出现问题后降为D级期限（天）", "DOMAIN §5 account levels (004): 5日内", minimum=1, maximum=60),
        _s("clean_review_days", "int", 90, "a D account rises to C after a clean period of (days)",
           "D级客户表现良好升为C级的考核期（天）", OURS + " — the document: 一个阶段", minimum=1, maximum=730),
        _s("protection_days", "int", 90, "account protection period (days)", "客户保护期（天）",
           "DOMAIN §3.4 variant 3 months; issue 6", minimum=1, maximum=3650),
        _s("value_period_days", "int", 365, "value classes: profit over the last (days)",
           "价值分类：按最近（天）利润计", OURS + " — the document: from transaction history",
           minimum=30, maximum=3650),
        Setting("machinery.abc_basis", "choice", "profit", Label("value classes ranked by", "价值分类依据"),
                choices=(("profit", ("gross profit", "利润")), ("sales", ("sales", "销售额"))),
                source="DOMAIN §5 value classes (004: 按销售额或利润)"),
        _s("abc_a_share", "float", 80, "value class A: top accounts making this % of profit",
           "A类价值客户：贡献利润的前百分比", "DOMAIN §5 value classes (004, 001): 80 %", minimum=1, maximum=99,
           sum_at_most=("machinery.abc_b_share", 100)),  # B is "the next" share: both within 100 %
        _s("abc_b_share", "float", 15, "value class B: the next % of profit", "B类价值客户：其后利润百分比",
           "DOMAIN §5 value classes (004, 001): 15 %", minimum=0, maximum=99),
        Setting("machinery.stability_unit", "choice", "quarter", Label("stability measured by", "稳定度计算单位"),
                choices=(("month", ("month", "月度")), ("quarter", ("quarter", "季度"))),
                source="DOMAIN §5 (001): 季度交易、月度交易"),
        _s("stability_min_pct", "float", 75, "stable: ordered in at least this % of the periods",
           "稳定：有订单的月/季占比不低于（%）", OURS, minimum=1, maximum=100),
    ), *ORDER):
        register(s)
    for name, label, weight in keyaccount.CRITERIA:
        register(_s(f"weight_{name}", "float", weight, f"key-account weight: {label[0]}",
                    f"大客户权重：{label[1]}", OURS + " — DOMAIN §5 (002) names the criteria, no weights",
                    minimum=0, maximum=100))


def _key_account(view):
    rated = {name: view.attributes.get(name) for name, _, _ in keyaccount.CRITERIA
             if view.attributes.get(name) is not None}
    weights = {name: float(view.settings[f"machinery.weight_{name}"]) for name, _, _ in keyaccount.CRITERIA}
    total = sum(weights.values()) or 1.0
    breakdown = {name: round(100.0 * weights[name] * r / (5 * total), 2) for name, r in rated.items()}
    value = round(sum(breakdown.values()), 2)
    n = len(keyaccount.CRITERIA)
    return {"value": value, "rated": len(rated), "of": n, "points": breakdown,
            "summary": Label(f"key-account value {value:g} of 100 ({len(rated)} of {n} criteria rated; "
                             "breakdown under Why)",
                             f"大客户价值 {value:g}/100（已评定{len(rated)}/{n}项指标；明细见下）").to_json()}


def _transactions(view):
    orders = [e for e in view.events if e.kind == "order"]
    paid = sum(e.data.get("amount", 0) for e in view.events if e.kind == "payment")
    ordered = sum(e.data.get("amount", 0) for e in orders)
    units = sum(e.data.get("units", 0) for e in orders)
    delivered = sum(e.data.get("units", 0) for e in view.events if e.kind == "delivery")
    late = sum(1 for e in view.events if accounts.is_late(e))
    problems = sum(1 for e in view.events if e.kind == "problem")
    out = {"orders": len(orders), "ordered": ordered, "paid": paid, "outstanding": round(ordered - paid, 2),
           "units_ordered": units, "units_delivered": delivered, "late_payments": late, "problems": problems}
    if orders or problems:
        out["summary"] = Label(
            f"transactions: {count_en(len(orders), 'order')}, {_money(ordered)} CNY; paid {_money(paid)}, outstanding "
            f"{_money(ordered - paid)}; units {units} ordered, {delivered} delivered; {count_en(late, 'late payment')}, "
            f"{count_en(problems, 'problem')}",
            f"交易：{len(orders)}笔订单，{_money(ordered)}元；已回款{_money(paid)}元，未回款{_money(ordered - paid)}元；"
            f"订{units}台，已交{delivered}台；滞期付款{late}次，问题{problems}次").to_json()
    return out


@hookimpl
def scorecard(industry, settings):
    if industry != NAME:
        return None
    return Scorecard(
        "jcb", Label("JCB purchase intent; score = key-account value", "JCB意向分级；得分=大客户价值"),
        criteria=keyaccount.ratings(settings),
        ladder=intent.ladder(settings),
        fallback="D",
        require=intent.INTENT_FIELDS,
        features=(
            # due items and the account report read the account level from
            # the stored state; it moves only with the account's entries
            Feature("x_account", Label("account level", "客户级别"),
                    lambda v: accounts.account(v.events, v.attributes, v.now, v.settings), listed=True,
                    kinds=accounts.MOVED_BY),
            Feature("x_key_account", Label("key-account value", "大客户价值"), _key_account),
            Feature("x_transactions", Label("transactions", "交易"), _transactions),
            intent.PRICE_ASKED,
            *(Feature(name, label, compute) for name, label, compute in intent.FEATURES),
        ),
    )


@hookimpl
def follow_up_cadence(industry, settings):
    if industry != NAME:
        return None
    return Cadence((
        CadenceRule("A", Label("grade A: face-to-face each time with a stated purpose (phone only when a visit "
                               "is impossible); report to the manager; create the decision moment",
                               "A类：面谈为主，每次明确拜访目的（不能面谈时电话拜访）；及时向领导汇报；创造客户决策时机"),
                    interval_days=settings["machinery.cadence_a_days"]),
        CadenceRule("B", Label("grade B: 1–2 calls or visits a week, each with a purpose; plan the next step; "
                               "report", "B类：每周1–2次电话拜访或见面，明确拜访目的；及时作出下一步计划；及时与领导沟通"),
                    interval_days=settings["machinery.cadence_b_days"]),
        CadenceRule("C", Label("grade C: keep in touch (our cadence)", "C类：保持联系（本系统设定）"),
                    interval_days=settings["machinery.cadence_c_days"]),
        CadenceRule("D", Label("grade D: occasional contact (our cadence)", "D类：定期联系（本系统设定）"),
                    interval_days=settings["machinery.cadence_d_days"]),
        CadenceRule(None, Label("not graded yet: ask about price, site, funds and deadline",
                                "尚未分级：了解价格、工地、资金与进场期限"),
                    interval_days=settings["machinery.cadence_b_days"]),
    ))


@hookimpl
def ownership_policy(industry, settings):
    if industry != NAME:
        return None
    from leadcycle import defaults

    base = defaults.ownership_policy(industry=industry, settings=settings)
    # §3.11's commission by stage is the property office's (mortgage, loan)
    changes = {"protection_days": settings["machinery.protection_days"], "commission_stages": ()}
    fields = attrs.fields_dict(type(base))
    # a departing account manager's accounts go to the sales manager (when the
    # ownership engine offers that choice)
    for name in ("departed_to", "departure", "on_departure"):
        if name in fields:
            changes[name] = "manager"
    if "deal_kinds" in fields:
        # an account that has ordered keeps its account manager (the deal is made)
        changes["deal_kinds"] = ("order", "contract")
    return attrs.evolve(base, **changes)


# ------------------------------------------------------------- checks

#: contacts the JCB table asks a stated purpose for (明确每一次拜访目的)
PURPOSE_KINDS = ("follow_up", "visit", "call")


def _money(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


@hookimpl
def check_event(book, lead, events, event):
    if lead.industry != NAME:
        return
    kind, data = event.kind, event.data
    orders = [e for e in events if e.kind == "order"]
    if kind in PURPOSE_KINDS and not (data.get("purpose") or "").strip():
        # the entry as the reader calls it (回访跟进), not its code
        raise LeadcycleError(N_("a {replace} on machinery lead #{lead_id} needs a stated purpose: "
                                "add --set purpose=\"...\" (each contact with a purpose, DOMAIN §5)"),
                             replace=book.registry.event_kind(NAME, kind).label, lead_id=lead.id)
    if kind in ("register", "set"):
        from leadcycle.engine import fold_lead

        after = fold_lead(lead, [*events, event]).attributes  # the lead's attributes once the event is written
        if after.get("bargaining") is True and after.get("asked_price") is False:
            raise LeadcycleError(N_("bargaining=yes contradicts asked_price=no: a client who bargains has asked "
                                    "the price; record asked_price=yes"))
    if kind == "payment":
        if not orders:
            raise LeadcycleError(N_("payment refused: lead #{lead_id} has no order yet; log the order first "
                                    "(leadcycle log {lead_id} order --set amount=... --set units=... --set model=...)"),
                                 lead_id=lead.id)
        if data.get("on_time") is None and data.get("days_late") is None:
            raise LeadcycleError(N_("payment needs on_time=yes or days_late=N: add --set on_time=yes "
                                    "or --set days_late=N"))
        if data.get("on_time") is True and (data.get("days_late") or 0) > 0:
            raise LeadcycleError(N_("payment says on_time=yes and days_late={days_late}; give one of them"),
                                 days_late=data['days_late'])
        ordered = sum(e.data.get("amount", 0) for e in orders)
        paid = sum(e.data.get("amount", 0) for e in events if e.kind == "payment")
        outstanding = round(ordered - paid, 2)
        if data["amount"] > outstanding + 0.005:
            raise LeadcycleError(N_("payment of {money} CNY exceeds the {money2} CNY "
                                    "still owed on lead #{lead_id}'s orders; log the order first or correct the amount"),
                                 money=_money(data['amount']), money2=_money(outstanding), lead_id=lead.id)
    elif kind == "delivery":
        if not orders:
            raise LeadcycleError(N_("delivery refused: lead #{lead_id} has no order yet; log the order first"),
                                 lead_id=lead.id)
        ordered = sum(e.data.get("units", 0) for e in orders)
        delivered = sum(e.data.get("units", 0) for e in events if e.kind == "delivery")
        if data["units"] > ordered - delivered:
            raise LeadcycleError(N_("delivery of {units} units exceeds the {ordered} ordered "
                                    "and not yet delivered on lead #{lead_id}"),
                                 units=data['units'], ordered=ordered - delivered, lead_id=lead.id)
    elif kind == "order":
        due = data.get("delivery_due")
        if due and dt.date.fromisoformat(due) < event.at.date():
            raise LeadcycleError(N_("delivery_due {due} is before the order date {at}; "
                                    "give a later date"), due=due, at=event.at.date())


# ------------------------------------------------------- due and review


def _pending(book, agent):
    if NAME not in book.store.enabled_industries():
        return []
    return book.store.states_with_extra_flag(NAME, "$.x_account.change_due", owner=agent)


def _site_deadlines_passed(book, agent) -> list[dict]:
    """Leads whose site deadline has passed by the due list's day: ask for
    the new date (from the attribute, at the list's clock)."""
    today = book.now.date()
    items = []
    for row in book.date_attribute_passed(NAME, "site_deadline", today, owner=agent):
        deadline = dt.date.fromisoformat(row["day"])
        items.append({"lead_id": row["id"], "name": row["name"], "phone": row["phone"], "owner": row["owner"],
                      "industry": NAME, "grade": row["grade"], "kind": "site_deadline_passed",
                      "due": row["day"], "days_overdue": (today - deadline).days,
                      "text": intent.site_passed(row["id"], deadline, today)})
    return items


@hookimpl
def due_items(book, agent, today):
    import json

    if NAME not in book.store.enabled_industries():
        return []
    items = _site_deadlines_passed(book, agent)
    for row in _pending(book, agent):
        acc = json.loads(row["extra"] or "{}").get("x_account") or {}
        why = Label.from_json(acc.get("reason") or "")
        change = f"{acc.get('from', acc.get('level'))} → {acc.get('target')}"
        item = {"lead_id": row["id"], "name": row["name"], "phone": row["phone"], "owner": row["owner"],
                "industry": NAME, "grade": row["grade"]}
        if acc.get("due_by"):
            due_by = dt.date.fromisoformat(acc["due_by"])
            days = book.settings["machinery.problem_downgrade_days"]
            day_n, late = days - (due_by - today).days, (today - due_by).days
            # past the deadline it is late by so many days, not "day 7 of 5"
            when = (Label(f"day {day_n} of {days}", f"第{day_n}/{days}天") if late <= 0 else
                    Label(f"{count_en(late, 'day')} late", f"已逾期{late}天"))
            item.update(kind="account_downgrade", due=acc["due_by"], days_overdue=late,
                        text=Label(f"account level {change} by {due_by} ({when.en}): {why.en}; "
                                   "run leadcycle review",
                                   f"客户级别{change}，须在{due_by}前完成（{when.zh}）：{why.zh}；"
                                   "请执行 leadcycle review"))
        else:
            item.update(kind="account_level", text=Label(f"account level {change}: {why.en}; run leadcycle review",
                                                        f"客户级别{change}：{why.zh}；请执行 leadcycle review"))
        items.append(item)
    return items


def review_accounts(book, apply: bool) -> list[dict]:
    """Write an ``account_level`` event for every account whose level the
    rules call to change; returns the changes."""
    if NAME not in book.store.enabled_industries():
        return []
    if not apply:
        return _account_changes(book, apply)
    with book.store.transaction():  # decide from what is read under the write lock
        return _account_changes(book, apply)


def _account_changes(book, apply: bool) -> list[dict]:
    book.refresh()
    out = []
    for row in book.store.states_with_extra_flag(NAME, "$.x_account.change_due"):
        record = book.record(row["id"])
        acc = record.state.extra.get("x_account") or {}
        if not acc.get("change_due"):
            continue
        why = Label.from_json(acc["reason"])
        was = acc.get("from", acc["level"])
        label = Label(f"account level {was} → {acc['target']}: {why.en}",
                      f"客户级别 {was} → {acc['target']}：{why.zh}")
        if apply:
            data = {"level": acc["target"], "from": was, "rule": acc["rule"], "reason": why.to_json()}
            book.append(row["id"], [Event(None, row["id"], "account_level", book.now, None, data)])
        out.append({"lead_id": row["id"], "change": Label(f"account level {was} → {acc['target']}",
                                                          f"客户级别 {was} → {acc['target']}"),
                    "reason": label, "applied": apply})
    return out


@hookimpl
def run_review(book, apply):
    return review_accounts(book, apply)


@hookimpl
def register_commands(cli):
    from . import commands

    commands.register(cli)


@hookimpl
def populate_demo(book, rng, start, days):
    from . import demo

    demo.populate(book, rng, start, days, review_accounts)
