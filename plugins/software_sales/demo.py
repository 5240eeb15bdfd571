"""Synthetic software-sales weeks for ``leadcycle demo``: accounts
registered by phone or visit, signals, five haves, follow-ups and — on the
project ladder — stages advanced when their information is recorded."""

from __future__ import annotations

import datetime as dt

from leadcycle import LeadcycleError, synthetic

from . import model
from .rules import NAME

NEEDS = ("培训管理系统", "在线学习平台", "考试系统", "人事管理软件", "财务记账SaaS")
COMPANY_HEAD = ("华信", "中联", "东方", "长城", "新航", "金桥", "蓝海", "正泰", "博远", "天成")
COMPANY_TAIL = ("电力", "电信", "银行", "连锁", "大学", "制造", "科技", "集团")
SECTOR_BY_TAIL = {"电力": "power", "电信": "telecom", "银行": "finance", "连锁": "retail_chain",
                  "大学": "university", "制造": "manufacturing", "科技": "it", "集团": "business_services"}
AGENTS = ("李娜", "王强", "赵敏")
STAGES = ("opportunity", "intent", "approval", "acceptance", "commercial", "won")


def _step_info(stage: str, rng) -> tuple[dict, list[str]]:
    """Attributes and event kinds that make ``stage`` enterable."""
    if stage == "opportunity":
        return {"employees": rng.choice((80, 300, 1200, 5000)), "it_landscape": rng.choice(("SAP、自建OA", "用友U8", "无系统")),
                "competitors": rng.choice(("用友", "金蝶", "用友、金蝶", "无")), "requirements": "培训与考试管理",
                "budget": rng.choice((20, 50, 120)), "project_team": "IT部经理、培训主管"}, []
    if stage == "intent":
        return {"product_fit": True, "has_need": "yes", "decision_maker": "yes"}, []
    if stage == "approval":
        return {"project_approved": True, "has_budget": "yes"}, []
    if stage == "acceptance":
        return {"solution_accepted": True}, ["demo"]
    if stage == "commercial":
        return {}, ["quote"]
    return {}, ["contract"]


def populate(book, rng, start: dt.datetime, days: int, count: int = 60) -> None:
    end = start + dt.timedelta(days=days)
    advanced = book.settings[f"{NAME}.ladder"] == "stages"
    for _ in range(count):
        t = start + dt.timedelta(days=rng.randrange(max(1, days - 7)), hours=rng.randrange(9, 18))
        agent = rng.choice(AGENTS)
        tail = rng.choice(COMPANY_TAIL)
        with book.at(t):
            added = book.add_lead(
                NAME, name=synthetic.chinese_name(rng), gender=synthetic.gender(rng),
                phone=synthetic.mobile(rng), need=rng.choice(NEEDS), agent=agent,
                channel=rng.choices(("call", "visit"), weights=(3, 1))[0],
                attributes={"company": rng.choice(COMPANY_HEAD) + tail, "sector": SECTOR_BY_TAIL[tail],
                            "contact_role": rng.choice(("decision_maker", "legal_representative", "user", "advisor"))})
        lead_id = added.lead.id
        heat = rng.random()  # how far this account will go
        target = int(heat * len(STAGES) * 1.2)
        reached = 0
        while True:
            t += dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 3))
            if t >= end:
                break
            with book.at(t):
                reaction, note = synthetic.follow_up(rng, ("介绍产品", "确认需求", "跟进报价"), warm=heat > 0.3)
                book.log(lead_id, "follow_up", agent=agent, note=note,
                         data={"channel": rng.choice(("phone", "visit", "message")), **reaction})
                for kind in rng.sample(model.SIGNAL_KINDS, k=rng.randint(0, 2 + int(heat * 3))):
                    book.log(lead_id, kind, agent=agent)
                haves = {name: rng.choices(("yes", "unknown", "no"), weights=(1 + 4 * heat, 2, 1))[0]
                         for name, _, _ in model.HAVES if rng.random() < 0.4}
                if haves:
                    book.set(lead_id, haves, agent=agent)
                if advanced and reached < min(target, len(STAGES)):
                    stage = STAGES[reached]
                    changes, kinds = _step_info(stage, rng)
                    if changes:
                        book.set(lead_id, changes, agent=agent)
                    for kind in kinds:
                        book.log(lead_id, kind, agent=agent)
                    try:
                        book.advance(lead_id, stage, agent=agent)
                        reached += 1
                    except LeadcycleError:
                        pass  # e.g. the sector is not in the target group: it stays where it is
                if reached == len(STAGES):
                    break
            if heat < 0.15 and rng.random() < 0.3:
                with book.at(t + dt.timedelta(hours=1)):
                    book.set(lead_id, {"lost_reason": rng.choice(("选了竞品", "预算取消", "暂不考虑"))}, agent=agent)
                    if advanced:
                        book.advance(lead_id, "lost", agent=agent)
                break
