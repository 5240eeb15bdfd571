"""Purchase intent of an equipment buyer: the JCB table (DOMAIN §5, seed 001).

A "urgent & important" and B "not urgent, important" are the document's, each
criterion a lead attribute. The document stops at B; **C and D are ours**:

* C — a prospect: has asked for a price (a client who bargains has), or has
  a clear reason to buy (a construction site), and does not reject our
  brand — so an A or B lead whose site deadline moves past 30 or 90 days
  falls one step, never off a cliff to D;
* D — everything else: no price asked, no site, or rejects our brand.

A client who bargains has asked the price: ``bargaining=yes`` counts for
B's and C's "asked the price", and ``bargaining=yes asked_price=no`` is
refused as a contradiction.

``site_deadline`` (the date the equipment must be on site) is a date
attribute; the core derives ``days_until_site_deadline`` from it and the
clock, so the grade moves as the date approaches: on site within 30 days (a
setting) is A's condition, within 90 days B's. A deadline that has passed
keeps the grade it gave (the equipment is needed all the more) and raises a
due item asking the owner for the new date (``x_site``).
"""

from __future__ import annotations

import datetime as dt

from leadcycle import PLAN_MIN, Choice, Cond, Derived, Expiring, Field, GradeRule, Label, count_en

BRAND_VIEWS = (
    Choice("accepts", Label("accepts our brand", "认可品牌")),
    Choice("relatively", Label("compares brands, relatively accepts ours", "与其他品牌比较，相对认可")),
    Choice("undecided", Label("no view yet", "尚未表态")),
    Choice("rejects", Label("rejects our brand", "不认可品牌")),
)

FIELDS = (
    Field("bargaining", "bool", Label("bargaining", "讨价还价"),
          help=Label("A: the client bargains over the price.", "A类：有讨价还价。")),
    Field("brand_view", "choice", Label("view of our brand", "品牌认可"), choices=BRAND_VIEWS),
    Field("commercial_terms", "bool", Label("preliminary commercial terms agreed", "初步确定商务条件")),
    Field("asked_price", "bool", Label("asked the price", "询问价格")),
    Field("has_site", "bool", Label("has a construction site, stable works", "有工地，工程情况稳定"),
          help=Label("B: a clear reason to buy.", "B类：购买原因明确。")),
    Field("funds_ready", "bool", Label("enough funds", "有足够购买资金")),
    Field("purchase_date", "date", Label("planned purchase date", "明确购机时间"), minimum=PLAN_MIN),
    Field("model", "str", Label("model wanted", "意向机型")),
    Field("site_deadline", "date", Label("equipment needed on site by", "设备进场期限"), minimum=PLAN_MIN,
          help=Label("A: on site within 30 days; B: within 90 days (settings).",
                     "A类：30天内需进场；B类：三个月（90天）内需进场（可设置）。")),
)

INTENT_FIELDS = tuple(f.name for f in FIELDS)


def _x_site(view):
    """The site deadline: days left, or passed — then ``passed`` flags a
    due item asking for the new date."""
    raw = view.attributes.get("site_deadline")
    if not raw:
        return None
    deadline = dt.date.fromisoformat(str(raw)[:10])
    left = (deadline - view.now.date()).days
    if left >= 0:
        out = {"deadline": deadline.isoformat(), "days_left": left, "passed": False,
               "summary": Label(f"equipment needed on site by {deadline} ({count_en(left, 'day')} left)",
                                f"设备须于{deadline}前进场（剩{left}天）").to_json()}
        return Expiring(out, dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time()))
    return {"deadline": deadline.isoformat(), "days_late": -left, "passed": True,
            "summary": site_passed(view.lead.id, deadline, view.now.date()).to_json()}


def site_passed(lead_id: int, deadline: dt.date, today: dt.date) -> Label:
    """What a passed site deadline asks of the owner, counted to ``today``
    (stored projections keep no text: a due list renders it at its clock)."""
    late = (today - deadline).days
    return Label(f"site deadline {deadline} passed {count_en(late, 'day')} ago: ask the client for the new "
                 f"date (leadcycle lead set {lead_id} site_deadline=…); the grade stands until then",
                 f"进场期限{deadline}已过{late}天：请向客户确认新的进场日期"
                 f"（leadcycle lead set {lead_id} site_deadline=…），在此之前保持原等级")


#: asked the price, or bargains (which asks it): declared as data, so the
#: core can compile it
PRICE_ASKED = Derived("price_asked", Label("asked the price (or bargains)", "已询价（或讨价还价）"),
                      (((Cond("asked_price", "true"),), True), ((Cond("bargaining", "true"),), True)),
                      default=False)

FEATURES = (
    ("x_site", Label("site deadline", "进场期限"), _x_site),
)


def ladder(settings) -> tuple[GradeRule, ...]:
    a_days = settings["machinery.a_site_days"]
    b_days = settings["machinery.b_site_days"]
    not_rejected = Cond("brand_view", "!=", "rejects", ("does not reject our brand", "不排斥品牌"))
    return (
        GradeRule("A", (
            Cond("bargaining", "true", label=("bargaining", "有讨价还价")),
            Cond("brand_view", "==", "accepts", ("accepts our brand", "认可品牌")),
            Cond("commercial_terms", "true", label=("preliminary commercial terms", "初步确定商务条件")),
            Cond("days_until_site_deadline", "<=", a_days,
                 (f"equipment on site within {count_en(a_days, 'day')}", f"{a_days}天内设备需进场")),
        ), Label("urgent & important", "紧急重要客户")),
        GradeRule("B", (
            Cond("price_asked", "true", label=("asked the price", "询问价格")),
            Cond("brand_view", "in", ("accepts", "relatively"),
                 ("compares brands and relatively accepts ours", "与其他品牌比较，相对认可品牌")),
            Cond("has_site", "true", label=("has a construction site with stable works", "有工地，工程情况稳定")),
            Cond("funds_ready", "true", label=("enough funds", "有足够购买资金")),
            Cond("purchase_date", "set", label=("purchase time decided", "明确购机时间")),
            Cond("model", "set", label=("model decided", "明确机型")),
            Cond("days_until_site_deadline", "<=", b_days,
                 (f"equipment on site within {count_en(b_days, 'day')}", f"{b_days}天内设备需进场")),
        ), Label("not urgent, important", "非紧急重要客户")),
        GradeRule("C", (Cond("price_asked", "true", label=("asked the price", "询问价格")), not_rejected),
                  Label("prospect: asked the price (our definition)", "潜在客户：已询价（本系统定义）")),
        GradeRule("C", (Cond("has_site", "true", label=("a clear reason to buy (a site)", "购买原因明确（有工地）")),
                        not_rejected),
                  Label("prospect: a clear reason to buy (our definition)", "潜在客户：购买原因明确（本系统定义）")),
    )
