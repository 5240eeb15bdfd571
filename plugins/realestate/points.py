"""The 100-point intent scorecard (客户意向程度判断指标, DOMAIN §2a, seed 000).

The document sets the grade bands — A ≥ 90, B ≥ 70, C 60–70, D < 60 — and
describes, criterion by criterion, what an A, B, C and D client looks like,
but prints no points per criterion. The points below are ours, chosen so
that a client matching the document's A description on every criterion
scores 100, its B description 78, its C description 62 and its D
description 20: each profile lands inside its own band. Every criterion is
a lead attribute rated A–D from the document's own descriptions.
"""

from __future__ import annotations

from leadcycle import Choice, Field, Label, Rating

# (attribute, labels, {level: (points, en, zh)})
CRITERIA = (
    ("buying_power", ("buying power & down payment", "购买力与首付能力"), {
        "A": (20, "can pay the down payment now, high income", "有购买力和即时首付能力"),
        "B": (15, "can raise the down payment", "通过筹措有首付能力"),
        "C": (13, "some buying power", "有一定购买力"),
        "D": (4, "weak buying power, not the target class", "购买力不强，非楼盘阶层客户"),
    }),
    ("region_view", ("view of the region", "区域认同"), {
        "A": (15, "no resistance, confident in the area", "对区域无大抗性，对区域未来有信心"),
        "B": (12, "no big resistance", "对区域无大的抗性"),
        "C": (9, "some resistance to the region", "对区域有一定抗性"),
        "D": (3, "resists the region", "对区域有抗性"),
    }),
    ("price_view", ("view of unit and total price", "单价与总价认同"), {
        "A": (15, "no resistance to unit or total price", "对单价和总价均无抗性"),
        "B": (12, "some resistance, comparison dissolves it", "有一定抗性，通过对比可以消化"),
        "C": (9, "resistance and many doubts about buying now", "有一定抗性，对现在购买有很多疑虑"),
        "D": (3, "resists the price", "对价格有抗性"),
    }),
    ("product_view", ("likes the project", "喜欢楼盘"), {
        "A": (10, "values what is unique and scarce here", "关注项目唯一性和稀缺性"),
        "B": (8, "likes some aspects or one key point", "喜欢楼盘的几个方面或者重要一点"),
        "C": (7, "no clear target on site", "到现场目标不明确"),
        "D": (2, "no target, or the project does not fit", "看房没有目标或与楼盘标准不合"),
    }),
    ("trust", ("believes in value and developer", "相信价值与开发商"), {
        "A": (10, "expects gains, trusts the developer, sees no risk", "相信购买后能带来较大利益，相信开发商实力和信誉"),
        "B": (8, "believes in value and developer", "相信楼盘价值与开发商"),
        "C": (6, "has doubts", "有疑虑"),
        "D": (2, "does not believe", "不相信"),
    }),
    ("decision", ("decision maker and family", "决策人与家人意见"), {
        "A": (10, "decision maker has no doubts, family agrees", "决策人没有大的疑虑，家人意见一致"),
        "B": (7, "needs to talk with the family", "需要与家人商量"),
        "C": (6, "must consult the decision maker", "需要与决策人或家人商量"),
        "D": (2, "decision maker absent or against", "决策人不在场或反对"),
    }),
    ("target_unit", ("target unit", "目标房源"), {
        "A": (10, "locked a unit, worries about price rises", "锁定房源，担心调价和房源售出"),
        "B": (8, "shortlisted units, comparing", "有意向房源，仍在比较"),
        "C": (6, "no clear target", "购房针对性不强"),
        "D": (2, "no target", "看房没有目标"),
    }),
    ("urgency", ("readiness to buy", "购买时机"), {
        "A": (10, "can book any time, needs encouragement", "可以随时定房，但缺少鼓励和再次比较"),
        "B": (8, "buys after comparison and encouragement", "通过比较、鼓动可以购买"),
        "C": (6, "many doubts about buying now", "对现在购买有很多疑虑"),
        "D": (2, "just looking, not urgent", "随便看看或者近期不急买房子"),
    }),
)


def fields() -> tuple[Field, ...]:
    return tuple(
        Field(name, "choice", Label(*label),
              choices=tuple(Choice(level, Label(f"{level}: {en}", f"{level}：{zh}"))
                            for level, (_, en, zh) in levels.items()),
              help=Label("point method criterion, rated A–D; points "
                         + "/".join(str(p) for p, _, _ in levels.values()),
                         "打分法指标，按A–D评定；分值 " + "/".join(str(p) for p, _, _ in levels.values())))
        for name, label, levels in CRITERIA
    )


def ratings() -> tuple[Rating, ...]:
    return tuple(Rating(name, Label(*label), {lvl: p for lvl, (p, _, _) in levels.items()})
                 for name, label, levels in CRITERIA)
