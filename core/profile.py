"""Attributes every industry's leads have: the client profile, the lead
source, temperament tags with their coping tactics, and the reasons a deal
stalls (DOMAIN §1 and §6; seeds 000, 001, 003).

They are declared here as data (:data:`FIELDS`) and merged into every
industry by the registry, as the core's event kinds are; an industry that
declares a field of the same name is refused. ``leadcycle fields`` lists
them with the industry's own.

* **Profile** (客户档案管理表格, seed 000): birth date, birthplace, education,
  family, interests, personality, company, title, address — free text but
  the birth date.
* **Source** (来源): how the lead came to us. When none is recorded the
  registration tells: a referral (``--referred-by``) is ``referral``, a
  phone registration ``call``, a visit ``walk_in`` (:func:`source_of`).
* **Temperament** (客户类型, seed 001): one or more tags; each has the
  document's coping tactic, shown in ``show`` and ``due`` as the playbook
  line (:func:`playbook`).
* **Stall reason** (逼单, seed 000 "如何逼单"): why a client keeps putting
  the signing off — the recorded reason of software sales' ``no_obstacle=no``.
"""

from __future__ import annotations

from typing import Iterable

from .i18n import M_, render
from .model import Choice, Field, Label

PROFILE = "client profile (DOMAIN §1, seed 000 客户档案)"

#: (value, en, zh) — the issue's list plus seed 003's flooring sources
SOURCES = (
    ("walk_in", "walk-in", "自然到访"),
    ("call", "phone call", "来电"),
    ("referral", "referral by a client", "老客户介绍"),
    ("event", "event / promotion", "活动"),
    ("online_ad", "online ad", "网络广告"),
    ("seminar", "seminar", "讲座/研讨会"),
    ("reference_client", "reference client", "样板客户"),
    ("estate_sweep", "new housing estate sweep", "新楼盘扫楼"),
    ("key_person", "key person (school head, logistics chief…)", "关键人介绍"),
    ("other", "other", "其他"),
)

#: (value, en, zh, tactic en, tactic zh) — seed 001, three lists of types
#: and the two property buyer types (圆滑老练型, 虚情假意型)
TEMPERAMENTS = (
    ("relationship", "relationship (friend first)", "关系型",
     "keep to your principles; leave room in the price so a discount feels like friendship",
     "坚守原则，事先预留谈价空间，让客户感到只有朋友关系才享受折扣"),
    ("rational", "rational", "理智型",
     "frank, direct talk, no exaggeration; show strengths and weaknesses; keep every promise",
     "坦诚直率地交流，不夸大其词，直观展示优势劣势；承诺的一定要做到"),
    ("task", "on an assignment", "任务型",
     "attentive service, analyse the options for them, firm promises; first impression counts; "
     "not too generous on price",
     "服务周到，主动分析产品优劣，承诺斩钉截铁；第一印象特别重要，费用和服务不宜太优惠"),
    ("greedy", "greedy", "贪婪型",
     "heart-to-heart contact, no fanfare, give them security; guarantee quality, price and "
     "service, but do not meet every demand",
     "保持心灵沟通，不可大造声势，给对方安全感；质量、价格、服务有保障，但不可一味满足"),
    ("owner", "owner / boss", "主人翁型",
     "satisfy them on price first, then raise the price on quality (value for money)",
     "先在价格上给予适当满足，再根据质量回升价格"),
    ("friendly", "friendly", "友善型",
     "give the best service; do not relax because they are tolerant",
     "提供最好的服务，不要因对方的宽容和理解而放松服务要求"),
    ("dominant", "dominant", "独断型",
     "be patient, meet their demands where you can, make them feel respected; "
     "get closer through the people around them",
     "做到忍耐，尽可能满足其要求，让他有被尊重的感觉；可从他身边的人着手"),
    ("analytical", "analytical", "分析型",
     "be sincere, explain with reasons and facts; no need for frequent contact",
     "真诚对待，合理解释，争取理解；一般无需过密联系"),
    ("self_centred", "self-centred", "自我型",
     "keep your temper, be courteous, apologise sincerely for your mistakes; let them lead",
     "控制情绪，以礼相待，对自己的过失真诚道歉，让他有被敬重的感觉；学会示弱"),
    ("opinion_driven", "opinion-driven", "重视舆论型",
     "persuade head-on with evidence; be earnest; quote other clients' honest opinions",
     "正面说服和交谈，认真、真诚，列举他人的忠恳意见"),
    ("honest_hesitant", "honest but hesitant", "忠厚老实型",
     "warm, sincere, down-to-earth service; give kind, correct advice",
     "提供亲切、真诚、实在的服务，给予善意、正确的建议"),
    ("non_listener", "won't listen", "不做听众型",
     "let them talk and do not argue; back every claim with a concrete example (the document's "
     "tactic is cut off; ours)",
     "让其多说，不争辩；每个说法都用具体事例佐证（资料原文缺失，本系统补充）"),
    ("slick", "slick, hard bargainer", "圆滑老练型",
     "read their real motive; create urgency (few units left, price rise, others ordering); "
     "bring ample evidence; prepare the price and terms in advance",
     "预先洞察真实意图，面谈时营造紧张气氛（现货不多、即将提价、已有人订购）；准备足够资料佐证，事先准备好价格及交易条件"),
    ("insincere", "friendly but insincere", "虚情假意型",
     "win their full trust with hard evidence (buyers' feedback, certificates); be patient, offer "
     "options, do not give in to excessive discounts",
     "以有力证据（已购客户反馈、权威鉴定）取得完全信赖；耐心周旋，提供优惠选项，不轻易答应过分的折扣要求"),
)

#: seed 000 如何逼单: the reasons clients give for not signing yet
STALL_REASONS = (
    ("weak_awareness", "not aware of the need", "意识不强烈"),
    ("no_plan", "no plan", "没有计划"),
    ("poor_sales", "their sales are poor", "销量不好"),
    ("only_agent", "only an agent / distributor", "只是代理"),
    ("relocating", "building a new plant or relocating", "建设新厂房或搬迁"),
    ("restructuring", "restructuring", "正在改制"),
    ("single_product", "a single product line", "品种单一"),
    ("few_customers", "few customers", "客户有限"),
    ("too_busy", "too busy", "太忙"),
    ("too_expensive", "too expensive", "价格太贵"),
    ("no_trust", "does not know or trust us", "对我们不了解、不信任"),
    ("no_computer", "no computer", "没有电脑"),
    ("nobody_to_run_it", "nobody to run it", "没人管理"),
)

_TACTICS = {v: Label(en, zh) for v, _, _, en, zh in TEMPERAMENTS}


def _choices(rows) -> tuple[Choice, ...]:
    return tuple(Choice(row[0], Label(row[1], row[2])) for row in rows)


def _text(name, en, zh, help_=None):
    return Field(name, "str", Label(en, zh), help=help_ or Label(PROFILE, "客户档案"))


#: the help of the fields an import keeps as the office wrote them
IMPORTED = Label("as imported: recorded by the office's register or another CRM; the rules do not read it",
                 "导入资料：原登记表或其他CRM的记录，不参与评级")

FIELDS: tuple[Field, ...] = (
    Field("birth_date", "date", Label("birth date", "出生日期"), past=True, help=Label(PROFILE, "客户档案")),
    _text("birthplace", "birthplace", "出生地"),
    _text("education", "education", "教育背景"),
    _text("family", "family (spouse, children)", "家庭（配偶、子女）"),
    _text("interests", "interests", "兴趣爱好"),
    _text("personality", "personality", "性格特点"),
    _text("company", "company", "公司名称"),
    _text("title", "title", "职务/职称"),
    _text("address", "address", "地址"),
    Field("source", "choice", Label("lead source", "客户来源"), choices=_choices(SOURCES),
          help=Label("How the lead came to us; unrecorded, the registration tells "
                     "(referral, call or walk-in).", "客户从何而来；未记录时按登记方式推定（介绍、来电或来访）。")),
    Field("temperament", "choice", Label("temperament", "客户类型"), choices=_choices(TEMPERAMENTS),
          multiple=True, help=Label("One or more tags (a,b); each comes with its coping tactic "
                                    "(seed 001).", "可多选（a,b）；每种类型附应对方式（资料001）。")),
    Field("stall_reason", "choice", Label("why signing stalls", "迟迟不签单的原因"),
          choices=_choices(STALL_REASONS), multiple=True,
          help=Label("The reasons the client gives for not signing yet (seed 000, 如何逼单).",
                     "客户不签单的原因（资料000“如何逼单”）。")),
    # what an imported register or another CRM recorded (issue #13): kept as the
    # office wrote it, never read by the rules
    _text("email", "email", "电子邮箱", IMPORTED),
    _text("qq", "QQ", "QQ号", IMPORTED),
    _text("wechat", "WeChat", "微信", IMPORTED),
    _text("grade_as_imported", "grade as the office recorded it", "原登记客户等级", IMPORTED),
    Field("visits_as_imported", "int", Label("visits as the register counted them", "原登记来访次数"),
          minimum=0, help=IMPORTED),
    _text("last_follow_up_at", "last follow-up (time, as imported)", "最后跟进时间", IMPORTED),
    _text("last_follow_up", "last follow-up (content, as imported)", "最后跟进内容", IMPORTED),
    _text("next_contact_at", "next contact (as imported)", "下次联系时间", IMPORTED),
)
FIELD_NAMES = frozenset(f.name for f in FIELDS)
_BY_NAME = {f.name: f for f in FIELDS}


def labels(name: str, stored, lang: str = "en") -> list[str]:
    """The labels of the values a core choice field holds."""
    field = _BY_NAME[name]
    return [field.choice_label(v, lang) for v in field.values(stored)]


def source_of(attributes: dict, registration_data: dict | None) -> str:
    """The lead's source: recorded, or what its registration says."""
    recorded = attributes.get("source")
    if recorded:
        return recorded
    data = registration_data or {}
    if data.get("referred_by") is not None:
        return "referral"
    return "call" if data.get("channel") == "call" else "walk_in"


#: the events that make a deal, whatever the industry: a signed contract or an order
DEAL_KINDS = ("contract", "order")


def sources_report(book, industry: str | None = None) -> list[dict]:
    """Leads and deals (a contract or an order, not voided) by source, in
    the order of :data:`SOURCES`, as of the book's clock: the leads
    registered by then, their entries up to it; sources without leads are
    left out."""
    if industry is not None:
        book.industry(industry)  # an industry not enabled is a one-line error, not an empty table
    counts: dict[str, list[int]] = {}
    total = 0
    then = book.as_of_clock(industry)
    for batch in book.store.iter_lead_batches(industry=industry):
        for lead, events in batch:
            if lead.created_at > book.now:
                continue
            lead = then(lead.id, events) or lead
            events = book.counted(events)
            register = next((e.data for e in events if e.kind == "register"), None)
            row = counts.setdefault(source_of(lead.attributes, register), [0, 0])
            row[0] += 1
            row[1] += any(e.kind in DEAL_KINDS for e in events)
            total += 1
    return [{"source": v, "en": en, "zh": zh, "leads": counts[v][0], "deals": counts[v][1],
             "leads_pct": round(100.0 * counts[v][0] / total, 1)}
            for v, en, zh in SOURCES if v in counts]


def playbook(attributes: dict) -> Label | None:
    """The coping tactics of the lead's temperament tags, one line:
    ``playbook (analytical): be sincere…``; None without a tag."""
    tags = _BY_NAME["temperament"].values(attributes.get("temperament"))
    if not tags:
        return None
    en = "; ".join(f"{t} — {_TACTICS[t].en}" for t in tags if t in _TACTICS)
    zh = "；".join(f"{_BY_NAME['temperament'].choice_label(t, 'zh')}——{_TACTICS[t].zh}"
                   for t in tags if t in _TACTICS)
    return Label(f"playbook: {en}", f"应对方式：{zh}")


def show_lines(lead, events, lang: str = "en") -> list[str]:
    """What ``show`` adds for the core's fields: the source (said to be
    inferred when the registration tells it) and the playbook line."""
    field = _BY_NAME["source"]
    register = next((e.data for e in events if e.kind == "register"), None)
    value = source_of(lead.attributes, register)
    text = field.choice_label(value, lang)
    if not lead.attributes.get("source"):
        text += render(M_(" (from the registration)"), lang)
    lines = [f"{field.label(lang)}: {text}" if lang == "en" else f"{field.label(lang)}：{text}"]
    line = playbook(lead.attributes)
    if line is not None:
        lines.append(line(lang))
    return lines


def playbooks(book, lead_ids: Iterable[int]) -> dict[int, Label]:
    """Playbook lines of the leads of a due list, by id, in one query (a
    plugin's item about no lead in particular has none)."""
    out = {}
    then = book.as_of_clock()  # the temperament recorded by the clock
    for lead_id, attributes in book.store.attributes_of(i for i in lead_ids if isinstance(i, int)).items():
        lead = then(lead_id)
        line = playbook(attributes if lead is None else lead.attributes)
        if line is not None:
            out[lead_id] = line
    return out
