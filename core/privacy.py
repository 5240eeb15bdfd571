"""Who sees a client's phone in full (issue #14: nothing leaked).

Every output masks phones by default (``138****8000``, landlines
``010-****6666``). A viewer who asks for the numbers in full (``--unmask``)
sees those of the leads they own, or every lead's when they are an active
manager; anyone else is refused in one line before anything is printed or
written. Who the viewer is, is the command line's business
(``Env.viewer``); this module only decides what a known viewer may see.
"""

from __future__ import annotations

from typing import Any

import attrs

from .errors import Refused
from .model import Agent, Label
from .i18n import M_, N_


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; ``010-88886666`` → ``010-****6666``.

    Only the last four digits (and a mobile's three-digit prefix, a
    landline's area code) stay: enough to tell two clients apart on the
    phone, not enough to call them."""
    if not phone:
        return phone
    phone, comma, ext = str(phone).partition(",")  # an extension (010-88886666,801) stays
    if "-" in phone:
        area, _, number = phone.partition("-")
        masked = f"{area}-{'*' * max(0, len(number) - 4)}{number[-4:]}"
    elif len(phone) == 11:
        masked = f"{phone[:3]}****{phone[-4:]}"
    elif phone.startswith("+"):  # another region, E.164: +852****6789
        masked = phone[:4] + "*" * max(0, len(phone) - 8) + phone[-4:]
    else:
        masked = "*" * max(0, len(phone) - 4) + phone[-4:]
    return masked + comma + ext


def mask_phones(value: Any) -> Any:
    """``value`` (an event's data) with every value under a ``phone`` key
    masked, at any depth: the registration's phone, a ``set`` that changed
    it, a plugin's event that records one."""
    if isinstance(value, dict):
        return {k: (mask_phone(v) if k == "phone" and isinstance(v, (str, int)) else mask_phones(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_phones(v) for v in value]
    return value


#: the line every table with masked phones ends with
NOTICE = Label("phones masked; owners and managers see full numbers with --unmask",
               "电话已隐藏；客户归属人和经理可用 --unmask 查看完整号码")


@attrs.frozen
class PhoneView:
    """What one viewer sees of the phones in one command's output: the
    numbers of the leads owned by ``owner`` in full, or all of them
    (``everything``), the rest masked. ``PhoneView()`` masks every number."""

    owner: str | None = None
    everything: bool = False

    def reveals(self, owner: str | None) -> bool:
        """Whether the phone of a lead owned by ``owner`` is shown in full."""
        return self.everything or (self.owner is not None and owner == self.owner)

    def phone(self, phone: str | None, owner: str | None) -> str | None:
        """The phone of a lead owned by ``owner``, as this viewer sees it."""
        return phone if self.reveals(owner) else mask_phone(phone)

    def event_data(self, data: Any, owner: str | None) -> Any:
        """An event's data, phones masked unless the lead's are shown."""
        return data if self.reveals(owner) else mask_phones(data)


MASKED = PhoneView()

def _known(viewer: Agent | None) -> Agent:
    if viewer is None:
        raise Refused(N_("--unmask needs to know who is asking: give --as NAME (or set LEADCYCLE_AS); "
                         "a lead's phone is shown in full only to its owner and to managers"))
    if not viewer.active:
        raise Refused(N_("{viewer} has left the office and sees no phone in full"), viewer=viewer.name)
    return viewer


def own_leads(viewer: Agent | None) -> PhoneView:
    """``--unmask`` on a list of leads (``list``, ``due``): a manager sees
    every number, an agent those of their own leads, the rest masked."""
    viewer = _known(viewer)
    return PhoneView(everything=True) if viewer.is_manager else PhoneView(owner=viewer.name)


def one_lead(viewer: Agent | None, lead_id: int, owner: str | None) -> PhoneView:
    """``--unmask`` on one lead (``show``): its owner or a manager, no one else."""
    viewer = _known(viewer)
    if viewer.is_manager:
        return PhoneView(everything=True)
    if owner != viewer.name:
        raise Refused(N_("lead #{lead_id} belongs to {owner}, not {viewer}: "
                         "only its owner or a manager sees its phone in full"),
                      lead_id=lead_id, owner=owner or M_("the pool"), viewer=viewer.name)
    return PhoneView(owner=viewer.name)


def managers_only(viewer: Agent | None, what: str) -> PhoneView:
    """``--unmask`` where the leads need not be the viewer's (``export``,
    ``pool``): managers only."""
    viewer = _known(viewer)
    if not viewer.is_manager:
        raise Refused(N_("{viewer} is not a manager: only a manager sees {what} with full phones"),
                      viewer=viewer.name, what=what)
    return PhoneView(everything=True)


__all__ = ["MASKED", "NOTICE", "PhoneView", "mask_phone", "mask_phones", "managers_only", "one_lead",
           "own_leads"]
