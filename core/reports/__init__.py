"""Reports people look at (issue #16): the period report as one HTML file,
the evening report per team, pushes to group robots and calendars, and a
datasette view of the database.

Every number here is read through the public :class:`~leadcycle.LeadBook`
methods (``list``, ``due``, ``history``, ``credit``) and the plugins' own
report functions, at the clock the numbers are about: a report never
re-implements a grading, cadence or ownership rule. Phones are masked with
:func:`leadcycle.io.mask_phone`, as the export does.
"""

from __future__ import annotations

import datetime as dt

from leadcycle.errors import LeadcycleError
from ..i18n import N_

#: the extras that the heavy parts need, and the one line that says so
EXTRA_HINT = "pip install 'leadcycle[{extra}]'"


def need(module: str, extra: str):
    """Import an optional dependency, or say in one line how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise LeadcycleError(N_("this command needs {split}, which is not installed; "
                                "run: {format}"),
                             split=module.split('.')[0], format=EXTRA_HINT.format(extra=extra)) from None


def day_end(day: dt.date, now: dt.datetime) -> dt.datetime:
    """The clock at which a day's numbers are read: its last second, or now
    for today."""
    return min(dt.datetime.combine(day, dt.time(23, 59, 59)), now)


def period(now: dt.datetime, start: dt.date | None, end: dt.date | None, weeks: int = 4) -> tuple[dt.date, dt.date]:
    """``--from/--to`` with their defaults (the last ``weeks`` weeks up to
    today), checked: the period cannot end after the clock or start after
    it ends."""
    end = end or now.date()
    start = start or end - dt.timedelta(days=7 * weeks - 1)
    if end > now.date():
        raise LeadcycleError(N_("--to {end} is after the clock ({now}); a report cannot see the future; "
                                "give an earlier --to or a later --now"), end=end, now=now.date())
    if start > end:
        raise LeadcycleError(N_("--from {start} is after --to {end}; give a period that starts before it ends"),
                             start=start, end=end)
    return start, end
