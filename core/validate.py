"""Checks for what operators type: phone numbers, names, genders."""

from __future__ import annotations

import re

from . import phones
from .errors import LeadcycleError
from .i18n import M_, N_


def normalize_phone(raw: str) -> str:
    """A phone in the form it is stored: mobiles as 11 digits
    (``+86 138-1234-5678`` → ``13812345678``), landlines as area code, dash,
    number (``(010) 8888 6666`` → ``010-88886666``); 400/800 numbers,
    other regions (E.164) and extensions as :mod:`leadcycle.phones` says."""
    return phones.normalize_phone(raw)


FAMILY_RELATIONS = ("spouse", "parent", "child", "sibling", "partner")
#: each relation as people say it (配偶, 子女…)
RELATION_WORDS = {"spouse": M_("spouse"), "parent": M_("parent"), "child": M_("child"), "sibling": M_("sibling"),
                  "partner": M_("partner")}
#: the Chinese words registers and operators use for each relation and each
#: channel, the first the one a Chinese export writes (import, ``lead add
#: --relation 配偶 --channel 来电``)
RELATION_SAID = {"spouse": ("配偶", "夫妻", "丈夫", "妻子"), "parent": ("父母", "父亲", "母亲"),
                 "child": ("子女", "儿子", "女儿"), "sibling": ("兄弟姐妹", "兄弟", "姐妹"),
                 "partner": ("伴侣", "合伙人")}
CHANNEL_SAID = {"visit": ("来访", "到访", "上门"), "call": ("来电", "电话")}

#: how registers write a gender: the codes, the words, and the forms of address
#: a front desk uses (先生 for a man; 女士, 小姐 for a woman — issue #15)
_GENDER = {"m": "M", "male": "M", "男": "M", "先生": "M", "男士": "M", "mr": "M", "mr.": "M",
           "f": "F", "female": "F", "女": "F", "女士": "F", "小姐": "F", "ms": "F", "ms.": "F",
           "mrs": "F", "mrs.": "F", "miss": "F"}


def normalize_gender(raw: str | None) -> str:
    if raw is None or not str(raw).strip():  # not given: missing, as the other basics are
        require_text(M_("gender"), raw)
    value = _GENDER.get(str(raw).strip().lower())
    if value is None:
        raise LeadcycleError(N_("gender {raw!r} is not M or F (男/女, 先生/女士); the three basics are "
                                "name with gender, phone and need"), raw=raw)
    return value


#: control characters (a NUL from a file another program wrote, ^A pasted
#: from a terminal) are no part of a name: dropped; whitespace among them
#: (tabs, line breaks) is a space
_CONTROLS = {c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if not chr(c).isspace()}


def require_text(what: str, raw: str | None, basics: bool = True) -> str:
    """``raw`` without control characters and with its runs of spaces made
    one, refused when nothing is left; ``basics``: it is one of a lead's
    three basics (the refusal says so)."""
    text = " ".join(str(raw or "").translate(_CONTROLS).split())
    if not text:
        if basics:
            raise LeadcycleError(N_("{what} is missing; a lead needs the three basics: "
                                    "name with gender, phone and need"), what=what)
        raise LeadcycleError(N_("{what} is missing; give it as text"), what=what)
    return text


def refuse_json_constant(name: str):
    """``json.loads(…, parse_constant=refuse_json_constant)``: Python's
    reader takes ``NaN`` and ``Infinity``, which JSON has no place for and
    SQLite's ``json_extract`` cannot read back."""
    raise ValueError(f"{name} is not a number (JSON has no NaN or Infinity)")


#: what separates two names in one cell (李娜/王强, 李娜、王强, 李娜,王强)
_NAME_LISTS = re.compile(r"[/、,，;；&+|]")


def agent_name_problem(name: str) -> LeadcycleError | None:
    """Why ``name`` cannot name a new agent (two names in one, no name at
    all: ``李娜/王强``, ``-``), else None."""
    if _NAME_LISTS.search(name):
        return LeadcycleError(N_("agent name {name!r} names more than one agent; an agent is one person: "
                                 "give one name"), name=name)
    if not any(ch.isalnum() for ch in name):
        return LeadcycleError(N_("agent name {name!r} holds no name; give the agent's name"), name=name)
    return None
