"""Finding and loading plugins.

Plugins (built-in industries too) come from the entry-point group
``leadcycle``. ``LEADCYCLE_LOAD_PLUGINS=realestate,machinery`` limits which
load (an empty value loads none). Each entry point is loaded on its own: one
that fails to import is named in a warning and skipped.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import warnings
from typing import Iterator

import pluggy

from . import hookspecs

DEFAULT_PLUGINS = ("leadcycle.defaults",)


class PluginWarning(UserWarning):
    """A plugin failed to load or raised; it was skipped."""


_pm: pluggy.PluginManager | None = None
#: entry point name -> error text, for the ``plugins`` command
broken: dict[str, str] = {}
_eps: tuple | None = None


def entry_points() -> tuple:
    """The ``leadcycle`` entry points, scanned once per process (the scan
    reads every installed distribution's metadata)."""
    global _eps
    if _eps is None:
        _eps = tuple(importlib.metadata.entry_points(group="leadcycle"))
    return _eps


def _make() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("leadcycle")
    pm.add_hookspecs(hookspecs)
    for modname in DEFAULT_PLUGINS:
        mod = importlib.import_module(modname)
        pm.register(mod, name=modname)
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
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as e:  # a broken plugin must not take the CLI down
            broken[ep.name] = f"{type(e).__name__}: {e}"
            warnings.warn(f"plugin {ep.name!r} failed to load and was skipped: {e}",
                          PluginWarning, stacklevel=2)


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


def _results(hook_name: str, kwargs: dict, passthrough: tuple[type, ...] = ()) -> Iterator:
    """Each plugin's result for ``hook_name``, in pluggy's calling order
    (tryfirst → normal → trylast), called one plugin at a time: a plugin
    that raises is named in a warning and skipped — unless the exception is
    one of ``passthrough``, which reaches the caller."""
    pm = get_pm()
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        try:
            out = impl.function(**{k: kwargs[k] for k in impl.argnames})
        except passthrough:
            raise
        except Exception as e:
            name = pm.get_name(impl.plugin) or repr(impl.plugin)
            broken[name] = f"{hook_name}: {type(e).__name__}: {e}"
            print(f"Warning: plugin {name!r} raised in {hook_name} and was skipped: {e}",
                  file=sys.stderr)
            continue
        yield out


def call_safely(hook_name: str, **kwargs) -> list:
    """Call ``hook_name`` on each plugin separately, so that one plugin that
    raises is reported and skipped instead of failing the command."""
    return [out for out in _results(hook_name, kwargs) if out is not None]


def first_result(hook_name: str, **kwargs):
    """Like a ``firstresult`` hook call, but a plugin that raises is skipped."""
    return next((out for out in _results(hook_name, kwargs) if out is not None), None)


def call_strictly(hook_name: str, **kwargs) -> list:
    """Call ``hook_name`` on each plugin, in pluggy's order, for a hook whose
    results must be all or nothing (the review writes): the first plugin
    that raises stops the call with a :class:`~leadcycle.LeadcycleError`
    naming it, so the caller's transaction rolls back what the plugins
    before it wrote."""
    from .errors import LeadcycleError

    pm = get_pm()
    out = []
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        try:
            result = impl.function(**{k: kwargs[k] for k in impl.argnames})
        except Exception as e:
            name = pm.get_name(impl.plugin) or repr(impl.plugin)
            what = "refused" if isinstance(e, LeadcycleError) else f"failed ({type(e).__name__})"
            raise LeadcycleError(f"plugin {name!r} {what} in {hook_name}: {e}") from e
        if result is not None:
            out.append(result)
    return out


def call_checks(hook_name: str, **kwargs) -> None:
    """Call a checking hook on each plugin: a
    :class:`~leadcycle.LeadcycleError` it raises refuses the action and
    reaches the caller; any other exception is reported and the plugin
    skipped, as in :func:`call_safely`."""
    from .errors import LeadcycleError

    for _ in _results(hook_name, kwargs, passthrough=(LeadcycleError,)):
        pass


def plugin_info() -> list[dict]:
    pm = get_pm()
    out = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda p: p[0]):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        industries: list[str] = []
        impl = getattr(plugin, "register_industries", None)
        if impl is not None:
            try:
                impl(lambda ind: industries.append(ind.name))
            except Exception:
                pass
        dist = None
        for ep in entry_points():
            if ep.name == name and ep.dist is not None:
                dist = f"{ep.dist.name} {ep.dist.version}"
        out.append({"name": name, "industries": industries, "hooks": hooks,
                    "distribution": dist})
    for name, error in sorted(broken.items()):
        if not any(p["name"] == name for p in out):
            out.append({"name": name, "industries": [], "hooks": [], "error": error})
    return out
