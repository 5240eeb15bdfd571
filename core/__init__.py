"""leadcycle: sales leads (意向客户) from first contact to closed deal.

The public API for integrators and plugin authors::

    from leadcycle import hookimpl, Industry, Field, EventKind, Setting, Label
    from leadcycle import Scorecard, Criterion, Cond, GradeRule, Dimension, Cap
    from leadcycle import StageLadder, Stage, Cadence, CadenceRule, CadenceStop, OwnershipPolicy
    from leadcycle import LeadBook

Names are loaded lazily (PEP 562): ``import leadcycle`` costs almost nothing,
and ``leadcycle.LeadBook`` imports the API (and sqlite-utils) only when first
used, so that ``leadcycle --help`` starts quickly. Submodules are attributes
as usual (``leadcycle.loader``, ``leadcycle.engine``…).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> submodule that defines it
_LAZY = {
    **dict.fromkeys(("LeadBook", "LeadRecord", "open_book", "parse_now"), "api"),
    "Added": "model",
    "PLAN_MIN": "model",
    "count_en": "model",
    **dict.fromkeys(("LeadcycleError", "NotFound", "Refused"), "errors"),
    "hookimpl": "hookspecs",
    **dict.fromkeys(("Agent", "Choice", "Event", "EventKind", "Field", "Industry", "Label", "Lead",
                     "Reason", "Setting", "State", "Tally"), "model"),
    **dict.fromkeys(("Adjustment", "Cadence", "CadenceRule", "CadenceStop", "Cap", "Cond", "Count", "Criterion", "Derived",
                     "Dimension", "Expiring", "Feature", "GradeRule", "LeadView", "OwnershipPolicy", "Rating", "Ref",
                     "Scorecard", "Stage", "StageLadder"), "rules"),
    "Settings": "settings",
}

__all__ = [
    "Added", "Adjustment", "Agent", "Cadence", "CadenceRule", "CadenceStop", "Cap", "Choice", "Cond", "Count", "Criterion",
    "Derived", "Dimension", "Event", "EventKind", "Expiring", "Feature", "Field", "GradeRule", "Industry", "Label", "Lead",
    "LeadBook", "LeadRecord", "LeadView", "LeadcycleError", "NotFound", "OwnershipPolicy", "PLAN_MIN", "Reason",
    "Rating", "Ref", "Refused", "Scorecard", "Setting", "Settings", "Stage", "StageLadder", "State", "Tally", "count_en",
    "hookimpl", "loader", "open_book", "parse_now", "__version__",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif not name.startswith("__"):
        # a submodule: ``leadcycle.loader``, ``leadcycle.engine``…
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
