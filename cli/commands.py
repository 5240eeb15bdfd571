"""The core commands: init, plugins, agent, lead, log, void, show, list,
due, review, rescore, fields, settings."""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import click

from leadcycle.errors import LeadcycleError
from leadcycle.i18n import M_, render

from .app import cli
from .choices import CHANNEL_WORDS, PROOF_WORDS, REGISTERED_AS_WORDS, RELATION_WORDS, Spoken
from .output import BATCH_MAX, LEAD_ID, LEAD_ID_MAX, echo_json, emit, event_line, interactive, lead_id
from .output import N_, Words, _, echo_phone_notice, ngettext, output_format, output_options, overdue, owner_cell
from .output import phone_notice, phone_view, table, unmask_option, yes_no

pass_env = click.pass_obj


def _assignments(values) -> dict:
    from leadcycle.registry import parse_assignments

    return parse_assignments(values)


def _lead_id(value: str) -> int:
    return lead_id(value)


def state_before(book, lead_id: int):
    """A lead's state before a write, to say what the write changed; None
    when the clock is before its registration (the write then refuses to
    back-fill the log, with its own message)."""
    if book.lead(lead_id).created_at > book.now:
        return None
    return book.record(lead_id).state


def state_json(record, lang: str, phones=None) -> dict:
    """The JSON form of a lead and its state (``show --json``); the phone
    masked unless ``phones`` (a PhoneView) shows it, and ``phone_masked``
    says which."""
    from leadcycle.privacy import MASKED

    lead, state = record.lead, record.state
    phones = phones or MASKED
    return {
        "id": lead.id, "industry": lead.industry, "name": lead.name, "gender": lead.gender,
        "phone": phones.phone(lead.phone, state.owner), "phone_masked": not phones.reveals(state.owner),
        "need": lead.need, "created_at": lead.created_at,
        "attributes": lead.attributes,
        "grade": state.grade, "score": state.score, "stage": state.stage, "owner": state.owner,
        "next_follow_up": state.next_follow_up, "follow_up_kind": state.follow_up_kind,
        "reasons": [r.text(lang) for r in state.reasons],
        "reasons_detail": [r.to_json() for r in state.reasons],
        "extra": state.extra, "computed_at": state.computed_at,
    }


def event_json(e, phones=None, owner: str | None = None) -> dict:
    """An event as JSON; phones in its data masked unless ``phones`` shows
    the numbers of ``owner``'s leads."""
    from leadcycle.privacy import MASKED

    return {"id": e.id, "kind": e.kind, "at": e.at, "agent": e.agent,
            "data": (phones or MASKED).event_data(e.data, owner), "note": e.note}


def _print_state_line(record, lang, book=None):
    """The one-line summary after a write (``lead add``, ``log``…); the
    phone masked, as everywhere by default. The stage is its code in English
    (what ``advance`` takes) and its label in another language, given the
    ``book``."""
    from leadcycle.privacy import mask_phone

    lead, state = record.lead, record.state
    score = _(" score {score:g}").format(score=state.score) if state.score is not None else ""
    stage = state.stage
    if book is not None and stage and lang != "en":
        stage = Words(book, lang).stage(lead.industry, stage)
    click.echo(_("#{id} {name} {phone}  grade {grade}{score}  stage {stage}  owner {owner}  "
                 "next follow-up {next}").format(id=lead.id, name=lead.name, phone=mask_phone(lead.phone),
                                                 grade=state.grade or "-", score=score, stage=stage or "-",
                                                 owner=owner_cell(state.owner), next=state.next_follow_up or "-"))
    if state.reasons:
        click.echo(_("  why: {reason}").format(reason=state.reasons[0].text(lang)))


# ------------------------------------------------------------------ init


@cli.command()
@click.option("--industry", "industries", multiple=True, metavar="NAME",
              help="Enable an industry (repeatable): realestate, software_sales, machinery…")
@click.option("--simulation", is_flag=True,
              help="A simulation database (demo, training, tests): the clock is free (--now) and "
                   "commands name their agent; it never becomes an office database.")
@click.option("--admin", metavar="NAME",
              help="Make the office's first account, an admin, with a password (prompted): from then "
                   "on writes take the machine's clock and act as the signed-in agent.")
@click.option("--password-stdin", is_flag=True, help="With --admin: read the password from standard input.")
@pass_env
def init(env, industries, simulation, admin, password_stdin):
    """Create or upgrade the database and enable industries. Safe to repeat.

    Examples:

    \b
    leadcycle init --industry realestate --admin 陈经理      # an office: sign-in and the real clock
    leadcycle init --industry realestate --simulation        # a simulation: free clock, typed names
    """
    from leadcycle import accounts
    from leadcycle.api import LeadBook

    if simulation and admin:
        raise click.UsageError(_("--simulation and --admin do not go together: an admin makes an office database"))
    if admin is not None and not admin.strip():
        raise click.UsageError(_("--admin needs the admin's name"))
    secret = None
    if admin:  # asked before anything is created
        from .output import read_secret

        secret = read_secret(password_stdin, _("Password for {name}").format(name=admin), confirm=True)
    path = env.db_path
    new = bool(path) and path != ":memory:" and not os.path.exists(path)
    try:
        book = LeadBook.create(path, (), env.now)
        env._book = book
        env._sign_in(book)  # an admin signed in enables industries on an office database
        if industries and accounts.is_office(book.store):
            env.require_role("admin", M_("enabling an industry"))
        added = book.init(industries)
        if simulation:
            accounts.mark_simulation(book)
        if admin:
            accounts.make_admin(book, admin, secret)
    except BaseException:
        if new:  # a refused init leaves no database behind (a trial one would need no sign-in)
            env.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)
        raise
    enabled = book.store.enabled_industries()
    kind = accounts.mode(book.store) or "trial"
    ready = {"office": _("{db}: ready (office database); industries enabled: {industries}"),
             "simulation": _("{db}: ready (simulation database); industries enabled: {industries}")}.get(
        kind, _("{db}: ready (trial database); industries enabled: {industries}"))
    click.echo(ready.format(db=env.db_path, industries=", ".join(enabled) or _("none"))
               + (_(" (new: {industries})").format(industries=", ".join(added)) if added else ""))
    if admin:
        click.echo(_("admin {admin} created; sign in with: leadcycle login {admin}").format(admin=admin))


# --------------------------------------------------------------- plugins


@cli.command(name="plugins")
@click.option("--all", "show_all", is_flag=True, help="Also the core's own hook implementations (leadcycle.defaults).")
@output_options
def plugins_cmd(show_all):
    """Installed plugins, their versions and industries.

    Each plugin with the package and version it comes from, the industries
    it registers and the hooks it implements; a plugin that failed to load
    says why. The core's own implementations (``leadcycle.defaults``) are
    listed with --all.

    Examples:

    \b
    leadcycle plugins
    leadcycle plugins --all --json
    """
    from importlib.metadata import version

    from leadcycle import loader

    info = []
    refused = _rules_refused()
    for p in loader.plugin_info():
        core = p["name"] in loader.DEFAULT_PLUGINS
        if core and not show_all:
            continue
        package, _sep, number = (p.get("distribution") or "").partition(" ")
        if core:
            package, number = "leadcycle", version("leadcycle")
        if "error" not in p and p["name"] in refused:
            p["error"] = refused[p["name"]]
        if "error" in p:  # what the loader found wrong, in the reader's language
            p["error"] = str(render(p["error"]))
        info.append({**p, "package": package or None, "version": number or None})
    emit(info, ("name", "package", "version", "industries", "hooks", "error"),
         [_("plugin"), _("version"), _("industries"), _("hooks")],
         [(p["name"], f"{p['package']} {p['version']}" if p["package"] else "", ", ".join(p["industries"]),
           "; ".join(filter(None, (", ".join(p["hooks"]), p.get("error"))))) for p in info])


def _rules_refused() -> dict[str, object]:
    """``{plugin: problem}``: the plugins whose rules for an industry
    (with the settings' defaults) refuse every command on its leads, as
    enabling it would find (``LeadBook.init``)."""
    from leadcycle.loader import PluginFailed
    from leadcycle.registry import Registry
    from leadcycle.settings import Settings

    registry = Registry.current()
    out: dict[str, object] = {}
    for name in registry.industries:
        try:
            registry.context(Settings(registry.settings, {}), [name])
        except PluginFailed as e:
            out.setdefault(e.plugin, M_("{hook}: {problem}", hook=e.hook, problem=e.problem))
    return out


# ----------------------------------------------------------------- agent


@cli.group()
def agent():
    """Agents (置业顾问/销售员) and managers.

    Examples:

    \b
    leadcycle agent add 李娜 --team 一组
    leadcycle agent list
    """


@agent.command(name="add")
@click.argument("name")
@click.option("--team", help="Team or office.")
@click.option("--manager", is_flag=True, help="Can approve downgrades, arbitrate, redistribute the pool.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def agent_add(env, name, team, manager, as_json):
    """Add an agent.

    Examples:

    \b
    leadcycle agent add 李娜 --team 一组
    leadcycle agent add 陈经理 --manager
    """
    a = env.book().add_agent(name, team, manager)
    if as_json:
        echo_json({"name": a.name, "team": a.team, "is_manager": a.is_manager})
    else:
        click.echo((_("agent {name} added (manager)") if a.is_manager else _("agent {name} added")).format(name=a.name))


@agent.command(name="list")
@output_options
@pass_env
def agent_list(env):
    """List agents.

    At an earlier --now, each agent away or gone as they were then.

    Examples:

    \b
    leadcycle agent list
    leadcycle agent list --json
    """
    agents = env.book().agents()
    records = [{"name": a.name, "team": a.team, "is_manager": a.is_manager, "active": a.active,
                "away": a.away, "created_at": a.created_at} for a in agents]
    emit(records, ("name", "team", "is_manager", "active", "away", "created_at"),
         [_("name"), _("team"), _("manager"), _("status"), _("away")],
         [(a.name, a.team, yes_no(True) if a.is_manager else "", _("active") if a.active else _("left"),
           _away_text(a.away, env.lang)) for a in agents])


def _away_text(away: str | None, lang: str) -> str:
    """An agent's away reason in the reader's language (a reason this
    version does not know, as it was stored)."""
    from leadcycle import reception

    label = reception.AWAY_REASONS.get(away or "")
    return label(lang) if label is not None else (away or "")


# ------------------------------------------------------------------ lead


@cli.group()
def lead():
    """Register leads and change their attributes.

    Examples:

    \b
    leadcycle lead add --industry realestate --name 张伟 --gender 男 --phone 13800138000 --need 三房 --agent 李娜
    leadcycle lead set 1 funds=A --agent 李娜
    """


@lead.command(name="add")
@click.option("--industry", help="The lead's industry (required unless --from-json, or when the database "
                                 "has one industry).")
@click.option("--name", help="Client's name (姓名).")
@click.option("--gender", help="M or F (男/女).")
@click.option("--phone", help="Contact phone (联系电话); +86, spaces and dashes are fine.")
@click.option("--need", help="Basic need (客户需求): project, unit type, product…")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="An industry attribute (repeatable).")
@click.option("--agent", help="The receiving agent.")
@click.option("--channel", type=Spoken(CHANNEL_WORDS), default="visit", show_default=True,
              help="How the client first came: a registered visit, or a phone call.")
@click.option("--relation", type=Spoken(RELATION_WORDS),
              help="This person is close family of the lead already registered with this phone.")
@click.option("--different-person", is_flag=True,
              help="The phone is already registered under another name and this is another "
                   "person: register a lead of their own.")
@click.option("--asks-for", metavar="AGENT", help="The visitor (or caller) asked for this agent by name.")
@click.option("--referred-by", type=LEAD_ID, metavar="LEAD_ID", help="Introduced by the client of this lead.")
@click.option("--referral-proof", type=Spoken(PROOF_WORDS),
              help="How the referral is proven; without it the referral chain does not apply.")
@click.option("--registered-as", type=Spoken(REGISTERED_AS_WORDS),
              help="friend_viewing: a friend viewing for the client (registered with the client's name and "
                   "phone); company_/staff_introduction: the manager allocates the client.")
@click.option("--family-of", type=LEAD_ID, metavar="LEAD_ID",
              help="Close family (--relation) of this lead's client, arriving separately with another phone.")
@click.option("--from-json", "from_json", metavar="FILE|-",
              help="Register from a JSON object, or a list of them (all or none), in FILE or on "
                   "stdin (-); keys as the options: industry, name, gender, phone, need, "
                   "attributes, agent, channel, relation, different_person, asks_for, referred_by, "
                   "referral_proof.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def lead_add(env, industry, name, gender, phone, need, sets, agent, channel, relation, different_person,
             asks_for, referred_by, referral_proof, registered_as, family_of, from_json, as_json):
    """Register a lead: name with gender, phone and need.

    Register a lead: the three basics (name with gender, phone, need) are required.

    Examples:

    \b
    leadcycle lead add --industry realestate --name 张伟 --gender 男 \\
        --phone "+86 138-0013-8000" --need "三房 120㎡" --agent 李娜
    """
    if from_json is not None:
        _lead_add_from_json(env, from_json, as_json, click.get_current_context())
        return
    book = env.book()
    if industry is None:
        industry = book.only_industry()  # an office of one industry need not name it
    if industry is None:
        raise click.UsageError(_("Missing option '--industry' (or give the lead with --from-json FILE)."))
    added = book.add_lead(industry, name=name, gender=gender, phone=phone, need=need,
                          attributes=_assignments(sets), agent=agent, channel=channel, relation=relation,
                          different_person=different_person, asks_for=asks_for, referred_by=referred_by,
                          referral_proof=referral_proof, registered_as=registered_as, family_of=family_of)
    _print_added(env, book, added, as_json)


def _lead_add_from_json(env, path, as_json, ctx):
    """``lead add --from-json``: every item is checked (types, then the
    domain rules) inside one transaction before any is kept."""
    import json

    given = [f"--{p.name.replace('_', '-')}" for p in ctx.command.params
             if p.name not in ("from_json", "as_json")
             and ctx.get_parameter_source(p.name) is not click.core.ParameterSource.DEFAULT]
    if given:
        raise click.UsageError(_("{given} cannot be combined with --from-json: "
                                 "put those values in the JSON").format(given=', '.join(given)))
    try:
        with click.open_file(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise LeadcycleError(N_("cannot read {path}: {value}"), path=path, value=e.strerror or e) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise LeadcycleError(N_("{value} is not valid JSON: {e}; "
                                "give one object or a list of objects"),
                             value='stdin' if path == '-' else path, e=e) from None
    from leadcycle.convert import Registration, structure

    many = isinstance(data, list)
    if many and not data:
        raise LeadcycleError(N_("{value} holds an empty list: nothing to register"),
                             value='stdin' if path == '-' else path)
    regs = structure(data, list[Registration] if many else Registration, "registration")
    book = env.book()
    added = []
    with book.store.transaction():
        for i, reg in enumerate(regs if many else [regs]):
            try:
                added.append(book.add_lead(reg.industry, **reg.add_lead_kwargs()))
            except LeadcycleError as e:
                if not many:
                    raise
                raise LeadcycleError(N_("item {i} ($[{i}]): {error}; nothing was registered"), i=i, error=e) from None
    outs = [_print_added(env, book, a, as_json, emit=not as_json) for a in added]
    if as_json:
        echo_json(outs if many else outs[0])


def _print_added(env, book, added, as_json, emit=True):
    """Print one registration's outcome (``lead add``); return its JSON form."""
    record = book.record(added.lead.id)
    out = state_json(record, env.lang)
    out["status"] = added.status
    out["message"] = added.message
    if as_json:
        if emit:
            echo_json(out)
        return out
    if added.status == "family":
        click.echo(render(added.message))
    else:
        click.echo(_("lead #{lead_id} registered").format(lead_id=added.lead.id))
        if added.message:
            click.echo(_("note: {message}").format(message=render(added.message)))
    _print_state_line(record, env.lang, env.book())
    return out


@lead.command(name="set")
@click.argument("lead_id")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--agent", help="Who made the change (required).")
@click.option("--note", help="Why.")
@click.option("--different-person", is_flag=True,
              help="phone=… is already registered under another name, and this lead is another person.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def lead_set(env, lead_id, assignments, agent, note, different_person, as_json):
    """Change a lead's attributes (recorded as an event).

    Examples:

    \b
    leadcycle lead set 1 funds=A price=B --agent 李娜
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    before = state_before(book, lead_id)
    book.set(lead_id, _assignments(assignments), agent=agent, note=note, different_person=different_person)
    record = book.record(lead_id)
    if as_json:
        echo_json(state_json(record, env.lang))
        return
    if before.grade != record.state.grade:
        click.echo(_("grade {before} → {after}").format(before=before.grade or "-", after=record.state.grade or "-"))
    _print_state_line(record, env.lang, env.book())


# ------------------------------------------------------------------- log


@cli.command()
@click.argument("lead_id")
@click.argument("kind")
@click.option("--agent", help="The agent who recorded it (required).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A data field of the event (repeatable).")
@click.option("--note", help="What was said or done (沟通内容).")
@click.option("--reaction", help="A follow-up's client reaction: positive, neutral, hesitant, negative, refused, "
                                 "no_answer (积极 一般 犹豫 消极 拒绝 未接通); same as --set reaction=…")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def log(env, lead_id, kind, agent, sets, note, reaction, as_json):
    """Append an event to a lead's log.

    Append an event to a lead's log: visit, call, follow_up, contract…

    A follow-up needs its content (--note) and the client's reaction
    (--reaction). On a colleague's lead an agent logs only receptions
    (visit, call), an assist or a deal; a manager logs anything.
    See the kinds of an industry with: leadcycle fields --industry NAME

    Examples:

    \b
    leadcycle log 1 follow_up --agent 李娜 --reaction 积极 --note "约周末看房"
    leadcycle log 1 visit --agent 李娜
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    data = _assignments(sets)
    if reaction is not None:
        data["reaction"] = reaction
    before = state_before(book, lead_id)
    event, _written = book.log(lead_id, kind, agent=agent, data=data, note=note)
    shown = kind if env.lang == "en" else Words(book, env.lang).kind(book.lead(lead_id).industry, kind)
    headline = _("logged {kind} #{id} on lead #{lead_id}").format(kind=shown, id=event.id, lead_id=lead_id)
    _print_written(env, book, lead_id, before, event, headline, as_json)


def _print_written(env, book, lead_id: int, before, event, headline: str, as_json: bool) -> None:
    """What a write on one lead did: the event and the lead's state as JSON,
    or ``headline``, what changed (grade, stage, owner) and the state line."""
    record = book.record(lead_id)
    if as_json:
        out = state_json(record, env.lang)
        out["event"] = event_json(event)
        echo_json(out)
        return
    click.echo(headline)
    for what in ("grade", "stage", "owner"):
        old, new = getattr(before, what, None), getattr(record.state, what)
        if old != new:
            if what == "stage" and env.lang != "en":  # a stage by its label (English: the code, as advance takes it)
                old, new = (Words(book, env.lang).stage(record.lead.industry, x) if x else x for x in (old, new))
            click.echo(_("{what} {old} → {new}").format(what=_(what), old=old or "-", new=new or "-"))
    _print_state_line(record, env.lang, env.book())


# ------------------------------------------------------------------ void


@cli.command()
@click.argument("lead_id")
@click.argument("event_id")
@click.option("--as", "as_", default="wrong_entry", show_default=True, metavar="CORRECTION",
              help="wrong_entry (录入错误), cancel_subscription (退定: a deposit), return_unit "
                   "(退房: a contract and its later steps), refund (退款: a deposit or payment).")
@click.option("--reason", required=True, help="Why (recorded with the correction).")
@click.option("--agent", help="Who records the correction (required): the owner, the entry's author or a manager.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def void(env, lead_id, event_id, as_, reason, agent, as_json):
    """Void an entry of a lead's log (it stays, marked).

    Void EVENT_ID of a lead's log. The entry stays in the register, marked
    voided; grades, stages, follow-ups, ownership, credit and reports leave
    it out. Event ids are shown by: leadcycle show LEAD_ID

    Examples:

    \b
    leadcycle void 1 7 --as return_unit --reason "客户退房" --agent 李娜
    """
    book = env.book()
    lead_id = _lead_id(lead_id)
    from leadcycle.corrections import void_line

    before = state_before(book, lead_id)
    event, _written = book.void(lead_id, event_id, reason=reason, agent=agent, as_=as_)
    _print_written(env, book, lead_id, before, event, f"lead #{lead_id}: {void_line(event, env.lang)}", as_json)


# ------------------------------------------------------------------ show


@cli.command()
@click.argument("lead_id")
@unmask_option
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def show(env, lead_id, unmask, as_json):
    """A lead's state, the reasons for it, and its history.

    The phone is masked unless --unmask by its owner or a manager.

    Examples:

    \b
    leadcycle show 1
    leadcycle show 1 --json
    """
    from leadcycle import privacy

    book = env.book()
    record = book.record(_lead_id(lead_id))
    owner = record.state.owner
    phones = phone_view(env, unmask, privacy.one_lead, record.lead.id, owner)
    lang = env.lang
    from leadcycle.corrections import voided_by

    voided = voided_by(record.events)
    if as_json:
        out = state_json(record, lang, phones)
        out["events"] = [dict(event_json(e, phones, owner), voided_by=voided[e.id].id) if e.id in voided
                         else event_json(e, phones, owner) for e in record.events]
        out["later_entries"] = record.later  # after the clock: not yet happened then (0: none)
        echo_json(out)
        return
    lead, state, ind = record.lead, record.state, record.industry
    kinds = {k.name: k for k in ind.event_kinds} if ind else {}
    words = Words(book, lang)
    colon = "：" if lang == "zh" else ": "  # the catalogs' own punctuation

    def field(label: str, value) -> str:
        return f"{_(label)}{colon}{value}"

    stage_label = words.stage(lead.industry, state.stage) or "-"
    click.echo(_("Lead #{id}").format(id=lead.id)
               + f"  {lead.name} ({words.gender(lead.gender)})  {phones.phone(lead.phone, owner)}")
    click.echo("  " + field(N_("industry"), words.industry(lead.industry)) + "    " + field(N_("need"), lead.need))
    score = f" ({_('score')} {state.score:g})" if state.score is not None else ""
    grade_label = ind.grade_label(state.grade, lang) if ind and state.grade else (state.grade or _("none"))
    click.echo("  " + field(N_("grade"), grade_label + score))
    click.echo("  " + field(N_("stage"), stage_label) + "    " + field(N_("owner"), owner_cell(state.owner)))
    if state.next_follow_up:
        late = (book.now.date() - state.next_follow_up).days
        when = f" — {overdue(late)}" if late >= 0 else ""
        kind = _("first call-back") if state.follow_up_kind == "first" else _("follow-up")
        click.echo("  " + field(N_("next follow-up"), f"{state.next_follow_up} ({kind}){when}"))
    if lead.attributes:
        click.echo("  " + field(N_("attributes"), words.pairs(lead.industry, dict(sorted(lead.attributes.items())))))
    from leadcycle import profile

    for line in profile.show_lines(lead, record.events, lang):  # source, temperament playbook
        click.echo(f"  {line}")
    card = book.context.for_industry(lead.industry).scorecard if lead.industry in book.context.rules else None
    labels = {f.name: f.label for f in (card.features if card is not None else ()) if getattr(f, "label", None)}
    for key, value in sorted(state.extra.items()):
        # a plugin's derived value: its own one-line summary when it gives one, else its label
        if isinstance(value, dict) and isinstance(value.get("summary"), dict):
            summary = value["summary"]
            click.echo(f"  {summary.get(lang) or summary.get('en', '')}")
        elif value is not None and not isinstance(value, (dict, list)):
            shown = labels[key](lang) if key in labels else key[2:]
            click.echo(f"  {shown}{colon}{words.value(lead.industry, key, value)}")
    click.echo(_("Why:"))
    for r in state.reasons:
        click.echo(f"  - {r.text(lang)}")
    from .output import credit_lines

    credit = credit_lines(book, lead.id, lang)  # each deal's shares and the rule that decided them
    if credit:
        click.echo(_("Credit:"))
        for line in credit:
            click.echo(f"  - {line}")
    click.echo(_("History:"))
    for e in record.events:
        click.echo(event_line(e, kinds, lang, voided, phones, owner, words, lead.industry))
    if record.later:
        click.echo("  " + _("(entries after the clock {now}, not shown: {n})").format(
            n=record.later, now=f"{book.now:%Y-%m-%d %H:%M}"))
    echo_phone_notice(not phones.reveals(owner), lang)


# ------------------------------------------------------------------ list

LIST_COLUMNS = ("id", "industry", "name", "phone", "grade", "score", "stage", "owner", "next_follow_up")
#: the headers people read (msgids: the catalogs translate them)
LIST_HEADERS = (N_("id"), N_("industry"), N_("name"), N_("phone"), N_("grade"), N_("score"), N_("stage"),
                N_("owner"), N_("next_follow_up"))


@cli.command(name="list")
@click.option("--industry", help="Only this industry.")
@click.option("--grade", help="Only this grade (A, B, C, D…).")
@click.option("--stage", help="Only this stage.")
@click.option("--owner", help="Only this agent's leads.")
@click.option("--pool", is_flag=True, help="Only leads without an owner.")
@click.option("--q", "q", metavar="TEXT", help="Only leads found by TEXT: phone digits, name, or pinyin (as find).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (1 or more).")
@output_options
@unmask_option
@pass_env
def list_cmd(env, industry, grade, stage, owner, pool, q, limit, unmask):
    """List leads: grade, stage, owner, next follow-up.

    List leads with their grade, stage, owner and next follow-up (phones
    masked; --unmask shows your own leads', or every lead's to a manager).

    Examples:

    \b
    leadcycle list --grade A --owner 李娜
    leadcycle list --q zw --csv > found.csv
    """
    from leadcycle import privacy

    book = env.book()
    if industry:
        book.industry(industry)
    if owner and book.store.get_agent(owner) is None:
        raise LeadcycleError(N_("unknown agent {name!r}; see: leadcycle agent list"), name=owner)
    phones = phone_view(env, unmask, privacy.own_leads)
    rows = [{**{k: r[k] for k in LIST_COLUMNS}, "phone": phones.phone(r["phone"], r["owner"]),
             "phone_masked": not phones.reveals(r["owner"])}
            for r in book.list(industry=industry, grade=grade, stage=stage, owner=owner, pool=pool, q=q,
                               limit=limit and min(limit, LEAD_ID_MAX), attributes=False)]
    words = Words(book, env.lang)
    emit(rows, (*LIST_COLUMNS, "phone_masked"), [_(c) for c in LIST_HEADERS],
         [(r["id"], words.industry(r["industry"]), r["name"], r["phone"], r["grade"], r["score"],
           words.stage(r["industry"], r["stage"]), owner_cell(r["owner"]), r["next_follow_up"]) for r in rows],
         footer=[ngettext("{n} lead", "{n} leads", len(rows)).format(n=len(rows)),
                 phone_notice(any(r["phone_masked"] for r in rows), env.lang)])


# ------------------------------------------------------------------- due


@cli.command()
@click.option("--agent", help="Only this agent's list.")
@unmask_option
@output_options
@pass_env
def due(env, agent, unmask):
    """What each agent must do today.

    What each agent must do today: follow-ups due and overdue, first
    call-backs, and what the industry plugins add (lapse warnings…).

    Examples:

    \b
    leadcycle due --agent 李娜
    leadcycle due --csv > today.csv
    """
    from leadcycle import privacy
    from leadcycle.reports.daily import due_items

    book = env.book()
    phones = phone_view(env, unmask, privacy.own_leads)
    today = book.now.date()
    items = due_items(book, agent, env.lang)
    _mask_due_phones(book, items, phones)
    rows = []
    for i in items:
        what = i.get("text") or DUE_KINDS.get(i["kind"]) or i["kind"].replace("_", " ")
        if i.get("playbook"):
            what = f"{what}\n{i['playbook']}"
        rows.append((owner_cell(i.get("owner")), i["lead_id"], i.get("name"), i.get("grade"), _(what),
                     overdue(i.get("days_overdue"))))
    emit(items, DUE_COLUMNS, [_("owner"), _("lead"), _("name"), _("grade"), _("to do"), _("status")], rows,
         empty=(_("nothing due on {day} for {agent}") if agent else _("nothing due on {day}")).format(
             day=today, agent=agent))


#: the core's kinds of ``due`` item, as people read them
DUE_KINDS = {"first_call_back": N_("first call back"), "follow_up": N_("follow up")}


#: the columns of ``due --csv``: what every item has, the core's and the plugins'
DUE_COLUMNS = ("owner", "lead_id", "name", "phone", "grade", "kind", "text", "due", "days_overdue")


def _mask_due_phones(book, items, phones) -> None:
    """Mask the phones of ``due`` items (the core's and the plugins') unless
    ``phones`` shows the lead's, by its owner now: a plugin's item may name
    the agent who had the lead before it lapsed."""
    current: dict[int, str | None] = {}
    for i in items:
        if "phone" not in i:
            continue
        owner = None
        if phones.owner is not None:
            if i["lead_id"] not in current:
                state = book.store.get_state(i["lead_id"])
                current[i["lead_id"]] = state.owner if state else None
            owner = current[i["lead_id"]]
        i["phone_masked"] = not phones.reveals(owner)
        i["phone"] = phones.phone(i["phone"], owner)


# ---------------------------------------------------------------- review

#: from this many leads a review takes seconds: a terminal is told it is working
REVIEW_NOTICE = 20_000


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@output_options
@pass_env
def review(env, dry_run):
    """Run the industries' periodic review.

    The periodic review the industries define (weekly downgrades, account levels…).

    Examples:

    \b
    leadcycle review --dry-run
    leadcycle review
    """
    book = env.book()
    total = book.store.count_leads()
    if total == 0:
        raise LeadcycleError(N_("there are no leads to review yet; register one with: leadcycle lead add"))
    if interactive() and total >= REVIEW_NOTICE:  # seconds of work at this size: say what is going on
        click.echo(ngettext("reviewing {n} lead…", "reviewing {n} leads…", total).format(n=f"{total:,}"), err=True)
    changes = book.review(apply=not dry_run)
    for note in changes.notes:  # beside the output, not in it: --json stays the changes
        click.echo(_("note: {message}").format(message=note(env.lang) if hasattr(note, "to_json") else note), err=True)
    for c in changes:
        for key in ("change", "reason"):  # a Label, in the reader's language
            if hasattr(c.get(key), "to_json"):
                c[key] = c[key](env.lang)
    n = len(changes)
    emit(changes, ("lead_id", "change", "reason"), [_("lead"), _("change"), _("reason")],
         [(c["lead_id"], _pooled(c["change"]), c["reason"]) for c in changes],
         empty=_("review: nothing to change"),
         footer=[(ngettext("{n} change proposed (dry run)", "{n} changes proposed (dry run)", n) if dry_run
                  else ngettext("{n} change", "{n} changes", n)).format(n=n) if changes else ""])


def _pooled(change) -> str:
    """A review's change as people read it: ``赵敏 → pool`` names the pool
    in the reader's language."""
    text = str(change)
    return text[:-len("pool")] + _("pool") if text.endswith("→ pool") else text


# --------------------------------------------------------------- rescore


@cli.command()
@click.option("--industry", help="Only this industry.")
@click.option("--batch-size", type=click.IntRange(min=1, max=BATCH_MAX), default=1000, show_default=True,
              help="Leads per transaction; memory grows with it (about 30 KB per lead).")
@click.option("--refold", is_flag=True,
              help="Fold every lead's ownership again from its log (after verify found one changed).")
@output_options
@pass_env
def rescore(env, industry, batch_size, refold, as_json):
    """Rebuild every projection from the event log.

    Every lead's facts are rebuilt from the log, then its projection is
    stored at the run's clock under the current rules; the count per grade
    is printed. Run it after an upgrade or a changed setting, so that lists
    stay fast.

    Examples:

    \b
    leadcycle rescore
    leadcycle rescore --industry machinery
    """
    book = env.book()
    total = book.store.count_leads(industry)
    if interactive() and not as_json and total > batch_size:
        with click.progressbar(length=total, label="rescoring", file=click.get_text_stream("stderr")) as bar:
            counts = book.rescore(batch_size, industry, progress=bar.update, refold=refold)
    else:
        counts = book.rescore(batch_size, industry, refold=refold)
    records = [{"industry": ind, "grade": g, "leads": n} for ind, grades in counts.items() for g, n in grades.items()]
    words = Words(book, env.lang)
    n = sum(r["leads"] for r in records)
    emit(records, ("industry", "grade", "leads"), [_("industry"), _("grade"), _("leads")],
         [(words.industry(r["industry"]), r["grade"] or _("(none)"), r["leads"]) for r in records],
         as_json={ind: {(g or "none"): n for g, n in grades.items()} for ind, grades in counts.items()},
         footer=[ngettext("{n} lead rescored", "{n} leads rescored", n).format(n=n)])


# ---------------------------------------------------------------- fields


@cli.command()
@click.option("--industry", help="The industry (default: the database's only one).")
@output_options
@pass_env
def fields(env, industry):
    """The attributes and event kinds an industry reads.

    Examples:

    \b
    leadcycle fields
    leadcycle fields --industry realestate
    leadcycle fields --industry machinery --json
    """
    from leadcycle.errors import LeadcycleError
    from leadcycle.registry import BASE_FIELDS, Registry

    if industry is None:
        try:  # an office of one industry need not name it
            industry = env.book().only_industry()
        except LeadcycleError:  # no database here: the industry must be named
            industry = None
        if industry is None:
            raise click.UsageError(_("Missing option '--industry' (this database has no one industry to take)."))

    ind = Registry.current().industry(industry)
    lang = env.lang

    def field_json(f):
        return {"name": f.name, "type": f.type, "label": f.label.to_json(),
                "choices": [{"value": c.value, "label": c.label.to_json()} for c in f.choices],
                "minimum": f.minimum, "maximum": f.maximum, "required": f.required,
                "help": f.help.to_json() if f.help else None}

    def allowed(f):
        if f.choices:
            return " | ".join(c.value for c in f.choices)
        if f.minimum is not None or f.maximum is not None:
            return f"{bound(f.minimum)}..{bound(f.maximum)}"
        return ""

    def bound(value) -> str:  # a number as 0.01, a date as 2000-01-01
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, dt.date) else f"{value:g}"

    def kind_fields(k):
        return ", ".join(f"{f.name}:{f.type}" + (f"({'|'.join(c.value for c in f.choices)})" if f.choices else "")
                         for f in k.fields)

    def shown(f):  # the table: a code to type, with its label beside it in Chinese
        if not f.choices or lang == "en":
            return allowed(f)
        return " | ".join(f"{c.value}（{c.label(lang)}）" if c.label(lang) != c.value else c.value for c in f.choices)

    def kind_fields_shown(k):
        if lang == "en":
            return kind_fields(k)
        return "，".join(f"{f.name}（{f.label(lang)}）：{_(f.type)}" + (f"（{shown(f)}）" if f.choices else "")
                        for f in k.fields)

    if output_format() != "table":
        # one record per basic, attribute and loggable event kind; --json keeps the whole document
        records = ([{"section": "basic", "name": f.name, "type": f.type, "label": f.label(lang),
                     "allowed": allowed(f)} for f in BASE_FIELDS]
                   + [{"section": "attribute", "name": f.name, "type": f.type, "label": f.label(lang),
                       "allowed": allowed(f)} for f in ind.fields]
                   + [{"section": "event_kind", "name": k.name, "type": "event", "label": k.label(lang),
                       "allowed": kind_fields(k)} for k in ind.event_kinds if k.loggable])
        emit(records, ("section", "name", "type", "label", "allowed"), as_json={
            "industry": ind.name, "label": ind.label.to_json(),
            "basics": [field_json(f) for f in BASE_FIELDS],
            "attributes": [field_json(f) for f in ind.fields],
            "event_kinds": [{"name": k.name, "label": k.label.to_json(), "loggable": k.loggable,
                             "contact": k.contact, "fields": [field_json(f) for f in k.fields]}
                            for k in ind.event_kinds],
            "grades": [{"value": c.value, "label": c.label.to_json()} for c in ind.grades],
        })
        return
    click.echo(f"{ind.label(lang)} ({ind.name})")
    headers = [_("field name"), _("type"), _("label"), _("allowed")]
    click.echo("\n" + _("Basics (required at registration):"))
    click.echo(table([(f.name, _(f.type), f.label(lang), shown(f)) for f in BASE_FIELDS], headers))
    click.echo("\n" + _("Attributes (leadcycle lead set ID KEY=VALUE):"))
    click.echo(table([(f.name, _(f.type), f.label(lang), shown(f)) for f in ind.fields], headers))
    click.echo("\n" + _("Event kinds (leadcycle log ID KIND):"))
    click.echo(table([(k.name, k.label(lang), kind_fields_shown(k)) for k in ind.event_kinds if k.loggable],
                     [_("kind"), _("label"), _("fields")]))


# -------------------------------------------------------------- settings


@cli.group()
def settings():
    """Per-database settings: thresholds, periods, methods.

    Examples:

    \b
    leadcycle settings list
    leadcycle settings set ownership.protection_days 15
    """


def _setting_row(s, current, is_default, lang):
    return {"key": s.key, "type": s.type, "value": current, "default": s.default,
            "is_default": is_default, "label": s.label(lang),
            "choices": [c.value for c in s.choices], "source": s.source,
            "help": s.help(lang) if s.help else None}


@settings.command(name="list")
@output_options
@pass_env
def settings_list(env):
    """Every setting with its value, default and source.

    Examples:

    \b
    leadcycle settings list
    leadcycle settings list --csv
    """
    st = env.book().settings
    rows = [_setting_row(st.setting(k), st[k], st.is_default(k), env.lang) for k in st]
    emit(rows, ("key", "type", "value", "default", "is_default", "label", "choices", "source", "help"),
         [_("key"), _("value"), _("default"), _("meaning"), _("source")],
         [(r["key"], _setting_value(st.setting(r["key"]), r["value"], env.lang),
           _setting_value(st.setting(r["key"]), r["default"], env.lang), r["label"], _(r["source"]) if r["source"] else "")
          for r in rows])


def _setting_value(s, value, lang: str):
    """A setting's value in the table as a Chinese reader reads it: a
    choice's label (``settings set`` takes the label too), yes or no."""
    if isinstance(value, bool) and lang != "en":
        return yes_no(value)
    if not s.choices or lang == "en" or not isinstance(value, str):
        return value
    return "，".join(s.as_field().choice_label(v, lang) for v in value.split(","))


@settings.command(name="get")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def settings_get(env, key, as_json):
    """Print one setting.

    Examples:

    \b
    leadcycle settings get ownership.protection_days
    """
    st = env.book().settings
    s = st.setting(key)
    if as_json:
        echo_json(_setting_row(s, st[key], st.is_default(key), env.lang))
    else:
        click.echo(st[key])


@settings.command(name="set", context_settings={"ignore_unknown_options": True})  # a value of -25 is no option
@click.argument("key")
@click.argument("value")
@pass_env
def settings_set(env, key, value):
    """Change a setting (validated against its type and range).

    Examples:

    \b
    leadcycle settings set ownership.protection_days 15
    leadcycle settings set realestate.decay_cold_points -25
    """
    book = env.book()
    version = book.rules_version
    stored = book.set_setting(key, value)
    if book.rules_version == version:  # no projection reads it (a credit split, a claim limit…)
        click.echo(_("{key} = {value}; every command from now on applies it").format(key=key, value=stored))
    else:
        click.echo(_("{key} = {value}; every command from now on applies it (leadcycle rescore stores the new "
                     "projections, so that large lists stay fast)").format(key=key, value=stored))


@settings.command(name="reset")
@click.argument("key")
@pass_env
def settings_reset(env, key):
    """Return a setting to its default.

    Examples:

    \b
    leadcycle settings reset ownership.protection_days
    """
    book = env.book()
    book.reset_setting(key)
    value = book.settings[key]
    click.echo(_("{key} = {value} (default)").format(key=key, value="" if value is None else value))


# ------------------------------------------------------------------ demo


def _program() -> str:
    """How the operator can run leadcycle again: ``leadcycle`` when it is on
    the PATH, else the path it was started by (``.venv/bin/leadcycle``)."""
    import os
    import shutil
    import sys

    started = sys.argv[0] if sys.argv and os.path.basename(sys.argv[0]) == "leadcycle" else None
    if started is None or shutil.which("leadcycle") == os.path.abspath(started):
        return "leadcycle"
    return started if os.path.isabs(started) else os.path.relpath(started)  # as typed, not ../../work/…


@cli.command()
@click.option("--days", type=click.IntRange(min=7, max=365), default=42, show_default=True,
              help="Simulated days of office life.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def demo(env, days, seed, as_json):
    """Fill a new database with weeks of a simulated office.

    Fill a database with a few hundred synthetic leads across the installed
    industries, simulate weeks of visits and follow-ups, print the summary.

    Examples:

    \b
    leadcycle --db demo.db demo
    leadcycle --db demo.db demo --days 14 --seed 7
    """
    import os
    import random

    from leadcycle import loader
    from leadcycle.api import LeadBook
    from leadcycle.registry import Registry

    if os.path.exists(env.db_path) and os.path.getsize(env.db_path) > 0:
        raise LeadcycleError(N_("{db} already exists; the demo fills a new database (give another --db or remove it)"),
                             db=env.db_path)
    industries = sorted(Registry.current().industries)
    start = env.now or dt.datetime(2026, 9, 1, 9, 0)
    book = LeadBook.create(env.db_path, industries, now=start)
    env._book = book
    from leadcycle import accounts

    accounts.mark_simulation(book)  # the demo's clock is free
    for name, manager in (("李娜", False), ("王强", False), ("赵敏", False), ("陈经理", True)):
        book.add_agent(name, team="一组", manager=manager)
    rng = random.Random(seed)
    words = Words(book, env.lang)
    if interactive() and not as_json:
        click.echo(_("simulating {days} days of {industries} …").format(
            days=days, industries=_(", ").join(words.industry(i) for i in industries)), err=True)
    loader.call_safely("populate_demo", book=book, rng=rng, start=start, days=days)
    end = start + dt.timedelta(days=days)
    with book.at(end):
        book.rescore()
        summary = {col: book.store.summary_counts(col) for col in ("grade", "stage", "owner")}
        due_today = len(book.store.due_rows(end.date()))
    if as_json:
        echo_json({"database": env.db_path, "now": end, "leads": book.store.count_leads(),
                   **{col: [{"industry": i, col: v, "leads": n} for i, v, n in rows]
                      for col, rows in summary.items()}, "due": due_today})
        return
    click.echo(_("demo database {db}: {leads} leads, clock at {day}").format(
        db=env.db_path, leads=book.store.count_leads(), day=f"{end:%Y-%m-%d}"))

    def named(col: str, industry: str, value: str | None) -> str:
        if col == "owner":
            return owner_cell(value)
        if col == "stage" and value:
            return words.stage(industry, value)
        return value or _("(none)")

    headings = {"grade": (_("By grade:"), _("grade")), "stage": (_("By stage:"), _("stage")),
                "owner": (_("By owner:"), _("owner"))}
    for col in ("grade", "stage", "owner"):
        heading, header = headings[col]
        click.echo("\n" + heading)
        click.echo(table([(words.industry(i), named(col, i, v), n) for i, v, n in summary[col]],
                         [_("industry"), header, _("leads")]))
    click.echo("\n" + _("{n} follow-ups due or overdue on {day}.").format(n=due_today, day=f"{end:%Y-%m-%d}"))
    prog = _program()
    click.echo(_("Try: {command}").format(command=f"{prog} --db {env.db_path} --now {end:%Y-%m-%dT%H:%M} "
                                                  "due --agent 李娜"))
    click.echo(_("     {command}").format(command=f"{prog} --db {env.db_path} --now {end:%Y-%m-%dT%H:%M} show 1"))
