"""Printing records: tables for people, JSON and CSV for programs."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import sys
from typing import Any, Iterable, Sequence

import click


#: ranges of characters whose width is known without wcwidth's tables (its
#: import is a tenth of ``--help``'s start-up): printable ASCII one column,
#: CJK ideographs, their punctuation and the full-width forms two; a test
#: holds each range to wcwidth's answer for every character in it
KNOWN_WIDTHS = ((0x20, 0x7E, 1), (0x4E00, 0x9FFF, 2), (0x3000, 0x3029, 2), (0x3030, 0x303E, 2),
                (0xFF01, 0xFF60, 2), (0x2010, 0x2027, 1))


@functools.cache
def _char_width(ch: str) -> int:
    code = ord(ch)
    for low, high, width in KNOWN_WIDTHS:
        if low <= code <= high:
            return width
    from wcwidth import wcwidth

    return max(wcwidth(ch), 0)


def _width(text: str) -> int:
    """Display columns of ``text`` on a terminal: CJK characters take two,
    combining marks none (wcwidth, which knows Unicode's tables, for what
    :data:`KNOWN_WIDTHS` does not cover)."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(map(_char_width, text))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def plain_number(value: float) -> str:
    """A number as an office writes it: ``1000000`` and ``1234567.5``, not
    ``1e+06`` (``:g`` turns to exponents from a million: a budget, a
    revenue, a fine), ``0.333333`` (six places at most)."""
    return f"{round(value, 6):.15g}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return plain_number(value)
    return str(value)


MAX_CELL = 60

#: the narrowest a column is squeezed to when a table is fitted to the terminal
MIN_CELL = 6


def _wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` display columns,
    at spaces where possible, else between two characters (Chinese text
    breaks anywhere, so a line of it is filled before it breaks; a wide
    character is never cut in half)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        for word in para.split(" "):
            for n, atom in enumerate(_atoms(word) or [""]):
                candidate = f"{line} {atom}" if line and n == 0 else line + atom
                if _width(candidate) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                line = ""
                for ch in atom:
                    if line and _width(line + ch) > width:
                        lines.append(line)
                        line = ""
                    line += ch
        lines.append(line)
    return lines


def _atoms(word: str) -> list[str]:
    """What a line breaks between: runs of narrow characters (an English
    word, a number, an option) and each wide character (U+2E80–U+FFFF) on
    its own. (A loop, not a regular expression: compiling a class of that
    range was a fiftieth of ``--help``'s start-up.)"""
    atoms: list[str] = []
    start = 0
    for i, ch in enumerate(word):
        if "\u2e80" <= ch <= "\uffff":
            if start < i:
                atoms.append(word[start:i])
            atoms.append(ch)
            start = i + 1
    if start < len(word):
        atoms.append(word[start:])
    return atoms


def terminal_width() -> int | None:
    """The width tables are fitted to: ``COLUMNS`` when set, else the
    terminal's when standard output is one; None when piped (a file or a
    program gets whole lines)."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _fit(widths: list[int], width: int | None) -> list[int]:
    """Narrow the widest columns, one column at a time, until the row (with
    its two-space gaps) fits ``width``; no column below :data:`MIN_CELL`."""
    widths = list(widths)
    if width is None:
        return widths
    budget = width - 2 * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_CELL:
            break
        widths[widest] -= 1
    return widths


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], max_cell: int = MAX_CELL,
          width: int | None = -1) -> str:
    """A plain text table that lines up Chinese text too; cells wider than
    ``max_cell`` columns wrap onto more lines, and the table is fitted to
    ``width`` columns (by default :func:`terminal_width`)."""
    if width == -1:
        width = terminal_width()
    texts = [[_cell(v) for v in row] for row in rows]
    natural = [_width(h) for h in headers]
    for row in texts:
        for i, text in enumerate(row):
            natural[i] = max(natural[i], *(min(_width(part), max_cell) for part in text.splitlines() or [""]))
    widths = _fit(natural, width)
    head = [_wrap(h, w) for h, w in zip(headers, widths)]
    cells = [[_wrap(text, w) for text, w in zip(row, widths)] for row in texts]
    lines = []
    for row in [head, *cells]:
        for n in range(max((len(c) for c in row), default=0)):
            lines.append("  ".join(_pad(c[n] if n < len(c) else "", w) for c, w in zip(row, widths)).rstrip())
        if row is head:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _default(value: Any):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, (set, frozenset)):  # a plugin's derived value: its members, in order
        return sorted(value, key=str)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default)


def echo_json(value: Any) -> None:
    click.echo(dumps(value))


def _flat(value: Any) -> Any:
    """A value as one CSV/TSV cell, as JSON writes it: moments in ISO-8601,
    lists and objects as JSON text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=_default)
    return value


def echo_delimited(rows: Iterable[dict], columns: Sequence[str], delimiter: str = ",") -> None:
    """Records as CSV (``delimiter=","``) or TSV (``"\\t"``); text that starts
    like a formula is written as text (as ``export`` writes it), so the file
    is safe to open in Excel."""
    from leadcycle.io import spreadsheet_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n",
                            delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(spreadsheet_text(_flat(row.get(k)))) for k in columns})
    click.echo(buf.getvalue(), nl=False)


def echo_csv(rows: Iterable[dict], columns: Sequence[str]) -> None:
    echo_delimited(rows, columns, ",")


# ------------------------------------------------------- output formats

#: where the chosen format of this run is kept (click's ``ctx.meta``)
FORMAT_KEY = "leadcycle.output"

MACHINE = {"json": "--json", "nl": "--nl", "csv": "--csv", "tsv": "--tsv"}


class TableFormat(click.ParamType):
    """A tabulate table format (``--fmt github``), checked when given so
    that tabulate is imported only by the runs that use it."""

    name = "format"

    def convert(self, value, param, ctx):
        import tabulate

        if value not in tabulate.tabulate_formats:
            self.fail(f"{value!r} is not a table format; choose one of {', '.join(tabulate.tabulate_formats)}",
                      param, ctx)
        return value

    def shell_complete(self, ctx, param, incomplete):
        import tabulate
        from click.shell_completion import CompletionItem

        return [CompletionItem(f) for f in tabulate.tabulate_formats if f.startswith(incomplete)]


def output_options(func):
    """``--json``, ``--nl``, ``--csv``, ``--tsv`` and ``--fmt NAME`` on a
    command that prints records, as sqlite-utils and llm have them. The
    choice is kept for :func:`emit`; the command still receives ``as_json``
    when it declares it (commands whose one-record JSON is their own). Two
    formats at once are a usage error before anything runs."""
    import functools
    import inspect

    takes_json = "as_json" in inspect.signature(func).parameters

    @functools.wraps(func)
    def wrapper(*args, as_json=False, as_nl=False, as_csv=False, as_tsv=False, fmt=None, **kwargs):
        chosen = [flag for flag, on in (("--json", as_json), ("--nl", as_nl), ("--csv", as_csv),
                                        ("--tsv", as_tsv), (f"--fmt {fmt}", fmt)) if on]
        if len(chosen) > 1:
            raise click.UsageError(_("choose one output format: {chosen} were given").format(chosen=' or '.join(chosen)))
        name = (["json", "nl", "csv", "tsv"][[as_json, as_nl, as_csv, as_tsv].index(True)]
                if any((as_json, as_nl, as_csv, as_tsv)) else fmt or "table")
        click.get_current_context().meta[FORMAT_KEY] = name
        if takes_json:
            kwargs["as_json"] = as_json
        return func(*args, **kwargs)

    for decorator in reversed((
        click.option("--json", "as_json", is_flag=True, help="Output JSON."),
        click.option("--nl", "as_nl", is_flag=True, help="Output one JSON object per line."),
        click.option("--csv", "as_csv", is_flag=True, help="Output CSV."),
        click.option("--tsv", "as_tsv", is_flag=True, help="Output TSV."),
        click.option("--fmt", type=TableFormat(), metavar="NAME",
                     help="Table format: plain, simple, github, grid, psql, rst… (tabulate's)."),
    )):
        wrapper = decorator(wrapper)
    return wrapper


def output_format() -> str:
    """The format this run prints records in: ``table`` unless the command's
    :func:`output_options` said otherwise."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(FORMAT_KEY, "table") if ctx is not None else "table"


_RECORDS = object()


def emit(records: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
         cells: Sequence[Sequence[Any]] | None = None, *, as_json: Any = _RECORDS,
         empty: str | None = None, footer: Sequence[str] = ()) -> None:
    """Print records in the format this run asked for.

    ``records`` are dicts with stable English keys, for programs: ``--json``
    prints them (or ``as_json``, a command's richer document), ``--nl`` one
    per line, ``--csv``/``--tsv`` the ``columns``. People get a table of
    ``cells`` (what a person reads of each record; default the columns'
    values) under ``headers`` (default the column names), ``empty`` instead
    when there are no records, then the ``footer`` lines; ``--fmt`` draws the
    same cells with tabulate."""
    fmt = output_format()
    if fmt == "json":
        echo_json(list(records) if as_json is _RECORDS else as_json)
        return
    if fmt == "nl":
        for r in records:
            click.echo(json.dumps(r, ensure_ascii=False, default=_default))
        return
    if fmt in ("csv", "tsv"):
        echo_delimited(records, columns, "," if fmt == "csv" else "\t")
        return
    headers = list(headers if headers is not None else columns)
    if cells is None:
        cells = [[r.get(c) for c in columns] for r in records]
    if fmt != "table":
        import tabulate

        click.echo(tabulate.tabulate([[_cell(v) for v in row] for row in cells], headers, tablefmt=fmt))
        return
    if not records and empty is not None:
        click.echo(empty)
    else:
        click.echo(table(cells, headers))
    for line in footer:
        if line:
            click.echo(line)


def interactive() -> bool:
    return sys.stderr.isatty()


#: the most rows one transaction of rescore or import holds (about 3 GB of
#: projections at 30 KB a lead): a bigger batch only exhausts memory
BATCH_MAX = 100_000

#: lead ids are SQLite rowids: 1 up to the largest 64-bit integer
LEAD_ID_MAX = 2**63 - 1


def lead_id(value: str, param_hint: str = "LEAD_ID") -> int:
    """A lead id as operators type it (``12`` or ``#12``), within the range
    a lead id can have (a bigger number cannot even be looked up)."""
    try:
        number = int(str(value).strip().lstrip("#"))
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a lead id (a number such as 12)").format(value=value),
                                 param_hint=param_hint) from None
    if not 1 <= number <= LEAD_ID_MAX:
        raise click.BadParameter(_("{value!r} is not a lead id: lead ids run from 1 to {lead_id_max}").format(
                                     value=value, lead_id_max=LEAD_ID_MAX),
                                 param_hint=param_hint)
    return number


class LeadIdType(click.ParamType):
    """:func:`lead_id` as a click type, for options that name a lead."""

    name = "lead_id"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            value = str(value)
        return lead_id(value, param.get_error_hint(ctx) if param is not None else "LEAD_ID")


LEAD_ID = LeadIdType()


def _is_label(value) -> bool:
    """Whether ``value`` is a text in both languages as entries store it
    (``{"en": …, "zh": …}``)."""
    return isinstance(value, dict) and bool(value) and set(value) <= {"en", "zh"}


def _label_text(value, lang: str):
    """A stored two-language text in ``lang`` (else English); any other
    value as it is."""
    if _is_label(value):
        return value.get(lang) or value.get("en") or value.get("zh")
    return value


def event_line(e, kinds: dict, lang: str, voided: dict | None = None, phones=None,
               owner: str | None = None, words: "Words | None" = None, industry: str | None = None) -> str:
    """One line of a lead's history: id, time, kind, agent, data, note; an
    entry written on a colleague's lead names the owner, a void says what it
    voids and why, and an entry in ``voided`` (id → its void) is marked.
    Phones in the data are masked unless ``phones`` (a PhoneView) shows the
    numbers of ``owner``'s leads. With ``words`` (and the lead's
    ``industry``) the data reads as labels and values in the reader's
    language (``资金到位=A，客户反应=积极``), else as codes."""
    from leadcycle.corrections import VOID, void_line, voided_mark
    from leadcycle.privacy import MASKED

    label = kinds[e.kind].label(lang) if e.kind in kinds else e.kind
    data = (phones or MASKED).event_data(e.data, owner)
    if e.data.get("not_owner"):
        data = {k: v for k, v in data.items() if k not in ("not_owner", "owner", "owner_away")}
    if e.kind == VOID:
        data = void_line(e, lang)
    elif e.kind == "register":
        data = {k: v for k, v in data.items() if k in ("channel", "attributes")}
    elif e.kind == "set" and not data.get("changes") and isinstance(data.get("family_member"), dict):
        # a family member's registration: no attribute of the lead changed
        label, data = _(N_("family member registered")), family_member_text(data["family_member"], lang, words)
    elif e.kind == "set":
        data = data.get("changes") or {}
    elif e.kind == "owner":  # an owner change: to whom, and why, in the reader's language
        data = {"to": owner_cell(data.get("to")), "why": _label_text(data.get("reason"), lang)}
    elif "from" in data and "to" in data:
        data = {"change": f"{data.get('from') or '-'}→{data.get('to') or '-'}",
                **{k: v for k, v in data.items() if k not in ("from", "to")}}
    if isinstance(data, dict) and "reason" in data:  # the reason says in words what the rule's id codes
        data = {k: v for k, v in data.items() if k != "rule"}
    if isinstance(data, dict) and words is not None:
        if e.kind == "stage":  # the stages it moved between, as list names them
            data = {**data, **{k: words.stage(industry, data[k]) for k in ("from", "stage") if data.get(k)}}
        if "channel" in data:
            data = {**data, "channel": words.kind(industry, data["channel"])}
        detail = words.pairs(industry, data, e.kind)
    elif isinstance(data, dict):
        detail = ", ".join(f"{k}={_label_text(v, lang)}" for k, v in data.items() if v not in (None, "", {}, []))
    else:
        detail = str(data)
    line = f"  #{e.id} {e.at:%Y-%m-%d %H:%M}  {label}"
    if e.agent:
        line += f"  [{e.agent}]"
    if e.data.get("not_owner"):
        whose = e.data.get("owner")
        from leadcycle.i18n import M_, render

        line += "  " + render(M_("(not the owner: {owner}'s lead; {owner} was away)", owner=whose)
                              if e.data.get("owner_away") else M_("(not the owner: {owner}'s lead)", owner=whose), lang)
    if detail:
        line += f"  {detail}"
    if e.note:
        line += f"  “{e.note}”"
    if voided and e.id in voided:
        line += f"  {voided_mark(voided[e.id], lang)}"
    return line


#: ``--unmask`` on the commands that print phones (list, show, due, pool…)
unmask_option = click.option(
    "--unmask", is_flag=True,
    help="Phones in full: of your own leads, or of every lead for a manager (say who you are with --as NAME).")


def phone_view(env, unmask: bool, rule, *args):
    """What this command shows of the phones: all masked, unless
    ``--unmask``; then what ``rule`` (one of :mod:`leadcycle.privacy`'s
    ``own_leads``, ``one_lead``, ``managers_only``) allows the viewer, or
    one line refusing before anything is printed."""
    from leadcycle import privacy

    if not unmask:
        return privacy.MASKED
    return rule(env.viewer(), *args)


def phone_notice(masked: bool, lang: str) -> str:
    """The footer of a table in which some phone was masked ("" if none was)."""
    if not masked:
        return ""
    from leadcycle.privacy import NOTICE

    return NOTICE(lang)


def echo_phone_notice(masked: bool, lang: str) -> None:
    """Print :func:`phone_notice` when some phone was masked."""
    if masked:
        click.echo(phone_notice(masked, lang))


# ------------------------------------------------------------ words for people


def _(message: str) -> str:
    """``message`` in the reader's language (:mod:`leadcycle.i18n`)."""
    from leadcycle.i18n import _ as translate

    return translate(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    from leadcycle.i18n import ngettext as translate

    return translate(singular, plural, n)


def owner_cell(owner: str | None) -> str:
    """An owner as a table shows it: the agent, or the pool."""
    return owner or _("(pool)")


def overdue(days: int | None) -> str:
    """``3 days overdue``, ``today``, or nothing (not due yet)."""
    if days is None or days < 0:
        return ""
    if days == 0:
        return _("today")
    return ngettext("{n} day overdue", "{n} days overdue", days).format(n=days)


def _rating(value) -> bool:
    """A rating such as ``A``…``D``: its letter says it (its label is a
    sentence, for ``fields``)."""
    return isinstance(value, str) and len(value) == 1 and value.isupper()


def yes_no(value: bool | None) -> str:
    return "" if value is None else _("yes") if value else _("no")


class Words:
    """The labels people read for the codes a lead carries — industries,
    stages, event kinds, attribute values, gender — in ``lang``, from what
    the plugins declare; an unknown code is shown as it is."""

    def __init__(self, book, lang: str):
        self.book, self.lang = book, lang

    def industry(self, code: str | None) -> str:
        ind = self.book.registry.industries.get(code) if code else None
        return ind.label(self.lang) if ind else (code or "")

    def stage(self, industry: str | None, code: str | None) -> str:
        rules = self.book.context.rules
        ladder = rules[industry].stages if industry in rules else None
        found = ladder.stage(code) if ladder is not None and code else None
        return found.label(self.lang) if found is not None else (code or "")

    def kind(self, industry: str | None, code: str) -> str:
        ind = self.book.registry.industries.get(industry)
        for k in (ind.event_kinds if ind else ()):
            if k.name == code:
                return k.label(self.lang)
        return code

    def field(self, industry: str | None, name: str, kind: str | None = None):
        """The declared field ``name`` of a lead (or of an event ``kind``)."""
        from leadcycle.registry import BASE_FIELDS

        ind = self.book.registry.industries.get(industry)
        if kind is not None and ind is not None:
            for k in ind.event_kinds:
                if k.name == kind:
                    for f in k.fields:
                        if f.name == name:
                            return f
        if kind not in (None, "set", "register"):  # another entry's data is no lead attribute of that name
            return None
        found = ind.field(name) if ind is not None else None
        return found or next((f for f in BASE_FIELDS if f.name == name), None)

    def value(self, industry: str | None, name: str, value, kind: str | None = None) -> str:
        """An attribute's value as a person reads it: a choice's label, yes
        or no, the number or text as given."""
        f = self.field(industry, name, kind)
        if isinstance(value, bool):
            return yes_no(value)
        if f is not None and f.choices and value is not None and not _rating(value):
            return "、".join(f.choice_label(v, self.lang) for v in str(value).split(",")) if self.lang == "zh" \
                else ", ".join(f.choice_label(v, self.lang) for v in str(value).split(","))
        if isinstance(value, float):
            return plain_number(value)
        return "" if value is None else str(value)

    def pairs(self, industry: str | None, data: dict, kind: str | None = None) -> str:
        """``label=value, …`` of an entry's data, in the reader's language."""
        sep = "，" if self.lang == "zh" else ", "
        out = []
        for k, v in data.items():
            if v in (None, "", {}, []):
                continue
            f = self.field(industry, k, kind)
            label = (f.label(self.lang) if f is not None else _(k) if k in DATA_KEYS
                     else _(DATA_LABELS[k]) if k in DATA_LABELS else k)
            if _is_label(v):
                v = _label_text(v, self.lang)
            elif isinstance(v, dict):
                v = self.pairs(industry, v, kind)
            elif isinstance(v, list):
                v = sep.join(str(x) for x in v)
            elif (k, v) in DATA_VALUES:
                v = _(DATA_VALUES[k, v])
            else:
                v = self.value(industry, k, v, kind)
            out.append(f"{label}={v}")
        return sep.join(out)

    def gender(self, code: str | None) -> str:
        """男/女 in Chinese; English keeps its own abbreviation (M/F)."""
        from leadcycle.registry import GENDER_FIELD

        if not code or self.lang == "en":
            return code or ""
        return GENDER_FIELD.choice_label(code, self.lang)


def _terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def read_secret(from_stdin: bool, prompt: str | None = None, confirm: bool = False) -> str:
    """A secret from stdin (scripts) or typed without echo (``login``,
    ``agent password``, ``init --admin``), asked in the reader's language."""
    if from_stdin or not _terminal(sys.stdin):  # piped: one line, without getpass's echo warning
        line = sys.stdin.readline()
        if not line:
            from leadcycle.errors import LeadcycleError

            raise LeadcycleError(N_("no password given: type it at a terminal, or pipe it in with --password-stdin"))
        return line.rstrip("\r\n")
    return click.prompt(prompt or _("Password"), hide_input=True,
                        confirmation_prompt=_("Repeat for confirmation") if confirm else False)


def fraction(f) -> str:
    """A share as people write it: ``1/2``, ``1``."""
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)


def credit_lines(book, lead_id: int, lang: str) -> list[str]:
    """One line per deal share, with the rule that decided it (for ``show``)."""
    out = []
    for d in book.credit(lead_id):
        shares = ", ".join(f"{s.agent} {fraction(s.share)}" for s in d.shares)
        out.append(f"{d.at:%Y-%m-%d}: {shares} — {d.reason(lang)}")  # the reason says the rule in words
    return out


def report_group(owner: click.Group) -> click.Group:
    """The ``report`` group of ``owner``, made by whoever adds a report
    first (the core or a plugin): every report lands in the one group,
    with the same help whatever the order the plugins load in."""
    group = owner.commands.get("report")
    if group is None:
        @owner.group(name="report")
        def group():
            """Reports over the whole database."""
    return group


from leadcycle.i18n import N_  # noqa: E402  (marks messages for the catalogs)


#: keys of an entry's data that no field declares, as people read them
DATA_KEYS = (N_("channel"), N_("change"), N_("attributes"), N_("from"), N_("stage"), N_("to"), N_("why"),
             N_("reason"))
#: the core's entry keys that are not words, as people read them
DATA_LABELS = {"approved_by": N_("approved by"), "week": N_("week"), "previous": N_("previous owner"),
               "decision": N_("decision"), "claim": N_("claim"), "claimant": N_("claimant"),
               "deal": N_("deal entry"), "dispute": N_("dispute entry"), "manager": N_("manager"),
               "split": N_("split"), "family_visitor": N_("family member")}

#: the core's entry values that are codes, as people read them
DATA_VALUES = {("decision", "upheld"): N_("dispute upheld"), ("decision", "rejected"): N_("dispute rejected"),
               ("claim", "knowingly"): N_("knowingly worked another's client"),
               ("claim", "unrecognized"): N_("own client not recognised")}

#: the field types ``fields`` shows, for the catalogs
FIELD_TYPES = (N_("str"), N_("int"), N_("float"), N_("bool"), N_("date"), N_("choice"))


def family_member_text(member: dict, lang: str, words: "Words | None" = None) -> str:
    """``李四 (spouse, F), as lead #7`` in the reader's language: who was
    registered with the client's phone (or apart, on a lead of their own)."""
    from leadcycle.i18n import render
    from leadcycle.validate import RELATION_WORDS

    relation = member.get("relation")
    said = [render(RELATION_WORDS.get(relation, relation), lang),
            words.gender(member.get("gender")) if words is not None else member.get("gender")]
    text = _("{name} ({details})").format(name=member.get("name") or "?",
                                          details=_(", ").join(x for x in said if x))
    if member.get("lead"):
        text += _(", as lead #{lead}").format(lead=member["lead"])
    if member.get("need"):
        text += _(", needs {need}").format(need=member["need"])
    return text
