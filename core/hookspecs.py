"""Hook specifications: what a leadcycle plugin can implement.

Plugins declare rules as data and the core evaluates them. Every hook below
is called once per command (or once per rescore run), never once per lead.
Hook implementations must not give their parameters default values: pluggy
passes the default, not the caller's argument.

Every result is checked against the type declared below, and each hook says
what happens to an implementation that raises (anything but
``KeyboardInterrupt``, ``SystemExit`` included) or returns the wrong type:

* :data:`SKIP` — collection and advice hooks: the implementation is left
  out, a one-line warning on stderr names the plugin, the hook and what was
  wrong, and the command goes on;
* :data:`REFUSE` — decision hooks, whose absence would silently change a
  grade, an owner, a check or a review: the command stops with one line
  naming the plugin and the hook, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Callable

import pluggy

# The hooks that take the open book name it by its public path, as a string
# ("leadcycle.LeadBook"): the hook specifications sit below the API and
# never import it (tests/test_layers.py).
if TYPE_CHECKING:  # pragma: no cover
    import click

    import leadcycle

    from .model import Event, Industry, Lead, Setting
    from .rules import Cadence, OwnershipPolicy, Scorecard, StageLadder
    from .settings import Settings

hookspec = pluggy.HookspecMarker("leadcycle")
hookimpl = pluggy.HookimplMarker("leadcycle")

SKIP = "skip"
REFUSE = "refuse"


def _on_error(policy: str):
    """Record what the loader does with a broken implementation of the hook."""

    def mark(spec):
        spec.leadcycle_on_error = policy
        return spec

    return mark


def on_error(hook_name: str) -> str:
    """:data:`SKIP` or :data:`REFUSE` for ``hook_name``."""
    return getattr(globals()[hook_name], "leadcycle_on_error")


@hookspec
@_on_error(SKIP)
def register_industries(register: "Callable[[Industry], None]") -> None:
    """Register the industries this plugin provides.

    Call ``register(Industry(...))`` once per industry: its name, zh/en
    labels, the lead attributes it reads (:class:`~leadcycle.Field` with type
    and allowed values) and the event kinds it adds to the core's
    (``visit``, ``call``, ``follow_up``, ``contract``…).

    Broken: *skipped*. What the plugin registers counts only when the whole
    call succeeds; a raise (or a ``register`` that refuses its argument)
    leaves all of this plugin's industries out, with a warning.

    :param register: checks and records one :class:`~leadcycle.Industry`;
        raises ``TypeError`` for anything else, ``ValueError`` for a
        duplicate name or a field that clashes with the core's.
    """


@hookspec
@_on_error(SKIP)
def register_settings(register: "Callable[[Setting], None]") -> None:
    """Declare per-database settings: thresholds, periods, methods.

    Every number a rule uses is a setting whose default is the document's
    value. Keys are ``section.name``; by convention the section is the
    industry name (``realestate.grading``) or the core area
    (``ownership.protection_days``).

    Broken: *skipped*, all of the plugin's settings together (a rule that
    then reads a missing setting fails in its own hook).

    :param register: checks and records one :class:`~leadcycle.Setting`;
        raises ``TypeError`` for anything else, ``ValueError`` for a key
        declared twice.
    """


@hookspec(firstresult=True)
@_on_error(REFUSE)
def scorecard(industry: str, settings: "Settings") -> "Scorecard | None":
    """The scorecard that grades leads of ``industry``.

    Called once per run; the core then evaluates the card over every lead.
    Read method choices and numbers from ``settings``.

    :param industry: the industry's name.
    :param settings: the database's settings (defaults filled in).
    Broken: *refuses* the command — skipping the card would silently grade
    the industry's leads by another plugin's card, or not at all.

    :returns: a :class:`~leadcycle.Scorecard`, or ``None`` when this plugin
        does not grade that industry.
    """


@hookspec(firstresult=True)
@_on_error(REFUSE)
def stages(industry: str, settings: "Settings") -> "StageLadder | None":
    """The ordered pipeline stages of ``industry``, with entry criteria.

    Broken: *refuses* the command (the stages would silently change).

    :returns: a :class:`~leadcycle.StageLadder` or ``None``.
    """


@hookspec(firstresult=True)
@_on_error(REFUSE)
def ownership_policy(industry: str, settings: "Settings") -> "OwnershipPolicy | None":
    """Which ownership rules apply to ``industry`` and with which numbers.

    The core's ``trylast`` implementation returns the defaults from the
    ``ownership.*`` settings (DOMAIN §3).

    Broken: *refuses* the command (owners and credit would silently fall
    back to the defaults).

    :returns: an :class:`~leadcycle.OwnershipPolicy` or ``None``.
    """


@hookspec(firstresult=True)
@_on_error(REFUSE)
def follow_up_cadence(industry: str, settings: "Settings") -> "Cadence | None":
    """How often leads of ``industry`` are followed up, per grade.

    Broken: *refuses* the command (follow-ups would silently disappear).

    :returns: a :class:`~leadcycle.Cadence` or ``None`` (no follow-up plan).
    """


@hookspec
@_on_error(SKIP)
def register_commands(cli: "click.Group") -> None:
    """Add commands to the ``leadcycle`` command line.

    A command may not replace or remove one that is already there (the
    core's, or an earlier plugin's, at any depth such as ``agent add``):
    the existing command stays and a warning names the plugin and the
    command. New commands, also inside existing groups, are welcome. An
    exception escaping a plugin's command is one line naming the plugin.

    Broken: *skipped* — a raise removes every command the plugin added.

    :param cli: the top-level :class:`click.Group`; use ``@cli.command()``.
    """


@hookspec
@_on_error(SKIP)
def register_migrations(register: "Callable[[object], None]") -> None:
    """Hand the core a :class:`sqlite_utils.migrations.Migrations` set for
    tables this plugin owns. Pending migrations are applied by ``leadcycle
    init`` and by the first write to a database, in one transaction.

    Broken: *skipped* (the plugin's tables are then missing and its own
    commands fail with one line). A set whose name is ``core`` or another
    plugin's is refused the same way.

    :param register: records one ``Migrations`` instance; raises
        ``TypeError`` for anything else.
    """


@hookspec
@_on_error(SKIP)
def due_items(book: "leadcycle.LeadBook", agent: "str | None", today: "dt.date") -> "list[dict] | None":
    """Extra items for ``leadcycle due`` beyond follow-ups the cadence set
    (protection periods about to lapse, accounts to downgrade…).

    Called once per ``due`` run. Query through ``book.store`` with indexed
    queries; never scan every lead.

    :param book: the open :class:`~leadcycle.LeadBook` (its clock is ``book.now``).
    :param agent: only this agent's items, or ``None`` for everyone's.
    :param today: the day the list is for.
    :returns: dicts with at least ``lead_id``, ``owner``, ``kind`` (a short
        code such as ``lapse_warning``) and ``text`` (a
        :class:`~leadcycle.Label` or text); optional ``grade``,
        ``days_overdue`` and other plain values (text, numbers, dates).

    Broken: *skipped* — all of the plugin's items, with a warning; the rest
    of the list is printed.
    """


@hookspec
@_on_error(REFUSE)
def run_review(book: "leadcycle.LeadBook", apply: "bool") -> "list[dict] | None":
    """The periodic review (weekly downgrades, account level changes…).

    Called once per ``leadcycle review``, by :meth:`LeadBook.review
    <leadcycle.LeadBook.review>`, inside the one write transaction that
    holds every plugin's review: decide from what you read there (not from
    an analysis made earlier), and raise to roll the whole review back.
    Each change is written as an event with its reason, so running the
    review twice at the same clock changes nothing the second time.

    :param book: the open :class:`~leadcycle.LeadBook`.
    :param apply: ``False`` for a dry run that writes nothing.
    Broken: *refuses* the command — a review that stops half-way must not
    look complete: ``review`` exits non-zero with one line naming the
    plugin, and what the review wrote is rolled back.

    :returns: dicts with ``lead_id``, ``change`` and ``reason`` (each a
        :class:`~leadcycle.Label` or text: a Label is shown in the reader's
        language) for every change made or proposed;
        and ``{"note": Label}`` for what the operator should know of the
        review as a whole (real estate's: this week is reviewed already, so
        neither a run nor a dry run changes anything until Monday).
    """


@hookspec
@_on_error(REFUSE)
def check_event(book: "leadcycle.LeadBook", lead: "Lead", events: "list[Event]", event: "Event") -> None:
    """Refuse an event that the lead's history makes invalid.

    Called once per new event, inside the write transaction of
    :meth:`~leadcycle.LeadBook.append` (so ``leadcycle log`` and every
    plugin command that writes), before anything is written — one call per
    write on one lead, never on the bulk path. Raise
    :class:`~leadcycle.LeadcycleError` with one line (what was wrong, what
    to do) to refuse the whole write; return ``None`` to accept. Check only
    leads of your own industries (``lead.industry``). Field types and
    minimums are already checked; this is for rules over the history, such
    as "a payment before any order".

    Broken: *refuses* the write (fails closed): any other exception, or a
    result other than ``None``, is one line naming the plugin, and nothing
    is written.

    :param book: the open :class:`~leadcycle.LeadBook` (its clock is ``book.now``).
    :param lead: the lead as stored (attributes folded).
    :param events: the lead's log before ``event``, oldest first (including
        the earlier events of the same write).
    :param event: the event about to be appended.
    """


@hookspec
@_on_error(SKIP)
def populate_demo(book: "leadcycle.LeadBook", rng: "random.Random", start: "dt.datetime", days: "int") -> None:
    """Fill the demo database (``leadcycle demo``) with synthetic leads of
    this plugin's industries and their events over ``days`` simulated days
    from ``start``.

    Move the clock with ``with book.at(moment): ...``; write through the
    public API (``add_lead``, ``log``, ``set``) so the demo exercises the
    same paths as operators. Use ``rng`` only, so the demo is repeatable.
    Agents ``李娜``, ``王强``, ``赵敏`` and the manager ``陈经理`` exist.

    :param book: the open demo :class:`~leadcycle.LeadBook`.
    :param rng: the seeded random generator.
    :param start: the first simulated day.
    Broken: *skipped* with a warning; the demo keeps what the plugin wrote
    before it failed.

    :param days: how many days the simulation covers.
    """
