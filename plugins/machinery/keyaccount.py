"""Key-account value (大客户综合评定, DOMAIN §5, seed 002).

The document names nine evaluation criteria — purchase volume, price, profit
level, purchase frequency, service cost, price sensitivity, cooperation
philosophy, growth potential, industry influence — and asks for a
"composite evaluation", with no scale and no weights. **The scale and the
default weights are ours**: each criterion is a lead attribute rated 1–5,
where 5 is always the most favourable to us (large volume, high price, high
profit, frequent purchases, *low* service cost, *low* price sensitivity, a
long-term cooperation philosophy, strong growth, strong influence). Each
weight is a setting (``machinery.weight_<criterion>``); the defaults add up
to 100 and favour volume and profit, which the document's 20/80 rule is about.

The value is ``100 × Σ(weight × rating / 5) / Σ weights`` (unrated criteria
count 0), so it is out of 100 whatever the weights. The core evaluates it as
the scorecard's score; every criterion's points appear in ``show``.
"""

from __future__ import annotations

from leadcycle import Field, Label, Rating

# (attribute, labels, default weight)
CRITERIA = (
    ("purchase_volume", ("purchase volume", "采购数量"), 20),
    ("price_level", ("price level", "价格"), 10),
    ("profit_level", ("profit level", "利润水平"), 15),
    ("purchase_frequency", ("purchase frequency", "采购频次"), 10),
    ("service_cost", ("service cost (5 = low)", "服务成本（5=低）"), 10),
    ("price_sensitivity", ("price sensitivity (5 = low)", "价格敏感度（5=低）"), 5),
    ("cooperation", ("cooperation philosophy", "合作理念"), 10),
    ("growth_potential", ("growth potential", "发展潜力"), 10),
    ("industry_influence", ("industry influence", "业内影响力和带动效应"), 10),
)

FIELDS = tuple(
    Field(name, "int", Label(*label), minimum=1, maximum=5,
          help=Label("key-account criterion, rated 1–5 (5 = best for us)",
                     "大客户评定指标，1–5分（5分最有利）"))
    for name, label, _ in CRITERIA
)


def ratings(settings) -> tuple[Rating, ...]:
    weights = {name: float(settings[f"machinery.weight_{name}"]) for name, _, _ in CRITERIA}
    total = sum(weights.values()) or 1.0
    out = []
    for name, label, _ in CRITERIA:
        w = weights[name]
        points = {r: round(100.0 * w * r / (5 * total), 2) for r in range(1, 6)}
        out.append(Rating(name, Label(f"key account: {label[0]}", f"大客户：{label[1]}"), points))
    return tuple(out)
