"""The Python API: a :class:`LeadBook` is one lead database with its rules.

Every method that writes is one transaction: it validates, appends events,
re-projects the leads it touched, and commits — or raises
:class:`~leadcycle.LeadcycleError` having written nothing.

    book = LeadBook.create("leads.db", industries=["realestate"], now=clock)
    added = book.add_lead("realestate", name="张伟", gender="M",
                          phone="138 0013 8000", need="三房", agent="李娜")
    book.log(added.lead.id, "visit", agent="李娜")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from typing import Any, Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

import attrs

from . import actors, claims, correct, corrections, engine, names, ownership, reception
from .errors import LeadcycleError, NotFound, Refused
from .model import CLOCK_END, CLOCK_MIN, Added, Agent, Event, Fold, Industry, Label, Lead, Reason, State, fold_tag_holds
from .privacy import mask_phone
from .registry import Context, IndustryRules, Registry
from .settings import Settings
from .storage import CORE_TALLIES, Store, settled_sql
from .validate import (FAMILY_RELATIONS, RELATION_WORDS, agent_name_problem, normalize_gender, normalize_phone,
                       require_text)
from .i18n import M_, N_


def parse_now(text: str | None, timezone: str | None = "Asia/Shanghai") -> dt.datetime | None:
    """``--now`` as office wall-clock time. A value with an offset is
    converted to the office time zone (``timezone``; None keeps the offset,
    for a :class:`LeadBook` to convert by its own ``core.timezone``); a bare
    date means midnight."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise LeadcycleError(N_("--now {text!r} is not an ISO-8601 time such as 2026-03-05T10:30"), text=text) from None
    if not CLOCK_MIN <= value.replace(tzinfo=None) < CLOCK_END:
        raise LeadcycleError(N_("--now {text!r} is outside the years {first}–{last} a lead database holds; "
                                "check the year"), text=text, first=CLOCK_MIN.year, last=CLOCK_END.year - 1)
    if value.tzinfo is not None and timezone is not None:
        value = value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return value.replace(microsecond=0)


def no_lead_for_relation(relation: str, industry: str, phone: str, name: str) -> LeadcycleError:
    """The refusal of a relation (close family) on a phone no lead of
    ``industry`` has: ``lead add --relation`` and an import row say the same."""
    return LeadcycleError(N_("--relation {relation}: no {industry} lead has phone {phone}; "
                             "--relation records close family on the lead of the same phone. Register "
                             "{name} without it (a family member with another phone is a lead of their own)"),
                          relation=relation, industry=industry, phone=mask_phone(phone), name=name)


def validate_registration(ind: Industry, *, name: Any, gender: Any, phone: Any, need: Any,
                          attributes: dict[str, Any] | None = None, channel: str = "visit",
                          relation: str | None = None,
                          today: dt.date | None = None) -> tuple[str, str, str, str, dict[str, Any]]:
    """The checks of a registration (DOMAIN §1: the three basics, a valid
    phone, allowed attribute values), shared by ``add_lead`` and the
    importer. Returns ``(name, gender, phone, need, attributes)`` normalised,
    or raises :class:`LeadcycleError` with one line saying what to fix.
    ``today`` is the clock's day, which a past-only date (a birth date)
    cannot exceed."""
    name = require_text(M_("name"), name)
    gender = normalize_gender(gender)
    if not phone or not str(phone).strip():
        require_text(M_("phone"), phone)
    phone = normalize_phone(phone)
    need = require_text(M_("need"), need)
    if channel not in ("visit", "call"):
        raise LeadcycleError(N_("channel {channel!r} is not visit or call"), channel=channel)
    if relation is not None and relation not in FAMILY_RELATIONS:
        raise LeadcycleError(N_("relation {relation!r} is not one of {family_relations}"),
                             relation=relation, family_relations=', '.join(FAMILY_RELATIONS))
    return name, gender, phone, need, coerce_attributes(ind, attributes or {}, today)


def family_names(events: Iterable[Event]) -> list[str]:
    """The close family recorded on a lead (``set`` events with a
    ``family_member``): one lead with it, so their names are its names
    for the duplicate check."""
    return [e.data["family_member"]["name"] for e in events
            if e.kind == "set" and e.data.get("family_member", {}).get("name")]


def coerce_attributes(industry: Industry, raw: dict[str, Any],
                      today: dt.date | None = None) -> dict[str, Any]:
    out = {}
    for key, value in raw.items():
        field = industry.field(key)
        if field is None:
            known = ", ".join(f.name for f in industry.fields) or "none"
            raise NotFound(N_("unknown attribute {key!r} for {industry}; known: {known} "
                              "(see: leadcycle fields --industry {industry})"),
                           key=key, industry=industry.name, known=known)
        out[key] = field.coerce(value, today)
    return out


class Review(list):
    """What :meth:`LeadBook.review` returns: the changes made or proposed
    (dicts with ``lead_id``, ``change`` and ``reason``), and ``notes``, the
    :class:`~leadcycle.Label` s a plugin said of its review as a whole
    (``{"note": …}`` among its ``run_review`` dicts: a week already
    reviewed), for the operator to read beside them."""

    def __init__(self, changes: Iterable[dict] = (), notes: Iterable = ()) -> None:
        super().__init__(changes)
        self.notes = list(notes)


@attrs.frozen
class LeadRecord:
    lead: Lead
    state: State
    #: the entries up to the clock: seen from an earlier clock, later ones
    #: have not happened yet
    events: tuple[Event, ...]
    industry: Industry | None
    #: how many entries come after the clock (left out of ``events``)
    later: int = 0


class LeadBook:
    def __init__(self, store: Store, now: dt.datetime | None = None,
                 registry: Registry | None = None):
        self.store = store
        self._now = now
        self.registry = registry or Registry.current()
        self._context: Context | None = None
        self._cache: dict = {}
        #: the signed-in agent (the CLI sets it from the session; an
        #: integrator from its own sign-in); ``actor_problem`` says why
        #: there is none when a session was given but is not valid
        self.actor: Agent | None = None
        self.actor_problem: LeadcycleError | None = None
        store.before_write = self._check_write
        store.tallies = CORE_TALLIES + self.registry.tallies
        self._tz: ZoneInfo | None = None
        #: what this run's overlay holds: for which clock and rules, which
        #: leads it evaluated, and whether all the stale ones
        self._live_key: tuple | None = None
        self._live_done: set[int] = set()
        self._live_all = False
        #: how many leads this run's reads evaluated (their stored
        #: projection did not hold at the clock, or under these rules)
        self.evaluated = 0

    # ----------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str, now: dt.datetime | None = None) -> "LeadBook":
        """An existing database. Its first write applies pending migrations
        (a database made by an older leadcycle); one written by a newer
        leadcycle is refused."""
        registry = Registry.current()
        return cls(Store.open(path, registry.migrations), now, registry)

    @classmethod
    def create(cls, path: str, industries: Iterable[str] = (), now: dt.datetime | None = None) -> "LeadBook":
        registry = Registry.current()
        for name in industries:
            registry.industry(name)  # unknown industry: fail before creating anything
        store = Store.create(path, registry.migrations) if path != ":memory:" else Store.memory(registry.migrations)
        book = cls(store, now, registry)
        book.init(industries)
        return book

    def init(self, industries: Iterable[str]) -> list[str]:
        """Apply pending migrations and enable ``industries``; safe to repeat.
        Returns the industries newly enabled."""
        names = list(dict.fromkeys(industries))
        for name in names:
            self.registry.industry(name)
        self.store.migrate(self.registry.migrations)
        added: list[str] = []
        if names:  # nothing to enable is no write (and needs nobody signed in)
            # their rules, as the first command on their leads would load
            # them: a plugin's broken rule refuses the enabling, not that command
            self.registry.context(Settings(self.registry.settings, self.store.stored_settings()), names)
            with self.store.transaction():
                added = [n for n in names if self.store.enable_industry(n, self.now)]
        self._context = None
        return added

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------- clock

    @contextlib.contextmanager
    def at(self, moment: dt.datetime):
        """Run a block with the clock set to ``moment`` (simulations, the demo)."""
        saved = self._now
        self._now = moment.replace(microsecond=0)
        try:
            yield self
        finally:
            self._now = saved

    # ------------------------------------------------------ office rules

    @property
    def office(self) -> bool:
        """An office database (it has an admin account): writes take the
        machine's clock and are made by the signed-in agent. See
        :mod:`leadcycle.accounts`."""
        from . import accounts

        return accounts.is_office(self.store)

    def _check_write(self) -> None:
        """Before any write transaction on an office database: the clock
        must be the machine's, and somebody must be signed in."""
        if not self.office:
            return
        if not self.clock_is_live:
            raise Refused(N_("this is an office database: writes take the machine's clock, so --now "
                             "(LEADCYCLE_NOW) is only for reads; drop it, or practise on a simulation "
                             "database (leadcycle --db practice.db init --simulation)"))
        if self.actor is None:
            if self.actor_problem is not None:
                raise Refused(self.actor_problem.message, **self.actor_problem.params)
            raise Refused(N_("nobody is signed in, and signed out you can only read; sign in with: leadcycle login"))

    def author(self, name: str | None, what: str = "--agent") -> str | None:
        """Who writes: on an office database the signed-in agent (naming
        somebody else is refused); elsewhere the agent named, if any."""
        if not self.office:
            return name
        self._check_write()  # signed in, on the machine's clock (else the one line why not)
        if name not in (None, "") and name != self.actor.name:
            raise Refused(N_("on an office database you act as yourself: you are signed in as "
                             "{actor}, not {name} (drop {what})"), actor=self.actor.name, name=name, what=what)
        return self.actor.name

    def sign_in(self, name: str, secret: str) -> str:
        """Sign in as ``name`` (an integrator's own session): later writes
        act as that agent. Returns the session's token, which
        :meth:`use_session` accepts in another process."""
        from . import accounts

        token, _ = accounts.login(self, name, secret)
        self.use_session(token)
        return token

    def use_session(self, token: str) -> Agent:
        """Act as the agent a session token signs in (refused in one line
        when it is unknown, ended or expired)."""
        from . import accounts

        self.actor = accounts.session_agent(self, token)
        return self.actor

    def require(self, role: str, what: str) -> None:
        """On an office database, the signed-in agent needs ``role``
        (agent, manager or admin) for ``what``; one line naming it if not."""
        from . import auth

        if not self.office:
            return
        self._check_write()
        auth.require_role(self.actor.name, self.actor.role, role, what)

    @property
    def now(self) -> dt.datetime:
        """The office's wall-clock time, to the second.

        A fixed clock (``now=`` when opening, ``--now``, :meth:`at`) is
        returned as is. Otherwise the clock is live: inside a write
        transaction it is the moment the write lock was taken (the same for
        the whole transaction, so every event of one write has one time and
        events of one lead are in time order whatever the interleaving of
        processes); outside, the wall clock read now — never a value kept
        from an earlier write."""
        if self._now is not None:
            if self._now.tzinfo is not None:  # a moment with an offset: the office's time then
                local = self._now.astimezone(self._zone()).replace(tzinfo=None)
                if not CLOCK_MIN <= local < CLOCK_END:  # 2099-12-31T23:59-12:00 is 2100 in Shanghai
                    raise LeadcycleError(N_("--now {text} is {local} in the office's time zone, outside the years "
                                            "{first}–{last} a lead database holds; check the year"),
                                         text=self._now.isoformat(), local=local.isoformat(sep=" "),
                                         first=CLOCK_MIN.year, last=CLOCK_END.year - 1)
                return local
            return self._now
        moment = self.store.locked_at or dt.datetime.now(dt.timezone.utc)
        return moment.astimezone(self._zone()).replace(tzinfo=None, microsecond=0)

    @property
    def clock_is_live(self) -> bool:
        """True unless the clock is fixed (``--now``, :meth:`at`)."""
        return self._now is None

    def _zone(self) -> ZoneInfo:
        if self._tz is None:
            self._tz = ZoneInfo(self.settings["core.timezone"])
        return self._tz

    # ---------------------------------------------------------- settings

    @property
    def settings(self) -> Settings:
        return Settings(self.registry.settings, self.store.stored_settings())

    def set_setting(self, key: str, raw: Any) -> Any:
        self.require("admin", M_("changing a setting"))
        settings = self.settings
        value = settings.coerce(key, raw)
        if key == "core.timezone":
            try:
                ZoneInfo(value)
            except Exception:
                raise LeadcycleError(N_("core.timezone: {value!r} is not a time zone such as Asia/Shanghai"),
                                     value=value) from None
        if key == "ownership.lunch_duty_agent":  # said now, not skipped silently at lunch
            reception.check_lunch_duty_agent(self, str(value or "").strip())
        self._rules_under({**self.store.stored_settings(), key: value}, key, value)
        with self.store.transaction():
            self.store.set_setting(key, value, self.now)
        self._context = None
        self._tz = None
        return value

    def _rules_under(self, stored: Mapping[str, Any], key: str | None = None, value: Any = None) -> None:
        """The enabled industries' rules under the settings ``stored``, as
        the next command would load them: a plugin whose rules break under
        a setting's new value refuses the change, not every command after it."""
        from . import loader

        try:
            self.registry.context(Settings(self.registry.settings, stored), self.store.enabled_industries())
        except loader.PluginFailed as e:
            raise Refused(N_("{key} stays as it is: under {value} the rules of plugin {plugin!r} would be refused in "
                             "{hook} ({problem}); keep the value, or have the plugin fixed"),
                          key=key, value=M_("its default") if value is None else value, plugin=e.plugin,
                          hook=e.hook, problem=e.problem) from None

    def reset_setting(self, key: str) -> None:
        self.require("admin", M_("changing a setting"))
        settings = self.settings
        settings.check_relations(key, settings.setting(key).default)  # the default must fit the others too
        self._rules_under({k: v for k, v in self.store.stored_settings().items() if k != key}, key)
        with self.store.transaction():
            self.store.delete_setting(key, self.now)
        self._context = None
        self._tz = None

    @property
    def context(self) -> Context:
        if self._context is None:
            stored = self.store.stored_settings()
            industries = self.store.enabled_industries()
            self._context = self.registry.context(Settings(self.registry.settings, stored), industries)
            self._cache = {}
            # a setting no projection reads (a credit split, a claim limit)
            # leaves the stored projections good
            declared = self.registry.settings
            projected = {k: v for k, v in stored.items() if k not in declared or declared[k].projection}
            self._rules_version = rules_version(projected, industries)
        return self._context

    @property
    def rules_version(self) -> str:
        """A short hash of everything the rules depend on but the log and the
        clock: the settings a projection reads (:attr:`Setting.projection`),
        the enabled industries, the loaded plugins and the program's version. A stored projection made under another
        version is not trusted by a read."""
        self.context
        return self._rules_version

    def installed_industries(self) -> list[str]:
        """The enabled industries whose plugin is installed (a report goes
        on without one that is gone; its leads keep what was last computed)."""
        return [n for n in self.store.enabled_industries() if n in self.registry.industries]

    def industry(self, name: str) -> Industry:
        industry = self.registry.industry(name)
        if name not in self.store.enabled_industries():
            raise NotFound(N_("industry {name!r} is not enabled in this database; "
                              "run: leadcycle init --industry {name}"), name=name)
        return industry

    def only_industry(self) -> str | None:
        """The industry a command without ``--industry`` means: the one
        enabled in this database (with its plugin installed), else None."""
        enabled = [n for n in self.store.enabled_industries() if n in self.registry.industries]
        return enabled[0] if len(enabled) == 1 else None

    # ------------------------------------------------------------ agents

    def add_agent(self, name: str, team: str | None = None, manager: bool = False) -> Agent:
        name = require_text(M_("agent name"), name, basics=False).strip()
        problem = agent_name_problem(name)
        if problem is not None:
            raise problem
        self.require("admin", M_("adding an agent"))
        with self.store.transaction():
            if self.store.get_agent(name) is not None:
                raise LeadcycleError(N_("agent {name!r} already exists; see: leadcycle agent list"), name=name)
            agent = Agent(name=name, team=team, is_manager=manager, created_at=self.now.isoformat())
            self.store.add_agent(agent)
        return agent

    def agent(self, name: str | None, *, manager: bool = False, what: str = "agent",
              reading: bool = False) -> Agent:
        """An agent who exists and has not left (and is a manager, if asked).
        For a read (``reading``), one who left after the clock is taken: a
        read into the past sees them at work.

        With ``manager=True`` the agent is the one acting with a manager's
        authority: on an office database that is the signed-in agent, who
        must be a manager."""
        if manager and self.office:
            name = self.author(name, what)
            self.require("manager", M_("acting as {what}", what=what))
        if not name:
            raise LeadcycleError(N_("{what} is required: give --agent NAME"), what=what)
        agent = self.store.get_agent(name)
        if agent is None:
            problem = agent_name_problem(name)
            if problem is not None:  # 李娜/王强 names two: not an agent to add (agent add refuses it too)
                raise problem
            raise NotFound(N_("unknown agent {name!r}; add them with: leadcycle agent add {name!r}"),
                           name=name)
        if agent.gone_by(self.now) if reading else not agent.active:
            raise Refused(N_("agent {name!r} has left; choose an active agent (leadcycle agent list)"),
                          name=name)
        if manager and not agent.is_manager:
            raise Refused(N_("{name} is not a manager; only a manager may do this"), name=name)
        return agent

    def agents(self) -> list[Agent]:
        """The agents, each away or gone as the reception log says at the
        clock (an agent who left after it is active in a read into the
        past, as the ownership folds take them). An agent added after the
        clock is listed: the agents are not dated by the log, and an
        office's records may predate the agents they name."""
        now = self.now
        if not self.store.has_receptions():
            return self.store.list_agents()  # an older database's agents, as stored
        away_at = claims.away_at_from(self)
        out = []
        for a in self.store.list_agents():
            gone = a.gone_by(now)
            state = away_at(a.name, now)
            out.append(attrs.evolve(a, active=not gone, away=None if gone or state == "left" else state))
        return out

    # ------------------------------------------------------------- leads

    def add_lead(self, industry: str, *, name: str | None, gender: str | None, phone: str | None,
                 need: str | None, attributes: dict[str, Any] | None = None, agent: str | None = None,
                 channel: str = "visit", relation: str | None = None, different_person: bool = False,
                 extra: dict[str, Any] | None = None, asks_for: str | None = None,
                 referred_by: int | None = None, referral_proof: str | None = None,
                 registered_as: str | None = None, family_of: int | None = None) -> Added:
        """Register a lead. The three basics are required (DOMAIN §1).

        A phone already registered in this industry needs a decision
        (:meth:`_shared_phone`): a name that matches a lead on it
        (:func:`leadcycle.names.match`: ``張偉``, ``张伟先生``, ``ZHANG Wei``
        are ``张伟``) is that lead, and the call is refused naming it and its
        owner; another name is refused unless the caller says who the person
        is — close family (``relation``: recorded on that lead) or
        ``different_person`` (a new lead; the decision is kept in its
        ``register`` event)."""
        ind = self.industry(industry)
        name, gender, phone, need, attributes = validate_registration(
            ind, name=name, gender=gender, phone=phone, need=need, attributes=attributes,
            channel=channel, relation=relation, today=self.now.date())
        if relation is not None and different_person:
            raise LeadcycleError(N_("give either --relation (close family: one lead) or --different-person "
                                    "(a lead of their own), not both"))
        with self.store.transaction():
            now = self.now
            agent = self.author(agent)
            if agent is not None:
                self.agent(agent)
            if family_of is not None:  # close family with a phone of their own (DOMAIN §3, 002)
                joined = claims.family_arrival(self, industry, family_of, name, gender, phone, relation, agent)
                if joined is not None:
                    return joined
            family, shared = self._shared_phone(industry, phone, name,
                                                relation=relation if family_of is None else None,
                                                different_person=different_person or family_of is not None)
            if family is not None:
                lead = family
                member = {"name": name, "gender": gender, "relation": relation,
                          **({"need": need} if need and need != lead.need else {})}
                events = [Event(None, lead.id, "set", now, agent, {"changes": {}, "family_member": member})]
                marker = then = None
                if agent is not None and channel in ("visit", "call"):
                    # the family member came (or called): the lead's contact; a
                    # colleague's reception of them is marked as ``log`` marks it,
                    # and a visit that makes the lead a new client is the queue's
                    contact = {"family_visitor": name}
                    events.insert(0, Event(None, lead.id, channel, now, agent, contact))
                    marker = self._marker(lead, self.agent(agent), channel, contact)
                    if channel == "visit":
                        def then(history, industry=lead.industry):
                            visit = next(e for e in reversed(history) if e.kind == "visit")
                            claims.queue_visit(self, industry, visit, history[:history.index(visit) + 1])
                state, _ = self._append(lead.id, events, history_check=marker, then=then)
                return Added(self.store.get_lead(lead.id), state, "family",
                             M_("same lead #{id}: {name} is {lead}'s {relation} (a family visiting together is "
                                "one lead; the first registration counts)", id=lead.id, name=name, lead=lead.name,
                                relation=RELATION_WORDS.get(relation, relation)))
            message = None
            if shared:
                extra = {**(extra or {}), "different_person_from": [lead.id for lead in shared]}
                message = M_("phone {phone} is also on lead #{id} ({name}); registered as a different person, "
                             "as you said", phone=mask_phone(phone), id=shared[0].id, name=shared[0].name)
            owned = claims.registration_data(self, industry, phone, asks_for=asks_for,
                                             referred_by=referred_by, referral_proof=referral_proof,
                                             channel=channel, agent=agent, registered_as=registered_as,
                                             family_of=family_of, relation=relation)
            lead = Lead(None, industry, name, gender, phone, need, now, attributes)
            lead_id = self.store.insert_lead(lead)
            data = {"name": name, "gender": gender, "phone": phone, "need": need,
                    "attributes": attributes, "channel": channel, **owned, **(extra or {})}
            register = Event(None, lead_id, "register", now, agent, data)
            self._check_events(lead_id, [], [register])  # plugins refuse contradictory attributes
            self.store.append_event(register)
            touched = claims.after_registration(self, lead_id, register)  # e.g. the family's first lead
            state = self._reproject([lead_id, *touched])[0]
        return Added(self.store.get_lead(lead_id), state, "created", message)

    def _owner_text(self, lead: Lead) -> str:
        """The lead's owner at the clock (the stored projection may name
        one whose protection has lapsed since), or the pool."""
        owner = claims.live(self, lead.id)[2].owner
        return owner if owner else M_("no owner (pool)")

    def _people_on(self, leads: list[Lead]) -> list[tuple[tuple[Lead, str], str]]:
        """``((lead, name), name)`` for each lead's own name, then for each
        close family member recorded on it — the candidates of
        :func:`names.find`."""
        out = [((lead, lead.name), lead.name) for lead in leads]
        for lead in leads:
            out += [((lead, n), n) for n in family_names(self.store.events_for(lead.id))]
        return out

    def _shared_phone(self, industry: str, phone: str, name: str, *, relation: str | None = None,
                      different_person: bool = False, lead_id: int | None = None) -> tuple[Lead | None, list[Lead]]:
        """The decision a second person on a registered phone needs (DOMAIN
        §1; 撞单 is what it prevents). Call under the write lock.

        The other leads on ``phone`` (but ``lead_id``, the lead being
        changed) are compared by name (:func:`names.match`). A whole-name
        match is that lead: refused. A bare surname with an honorific
        (``张先生``) that fits a lead is refused unless the caller says who
        the person is; so is an unmatched name. Returns ``(lead, [])`` when
        ``relation`` records the person on ``lead``, ``(None, others)`` for a
        new lead (``others`` non-empty when ``different_person`` was said)."""
        others = [lead for lead in self.store.leads_by_phone(industry, phone) if lead.id != lead_id]
        if not others and relation is not None:
            raise no_lead_for_relation(relation, industry, phone, name)
        if not others:
            return None, []
        found = names.find(name, self._people_on(others))
        if found is not None and found[1] == names.NAME:
            lead, known = found[0]
            same = ("" if known == name else M_(" ({name} is the same name)", name=name) if known == lead.name
                    else M_(" ({name} is {known}, recorded on it as close family)", name=name, known=known))
            raise LeadcycleError(
                N_("phone {phone} is already lead #{lead_id} ({lead}, owner: {owner_text}){same}; "
                   "a returning client is logged with: leadcycle log {lead_id} visit --agent NAME"),
                phone=mask_phone(phone), lead_id=lead.id, lead=lead.name, owner_text=self._owner_text(lead),
                same=same)
        lead = found[0][0] if found is not None else others[0]
        if relation is not None:
            return lead, []
        if different_person:
            return None, others
        how = (M_("and {name} may be {lead} (a returning client is logged with: leadcycle log {lead_id} "
                  "visit --agent NAME); if not,", name=name, lead=lead.name, lead_id=lead.id)
               if found is not None else M_("under another name;"))
        options = M_("--relation spouse|parent|child|sibling|partner (close family: recorded on "
                     "lead #{lead_id}) or --different-person (a lead of their own)", lead_id=lead.id)
        if lead_id is not None:
            options = M_("--different-person (a lead of their own); close family belongs on "
                         "lead #{lead_id} (leadcycle lead add … --relation)", lead_id=lead.id)
        raise LeadcycleError(N_("phone {phone} is already lead #{lead_id} ({lead}, owner: "
                                "{owner_text}) {how} say who {name} is: {options}"),
                             phone=mask_phone(phone), lead_id=lead.id, lead=lead.name,
                             owner_text=self._owner_text(lead), how=how, name=name, options=options)

    def register(self, data: Mapping[str, Any]) -> Added:
        """Register a lead from plain data, e.g. an integrator's JSON object:
        ``{"industry": "realestate", "name": "张伟", "gender": "M", "phone":
        "13800138000", "need": "三房", "attributes": {...}, "agent": "李娜"}``
        (the fields of :class:`leadcycle.convert.Registration`, which are
        :meth:`add_lead`'s). The data is checked strictly by the private
        cattrs converter before anything is written: a wrong type, a missing
        basic or an unknown key is one :class:`LeadcycleError` line naming the
        field, e.g. ``bad registration: invalid value for type, expected str
        @ $.phone``."""
        from .convert import Registration, structure

        reg = structure(data, Registration, "registration")
        return self.add_lead(reg.industry, **reg.add_lead_kwargs())

    def _check_clock(self, lead_id: int, events: list[Event]) -> None:
        if events and events[-1].at > self.now:
            raise Refused(N_("the clock ({now}) is before lead #{lead_id}'s last event "
                             "({at}); the log cannot be back-filled"),
                          now=self.now.isoformat(), lead_id=lead_id, at=events[-1].at.isoformat())

    def lead(self, lead_id: int) -> Lead:
        return self.store.get_lead(int(lead_id))

    def event_data(self, industry: str, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate an event's data against its kind's declared fields."""
        ek = self.registry.event_kind(industry, kind)
        data = {}
        for key, value in raw.items():
            field = ek.field(key)
            if field is None:
                known = ", ".join(f.name for f in ek.fields) or "none"
                raise NotFound(N_("event kind {kind!r} has no field {key!r}; its fields: {known}"),
                               kind=kind, key=key, known=known)
            data[key] = field.coerce(value, self.now.date())
        for field in ek.fields:
            if field.required and data.get(field.name) is None:
                raise LeadcycleError(N_("{kind} needs {field}: add --set {field}=VALUE"),
                                     kind=kind, field=field.name)
        return data

    def log(self, lead_id: int, kind: str, *, agent: str | None = None, data: dict[str, Any] | None = None,
            note: str | None = None) -> tuple[Event, State]:
        """Append one event an agent observed (``visit``, ``call``, a signal…).
        ``agent`` is required; a ``follow_up`` needs its content and the
        client's reaction; on a colleague's lead only the kinds the
        ownership rules foresee are accepted, marked ``not_owner``
        (:mod:`leadcycle.actors`)."""
        lead = self.lead(lead_id)
        ek = self.registry.event_kind(lead.industry, kind)
        if not ek.loggable:
            raise Refused(N_("{kind!r} events are written by their own command, not by 'log'"), kind=kind)
        who = actors.require_actor(self, agent)
        clean = self.event_data(lead.industry, kind, data or {})
        if kind == "follow_up":
            actors.check_follow_up(clean, note)
        event = Event(None, lead.id, kind, self.now, who.name, clean, note)
        # a visit that makes the lead a new client is a walk-in for the queue
        then = (lambda history: claims.queue_visit(self, lead.industry, history[-1], history)) if kind == "visit" else None
        state, (event,) = self._append(lead.id, [event], history_check=self._marker(lead, who, kind, clean),
                                       then=then)
        return event, state

    def _marker(self, lead: Lead, who: Agent, kind: str, data: dict) -> Callable[[list[Event]], None]:
        """The owner check of an agent's entry, run under the write lock:
        marks ``data`` when a colleague or a manager writes it."""
        def check(history: list[Event]) -> None:
            policy = self.context.for_industry(lead.industry).ownership
            data.update(actors.owner_mark(policy, self.now, lead.id, who, kind, history))
            if data.get("not_owner"):
                data.update(actors.away_mark(claims.away_at_from(self), data["owner"], self.now))
        return check

    def void(self, lead_id: int, event_id: int, *, reason: str | None, agent: str | None,
             as_: str | None = None) -> tuple[Event, State]:
        """Void an earlier event of the lead (``as_``: ``wrong_entry``,
        ``cancel_subscription`` 退定, ``return_unit`` 退房, ``refund`` 退款) with a
        ``void`` event; the voided event stays in the log and every
        projection, report and credit leaves it out
        (:mod:`leadcycle.corrections`)."""
        return correct.void(self, int(lead_id), event_id, reason=reason, agent=agent, as_=as_)

    def append(self, lead_id: int, events: list[Event], *, check: Callable[[], None] | None = None,
               history_check: Callable[[list[Event]], None] | None = None) -> State:
        """Append ``events`` to one lead's log in one transaction and return
        the new state. Plugin commands write through here; ``check`` runs
        inside the transaction, after the write lock is held, and
        ``history_check`` then gets the lead's whole log as read there.

        With a live clock the events are stamped with :attr:`now` inside
        the transaction (the moment the lock was taken), whatever time they
        were built with: a caller that read the clock before waiting for the
        lock would otherwise write a time earlier than the events another
        process wrote meanwhile."""
        return self._append(lead_id, events, check=check, history_check=history_check)[0]

    def _append(self, lead_id: int, events: list[Event], *, check: Callable[[], None] | None = None,
                history_check: Callable[[list[Event]], None] | None = None,
                then: Callable[[list[Event]], None] | None = None) -> tuple[State, list[Event]]:
        """:meth:`append`, returning the events as stored (with their ids)
        too; ``then`` gets the lead's log with them, in the transaction (a
        refusal there writes nothing)."""
        with self.store.transaction():
            if self.clock_is_live:
                events = [attrs.evolve(e, at=self.now) for e in events]
            events = [attrs.evolve(e, agent=self.author(e.agent)) for e in events]
            for e in events:
                if e.agent is not None:
                    self.agent(e.agent)
                if e.data.get("asks_for"):
                    self.agent(e.data["asks_for"], what="asks_for")
            history = self.store.events_for(lead_id)  # read once for every check below
            self._check_clock(lead_id, history)
            if check is not None:
                check()
            if history_check is not None:
                history_check(history)
            self._check_events(lead_id, history, events)
            for e in events:
                history.append(attrs.evolve(e, id=self.store.append_event(e)))
            if then is not None:
                then(history)
            state = self._reproject([lead_id])[0]
            claims.write_credit(self, lead_id, history)
            return state, history[len(history) - len(events):]

    def _check_events(self, lead_id: int, history: list[Event], events: list[Event]) -> None:
        """The ``check_event`` hook, once per new event (plugins refuse
        events their lead's history makes invalid)."""
        from . import loader

        if not loader.get_pm().hook.check_event.get_hookimpls():
            return
        lead = self.store.get_lead(lead_id)
        history = corrections.effective_events(list(history))  # plugins check what the rules read
        for e in events:
            loader.call_checks("check_event", book=self, lead=lead, events=list(history), event=e)
            history.append(e)

    def set(self, lead_id: int, changes: dict[str, Any], *, agent: str | None = None,
            note: str | None = None, different_person: bool = False) -> State:
        """Change attributes (or name, gender, phone, need) — as a ``set``
        event. A new phone, or a new name, is checked against the other
        leads on that phone as a registration is (:meth:`_shared_phone`):
        a matching name is refused, and a new phone already registered
        under another name needs ``different_person`` (recorded in the
        event)."""
        lead = self.lead(lead_id)
        ind = self.industry(lead.industry)
        if not changes:
            raise LeadcycleError(N_("nothing to set: give KEY=VALUE"))
        who = actors.require_actor(self, agent)
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "name":
                clean[key] = require_text(M_("name"), value)
            elif key == "gender":
                clean[key] = normalize_gender(value)
            elif key == "phone":
                clean[key] = normalize_phone(value)
            elif key == "need":
                clean[key] = require_text(M_("need"), value)
            else:
                clean.update(coerce_attributes(ind, {key: value}, self.now.date()))
        data: dict[str, Any] = {"changes": clean}

        def check() -> None:
            current = self.lead(lead.id)
            # what the entry really changes (read under the lock): a rating
            # set to the value it already had is no re-rating
            before = {**current.attributes, **{k: getattr(current, k) for k in ("name", "gender", "phone", "need")}}
            data["changed"] = {k: True for k, v in clean.items() if before.get(k) != v}
            phone, name = clean.get("phone", current.phone), clean.get("name", current.name)
            if phone == current.phone and name == current.name:
                return
            if phone == current.phone:  # a new name on a phone already shared: only a match is refused
                others = [o for o in self.store.leads_by_phone(current.industry, phone) if o.id != lead.id]
                if not names.find(name, self._people_on(others)):
                    return
            _, shared = self._shared_phone(current.industry, phone, name, lead_id=lead.id,
                                           different_person=different_person)
            if shared:  # the decision goes into the event being written (data is its dict)
                data["different_person_from"] = [o.id for o in shared]

        return self.append(lead.id, [Event(None, lead.id, "set", self.now, who.name, data, note)], check=check,
                           history_check=self._marker(lead, who, "set", data))

    def record(self, lead_id: int) -> LeadRecord:
        """A lead, its live state (computed now) and its history."""
        lead = self._registered(lead_id)
        events = self.store.events_for(lead.id)
        folded, state = engine.project(self.context, lead, events, self.now)
        if lead.industry in self.context.missing:
            state = self._as_last_computed(lead, state)
        seen = self.seen(events)
        return LeadRecord(folded, state, tuple(seen), self.registry.industries.get(lead.industry),
                          len(events) - len(seen))

    def _as_last_computed(self, lead: Lead, missing: State) -> State:
        """The stored state of a lead whose industry's plugin is not
        installed (as lists show it), saying so and since when; ``missing``
        (the engine's: nothing computed) when none was ever stored."""
        stored = self.store.get_state(lead.id)
        if stored is None or stored.computed_at is None:
            return missing
        since = stored.computed_at.strftime("%Y-%m-%d %H:%M")
        return attrs.evolve(stored, reasons=[*stored.reasons, Reason(Label(
            f"industry plugin {lead.industry} not installed: as last computed ({since})",
            f"行业插件 {lead.industry} 未安装：以下为上次计算的结果（{since}）"), "industry:missing")])

    def as_of_clock(self, industry: str | None = None) -> Callable[[int], Lead | None]:
        """``lead_of(id)``: the lead as it was at the clock — name, phone,
        need and attributes folded from the entries up to it — for a lead
        with entries after the clock, else None (its stored row holds). A
        read into the past that shows a lead's attributes goes through it."""
        later = self.store.leads_logged_after(self.now, industry)

        def lead_of(lead_id: int, events: list[Event] | None = None) -> Lead | None:
            """``events``: the lead's log, when the caller holds it already."""
            if lead_id not in later:
                return None
            if events is None:
                events = self.store.events_for(lead_id)
            return engine.fold_lead(self.lead(lead_id), self.counted(events))  # as record() folds it

        return lead_of

    def date_attribute_passed(self, industry: str, key: str, day: dt.date, owner: str | None = None) -> list[dict]:
        """Leads of ``industry`` (with their grade and owner at the clock)
        whose date attribute ``key`` — as it was at the clock — is before
        ``day`` (a due list's "the deadline has passed")."""
        rows = self.store.date_attribute_passed(industry, key, day, owner=owner)
        later = self.store.leads_logged_after(self.now, industry)
        if not later:
            return rows
        rows = [r for r in rows if r["id"] not in later]
        for lead_id in sorted(later):
            if self.lead(lead_id).created_at > self.now:
                continue
            record = self.record(lead_id)
            when = engine._as_date(record.lead.attributes.get(key))
            if when is not None and when < day and (owner is None or record.state.owner == owner):
                rows.append({"id": lead_id, "name": record.lead.name, "phone": record.lead.phone,
                             "grade": record.state.grade, "owner": record.state.owner, "day": when.isoformat()})
        return sorted(rows, key=lambda r: r["id"])

    def kinds_at(self, lead_ids: Iterable[int]) -> dict[int, dict[str, tuple]]:
        """``{lead id: {kind: (n, first_at, last_at, last_id)}}`` of each
        lead's log up to the clock (voided entries left out; the moments as
        ISO text): the kept facts, or, for a lead with entries after the
        clock, its entries up to it counted."""
        ids = set(lead_ids)
        out = self.store.facts_for(ids)
        for lead_id in ids & self.store.leads_logged_after(self.now):
            kinds: dict[str, tuple] = {}
            for e in self.counted(self.store.events_for(lead_id)):
                n, first = kinds.get(e.kind, (0, None))[:2]
                at = e.at.isoformat(timespec="seconds")
                kinds[e.kind] = (n + 1, first or at, at, e.id)
            out[lead_id] = kinds
        return out

    def _registered(self, lead_id: int) -> Lead:
        """The lead, registered by the clock: a read into the past does not
        know a lead registered later (``show``, ``history``, ``credit``)."""
        lead = self.lead(lead_id)
        if lead.created_at > self.now:
            raise NotFound(N_("lead #{lead_id} was registered at {created_at}, after the clock "
                              "({now}); give a later --now"),
                           lead_id=lead.id, created_at=lead.created_at.isoformat(), now=self.now.isoformat())
        return lead

    def counted(self, events: list[Event]) -> list[Event]:
        """The entries of a lead's log a report counts at the clock: those
        up to it (:meth:`seen`), less the voided ones and their voids."""
        return corrections.effective_events(self.seen(events))

    def seen(self, events: list[Event]) -> list[Event]:
        """The entries of a lead's log that have happened by the clock: a
        read at an earlier clock answers as it would have then (a write
        never has later ones: :meth:`_check_clock`)."""
        if events and events[-1].at > self.now:
            return [e for e in events if e.at <= self.now]
        return events

    def advance(self, lead_id: int, stage: str, agent: str | None = None,
                note: str | None = None) -> State:
        """Move a lead to ``stage`` of its industry's ``mode="advanced"``
        :class:`~leadcycle.StageLadder`, as a core ``stage`` event.

        Stages move forward only (or to a terminal stage such as *lost*,
        from any stage but another terminal one); a lead at a terminal stage
        is re-opened by advancing it to a stage of the ladder (a lost
        client who came back). Entering a stage needs the
        ``requires`` of that stage *and of every stage before it* to hold on
        the lead's current feature row; otherwise nothing is written and the
        refusal names every missing item."""
        lead = self.lead(lead_id)
        ctx = self.context
        ladder = ctx.for_industry(lead.industry).stages
        if ladder is None:
            raise Refused(N_("{industry} has no stage ladder; nothing to advance"), industry=lead.industry)
        if ladder.mode != "advanced":
            raise Refused(N_("{industry} stages are computed from the record, not advanced by hand "
                             "(see 'leadcycle settings list' for the industry's ladder setting)"),
                          industry=lead.industry)
        target = ladder.named(stage)
        if target is None:
            names = ", ".join(dict.fromkeys(s.name for s in ladder.stages))
            raise NotFound(N_("unknown stage {stage!r} for {industry}; use one of: {names}"),
                           stage=stage, industry=lead.industry, names=names)
        who = actors.require_actor(self, agent)
        data: dict[str, Any] = {"stage": target.name}

        def check() -> None:
            events = self.store.events_for(lead.id)
            _, state = engine.project(ctx, lead, events, self.now)
            current = ladder.stage(state.stage) if state.stage else None
            data["from"] = state.stage
            order = [s.name for s in ladder.stages if not s.terminal]
            if current is not None and current.terminal:
                if target.terminal:
                    raise Refused(N_("lead #{lead_id} is at {en} ({zh}), a terminal stage: re-open it to a "
                                     "stage of its ladder, not to another end"),
                                  lead_id=lead.id, en=current.label.en, zh=current.label.zh)
                data["reopened"] = True
            if current is not None and current.name == target.name:
                raise Refused(N_("lead #{lead_id} is already at {en} ({zh})"),
                              lead_id=lead.id, en=target.label.en, zh=target.label.zh)
            if not target.terminal and current is not None and current.name in order \
                    and order.index(target.name) < order.index(current.name):
                raise Refused(N_("{en} ({zh}) comes before lead #{lead_id}'s current stage "
                                 "{current_en} ({current_zh}); stages only move forward"),
                              en=target.label.en, zh=target.label.zh, lead_id=lead.id,
                              current_en=current.label.en, current_zh=current.label.zh)
            row = engine.feature_row(ctx, lead, events, self.now)
            needed = [target] if target.terminal else \
                [s for s in ladder.stages if not s.terminal][:order.index(target.name) + 1]
            missing = []
            for s in needed:
                for c in ladder.missing(s, row):
                    if c not in missing:
                        missing.append(c)
            if missing:
                ind = self.registry.industries.get(lead.industry)
                attrs_missing = [c.feature for c in missing
                                 if ind is not None and ind.field(c.feature) is not None]
                hints = [f"leadcycle lead set {lead.id} " + " ".join(f"{f}=…" for f in dict.fromkeys(attrs_missing))
                         ] if attrs_missing else []
                hints += [f"leadcycle log {lead.id} {c.feature[2:]}" for c in missing
                          if c.feature.startswith("n_") and c.feature not in attrs_missing]
                described = [c.describe() for c in missing]
                items, items_zh = "; ".join(f"{d.en} ({d.zh})" for d in described), "；".join(d.zh for d in described)
                hint = M_("; record with: {commands}", commands=", ".join(dict.fromkeys(hints))) if hints else ""
                raise Refused(N_("lead #{lead_id} cannot enter {en} ({zh}): "
                                 "missing {items}{hint}"),
                              lead_id=lead.id, en=target.label.en, zh=target.label.zh, items=items, items_zh=items_zh,
                              hint=hint)

        return self.append(lead.id, [Event(None, lead.id, "stage", self.now, who.name, data, note)], check=check,
                           history_check=self._marker(lead, who, "stage", data))

    # -------------------------------------------------------- projections

    def _reproject(self, lead_ids: list[int], explain: bool | None = None) -> list[State]:
        """Re-project and store ``lead_ids`` (a write: call inside the
        write's transaction). The states returned carry the full
        explanation when ``explain`` (default: for a handful of leads, as
        after a command); the stored ones keep the deciding reasons."""
        if explain is None:
            explain = len(lead_ids) <= 10
        states = []
        version = self.rules_version
        for batch in self.store.iter_lead_batches(ids=lead_ids):
            results = engine.project_batch(self.context, batch, self.now, self._cache, explain=explain)
            for (old, events), (lead, state) in zip(batch, results):
                self._keep_row(old, events, lead)
                states.append(state)
            self.store.save_states(
                (attrs.evolve(s, reasons=[r for r in s.reasons if not engine.is_detail(r)]) if explain else s
                 for _, s in results), version)
        return states

    def _keep_row(self, old: Lead, events: list[Event], lead: Lead) -> None:
        """Store ``lead`` — ``old`` folded from ``events`` at this run's
        clock — as its row where the fold differs from it. The row is the
        whole log's: a fold up to a clock before the lead's last entries (a
        ``rescore --now`` into the past) is that clock's, and stays out."""
        if any(e.at > self.now for e in events):
            return
        if (lead.attributes, lead.name, lead.phone, lead.gender, lead.need) != (
                old.attributes, old.name, old.phone, old.gender, old.need):
            self.store.update_lead(lead)

    def _folds_of(self, new: list[tuple[Lead, list[Event]]],
                  rules_of: Mapping[str, IndustryRules]) -> dict[int, tuple[Fold, Lead]]:
        """What :meth:`_project_new` folds of leads written with their first
        events, in Python: by lead, its ownership fold and the lead as its
        log folds it (one event: the lead as written). ``rules_of``: the
        context's rules, read before (a context not yet made reads the
        database). Touches no database: an import folds its batch while
        the batch's leads are written."""
        now, out = self.now, {}
        for lead, events in new:
            rules = rules_of.get(lead.industry)
            if rules is not None and not any(e.at > now for e in events):
                out[lead.id] = (ownership.fold_of(events, rules.ownership), lead if len(events) == 1
                                else engine.fold_lead(lead, engine.effective_events(events)))
        return out

    def _project_new(self, new: list[tuple[Lead, list[Event]]], *, again: bool = False,
                     first: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None,
                     folds: dict[int, tuple[Fold, Lead]] | None = None) -> None:
        """Store the projections of leads written in this transaction with
        their first events (an import's new leads), or with ``again`` of
        leads that have them (``rescore``'s, whose stored fold it cannot
        use). An industry whose rules compile and that stores no ``x_``
        value (:attr:`engine.ReadPlan.kept`: the statement computes none) is
        evaluated in SQL in one statement, after each lead's row and its
        ownership are folded here from its log (a constant cost per event,
        as on every write); the others by the engine, as is a lead with an
        entry after the clock.

        ``first``: what the transaction's write has left to do before
        anything reads the log or the facts (the events and facts of
        :meth:`Store.insert_leads_and_events`), done just before the first
        statement. ``meanwhile`` runs while they do (:meth:`Store.beside`;
        an import reads its next batch), if any statement runs. ``folds``:
        :meth:`_folds_of` these leads, made already."""
        now, version = self.now, self.rules_version
        by_engine: list[tuple[Lead, list[Event]]] = []
        compiled: dict[str, list[tuple[int, Fold]]] = {}
        plans = {industry: self._read_plan(industry) for industry in {lead.industry for lead, _ in new}}
        for lead, events in new:
            plan = plans[lead.industry]
            if plan is None or plan.kept or any(e.at > now for e in events):
                by_engine.append((lead, events))
                continue
            done = None if folds is None else folds.get(lead.id)
            # a lead written from its registration is what the fold of it gives (an attribute
            # without a value neither is stored nor folded), unless a later event changed it
            if again or len(events) > 1:
                folded = engine.fold_lead(lead, engine.effective_events(events)) if done is None else done[1]
                if folded != lead:
                    self.store.update_lead(folded)
            # what the statement does not compute: the fold it reads the owner from
            compiled.setdefault(lead.industry, []).append(
                (lead.id, ownership.fold_of(events, plan.rules.ownership) if done is None else done[0]))
        # the batch's events and facts are written just before the first
        # statement reads them, beside ``meanwhile``
        for industry, industry_folds in compiled.items():
            if again:
                self.store.drop_states([lead_id for lead_id, _ in industry_folds])
            self.store.save_new_states(plans[industry], now, industry, version, industry_folds, first=first,
                                       meanwhile=meanwhile)
            first = meanwhile = None
        if first is not None:
            first()
        if by_engine:
            results = engine.project_batch(self.context, by_engine, now, self._cache, explain=False)
            for (old, events), (lead, _state) in zip(by_engine, results):
                self._keep_row(old, events, lead)
            self.store.save_states((state for _, state in results), version)

    def refresh(self, owner: str | None = None, grade: str | None = None,
                due_by: dt.date | None = None, lapsing_by: dt.datetime | None = None) -> int:
        """Make this run's reads answer for its clock and rules: the leads
        whose stored projection does not hold now (the clock overtook it, it
        was computed for a later clock, or under other settings) are
        evaluated here and laid over the stored ones for this connection.
        **A read never writes**: the database is untouched, and any order of
        reads at any clocks gives the same answers. Queries call this first;
        ``owner`` limits the work to the leads that agent may own now,
        ``grade`` and ``due_by`` to the leads that may have that grade or a
        follow-up due by that day, ``lapsing_by`` to those whose protection
        may end by then (a later call without them evaluates the rest).

        An industry whose rules compile (:func:`engine.read_plan`) is
        evaluated in SQL, in one statement, from the facts, the settings,
        the clock and the stored ownership fold; the others, and leads whose
        stored fold is from other rules, by the engine in Python. Returns
        how many leads were evaluated."""
        version = self.rules_version
        key = (self.now, version, self.store.overlay_epoch)
        if self._live_key != key:
            self.store.clear_overlay()
            self._live_key, self._live_done, self._live_all = key, set(), False
        if self._live_all:
            return 0
        plans = {name: plan for name in self.context.rules if (plan := self._read_plan(name))}
        folds = {name: (plan.fold_version, plan.protection_days) for name, plan in plans.items()}
        settled = settled_sql(plans, grade, due_by, self.store.day_of)
        if lapsing_by is not None:
            # a row stored for an earlier clock under these rules keeps its
            # owner until its protection ends (or its recognition window
            # closes: that moment too is its owner_until)
            settled = ("(s.owner_until IS NULL OR s.owner_until > ?)", [lapsing_by.isoformat(timespec="seconds")])
        if owner is not None and self.store.folds_ready():
            # the agent's leads the clock took away are not evaluated: a read
            # by the agent's name leaves them out, any other read lays their
            # owner now over them when it needs it (Store.defer_owners)
            stale = self.store.agent_stale(self.now, version, owner, folds, settled)
            self.store.defer_owners(folds, self.now, owner)
        else:
            stale = self.store.stale_lead_ids(self.now, version, settled)
        stale = [i for i in stale if i not in self._live_done]
        self._live_done.update(stale)
        self.evaluated += len(stale)
        self._live_all = owner is None and settled is None
        self._evaluate(stale)
        return len(stale)

    def _read_plan(self, industry: str):
        # compiled again after a rollback, which may take back constants
        # the statements name (Store.constants_epoch)
        key = ("read", industry, self.store.constants_epoch)
        if key not in self._cache:
            rules = self.context.rules.get(industry)
            usable = (rules is not None and self.store.folds_ready() and self.store.facts_current()
                      and self.store.attributes_placed())
            plan = None
            if usable:  # compiled once for these rules and constants (another book's, maybe)
                constants = self.store.constants()
                plans = self.context.plans
                plan = plans.get((industry, constants))
                if plan is None:
                    plan = plans[(industry, constants)] = engine.read_plan(rules, constants)
            self._cache[key] = plan
        return self._cache[key]

    def _evaluate(self, lead_ids: list[int]) -> None:
        """Lay ``lead_ids`` evaluated at this run's clock over the stored
        states (see :meth:`refresh`)."""
        if not lead_ids:
            return
        version, now = self.rules_version, self.now
        rest = set(lead_ids)
        for industry, ids in self.store.industries_of(lead_ids).items():
            if industry in self.context.missing:  # no plugin: the stored rows stand, as last computed
                rest -= set(ids)
                continue
            plan = self._read_plan(industry)
            if plan is not None:
                done = self.store.overlay_compiled(plan, now, industry, ids, version)
                rest -= done
                rest -= self._refold(plan, industry, [i for i in ids if i not in done])
        for batch in self.store.iter_lead_batches(ids=sorted(rest)):
            present = [(lead, events) for lead, events in batch if lead.created_at <= now]
            results = engine.project_batch(self.context, present, now, self._cache, explain=False)
            self.store.add_overlay((s for _, s in results), version,
                                   absent=[lead.id for lead, _ in batch if lead.created_at > now])

    def _refold(self, plan, industry: str, lead_ids: list[int]) -> set[int]:
        """Evaluate the leads of ``lead_ids`` whose stored ownership fold
        this run cannot trust (:meth:`_evaluate`): their folds again in
        Python, the rest by the compiled statement. A lead with an entry
        after the clock, or registered after it, is left to the engine
        (the kept facts count that entry). Returns the leads evaluated."""
        now, done = self.now, set()
        for batch in self.store.iter_lead_batches(ids=sorted(lead_ids)):  # a batch's folds at a time
            folds = [(lead.id, ownership.fold_of(events, plan.rules.ownership)) for lead, events in batch
                     if lead.created_at <= now and all(e.at <= now for e in events)]
            done |= self.store.overlay_refolded(plan, now, industry, folds, self.rules_version)
        return done

    def rescore(self, batch_size: int = 1000, industry: str | None = None,
                progress: Callable[[int], None] | None = None,
                refold: bool = False) -> dict[str, dict[str | None, int]]:
        """Rebuild every lead's facts from the log (one set-based pass),
        then every lead's state at this run's clock: an industry whose rules
        compile (:func:`engine.read_plan`) in one statement over the facts
        and the stored ownership folds; the leads that leaves, in batches
        of ``batch_size`` leads, each batch its own transaction: a fold
        made under another ownership policy is folded again here from the
        lead's log and the statement evaluates the rest; an industry with
        Python rules and a lead with entries after the clock go to the
        engine. Returns counts per industry and grade. ``refold`` folds
        every lead's ownership again from its log, by the engine for every
        lead (after ``verify`` found a fold changed outside leadcycle).

        Every stored row names the rules it was computed under, so a run
        killed half-way leaves no lead silently on old rules (reads
        evaluate those afresh), and the next run under the same rules goes
        on after the last batch that was committed."""
        if industry is not None:
            self.industry(industry)
        with self.store.bulk():
            return self._rescore(batch_size, industry, progress, refold)

    def _rescore(self, batch_size: int, industry: str | None, progress: Callable[[int], None] | None,
                 refold: bool) -> dict[str, dict[str | None, int]]:
        ctx = self.context
        version = self.rules_version
        now = self.now  # one clock for the whole run (a live one moves on meanwhile)
        key = f"rescore:{industry or '*'}"
        marker = self.store.get_meta(key)
        start = 0
        if marker:
            done_version, _, last = marker.partition(":")
            if done_version == version:
                start = int(last)
        if start == 0:  # the facts first: one set-based pass over the log
            self.store.rebuild_facts()
            self._cache = {k: v for k, v in self._cache.items() if not (isinstance(k, tuple) and k[0] == "read")}
            for name in [industry] if industry else self.store.enabled_industries():
                plan = None if refold else self._read_plan(name)
                if plan is not None:
                    with self.store.transaction():
                        done = self.store.save_compiled(plan, now, name, version)
                    if progress is not None and done:
                        progress(done)
        pages = self.store.leads_not_computed(industry, version, now, batch_size, after=start)
        for batch in (b for ids in pages for b in self.store.iter_lead_batches(batch_size, ids=ids)):
            last = batch[-1][0].id
            # an industry whose plugin is gone keeps what was last computed for its leads
            batch = [(lead, events) for lead, events in batch if lead.industry not in ctx.missing]
            if refold:  # the engine for every lead
                results = engine.project_batch(ctx, batch, now, self._cache)
                with self.store.transaction():
                    for (old, events), (lead, _s) in zip(batch, results):
                        self._keep_row(old, events, lead)
                    self.store.save_states((s for _, s in results), version)
                    self.store.set_meta(key, f"{version}:{last}")
            else:  # folded here, then the compiled statement (the engine where it cannot)
                with self.store.transaction():
                    self._project_new(batch, again=True)
                    self.store.set_meta(key, f"{version}:{last}")
            if progress is not None:
                progress(len(batch))
        with self.store.transaction():
            self.store.delete_meta(key)
            self.store.settle_computed_at()  # a rescore at an earlier clock ends the reads' time-travel checks
        self.refresh()
        counts: dict[str, dict[str | None, int]] = {}
        for ind, grade, n in self.store.grade_counts():
            if industry is None or ind == industry:
                counts.setdefault(ind, {})[grade] = n
        return counts

    def across(self, industry: str | None, values: Callable[[str], Iterable[str]]) -> list[str]:
        """``values(name)`` of ``industry``, or of every enabled industry,
        once each in order (grades of the scales, stages of the ladders,
        attribute names for an export's columns)."""
        names = [industry] if industry else self.store.enabled_industries()
        return list(dict.fromkeys(v for n in names for v in values(n)))

    def grade_filter(self, industry: str | None, grade: str | None) -> str | None:
        """``--grade`` as the industry's scale spells it (``a`` → ``A``), or a
        one-line error for a grade none of the industries has."""
        if grade is None:
            return None
        industries = self.registry.industries
        # an industry whose plugin is gone: the grades its leads were last computed with
        kept = {(ind, g) for ind, g, _ in self.store.grade_counts() if g is not None and ind not in industries} \
            if self.context.missing else set()
        scale = self.across(industry, lambda n: (c.value for c in industries[n].grades) if n in industries
                            else sorted(g for ind, g in kept if ind == n))
        for g in scale:
            if grade.strip().lower() == g.lower():
                return g
        whose = industry or M_("the enabled industries")
        raise LeadcycleError(N_("grade {grade!r} is not on the scale of {whose}: use one of {scale}"),
                             grade=grade, whose=whose, scale=', '.join(scale))

    def stage_filter(self, industry: str | None, stage: str | None) -> str | None:
        """``--stage`` checked against the industries' ladders (as the
        settings choose them), or a one-line error naming the stages."""
        if stage is None:
            return None
        rules = self.context.rules

        def ladder(n: str):
            return rules[n].stages if n in rules else None

        found = self.across(industry, lambda n: [st.name] if ladder(n) and (st := ladder(n).named(stage)) else [])
        if found:
            return found[0]
        known = self.across(industry, lambda n: [st.name for st in ladder(n).stages] if ladder(n) else [])
        whose = industry or M_("the enabled industries")
        raise LeadcycleError(N_("stage {stage!r} is not a stage of {whose}: use one of {known}"),
                             stage=stage, whose=whose, known=', '.join(known))

    def list(self, **filters) -> list[dict]:
        """Leads with their live state; ``industry``, ``grade``, ``stage``,
        ``owner``, ``pool``, ``q`` (a search, as :meth:`find` reads it) and
        ``limit`` filter (a grade or stage no industry has is a one-line
        error, not an empty list). ``attributes=False`` leaves each row's
        attributes out (what a caller that does not read them need not pay
        for)."""
        if filters.get("industry") is not None:
            self.industry(filters["industry"])
        filters["grade"] = self.grade_filter(filters.get("industry"), filters.get("grade"))
        filters["stage"] = self.stage_filter(filters.get("industry"), filters.get("stage"))
        if filters.get("q") is not None:
            from .search import classify

            kind, key = classify(filters["q"])
            if not key:
                raise LeadcycleError(N_("--q needs something to find: the last digits of a phone, part of a "
                                        "name, or its pinyin (e.g. 8000, 张, zw)"))
            filters["q"] = (kind, key)
        self.refresh(owner=filters.get("owner"), grade=filters.get("grade"))
        changed = self._renamed() if filters.get("q") is not None else set()
        rows = self.as_then(list(self.store.query_leads(**filters, also=changed)))
        if changed:  # matched on the name and phone each had at the clock
            from .search import matches

            rows = [r for r in rows if matches(*filters["q"], r["name"], r["phone"]) is not None]
            rows = rows[:filters["limit"]] if filters.get("limit") else rows
        return rows

    def lapsing(self, after: dt.datetime, until: dt.datetime, owner: str | None = None,
                industry: str | None = None) -> list[dict]:
        """Owned leads whose protection ends in ``(after, until]`` at the
        clock (``owner_until``; an agent's, an industry's), named as they
        were then: a due list's lapse warnings."""
        self.refresh(owner=owner, lapsing_by=until)
        return self.as_then(self.store.lapsing_rows(after, until, owner=owner, industry=industry, now=self.now))

    def as_then(self, rows: list[dict], key: str = "id") -> list[dict]:
        """Rows of leads (the lead's id under ``key``), each with the name,
        phone, need (and attributes, where the row has them) its lead had at
        the clock: a lead with entries after it is folded from those up to
        it, once however many rows it has."""
        lead_of, then = self.as_of_clock(), {}
        for row in rows:
            lead_id = row[key]
            if lead_id not in then:
                then[lead_id] = lead_of(lead_id)
            lead = then[lead_id]
            if lead is not None:
                row.update({k: getattr(lead, k) for k in ("name", "gender", "phone", "need") if k in row})
                if "attributes" in row:
                    row["attributes"] = self.store.attribute_places.object_of(lead.attributes)
        return rows

    def _renamed(self) -> set[int]:
        """The leads whose name or phone at the clock may not be their
        row's: renamed, or such a change voided, after it (none in a read
        at the present)."""
        return self.store.leads_reidentified_after(self.now)

    def find(self, text: str, industry: str | None = None, limit: int = 20) -> list[dict]:
        """Leads found by the last digits of a phone (three or more), part of
        a name, or its pinyin (initials ``zw`` or in full ``zhangwei``),
        across industries unless ``industry`` is given; best matches first."""
        from .search import classify

        kind, key = classify(text)
        if not key:
            raise LeadcycleError(N_("give something to find: the last digits of a phone, part of a name, "
                                    "or its pinyin (e.g. 8000, 张, zw)"))
        if industry is not None:
            self.industry(industry)
        self.refresh()
        # a read into the past finds a client by the name and phone they had
        # then: the leads renamed (or their change voided) after the clock are
        # matched on those, folded from the entries up to it
        changed = self._renamed()
        rows = self.store.find_leads(kind, key, industry, limit, also=changed)
        if not changed:
            return rows
        from .search import matches

        ranked = [(matches(kind, key, r["name"], r["phone"]), r["id"], r) for r in self.as_then(rows)]
        return [r for rank, _, r in sorted(x for x in ranked if x[0] is not None)][:limit]

    def due(self, agent: str | None = None, until: dt.date | None = None) -> list[dict]:
        """Follow-ups due on or before ``until`` (default today), oldest first."""
        if agent is not None:
            self.agent(agent, reading=True)
        day = until or self.now.date()
        self.refresh(owner=agent, due_by=day)
        rows = self.as_then(self.store.due_rows(day, owner=agent))
        rows.sort(key=lambda r: (r["next_follow_up"], r["id"]))  # whatever order the plan reads them in
        return rows


    def review(self, apply: bool = True) -> list[dict]:
        """Run every plugin's periodic review (the ``run_review`` hook) as
        ONE write transaction: each plugin decides from what it reads under
        the write lock, so a concurrent write either landed before (and is
        seen) or waits until the review is done. If a plugin raises, what
        the plugins before it wrote is rolled back and a
        :class:`LeadcycleError` names the plugin. A dry run (``apply=False``)
        runs the same way and rolls everything back. Returns the changes
        (dicts with ``lead_id``, ``change`` and ``reason``) as a :class:`Review`,
        whose ``notes`` say what the industries said of the review as a whole
        (a week already reviewed)."""
        from . import loader

        # a dry run is a read: rolled back, so neither sign-in nor the machine's clock is asked
        with self.store.transaction(check=apply, rollback=not apply):
            try:
                # run_review's policy refuses (PluginFailed, naming the plugin) on any failure
                results = loader.call_safely("run_review", book=self, apply=apply)
            except LeadcycleError as e:
                raise LeadcycleError(N_("{e}; the review wrote nothing"), e=e) from e
        said = [change for result in results for change in result]
        return Review((c for c in said if "note" not in c), (c["note"] for c in said if "note" in c))

    # --------------------------------------------------------- ownership
    # (DOMAIN §3; the folds live in ownership.py, the writes in claims.py and reception.py)

    def claim(self, lead_id: int, agent: str) -> State:
        """Take a pool lead."""
        return claims.claim(self, int(lead_id), agent)

    def give_up(self, lead_id: int, agent: str, reason: str) -> State:
        """The owner gives the client up: the lead goes to the pool."""
        return claims.give_up(self, int(lead_id), agent, reason)

    def recognize(self, lead_id: int, agent: str) -> State:
        """The original agent recognises a returning client within the window."""
        return claims.recognize(self, int(lead_id), agent)

    def reassign(self, lead_id: int, to: str, *, reason: str, manager: str, note: str | None = None) -> State:
        """A manager moves a lead (complaint: with all credit; or redistribute)."""
        return claims.reassign(self, int(lead_id), to, reason, manager, note)

    def arbitrate(self, lead_id: int, to: str, *, reason: str, manager: str) -> State:
        """A manager's final, recorded decision on a dispute."""
        return claims.arbitrate(self, int(lead_id), to, reason, manager)

    def dispute(self, lead_id: int, *, claim: str, claimant: str, note: str | None = None) -> State:
        """An agent raises a dispute about a deal's credit, within the dispute window."""
        return claims.dispute(self, int(lead_id), claim, claimant, note)

    def decide(self, lead_id: int, verdict: str, *, manager: str, reason: str,
               split: str | None = None) -> State:
        """A manager decides the lead's open dispute: upheld (with an optional split) or rejected."""
        return claims.decide(self, int(lead_id), verdict, manager, split, reason)

    def credit(self, lead_id: int) -> list:
        """The credit of each of the lead's deals (:class:`ownership.Deal`)."""
        return claims.lead_deals(self, self._registered(int(lead_id)).id)

    def grades_at(self, lead_ids: Iterable[int], moment: dt.datetime) -> dict[int, str | None]:
        """Each lead's grade at ``moment`` (an earlier clock: a review's
        week ago) from the entries it had then, under today's rules: in SQL
        for the leads with no entry since, by the engine for the others
        (None for a lead registered after ``moment``)."""
        lead_ids = set(lead_ids)
        out: dict[int, str | None] = {}
        for industry, ids in self.store.industries_of(sorted(lead_ids)).items():
            statement = self._grade_statement(industry)
            if statement is not None:
                out.update({i: row[1] for i, row in
                            self.store.compiled_grades(statement, moment, industry, ids).items()})
        for lead, state in self._projected_at(lead_ids - set(out), moment):
            out[lead.id] = state.grade if lead.created_at <= moment else None
        return out

    def _projected_at(self, lead_ids: Iterable[int], moment: dt.datetime) -> Iterator[tuple[Lead, State]]:
        """The engine's projection of each of ``lead_ids`` at ``moment``
        from the entries it had then (what the compiled statements leave
        out: leads with entries after the clock, rules that do not compile)."""
        for batch in self.store.iter_lead_batches(ids=sorted(lead_ids)):
            past = [(lead, [e for e in events if e.at <= moment]) for lead, events in batch]
            yield from engine.project_batch(self.context, past, moment)

    def _grade_statement(self, industry: str, floors: bool = True):
        """The industry's scorecard alone (score and grade, no row), scoped
        to given leads, compiled once per run (``floors=False``: without
        its floors); None where its reads are the engine's."""
        plan = self._read_plan(industry)
        if plan is None:
            return None
        key = ("grade", industry, floors, self.store.constants_epoch)
        if key not in self._cache:
            rules = plan.rules if floors else attrs.evolve(
                plan.rules, scorecard=attrs.evolve(plan.rules.scorecard, floors=()))
            self._cache[key] = engine.compile_sql(rules, scoped=True, python_kinds=plan.python_kinds,
                                                  constants=plan.constants)
        return self._cache[key]

    def held_by_floor(self, lead_ids: Iterable[int]) -> set[int]:
        """The leads of ``lead_ids`` a floor holds up at this run's clock:
        their ratings make a worse grade (the rules' ``floor`` reason, as
        real estate's D rating waits at C for a manager). In SQL where the
        rules compile — the grade with the floors against the grade without
        them, both from the facts —, by the engine for the others."""
        lead_ids, held, seen = set(lead_ids), set(), set()
        for industry, ids in self.store.industries_of(sorted(lead_ids)).items():
            rules = self.context.rules.get(industry)
            if rules is None or rules.scorecard is None or not rules.scorecard.floors:
                seen.update(ids)  # nothing to hold anything up
                continue
            statement = self._grade_statement(industry)
            if statement is None:
                continue
            floored = self.store.compiled_grades(statement, self.now, industry, ids)
            unfloored = self.store.compiled_grades(self._grade_statement(industry, floors=False), self.now,
                                                   industry, floored)
            seen.update(unfloored)
            held.update(i for i, row in unfloored.items() if row[1] != floored[i][1])
        held.update(lead.id for lead, state in self._projected_at(lead_ids - seen, self.now)
                    if any(r.rule == "floor" for r in state.reasons))
        return held

    def owner_reasons(self, lead_ids: Iterable[int]) -> dict[int, Reason]:
        """Why each lead has the owner it has at this run's clock (its last
        change of owner: a first contact, a claim, a lapse…), rendered when
        asked: the lists carry the owner, not the reasons. A lead whose
        owner's protection lapsed after its last entry is told by its stored
        fold; the others are folded from their events."""
        lead_ids = set(lead_ids)
        out = {i: why for i, (why, _) in self._lapsed(lead_ids).items()}
        for lead_id, own in self._owners_folded(lead_ids - set(out)).items():
            out[lead_id] = own.reason
        return out

    def lapsed_owners(self, lead_ids: Iterable[int]) -> dict[int, str]:
        """Who had each of these leads when its protection lapsed, for the
        ones in the pool by a lapse (told by the stored fold where it can)."""
        lead_ids = set(lead_ids)
        out = {i: owner for i, (_, owner) in self._lapsed(lead_ids).items()}
        for lead_id, own in self._owners_folded(lead_ids - set(out)).items():
            if own.reason.rule == "owner:lapsed":
                out[lead_id] = next((h.owner for h in reversed(own.history) if h.owner), None)
        return out

    def _lapsed(self, lead_ids: set[int]) -> dict[int, tuple[Reason, str]]:
        policies = {name: (rules.ownership, ownership.signature(rules.ownership))
                    for name, rules in self.context.rules.items()}
        out = {}
        for lead_id, (industry, fold, version) in self.store.folds_of(lead_ids, self.now).items():
            policy, signature = policies.get(industry, (None, None))
            if policy is not None and fold_tag_holds(version, signature, policy.protection_days):
                told = ownership.lapsed(fold, policy, self.now)
                if told is not None:
                    out[lead_id] = told
        return out

    def _owners_folded(self, lead_ids: set[int]) -> dict[int, "ownership.Ownership"]:
        out = {}
        for batch in self.store.iter_lead_batches(ids=sorted(lead_ids)):
            for lead, events in batch:
                seen = [e for e in events if e.at <= self.now]
                out[lead.id] = ownership.resolve(seen, self.context.for_industry(lead.industry).ownership, self.now)
        return out

    def history(self, lead_id: int) -> "ownership.Ownership":
        """The chain of owners over time, each with its rule."""
        return claims.live(self, self._registered(int(lead_id)).id)[2]

    def leave_agent(self, agent: str, to: str | None = None) -> list:
        """An agent leaves: their leads go to the pool (or to ``to``)."""
        return claims.leave(self, agent, to)

    def receive(self, *, non_buyer: bool = False, appointment: str | None = None,
                returning: str | None = None) -> dict:
        """The agent who takes the next walk-in (advances the rotation)."""
        return reception.receive(self, non_buyer=non_buyer, appointment=appointment, returning=returning)

    # ------------------------------------------------------------ safety

    def verify(self, progress: Callable[[int], None] | None = None,
               expect_head: tuple[int, str] | None = None):
        """Check that nothing was changed outside leadcycle: every chained
        log (events, relations, receptions, settings) hash by hash, the
        guards, and the tables folded from the logs. Returns a
        :class:`~leadcycle.storage.Verification`; ``expect_head`` is
        ``(id, hash)`` from an earlier run, kept outside the file."""
        return self.store.verify(engine.fold_lead, progress, expect_head, self._owner_fold)

    def _owner_fold(self, lead: Lead, events: list[Event]) -> tuple | None:
        """The ownership fold of ``lead``'s whole log under its industry's
        policy now, as :meth:`Store.save_states` stores it (``verify``)."""
        from .storage import fold_values

        rules = self.context.rules.get(lead.industry)
        if rules is None:
            return None
        fold = ownership.resolve(events, rules.ownership, events[-1].at if events else lead.created_at).fold
        return fold_values(fold, ownership.signature(rules.ownership))

    def backup(self, target: str, force: bool = False) -> dict:
        """A consistent copy of the database at ``target`` (SQLite's online
        backup; others may keep writing). Refuses an existing file without
        ``force``, and the open database itself."""
        return self.store.backup(target, force)


def rules_version(settings: Mapping[str, Any], industries: Iterable[str]) -> str:
    """See :attr:`LeadBook.rules_version`."""
    import json

    from . import __version__, loader
    from .fingerprint import version_tag

    named = loader.get_pm().list_name_plugin()
    plugins = sorted(name for name, _ in named)
    text = json.dumps([__version__, code_fingerprint(tuple(p for _, p in named)), sorted(industries), plugins,
                       settings], sort_keys=True, default=str, ensure_ascii=False)
    return version_tag(text)


#: the core's modules a projection depends on (beside the plugins' own)
_RULE_MODULES = ("engine", "rules", "sqlrules", "ownership", "corrections", "model", "defaults", "storage")


def code_fingerprint(plugins: tuple = ()) -> str:
    """See :func:`_code_fingerprint`: once per process and set of plugins
    (a plugin object that cannot be hashed is looked at every time)."""
    try:
        return _code_fingerprint(plugins)
    except TypeError:
        return _code_fingerprint.__wrapped__(plugins)


@functools.lru_cache(maxsize=8)
def _code_fingerprint(plugins: tuple) -> str:
    """A hash of the source a projection is computed by: the core's rule
    modules and every loaded plugin's package. A stored projection from
    another program (an upgrade, a plugin's new release, a developer's
    change) is then not trusted by reads, though the version number
    stayed the same; a few milliseconds, once per process."""
    import sys
    from pathlib import Path

    from .fingerprint import source_hash

    files: set[Path] = {Path(__file__).with_name(f"{m}.py") for m in _RULE_MODULES}
    for plugin in plugins:
        module = sys.modules.get(getattr(plugin, "__module__", None) or getattr(plugin, "__name__", ""))
        source = getattr(plugin, "__file__", None) or getattr(module, "__file__", None)
        if not source:
            continue
        source = Path(source)
        files |= set(source.parent.glob("*.py")) if source.name == "__init__.py" else {source}
    return source_hash(tuple(sorted(files)))


def open_book(path: str | None = None, now: dt.datetime | None = None) -> LeadBook:
    """Open the database at ``path`` (default ``$LEADCYCLE_DB`` or ``leads.db``)."""
    return LeadBook.open(path or os.environ.get("LEADCYCLE_DB", "leads.db"), now)


__all__ = ["LeadBook", "Added", "LeadRecord", "open_book", "parse_now"]
