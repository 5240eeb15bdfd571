"""Buying signals and the return cycle (购买行为的辨别, DOMAIN §2, seed 000).

The document ranks what a client asks: general questions (price, area,
discount) < deep questions (property fee, hand-over date, developer, lift and
window brands, exact room areas, included appliances) < after-sales questions
("the third buying signal") < discussing the payment method and the mortgage
("the higher the attention, the higher the intent"). Narrowing the choice to
two or three units and bargaining are signals too. Each is an event kind an
agent logs; each raises the intent score once (a :class:`Criterion` over the
core's ``n_<kind>`` count) and appears in the reasons. The order of the
points follows the document; the points themselves are ours (settings).

Return cycle: a client returning within 3 days is hottest, most intent
clients return in about a week, and one who has not returned within a month
has sharply lower intent. An :class:`Adjustment` over
``days_since_last_return`` (the last visit or call *by the client*; the
agent's own follow-ups do not count) takes points off by band.
"""

from __future__ import annotations

import attrs

from leadcycle import Adjustment, Cond, Criterion, EventKind, Feature, Field, Label, Tally, count_en

#: client actions that show the client is coming back (the registration too)
RETURN_KINDS = frozenset({"visit", "call", "register"})


@attrs.frozen
class Signal:
    name: str
    label: Label
    points: int
    help: Label
    fields: tuple = ()


SIGNALS = (
    Signal("general_question", Label("general question (price, area, discount)", "一般提问（价格、面积、折扣）"), 2,
           Label("Asked about price, area or discounts.", "询问价格、面积、是否有折扣。")),
    Signal("deep_question", Label("deep question (fees, hand-over, developer, brands, room areas)",
                                  "深入提问（物业费、交房时间、开发商、品牌、房间面积）"), 4,
           Label("Asked about the property fee, hand-over date, developer, lift/window brands, "
                 "exact room areas or included appliances.",
                 "询问物业管理费、交房时间、开发商、电梯门窗品牌、具体房间面积、是否含家电等细节。")),
    Signal("after_sales_question", Label("after-sales question", "询问售后服务"), 6,
           Label("Asked about after-sales service: the third buying signal.", "询问售后服务细节：第三次购买信号。")),
    Signal("payment_discussion", Label("discussed payment method and mortgage", "谈付款方式与按揭贷款"), 8,
           Label("Discussed the payment method, the mortgage or the signing schedule: the highest intent.",
                 "谈付款方式、银行按揭、签约与付款时间：意向度最高。")),
    Signal("unit_shortlist", Label("narrowed to 2–3 units", "房源锁定在2–3套"), 6,
           Label("Narrowed the choice to two or three units (give them: --set units=3-1201,3-1502).",
                 "将选择范围缩小到两三套房源（--set units=3-1201,3-1502）。"),
           (Field("units", "str", Label("units shortlisted", "意向房源"), required=True),)),
    Signal("bargaining", Label("bargaining", "讨价还价"), 6,
           Label("Bargained over the price.", "讨价还价。")),
)

SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
MAX_SHORTLIST = 3


def event_kinds() -> tuple[EventKind, ...]:
    return tuple(EventKind(s.name, s.label, fields=s.fields, help=s.help) for s in SIGNALS)


def criteria(settings) -> tuple[Criterion, ...]:
    return tuple(
        Criterion(f"signal_{s.name}", Label(f"buying signal: {s.label.en}", f"购买信号：{s.label.zh}"),
                  settings[f"realestate.signal_{s.name}"], Cond(f"n_{s.name}", ">=", 1))
        for s in SIGNALS)


def _days(first: int, last: int) -> tuple[str, str]:
    """A band of day counts in English and Chinese: ``4–7 days``, ``4
    days`` when it is one day, and said empty when settings leave it none
    (``decay_normal_days`` equal to ``decay_hot_days``)."""
    if first < last:
        return f"{first}–{last} days", f"{first}–{last}天"
    if first == last:
        return count_en(first, "day"), f"{first}天"
    return f"{first}–{last} days (no day: an empty band)", f"{first}–{last}天（空档：不含任何一天）"


def decay(settings) -> tuple[Adjustment, ...]:
    """One adjustment per band, so that each reason's text is stable while
    the lead stays in its band (a stored projection must equal a replayed
    one); the exact day count is in the ``x_return_cycle`` summary."""
    g = lambda k: settings[f"realestate.{k}"]  # noqa: E731
    hot, normal, cold = g("decay_hot_days"), g("decay_normal_days"), g("decay_cold_days")
    feature = "days_since_last_return"
    (normal_en, normal_zh), (watching_en, watching_zh) = _days(hot + 1, normal), _days(normal + 1, cold)
    return (
        Adjustment("return_hot", Label(f"came back within {count_en(hot, 'day')} (hottest): {{points}}",
                                       f"{hot}天内回笼（热度最高）：{{points}}"),
                   feature, ((hot, g("decay_hot_points")),), beyond=0),
        Adjustment("return_normal", Label(f"no return for {normal_en}: {{points}}",
                                          f"{normal_zh}未回访/来电：{{points}}"),
                   feature, ((hot, 0), (normal, g("decay_normal_points"))), beyond=0),
        Adjustment("return_watching", Label(f"no return for {watching_en} (watching, comparing): {{points}}",
                                            f"{watching_zh}未回访/来电（观望比较）：{{points}}"),
                   feature, ((normal, 0), (cold, g("decay_watching_points"))), beyond=0),
        Adjustment("return_cold", Label(f"no return for more than {count_en(cold, 'day')} (intent sharply lower): {{points}}",
                                        f"超过{cold}天未回访/来电（意向大减）：{{points}}"),
                   feature, ((cold, 0),), beyond=g("decay_cold_points")),
    )


def _strongest(view):
    """The logged signal worth the most points (the document's order)."""
    seen = [(view.settings[f"realestate.signal_{s.name}"], i, s)
            for i, s in enumerate(SIGNALS) if view.facts.get(f"n_{s.name}")]
    if not seen:
        return {}
    sig = max(seen, key=lambda t: (t[0], t[1]))[2]
    return {"signal": sig.name, "summary": {"en": f"strongest buying signal: {sig.label.en}",
                                            "zh": f"最强购买信号：{sig.label.zh}"}}


def _return_summary(view):
    at, days = view.facts.get("last_return_at"), view.facts.get("days_since_last_return")
    if at is None:
        return {}
    return {"days": days, "at": at.isoformat(timespec="minutes"),
            "summary": {"en": f"client last came or called {days} day{'' if days == 1 else 's'} ago ({at.date()})",
                        "zh": f"客户最后一次来访或来电：{days}天前（{at.date()}）"}}


#: the client's visits and calls (the registration included): the rules
#: read ``last_return_at`` and ``days_since_last_return`` from it
RETURN = Tally("return", tuple(sorted(RETURN_KINDS)))


def features() -> tuple[Feature, ...]:
    return (
        Feature("x_strongest_signal", Label("strongest buying signal", "最强购买信号"), _strongest),
        Feature("x_return_cycle", Label("return cycle", "回笼周期"), _return_summary),
    )
