"""The private cattrs converter (STYLE.md "Data") and the shapes it reads.

:func:`make_converter` builds one :class:`cattrs.Converter` — never cattrs'
global one — that turns plain data (an integrator's JSON) into leadcycle's
attrs classes and back. It is strict: JSON ``13800138000`` is not a phone
*string*, ``"3"`` is not an int, ``true`` is not an int, and unknown keys
are refused, so that a typo in an integration fails loudly instead of being
guessed at. Dates and datetimes travel as ISO-8601 strings, :class:`Label`
as ``{"en": …, "zh": …}`` (a bare string is both), :class:`Reason` as
``{"rule": …, "en": …, "zh": …}`` (its ``to_json`` form).

Errors reach the user as one line through :func:`cattrs.transform_error`,
e.g. ``invalid value for type, expected str @ $.phone``
(:func:`structure`).
"""

import datetime as dt
import re
import typing
from typing import Any, Literal, Mapping, Optional, TypeVar, Union

import attrs
import cattrs
from cattrs.strategies import configure_union_passthrough

from .errors import LeadcycleError
from .i18n import M_, N_, Message
from .model import Label, Reason

T = TypeVar("T")

#: the value of one industry attribute as JSON carries it
Scalar = Union[str, int, float, bool, None]


@attrs.frozen
class Registration:
    """One lead to register, as plain data: ``LeadBook.register(mapping)``
    and ``leadcycle lead add --from-json``. The fields are ``add_lead``'s
    (DOMAIN §1: the three basics — name with gender, phone, need — are
    required; ``attributes`` are the industry's fields, checked against the
    industry by ``add_lead``)."""

    industry: str
    name: str
    gender: str
    phone: str
    need: str
    attributes: dict[str, Scalar] = attrs.Factory(dict)
    agent: Optional[str] = None
    channel: Literal["visit", "call"] = "visit"
    relation: Optional[Literal["spouse", "parent", "child", "sibling", "partner"]] = None
    different_person: bool = False
    asks_for: Optional[str] = None
    referred_by: Optional[int] = None
    referral_proof: Optional[Literal["accompanied", "phoned", "named"]] = None

    def add_lead_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``LeadBook.add_lead`` (all but industry)."""
        out = attrs.asdict(self, recurse=False)
        del out["industry"]
        out["attributes"] = dict(self.attributes)
        return out


def _strict(kind: type, accept: tuple[type, ...]):
    """A structure hook that accepts only values already of ``accept``
    (bool is never an int here), instead of cattrs' default ``kind(value)``
    which would turn ``13800138000`` into a phone string and ``"3"`` into 3."""

    def hook(value, _):
        if isinstance(value, bool) and bool not in accept:
            raise ValueError(f"{value!r} is not a {kind.__name__}")
        if not isinstance(value, accept):
            raise ValueError(f"{value!r} is not a {kind.__name__}")
        return kind(value)

    return hook


def _iso_datetime(value, _) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 datetime")
    return dt.datetime.fromisoformat(value)


def _iso_date(value, _) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 date")
    return dt.date.fromisoformat(value)


def _label(value, _) -> Label:
    if isinstance(value, Label):
        return value
    if isinstance(value, str):
        return Label(value, value)
    if isinstance(value, Mapping) and isinstance(value.get("en"), str) \
            and isinstance(value.get("zh", ""), str):
        return Label.from_json(dict(value))
    raise ValueError(f"{value!r} is not a label (a string or {{'en': …, 'zh': …}})")


def _reason(value, _) -> Reason:
    if isinstance(value, Reason):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("rule", ""), str):
        return Reason(_label(value, Label), value.get("rule", ""))
    raise ValueError(f"{value!r} is not a reason ({{'rule': …, 'en': …, 'zh': …}})")


def make_converter() -> cattrs.Converter:
    """A new private converter with leadcycle's hooks (see the module doc)."""
    c = cattrs.Converter(forbid_extra_keys=True)
    c.register_structure_hook(str, _strict(str, (str,)))
    c.register_structure_hook(int, _strict(int, (int,)))
    c.register_structure_hook(float, _strict(float, (int, float)))
    c.register_structure_hook(bool, _strict(bool, (bool,)))
    c.register_structure_hook(dt.datetime, _iso_datetime)
    c.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    c.register_structure_hook(dt.date, _iso_date)
    c.register_unstructure_hook(dt.date, dt.date.isoformat)
    c.register_structure_hook(Label, _label)
    c.register_unstructure_hook(Label, Label.to_json)
    c.register_structure_hook(Reason, _reason)
    c.register_unstructure_hook(Reason, Reason.to_json)
    # unions of JSON scalars (an attribute value) pass through when the value
    # already has one of the types; anything else is refused
    configure_union_passthrough(Scalar, c)
    return c


_converter: cattrs.Converter | None = None


def converter() -> cattrs.Converter:
    """The process's converter (built on first use)."""
    global _converter
    if _converter is None:
        _converter = make_converter()
    return _converter


def type_name(t: Any) -> str:
    """A type as a reader says it: ``int or null``, ``one of 'visit', 'call'``."""
    if t is type(None):
        return "null"
    origin = typing.get_origin(t)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(t))
    if origin is Union:
        args = typing.get_args(t)
        names = [type_name(a) for a in args if a is not type(None)]
        names += ["null"] if type(None) in args else []
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    return getattr(t, "__name__", repr(t))


def _format_exception(exc: BaseException, t: Any) -> str:
    """cattrs' default messages, with readable type names (Optional, Union,
    Literal) and "expected a JSON object" where a mapping was wanted."""
    if isinstance(exc, (AttributeError, TypeError)) and isinstance(t, type) and attrs.has(t):
        return "expected a JSON object"
    if isinstance(exc, (ValueError, TypeError, cattrs.errors.CattrsError)) and t is not None \
            and not isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"invalid value for type, expected {type_name(t)}"
    if isinstance(exc, AttributeError) and str(exc).endswith("has no attribute 'keys'") \
            or isinstance(exc, TypeError) and t is None:
        return "expected a JSON object"
    return cattrs.v.format_exception(exc, t)


def one_line(exc: Exception, what: str = "data", cl: Any = None) -> str:
    """A cattrs error as one line: ``bad data: invalid value for type,
    expected str @ $.phone; required field missing @ $.need``. ``cl`` is the
    type asked for, named when the error is about the value as a whole."""
    if not isinstance(exc, cattrs.BaseValidationError):
        return f"bad {what}: {_format_exception(exc, cl)} @ $"
    try:
        messages = cattrs.transform_error(exc, format_exception=_format_exception)
    except Exception:  # pragma: no cover - transform_error handles cattrs' own errors
        messages = [str(exc)]
    return f"bad {what}: " + "; ".join(messages)


def _problem(text: str) -> Message:
    """One of :func:`one_line`'s problems (``required field missing @
    $.need``) as a message the catalogs translate; the path and the type
    names stay as JSON and Python spell them."""
    body, sep, path = text.rpartition(" @ ")
    if not sep:
        body, path = text, "$"
    if m := re.fullmatch(r"invalid value for type, expected (.+)", body):
        problem = M_("invalid value for type, expected {type}", type=m[1])
    elif m := re.fullmatch(r"extra fields found \((.+)\)", body):
        problem = M_("extra fields found ({names})", names=m[1])
    elif body == "required field missing":
        problem = M_("required field missing")
    elif body == "expected a JSON object":
        problem = M_("expected a JSON object")
    else:  # a message of cattrs' own this module does not word
        problem = body
    return M_("{problem} @ {path}", problem=problem, path=path)


#: what :func:`structure` is asked to read, as the error names it
WHATS = {"registration": M_("registration"), "data": M_("data")}


def structure(data: Any, cl: type[T], what: str = "data") -> T:
    """``data`` as a ``cl`` through the private converter; any problem is one
    :class:`LeadcycleError` line naming the JSON path of each bad field, in
    the reader's language."""
    try:
        return converter().structure(data, cl)
    except (cattrs.BaseValidationError, cattrs.errors.CattrsError, ValueError, TypeError, KeyError,
            AttributeError) as e:
        line = one_line(e, what, cl)
        problems = [_problem(p) for p in line[len(f"bad {what}: "):].split("; ")]
        raise LeadcycleError(N_("bad {what}: {problems}"), what=WHATS.get(what, what), problems=problems) from None


def unstructure(obj: Any) -> Any:
    """``obj`` as plain JSON-able data through the private converter."""
    return converter().unstructure(obj)
