"""Is this the same client's name? The duplicate check on a phone (撞单).

Front desks write one client many ways: ``张伟``, ``张 伟``, ``張偉``,
``张伟先生``, ``张先生``, ``ZHANG Wei``, ``zhangwei``. :func:`match` says
whether two written names can be the same person, after normalising:

* **width and white space**: full-width letters and spaces (``ＺＨＡＮＧ``,
  U+3000) count as ordinary ones; spaces, ``·`` and dots are dropped;
* **traditional characters** are read as simplified (``張偉`` → ``张伟``;
  OpenCC's phrase tables, through ``opencc-python-reimplemented``);
* **honorifics** are dropped: suffixes ``先生 女士 小姐 太太 夫人 老板 总
  经理 …`` and leading ``Mr Ms Mrs Miss Dr …``. A single-character one
  (``总``, ``董``, ``姐``, ``哥``) only after a bare surname (``李总``), so a
  full name that happens to end in such a character stays whole;
* **case**.

A **bare surname with an honorific** (``张先生``, ``Mr Zhang``) names a
surname only: it matches any name with that surname (``张伟``, ``张维``).

**Pinyin** joins the two scripts, and only them: a name written in Latin
letters matches a Chinese name whose pinyin it spells (``ZHANG Wei``,
``Wei Zhang``, ``zhangwei`` all match ``张伟``; every reading of a
character with several counts, so ``Zeng`` and ``Ceng`` both match
``曾``; ``ü`` may be written ``u`` or ``v``). Two names both written in
Chinese characters are compared as characters: ``张伟`` and ``张维`` share
their pinyin but are different names, and so are different people.

Not handled (they stay different names): familiar forms such as ``老张`` or
``小张``, nicknames, and English given names (``David Zhang``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

import attrs

#: suffixes dropped from a Chinese name; the longest is tried first
HONORIFICS = ("先生", "女士", "小姐", "太太", "夫人", "老板娘", "老板", "总经理", "经理", "董事长",
              "主任", "老师", "师傅", "阿姨", "叔叔", "大哥", "大姐")
#: single-character honorifics: dropped only when a bare surname is left (李总, 王姐)
SHORT_HONORIFICS = ("总", "董", "姐", "哥")
#: a spouse's title: after a bare surname it is the person (张太太 is Mrs Zhang),
#: after a full name it is somebody else (张伟太太 is 张伟's wife: close family)
SPOUSE_TITLES = frozenset({"太太", "夫人", "老板娘"})
#: leading words dropped from a name in Latin letters
LATIN_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "madam", "madame", "mister", "sir"})
#: two-character surnames (复姓) that a bare-surname form may be
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "轩辕", "申屠", "澹台", "钟离", "赫连", "呼延",
    "百里", "闻人", "万俟", "第五", "公羊", "太史"})

_DROP = re.compile(r"[\s·•・.．\-_'’,，]+")
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef]+$")
_LATIN = re.compile(r"^[a-z]+$")

#: how two names matched: the whole name, or a bare surname against a name
NAME, SURNAME = "name", "surname"


@attrs.frozen
class Written:
    """A name as normalised for comparison. ``script`` is ``han``,
    ``latin`` or ``other``; ``parts`` are the Latin words (one item for
    other scripts); ``surname_only`` for a bare surname with an honorific."""

    script: str
    parts: tuple[str, ...]
    surname_only: bool

    @property
    def text(self) -> str:
        return "".join(self.parts)


@functools.cache
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented: pure Python, loaded on first use

    return OpenCC("t2s").convert


def _is_surname(text: str) -> bool:
    return len(text) == 1 or text in COMPOUND_SURNAMES


@functools.lru_cache(maxsize=4096)
def written(name: str) -> Written:
    """Normalise ``name`` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(name)).strip()
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = [w for w in re.split(r"[\s·•・.．\-_'’,，]+", plain.lower().replace("ü", "u")) if w]
    if words and all(_LATIN.match(w) for w in words):
        honored = False
        while len(words) > 1 and words[0] in LATIN_HONORIFICS:
            words, honored = words[1:], True
        return Written("latin", tuple(w.replace("v", "u") for w in words), honored and len(words) == 1)
    han = _t2s()(_DROP.sub("", text))
    if not _HAN.match(han):
        return Written("other", (_DROP.sub("", text).casefold(),), False)
    for suffix in HONORIFICS + SHORT_HONORIFICS:
        rest = han[:-len(suffix)]
        if han.endswith(suffix) and rest and (
                (suffix in HONORIFICS and suffix not in SPOUSE_TITLES) or _is_surname(rest)):
            return Written("han", (rest,), _is_surname(rest))
    return Written("han", (han,), False)


def _surname(w: Written) -> str:
    """The surname of a Chinese full name (a compound one when it is one)."""
    return w.text[:2] if w.text[:2] in COMPOUND_SURNAMES else w.text[:1]


@functools.lru_cache(maxsize=4096)
def _spellings(han: str) -> frozenset[str]:
    """Every pinyin spelling of ``han`` (each reading of each character),
    without tones, ``ü`` as ``u``."""
    from pypinyin import Style, pinyin  # imported only when a Latin name is compared

    readings = [[r.replace("v", "u").replace("ü", "u") for r in rs[:4]]
                for rs in pinyin(han, style=Style.NORMAL, heteronym=True)]
    return frozenset("".join(p) for p in itertools.islice(itertools.product(*readings), 256))


def _latin_forms(w: Written) -> set[str]:
    """A Latin name as one string, surname first or (given name first) last."""
    forms = {w.text}
    if len(w.parts) > 1:
        forms.add("".join(w.parts[-1:] + w.parts[:-1]))
    return forms


def _latin_has_surname(w: Written, surnames: set[str]) -> bool:
    if len(w.parts) > 1:
        return w.parts[0] in surnames or w.parts[-1] in surnames
    return any(w.text.startswith(s) and len(w.text) > len(s) for s in surnames) or w.text in surnames


def match(a: str, b: str) -> str | None:
    """``"name"`` when ``a`` and ``b`` write the same name, ``"surname"``
    when one is a bare surname with an honorific and the other has that
    surname, ``None`` when they are different names."""
    x, y = written(a), written(b)
    if y.surname_only and not x.surname_only:
        x, y = y, x
    if x.script == "other" or y.script == "other":
        return NAME if x.text == y.text and x.script == y.script else None
    if x.surname_only:
        return SURNAME if _has_surname(y, x) else None
    if x.script == y.script == "han":
        return NAME if x.text == y.text else None
    if x.script == y.script == "latin":
        return NAME if _latin_forms(x) & _latin_forms(y) else None
    latin, han = (x, y) if x.script == "latin" else (y, x)
    return NAME if _latin_forms(latin) & _spellings(han.text) else None


def _has_surname(full: Written, bare: Written) -> bool:
    """Whether ``full`` (a name, or another bare surname) has the surname ``bare``."""
    if full.surname_only:
        if full.script == bare.script:
            return full.text == bare.text
        latin, han = (full, bare) if full.script == "latin" else (bare, full)
        return latin.text in _spellings(han.text)
    if bare.script == "han" and full.script == "han":
        return _surname(full) == bare.text
    if bare.script == "han":  # 张先生 against ZHANG Wei
        return _latin_has_surname(full, set(_spellings(bare.text)))
    if full.script == "han":  # Mr Zhang against 张伟
        return bare.text in _spellings(_surname(full))
    return _latin_has_surname(full, {bare.text})


def find(name: str, candidates):
    """The first of ``candidates`` — ``(item, written name)`` pairs — whose
    name matches ``name``, preferring a whole-name match to a surname one:
    ``(item, "name" | "surname")``, or ``None``."""
    best = None
    for item, other in candidates:
        how = match(name, other)
        if how == NAME:
            return item, how
        if how == SURNAME and best is None:
            best = (item, how)
    return best
