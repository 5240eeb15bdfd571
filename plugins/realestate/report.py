"""Deal analysis (成交客户分析报告, DOMAIN §2, seed 000).

Closed deals (``contract`` events of real-estate leads) and their share by
unit type, age band (19–30, 31–40, 41–50, 50+ as in the report; "under 19"
and "unknown" when it applies), area band (the report's 80–100 m² two-room
band and 1x–134 m² three-room band: under 80, 80–100, over 100 up to 134,
over 134), occupation, building, or building × unit type (the report's "B栋
两房", "C栋三房"). Attributes come from the lead (``unit_type``, ``area``,
``building``, ``occupation``, ``age`` or ``birth_date``: the age at the
contract).

A company purchase (``company_purchase``, 单位名义购房) is counted and flagged
as the report does; a company has no age, so by age band it is its own
group and never counted in a band (the report: "注：3批是单位名义购房", kept
out of the age table).
"""

from __future__ import annotations

import datetime as dt

from leadcycle import Choice, Field, Label

BY = ("unit_type", "age_band", "area_band", "occupation", "building", "building_unit_type")

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
COMPANY = Label("company purchase", "单位名义购房")

#: (key, above, up to and including, label): 80 and 100 m² are in 80–100
AREA_BANDS = (
    ("under_80", None, 80, Label("under 80 m²", "80㎡以下")),
    ("80-100", 80, 100, Label("80–100 m²", "80–100㎡")),
    ("100-134", 100, 134, Label("over 100 up to 134 m²", "100–134㎡")),
    ("over_134", 134, None, Label("over 134 m²", "134㎡以上")),
)


def area_band(area) -> str | None:
    if area in (None, ""):
        return None
    a = float(area)
    for key, _, high, _ in AREA_BANDS:
        if high is None or (a < high if key == "under_80" else a <= high):
            return key
    return None  # pragma: no cover


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


def _unit_label(value) -> Label:
    for c in UNIT_TYPES:
        if c.value == value:
            return c.label
    return UNKNOWN if value in (None, "") else Label(str(value), str(value))


def _label(by: str, value) -> Label:
    if value in (None, ""):
        return UNKNOWN
    if value == "company" and by == "age_band":
        return COMPANY
    if by == "unit_type":
        return _unit_label(value)
    if by == "building_unit_type":
        building, unit = value
        b = building or UNKNOWN.en
        u = _unit_label(unit)
        return Label(f"building {b}, {u.en}", f"{building or UNKNOWN.zh}栋 {u.zh}")
    for key, _, _, label in AGE_BANDS if by == "age_band" else AREA_BANDS if by == "area_band" else ():
        if key == value:
            return label
    return Label(str(value), str(value))


def _value(by: str, attrs_: dict, at: dt.datetime):
    """The group of one deal."""
    if by == "age_band":
        if attrs_.get("company_purchase"):
            return "company"
        return age_band(age_at(attrs_, at))
    if by == "area_band":
        return area_band(attrs_.get("area"))
    if by == "building_unit_type":
        building, unit = attrs_.get("building") or None, attrs_.get("unit_type") or None
        return None if building is None and unit is None else (building, unit)
    return attrs_.get(by)


def _order(by: str) -> dict:
    if by == "age_band":
        return {k: i for i, (k, *_rest) in enumerate(AGE_BANDS)} | {"company": len(AGE_BANDS)}
    if by == "area_band":
        return {k: i for i, (k, *_rest) in enumerate(AREA_BANDS)}
    if by == "unit_type":
        return {c.value: i for i, c in enumerate(UNIT_TYPES)}
    return {}


def deals(book, by: str) -> dict:
    rows = book.store.kind_events("contract", "realestate", book.now)
    groups: dict = {}
    for e in rows:
        attrs_ = e["attributes"]
        value = _value(by, attrs_, e["at"])
        g = groups.setdefault(value, {"deals": 0, "units": 0, "amount": 0.0, "company": 0})
        g["deals"] += 1
        g["units"] += int(e["data"].get("units") or 1)
        g["amount"] += float(e["data"].get("amount") or 0)
        g["company"] += 1 if attrs_.get("company_purchase") else 0
    total = sum(g["deals"] for g in groups.values())
    order = _order(by)
    units = {c.value: i for i, c in enumerate(UNIT_TYPES)}

    def key(k):
        if by == "building_unit_type":  # building, then unit type in the report's order
            return (k is None, str(k[0] or "~") if k else "", units.get(k[1], 99) if k else 0)
        return (k is None, order.get(k, 99), -groups[k]["deals"], str(k))

    keys = sorted(groups, key=key)
    return {
        "by": by, "deals": total, "units": sum(g["units"] for g in groups.values()),
        "company_purchases": sum(g["company"] for g in groups.values()),
        "groups": [{"value": list(k) if isinstance(k, tuple) else k, "label": _label(by, k).to_json(), **groups[k],
                    "share_percent": round(100.0 * groups[k]["deals"] / total, 1) if total else 0.0}
                   for k in keys],
    }
