"""Synthetic equipment-dealer months for ``leadcycle demo``: prospects with
JCB intent attributes and site deadlines, accounts with orders, payments
(some late), deliveries and the odd problem, and a weekly account review."""

from __future__ import annotations

import datetime as dt

from leadcycle import synthetic

NEEDS = ("挖掘机 20吨级", "挖掘机 35吨级", "装载机 5吨", "压路机", "起重机 25吨", "挖掘装载机")
MODELS = ("JS205", "JS370", "3CX", "457ZX", "VM115")
COMPANIES = ("路桥工程", "建设集团", "土石方公司", "重工", "机械改装厂", "配件商行", "矿业公司")
AGENTS = ("李娜", "王强", "赵敏")


def populate(book, rng, start: dt.datetime, days: int, review_accounts, count: int = 60) -> None:
    """``count`` leads over ``days`` from ``start``, then the weekly account
    review (``review_accounts(book, apply)``, handed in by the plugin, whose
    package imports this module)."""
    end = start + dt.timedelta(days=days)
    for _ in range(count):
        t = start + dt.timedelta(days=rng.randrange(max(1, days // 3)), hours=rng.randrange(9, 17))
        agent = rng.choice(AGENTS)
        kind = rng.choices(("oem", "modifier", "parts_dealer", "contractor"), weights=(2, 2, 2, 4))[0]
        profile = rng.choices("ABCD", weights=(2, 3, 3, 2))[0]
        attrs = {"account_type": kind, "asked_price": profile in "ABC",
                 "brand_view": {"A": "accepts", "B": "relatively", "C": "undecided", "D": "rejects"}[profile]}
        if profile in "AB":
            attrs.update(has_site=True, funds_ready=True, model=rng.choice(MODELS),
                         purchase_date=(t + dt.timedelta(days=rng.randint(10, 60))).date().isoformat(),
                         site_deadline=(t + dt.timedelta(days=rng.randint(20, 100))).date().isoformat())
        if profile == "A":
            attrs.update(bargaining=True, commercial_terms=True)
        for name in ("purchase_volume", "profit_level", "purchase_frequency", "cooperation", "growth_potential"):
            if rng.random() < 0.6:
                attrs[name] = rng.randint(1, 5)
        if rng.random() < 0.5:
            attrs["long_term_intent"] = True
        with book.at(t):
            added = book.add_lead("machinery", name=synthetic.chinese_name(rng) + rng.choice(COMPANIES),
                                  gender=synthetic.gender(rng), phone=synthetic.mobile(rng),
                                  need=rng.choice(NEEDS), agent=agent, attributes=attrs)
        lead_id = added.lead.id
        big = kind == "oem" and rng.random() < 0.5
        while True:
            t += dt.timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 4))
            if t >= end:
                break
            with book.at(t):
                roll = rng.random()
                if roll < 0.5:
                    purpose = rng.choice(("报价", "现场看机", "商务条件", "回款跟进", "交机安排"))
                    reaction, note = synthetic.follow_up(rng, (f"{purpose}：已与客户沟通",), warm=profile in "AB")
                    book.log(lead_id, "follow_up", agent=agent, note=note,
                             data={"channel": "visit" if profile == "A" else rng.choice(("phone", "visit")),
                                   "purpose": purpose, **reaction})
                elif roll < 0.75 and profile in "AB" and t + dt.timedelta(days=3) < end:
                    units = rng.randint(1, 6 if big else 2)
                    amount = units * rng.randint(600, 2400) * 1000
                    book.log(lead_id, "order", agent=agent,
                             data={"amount": amount, "units": units, "model": rng.choice(MODELS),
                                   "profit": round(amount * rng.uniform(0.05, 0.18), -2)})
                    with book.at(t + dt.timedelta(days=1)):
                        book.log(lead_id, "delivery", agent=agent, data={"units": units})
                    late = rng.random() < 0.15
                    with book.at(t + dt.timedelta(days=2)):
                        book.log(lead_id, "payment", agent=agent,
                                 data={"amount": amount, **({"days_late": rng.randint(5, 40)} if late
                                                            else {"on_time": True})})
                    t += dt.timedelta(days=2)
                elif roll < 0.8 and book.record(lead_id).state.extra.get("x_transactions", {}).get("orders"):
                    book.log(lead_id, "problem", agent=agent,
                             data={"type": rng.choice(("contract_execution", "late_payment", "crisis"))})
    # the account review at the end of the simulation writes the levels
    with book.at(end):
        review_accounts(book, True)
