"""Project sales phases (销售阶段划分, DOMAIN §2, seed 002).

The document divides a 12-month project into warm-up (预热期, the 1–2 months
before the launch, 5–10 % sold), strong selling (强销期, 2 months after the
launch, 40–50 % cumulative), continuous selling (持续销售期, 4 months, 70–80 %)
and the tail (尾盘期, 4 months, 90–95 %). Lengths and targets are settings.

Ahead or behind (ours; the document gives only the cumulative target at each
phase's end): the target range is interpolated linearly from the previous
phase's end (0 % before the warm-up) to this phase's end by the share of the
phase that has elapsed; sold above the range is ahead, below it behind.
Units sold are the ``units`` of ``contract`` events (1 when not given).
"""

from __future__ import annotations

import calendar
import datetime as dt

from leadcycle import LeadcycleError

from .config import PHASE_LABELS
from leadcycle.i18n import N_

PHASES = ("warmup", "strong", "continuous", "tail")


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def units_sold(book, until: dt.datetime) -> int:
    return sum(int(e["data"].get("units") or 1) for e in book.store.kind_events("contract", "realestate", until))


def phase_report(book) -> dict:
    st = book.settings
    if st["realestate.launch_date"] in (None, ""):
        raise LeadcycleError(N_("the launch date is not set; set it with: "
                                "leadcycle settings set realestate.launch_date 2026-05-01"))
    total = st["realestate.total_units"]
    if not total:
        raise LeadcycleError(N_("the number of units for sale is not set; set it with: "
                                "leadcycle settings set realestate.total_units 300"))
    launch = _as_date(st["realestate.launch_date"])
    today = book.now.date()
    bounds = []  # (phase, start, end, low_before, high_before, low, high)
    start = add_months(launch, -st["realestate.phase_warmup_months"])
    low_prev = high_prev = 0
    cursor = start
    for p in PHASES:
        months = st[f"realestate.phase_{p}_months"]
        end = launch if p == "warmup" else add_months(cursor, months)
        low, high = st[f"realestate.phase_{p}_target_low"], st[f"realestate.phase_{p}_target_high"]
        bounds.append((p, cursor, end, low_prev, high_prev, low, high))
        low_prev, high_prev, cursor = low, high, end
    sold = units_sold(book, book.now)
    share = round(100.0 * sold / total, 1)
    phase, target_low, target_high, starts, ends = None, 0.0, 0.0, None, None
    if today < start:
        phase, ends = "before", start
    elif today >= cursor:
        phase, starts = "after", cursor
        target_low, target_high = bounds[-1][5], bounds[-1][6]
    else:
        for p, s, e, lb, hb, lo, hi in bounds:
            if s <= today < e:
                frac = (today - s).days / max(1, (e - s).days)
                phase, starts, ends = p, s, e
                target_low = round(lb + (lo - lb) * frac, 1)
                target_high = round(hb + (hi - hb) * frac, 1)
                break
    if phase == "before":
        status = "not started"
    elif share > target_high:
        status = "ahead"
    elif share < target_low:
        status = "behind"
    else:
        status = "on track"
    return {
        "today": today, "launch_date": launch, "phase": phase,
        "phase_label": PHASE_LABELS[phase].to_json(), "phase_start": starts, "phase_end": ends,
        "total_units": total, "units_sold": sold, "sold_percent": share,
        "target_now_percent": [target_low, target_high], "status": status,
        "phases": [{"phase": p, "label": PHASE_LABELS[p].to_json(), "start": s, "end": e,
                    "target_percent": [lo, hi]} for p, s, e, _, _, lo, hi in bounds],
    }
