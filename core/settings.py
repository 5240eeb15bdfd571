"""Typed per-database settings, declared by the core and the plugins."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

import attrs

from .errors import LeadcycleError, NotFound
from .model import Setting
from .i18n import N_


class UndeclaredSetting(KeyError):
    """A rule reads a setting nobody declared: its declaration was refused
    (the warning says why) or its name is misspelt."""

    def __str__(self) -> str:
        return (f"no setting {self.args[0]!r} is declared: its declaration was refused (see the warning above) "
                "or the name is misspelt")


class Settings(Mapping[str, Any]):
    """The settings of one database: declared defaults overlaid with the
    values stored in it. Read like a dict: ``settings["realestate.grading"]``."""

    def __init__(self, declared: Mapping[str, Setting], stored: Mapping[str, Any]):
        self.declared = dict(declared)
        self.stored = {k: v for k, v in stored.items() if k in self.declared}

    def __getitem__(self, key: str) -> Any:
        if key in self.stored:
            return self.stored[key]
        try:
            return self.declared[key].default
        except KeyError:
            raise UndeclaredSetting(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.declared))

    def __len__(self) -> int:
        return len(self.declared)

    def setting(self, key: str) -> Setting:
        try:
            return self.declared[key]
        except KeyError:
            close = [k for k in self.declared if k.split(".")[-1] == key.split(".")[-1]]
            if close:
                raise NotFound(N_("unknown setting {key!r} (did you mean {close}?)"), key=key, close=close[0]) from None
            raise NotFound(N_("unknown setting {key!r}; see 'leadcycle settings list'"), key=key) from None

    def coerce(self, key: str, raw: Any) -> Any:
        declared = self.setting(key)
        value = declared.coerce(raw)
        if value is None:
            # empty is a value where the setting means "none" by it: no
            # lunch-duty agent, no sector excluded
            if declared.multiple or declared.default in (None, ""):
                return "" if declared.type in ("str", "choice") else None
            raise LeadcycleError(N_("{key}: a value is required (leadcycle settings reset {key} returns it to its "
                                    "default)"), key=key)
        self.check_relations(key, value)
        return value

    def check_relations(self, key: str, value: Any) -> None:
        """Refuse a value that breaks a declared relation between settings —
        ``at_most`` (an ordering: points for B above A's, a low target above
        its high one) or ``sum_at_most`` (two shares over their total) —
        whichever side is being changed, with one line naming both."""
        if value is None:
            return
        declared = self.declared[key]
        for upper in declared.at_most:
            if upper in self.declared and self[upper] is not None and value > self[upper]:
                raise LeadcycleError(N_("{key}: {value} is above {upper} ({current}); "
                                        "lower it, or raise {upper} first"),
                                     key=key, value=value, upper=upper, current=self[upper])
        for other in self.declared.values():
            if key in other.at_most and self[other.key] is not None and self[other.key] > value:
                raise LeadcycleError(N_("{key}: {value} is below {other_key} ({current}); "
                                        "raise it, or lower {other_key} first"),
                                     key=key, value=value, other_key=other.key, current=self[other.key])
        for other in self.declared.values():
            pair = other.sum_at_most
            if pair is None:
                continue
            if other.key == key:
                partner = pair[0]
            elif pair[0] == key:
                partner = other.key
            else:
                continue
            if partner in self.declared and self[partner] is not None and value + self[partner] > pair[1]:
                raise LeadcycleError(N_("{key}: {value} plus {partner} ({current}) is above {pair:g}; "
                                        "lower one of them"),
                                     key=key, value=value, partner=partner, current=self[partner], pair=pair[1])

    def is_default(self, key: str) -> bool:
        return key not in self.stored


def chained(settings: Iterable[Setting], *chains: tuple[str, ...]) -> list[Setting]:
    """``settings`` with each chain's order declared: every key of a chain
    (lowest first) may not exceed the next one (``Setting.at_most``, added
    to what a setting already declares). A plugin states its orderings in
    one place: ``chained(out, ("realestate.points_c", "realestate.points_b",
    "realestate.points_a"))``."""
    uppers: dict[str, list[str]] = {}
    for chain in chains:
        for low, high in zip(chain, chain[1:]):
            uppers.setdefault(low, []).append(high)
    out = [attrs.evolve(s, at_most=s.at_most + tuple(uppers.pop(s.key))) if s.key in uppers else s
           for s in settings]
    if uppers:
        raise ValueError(f"chained: no such setting {sorted(uppers)[0]!r}")
    return out
