"""``leadcycle find``: a client in a second, by the last digits of a phone,
part of a name, or its pinyin (issue #15)."""

from __future__ import annotations

import click

from .app import cli
from .commands import pass_env
from .output import _, emit, ngettext, output_options, owner_cell


@cli.command()
@click.argument("text")
@click.option("--industry", help="Only this industry.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="At most this many.")
@output_options
@pass_env
def find(env, text, industry, limit):
    """Find a client (查找客户): phone digits, name, or pinyin.

    Examples:

    \b
    leadcycle find 8000        # the phone's last digits (尾号)
    leadcycle find 张伟         # part of the name
    leadcycle find zw          # pinyin initials (or in full: zhangwei)
    """
    from leadcycle.io import mask_phone

    book = env.book()
    rows = book.find(text, industry=industry, limit=limit)
    for r in rows:
        r["phone"] = mask_phone(r["phone"])
    from .output import Words

    columns = ("id", "industry", "name", "phone", "grade", "owner", "next_follow_up")
    words = Words(book, env.lang)
    emit(rows, columns, [_(c) for c in columns],
         [(r["id"], words.industry(r["industry"]), r["name"], r["phone"], r["grade"], owner_cell(r["owner"]),
           r["next_follow_up"]) for r in rows],
         footer=[ngettext("{n} found", "{n} found", len(rows)).format(n=len(rows))
                 + (_(" (the first {limit}; narrow it down or give --limit)").format(limit=limit)
                    if len(rows) == limit else "") + _("; phones masked")])
