"""``leadcycle advance``: move a lead along an advanced stage ladder.

Core behaviour for any industry whose :class:`~leadcycle.StageLadder` has
``mode="advanced"`` (the software project ladder, for one): the stage's
required information must be recorded, otherwise the command refuses and
names what is missing, having written nothing.
"""

from __future__ import annotations

import click

from .app import cli
from .commands import _lead_id, _print_state_line, pass_env, state_before, state_json
from .output import _, echo_json


@cli.command()
@click.argument("lead_id")
@click.argument("stage")
@click.option("--agent", help="The agent who moves the lead.")
@click.option("--note", help="Why (recorded with the stage event).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def advance(env, lead_id, stage, agent, note, as_json):
    """Move a lead to the next stage of its ladder.

    Move a lead to STAGE when the stage's required information is recorded.

    Examples:

    \b
    leadcycle advance 12 opportunity --agent 李娜
    leadcycle advance 12 lost --agent 李娜 --note "chose another vendor"
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    if agent is not None:
        book.agent(agent)
    before = state_before(book, lead_id)
    book.advance(lead_id, stage.strip(), agent=agent, note=note)
    record = book.record(lead_id)
    if as_json:
        out = state_json(record, env.lang)
        out["from_stage"] = before.stage
        echo_json(out)
        return
    ladder = book.context.for_industry(record.lead.industry).stages

    def label(name):
        s = ladder.stage(name) if ladder and name else None
        return s.label(env.lang) if s else (name or "-")

    click.echo(_("lead #{id}: stage {before} → {after}").format(
        id=lead_id, before=label(before.stage), after=label(record.state.stage)))
    _print_state_line(record, env.lang, env.book())
