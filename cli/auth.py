"""Signing in (issue #10): ``login``, ``logout``, ``whoami``, and the
accounts an admin keeps (``agent password``, ``agent role``).

A session's token is kept in a file of the operator's own (mode 0600) under
the user's config directory, one per database; scripts and integrations
give it in ``LEADCYCLE_TOKEN`` instead (``login --print-token``).
"""

from __future__ import annotations

import os

import click

from .app import cli
from .choices import ROLE_WORDS, Spoken
from .commands import agent, pass_env
from .output import echo_json, read_secret
from .sessions import TOKEN_ENV, saved_token, save_token, session_file
from leadcycle.i18n import M_

from .output import _

@cli.command()
@click.argument("name", required=False)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@click.option("--print-token", is_flag=True,
              help=f"Print the session's token (for {TOKEN_ENV}) instead of keeping it in a file.")
@pass_env
def login(env, name, password_stdin, print_token):
    """Sign in (登录): later commands act as you.

    Sign in (登录): later commands act as you until you sign out or the session ends.

    Examples:

    \b
    leadcycle login 李娜
    echo "$PASS" | leadcycle login 李娜 --password-stdin --print-token
    """
    from leadcycle import accounts

    book = env.book()
    if name is None:
        name = click.prompt("Name")
    secret = read_secret(password_stdin)
    token, expires = accounts.login(book, name, secret)
    if print_token:
        click.echo(token)
        return
    save_token(env.db_path, token)
    click.echo(_("signed in as {name} until {expires}").format(name=name.strip(), expires=expires.isoformat(sep=' ', timespec='minutes')))


@cli.command()
@pass_env
def logout(env):
    """Sign out (退出登录): end this session.

    Examples:

    \b
    leadcycle logout
    """
    from leadcycle import accounts

    token = saved_token(env.db_path)
    if token is None:
        click.echo(_("not signed in"))
        return
    accounts.logout(env.book(), token)
    if not os.environ.get(TOKEN_ENV):
        session_file(env.db_path).unlink(missing_ok=True)
    click.echo(_("signed out"))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_env
def whoami(env, as_json):
    """Who is signed in, with which role, until when (当前登录).

    Examples:

    \b
    leadcycle whoami
    """
    from leadcycle import accounts

    book = env.book()
    token = saved_token(env.db_path)
    kind = accounts.mode(book.store) or "trial"
    if token is None:
        if as_json:
            echo_json({"name": None, "database": kind})
        else:
            click.echo({"office": _("not signed in (office database)"),
                        "simulation": _("not signed in (simulation database)")}.get(
                kind, _("not signed in (trial database)")))
        return
    who = accounts.session_agent(book, token)
    info = accounts.session_info(book, token)
    if as_json:
        echo_json({"name": who.name, "role": who.role, "team": who.team, "expires_at": info["expires_at"],
                   "database": kind})
        return
    roles = {"agent": _("agent"), "manager": _("manager"), "admin": _("admin")}
    databases = {"office": _("office database"), "simulation": _("simulation database")}
    click.echo(_("{name} ({role}) until {until} — {database}").format(
        name=who.name, role=roles.get(who.role, who.role), until=info["expires_at"].replace("T", " ")[:16],
        database=databases.get(kind, _("trial database"))))


@agent.command(name="password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@pass_env
def agent_password(env, name, password_stdin):
    """Set an agent's password or PIN (设置密码); ends their open sessions.

    Examples:

    \b
    leadcycle agent password 李娜
    """
    from leadcycle import accounts

    book = env.book()
    env.require_role("admin", M_("setting {name}'s password", name=name), allow_self=name)
    accounts.set_secret(book, name, read_secret(password_stdin, confirm=not password_stdin))
    click.echo(_("password set for {name}").format(name=name))


@agent.command(name="role")
@click.argument("name")
@click.argument("role", type=Spoken(ROLE_WORDS))
@pass_env
def agent_role(env, name, role):
    """Give an agent a role (角色): agent, manager or admin.

    Examples:

    \b
    leadcycle agent role 赵经理 manager
    """
    from leadcycle import accounts

    book = env.book()
    env.require_role("admin", M_("changing a role"))
    changed = accounts.set_role(book, name, role)
    click.echo(_("{changed} is now {role}").format(changed=changed.name, role=_(changed.role)))
