"""Finding a client the way an office asks for one (issue #15): the last
digits of a phone ("尾号 8000"), part of a name, or its pinyin — initials
(``zw`` for 张伟) or in full (``zhangwei``).

Each lead keeps a search key of its name's pinyin, written with the lead
(so a search never converts a million names); pinyin comes from pypinyin,
one character at a time through a cache (a few hundred distinct characters
make most Chinese names), which keeps a bulk import fast.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_LATIN = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=20_000)
def _char_pinyin(ch: str) -> str:
    return _lazy_pinyin()(ch)[0].lower()


@functools.cache
def _lazy_pinyin():
    """pypinyin's ``lazy_pinyin``, imported without its dictionary of
    phrases when this process has not imported pypinyin yet: a name is
    converted one character at a time, which never reads a phrase, and
    loading them was 0.2 s of every ``lead add`` (a third of it). A test
    holds every character's pinyin to the whole library's. (Code that
    imports pypinyin later in the same process gets it without phrases
    too; a plugin that imports it when loaded keeps them.)"""
    import os
    import sys

    if "pypinyin" in sys.modules or "PYPINYIN_NO_PHRASES" in os.environ:
        from pypinyin import lazy_pinyin
    else:
        os.environ["PYPINYIN_NO_PHRASES"] = "1"
        try:
            from pypinyin import lazy_pinyin
        finally:
            del os.environ["PYPINYIN_NO_PHRASES"]
    return lazy_pinyin


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@functools.lru_cache(maxsize=65536)  # an import's names repeat (张伟, 王芳…)
def search_key(name: str | None) -> str:
    """``张伟`` → ``zw zhangwei``; Latin names in lower case, one word per
    run of letters (``ZHANG Wei`` → ``zw zhangwei``)."""
    words: list[str] = []
    latin = ""
    for ch in name or "":
        if ch.isascii() and ch.isalnum():
            latin += ch.lower()
            continue
        if latin:
            words.append(latin)
            latin = ""
        if _is_cjk(ch):
            words.append(_char_pinyin(ch))
    if latin:
        words.append(latin)
    if not words:
        return ""
    return f"{''.join(w[0] for w in words)} {''.join(words)}"


def classify(text: str) -> tuple[str, str]:
    """What a search text is: ``("phone", digits)`` for three or more
    digits, ``("pinyin", letters)`` for Latin letters, else
    ``("name", text)``."""
    raw = unicodedata.normalize("NFKC", text or "").strip()  # ８００３, ｚｗ as an IME types them
    digits = re.sub(r"[\s\-]", "", raw)
    if digits.isdigit() and len(digits) >= 3:
        return "phone", digits
    lowered = re.sub(r"\s+", "", raw.lower())
    if lowered and _LATIN.fullmatch(lowered):
        return "pinyin", lowered
    return "name", raw


def matches(kind: str, key: str, name: str | None, phone: str | None) -> int | None:
    """How a lead of this name and phone ranks for a search (``kind`` and
    ``key`` from :func:`classify`), as the stored search ranks it: 0 for
    a phone's last digits, a pinyin's initials, the very name; 1 for any
    other match; None for no match."""
    if kind == "phone":
        digits = (phone or "").replace("-", "")
        return None if key not in digits else (0 if digits.endswith(key) else 1)
    if kind == "pinyin":
        words = search_key(name)
        return None if key not in words else (0 if words.startswith(key) else 1)
    return None if key not in (name or "") else (0 if name == key else 1)
