"""Printing records: tables for people, JSON and CSV for programs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import unicodedata
from typing import Any, Iterable, Sequence

import click


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


MAX_CELL = 60


def _wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` display columns,
    at spaces where possible (Chinese text breaks anywhere)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        for word in para.split(" "):
            candidate = f"{line} {word}" if line else word
            if _width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:
                if _width(line + ch) > width:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
    return lines


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], max_cell: int = MAX_CELL) -> str:
    """A plain text table that lines up Chinese text too; cells wider than
    ``max_cell`` columns wrap onto more lines."""
    cells = [[_wrap(_cell(v), max_cell) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], *(_width(part) for part in c))
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        for n in range(max(len(c) for c in row) if row else 0):
            lines.append("  ".join(_pad(c[n] if n < len(c) else "", w)
                                   for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _default(value: Any):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default)


def echo_json(value: Any) -> None:
    click.echo(dumps(value))


def echo_csv(rows: Iterable[dict], columns: Sequence[str]) -> None:
    """Records as CSV; text that starts like a formula is written as text
    (as ``export`` writes it), so the file is safe to open in Excel."""
    from leadcycle.io import spreadsheet_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(spreadsheet_text(row.get(k))) for k in columns})
    click.echo(buf.getvalue(), nl=False)


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
        raise click.BadParameter(f"{value!r} is not a lead id (a number such as 12)",
                                 param_hint=param_hint) from None
    if not 1 <= number <= LEAD_ID_MAX:
        raise click.BadParameter(f"{value!r} is not a lead id: lead ids run from 1 to {LEAD_ID_MAX}",
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


def event_line(e, kinds: dict, lang: str, voided: dict | None = None, phones=None,
               owner: str | None = None) -> str:
    """One line of a lead's history: id, time, kind, agent, data, note; an
    entry written on a colleague's lead names the owner, a void says what it
    voids and why, and an entry in ``voided`` (id → its void) is marked.
    Phones in the data are masked unless ``phones`` (a PhoneView) shows the
    numbers of ``owner``'s leads."""
    from leadcycle.corrections import VOID, void_line, voided_mark
    from leadcycle.privacy import MASKED

    label = kinds[e.kind].label(lang) if e.kind in kinds else e.kind
    data = (phones or MASKED).event_data(e.data, owner)
    if e.data.get("not_owner"):
        data = {k: v for k, v in data.items() if k not in ("not_owner", "owner")}
    if e.kind == VOID:
        data = void_line(e, lang)
    elif e.kind == "register":
        data = {k: v for k, v in data.items() if k in ("channel", "attributes")}
    elif e.kind == "set":
        data = data.get("changes") or data.get("family_member") or {}
    elif "from" in data and "to" in data:
        data = {"change": f"{data.get('from') or '-'}→{data.get('to') or '-'}",
                **{k: v for k, v in data.items() if k not in ("from", "to")}}
    if isinstance(data, dict):
        detail = ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", {}, []))
    else:
        detail = str(data)
    line = f"  #{e.id} {e.at:%Y-%m-%d %H:%M}  {label}"
    if e.agent:
        line += f"  [{e.agent}]"
    if e.data.get("not_owner"):
        whose = e.data.get("owner")
        line += f"  （非归属顾问，客户归属{whose}）" if lang == "zh" else f"  (not the owner: {whose}'s lead)"
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


def echo_phone_notice(masked: bool, lang: str) -> None:
    """The footer of a table in which some phone was masked."""
    if masked:
        from leadcycle.privacy import NOTICE

        click.echo(NOTICE(lang))
