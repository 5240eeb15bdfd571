"""Value objects: what plugins declare and what the core stores.

Everything here is ``@attrs.frozen``. Declarations (:class:`Industry`,
:class:`Field`, :class:`EventKind`, :class:`Setting`) are what a plugin hands
to the core; records (:class:`Agent`, :class:`Lead`, :class:`Event`,
:class:`State`) are what the storage module reads and writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Any

import attrs

from .errors import LeadcycleError
from .i18n import M_, N_

LANGS = ("en", "zh")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _identifier(instance, attribute, value):
    if not _NAME.match(value):
        raise ValueError(
            f"{attribute.name} {value!r} must be lower_snake_case (a-z, 0-9, _)"
        )


@attrs.frozen
class Label:
    """A text in English and Chinese. ``Label("grade A", "A类客户")``."""

    en: str
    zh: str

    def __attrs_post_init__(self):
        if not (isinstance(self.en, str) and isinstance(self.zh, str)):
            raise TypeError(f"a label is two texts, English and Chinese: Label({self.en!r}, {self.zh!r})")

    def __call__(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def format(self, **kwargs) -> "Label":
        return Label(self.en.format(**kwargs), self.zh.format(**kwargs))

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}

    @classmethod
    def from_json(cls, value: dict | str) -> "Label":
        if isinstance(value, str):
            return cls(value, value)
        return cls(value["en"], value.get("zh", value["en"]))


def count_en(n, noun: str, plural: str | None = None) -> str:
    """``n`` and the English ``noun`` it counts: ``count_en(1, "day")`` is
    "1 day", ``count_en(3, "day")`` "3 days" (a label a setting fills in:
    Chinese has no plural)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def as_tuple(values) -> tuple:
    """A field's values as a tuple: the converter of every tuple field. (A
    Python function: attrs reads a converter's signature, and a builtin's,
    ``tuple``'s, is parsed from its text — a tenth of ``--help``'s start-up
    over the model's and the rules' fields.)"""
    return tuple(values)


def as_bool(value) -> bool:
    """``bool`` as a converter (see :func:`as_tuple`)."""
    return bool(value)


def _to_label(value: Label | tuple | str) -> Label:
    if isinstance(value, Label):
        return value
    if isinstance(value, tuple):
        return Label(*value)
    return Label(value, value)


@attrs.frozen
class Choice:
    """One allowed value of a choice field, with its labels. The value is
    text (a cell, a ``--set``, JSON all give text): ``Choice(2, …)`` is "2"."""

    value: str = attrs.field(converter=lambda v: v if isinstance(v, str) else str(v))
    label: Label = attrs.field(converter=_to_label)


def _to_choices(values) -> tuple[Choice, ...]:
    if isinstance(values, str):  # each of its characters would be a choice
        raise TypeError(f"choices are a list of values (or (value, label) pairs), not the text {values!r}")
    out = []
    for v in values or ():
        if isinstance(v, Choice):
            out.append(v)
        elif isinstance(v, tuple):
            out.append(Choice(v[0], v[1]))
        else:
            out.append(Choice(str(v), Label(str(v), str(v))))
    return tuple(out)


FIELD_TYPES = ("str", "int", "float", "bool", "date", "choice")

#: a date field's bounds when it declares none: an office has no date before
#: Excel's first day, and none past 2100 — such a date is a typo or a number
#: read as an Excel serial (``12345`` is 1933-10-18)
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
#: the clocks a lead database holds (``--now``, a planned time): a register's
#: earliest visit date (an import refuses one before it) to the end of the
#: century — a year 1 or 9999 is a typing slip, and a protection period or
#: a follow-up counted from 9999-12-31 runs off the calendar
CLOCK_MIN, CLOCK_END = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)
#: the earliest day a planned date (a deadline, an agreed call, an expected
#: purchase) can be: the first day of the clocks a database holds
PLAN_MIN = CLOCK_MIN.date()
#: SQLite's integers are 64-bit: a bigger whole number cannot be stored or
#: compared as one
INT_MAX = 2**63 - 1
#: the largest number (in size) a number field takes unless it declares its
#: own maximum: a million million, beyond any amount, area or head count a
#: sales office records — ``amount=1e300`` is a slip, and sums of such
#: numbers overflow into infinity
NUMBER_MAX = 10**12


def _to_bound(value):
    """A bound as declared: a number, or for date fields a ``dt.date`` (an
    ISO text such as ``"2000-01-01"`` is read as one)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _field_type(field: "Field", _attribute, value: Any) -> None:
    if value not in FIELD_TYPES:  # (validators run once every value is set: the name is known)
        raise ValueError(f"field {field.name!r}: type {value!r} is not one of {', '.join(FIELD_TYPES)}")


@attrs.frozen
class Field:
    """An attribute of a lead, or a data field of an event kind.

    ``type`` is one of ``str int float bool date choice``; a ``choice`` field
    lists its allowed values in ``choices``. ``minimum``/``maximum`` bound
    numbers, and dates (a ``dt.date`` or ISO text; a date field without
    them is bounded by :data:`DATE_MIN` and :data:`DATE_MAX`: a date that
    plans, such as a deadline, declares ``minimum=PLAN_MIN``). ``past``
    marks a date that cannot be after the clock's day (a birth date).
    Numbers must be finite and, without a ``maximum``, at most
    :data:`NUMBER_MAX` in size.
    """

    name: str = attrs.field(validator=_identifier)
    type: str = attrs.field(validator=_field_type)
    label: Label = attrs.field(converter=_to_label)
    choices: tuple[Choice, ...] = attrs.field(default=(), converter=_to_choices)
    help: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )
    minimum: float | dt.date | None = attrs.field(default=None, converter=_to_bound)
    maximum: float | dt.date | None = attrs.field(default=None, converter=_to_bound)
    required: bool = False
    past: bool = False
    #: a ``choice`` field holding several of its values (tags such as a
    #: client's temperaments): given as ``a,b`` (or ``a、b``), stored as
    #: ``"a,b"`` in the order of ``choices``
    multiple: bool = False

    def __attrs_post_init__(self):
        if self.type == "choice" and not self.choices:
            raise ValueError(f"choice field {self.name!r} needs choices")
        if self.past and self.type != "date":
            raise ValueError(f"past=True is for date fields; {self.name!r} is {self.type}")
        if self.multiple and self.type != "choice":
            raise ValueError(f"field {self.name!r}: only a choice field can hold several values")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name!r}: minimum {self.minimum} is above maximum {self.maximum}")
        if len({c.value for c in self.choices}) < len(self.choices):
            raise ValueError(f"field {self.name!r}: a choice is listed twice")

    def values(self, stored: Any) -> list[str]:
        """The values a stored ``multiple`` field holds (one for a plain field)."""
        if stored is None or stored == "":
            return []
        return [v for v in str(stored).split(",") if v] if self.multiple else [stored]

    def choice_label(self, value: Any, lang: str = "en") -> str:
        for c in self.choices:
            if c.value == value:
                return c.label(lang)
        return "" if value is None else str(value)

    def coerce(self, raw: Any, today: dt.date | None = None) -> Any:
        """Turn ``raw`` (text from the command line, or a JSON value) into
        this field's type, or raise :class:`LeadcycleError` saying why.
        ``today`` is the clock's day, which a ``past`` date cannot exceed
        (without it, only the declared bounds apply)."""
        return coerce_value(self, raw, today)


_SEPARATORS = re.compile(r"[,，、;；]")


#: per field (by identity): its single-valued twin and its choices' values,
#: so that an import's hundreds of thousands of cells do not rebuild them
_SHAPES: dict[int, tuple[Field, Field, frozenset[str]]] = {}


def _shape(field: Field) -> tuple[Field, frozenset[str]]:
    hit = _SHAPES.get(id(field))
    if hit is None or hit[0] is not field:
        if len(_SHAPES) > 4096:  # fields made on the fly (a test's, a plugin's reload): start again
            _SHAPES.clear()
        one = attrs.evolve(field, multiple=False) if field.multiple else field
        hit = _SHAPES[id(field)] = (field, one, frozenset(c.value for c in field.choices))
    return hit[1], hit[2]


def coerce_value(field: Field, raw: Any, today: dt.date | None = None) -> Any:
    if raw is None or raw == "":
        return None
    if field.multiple:
        items = raw if isinstance(raw, (list, tuple)) else _SEPARATORS.split(str(raw))
        one = _shape(field)[0]
        chosen = {coerce_value(one, item) for item in items if str(item).strip()}
        return ",".join(c.value for c in field.choices if c.value in chosen) or None
    name, kind = field.name, field.type
    try:
        if kind == "str":
            value = str(raw).strip()
        elif kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            if isinstance(raw, str) and "_" in raw:  # Python's int() reads 1_5 as 15: a typo here
                raise ValueError
            value = int(str(raw).replace(",", "").strip()) if isinstance(raw, str) else int(raw)
            if abs(value) > INT_MAX:
                raise LeadcycleError(N_("{name}: {raw} is too large; a whole number here is at most "
                                        "{int_max:,} in size"), name=name, raw=raw, int_max=INT_MAX)
        elif kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, str) and "_" in raw:
                raise ValueError
            value = float(str(raw).replace(",", "").strip()) if isinstance(raw, str) else float(raw)
            if not math.isfinite(value):  # inf and nan: JSON and SQLite's json_extract cannot hold them
                raise LeadcycleError(N_("{name}: {raw!r} is not a finite number; give a number such as 1200"),
                                     name=name, raw=raw)
        elif kind == "bool":
            if isinstance(raw, bool):
                value = raw
            else:
                text = str(raw).strip().lower()
                if text in ("1", "true", "yes", "y", "on", "是", "有"):
                    value = True
                elif text in ("0", "false", "no", "n", "off", "否", "无"):
                    value = False
                else:
                    raise ValueError
        elif kind == "date":
            value = _bounded_date(field, parse_date(raw), today).isoformat()
        elif kind == "choice":
            text = str(raw).strip()
            if text not in _shape(field)[1]:
                allowed = [c.value for c in field.choices]
                # accept the label too, in either language, and any case
                for c in field.choices:
                    if text.lower() in (c.value.lower(), c.label.en.lower()) or text == c.label.zh:
                        text = c.value
                        break
                else:
                    raise LeadcycleError(
                        N_("{name}: {raw!r} is not allowed; use one of {allowed}"),
                        name=name, raw=raw, allowed=', '.join(allowed)
                    )
            value = text
        else:  # pragma: no cover - guarded by the validator
            raise ValueError
    except LeadcycleError:
        raise
    except (TypeError, ValueError, OverflowError):
        expected = {"int": M_("a whole number"), "float": M_("a number"), "bool": M_("yes or no"),
                    "date": M_("a date such as 2026-03-05")}.get(kind, kind)
        raise LeadcycleError(N_("{name}: {raw!r} is not {expected}"), name=name, raw=raw, expected=expected) from None
    if kind in ("int", "float"):
        # (a date field's bounds were checked by _bounded_date)
        if field.maximum is None and abs(value) > NUMBER_MAX:
            raise LeadcycleError(N_("{name}: {raw} is too large; a number here is at most {number_max:,} in size"),
                                 name=name, raw=raw, number_max=NUMBER_MAX)
        if field.minimum is not None and value < field.minimum:
            raise LeadcycleError(N_("{name}: {value} is below the minimum {minimum:g}"),
                                 name=name, value=value, minimum=field.minimum)
        if field.maximum is not None and value > field.maximum:
            raise LeadcycleError(N_("{name}: {value} is above the maximum {maximum:g}"),
                                 name=name, value=value, maximum=field.maximum)
    return value


def _bounded_date(field: Field, value: dt.date, today: dt.date | None) -> dt.date:
    """``value`` within the field's bounds (see :class:`Field`), or a one-line error."""
    low = field.minimum if isinstance(field.minimum, dt.date) else DATE_MIN
    high = field.maximum if isinstance(field.maximum, dt.date) else DATE_MAX
    if value < low:
        raise LeadcycleError(N_("{field}: {value} is before {low}; "
                                "check the year (a plain number is read as an Excel serial day)"),
                             field=field.name, value=value.isoformat(), low=low.isoformat())
    if field.past and today is not None and value > today:
        raise LeadcycleError(N_("{field}: {value} is in the future (today is "
                                "{today}); check the year"),
                             field=field.name, value=value.isoformat(), today=today.isoformat())
    if value > high:
        raise LeadcycleError(N_("{field}: {value} is after {high}; check the year"),
                             field=field.name, value=value.isoformat(), high=high.isoformat())
    return value


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(raw: Any) -> dt.date:
    """Dates in the forms offices type them: ``2026-03-05``, ``2026/3/5``,
    ``2026.3.5``, ``2026年3月5日``, an ISO timestamp, or an Excel serial
    number (``46086``)."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
    text = str(raw).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return dt.datetime.fromisoformat(text.replace("/", "-")).date()


@attrs.frozen
class Tally:
    """A group of a lead's events that rules can read, kept per lead as a
    *fact* on every write (issue #17): the events of ``kinds`` whose data
    meet the conditions of ``where`` (:class:`leadcycle.rules.Cond` on the
    event's data; all of them, or any with ``match="any"``), counted, with
    the first and the last moment and the last one's data.

    ``after`` keeps only the events later than another tally's first (or,
    with ``anchor="last"``, last) event — by time, or with ``later_by="id"``
    by their order in the log (a progress entry written in the same minute
    as a downgrade, after it, counts). The rules read ``n_<name>``,
    ``first_<name>_at``, ``last_<name>_at``, ``days_since_first_<name>``,
    ``days_since_last_<name>``, ``last_<name>.<key>`` (a key of the last
    event's data) and, for an ``after`` tally, ``days_to_first_<name>``
    (from the anchor to its first event). A tally depends on neither the
    clock nor the settings."""

    name: str = attrs.field(validator=_identifier)
    kinds: tuple[str, ...] = attrs.field(converter=as_tuple)
    where: tuple = attrs.field(default=(), converter=as_tuple)
    match: str = attrs.field(default="all", validator=attrs.validators.in_(("all", "any")))
    after: str | None = None
    anchor: str = attrs.field(default="first", validator=attrs.validators.in_(("first", "last")))
    later_by: str = attrs.field(default="at", validator=attrs.validators.in_(("at", "id")))
    #: set by the core when it collects an industry's tallies
    industry: str | None = None


@attrs.frozen
class EventKind:
    """A kind of event an agent can log against a lead (``visit``, ``call``,
    ``deep_question``…), with the data fields it carries."""

    name: str = attrs.field(validator=_identifier)
    label: Label = attrs.field(converter=_to_label)
    fields: tuple[Field, ...] = attrs.field(default=(), converter=as_tuple)
    help: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )
    #: True for kinds that count as contact with the client (visits, calls,
    #: follow-ups); used for return cycles and protection periods.
    contact: bool = False
    #: True for kinds an agent may log by hand with ``leadcycle log``.
    #: System kinds (``register``, ``set``, ``owner``…) are written by commands.
    loggable: bool = True

    @functools.cached_property
    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)


SETTING_TYPES = ("int", "float", "str", "bool", "date", "choice")


def _to_keys(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class Setting:
    """A per-database setting. Every number a rule uses is one, with the
    document's value as its default."""

    key: str = attrs.field()
    type: str = attrs.field(validator=attrs.validators.in_(SETTING_TYPES))
    default: Any
    label: Label = attrs.field(converter=_to_label)
    help: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )
    choices: tuple[Choice, ...] = attrs.field(default=(), converter=_to_choices)
    minimum: float | None = None
    maximum: float | None = None
    #: where the number comes from, e.g. "DOMAIN §3.4 (002, 004)"
    source: str = ""
    #: a ``choice`` setting holding several of its values, comma-separated
    multiple: bool = False
    #: the keys of other settings this one may not exceed (B's haves may
    #: not ask more than A's, a phase's low target not its high one);
    #: checked whichever side is changed. One key or several.
    at_most: tuple[str, ...] = attrs.field(default=(), converter=_to_keys)
    #: ``(key, total)``: this setting and ``key`` together may not exceed
    #: ``total`` (value class A's share of profit plus B's within 100 %)
    sum_at_most: tuple[str, float] | None = None
    #: a text setting's shape: ``(regular expression, what it should look
    #: like)``, e.g. a time of day as HH:MM
    pattern: tuple[str, str] | None = None
    #: False for a setting no lead's projection (score, grade, stage, owner,
    #: next follow-up) reads — a credit split, a claim limit, the lunch
    #: break: changing it leaves every stored projection good (it is not in
    #: :attr:`leadcycle.api.LeadBook.rules_version`). A plugin whose rules
    #: read a setting must leave it True (the default).
    projection: bool = True

    @key.validator
    def _check_key(self, attribute, value):
        parts = value.split(".")
        if len(parts) < 2 or not all(_NAME.match(p) for p in parts):
            raise ValueError(f"setting key {value!r} must look like 'section.name'")

    def as_field(self) -> Field:
        return Field(
            name=self.key.split(".")[-1], type=self.type, label=self.label,
            choices=self.choices, minimum=self.minimum, maximum=self.maximum, multiple=self.multiple,
        )

    def coerce(self, raw: Any) -> Any:
        try:
            value = coerce_value(self.as_field(), raw)
        except LeadcycleError as e:
            # the field's message, naming the setting's whole key
            raise LeadcycleError(e.message, **{k: self.key if k in ("name", "field") else v
                                               for k, v in e.params.items()}) from None
        if self.pattern and value is not None and not re.fullmatch(self.pattern[0], str(value)):
            raise LeadcycleError(N_("{key}: {value!r} is not {pattern}"),
                                 key=self.key, value=value, pattern=self.pattern[1])
        return value


#: what an industry that names no word of its own calls the agent
AGENT_LABEL = Label("agent", "接待人")


@attrs.frozen
class Industry:
    """What an industry plugin registers: its name, labels, the lead
    attributes it reads and the event kinds it adds to the core's."""

    name: str = attrs.field(validator=_identifier)
    label: Label = attrs.field(converter=_to_label)
    fields: tuple[Field, ...] = attrs.field(default=(), converter=as_tuple)
    event_kinds: tuple[EventKind, ...] = attrs.field(default=(), converter=as_tuple)
    grades: tuple[Choice, ...] = attrs.field(
        default=(
            Choice("A", Label("A: buys soon", "A类：近期可成交")),
            Choice("B", Label("B: strong intent", "B类：意向较强")),
            Choice("C", Label("C: some intent", "C类：有一定意向")),
            Choice("D", Label("D: weak", "D类：意向弱")),
        ),
        converter=_to_choices,
    )
    help: Label | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_label)
    )
    #: the groups of events its rules count (:class:`Tally`)
    tallies: tuple[Tally, ...] = attrs.field(default=(), converter=as_tuple)
    #: what the industry calls the agent who receives and follows a lead
    #: (置业顾问, 销售, 客户经理): export headers and sheets use it
    agent_label: Label = attrs.field(default=AGENT_LABEL, converter=_to_label)

    @functools.cached_property
    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)

    def grade_label(self, grade: str | None, lang: str = "en") -> str:
        for c in self.grades:
            if c.value == grade:
                return c.label(lang)
        return grade or ""


# ---------------------------------------------------------------- records


def _to_dt(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


@attrs.frozen
class Agent:
    name: str
    team: str | None = None
    is_manager: bool = attrs.field(default=False, converter=as_bool)
    active: bool = attrs.field(default=True, converter=as_bool)
    created_at: str | None = None
    away: str | None = None  # None, "personal", "business", "with_client"
    #: when the agent left (ISO text), for one who has
    left_at: str | None = None
    #: agent, manager or admin (see :mod:`leadcycle.auth`); a manager's
    #: ``is_manager`` is true, and so is an admin's
    role: str = attrs.field()

    @role.default
    def _role_default(self) -> str:
        return "manager" if self.is_manager else "agent"

    def gone_by(self, moment: dt.datetime) -> bool:
        """Whether the agent had left by ``moment`` (one who left later was
        at work then; one marked gone without a date, always gone)."""
        return not self.active and (not self.left_at or dt.datetime.fromisoformat(self.left_at) <= moment)

    @classmethod
    def from_row(cls, row: dict) -> "Agent":
        role = row.get("role") or ("manager" if row.get("is_manager") else "agent")
        return cls(
            name=row["name"], team=row.get("team"), is_manager=role in ("manager", "admin"),
            active=row.get("active", 1), created_at=row.get("created_at"),
            away=row.get("away"), left_at=row.get("left_at"), role=role,
        )


@attrs.frozen
class Event:
    """One entry of the append-only log."""

    id: int | None
    lead_id: int
    kind: str
    at: dt.datetime = attrs.field(converter=_to_dt)
    agent: str | None = None
    data: dict = attrs.field(factory=dict)
    note: str | None = None


@attrs.frozen
class Lead:
    """A lead's registration and current attributes (the attributes are
    themselves folded from ``register`` and ``set`` events)."""

    id: int | None
    industry: str
    name: str
    gender: str
    phone: str
    need: str
    created_at: dt.datetime = attrs.field(converter=_to_dt)
    attributes: dict = attrs.field(factory=dict)


@attrs.frozen
class Reason:
    """Why a projection is what it is: a rule, in both languages."""

    text: Label = attrs.field(converter=_to_label)
    rule: str = ""

    def to_json(self) -> dict:
        return {"rule": self.rule, "en": self.text.en, "zh": self.text.zh}

    @classmethod
    def from_json(cls, value: dict) -> "Reason":
        return cls(Label(value["en"], value.get("zh", value["en"])), value.get("rule", ""))


@attrs.frozen
class Fold:
    """What the ownership fold knows after a lead's last event, before the
    clock is applied: the owner, the anchor its protection runs from,
    whether a deal stopped the period, and an open recognition window
    (until when, to whom, received when). The owner at any later clock
    follows from it and the policy alone (:func:`leadcycle.ownership.owner_at`)."""

    owner: str | None
    anchor: dt.datetime | None
    dealt: bool
    window_until: dt.datetime | None = None
    window_to: str | None = None
    window_at: dt.datetime | None = None
    #: the protection periods (in days) under which the log folds to this
    #: same state: each lapse the fold tested between two entries comes out
    #: the same for any period from ``days_from`` to ``days_to`` (None: no
    #: upper bound). A changed ``ownership.protection_days`` in the range
    #: leaves the stored fold good (:meth:`tag`, :func:`fold_tag_holds`)
    days_from: int = 0
    days_to: int | None = None

    def tag(self, signature: str) -> str:
        """The version this fold is stored under: its policy's ``signature``
        (:func:`leadcycle.ownership.signature`), and the protection periods
        it holds under when not all (``"<signature>/<from>/<to>"``, ``to``
        empty for no bound)."""
        if self.days_from == 0 and self.days_to is None:
            return signature
        return f"{signature}/{self.days_from}/{'' if self.days_to is None else self.days_to}"


def fold_tag_holds(tag: str | None, signature: str, days: int) -> bool:
    """Whether a fold stored under ``tag`` (:meth:`Fold.tag`) is the one the
    log gives under the policy of ``signature`` with a protection period
    of ``days``."""
    if tag is None:
        return False
    base, _, bounds = tag.partition("/")
    if base != signature:
        return False
    if not bounds:
        return True
    low, _, high = bounds.partition("/")
    return int(low) <= days and (high == "" or days <= int(high))


@attrs.frozen
class State:
    """A lead's projection: derived from its events, the rules and the clock."""

    lead_id: int
    industry: str
    score: float | None = None
    grade: str | None = None
    stage: str | None = None
    owner: str | None = None
    next_follow_up: dt.datetime | None = None
    follow_up_kind: str | None = None
    reasons: tuple[Reason, ...] = attrs.field(default=(), converter=as_tuple)
    computed_at: dt.datetime | None = None
    #: the earliest moment the clock alone may change this projection
    expires_at: dt.datetime | None = None
    #: extra derived values a plugin wants to show (five haves, level…)
    extra: dict = attrs.field(factory=dict)
    #: the extras lists or reports read from the stored state (a
    #: ``Feature`` ``listed`` or ``stored``): the only ones stored; ``show``
    #: computes the others
    kept: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    #: when the owner's protection period runs out (None without an owner)
    owner_until: dt.datetime | None = None
    #: the ownership fold after the last event, and a signature of the
    #: policy it was folded under: a read computes the owner at its clock
    fold: Fold | None = None
    fold_version: str | None = None


@attrs.frozen
class Added:
    """What ``add_lead`` did: ``status`` is ``created``, or ``family`` when
    the phone belongs to a lead of whom this person is close family."""

    lead: Lead
    state: State
    status: str
    message: str | None = None
