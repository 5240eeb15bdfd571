"""The multi-dimension table (ABC客户意向等级分类标准, DOMAIN §2b, seed 004).

Eight dimensions, each a lead attribute rated A–D with the document's own
descriptions; the grade is the **lowest** rated dimension (单指标界定方式，按
单项最低界定), and the reasons name the dimension(s) that capped it.

The two dimensions of the document's 沟通频次/深度 column — ``contact``
(主动沟通频次) and ``mortgage`` (认购及按揭流程) — are auxiliary by default, as
note 2 has them: shown, never capping (settings ``contact_auxiliary`` and
``mortgage_auxiliary`` make them cap). Since the lowest single dimension is
the grade, a lead is graded only once **every** capping dimension is rated
(the document names no smaller minimum); until then it is "not graded yet"
and the reasons name what is still to rate.

``contact`` (主动沟通频次) is derived from the log when an agent has not rated
it by hand — the document's own wording, with its windows as settings:

* came back or called 1–3 times within 7 days of the first visit → A
  (we read "1–3 times" as "at least once": more returns are not worse);
* none within 7 days, but within 15 days → B;
* no return within 15 days → C ("no active contact");
* D ("gave up when called") is only ever rated by hand;
* while a window is still open and nothing has happened, the dimension is
  not rated yet (a lead seen today cannot have come back).

Day 7 after the first visit still counts for A, day 8 is B; day 15 still
counts for B, and with no return by day 16 the dimension is C.

The intent score under this method (ours: the document gives the grade
only) is points per dimension rating (settings ``table_points_a..d``) plus
the buying signals, less the return-cycle decay.
"""

from __future__ import annotations


from leadcycle import Choice, Cond, Derived, Dimension, Feature, Field, Label, Rating, Ref, Tally

# (attribute, (en, zh), {level: (en, zh)})
DIMENSIONS = (
    ("motivation", ("motivation", "购房动机"), {
        "A": ("clear; buys if the project fits", "动机明确，项目合适即购买"),
        "B": ("clear", "动机明确"),
        "C": ("vague, comparing, watching", "动机模糊，对比观望"),
        "D": ("only looking, or came for the gifts", "只是随便看看或为领取礼品"),
    }),
    ("region", ("view of the region's value", "区域价值认同"), {
        "A": ("accepts the region, no other in mind", "认可区域，无其他区域意向"),
        "B": ("accepts, or resistance that can be guided", "认可或有可引导的抗性"),
        "C": ("some resistance, comparing regions", "有一定抗性，正在对比其他区域"),
        "D": ("rejects the region", "不认可区域价值"),
    }),
    ("product", ("view of the product", "产品认同"), {
        "A": ("fits the needs", "产品符合其需求"),
        "B": ("fits, some resistance that can be guided", "符合需求，个别因素有可引导的抗性"),
        "C": ("several features rejected; only a later product may fit", "存在不可引导的抗性，后期产品或可解决"),
        "D": ("rejects it; no product will fit", "不认可产品，后期也无产品可满足"),
    }),
    ("price", ("price tolerance", "价格承受"), {
        "A": ("no resistance against the market", "对比市场无明显抗性"),
        "B": ("resistance that can be guided", "存在抗性但可引导"),
        "C": ("gap to the psychological price; needs a discount or a later promotion",
              "与心理价位有差距，需后期促销解决"),
        "D": ("cannot accept the market price", "不接受市场同类产品价格"),
    }),
    ("funds", ("funds ready", "资金到位"), {
        "A": ("no problem, can get a mortgage", "资金没问题，具备贷款资格"),
        "B": ("some problem, solvable soon", "资金有一定问题，近期可解决"),
        "C": ("problem needing 1–2 months or more", "资金问题需1–2个月或更久解决"),
        "D": ("insufficient, or no mortgage possible", "资金不足或无法办理贷款"),
    }),
    ("expected_deal", ("expected deal", "预计成交时间"), {
        "A": ("within one week", "一周内"),
        "B": ("in one to two weeks", "一到两周内"),
        "C": ("in about a month", "一个月左右"),
        "D": ("will not buy", "不会购买"),
    }),
    ("contact", ("contact frequency", "主动沟通频次"), {
        "A": ("came back or called 1–3 times within 7 days", "到访当日或7日内主动回访或来电1–3次"),
        "B": ("none within 7 days, 1–3 times within 15 days", "7日内无主动沟通，15日内1–3次"),
        "C": ("no active contact, cold when called", "到访后无主动沟通，被动沟通时冷淡"),
        "D": ("gave up when called", "被动沟通时明确表示放弃"),
    }),
    ("mortgage", ("mortgage process", "认购及按揭流程"), {
        "A": ("asks about payment and loan, volunteers the credit check", "关注付款方式与按揭，主动配合征信查询"),
        "B": ("the same, somewhat", "较关注付款与按揭"),
        "C": ("knows the process, won't fill in the forms", "了解流程，不愿配合填写表单"),
        "D": ("ignores the process", "不关注认购和按揭流程"),
    }),
)

DIMENSION_NAMES = tuple(name for name, _, _ in DIMENSIONS)


def fields() -> tuple[Field, ...]:
    return tuple(
        Field(name, "choice", Label(*label),
              choices=tuple(Choice(level, Label(f"{level}: {en}", f"{level}：{zh}"))
                            for level, (en, zh) in levels.items()),
              help=Label("table method dimension, rated A–D (DOMAIN §2b); the grade is the lowest",
                         "表格法维度，按A–D评定（§2b）；按单项最低界定"))
        for name, label, levels in DIMENSIONS)


#: a visit or call after the first visit: the contact dimension reads how
#: many days after the first visit the first one came (``days_to_first_revisit``)
REVISIT = Tally("revisit", ("call", "visit"), after="visit")


def derive_contact(settings) -> Derived:
    """The contact dimension: the agent's rating if recorded, else derived
    from the visits and calls after the first visit (see the module text):
    A within ``contact_a_days``, B within ``contact_b_days``, C once that
    window has closed without one; not rated while it is open."""
    a_days, b_days = settings["realestate.contact_a_days"], settings["realestate.contact_b_days"]
    return Derived(
        "contact_level", Label("contact frequency (rated or derived)", "主动沟通频次（评定或推算）"), (
            ((Cond("contact", "set"),), Ref("contact")),
            ((Cond("first_visit_at", "unset"),), None),
            ((Cond("days_to_first_revisit", "<=", a_days),), "A"),
            ((Cond("days_to_first_revisit", "<=", b_days),), "B"),
            ((Cond("days_since_first_visit", ">", b_days),), "C"),
        ))


def contact_source(view):
    level = view.facts.get("contact_level")
    if level in (None, ""):
        return {}
    hand = view.attributes.get("contact") not in (None, "")
    src_en, src_zh = ("rated by the agent", "置业顾问评定") if hand else ("derived from visits and calls",
                                                                      "由来访与来电推算")
    return {"level": level, "source": "agent" if hand else "derived",
            "summary": {"en": f"contact frequency {level} ({src_en})", "zh": f"主动沟通频次 {level}（{src_zh}）"}}


def features(settings) -> tuple[Feature | Derived, ...]:
    return (
        derive_contact(settings),
        Feature("x_contact", Label("contact frequency: rated by the agent or derived from the log",
                                   "主动沟通频次来源"), contact_source),
    )


#: the dimensions of 004's 沟通频次/深度 column, auxiliary by default (note 2);
#: each has a setting that makes it cap the grade
AUXILIARY = {"contact": "realestate.contact_auxiliary", "mortgage": "realestate.mortgage_auxiliary"}


def _feature(name: str) -> str:
    return "contact_level" if name == "contact" else name


def dimensions(settings) -> tuple[Dimension, ...]:
    return tuple(Dimension(_feature(name), Label(*label),
                           auxiliary=bool(settings[AUXILIARY[name]]) if name in AUXILIARY else False)
                 for name, label, _ in DIMENSIONS)


def capping(settings) -> tuple[str, ...]:
    """The features a grade needs: every dimension that caps it (004: the
    grade is the lowest single dimension, so it cannot be read before each
    capping dimension is rated)."""
    return tuple(d.feature for d in dimensions(settings) if not d.auxiliary)


def ratings(settings) -> tuple[Rating, ...]:
    points = {lvl: settings[f"realestate.table_points_{lvl.lower()}"] for lvl in "ABCD"}
    return tuple(Rating("contact_level" if name == "contact" else name, Label(*label), points)
                 for name, label, _ in DIMENSIONS)
