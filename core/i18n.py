"""Message catalogs: every string a person reads, in the reader's language.

Messages are keyed by their English text (gettext's msgids), so the code
reads as English and an untranslated message falls back to it. The
catalogs are ``locale/<lang>/LC_MESSAGES/leadcycle.po`` beside this module,
compiled to ``.mo`` by ``make catalogs`` (Babel); a third language is one
new ``.po`` file. Only the standard library's :mod:`gettext` runs at run
time, and a catalog is read the first time a message of its language is
asked for, so start-up stays light.

The language is ``--lang``, else ``LEADCYCLE_LANG``, else the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English.
"""

from __future__ import annotations

import functools
import gettext
import locale
import os
from pathlib import Path

DOMAIN = "leadcycle"
LOCALE_DIR = Path(__file__).parent / "locale"

#: the languages leadcycle speaks; English is the msgids themselves
LANGUAGES = ("en", "zh")

_current: str | None = None


def default_lang() -> str:
    """The language of the environment: ``LEADCYCLE_LANG``, else the locale."""
    for var in ("LEADCYCLE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return _known(value)
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover
        loc = ""
    return _known(loc)


def _known(value: str) -> str:
    """``zh_CN.UTF-8`` → ``zh``; a language leadcycle does not speak → ``en``."""
    code = value.split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def set_language(lang: str | None) -> None:
    """Speak ``lang`` from now on in this process (None: the environment's)."""
    global _current
    _current = lang


def language() -> str:
    return _current or default_lang()


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: none, the msgids)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the current language)."""
    return catalog(lang or language()).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """The singular or plural form for ``n``, in ``lang``; format it with
    ``n`` afterwards: ``ngettext("{n} lead", "{n} leads", n).format(n=n)``."""
    return catalog(lang or language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs where it is defined, and translate
    it where it is shown (gettext's ``gettext_noop``)."""
    return message


class Message(str):
    """A message carried as a value until it is shown — an error's parameter
    such as "the pool" in "lead #3 belongs to {owner}". As a ``str`` it is
    the English text; :func:`render` shows it in a reader's language."""

    msgid: str
    params: dict


def M_(message: str, /, **params) -> Message:
    """Mark ``message`` for the catalogs and carry it, with its values, as a
    :class:`Message`, so whatever shows it (an error) translates it there."""
    m = Message(message.format(**{k: render(v, "en") for k, v in params.items()}) if params else message)
    m.msgid, m.params = message, params
    return m


def render(value, lang: str | None = None):
    """``value`` as a reader of ``lang`` sees it: a :class:`Message`
    translated (its values too), a list of them (or of texts) joined with
    "; " — never a Python list's repr — a :class:`~leadcycle.Label` in the
    reader's language, anything else as it is."""
    if isinstance(value, list) and value and all(isinstance(v, (Message, str)) for v in value):
        return "; ".join(str(render(v, lang)) for v in value)
    if not isinstance(value, Message):
        if isinstance(getattr(value, "en", None), str) and isinstance(getattr(value, "zh", None), str):
            return value.zh if (lang or language()) == "zh" else value.en  # a Label: its text for the reader
        return value
    text = _(value.msgid, lang)
    if not value.params:
        return text
    try:
        return text.format(**{k: render(v, lang) for k, v in value.params.items()})
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
        return str(value)


def has(message: str, lang: str) -> bool:
    """Whether ``lang``'s catalog translates ``message``."""
    return lang == "en" or catalog(lang).gettext(message) != message


__all__ = ["LANGUAGES", "M_", "Message", "N_", "_", "catalog", "default_lang", "has", "language", "ngettext", "render",
           "set_language"]
