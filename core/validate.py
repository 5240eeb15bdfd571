"""Checks for what operators type: phone numbers, names, genders."""

from __future__ import annotations

import re

from .errors import LeadcycleError

_SEPARATORS = re.compile(r"[\s\-\(\)（）.·]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalize_phone(raw: str) -> str:
    """A mainland number in the form it is stored: mobiles as 11 digits
    (``+86 138-1234-5678`` → ``13812345678``), landlines as area code, dash,
    number (``(010) 8888 6666`` → ``010-88886666``)."""
    text = _SEPARATORS.sub("", str(raw or "").strip())
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if _MOBILE.match(text):
        return text
    if _LANDLINE.match(text):
        area = 3 if text[1] in "12" else 4  # 010, 02x are 3 digits with the 0
        return f"{text[:area]}-{text[area:]}"
    raise LeadcycleError(
        f"phone {raw!r} is not a valid mainland number; give an 11-digit mobile "
        "such as 138 1234 5678 (+86 allowed) or a landline such as 010-88886666")


FAMILY_RELATIONS = ("spouse", "parent", "child", "sibling", "partner")

#: how registers write a gender: the codes, the words, and the forms of address
#: a front desk uses (先生 for a man; 女士, 小姐 for a woman — issue #15)
_GENDER = {"m": "M", "male": "M", "男": "M", "先生": "M", "mr": "M", "mr.": "M",
           "f": "F", "female": "F", "女": "F", "女士": "F", "小姐": "F", "ms": "F", "ms.": "F",
           "mrs": "F", "mrs.": "F", "miss": "F"}


def normalize_gender(raw: str | None) -> str:
    value = _GENDER.get(str(raw or "").strip().lower())
    if value is None:
        raise LeadcycleError(f"gender {raw!r} is not M or F (男/女, 先生/女士); the three basics are "
                             "name with gender, phone and need")
    return value


def require_text(what: str, raw: str | None) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise LeadcycleError(f"{what} is missing; a lead needs the three basics: "
                             "name with gender, phone and need")
    return text
