"""Real estate (房地产): a property sales office's rule book, DOMAIN §2–3.

Grades leads A–D by the 100-point scorecard (§2a), moves them through the
commission stages (§3.11) and sets the follow-up cadence per grade (§2,
客户分级跟踪回访要求).
"""

from __future__ import annotations

from leadcycle import (
    Cadence,
    CadenceRule,
    Cond,
    EventKind,
    Industry,
    Label,
    Scorecard,
    Setting,
    Stage,
    StageLadder,
    hookimpl,
)

from . import points

NAME = "realestate"


@hookimpl
def register_industries(register):
    register(Industry(
        NAME, Label("real estate", "房地产"),
        fields=points.fields(),
        event_kinds=(
            EventKind("mortgage_processed", Label("mortgage processed", "按揭办理"),
                      help=Label("The bank accepted the mortgage file.", "银行受理按揭。")),
            EventKind("loan_released", Label("loan released", "银行放款"),
                      help=Label("The bank released the loan: the deal is fully paid.", "银行放款，房款到账。")),
        ),
        help=Label("Property sales office: A/B/C/D intent grades, call-backs, ownership by first contact.",
                   "售楼处：A/B/C/D意向分级、回访、首接负责制归属。"),
    ))


@hookimpl
def register_settings(register):
    for grade, value in (("a", 90), ("b", 70), ("c", 60)):
        register(Setting(
            f"realestate.points_{grade}", "int", value,
            Label(f"points for grade {grade.upper()}", f"{grade.upper()}类客户分数线"),
            minimum=0, maximum=100, source="DOMAIN §2a (000)"))
    register(Setting(
        "realestate.first_call_back_days", "int", 0,
        Label("first call-back due after (days; 0 = same day)", "首次回访期限（天，0为当天）"),
        minimum=0, maximum=30, source="DOMAIN §2 cadence table (004): same day"))
    for grade, value, en, zh in (
        ("a", 3, "A: at least twice a week", "A类：每周至少两次"),
        ("b", 5, "B: every 3–5 days", "B类：3–5天一次"),
        ("c", 7, "C: at least weekly", "C类：至少每周一次"),
    ):
        register(Setting(
            f"realestate.cadence_{grade}_days", "int", value,
            Label(f"longest gap between follow-ups, {en}", f"跟进最长间隔，{zh}"),
            minimum=1, maximum=90, source="DOMAIN §2 cadence table (004)"))


@hookimpl
def scorecard(industry, settings):
    if industry != NAME:
        return None
    return Scorecard(
        "points", Label("100-point intent score", "意向程度打分"),
        criteria=points.ratings(),
        thresholds=(("A", settings["realestate.points_a"]), ("B", settings["realestate.points_b"]),
                    ("C", settings["realestate.points_c"])),
        fallback="D",
        require=tuple(r.feature for r in points.ratings()),
    )


@hookimpl
def stages(industry, settings):
    if industry != NAME:
        return None
    return StageLadder((
        Stage("accumulation", Label("client accumulation", "客户积累")),
        Stage("subscribed", Label("deposit paid", "认购/交定金"), requires=Cond("n_deposit", ">=", 1)),
        Stage("contracted", Label("contract and down payment", "签约并首付"), requires=Cond("n_contract", ">=", 1)),
        Stage("mortgage", Label("mortgage processed", "按揭办理"),
              requires=(Cond("n_contract", ">=", 1), Cond("n_mortgage_processed", ">=", 1))),
        Stage("loan_released", Label("loan released", "银行放款"),
              requires=(Cond("n_contract", ">=", 1), Cond("n_loan_released", ">=", 1))),
    ))


@hookimpl
def follow_up_cadence(industry, settings):
    if industry != NAME:
        return None
    first = settings["realestate.first_call_back_days"]
    return Cadence((
        CadenceRule("A", Label("grade A: call back the same day, then at least twice a week",
                               "A类：当天回访，此后每周至少两次"),
                    interval_days=settings["realestate.cadence_a_days"], first_days=first),
        CadenceRule("B", Label("grade B: call back the same day, then every 3–5 days",
                               "B类：当天回访，此后3–5天一次"),
                    interval_days=settings["realestate.cadence_b_days"], first_days=first),
        CadenceRule("C", Label("grade C: call back the same day, then at least weekly",
                               "C类：当天回访，此后至少每周一次"),
                    interval_days=settings["realestate.cadence_c_days"], first_days=first),
        CadenceRule("D", Label("grade D: no follow-up; the manager pools and redistributes it",
                               "D类：无效客户，由主管收回公共池重新分配"), pool=True),
        CadenceRule(None, Label("not graded yet: call back the same day", "尚未分级：当天回访"),
                    interval_days=settings["realestate.cadence_c_days"], first_days=first),
    ))


@hookimpl
def populate_demo(book, rng, start, days):
    from . import demo

    demo.populate(book, rng, start, days)
