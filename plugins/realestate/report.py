"""Deal analysis (成交客户分析报告, DOMAIN §2, seed 000).

Closed deals (``contract`` events of real-estate leads) and their share by
unit type, age band (19–30, 31–40, 41–50, 50+ as in the report; "under 19"
and "unknown" when it applies), occupation or building. Attributes come from
the lead (``unit_type``, ``building``, ``occupation``, ``age`` or
``birth_date``: the age at the contract); company purchases
(``company_purchase``) are counted and flagged as the report does.
"""

from __future__ import annotations

import datetime as dt

from leadcycle import Choice, Field, Label

BY = ("unit_type", "age_band", "occupation", "building")

UNIT_TYPES = (
    Choice("one_room", Label("one room", "一房")),
    Choice("two_rooms", Label("two rooms", "两房")),
    Choice("three_rooms", Label("three rooms", "三房")),
    Choice("four_rooms", Label("four rooms or more", "四房及以上")),
    Choice("duplex", Label("duplex", "复式")),
    Choice("villa", Label("villa", "别墅")),
    Choice("shop", Label("shop", "商铺")),
    Choice("other", Label("other", "其他")),
)

AGE_BANDS = (
    ("under_19", None, 18, Label("under 19", "19岁以下")),
    ("19-30", 19, 30, Label("19–30", "19–30岁")),
    ("31-40", 31, 40, Label("31–40", "31–40岁")),
    ("41-50", 41, 50, Label("41–50", "41–50岁")),
    ("50+", 51, None, Label("50+", "50岁以上")),
)
UNKNOWN = Label("unknown", "未记录")


def fields() -> tuple[Field, ...]:
    help_ = Label("deal analysis (DOMAIN §2)", "成交客户分析（§2）")
    return (
        Field("unit_type", "choice", Label("unit type", "户型"), choices=UNIT_TYPES, help=help_),
        Field("area", "float", Label("area (m²)", "面积（㎡）"), minimum=0, help=help_),
        Field("building", "str", Label("building", "栋号"), help=help_),
        Field("occupation", "str", Label("occupation", "职业"), help=help_),
        Field("age", "int", Label("age", "年龄"), minimum=0, maximum=120, help=help_),
        # birth_date is the core's profile field (leadcycle.profile), read by age_at
        Field("company_purchase", "bool", Label("bought in a company's name", "单位名义购房"), help=help_),
    )


def age_at(attributes: dict, when: dt.datetime) -> int | None:
    born = attributes.get("birth_date")
    if born:
        b = dt.date.fromisoformat(str(born)[:10])
        d = when.date()
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    age = attributes.get("age")
    return None if age in (None, "") else int(age)


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for key, low, high, _ in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return key
    return None  # pragma: no cover


def _label(by: str, value) -> Label:
    if value in (None, ""):
        return UNKNOWN
    if by == "unit_type":
        for c in UNIT_TYPES:
            if c.value == value:
                return c.label
    if by == "age_band":
        for key, _, _, label in AGE_BANDS:
            if key == value:
                return label
    return Label(str(value), str(value))


def deals(book, by: str) -> dict:
    rows = book.store.kind_events("contract", "realestate", book.now)
    groups: dict = {}
    for e in rows:
        attrs_ = e["attributes"]
        value = age_band(age_at(attrs_, e["at"])) if by == "age_band" else attrs_.get(by)
        g = groups.setdefault(value, {"deals": 0, "units": 0, "amount": 0.0, "company": 0})
        g["deals"] += 1
        g["units"] += int(e["data"].get("units") or 1)
        g["amount"] += float(e["data"].get("amount") or 0)
        g["company"] += 1 if attrs_.get("company_purchase") else 0
    total = sum(g["deals"] for g in groups.values())
    order = {k: i for i, (k, *_rest) in enumerate(AGE_BANDS)} if by == "age_band" else {
        c.value: i for i, c in enumerate(UNIT_TYPES)} if by == "unit_type" else {}
    keys = sorted(groups, key=lambda k: (k is None, order.get(k, 99), -groups[k]["deals"], str(k)))
    return {
        "by": by, "deals": total, "units": sum(g["units"] for g in groups.values()),
        "company_purchases": sum(g["company"] for g in groups.values()),
        "groups": [{"value": k, "label": _label(by, k).to_json(), **groups[k],
                    "share_percent": round(100.0 * groups[k]["deals"] / total, 1) if total else 0.0}
                   for k in keys],
    }
