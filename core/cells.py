"""Values as registers write them (来访客户登记表 and other CRMs' exports).

* **moments** (:func:`parse_moment`): date cells, Excel serials in the
  workbook's date system (1900, or 1904 for old Mac workbooks), ``20260309``,
  ``2026年3月7日``, ``3月7日`` (the year from the import's clock: the latest
  such day not after it, so ``12月28日`` imported on 5 January is last
  year's — for a visit date only: :func:`yearless` lets an import refuse
  it for a planned date, and keep a row's key the same in later years),
  ``2026/3/7 14:30``, ISO times with a zone (``…T02:00:00Z``, ``+0000``)
  converted to the office's zone (setting ``core.timezone``), and what
  python-dateutil reads (``Mar 7, 2026``) when the text names a four-digit
  year and a day (``2026/2`` and ``Mar 2026`` are refused: no day is filled
  in). A date alone means midnight.
* **areas** (:func:`parse_area`): ``120㎡``, ``120平``, ``120 m²``, and a
  range ``140-160`` (``140～160``, ``140至160``) as its **midpoint**
  (150): one number for the deal analysis' area bands (DOMAIN §2), the
  middle of what the client said rather than either end.
* **counts** (:func:`parse_count`): ``3``, ``3.0``, ``3次``.
* **text** (:func:`spreadsheet_text`, :func:`from_spreadsheet_text`): a
  cell that starts like a formula, written and read back with Excel's
  ``'`` prefix.
* **genders** written only in a name's title (:func:`gender_from_title`):
  ``刘先生``, ``王女士``, ``Mr. Smith`` — the title only, never a guess from
  the given name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

from .errors import LeadcycleError
from .i18n import N_

EPOCH_1900 = dt.datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
EPOCH_1904 = dt.datetime(1904, 1, 1)

_ISO_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CHINESE_DAY = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")
#: a day and a month before the year (3/4/2026, 13.4.2026): which is which
#: is the writer's locale, not the text's
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?=$|[ T])")


def _bad(raw: Any) -> LeadcycleError:
    return LeadcycleError(N_("date {raw!r} is not a date such as 2026-03-05, 2026/3/5, 2026年3月5日 or 3月5日"),
                          raw=_as_written(raw))


def _as_written(raw: Any) -> Any:
    """A cell as the sheet shows it (a time as 14:30, not Python's
    ``datetime.time(14, 30)``), for a message to quote."""
    if isinstance(raw, dt.time):
        return raw.strftime("%H:%M:%S" if raw.second else "%H:%M")
    return raw


def yearless(raw: Any) -> bool:
    """Whether a date cell names no year (``3月7日``): its year is the
    import's clock's, so the day it means moves with that clock."""
    if not isinstance(raw, str):
        return False
    m = _CHINESE_DAY.match(unicodedata.normalize("NFKC", raw).strip())
    return m is not None and not m[1]


def parse_moment(raw: Any, *, now: dt.datetime, zone: ZoneInfo | None = None,
                 date1904: bool = False) -> dt.datetime:
    """A visit date or time as a naive moment in the office's ``zone``;
    see the module docstring. ``now`` is the import's clock (the year of
    ``3月7日``); ``date1904`` is the workbook's date system."""
    if isinstance(raw, dt.datetime):
        return _local(raw, zone)
    if isinstance(raw, dt.date):
        return dt.datetime.combine(raw, dt.time())
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _number(raw, date1904)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        raise _bad(raw)
    return _text(text, raw, now, zone, date1904)


def _local(value: dt.datetime, zone: ZoneInfo | None) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(zone or ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _number(value: float, date1904: bool) -> dt.datetime:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 19000101 <= value <= 21001231:  # 20260309: a date typed as digits
        match = _COMPACT.fullmatch(str(value))
        try:
            return dt.datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise _bad(value) from None
    try:
        moment = (EPOCH_1904 if date1904 else EPOCH_1900) + dt.timedelta(days=float(value))
    except (OverflowError, ValueError):  # inf, nan, a number no calendar holds
        raise _bad(value) from None
    return moment.replace(microsecond=0)


def _clock(rest: str, raw: Any) -> dt.time:
    rest = rest.strip()
    if not rest:
        return dt.time()
    m = _CLOCK.fullmatch(rest)
    if not m:
        raise _bad(raw)
    try:
        return dt.time(int(m[1]), int(m[2]), int(m[3] or 0))
    except ValueError:
        raise _bad(raw) from None


def _text(text: str, raw: Any, now: dt.datetime, zone: ZoneInfo | None, date1904: bool) -> dt.datetime:
    if _SERIAL.fullmatch(text) or _COMPACT.fullmatch(text):
        return _number(float(text) if "." in text else int(text), date1904)
    m = _CHINESE_DAY.match(text)
    if m:
        year = int(m[1]) if m[1] else None
        try:
            day = dt.date(year or now.year, int(m[2]), int(m[3]))
            if year is None and day > now.date():
                day = dt.date(now.year - 1, int(m[2]), int(m[3]))  # 12月28日 read in January
        except ValueError:
            raise _bad(raw) from None
        return dt.datetime.combine(day, _clock(text[m.end():], raw))
    m = _ISO_DAY.match(text)
    if m and (m.end() == len(text) or text[m.end()] == " "):
        try:
            return dt.datetime.combine(dt.date(int(m[1]), int(m[2]), int(m[3])), _clock(text[m.end():], raw))
        except ValueError:
            raise _bad(raw) from None
    try:
        return _local(dt.datetime.fromisoformat(text), zone)
    except ValueError:
        pass
    m = _YEAR_LAST.match(text)
    if m and int(m[1]) <= 12 and int(m[2]) <= 12 and m[1].lstrip("0") != m[2].lstrip("0"):
        # 3/4/2026 is 4 March in one office and 3 April in the next: a
        # column read one way here and the other way for 13/4/2026 is worse
        # than a refusal
        raise LeadcycleError(N_("date {raw!r} could be {one} or {other} (day and month before the year); "
                                "write the year first, such as {one}"), raw=raw,
                             one=f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}", other=f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}")
    numbers = re.findall(r"\d+", text)
    if any(len(n) == 4 for n in numbers):
        if len(numbers) < (2 if re.search(r"[^\W\d_]{3}", text) else 3):
            # 2026, 2026/2, Mar 2026: dateutil would fill the day (and month) in
            raise LeadcycleError(N_("date {raw!r} has no day; write the whole date, such as 2026-03-05"),
                                 raw=_as_written(raw))
        from dateutil import parser

        try:
            return _local(parser.parse(text, default=dt.datetime(now.year, 1, 1)), zone)
        except (ValueError, OverflowError, parser.ParserError):
            pass
    raise _bad(raw)


_AREA_UNIT = re.compile(r"\s*(㎡|m²|m2|平方米|平米|平方|平|sqm)\s*$", re.IGNORECASE)
_NUMBER = r"\d+(?:\.\d+)?"
_RANGE = re.compile(rf"({_NUMBER})\s*(?:-|~|～|—|–|至|到)\s*({_NUMBER})")


def parse_area(raw: Any) -> Any:
    """An area as a number of m² (see the module docstring); a value that
    is no area is returned unchanged, for the field's own check to name."""
    if raw is None or isinstance(raw, (int, float)):
        return raw
    text = _AREA_UNIT.sub("", unicodedata.normalize("NFKC", str(raw)).strip())
    m = _RANGE.fullmatch(text)
    if m:
        low, high = sorted((float(m[1]), float(m[2])))
        middle = (low + high) / 2
        return int(middle) if middle.is_integer() else middle
    if re.fullmatch(_NUMBER, text):
        return float(text) if "." in text else int(text)
    return raw


def is_area(field) -> bool:
    """Whether an attribute holds an area in m² (its unit in the label)."""
    return field.type in ("int", "float") and ("m²" in field.label.en or "㎡" in field.label.zh)


def parse_count(raw: Any) -> int:
    """``3``, ``3.0``, ``3次`` → 3; anything else is one line."""
    if isinstance(raw, bool):
        raise LeadcycleError(N_("visit count {raw!r} is not a whole number such as 3"), raw=raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int):
        value = raw
    else:
        text = re.sub(r"\s*次\s*$", "", unicodedata.normalize("NFKC", str(raw)).strip())
        if not text.isdigit():
            raise LeadcycleError(N_("visit count {raw!r} is not a whole number such as 3"), raw=raw)
        value = int(text)
    if not 0 <= value <= 10_000:
        raise LeadcycleError(N_("visit count {raw!r} is not between 0 and 10,000"), raw=raw)
    return value


_TITLE_SUFFIX = {"先生": "M", "男士": "M", "女士": "F", "小姐": "F", "太太": "F", "夫人": "F"}
_TITLE_PREFIX = {"mr": "M", "mister": "M", "mrs": "F", "ms": "F", "miss": "F", "madam": "F"}


def gender_from_title(name: Any) -> str | None:
    """``M``/``F`` when the name carries a title that says it (``刘先生``,
    ``王女士``, ``Mr. Smith``), else ``None``. A given name never does."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    for suffix, gender in _TITLE_SUFFIX.items():
        if text.endswith(suffix) and len(text) > len(suffix):
            return gender
    first = re.match(r"([A-Za-z]+)\.?\s+\S", text)
    if first:
        return _TITLE_PREFIX.get(first[1].lower())
    return None


__all__ = ["gender_from_title", "is_area", "parse_area", "parse_count", "parse_moment"]


# ------------------------------------------------- text a spreadsheet keeps as text

#: what a spreadsheet takes for the start of a formula (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: how a CSV says "this is text": Excel's own quote prefix
TEXT_PREFIX = "'"


def spreadsheet_text(value: Any) -> Any:
    """Text written to a CSV so that a spreadsheet shows it as text, never
    runs it as a formula (``=HYPERLINK(…)``, DDE ``cmd|…``): a leading
    ``'`` before text that starts like a formula — and before text that
    itself starts with ``'``, so that :func:`from_spreadsheet_text` gives
    back exactly the original."""
    if isinstance(value, str) and value[:1] in (*FORMULA_START, TEXT_PREFIX):
        return TEXT_PREFIX + value
    return value


def from_spreadsheet_text(value: Any) -> Any:
    """A CSV cell as it was before :func:`spreadsheet_text` (also Excel's
    own habit: ``'=1+1`` is the text ``=1+1``)."""
    if (isinstance(value, str) and value[:1] == TEXT_PREFIX
            and value[1:2] in (*FORMULA_START, TEXT_PREFIX) and value[1:2]):
        return value[1:]
    return value
