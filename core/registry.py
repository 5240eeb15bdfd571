"""What the installed plugins declare, collected once per command.

:class:`Registry` holds the industries (with the core's event kinds merged
in), the settings and the plugin migrations. :meth:`Registry.context`
asks the rule hooks once per enabled industry and returns a
:class:`Context` that the engine evaluates for any number of leads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from . import loader, profile, revisit
from .actors import FOLLOW_UP_FIELDS, MARK_KEYS
from .errors import LeadcycleError, NotFound
from .model import Choice, EventKind, Field, Industry, Label, Setting
from .rules import PART_OPS, Cadence, Cond, OwnershipPolicy, Scorecard, StageLadder
from .settings import Settings
from .i18n import M_, N_, Message

CORE_LEAD_FIELDS = ("name", "gender", "phone", "need")

CORE_EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("register", Label("registered", "登记"), loggable=False, contact=True,
              help=Label("The first registration (来访客户登记表).", "首次登记（来访客户登记表）。")),
    EventKind("set", Label("attributes changed", "资料变更"), loggable=False),
    EventKind("visit", Label("visit", "来访"), contact=True,
              fields=(Field("asks_for", "str", Label("asked for agent", "指名接待顾问")),
                      Field("purpose", "str", Label("purpose of the contact", "拜访目的"))),
              help=Label("The client came to the office or site (--set asks_for=AGENT when they ask "
                         "for an agent).", "客户到访售楼处/现场（指名找某顾问时 --set asks_for=姓名）。")),
    EventKind("call", Label("incoming call", "来电"), contact=True,
              fields=(Field("purpose", "str", Label("purpose of the contact", "拜访目的")),),
              help=Label("The client phoned in.", "客户来电。")),
    EventKind(
        "follow_up", Label("follow-up", "回访跟进"), contact=True,
        fields=(
            Field("channel", "choice", Label("channel", "方式"),
                  choices=(("phone", ("phone", "电话")), ("visit", ("visit", "面访")),
                           ("message", ("message", "短信/微信")), ("other", ("other", "其他")))),
            *FOLLOW_UP_FIELDS,
            Field("purpose", "str", Label("purpose of the contact", "拜访目的")),
        ),
        help=Label("An agent's follow-up: time, content (--note) and the client's reaction "
                   "(--set reaction=positive|neutral|hesitant|negative|refused|no_answer).",
                   "置业顾问的回访：时间、沟通内容（--note）与客户反应（积极/一般/犹豫/消极/拒绝/未接通）。"),
    ),
    EventKind("deposit", Label("deposit", "交定金"),
              fields=(Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),)),
    EventKind(
        "contract", Label("contract signed", "签约成交"),
        fields=(
            Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),
            Field("units", "int", Label("units", "套数/台数"), minimum=1),
            Field("item", "str", Label("unit / product", "房号/产品")),
            Field("buyer", "str", Label("buyer on the contract, if not the registered client", "签约人（与登记人不同时）")),
            Field("buyer_relation", "choice", Label("the buyer is the client's", "签约人与登记人关系"),
                  choices=(("spouse", ("spouse", "配偶")), ("parent", ("parent", "父母")), ("child", ("child", "子女")),
                           ("sibling", ("sibling", "兄弟姐妹")), ("partner", ("partner", "合伙人")),
                           ("other", ("other", "其他")))),
        ),
    ),
    EventKind("note", Label("note", "备注")),
    EventKind("stage", Label("stage entered", "进入阶段"), loggable=False),
    EventKind("owner", Label("owner changed", "归属变更"), loggable=False),
    EventKind("assist", Label("substantial help by a colleague", "同事协助（重大促进）"),
              help=Label("A colleague (--agent) gave the owner substantial help with this client; "
                         "the owner's deal then splits 70/30 (DOMAIN §3.6).",
                         "同事对该客户成交有重大促进作用；原顾问成交时按70/30分配。")),
    EventKind("dispute", Label("credit dispute", "业绩争议"), loggable=False),
    EventKind("void", Label("correction (void)", "更正（作废）"), loggable=False,
              help=Label("Voids an earlier entry, which stays in the register: leadcycle void LEAD EVENT "
                         "--as wrong_entry|cancel_subscription|return_unit|refund --reason TEXT --agent NAME.",
                         "作废一条早先的记录（原记录保留）：录入错误、退定、退房、退款。")),
) + revisit.EVENT_KINDS  # the revisit workflow's steps, written by `leadcycle revisit`
_CORE_KINDS = frozenset(k.name for k in CORE_EVENT_KINDS)

_GENDERS = (Choice("M", Label("male", "男")), Choice("F", Label("female", "女")))
GENDER_FIELD = Field("gender", "choice", Label("gender", "性别"), choices=_GENDERS, required=True)
BASE_FIELDS = (
    Field("name", "str", Label("name", "姓名"), required=True),
    GENDER_FIELD,
    Field("phone", "str", Label("phone", "联系电话"), required=True),
    Field("need", "str", Label("basic need", "客户需求"), required=True),
)


@attrs.frozen
class IndustryRules:
    industry: Industry
    scorecard: Scorecard | None
    stages: StageLadder | None
    cadence: Cadence | None
    ownership: OwnershipPolicy


def rule_names(rules: IndustryRules) -> dict[str, set[str]]:
    """Every name an industry's rules read a lead's value by, per hook that
    declared them: the scorecard's criteria, ratings, bands, ladders, caps,
    dimensions and the conditions of its derived values; each stage's
    requirements; the cadence's conditions."""
    from .rules import Count, Derived, Ref
    from .sqlrules import conditions_of, features_of

    names: dict[str, set[str]] = {"scorecard": set(), "stages": set(), "follow_up_cadence": set()}
    card = rules.scorecard
    if card is not None:
        names["scorecard"].update(features_of(card))
        for f in card.features:
            if isinstance(f, (Count, Derived)):
                names["scorecard"].update(c.feature for conds in conditions_of(f) for c in conds)
            if isinstance(f, Derived):
                names["scorecard"].update(value.feature for _, value in f.cases if isinstance(value, Ref))
    if rules.stages is not None:
        names["stages"].update(c.feature for st in rules.stages.stages for c in st.requires)
    if rules.cadence is not None:
        names["follow_up_cadence"].update(c.feature for r in rules.cadence.rules for c in r.when)
        names["follow_up_cadence"].update(c.feature for stop in rules.cadence.all_stops for c in stop.when)
    return names


def unknown_rule_names(rules: IndustryRules) -> dict[str, list[str]]:
    """``{hook: names}``: the names the rules read (:func:`rule_names`) that no lead of the
    industry has: no field, no value the core derives from the log or the
    clock (:class:`leadcycle.sqlrules.Vocabulary`), no value the scorecard
    itself derives. Such a name reads as missing, and every condition on it
    fails quietly: a misspelt count, a kind the industry does not have."""
    ind = rules.industry
    card = rules.scorecard
    kinds = {k.name for k in ind.event_kinds}
    tallies = {t.name: t for t in ind.tallies} | {"visit": None}
    dates = {f.name for f in ind.fields if f.type == "date"}
    known = {f.name for f in ind.fields} | set(CORE_LEAD_FIELDS) | {f.name for f in BASE_FIELDS}
    known |= {"owner", "stage", "grade", "score", "n_contact", "n_follow_up", "registered_at", "last_contact_at",
              "last_follow_up_at", "days_since_registered", "days_since_last_contact",
              "days_since_last_follow_up"}
    known |= {f"n_{k}" for k in kinds | set(tallies)}
    for t in tallies:
        known |= {f"first_{t}_at", f"last_{t}_at", f"days_since_first_{t}", f"days_since_last_{t}"}
    known |= {f"days_to_first_{name}" for name, t in tallies.items() if t is not None and t.after is not None}
    known |= {f"days_until_{d}" for d in dates}
    if card is not None:
        known |= {f.name for f in card.features}

    declared = {k.name: k for k in ind.event_kinds}

    def is_known(name: str) -> bool:
        if name in known:
            return True
        head, dot, key = name.partition(".")  # last_<tally>.<key>: a key its entries' data carry
        if not (dot and head.startswith("last_") and head[5:] in tallies):
            return False
        tally = tallies[head[5:]]
        fields = data_fields(("visit", "register") if tally is None else tally.kinds, declared)
        return fields is None or key.partition(".")[0] in fields

    return {hook: sorted(n for n in names if not is_known(n)) for hook, names in rule_names(rules).items()
            if any(not is_known(n) for n in names)}


def rule_conditions(rules: IndustryRules) -> dict[str, list[Cond]]:
    """``{hook: conditions}``: every condition on a lead's values that an
    industry's rules hold, per hook that declared them (the scorecard's
    criteria, ladder, caps, floors and derived values; each stage's
    requirements; the cadence's rules and stops)."""
    from .rules import Count, Criterion, Derived
    from .sqlrules import conditions_of

    out: dict[str, list[Cond]] = {"scorecard": [], "stages": [], "follow_up_cadence": []}
    card = rules.scorecard
    if card is not None:
        out["scorecard"] += [c for crit in card.criteria if isinstance(crit, Criterion) for c in crit.when]
        out["scorecard"] += [c for rule in (*card.ladder, *card.caps, *card.floors) for c in rule.when]
        out["scorecard"] += [c for f in card.features if isinstance(f, (Count, Derived))
                             for conds in conditions_of(f) for c in conds]
    if rules.stages is not None:
        out["stages"] += [c for st in rules.stages.stages for c in st.requires]
    if rules.cadence is not None:
        out["follow_up_cadence"] += [c for r in rules.cadence.rules for c in r.when]
        out["follow_up_cadence"] += [c for stop in rules.cadence.all_stops for c in stop.when]
    return out


#: a condition's operators that compare with its value (``set``, ``true``… take none)
_COMPARING = ("==", "!=", ">=", ">", "<=", "<", "in", "not_in", "has", "lacks", "any_of", "none_of")


@attrs.frozen
class Domain:
    """What a value the rules read can be, as far as the declarations say:
    one of ``choices`` (a choice field — ``multiple``: several, joined
    by commas —, the stage, the grade), a yes/no, or a number."""

    kind: str  # "choices", "bool" or "number"
    choices: tuple = ()
    multiple: bool = False

    @classmethod
    def of_field(cls, field: Field) -> Domain | None:
        if field.type == "choice":
            return cls("choices", tuple(c.value for c in field.choices), field.multiple)
        if field.type == "bool":
            return cls("bool")
        if field.type in ("int", "float"):
            return cls("number")
        return None  # text, dates: anything a condition compares them with may be meant

    @staticmethod
    def either(a: Domain | None, b: Domain | None) -> Domain | None:
        """What a value of ``a`` or of ``b`` can be (None: anything)."""
        if a is None or b is None or a.kind != b.kind:
            return None
        return Domain(a.kind, tuple(dict.fromkeys((*a.choices, *b.choices))), a.multiple or b.multiple)

    def off(self, value: Any, name: str) -> Message | None:
        """What ``value`` should have been, when ``name`` can never be it."""
        if self.kind == "choices":
            parts = [v for v in value.split(",") if v] if self.multiple and isinstance(value, str) else [value]
            if parts and all(p in self.choices for p in parts):
                return None
            return M_("one of {values}", values=", ".join(map(str, self.choices)))
        if self.kind == "bool":
            if value is True or value is False or (_is_number(value) and value in (0, 1)):
                return None
            return M_("true or false; or write Cond({name!r}, \"true\")", name=name)
        return None if _is_number(value) else M_("a number, written without quotes")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Fraction)) and not isinstance(value, bool)


def compared(cond: Cond) -> list[Any]:
    """The values ``cond`` compares with (``None`` in a list means "or
    unset", and is always meant)."""
    if cond.op in ("in", "not_in", "any_of", "none_of"):
        return [v for v in cond.value if v is not None]
    return [cond.value] if cond.op in _COMPARING and cond.value is not None else []


def data_fields(kinds: Iterable[str], declared: Mapping[str, EventKind]) -> dict[str, Domain | None] | None:
    """The data the entries of ``kinds`` carry, each key with what its
    value can be: their declared fields (a key two kinds declare can be
    what either allows), and the marks an entry on a colleague's lead
    gets (:data:`MARK_KEYS`, anything); None when one of them is
    unknown. When one is the core's (the core writes data of its own into
    a visit, a ``set``, an ``owner`` entry…, which no declaration lists),
    any key may be there (``in`` always holds, :class:`_OpenData`) and a
    key only some of them declare can be anything."""
    kinds = tuple(kinds)
    if any(k not in declared for k in kinds):
        return None
    # the core writes data of its own into its kinds: any key may be there,
    # but a key they declare (a follow-up's reaction) holds only its values
    open_ = any(k in _CORE_KINDS or not declared[k].loggable for k in kinds)
    out: dict[str, Domain | None] = (_OpenData if open_ else dict)(dict.fromkeys(MARK_KEYS))
    declaring: dict[str, int] = {}
    for k in kinds:
        for f in declared[k].fields:
            d = Domain.of_field(f)
            out[f.name] = Domain.either(out[f.name], d) if dict.__contains__(out, f.name) else d
            declaring[f.name] = declaring.get(f.name, 0) + 1
    if open_:  # a key some kind does not declare may hold anything the core writes there
        for key, n in declaring.items():
            if n < len(kinds):
                out[key] = None
    return out


class _OpenData(dict):
    """The data of entries the core also writes into: every key may be
    there (``in`` is always true); a declared key's domain is known."""

    def __contains__(self, key: object) -> bool:
        return True


def _domains(rules: IndustryRules, stages_elsewhere: Iterable[str] = ()) -> Callable[[str], Domain | None]:
    """The :class:`Domain` of each name the rules read, where known (a
    stage: one of the ladder's, or of ``stages_elsewhere``)."""
    from .rules import Count

    ind, card = rules.industry, rules.scorecard
    fields = {f.name: f for f in (*BASE_FIELDS, *ind.fields)}
    tallies = {t.name: t.kinds for t in ind.tallies} | {"visit": ("visit", "register")}
    kinds = {k.name: k for k in ind.event_kinds}
    scale = tuple(dict.fromkeys((*(c.value for c in ind.grades), *(card.scale if card is not None else ()))))
    counted = {f.name for f in card.features if isinstance(f, Count)} if card is not None else set()

    def domain(name: str) -> Domain | None:
        if name in fields:
            return Domain.of_field(fields[name])
        if name == "stage":
            return Domain("choices", tuple(dict.fromkeys((*(s.name for s in rules.stages.stages),
                                                          *stages_elsewhere)))) if rules.stages else None
        if name == "grade":
            return Domain("choices", scale)
        if name == "score" or name in counted or name.startswith(("n_", "days_since_", "days_until_",
                                                                  "days_to_first_")):
            return Domain("number")
        head, dot, key = name.partition(".")  # last_<tally>.<key>: the key's field
        if dot and head.startswith("last_") and head[5:] in tallies and "." not in key:
            return (data_fields(tallies[head[5:]], kinds) or {}).get(key)
        return None

    return domain


def _value_text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def off_domain(cond: Cond, domain: Domain | None, lenient: bool = False) -> list[Message]:
    """What is wrong with the values ``cond`` compares with, for a name of
    ``domain``; with ``lenient``, a list with one right value is right (a
    list of stages may name those of the industry's other ladders, which a
    setting chooses among)."""
    if domain is None:
        return []
    found = [(value, domain.off(value, cond.feature)) for value in compared(cond)]
    if lenient and any(expected is None for _, expected in found):
        return []
    always = cond.op in ("!=", "not_in", "lacks", "none_of")  # a test that never fails
    return [(M_("Cond({name!r}, {op!r}, …) compares {name} with {value}, which it never is (it is {expected}), "
                "so it always holds", name=cond.feature, op=cond.op, value=_value_text(value), expected=expected)
             if always else
             M_("Cond({name!r}, {op!r}, …) compares {name} with {value}, which it never is (it is {expected})",
                name=cond.feature, op=cond.op, value=_value_text(value), expected=expected))
            for value, expected in found if expected is not None]


def rule_value_problems(rules: IndustryRules,
                        stages_elsewhere: Iterable[str] = ()) -> list[tuple[str, str, Message]]:
    """``[(hook, name read, problem)]``: the conditions and ratings of an
    industry's rules that compare a value with one it can never be — a
    choice that is not among the field's, a stage not on the ladder, a
    grade off the scale, ``"yes"`` for a yes/no field, ``"150000"`` for a
    number — and the cadence's rules for grades off the scale or counting
    kinds the industry does not have. Each would load, read as meant, and
    silently never hold. ``stages_elsewhere``: the stages of the ladders
    the industry's settings could choose instead of this one."""
    from .rules import Rating

    domain = _domains(rules, stages_elsewhere)
    ind, card, cadence = rules.industry, rules.scorecard, rules.cadence
    out: list[tuple[str, str, Message]] = []
    typed = {f.name: f.type for f in (*BASE_FIELDS, *ind.fields)}
    for hook, conds in rule_conditions(rules).items():
        for cond in conds:
            d = domain(cond.feature)
            out += [(hook, cond.feature, problem)
                    for problem in off_domain(cond, d, lenient=cond.feature == "stage")]
            if cond.op in ("true", "false") and d is not None and d.kind == "choices" and cond.feature != "stage":
                # a choice is never True (nor 1): the test always answers the same
                out.append((hook, cond.feature, M_(
                    "Cond({name!r}, {op!r}) tests a yes/no, and {name} is one of {values}: write "
                    "Cond({name!r}, \"==\", …)", name=cond.feature, op=cond.op,
                    values=", ".join(map(str, d.choices)))))
            numbers = [v for v in compared(cond) if _is_number(v)]
            if typed.get(cond.feature) in ("str", "date") and numbers:
                out.append((hook, cond.feature, M_(
                    "Cond({name!r}, {op!r}, …) compares {name} with the number {value}, which it never is "
                    "(it is a {type} field: compare with a text, '2026-03-01' for a date)",
                    name=cond.feature, op=cond.op, value=numbers[0], type=typed[cond.feature])))
    ratings = [c for c in card.criteria if isinstance(c, Rating)] if card is not None else []
    for rating in ratings:
        d = domain(rating.feature)
        if d is not None and d.multiple:  # its stored value is the chosen ones joined: never one key
            out.append(("scorecard", rating.feature, M_(
                "Rating({name!r}, …) rates one value, and {name} holds several (a multiple choice): give points "
                "per value with Criterion(…, Cond({name!r}, \"==\", value))", name=rating.feature)))
            continue
        off = [v for v in rating.points if d is not None and d.off(v, rating.feature) is not None]
        if off:
            out.append(("scorecard", rating.feature, M_(
                "Rating({name!r}, …) gives points for {values}, which {name} never is (it is {expected})",
                name=rating.feature, values=", ".join(map(_value_text, off)),
                expected=d.off(off[0], rating.feature))))

    def not_number(name: str) -> Message | None:
        """What ``name`` is instead of a number, if the declarations say
        (a text or a date field has no domain, and failed at the first
        lead an adjustment compared)."""
        d = domain(name)
        if d is not None and d.kind != "number":
            return d.off(None, name) if d.kind == "choices" else M_("true or false")
        return M_("a {type} field", type=typed[name]) if typed.get(name) in ("str", "date") else None

    for adjustment in card.adjustments if card is not None else ():
        what = not_number(adjustment.feature)  # its bands are upper bounds of a number
        if what is not None:
            out.append(("scorecard", adjustment.feature, M_(
                "Adjustment({name!r}, …) takes points by bands of {feature}, which is not a number (it is {what})",
                name=adjustment.name, feature=adjustment.feature, what=what)))
    for dimension in card.dimensions if card is not None else ():
        if dimension.auxiliary:  # shown beside the grade, never the grade: any value reads
            continue
        d, scale = domain(dimension.feature), domain("grade").choices
        off = [v for v in (d.choices if d is not None and d.kind == "choices" else ()) if v not in scale]
        if off or (d is not None and d.kind != "choices"):  # the worst rated dimension is the grade
            out.append(("scorecard", dimension.feature, M_(
                "Dimension({name!r}, …) rates a lead by {name}, whose values {values} are no grades on the "
                "industry's scale ({scale})", name=dimension.feature,
                values=", ".join(map(_value_text, off)) or M_("(not a choice)"), scale=", ".join(scale))))
    ladder = rules.stages
    if ladder is not None and ladder.mode == "computed":
        unreached = [st.name for st in ladder.stages if st.terminal and not st.requires]
        if unreached:  # a computed ladder enters a terminal stage when its requirements hold
            out.append(("stages", "stage", M_(
                "its ladder's terminal stages {stages} have no requirements: a computed ladder never "
                "reaches them (give each requires=…)", stages=", ".join(unreached))))
    if cadence is not None:
        scale = domain("grade").choices
        off = sorted({r.grade for r in cadence.rules if r.grade is not None and r.grade not in scale})
        if off:
            out.append(("follow_up_cadence", "grade", M_(
                "its cadence has rules for grades {grades}, which are not on the industry's scale ({scale}): "
                "no lead has them", grades=", ".join(off), scale=", ".join(scale))))
        seen: set = set()
        twice = []
        for r in cadence.rules:  # the first of two alike is always taken
            if (r.grade, r.when) in seen:
                twice.append(r.grade or M_("(no grade)"))
            seen.add((r.grade, r.when))
        if twice:
            out.append(("follow_up_cadence", "grade", M_(
                "its cadence has two rules for grade {grades} under the same conditions: the second never "
                "applies", grades=twice)))
        kinds = {k.name for k in ind.event_kinds}
        off = [k for k in (*(cadence.kinds or ()), *cadence.restart) if k not in kinds]
        if off:
            out.append(("follow_up_cadence", "kind", M_(
                "its cadence counts entries of kinds {kinds}, which {industry} does not have: none would "
                "ever count", kinds=", ".join(off), industry=ind.name)))
    return out


@attrs.frozen
class Context:
    """Everything the engine needs for one run: rules per enabled industry
    and the settings. Built once; evaluated for any number of leads."""

    registry: "Registry"
    settings: Settings
    rules: dict[str, IndustryRules]
    #: enabled industries whose plugin is not installed: their leads keep
    #: what was last computed for them
    missing: frozenset[str] = frozenset()
    #: each industry's read plan compiled from these rules, by the
    #: database constants it names (kept with the rules: see
    #: :meth:`Registry.context`)
    plans: dict = attrs.field(factory=dict, eq=False, repr=False)

    def for_industry(self, name: str) -> IndustryRules:
        try:
            return self.rules[name]
        except KeyError:
            if name in self.missing:
                raise NotFound(N_("industry {name!r} is enabled in this database but its plugin is not "
                                  "installed; install it (leadcycle plugins lists what is)"), name=name) from None
            raise NotFound(N_("industry {name!r} is not enabled in this database; "
                              "run: leadcycle init --industry {name}"), name=name) from None


#: (the loaded plugins, their registry): see :meth:`Registry.current`
_CURRENT: tuple | None = None


def _check_rules(rules: IndustryRules, answered_by: dict[str, str | None],
                 other_stages: Callable[[], Iterable[str]] = tuple) -> None:
    """Refuse the hook whose rules give a grade off the industry's scale,
    read a name no lead has (:func:`unknown_rule_names`) or compare a value
    with one it never is (:func:`rule_value_problems`; a stage of a ladder
    another setting chooses, ``other_stages()``, is one it may be), naming
    the plugin that answered it (``answered_by``: hook → plugin)."""
    name, card = rules.industry.name, rules.scorecard
    if card is not None:
        scale = [c.value for c in rules.industry.grades]
        given = [g for g, _ in card.thresholds] + [r.grade for r in (*card.ladder, *card.caps, *card.floors)]
        off = sorted({g for g in (*given, card.fallback) if g is not None and g not in scale})
        if off:
            raise loader.PluginFailed(answered_by["scorecard"], "scorecard", M_(
                "its scorecard for {industry} gives grades {grades}, which are not on the industry's "
                "scale ({scale}): no list by grade could find them", industry=name, grades=", ".join(off),
                scale=", ".join(scale)))
    for hook, names in unknown_rule_names(rules).items():
        if hook != "scorecard" and answered_by["scorecard"] not in (None, answered_by[hook]):
            # a ladder or cadence may read values its own plugin's scorecard
            # derives, which another plugin's replaced: only the names the
            # core would derive are surely wrong
            names = [n for n in names if _derived_name(n)]
            if not names:
                continue
        kinds = {k.name for k in rules.industry.event_kinds}
        # days_since_last_quote, first_quote_at: moments of a kind are a tally's
        moments = sorted({k for n in names for k in kinds
                          if n in (f"days_since_last_{k}", f"days_since_first_{k}", f"last_{k}_at", f"first_{k}_at")})
        problem = M_("its rules for {industry} read {names}, which no lead has (no field, event kind, tally or "
                     "derived value of that name), so a condition on it never holds", industry=name,
                     names=", ".join(names))
        if moments:
            problem = M_("{problem}; the moments of a kind are a tally's: declare Tally({kind!r}, ({kind!r},)) "
                         "in the industry", problem=problem, kind=moments[0])
        raise loader.PluginFailed(answered_by[hook], hook, problem)
    for hook, problem in order_problems(rules):
        raise loader.PluginFailed(answered_by[hook], hook, problem)
    found = rule_value_problems(rules)
    if any(read == "stage" for _, read, _ in found):  # (only then: the ladders are asked again)
        found = rule_value_problems(rules, other_stages())
    problems: dict[str, list[Message]] = {}
    for hook, read, problem in found:
        # a cadence or scorecard reading the stage of another plugin's ladder
        # (which replaced its own plugin's) may have meant its own's stages
        if read == "stage" and hook != "stages" and answered_by["stages"] not in (None, answered_by[hook]):
            continue
        problems.setdefault(hook, []).append(problem)
    for hook, found in problems.items():
        raise loader.PluginFailed(answered_by[hook], hook, M_(
            "its rules for {industry} never hold as written: {problems}", industry=name, problems=found))


def _check_policy(industry: Industry, policy: OwnershipPolicy, plugin: str | None) -> None:
    """Refuse an ownership policy whose deal or contact kinds the industry
    does not have: a misspelt one would never make a deal, nor keep a lead
    protected. (Commission stages of kinds it lacks are left out by design:
    the core's stages are the property office's.)"""
    kinds = {k.name for k in industry.event_kinds}
    off = [k for k in (*policy.deal_kinds, *sorted(policy.contact_kinds)) if k not in kinds]
    if off:
        raise loader.PluginFailed(plugin, "ownership_policy", M_(
            "its ownership policy for {industry} counts entries of kinds {off}, which the industry does not "
            "have (its kinds: {kinds}), so none would ever count", industry=industry.name,
            off=", ".join(dict.fromkeys(off)), kinds=", ".join(sorted(kinds))))


def order_problems(rules: IndustryRules) -> list[tuple[str, Message]]:
    """``[(hook, problem)]``: rules reading a value that is decided after
    them — the derived values, then the stage (which may read them), then
    the score and grade (which may read the stage), then the follow-up
    (which may read all). Read before it is decided, the value is never
    set: such a condition would silently never hold (or always)."""
    from .rules import Count, Derived
    from .sqlrules import conditions_of, features_of

    out: list[tuple[str, Message]] = []
    card, ladder = rules.scorecard, rules.stages
    if card is not None:
        derived = sorted({c.feature for f in card.features if isinstance(f, (Count, Derived))
                          for conds in conditions_of(f) for c in conds} & {"stage", "grade", "score"})
        if derived:
            out.append(("scorecard", M_(
                "its derived values read {names}, which are decided after them (the stage may read the "
                "derived values, the grade the stage): read them in a criterion or a cadence rule instead",
                names=", ".join(derived))))
        read = set(features_of(card)) | {c.feature for c in rule_conditions(rules)["scorecard"]}
        own = sorted(read & {"grade", "score"})
        if own:
            out.append(("scorecard", M_(
                "its scorecard reads {names}, which the scorecard itself decides: they are not set while it is "
                "evaluated (a cadence rule may read them)", names=", ".join(own))))
    if ladder is not None:
        graded = sorted({c.feature for st in ladder.stages for c in st.requires} & {"grade", "score"})
        if graded:
            out.append(("stages", M_(
                "its ladder reads {names}, which the scorecard decides after the stage (a criterion may read "
                "the stage): a requirement on them is never met", names=", ".join(graded))))
    return out


def _plain_default(setting: Setting) -> Setting:
    """The setting with its default as its values are kept: a day
    (``dt.date``) of a date setting as its ISO text, an exact number
    (``Fraction(1, 2)``, ``Decimal``) of a float setting as a float."""
    import datetime as dt
    import decimal

    d = setting.default
    if setting.type == "date" and isinstance(d, dt.date) and not isinstance(d, dt.datetime):
        return attrs.evolve(setting, default=d.isoformat())
    if setting.type == "float" and isinstance(d, (Fraction, decimal.Decimal)):
        return attrs.evolve(setting, default=float(d))
    return setting


def _derived_name(name: str) -> bool:
    """Whether ``name`` is one the rules' vocabulary derives from the log or
    the clock (:class:`leadcycle.sqlrules.Vocabulary`,
    :func:`leadcycle.engine.facts`): an attribute of that name would be
    read by one and not the other."""
    return (name.startswith(("n_", "days_since_", "days_until_", "days_to_first_"))
            or name in ("registered_at", "owner", "stage")
            or (name.startswith(("first_", "last_")) and name.endswith("_at")))


class Registry:
    """The installed plugins' industries, settings and migrations. Each
    plugin's registrations count all or none: one that raises, or hands
    ``register`` something it refuses, is left out with a warning
    (:func:`leadcycle.loader.registrations`)."""

    @classmethod
    def current(cls) -> "Registry":
        """The registry of the plugins loaded now, built once for them: a
        process that opens many books (a server, an integrator's job, the
        tests) does not re-run every plugin's registrations each time."""
        global _CURRENT
        pm = loader.get_pm()
        # the plugin objects themselves, held: an id could be reused
        loaded = [pm, *(p for _, p in pm.list_name_plugin())]
        if _CURRENT is None or len(_CURRENT[0]) != len(loaded) or any(
                a is not b for a, b in zip(_CURRENT[0], loaded)):
            _CURRENT = (loaded, cls())
        return _CURRENT[1]

    def __init__(self):
        self.industries: dict[str, Industry] = {}
        self.settings: dict[str, Setting] = {}
        self.migrations: list = []
        #: the rules asked of the hooks, by the settings and industries
        #: they were asked under (:meth:`context`)
        self._contexts: dict[tuple[str, tuple[str, ...]], Context] = {}
        for hook, check, add in (
            ("register_industries", self._check_industry, self._add_industry),
            ("register_settings", self._check_setting, self._add_setting),
            ("register_migrations", self._check_migrations, self.migrations.append),
        ):
            for _, batch in loader.registrations(hook, check):
                for item in batch:
                    add(item)

    def _check_industry(self, industry: Industry, batch: list) -> None:
        if not isinstance(industry, Industry):
            raise TypeError(f"register() takes an Industry, not {type(industry).__name__}")
        if industry.name in self.industries or any(i.name == industry.name for i in batch):
            raise ValueError(f"industry {industry.name!r} is registered twice")
        core_kinds = {k.name for k in CORE_EVENT_KINDS}
        for what, names in (("field", [f.name for f in industry.fields]),
                            ("event kind", [k.name for k in industry.event_kinds])):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"industry {industry.name!r}: {what} {', '.join(map(repr, twice))} is declared twice")
        for k in industry.event_kinds:
            if k.name in core_kinds:
                raise ValueError(f"industry {industry.name!r}: event kind {k.name!r} is the core's")
        for f in industry.fields:
            if f.name in CORE_LEAD_FIELDS or f.name in profile.FIELD_NAMES:
                raise ValueError(f"industry {industry.name!r}: field {f.name!r} is the core's")
            if _derived_name(f.name):
                raise ValueError(f"industry {industry.name!r}: field {f.name!r} is named as a value the core "
                                 "derives from the log (n_…, days_since_…, days_until_…, first_/last_…_at, "
                                 "owner, stage): rules would read one or the other; name it otherwise")
        self._check_tallies(industry)
        self._check_labels(industry)

    @staticmethod
    def _check_labels(industry: Industry) -> None:
        """Every label an industry declares has both its texts: an empty one
        shows a blank to readers of that language (a plain text stands for
        both, a ``(en, zh)`` pair for each)."""
        def labels():
            yield "the industry", industry.label
            yield "the agent label", industry.agent_label
            for g in industry.grades:
                yield f"grade {g.value!r}", g.label
            for f, of in [(f, "") for f in industry.fields] + [
                    (f, f" of event kind {k.name!r}") for k in industry.event_kinds for f in k.fields]:
                yield f"field {f.name!r}{of}", f.label
                for c in f.choices:
                    yield f"choice {c.value!r} of field {f.name!r}{of}", c.label
            for k in industry.event_kinds:
                yield f"event kind {k.name!r}", k.label

        for what, label in labels():
            for lang, text in (("English", label.en), ("Chinese", label.zh)):
                if not text.strip():
                    raise ValueError(f"industry {industry.name!r}: {what} has no {lang} label "
                                     f"(Label({label.en!r}, {label.zh!r}))")

    @staticmethod
    def _check_tallies(industry: Industry) -> None:
        """Each tally a name of its own (not the core's), counting kinds the
        industry has, after a tally that exists."""
        from .storage import CORE_TALLIES

        kinds = {k.name for k in CORE_EVENT_KINDS} | {k.name for k in industry.event_kinds}
        names = [t.name for t in industry.tallies]
        core = {t.name for t in CORE_TALLIES}
        for t in industry.tallies:
            if names.count(t.name) > 1 or t.name in core or t.name in kinds:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} is declared twice, or is the "
                                 "name of the core's tally or of an event kind")
            unknown = [k for k in t.kinds if k not in kinds]
            if unknown:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} counts unknown kinds "
                                 f"{', '.join(unknown)}")
            fields = data_fields(t.kinds, {k.name: k for k in (*CORE_EVENT_KINDS, *industry.event_kinds)})
            for cond in t.where if fields is not None else ():
                key = cond.feature.partition(".")[0]
                if key not in fields:
                    raise ValueError(f"industry {industry.name!r}: tally {t.name!r} reads {cond.feature!r}, which "
                                     f"no entry it counts carries (their data: {', '.join(fields) or 'none'}), so "
                                     "its condition never holds")
                for problem in off_domain(cond, fields.get(key) if key == cond.feature else None):
                    raise ValueError(f"industry {industry.name!r}: tally {t.name!r}: {problem}")
            plain = {x.name for x in industry.tallies if x.after is None} | core
            if t.after is not None and t.after not in plain:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} counts after {t.after!r}, "
                                 "which is no tally (or is itself counted after another)")

    @property
    def tallies(self) -> tuple:
        """Every industry's tallies, each marked with its industry."""
        return tuple(attrs.evolve(t, industry=ind.name) for ind in self.industries.values() for t in ind.tallies)


    def _add_industry(self, industry: Industry) -> None:
        # every industry's leads have the core's profile, source and temperament fields
        merged = attrs.evolve(industry, event_kinds=CORE_EVENT_KINDS + tuple(industry.event_kinds),
                              fields=tuple(industry.fields) + profile.FIELDS)
        # a tally's condition on a multiple-choice key of its entries, part by
        # part (as the rules' conditions on such a field: see part_wise)
        kinds = {k.name: k for k in merged.event_kinds}
        tallies = tuple(_map_conds(t, _part_wise_in(_multiple_data(t.kinds, kinds))) for t in merged.tallies)
        self.industries[industry.name] = attrs.evolve(merged, tallies=tallies)

    def _check_setting(self, setting: Setting, batch: list) -> None:
        if not isinstance(setting, Setting):
            raise TypeError(f"register() takes a Setting, not {type(setting).__name__}")
        if setting.key in self.settings or any(s.key == setting.key for s in batch):
            raise ValueError(f"setting {setting.key!r} is declared twice")
        setting = _plain_default(setting)
        if setting.default not in (None, ""):
            # the default is a value the setting itself accepts: its type, range and choices
            try:
                coerced = setting.coerce(setting.default)
            except LeadcycleError as e:
                raise ValueError(f"setting {setting.key!r}: its default {setting.default!r} is not a value it "
                                 f"accepts ({e.translated('en')})") from None
            if type(coerced) is not type(setting.default) and not (setting.type == "float"
                                                                   and isinstance(setting.default, int)):
                raise ValueError(f"setting {setting.key!r}: its default {setting.default!r} is a "
                                 f"{type(setting.default).__name__}, not the {setting.type} it declares")

    def _add_setting(self, setting: Setting) -> None:
        self.settings[setting.key] = _plain_default(setting)

    def _check_migrations(self, migrations, batch: list) -> None:
        from sqlite_utils.migrations import Migrations

        if not isinstance(migrations, Migrations):
            raise TypeError(f"register() takes a sqlite_utils Migrations set, not {type(migrations).__name__}")
        taken = {"core", *(m.name for m in self.migrations), *(m.name for m in batch)}
        if migrations.name in taken:
            raise ValueError(f"migration set {migrations.name!r} is already taken; "
                             "name the set after the plugin")

    def industry(self, name: str) -> Industry:
        try:
            return self.industries[name]
        except KeyError:
            known = ", ".join(sorted(self.industries)) or "none installed"
            raise NotFound(N_("unknown industry {name!r}; installed: {known}"), name=name, known=known) from None

    def event_kind(self, industry: str, kind: str) -> EventKind:
        ind = self.industry(industry)
        for k in ind.event_kinds:
            if k.name == kind:
                return k
        loggable = ", ".join(k.name for k in ind.event_kinds if k.loggable)
        raise NotFound(N_("unknown event kind {kind!r} for {industry}; use one of: {loggable}"),
                       kind=kind, industry=industry, loggable=loggable)

    def _stages_elsewhere(self, industry: str, settings: Settings) -> set[str]:
        """The stages of the ladders a setting would choose other than now
        (software's ``software_sales.ladder``, a yes/no "fleet mode", a
        number): a rule may name any of them. Each choice or yes/no setting
        is tried at each of its values, a number at its bounds and default;
        then each pair of choices or yes/noes of one section together."""
        import itertools

        out: set[str] = set()
        tried: dict[str, list] = {}
        for key, setting in self.settings.items():
            if setting.type == "choice":
                tried[key] = [c.value for c in setting.choices]
            elif setting.type == "bool":
                tried[key] = [True, False]
            elif setting.type == "int":
                tried[key] = [v for v in (setting.minimum, setting.maximum, setting.default) if v is not None]

        def ladder_under(changes: dict) -> None:
            try:
                ladder = loader.first_result("stages", industry=industry, settings=Settings(
                    self.settings, {**settings.stored, **changes}))
            except (loader.PluginFailed, LeadcycleError, TypeError, ValueError):
                return  # a value its rules refuse: no ladder of its
            if ladder is not None:
                out.update(s.name for s in ladder.stages)

        for key, values in tried.items():
            for value in values:
                ladder_under({key: value})
        # two choices or yes/noes of one section together (a ladder for fleet sales in the north)
        few = [k for k, v in tried.items() if self.settings[k].type in ("choice", "bool") and len(v) <= 6]
        for a, b in itertools.combinations(few, 2):
            if a.partition(".")[0] == b.partition(".")[0]:
                for va, vb in itertools.product(tried[a], tried[b]):
                    ladder_under({a: va, b: vb})
        return out

    def context(self, settings: Settings, enabled: list[str]) -> Context:
        """Ask the rule hooks once per enabled industry. These are decision
        hooks: a plugin that raises or returns the wrong type refuses the
        command (:class:`~leadcycle.loader.PluginFailed`).

        The rules are data of the settings (and of the plugins, this
        registry's): asked once a process for the same settings and
        industries, and kept for the next book opened on them (a few
        milliseconds of every command; a server's every request)."""
        key = (json.dumps(settings.stored, sort_keys=True, default=repr), tuple(enabled))
        if key in self._contexts:
            return self._contexts[key]
        context = self._ask(settings, enabled)
        if len(self._contexts) >= 16:  # the oldest goes
            del self._contexts[next(iter(self._contexts))]
        self._contexts[key] = context
        return context

    def _ask(self, settings: Settings, enabled: list[str]) -> Context:
        rules = {}
        for name in enabled:
            if name not in self.industries:
                continue  # plugin not installed any more; its leads stay as they were
            kw = dict(industry=name, settings=settings)
            owned_by, policy = loader.first_answer("ownership_policy", **kw)
            policy = policy or OwnershipPolicy()
            _check_policy(self.industries[name], policy, owned_by)
            answers = {hook: loader.first_answer(hook, **kw) for hook in ("scorecard", "stages", "follow_up_cadence")}
            rules[name] = IndustryRules(
                industry=self.industries[name],
                scorecard=answers["scorecard"][1],
                stages=answers["stages"][1],
                cadence=answers["follow_up_cadence"][1],
                ownership=policy,
            )
            _check_rules(rules[name], {hook: plugin for hook, (plugin, _) in answers.items()},
                         lambda name=name: self._stages_elsewhere(name, settings))
            rules[name] = part_wise(rules[name])
        return Context(registry=self, settings=settings, rules=rules,
                       missing=frozenset(n for n in enabled if n not in self.industries))


def part_wise(rules: IndustryRules) -> IndustryRules:
    """The rules with each condition on a multiple-choice field tested part
    by part (:data:`leadcycle.rules.PART_OPS`): ``Cond("colors", "in",
    ("red",))`` holds for a lead who chose red and blue, as its author
    means; compared whole, the stored ``red,blue`` never held. So is a
    condition on such a field of a tally's last entry (``last_<tally>.<key>``)."""
    ind = rules.industry
    kinds = {k.name: k for k in ind.event_kinds}
    multiple = {f.name for f in ind.fields if f.multiple} | {
        f"last_{t.name}.{key}" for t in ind.tallies for key in _multiple_data(t.kinds, kinds)}
    if not multiple:
        return rules
    part = _part_wise_in(multiple)
    return attrs.evolve(rules, scorecard=_map_conds(rules.scorecard, part), stages=_map_conds(rules.stages, part),
                        cadence=_map_conds(rules.cadence, part))


def _multiple_data(kinds: Iterable[str], declared: Mapping[str, EventKind]) -> set[str]:
    """The data keys of the entries of ``kinds`` that are multiple choices."""
    return {f.name for k in kinds if k in declared for f in declared[k].fields if f.multiple}


def _part_wise_in(multiple: set[str]) -> Callable[[Cond], Cond]:
    """A condition on one of the ``multiple`` names, tested part by part."""
    def part(c: Cond) -> Cond:
        return attrs.evolve(c, op=PART_OPS[c.op]) if c.feature in multiple and c.op in PART_OPS else c

    return part


def _map_conds(obj: Any, fn: Callable[[Cond], Cond]) -> Any:
    """``obj`` (a rule, or rules inside tuples and attrs classes) with each
    :class:`Cond` replaced by ``fn(cond)``; what has none is returned as is."""
    if isinstance(obj, Cond):
        return fn(obj)
    if isinstance(obj, tuple):
        new = tuple(_map_conds(x, fn) for x in obj)
        return obj if all(a is b for a, b in zip(new, obj)) else new
    if attrs.has(type(obj)) and not isinstance(obj, Label):
        changes = {}
        for f in attrs.fields(type(obj)):
            if not f.init:
                continue
            value = getattr(obj, f.name)
            new = _map_conds(value, fn)
            if new is not value:
                changes[f.alias if getattr(f, "alias", None) else f.name] = new
        return attrs.evolve(obj, **changes) if changes else obj
    return obj


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("funds=A", "price=B")`` → ``{"funds": "A", "price": "B"}``."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise LeadcycleError(N_("{pair!r} is not KEY=VALUE"), pair=pair)
        k, v = pair.split("=", 1)
        k = k.strip()
        if not k:
            raise LeadcycleError(N_("{pair!r} has no key before '='"), pair=pair)
        out[k] = v
    return out
