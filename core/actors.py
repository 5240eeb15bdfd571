"""Who may write an entry in a lead's register (DOMAIN §1, §3).

* Every entry names its author: ``log``, ``lead set``, ``advance`` and
  ``void`` need ``--agent`` (the importer records rows without an agent
  column as written by the import: ``agent`` empty and the registration's
  ``data.source`` naming the file and row).
* A follow-up records its time, content and the client's reaction
  (回访时间、沟通内容、客户反应): ``--note`` (or ``content``) and ``reaction``
  from a short vocabulary, with optional ``reaction_detail``.
* On a colleague's lead an agent writes only what the ownership rules
  foresee — a reception (``visit``, ``call``: the stand-in of §3.5), an
  ``assist`` (§3.6), a deal and its commission steps (a collision or a
  stand-in's close, §3.6, §3.11) — and the entry is marked ``not_owner``
  with the ``owner`` of the moment. A manager may write anything (marked
  the same way). A lead without an owner (the pool, a phone-only
  registration) is open to every agent.
"""

from __future__ import annotations

from .errors import LeadcycleError, Refused
from .model import Agent, Choice, Event, Field, Label
from .i18n import M_, N_

REACTIONS = (
    Choice("positive", Label("positive", "积极")),
    Choice("neutral", Label("neutral", "一般")),
    Choice("hesitant", Label("hesitant", "犹豫")),
    Choice("negative", Label("negative", "消极")),
    Choice("refused", Label("refused", "拒绝")),
    Choice("no_answer", Label("no answer", "未接通")),
)

#: the data fields a follow-up carries besides the channel and purpose
FOLLOW_UP_FIELDS = (
    Field("reaction", "choice", Label("client's reaction", "客户反应"), choices=REACTIONS),
    Field("reaction_detail", "str", Label("the reaction in the client's words", "客户反应（详细）")),
    Field("content", "str", Label("what was said (or --note)", "沟通内容（或 --note）")),
)

#: what a non-owner may always log on a lead: receptions and an assist
RECEPTION_KINDS = frozenset({"visit", "call", "assist"})


def require_actor(book, agent: str | None) -> Agent:
    """The author of an entry: an active agent (on an office database the
    signed-in one), or a one-line refusal."""
    agent = book.author(agent)
    if not agent or not str(agent).strip():
        raise LeadcycleError(N_("who wrote this entry? give --agent NAME (the register names the author "
                                "of every entry, DOMAIN §1)"))
    return book.agent(str(agent).strip())


def check_follow_up(data: dict, note: str | None) -> None:
    """A follow-up without its content or the client's reaction is refused,
    naming what is missing."""
    missing = []
    if not data.get("reaction"):
        missing.append(M_("the client's reaction (--set reaction={codes} or {words})",
                          codes="|".join(c.value for c in REACTIONS), words="/".join(c.label.zh for c in REACTIONS)))
    if not (note or "").strip() and not (data.get("content") or "").strip():
        missing.append(M_("what was said (--note \"…\" or --set content=…)"))
    if missing:
        raise LeadcycleError(N_("a follow-up needs {missing}: the register records the time, "
                                "content and reaction of every follow-up (回访时间、沟通内容、客户反应)"),
                             missing=missing[0] if len(missing) == 1 else M_("{first} and {second}", first=missing[0],
                                                                             second=missing[1]))


def foreseen_kinds(policy) -> frozenset[str]:
    """What the ownership policy lets an agent log on a colleague's lead."""
    steps = {s.kind for s in policy.commission_stages if s.kind}
    return RECEPTION_KINDS | set(policy.deal_kinds) | steps


#: the keys :func:`owner_mark` and :func:`away_mark` add to an entry's data,
#: whatever its kind declares
MARK_KEYS = ("not_owner", "owner", "owner_away")


def away_mark(away_at, owner: str, at) -> dict:
    """``{"owner_away": reason}`` when ``owner`` was marked away at ``at``
    (``away_at``: :func:`leadcycle.claims.away_at_from`): the colleague who
    writes on their lead stands in, and the fold opens no recognition
    window the owner could not meet (§3.6). A departed owner is no stand-in's."""
    why = away_at(owner, at)
    return {"owner_away": why} if why and why != "left" else {}


def owner_mark(policy, now, lead_id: int, who: Agent, kind: str, history: list[Event]) -> dict:
    """``{}`` when ``who`` owns the lead (or nobody does); the mark
    ``{"not_owner": True, "owner": …}`` when a colleague logs a foreseen
    kind or a manager logs anything; otherwise a refusal naming the owner.
    ``history`` is the lead's whole log (read under the write lock), folded
    under the industry's ownership ``policy`` at ``now``."""
    from . import ownership

    owner = ownership.resolve(history, policy, now).owner
    if owner is None or owner == who.name:
        return {}
    allowed = foreseen_kinds(policy)
    if who.is_manager or kind in allowed:
        return {"not_owner": True, "owner": owner}
    raise Refused(N_("lead #{lead_id} belongs to {owner}: {who} may log only "
                     "{allowed} on a colleague's lead; ask {owner} or a manager"),
                  lead_id=lead_id, owner=owner, who=who.name, allowed=', '.join(sorted(allowed)))
