"""Synthetic sales-office weeks for ``leadcycle demo``.

Every lead gets a plan (registration, ratings of the table's dimensions, the
deal attributes, returns, buying signals that fit its profile, follow-ups,
sometimes a deposit and a contract); the plans of all leads are merged and
played in time order, with the weekly review every Monday morning and the
manager approving the first C → D it proposes. The project's launch is set a
month after the start, so ``leadcycle phase`` has something to say.
"""

from __future__ import annotations

import datetime as dt

from leadcycle import synthetic

from . import review as review_mod
from . import table

NEEDS = ("两房 80–100㎡", "三房 100–120㎡", "四房 140㎡", "复式", "临街商铺")
UNIT_TYPES = {"两房 80–100㎡": "two_rooms", "三房 100–120㎡": "three_rooms", "四房 140㎡": "four_rooms",
              "复式": "duplex", "临街商铺": "shop"}
AGENTS = ("李娜", "王强", "赵敏")
FOLLOW_UP_TOPICS = ("电话回访：介绍新推房源", "约周末带家人看房", "告知开盘时间与优惠", "解答按揭问题", "询问对比楼盘的看法")
OCCUPATIONS = ("个体", "企业职员", "公务员", "教师", "医生", "私营业主")
#: which buying signals a profile shows, strongest last
SIGNALS = {"A": ("deep_question", "payment_discussion", "unit_shortlist", "bargaining"),
           "B": ("general_question", "deep_question", "after_sales_question"),
           "C": ("general_question",), "D": ()}


def populate(book, rng, start: dt.datetime, days: int, count: int = 200) -> None:
    end = start + dt.timedelta(days=days)
    book.set_setting("realestate.launch_date", (start + dt.timedelta(days=30)).date().isoformat())
    book.set_setting("realestate.total_units", 400)
    plan: list[tuple[dt.datetime, int, tuple]] = []

    def at(t, action):
        if t < end:
            plan.append((t, len(plan), action))

    for i in range(count):
        t = start + dt.timedelta(days=rng.randrange(max(1, days - 7)), hours=rng.randrange(9, 18))
        agent = rng.choice(AGENTS)
        profile = rng.choices("ABCD", weights=(2, 4, 3, 2))[0]
        need = rng.choice(NEEDS)
        ratings = {}
        for name in table.DIMENSION_NAMES:
            if name == "contact":
                continue  # derived from the returns below
            level = "ABCD".index(profile) + rng.choice((0, 0, 0, 0, 1, -1))
            if rng.random() < 0.15 and name == "mortgage":
                continue  # the auxiliary column is not always rated; the grade needs the rest
            ratings[name] = "ABCD"[min(3, max(0, level))]
        deal = {"unit_type": UNIT_TYPES[need], "building": rng.choice("ABCDE"),
                "age": rng.randint(22, 66), "occupation": rng.choice(OCCUPATIONS)}
        if rng.random() < 0.05:
            deal["company_purchase"] = True
        at(t, ("add", i, dict(name=synthetic.chinese_name(rng), gender=synthetic.gender(rng),
                              phone=synthetic.mobile(rng), need=need, agent=agent,
                              channel=rng.choices(("visit", "call"), weights=(5, 1))[0])))
        t += dt.timedelta(hours=1)
        at(t, ("set", i, {**ratings, **deal}, agent))
        # returns, signals and follow-ups; hot leads come back sooner
        gap = {"A": 2, "B": 4, "C": 7, "D": 15}[profile]
        signals = list(SIGNALS[profile])
        while True:
            t += dt.timedelta(days=rng.randint(1, gap * 2), hours=rng.randint(0, 3))
            if t >= end:
                break
            kind = rng.choices(("follow_up", "visit", "call"), weights=(5, 2, 1))[0]
            if kind == "follow_up":
                data, note = synthetic.follow_up(rng, FOLLOW_UP_TOPICS, warm=profile in "AB")
            else:
                data, note = {}, rng.choice(("价格咨询", "带家人看房", "比较竞品", "询问按揭", None))
            at(t, ("log", i, kind, agent, data, note))
            if signals and kind != "follow_up" and rng.random() < 0.6:
                sig = signals.pop(0)
                data = {"units": f"{rng.choice('ABCDE')}-{rng.randint(1, 30)}0{rng.randint(1, 4)},"
                                 f"{rng.choice('ABCDE')}-{rng.randint(1, 30)}0{rng.randint(1, 4)}"} \
                    if sig == "unit_shortlist" else {}
                at(t + dt.timedelta(minutes=20), ("log", i, sig, agent, data, None))
            if profile == "A" and not signals and rng.random() < 0.35:
                at(t + dt.timedelta(hours=1), ("log", i, "deposit", agent, {"amount": 50000}, None))
                if rng.random() < 0.7:
                    units = rng.choices((1, 2), weights=(9, 1))[0]
                    at(t + dt.timedelta(hours=2), ("log", i, "contract", agent, {
                        "amount": rng.randrange(900, 3000) * 1000 * units, "units": units}, None))
                break
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7 or 7)
    monday = monday.replace(hour=8, minute=30)
    while monday < end:
        at(monday, ("review",))
        monday += dt.timedelta(days=7)

    ids: dict[int, int] = {}
    for t, _, action in sorted(plan, key=lambda p: (p[0], p[1])):
        with book.at(t):
            if action[0] == "add":
                ids[action[1]] = book.add_lead("realestate", **action[2]).lead.id
            elif action[0] == "set":
                book.set(ids[action[1]], action[2], agent=action[3])
            elif action[0] == "log":
                _, i, kind, agent, data, note = action
                book.log(ids[i], kind, agent=agent, data=data, note=note)
            else:
                changes = review_mod.review(book, True)
                pending = [c for c in changes if c.get("rule") == "c_faded_needs_approval"]
                if pending:
                    review_mod.approve(book, pending[0]["lead_id"], "陈经理", "跟进记录已审阅")
