"""Import and export of lead registers (来访客户登记表, 意向客户信息汇总表).

Sales offices keep their registers in Excel. :func:`import_file` reads a
workbook or text file (:mod:`leadcycle.registers`: every sheet, the header
row below any title rows, merged cells filled down, the text encoding)
whose headers are Chinese or English (``姓名``, ``性别``, ``电话``/``手机``,
``需求``, ``来访日期``, ``置业顾问`` … or the names :func:`export_rows`
writes) or another CRM's (:mod:`leadcycle.profiles`), reads the values as
registers write them (:mod:`leadcycle.cells`), validates every row with
the checks of ``lead add`` (:func:`leadcycle.api.validate_registration`),
and imports the good rows in batches, in the time order of their visit
dates:

* the file is read whole once before anything is written: a text file
  that does not parse (a quote never closed, text after a closing quote)
  is refused as a whole, naming the row;
* each batch is one transaction that writes the leads, their events, their
  projections and one import-ledger entry per row: the row's normalised
  content (:func:`row_key`). A run killed at any moment leaves whole
  batches only, and the next run skips the rows already committed —
  importing a register twice adds nothing, even saved again by Excel
  (CRLF, a BOM), re-ordered, or converted between .csv and .xlsx; a row
  whose facts changed (a new visit date, an attribute) is applied;
* the visit date of a row is the registration time (midnight when the cell
  has no time of day; the clock when the row has none); it must lie
  between :data:`VISIT_DATE_MIN` and the clock. An import is the one place
  history comes in with its own dates: its rows are applied in date order,
  and a row dated before the last event the database already holds for
  its lead is rejected rather than written out of order;
* duplicate phones merge by DOMAIN §1: the same phone under the same name is
  the same lead (the row becomes a return visit, plus a ``set`` event for
  attributes that changed; a row that repeats a visit already on the log is
  ``unchanged``); the same phone under another name with a family relation
  (``关系`` column) is recorded on that lead; otherwise it is another person
  and a new lead;
* bad rows — including a cell over Excel's 32,767 characters, cells past
  the last header, rows swallowed by a quote — are written to
  ``FILE.rejects.csv`` with their row number (as the spreadsheet shows it:
  the header is row 1, and a cell with a line break is still one row) and
  the reason.

Exports and rejects files write text that starts like a formula (``=``,
``+``, ``-``, ``@``, tab, CR) so that a spreadsheet shows it as text: a
string cell with Excel's quote prefix in .xlsx, a leading ``'`` in .csv,
which import reads back to the original.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import functools
import hashlib
import itertools
import json
import os
import re
import tempfile
import unicodedata
import uuid
from typing import Any, Callable, Iterable, Iterator

import attrs

from . import actors, cells, claims, engine, names, ownership, profiles, registers
from .cells import FORMULA_START, from_spreadsheet_text, spreadsheet_text  # from_…: re-exported
from .api import LeadBook, coerce_attributes, family_names, no_lead_for_relation, validate_registration
from .errors import LeadcycleError
from .model import AGENT_LABEL, CLOCK_MIN, Event, Industry, Lead
from .privacy import mask_phone  # re-exported: leadcycle.io.mask_phone predates leadcycle.privacy
from .spool import Spool
from .storage import Encoder, data_text, moment_text
from .i18n import LANGUAGES, M_, N_, _, render
from .validate import CHANNEL_SAID, RELATION_SAID, agent_name_problem

# ------------------------------------------------------------------ headers

#: the register's usual headers → what they hold. Industry attributes are
#: also recognised by their name and by their English or Chinese label.
HEADER_ALIASES: dict[str, str] = {}
#: the columns an export writes that each lead's log decides (its number,
#: grade, score, stage, owner, next follow-up): an import reads them as
#: nothing, and says so (``ImportResult.sheets[…]["not_read"]``)
DERIVED_COLUMNS = ("lead_id", "id", "编号", "序号", "grade", "等级", "score", "得分", "stage", "阶段",
                   "owner", "归属", "next_follow_up", "下次跟进")
for _target, _names in {
    "name": ("name", "姓名", "客户姓名", "客户名称", "名字", "客户"),
    "gender": ("gender", "sex", "性别"),
    "phone": ("phone", "mobile", "tel", "telephone", "电话", "手机", "手机号", "手机号码", "联系电话",
              "电话号码", "联系方式"),
    "need": ("need", "needs", "需求", "客户需求", "需求信息", "意向", "购房需求", "意向房型", "客户需求基本信息"),
    "registered": ("registered", "visit_date", "date", "来访日期", "来访时间", "到访日期", "登记日期",
                   "登记时间", "日期", "首次来访日期"),
    "agent": ("agent", "置业顾问", "接待顾问", "销售员", "顾问", "课程顾问", "接待人", "业务员", "销售",
              "客户经理"),
    "channel": ("channel", "来访方式", "来源方式", "接待方式"),
    "relation": ("relation", "关系", "与登记人关系"),
    "industry": ("industry", "行业"),
    "note": ("note", "备注", "沟通内容"),
    # what the office or another CRM recorded, kept as it was (leadcycle.profile)
    "grade_as_imported": ("grade_as_imported", "客户等级", "意向等级"),
    "visits_as_imported": ("visits_as_imported", "来访次数", "到访次数"),
    "email": ("email", "e-mail", "邮箱", "电子邮箱"),
    "qq": ("qq", "qq号"),
    "wechat": ("wechat", "微信", "微信号"),
    "last_follow_up_at": ("last_follow_up_at", "最后跟进时间"),
    "last_follow_up": ("last_follow_up", "最后跟进内容"),
    "next_contact_at": ("next_contact_at", "下次联系时间"),
    # written by export, derived by the rules: read back as nothing
    "-": DERIVED_COLUMNS,
}.items():
    for _n in _names:
        HEADER_ALIASES[_n.lower()] = _target

CORE_TARGETS = ("name", "gender", "phone", "need", "registered", "agent", "channel", "relation",
                "industry", "note")

_CHANNELS = {word: code for code, words in CHANNEL_SAID.items() for word in (code, *words)}
_RELATIONS = {word: code for code, words in RELATION_SAID.items() for word in (code, *words)}

#: export columns and their Chinese headers
EXPORT_HEADERS = {
    "lead_id": "编号", "industry": "行业", "name": "姓名", "gender": "性别", "phone": "电话",
    "need": "需求", "registered": "来访日期", "agent": "置业顾问", "channel": "来访方式",
    "grade": "等级", "score": "得分", "stage": "阶段", "owner": "归属", "next_follow_up": "下次跟进",
}


_QUALIFIED = re.compile(r"^.*[（(]\s*([a-z][a-z0-9_]*)\s*[)）]$")
#: rows an import commits at a time. Each commit writes every index page
#: its rows touched, and new rows land all over the indexes (phones, row
#: keys, moments): batches of 10,000 took two thirds of the time batches of
#: 1,000 took, importing 100,000 rows into a database of 100,000 leads. A
#: run killed half-way keeps the batches it committed.
BATCH = 10_000

#: where a row's moment-valued attributes are kept as text (office time, to the minute)
MOMENT_ATTRIBUTES = ("last_follow_up_at", "next_contact_at")


#: a header's length at most; a longer cell is data (the header row is looked for among rows)
MAX_HEADER = 100


#: spaces between two Chinese characters: a form's way of aligning its
#: headers (姓　名, 性 别), no part of the name
_CJK_GAP = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff])\s+(?=[\u2e80-\u9fff\uf900-\ufaff])")
#: a note after a header, in brackets: 联系电话（手机）, 预算(万元)
_HEADER_NOTE = re.compile(r"\s*[（(][^()（）]*[)）]$")


@functools.lru_cache(maxsize=4096)
def _header_key(text: Any) -> str:
    """A header as the aliases are written: spaces collapsed (and gone
    between Chinese characters), lower case, traditional characters read as
    simplified (a Big5 register's 電話 is 电话)."""
    key = _CJK_GAP.sub("", " ".join(str(text or "").split()).lower())
    if len(key) > MAX_HEADER or not any(ord(c) > 0x2e80 for c in key):
        return key  # no header is that long: a data cell, not worth converting
    return names._t2s()(key)


def _attribute_keys(industries: list[Industry]) -> tuple[dict[str, set[str]], set[str]]:
    """Attribute names and their English/Chinese labels → the names."""
    by_key: dict[str, set[str]] = {}
    names: set[str] = set()
    for ind in industries:
        for f in ind.fields:
            names.add(f.name)
            for key in (f.label.en, f.label.zh):
                by_key.setdefault(_header_key(key), set()).add(f.name)
    for name in names:  # a field's own name wins over another field's label
        by_key[name.lower()] = {name}
    return by_key, names


def header_predicate(industries: list[Industry], mapping: dict[str, str],
                     profile: "profiles.Profile | None") -> Callable[[str], bool]:
    """Whether a cell's text names a column some reading knows: an alias,
    an attribute, a ``--map`` column, or a column of ``profile`` (of every
    built-in profile when none is chosen) — how the header row is found."""
    by_key, _ = _attribute_keys(industries)
    known = set(HEADER_ALIASES) | set(by_key) | {_header_key(k) for k in mapping} | _agent_words(industries)
    for p in [profile] if profile is not None else profiles.builtin():
        known |= set(p.columns)
        for c in p.combine.values():
            known |= c.sources()
    return lambda text: _known_key(_header_key(text), known) in known


def _agent_words(industries: list[Industry]) -> set[str]:
    """Each industry's own word for the agent (销售顾问, 客户经理), as a
    Chinese export names the column: the agent's column too."""
    return {_header_key(word) for ind in industries for word in (ind.agent_label.en, ind.agent_label.zh)
            if _header_key(word) not in HEADER_ALIASES}


def _known_key(key: str, *tables) -> str:
    """``key``, or without a note in brackets at its end when only that
    form is known (联系电话（手机） is 联系电话) — ``tables``: what knows keys."""
    if any(key in t for t in tables):
        return key
    bare = _HEADER_NOTE.sub("", key)
    return bare if bare and any(bare in t for t in tables) else key


def rejects_headers() -> set[tuple[str, str]]:
    """The first two columns of a rejects file, in each language it is
    written in (the writer names them in the reader's: ``_Rejects.close``)."""
    return {(_header_key(_("row", lang)), _header_key(_("reason", lang))) for lang in LANGUAGES}


def resolve_columns(headers: list[str], industries: list[Industry], mapping: dict[str, str],
                    profile: "profiles.Profile | None" = None,
                    used: set[str] | None = None) -> list[str | None]:
    """The target of every column (``None``: ignored, or read by one of the
    profile's combined fields), or one line naming every column nobody
    knows — each with a "did you mean" — or a basic with no column.
    ``--map`` wins over the profile, the profile over the usual aliases.
    A ``--map`` column these headers lack is refused, unless ``used`` is
    given: it then collects the ``--map`` columns found, for the caller to
    check over every sheet of a workbook (:func:`_check_maps`)."""
    attrs_by_key, attr_names = _attribute_keys(industries)
    agent_words = _agent_words(industries) - attrs_by_key.keys()
    user = {_header_key(k): v.strip() for k, v in mapping.items()}
    columns = profile.columns if profile is not None else {}
    combined = set().union(*(c.sources() for c in profile.combine.values())) if profile is not None else set()
    valid = set(CORE_TARGETS) | attr_names
    used_keys: set[str] = set()
    out: list[str | None] = []
    unknown: list[str] = []
    not_fields: list[tuple[str, str]] = []
    # a rejects file (``FILE.rejects.csv``) starts with its own two columns,
    # the row number and the reason: mended, it imports back without them
    rejects_file = tuple(_header_key(h) for h in headers[:2]) in rejects_headers()
    for i, h in enumerate(headers):
        key = _header_key(h)
        if rejects_file and i < 2 and key not in user:
            out.append(None)
            continue
        if not _QUALIFIED.match(key) or _QUALIFIED.match(key).group(1) not in attr_names:
            key = _known_key(key, user, columns, combined, HEADER_ALIASES, attrs_by_key, agent_words)
        if key in user:
            used_keys.add(key)
            target = user[key]
            if target in ("", "-"):
                out.append(None)
                continue
            if target not in valid:
                known = ", ".join(CORE_TARGETS + tuple(sorted(attr_names)))
                raise LeadcycleError(N_("--map {h}={target}: {target!r} is not a field; use one of: {known}, "
                                        "or - to skip the column"), h=h, target=target, known=known)
            out.append(target)
        elif key in columns:
            target = columns[key]
            if target != "-" and target not in valid:
                not_fields.append((h, target))
            out.append(None if target == "-" or target not in valid else target)
        elif key in combined:
            out.append(None)
        elif key in HEADER_ALIASES:
            target = HEADER_ALIASES[key]
            out.append(None if target == "-" else target)
        elif key in agent_words:
            out.append("agent")
        elif _QUALIFIED.match(key) and _QUALIFIED.match(key).group(1) in attr_names:
            out.append(_QUALIFIED.match(key).group(1))  # 区域认同（region_view）, as export writes it
        elif key in attrs_by_key:
            names = sorted(attrs_by_key[key])
            if len(names) > 1:
                raise LeadcycleError(N_("column {h!r} could be any of {names}; "
                                        "choose with --map '{h}={names2}'"),
                                     h=h, names=', '.join(names), names2=names[0])
            out.append(names[0])
        elif not key:
            out.append(None)
        else:
            unknown.append(h)
            out.append(None)
    if used is None:
        _check_maps(mapping, used_keys, [headers])
    else:
        used |= used_keys
    if unknown or not_fields:
        choices = sorted({*HEADER_ALIASES, *attrs_by_key, *columns})
        parts = [_did_you_mean(h, choices) for h in unknown]
        parts += [M_("{header!r} (the profile reads it as {field}, which {industries} does not have)",
                     header=h, field=t, industries=", ".join(i.name for i in industries)) for h, t in not_fields]
        first = (unknown or [not_fields[0][0]])[0]
        what = (M_("column {part} is not known; map it", part=parts[0]) if len(parts) == 1 else
                M_("{n} columns are not known: {parts}; map each", n=len(parts), parts=parts))
        raise LeadcycleError(N_("{what} with --map '{first}=FIELD' (see: leadcycle fields) or skip it with "
                                "--map '{first}=-', or choose a --profile (leadcycle import --list-profiles)"),
                             what=what, first=first)
    seen: dict[str, str] = {}
    for i, (h, t) in enumerate(zip(headers, out)):
        if t is not None:
            if t in seen and seen[t] == h:  # one name twice: --map would name both
                first = next(n for n, x in enumerate(headers) if x == h)
                raise LeadcycleError(N_("columns {one} and {other} are both named {h!r}; rename one of them "
                                        "in the file (or empty its header to skip it)"),
                                     one=_column_letter(first), other=_column_letter(i), h=h)
            if t in seen:
                raise LeadcycleError(N_("columns {seen!r} and {h!r} both hold {t}; "
                                        "skip one with --map '{h}=-'"), seen=seen[t], h=h, t=t)
            seen[t] = h
    present = set(seen)
    if profile is not None:
        keys = {_header_key(h) for h in headers}
        present |= {t for t, c in profile.combine.items() if c.sources() & keys}
    for basic in ("name", "phone", "need"):
        if basic not in present:
            raise LeadcycleError(N_("no column holds {basic} (one of the three basics); "
                                    "name it with --map COLUMN={basic}"), basic=basic)
    return out


def _column_letter(index: int) -> str:
    """A column as a spreadsheet names it: 0 is A, 25 Z, 26 AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_maps(mapping: dict[str, str], used_keys: set[str], headers: list[list[str]]) -> None:
    """Refuse a ``--map`` column no sheet's headers (``headers``) have."""
    missing_maps = [k for k in {_header_key(k): k for k in mapping} if k not in used_keys]
    if missing_maps:
        items = list(dict.fromkeys(h for sheet in headers for h in sheet if h))
        raise LeadcycleError(N_("--map names a column the file does not have: {missing_maps!r}; "
                                "its columns: {items}"),
                             missing_maps=missing_maps[0], items=', '.join(items))


def _did_you_mean(header: str, choices: list[str]) -> str:
    """An unknown column as the error names it: with the known one it is close to."""
    close = difflib.get_close_matches(_header_key(header), choices, n=1, cutoff=0.6)
    if not close:
        return repr(header)
    target = HEADER_ALIASES.get(close[0], close[0])
    if target in (close[0], "-"):
        return M_("{header!r} (did you mean {close!r}?)", header=header, close=close[0])
    return M_("{header!r} (did you mean {close!r}, {field}?)", header=header, close=close[0], field=target)


# ------------------------------------------------------------------ reading

#: Excel's own limit on the characters of one cell: a longer cell is no
#: register's — it is a broken row (a quote that swallowed the rest)
MAX_CELL = 32_767
#: the earliest visit date a register can hold; earlier is a typo, or a
#: number read as an Excel serial day (``12345`` is 1933-10-18)
VISIT_DATE_MIN = CLOCK_MIN

# the csv module refuses cells over 131,072 characters by raising mid-file;
# a long cell is a rejected row (MAX_CELL), so the reader takes any length
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def _cell_text(value: Any) -> Any:
    """Spreadsheet cells as the validators take them: whole floats as
    integers (a phone typed as a number), everything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _cells_of(row: list) -> list:
    """:func:`_cell_text` of every cell; a row of text only (every text
    file's) is kept as it is (:func:`leadcycle.registers.joined_text`)."""
    if registers.joined_text(row) is None:
        return [_cell_text(c) for c in row]
    return row if type(row) is list else list(row)


def row_problem(cells: list, headers: list[str], delimiter: str | None) -> LeadcycleError | None:
    """What makes a row unreadable as a register row, or ``None``: a cell
    longer than Excel's :data:`MAX_CELL`; cells beyond the last header (a
    comma that was not quoted shifted them); or, in a CSV, a cell whose
    later lines hold as many delimiters as a whole row — rows swallowed by
    a quote that closed too late (a note's own line breaks do not look
    like that)."""
    if len(cells) <= len(headers):
        # the usual row, all text: one pass says it is fine (a workbook's numbers and dates: cell by cell below)
        joined = registers.joined_text(cells)
        if joined is not None and len(joined) <= MAX_CELL and "\n" not in joined:
            return None
    broken = []  # the cells with line breaks (one pass over the row: an import reads every row)
    for i, c in enumerate(cells):
        if isinstance(c, str):
            if len(c) > MAX_CELL:
                return LeadcycleError(N_("{column} holds {n:,} characters, more than a cell can ({max:,}, "
                                         "Excel's limit); a quote may have swallowed the rows after it"),
                                      column=_column(headers, i), n=len(c), max=MAX_CELL)
            if "\n" in c:
                broken.append(i)
    if len(cells) > len(headers) and any(c not in (None, "") and str(c).strip() for c in cells[len(headers):]):
        return LeadcycleError(N_("the row has {cells} cells but the header names {columns} columns; "
                                 "quote a cell that holds a comma"), cells=len(cells), columns=len(headers))
    if delimiter is not None and broken:
        width = max(4, sum(1 for h in headers if h))
        for i in broken:
            if any(line.count(delimiter) >= width - 1 for line in cells[i].splitlines()[1:]):
                return LeadcycleError(N_("{column} holds line breaks followed by what look like whole "
                                         "rows: a quote in this row opens a cell that closes rows later; "
                                         "fix the quote"), column=_column(headers, i))
    return None


def _column(headers: list[str], i: int) -> "str | LeadcycleError":
    """The header of column ``i``, or "column 3" where it has none."""
    if i < len(headers) and headers[i]:
        return headers[i]
    return LeadcycleError(N_("column {n}"), n=i + 1)


def count_rows(path: str) -> int:
    """About how many data rows a file has (for a progress bar)."""
    if registers.extension(path) in registers.WORKBOOK_EXTENSIONS:
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(path)
            try:
                return sum(max(0, wb.get_sheet_by_name(n).height - 1) for n in wb.sheet_names)
            finally:
                wb.close()
        except Exception:  # the import itself says what is wrong with the file
            return 0
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return max(0, n - 1)


def parse_moment(raw: Any, now: dt.datetime | None = None, zone=None, date1904: bool = False) -> dt.datetime:
    """A visit date or time in the forms registers write
    (:func:`leadcycle.cells.parse_moment`); ``now`` gives ``3月7日`` its year."""
    return cells.parse_moment(raw, now=now or dt.datetime.now(), zone=zone, date1904=date1904)


# ------------------------------------------------------------------ import


@attrs.define
class ImportResult:
    path: str
    imported: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # the same row content, committed by an earlier run
    rejects_path: str | None = None
    agents_added: list[str] = attrs.field(factory=list)
    #: the text encoding a CSV was read in (None for a workbook)
    encoding: str | None = None
    #: per sheet read: name, header row, profile and its counts
    sheets: list[dict] = attrs.field(factory=list)
    #: sheets not imported, with the reason
    skipped_sheets: list[dict] = attrs.field(factory=list)
    #: a rehearsal: nothing was written
    dry_run: bool = False
    #: ``(sheet, row, reason)`` of every rejected row, in file order
    rejects: list[tuple[str | None, int, str]] = attrs.field(factory=list)

    def tally(self, sheet: str | None, outcome: str) -> None:
        """Count one row's outcome, in the totals and its sheet's."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        for s in self.sheets:
            if s["sheet"] == sheet:
                s[_OUTCOME_KEYS.get(outcome, outcome)] += 1

    def to_json(self) -> dict:
        return {"file": self.path, "encoding": self.encoding, "imported": self.imported,
                "merged": self.merged, "unchanged": self.unchanged, "rejected": self.rejected,
                "already_imported": self.skipped, "rejects_file": self.rejects_path,
                "agents_added": self.agents_added, "sheets": self.sheets,
                "sheets_not_imported": self.skipped_sheets, "dry_run": self.dry_run,
                **({"rejects": [{"sheet": s, "row": n, "reason": r} for s, n, r in self.rejects]}
                   if self.dry_run else {})}


_OUTCOME_KEYS = {"skipped": "already_imported"}


@attrs.define
class _Row:
    row_no: int
    cells: list
    industry: str
    name: str
    gender: str
    phone: str
    need: str
    attributes: dict
    #: the row's date; None (no date) until its batch gives it its clock
    at: dt.datetime | None
    agent: str | None
    channel: str
    relation: str | None
    note: str | None
    #: the row's normalised content (see :func:`row_key`)
    key: str = ""
    #: the sheet it is on (None in a text file)
    sheet: str | None = None
    #: the file's row it was read from
    src: Any = None
    #: the data of its registration, should it be a new lead, and that data
    #: as the log stores it (made beside the statements of the batch before)
    register: dict | None = None
    register_text: str | None = None


@attrs.frozen
class _Source:
    """One data row of the file, with what reads it."""

    sheet: str | None
    row_no: int
    cells: list
    reading: "_Reading"
    #: the sheet's place in the workbook
    sheet_index: int = 0


@attrs.frozen
class _Reading:
    """How the rows of one sheet are read: its columns' targets and profile."""

    headers: list[str]
    targets: list[str | None]
    profile: profiles.Profile
    #: header key → column index, for the profile's combined fields
    index: dict[str, int]
    #: ``(column index, target, whether the profile maps its values)`` of
    #: every column read, in column order: decided once per sheet, not per cell
    columns: tuple[tuple[int, str, bool], ...] = ()
    #: the index of the visit date's column, if a column holds it
    registered: int | None = None

    @property
    def attribute_columns(self) -> tuple[tuple[int, str, bool], ...]:
        return tuple(c for c in self.columns if c[1] not in CORE_TARGETS)

    @property
    def core_columns(self) -> tuple[tuple[int, str, bool], ...]:
        return tuple(c for c in self.columns if c[1] in CORE_TARGETS)

    @classmethod
    def of(cls, headers: list[str], targets: list[str | None], profile: profiles.Profile) -> "_Reading":
        index = {_header_key(h): n for n, h in enumerate(headers) if h}
        columns = tuple((n, t, bool(profile.values.get(t))) for n, t in enumerate(targets) if t is not None)
        registered = targets.index("registered") if "registered" in targets else None
        return cls(headers, targets, profile, index, columns, registered)


#: row keys' JSON (one encoder for every row: ``json.dumps`` with options makes one per
#: call; a row's cells are never a cycle, so the check for one is left out: the same text)
_KEY_JSON = Encoder(ensure_ascii=False, separators=(",", ":"), default=str, check_circular=False)


#: what a register writes in the agent column for "no agent" (after NFKC,
#: lower case): such a row names no one, as an empty cell does
NO_AGENT = frozenset({"-", "--", "—", "——", "/", "无", "暂无", "没有", "空", "n/a", "na", "none", "null", "nil"})


def row_key(industry: str, phone: str, name: str, gender: str, need: str, attributes: dict,
            registered: dt.datetime | str | None, agent: str | None, channel: str, relation: str | None,
            note: str | None) -> str:
    """What makes two register rows the same row: the lead (industry,
    phone, name) and the row's facts, each as validation normalised it —
    so the same register saved again by Excel (CRLF, a BOM, GBK), re-ordered
    or converted between .csv and .xlsx has the same keys, and a row whose
    visit date or an attribute changed has a new one. ``registered`` is the
    row's own date (``None`` when the row has none, never the clock: a
    register without dates imported again tomorrow is not a new visit;
    a date without its year is given as text, ``--03-03T00:00:00``, for
    the same reason)."""
    content = [industry, phone, name, gender, need, sorted(attributes.items()),
               registered if registered is None or isinstance(registered, str) else moment_text(registered),
               agent, channel, relation, note]
    text = _KEY_JSON.encode(content)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class _Rejects:
    """``FILE.rejects.csv``: every rejected row with its row number (``SHEET!ROW``
    in a workbook of several sheets), the reason and its cells, in file
    order, written at the end as text a spreadsheet will not run
    (:func:`spreadsheet_text`); nothing at all in a dry run. A sheet whose
    columns differ from the one before gets its own header line."""

    def __init__(self, path: str, result: ImportResult, several_sheets: bool):
        self.path = path
        self.result = result
        self.several = several_sheets
        self._pending: list[tuple[int, int, str | None, str, list, list[str]]] = []

    def add(self, source: "_Source", reason: str) -> None:
        self._pending.append((source.sheet_index, source.row_no, source.sheet, reason, source.cells,
                              source.reading.headers))

    def check(self) -> None:
        """Refuse, before any row is written, a rejects file that could not
        be written at the end: a folder of that name, a folder the register
        sits in that is read-only."""
        if os.path.isdir(self.path):
            raise LeadcycleError(N_("{path} is a folder, and the rows this import rejects are written there; "
                                    "move or rename it"), path=self.path)
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.access(folder, os.W_OK) or (os.path.exists(self.path) and not os.access(self.path, os.W_OK)):
            raise LeadcycleError(N_("cannot write {path}, where the rows this import rejects are listed; "
                                    "copy the register into a folder you can write to"), path=self.path)

    def close(self, write: bool, db_path: str | None = None) -> None:
        """List the rejected rows in the result; with ``write``, replace the
        rejects file (an earlier run's) through a temporary file, or remove
        it when this run rejected nothing."""
        self._pending.sort(key=lambda p: (p[0], p[1]))
        self.result.rejects = [(sheet, n, reason) for _, n, sheet, reason, _, _ in self._pending]
        if not write:
            return
        if not self._pending:
            if os.path.isfile(self.path):
                os.remove(self.path)  # ours, from an earlier run: this one rejected nothing
            return

        def rows(tmp: str) -> None:
            with open(tmp, "w", newline="", encoding="utf-8-sig") as f:
                w = csv.writer(f)
                headers = None
                for _order, row_no, sheet, reason, row, these in self._pending:
                    if these != headers:
                        headers = these
                        # the reasons are in the reader's language: so are their columns' names
                        w.writerow([_("row"), _("reason"), *map(spreadsheet_text, headers)])
                    where = f"{sheet}!{row_no}" if self.several else row_no
                    w.writerow([where, spreadsheet_text(reason),
                                *["" if c is None else spreadsheet_text(c) for c in row]])

        write_file(self.path, db_path, rows, force=True, option=M_("the rejects file"))
        self.result.rejects_path = self.path


def import_file(book: LeadBook, path: str, industry: str | None = None, *,
                mapping: dict[str, str] | None = None, agent: str | None = None,
                add_agents: bool = False, batch_size: int = BATCH,
                progress: Callable[[int], None] | None = None, profile: str | None = None,
                sheets: tuple[str, ...] = (), header_row: int | None = None,
                dry_run: bool = False) -> ImportResult:
    """Import ``path`` into ``book``; see the module docstring. Raises
    :class:`LeadcycleError` (having written nothing) when the file as a
    whole cannot be imported: unknown columns, a basic with no column, an
    unknown industry, a text file that is not text or does not parse.
    ``dry_run`` does the same work under the same lock and rolls it back:
    nothing is written, the rejects file neither."""
    if not os.path.exists(path):
        raise LeadcycleError(N_("no file {path}; give the path of a .xlsx, .xls, .ods, .csv or .tsv register"),
                             path=path)
    registers.check_extension(path)
    chosen = profiles.load(profile) if profile else None
    if not dry_run:
        book.store.migrate(book.registry.migrations)  # a database made before import existed
    enabled = book.store.enabled_industries()
    if industry is not None:
        industries = {industry: book.industry(industry)}
    else:
        industries = {n: book.registry.industries[n] for n in enabled if n in book.registry.industries}
    mapping = mapping or {}
    register = registers.read_register(
        path, header_predicate(list(industries.values()), mapping, chosen), sheets=sheets, header_row=header_row)
    result = ImportResult(path, encoding=register.encoding, dry_run=dry_run)
    result.skipped_sheets = [{"sheet": name, "reason": str(render(why)), "empty": why is registers.EMPTY}
                             for name, why in register.skipped]
    readings = _readings(register, list(industries.values()), mapping, chosen, result)
    default_agent = agent
    if default_agent is not None and not add_agents:
        book.agent(default_agent)
    rejects = _Rejects(path + ".rejects.csv", result, len(register.tables) > 1)
    if not dry_run and book.store.path not in (None, ":memory:") and os.path.exists(rejects.path) and \
            os.path.samefile(rejects.path, book.store.path):
        raise LeadcycleError(N_("the rejects file {path} would be the open database; rename the register or "
                                "the database"), path=rejects.path)
    if not dry_run:
        rejects.check()
    agents: dict[str, LeadcycleError | str | None] = {}  # name → None (usable), "add", or why it is not
    aliases: dict[str, str] = {}  # a name as the file writes it → the agent

    def check_agent(name: str) -> None:
        if name not in agents:
            try:
                book.agent(name)
                agents[name] = None
            except LeadcycleError as e:
                if add_agents and book.store.get_agent(name) is None:
                    agents[name] = agent_name_problem(name) or "add"  # 李娜/王强 is no one to add
                else:
                    agents[name] = e
        problem = agents[name]
        if isinstance(problem, LeadcycleError):
            raise LeadcycleError(problem.message, **problem.params)

    #: the agents as the import starts, and those it adds: a row is read
    #: beside the database's statements (:meth:`Store.beside`), not from it
    roster = [a.name for a in book.store.list_agents()]

    def agent_named(written: str, reading: _Reading) -> str:
        """The agent a file's name means: the profile's alias, the agent of
        that name, or the one agent whose name it spells (``Li Na`` is 李娜)
        — with ``add_agents``, an agent to add counts from its first row on,
        whatever batch a later spelling falls in."""
        written = reading.profile.agent(written)
        if written not in aliases:
            found = written
            everyone = dict.fromkeys([*roster, *(n for n, problem in agents.items() if problem is None)])
            if add_agents:  # and each name rows gave so far, in time order, but one found to be no name
                everyone.update(dict.fromkeys(n for n in aliases.values()
                                              if not isinstance(agents.get(n), LeadcycleError)))
            if written not in everyone:
                same = [name for name in everyone if names.match(written, name) == names.NAME]
                if len(same) == 1:
                    found = same[0]
            aliases[written] = found
        return aliases[written]

    zone = book._zone()
    several = len(register.tables) > 1
    source = os.path.basename(path)
    forms = {name: _register_forms(ind) for name, ind in industries.items()}
    readings_cells = {id(r): _AttributeCells(r, forms, zone, register.date1904) for r in readings}

    #: an industry as a register may name it: its code or its label in either language
    industry_names = {key.lower(): name for name, ind in industries.items()
                      for key in (name, ind.label.en, ind.label.zh)}

    def normalise(src: _Source, now: dt.datetime) -> _Row:
        """The row validated and normalised as ``lead add`` would, with its
        content key, on the day of ``now`` (midnight of its batch's clock, the
        moment of its write lock: what a row reads depends on the clock's
        year and day alone, and a row without a date takes the clock itself
        in its batch); what depends on the database or the clock is
        :func:`check`'s. Touches no database: the next batch is read while
        this one's statements run."""
        problem = row_problem(src.cells, src.reading.headers, register.delimiter)
        if problem:
            raise problem
        reading = src.reading
        values: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        converted = None if reading.profile.combine else readings_cells[id(reading)]
        for target, value in _row_values(src, None if converted is None else converted.core):
            if target in CORE_TARGETS:
                values[target] = value
            else:
                attributes[target] = value
        ind_name = industry
        if "industry" in values:
            text = str(values["industry"]).strip()
            text = industry_names.get(text.lower(), text)  # 房地产, as a Chinese export writes it
            if industry is not None and text != industry:
                raise LeadcycleError(N_("industry {text!r} is not {industry}, the one being imported"),
                                     text=text, industry=industry)
            if industry is None:
                if text not in industries:
                    raise LeadcycleError(N_("industry {text!r} is not enabled in this database"), text=text)
                ind_name = text
        if ind_name is None:
            raise LeadcycleError(N_("no industry: fill the industry column or give --industry"))
        ind = industries[ind_name]
        known = None if converted is None else converted.attributes(src.cells, ind, now)
        if known is None:  # a cell that does not convert (or a profile's combined fields): the whole way
            if converted is not None:
                attributes = dict(_row_values(src, converted.attribute_columns))
            _register_values(forms[ind_name], attributes, now, zone, register.date1904)
        channel = values.get("channel", "visit")
        channel = _CHANNELS.get(str(channel).strip().lower(), str(channel))
        relation = values.get("relation")
        if relation is not None:
            relation = _RELATIONS.get(str(relation).strip().lower(), str(relation))
        gender = values.get("gender")
        if gender is None:
            gender = cells.gender_from_title(values.get("name"))  # 刘先生: the title says it
        name, gender, phone, need, attrs_clean = validate_registration(
            ind, name=values.get("name"), gender=gender, phone=values.get("phone"),
            need=values.get("need"), attributes=attributes if known is None else {}, channel=channel,
            relation=relation, today=now.date())
        if known is not None:
            attrs_clean = known
        registered = (_parse_moment(values["registered"], now=now, zone=zone, date1904=register.date1904)
                      if "registered" in values else None)
        if registered is None and "registered" in reading.targets:
            # a dated register's blank date: the visit's day is not the
            # import's, and first contact is decided by it (§3.1)
            raise LeadcycleError(N_("no visit date: the {column!r} cell is empty; fill in the day the client "
                                    "came, then import the rejects file"),
                                 column=reading.headers[reading.targets.index("registered")])
        if registered is not None and registered < VISIT_DATE_MIN:
            raise LeadcycleError(N_("visit date {registered} is before "
                                    "{visit_date_min}; check the year (a plain number "
                                    "is read as an Excel serial day)"),
                                 registered=registered.date().isoformat(),
                                 visit_date_min=VISIT_DATE_MIN.date().isoformat())
        who = values.get("agent", default_agent)
        who = None if who is None else str(who).strip() or None
        if who is not None and unicodedata.normalize("NFKC", who).lower() in NO_AGENT:
            who = None  # a placeholder (-, 无, N/A): the row names no agent
        if who is not None:
            who = agent_named(who, reading)
        note = values.get("note")
        note = None if note is None else str(note)
        # a day written without its year (3月3日) takes the clock's: the row
        # is the same row whatever year a later run reads into it
        as_written = (f"--{moment_text(registered)[5:]}" if registered is not None
                      and cells.yearless(values["registered"]) else registered)
        registration = {"name": name, "gender": gender, "phone": phone, "need": need, "attributes": attrs_clean,
                        "channel": channel,
                        "source": {"file": source, "row": src.row_no, **({"sheet": src.sheet} if several else {})}}
        return _Row(src.row_no, src.cells, ind_name, name, gender, phone, need, attrs_clean,
                    registered, who, channel, relation, note,
                    row_key(ind_name, phone, name, gender, need, attrs_clean, as_written, who, channel,
                            relation, note), src.sheet, src, registration, data_text(registration))

    def check(r: _Row, now: dt.datetime) -> None:
        if r.at > now:
            raise LeadcycleError(N_("visit date {at} is after the clock "
                                    "({now}); check the date or give --now"),
                                 at=r.at.isoformat(sep=' '), now=now.isoformat(sep=' '))
        if r.agent:
            check_agent(r.agent)

    run = uuid.uuid4().hex  # rows repeated within this run are merged, not skipped
    rehearsal = book.store.transaction(rollback=True) if dry_run else contextlib.nullcontext()
    with _InTimeOrder(register, readings, book.now, zone, result) as ordered, book.store.bulk():
        if industry is None and not all("industry" in r.targets for r in ordered.filled[:1]):
            # no industry column: the database's only industry, else the operator says
            industry = book.only_industry()
            if industry is None:
                raise LeadcycleError(N_("which industry? give --industry NAME (or an industry column)"))
        completed = False
        try:
            with rehearsal:
                batches = _batched(ordered, batch_size)
                batch, read = next(batches, None), None
                while batch is not None:
                    following: list = []

                    def read_ahead(day: dt.datetime) -> None:
                        # the next batch, read while this one's rules run
                        after = next(batches, None)
                        following.append((after, _Ahead(day, _normalised(after or [], normalise, day))))

                    _import_batch(book, batch, normalise, check, run, source, rejects, result, agents,
                                  read, read_ahead)
                    if progress is not None:
                        progress(len(batch))
                    batch, read = following[0] if following else (next(batches, None), None)
            completed = True
        finally:
            # the rejects file of a whole run only: an interrupted one (Ctrl-C) leaves the
            # last one as it was, and a run again rejects the rows it did not import
            rejects.close(write=not dry_run and completed, db_path=book.store.path)
    return result


def _readings(register: "registers.Register", industries: list[Industry], mapping: dict[str, str],
              chosen: "profiles.Profile | None", result: ImportResult) -> list[_Reading]:
    """How each table is read; the columns of all tables are resolved
    first, so a file with unknown columns is refused before anything is
    written."""
    out: list[_Reading] = []
    used: set[str] = set()  # the --map columns some sheet has: one sheet's own column is no error
    for table in register.tables:
        profile = chosen or profiles.recognise(table.headers) or profiles.load(profiles.DEFAULT)
        targets = resolve_columns(table.headers, industries, mapping, profile, used)
        out.append(_Reading.of(table.headers, targets, profile))
        mapped = {_header_key(k) for k in mapping}
        derived = {n.lower() for n in DERIVED_COLUMNS}
        not_read = [h for h, t in zip(table.headers, targets) if t is None and _header_key(h) in derived
                    and _header_key(h) not in mapped and _header_key(h) not in profile.columns]
        result.sheets.append({"sheet": table.sheet, "header_row": table.header_row, "rows": 0,
                              "profile": profile.name, "recognised": chosen is None, "not_read": not_read,
                              "imported": 0, "merged": 0, "unchanged": 0, "rejected": 0,
                              "already_imported": 0})
    _check_maps(mapping, used, [t.headers for t in register.tables])
    return out


def _targets(src: _Source) -> Iterator[tuple[str, Any]]:
    """``(target, cell)`` of one row: its columns', then the profile's
    combined fields (a column of the row wins over a combined field)."""
    reading = src.reading
    cells, seen = src.cells, set()
    for n, target, _ in reading.columns:
        if n >= len(cells):
            break
        seen.add(target)
        yield target, cells[n]
    if reading.profile.combine:
        by_key = {k: src.cells[n] for k, n in reading.index.items() if n < len(src.cells)}
        for target, combine in reading.profile.combine.items():
            if target not in seen and combine.sources() & set(reading.index):
                yield target, combine.value(by_key)


def _row_values(src: _Source, columns: tuple | None = None) -> Iterator[tuple[str, Any]]:
    """``(target, value)`` of the row's filled cells, as :func:`_targets`
    gives them: text stripped, through the profile's value map, blanks
    left out. The planned columns (``columns``: some of them) are read
    straight from the row (the hot loop of an import: one pass, no
    generator per column)."""
    reading = src.reading
    profile, cells = reading.profile, src.cells
    out = []
    if not profile.combine:
        size = len(cells)
        for n, target, mapped in reading.columns if columns is None else columns:
            if n >= size:
                break
            value = cells[n]
            if isinstance(value, str):
                value = value.strip()
            if mapped:
                value = profile.value(target, value)
            if value is not None and value != "":
                out.append((target, value))
        return iter(out)
    for target, value in _targets(src):
        if isinstance(value, str):
            value = value.strip()
        value = profile.value(target, value)
        if value is not None and value != "":
            out.append((target, value))
    return iter(out)


_BLANK = object()


class _AttributeCells:
    """The attribute cells of one sheet, each distinct text of a column
    converted once — stripped, through the profile's value map, read in
    the register's form (:func:`_register_values`) and coerced by the
    field (:func:`leadcycle.api.coerce_attributes`): a column of choices
    holds a handful of texts over a million rows. A cell's value depends
    on that cell, its column and the clock alone (the memo starts again
    when a batch's clock moves). A row whose cells all convert takes its
    attributes from here; a row with a cell that does not convert goes
    the whole way, which names its first problem as it always has."""

    #: converted cells kept at most (then the memo starts again)
    SIZE = 200_000

    def __init__(self, reading: _Reading, forms: dict[str, dict[str, str]], zone, date1904: bool):
        self.reading, self.forms, self.zone, self.date1904 = reading, forms, zone, date1904
        self.core = reading.core_columns
        self.attribute_columns = reading.attribute_columns
        #: industry → one memo per attribute column (text → value): a text
        #: is its own key, no tuple built per cell
        self._memos: dict[str, list[dict[str, Any]]] = {}
        self._size = 0
        self._now: dt.datetime | None = None

    def attributes(self, cells: list, ind: Industry, now: dt.datetime) -> dict[str, Any] | None:
        """The row's attributes as the whole way gives them, or ``None``
        when a cell does not convert."""
        if now != self._now or self._size > self.SIZE:
            self._memos.clear()
            self._size = 0
            self._now = now
        memos = self._memos.get(ind.name)
        if memos is None:
            memos = self._memos[ind.name] = [{} for _ in self.attribute_columns]
        out, size = {}, len(cells)
        try:
            for (n, target, mapped), memo in zip(self.attribute_columns, memos):
                if n >= size:
                    break
                raw = cells[n]
                if type(raw) is str:  # text only: numbers equal as keys can differ (-0.0, 0.0)
                    value = memo.get(raw, memo)
                    if value is memo:
                        value = memo[raw] = self._convert(raw, target, mapped, ind, now)
                        self._size += 1
                else:
                    value = self._convert(raw, target, mapped, ind, now)
                if value is not _BLANK:
                    out[target] = value
        except LeadcycleError:
            return None
        return out

    def _convert(self, raw: Any, target: str, mapped: bool, ind: Industry, now: dt.datetime) -> Any:
        value = raw.strip() if isinstance(raw, str) else raw
        if mapped:
            value = self.reading.profile.value(target, value)
        if value is None or value == "":
            return _BLANK
        one = {target: value}
        _register_values(self.forms[ind.name], one, now, self.zone, self.date1904)
        return coerce_attributes(ind, one, now.date())[target]


#: :func:`leadcycle.cells.parse_moment`, each distinct cell parsed once
#: (a register's visit dates repeat row after row); ``typed``: ``True``
#: is no date, ``1`` is an Excel serial day
_parse_moment = functools.lru_cache(maxsize=1 << 16, typed=True)(cells.parse_moment)


def _register_values(forms: dict[str, str], attributes: dict[str, Any], now: dt.datetime, zone,
                     date1904: bool) -> None:
    """Attribute values as registers write them, in the forms the fields
    take (:mod:`leadcycle.cells`): ``120㎡`` and ``140-160`` for an area,
    ``3次`` for a visit count, a date cell or ``3月7日`` for a date; a time
    kept as text (the last follow-up) in the office's zone to the minute.
    What does not read stays as written, for the field's own check to name.
    ``forms``: the industry's :func:`_register_forms`."""
    for key, raw in list(attributes.items()):
        form = forms.get(key)
        if form is None:
            continue
        try:
            if form in ("date", "moment") and cells.yearless(raw):
                _parse_moment(raw, now=now, zone=zone, date1904=date1904)  # 1月32日 is no date at all
                # a visit date's year is the clock's (the register records visits
                # gone by); a deadline or an agreed call may be next year's: no guess
                raise LeadcycleError(N_("{field}: date {raw!r} has no year; write the whole date, such as "
                                        "2026-03-05"), field=key, raw=raw)
            if form == "area":
                attributes[key] = cells.parse_area(raw)
            elif form == "count":
                attributes[key] = cells.parse_count(raw)
            elif form == "date":
                if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
                    attributes[key] = _parse_moment(raw, now=now, zone=zone,
                                                    date1904=date1904).date().isoformat()
            elif form == "moment":
                attributes[key] = _parse_moment(raw, now=now, zone=zone, date1904=date1904).isoformat(
                    sep=" ", timespec="minutes")
        except LeadcycleError:
            if form in ("count", "date"):
                raise
            # a text attribute that is no moment: kept as written


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _register_forms(ind: Industry) -> dict[str, str]:
    """The attributes of ``ind`` a register writes in forms of its own
    (:func:`_register_values`), by the form: decided once per industry,
    not for every cell of an import."""
    forms = {}
    for field in ind.fields:
        if cells.is_area(field):
            forms[field.name] = "area"
        elif field.name == "visits_as_imported":
            forms[field.name] = "count"
        elif field.type == "date":
            forms[field.name] = "date"
        elif field.name in MOMENT_ATTRIBUTES:
            forms[field.name] = "moment"
    return forms


class _InTimeOrder:
    """The data rows of every table as :class:`_Source` s, in the order
    they are applied: rows of one client out of time order are applied in
    time order — every row by its visit date (rows without one last, at
    the clock), file order breaking ties — so lead numbers follow the
    register's time order too. The rows are sorted on disk
    (:class:`leadcycle.spool.Spool`): a register of any length is imported
    in bounded memory. Counts each table's rows in ``result``."""

    def __init__(self, register: "registers.Register", readings: list[_Reading], now: dt.datetime, zone,
                 result: ImportResult):
        self.register, self.readings = register, readings
        #: the readings of the tables that have data rows, in file order
        self.filled: list[_Reading] = []
        self.spool = Spool()
        add, seq = self.spool.add, 0
        for i, (table, reading) in enumerate(zip(register.tables, readings)):
            first, column = seq, reading.registered
            #: a date cell's text → its moment: a register's visit dates repeat row
            #: after row, and this lookup costs a seventh of :data:`_parse_moment`'s
            #: own cache's, which builds its key from the clock, zone and 1904 flag too
            moments: dict[str, dt.datetime] = {}
            for n, row in table.rows:
                cells = _cells_of(row)
                text = cells[column] if column is not None and column < len(cells) else None
                moment = moments.get(text) if type(text) is str else None
                if moment is None:
                    moment = _moment_of(reading, cells, now, zone, register.date1904)
                    if type(text) is str:
                        if len(moments) >= _MOMENTS_KEPT:
                            moments.clear()
                        moments[text] = moment
                add((moment, seq, i, n, cells))
                seq += 1
            result.sheets[i]["rows"] += seq - first
            if seq > first:
                self.filled.append(reading)

    def __iter__(self) -> Iterator[_Source]:
        tables = self.register.tables
        for _, _, i, n, row in self.spool:
            yield _Source(tables[i].sheet, n, row, self.readings[i], i)

    def __enter__(self) -> "_InTimeOrder":
        return self

    def __exit__(self, *exc) -> None:
        self.spool.close()


#: the dates :class:`_InTimeOrder` keeps read (then it starts again)
_MOMENTS_KEPT = 1 << 12


def _moment_of(reading: _Reading, cells: list, now: dt.datetime, zone, date1904: bool) -> dt.datetime:
    """The visit date of a row (its ``cells``, read by ``reading``) as the
    order of application reads it (the row's own check says what is wrong
    with one that does not read)."""
    column = reading.registered
    if column is not None and column < len(cells):  # the usual register: the date's column
        value = cells[column]
    else:
        src = _Source(None, 0, cells, reading)
        value = next((v for t, v in _targets(src) if t == "registered" and v not in (None, "")), None)
    if value in (None, ""):
        return dt.datetime.max
    try:
        return _parse_moment(value, now=now, zone=zone, date1904=date1904)
    except LeadcycleError:
        return dt.datetime.max  # rejected later, with its reason


def _batched(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


@attrs.frozen
class _Ahead:
    """A batch's rows normalised ahead of its transaction, on ``day``."""

    day: dt.datetime
    rows: list


def _normalised(batch: list[_Source], normalise, day: dt.datetime) -> list:
    """Each row of ``batch`` normalised on ``day``: a :class:`_Row`, or the
    source and why it is rejected."""
    out: list = []
    for src in batch:
        try:
            out.append(normalise(src, day))
        except LeadcycleError as e:
            out.append((src, e))
    return out


def _import_batch(book: LeadBook, batch: list[_Source], normalise, check, run: str, source: str,
                  rejects: _Rejects, result: ImportResult, agents: dict,
                  read: _Ahead | None = None, read_ahead: Callable[[dt.datetime], None] | None = None) -> None:
    """One batch in one transaction. ``read``: its rows as normalised
    ahead (used when on the day of its clock); ``read_ahead`` reads the next
    batch while this one's rules run (:meth:`LeadBook._project_new`)."""
    store = book.store
    with store.transaction():
        now = book.now
        day = dt.datetime.combine(now.date(), dt.time(), now.tzinfo)
        if read is None or read.day != day:
            read = _Ahead(day, _normalised(batch, normalise, day))
        rows: list[_Row] = []
        for r in read.rows:
            if isinstance(r, _Row):
                if r.at is None:  # no date: the clock
                    r.at = now
                rows.append(r)
            else:
                src, e = r
                result.tally(src.sheet, "rejected")
                rejects.add(src, e.translated())
        done = store.imported_keys([r.key for r in rows], run)
        good: list[_Row] = []
        for r in rows:
            if r.key in done:
                result.tally(r.sheet, "skipped")
                continue
            try:
                check(r, now)
            except LeadcycleError as e:
                result.tally(r.sheet, "rejected")
                rejects.add(r.src, e.translated())
                continue
            good.append(r)
        if not good:
            return
        for name, status in agents.items():
            if status == "add":
                book.add_agent(name)
                agents[name] = None
                result.agents_added.append(name)
        # leads already in the database with these phones
        by_phone: dict[tuple[str, str], list[list]] = {}  # (industry, phone) → [[id, name], ...]
        for ind in {r.industry for r in good}:
            for lead_id, phone, name in store.leads_by_phones(ind, [r.phone for r in good if r.industry == ind]):
                by_phone.setdefault((ind, phone), []).append([lead_id, name])
        for entries in by_phone.values():  # close family recorded on a lead is known by name too
            entries += [[lead_id, n] for lead_id, _ in list(entries) for n in family_names(store.events_for(lead_id))]
        existing_ids = {lead_id for v in by_phone.values() for lead_id, _ in v}
        last_at = store.last_event_at(existing_ids) if existing_ids else {}
        contacts = store.visit_days(existing_ids) if existing_ids else set()
        old_leads: dict[int, Lead] = {}
        next_id = store.next_lead_id()
        new_leads: dict[int, tuple[Lead, list[Event]]] = {}
        events: list[Event] = []
        touched_old: set[int] = set()
        keys: list[tuple[str, int | None, str, int]] = []  # (key, lead_id, outcome, row_no)
        texts: dict[int, str] = {}  # an event's data as stored, made as its row was read (by place)

        def current(lead_id: int) -> Lead:
            if lead_id in new_leads:
                lead, evs = new_leads[lead_id]
                return engine.fold_lead(lead, evs)
            if lead_id not in old_leads:
                old_leads[lead_id] = store.get_lead(lead_id)
            return old_leads[lead_id]

        def add(lead_id: int, event: Event) -> None:
            events.append(event)
            last_at[lead_id] = event.at
            if lead_id in new_leads:
                new_leads[lead_id][1].append(event)
            else:
                touched_old.add(lead_id)
                added.setdefault(lead_id, []).append(event)

        added: dict[int, list[Event]] = {}  # what this batch adds to existing leads
        stored_logs: dict[int, list[Event]] = {}
        away_at = None  # the reception log's leave, read once a batch when a row needs it

        def colleague_mark(lead_id: int, r: _Row) -> dict:
            """What ``log`` marks on a colleague's entry (:meth:`LeadBook._marker`),
            as of the row's own moment: the owner then, and that they were
            away (the colleague stands in: no recognition window opens)."""
            nonlocal away_at
            if r.agent is None:
                return {}
            if lead_id in new_leads:
                log = new_leads[lead_id][1]
            else:
                if lead_id not in stored_logs:
                    stored_logs[lead_id] = list(store.events_for(lead_id))
                log = stored_logs[lead_id] + added.get(lead_id, [])
            owner = ownership.resolve(log, book.context.for_industry(r.industry).ownership, r.at).owner
            if owner is None or owner == r.agent:
                return {}
            if away_at is None:
                away_at = claims.away_at_from(book)
            return {"not_owner": True, "owner": owner, **actors.away_mark(away_at, owner, r.at)}

        for r in good:
            same_phone = by_phone.get((r.industry, r.phone), [])
            # a matching name (張偉, 张伟先生, ZHANG Wei are 张伟; see names.py) is a returning
            # visit; close family (a relation, and no more than a surname in common) is one
            # lead with it; any other name on a registered phone needs a decision: rejected
            found = names.find(r.name, same_phone)
            family = bool(same_phone and r.relation and (found is None or found[1] == names.SURNAME))
            same = [found[0]] if found is not None and not family else []
            target = (found[0] if found else same_phone[0][0]) if family else (same[0] if same else None)
            if same_phone and target is None:
                lead_id, name = same_phone[0]
                result.tally(r.sheet, "rejected")
                rejects.add(r.src, f"phone {r.phone} is already lead #{lead_id} ({name}) under another name; "
                                      "fill the relation (关系) column for close family, or register another "
                                      "person with: leadcycle lead add … --different-person")
                continue
            if target is not None:
                if same:
                    lead = current(target)
                    changes = {k: v for k, v in r.attributes.items() if lead.attributes.get(k) != v}
                    if r.need != lead.need:
                        changes["need"] = r.need
                    if r.gender != lead.gender:
                        changes["gender"] = r.gender
                    stamp = moment_text(r.at)
                    # a row saying only what the lead already says (an export read back) is
                    # unchanged, however old its visit date: nothing is back-filled
                    if not changes and (target, stamp) in contacts:
                        result.tally(r.sheet, "unchanged")
                        keys.append((r.key, target, "unchanged", r.row_no))
                        continue
                last = last_at.get(target)
                if last is not None and r.at < last:
                    result.tally(r.sheet, "rejected")
                    rejects.add(r.src, f"dated {r.at.isoformat(sep=' ')}, before lead #{target}'s last event "
                                       f"({last.isoformat(sep=' ')}); the log cannot be back-filled")
                    continue
                if same:
                    mark = colleague_mark(target, r)
                    if (target, stamp) not in contacts:
                        add(target, Event(None, target, r.channel, r.at, r.agent, dict(mark), r.note))
                        contacts.add((target, stamp))
                    if changes:
                        add(target, Event(None, target, "set", r.at, r.agent, {"changes": changes, **mark},
                                          f"import {source} row {r.row_no}"))
                        if target in old_leads:
                            core = {k: v for k, v in changes.items() if k in ("need", "gender")}
                            old_leads[target] = attrs.evolve(
                                lead, attributes={**lead.attributes, **{k: v for k, v in changes.items()
                                                                       if k not in core}}, **core)
                else:
                    # the family member came (or called): the lead's contact, as a
                    # returning row's; what they need is kept with them, the
                    # lead's own need stays the first registration's (§1)
                    stamp = moment_text(r.at)
                    if (target, stamp) not in contacts:
                        add(target, Event(None, target, r.channel, r.at, r.agent,
                                          {"family_visitor": r.name, **colleague_mark(target, r)}, r.note))
                        contacts.add((target, stamp))
                    lead = current(target)
                    add(target, Event(None, target, "set", r.at, r.agent, {"changes": {}, "family_member": {
                        "name": r.name, "gender": r.gender, "relation": r.relation,
                        **({"need": r.need} if r.need and r.need != lead.need else {})}}))
                    same_phone.append([target, r.name])
                result.tally(r.sheet, "merged")
                keys.append((r.key, target, "merged", r.row_no))
                continue
            if r.relation is not None:
                # as ``lead add --relation`` refuses it: no lead has this phone
                # yet, and the row's person would become the lead, the relation lost
                result.tally(r.sheet, "rejected")
                rejects.add(r.src, no_lead_for_relation(r.relation, r.industry, r.phone, r.name).translated())
                continue
            lead_id = next_id
            next_id += 1
            lead = Lead(lead_id, r.industry, r.name, r.gender, r.phone, r.need, r.at, r.attributes)
            new_leads[lead_id] = (lead, [])
            texts[len(events)] = r.register_text
            add(lead_id, Event(None, lead_id, "register", r.at, r.agent, r.register, r.note))
            by_phone.setdefault((r.industry, r.phone), []).append([lead_id, r.name])
            contacts.add((lead_id, moment_text(r.at)))
            result.tally(r.sheet, "imported")
            keys.append((r.key, lead_id, "imported", r.row_no))

        if new_leads:
            # while the leads are written, their events are made ready and their
            # owners folded (and the rows go into the ledger); the events are
            # appended with their facts and rules while the next batch is read
            new, folds, rules = list(new_leads.values()), {}, book.context.rules
            append = store.insert_leads_and_events([lead for lead, _ in new], events, texts,
                                                   meanwhile=lambda: folds.update(book._folds_of(new, rules)),
                                                   also=store.record_import_keys(keys, source, run, now, later=True))
            book._project_new(new, first=append, folds=folds,
                              meanwhile=None if read_ahead is None else functools.partial(read_ahead, day))
        else:
            store.append_events_bulk(events)
            store.record_import_keys(keys, source, run, now)
        if touched_old:
            book._reproject(sorted(touched_old))


# ------------------------------------------------------------------ export


def export_columns(book: LeadBook, industry: str | None) -> list[str]:
    industries = book.registry.industries
    attributes = book.across(industry, lambda n: (f.name for f in (industries[n].fields if n in industries else ())))
    return ["lead_id", "industry", "name", "gender", "phone", "need", "registered", "agent", "channel",
            *attributes, "grade", "score", "stage", "owner", "next_follow_up"]


def agent_word(book: LeadBook, industry: str | None, lang: str) -> str:
    """What the export's industries call the agent (置业顾问, 销售, 客户经理):
    the industry's own word when the export holds one industry, else the
    generic one."""
    names = [industry] if industry else book.store.enabled_industries()
    labels = {book.registry.industries[n].agent_label for n in names if n in book.registry.industries}
    label = labels.pop() if len(labels) == 1 else AGENT_LABEL
    return label.zh if lang == "zh" else label.en


def export_headers(book: LeadBook, columns: list[str], lang: str, industry: str | None = None) -> list[str]:
    """The header row: the column names in English (as import reads them);
    in Chinese the labels, with the industry's word for the agent. Every
    header is unique: an attribute whose label is another column's
    (software sales' 行业 sector beside the industry column) is written
    ``行业（sector）``, which import reads back as that attribute."""
    if lang != "zh":
        return list(columns)
    labels: dict[str, str] = {}
    # a field name two industries share (budget) takes the label of the industry
    # exported, else of the database's enabled industries, before any other's
    names = [industry] if industry else list(book.store.enabled_industries())
    names += [n for n in book.registry.industries if n not in names]
    for name in names:
        ind = book.registry.industries.get(name)
        for f in ind.fields if ind is not None else ():
            labels.setdefault(f.name, f.label.zh)
    core = {**EXPORT_HEADERS, "agent": agent_word(book, industry, "zh")}
    wanted = [core.get(c, labels.get(c, c)) for c in columns]
    taken: dict[str, int] = {}
    for h in wanted:
        taken[h] = taken.get(h, 0) + 1
    return [h if c in core or taken[h] == 1 else f"{h}（{c}）" for c, h in zip(columns, wanted)]


#: the values of these export columns are times (date cells in .xlsx)
EXPORT_MOMENTS = {"registered": "datetime", "next_follow_up": "date"}


def export_rows(book: LeadBook, *, industry: str | None = None, grade: str | None = None,
                owner: str | None = None, unmask: bool = False, lang: str = "en",
                columns: list[str] | None = None) -> Iterator[dict]:
    """Leads as flat records (one per lead, in id order), streamed; phones
    masked unless ``unmask``. ``registered``, ``agent`` and ``channel`` are
    the registration's, so that the file imports back to the same leads."""
    book.refresh()
    columns = columns or export_columns(book, industry)
    attr_cols = [c for c in columns[9:-5]]
    then = book.as_of_clock(industry)  # a lead with entries after the clock, as it was at the clock
    named = _zh_names(book) if lang == "zh" else None
    for r in book.store.export_rows(industry=industry, grade=grade, owner=owner):
        lead = then(r["id"])
        if lead is not None:
            r.update(name=lead.name, gender=lead.gender, phone=lead.phone, need=lead.need)
        attributes = r["attributes"] if lead is None else lead.attributes
        data = json.loads(r["register_data"] or "{}")
        gender = r["gender"]
        if lang == "zh":
            gender = {"M": "男", "F": "女"}.get(gender, gender)
        out = {"lead_id": r["id"], "industry": r["industry"], "name": r["name"], "gender": gender,
               "phone": r["phone"] if unmask else mask_phone(r["phone"]), "need": r["need"],
               "registered": r["created_at"], "agent": r["register_agent"],
               "channel": data.get("channel", "visit")}
        for c in attr_cols:
            out[c] = attributes.get(c)
        out.update(grade=r["grade"], score=r["score"], stage=r["stage"], owner=r["owner"],
                   next_follow_up=r["next_follow_up"])
        if named is not None:
            _name_codes(out, named, attr_cols)
        yield out


def _zh_names(book: LeadBook) -> dict:
    """What a Chinese export writes for the codes a person reads — the
    industry, the channel, the stage, the choices of attributes — per
    industry; ``import`` reads every one of them back as its code."""
    out: dict = {}
    for name, ind in book.registry.industries.items():
        ladder = book.context.for_industry(name).stages if name in book.context.rules else None
        out[name] = {
            "industry": ind.label.zh,
            "stage": {s.name: s.label.zh for s in ladder.stages} if ladder is not None else {},
            "fields": {f.name: ({c.value: c.label.zh for c in f.choices}, f.multiple)
                       for f in ind.fields if f.type == "choice"},
            # a yes/no attribute as a Chinese reader writes it (import reads 是/否 back)
            "bools": {f.name for f in ind.fields if f.type == "bool"},
        }
    return out


_CHANNEL_ZH = {code: words[0] for code, words in CHANNEL_SAID.items()}


def _name_codes(out: dict, named: dict, attr_cols: list[str]) -> None:
    """``out``'s codes as :func:`_zh_names` names them (in place)."""
    these = named.get(out["industry"])
    out["channel"] = _CHANNEL_ZH.get(out["channel"], out["channel"])
    if these is None:  # an industry whose plugin is not installed: its codes as they are
        return
    out["industry"] = these["industry"]
    out["stage"] = these["stage"].get(out["stage"], out["stage"])
    for c in attr_cols:
        value = out[c]
        if isinstance(value, bool) and c in these["bools"]:
            out[c] = "是" if value else "否"
            continue
        if value is None or c not in these["fields"]:
            continue
        labels, multiple = these["fields"][c]
        if multiple:
            out[c] = "、".join(labels.get(v, v) for v in str(value).split(",") if v)
        else:
            out[c] = labels.get(value, value)


def export_grade(book: LeadBook, industry: str | None, grade: str | None) -> str | None:
    """``--grade`` as the industry's scale spells it (see :meth:`LeadBook.grade_filter`)."""
    return book.grade_filter(industry, grade)


def _no_match(industry: str | None, grade: str | None, owner: str | None) -> LeadcycleError:
    filters = " ".join(f"--{k} {v}" for k, v in (("industry", industry), ("grade", grade), ("owner", owner))
                       if v is not None)
    if filters:
        return LeadcycleError(N_("no leads match {filters}; nothing written"), filters=filters)
    return LeadcycleError(N_("there are no leads to export; nothing written"))


#: how a time cell shows in Excel
_NUMBER_FORMATS = {dt.datetime: "yyyy-mm-dd hh:mm:ss", dt.date: "yyyy-mm-dd"}
#: characters the .xlsx format cannot hold (openpyxl refuses them)
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: an ISO time as the database writes it (``2026-03-05T10:00:00``)
ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _xlsx_cell(ws, value: Any) -> Any:
    """A value for an .xlsx row: text that starts like a formula becomes a
    string cell with Excel's quote prefix (openpyxl would write ``=…`` as a
    live formula); a date or time becomes a date cell shown as one."""
    if isinstance(value, str) and _NOT_IN_XLSX.search(value):
        raise LeadcycleError(N_("the text {value!r} holds a control character that an .xlsx file cannot "
                                "hold; export as .csv (a history as .jsonl) instead"), value=value[:40])
    if isinstance(value, str) and value[:1] in FORMULA_START:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    if isinstance(value, dt.date):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = _NUMBER_FORMATS[dt.datetime if isinstance(value, dt.datetime) else dt.date]
        return cell
    return value


def text_width(value: Any) -> int:
    """How many columns of a spreadsheet ``value`` takes: a Chinese, Japanese
    or Korean character (or a full-width one) takes two; a cell's widest
    line counts."""
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    if value is None:
        return 0
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
               for line in text.split("\n"))


#: rows read ahead to fit the column widths (a streamed sheet needs them
#: before its first row), and the widest column
WIDTH_SAMPLE = 1000
MAX_WIDTH = 60


def write_sheet(wb, title: str, headers: list[str], rows: Iterable[list], *, stamps: bool = False) -> int:
    """Append a sheet to a write-only workbook as people like to open it: a
    bold header row, frozen, with a filter over the data, columns as wide as
    their text (from the first :data:`WIDTH_SAMPLE` rows, CJK counted
    double), dates and times as date cells, formula-like text as text.
    With ``stamps``, ISO times in text (``2026-03-05T10:00:00``) become
    date cells too. Returns the rows written."""
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    rows = iter(rows)
    if stamps:
        rows = ([dt.datetime.fromisoformat(v) if isinstance(v, str) and ISO_SECONDS.fullmatch(v) else v
                 for v in row] for row in rows)
    ahead = list(itertools.islice(rows, WIDTH_SAMPLE))
    widths = [text_width(h) for h in headers]
    for row in ahead:
        for i, v in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], text_width(v))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, w + 2)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for h in headers:
        cell = _xlsx_cell(ws, h)
        cell = cell if isinstance(cell, Cell) else WriteOnlyCell(ws, value=cell)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    n = 0
    try:
        for row in itertools.chain(ahead, rows):
            ws.append([_xlsx_cell(ws, v) for v in row])
            n += 1
    except BaseException:
        abandon(wb)
        raise
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(headers)))}{n + 1}"
    return n


def abandon(wb) -> None:
    """End every sheet of a write-only workbook that failed half-way now,
    not when it is collected (which prints a warning on stderr)."""
    for ws in wb.worksheets:
        if not ws.closed:
            try:
                ws.close()
            except Exception:  # the stream is gone already: nothing more to end
                pass


def _counted(rows: Iterable, progress: Callable[[int], None] | None, step: int = 5000) -> Iterator:
    """``rows``, telling ``progress`` every ``step`` rows and at the end."""
    n = 0
    for r in rows:
        yield r
        n += 1
        if progress is not None and n % step == 0:
            progress(step)
    if progress is not None and n % step:
        progress(n % step)


def _xlsx_value(column: str, value: Any, date_fields: set[str]) -> Any:
    """An export value as an .xlsx cell holds it: times and date attributes
    as dates, the rest as they are."""
    if not isinstance(value, str) or not value:
        return value
    kind = EXPORT_MOMENTS.get(column) or ("date" if column in date_fields else None)
    try:
        if kind == "datetime":
            return dt.datetime.fromisoformat(value)
        if kind == "date":
            return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    return value


def write_export(book: LeadBook, fmt: str, out, *, industry: str | None = None, grade: str | None = None,
                 owner: str | None = None, unmask: bool = False, lang: str = "en",
                 progress: Callable[[int], None] | None = None) -> int:
    """Write the export to ``out`` (a text stream for csv/json, a path for
    xlsx). Returns the number of leads written. An export that matches no
    lead raises :class:`LeadcycleError` before writing anything; text that
    a spreadsheet would run as a formula is written as text (csv, xlsx);
    an .xlsx is laid out by :func:`write_sheet` on a sheet named in the
    language (``线索``/``leads``)."""
    if fmt not in ("csv", "json", "xlsx"):
        raise LeadcycleError(N_("format {fmt!r} is not csv, xlsx or json"), fmt=fmt)
    grade = export_grade(book, industry, grade)
    columns = export_columns(book, industry)
    headers = export_headers(book, columns, lang, industry)
    rows = export_rows(book, industry=industry, grade=grade, owner=owner, unmask=unmask, lang=lang,
                       columns=columns)
    first = next(rows, None)
    if first is None:
        raise _no_match(industry, grade, owner)
    rows = _counted(itertools.chain([first], rows), progress)
    n = 0
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if r[c] is None else (f"{r[c]:g}" if isinstance(r[c], float) else spreadsheet_text(r[c]))
                        for c in columns])
            n += 1
    elif fmt == "json":
        out.write("[")
        for r in rows:
            out.write(("," if n else "") + "\n  " + json.dumps({h: r[c] for h, c in zip(headers, columns)},
                                                           ensure_ascii=False))
            n += 1
        out.write("\n]\n")
    else:
        import openpyxl

        date_fields = {f.name for ind in book.registry.industries.values() for f in ind.fields if f.type == "date"}
        wb = openpyxl.Workbook(write_only=True)
        n = write_sheet(wb, "线索" if lang == "zh" else "leads", headers,
                        ([_xlsx_value(c, r[c], date_fields) for c in columns] for r in rows))
        wb.save(out)
    return n


def check_export_target(path: str, db_path: str | None, force: bool = False, option: str = "--output",
                        stream: bool = True) -> None:
    """Refuse a path to write that would destroy data: the open database or
    its ``-wal``/``-shm``/``-journal`` files (however the path is spelled —
    relative, through a symlink, a hard link), and an existing file unless
    ``force``; and say so when its directory does not exist. A device or
    a pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written into, as
    a shell redirection would, with or without ``force`` — never replaced
    by a file — where the output is a ``stream`` of bytes; a database
    (a snapshot) refuses one. ``option``: the command's option that names
    the path, for the message. Every command that writes a file the
    operator names checks it here (an export, a report, a calendar, a
    snapshot): :func:`write_file`."""
    if not path or not path.strip():
        raise LeadcycleError(N_("cannot write '': give a file name, e.g. -o leads.xlsx (or leave -o out for stdout)"))
    if os.path.isdir(path):
        raise LeadcycleError(N_("cannot write {path}: it is a folder; give a file name such as "
                                "{path2}"), path=path, path2=os.path.join(path, 'leads.xlsx'))
    if db_path and db_path != ":memory:":
        real = os.path.realpath(path)
        base = os.path.realpath(db_path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            twin = base + suffix
            same = real == twin
            if not same and os.path.exists(path) and os.path.exists(twin):
                same = os.path.samefile(path, twin)
            if same:
                raise LeadcycleError(N_("{path} is the open database{value} {db_path}; give another {option}"),
                                     path=path, value=' (' + suffix[1:] + ' file)' if suffix else '', db_path=db_path,
                                     option=option)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise LeadcycleError(N_("cannot write {path}: there is no folder {folder}; create it or give another path"),
                             path=path, folder=folder)
    if is_special(path):
        if not stream:
            raise LeadcycleError(N_("cannot write {path}: it is a device or a pipe, not a file; give a file "
                                    "name for {option}"), path=path, option=option)
        return
    if os.path.exists(path) and not force:
        raise LeadcycleError(N_("{path} exists; give --force to replace it, or another {option}"), path=path,
                             option=option)


def is_special(path: str) -> bool:
    """Whether ``path`` is there and is neither a file nor a folder: a
    device (``/dev/null``), a pipe, a socket — written into, never
    replaced."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def write_file(path: str, db_path: str | None, writer: Callable[[str], Any], *, force: bool = False,
               option: str = "--output", stream: bool = True) -> Any:
    """``writer(tmp)``'s return, having written ``path``: after
    :func:`check_export_target`, through a temporary file in the same folder
    that replaces ``path`` only when complete, so a write that fails leaves
    ``path`` as it was (and never touches the database). A link is
    followed: the file it names is replaced and the link stays. A device
    or a pipe is written into directly (``writer(path)``)."""
    check_export_target(path, db_path, force, option, stream)
    if is_special(path):
        try:
            return writer(path)
        except OSError as e:
            raise LeadcycleError(N_("cannot write {path}: {value}"), path=path, value=e.strerror or e) from None
    target = os.path.realpath(path)  # (the messages name the path as given)
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".part", dir=folder)
    except OSError as e:
        raise LeadcycleError(N_("cannot write {path}: {strerror}"), path=path, strerror=e.strerror) from None
    os.close(fd)
    try:
        out = writer(tmp)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as e:
        raise LeadcycleError(N_("cannot write {path}: {value}"), path=path, value=e.strerror or e) from None
    finally:
        for leftover in (tmp, tmp + "-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
    return out


def _mode_for(path: str) -> int:
    """The permissions a written file gets: those of the file it replaces,
    else what the umask leaves of read-write for all (as ``open`` gives a
    new file; the temporary file it is written through is private)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_file(path: str, db_path: str | None, text: str, *, force: bool = False,
                    option: str = "--output") -> None:
    """:func:`write_file` of ``text`` (UTF-8, newlines as given)."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    write_file(path, db_path, write, force=force, option=option)


def export_to_file(book: LeadBook, path: str, fmt: str, *, force: bool = False,
                   writer: Callable[[str], Any] | None = None, **kw) -> Any:
    """:func:`write_export` (or ``writer(path)``, e.g. a history) into
    ``path`` by :func:`write_file`: an export that fails or matches nothing
    leaves ``path`` as it was."""

    def export(tmp: str) -> Any:
        if writer is not None:
            return writer(tmp)
        if fmt == "xlsx":
            return write_export(book, fmt, tmp, **kw)
        with open(tmp, "w", newline="", encoding="utf-8-sig" if fmt == "csv" else "utf-8") as f:
            return write_export(book, fmt, f, **kw)

    return write_file(path, book.store.path, export, force=force)


__all__ = ["BATCH", "HEADER_ALIASES", "ImportResult", "check_export_target", "export_rows",
           "export_to_file", "from_spreadsheet_text", "import_file", "mask_phone", "parse_moment",
           "resolve_columns", "row_key", "spreadsheet_text", "write_export", "write_file", "write_text_file"]
