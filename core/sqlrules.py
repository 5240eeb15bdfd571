"""Rules compiled to SQL (issue #17): part of the storage layer.

A plugin declares its rules as data (:mod:`leadcycle.rules`); this module
turns them into SQL expressions that a database evaluates for every lead at
once, with the clock and the settings as parameters, so that lists can
filter and sort on a grade that is computed when read. Only
:mod:`leadcycle.storage` runs what it produces; everything here is text.

The generated SQL has the semantics of the Python evaluator
(:func:`leadcycle.rules.evaluate`): ``tests/test_sqlrules.py`` checks the two
against each other on random scorecards and rows. What a dialect spells
differently (JSON access, a list parameter) is in :data:`DIALECTS`, so a
PostgreSQL backend adds a row rather than a second compiler.
"""

from __future__ import annotations

from typing import Any, Iterable

import datetime as dt
import functools
import math
import re
import sqlite3

import attrs

from .rules import VISIT_KINDS, Cap, Cond, Count, Derived, Rating, Ref, Scorecard

#: how a dialect spells what the generated SQL needs
DIALECTS: dict[str, dict[str, str]] = {
    "sqlite": {
        "json": "json_extract({col}, '$.{key}')",
        # a lead's attribute: its stored list at the key's place, looked up
        # once a statement (:class:`leadcycle.storage.AttributePlaces`)
        "attribute": ("json_extract({col}, (SELECT '$[' || position || ']' FROM attribute_keys "
                      "WHERE key = '{key}'))"),
        # ISO text to whole seconds since 1970 (the facts' moments), and back
        "epoch": ("unixepoch({x})" if sqlite3.sqlite_version_info >= (3, 38)
                  else "CAST(strftime('%s', {x}) AS INTEGER)"),
        "moment": "strftime('%Y-%m-%dT%H:%M:%S', {x}, 'unixepoch')",
        # a date's day count since 1970 (ISO text; NULL stays NULL), and back
        "day": "CAST(julianday(date({x})) - 2440587.5 AS INTEGER)",
        "date": "date({x} * 86400, 'unixepoch')",
        "ids": "SELECT value FROM json_each(?)",
        # a scalar maximum of several values (SQLite's max() of one
        # argument is the aggregate: the compiler always gives two or more)
        "greatest": "max({args})",
        "least": "min({args})",
    },
}
DIALECT = DIALECTS["sqlite"]

#: the facts row of every entry of the log, voids and voided ones too
#: (:mod:`leadcycle.storage` keeps it, under code 0), kept only for a lead
#: whose log holds a void: the other leads' kind rows count every entry.
#: The latest ``last_at`` of a lead's rows (:data:`LAST_LOGGED`) tells a
#: read into the past which leads it must leave to the engine
LOGGED = "*"
#: the code its rows are kept under (the other kinds' codes are given by
#: the database as kinds are first counted: ``fact_kinds``)
LOGGED_CODE = 0
#: the kind of a lead's registration: it has no facts row (every lead has
#: exactly one, never voided, at its ``created_at``, the first entry of its
#: log), so the compiled rules read it from the lead (:class:`Vocabulary`)
REGISTER = "register"
#: the last moment anything was logged for lead ``{lead}`` (whole seconds
#: since 1970): the latest of its facts rows (the ``LOGGED`` row among them
#: where it has one), else its registration. The registration is the first
#: entry of a lead's log and none comes earlier than the one before it, so
#: a lead with any row has its registration's moment or a later one there;
#: the lead itself is read only for a lead with none (a test holds it to
#: the log's ``max(at)``)
LAST_LOGGED = ("coalesce((SELECT max(last_at) FROM facts WHERE lead_id = {lead}), "
               "(SELECT " + DIALECT["epoch"].format(x="created_at") + " FROM leads WHERE id = {lead}))")
#: a lead's registration moment in whole seconds since 1970 (over ``leads l``)
REGISTERED = DIALECT["epoch"].format(x="l.created_at")
#: the same, where the leads keep it as seconds (migration m022; a moment
#: kept as its text, one with an offset, read from the text)
REGISTERED_KEPT = "(CASE typeof(l.created) WHEN 'integer' THEN l.created ELSE " + \
    DIALECT["epoch"].format(x="l.created") + " END)"


def code_of(name: str) -> str:
    """The code of the facts kind ``name`` (SQL: ``?``, a column, a
    literal), looked up in ``fact_kinds``; NULL for a kind never counted."""
    return f"(SELECT code FROM fact_kinds WHERE name = {name})"


def attribute_sql(col: str, key: str, place: int | None = None, columns: bool = False) -> str:
    """A lead's attribute ``key`` from its list ``col`` (``l.attributes``;
    at ``place`` when the caller knows it): with ``columns`` (a database
    that keeps each place in a column of its own, migration m017) that
    place's column of the same table."""
    if place is not None:
        if columns:
            return f'{col.rpartition(".")[0] + "." if "." in col else ""}"a{int(place)}"'
        return f"json_extract({col}, '$[{int(place)}]')"
    return DIALECT["attribute"].format(col=col, key=key.replace("'", "''"))


def column(name: str) -> str:
    """A feature's column, quoted (feature names are plugin-chosen)."""
    return '"' + name.replace('"', '""') + '"'


def cond_sql(cond: Cond, expr: str) -> tuple[str, list]:
    """``cond`` as SQL over ``expr``, with :meth:`Cond.test`'s semantics: a
    missing value fails every comparison but ``!=``, ``not_in``, ``unset``
    and ``false``."""
    op, v = cond.op, cond.value
    if op == "set":
        return f"({expr} IS NOT NULL AND {expr} != '')", []
    if op == "unset":
        return f"({expr} IS NULL OR {expr} = '')", []
    if op == "true":
        return f"coalesce({expr} = 1, 0)", []
    if op == "false":
        return f"coalesce({expr} != 1, 1)", []
    if op in ("in", "not_in"):
        values = [x for x in v if x is not None]
        marks = ", ".join("?" * len(values))  # SQLite takes an empty list: x IN () is false
        if op == "in":
            return (f"({expr} IN ({marks})" + (f" OR {expr} IS NULL" if None in v else "") + ")"), values
        if None in v:  # a missing value is one of the listed ones
            return f"({expr} IS NOT NULL AND {expr} NOT IN ({marks}))", values
        return f"({expr} NOT IN ({marks}) OR {expr} IS NULL)", values
    if op in ("has", "lacks"):  # every part of the value among the chosen (comma-joined) ones
        wanted = [x for x in str(v).split(",") if x]
        held = " AND ".join([f"instr(',' || {expr} || ',', ',' || ? || ',') > 0"] * len(wanted)) or "1"
        has = f"coalesce({expr} != '' AND {held}, 0)"
        return (has if op == "has" else f"NOT {has}"), wanted
    if op in ("any_of", "none_of"):
        values = [x for x in v if x is not None]
        some = " OR ".join([f"instr(',' || {expr} || ',', ',' || ? || ',') > 0"] * len(values)) or "0"
        unset = f"({expr} IS NULL OR {expr} = '')"
        if op == "any_of":
            return (f"(CASE WHEN {unset} THEN {int(None in v)} ELSE coalesce({some}, 0) END)"), values
        return (f"(CASE WHEN {unset} THEN {int(None not in v)} ELSE NOT coalesce({some}, 0) END)"), values
    if op == "!=":
        return f"({expr} IS NULL OR {expr} != ?)", [v]
    if op != "==" and isinstance(v, (int, float, str)):
        # Python orders a number against numbers and text against text only
        # (any other pair fails the test); SQLite would order any two values
        types = "('text')" if isinstance(v, str) else "('integer', 'real')"
        return f"coalesce(typeof({expr}) IN {types} AND {expr} {op} ?, 0)", [v]
    return f"coalesce({expr} {op.replace('==', '=')} ?, 0)", [v]


def all_sql(conds: Iterable[Cond], expr_of=column) -> tuple[str, list]:
    """Every condition of ``conds`` (true when there are none)."""
    parts, args = [], []
    for cond in conds:
        sql, more = cond_sql(cond, expr_of(cond.feature))
        parts.append(sql)
        args += more
    return (" AND ".join(parts) if parts else "1"), args


def data_cond_sql(cond: Cond, col: str = "data") -> tuple[str, list]:
    """A condition on an event's JSON data (``cond.feature`` names the key)."""
    return cond_sql(cond, DIALECT["json"].format(col=col, key=cond.feature))


# ------------------------------------------------------------- scorecards


def features_of(card: Scorecard) -> list[str]:
    """The features a scorecard reads, each once, in a stable order."""
    names: list[str] = []
    for c in card.criteria:
        if isinstance(c, Rating):
            names.append(c.feature)
        else:
            names += [cond.feature for cond in c.when]
    names += [a.feature for a in card.adjustments]
    names += [d.feature for d in card.dimensions]
    for rule in card.ladder:
        names += [cond.feature for cond in rule.when]
    for bound in (*card.caps, *card.floors):
        names += [cond.feature for cond in bound.when]
    names += list(card.require)
    return list(dict.fromkeys(names))


def _rank_sql(expr: str, scale: tuple[str, ...]) -> tuple[str, list]:
    """The rank of a grade in ``scale`` (0 best); a grade outside it ranks
    last, as :func:`leadcycle.rules._rank` has it."""
    whens = " ".join("WHEN ? THEN ?" for _ in scale)
    args: list = [x for i, g in enumerate(scale) for x in (g, i)]
    return f"(CASE {expr} {whens} ELSE {len(scale)} END)", args


def _score_sql(card: Scorecard) -> tuple[str, list]:
    if not (card.criteria or card.adjustments):
        return "NULL", []
    terms, args = [], []
    for c in card.criteria:
        col = column(c.feature) if isinstance(c, Rating) else None
        if isinstance(c, Rating):
            whens = " ".join("WHEN ? THEN ?" for _ in c.points)
            terms.append(f"(CASE {col} {whens} ELSE 0 END)")
            args += [x for value, points in c.points.items() for x in (value, float(points))]
        else:
            sql, more = all_sql(c.when)
            terms.append(f"(CASE WHEN {sql} THEN ? ELSE 0 END)")
            args += more + [float(c.points)]
    for a in card.adjustments:
        col = column(a.feature)
        whens = " ".join(f"WHEN {col} <= ? THEN ?" for _ in a.bands)
        terms.append(f"(CASE WHEN {col} IS NULL THEN 0 {whens} ELSE ? END)")
        args += [x for upper, points in a.bands for x in (upper, float(points))] + [float(a.beyond)]
    total = " + ".join(terms)
    return f"max(0.0, min(?, 0.0 + {total}))", [float(card.maximum), *args]


def _grade_sql(card: Scorecard) -> tuple[str, list]:
    """The grade before caps, over the features and ``_score``."""
    if card.ladder:
        whens, args = [], []
        for rule in card.ladder:
            sql, more = all_sql(rule.when)
            whens.append(f"WHEN {sql} THEN ?")
            args += more + [rule.grade]
        grade, args = f"(CASE {' '.join(whens)} ELSE ? END)", args + [card.fallback]
    elif card.dimensions:
        capping = [d for d in card.dimensions if not d.auxiliary]
        ranks, args = [], []
        for d in capping:
            col = column(d.feature)
            rank, more = _rank_sql(col, card.scale)
            ranks.append(f"(CASE WHEN {col} IS NULL OR {col} = '' THEN -1 ELSE {rank} END)")
            args += more
        worst = DIALECT["greatest"].format(args=", ".join(["-1", "-1", *ranks]))
        whens = " ".join("WHEN ? THEN ?" for _ in card.scale)
        args += [x for i, g in enumerate(card.scale) for x in (i, g)] + [card.fallback]
        grade = f"(CASE {worst} WHEN -1 THEN NULL {whens} ELSE ? END)"
    elif card.thresholds:
        whens = " ".join("WHEN _score >= ? THEN ?" for _ in card.thresholds)
        args = [x for g, minimum in card.thresholds for x in (float(minimum), g)] + [card.fallback]
        grade = f"(CASE {whens} ELSE ? END)"
    else:
        return "NULL", []
    if card.require:  # one of them rated, or every one with ``require_all``
        rated = (" AND " if card.require_all else " OR ").join(
            f"({column(f)} IS NOT NULL AND {column(f)} != '')" for f in card.require)
        grade = f"(CASE WHEN {rated} THEN {grade} ELSE NULL END)"
    return grade, args


def _bounded_sql(card: Scorecard, bounds: tuple[Cap, ...], grade: str, lower: bool) -> tuple[str, list]:
    """``grade`` moved by every bound whose conditions hold: caps (``lower``)
    only ever lower it, floors only ever raise it, so the result is the
    worst (or best) of the grade and the bounds that apply — the order of
    the bounds does not matter."""
    if not bounds:
        return grade, []
    rank0, args = _rank_sql(grade, card.scale)
    parts = []
    for bound in bounds:
        sql, more = all_sql(bound.when)
        # the bound's grade is a constant: its rank is decided here, once
        rank = card.scale.index(bound.grade) if bound.grade in card.scale else len(card.scale)
        parts.append(f"(CASE WHEN {sql} THEN {rank} ELSE {-1 if lower else len(card.scale) + 1} END)")
        args += more
    pick = DIALECT["greatest" if lower else "least"].format(args=", ".join([rank0, *parts]))
    whens = " ".join("WHEN ? THEN ?" for _ in card.scale)
    args += [x for i, g in enumerate(card.scale) for x in (i, g)]
    return f"(CASE WHEN {grade} IS NULL THEN NULL ELSE (CASE {pick} {whens} ELSE {grade} END) END)", args


@attrs.frozen
class CompiledCard:
    """A scorecard as one SQL statement over a source of feature rows:
    ``sql`` selects ``lead_id, score, grade`` from ``source`` (a subquery
    with ``lead_id`` and one column per name of ``features``), ``args``
    are its parameters after the source's own."""

    features: tuple[str, ...]
    sql: str
    args: tuple[Any, ...]


def compile_scorecard(card: Scorecard, source: str, then: tuple[str, list] = ("", []),
                      keep: Iterable[str] | None = None) -> CompiledCard:
    """``card`` evaluated by SQL over ``source`` (see :class:`CompiledCard`).
    Computed once per command; the statement is then run in bulk. ``then``
    adds columns computed over the graded row (``grade`` and the
    source's columns), with their arguments; ``keep`` names the source's
    columns ``then`` reads (SQL names), when the caller knows them: the
    layers then carry only those and what the rules read, not every
    column of the source (None: every column)."""
    score, score_args = _score_sql(card)
    grade, grade_args = _grade_sql(card)
    keep = None if keep is None else tuple(keep)

    def carry(*read: str) -> str:
        """The columns a layer takes over from the one below it."""
        return "*" if keep is None else ", ".join(dict.fromkeys(["lead_id", *read, *keep]))

    def read_by(*bounds: tuple[Cap, ...]) -> list[str]:
        return [column(cond.feature) for group in bounds for bound in group for cond in bound.when]

    # each layer materialised: flattened, every reference to the score or a
    # grade would copy its whole expression, and preparing the statement
    # took longer than running it for an agent's leads. A layer copies its
    # rows, so it carries only the columns read above it (when ``keep``
    # says which), and a grade with no caps or no floors skips that layer
    bounded = [(name, bounds, later, lower) for name, bounds, later, lower in (
        ("h", card.caps, card.floors, True), ("c", card.floors, (), False)) if bounds]
    # every layer's grade has its own name (``*`` carries the ones below);
    # the last one's is ``_grade``, which ``then`` reads
    names = [f"_g{i}" for i in range(len(bounded))] + ["_grade"]
    bounds_read = read_by(card.caps, card.floors)
    if _mentioned(grade, ["_score"]):  # a ladder or thresholds over the score: the score first, once
        grade_read = map(column, _mentioned(grade, features_of(card)))
        layers = [f"s AS MATERIALIZED (SELECT {carry(*grade_read, *bounds_read)}, {score} AS _score FROM f)",
                  f"g AS MATERIALIZED (SELECT {carry('_score', *bounds_read)}, {grade} AS {names[0]} FROM s)"]
    else:
        layers = [f"g AS MATERIALIZED (SELECT {carry(*bounds_read)}, {score} AS _score, {grade} AS {names[0]} "
                  "FROM f)"]
    args = [*score_args, *grade_args]
    below = "g"
    for i, (name, bounds, later, lower) in enumerate(bounded):
        sql, more = _bounded_sql(card, bounds, names[i], lower)
        layers.append(f"{name} AS MATERIALIZED (SELECT {carry('_score', *read_by(later))}, {sql} AS {names[i + 1]} "
                      f"FROM {below})")
        args += more
        below = name
    sql = (f"WITH f AS ({source}), {', '.join(layers)} "
           f"SELECT lead_id, _score AS score, _grade AS grade{then[0]} FROM {below}")
    return CompiledCard(tuple(features_of(card)), sql, (*args, *then[1]))


# ------------------------------------------------------- the feature rows


class NotCompiled(Exception):
    """A rule reads a value only Python can compute (a plugin's
    :class:`~leadcycle.rules.Feature`): the engine evaluates that industry
    lead by lead instead."""


@attrs.frozen
class Constants:
    """What a database has given for good when a statement is compiled:
    each attribute key's place in the leads' stored lists, each facts kind's
    code. They never change once given, so a statement may name them as
    literals; a key or kind given later (or not yet) is looked up when the
    statement runs. (A rollback can take back what was given inside it:
    :class:`leadcycle.storage.Store` then counts a new ``constants_epoch``,
    and whoever keeps statements compiles them again.)"""

    places: tuple[tuple[str, int], ...] = ()
    codes: tuple[tuple[str, int], ...] = ()
    #: whether each place is a column of ``leads`` (migration m017)
    columns: bool = False
    #: whether the leads keep their registration as seconds (migration m022)
    identity: bool = False

    def place(self, key: str) -> int | None:
        return dict(self.places).get(key)

    def code(self, kind: str) -> int | None:
        return dict(self.codes).get(kind)


def _code_sql(constants: Constants, kinds: Iterable[str]) -> tuple[str, list]:
    """``(SQL, args)`` for the codes of ``kinds`` as the right side of
    ``kind IN``: literals where known, else found once a statement (a kind
    never counted has none: it matches no row)."""
    known, unknown = [], []
    for kind in kinds:
        code = constants.code(kind)
        if code is None:
            unknown.append(kind)
        else:
            known.append(str(code))
    if not unknown:
        return f"({', '.join(known) or 'NULL'})", []
    lookup = f"SELECT code FROM fact_kinds WHERE name IN ({', '.join('?' * len(unknown))})"
    if known:
        lookup += f" UNION ALL VALUES {', '.join(f'({c})' for c in known)}"
    return f"({lookup})", unknown


#: a facts row's first moment (kept only where it is not the last one),
#: over the row ``{f}``
FIRST_AT = "coalesce({f}.first_at, {f}.last_at)"


def _join_sql(constants: Constants, alias: str, kind: str) -> tuple[str, list]:
    """The lead's facts row for ``kind`` joined to it as ``alias``: its code
    as a literal where known, else found once a statement (a kind never
    counted has none: the row is NULL)."""
    code = constants.code(kind)
    on = f"LEFT JOIN facts {alias} ON {alias}.lead_id = l.id AND {alias}.kind = "
    if code is not None:
        return f"{on}{code}", []
    return f"{on}{code_of('?')}", [kind]


#: a hundred years of seconds: what a fact's moment is shifted by before
#: its day is taken, so that moments back to 1870 divide down to the day
#: before, not toward 1970 (SQLite's integer division truncates)
_SHIFT_DAYS = 36525


def _day(sql: str, epoch: bool) -> str:
    """The day count since 1970 of a moment: a fact's (whole seconds since
    1970, ``epoch``) or ISO text's (a date attribute, the registration)."""
    if epoch:
        return f"((({sql}) + {_SHIFT_DAYS * 86400}) / 86400 - {_SHIFT_DAYS})"
    return DIALECT["day"].format(x=sql)


def _days_between(later: str, earlier: str) -> str:
    """Whole days from ``earlier``'s date to ``later``'s, two day counts
    (NULL when either is)."""
    return f"({later} - {earlier})"


@attrs.frozen
class Vocabulary:
    """What an industry's rows are made of: its contact kinds (calls and
    visits that count as contact), its date attributes (each gets
    ``days_until_<name>``), its tallies (the core's among them) and the
    core's basics."""

    contact_kinds: tuple[str, ...]
    date_fields: tuple[str, ...]
    tallies: tuple = ()
    #: the ownership policy's period: ``owner`` is computed at the clock
    #: from the stored fold (:func:`owner_sql`)
    protection_days: int = 30
    #: the database's attribute places and facts codes, named as literals
    constants: Constants = Constants()
    #: the facts rows the compiled columns read, kind → alias, each joined
    #: to the lead once (:meth:`joins`), whatever number of columns read it
    joined: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    def _tally(self, name: str):
        return next((t for t in self.tallies if t.name == name), None)

    @property
    def registered(self) -> str:
        """The lead's registration moment in whole seconds since 1970."""
        return REGISTERED_KEPT if self.constants.identity else REGISTERED

    def fact(self, col: str, kind: str) -> tuple[str, list]:
        """One column of the lead's facts row for ``kind``, a row joined to
        the lead (:meth:`joins`): a quarter less time than a subquery per
        column, as every rule reads its facts this way. The registration's
        from the lead itself (:data:`REGISTER`)."""
        if kind == REGISTER:
            return {"n": "1", "first_at": self.registered, "last_at": self.registered,
                    "last_id": "(SELECT min(id) FROM events WHERE lead_id = l.id)"}[col], []
        alias = self.joined.setdefault(kind, f"_f{len(self.joined)}")
        return (FIRST_AT.format(f=alias) if col == "first_at" else f"{alias}.{col}"), []

    def joins(self) -> tuple[str, list]:
        """``(SQL, args)``: the ``LEFT JOIN`` of every facts row :meth:`fact`
        named, for the ``FROM`` of the statement over ``leads l``."""
        sql, args = [], []
        for kind, alias in self.joined.items():
            join, more = _join_sql(self.constants, alias, kind)
            sql.append(join)
            args += more
        return " ".join(sql), args

    def kinds_in(self, kinds: Iterable[str]) -> tuple[str, list]:
        """The right side of ``kind IN`` for ``kinds`` (their facts rows:
        the registration has none, see :meth:`latest`)."""
        return _code_sql(self.constants, [k for k in kinds if k != REGISTER])

    def latest(self, kinds: Iterable[str]) -> tuple[str, list]:
        """The last moment of an entry of ``kinds`` (whole seconds since
        1970; NULL when none), the registration's among them where named."""
        kinds = tuple(kinds)
        rows = [k for k in kinds if k != REGISTER]
        codes, args = self.kinds_in(rows)
        sql = f"(SELECT max(last_at) FROM facts WHERE lead_id = l.id AND kind IN {codes})" if rows else "NULL"
        if REGISTER in kinds:  # (a scalar max of a NULL is NULL)
            sql = f"coalesce(max({sql}, {self.registered}), {self.registered})"
        return sql, args

    def count(self, kinds: Iterable[str]) -> tuple[str, list]:
        """How many entries of ``kinds`` (0 when none), the registration among them where named."""
        kinds = tuple(kinds)
        rows = [k for k in kinds if k != REGISTER]
        codes, args = self.kinds_in(rows)
        sql = f"coalesce((SELECT sum(n) FROM facts WHERE lead_id = l.id AND kind IN {codes}), 0)" if rows else "0"
        return (f"({sql} + 1)" if REGISTER in kinds else sql), args

    def attribute(self, key: str) -> str:
        """A lead's attribute ``key``."""
        return attribute_sql("l.attributes", key, self.constants.place(key), self.constants.columns)

    def moment(self, name: str) -> tuple[str, list, bool] | None:
        """``(SQL, args, epoch)`` of the moment feature ``name``
        (``registered_at``, ``last_contact_at``, ``first_<tally>_at``…):
        a fact's in whole seconds since 1970 (``epoch``), else ISO text;
        None when ``name`` is no moment of this vocabulary."""
        if name == "registered_at":
            return "l.created_at", [], False
        if name == "last_contact_at":
            return (*self.latest(self.contact_kinds), True)
        if name == "last_follow_up_at":
            return (*self.fact("last_at", "follow_up"), True)
        for prefix, col in (("first_", "first_at"), ("last_", "last_at")):
            if name.startswith(prefix) and name.endswith("_at") and self._tally(name[len(prefix):-3]):
                return (*self.fact(col, "@" + name[len(prefix):-3]), True)
        return None

    def expr(self, name: str) -> tuple[str, list]:
        """The SQL (over ``leads l``, with ``?`` for the clock where it
        needs it: the caller passes the same ``now`` to each) for the
        feature ``name``, as :func:`leadcycle.engine.facts` derives it."""
        moment = self.moment(name)
        if moment is not None:  # as the engine has it: ISO text
            sql, args, epoch = moment
            return (DIALECT["moment"].format(x=sql) if epoch else sql), args
        if name.startswith("last_") and "." in name and self._tally(name[5:name.index(".")]):
            tally, key = name[5:name.index(".")], name[name.index(".") + 1:]
            json = DIALECT["json"].format(col="e.data", key=key)
            last, args = self.fact("last_id", "@" + tally)
            return f"(SELECT {json} FROM events e WHERE e.id = {last})", args
        if name.startswith("days_to_first_") and self._tally(name[len("days_to_first_"):]):
            t = self._tally(name[len("days_to_first_"):])
            first, first_args = self.fact("first_at", "@" + t.name)
            start, start_args = self.fact("first_at" if t.anchor == "first" else "last_at", "@" + t.after)
            return _days_between(_day(first, True), _day(start, True)), [*first_args, *start_args]
        if name.startswith("days_since_"):
            moment = self.moment(name[len("days_since_"):] + "_at")
            if moment is not None:
                sql, args, epoch = moment
                return _days_between("?", _day(sql, epoch)), [TODAY, *args]
        if name == "n_contact":
            return self.count(self.contact_kinds)
        if name == "n_follow_up" or (name.startswith("n_") and self._tally(name[2:])):
            sql, args = self.fact("n", "follow_up" if name == "n_follow_up" else "@" + name[2:])
            return f"coalesce({sql}, 0)", args
        if name.startswith("n_"):  # a kind never logged: counted 0 times
            sql, args = self.fact("n", name[2:])
            return f"coalesce({sql}, 0)", args
        if name.startswith("days_until_") and name[len("days_until_"):] in self.date_fields:
            return _days_between(_day(self.attribute(name[len("days_until_"):]), False), "?"), [TODAY]
        if name in ("name", "gender", "phone", "need"):
            return f"l.{name}", []
        if name == "owner":
            owner, _ = owner_sql(self.protection_days)
            return owner, [NOW] * owner.count("?")
        return self.attribute(name), []


def conditions_of(declared) -> list[tuple[Cond, ...]]:
    """The condition groups a declared value reads."""
    if isinstance(declared, Count):
        return list(declared.items)
    return [conds for conds, _ in declared.cases]


def _value_sql(value) -> tuple[str, list]:
    """A :class:`~leadcycle.rules.Derived` case's value: a constant, or
    another feature's column (:class:`~leadcycle.rules.Ref`)."""
    if isinstance(value, Ref):
        return column(value.feature), []
    return "?", [value]


#: stand for the clock among a source's parameters (replaced when run):
#: as ISO text, as whole seconds since 1970 (the facts' moments), and its
#: date as a day count since 1970
NOW = object()
NOW_EPOCH = object()
TODAY = object()


def compile_stage(ladder) -> tuple[str, list]:
    """``(stage SQL, args)`` for a :class:`~leadcycle.rules.StageLadder`
    (as :func:`leadcycle.engine._stage` finds it): computed — a terminal
    stage whose requirements hold, else the furthest stage whose
    requirements hold; advanced — the stage the last ``stage`` event
    entered (``_stage_entered``), else the first."""
    if ladder.mode != "computed":
        return "coalesce(_stage_entered, ?)", [ladder.stages[0].name]
    whens, args = [], []
    ordered = [s for s in ladder.stages if s.terminal and s.requires] + \
        [s for s in reversed(ladder.stages) if not s.terminal]
    for stage in ordered:
        sql, more = all_sql(stage.requires)
        whens.append(f"WHEN {sql} THEN ?")
        args += more + [stage.name]
    return f"(CASE {' '.join(whens)} ELSE NULL END)", args


def rows_read(card: Scorecard, cadence=None, stages=None) -> list[str]:
    """The features an industry's row is made of, each once: what the
    scorecard, its derived values, the stage ladder (computed) and the
    cadence read, less the derived values themselves."""
    derived = [f for f in card.features if isinstance(f, (Derived, Count))]
    own = {d.name for d in derived}
    refs = [v.feature for d in derived if isinstance(d, Derived)
            for v in (*(value for _, value in d.cases), d.default) if isinstance(v, Ref)]
    read = [c.feature for d in derived for conds in conditions_of(d) for c in conds]
    if stages is not None and stages.mode == "computed":
        read += [c.feature for stage in stages.stages for c in stage.requires]
    if cadence is not None:
        read += [c.feature for r in cadence.rules for c in r.when] + [c.feature for stop in cadence.all_stops for c in stop.when]
    # the stage, grade and score are the row's own (a cadence reads the graded ones)
    return list(dict.fromkeys([n for n in features_of(card) + read + refs
                               if n not in own and n not in ("stage", "grade", "score")]))


def python_read(card: Scorecard, cadence=None, stages=None) -> list[str]:
    """The features those rules read that only Python computes (a plugin's
    :class:`~leadcycle.rules.Feature`): while there is one, the industry's
    rules do not compile (:class:`NotCompiled`). Decided without building
    any SQL."""
    python = {f.name for f in card.features if not isinstance(f, (Derived, Count))}
    return sorted(python & set(rows_read(card, cadence, stages)))


def compile_industry(card: Scorecard, vocabulary: Vocabulary, cadence=None, stages=None,
                     scoped: bool = False, row: bool = False,
                     day_thresholds: dict[str, tuple] | None = None,
                     python_kinds: tuple[str, ...] = ()) -> CompiledCard:
    """The industry's scorecard over its leads' rows, built from the leads
    table, their facts and the clock: one statement, parameters ``NOW``
    (the clock, ISO text) and the industry's name where the source needs
    them. With ``cadence``, the statement also gives each lead's
    ``next_follow_up`` and ``follow_up_kind``; with ``row``, the stage and
    those two always (NULL where the industry has none), the owner, the end
    of its protection and ``expires_at``: the first moment the clock alone
    changes the row (a day count crossing one of ``day_thresholds``, the
    owner's protection ending), as :func:`leadcycle.engine._expiry` finds it. ``scoped`` statements take
    the leads to evaluate as one more parameter (``IDS``: a JSON list).
    Leads with an entry of ``python_kinds`` are left out (a listed Python
    value moves with them: the engine evaluates those). Raises
    :class:`NotCompiled` when a rule reads a Python
    :class:`~leadcycle.rules.Feature`."""
    derived = [f for f in card.features if isinstance(f, (Derived, Count))]
    follow_up: tuple[str, list] = ("", [])
    stage_sql = None
    if stages is not None:
        stage_sql, stage_args = compile_stage(stages)
    if cadence is not None:
        due, kind, cadence_args = compile_cadence(cadence, "_grade")
        follow_up = (f", {due} AS next_follow_up, {kind} AS follow_up_kind", cadence_args)
    if cadence is not None or stage_sql is not None:  # the row of a list: the stage too (none without a ladder)
        follow_up = (f", {'stage' if stage_sql is not None else 'NULL'} AS stage{follow_up[0]}", follow_up[1])
    if row and cadence is None:
        follow_up = (f", {'stage' if stage_sql is not None else 'NULL'} AS stage, "
                     "NULL AS next_follow_up, NULL AS follow_up_kind", [])
    base = rows_read(card, cadence, stages)
    blocked = python_read(card, cadence, stages)
    if blocked:
        raise NotCompiled(f"{card.name}: {', '.join(blocked)} computed in Python")
    cols, args = [], []
    for name in base:
        sql, more = vocabulary.expr(name)
        cols.append(f"{sql} AS {column(name)}")
        args += more
    if stages is not None and stages.mode != "computed":
        json = DIALECT["json"].format(col="e.data", key="stage")
        last, more = vocabulary.fact("last_id", "stage")
        cols.append(f"(SELECT {json} FROM events e WHERE e.id = {last}) AS _stage_entered")
        args += more
    if cadence is not None:
        if cadence.first_after_visit:  # from the first visit once it came; the follow-ups since
            first, first_args = vocabulary.fact("first_at", "@visit")
            start = f"coalesce({first}, {vocabulary.registered})"
            # since the first visit: a visit after it, another entry from its moment on (the
            # registration, a visit kind with no facts row, never comes after that start)
            codes, code_args = vocabulary.kinds_in(cadence.follow_up_kinds)
            visits, visit_args = vocabulary.kinds_in(VISIT_KINDS)
            cols += [f"date({start}, 'unixepoch') AS _registered",
                     f"date((SELECT max(CASE WHEN kind IN {visits} THEN (CASE WHEN last_at > {start} THEN last_at END) "
                     f"WHEN last_at >= {start} THEN last_at END) FROM facts "
                     f"WHERE lead_id = l.id AND kind IN {codes}), 'unixepoch') AS _last_follow_up"]
            args += [*first_args, *visit_args, *first_args, *first_args, *code_args]
        else:
            latest, more = vocabulary.latest(cadence.follow_up_kinds)
            cols += ["date(l.created_at) AS _registered", f"date({latest}, 'unixepoch') AS _last_follow_up"]
            args += more
    if row:  # the owner at the clock and the end of its protection
        owner, until = owner_sql(vocabulary.protection_days)
        if "owner" not in base:
            cols.append(f"{owner} AS owner")
            args += [NOW] * owner.count("?")
        cols.append(f"{until} AS _owner_until")
        args += [NOW] * until.count("?")
        # each day count's next crossing, computed above the row from its
        # column and its anchor's (each looked up once, in the row)
        moments, moment_args = [], []
        for i, (feature, values) in enumerate(sorted((day_thresholds or {}).items())):
            anchor = _crossing_anchor(vocabulary, feature)
            if anchor is None:
                continue
            anchor_sql, anchor_args, epoch = anchor
            cols.append(f"{anchor_sql} AS _anchor{i}")
            args += anchor_args
            current = column(feature)
            if feature not in base:
                count, count_args = vocabulary.expr(feature)
                cols.append(f"{count} AS _count{i}")
                args += count_args
                current = f"_count{i}"
            sql, more = _crossing_sql(feature, values, current, f"_anchor{i}", epoch)
            moments.append(f"coalesce({sql}, '{_NEVER}')")
            moment_args += more
        soonest = DIALECT["least"].format(args=", ".join([*moments, f"coalesce(_owner_until, '{_NEVER}')",
                                                          f"'{_NEVER}'"]))
        follow_up = (f"{follow_up[0]}, owner, _owner_until AS owner_until, nullif({soonest}, '{_NEVER}') "
                     "AS expires_at", [*follow_up[1], *moment_args])
    select = ", ".join(["l.id AS lead_id", *cols])
    # a lead with events after the clock (a read into the past) is left to
    # the engine, which folds only the events seen by then. The row is
    # materialised (each fact looked up once, not once per rule that reads
    # it), the leads scanned in id order
    scope = f" AND l.id IN ({DIALECT['ids']})" if scoped else ""
    joins, join_args = vocabulary.joins()  # the facts rows the columns above read
    # (registered by then, and nothing logged after: the registration is no facts row)
    layers = [f"b0 AS MATERIALIZED (SELECT {select} FROM leads l LEFT JOIN lead_state s ON s.lead_id = l.id "
              f"{joins} WHERE +l.industry = ? AND {vocabulary.registered} <= ? "
              f"AND coalesce((SELECT max(last_at) FROM facts WHERE lead_id = l.id), 0) <= ?{scope})"]
    args += [*join_args, INDUSTRY, NOW_EPOCH, NOW_EPOCH] + ([IDS] if scoped else [])
    if REGISTER in python_kinds:  # every lead has one: every lead is the engine's
        layers[0] = layers[0][:-1] + " AND 0)"
    elif python_kinds:
        codes, code_args = vocabulary.kinds_in(python_kinds)
        layers[0] = layers[0][:-1] + f" AND NOT EXISTS (SELECT 1 FROM facts WHERE lead_id = l.id AND kind IN {codes}))"
        args += code_args
    for i, d in enumerate(derived, 1):
        if isinstance(d, Count):
            terms = []
            for conds in d.items:
                sql, more = all_sql(conds)
                terms.append(f"(CASE WHEN {sql} THEN 1 ELSE 0 END)")
                args += more
            zero, zero_args = _value_sql(d.zero)
            args += zero_args
            total = " + ".join(terms) or "0"
            layers.append(f"b{i} AS (SELECT *, coalesce(nullif({total}, 0), {zero}) AS {column(d.name)} "
                          f"FROM b{i - 1})")
            continue
        whens = []
        for conds, value in d.cases:
            sql, more = all_sql(conds)
            then, then_args = _value_sql(value)
            whens.append(f"WHEN {sql} THEN {then}")
            args += more + then_args
        default, default_args = _value_sql(d.default)
        args += default_args
        layers.append(f"b{i} AS (SELECT *, (CASE {' '.join(whens)} ELSE {default} END) AS {column(d.name)} "
                      f"FROM b{i - 1})")
    last = len(derived)
    if stage_sql is not None:  # the ladder reads the derived values; the cadence reads the stage
        layers.append(f"b{last + 1} AS (SELECT *, {stage_sql} AS stage FROM b{last})")
        args += stage_args
        last += 1
    source = f"WITH {', '.join(layers)} SELECT * FROM b{last}"
    # the source's columns the row's own (stage, follow-up, owner, expiry) read
    made = [*base, *(d.name for d in derived), "stage", "_stage_entered", "_registered", "_last_follow_up",
            "owner", "_owner_until", *(f"_{what}{i}" for i in range(len(day_thresholds or {}))
                                       for what in ("anchor", "count"))]
    compiled = compile_scorecard(card, source, follow_up, keep=map(column, _mentioned(follow_up[0], made)))
    return CompiledCard(compiled.features, compiled.sql, (*args, *compiled.args))


def _mentioned(sql: str, names: Iterable[str]) -> list[str]:
    """The ``names`` that ``sql`` reads as columns, quoted or bare (a name
    inside a string literal, or one a column is named ``AS``, is not read)."""
    bare = re.sub(r"'(?:[^']|'')*'", "''", sql)
    bare = re.sub(r'\bAS\s+(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*)', "", bare, flags=re.IGNORECASE)
    said = {q.replace('""', '"') if q else w
            for q, w in re.findall(r'"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)', bare)}
    return [n for n in names if n in said]


#: later than any moment: what a minimum of moments starts from
_NEVER = "9999-12-31T00:00:00"


def _crossing_anchor(vocabulary: Vocabulary, feature: str) -> tuple[str, list, bool] | None:
    """``(SQL, args, epoch)`` of what the day count ``feature`` counts
    from or to: a ``days_since_X``'s moment ``X_at`` (a fact's in whole
    seconds since 1970: ``epoch``), a ``days_until_<date>``'s date; None
    for any other feature (the clock moves no other count)."""
    if feature.startswith("days_until_"):
        return vocabulary.attribute(feature[len("days_until_"):]), [], False
    if feature.startswith("days_since_"):
        return vocabulary.moment(feature[len("days_since_"):] + "_at")
    return None


def _crossing_sql(feature: str, values: tuple, current: str, anchor: str, epoch: bool) -> tuple[str, list]:
    """The next midnight at which the day count ``feature`` (the column
    ``current``) crosses one of ``values`` (ISO text; NULL when it never
    will): a ``days_since_X`` counts up from the moment ``anchor``, a
    ``days_until_<date>`` down to the date ``anchor``."""
    whens, args = [], []
    if feature.startswith("days_until_"):
        for v in sorted(values, reverse=True):  # the largest threshold below the count is crossed next
            whens.append(f"WHEN {current} > ? THEN date({anchor}, ?)")
            args += [v, f"{-int(v):+d} days"]
    else:
        unit = ", 'unixepoch'" if epoch else ""
        for v in sorted(values):  # the smallest threshold above the count is crossed next
            whens.append(f"WHEN {current} < ? THEN date({anchor}{unit}, ?)")
            args += [v, f"+{int(v)} days"]
    return f"(CASE {' '.join(whens)} END || 'T00:00:00')", args


#: stands for the industry's name among a source's parameters
INDUSTRY = object()
#: stands for the leads a scoped statement evaluates (a JSON list of ids)
IDS = object()


def bind(compiled: CompiledCard, now: str, industry: str, ids: str | None = None) -> list:
    """The statement's parameters for one clock and industry (and the
    leads of a scoped statement)."""
    clock = clock_args(now)
    return [clock[a] if a in clock else industry if a is INDUSTRY else ids if a is IDS else a
            for a in compiled.args]


_EPOCH = dt.datetime(1970, 1, 1)


@functools.lru_cache(maxsize=1 << 12)
def epoch_of(moment: dt.datetime) -> int:
    """A naive moment (as the clock reads) in whole seconds since 1970, as
    SQLite's ``unixepoch()`` reads its ISO text (each distinct one worked
    out once: an import's thousands of rows share a few hundred visit dates)."""
    return (moment.replace(microsecond=0) - _EPOCH) // dt.timedelta(seconds=1)


def moment_of(seconds: int | str | None) -> dt.datetime | None:
    """The moment a column keeps as whole seconds since 1970 (or, in a
    database not yet upgraded, as ISO text)."""
    if seconds is None:
        return None
    if isinstance(seconds, str):
        return dt.datetime.fromisoformat(seconds)
    return _EPOCH + dt.timedelta(seconds=seconds)


def day_count(day: dt.date) -> int:
    """A date as days since 1970 (negative before it)."""
    return (day - _EPOCH.date()).days


def date_of(value: int | str | None) -> dt.date | None:
    """The date a column keeps as days since 1970 (or, in a database not
    yet upgraded, as ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return _EPOCH.date() + dt.timedelta(days=value)


def clock_args(now: str | dt.datetime) -> dict:
    """What the clock markers (``NOW``, ``NOW_EPOCH``, ``TODAY``) stand for
    at ``now`` (ISO text, or a naive datetime as the clock reads)."""
    moment = dt.datetime.fromisoformat(now) if isinstance(now, str) else now
    return {NOW: moment.isoformat() if isinstance(now, dt.datetime) else now,
            # whole seconds: a fact's moment (to the second) is at or before
            # the clock exactly when it is at or before its whole second
            NOW_EPOCH: epoch_of(moment),
            TODAY: day_count(moment.date())}


# ------------------------------------------------------------- ownership


def owner_sql(protection_days: int, s: str = "s") -> tuple[str, str]:
    """``(owner, owner_until)``: SQL expressions over a row of the
    stored ownership fold (``{s}.fold_*``, :class:`~leadcycle.model.Fold`)
    for the owner at the clock and the moment its protection runs out —
    what :func:`leadcycle.ownership.owner_at` computes. Every parameter
    (``?``) is the clock."""
    days = int(protection_days) + 1
    # the recognition window has closed: the receiver has had the client since the reception
    won = f"({s}.fold_window_until IS NOT NULL AND ? > {s}.fold_window_until)"
    holder = f"(CASE WHEN {won} THEN {s}.fold_window_to ELSE {s}.fold_owner END)"
    # the fold's anchor is kept in seconds since 1970, a window's moment as ISO text
    anchor = f"(CASE WHEN {won} THEN date({s}.fold_window_at) ELSE date({s}.fold_anchor, 'unixepoch') END)"
    lapse_day = f"date({anchor}, '+{days} days')"
    protected = f"(nullif({holder}, '') IS NOT NULL AND {anchor} IS NOT NULL AND NOT coalesce({s}.fold_dealt, 0))"
    owner = f"(CASE WHEN {protected} AND date(?) >= {lapse_day} THEN NULL ELSE {holder} END)"
    window_end = f"strftime('%Y-%m-%dT%H:%M:%S', {s}.fold_window_until, '+1 seconds')"
    lapse = f"({lapse_day} || 'T00:00:00')"
    until = (f"(CASE WHEN {s}.fold_window_until IS NOT NULL AND NOT {won} THEN (CASE "
             f"WHEN {owner} IS NULL OR NOT {protected} THEN {window_end} ELSE min({lapse}, {window_end}) END) "
             f"WHEN {owner} IS NOT NULL AND {protected} THEN {lapse} END)")
    return owner, until


# ---------------------------------------------------------------- cadence


def _grade_matches(rule_grade, grade_col: str) -> tuple[str, list]:
    if rule_grade is None:
        return f"{grade_col} IS NULL", []
    return f"{grade_col} = ?", [rule_grade]


def compile_cadence(cadence, grade_col: str = "grade", registered: str = "_registered",
                    last: str = "_last_follow_up") -> tuple[str, str, list]:
    """``(next_follow_up SQL, follow_up_kind SQL, args)``
    for :func:`leadcycle.rules.next_follow_up` over a row with the grade,
    the registration day and the day of the last follow-up (ISO text).
    The first conditional rule that holds wins, then the grade's rule,
    then the default; a lead any of the cadence's stops holds for gets
    nothing planned."""
    rules = list(cadence.rules)
    whens, args = [], []

    def expr_of(name: str) -> str:  # the cadence reads the lead's grade and score as graded
        return grade_col if name == "grade" else "_score" if name == "score" else column(name)

    for i, r in enumerate(rules):
        if not r.when:
            continue
        conds, more = all_sql(r.when, expr_of)
        if r.grade is None:
            whens.append(f"WHEN {conds} THEN {i}")
            args += more
        else:
            whens.append(f"WHEN {grade_col} = ? AND {conds} THEN {i}")
            args += [r.grade, *more]
    plain = [(i, r) for i, r in enumerate(rules) if not r.when]
    for i, r in plain:
        if r.grade is not None:
            whens.append(f"WHEN {grade_col} = ? THEN {i}")
            args.append(r.grade)
    default = next((i for i, r in plain if r.grade is None), None)
    choice = f"(CASE {' '.join(whens)} ELSE {'NULL' if default is None else default} END)" if whens else (
        "NULL" if default is None else str(default))
    due_cases, kind_cases = [], []
    for i, r in enumerate(rules):
        if r.pool:
            continue
        first = None if r.first_days is None else f"date({registered}, '+{math.floor(r.first_days)} days')"
        then = None if r.interval_days is None else \
            f"date(coalesce({last}, {registered}), '+{math.floor(r.interval_days)} days')"
        if first is not None:
            due_cases.append(f"WHEN {i} THEN CASE WHEN {last} IS NULL THEN {first} ELSE {then or 'NULL'} END")
            kind_cases.append(f"WHEN {i} THEN CASE WHEN {last} IS NULL THEN 'first' ELSE "
                              f"{chr(39) + 'follow_up' + chr(39) if then else 'NULL'} END")
        elif then is not None:
            due_cases.append(f"WHEN {i} THEN {then}")
            kind_cases.append(f"WHEN {i} THEN 'follow_up'")
    # any stop that holds plans nothing
    stop_parts = [all_sql(stop.when, expr_of) for stop in cadence.all_stops]
    stop = "(" + " OR ".join(sql for sql, _ in stop_parts) + ")" if stop_parts else "0"
    stop_args = [a for _, more in stop_parts for a in more]
    due = f"(CASE WHEN {stop} THEN NULL ELSE (CASE {choice} {' '.join(due_cases)} END) END)" if due_cases else "NULL"
    kind = f"(CASE WHEN {stop} THEN NULL ELSE (CASE {choice} {' '.join(kind_cases)} END) END)" if kind_cases else "NULL"
    # the statement spells the choice twice (due, then kind): its arguments twice too
    one = [*stop_args, *args] if due_cases else []
    return due, kind, one + one
