"""Commands the machinery plugin adds: ``accounts`` (value classes) and
``account-manager`` (named account managers, hand-over on departure)."""

from __future__ import annotations

import click

from leadcycle import Event, Label, LeadcycleError
from leadcycle.cli.output import lead_id as parse_lead_id, owner_cell
from leadcycle.i18n import N_, _, ngettext

NAME = "machinery"


def _lead_id(value: str) -> int:
    return parse_lead_id(value, "LEAD")


def _owner_event(book, lead_id: int, to: str, rule: str, reason: Label, agent: str) -> None:
    data = {"to": to, "rule": rule, "reason": reason.to_json()}
    book.append(lead_id, [Event(None, lead_id, "owner", book.now, agent, data)])


def register(cli):
    from leadcycle.cli.output import echo_json, emit, output_format, output_options, table

    @cli.command(name="accounts")
    @output_options
    @click.pass_obj
    def accounts_cmd(env, as_json):
        """Machinery accounts by value class (ABC, EI–EIV).

        Machinery value classes: ABC by profit share and the EI–EIV
        contribution × stability matrix, with each class's strategy.

        Examples:

        \b
        leadcycle accounts
        leadcycle accounts --csv > accounts.csv
        """
        from . import value

        book = env.book()
        book.industry(NAME)
        report = value.accounts_report(book)
        lang = env.lang
        if output_format() != "table":  # one record per account; --json keeps the whole report
            emit(report["accounts"], ("id", "name", "owner", "value", "share_pct", "cumulative_pct", "abc",
                                      "active_periods", "periods", "e_class"), as_json=report)
            return
        if not report["accounts"]:
            click.echo(_("no orders in the last {days} days; log orders with: "
                         "leadcycle log ID order --set amount=... --set units=... --set model=...").format(
                days=report["period_days"]))
            return
        by_profit = report["basis"] == "profit"

        def amount(r):  # an account ranked by profit with orders lacking it is flagged, not silently 0
            text = f"{r['value']:,.0f}"
            if by_profit and r["missing_profit"]:
                return _("{amount} !{n} without profit").format(amount=text, n=r["missing_profit"])
            return text

        rows = [(r["id"], r["name"], owner_cell(r["owner"]), amount(r), f"{r['share_pct']:.1f}%",
                 f"{r['cumulative_pct']:.1f}%", r["abc"], f"{r['active_periods']}/{r['periods']}",
                 r["e_class"], Label.from_json(r["strategy"])(lang)) for r in report["accounts"]]
        basis = _("profit") if by_profit else _("sales")
        title = (_("Value classes by profit (machinery.abc_basis), {start} – {end}:") if by_profit
                 else _("Value classes by sales (machinery.abc_basis), {start} – {end}:"))
        click.echo(title.format(start=f"{report['from']:%Y-%m-%d}", end=f"{report['to']:%Y-%m-%d}"))
        ordered = _("quarters ordered") if report["stability_unit"] == "quarter" else _("months ordered")
        click.echo(table(rows, [_("lead"), _("name"), _("owner"), basis, _("share"), _("cumulative"), "ABC",
                                ordered, "E", _("strategy")]))
        click.echo("")
        click.echo(table([(c["class"], c["accounts"], f"{c['accounts_pct']:.1f}% (≈{c['document_accounts_pct']}%)",
                           f"{c['value']:,.0f}", f"{c['profit_pct']:.1f}% (≈{c['target_profit_pct']:g}%)")
                          for c in report["classes"]],
                         [_("class"), _("accounts"), _("of accounts (document)"), basis,
                          _("of profit (target)") if by_profit else _("of sales (target)")]))
        m = report["matrix"]
        click.echo(f"\nEI {m['EI']}  EII {m['EII']}  EIII {m['EIII']}  EIV {m['EIV']}")
        if report["accounts_missing_profit"]:
            ids = ", ".join(f"#{i}" for i in report["accounts_missing_profit"])
            click.echo(_("warning: {n} orders have no profit recorded (accounts {ids}); their class counts only "
                         "the profit recorded — log --set profit=... with each order, or rank by sales: "
                         "leadcycle settings set machinery.abc_basis sales").format(
                n=report["orders_without_profit"], ids=ids))

    @cli.group(name="account-manager")
    def account_manager():
        """Named account managers of machinery accounts (大客户经理).

        Examples:

        \b
        leadcycle account-manager assign 12 李娜 --by 陈经理
        """

    @account_manager.command(name="assign")
    @click.argument("lead_id")
    @click.argument("agent")
    @click.option("--by", "manager", help="The sales manager who names the account manager (on an office database: the signed-in agent).")
    @click.option("--json", "as_json", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def assign(env, lead_id, agent, manager, as_json):
        """Name AGENT the account manager of a machinery account.

        Examples:

        \b
        leadcycle account-manager assign 12 李娜 --by 陈经理
        """
        book = env.book()
        lead_id = _lead_id(lead_id)
        lead = book.lead(lead_id)
        if lead.industry != NAME:
            raise LeadcycleError(N_("lead #{lead_id} is {industry}, not machinery; "
                                    "account managers are for machinery accounts"),
                                 lead_id=lead_id, industry=lead.industry)
        manager = book.agent(manager, manager=True, what="--by").name
        book.agent(agent)
        reason = Label(f"{agent}: named account manager by {manager} on {book.now.date()}",
                       f"{agent}：{book.now.date()}由{manager}指定为客户经理")
        _owner_event(book, lead_id, agent, "account_manager", reason, manager)
        state = book.record(lead_id).state
        if as_json:
            echo_json({"lead_id": lead_id, "owner": state.owner, "reason": reason(env.lang)})
        else:
            click.echo(_("lead #{lead_id}: account manager {owner}").format(lead_id=lead_id, owner=state.owner))

    @account_manager.command(name="handover")
    @click.argument("departing")
    @click.option("--by", "manager", help="The sales manager who takes the accounts over (on an office database: the signed-in agent).")
    @click.option("--json", "as_json", is_flag=True, help="Output JSON.")
    @click.pass_obj
    def handover(env, departing, manager, as_json):
        """Hand a departing account manager's accounts over.

        A departing account manager's machinery accounts go to the sales manager.

        Examples:

        \b
        leadcycle account-manager handover 王强 --by 陈经理
        """
        book = env.book()
        manager = book.agent(manager, manager=True, what="--by").name
        if book.store.get_agent(departing) is None:
            raise LeadcycleError(N_("unknown agent {departing!r}; see: leadcycle agent list"),
                                 departing=departing)
        book.refresh()
        moved = []
        with book.store.transaction():  # one action, one transaction
            for row in list(book.store.query_leads(industry=NAME, owner=departing)):
                reason = Label(f"{manager}: account manager {departing} departed on {book.now.date()}; "
                               "accounts go to the sales manager",
                               f"{manager}：客户经理{departing}于{book.now.date()}离职，客户转由销售经理负责")
                _owner_event(book, row["id"], manager, "departed", reason, manager)
                moved.append(row["id"])
        if as_json:
            echo_json({"from": departing, "to": manager, "leads": moved})
        else:
            click.echo(ngettext("{n} account of {departing} → {manager}", "{n} accounts of {departing} → {manager}",
                                len(moved)).format(n=len(moved), departing=departing, manager=manager)
                       + (_(": ") + ", ".join("#" + str(i) for i in moved) if moved else ""))
