"""The core's own hook implementations: its settings and default policies."""

from __future__ import annotations

from .i18n import M_
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
        minimum=0, maximum=60, source="DOMAIN §3.6 (002)", projection=False,
    ))
    register(Setting(
        "auth.session_hours", "int", 12,
        Label("a sign-in lasts (hours)", "登录有效期（小时）"),
        help=Label("On an office database a session from 'leadcycle login' ends after this many "
                   "hours of the machine's clock; sign in again after it.",
                   "门店数据库上，登录后经过该小时数（按本机时钟）自动失效，需重新登录。"),
        minimum=1, maximum=24 * 30, source="ours (issue #10)", projection=False,
    ))
    register_ownership_settings(register)


#: a time of day, zero-padded, so that two compare as text (lunch start ≤ end)
HHMM = (r"([01][0-9]|2[0-3]):[0-5][0-9]", M_("a time of day as HH:MM between 00:00 and 23:59, e.g. 12:00"))

#: the fractions an office may choose for a credit split (exact, no rounding)
SPLIT_CHOICES = ("0", "1/10", "1/5", "1/4", "3/10", "1/3", "2/5", "1/2", "3/5", "2/3", "7/10",
                 "3/4", "4/5", "9/10", "1")


def register_ownership_settings(register):
    """Ownership numbers beyond the protection period (DOMAIN §3)."""
    register(Setting(
        "ownership.timely_follow_up_days", "int", 15,
        Label("an owner's follow-up is timely within (days)", "跟进及时的期限（天）"),
        help=Label("In a collision the owner's follow-up counts as on time when the last one before "
                   "the colleague's reception is at most this old; else the closer takes 4/5. "
                   "The documents give no number for 'on time'; 15 days is 004's limit after "
                   "the last call-back.",
                   "撞单时，原置业顾问在同事接待前最后一次跟进不超过该天数即视为按时回访；"
                   "文件未给出具体天数，取004中“最后一次回访后15天”。"),
        minimum=1, maximum=365, source="DOMAIN §2 (004 楼盘客户划分标准), §3.6", projection=False))
    splits = (
        ("collision_owner", "1/2", "owner's share in a good-faith collision, owner followed up on time",
         "撞单（双方善意、原顾问按时回访）原顾问所得"),
        ("late_owner", "1/5", "owner's share in a collision when the owner had no timely follow-up",
         "撞单且原顾问未按时回访时原顾问所得"),
        ("stand_in_owner", "1/2", "owner's share when a stand-in received the client in the owner's "
         "absence and closed", "原顾问不在、代接同事成交时原顾问所得"),
        ("assist_stand_in", "3/10", "stand-in's share when the owner closed after substantial help",
         "代接同事有重大促进作用、原顾问成交时代接同事所得"),
        ("referral_owner", "1/3", "owner's share of a referral closed by the queue agent in the "
         "owner's absence", "老客户介绍的新客户由当班顾问在原顾问不在时成交，原顾问所得"),
        ("unrecognized_claimant", "1/2", "share of an agent who proves an unrecognised earlier "
         "reception", "未认出老客户、事后拿出接待依据的置业顾问所得"),
        ("friend_owner", "1/2", "share of the agent who received a friend viewing for the client, when a "
         "colleague closes with the client", "帮朋友看房：原接待顾问所得（朋友再访由他人成交）"),
    )
    for key, default, en, zh in splits:
        register(Setting(f"ownership.split_{key}", "choice", default, Label(en, zh),
                         choices=[(c, (c, c)) for c in SPLIT_CHOICES], source="DOMAIN §3.6 (002)",
                         projection=False))
    for key, default, en, zh in (
        ("accumulation", 30, "client accumulation", "客户积累"),
        ("contract", 50, "contract and down payment", "签订合同和首期款"),
        ("mortgage", 70, "mortgage processed", "按揭手续办理完毕"),
        ("loan", 100, "loan released", "按揭放款"),
    ):
        later = {"accumulation": "contract", "contract": "mortgage", "mortgage": "loan"}.get(key)
        register(Setting(f"ownership.commission_{key}_pct", "int", default,
                         Label(f"commission payable at {en} (%)", f"{zh}阶段可发提成（%）"),
                         minimum=0, maximum=100, source="DOMAIN §3.11 (004)",
                         at_most=later and f"ownership.commission_{later}_pct",  # cumulative shares
                         projection=False))
    register_recognition_and_pool_settings(register)
    register(Setting(
        "ownership.lunch_duty_agent", "str", "",
        Label("lunch-duty agent (empty: none)", "午餐值班置业顾问（空为不设）"),
        help=Label("During the lunch break this agent receives walk-ins without consuming a turn.",
                   "午餐时间由值班顾问接待来访，不计轮次。"),
        source="DOMAIN §3.10 (002)", projection=False))
    register(Setting(
        "ownership.lunch_start", "str", "12:00", Label("lunch break starts (HH:MM)", "午餐时间开始"),
        help=Label("The documents name a lunch duty but no hours; 12:00–13:30 is our default.",
                   "文件只规定午餐值班，未给出时间；默认12:00–13:30。"),
        source="defined by leadcycle (DOMAIN §3.10 is silent on hours)", pattern=HHMM,
        at_most="ownership.lunch_end", projection=False))
    register(Setting(
        "ownership.lunch_end", "str", "13:30", Label("lunch break ends (HH:MM)", "午餐时间结束"),
        source="defined by leadcycle (DOMAIN §3.10 is silent on hours)", pattern=HHMM, projection=False))


def register_recognition_and_pool_settings(register):
    """Recognition, the deal moment, 004's new-client rule and the pool's
    rules (DOMAIN §3.4–§3.7; yudao and CordysCRM for the 公海 limits)."""
    register(Setting(
        "ownership.recognition_contact_days", "int", 30,
        Label("after this many days without contact, a returning client is the receiver's (days)",
              "超过该天数未联系的老客户归顺序接待者（天）"),
        help=Label("A returning client received by a colleague goes to the receiver regardless of "
                   "recognition when the owner's last contact is older than this.",
                   "原顾问最后联系距今超过该天数，老客户无论是否被认出都归顺序接待者。"),
        minimum=1, maximum=3650, source="DOMAIN §3.5 (002 置业顾问客户认定标准 #7)"))
    register(Setting(
        "ownership.deal_moment", "choice", "subscription",
        Label("the moment a deal is made, for credit and disputes", "业绩与争议的成交时点"),
        help=Label("subscription: the first deposit (认购) makes the deal and starts the dispute "
                   "window; contract: the contract does.",
                   "subscription：认购（首笔定金）即成交，争议期自认购起算；contract：以签约为成交。"),
        choices=[("subscription", ("subscription", "认购")), ("contract", ("contract", "签约"))],
        source="DOMAIN §3.6 (002: 成交客户归属权追溯期以签订认购书三天为准)", projection=False))
    register(Setting(
        "ownership.first_callback_days", "int", 10,
        Label("new client when no first call-back within (days; 0: off)", "初访后未初次回访即视为新客户（天，0为不用）"),
        help=Label("Real estate: no call-back this many days after the first visit makes the next "
                   "visit a new client for the queue (unless the client names the agent).",
                   "房地产：初访后该天数内未初次回访，客户再访按新客户接待（客户指名除外）。"),
        minimum=0, maximum=365, source="DOMAIN §2 (004 楼盘客户划分标准)"))
    register(Setting(
        "ownership.new_intent_days", "int", 15,
        Label("new client when no new talk within (days after the last call-back; 0: off)",
              "最后回访后未达成新意向洽谈即视为新客户（天，0为不用）"),
        minimum=0, maximum=365, source="DOMAIN §2 (004 楼盘客户划分标准)"))
    register(Setting(
        "ownership.family_separate", "choice", "first",
        Label("a family arriving separately with different phones", "一家人分别来访、电话不同"),
        help=Label("first: one client, the first registration counts (lead add --family-of LEAD "
                   "--relation …); split: a lead of their own, and a deal on either is split equally "
                   "between the two agents (分单制).",
                   "first：一个客户，以第一登记为准；split：各自登记，任一成交佣金均分（分单制）。"),
        choices=[("first", ("first", "以第一登记为准")), ("split", ("split", "佣金均分"))],
        source="002 (客户归属划分 5; 分单制原则)", projection=False))
    register(Setting(
        "ownership.pool_claims", "choice", "manager",
        Label("who takes pooled leads", "公共池客户由谁领取"),
        help=Label("manager: as the documents say, a lapsed lead waits for the client's next visit "
                   "(a new client for the queue) and the manager hands out pooled leads "
                   "(reassign --reason redistribute); open: agents claim lapsed and D leads themselves "
                   "(公海, as yudao and CordysCRM offer), within the limits below. Phone-only leads "
                   "before a visit and a departed agent's leads are never claimed.",
                   "manager：按文件，失效客户等再访按新客户轮接，公共池客户由经理统一分配；open：顾问可自行领取"
                   "失效及D类客户（公海），受下列限制。来电未来访客户与离职顾问的客户不可领取。"),
        choices=[("manager", ("manager", "经理分配")), ("open", ("open", "公海自领"))],
        source="DOMAIN §3.4, §3.7 (002); yudao / CordysCRM 公海", projection=False))
    for key, default, en, zh, maximum in (
        ("claim_daily_limit", 5, "claims per agent per day (0: no limit)", "每人每日领取上限（0为不限）", 1000),
        ("reclaim_days", 7, "previous owner may not reclaim for (days; 0: no bar)", "前归属人不得领回的天数（0为不限）",
         365),
        ("max_owned", 0, "leads an agent may own at most to claim more (0: no limit)", "顾问拥有客户数上限（0为不限）",
         100000),
    ):
        register(Setting(f"ownership.{key}", "int", default, Label(en, zh), minimum=0, maximum=maximum,
                         help=Label("Applies to claims in the open pool.", "仅对公海自领有效。"),
                         source="ours, after yudao / CordysCRM 公海 rules (the documents leave pooling "
                                "to the manager)", projection=False))


@hookimpl
def due_items(book, agent, today):
    from . import revisit

    return revisit.due(book, agent, today)  # revisits planned for today, reports to review


def _fraction(settings, key):
    from fractions import Fraction

    return Fraction(settings[key])


@hookimpl(trylast=True)
def ownership_policy(industry, settings):
    from .rules import CommissionStage

    return OwnershipPolicy(
        protection_days=settings["ownership.protection_days"],
        recognition_minutes=settings["ownership.recognition_minutes"],
        dispute_days=settings["ownership.dispute_days"],
        timely_follow_up_days=settings["ownership.timely_follow_up_days"],
        split_collision_owner=_fraction(settings, "ownership.split_collision_owner"),
        split_late_owner=_fraction(settings, "ownership.split_late_owner"),
        split_stand_in_owner=_fraction(settings, "ownership.split_stand_in_owner"),
        split_assist_stand_in=_fraction(settings, "ownership.split_assist_stand_in"),
        split_referral_owner=_fraction(settings, "ownership.split_referral_owner"),
        split_unrecognized_claimant=_fraction(settings, "ownership.split_unrecognized_claimant"),
        recognition_contact_days=settings["ownership.recognition_contact_days"],
        split_friend_owner=_fraction(settings, "ownership.split_friend_owner"),
        family_split=settings["ownership.family_separate"] == "split",
        deal_moment=settings["ownership.deal_moment"],
        commission_stages=(
            CommissionStage("accumulation", Label("client accumulation", "客户积累"), None,
                            settings["ownership.commission_accumulation_pct"]),
            CommissionStage("contract", Label("contract and down payment", "签订合同和首期款"), "contract",
                            settings["ownership.commission_contract_pct"]),
            CommissionStage("mortgage", Label("mortgage processed", "按揭手续办理完毕"), "mortgage_processed",
                            settings["ownership.commission_mortgage_pct"]),
            CommissionStage("loan", Label("loan released", "按揭放款"), "loan_released",
                            settings["ownership.commission_loan_pct"]),
        ),
    )
