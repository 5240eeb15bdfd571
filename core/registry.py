"""What the installed plugins declare, collected once per command.

:class:`Registry` holds the industries (with the core's event kinds merged
in), the settings and the plugin migrations. :meth:`Registry.context`
asks the rule hooks once per enabled industry and returns a
:class:`Context` that the engine evaluates for any number of leads.
"""

from __future__ import annotations

import attrs

from . import loader, profile, revisit
from .actors import FOLLOW_UP_FIELDS
from .errors import LeadcycleError, NotFound
from .model import Choice, EventKind, Field, Industry, Label, Setting
from .rules import Cadence, OwnershipPolicy, Scorecard, StageLadder
from .settings import Settings
from .i18n import M_, N_

CORE_LEAD_FIELDS = ("name", "gender", "phone", "need")

CORE_EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("register", Label("registered", "登记"), loggable=False, contact=True,
              help=Label("The first registration (来访客户登记表).", "首次登记（来访客户登记表）。")),
    EventKind("set", Label("attributes changed", "资料变更"), loggable=False),
    EventKind("visit", Label("visit", "来访"), contact=True,
              fields=(Field("asks_for", "str", Label("asked for agent", "指名接待顾问")),
                      Field("purpose", "str", Label("purpose of the contact", "拜访目的"))),
              help=Label("The client came to the office or site (--set asks_for=AGENT when they ask "
                         "for an agent).", "客户到访售楼处/现场（指名找某顾问时 --set asks_for=姓名）。")),
    EventKind("call", Label("incoming call", "来电"), contact=True,
              fields=(Field("purpose", "str", Label("purpose of the contact", "拜访目的")),),
              help=Label("The client phoned in.", "客户来电。")),
    EventKind(
        "follow_up", Label("follow-up", "回访跟进"), contact=True,
        fields=(
            Field("channel", "choice", Label("channel", "方式"),
                  choices=(("phone", ("phone", "电话")), ("visit", ("visit", "面访")),
                           ("message", ("message", "短信/微信")), ("other", ("other", "其他")))),
            *FOLLOW_UP_FIELDS,
            Field("purpose", "str", Label("purpose of the contact", "拜访目的")),
        ),
        help=Label("An agent's follow-up: time, content (--note) and the client's reaction "
                   "(--set reaction=positive|neutral|hesitant|negative|refused|no_answer).",
                   "置业顾问的回访：时间、沟通内容（--note）与客户反应（积极/一般/犹豫/消极/拒绝/未接通）。"),
    ),
    EventKind("deposit", Label("deposit", "交定金"),
              fields=(Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),)),
    EventKind(
        "contract", Label("contract signed", "签约成交"),
        fields=(
            Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),
            Field("units", "int", Label("units", "套数/台数"), minimum=1),
            Field("item", "str", Label("unit / product", "房号/产品")),
            Field("buyer", "str", Label("buyer on the contract, if not the registered client", "签约人（与登记人不同时）")),
            Field("buyer_relation", "choice", Label("the buyer is the client's", "签约人与登记人关系"),
                  choices=tuple((r, (r, r)) for r in ("spouse", "parent", "child", "sibling", "partner", "other"))),
        ),
    ),
    EventKind("note", Label("note", "备注")),
    EventKind("stage", Label("stage entered", "进入阶段"), loggable=False),
    EventKind("owner", Label("owner changed", "归属变更"), loggable=False),
    EventKind("assist", Label("substantial help by a colleague", "同事协助（重大促进）"),
              help=Label("A colleague (--agent) gave the owner substantial help with this client; "
                         "the owner's deal then splits 70/30 (DOMAIN §3.6).",
                         "同事对该客户成交有重大促进作用；原顾问成交时按70/30分配。")),
    EventKind("dispute", Label("credit dispute", "业绩争议"), loggable=False),
    EventKind("void", Label("correction (void)", "更正（作废）"), loggable=False,
              help=Label("Voids an earlier entry, which stays in the register: leadcycle void LEAD EVENT "
                         "--as wrong_entry|cancel_subscription|return_unit|refund --reason TEXT --agent NAME.",
                         "作废一条早先的记录（原记录保留）：录入错误、退定、退房、退款。")),
) + revisit.EVENT_KINDS  # the revisit workflow's steps, written by `leadcycle revisit`

_GENDERS = (Choice("M", Label("male", "男")), Choice("F", Label("female", "女")))
GENDER_FIELD = Field("gender", "choice", Label("gender", "性别"), choices=_GENDERS, required=True)
BASE_FIELDS = (
    Field("name", "str", Label("name", "姓名"), required=True),
    GENDER_FIELD,
    Field("phone", "str", Label("phone", "联系电话"), required=True),
    Field("need", "str", Label("basic need", "客户需求"), required=True),
)


@attrs.frozen
class IndustryRules:
    industry: Industry
    scorecard: Scorecard | None
    stages: StageLadder | None
    cadence: Cadence | None
    ownership: OwnershipPolicy


def rule_names(rules: IndustryRules) -> dict[str, set[str]]:
    """Every name an industry's rules read a lead's value by, per hook that
    declared them: the scorecard's criteria, ratings, bands, ladders, caps,
    dimensions and the conditions of its derived values; each stage's
    requirements; the cadence's conditions."""
    from .rules import Count, Derived, Ref
    from .sqlrules import conditions_of, features_of

    names: dict[str, set[str]] = {"scorecard": set(), "stages": set(), "follow_up_cadence": set()}
    card = rules.scorecard
    if card is not None:
        names["scorecard"].update(features_of(card))
        for f in card.features:
            if isinstance(f, (Count, Derived)):
                names["scorecard"].update(c.feature for conds in conditions_of(f) for c in conds)
            if isinstance(f, Derived):
                names["scorecard"].update(value.feature for _, value in f.cases if isinstance(value, Ref))
    if rules.stages is not None:
        names["stages"].update(c.feature for st in rules.stages.stages for c in st.requires)
    if rules.cadence is not None:
        names["follow_up_cadence"].update(c.feature for r in rules.cadence.rules for c in r.when)
        names["follow_up_cadence"].update(c.feature for stop in rules.cadence.all_stops for c in stop.when)
    return names


def unknown_rule_names(rules: IndustryRules) -> dict[str, list[str]]:
    """``{hook: names}``: the names the rules read (:func:`rule_names`) that no lead of the
    industry has: no field, no value the core derives from the log or the
    clock (:class:`leadcycle.sqlrules.Vocabulary`), no value the scorecard
    itself derives. Such a name reads as missing, and every condition on it
    fails quietly: a misspelt count, a kind the industry does not have."""
    ind = rules.industry
    card = rules.scorecard
    kinds = {k.name for k in ind.event_kinds}
    tallies = {t.name: t for t in ind.tallies} | {"visit": None}
    dates = {f.name for f in ind.fields if f.type == "date"}
    known = {f.name for f in ind.fields} | set(CORE_LEAD_FIELDS) | {f.name for f in BASE_FIELDS}
    known |= {"owner", "stage", "grade", "score", "n_contact", "n_follow_up", "registered_at", "last_contact_at",
              "last_follow_up_at", "days_since_registered", "days_since_last_contact",
              "days_since_last_follow_up"}
    known |= {f"n_{k}" for k in kinds | set(tallies)}
    for t in tallies:
        known |= {f"first_{t}_at", f"last_{t}_at", f"days_since_first_{t}", f"days_since_last_{t}"}
    known |= {f"days_to_first_{name}" for name, t in tallies.items() if t is not None and t.after is not None}
    known |= {f"days_until_{d}" for d in dates}
    if card is not None:
        known |= {f.name for f in card.features}

    def is_known(name: str) -> bool:
        if name in known:
            return True
        head, dot, _ = name.partition(".")  # last_<tally>.<key>: any key of its last entry's data
        return bool(dot) and head.startswith("last_") and head[5:] in tallies

    return {hook: sorted(n for n in names if not is_known(n)) for hook, names in rule_names(rules).items()
            if any(not is_known(n) for n in names)}


@attrs.frozen
class Context:
    """Everything the engine needs for one run: rules per enabled industry
    and the settings. Built once; evaluated for any number of leads."""

    registry: "Registry"
    settings: Settings
    rules: dict[str, IndustryRules]
    #: enabled industries whose plugin is not installed: their leads keep
    #: what was last computed for them
    missing: frozenset[str] = frozenset()

    def for_industry(self, name: str) -> IndustryRules:
        try:
            return self.rules[name]
        except KeyError:
            if name in self.missing:
                raise NotFound(N_("industry {name!r} is enabled in this database but its plugin is not "
                                  "installed; install it (leadcycle plugins lists what is)"), name=name) from None
            raise NotFound(N_("industry {name!r} is not enabled in this database; "
                              "run: leadcycle init --industry {name}"), name=name) from None


#: (the loaded plugins, their registry): see :meth:`Registry.current`
_CURRENT: tuple | None = None


def _check_rules(rules: IndustryRules, answered_by: dict[str, str | None]) -> None:
    """Refuse the hook whose rules give a grade off the industry's scale, or
    read a name no lead has (:func:`unknown_rule_names`), naming the plugin
    that answered it (``answered_by``: hook → plugin)."""
    name, card = rules.industry.name, rules.scorecard
    if card is not None:
        scale = [c.value for c in rules.industry.grades]
        given = [g for g, _ in card.thresholds] + [r.grade for r in (*card.ladder, *card.caps, *card.floors)]
        off = sorted({g for g in (*given, card.fallback) if g is not None and g not in scale})
        if off:
            raise loader.PluginFailed(answered_by["scorecard"], "scorecard", M_(
                "its scorecard for {industry} gives grades {grades}, which are not on the industry's "
                "scale ({scale}): no list by grade could find them", industry=name, grades=", ".join(off),
                scale=", ".join(scale)))
    for hook, names in unknown_rule_names(rules).items():
        if hook != "scorecard" and answered_by["scorecard"] not in (None, answered_by[hook]):
            # a ladder or cadence may read values its own plugin's scorecard
            # derives, which another plugin's replaced: only the names the
            # core would derive are surely wrong
            names = [n for n in names if _derived_name(n)]
            if not names:
                continue
        raise loader.PluginFailed(answered_by[hook], hook, M_(
            "its rules for {industry} read {names}, which no lead has (no field, event kind, tally or "
            "derived value of that name), so a condition on it never holds", industry=name,
            names=", ".join(names)))


def _derived_name(name: str) -> bool:
    """Whether ``name`` is one the rules' vocabulary derives from the log or
    the clock (:class:`leadcycle.sqlrules.Vocabulary`,
    :func:`leadcycle.engine.facts`): an attribute of that name would be
    read by one and not the other."""
    return (name.startswith(("n_", "days_since_", "days_until_", "days_to_first_"))
            or name in ("registered_at", "owner", "stage")
            or (name.startswith(("first_", "last_")) and name.endswith("_at")))


class Registry:
    """The installed plugins' industries, settings and migrations. Each
    plugin's registrations count all or none: one that raises, or hands
    ``register`` something it refuses, is left out with a warning
    (:func:`leadcycle.loader.registrations`)."""

    @classmethod
    def current(cls) -> "Registry":
        """The registry of the plugins loaded now, built once for them: a
        process that opens many books (a server, an integrator's job, the
        tests) does not re-run every plugin's registrations each time."""
        global _CURRENT
        pm = loader.get_pm()
        # the plugin objects themselves, held: an id could be reused
        loaded = [pm, *(p for _, p in pm.list_name_plugin())]
        if _CURRENT is None or len(_CURRENT[0]) != len(loaded) or any(
                a is not b for a, b in zip(_CURRENT[0], loaded)):
            _CURRENT = (loaded, cls())
        return _CURRENT[1]

    def __init__(self):
        self.industries: dict[str, Industry] = {}
        self.settings: dict[str, Setting] = {}
        self.migrations: list = []
        for hook, check, add in (
            ("register_industries", self._check_industry, self._add_industry),
            ("register_settings", self._check_setting, self._add_setting),
            ("register_migrations", self._check_migrations, self.migrations.append),
        ):
            for _, batch in loader.registrations(hook, check):
                for item in batch:
                    add(item)

    def _check_industry(self, industry: Industry, batch: list) -> None:
        if not isinstance(industry, Industry):
            raise TypeError(f"register() takes an Industry, not {type(industry).__name__}")
        if industry.name in self.industries or any(i.name == industry.name for i in batch):
            raise ValueError(f"industry {industry.name!r} is registered twice")
        core_kinds = {k.name for k in CORE_EVENT_KINDS}
        for what, names in (("field", [f.name for f in industry.fields]),
                            ("event kind", [k.name for k in industry.event_kinds])):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"industry {industry.name!r}: {what} {', '.join(map(repr, twice))} is declared twice")
        for k in industry.event_kinds:
            if k.name in core_kinds:
                raise ValueError(f"industry {industry.name!r}: event kind {k.name!r} is the core's")
        for f in industry.fields:
            if f.name in CORE_LEAD_FIELDS or f.name in profile.FIELD_NAMES:
                raise ValueError(f"industry {industry.name!r}: field {f.name!r} is the core's")
            if _derived_name(f.name):
                raise ValueError(f"industry {industry.name!r}: field {f.name!r} is named as a value the core "
                                 "derives from the log (n_…, days_since_…, days_until_…, first_/last_…_at, "
                                 "owner, stage): rules would read one or the other; name it otherwise")
        self._check_tallies(industry)

    @staticmethod
    def _check_tallies(industry: Industry) -> None:
        """Each tally a name of its own (not the core's), counting kinds the
        industry has, after a tally that exists."""
        from .storage import CORE_TALLIES

        kinds = {k.name for k in CORE_EVENT_KINDS} | {k.name for k in industry.event_kinds}
        names = [t.name for t in industry.tallies]
        core = {t.name for t in CORE_TALLIES}
        for t in industry.tallies:
            if names.count(t.name) > 1 or t.name in core or t.name in kinds:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} is declared twice, or is the "
                                 "name of the core's tally or of an event kind")
            unknown = [k for k in t.kinds if k not in kinds]
            if unknown:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} counts unknown kinds "
                                 f"{', '.join(unknown)}")
            plain = {x.name for x in industry.tallies if x.after is None} | core
            if t.after is not None and t.after not in plain:
                raise ValueError(f"industry {industry.name!r}: tally {t.name!r} counts after {t.after!r}, "
                                 "which is no tally (or is itself counted after another)")

    @property
    def tallies(self) -> tuple:
        """Every industry's tallies, each marked with its industry."""
        return tuple(attrs.evolve(t, industry=ind.name) for ind in self.industries.values() for t in ind.tallies)


    def _add_industry(self, industry: Industry) -> None:
        # every industry's leads have the core's profile, source and temperament fields
        merged = attrs.evolve(industry, event_kinds=CORE_EVENT_KINDS + tuple(industry.event_kinds),
                              fields=tuple(industry.fields) + profile.FIELDS)
        self.industries[industry.name] = merged

    def _check_setting(self, setting: Setting, batch: list) -> None:
        if not isinstance(setting, Setting):
            raise TypeError(f"register() takes a Setting, not {type(setting).__name__}")
        if setting.key in self.settings or any(s.key == setting.key for s in batch):
            raise ValueError(f"setting {setting.key!r} is declared twice")
        if setting.default not in (None, ""):
            # the default is a value the setting itself accepts: its type, range and choices
            try:
                coerced = setting.coerce(setting.default)
            except LeadcycleError as e:
                raise ValueError(f"setting {setting.key!r}: its default {setting.default!r} is not a value it "
                                 f"accepts ({e.translated('en')})") from None
            if type(coerced) is not type(setting.default) and not (setting.type == "float"
                                                                   and isinstance(setting.default, int)):
                raise ValueError(f"setting {setting.key!r}: its default {setting.default!r} is a "
                                 f"{type(setting.default).__name__}, not the {setting.type} it declares")

    def _add_setting(self, setting: Setting) -> None:
        self.settings[setting.key] = setting

    def _check_migrations(self, migrations, batch: list) -> None:
        from sqlite_utils.migrations import Migrations

        if not isinstance(migrations, Migrations):
            raise TypeError(f"register() takes a sqlite_utils Migrations set, not {type(migrations).__name__}")
        taken = {"core", *(m.name for m in self.migrations), *(m.name for m in batch)}
        if migrations.name in taken:
            raise ValueError(f"migration set {migrations.name!r} is already taken; "
                             "name the set after the plugin")

    def industry(self, name: str) -> Industry:
        try:
            return self.industries[name]
        except KeyError:
            known = ", ".join(sorted(self.industries)) or "none installed"
            raise NotFound(N_("unknown industry {name!r}; installed: {known}"), name=name, known=known) from None

    def event_kind(self, industry: str, kind: str) -> EventKind:
        ind = self.industry(industry)
        for k in ind.event_kinds:
            if k.name == kind:
                return k
        loggable = ", ".join(k.name for k in ind.event_kinds if k.loggable)
        raise NotFound(N_("unknown event kind {kind!r} for {industry}; use one of: {loggable}"),
                       kind=kind, industry=industry, loggable=loggable)

    def context(self, settings: Settings, enabled: list[str]) -> Context:
        """Ask the rule hooks once per enabled industry. These are decision
        hooks: a plugin that raises or returns the wrong type refuses the
        command (:class:`~leadcycle.loader.PluginFailed`)."""
        rules = {}
        for name in enabled:
            if name not in self.industries:
                continue  # plugin not installed any more; its leads stay as they were
            kw = dict(industry=name, settings=settings)
            policy = loader.first_result("ownership_policy", **kw) or OwnershipPolicy()
            answers = {hook: loader.first_answer(hook, **kw) for hook in ("scorecard", "stages", "follow_up_cadence")}
            rules[name] = IndustryRules(
                industry=self.industries[name],
                scorecard=answers["scorecard"][1],
                stages=answers["stages"][1],
                cadence=answers["follow_up_cadence"][1],
                ownership=policy,
            )
            _check_rules(rules[name], {hook: plugin for hook, (plugin, _) in answers.items()})
        return Context(registry=self, settings=settings, rules=rules,
                       missing=frozenset(n for n in enabled if n not in self.industries))


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("funds=A", "price=B")`` → ``{"funds": "A", "price": "B"}``."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise LeadcycleError(N_("{pair!r} is not KEY=VALUE"), pair=pair)
        k, v = pair.split("=", 1)
        k = k.strip()
        if not k:
            raise LeadcycleError(N_("{pair!r} has no key before '='"), pair=pair)
        out[k] = v
    return out
