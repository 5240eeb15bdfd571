"""Value classes from the transaction history (DOMAIN §5, seeds 004 and 001).

**ABC by profit or by sales** (seed 004: 按销售额或利润;
``machinery.abc_basis``, default profit). Accounts are ranked by the gross
profit (or the amount) of their orders in the last
``machinery.value_period_days`` days. Walking down the ranking,
an account is in class A while the profit share of the accounts above it is
below ``machinery.abc_a_share`` (80 %) — so A is the smallest set of top
accounts that makes up at least 80 % —, then B while it is below 80 + 15 =
95 %, and C for the rest (and for accounts with no positive profit). The
actual shares of profit and of accounts are reported, next to the
document's ≈ 80/15/5 % of profit and ≈ 20/30/50 % of accounts.

Ranked by profit, an order without a recorded ``profit`` is not counted as
0 silently: the account is flagged (``missing_profit``: how many orders lack
it) and the report names the accounts; we do not invent a margin.

**EI–EIV (contribution × stability, seed 001).** Contribution is high for
class A accounts (the 20/80 rule; our reading). Stability is the share of
the period's months or quarters (``machinery.stability_unit``) with at
least one order; stable when it reaches ``machinery.stability_min_pct``
(75 %, ours). Strategies are the document's.
"""

from __future__ import annotations

import datetime as dt
import math

from leadcycle import Label

STRATEGIES = {
    "EI": (Label("high contribution, high stability: loyal — consolidate", "高贡献高稳定：忠诚客户——巩固"),
           Label("key service, solve problems and complaints fast, become their business adviser, "
                 "support their growth, offer new products",
                 "重点服务，及时解决问题和投诉，建立利益共同体，成为其生意顾问，给予资源支持，提供新产品")),
    "EII": (Label("high contribution, low stability: drifting — turn around", "高贡献低稳定：游离客户——扭转"),
            Label("find why they are unstable (product, service, competitors, their interest) and fix it; "
                  "loyalty plan: year-end rebates, volume rewards",
                  "分析稳定性低的原因（产品、服务、竞争、客户利益）并解决；客户忠诚计划：年底返利、累计数量奖励")),
    "EIII": (Label("low contribution, high stability: loyal — grow", "低贡献高稳定：忠诚客户——提升"),
             Label("regular visits and business analysis; resources, promotion and expansion support "
                   "to raise their contribution", "定期拜访，业务分析，给予资源、协助宣传、协助拓展与促销，提升其贡献度")),
    "EIV": (Label("low contribution, low stability: not loyal — cost–benefit", "低贡献低稳定：非忠诚客户——清算"),
            Label("weigh supply, time and marketing cost against present and future benefit: "
                  "turn around and grow, or drop", "进行成本与收益分析：有利益则扭转并提升，付出超过回报且难以扭转则放弃")),
}

BUCKET_DAYS = {"month": 365.25 / 12, "quarter": 365.25 / 4}


def classify(accounts: list[dict], now: dt.datetime, settings) -> dict:
    """``accounts``: dicts with ``id``, ``name``, ``owner`` and ``orders``
    (events). Returns the report: per account and per class."""
    period = settings["machinery.value_period_days"]
    since = now - dt.timedelta(days=period)
    unit = settings["machinery.stability_unit"]
    bucket = BUCKET_DAYS[unit]
    n_buckets = max(1, math.ceil(period / bucket - 1e-9))
    basis = settings["machinery.abc_basis"]
    a_cut = settings["machinery.abc_a_share"]
    b_cut = a_cut + settings["machinery.abc_b_share"]
    rows, no_profit = [], 0
    for acc in accounts:
        orders = [e for e in acc["orders"] if since < e.at <= now]
        if not orders:
            continue
        missing = sum(1 for e in orders if e.data.get("profit") is None)
        no_profit += missing
        profit = sum(e.data["profit"] for e in orders if e.data.get("profit") is not None)
        revenue = sum(e.data.get("amount", 0) for e in orders)
        active = {min(n_buckets - 1, int((now - e.at).total_seconds() / 86400 // bucket)) for e in orders}
        rows.append({"id": acc["id"], "name": acc["name"], "owner": acc.get("owner"),
                     "orders": len(orders), "revenue": revenue,
                     "profit": round(profit, 2), "missing_profit": missing,
                     "value": round(revenue if basis == "sales" else profit, 2),
                     "active_periods": len(active), "periods": n_buckets,
                     "stability_pct": round(100.0 * len(active) / n_buckets, 1)})
    rows.sort(key=lambda r: (-r["value"], r["id"]))
    total = sum(r["value"] for r in rows if r["value"] > 0)
    above = 0.0
    for r in rows:
        share = 100.0 * r["value"] / total if total > 0 and r["value"] > 0 else 0.0
        before = 100.0 * above / total if total > 0 else 100.0
        if r["value"] <= 0:
            cls = "C"
        elif before < a_cut - 1e-9:
            cls = "A"
        elif before < b_cut - 1e-9:
            cls = "B"
        else:
            cls = "C"
        if r["value"] > 0:
            above += r["value"]
        high = cls == "A"
        stable = r["stability_pct"] >= settings["machinery.stability_min_pct"] - 1e-9
        e_cls = {(True, True): "EI", (True, False): "EII", (False, True): "EIII", (False, False): "EIV"}[(high, stable)]
        r.update(share_pct=round(share, 2), cumulative_pct=round(100.0 * above / total, 2) if total > 0 else 0.0,
                 abc=cls, contribution="high" if high else "low", stability="high" if stable else "low",
                 e_class=e_cls, strategy=STRATEGIES[e_cls][0].to_json(), actions=STRATEGIES[e_cls][1].to_json())
    target = {"A": (a_cut, 20), "B": (settings["machinery.abc_b_share"], 30),
              "C": (max(0.0, 100 - b_cut), 50)}
    classes = []
    for cls in ("A", "B", "C"):
        members = [r for r in rows if r["abc"] == cls]
        value = sum(r["value"] for r in members if r["value"] > 0)
        classes.append({
            "class": cls, "accounts": len(members),
            "accounts_pct": round(100.0 * len(members) / len(rows), 1) if rows else 0.0,
            "profit": round(sum(r["profit"] for r in members if r["profit"] > 0), 2),
            "value": round(value, 2), "profit_pct": round(100.0 * value / total, 1) if total > 0 else 0.0,
            "target_profit_pct": target[cls][0], "document_accounts_pct": target[cls][1],
        })
    matrix = {k: sum(1 for r in rows if r["e_class"] == k) for k in STRATEGIES}
    flagged = [r["id"] for r in rows if r["missing_profit"]] if basis == "profit" else []
    return {"from": since, "to": now, "period_days": period, "stability_unit": unit, "basis": basis,
            "total_profit": round(sum(r["profit"] for r in rows if r["profit"] > 0), 2), "total_value": round(total, 2),
            "orders_without_profit": no_profit, "accounts_missing_profit": flagged,
            "classes": classes, "matrix": matrix, "accounts": rows}


def accounts_report(book) -> dict:
    """:func:`classify` over every machinery account of ``book`` at its
    clock (``leadcycle accounts`` and the HTML report)."""
    from leadcycle.corrections import effective_events

    book.refresh()
    owners = {r["id"]: r["owner"] for r in book.store.query_leads(industry="machinery")}
    as_then = book.as_of_clock("machinery")  # a read into the past names the client as then
    accs = []
    for batch in book.store.iter_lead_batches(industry="machinery"):
        for lead, events in batch:
            if lead.created_at > book.now:
                continue
            # what had happened by the clock: an order voided later still counts then
            seen = book.seen(events)
            accs.append({"id": lead.id, "name": (as_then(lead.id, events) or lead).name, "owner": owners.get(lead.id),
                         "orders": [e for e in effective_events(seen) if e.kind == "order"]})
    return classify(accs, book.now, book.settings)
