"""The period report as one self-contained HTML file (``leadcycle report
html``).

Charts are drawn by plotly.js, which the ``plotly`` package ships inside
its wheel: the script is inlined into the page, so the file opens offline
and can be forwarded as it is. plotly draws SVG whose titles and labels
stay ``<text>``, so Chinese renders in the reader's own fonts. Every count
in the tables is a link to the list of the leads behind it (phones masked),
and a click on a bar or a funnel step jumps to the same list.
"""

from __future__ import annotations

import html
import json

from leadcycle.model import Label

from . import need
from .data import GRADES, POOL

FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, WenQuanYi Zen Hei, sans-serif"
GRADE_COLOURS = {"A": "#c0392b", "B": "#e67e22", "C": "#2980b9", "D": "#7f8c8d", "-": "#bdc3c7"}

#: every title and heading, in both languages
T = {
    "title": Label("Leads report", "意向客户报告"),
    "period": Label("Period", "统计期间"),
    "scope": Label("Scope", "范围"),
    "all": Label("all industries, all agents", "全部行业、全部顾问"),
    "generated": Label("Clock", "统计时点"),
    "grade_mix": Label("Grade mix per agent, week by week", "各顾问客户等级结构（按周）"),
    "funnel": Label("Funnel by stage: {industry}", "阶段漏斗：{industry}"),
    "funnels": Label("Funnel by stage", "阶段漏斗"),
    "funnel_note": Label("Leads registered in the period; conversion from the stage before.",
                         "统计期内登记的客户；转化率为相对上一阶段。"),
    "compliance": Label("Follow-up compliance per agent", "各顾问回访执行情况"),
    "first_call_back": Label("First call-back delay", "首次回访间隔"),
    "pool_flow": Label("Pool flow, week by week", "公共客户池流转（按周）"),
    "phase": Label("Sales phase against the targets", "销售阶段与目标"),
    "deals": Label("Deal analysis: {by}", "成交客户分析：{by}"),
    "followups": Label("Deals by follow-up count", "按跟进次数的成交分布"),
    "abc": Label("ABC value classes: share of profit", "ABC价值分类：利润占比"),
    "matrix": Label("Contribution × stability (EI–EIV)", "贡献度×稳定性矩阵（EI–EIV）"),
    "levels": Label("Account levels", "客户级别"),
    "credit": Label("Credit per agent and commission payable", "各顾问业绩归属与应发提成"),
    "leads_behind": Label("The leads behind the numbers", "数字背后的客户"),
    "agent": Label("agent", "顾问"), "week": Label("week", "周"), "grade": Label("grade", "等级"),
    "leads": Label("leads", "客户数"), "stage": Label("stage", "阶段"),
    "reached": Label("reached", "到达"), "conversion": Label("conversion", "转化率"),
    "due": Label("call-backs due", "应回访"), "on_time": Label("done on time", "按时完成"),
    "late": Label("done late", "逾期完成"), "open": Label("not done", "未完成"),
    "overdue": Label("overdue now", "当前逾期"), "on_time_pct": Label("on time", "按时率"),
    "lapsed": Label("lapsed into the pool", "失效进入公共池"), "claimed": Label("claimed from the pool", "从公共池认领"),
    "redistributed": Label("redistributed", "重新分配"), "in_pool": Label("in the pool now", "当前公共池"),
    "sold": Label("sold", "已售"), "target": Label("cumulative target", "累计目标"),
    "documents": Label("the documents", "资料统计"), "office": Label("this office", "本处"),
    "follow_ups": Label("follow-ups before the deal", "成交前跟进次数"),
    "class": Label("class", "类别"), "profit_share": Label("share of profit", "利润占比"),
    "accounts": Label("accounts", "客户数"), "level": Label("level", "级别"),
    "level_changes": Label("Level changes in the period", "统计期内级别变化"),
    "deals_credited": Label("deals credited", "归属成交数"), "payable": Label("commission payable (deal %)", "应发提成（单%）"),
    "share": Label("share", "份额"), "lead": Label("lead", "客户"), "name": Label("name", "姓名"),
    "phone": Label("phone", "电话"), "industry": Label("industry", "行业"), "owner": Label("owner", "归属"),
    "none": Label("none", "无"), "no_data": Label("no data in this period", "本期无数据"),
    "contribution": Label("contribution", "贡献度"), "stability": Label("stability", "稳定性"),
    "high": Label("high", "高"), "low": Label("low", "低"), "pool": Label("(pool)", "（公共池）"),
    "given_up": Label("Given up before follow-up {n}", "第{n}次跟进前放弃"),
    "status": Label("status", "状态"), "from_to": Label("from → to", "变化"),
}
DEAL_BY = {"unit_type": Label("unit type", "户型"), "area_band": Label("area band", "面积段"),
           "age_band": Label("age band", "年龄段"), "occupation": Label("occupation", "职业"),
           "company": Label("company purchases", "单位购房")}
PHASE_STATUS = {"ahead": Label("ahead", "超前"), "behind": Label("behind", "落后"),
                "on track": Label("on track", "符合目标"), "not started": Label("not started", "尚未开始")}


class Page:
    """Collects the charts, the tables and the lead lists of one page."""

    def __init__(self, report: dict, lang: str):
        self.report = report
        self.lang = lang
        self.leads = report["leads"]
        self.sets: dict[tuple, tuple[str, str]] = {}  # (ids, caption) → (anchor, caption)
        self.charts: list[tuple[str, dict]] = []
        self.go = need("plotly.graph_objects", "report")

    def t(self, key: str, **kw) -> str:
        label = T[key].format(**kw) if kw else T[key]
        return label(self.lang)

    def named(self, label, code) -> str:
        """A code as the reader names it: its label, else the code itself."""
        return self.label(label) if label else ("" if code is None else str(code))

    def label(self, value) -> str:
        if isinstance(value, Label):
            return value(self.lang)
        if isinstance(value, dict):
            return value.get(self.lang) or value.get("en", "")
        return "" if value is None else str(value)

    def agent(self, name: str | None) -> str:
        return self.t("pool") if name in (None, POOL) else name

    # ------------------------------------------------------------- leads

    def anchor(self, ids, caption: str) -> str:
        """The id of the list of ``ids`` under ``caption`` (one list per
        distinct set and title: the funnel's "contract" and an agent's
        grade A may hold the same leads, and each link opens its own title)."""
        key = (tuple(sorted(set(ids))), caption)
        if key not in self.sets:
            self.sets[key] = (f"L{len(self.sets) + 1}", caption)
        return self.sets[key][0]

    def count(self, ids, caption: str) -> str:
        """A count that links to its leads."""
        ids = list(ids)
        if not ids:
            return "0"
        return f'<a href="#{self.anchor(ids, caption)}">{len(set(ids))}</a>'

    def lead_lists(self) -> str:
        out = [f'<h2 id="leads">{self.t("leads_behind")}</h2>']
        heads = "".join(f"<th>{self.t(k)}</th>" for k in ("lead", "name", "phone", "industry", "grade", "stage", "owner"))
        for (ids, _caption), (anchor, caption) in self.sets.items():
            rows = []
            for i in ids:
                lead = self.leads.get(i, {"id": i})
                industry, stage = lead.get("industry"), lead.get("stage")
                names = self.report.get("labels") or {}
                cells = (f"#{i}", lead.get("name"), lead.get("phone"),
                         self.named(names.get("industry", {}).get(industry), industry), lead.get("grade"),
                         self.named(names.get("stage", {}).get(industry, {}).get(stage), stage),
                         self.agent(lead.get("owner")) if "owner" in lead else "")
                rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
            out.append(f'<section class="leads" id="{anchor}"><h3>{esc(caption)} ({len(ids)})</h3>'
                       f'<table><tr>{heads}</tr>{"".join(rows)}</table></section>')
        return "\n".join(out)

    # ------------------------------------------------------------ charts

    def chart(self, fig, title: str) -> str:
        """Place a plotly figure; its points carry the anchors of their
        leads in ``customdata``."""
        fig.update_layout(title={"text": title}, font={"family": FONT}, template="plotly_white",
                          margin={"t": 60, "l": 50, "r": 20, "b": 50}, height=360,
                          legend={"orientation": "h", "y": -0.2})
        div = f"chart{len(self.charts) + 1}"
        self.charts.append((div, fig.to_plotly_json()))
        return f'<div class="chart" id="{div}" data-title="{esc(title)}"></div>'

    def bars(self, title: str, x, series: list[tuple[str, list[list[int]], str | None]], *,
             barmode: str = "group", caption=lambda name, xi: name, yaxis: str | None = None) -> str:
        """A bar chart of lead counts: ``series`` are ``(name, ids per x,
        colour)``."""
        go = self.go
        fig = go.Figure()
        for name, per_x, colour in series:
            fig.add_trace(go.Bar(
                name=name, x=x, y=[len(set(ids)) for ids in per_x], marker_color=colour,
                customdata=[self.anchor(ids, caption(name, xi)) if ids else "" for xi, ids in zip(_flat(x), per_x)]))
        fig.update_layout(barmode=barmode, yaxis_title=yaxis or self.t("leads"))
        return self.chart(fig, title)

    # ---------------------------------------------------------- sections

    def grade_mix(self) -> str:
        mix = self.report["grade_mix"]
        agents = list(mix["agents"])
        if not agents:
            return self.empty("grade_mix")
        weeks = mix["weeks"]
        xs = [[a for a in agents for _ in weeks], [w[5:] for _ in agents for w in weeks]]
        series = []
        for g in (*GRADES, "-"):
            per_x = [mix["agents"][a][w][g]["lead_ids"] for a in agents for w in weeks]
            if any(per_x):
                series.append((g if g != "-" else self.t("none"), per_x, GRADE_COLOURS[g]))
        chart = self.bars(self.t("grade_mix"), xs, series, barmode="stack",
                          caption=lambda g, xi: f"{xi[0]} {xi[1]}: {self.t('grade')} {g}")
        rows = []
        last = weeks[-1]
        first = weeks[0]
        for a in agents:
            cells = [esc(a)]
            for g in GRADES:
                now_ids = mix["agents"][a][last][g]["lead_ids"]
                then = len(mix["agents"][a][first][g]["lead_ids"])
                delta = len(now_ids) - then
                cells.append(self.count(now_ids, f"{a} {last}: {self.t('grade')} {g}")
                             + (f' <small>({delta:+d})</small>' if delta else ""))
            rows.append(cells)
        table = self.table([self.t("agent"), *GRADES], rows,
                           note=f"{last} ({first} → {last})")
        return section("grade_mix", self.t("grade_mix"), chart + table)

    def funnels(self) -> str:
        out = []
        go = self.go
        for f in self.report["funnel"]:
            name = self.label(f["label"])
            stages = f["stages"]
            labels = [self.label(s["label"]) for s in stages]
            title = self.t("funnel", industry=name)
            fig = go.Funnel(y=labels, x=[len(s["lead_ids"]) for s in stages], textinfo="value+percent previous",
                            customdata=[self.anchor(s["lead_ids"], f"{name}: {lab}") if s["lead_ids"] else ""
                                        for s, lab in zip(stages, labels)])
            chart = self.chart(go.Figure(fig), title)
            rows = [[esc(lab), self.count(s["lead_ids"], f"{name}: {lab}"),
                     "" if s["conversion_pct"] is None else f"{s['conversion_pct']:g} %"]
                    for s, lab in zip(stages, labels)]
            out.append(chart + self.table([self.t("stage"), self.t("reached"), self.t("conversion")], rows,
                                          note=self.t("funnel_note")))
        if not out:
            return ""
        return section("funnel", self.t("funnels"), "".join(out))

    def compliance(self) -> str:
        c = self.report["compliance"]
        agents = c["agents"]
        keys = ("due", "on_time", "late", "open", "overdue")
        colours = {"due": "#34495e", "on_time": "#27ae60", "late": "#f39c12", "open": "#c0392b", "overdue": "#8e44ad"}
        names = [self.agent(a["agent"]) for a in agents]
        chart = self.bars(self.t("compliance"), names or [""],
                          [(self.t(k), [a[k]["lead_ids"] for a in agents] or [[]], colours[k]) for k in keys],
                          caption=lambda s, xi: f"{xi}: {s}")
        rows = []
        for a, n in zip(agents, names):
            due = len(a["due"]["lead_ids"])
            pct = f"{100.0 * len(a['on_time']['lead_ids']) / due:.0f} %" if due else "-"
            rows.append([esc(n), *(self.count(a[k]["lead_ids"], f"{n}: {self.t(k)}") for k in keys), pct])
        table = self.table([self.t("agent"), *(self.t(k) for k in keys), self.t("on_time_pct")], rows)
        fcb = c["first_call_back"]
        labels = [self.label(b["label"]) for b in fcb]
        chart2 = self.bars(self.t("first_call_back"), labels, [(self.t("leads"), [b["lead_ids"] for b in fcb], "#2980b9")],
                           caption=lambda s, xi: f"{self.t('first_call_back')}: {xi}")
        return section("compliance", self.t("compliance"), chart + table + chart2)

    def pool_flow(self) -> str:
        p = self.report["pool_flow"]
        weeks = [w["week"] for w in p["lapsed"]["weeks"]]
        colours = {"lapsed": "#c0392b", "claimed": "#27ae60", "redistributed": "#2980b9"}
        kinds = ("lapsed", "claimed", "redistributed")
        chart = self.bars(self.t("pool_flow"), weeks,
                          [(self.t(k), [w["lead_ids"] for w in p[k]["weeks"]], colours[k]) for k in kinds],
                          caption=lambda s, xi: f"{xi}: {s}")
        rows = [[self.t(k), self.count(p[k]["lead_ids"], self.t(k)),
                 ", ".join(f"{esc(self.agent(a))} {self.count(ids, f'{self.agent(a)}: {self.t(k)}')}"
                           for a, ids in p[k]["agents"].items())] for k in kinds]
        rows.append([self.t("in_pool"), self.count(p["in_pool"]["lead_ids"], self.t("in_pool")), ""])
        return section("pool_flow", self.t("pool_flow"), chart + self.table(["", self.t("leads"), self.t("agent")], rows))

    def realestate(self) -> str:
        r = self.report.get("realestate")
        if r is None:
            return ""
        go = self.go
        parts = []
        ph = r["phase"]
        if ph is None:
            parts.append(f'<p class="note">{esc(r["phase_error"])}</p>')
        else:
            names = [self.label(p["label"]) for p in ph["phases"]]
            fig = go.Figure()
            fig.add_trace(go.Bar(name=self.t("target"), x=names, y=[p["target_percent"][1] for p in ph["phases"]],
                                 base=0, marker_color="#d5dbdb",
                                 text=[f"{p['target_percent'][0]}–{p['target_percent'][1]} %" for p in ph["phases"]],
                                 customdata=[""] * len(names)))
            current = self.label(ph["phase_label"])
            fig.add_trace(go.Scatter(name=self.t("sold"), x=[current if current in names else names[-1]],
                                     y=[ph["sold_percent"]], mode="markers+text", marker={"size": 16, "color": "#c0392b"},
                                     text=[f"{ph['sold_percent']:g} %"], textposition="top center", customdata=[""]))
            fig.update_layout(yaxis_title="%")
            parts.append(self.chart(fig, self.t("phase")))
            low, high = ph["target_now_percent"]
            parts.append(f'<p>{esc(current)}: {self.t("sold")} {ph["units_sold"]}/{ph["total_units"]} '
                         f'({ph["sold_percent"]:g} %), {self.t("target")} {low:g}–{high:g} % — '
                         f'{esc(PHASE_STATUS[ph["status"]](self.lang))}</p>')
        for by, groups in r["analysis"].items():
            title = self.t("deals", by=DEAL_BY[by](self.lang))
            if not groups:
                parts.append(self.bars(title, [self.t("no_data")], [(self.t("leads"), [[]], "#95a5a6")]))
                continue
            labels = [self.label(g["label"]) for g in groups]
            parts.append(self.bars(title, labels, [(self.t("leads"), [g["lead_ids"] for g in groups], "#16a085")],
                                   caption=lambda s, xi, t=title: f"{t}: {xi}"))
            total = sum(len(g["lead_ids"]) for g in groups)
            parts.append(self.table([DEAL_BY[by](self.lang), self.t("leads"), self.t("share")],
                                    [[esc(lab), self.count(g["lead_ids"], f"{title}: {lab}"),
                                      f"{100.0 * len(g['lead_ids']) / total:.1f} %"] for g, lab in zip(groups, labels)]))
        return section("realestate", self.label({"en": "Real estate", "zh": "房地产"}), "".join(parts))

    def software_sales(self) -> str:
        r = self.report.get("software_sales")
        if r is None:
            return ""
        go = self.go
        buckets = r["buckets"]
        labels = [b[self.lang] for b in buckets]
        fig = go.Figure()
        fig.add_trace(go.Bar(name=self.t("documents"), x=labels, y=[b["documents_pct"] or 0 for b in buckets],
                             marker_color="#bdc3c7", customdata=[""] * len(labels)))
        fig.add_trace(go.Bar(name=self.t("office"), x=labels, y=[b["office_pct"] or 0 for b in buckets],
                             marker_color="#2980b9",
                             customdata=[self.anchor(b["lead_ids"], f"{self.t('followups')}: {lab}") if b["lead_ids"] else ""
                                         for b, lab in zip(buckets, labels)]))
        fig.update_layout(barmode="group", yaxis_title="%")
        chart = self.chart(fig, self.t("followups"))
        rows = [[esc(lab), "" if b["documents_pct"] is None else f"{b['documents_pct']} %",
                 self.count(b["lead_ids"], f"{self.t('followups')}: {lab}"),
                 "-" if b["office_pct"] is None else f"{b['office_pct']:g} %"] for b, lab in zip(buckets, labels)]
        early = r["given_up_early"]
        rows.append([self.t("given_up", n=r["min_follow_ups"]), "", self.count([i["lead_id"] for i in early],
                                                                              self.t("given_up", n=r["min_follow_ups"])), ""])
        table = self.table([self.t("follow_ups"), self.t("documents"), self.t("office"), self.t("share")], rows)
        return section("software_sales", self.label({"en": "Software sales", "zh": "软件销售"}), chart + table)

    def machinery(self) -> str:
        r = self.report.get("machinery")
        if r is None:
            return ""
        go = self.go
        classes = r["classes"]
        names = [c["class"] for c in classes]
        fig = go.Figure()
        fig.add_trace(go.Bar(name=self.t("target"), x=names, y=[c["target_profit_pct"] for c in classes],
                             marker_color="#d5dbdb", customdata=[""] * len(names)))
        fig.add_trace(go.Bar(name=self.t("office"), x=names, y=[c["profit_pct"] for c in classes], marker_color="#d35400",
                             customdata=[self.anchor(c["lead_ids"], f"ABC {c['class']}") if c["lead_ids"] else ""
                                         for c in classes]))
        fig.update_layout(barmode="group", yaxis_title="%")
        parts = [self.chart(fig, self.t("abc"))]
        parts.append(self.table([self.t("class"), self.t("accounts"), self.t("profit_share")],
                                [[c["class"], self.count(c["lead_ids"], f"ABC {c['class']}"),
                                  f"{c['profit_pct']:g} % (≈{c['target_profit_pct']:g} %)"] for c in classes]))
        ids = r["matrix_ids"]
        grid = [["EIII", "EI"], ["EIV", "EII"]]  # rows: stability high, low; columns: contribution low, high
        heat = go.Heatmap(z=[[len(ids[k]) for k in row] for row in grid],
                          x=[self.t("low"), self.t("high")], y=[self.t("high"), self.t("low")],
                          text=[[f"{k}: {len(ids[k])}" for k in row] for row in grid], texttemplate="%{text}",
                          colorscale="Oranges", showscale=False,
                          customdata=[[self.anchor(ids[k], k) if ids[k] else "" for k in row] for row in grid])
        fig2 = go.Figure(heat)
        fig2.update_layout(xaxis_title=self.t("contribution"), yaxis_title=self.t("stability"))
        parts.append(self.chart(fig2, self.t("matrix")))
        levels = r["levels"]
        parts.append(self.bars(self.t("levels"), list(levels), [(self.t("accounts"), [v["lead_ids"] for v in levels.values()],
                                                                 "#8e44ad")], caption=lambda s, xi: f"{self.t('level')} {xi}"))
        changes = r["level_changes"]
        parts.append(f"<h3>{self.t('level_changes')}</h3>" + self.table(
            [self.t("lead"), "", self.t("from_to"), ""],
            [[self.count([c["lead_id"]], f"#{c['lead_id']}"), esc(str(c["at"])[:10]),
              f"{esc(c['from'])} → {esc(c['to'])}", esc(self.label(c["reason"]))] for c in changes]))
        return section("machinery", self.label({"en": "Heavy machinery", "zh": "工程机械"}), "".join(parts))

    def credit(self) -> str:
        c = self.report["credit"]
        agents = c["agents"]
        go = self.go
        names = [a["agent"] for a in agents] or [self.t("no_data")]
        fig = go.Figure()
        fig.add_trace(go.Bar(name=self.t("deals_credited"), x=names, y=[a["deals_credited"] for a in agents] or [0],
                             marker_color="#2c3e50",
                             customdata=[self.anchor(a["lead_ids"], f"{a['agent']}: {self.t('deals_credited')}")
                                         for a in agents] or [""]))
        fig.add_trace(go.Bar(name=self.t("payable"), x=names, y=[a["payable_deal_percent"] / 100 for a in agents] or [0],
                             marker_color="#27ae60", customdata=[""] * len(names)))
        fig.update_layout(barmode="group", yaxis_title=self.t("deals_credited"))
        chart = self.chart(fig, self.t("credit"))
        rows = []
        for a in agents:
            items = "; ".join(f"#{d['lead_id']} {d['percent']:.0f} % × {d['payable_percent']} %" for d in a["items"])
            rows.append([esc(a["agent"]), self.count(a["lead_ids"], f"{a['agent']}: {self.t('deals_credited')}"),
                         f"{a['deals_credited']:.2f} ({a['share']})", f"{a['payable_deal_percent']:.0f} %", esc(items)])
        table = self.table([self.t("agent"), self.t("leads"), self.t("deals_credited"), self.t("payable"), ""], rows)
        return section("credit", self.t("credit"), chart + table)

    def empty(self, key: str) -> str:
        return section(key, self.t(key), self.bars(self.t(key), [self.t("no_data")], [(self.t("leads"), [[]], "#95a5a6")]))

    def table(self, headers, rows, note: str | None = None) -> str:
        if not rows:
            return f'<p class="note">{self.t("no_data")}</p>'
        head = "".join(f"<th>{h if h.startswith('<') else esc(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        caption = f'<p class="note">{esc(note)}</p>' if note else ""
        return f"<table><tr>{head}</tr>{body}</table>{caption}"

    # --------------------------------------------------------------- page

    def render(self) -> str:
        r = self.report
        body = "".join((self.grade_mix(), self.funnels(), self.compliance(), self.pool_flow(),
                        self.realestate(), self.software_sales(), self.machinery(), self.credit()))
        scope = ", ".join(x for x in (r["industry"], r["team"], r["agent"]) if x) or self.t("all")
        lists = self.lead_lists()
        plotly_js = need("plotly.offline", "report").get_plotlyjs()
        specs = json.dumps([{"id": d, "data": f["data"], "layout": f["layout"]} for d, f in self.charts],
                           ensure_ascii=False,
                           cls=need("plotly.utils", "report").PlotlyJSONEncoder).replace("</", "<\\/")
        return PAGE.format(
            lang="zh-CN" if self.lang == "zh" else "en", title=esc(self.t("title")), css=CSS,
            head=f"<h1>{esc(self.t('title'))}</h1><p>{self.t('period')}: {r['from']} – {r['to']} · "
                 f"{self.t('scope')}: {esc(scope)} · {self.t('generated')}: {r['now']:%Y-%m-%d %H:%M}</p>",
            body=body + lists, plotly=plotly_js, specs=specs, script=SCRIPT)


def _flat(x):
    """The x values of a chart, one per bar (a two-level axis gives pairs)."""
    if x and isinstance(x[0], list):
        return list(zip(*x))
    return list(x)


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def section(key: str, title: str, content: str) -> str:
    return f'<section id="{key}"><h2>{esc(title)}</h2>{content}</section>'


def render(report: dict, lang: str) -> str:
    """The HTML page of a :func:`leadcycle.reports.data.collect` report."""
    return Page(report, lang).render()


CSS = """
body{font-family:%s;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #2c3e50;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f4f6f7}.chart{width:100%%;min-height:360px}.note{color:#666;font-size:.9em}
section.leads{margin:1em 0}section.leads:target{background:#fef9e7}
#errors{color:#c0392b}
""" % FONT

SCRIPT = """
(function(){
  var errors = document.getElementById('errors');
  window.addEventListener('error', function(e){ errors.textContent += (e.message || e) + '\\n'; });
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  var drawn = 0;
  specs.forEach(function(s){
    var div = document.getElementById(s.id);
    Plotly.newPlot(div, s.data, s.layout, {displaylogo: false, responsive: true}).then(function(){
      drawn += 1; document.body.setAttribute('data-charts-drawn', drawn);
      div.on('plotly_click', function(ev){
        var p = ev.points && ev.points[0]; var a = p && p.customdata;
        if (a) { location.hash = a; }
      });
    }).catch(function(e){ errors.textContent += s.id + ': ' + e + '\\n'; });
  });
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{css}</style></head>
<body data-charts-drawn="0">
{head}
<pre id="errors"></pre>
{body}
<script>{plotly}</script>
<script type="application/json" id="chart-specs">{specs}</script>
<script>{script}</script>
</body></html>
"""
