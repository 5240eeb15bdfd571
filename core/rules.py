"""Rules as data: what a plugin declares and the core evaluates.

A plugin never decides a lead's grade in code of its own on the hot path. It
hands the core a :class:`Scorecard` (criteria with points, grade thresholds,
dimensions rated A–D, or a ladder of grade rules), a :class:`StageLadder`, a
:class:`Cadence` and an :class:`OwnershipPolicy`. The core evaluates them over
rows of *features*: a lead's attributes, the facts the core derives from its
events (``n_visit``, ``days_since_last_contact``…) and any :class:`Feature`
the scorecard declares.

Conditions are plain :class:`Cond` values, so the core can explain them
("met: funds ready (+15)") and batch them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Callable, Iterable

import attrs

from .model import Label, Reason, _to_label, as_tuple

GRADE_ORDER = ("A", "B", "C", "D")

OPS = ("==", "!=", ">=", ">", "<=", "<", "in", "not_in", "set", "unset", "true", "false",
       "has", "lacks", "any_of", "none_of")

#: the ops a multiple-choice field's conditions become (its stored value is
#: the chosen values, comma-joined): ``==`` one of them is chosen, ``in``
#: any listed one is… (the registry rewrites them: :func:`leadcycle.registry.part_wise`)
PART_OPS = {"==": "has", "!=": "lacks", "in": "any_of", "not_in": "none_of"}


def parts(v: Any) -> list[str]:
    """The values a multiple-choice field holds (none when unset)."""
    return [] if v is None or v == "" else [p for p in str(v).split(",") if p]


def _kept_moment(v: Any) -> Any:
    """A day or a moment as a lead keeps it, ISO text (a date field's
    '2026-03-01', a moment's '2026-03-01T10:00:00'): compared so in Python
    as in SQL. Anything else as it is."""
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _op_text(op: str, value: Any) -> str:
    if op in ("has", "lacks", "any_of", "none_of"):
        joined = "/".join(str(v) for v in (value if isinstance(value, tuple) else (value,)))
        return {"has": "includes", "lacks": "does not include", "any_of": "includes one of",
                "none_of": "includes none of"}[op] + f" {joined}"
    if op in ("set", "unset", "true", "false"):
        return {"set": "is recorded", "unset": "is not recorded",
                "true": "is yes", "false": "is not yes"}[op]
    if op in ("in", "not_in"):
        joined = "/".join(str(v) for v in value)
        return f"is {joined}" if op == "in" else f"is not {joined}"
    return f"{op} {value}"


def _op_text_zh(op: str, value: Any) -> str:
    if op in ("has", "lacks", "any_of", "none_of"):
        joined = "/".join(str(v) for v in (value if isinstance(value, tuple) else (value,)))
        return {"has": "包含", "lacks": "不包含", "any_of": "包含其一：", "none_of": "不包含任何："}[op] + joined
    if op in ("set", "unset", "true", "false"):
        return {"set": "已记录", "unset": "未记录", "true": "为是", "false": "不为是"}[op]
    if op in ("in", "not_in"):
        joined = "/".join(str(v) for v in value)
        return f"为{joined}" if op == "in" else f"不为{joined}"
    return f"{op} {value}"


@attrs.frozen
class Cond:
    """``feature OP value``: one testable statement about a lead.

    ``Cond("funds", "in", ("A", "B"), ("funds ready", "资金到位"))``.
    Missing values (``None``) fail every comparison but ``unset``/``!=``/
    ``not_in``/``false``.
    """

    feature: str
    op: str = attrs.field(validator=attrs.validators.in_(OPS))
    value: Any = None
    label: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )

    def __attrs_post_init__(self):
        def plain(v):  # a day, a moment or an exact number as a lead keeps it (and SQL binds it)
            if isinstance(v, (Fraction, decimal.Decimal)):
                return int(v) if v == int(v) else float(v)
            return _kept_moment(v)
        if self.op in ("in", "not_in") and not isinstance(self.value, (str, bytes)) and hasattr(self.value, "__iter__"):
            object.__setattr__(self, "value", tuple(plain(v) for v in self.value))
        else:
            object.__setattr__(self, "value", plain(self.value))
        if self.op in ("in", "not_in", "any_of", "none_of"):
            if isinstance(self.value, (str, bytes)) or not hasattr(self.value, "__iter__"):
                # a text would be tested character by character
                raise TypeError(f"Cond({self.feature!r}, {self.op!r}, …) takes a list or tuple of values, "
                                f"not {self.value!r}: write ({self.value!r},)")
            object.__setattr__(self, "value", tuple(self.value))
        elif self.op in ("==", "!=") and self.value is None:
            # "equal to nothing" is unset, "other than nothing" set: the same
            # test in Python and in SQL (where x != NULL is never true)
            object.__setattr__(self, "op", "unset" if self.op == "==" else "set")
        elif self.op in (">=", ">", "<=", "<") and (self.value is None or isinstance(self.value, bool)):
            raise TypeError(f"Cond({self.feature!r}, {self.op!r}, {self.value!r}) compares with a number or "
                            "a text, which it needs")

    def test(self, v: Any) -> bool:
        op = self.op
        v = _kept_moment(v)  # a moment the engine derived: as SQL has it
        if op == "set":
            return v is not None and v != ""
        if op == "unset":
            return v is None or v == ""
        if op == "true":
            return v is True or v == 1
        if op == "false":
            return not (v is True or v == 1)
        if op == "in":
            return v in self.value
        if op == "not_in":
            return v not in self.value
        if op in ("has", "lacks"):  # every part of the value chosen (or not)
            held = set(parts(v))
            has = bool(held) and set(parts(self.value)) <= held
            return has if op == "has" else not has
        if op in ("any_of", "none_of"):  # the parts are text, as SQL compares them
            held = parts(v)
            listed = {str(x) for x in self.value if x is not None}
            some = any(x in listed for x in held) if held else None in self.value
            return some if op == "any_of" else not some
        if v is None:
            return op == "!="
        if op == "==":
            return v == self.value
        if op == "!=":
            return v != self.value
        try:
            if op == ">=":
                return v >= self.value
            if op == ">":
                return v > self.value
            if op == "<=":
                return v <= self.value
            return v < self.value
        except TypeError:
            return False

    def describe(self) -> Label:
        if self.label is not None:
            return self.label
        return Label(
            f"{self.feature} {_op_text(self.op, self.value)}",
            f"{self.feature} {_op_text_zh(self.op, self.value)}",
        )


def all_of(conds: Iterable[Cond], row: dict) -> bool:
    return all(c.test(row.get(c.feature)) for c in conds)


def _conds(value) -> tuple[Cond, ...]:
    if isinstance(value, Cond):
        return (value,)
    return tuple(value)


@attrs.frozen
class Criterion:
    """Points earned when every condition in ``when`` holds."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    points: float
    when: tuple[Cond, ...] = attrs.field(converter=_conds)

    def __attrs_post_init__(self):
        _check_points(f"criterion {self.name!r}", self.points)


def _check_points(what: str, points: Any) -> None:
    """Points are a number (``"5"`` crashed every command that explained)."""
    if isinstance(points, bool) or not isinstance(points, (int, float, Fraction)):
        raise ValueError(f"{what}: points are a number, not {points!r}")


@attrs.frozen
class Rating:
    """Points by the value a feature is rated: ``Rating("funds", label,
    {"A": 20, "B": 15, "C": 13, "D": 4})``. An unrated feature earns 0."""

    feature: str
    label: Label = attrs.field(converter=_to_label)
    points: dict = attrs.field(converter=dict)

    def __attrs_post_init__(self):
        for value, points in self.points.items():
            _check_points(f"rating of {self.feature!r} for {value!r}", points)

    @property
    def name(self) -> str:
        return self.feature

    @property
    def maximum(self) -> float:
        return max(self.points.values())


@attrs.frozen
class Adjustment:
    """Points added (or taken, when negative) by the band a numeric feature
    falls in: ``bands`` are ``(upper_bound_inclusive, points)`` in ascending
    order; a value above every bound takes ``beyond``. Used for return-cycle
    decay: ``Adjustment("decay", ..., "days_since_last_contact",
    ((3, 0), (7, -5), (30, -10)), beyond=-25)``."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    feature: str
    bands: tuple[tuple[float, float], ...] = attrs.field(converter=as_tuple)
    beyond: float = 0.0

    def __attrs_post_init__(self):
        bounds = [upper for upper, _ in self.bands]
        if any(a > b for a, b in zip(bounds, bounds[1:])):
            # the first band whose bound the value is under earns: a higher one first hides the rest
            # (an equal one is an empty band, as settings may make it)
            raise ValueError(f"adjustment {self.name!r}: bands go from the lowest bound up, none lower than "
                             f"the one before: {list(self.bands)}")
        for points in (*(p for _, p in self.bands), self.beyond):
            _check_points(f"adjustment {self.name!r}", points)
        for text in (self.label.en, self.label.zh):
            try:  # the reason fills in {value} and {points}, nothing else
                text.format(value=0, points=0)
            except (KeyError, IndexError, ValueError) as e:
                raise ValueError(f"adjustment {self.name!r}: its label {text!r} may name {{value}} and {{points}} "
                                 f"only ({type(e).__name__}: {e})") from None

    def points_for(self, value: Any) -> float:
        if value is None:
            return 0.0
        for upper, points in self.bands:
            if value <= upper:
                return points
        return self.beyond


@attrs.frozen
class Dimension:
    """A dimension rated A–D (or another ordered scale); under
    ``Scorecard.combine == "lowest"`` the worst rated dimension is the grade."""

    feature: str
    label: Label = attrs.field(converter=_to_label)
    #: an auxiliary dimension is shown but never caps the grade
    auxiliary: bool = False


@attrs.frozen
class GradeRule:
    """``grade`` applies when every condition holds; rules are tried best
    grade first."""

    grade: str
    when: tuple[Cond, ...] = attrs.field(converter=_conds)
    label: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )


@attrs.frozen
class Cap:
    """When every condition holds, the grade can be no better than ``grade``."""

    grade: str
    when: tuple[Cond, ...] = attrs.field(converter=_conds)
    label: Label = attrs.field(converter=_to_label)


@attrs.frozen
class Feature:
    """A derived value the core cannot compute by itself.

    ``compute(view)`` is called once per lead per evaluation — a plain Python
    function, never a hook call — and gets a :class:`LeadView` (attributes,
    events, facts, ``now``). This is the slow path: an industry whose rules
    read one is evaluated lead by lead, not compiled to SQL.

    A value that follows the clock should say until when it holds:
    ``return Expiring(value, moment)``, and reads trust the lead's stored
    projection until then. A value computed from ``view.now``, a day count
    of ``view.facts`` or a feature computed so, without that, holds at its
    own clock only, so every read at another clock evaluates the lead
    again; a value that reads none of them holds until the lead's next entry.
    """

    name: str
    label: Label = attrs.field(converter=_to_label)
    compute: Callable[["LeadView"], Any] = attrs.field(eq=False)
    #: its value (an ``x_`` extra) is read by lists — a due item, a report —
    #: from the stored state, so the industry's leads are evaluated in
    #: Python at every read; an extra only ``show`` displays needs not be
    listed: bool = False
    #: for a ``listed`` value: the entry kinds without which it is the same
    #: at every clock (an account level needs orders, payments or problems
    #: to move). Reads then evaluate in Python only the leads with such an
    #: entry, the others by the compiled rules, their stored value kept
    kinds: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    #: its value (an ``x_`` extra) is read by lists or reports from the
    #: stored state, but moves only with the lead's entries (each write
    #: stores it afresh): it is stored, and reads need not compute it. An
    #: extra neither ``listed`` nor ``stored`` is not kept: ``show``
    #: computes it at its own clock
    stored: bool = False


@attrs.frozen
class Ref:
    """In a :class:`Derived` case, the value of another feature (the
    agent's own rating, say) rather than a constant."""

    feature: str


@attrs.frozen
class Derived:
    """A derived value declared as data, which the core can compile to SQL
    (prefer it to a :class:`Feature`): the value of the first case whose
    conditions all hold over the lead's row (its attributes, the core's
    facts and the features declared before it), else ``default``.

    ``Derived("price_asked", label, (((Cond("asked_price", "true"),), True),
    ((Cond("bargaining", "true"),), True)), default=False)``."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    cases: tuple[tuple[tuple[Cond, ...], Any], ...] = attrs.field(
        converter=lambda cases: tuple((_conds(conds), value) for conds, value in cases))
    default: Any = None

    def compute(self, view: "LeadView") -> Any:
        row = view.facts
        for conds, value in self.cases:
            if all_of(conds, row):
                return row.get(value.feature) if isinstance(value, Ref) else value
        return row.get(self.default.feature) if isinstance(self.default, Ref) else self.default


@attrs.frozen
class Count:
    """A derived value declared as data: how many of ``items`` hold, each
    item a tuple of conditions that must all hold (``Count("n_signals",
    label, tuple((Cond(f"n_{k}", ">=", 1),) for k in SIGNAL_KINDS))``). A
    count of nothing is ``zero`` (0, or None to leave it unset)."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    items: tuple[tuple[Cond, ...], ...] = attrs.field(converter=lambda items: tuple(_conds(i) for i in items))
    zero: Any = 0

    def compute(self, view: "LeadView") -> Any:
        n = sum(1 for conds in self.items if all_of(conds, view.facts))
        return n or self.zero


@attrs.frozen
class Expiring:
    """What a :class:`Feature`'s ``compute`` returns when the clock alone
    will change its value: the core stores ``value`` as the feature and
    re-projects the lead at ``expires_at`` (a deadline, a window that slides
    past an old order…). ``expires_at=None`` means no such moment."""

    value: Any
    expires_at: dt.datetime | None = None


@attrs.frozen
class Scorecard:
    """A grading method, declared.

    * ``criteria`` add up to the score (clamped to ``0..maximum``), plus any
      ``adjustments``;
    * the grade comes from ``ladder`` when given (first rule whose conditions
      all hold, else ``fallback``), else from ``dimensions`` (``combine=
      "lowest"``: the worst rated dimension), else from ``thresholds`` on the
      score (``(("A", 90), ("B", 70), ("C", 60))``, else ``fallback``);
    * ``caps`` then limit it, and ``floors`` hold it up (a :class:`Cap`
      read the other way: while its conditions hold the grade can be no
      worse than the floor's — a move into D that waits for a manager);
    * ``require`` names features of which at least one must be recorded for
      any grade to be given (a lead with nothing rated gets no grade); with
      ``require_all`` every one of them must be, and the "no grade yet"
      reason names those still missing (the method's inputs);
    * ``decays``, when given, promises that the clock alone (no new entry,
      the same settings) never raises a lead's grade, and grades an
      ungraded lead no better than ``decays``: a read for one grade then
      leaves alone the stale leads that cannot have it (real estate: the
      return cycle and the contact window only ever lower a grade). Leave
      it None unless a test holds the promise for every setting that sets
      it (``tests/test_live.py`` does for real estate).
    """

    name: str
    label: Label = attrs.field(converter=_to_label)
    criteria: tuple[Criterion | Rating, ...] = attrs.field(default=(), converter=as_tuple)
    adjustments: tuple[Adjustment, ...] = attrs.field(default=(), converter=as_tuple)
    thresholds: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=as_tuple)
    dimensions: tuple[Dimension, ...] = attrs.field(default=(), converter=as_tuple)
    ladder: tuple[GradeRule, ...] = attrs.field(default=(), converter=as_tuple)
    caps: tuple[Cap, ...] = attrs.field(default=(), converter=as_tuple)
    features: tuple[Feature | Derived | Count, ...] = attrs.field(default=(), converter=as_tuple)
    require: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    require_all: bool = False
    floors: tuple[Cap, ...] = attrs.field(default=(), converter=as_tuple)
    fallback: str | None = "D"
    maximum: float = 100.0
    scale: tuple[str, ...] = GRADE_ORDER
    decays: str | None = None

    def __attrs_post_init__(self):
        if self.thresholds and not (self.criteria or self.adjustments):
            raise ValueError(f"scorecard {self.name!r}: thresholds grade the score, and it has no criteria "
                             "or adjustments to score with")
        minimums = [m for _, m in self.thresholds]
        if any(a < b for a, b in zip(minimums, minimums[1:])):
            # the first threshold met grades: a lower one before a higher one hides it
            # (an equal one gives its grade to no score, as settings may make it)
            raise ValueError(f"scorecard {self.name!r}: thresholds go from the highest score down, none "
                             f"higher than the one before: {list(self.thresholds)}")
        if len({g for g, _ in self.thresholds}) < len(self.thresholds):
            raise ValueError(f"scorecard {self.name!r}: a grade has two thresholds: {list(self.thresholds)}")


@attrs.frozen
class Verdict:
    score: float | None
    grade: str | None
    reasons: tuple[Reason, ...]


_RANKS: dict[tuple, dict] = {}


def _rank(scale, grade):
    ranks = _RANKS.get(scale)
    if ranks is None:
        ranks = _RANKS[scale] = {g: i for i, g in enumerate(scale)}
    return ranks.get(grade, len(scale))


def _fmt(points: float) -> str:
    return f"{points:+g}"


def evaluate(card: Scorecard, rows: list[dict], explain: bool = True) -> list[Verdict]:
    """Evaluate ``card`` over a batch of feature rows, one verdict each.

    With ``explain=False`` (the bulk path) the per-criterion and
    per-dimension detail lines are left out: the verdict keeps only the
    reasons that decide the grade (threshold, lowest dimension, ladder rule,
    caps, adjustments). ``show`` asks for the full explanation."""
    plan = _plan_for(card)
    return [_evaluate_one(card, row, plan, explain) for row in rows]


def _said(value: Any) -> tuple[Any, Any]:
    """A rated value as people say it, in English and Chinese: a yes/no
    field's as yes/no (1 stays 1)."""
    return ("yes", "是") if value is True else ("no", "否") if value is False else (value, value)


class _Plan:
    """What does not change from lead to lead, worked out once per card:
    the conditions as (feature, test) pairs and every constant reason."""

    def __init__(self, card: Scorecard):
        self.ratings: dict[int, tuple[dict, Reason]] = {}
        self.criteria: dict[int, tuple[tuple, Reason, Reason]] = {}
        for i, c in enumerate(card.criteria):
            if isinstance(c, Rating):
                top = c.maximum
                by_value = {value: Reason(Label(f"{c.label.en}: {_said(value)[0]} ({got:g} of {top:g})",
                                                f"{c.label.zh}：{_said(value)[1]}（{got:g}/{top:g}）"),
                                          f"criterion:{c.feature}")
                            for value, got in c.points.items()}
                unrated = Reason(Label(f"{c.label.en}: not rated (0 of {top:g})",
                                       f"{c.label.zh}：未评定（0/{top:g}）"), f"criterion:{c.feature}")
                self.ratings[i] = (by_value, unrated)
            else:
                self.criteria[i] = (
                    tuple((cond.feature, cond.test) for cond in c.when),
                    Reason(Label(f"met: {c.label.en} ({_fmt(c.points)})",
                                 f"符合：{c.label.zh}（{_fmt(c.points)}）"), f"criterion:{c.name}"),
                    Reason(Label(f"missed: {c.label.en} (0 of {c.points:g})",
                                 f"未满足：{c.label.zh}（0/{c.points:g}）"), f"criterion:{c.name}"),
                )
        self.ladder = [(rule, tuple((c.feature, c.test) for c in rule.when)) for rule in card.ladder]
        self.caps = [(cap, tuple((c.feature, c.test) for c in cap.when)) for cap in card.caps]
        self.floors = [(f, tuple((c.feature, c.test) for c in f.when)) for f in card.floors]
        labels = {f.name: f.label for f in card.features}
        labels.update({c.feature: c.label for c in card.criteria if isinstance(c, Rating)})
        labels.update({d.feature: d.label for d in card.dimensions})
        self.require_labels = {f: labels.get(f, Label(f, f)) for f in card.require}
        self.dimension_reasons: dict[tuple[str, Any], Reason] = {}
        self.capping_dimensions = [d for d in card.dimensions if not d.auxiliary]
        self.rated_features = {c.feature for c in card.criteria if isinstance(c, Rating)}
        self.ranks = {g: i for i, g in enumerate(card.scale)}

    def dimension_reason(self, d: Dimension, value: Any) -> Reason:
        key = (d.feature, value)
        reason = self.dimension_reasons.get(key)
        if reason is None:
            if value in (None, ""):
                reason = Reason(Label(f"{d.label.en}: not rated", f"{d.label.zh}：未评定"), f"dimension:{d.feature}")
            else:
                tag_en, tag_zh = (" (auxiliary)", "（辅助）") if d.auxiliary else ("", "")
                reason = Reason(Label(f"{d.label.en}: {value}{tag_en}", f"{d.label.zh}：{value}{tag_zh}"),
                                f"dimension:{d.feature}")
            self.dimension_reasons[key] = reason
        return reason


_PLANS: dict[int, tuple[Scorecard, _Plan]] = {}


def _plan_for(card: Scorecard) -> _Plan:
    found = _PLANS.get(id(card))
    if found is not None and found[0] is card:
        return found[1]
    if len(_PLANS) > 64:
        _PLANS.clear()
    plan = _Plan(card)
    _PLANS[id(card)] = (card, plan)
    return plan


def _holds(tests: tuple, row: dict) -> bool:
    for feature, test in tests:
        if not test(row.get(feature)):
            return False
    return True


def _evaluate_one(card: Scorecard, row: dict, plan: _Plan, explain: bool = True) -> Verdict:
    reasons: list[Reason] = []
    score = None
    if card.criteria or card.adjustments:
        total = 0.0
        for i, c in enumerate(card.criteria):
            rating = plan.ratings.get(i)
            if rating is not None:
                value = row.get(c.feature)
                if value is None or value == "":
                    if explain:
                        reasons.append(rating[1])
                    continue
                total += c.points.get(value, 0)
                if explain:
                    reasons.append(rating[0].get(value) or rating[1])
                continue
            tests, met, missed = plan.criteria[i]
            if _holds(tests, row):
                total += c.points
                if explain:
                    reasons.append(met)
            elif explain:
                reasons.append(missed)
        for a in card.adjustments:
            value = row.get(a.feature)
            points = a.points_for(value)
            total += points
            if points:
                reasons.append(Reason(a.label.format(value=value, points=_fmt(points)), f"adjustment:{a.name}"))
        score = max(0.0, min(card.maximum, total))

    if card.require:
        missing = [f for f in card.require if row.get(f) in (None, "")]
        if len(missing) == len(card.require):
            reasons.insert(0, Reason(Label("no grade yet: nothing rated", "暂无等级：尚未评定任何指标"),
                                     "grade:unrated"))
            return Verdict(score, None, tuple(reasons))
        if missing and card.require_all:
            names = [plan.require_labels[f] for f in missing]
            reasons.insert(0, Reason(Label("not graded yet: still to rate " + ", ".join(n.en for n in names),
                                           "尚未分级：还需评定 " + "、".join(n.zh for n in names)),
                                     "grade:unrated"))
            return Verdict(score, None, tuple(reasons))

    grade = None
    if card.ladder:
        for rule, tests in plan.ladder:
            if _holds(tests, row):
                grade = rule.grade
                what = rule.label or Label(f"grade {rule.grade}", f"{rule.grade}级")
                reasons.insert(0, Reason(Label(f"{grade}: {what.en}", f"{grade}：{what.zh}"), f"ladder:{grade}"))
                break
        else:
            grade = card.fallback
        # name what the next better grade still lacks
        better = [r for r in card.ladder if _rank(card.scale, r.grade) < _rank(card.scale, grade)]
        if better:
            nxt = better[-1]
            missing = [c.describe() for c in nxt.when if not c.test(row.get(c.feature))]
            if missing:
                reasons.append(Reason(
                    Label(f"for {nxt.grade} still missing: " + "; ".join(m.en for m in missing),
                          f"升至{nxt.grade}尚缺：" + "；".join(m.zh for m in missing)),
                    f"ladder:next:{nxt.grade}"))
        if grade == card.fallback and not any(r.rule.startswith("ladder:") and r.rule.count(":") == 1 for r in reasons):
            reasons.insert(0, Reason(Label(f"{grade}: no better grade's conditions hold",
                                           f"{grade}：不满足更高等级的条件"), f"ladder:{grade}"))
    elif card.dimensions:
        ranks = plan.ranks
        rated = []
        for d in plan.capping_dimensions:
            v = row.get(d.feature)
            if v is not None and v != "":
                rated.append((d, ranks.get(v, len(card.scale))))
        if rated:
            worst = max(r for _, r in rated)
            grade = card.scale[worst] if worst < len(card.scale) else card.fallback
            cappers = [d for d, r in rated if r == worst]
            names_en = ", ".join(d.label.en for d in cappers)
            names_zh = "、".join(d.label.zh for d in cappers)
            reasons.insert(0, Reason(Label(f"{grade}: lowest dimension {names_en} rated {grade}",
                                           f"{grade}：最低单项 {names_zh} 为{grade}"), "dimension:lowest"))
            for d in card.dimensions if explain else ():
                if d.feature in plan.rated_features:
                    continue  # its rating line already says how it is rated
                v = row.get(d.feature)
                if v in (None, "") or d not in cappers:
                    reasons.append(plan.dimension_reason(d, v))
        else:
            grade = None
            reasons.insert(0, Reason(Label("no grade yet: no dimension rated", "暂无等级：尚未评定任何维度"),
                                     "grade:unrated"))
    elif card.thresholds:
        for g, minimum in card.thresholds:
            if score is not None and score >= minimum:
                grade = g
                reasons.insert(0, Reason(Label(f"{g}: score {score:g} ≥ {minimum:g}",
                                               f"{g}：得分 {score:g} ≥ {minimum:g}"), "threshold"))
                break
        else:
            grade = card.fallback
            lowest = card.thresholds[-1][1] if card.thresholds else 0
            reasons.insert(0, Reason(Label(f"{grade}: score {score:g} < {lowest:g}",
                                           f"{grade}：得分 {score:g} < {lowest:g}"), "threshold"))

    if grade is not None:
        for cap, tests in plan.caps:
            if _rank(card.scale, grade) < _rank(card.scale, cap.grade) and _holds(tests, row):
                reasons.insert(0, Reason(Label(f"capped at {cap.grade}: {cap.label.en} (was {grade})",
                                               f"封顶{cap.grade}：{cap.label.zh}（原为{grade}）"), "cap"))
                grade = cap.grade
        for floor, tests in plan.floors:
            if _rank(card.scale, grade) > _rank(card.scale, floor.grade) and _holds(tests, row):
                reasons.insert(0, Reason(Label(f"held at {floor.grade} (rated {grade}): {floor.label.en}",
                                               f"暂按{floor.grade}（评定为{grade}）：{floor.label.zh}"), "floor"))
                grade = floor.grade
    return Verdict(score, grade, tuple(reasons))


# ------------------------------------------------------------------ stages


@attrs.frozen
class Stage:
    """A pipeline stage; ``requires`` must all hold to enter it."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    requires: tuple[Cond, ...] = attrs.field(default=(), converter=_conds)
    #: a terminal stage off the ladder (lost, refused…): entered from any stage
    terminal: bool = False


@attrs.frozen
class StageLadder:
    """Ordered stages. A stage listed more than once is entered by any of
    its entries' requirements (software's A02 won: a contract, an order or
    a payment).

    ``mode="computed"``: the stage is the furthest stage whose requirements
    hold (terminal stages first). ``mode="advanced"``: agents move leads with
    ``leadcycle advance``, which refuses a stage whose requirements are not
    recorded; the stage is the last one entered.
    """

    stages: tuple[Stage, ...] = attrs.field(converter=as_tuple)
    mode: str = attrs.field(default="computed", validator=attrs.validators.in_(("computed", "advanced")))

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def named(self, text: str) -> Stage | None:
        """The stage ``text`` names as an operator types it: its code, or
        its label as lists print it (成交客户, Won); English in any case
        (``Opportunity``, ``a03``), as grades are."""
        text = text.strip()
        return self.stage(text) or next(
            (s for s in self.stages if text.lower() in (s.name.lower(), s.label.en.lower()) or text == s.label.zh),
            None)

    def missing(self, stage: Stage, row: dict) -> list[Cond]:
        return [c for c in stage.requires if not c.test(row.get(c.feature))]

    def compute(self, row: dict) -> tuple[str | None, Reason | None]:
        for s in self.stages:
            if s.terminal and s.requires and all_of(s.requires, row):
                return s.name, Reason(Label(f"stage {s.label.en}", f"阶段：{s.label.zh}"), f"stage:{s.name}")
        current = None
        for s in self.stages:
            if s.terminal:
                continue
            if all_of(s.requires, row):
                current = s
        if current is None:
            return None, None
        return current.name, Reason(Label(f"stage {current.label.en}", f"阶段：{current.label.zh}"),
                                    f"stage:{current.name}")


# --------------------------------------------------------------- follow-up


@attrs.frozen
class CadenceRule:
    """How often a lead of ``grade`` is followed up.

    ``first_days``: the first call-back is due this many days after the
    registration (0 = the same day). ``interval_days``: the longest gap
    between follow-ups. ``pool=True``: no follow-up is planned (the lead is
    for the manager's pool; moving it there is the industry's review's
    work, as real estate's pools its D leads — the cadence only plans).
    """

    grade: str | None
    label: Label = attrs.field(converter=_to_label)
    interval_days: float | None = None
    first_days: float | None = None
    pool: bool = False
    #: a rule with conditions (on the lead's features, and ``stage``)
    #: overrides the grade's rule while they hold: a ladder level's own
    #: cadence (``Cond("stage", "in", ("A03",))``)
    when: tuple[Cond, ...] = attrs.field(default=(), converter=_conds)

    def __attrs_post_init__(self):
        for name in ("interval_days", "first_days"):
            days = getattr(self, name)
            if days is not None and (isinstance(days, bool) or not days >= 0):
                raise ValueError(f"cadence rule for grade {self.grade!r}: {name} is a number of days, 0 or more, "
                                 f"not {days!r}")


#: the entries a client's visit is logged as: with
#: :attr:`Cadence.first_after_visit`, the first visit is not its own follow-up
VISIT_KINDS = ("visit", "register")

#: what a stop without a label of its own says
NO_FOLLOW_UP = Label("no follow-up planned", "无需跟进")


def _stop_conds(value) -> tuple[Cond, ...]:
    conds = _conds(value)
    if not conds:
        raise ValueError("a cadence stop needs at least one condition (Cond): with none it would stop every lead")
    return conds


@attrs.frozen
class CadenceStop:
    """One reason to plan no follow-up at all: when every condition in
    ``when`` holds (``Cond("n_contract", ">=", 1)``: the deal is signed).
    A cadence's stops are alternatives — any one of them stops — and the
    first that holds gives the lead's reason, ``label``."""

    when: tuple[Cond, ...] = attrs.field(converter=_stop_conds)
    label: Label = attrs.field(default=NO_FOLLOW_UP, converter=_to_label)


def _stops(value) -> tuple[CadenceStop, ...]:
    value = (value,) if isinstance(value, CadenceStop) else as_tuple(value)
    for s in value:
        if not isinstance(s, CadenceStop):
            raise TypeError(f"Cadence(stops=…) takes CadenceStop(when, label) alternatives, not {s!r}; "
                            "conditions that must all hold together go in one CadenceStop")
    return value


@attrs.frozen
class Cadence:
    rules: tuple[CadenceRule, ...] = attrs.field(converter=as_tuple)
    #: event kinds that count as a follow-up (default: ``follow_up``,
    #: ``visit`` and ``call``; a plugin whose own contact kinds — a test
    #: drive, a quote — count too names them all here)
    kinds: tuple[str, ...] | None = None
    #: when all of these hold, no follow-up is planned at all (e.g. after a
    #: contract: the deal is closed, no more accumulation call-backs); the
    #: shorthand for one stop, said by ``stop_label``
    stop: tuple[Cond, ...] = attrs.field(default=(), converter=_conds)
    stop_label: Label | None = attrs.field(default=None, converter=attrs.converters.optional(_to_label))
    #: more reasons to plan nothing, each with its own conditions and label:
    #: any one that holds stops (after ``stop``, in the order given)
    stops: tuple[CadenceStop, ...] = attrs.field(default=(), converter=_stops)
    #: with a scorecard that ``decays``: the clock alone never brings a
    #: lead's next follow-up sooner (a worse grade is followed up no more
    #: often), so a due list leaves alone the stale leads not yet due
    decays: bool = False
    #: the first call-back counts from the client's first visit, not the
    #: registration: a lead registered by phone is first called back
    #: ``first_days`` after it comes (real estate: "within 3 days of the
    #: first visit"), and that visit is not the follow-up it asks for;
    #: until it comes, from the registration
    first_after_visit: bool = False
    #: entries after which a lead's follow-ups count afresh, as after a
    #: follow-up: ``("owner",)`` gives an agent a lead is handed to a whole
    #: interval from the hand-over, not the lateness of the one before
    restart: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)

    @property
    def follow_up_kinds(self) -> tuple[str, ...]:
        """The entries a lead's next follow-up counts from: ``kinds`` (or
        the default) and ``restart``."""
        return (*(self.kinds or ("follow_up", "visit", "call")), *self.restart)

    @property
    def all_stops(self) -> tuple[CadenceStop, ...]:
        """``stop`` (as one :class:`CadenceStop`) and then ``stops``: the
        alternatives, in the order a lead's reason is chosen."""
        head = (CadenceStop(self.stop, self.stop_label or NO_FOLLOW_UP),) if self.stop else ()
        return head + self.stops

    def stop_for(self, row: dict) -> CadenceStop | None:
        """The first stop whose conditions all hold for ``row``, if any."""
        return next((s for s in self.all_stops if all_of(s.when, row)), None)

    def rule_for(self, grade: str | None, row: dict | None = None) -> CadenceRule | None:
        """The first conditional rule that holds for ``row`` (and names
        ``grade`` or no grade), else the grade's rule, else the default."""
        if row is not None:
            for r in self.rules:
                if r.when and r.grade in (None, grade) and all_of(r.when, row):
                    return r
        for r in self.rules:
            if r.grade == grade and not r.when:
                return r
        return next((r for r in self.rules if r.grade is None and not r.when), None)


def next_follow_up(cadence: Cadence, grade: str | None, registered: dt.date,
                   last_follow_up: dt.date | None,
                   row: dict | None = None) -> tuple[dt.date | None, str | None, Reason | None]:
    """The day the next follow-up is due, its kind (``first`` or
    ``follow_up``) and the reason."""
    rule = cadence.rule_for(grade, row)
    if rule is None:
        return None, None, None
    if rule.pool:
        return None, None, Reason(rule.label, "cadence:pool")
    if last_follow_up is None and rule.first_days is not None:
        due = registered + dt.timedelta(days=math.floor(rule.first_days))
        return due, "first", Reason(
            Label(f"first call-back due {due.isoformat()} ({rule.label.en})",
                  f"首次回访应于 {due.isoformat()}（{rule.label.zh}）"), "cadence:first")
    if rule.interval_days is None:
        return None, None, None
    base = last_follow_up or registered
    due = base + dt.timedelta(days=math.floor(rule.interval_days))
    return due, "follow_up", Reason(
        Label(f"next follow-up due {due.isoformat()} ({rule.label.en})",
              f"下次跟进应于 {due.isoformat()}（{rule.label.zh}）"), "cadence:interval")


# --------------------------------------------------------------- ownership


@attrs.frozen
class OwnershipPolicy:
    """Which ownership rules an industry applies, and their numbers.

    ``protection_days``: ownership lapses this many days after the later of
    the last visit and the owner's last recorded follow-up (DOMAIN §3.4).
    """

    protection_days: int = 30
    #: event kinds by which the owner keeps the protection period alive
    #: (an industry whose signals are contacts adds them)
    contact_kinds: frozenset[str] = attrs.field(default=frozenset({"follow_up", "visit", "call"}),
                                                converter=frozenset)
    recognition_minutes: int = 15
    #: phone-only contact creates no owner (DOMAIN §3.1)
    calls_establish_ownership: bool = False
    referral_chain: bool = True
    dispute_days: int = 3
    #: an owner's follow-up counts as timely when the last one before a
    #: colleague's reception is at most this many days old (DOMAIN §2, 004)
    timely_follow_up_days: int = 15
    #: once one of these is logged the protection period no longer lapses
    deal_kinds: tuple[str, ...] = attrs.field(default=("deposit", "contract"), converter=as_tuple)
    #: credit splits (DOMAIN §3.6), as exact fractions of one deal
    split_collision_owner: Fraction = attrs.field(default=Fraction(1, 2), converter=Fraction)
    split_late_owner: Fraction = attrs.field(default=Fraction(1, 5), converter=Fraction)
    split_stand_in_owner: Fraction = attrs.field(default=Fraction(1, 2), converter=Fraction)
    split_assist_stand_in: Fraction = attrs.field(default=Fraction(3, 10), converter=Fraction)
    split_referral_owner: Fraction = attrs.field(default=Fraction(1, 3), converter=Fraction)
    split_unrecognized_claimant: Fraction = attrs.field(default=Fraction(1, 2), converter=Fraction)
    #: commission paid out by stage of the deal (DOMAIN §3.11)
    commission_stages: tuple["CommissionStage", ...] = attrs.field(default=(), converter=as_tuple)
    #: a returning client received by a colleague, not recognised within
    #: ``recognition_minutes``, goes to the receiver; after this many days
    #: without the owner's contact, to the receiver regardless (§3.5, 002)
    recognition_contact_days: int = 30
    #: 004's new-client rule (楼盘客户划分标准): the next visit is a new client
    #: when the owner made no first call-back within ``first_callback_days``
    #: of the first visit, or no new talk within ``new_intent_days`` of the
    #: last call-back (``None``: the rule is off)
    first_callback_days: int | None = None
    new_intent_days: int | None = None
    #: the moment a deal is made for credit and disputes: ``subscription``
    #: (认购, the first deposit) or ``contract`` (§3.6)
    deal_moment: str = "subscription"
    #: a friend viewing for the client: the registering agent's share when a
    #: colleague receives the client and closes (002: 分半)
    split_friend_owner: Fraction = attrs.field(default=Fraction(1, 2), converter=Fraction)
    #: a family registered apart with different phones splits a deal equally
    #: (002 分单制) instead of keeping the first registration's lead
    family_split: bool = False


@attrs.frozen
class CommissionStage:
    """A stage of a deal at which ``percent`` of the commission is payable:
    reached when an event of ``kind`` is logged (``None``: from the start,
    e.g. client accumulation). Stages whose kind the industry does not log
    are left out."""

    name: str
    label: Label = attrs.field(converter=_to_label)
    kind: str | None
    percent: int


class _Watched(Mapping):
    """A lead's row of facts as a feature reads it (the row itself, not a
    copy: a feature sees the features computed before it), noting when a
    day count — ``days_since_…``, ``days_until_…``, the clock's — is read,
    or the whole row gone through."""

    __slots__ = ("row", "read_clock", "clocked")

    def __init__(self, row: Mapping) -> None:
        self.row = row
        self.read_clock = False
        #: the features computed before from the clock: reading one is reading it
        self.clocked: set[str] = set()

    def __getitem__(self, key):
        if isinstance(key, str) and (key.startswith("days_") or key in self.clocked):
            self.read_clock = True
        return self.row[key]

    def __iter__(self):
        self.read_clock = True
        return iter(self.row)

    def __len__(self) -> int:
        return len(self.row)

    def __contains__(self, key) -> bool:
        return key in self.row


@attrs.frozen
class LeadView:
    """What a :class:`Feature` sees of one lead.

    It notes whether the feature read the clock: ``now``, a day count of
    ``facts``, or a feature computed from it. A value computed from the
    clock holds at that clock only,
    unless the feature says until when (:class:`Expiring`): the lead's
    stored projection is then evaluated again by every read at another
    clock, as ``show`` is (issue #17)."""

    lead: Any
    attributes: dict
    events: tuple
    _facts: _Watched = attrs.field(alias="facts", converter=_Watched)
    _now: dt.datetime = attrs.field(alias="now")
    settings: Any
    _clock: list = attrs.field(factory=list, init=False, eq=False, repr=False)

    @property
    def now(self) -> dt.datetime:
        self._clock.append(True)
        return self._now

    @property
    def facts(self) -> Mapping:
        """The row the rules read: attributes, counts, day counts, the
        features computed before this one."""
        return self._facts

    def read_clock(self, feature: str) -> bool:
        """Whether the computing of ``feature`` read the clock — ``now``, a
        day count, or a feature computed from the clock before it — since
        the last call (which starts the next feature afresh). A feature
        that did is one whose value later features read the clock through."""
        read = bool(self._clock) or self._facts.read_clock
        self._clock.clear()
        self._facts.read_clock = False
        if read:
            self._facts.clocked.add(feature)
        return read
