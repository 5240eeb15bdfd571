"""Software sales (软件销售): B2B accounts, DOMAIN §4.

* the ten signing-intent signals (seed 000) as event kinds, each counted once
  per lead, feeding an intent score with the newest evidence shown;
* the five haves (seed 001) → grade and win-probability band;
* the decision-maker cap (seed 000);
* three stage ladders, chosen by ``software_sales.ladder``: the project ladder
  of seed 002 (``leadcycle advance``), the ten-level ladder A21…A01 of seed
  004, the 4-step SaaS intent ladder of seed 000;
* follow-up counting with the 2/3/5/10/80 % statistic of seed 001
  (``leadcycle report followups``; leads lost or lapsed before their 4th
  follow-up are flagged in ``leadcycle due``);
* ownership: the first registration (报备) owns the account, for
  ``software_sales.protection_days`` (90) days.

See :mod:`.rules` for what we defined where the documents are silent.
"""

from __future__ import annotations

import attrs

from leadcycle import Industry, Label, Setting, hookimpl

from . import model, rules

NAME = rules.NAME


@hookimpl
def register_industries(register):
    register(Industry(
        NAME, Label("software sales", "软件销售"),
        fields=model.fields(), event_kinds=model.event_kinds(),
        grades=(
            ("A", ("A: all five haves, win > 95 %", "A类：五有俱全，签单几率95%以上")),
            ("B", ("B: four haves, win > 80 %", "B类：五有占四，签单几率80%以上")),
            ("C", ("C: some intent, or no decision maker yet", "C类：有一定意向或尚未接触决策人")),
            ("D", ("D: weak", "D类：意向弱")),
        ),
        help=Label("B2B software accounts: signing signals, five haves, decision maker, project stages, "
                   "ten-level ladder, follow-up counting.",
                   "软件项目客户：签单信号、五有、决策人、项目销售阶段、十级分级、跟进次数。"),
    ))


def _int(key, default, en, zh, source, minimum=0, maximum=100, help=None):
    return Setting(f"{NAME}.{key}", "int", default, Label(en, zh), minimum=minimum, maximum=maximum,
                   source=source, help=help)


@hookimpl
def register_settings(register):
    register(Setting(
        f"{NAME}.ladder", "choice", "stages", Label("stage ladder", "阶段体系"),
        choices=(("stages", ("project stages (advance by hand)", "软件项目销售阶段（手动推进）")),
                 ("ten_level", ("ten-level ladder A21…A01", "客户十级分级A21…A01")),
                 ("saas", ("4-step SaaS intent ladder", "SaaS意向四步"))),
        source="DOMAIN §4 (002, 004, 000)"))
    for kind, en, zh, _ in model.SIGNALS:
        register(_int(f"points_{kind}", 10, f"intent points: {en}", f"意向分：{zh}",
                      "ours: DOMAIN §4 (000) lists the ten signals unranked, so each weighs 10 of 100"))
    register(_int("intent_from_signals", 1, "signals that show intent when 'has_intent' is not recorded",
                  "未记录“有意向”时，体现意向所需的信号项数",
                  "DOMAIN §4 (001: a client who asks about the product has intent)", maximum=10))
    register(_int("grade_a_haves", 5, "haves for grade A (win > 95 %)", "A类所需五有项数（签单95%以上）",
                  "DOMAIN §4 (001)", minimum=1, maximum=5))
    register(_int("grade_b_haves", 4, "haves for grade B (win > 80 %)", "B类所需五有项数（签单80%以上）",
                  "DOMAIN §4 (001)", minimum=1, maximum=5))
    register(_int("grade_c_haves", 2, "haves for grade C", "C类所需五有项数", "ours (documents silent)",
                  minimum=1, maximum=5))
    register(_int("grade_c_signals", 3, "signals for grade C", "C类所需签单信号项数", "ours (documents silent)",
                  minimum=1, maximum=10))
    for n, pct, source in ((5, 95, "DOMAIN §4 (001)"), (4, 80, "DOMAIN §4 (001)"),
                           (3, 30, "ours (documents silent)"), (2, 10, "ours (documents silent)")):
        register(_int(f"win_band_{n}", pct, f"win probability with {n} haves (above, %)",
                      f"五有占{n}项的签单几率（%以上）", source))
    register(Setting(
        f"{NAME}.no_decision_maker_cap", "choice", "C",
        Label("best grade without the decision maker", "未接触决策人时的最高等级"),
        choices=("A", "B", "C", "D"),
        source="ours; DOMAIN §4 (000: intent without the decision maker is not intent)"))
    register(_int("protection_days", 90, "account protection period (days)", "客户报备保护期（天）",
                  "DOMAIN §3.4 (longest variant, 3 months)", minimum=1, maximum=3650))
    register(_int("min_follow_ups", 4, "follow-ups before giving up", "放弃前应有的跟进次数",
                  "DOMAIN §4 (001: 80 % of deals close after the 4th–11th follow-up)", minimum=1, maximum=50))
    register(_int("sprint_days", 60, "A03 sprint: purchase within (days; 2 months)", "A03冲刺级：多少天内采购（2个月）",
                  "DOMAIN §4 (004: within 2 months)", minimum=1, maximum=365))
    register(Setting(
        f"{NAME}.a08_min_revenue", "float", 0.0, Label("A08: minimum annual revenue (10k CNY)", "A08：年销售额下限（万元）"),
        minimum=0, source="DOMAIN §4 (004 prints '**万' without a number; 0 = no minimum)"))
    register(Setting(
        f"{NAME}.a08_excluded_sectors", "str", "government,non_profit",
        Label("A08: sectors out of scope (comma-separated)", "A08：排除的行业（逗号分隔）"),
        source="DOMAIN §4 (004: avoid government and non-profit)"))
    register(Setting(
        f"{NAME}.target_sectors", "str", "government,telecom,power,finance,retail_chain,university",
        Label("project ladder: target-group sectors (comma-separated)", "项目阶段：目标客户群行业（逗号分隔）"),
        source="DOMAIN §4 (002: government, telecom, power, finance, chain retail, universities)"))


@hookimpl
def scorecard(industry, settings):
    if industry != NAME:
        return None
    return rules.scorecard(settings)


@hookimpl
def stages(industry, settings):
    if industry != NAME:
        return None
    return rules.ladder(settings)


@hookimpl
def ownership_policy(industry, settings):
    if industry != NAME:
        return None
    from leadcycle import defaults

    # the core's policy with B2B's numbers: the first registration (报备)
    # owns the account, whether it came in by visit or by phone
    base = defaults.ownership_policy(industry=industry, settings=settings)
    return attrs.evolve(base, protection_days=settings[f"{NAME}.protection_days"],
                        calls_establish_ownership=True)


@hookimpl
def due_items(book, agent, today):
    from . import followups

    return followups.due_items(book, agent, today)


@hookimpl
def register_commands(cli):
    from . import followups

    followups.register(cli)


@hookimpl
def populate_demo(book, rng, start, days):
    from . import demo

    demo.populate(book, rng, start, days)
