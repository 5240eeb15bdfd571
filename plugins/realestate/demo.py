"""Synthetic sales-office weeks for ``leadcycle demo``."""

from __future__ import annotations

import datetime as dt

from leadcycle import synthetic

from . import points

NEEDS = ("两房 80–100㎡", "三房 100–120㎡", "四房 140㎡", "复式", "临街商铺")
AGENTS = ("李娜", "王强", "赵敏")


def populate(book, rng, start: dt.datetime, days: int, count: int = 200) -> None:
    criteria = [name for name, _, _ in points.CRITERIA]
    for _ in range(count):
        t = start + dt.timedelta(days=rng.randrange(max(1, days - 7)), hours=rng.randrange(9, 18))
        agent = rng.choice(AGENTS)
        profile = rng.choices("ABCD", weights=(2, 4, 3, 2))[0]
        with book.at(t):
            added = book.add_lead("realestate", name=synthetic.chinese_name(rng),
                                  gender=synthetic.gender(rng), phone=synthetic.mobile(rng),
                                  need=rng.choice(NEEDS), agent=agent,
                                  channel=rng.choices(("visit", "call"), weights=(5, 1))[0])
        lead_id = added.lead.id
        t += dt.timedelta(hours=2)
        with book.at(t):
            ratings = {}
            for name in criteria:
                # mostly the profile's level, sometimes one better or worse
                level = "ABCD".index(profile) + rng.choice((0, 0, 0, 1, -1))
                ratings[name] = "ABCD"[min(3, max(0, level))]
            book.set(lead_id, ratings, agent=agent)
        # follow-ups and returns over the following weeks; hot leads come back sooner
        gap = {"A": 2, "B": 4, "C": 7, "D": 15}[profile]
        while True:
            t += dt.timedelta(days=rng.randint(1, gap * 2), hours=rng.randint(0, 3))
            if t >= start + dt.timedelta(days=days):
                break
            kind = rng.choices(("follow_up", "visit", "call"), weights=(5, 2, 1))[0]
            with book.at(t):
                book.log(lead_id, kind, agent=agent if kind != "call" else None,
                         note=rng.choice(("价格咨询", "带家人看房", "比较竞品", "询问按揭", None)))
            if profile == "A" and rng.random() < 0.25:
                with book.at(t + dt.timedelta(hours=1)):
                    book.log(lead_id, "deposit", agent=agent, data={"amount": 50000})
                    if rng.random() < 0.6:
                        book.log(lead_id, "contract", agent=agent,
                                 data={"amount": rng.randrange(900, 3000) * 1000, "units": 1})
                break
