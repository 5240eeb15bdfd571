"""Finding, loading and calling plugins.

Plugins (built-in industries too) come from the entry-point group
``leadcycle``. ``LEADCYCLE_LOAD_PLUGINS=realestate,machinery`` limits which
load (an empty value loads none). Each entry point is loaded on its own: one
whose import raises anything (``SystemExit`` included; ``KeyboardInterrupt``
still stops the program) is named in a warning and skipped.

Hooks are called one plugin at a time, and every result is checked against
the type its hookspec declares. A plugin that raises or returns the wrong
type is handled as its hookspec says (:func:`leadcycle.hookspecs.on_error`):
*skipped* with a one-line warning on stderr, or the command is *refused*
with :class:`PluginFailed`, one line naming the plugin and the hook.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import sqlite3
import sys
import traceback
import types
from typing import Any, Callable, Iterator

import attrs
import pluggy

from . import hookspecs
from .errors import LeadcycleError
from .i18n import M_, N_, Message, language, render

DEFAULT_PLUGINS = ("leadcycle.defaults",)


class PluginFailed(LeadcycleError):
    """A plugin raised or returned the wrong type in a hook whose failure
    refuses the command. Says which plugin, which hook and what was wrong."""

    def __init__(self, plugin: str, hook: str, problem: str | Message):
        self.plugin, self.hook, self.problem = plugin, hook, problem
        super().__init__(N_("plugin {plugin!r} failed in {hook}: {problem}; "
                            "fix or uninstall the plugin (leadcycle plugins lists them)"),
                         plugin=plugin, hook=hook, problem=problem)


_pm: pluggy.PluginManager | None = None
#: plugin name -> what went wrong, for the ``plugins`` command
broken: dict[str, str] = {}
_eps: tuple | None = None
_warned: set[str] = set()


def entry_points() -> tuple:
    """The ``leadcycle`` entry points, scanned once per process (the scan
    reads every installed distribution's metadata)."""
    global _eps
    if _eps is None:
        _eps = tuple(importlib.metadata.entry_points(group="leadcycle"))
    return _eps


def warn(plugin: str, what: str | Message, error: BaseException | None = None) -> None:
    """One line on stderr naming the plugin and what was wrong (once per
    process for the same text); kept in :data:`broken` for ``leadcycle
    plugins``. With ``LEADCYCLE_RAISE_ERRORS`` set, the traceback follows."""
    broken.setdefault(plugin, what)
    line = str(render(M_("Warning: plugin {plugin!r} {what}", plugin=plugin, what=what), language()))
    if line in _warned:
        return
    _warned.add(line)
    print(line, file=sys.stderr)
    if error is not None and os.environ.get("LEADCYCLE_RAISE_ERRORS"):
        traceback.print_exception(error, file=sys.stderr)


def _failure(e: BaseException) -> str:
    text = str(e)
    if len(e.args) > 1 and isinstance(e.args[0], str) and isinstance(e.args[1], attrs.Attribute):
        text = e.args[0]  # an attrs validator's: its message, then the attribute and values it checked
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class _Manager(pluggy.PluginManager):
    """pluggy's manager, which also says what in a plugin it registers
    would silently never work (:func:`_warn_unknown_hooks`), however the
    plugin is registered: by its entry point or by ``register`` (an
    integrator's script, a test)."""

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is not None and registered not in DEFAULT_PLUGINS:
            _warn_unknown_hooks(self, registered)
        return registered


def _make() -> pluggy.PluginManager:
    import importlib

    pm = _Manager("leadcycle")
    pm.add_hookspecs(hookspecs)
    for modname in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(modname), name=modname)
    if not os.environ.get("LEADCYCLE_NO_ENTRYPOINTS"):
        load_entrypoints(pm)
    return pm


def load_entrypoints(pm: pluggy.PluginManager) -> None:
    wanted = os.environ.get("LEADCYCLE_LOAD_PLUGINS")
    allow = None if wanted is None else {w.strip() for w in wanted.split(",") if w.strip()}
    for ep in entry_points():
        if allow is not None and ep.name not in allow:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # SystemExit too: a broken plugin must not take the CLI down
            warn(ep.name, M_("failed to load and was skipped ({failure})", failure=_failure(e)), e)


def _warn_unknown_hooks(pm: pluggy.PluginManager, name: str) -> None:
    """A misspelt hook (``scorecards``) would silently never be called; a
    hook's parameter given a default (``def scorecard(settings,
    industry=None)``) is never passed by pluggy, so it always has that
    default."""
    for caller in pm.get_hookcallers(pm.get_plugin(name)) or []:
        if caller.spec is None:
            warn(name, M_("implements {hook!r}, which is not a leadcycle hook; "
                          "it is never called (see the hooks in the README)", hook=caller.name))
            continue
        for impl in caller.get_hookimpls():
            defaulted = [a for a in impl.kwargnames if a in caller.spec.argnames]
            if impl.plugin_name == name and defaulted:
                warn(name, M_("gives {params} of its {hook} a default value; pluggy never passes a parameter "
                              "that has one, so it is always the default: remove the default", hook=caller.name,
                              params=", ".join(defaulted)))


def get_pm() -> pluggy.PluginManager:
    global _pm
    if _pm is None:
        _pm = _make()
    return _pm


def reset() -> None:
    """Forget the plugin manager (tests, or after changing the environment)."""
    global _pm, _eps
    _pm = None
    _eps = None
    broken.clear()
    _warned.clear()


# ------------------------------------------------------- checking results


# What a check finds wrong is a Message: said in the reader's language,
# the names of Python types and classes as they are.

def _a(noun: str) -> Message:
    if noun[:1].lower() in "aeiou":
        return M_("an {noun}", noun=noun)
    return M_("a {noun}", noun=noun)


def _kind(value: Any) -> str | Message:
    return "None" if value is None else _a(type(value).__name__)


def _none(value: Any) -> Message | None:
    if value is not None:
        return M_("returned {kind}; this hook returns nothing", kind=_kind(value))
    return None


def _instance(class_name: str) -> Callable[[Any], Message | None]:
    def check(value: Any) -> Message | None:
        from . import rules

        cls = getattr(rules, class_name)
        if value is not None and not isinstance(value, cls):
            return M_("returned {kind}, not {expected} (or None)", kind=_kind(value), expected=_a(class_name))
        return None if value is None else _field_problem(value)

    return check


#: the plain types a rule object's fields declare (as their annotations
#: spell them), and what a value of each may be
_PLAIN_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}


def _field_problem(value: Any) -> Message | None:
    """A field of an attrs rule object (``OwnershipPolicy(protection_days="30")``)
    holding a value of another type than it declares: attrs does not check
    annotations, and the value failed later, deep in a fold, as a traceback."""
    if not attrs.has(type(value)):
        return None
    for field in attrs.fields(type(value)):
        declared = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
        parts = [p.strip() for p in str(declared).split("|")]
        optional = "None" in parts
        kinds = [p for p in parts if p != "None"]
        if len(kinds) != 1 or kinds[0] not in _PLAIN_TYPES:
            continue
        got = getattr(value, field.name)
        if got is None and optional:
            continue
        ok = isinstance(got, _PLAIN_TYPES[kinds[0]]) and (kinds[0] == "bool" or not isinstance(got, bool))
        if not ok:
            return M_("returned {kind} whose {field} is {got}, not {expected}", kind=_a(type(value).__name__),
                      field=field.name, got=_kind(got), expected=kinds[0] + (" or None" if optional else ""))
    return None


def _plain(value: Any) -> bool:
    """A value the CLI can print and write as JSON."""
    from .model import Label

    if value is None or isinstance(value, (str, int, float, dt.date, Label)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    from .model import Label

    return isinstance(value, (str, Label))


def _is_opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


#: per item of a list result: key -> (test, what it must be); required keys
#: first, then the optional ones the core reads (sorting, printing)
_LEAD_ID = M_("a lead id (int)")
_TEXT, _TEXT_OR_NONE, _LABEL = M_("text"), M_("text or None"), M_("a Label or text")
_DUE_ITEM = ({"lead_id": (_is_int, _LEAD_ID), "owner": (_is_opt_str, _TEXT_OR_NONE),
              "kind": (lambda v: isinstance(v, str), _TEXT), "text": (_is_text, _LABEL)},
             {"grade": (_is_opt_str, _TEXT_OR_NONE), "registered": (_is_opt_str, _TEXT_OR_NONE),
              "days_overdue": (lambda v: v is None or _is_int(v), M_("an int or None"))})
_REVIEW_ITEM = ({"lead_id": (_is_int, _LEAD_ID), "change": (_is_text, _LABEL), "reason": (_is_text, _LABEL)}, {})
#: a review's note on the review as a whole (a week already reviewed)
_REVIEW_NOTE = ({"note": (_is_text, _LABEL)}, {})


def _items(spec: tuple[dict, dict], other: tuple[dict, dict] | None = None) -> Callable[[Any], Message | None]:
    """The check of a list of dicts, each as ``spec`` says (required keys,
    optional keys: each with its test), or as ``other`` says when it has
    ``other``'s required keys and none of ``spec``'s."""

    def check(value: Any) -> Message | None:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            return M_("returned {kind}, not a list of dicts (or None)", kind=_kind(value))
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                return M_("item {n} is {kind}, not a dict", n=n, kind=_kind(item))
            required, optional = spec
            if other is not None and all(k in item for k in other[0]) and not any(k in item for k in spec[0]):
                required, optional = other
            missing = [k for k in required if k not in item]
            if missing:
                return M_("item {n} has no {keys}", n=n, keys=", ".join(missing))
            for key, (test, what) in {**required, **optional}.items():
                if key in item and not test(item[key]):
                    return M_("item {n}: {key} is {kind}, not {expected}", n=n, key=key, kind=_kind(item[key]),
                              expected=what)
            if not _plain(item):
                return M_("item {n} holds a value that is not plain data (text, numbers, dates, Labels)", n=n)
        return None

    return check


#: hook -> check of one implementation's result: None when fine, else what was wrong
RESULT_CHECKS: dict[str, Callable[[Any], Message | None]] = {
    "register_industries": _none,
    "register_settings": _none,
    "register_migrations": _none,
    "register_commands": _none,
    "scorecard": _instance("Scorecard"),
    "stages": _instance("StageLadder"),
    "ownership_policy": _instance("OwnershipPolicy"),
    "follow_up_cadence": _instance("Cadence"),
    "due_items": _items(_DUE_ITEM),
    "run_review": _items(_REVIEW_ITEM, _REVIEW_NOTE),
    "check_event": _none,
    "populate_demo": _none,
}


# ---------------------------------------------------------- calling hooks


def implementations(hook_name: str) -> list[tuple[str, Any]]:
    """``(plugin name, hookimpl)`` for ``hook_name`` in pluggy's calling
    order (tryfirst → normal → trylast, later registrations first)."""
    pm = get_pm()
    return [(pm.get_name(impl.plugin) or repr(impl.plugin), impl)
            for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls())]


#: what SQLite says when the database, not the code using it, is at fault:
#: read-only, held by another writer, a full or failing disk
ENVIRONMENTAL = ("readonly", "locked", "busy", "disk is full", "disk i/o error")


def is_environmental(e: BaseException) -> bool:
    """Whether ``e`` is the database's state (:data:`ENVIRONMENTAL`): said
    as such, never blamed on the plugin whose hook met it."""
    return isinstance(e, sqlite3.OperationalError) and any(w in str(e).lower() for w in ENVIRONMENTAL)


def call_one(hook_name: str, plugin: str, impl, kwargs: dict,
             passthrough: tuple[type[BaseException], ...] = ()) -> Any:
    """Call one implementation and check its result. Raises
    :class:`PluginFailed` when it raises anything (``KeyboardInterrupt``,
    a :class:`PluginFailed` from a nested hook and ``passthrough`` aside)
    or returns the wrong type."""
    try:
        out = impl.function(**{k: kwargs[k] for k in impl.argnames})
    except (KeyboardInterrupt, PluginFailed, *passthrough):
        raise
    except BaseException as e:
        if is_environmental(e):  # the database's state, not the plugin's fault
            raise
        raise PluginFailed(plugin, hook_name, M_("raised {failure}", failure=_failure(e))) from e
    problem = RESULT_CHECKS[hook_name](out)
    if problem is not None:
        raise PluginFailed(plugin, hook_name, problem)
    return out


def skipped(e: PluginFailed) -> None:
    """Report a plugin skipped under the :data:`~leadcycle.hookspecs.SKIP` policy."""
    warn(e.plugin, M_("{hook}: {problem}; skipped", hook=e.hook, problem=e.problem), e.__cause__)


def results(hook_name: str, passthrough: tuple[type[BaseException], ...] = (),
            **kwargs) -> Iterator[tuple[str, Any]]:
    """``(plugin name, result)`` of each implementation of ``hook_name``.
    A broken one is skipped with a warning, or raises :class:`PluginFailed`,
    as the hookspec's policy says."""
    refuse = hookspecs.on_error(hook_name) == hookspecs.REFUSE
    for plugin, impl in implementations(hook_name):
        try:
            out = call_one(hook_name, plugin, impl, kwargs, passthrough)
        except PluginFailed as e:
            if refuse or e.hook != hook_name or e.plugin != plugin:
                raise
            skipped(e)
            continue
        yield plugin, out


def call_safely(hook_name: str, **kwargs) -> list:
    """Every plugin's non-``None`` result for ``hook_name``, each plugin
    called on its own (a broken one handled by the hook's policy)."""
    return [out for _, out in results(hook_name, **kwargs) if out is not None]


def first_result(hook_name: str, **kwargs):
    """Like a ``firstresult`` hook call: the first non-``None`` result."""
    return first_answer(hook_name, **kwargs)[1]


def first_answer(hook_name: str, **kwargs) -> tuple[str | None, Any]:
    """``(plugin, result)`` of the first plugin whose result is not ``None``
    (``(None, None)`` when none answers)."""
    return next(((plugin, out) for plugin, out in results(hook_name, **kwargs) if out is not None), (None, None))


def call_checks(hook_name: str, **kwargs) -> None:
    """Call a checking hook on each plugin: a :class:`~leadcycle.LeadcycleError`
    it raises is its refusal and reaches the caller as it is; anything else
    it raises or returns refuses too (fails closed), naming the plugin."""
    for _ in results(hook_name, passthrough=(LeadcycleError,), **kwargs):
        pass


def registrations(hook_name: str, check: Callable[[Any, list], None]) -> Iterator[tuple[str, list]]:
    """Call a ``register_*`` hook once per plugin with a ``register``
    callback of its own, and yield ``(plugin name, what it registered)``
    for each plugin whose whole call succeeded. ``check(item, batch)``
    raises ``TypeError``/``ValueError`` for an item that cannot be
    registered (``batch``: the plugin's items so far), which fails the
    plugin's call — so a plugin's registrations count all or none. The
    core's own registrations (:data:`DEFAULT_PLUGINS`) come first: a plugin
    that declares a name the core has (``ownership.protection_days``) is the
    one refused, not the core with every setting it declares."""
    impls = implementations(hook_name)
    for plugin, impl in sorted(impls, key=lambda pi: pi[0] not in DEFAULT_PLUGINS):
        batch: list = []

        def register(item, batch=batch):
            check(item, batch)
            batch.append(item)

        try:
            call_one(hook_name, plugin, impl, {"register": register})
        except PluginFailed as e:
            if e.hook != hook_name or e.plugin != plugin:
                raise
            skipped(e)
            continue
        yield plugin, batch


def culprit(error: BaseException) -> str | None:
    """The plugin whose code raised ``error`` outside a hook call (a
    ``Feature.compute`` the engine runs, a plugin command): the innermost
    frame of the traceback that lies in a plugin's module; ``None`` when no
    plugin code is on it."""
    pm = get_pm()
    modules: dict[str, str] = {}
    for name, plugin in pm.list_name_plugin():
        if name in DEFAULT_PLUGINS:
            continue
        if isinstance(plugin, types.ModuleType):
            modules[plugin.__name__] = name
        for caller in pm.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    modules.setdefault(impl.function.__module__, name)
    found = None
    tb = error.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        for prefix, name in modules.items():
            if module == prefix or module.startswith(prefix + "."):
                found = name
        tb = tb.tb_next
    return found


def plugin_info() -> list[dict]:
    pm = get_pm()
    out = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda p: p[0]):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        industries: list[str] = []
        impl = getattr(plugin, "register_industries", None)
        if impl is not None:
            try:
                impl(lambda ind: industries.append(getattr(ind, "name", repr(ind))))
            except KeyboardInterrupt:
                raise
            except BaseException:  # reported where the industries are registered
                pass
        dist = None
        for ep in entry_points():
            if ep.name == name and ep.dist is not None:
                dist = f"{ep.dist.name} {ep.dist.version}"
        entry = {"name": name, "industries": industries, "hooks": hooks, "distribution": dist}
        if name in broken:
            entry["error"] = broken[name]
        out.append(entry)
    for name, error in sorted(broken.items()):
        if not any(p["name"] == name for p in out):
            out.append({"name": name, "industries": [], "hooks": [], "error": error})
    return out
