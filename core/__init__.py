"""leadcycle: sales leads (意向客户) from first contact to closed deal.

The public API for integrators and plugin authors::

    from leadcycle import hookimpl, Industry, Field, EventKind, Setting, Label
    from leadcycle import Scorecard, Criterion, Cond, GradeRule, Dimension, Cap
    from leadcycle import StageLadder, Stage, Cadence, CadenceRule, OwnershipPolicy
    from leadcycle import LeadBook
"""

from .api import Added, LeadBook, LeadRecord, open_book, parse_now
from . import loader
from .errors import LeadcycleError, NotFound, Refused
from .hookspecs import hookimpl
from .model import Agent, Choice, Event, EventKind, Field, Industry, Label, Lead, Reason, Setting, State
from .rules import (
    Adjustment,
    Cadence,
    CadenceRule,
    Cap,
    Cond,
    Criterion,
    Dimension,
    Expiring,
    Feature,
    GradeRule,
    LeadView,
    OwnershipPolicy,
    Rating,
    Scorecard,
    Stage,
    StageLadder,
)
from .settings import Settings

__version__ = "0.1.0"

__all__ = [
    "Added", "Adjustment", "Agent", "Cadence", "CadenceRule", "Cap", "Choice", "Cond", "Criterion",
    "Dimension", "Event", "EventKind", "Expiring", "Feature", "Field", "GradeRule", "Industry", "Label", "Lead",
    "LeadBook", "LeadRecord", "LeadView", "LeadcycleError", "NotFound", "OwnershipPolicy", "Reason",
    "Rating", "Refused", "Scorecard", "Setting", "Settings", "Stage", "StageLadder", "State", "hookimpl",
    "loader", "open_book", "parse_now", "__version__",
]
