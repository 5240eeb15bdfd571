"""The core's own hook implementations: its settings and default policies."""

from __future__ import annotations

from .hookspecs import hookimpl
from .model import Label, Setting
from .rules import OwnershipPolicy


@hookimpl
def register_settings(register):
    register(Setting(
        "core.timezone", "str", "Asia/Shanghai",
        Label("office time zone", "门店时区"),
        help=Label("Wall-clock time zone used when --now is not given.",
                   "未指定 --now 时所用的时区。"),
    ))
    register(Setting(
        "ownership.protection_days", "int", 30,
        Label("protection period (days)", "客户保护期（天）"),
        help=Label("Ownership lapses this many days after the later of the last visit "
                   "and the owner's last recorded follow-up. Variants in the documents: "
                   "90, 30, 15.",
                   "自最后一次来访与置业顾问最后一次跟进记录中较晚者起，超过该天数未跟进则归属失效。"),
        minimum=1, maximum=3650, source="DOMAIN §3.4 (002, 004)",
    ))
    register(Setting(
        "ownership.recognition_minutes", "int", 15,
        Label("recognition window (minutes)", "认客时限（分钟）"),
        help=Label("An original agent who recognises a returning client within this many "
                   "minutes of the reception gets the lead back (variant: 5).",
                   "原置业顾问在接待后该分钟数内认出老客户，客户归还原顾问（另有5分钟的规定）。"),
        minimum=1, maximum=240, source="DOMAIN §3.5 (002)",
    ))
    register(Setting(
        "ownership.dispute_days", "int", 3,
        Label("dispute window after subscription (days)", "认购后争议期（天）"),
        minimum=0, maximum=60, source="DOMAIN §3.6 (002)",
    ))


@hookimpl(trylast=True)
def ownership_policy(industry, settings):
    return OwnershipPolicy(
        protection_days=settings["ownership.protection_days"],
        recognition_minutes=settings["ownership.recognition_minutes"],
        dispute_days=settings["ownership.dispute_days"],
    )
