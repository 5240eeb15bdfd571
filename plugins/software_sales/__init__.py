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
  ``software_sales.protection_days`` (90) days after the owner's last
  contact — a signal or an answer is a contact; ``due`` warns
  ``software_sales.lapse_warning_days`` (7) days before it ends;
* a follow-up cadence per grade and per ladder level (:func:`follow_up_cadence`);
* contradictory records are refused: ``decision_maker=no`` with
  ``contact_role=decision_maker``, a stall reason with ``no_obstacle=yes``;
  ``no_obstacle=no`` is explained by the stall reason (``stall_reason``, the
  core's list from seed 000 如何逼单), which ``show`` asks for when missing.

See :mod:`.rules` for what we defined where the documents are silent.
"""

from __future__ import annotations

import attrs

from leadcycle import Cadence, CadenceRule, CadenceStop, Cond, Industry, Label, LeadcycleError, Setting, count_en, hookimpl
from leadcycle.settings import chained

from . import model, rules
from leadcycle.i18n import N_

NAME = rules.NAME


@hookimpl
def register_industries(register):
    register(Industry(
        NAME, Label("software sales", "软件销售"),
        fields=model.fields(), event_kinds=model.event_kinds(),
        agent_label=Label("salesperson", "销售"),
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


def _int(key, default, en, zh, source, minimum=0, maximum=100, help=None, at_most=None):
    return Setting(f"{NAME}.{key}", "int", default, Label(en, zh), minimum=minimum, maximum=maximum,
                   source=source, help=help, at_most=at_most and f"{NAME}.{at_most}")


#: ours, for the cadence: the documents give software no follow-up rhythm, so
#: the grades borrow the real-estate table of seed 004 (DOMAIN §2)
CADENCE = (
    ("first_call_days", 3, "first call-back within (days)", "首次回访期限（天）",
     "DOMAIN §2 (004: initial call-back within 3 days), applied to software"),
    ("cadence_a_days", 3, "grade A: follow up at least every (days)", "A类：跟进间隔不超过（天）",
     "DOMAIN §2 (004: A at least twice a week), applied to software"),
    ("cadence_b_days", 5, "grade B: follow up at least every (days)", "B类：跟进间隔不超过（天）",
     "DOMAIN §2 (004: B every 3–5 days), applied to software"),
    ("cadence_c_days", 7, "grade C: follow up at least every (days)", "C类：跟进间隔不超过（天）",
     "DOMAIN §2 (004: C at least weekly), applied to software"),
    ("cadence_d_days", 30, "grade D (and ungraded after the first call-back): every (days)",
     "D类（及首次回访后未分级）：跟进间隔（天）",
     "ours: a monthly contact keeps the 90-day protection with room to spare"),
    ("cadence_sprint_days", 2, "sprint levels (A03, commercial, cooperation agreed): every (days)",
     "冲刺阶段（A03、商务、确定合作）：跟进间隔（天）",
     "ours; DOMAIN §5 (001: A — create the decision moment)"),
)
SPRINT_STAGES = ("A03", "commercial", "agreed")
#: no follow-up planned: refused (A31: "don't call me again"), lost, or won
STOP_STAGES = ("A31", "lost", "won", "A02", "A01", "signed")


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
                  "DOMAIN §4 (001)", minimum=1, maximum=5, at_most="grade_a_haves"))
    register(_int("grade_c_haves", 2, "haves for grade C", "C类所需五有项数", "ours (documents silent)",
                  minimum=1, maximum=5, at_most="grade_b_haves"))
    register(_int("grade_c_signals", 3, "signals for grade C", "C类所需签单信号项数", "ours (documents silent)",
                  minimum=1, maximum=10))
    bands = [_int(f"win_band_{n}", pct, f"win probability with {n} haves (above, %)",
                  f"五有占{n}项的签单几率（%以上）", source)
             for n, pct, source in ((5, 95, "DOMAIN §4 (001)"), (4, 80, "DOMAIN §4 (001)"),
                                    (3, 30, "ours (documents silent)"), (2, 10, "ours (documents silent)"))]
    for s in chained(bands, tuple(f"{NAME}.win_band_{n}" for n in (2, 3, 4, 5))):  # more haves, likelier
        register(s)
    register(Setting(
        f"{NAME}.no_decision_maker_cap", "choice", "C",
        Label("best grade without the decision maker", "未接触决策人时的最高等级"),
        choices=("A", "B", "C", "D"),
        source="ours; DOMAIN §4 (000: intent without the decision maker is not intent)"))
    register(_int("protection_days", 90, "account protection period (days)", "客户报备保护期（天）",
                  "DOMAIN §3.4 (longest variant, 3 months)", minimum=1, maximum=3650))
    register(_int("min_follow_ups", 4, "follow-ups before giving up", "放弃前应有的跟进次数",
                  "DOMAIN §4 (001: 80 % of deals close after the 4th–11th follow-up)", minimum=1, maximum=50))
    register(_int("sprint_months", 2, "A03 sprint: purchase within (calendar months)", "A03冲刺级：几个月内采购",
                  "DOMAIN §4 (004: 在未来的2个月之内)", minimum=1, maximum=24))
    register(_int("lapse_warning_days", 7, "warn in 'due' when protection ends within (days)",
                  "保护期到期前提醒（天）", "ours (the documents set the period, not the warning)",
                  minimum=0, maximum=90))
    cadence = [_int(key, default, en, zh, source, minimum=0 if key == "first_call_days" else 1, maximum=365)
               for key, default, en, zh, source in CADENCE]
    # a sprint lead is followed up at least as often as an A, an A as a B…
    for s in chained(cadence, tuple(f"{NAME}.cadence_{g}_days" for g in ("sprint", "a", "b", "c", "d"))):
        register(s)
    register(Setting(
        f"{NAME}.a08_min_revenue", "float", 0.0, Label("A08: minimum annual revenue (10k CNY)", "A08：年销售额下限（万元）"),
        minimum=0, source="DOMAIN §4 (004 prints '**万' without a number; 0 = no minimum)"))
    register(Setting(
        f"{NAME}.a08_excluded_sectors", "choice", "government,non_profit",
        Label("A08: sectors out of scope (comma-separated)", "A08：排除的行业（逗号分隔）"),
        choices=model.SECTOR_CHOICES, multiple=True,
        source="DOMAIN §4 (004: avoid government and non-profit)"))
    register(Setting(
        f"{NAME}.target_sectors", "choice", "government,telecom,power,finance,retail_chain,university",
        Label("project ladder: target-group sectors (comma-separated)", "项目阶段：目标客户群行业（逗号分隔）"),
        choices=model.SECTOR_CHOICES, multiple=True,
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
                        calls_establish_ownership=True, contact_kinds=model.contact_kinds(),
                        deal_kinds=("deposit",) + rules.WON_KINDS["ten_level"],
                        # §3.11's commission by stage is the property office's
                        # (mortgage, loan): a software deal's credit is its split
                        commission_stages=())


@hookimpl
def follow_up_cadence(industry, settings):
    """Per grade (A 3, B 5, C 7, D 30 days; the first call-back within 3),
    per ladder level (a sprint level every 2 days; none once refused, lost or
    won); every contact counts, not only ``follow_up`` events."""
    if industry != NAME:
        return None
    s = lambda key: settings[f"{NAME}.{key}"]  # noqa: E731
    first = s("first_call_days")

    def grade(g, days, en, zh):
        return CadenceRule(g, Label(f"grade {g}: every {count_en(days, 'day')} ({en})", f"{g}类：每{days}天跟进（{zh}）"),
                           interval_days=days, first_days=first)

    sprint = s("cadence_sprint_days")
    return Cadence((
        CadenceRule(None, Label(f"sprint level: every {count_en(sprint, 'day')} — create the decision moment",
                                f"冲刺阶段：每{sprint}天跟进——创造客户决策时机"),
                    interval_days=sprint, when=Cond("stage", "in", SPRINT_STAGES)),
        grade("A", s("cadence_a_days"), "all five haves", "五有俱全"),
        grade("B", s("cadence_b_days"), "four haves", "五有占四"),
        grade("C", s("cadence_c_days"), "some intent", "有一定意向"),
        grade("D", s("cadence_d_days"), "weak", "意向弱"),
        CadenceRule(None, Label(f"not graded yet: first call-back within {count_en(first, 'day')}, then every "
                                f"{s('cadence_d_days')} days", f"尚未分级：{first}天内首次回访，之后每"
                                f"{s('cadence_d_days')}天"), interval_days=s("cadence_d_days"), first_days=first),
    ), kinds=tuple(sorted(model.contact_kinds() - {"register"})),  # the registration asks a first call-back
        stop=Cond("stage", "in", STOP_STAGES),
        stop_label=Label("no follow-up planned: refused by the decision maker (A31), lost, or won",
                         "无需跟进：拍板人明确拒绝（A31）、已丢单或已成交"),
        # a contract wins the deal on every ladder: the project ladder's stage
        # waits for 'advance won', its follow-ups do not
        stops=CadenceStop(Cond("n_contract", ">=", 1), Label("contract signed: no follow-up planned (the deal is won)",
                                                             "已签约：无需跟进（已成交）")))


@hookimpl
def due_items(book, agent, today):
    from . import followups

    return followups.due_items(book, agent, today)


@hookimpl
def check_event(book, lead, events, event):
    """Refuse contradictory records (on registration and on ``lead set``)."""
    if lead.industry != NAME or event.kind not in ("register", "set"):
        return
    from leadcycle.engine import fold_lead

    after = fold_lead(lead, [*events, event]).attributes  # the lead's attributes once the event is written
    if after.get("decision_maker") == "no" and after.get("contact_role") == "decision_maker":
        raise LeadcycleError(N_("decision_maker=no contradicts contact_role=decision_maker; "
                                "record decision_maker=yes, or the contact's real role"))
    reasons = after.get("stall_reason")
    if reasons and after.get("no_obstacle") == "yes":
        raise LeadcycleError(N_("stall_reason={reasons} contradicts no_obstacle=yes; "
                                "clear it with stall_reason= when the obstacle is gone"), reasons=reasons)


@hookimpl
def register_commands(cli):
    from . import followups

    followups.register(cli)


@hookimpl
def populate_demo(book, rng, start, days):
    from . import demo

    demo.populate(book, rng, start, days)
