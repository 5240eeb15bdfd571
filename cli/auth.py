"""Signing in (issue #10): ``login``, ``logout``, ``whoami``, and the
accounts an admin keeps (``agent password``, ``agent role``).

A session's token is kept in a file of the operator's own (mode 0600) under
the user's config directory, one per database; scripts and integrations
give it in ``LEADCYCLE_TOKEN`` instead (``login --print-token``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import click

from . import cli
from .commands import agent, pass_env
from .output import echo_json
from leadcycle.i18n import M_

from .output import _

TOKEN_ENV = "LEADCYCLE_TOKEN"


def session_file(db_path: str) -> Path:
    """Where this user's session for ``db_path`` is kept."""
    key = hashlib.sha256(os.path.realpath(db_path).encode()).hexdigest()[:16]
    return Path(click.get_app_dir("leadcycle")) / "sessions" / f"{key}.token"


def saved_token(db_path: str) -> str | None:
    """The token of this run: ``$LEADCYCLE_TOKEN``, else the saved session."""
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token.strip()
    path = session_file(db_path)
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _save_token(db_path: str, token: str) -> Path:
    path = session_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return path


def read_secret(from_stdin: bool, prompt: str = "Password", confirm: bool = False) -> str:
    """A secret from stdin (scripts) or typed without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


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
    _save_token(env.db_path, token)
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
    click.echo(f"{who.name} ({who.role}) until {info['expires_at'].replace('T', ' ')[:16]} — {kind} database")


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
@click.argument("role", type=click.Choice(["agent", "manager", "admin"]))
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
