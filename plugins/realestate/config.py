"""Every number the real-estate rules use, as a setting whose default is the
document's value (DOMAIN §2). Where the documents give no number, the default
is ours and its ``source`` says so."""

from __future__ import annotations

from leadcycle import Choice, Label, Setting
from leadcycle.settings import chained

GRADING = (
    Choice("table", Label("multi-dimension table, lowest dimension (§2b)", "多维度表格，按单项最低界定（§2b）")),
    Choice("points", Label("100-point score (§2a)", "百分制打分（§2a）")),
    Choice("visits", Label("visit count and interaction (§2c)", "来访次数与互动（§2c）")),
)


def _int(key, default, en, zh, source, minimum=None, maximum=None, help=None):
    return Setting(f"realestate.{key}", "int", default, Label(en, zh), help=help,
                   minimum=minimum, maximum=maximum, source=source)


def settings() -> list[Setting]:
    out = [
        Setting("realestate.grading", "choice", "table",
                Label("grading method: table | points | visits", "分级方法：多维度表格、百分制打分或来访次数"),
                choices=GRADING, source="DOMAIN §2 (three methods; the table of 004 is the default)"),
    ]
    # §2a thresholds
    for grade, value in (("a", 90), ("b", 70), ("c", 60)):
        out.append(_int(f"points_{grade}", value, f"points for grade {grade.upper()}",
                        f"{grade.upper()}类客户分数线", "DOMAIN §2a (000)", 0, 100))
    # §2b table: the contact dimension's windows
    out += [
        _int("contact_a_days", 7, "contact A: came back or called within this many days of the first visit",
             "主动沟通A：首次到访后该天数内回访现场或来电", "DOMAIN §2b (004): 到访当日或7日内", 0, 90),
        _int("contact_b_days", 15, "contact B: no contact within the A window, but within this many days",
             "主动沟通B：7日内无主动沟通，但该天数内有", "DOMAIN §2b (004): 15日内", 0, 180),
        Setting("realestate.contact_auxiliary", "bool", True,
                Label("contact frequency is auxiliary: shown, never caps the grade",
                      "主动沟通频次仅作辅助判定（显示但不决定等级）"),
                source="DOMAIN §2b (004, note 2: 沟通频次/深度 is an auxiliary criterion)"),
        Setting("realestate.mortgage_auxiliary", "bool", True,
                Label("mortgage process is auxiliary: shown, never caps the grade",
                      "认购及按揭流程仅作辅助判定（显示但不决定等级）"),
                source="DOMAIN §2b (004: in the 沟通频次/深度 column, note 2: auxiliary)"),
    ]
    # intent-score points of a dimension rating under the table method (ours)
    for level, value in (("a", 10), ("b", 7), ("c", 4), ("d", 0)):
        out.append(_int(f"table_points_{level}", value,
                        f"intent score points per dimension rated {level.upper()} (table method)",
                        f"表格法每个维度评为{level.upper()}的意向分",
                        "ours: the documents give no points for the table; 8 × 10 = 80, signals add up to 30",
                        0, 100))
    # §2c visits
    for grade, value in (("a", 3), ("b", 2), ("c", 1)):
        out.append(_int(f"visits_{grade}", value, f"visits for grade {grade.upper()} (visits method)",
                        f"{grade.upper()}类客户来访次数（来访次数法）", "DOMAIN §2c (004)", 0, 50))
    # buying signals (000, 购买行为的辨别): points are ours, their order is the document's
    from .signals import SIGNALS

    for sig in SIGNALS:
        out.append(_int(f"signal_{sig.name}", sig.points, f"intent points: {sig.label.en}",
                        f"意向加分：{sig.label.zh}",
                        "DOMAIN §2 buying signals (000): order of strength; the points are ours", 0, 100))
    # return-cycle decay (000: within 3 days hottest, about a week normal, a month sharply lower)
    out += [
        _int("decay_hot_days", 3, "return cycle: hottest within (days)", "回笼周期：最热（天内）",
             "DOMAIN §2 return cycle (000): 3天内", 0, 365),
        _int("decay_hot_points", 0, "return cycle: points while hottest", "回笼周期：最热时加减分",
             "ours", -100, 100),
        _int("decay_normal_days", 7, "return cycle: normal within (days)", "回笼周期：正常（天内）",
             "DOMAIN §2 return cycle (000): 一周左右", 0, 365),
        _int("decay_normal_points", -2, "return cycle: points when normal", "回笼周期：正常时加减分",
             "ours", -100, 100),
        _int("decay_cold_days", 30, "return cycle: sharply lower after (days)", "回笼周期：超过该天数意向大减",
             "DOMAIN §2 return cycle (000): 一个月内未回笼", 0, 365),
        _int("decay_watching_points", -5, "return cycle: points between normal and a month",
             "回笼周期：一周至一个月之间加减分", "ours", -100, 100),
        _int("decay_cold_points", -20, "return cycle: points after a month without return",
             "回笼周期：一个月未回笼加减分", "ours (sharply lower)", -100, 100),
    ]
    # cadence (004 客户分级跟踪回访要求, 楼盘客户划分标准)
    out.append(_int("first_call_back_days", 3, "first call-back due within (days of the first visit)",
                    "首次回访期限（初访后天数内）",
                    "DOMAIN §2 (004 楼盘客户划分标准: 3天内; the cadence table says 当日 = 0)", 0, 30))
    for grade, value, en, zh in (
        ("a", 3, "A: at least twice a week", "A类：每周至少两次"),
        ("b", 5, "B: every 3–5 days", "B类：3–5天一次"),
        ("c", 7, "C: at least weekly", "C类：至少每周一次"),
    ):
        out.append(_int(f"cadence_{grade}_days", value, f"longest gap between follow-ups, {en}",
                        f"跟进最长间隔，{zh}", "DOMAIN §2 cadence table (004)", 1, 90))
    # weekly review, due warnings
    out += [
        _int("review_days", 7, "review period (days): A undecided this long → B; B/C without progress → lower",
             "复盘周期（天）：A类超过该期限仍未决定降为B，B/C类无进展降级",
             "DOMAIN §2 cadence table (004): 每周为一个大周期", 1, 90),
        _int("lapse_warning_days", 3, "warn in 'due' when protection ends within (days)",
             "保护期在该天数内到期时在待办中提醒", "issue 3 (ours: 3 days)", 0, 60),
    ]
    # sales phases (002 销售阶段划分)
    out += [
        Setting("realestate.launch_date", "date", None, Label("launch date (开盘日期)", "开盘日期"),
                source="DOMAIN §2 sales phases (002); no default: set it per project"),
        _int("total_units", 0, "units for sale in the project (0 = not set)", "项目总套数（0为未设置）",
             "DOMAIN §2 sales phases (002); set per project", 0, 1_000_000),
    ]
    for phase, months, low, high in (("warmup", 2, 5, 10), ("strong", 2, 40, 50),
                                     ("continuous", 4, 70, 80), ("tail", 4, 90, 95)):
        out.append(_int(f"phase_{phase}_months", months, f"{phase} phase length (months)",
                        f"{PHASE_LABELS[phase].zh}时长（月）", "DOMAIN §2 sales phases (002, 12-month project)",
                        0, 60))
        out.append(_int(f"phase_{phase}_target_low", low, f"{phase}: cumulative % sold, low target",
                        f"{PHASE_LABELS[phase].zh}：累计销售比例下限（%）", "DOMAIN §2 sales phases (002)", 0, 100))
        out.append(_int(f"phase_{phase}_target_high", high, f"{phase}: cumulative % sold, high target",
                        f"{PHASE_LABELS[phase].zh}：累计销售比例上限（%）", "DOMAIN §2 sales phases (002)", 0, 100))
    return chained(out, *ORDER)


def _keys(*names: str) -> tuple[str, ...]:
    return tuple(f"realestate.{n}" for n in names)


_PHASES = ("warmup", "strong", "continuous", "tail")

#: the orderings a setting change may not break, lowest first: a better grade
#: needs more points / visits, a better rating earns more, the windows and
#: the return-cycle bands follow each other, an A lead is followed up at
#: least as often as a B, and the cumulative phase targets never fall
ORDER = (
    _keys("points_c", "points_b", "points_a"),
    _keys("visits_c", "visits_b", "visits_a"),
    _keys("table_points_d", "table_points_c", "table_points_b", "table_points_a"),
    _keys("contact_a_days", "contact_b_days"),
    _keys("decay_hot_days", "decay_normal_days", "decay_cold_days"),
    _keys("decay_cold_points", "decay_watching_points", "decay_normal_points", "decay_hot_points"),
    _keys("cadence_a_days", "cadence_b_days", "cadence_c_days"),
    *(_keys(f"phase_{p}_target_low", f"phase_{p}_target_high") for p in _PHASES),
    _keys(*(f"phase_{p}_target_low" for p in _PHASES)),
    _keys(*(f"phase_{p}_target_high" for p in _PHASES)),
)


PHASE_LABELS = {
    "before": Label("before warm-up", "预热期前"),
    "warmup": Label("warm-up", "预热期"),
    "strong": Label("strong selling", "强销期"),
    "continuous": Label("continuous selling", "持续销售期"),
    "tail": Label("tail", "尾盘期"),
    "after": Label("after the tail phase", "尾盘期后"),
}
