"""Software sales rules as data (DOMAIN §4): the intent scorecard, the
decision-maker cap and the three stage ladders.

**Grade** (A–D). The documents give two numbers: all five haves → signing
probability above 95 %, four → above 80 % (seed 001). We grade on them:

* A — all five haves (win probability > 95 %);
* B — four haves (> 80 %);
* C — two or three haves, *or* at least three distinct signing-intent
  signals (ours: the documents are silent below four haves);
* D — anything less.

``has_intent`` left unknown counts as a have once the client has shown at
least ``software_sales.intent_from_signals`` (1) signals: seed 001 says a
client who asks about the product "definitely has intent". An explicit
``no`` is never overridden.

**Decision-maker cap** (ours; seed 000: "intent without the decision maker
is not intent", and the legal representative is not necessarily the
decision maker): unless ``decision_maker=yes`` the grade is at most C
(``software_sales.no_decision_maker_cap``), the grade real-estate offices
give a client who "must consult the decision maker" (DOMAIN §2a).

**Score** (0–100): the intent score from the ten signals, 10 points each by
default (the document lists them unranked, so they weigh the same); each
signal counts once however often it is logged.

**Win-probability bands** below four haves are ours: three → > 30 %, two →
> 10 %, fewer → ≤ 10 % (settings ``software_sales.win_band_3``/``_2``).

**Stage ladders** (``software_sales.ladder``):

* ``stages`` — the project ladder of seed 002 (软件项目销售阶段定义), moved
  by ``leadcycle advance`` (each stage also needs every earlier stage's
  information). The document spells out the required information for the
  target group (company; sector among ``software_sales.target_sectors``) and
  the potential opportunity (size, IT landscape, competing vendors,
  requirements, budget, project team) only. The later stages are ours, from
  each stage's name and the intent definition ("assessed as fitting our
  product, with a need"): intent — ``product_fit``, ``has_need=yes``,
  ``decision_maker=yes`` (seed 000); client project approval —
  ``project_approved``, ``has_budget=yes``; preliminary acceptance — a
  ``demo`` logged and ``solution_accepted``; commercial — a ``quote``
  logged; won — a ``contract`` logged; lost (from any stage) — a
  ``lost_reason`` recorded. Days in the current stage and the history are
  shown for this ladder only (``x_stage``; live in ``show``, as of the last
  projection in ``list``).
* ``ten_level`` — 客户十级分级标准 (seed 004), computed. The document's
  "annual sales above **万" has no number: ``software_sales.a08_min_revenue``
  defaults to 0. "Purchase within 2 months" is two calendar months
  (``software_sales.sprint_months``): on 2026-03-01 a purchase expected on
  2026-05-01 counts, one on 05-02 does not. An answer (``answer`` event)
  counts only when given by the decision maker, informed and considered
  (the document's conditions 1–3). A31 needs exactly that and a refusal; the
  real reason is desirable, not required ("最好得到", shown as missing when
  not recorded); a refusal stops counting when the client moves on
  afterwards (signals, supplier cues, quote, order…). A06 case 4 is
  ``answer=positive``, or — after a considered answer from the informed
  decision maker — the decision maker asking for material
  (``material_request``), agreeing a next contact (``next_contact``) or
  asking about our company or product (the question signals), while our
  contact is not recorded as someone other than the decision maker.
  Size "known" means employees
  or annual revenue recorded. A01's "no open conditional promise" holds
  unless ``open_promises`` is set to yes. A level is the furthest whose
  conditions hold (A04 includes A05's); the levels are not cumulative
  otherwise, as in the document.
* ``saas`` — the 4-step SaaS intent ladder (seed 000, 大账房), computed;
  a signed contract shows as ``signed``. The document asks at every step
  whether the contact is the decision maker (推进的方向好细节): step 1 needs
  the question answered (``decision_maker`` yes or no), steps 2–4 need
  ``decision_maker=yes`` (intent without the decision maker is not intent).

**Follow-ups** are counted as the document counts them: every contact with
the client — a follow-up, a visit or call, a signal, an answer, a supplier
cue, a demo, a quote… — one per day (a call that brings out three signals is
one contact); the first day is the first contact, each later day a
follow-up. The deal is the ladder's won stage: a contract (project and SaaS
ladders), or a contract, order or payment (ten-level A02).
"""

from __future__ import annotations

import datetime as dt

from leadcycle import (
    Cap,
    Cond,
    Count,
    Criterion,
    Feature,
    GradeRule,
    Label,
    Scorecard,
    Stage,
    StageLadder,
    count_en,
)

from . import model

NAME = "software_sales"


def _csv(text) -> tuple[str, ...]:
    return tuple(p.strip() for p in str(text or "").split(",") if p.strip())


def _sectors(codes: tuple[str, ...], sep_en: str = ", ", sep_zh: str = "、") -> Label:
    """Sectors as the reader says them (政府、电信), not their codes."""
    names = {c.value: c.label for c in model.SECTOR_CHOICES}
    return Label(sep_en.join(names[c].en if c in names else c for c in codes),
                 sep_zh.join(names[c].zh if c in names else c for c in codes))


# ------------------------------------------------------------------ bands


def band(count: int, settings) -> tuple[str, str]:
    """The win-probability band of ``count`` haves: (en, zh)."""
    for n in (5, 4, 3, 2):
        if count >= n:
            pct = settings[f"{NAME}.win_band_{n}"]
            return f"> {pct} %", f"> {pct} %"
    pct = settings[f"{NAME}.win_band_2"]
    return f"≤ {pct} %", f"≤ {pct} %"


# --------------------------------------------------------------- features


def _effective_haves(view) -> dict[str, str | None]:
    attrs = view.attributes
    out = {name: attrs.get(name) for name, _, _ in model.HAVES}
    if out["has_intent"] in (None, "unknown"):
        n = view.facts.get("n_signals") or 0
        if n >= view.settings[f"{NAME}.intent_from_signals"] and n > 0:
            out["has_intent"] = "signals"
    return out


def n_signals() -> Count:
    """How many of the ten signing-intent signals the client has shown
    (each counts once however often it is logged); unset when none."""
    return Count("n_signals", Label("distinct signing-intent signals", "签单意向信号项数"),
                 tuple((Cond(f"n_{k}", ">=", 1),) for k in model.SIGNAL_KINDS), zero=None)


def haves(settings) -> Count:
    """The five haves held: each recorded ``yes``; ``has_intent`` left
    unknown counts once the client has shown ``intent_from_signals``
    signals (at least one)."""
    shown = max(1, settings[f"{NAME}.intent_from_signals"])
    return Count("haves", Label("five haves held", "五有项数"), tuple(
        (Cond(name, "==", "yes"),) for name, _, _ in model.HAVES) + (
        (Cond("has_intent", "in", (None, "unknown")), Cond("n_signals", ">=", shown)),))


def _x_five_haves(view):
    haves = _effective_haves(view)
    count = sum(1 for v in haves.values() if v in ("yes", "signals"))
    en_band, zh_band = band(count, view.settings)
    missing = [(n, en, zh) for n, en, zh in model.HAVES if haves[n] not in ("yes", "signals")]
    out = {"count": count, "band": en_band, "missing": [n for n, _, _ in missing]}
    en = f"{count} of 5 — win probability {en_band}"
    zh = f"占{count}项——签单几率{zh_band}"
    if haves["has_intent"] == "signals":
        en += "; intent shown by signals"
        zh += "；意向由签单信号体现"
    if missing:
        en += "; missing: " + ", ".join(
            f"{e} ({'no' if haves[n] == 'no' else 'unknown'})" for n, e, _ in missing)
        zh += "；欠缺：" + "、".join(
            f"{z}（{'无' if haves[n] == 'no' else '不清楚'}）" for n, _, z in missing)
    if haves["no_obstacle"] == "no":
        from leadcycle import profile

        stall = view.attributes.get("stall_reason")
        out["stall_reason"] = stall
        if stall:
            en += "; stalls because: " + ", ".join(profile.labels("stall_reason", stall, "en"))
            zh += "；不签单原因：" + "、".join(profile.labels("stall_reason", stall, "zh"))
        else:
            en += "; why it stalls is not recorded: add stall_reason=…"
            zh += "；未记录不签单原因：请补充 stall_reason=…"
    out["summary"] = {"en": "five haves: " + en, "zh": "五有：" + zh}
    return out


def _x_signals(view):
    last: dict[str, object] = {}
    times: dict[str, int] = {}
    for e in view.events:
        if e.kind in model.SIGNAL_KINDS:
            last[e.kind] = e
            times[e.kind] = times.get(e.kind, 0) + 1
    items, said = [], {}
    for kind, en, zh, fields in model.SIGNALS:
        e = last.get(kind)
        if e is None:
            continue
        evidence = e.note or ", ".join(f"{k}={v}" for k, v in e.data.items()) or None
        items.append({"signal": kind, "en": en, "zh": zh, "times": times[kind],
                      "last_at": e.at.isoformat(timespec="minutes"), "agent": e.agent, "evidence": evidence})
        # the summary names the data by its fields' labels (点数=20), the note as written
        labels = {f.name: f.label for f in fields}
        said[kind] = {lang: e.note or sep.join(f"{labels[k](lang) if k in labels else k}={v}"
                                               for k, v in e.data.items()) or None
                      for lang, sep in (("en", ", "), ("zh", "，"))}

    def line(i, lang):
        text = i[lang] + ("（" if lang == "zh" else " (") + i["last_at"][:10]
        if said[i["signal"]][lang]:
            text += ("：" if lang == "zh" else ": ") + said[i["signal"]][lang]
        return text + ("）" if lang == "zh" else ")")
    return {
        "count": len(items), "of": len(model.SIGNALS), "signals": items,
        "summary": {
            "en": f"signing-intent signals: {len(items)} of 10"
                  + (" — " + "; ".join(line(i, "en") for i in items) if items else ""),
            "zh": f"签单意向信号：10项中{len(items)}项" + ("——" + "；".join(line(i, "zh") for i in items) if items else ""),
        },
    }


def _x_decision_maker(view):
    value = view.attributes.get("decision_maker")
    role = view.attributes.get("contact_role")
    if value == "yes":
        return {"value": "yes", "summary": {"en": "decision maker: in touch", "zh": "决策人：已接触"}}
    en, zh = "decision maker: not reached", "决策人：尚未接触"
    if role == "legal_representative":
        en += " (the contact is the legal representative, not necessarily the decision maker)"
        zh += "（对接人为法人代表，法人不一定是决策人）"
    return {"value": value or "unknown", "summary": {"en": en, "zh": zh}}


#: the events that make the deal: the ladder's won stage
WON_KINDS = {"stages": ("contract",), "ten_level": ("contract", "order", "payment"), "saas": ("contract",)}


def won_kinds(settings) -> tuple[str, ...]:
    return WON_KINDS[settings[f"{NAME}.ladder"]]


def count_follow_ups(events, contact: frozenset[str], won: tuple[str, ...]) -> tuple[int, object]:
    """(follow-ups before the deal, the deal event or None): contact days
    after the first contact's day, up to the first won event."""
    days: list = []
    for e in events:
        if e.kind in won:
            return max(0, len(days) - 1), e
        if e.kind in contact and (not days or days[-1] != e.at.date()):
            days.append(e.at.date())
    return max(0, len(days) - 1), None


_CONTACT: list = []


def _contact() -> frozenset[str]:
    if not _CONTACT:
        _CONTACT.append(model.contact_kinds())
    return _CONTACT[0]


def _x_follow_ups(view):
    n, deal = count_follow_ups(view.events, _contact(), won_kinds(view.settings))
    minimum = view.settings[f"{NAME}.min_follow_ups"]
    en, zh = f"follow-ups: {n}", f"跟进次数：{n}"
    if deal is not None:  # won: the count is the deal's, with nothing left to keep going for
        en += f" before the deal on {deal.at.date()}"
        zh += f"（{deal.at.date()}成交前）"
    elif n < minimum:
        en += f" (80 % of deals close after the 4th–11th; keep going to at least {minimum})"
        zh += f"（80%的成交发生在第4至11次跟踪后，至少跟进{minimum}次）"
    return {"count": n, "summary": {"en": en, "zh": zh}}


def _stage_events(view):
    return [e for e in view.events if e.kind == "stage"]


def _x_stage(view):
    """Stage history with entry dates and days in the current stage — for
    the advanced project ladder, whose stage is the last one entered."""
    if view.settings[f"{NAME}.ladder"] != "stages":
        return None
    entries = [{"stage": "target_group", "entered": view.lead.created_at.date().isoformat(),
                "agent": None, "note": None}]
    for e in view.events:
        if e.kind == "stage":
            entries.append({"stage": e.data.get("stage"), "entered": e.at.date().isoformat(),
                            "agent": e.agent, "note": e.note})
    since = dt.date.fromisoformat(entries[-1]["entered"])
    days = (view.now.date() - since).days
    label = PROJECT_STAGES.get(entries[-1]["stage"], Label(entries[-1]["stage"], entries[-1]["stage"]))

    def hist(lang):
        return " → ".join(f"{PROJECT_STAGES.get(x['stage'], Label(x['stage'], x['stage']))(lang)} {x['entered']}"
                          for x in entries)
    return {"stage": entries[-1]["stage"], "since": since.isoformat(), "days": days, "history": entries,
            "summary": {"en": f"in stage {label.en} for {count_en(days, 'day')} (since {since}); history: {hist('en')}",
                        "zh": f"处于{label.zh}阶段{days}天（自{since}）；历史：{hist('zh')}"}}


#: events that show the client moved on after an answer (a refusal is
#: then no longer the newest word)
_PROGRESS = set(model.SIGNAL_KINDS) | {
    "considering_switch", "unhappy_with_supplier", "talking_to_vendors", "meeting_request", "quote",
    "verbal_commitment", "substantive_action", "order", "payment", "contract", "deposit"}


def _answers(view):
    """(newest qualifying decision-maker answer, newest answer of any kind,
    whether progress events follow the newest qualifying answer). An
    answer that does not qualify (not the decision maker's, not informed or
    considered) does not replace the decision maker's word."""
    newest = qualified = None
    after = False
    for e in view.events:
        if e.kind == "answer":
            newest = e
            d = e.data
            if d.get("by_decision_maker") and d.get("informed") and d.get("considered"):
                qualified, after = e, False
        elif e.kind in _PROGRESS and qualified is not None:
            after = True
    return qualified, newest, after


def _dm_answer(view):
    qualified, _, _ = _answers(view)
    return None if qualified is None else qualified.data.get("answer")


def _refused(view):
    qualified, _, after = _answers(view)
    return qualified is not None and not after and qualified.data.get("answer") == "refused"


def _dm_asked(view):
    """A06 case 4A–C: after a considered answer from the informed decision
    maker (neutral or positive), the decision maker asked for material,
    agreed a next contact or asked about us or the product."""
    if view.attributes.get("decision_maker") == "no":
        return False
    answered = False
    for e in view.events:
        if e.kind == "answer":
            d = e.data
            if d.get("by_decision_maker") and d.get("informed") and d.get("considered"):
                # (another's answer does not replace the decision maker's word)
                answered = d.get("answer") in ("neutral", "positive")
        elif answered and e.kind in model.A06_ASKS:
            return True
    return False


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, on the month's last day when it is
    shorter (01-31 + 1 month = 02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _sprint_window(view):
    """A03 case 3: the expected purchase falls within the next
    ``sprint_months`` calendar months (and has not passed). The value
    changes with the clock: the day the window reaches the date, and the
    day after the date."""
    from leadcycle import Expiring
    from leadcycle.engine import _as_date

    expected = _as_date(view.attributes.get("expected_purchase"))
    if expected is None:
        return None
    months = view.settings[f"{NAME}.sprint_months"]
    today = view.now.date()
    inside = today <= expected <= add_months(today, months)
    midnight = lambda d: dt.datetime.combine(d, dt.time())  # noqa: E731
    if inside or expected < today:
        return Expiring(inside, midnight(expected + dt.timedelta(days=1)) if inside else None)
    first = add_months(expected, -months) - dt.timedelta(days=3)
    while add_months(first, months) < expected:
        first += dt.timedelta(days=1)
    return Expiring(False, midnight(first))


def _x_refusal(view):
    qualified, newest, after = _answers(view)
    # the decision maker's refusal, counted or not; else the newest refusal, said why it does not count
    if qualified is not None and qualified.data.get("answer") == "refused":
        newest = qualified
    elif newest is None or newest.data.get("answer") != "refused":
        return None
    else:
        after = False  # (moving on is measured from the decision maker's word)
    d = newest.data
    why_en, why_zh = [], []
    if not d.get("by_decision_maker"):
        why_en.append("not from the decision maker"); why_zh.append("非拍板人答复")
    if not d.get("informed"):
        why_en.append("not informed of what we offer"); why_zh.append("对方不了解我公司及预期收益")
    if not d.get("considered"):
        why_en.append("not a considered decision"); why_zh.append("非经考虑的理性决定")
    if after:
        why_en.append("the client moved on since"); why_zh.append("此后客户仍有推进")
    day = newest.at.date().isoformat()
    reason = (d.get("reason") or "").strip()
    if not why_en:
        if not reason:
            return {"counted": True, "summary": {
                "en": f"explicit refusal on {day}; the real reason is not recorded (desirable: ask for it)",
                "zh": f"{day}明确拒绝；未记录拒绝的真实原因（最好能得到）"}}
        return {"counted": True, "summary": {"en": f"explicit refusal on {day}: {reason}",
                                             "zh": f"{day}明确拒绝：{reason}"}}
    return {"counted": False, "summary": {"en": f"refusal on {day} not counted as A31: " + ", ".join(why_en),
                                          "zh": f"{day}的拒绝不计为A31：" + "、".join(why_zh)}}


def _size_in_scope(view):
    attrs = view.attributes
    if attrs.get("employees") is None and attrs.get("annual_revenue") is None:
        return False
    revenue = attrs.get("annual_revenue")
    minimum = view.settings[f"{NAME}.a08_min_revenue"]
    if minimum:  # the office asks for a revenue: an unknown one does not meet it
        return revenue is not None and revenue >= minimum
    return True


def features(settings) -> tuple[Feature | Count, ...]:
    return (
        n_signals(),
        haves(settings),
        Feature("size_in_scope", Label("size known and in scope", "规模已知且符合要求"), _size_in_scope),
        Feature("dm_answer", Label("decision maker's considered answer", "拍板人的答复"), _dm_answer),
        Feature("refused", Label("explicit refusal by the decision maker", "拍板人明确拒绝"), _refused),
        Feature("dm_asked", Label("the decision maker asked for more", "拍板人有进一步询问"), _dm_asked),
        Feature("sprint_window", Label("purchase within the sprint window", "冲刺期内将采购"), _sprint_window),
        Feature("x_five_haves", Label("five haves", "五有"), _x_five_haves),
        Feature("x_signals", Label("signing-intent signals", "签单意向信号"), _x_signals),
        Feature("x_decision_maker", Label("decision maker", "决策人"), _x_decision_maker),
        # read from the stored state by the follow-ups report of every due list
        Feature("x_follow_ups", Label("follow-ups", "跟进次数"), _x_follow_ups, stored=True),
        Feature("x_refusal", Label("refusal", "拒绝"), _x_refusal),
        # its history is read from the stored state by the stage funnel report
        Feature("x_stage", Label("stage history and days in the current stage", "阶段历史与当前阶段天数"),
                _x_stage, stored=True),
    )


# --------------------------------------------------------------- scorecard


def scorecard(settings) -> Scorecard:
    s = lambda key: settings[f"{NAME}.{key}"]  # noqa: E731
    criteria = tuple(
        Criterion(kind, Label(en, zh), s(f"points_{kind}"),
                  Cond(f"n_{kind}", ">=", 1, Label(en, zh)))
        for kind, en, zh, _ in model.SIGNALS)
    a, b = s("grade_a_haves"), s("grade_b_haves")
    ladder = (
        GradeRule("A", Cond("haves", ">=", a, Label(f"at least {a} of the five haves", f"五有至少占{a}项")),
                  Label(f"{a} of the five haves: win probability > {s('win_band_5')} %",
                        f"五有占{a}项：签单几率 > {s('win_band_5')} %")),
        GradeRule("B", Cond("haves", ">=", b, Label(f"at least {b} of the five haves", f"五有至少占{b}项")),
                  Label(f"{b} of the five haves: win probability > {s('win_band_4')} %",
                        f"五有占{b}项：签单几率 > {s('win_band_4')} %")),
        GradeRule("C", Cond("haves", ">=", s("grade_c_haves"),
                            Label(f"at least {s('grade_c_haves')} of the five haves",
                                  f"五有至少占{s('grade_c_haves')}项")),
                  Label(f"{s('grade_c_haves')}+ of the five haves", f"五有占{s('grade_c_haves')}项以上")),
        GradeRule("C", Cond("n_signals", ">=", s("grade_c_signals"),
                            Label(f"at least {s('grade_c_signals')} signing-intent signals",
                                  f"至少{s('grade_c_signals')}项签单意向信号")),
                  Label(f"{s('grade_c_signals')}+ signing-intent signals",
                        f"签单意向信号{s('grade_c_signals')}项以上")),
    )
    cap = s("no_decision_maker_cap")
    caps = (
        Cap(cap, (Cond("decision_maker", "!=", "yes"), Cond("contact_role", "==", "legal_representative")),
            Label("decision maker not reached — the legal representative is not necessarily the decision maker",
                  "未接触决策人——法人不一定是决策人")),
        Cap(cap, Cond("decision_maker", "!=", "yes"),
            Label("decision maker not reached — intent without the decision maker is not intent",
                  "未接触决策人——没有决策人的意向不算意向")),
    )
    return Scorecard(
        "software_intent", Label("signing intent: five haves, signals, decision maker",
                                 "签单意向：五有、签单信号、决策人"),
        criteria=criteria, ladder=ladder, caps=caps, features=features(settings), fallback="D",
        require=tuple(n for n, _, _ in model.HAVES) + ("n_signals",),
        maximum=sum(c.points for c in criteria) or 100.0,
    )


# ------------------------------------------------------------------ ladders

def _set(feature, en, zh):
    return Cond(feature, "set", None, Label(f"{en} recorded", f"已记录{zh}"))


def _yes(feature, en, zh):
    return Cond(feature, "==", "yes", Label(f"{en}: yes", f"{zh}：有/是"))


def _true(feature, en, zh):
    return Cond(feature, "true", None, Label(en, zh))


def _logged(kind, en, zh):
    return Cond(f"n_{kind}", ">=", 1, Label(f"{en} logged", f"已记录{zh}"))


PROJECT_STAGES = {
    "target_group": Label("target group", "目标客户群"),
    "opportunity": Label("potential opportunity", "潜在的商机"),
    "intent": Label("intent client", "意向客户"),
    "approval": Label("client project approval", "客户立项"),
    "acceptance": Label("preliminary acceptance", "初步认可"),
    "commercial": Label("commercial negotiation", "商务"),
    "won": Label("won", "成交客户"),
    "lost": Label("lost", "丢单"),
}


def project_ladder(settings) -> StageLadder:
    P = PROJECT_STAGES
    targets = _csv(settings[f"{NAME}.target_sectors"])
    return StageLadder((
        Stage("target_group", P["target_group"], requires=(
            _set("company", "company name", "公司名称"),
            Cond("sector", "in", targets, Label("sector in the target group (" + _sectors(targets).en + ")",
                                                "行业属于目标客户群（" + _sectors(targets).zh + "）")),
        )),
        Stage("opportunity", P["opportunity"], requires=(
            _set("employees", "company size (employees)", "企业规模（人员）"),
            _set("it_landscape", "IT landscape", "客户IT基本信息"),
            _set("competitors", "competing vendors", "参与竞争的软件厂商"),
            _set("requirements", "client's requirements", "客户的需求"),
            _set("budget", "budget", "客户的预算"),
            _set("project_team", "client's project team", "客户的项目组人员情况"),
        )),
        Stage("intent", P["intent"], requires=(
            _true("product_fit", "assessed as fitting our product", "经评估符合我们的产品"),
            _yes("has_need", "need", "有需求"),
            _yes("decision_maker", "decision maker reached", "已接触决策人"),
        )),
        Stage("approval", P["approval"], requires=(
            _true("project_approved", "client approved the project", "客户已立项"),
            _yes("has_budget", "budget", "有预算"),
        )),
        Stage("acceptance", P["acceptance"], requires=(
            _logged("demo", "product demo / solution presentation", "产品演示/方案讲解"),
            _true("solution_accepted", "client accepted our solution in principle", "客户初步认可我们的方案"),
        )),
        Stage("commercial", P["commercial"], requires=(
            _logged("quote", "quote", "报价"),
        )),
        Stage("won", P["won"], requires=(
            _logged("contract", "signed contract", "签约"),
        )),
        Stage("lost", P["lost"], requires=(
            _set("lost_reason", "why the deal was lost", "丢单原因"),
        ), terminal=True),
    ), mode="advanced")


def ten_level_ladder(settings) -> StageLadder:
    excluded = _csv(settings[f"{NAME}.a08_excluded_sectors"])
    sprint = settings[f"{NAME}.sprint_months"]
    a05 = (
        _yes("decision_maker", "decision maker", "拍板人"),
        _true("needs_met", "needs understood and met", "详细了解需求且能满足"),
        _true("fit_confirmed", "client finds us fitting", "客户认可我公司及产品"),
        _logged("quote", "our quote", "报价"),
    )
    L = Label
    return StageLadder((
        Stage("A21", L("A21 data", "A21资料级")),
        Stage("A08", L("A08 in scope", "A08范围级"), requires=(
            _set("company", "company name", "公司名称"),
            _set("sector", "industry", "行业"),
            Cond("sector", "not_in", excluded, L("sector not " + _sectors(excluded, "/", "/").en,
                                                 "行业非" + _sectors(excluded, "/", "/").zh)),
            Cond("size_in_scope", "true", None, L("size known and in scope", "规模已知且符合要求")),
            _set("fax", "fax", "传真"),
        )),
        Stage("A07", L("A07 not refusing", "A07不拒绝"), requires=(
            Cond("dm_answer", "in", ("neutral", "positive"),
                 L("a considered answer from the informed decision maker", "知情拍板人经考虑的答复")),
        )),
        Stage("A06", L("A06 positive response", "A06积极回应"), requires=_logged(
            "considering_switch", "considering a change of supplier", "考虑更换供应商")),
        Stage("A06", L("A06 positive response", "A06积极回应"), requires=_logged(
            "unhappy_with_supplier", "unhappy with the current supplier", "对现有供应商不满")),
        Stage("A06", L("A06 positive response", "A06积极回应"), requires=_logged(
            "talking_to_vendors", "talking to new suppliers", "与新供应商洽谈")),
        Stage("A06", L("A06 positive response", "A06积极回应"), requires=Cond(
            "dm_answer", "==", "positive", L("positive answer from the decision maker", "拍板人积极回应"))),
        Stage("A06", L("A06 positive response", "A06积极回应"), requires=Cond(
            "dm_asked", "true", None, L("the decision maker asked for material, a next contact or about us",
                                        "拍板人索要资料、约下次联系或询问公司/产品"))),
        Stage("A05", L("A05 intent", "A05意向级"), requires=a05),
        Stage("A04", L("A04 price", "A04价格级"), requires=a05 + (
            _true("price_affordable", "total affordable for the client", "总金额在客户承受范围内"),
            _true("price_in_range", "client's price within our range", "价格在我公司可接受范围内"),
        )),
        Stage("A03", L("A03 sprint", "A03冲刺级"), requires=_logged(
            "verbal_commitment", "verbal commitment by the decision maker", "拍板人口头承诺")),
        Stage("A03", L("A03 sprint", "A03冲刺级"), requires=_logged(
            "substantive_action", "substantive step (audit, samples, pilot)", "实质性行动")),
        Stage("A03", L("A03 sprint", "A03冲刺级"), requires=Cond(
            "sprint_window", "true", None, L(f"purchase within {sprint} months", f"未来{sprint}个月内采购"))),
        Stage("A02", L("A02 won", "A02成交级"), requires=_logged("contract", "contract signed", "签约")),
        Stage("A02", L("A02 won", "A02成交级"), requires=_logged("order", "purchase", "采购")),
        Stage("A02", L("A02 won", "A02成交级"), requires=_logged("payment", "payment", "付款")),
        Stage("A01", L("A01 closed", "A01结案级"), requires=(
            _logged("delivered", "delivery", "交付"),
            _logged("fully_paid", "all payments received", "款项收齐"),
            Cond("open_promises", "false", None, L("no open conditional promise", "无遗留有条件的承诺")),
        )),
        Stage("A31", L("A31 explicit refusal", "A31明确拒绝"), requires=Cond(
            "refused", "true", None, L("explicit, reasoned refusal by the informed decision maker",
                                       "知情拍板人经考虑、有原因的明确拒绝")), terminal=True),
    ))


def saas_ladder(settings) -> StageLadder:
    L = Label
    asked = Cond("decision_maker", "in", ("yes", "no"),
                 L("asked whether the contact is the decision maker", "已确认对接人是否为决策人"))
    dm = _yes("decision_maker", "the contact is the decision maker", "对接人是决策人")
    return StageLadder((
        Stage("interest", L("1 interest", "1 产生兴趣"), requires=(asked, _logged(
            "next_contact", "agreed to a next contact", "愿意二次沟通"))),
        Stage("interest", L("1 interest", "1 产生兴趣"), requires=(asked, Cond(
            "n_contact", ">=", 2, L("a second contact took place", "已进行二次沟通")))),
        Stage("clear_need", L("2 clear need", "2 明确需求"), requires=(
            dm, _yes("has_need", "need", "有需求"), _logged("meeting_request", "asked for a meeting", "要求面谈"))),
        Stage("clear_need", L("2 clear need", "2 明确需求"), requires=(
            dm, _yes("has_need", "need", "有需求"), _logged("other_software", "compares vendors", "比较厂商"))),
        Stage("value_assessment", L("3 value assessment, doubts remain", "3 价值评估，仍有疑虑"),
              requires=(dm, _true("fit_confirmed", "client accepts our value", "客户认可我们"))),
        Stage("agreed", L("4 cooperation agreed, no signing date", "4 确定合作，未定签约日期"),
              requires=(dm, _true("cooperation_agreed", "cooperation agreed", "已确定合作"))),
        Stage("signed", L("signed", "已签约"), requires=_logged("contract", "contract", "签约"), terminal=True),
    ))


def ladder(settings) -> StageLadder:
    choice = settings[f"{NAME}.ladder"]
    if choice == "ten_level":
        return ten_level_ladder(settings)
    if choice == "saas":
        return saas_ladder(settings)
    return project_ladder(settings)
