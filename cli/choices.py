"""Fixed choices an operator may give in Chinese.

``--reason business`` and ``--reason 公务`` are the same: a :class:`Spoken`
option takes each value by its code or by any of the Chinese words an
office says for it, and hands the command the code. Help in Chinese lists
the first word beside each code (``business(公务)``); a wrong value is
refused with both.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import click

from leadcycle.i18n import _, language
from leadcycle.validate import CHANNEL_SAID, RELATION_SAID


class Spoken(click.Choice):
    """:class:`click.Choice` of ``words``' codes, each also given by its
    Chinese words (``{"business": ("公务", "公事", "出差")}``). Case and
    surrounding spaces do not matter; the value is always the code."""

    def __init__(self, words: Mapping[str, Iterable[str]]) -> None:
        self.words = {code: tuple(ws) for code, ws in words.items()}
        super().__init__(list(self.words))
        self._codes: dict[str, str] = {}
        for code, ws in self.words.items():
            for word in (code, *ws):
                key = word.strip().casefold()
                if self._codes.setdefault(key, code) != code:
                    raise ValueError(f"{word!r} means both {self._codes[key]!r} and {code!r}")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            code = self._codes.get(value.strip().casefold())
            if code is not None:
                return code
        self.fail(_("{value!r} is not one of {choices}").format(value=value, choices=self.described()),
                  param=param, ctx=ctx)

    def described(self) -> str:
        """The choices as an operator reads them: ``business(公务)``."""
        return ", ".join(f"{code}({ws[0]})" if ws else code for code, ws in self.words.items())

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        shown = "|".join(f"{code}({ws[0]})" if ws and language() == "zh" else code
                         for code, ws in self.words.items())
        if param.required and param.param_type_name == "argument":
            return f"{{{shown}}}"
        return f"[{shown}]"

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        words = [w for code, ws in self.words.items() for w in (code, *ws)]
        return [CompletionItem(w) for w in words if w.casefold().startswith(incomplete.casefold())]


# what offices say for each fixed value (the first word is the one help shows)

CLAIM_WORDS = {"knowingly": ("明知", "明知故犯"), "unrecognized": ("未认出", "没认出", "未识别")}
VERDICT_WORDS = {"upheld": ("成立", "支持", "维持"), "rejected": ("驳回", "不成立")}
REASSIGN_WORDS = {"complaint": ("投诉", "客户投诉"), "redistribute": ("重新分配", "再分配", "分配")}
RELATION_KIND_WORDS = {"relative": ("亲属", "亲戚"), "friend": ("朋友",)}
AWAY_WORDS = {"personal": ("个人", "因私", "私事", "请假"), "business": ("公务", "公事", "出差"),
              "with_client": ("接待", "接待客户", "陪客户")}
PENALTY_WORDS = {"dropped_client": ("甩客",), "grabbing": ("抢单", "抢客"), "knowingly": ("明知", "明知故犯"),
                 "absence": ("轮空", "无故轮空", "不站排"), "failed_recognition": ("失职", "认不出", "未认出")}
PROOF_WORDS = {"accompanied": ("陪同", "老客户陪同"), "phoned": ("电话通知", "预先电话", "来电通知"),
               "named": ("指明", "指明介绍人")}
REGISTERED_AS_WORDS = {"friend_viewing": ("帮朋友看房", "代看"), "company_introduction": ("公司关系介绍", "公司介绍"),
                       "staff_introduction": ("公司职员介绍", "职员介绍", "员工介绍")}
ROLE_WORDS = {"agent": ("顾问", "置业顾问", "销售"), "manager": ("经理", "主管"), "admin": ("管理员",)}
CHANNEL_WORDS = CHANNEL_SAID
RELATION_WORDS = RELATION_SAID
