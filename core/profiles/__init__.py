"""Mapping profiles: how another register's or CRM's columns read.

A profile is a small TOML file an integrator can copy and edit
(``leadcycle import --list-profiles`` prints where the built-in ones
are). Its parts:

* ``title`` and ``signature`` — the headers that recognise it: a file
  whose header row holds two or more of them, and more than of any other
  profile's, is read with it (``--profile NAME|PATH`` chooses one);
* ``[columns]`` — column → field (``name``, ``gender``, ``phone``,
  ``need``, ``registered``, ``agent``, ``channel``, ``relation``, ``note``
  or an attribute; ``-`` skips the column);
* ``[combine.FIELD]`` — a field made of several columns: ``columns``
  joined with a space (``FirstName`` + ``LastName``), or ``cjk_columns``
  joined without one when every part is written in Chinese characters
  (``李`` + ``娜`` = ``李娜``); or ``first_of``, the first filled column
  (a mobile, else the phone);
* ``[values.FIELD]`` — what the source writes → what leadcycle stores
  (``"金融业" = "finance"``, ``"A (重点客户)" = "A"``); ``"*"`` is the value
  for anything not listed, and ``""`` reads a value as blank;
* ``[agents]`` — the source's user names → the office's agents
  (``"Li Na" = "李娜"``).

Columns are matched without regard to case or surrounding spaces.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from importlib import resources
from typing import Any

import attrs

from ..errors import LeadcycleError
from ..i18n import N_

_HAN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]+$")


def _key(text: Any) -> str:
    return " ".join(str(text or "").split()).lower()


@attrs.frozen
class Combine:
    columns: tuple[str, ...] = ()
    cjk_columns: tuple[str, ...] = ()
    first_of: tuple[str, ...] = ()

    def value(self, cells: dict[str, Any]) -> Any:
        """The combined value of one row (``cells``: column key → cell)."""
        def text(column):
            v = cells.get(_key(column))
            return "" if v is None else str(v).strip()

        if self.first_of:
            for column in self.first_of:
                v = cells.get(_key(column))
                if v not in (None, "") and str(v).strip():
                    return v
            return None
        parts = [text(c) for c in self.columns if text(c)]
        if parts and self.cjk_columns and all(_HAN.match(p) for p in parts):
            return "".join(text(c) for c in self.cjk_columns if text(c))
        return " ".join(parts) or None

    def sources(self) -> set[str]:
        return {_key(c) for c in (*self.columns, *self.cjk_columns, *self.first_of)}


@attrs.frozen
class Profile:
    name: str
    title: str
    path: str
    signature: tuple[str, ...] = ()
    #: column key → target
    columns: dict[str, str] = attrs.Factory(dict)
    combine: dict[str, Combine] = attrs.Factory(dict)
    #: target → {source value key: stored value}
    values: dict[str, dict[str, str]] = attrs.Factory(dict)
    #: source user name key → agent
    agents: dict[str, str] = attrs.Factory(dict)

    def score(self, headers: list[str]) -> int:
        keys = {_key(h) for h in headers}
        return sum(1 for s in self.signature if _key(s) in keys)

    def value(self, target: str, raw: Any) -> Any:
        """``raw`` through the profile's value map of ``target``."""
        table = self.values.get(target)
        if not table or raw is None:
            return raw
        key = _key(raw)
        if not key:
            return raw
        if key in table:
            return table[key] or None
        return table.get("*", raw) or None

    def agent(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.agents.get(_key(name), name)


def _parse(name: str, path: str, text: str) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LeadcycleError(N_("profile {path}: not valid TOML ({e})"), path=path, e=e) from None
    try:
        combine = {target: Combine(tuple(spec.get("columns", ())), tuple(spec.get("cjk_columns", ())),
                                   tuple(spec.get("first_of", ())))
                   for target, spec in data.get("combine", {}).items()}
        return Profile(
            name=name, title=str(data.get("title", name)), path=path,
            signature=tuple(str(s) for s in data.get("signature", ())),
            columns={_key(k): str(v).strip() for k, v in data.get("columns", {}).items()},
            combine=combine,
            values={t: {(k if k == "*" else _key(k)): str(v) for k, v in m.items()}
                    for t, m in data.get("values", {}).items()},
            agents={_key(k): str(v).strip() for k, v in data.get("agents", {}).items()})
    except (AttributeError, TypeError) as e:
        raise LeadcycleError(N_("profile {path}: a section has the wrong shape ({e}); "
                                "compare it with a built-in profile (leadcycle import --list-profiles)"),
                             path=path, e=e) from None


def builtin() -> list[Profile]:
    """The profiles shipped with leadcycle, by name."""
    return list(_builtin())


@functools.lru_cache(maxsize=1)
def _builtin() -> tuple[Profile, ...]:
    out = []
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append(_parse(entry.name[:-5], str(entry), entry.read_text(encoding="utf-8")))
    return tuple(out)


DEFAULT = "register"


def load(spec: str) -> Profile:
    """A profile by built-in name or by the path of a TOML file."""
    if os.path.exists(spec) or spec.endswith(".toml"):
        try:
            with open(spec, encoding="utf-8") as f:
                return _parse(os.path.splitext(os.path.basename(spec))[0], spec, f.read())
        except OSError as e:
            raise LeadcycleError(N_("cannot read profile {spec}: {strerror}"), spec=spec, strerror=e.strerror) from None
        except UnicodeDecodeError:
            raise LeadcycleError(N_("profile {spec} is not UTF-8 text"), spec=spec) from None
    for p in builtin():
        if p.name == spec:
            return p
    names = ", ".join(p.name for p in builtin())
    raise LeadcycleError(N_("no profile {spec!r}; built-in: {names}, or give the path of a .toml file"),
                         spec=spec, names=names)


def recognise(headers: list[str]) -> Profile | None:
    """The built-in profile the headers match best (two or more signature
    headers, more than any other), or ``None``."""
    scored = sorted(((p.score(headers), p.name, p) for p in builtin()), key=lambda t: -t[0])
    if not scored or scored[0][0] < 2 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][2]


__all__ = ["Combine", "DEFAULT", "Profile", "builtin", "load", "recognise"]
