"""Shell completion (click's): agents, lead ids, industries, stages and
setting keys complete from the database named by ``--db`` / ``LEADCYCLE_DB``.

    eval "$(_LEADCYCLE_COMPLETE=bash_source leadcycle)"     # in ~/.bashrc (zsh_source, fish_source)

A completion reads the database read-only (SQLite's ``mode=ro``: never
created, migrated or locked for writing) and never fails: a missing or
foreign database, a broken plugin, anything, completes nothing. Parameters
get their completion by name (``--agent``, ``--owner``, ``LEAD_ID``,
``--industry``, ``--stage``, the settings' ``KEY``…) when the command tree
is built, so the plugins' commands complete too.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from typing import Callable, Iterable

import click
from click.shell_completion import CompletionItem


def _db_path(ctx: click.Context) -> str:
    root = ctx.find_root()
    return root.params.get("db") or os.environ.get("LEADCYCLE_DB") or "leads.db"


def _read(ctx: click.Context, sql: str, args: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` on the database, opened read-only; none on any error."""
    path = _db_path(ctx)
    if not os.path.isfile(path):
        return []
    try:
        conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def never_fails(func: Callable[..., Iterable]) -> Callable[..., list[CompletionItem]]:
    """A completion that completes nothing rather than print a traceback
    into the operator's shell."""

    @functools.wraps(func)
    def complete(ctx, param, incomplete):
        try:
            return [item if isinstance(item, CompletionItem) else CompletionItem(item)
                    for item in func(ctx, param, incomplete or "")]
        except Exception:  # noqa: BLE001 — a completion must never break the shell
            return []

    return complete


@never_fails
def agents(ctx, param, incomplete):
    """Active agents' names (departed agents are not offered)."""
    rows = _read(ctx, "SELECT name, team FROM agents WHERE active = 1 ORDER BY name")
    return [CompletionItem(name, help=team) for name, team in rows if name.startswith(incomplete)]


@never_fails
def lead_ids(ctx, param, incomplete):
    """Lead ids that start with what was typed, with the client's name;
    the shortest first, at most 50 (an office has thousands)."""
    digits = incomplete.lstrip("#")
    if digits and not digits.isdigit():
        return []
    rows = _read(ctx, "SELECT id, name FROM leads WHERE CAST(id AS TEXT) LIKE ? ORDER BY id LIMIT 50",
                 (digits + "%",))
    return [CompletionItem(str(i), help=name) for i, name in rows]


@never_fails
def industries(ctx, param, incomplete):
    """The database's enabled industries, else every installed one."""
    names = [r[0] for r in _read(ctx, "SELECT name FROM industries ORDER BY name")]
    if not names:
        from leadcycle.registry import Registry

        names = sorted(Registry().industries)
    return [n for n in names if n.startswith(incomplete)]


def _settings(ctx):
    from leadcycle.registry import Registry
    from leadcycle.settings import Settings

    registry = Registry()
    stored = {k: json.loads(v) for k, v in _read(ctx, "SELECT key, value FROM settings")}
    return registry, Settings(registry.settings, stored)


@never_fails
def setting_keys(ctx, param, incomplete):
    registry, settings = _settings(ctx)
    return [CompletionItem(k, help=str(settings[k])) for k in settings if k.startswith(incomplete)]


@never_fails
def stages(ctx, param, incomplete):
    """The stages of the enabled industries' ladders, as the settings choose them."""
    registry, settings = _settings(ctx)
    enabled = [r[0] for r in _read(ctx, "SELECT name FROM industries ORDER BY name")] or sorted(registry.industries)
    rules = registry.context(settings, enabled).rules
    names: list[str] = []
    for n in enabled:
        ladder = rules[n].stages if n in rules else None
        for st in (ladder.stages if ladder else ()):
            if st.name not in names:
                names.append(st.name)
    return [n for n in names if n.startswith(incomplete)]


#: the parameters that name an agent (a flag of that name, ``agent add
#: --manager``, names none)
AGENT_PARAMS = ("agent", "owner", "to", "as_name", "agent_name", "manager", "appointment", "returning",
                "asks_for", "by", "departing")

#: parameter name → completion; what a parameter is called says what it holds
BY_NAME = {
    **dict.fromkeys(AGENT_PARAMS, agents),
    **dict.fromkeys(("lead_id", "lead", "referred_by"), lead_ids),
    **dict.fromkeys(("industry", "industries"), industries),
    "stage": stages,
}


def attach(cmd: click.Command, path: tuple[str, ...]) -> None:
    """Give ``cmd``'s parameters their completion by name (and ``settings
    get/set/reset KEY`` the setting keys), unless they have their own."""
    for param in cmd.params:
        func = setting_keys if path[:1] == ("settings",) and param.name == "key" else BY_NAME.get(param.name)
        if func is None or getattr(param, "_custom_shell_complete", None) is not None:
            continue
        if isinstance(param, click.Option) and param.is_flag:
            continue
        param._custom_shell_complete = func  # click's hook for shell_complete=…, set after the fact
