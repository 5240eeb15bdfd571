"""Projections: a lead's state as a pure function of its events, the rules
and the clock.

:func:`project_batch` is the hot path: it takes a batch of leads with their
events and evaluates each industry's declared rules over the whole batch —
no plugin hook is called here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Iterable

import attrs

from . import ownership as own
from .corrections import effective_events
from .model import Event, Label, Lead, Reason, State, Tally
from .registry import Context, IndustryRules
from .rules import (VISIT_KINDS, Cond, Count, Derived, Expiring, LeadView, Scorecard, StageLadder, evaluate,
                    next_follow_up)
from .sqlrules import CompiledCard, Constants, Vocabulary, compile_industry, python_read
from .storage import CORE_TALLIES

CORE_FIELDS = ("name", "gender", "phone", "need")


def fold_lead(lead: Lead, events: Iterable[Event]) -> Lead:
    """The lead's identity and attributes as the ``register`` and ``set``
    events leave them. An attribute without a value (a register's blank
    cell, a ``set`` to nothing) is no attribute: a lead's attributes never
    hold None."""
    core = {k: getattr(lead, k) for k in CORE_FIELDS}
    attributes: dict = {}
    for e in events:
        if e.kind == "register":
            core.update({k: e.data[k] for k in CORE_FIELDS if k in e.data})
            attributes.update((k, v) for k, v in e.data.get("attributes", {}).items() if v is not None)
        elif e.kind == "set":
            for k, v in e.data.get("changes", {}).items():
                if k in CORE_FIELDS:
                    core[k] = v
                elif v is None:
                    attributes.pop(k, None)
                else:
                    attributes[k] = v
    return attrs.evolve(lead, attributes=attributes, **core)


def _days(now: dt.datetime, then: dt.datetime | None) -> int | None:
    return None if then is None else (now.date() - then.date()).days


def data_value(data: dict, path: str):
    """``data``'s value at a dotted ``path`` (``changes.funds``), as
    ``json_extract`` reads it."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _matches(tally: Tally, e: Event) -> bool:
    if e.kind not in tally.kinds:
        return False
    if not tally.where:
        return True
    tests = (c.test(data_value(e.data, c.feature)) for c in tally.where)
    return any(tests) if tally.match == "any" else all(tests)


def tally_facts(tallies: Iterable[Tally], events: list[Event], now: dt.datetime) -> dict:
    """The features each tally gives the rules (see :class:`~leadcycle.model.Tally`),
    as the facts table and :mod:`leadcycle.sqlrules` give them."""
    out: dict = {}
    tallies = tuple(tallies)
    by_name = {t.name: t for t in tallies}
    for t in tallies:
        mine = [e for e in events if _matches(t, e)]
        start = None
        if t.after is not None:
            anchors = [e for e in events if _matches(by_name[t.after], e)]
            if not anchors:
                mine = []
            else:
                start = anchors[0] if t.anchor == "first" else anchors[-1]
                key = (lambda e: e.at) if t.later_by == "at" else (lambda e: e.id or 0)
                mine = [e for e in mine if key(e) > key(start)]
        first, last = (mine[0], mine[-1]) if mine else (None, None)
        out[f"n_{t.name}"] = len(mine)
        out[f"first_{t.name}_at"] = first.at if first else None
        out[f"last_{t.name}_at"] = last.at if last else None
        out[f"days_since_first_{t.name}"] = _days(now, first.at if first else None)
        out[f"days_since_last_{t.name}"] = _days(now, last.at if last else None)
        for key, value in (last.data.items() if last else ()):
            out[f"last_{t.name}.{key}"] = value
        if t.after is not None:
            out[f"days_to_first_{t.name}"] = None if first is None or start is None else (
                first.at.date() - start.at.date()).days
    return out


def facts(lead: Lead, events: list[Event], now: dt.datetime, contact_kinds: frozenset[str],
          tallies: tuple[Tally, ...] = ()) -> dict:
    """What the core derives from any lead's log, for rules to use:
    ``n_<kind>`` counts, ``n_visit`` (the registration visit included),
    ``n_contact``, ``n_follow_up`` and ``days_since_*`` for the registration,
    the first and last visit, the last contact and the last follow-up; and
    the features of the industry's ``tallies`` (:func:`tally_facts`)."""
    counts = Counter(e.kind for e in events)
    visits = [e.at for e in events
              if e.kind == "visit" or (e.kind == "register" and e.data.get("channel", "visit") == "visit")]
    contacts = [e.at for e in events if e.kind in contact_kinds]
    follow_ups = [e.at for e in events if e.kind == "follow_up"]
    out = {f"n_{k}": v for k, v in counts.items()}
    out.update(
        n_visit=len(visits), n_contact=len(contacts), n_follow_up=len(follow_ups),
        registered_at=lead.created_at,
        first_visit_at=visits[0] if visits else None,
        last_visit_at=visits[-1] if visits else None,
        last_contact_at=contacts[-1] if contacts else None,
        last_follow_up_at=follow_ups[-1] if follow_ups else None,
    )
    out["days_since_registered"] = _days(now, lead.created_at)
    for name in ("first_visit", "last_visit", "last_contact", "last_follow_up"):
        out[f"days_since_{name}"] = _days(now, out[f"{name}_at"])
    out.update(tally_facts(CORE_TALLIES + tuple(tallies), events, now))
    return out


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _as_date(value) -> dt.date | None:
    """A date attribute as stored (ISO text) or given (a date)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@attrs.frozen
class _Compiled:
    """Per-industry work done once per run: which day-count features the
    rules compare, and at which thresholds (to know when a projection
    expires)."""

    rules: IndustryRules
    contact_kinds: frozenset[str]
    day_thresholds: dict[str, tuple[float, ...]]
    #: the industry's date attributes: each gets a ``days_until_<name>`` fact
    date_fields: tuple[str, ...] = ()
    #: the groups of events its rules count (the core's are always there)
    tallies: tuple[Tally, ...] = ()
    #: the ownership policy's signature, stored with each lead's fold
    fold_version: str | None = None
    #: the Python features (:class:`~leadcycle.rules.Feature`) whose values
    #: the stored row keeps or decides with: read by a rule, listed, or not
    #: an ``x_`` extra only ``show`` displays. (A declared value's clock is
    #: its day counts', in ``day_thresholds``.)
    moving: frozenset[str] = frozenset()


def _conds_of(card: Scorecard | None, ladder: StageLadder | None, cadence=None) -> list[Cond]:
    """Every condition the industry's rules test: the scorecard's, its
    declared values', the stage ladder's and the follow-up cadence's."""
    out: list[Cond] = []
    if card is not None:
        for c in card.criteria:
            out.extend(getattr(c, "when", ()))
        for r in card.ladder:
            out.extend(r.when)
        for cap in card.caps + card.floors:
            out.extend(cap.when)
        for f in card.features:
            if isinstance(f, Derived):
                out.extend(c for conds, _ in f.cases for c in conds)
            elif isinstance(f, Count):
                out.extend(c for conds in f.items for c in conds)
    if ladder is not None:
        for s in ladder.stages:
            out.extend(s.requires)
    if cadence is not None:
        for r in cadence.rules:
            out.extend(r.when)
        for stop in cadence.all_stops:
            out.extend(stop.when)
    return out


def _change_points(feature: str, values: Iterable) -> set:
    """The day counts at which a test of ``feature`` against ``values`` may
    change its answer: each value, and the next count the clock brings (one
    more since, one fewer until). More points than needed only make a
    stored row be evaluated again sooner; one too few leaves it stale."""
    step = 1 if feature.startswith("days_since_") else -1
    return {x for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) for x in (v, v + step)}


def _tested_values(c: Cond) -> tuple:
    """The numbers a condition compares its feature with: its value, each
    of an ``in``/``not_in`` list's, or zero for a truth test."""
    if c.op in ("true", "false"):
        return (0,)
    return tuple(c.value) if isinstance(c.value, (list, tuple)) else (c.value,)


def compile_rules(rules: IndustryRules) -> _Compiled:
    thresholds: dict[str, set] = {}
    for c in _conds_of(rules.scorecard, rules.stages, rules.cadence):
        if c.feature.startswith(("days_since_", "days_until_")):
            points = _change_points(c.feature, _tested_values(c))
            if points:
                thresholds.setdefault(c.feature, set()).update(points)
    if rules.scorecard is not None:
        for a in rules.scorecard.adjustments:
            if a.feature.startswith("days_since_"):  # a band ends the day after its bound
                thresholds.setdefault(a.feature, set()).update(u + 1 for u, _ in a.bands)
            elif a.feature.startswith("days_until_"):  # counting down, a band starts at its bound
                thresholds.setdefault(a.feature, set()).update(_change_points(a.feature, [u for u, _ in a.bands]))
    contact = frozenset(k.name for k in rules.industry.event_kinds if k.contact)
    dates = tuple(f.name for f in rules.industry.fields if f.type == "date")
    card = rules.scorecard
    moving = frozenset() if card is None else frozenset(
        {f.name for f in card.features if not isinstance(f, (Derived, Count))
         and (getattr(f, "listed", False) or not f.name.startswith("x_"))}
        | set(python_read(card, rules.cadence, rules.stages)))
    return _Compiled(rules, contact, {k: tuple(sorted(v)) for k, v in thresholds.items()}, dates,
                     tuple(rules.industry.tallies), own.signature(rules.ownership), moving)


def compile_sql(rules: IndustryRules, cadence: bool = False, scoped: bool = False,
                python_kinds: tuple[str, ...] = (), constants: Constants = Constants()) -> CompiledCard:
    """The industry's scorecard compiled to one SQL statement over its
    leads, their facts and the clock (:func:`leadcycle.sqlrules.compile_industry`),
    with the stage and the follow-up cadence too when ``cadence``
    (``scoped``: over the leads given as a parameter), naming the
    database's ``constants`` (:meth:`leadcycle.storage.Store.constants`)
    as literals; raises :class:`~leadcycle.sqlrules.NotCompiled` while a
    rule reads a Python feature."""
    compiled = compile_rules(rules)
    return compile_industry(rules.scorecard, Vocabulary(tuple(sorted(compiled.contact_kinds)),
                                                        compiled.date_fields, CORE_TALLIES + compiled.tallies,
                                                        rules.ownership.protection_days, constants),
                            rules.cadence if cadence else None, rules.stages if cadence else None,
                            scoped=scoped, row=cadence, day_thresholds=compiled.day_thresholds,
                            python_kinds=python_kinds)


@attrs.frozen
class ReadPlan:
    """How a read evaluates an industry's leads in SQL: its compiled
    statement (scoped to given leads; the owner from the stored ownership
    fold) and the signature that fold must carry."""

    fold_version: str
    rules: IndustryRules = attrs.field(eq=False, repr=False)
    #: the entry kinds whose leads the engine evaluates (a listed value moves with them)
    python_kinds: tuple[str, ...] = ()
    #: the ownership policy's protection period: the owner at a clock is
    #: computed from the stored fold with it (:func:`leadcycle.sqlrules.owner_sql`)
    protection_days: int = 30
    #: the scorecard's grades, best first, and its promise that the clock
    #: only lowers them (:attr:`leadcycle.rules.Scorecard.decays`)
    scale: tuple[str, ...] = ()
    decays: str | None = None
    #: the cadence's promise that the clock never brings a follow-up sooner
    due_decays: bool = False
    #: the ``x_`` values a projection stores (``listed`` or ``stored``
    #: features): the statement does not compute them, a new lead's first
    #: projection needs the engine
    kept: tuple[str, ...] = ()
    #: the database's attribute places and facts codes the statements name
    constants: Constants = attrs.field(default=Constants(), repr=False)
    _compiled: dict = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def statement(self) -> CompiledCard:
        """The statement scoped to given leads, compiled when first asked:
        a read whose leads all hold as stored compiles nothing."""
        if "scoped" not in self._compiled:
            self._compiled["scoped"] = compile_sql(self.rules, cadence=True, scoped=True,
                                                   python_kinds=self.python_kinds, constants=self.constants)
        return self._compiled["scoped"]

    @property
    def everyone(self) -> CompiledCard:
        """The same statement over every lead of the industry (``rescore``),
        compiled when first asked: a read needs only the scoped one."""
        if "everyone" not in self._compiled:
            self._compiled["everyone"] = compile_sql(self.rules, cadence=True, python_kinds=self.python_kinds,
                                                     constants=self.constants)
        return self._compiled["everyone"]


def read_plan(rules: IndustryRules, constants: Constants = Constants()) -> ReadPlan | None:
    """The industry's :class:`ReadPlan`, or None when its leads must be
    evaluated in Python: no scorecard, a rule reads a Python
    :class:`~leadcycle.rules.Feature`, or a feature's value is read by
    lists (``Feature(listed=True)``: a due item or a report reads it from
    the stored state, so it must be computed at every read) without naming
    the entries it moves with (``kinds``: then only the leads with one are
    the engine's)."""
    card = rules.scorecard
    listed = [f for f in (card.features if card is not None else ()) if getattr(f, "listed", False)]
    if card is None or any(not f.kinds for f in listed):
        return None
    # a listed value that moves only with some entries: the leads with one
    # are left to the engine, the statement evaluates the others
    python_kinds = tuple(sorted({k for f in listed for k in f.kinds}))
    if python_read(card, rules.cadence, rules.stages):
        return None
    decays = card.decays
    return ReadPlan(own.signature(rules.ownership), rules, python_kinds, rules.ownership.protection_days,
                    tuple(card.scale), decays,
                    decays is not None and rules.cadence is not None and rules.cadence.decays, _kept(card),
                    constants)


def _kept(card) -> tuple[str, ...]:
    """The ``x_`` values a projection stores: those lists or reports read."""
    return tuple(f.name for f in card.features if getattr(f, "listed", False) or getattr(f, "stored", False))


def _expiry(compiled: _Compiled, row: dict) -> dt.datetime | None:
    best = None
    for feature, values in compiled.day_thresholds.items():
        current = row.get(feature)
        if feature.startswith("days_until_"):
            # counts down: the next change is at the largest threshold below now's value
            target = _as_date(row.get(feature[len("days_until_"):]))
            earlier = [v for v in values if v < current] if current is not None else []
            if target is not None and earlier:
                moment = _midnight(target - dt.timedelta(days=int(max(earlier))))
                best = moment if best is None or moment < best else best
            continue
        anchor = row.get(feature.replace("days_since_", "") + "_at")
        if current is None or anchor is None:
            continue
        later = [v for v in values if v > current]
        if later:
            moment = _midnight(anchor.date() + dt.timedelta(days=int(later[0])))
            best = moment if best is None or moment < best else best
    return best


def project_batch(ctx: Context, batch: list[tuple[Lead, list[Event]]], now: dt.datetime,
                  _cache: dict | None = None, explain: bool = False) -> list[tuple[Lead, State]]:
    """Fold and evaluate a batch of leads; returns each lead (attributes
    folded) with its new state.

    The stored projection keeps the reasons that decide it (grade, caps,
    stage, owner, follow-up); ``explain=True`` adds every criterion's and
    dimension's line, for ``show`` (see :func:`project`)."""
    cache = _cache if _cache is not None else {}
    by_industry: dict[str, list[int]] = {}
    for i, (lead, _) in enumerate(batch):
        by_industry.setdefault(lead.industry, []).append(i)
    out: list[tuple[Lead, State] | None] = [None] * len(batch)
    for industry, idxs in by_industry.items():
        if industry not in ctx.rules:
            for i in idxs:  # industry no longer installed: keep what it was
                lead, events = batch[i]
                out[i] = (lead, State(lead_id=lead.id, industry=industry, computed_at=now,
                                      reasons=[Reason(Label("industry plugin not installed",
                                                            "行业插件未安装"), "industry:missing")]))
            continue
        compiled = cache.get(industry)
        if compiled is None:
            compiled = cache[industry] = compile_rules(ctx.rules[industry])
        _project_industry(ctx, compiled, batch, idxs, now, out, explain)
    return out  # type: ignore[return-value]


def _row(ctx, compiled: _Compiled, lead: Lead, events: list[Event], now: dt.datetime):
    """One (folded) lead's feature row and its ownership."""
    card = compiled.rules.scorecard
    row = facts(lead, events, now, compiled.contact_kinds, compiled.tallies)
    for k in compiled.rules.industry.event_kinds:  # a kind never logged is counted 0 times, as in SQL
        row.setdefault(f"n_{k.name}", 0)
    row.update(lead.attributes)
    row.update(name=lead.name, gender=lead.gender, phone=lead.phone, need=lead.need)
    for name in compiled.date_fields:
        target = _as_date(row.get(name))
        row[f"days_until_{name}"] = None if target is None else (target - now.date()).days
    feature_expiry = None
    if card is not None and card.features:
        view = LeadView(lead, lead.attributes, tuple(events), row, now, ctx.settings)
        for f in card.features:
            value = f.compute(view)
            read_clock = view.read_clock(f.name)
            # a value only ``show`` displays (an ``x_`` extra no rule or list
            # reads) is computed afresh there: the stored row need not
            # expire with it, as a compiled row does not. (A ``stored`` value
            # that reads the clock breaks its word: it expires all the same.)
            if f.name in compiled.moving:
                if isinstance(value, Expiring):
                    until = value.expires_at
                else:
                    # read from the clock, with no word on until when: it
                    # holds at this clock only (every later read evaluates it)
                    until = now if read_clock else None
                if until is not None and (feature_expiry is None or until < feature_expiry):
                    feature_expiry = until
            if isinstance(value, Expiring):
                value = value.value
            row[f.name] = value
    row["_feature_expiry"] = feature_expiry
    own_state = own.resolve(events, compiled.rules.ownership, now)
    row["owner"] = own_state.owner
    return row, own_state


def feature_row(ctx: Context, lead: Lead, events: list[Event], now: dt.datetime) -> dict:
    """The row one lead's rules are evaluated over — facts, attributes,
    basics, the scorecard's features and the owner — exactly as the bulk
    projection builds it (``LeadBook.advance`` checks stage requirements
    against it)."""
    compiled = compile_rules(ctx.for_industry(lead.industry))
    events = effective_events(_seen_at(events, now))
    return _row(ctx, compiled, fold_lead(lead, events), events, now)[0]


def _seen_at(events: list[Event], now: dt.datetime) -> list[Event]:
    """The events that have happened by ``now``: seen from an earlier
    clock, later ones have not happened yet."""
    if events and events[-1].at > now:
        return [e for e in events if e.at <= now]
    return events


def _project_industry(ctx, compiled: _Compiled, batch, idxs, now, out, explain: bool) -> None:
    rules = compiled.rules
    card = rules.scorecard
    leads, rows, owners, unseen_at, stages = [], [], [], [], []
    for i in idxs:
        lead, events = batch[i]
        # the first entry after the clock (None: the fold saw the whole log): the state holds until then
        unseen_at.append(next((e.at for e in events if e.at > now), None))
        events = effective_events(_seen_at(events, now))  # voided entries and their voids left out
        lead = fold_lead(lead, events)
        row, own_state = _row(ctx, compiled, lead, events, now)
        stage = (None, None)
        if rules.stages is not None:
            # the stage before the scorecard, which may read it (as the compiled
            # statement computes it from the derived values, before the grade)
            stage = _stage(rules.stages, row, events)
            row["stage"] = stage[0]
        stages.append(stage)
        leads.append((lead, events))
        rows.append(row)
        owners.append(own_state)

    verdicts = evaluate(card, rows, explain) if card is not None else [None] * len(rows)
    shown = [f.name for f in card.features if f.name.startswith("x_")] if card is not None else []
    kept = _kept(card) if card is not None else ()
    for i, (lead, events), row, verdict, ownership, unseen, (stage, stage_reason) in zip(
            idxs, leads, rows, verdicts, owners, unseen_at, stages):
        reasons: list[Reason] = []
        grade = score = None
        detail: list[Reason] = []
        if verdict is not None:
            grade, score = verdict.grade, verdict.score
            # "dimension:lowest" names the grade's cause: it heads the list
            head = [r for r in verdict.reasons if not is_detail(r)]
            detail = [r for r in verdict.reasons if is_detail(r)] if explain else []
            reasons.extend(head)
        if stage_reason is not None:
            reasons.append(stage_reason)
        reasons.append(ownership.reason)
        row["grade"], row["score"] = grade, score  # a cadence may read them, as the compiled one does
        due = kind = None
        stop = rules.cadence.stop_for(row) if rules.cadence is not None else None
        if stop is not None:
            reasons.append(Reason(stop.label, "cadence:stop"))
        elif rules.cadence is not None:
            start, last = _cadence_start(rules.cadence, lead, events, row)
            due, kind, why = next_follow_up(rules.cadence, grade, start, last, row)
            if why is not None:
                reasons.append(why)
        reasons.extend(detail)
        expires = [t for t in (_expiry(compiled, row), ownership.lapses_at, row.get("_feature_expiry"), unseen)
                   if t is not None]
        out[i] = (lead, State(
            lead_id=lead.id, industry=lead.industry, score=score, grade=grade, stage=stage,
            owner=ownership.owner, next_follow_up=due, follow_up_kind=kind, reasons=reasons,
            computed_at=now, expires_at=min(expires) if expires else None,
            extra={k: row[k] for k in shown}, kept=kept,
            owner_until=ownership.lapses_at,
            fold=ownership.fold if unseen is None else None,
            fold_version=compiled.fold_version,
        ))


def is_detail(reason: Reason) -> bool:
    """A per-criterion or per-dimension line: shown by ``show``, not stored
    with the projection."""
    return reason.rule.startswith(("criterion:", "dimension:")) and reason.rule != "dimension:lowest"


def _cadence_start(cadence, lead: Lead, events: list[Event], row: dict) -> tuple[dt.date, dt.date | None]:
    """The day a lead's follow-ups count from (its registration, or with
    :attr:`~leadcycle.rules.Cadence.first_after_visit` its first visit
    once it came) and the day of its last follow-up since (None: the first
    call-back is still owed)."""
    start = lead.created_at
    if cadence.first_after_visit and row.get("first_visit_at") is not None:
        start = row["first_visit_at"]
    kinds = set(cadence.follow_up_kinds)
    for e in reversed(events):
        # a follow-up logged the moment the client came counts; the visit itself does not
        if e.kind in kinds and (not cadence.first_after_visit or e.at > start
                                or (e.at == start and e.kind not in VISIT_KINDS)):
            return start.date(), e.at.date()
    return start.date(), None


def _stage(ladder: StageLadder, row: dict, events: list[Event]):
    if ladder.mode == "computed":
        return ladder.compute(row)
    entered = None
    for e in events:
        if e.kind == "stage":
            entered = e
    if entered is None:
        first = ladder.stages[0]
        return first.name, Reason(Label(f"stage {first.label.en}", f"阶段：{first.label.zh}"), f"stage:{first.name}")
    s = ladder.stage(entered.data["stage"])
    label = s.label if s else Label(entered.data["stage"], entered.data["stage"])
    return entered.data["stage"], Reason(
        Label(f"stage {label.en} since {entered.at.date()}", f"阶段：{label.zh}（自{entered.at.date()}）"),
        f"stage:{entered.data['stage']}")


def project(ctx: Context, lead: Lead, events: list[Event], now: dt.datetime) -> tuple[Lead, State]:
    """One lead's projection with its full explanation (same code path as
    the bulk one)."""
    return project_batch(ctx, [(lead, events)], now, explain=True)[0]
