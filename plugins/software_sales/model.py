"""What a software sales lead records: attributes and event kinds (DOMAIN §4).

Names: the five haves are ``has_need``, ``has_budget``, ``has_intent``,
``has_pain`` and ``no_obstacle`` — the core already owns ``need`` (the basic
need every registration carries, DOMAIN §1), so the haves are prefixed.
"""

from __future__ import annotations

from leadcycle import PLAN_MIN, Choice, EventKind, Field, Label

YES_NO = (
    Choice("yes", Label("yes", "有/是")),
    Choice("no", Label("no", "无/否")),
    Choice("unknown", Label("unknown", "不清楚")),
)

#: the ten signing-intent signals (如何判断客户是否有签单意向, seed 000), in the
#: document's order: (kind, en, zh, data fields)
SIGNALS: tuple[tuple[str, str, str, tuple[Field, ...]], ...] = (
    ("asked_price", "asked the price", "问过价格", ()),
    ("asked_seats", "asked how many seats (points) to buy", "说过要上多少个点",
     (Field("seats", "int", Label("seats", "点数"), minimum=1),)),
    ("price_objection", "objected to the price or the fee model", "对价格或收费方式表示过异议", ()),
    ("data_security", "raised data security", "提过数据安全的问题", ()),
    ("asked_service", "asked about installation, implementation or after-sales service",
     "询问过系统安装、实施、后续服务", ()),
    ("asked_company", "asked about our company (age, size, the rep's record)",
     "问过我们公司的情况（做了多久、多少人、业绩）", ()),
    ("other_software", "has looked at other software", "看过其它软件",
     (Field("vendor", "str", Label("other vendor", "其它厂商")),)),
    ("trial_request", "asked for a trial", "提出试用", ()),
    ("next_contact", "set a time for the next contact (or did not refuse one)",
     "表示过什么时候联系，或不拒绝下次联系",
     (Field("on", "date", Label("agreed date", "约定日期"), minimum=PLAN_MIN),)),
    ("function_questions", "asked serious questions about functions", "对系统功能认真提出问题", ()),
)
SIGNAL_KINDS = tuple(s[0] for s in SIGNALS)

#: the five haves (五有, seed 001): (attribute, en, zh)
HAVES = (
    ("has_need", "need", "有需求"),
    ("has_budget", "budget (money)", "有钱（预算）"),
    ("has_intent", "intent", "有意向"),
    ("has_pain", "pain point", "有痛点"),
    ("no_obstacle", "no obstacle", "无阻碍"),
)

SECTORS = (
    ("government", "government", "政府"), ("telecom", "telecom", "电信"), ("power", "power", "电力"),
    ("finance", "finance", "金融"), ("retail_chain", "chain retail", "连锁"), ("university", "university", "高校"),
    ("agriculture", "agriculture", "农业"), ("manufacturing", "manufacturing", "制造业"),
    ("construction", "construction", "建筑业"), ("it", "IT", "IT行业"),
    ("wholesale_retail", "wholesale and retail", "批发和零售业"),
    ("hospitality", "hotels and catering", "住宿和餐饮业"), ("real_estate", "real estate", "房地产业"),
    ("business_services", "leasing and business services", "租赁和商务服务业"),
    ("resident_services", "resident services", "居民服务和其他服务业"),
    ("entertainment", "entertainment", "娱乐业"), ("non_profit", "non-profit", "非营利机构"),
    ("other", "other", "其他"),
)

SECTOR_CHOICES = tuple(Choice(v, Label(en, zh)) for v, en, zh in SECTORS)

ROLES = (
    ("decision_maker", "decision maker (拍板人)", "拍板人/决策人"),
    ("legal_representative", "legal representative", "法人代表"),
    ("user", "user", "使用者"),
    ("advisor", "advisor / IT", "参谋者/IT"),
    ("purchasing", "purchasing", "采购"),
    ("other", "other", "其他"),
)


def _yn(name, en, zh, help_en, help_zh):
    return Field(name, "choice", Label(en, zh), choices=YES_NO, help=Label(help_en, help_zh))


def _flag(name, en, zh, help_en, help_zh):
    return Field(name, "bool", Label(en, zh), help=Label(help_en, help_zh))


def fields() -> tuple[Field, ...]:
    return (
        # company (A08 范围级; 潜在的商机: basic information); the company name
        # is the core's profile field ``company`` (leadcycle.profile)
        Field("sector", "choice", Label("industry sector", "行业"),
              choices=SECTOR_CHOICES),
        Field("employees", "int", Label("employees", "人员规模（人）"), minimum=0),
        Field("annual_revenue", "float", Label("annual revenue (10k CNY)", "年销售额（万元）"), minimum=0),
        Field("fax", "str", Label("fax", "传真")),
        # opportunity information (潜在的商机, seed 002)
        Field("it_landscape", "str", Label("IT landscape (hardware, software, network)",
                                           "客户IT基本信息（硬件、软件、网络）")),
        Field("competitors", "str", Label("competing vendors", "参与竞争的软件厂商")),
        Field("requirements", "str", Label("client's requirements", "客户的需求")),
        Field("budget", "float", Label("budget (10k CNY)", "预算（万元）"), minimum=0),
        Field("project_team", "str", Label("client's project team", "客户的项目组人员情况")),
        # five haves (seed 001)
        *(_yn(name, en, zh, "one of the five haves (五有): yes / no / unknown", "五有之一：有/无/不清楚")
          for name, en, zh in HAVES),
        # decision maker (seed 000)
        _yn("decision_maker", "in touch with the decision maker", "已接触决策人（拍板人）",
            "Is the person we deal with the decision maker? A legal representative is not by that "
            "fact the decision maker.", "对接人是否为决策人？法人不一定是决策人。"),
        Field("contact_role", "choice", Label("our contact's role", "对接人角色"),
              choices=tuple(Choice(v, Label(en, zh)) for v, en, zh in ROLES)),
        # project stages (seed 002) — our definitions, see stages.py
        _flag("product_fit", "our product fits the client", "符合我们的产品",
              "intent stage: assessed as fitting our product", "意向客户：经评估符合我们的产品"),
        _flag("project_approved", "client approved the project", "客户已立项",
              "client project approval stage", "客户立项阶段"),
        _flag("solution_accepted", "client accepted our solution in principle", "客户初步认可我们的方案",
              "preliminary acceptance stage", "初步认可阶段"),
        Field("lost_reason", "str", Label("why the deal was lost", "丢单原因")),
        # ten-level ladder (seed 004)
        _flag("needs_met", "we understand the needs and can meet them", "详细了解需求且能满足",
              "A05 intent level", "A05意向级"),
        _flag("fit_confirmed", "client finds us and our product fitting", "客户认可我公司及产品符合要求",
              "A05 intent level; SaaS step 3", "A05意向级；SaaS第3步"),
        _flag("price_affordable", "the deal's total is affordable for the client", "合作总金额在客户承受范围内",
              "A04 price level", "A04价格级"),
        _flag("price_in_range", "the client's price is within our range", "客户给出的价格在我公司可接受范围内",
              "A04 price level", "A04价格级"),
        Field("expected_purchase", "date", Label("expected purchase date", "预计采购日期"), minimum=PLAN_MIN,
              help=Label("A03 sprint level when within the sprint window (2 months)", "两个月内将采购即为A03冲刺级")),
        _flag("open_promises", "conditional promises still open", "遗留有条件的承诺",
              "A01 closed needs none", "A01结案级要求无遗留承诺"),
        # SaaS intent ladder (seed 000, 大账房)
        _flag("cooperation_agreed", "cooperation agreed, no signing date yet", "已确定合作但未定签约日期",
              "SaaS step 4", "SaaS第4步"),
    )


def _kind(name, en, zh, fields=(), help=None, contact=False):
    return EventKind(name, Label(en, zh), fields=fields, help=help, contact=contact)


def event_kinds() -> tuple[EventKind, ...]:
    # a signal, an answer or a supplier cue is heard from the client: each is
    # a contact (it keeps the protection period and counts as a follow-up)
    signals = tuple(
        _kind(kind, f"signal: {en}", f"签单信号：{zh}", fields, contact=True,
              help=Label("A signing-intent signal seen in the contact record (counts once per lead; "
                         "--note keeps the evidence).", "联系记录中的签单意向信号（每个客户只计一次；--note 记录依据）。"))
        for kind, en, zh, fields in SIGNALS)
    return signals + (
        _kind("answer", "the client's answer", "客户答复", (
            Field("answer", "choice", Label("answer", "答复"), required=True, choices=(
                Choice("refused", Label("refused: not considering, don't call again", "明确拒绝：不考虑、不需要、别再联系")),
                Choice("neutral", Label("neutral: I'll think about it, busy, later", "不拒绝：我考虑下、现在很忙、再说吧")),
                Choice("positive", Label("positive: asked for material, a next contact or about us/the product",
                                         "积极回应：索要资料、约下次联系或询问公司/产品")),
            )),
            Field("by_decision_maker", "bool", Label("given by the decision maker", "拍板人给出"), required=True),
            Field("informed", "bool", Label("knows what we do, the benefit and our edge",
                                            "知道我公司做什么、预期收益及核心优势")),
            Field("considered", "bool", Label("a considered, serious decision", "经考虑后理性、认真的决定")),
            Field("reason", "str", Label("the reason given", "拒绝的真实原因")),
        ), help=Label("A decision-relevant answer (ten-level ladder A31/A07/A06).",
                      "客户的答复（十级分级 A31/A07/A06）。"), contact=True),
        _kind("material_request", "asked for more material", "索要更多资料", contact=True,
              help=Label("Ten-level ladder A06 case 4A.", "十级分级A06第4条A款。")),
        _kind("considering_switch", "considering a change of supplier", "正在考虑更换供应商", contact=True),
        _kind("unhappy_with_supplier", "unhappy with the current supplier", "对现有供应商不满意", contact=True),
        _kind("talking_to_vendors", "talking to new suppliers", "正在与新供应商洽谈", contact=True),
        _kind("meeting_request", "asked for a meeting", "要求面谈", contact=True),
        _kind("demo", "product demo / solution presentation", "产品演示/方案讲解", contact=True),
        _kind("quote", "quote given", "已报价",
              (Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),), contact=True),
        _kind("verbal_commitment", "decision maker committed verbally", "拍板人口头确认合作", contact=True),
        _kind("substantive_action", "substantive step towards the deal (audit, samples, pilot)",
              "为合作做出实质性行动（验厂、打样、试点）", contact=True),
        _kind("order", "purchased", "已采购"),
        _kind("payment", "payment received", "已付款",
              (Field("amount", "float", Label("amount (CNY)", "金额（元）"), minimum=0),)),
        _kind("delivered", "delivered / live", "已交付上线"),
        _kind("fully_paid", "all payments received", "已收完全部款项"),
    )


#: the ten-level ladder's A06 case 4 (seed 004): after the informed decision
#: maker's considered answer, A — asked for more material, B — agreed a next
#: contact, C — any question about our company or product
A06_ASKS = ("material_request", "next_contact", "asked_price", "asked_seats", "data_security",
            "asked_service", "asked_company", "function_questions", "trial_request")


def contact_kinds() -> frozenset[str]:
    """Every kind that is a contact with the client: the core's and ours."""
    from leadcycle.registry import CORE_EVENT_KINDS

    return frozenset(k.name for k in CORE_EVENT_KINDS + event_kinds() if k.contact)
