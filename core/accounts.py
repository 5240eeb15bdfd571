"""Accounts and sessions on a lead database (issue #10; the rules are in
:mod:`leadcycle.auth`).

A database is one of three kinds, kept in ``meta.mode``:

* **office** — it has an admin account (made by ``leadcycle init --admin
  NAME``): every write takes the machine's clock (``--now`` is for reads)
  and acts as the signed-in agent;
* **simulation** — made by ``leadcycle init --simulation`` (the demo, the
  tests, training): the clock is free and commands name their agent; it
  never becomes an office database;
* neither (a database made by plain ``init``, or by an older leadcycle):
  a trial that behaves like a simulation until its first admin account is
  made, which turns it into an office database for good.

Sessions run on the machine's clock, never the simulated one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from . import auth
from .errors import LeadcycleError, NotFound, Refused
from .model import Agent
from .validate import require_text
from .i18n import M_, N_

MODE_KEY = "mode"


def wall_clock(book) -> dt.datetime:
    """The machine's clock in the office's time zone (naive, to the second)."""
    tz = book.settings["core.timezone"]
    return dt.datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def mode(store) -> str | None:
    return store.get_meta(MODE_KEY)


def is_office(store) -> bool:
    return mode(store) == "office"


def mark_simulation(book) -> None:
    """``init --simulation``: refused on an office database."""
    with book.store.transaction(check=False):
        current = mode(book.store)
        if current == "office":
            raise Refused(N_("{store_path} is an office database; it cannot become a simulation "
                             "(make a new one with: leadcycle --db NEW.db init --simulation)"),
                          store_path=book.store.path)
        book.store.set_meta(MODE_KEY, "simulation")


def make_admin(book, name: str, secret: str, team: str | None = None) -> Agent:
    """The first account of an office (``init --admin NAME``): an admin with
    a secret. Makes the database an office database, unless it is a
    simulation. Refused when an admin account exists already."""
    name = require_text(M_("admin name"), name, basics=False).strip()
    secret_hash = auth.hash_secret(secret)
    with book.store.transaction(check=False):
        if any(a.role == "admin" and book.store.credential(a.name) for a in book.store.list_agents()):
            raise Refused(N_("this database has an admin already; they add accounts with: "
                             "leadcycle agent add NAME --manager"))
        existing = book.store.get_agent(name)
        if existing is None:
            book.store.add_agent(Agent(name=name, team=team, is_manager=True, role="admin",
                                       created_at=wall_clock(book).isoformat()))
        else:
            book.store.update_agent(name, role="admin", is_manager=1)
        book.store.set_credential(name, secret_hash, wall_clock(book))
        if mode(book.store) != "simulation":
            book.store.set_meta(MODE_KEY, "office")
    return book.store.get_agent(name)


def set_secret(book, name: str, secret: str) -> None:
    """Give an agent a password or PIN (replacing any earlier one, and
    ending their open sessions)."""
    secret_hash = auth.hash_secret(secret)
    with book.store.transaction(check=False):
        agent = book.store.get_agent(name)
        if agent is None:
            raise NotFound(N_("unknown agent {name!r}; see: leadcycle agent list"), name=name)
        now = wall_clock(book)
        book.store.set_credential(name, secret_hash, now)
        book.store.end_sessions(now, agent=name)


def set_role(book, name: str, role: str) -> Agent:
    auth.check_role(role)
    with book.store.transaction(check=False):
        agent = book.store.get_agent(name)
        if agent is None:
            raise NotFound(N_("unknown agent {name!r}; see: leadcycle agent list"), name=name)
        if agent.role == "admin" and role != "admin" and sum(
                1 for a in book.store.list_agents() if a.role == "admin" and a.active) <= 1:
            raise Refused(N_("{name} is the only admin; make another admin first"), name=name)
        book.store.update_agent(name, role=role, is_manager=int(role in ("manager", "admin")))
    return book.store.get_agent(name)


def login(book, name: str, secret: str) -> tuple[str, dt.datetime]:
    """Check the secret and open a session; returns ``(token, expires)``.
    A wrong name or secret gets the same line, so names cannot be probed."""
    agent = book.store.get_agent((name or "").strip())
    if agent is None or not auth.verify_secret(secret, book.store.credential(agent.name)):
        raise Refused(N_("wrong name or password; try again, or ask an admin to set one: "
                         "leadcycle agent password NAME"))
    if not agent.active:
        raise Refused(N_("{agent} has left; their account is closed"), agent=agent.name)
    token = auth.new_token()
    now = wall_clock(book)
    expires = now + dt.timedelta(hours=book.settings["auth.session_hours"])
    with book.store.transaction(check=False):
        book.store.add_session(auth.token_hash(token), agent.name, now, expires)
    return token, expires


def session_agent(book, token: str) -> Agent:
    """The agent a token signs in, or a one-line refusal (unknown, ended,
    expired, or the agent has left)."""
    row = book.store.session(auth.token_hash(token))
    if row is None:
        raise Refused(N_("this session is not known to this database; sign in with: leadcycle login"))
    if row["ended_at"]:
        raise Refused(N_("this session has ended (signed out, or the password was changed since); sign in again "
                         "with: leadcycle login"))
    if row["expires_at"] <= wall_clock(book).isoformat():
        raise Refused(N_("your session expired at {expires_at}; sign in again with: leadcycle login"),
                      expires_at=row['expires_at'])
    agent = book.store.get_agent(row["agent"])
    if agent is None or not agent.active:
        raise Refused(N_("{agent} has left; their account is closed"), agent=row['agent'])
    return agent


def logout(book, token: str) -> bool:
    with book.store.transaction(check=False):
        return book.store.end_sessions(wall_clock(book), token_hash=auth.token_hash(token)) > 0


def session_info(book, token: str) -> dict:
    row = book.store.session(auth.token_hash(token))
    if row is None:
        raise LeadcycleError(N_("not signed in"))
    return row
