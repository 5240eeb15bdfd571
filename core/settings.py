"""Typed per-database settings, declared by the core and the plugins."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from .errors import LeadcycleError, NotFound
from .model import Setting


class Settings(Mapping[str, Any]):
    """The settings of one database: declared defaults overlaid with the
    values stored in it. Read like a dict: ``settings["realestate.grading"]``."""

    def __init__(self, declared: Mapping[str, Setting], stored: Mapping[str, Any]):
        self.declared = dict(declared)
        self.stored = {k: v for k, v in stored.items() if k in self.declared}

    def __getitem__(self, key: str) -> Any:
        if key in self.stored:
            return self.stored[key]
        return self.declared[key].default

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.declared))

    def __len__(self) -> int:
        return len(self.declared)

    def setting(self, key: str) -> Setting:
        try:
            return self.declared[key]
        except KeyError:
            close = [k for k in self.declared if k.split(".")[-1] == key.split(".")[-1]]
            hint = f" (did you mean {close[0]}?)" if close else "; see 'leadcycle settings list'"
            raise NotFound(f"unknown setting {key!r}{hint}") from None

    def coerce(self, key: str, raw: Any) -> Any:
        value = self.setting(key).coerce(raw)
        if value is None:
            raise LeadcycleError(f"{key}: a value is required")
        self._check_order(key, value)
        return value

    def _check_order(self, key: str, value: Any) -> None:
        """Refuse a value that breaks a declared ``at_most`` between two
        settings, whichever side is being changed."""
        upper = self.declared[key].at_most
        if upper and upper in self.declared and value > self[upper]:
            raise LeadcycleError(f"{key}: {value} is above {upper} ({self[upper]}); "
                                 f"lower it, or raise {upper} first")
        for other in self.declared.values():
            if other.at_most == key and self[other.key] > value:
                raise LeadcycleError(f"{key}: {value} is below {other.key} ({self[other.key]}); "
                                     f"raise it, or lower {other.key} first")

    def is_default(self, key: str) -> bool:
        return key not in self.stored
