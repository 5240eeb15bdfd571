"""Phone numbers as offices write them, in the one form leadcycle stores.

Parsing and validation are Google's libphonenumber (the ``phonenumbers``
package): every region, the ``(0)`` trunk prefix of ``+86 (0)138…``,
special-service numbers, extensions. What we add is the stored form, which
must stay the one earlier versions wrote so that stored phones keep
matching (duplicate check, search by last digits, masking):

* mainland mobiles: 11 digits, ``13812345678``;
* mainland landlines: area code with its 0, a dash, the number,
  ``010-88886666``;
* mainland 400/800 service numbers: ``400-8001234``, ``800-8208820``;
* every other region in E.164: ``+85223456789`` (Hong Kong), ``+853…``
  (Macau), ``+886…`` (Taiwan), ``+1…``;
* an extension (``转 8001``, ``分机 8001``, ``ext. 801``, ``x801``) follows
  a comma, ``010-88886666,801`` — the comma is a phone's own "pause, then
  dial" mark, so the stored form dials straight through on a mobile.

Full-width digits and punctuation (``138００１３８００５``, ``（010）``) are
read as their ASCII forms first, so they never make a second lead.

Mainland mobiles are accepted by their shape (``1[3-9]`` and nine digits)
even where libphonenumber's metadata has not caught up with a new carrier
prefix; mainland landlines libphonenumber does not know (a 7-digit number
behind a 4-digit area code) keep the shape earlier versions accepted.
Numbers that are only zeros, start with ``00`` after the country, or match
no region are refused.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .errors import LeadcycleError
from .i18n import N_

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: the shape earlier versions accepted for a landline: 0, an area code that
#: is not the international prefix 00, a 7- or 8-digit number
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}\d{7,8}$")
_SEPARATORS = re.compile(r"[\s\-().·]")
#: an extension at the end: 转 8001, 分机8001, ext. 801, ext801, x801, #801
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)

MESSAGE = N_("phone {raw!r} is not a valid mainland number; give an 11-digit mobile such as 138 1234 5678 "
           "(+86 allowed), a landline such as 010-88886666 or a 400/800 number, another region's number "
           "with its country code (+852 2345 6789), an extension as 转 801")


def normalize_phone(raw) -> str:
    """``raw`` in the stored form (see the module docstring), or a
    :class:`LeadcycleError` with one line saying what a phone looks like."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    stored = _normalize(text)
    if stored is None:
        if "*" in text:  # 138****8000: an export's masked number, which no one can call
            raise LeadcycleError(N_("phone {raw!r} is masked (an export without --unmask); a manager exports "
                                    "the full numbers with --unmask to import them back"), raw=raw)
        raise LeadcycleError(MESSAGE, raw=raw)
    return stored


@functools.lru_cache(maxsize=65536)
def _normalize(text: str) -> str | None:
    # a register repeats a client's phone on every visit row: parse each once
    ext = None
    m = _EXTENSION.search(text)
    if m and m.start() > 0:
        text, ext = text[:m.start()], m[1]
    main = _main_number(text)
    if main is None:
        return None
    return f"{main},{ext}" if ext else main


def _main_number(text: str) -> str | None:
    if _MOBILE.match(text):  # the register's common case, as libphonenumber would store it
        return text
    if not text or not any(c.isdigit() for c in text):
        return None
    # libphonenumber only for what is not a mobile: its import is 40 ms of
    # every command, and most never read a phone that is not one
    import phonenumbers
    from phonenumbers import PhoneNumberType

    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None:
        if number.extension:
            return None  # an extension libphonenumber found inside, where ours did not: not a register's
        national = phonenumbers.national_significant_number(number)
        if not national.strip("0"):
            return None  # only zeros: a placeholder, not a phone
        if number.country_code == 86:
            if _MOBILE.match(national):
                return national
            if phonenumbers.is_valid_number(number):
                if phonenumbers.number_type(number) in (PhoneNumberType.TOLL_FREE, PhoneNumberType.UAN,
                                                         PhoneNumberType.SHARED_COST):
                    return f"{national[:3]}-{national[3:]}"
                area = phonenumbers.length_of_geographical_area_code(number)
                if area and national[area:].strip("0"):  # 010-00000000 is a placeholder
                    return f"0{national[:area]}-{national[area:]}"
        elif phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _legacy_landline(text)


def _legacy_landline(text: str) -> str | None:
    """A mainland landline in the shape earlier versions accepted, when
    libphonenumber does not know its area (``0755-1234567``)."""
    digits = _SEPARATORS.sub("", text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if not _LANDLINE.match(digits):
        return None
    area = 3 if digits[1] in "12" else 4  # 010, 02x are 3 digits with the 0
    if not digits[area:].strip("0"):
        return None  # only zeros
    return f"{digits[:area]}-{digits[area:]}"


def main_number(stored: str) -> str:
    """The stored form without its extension (``010-88886666,801`` →
    ``010-88886666``)."""
    return stored.partition(",")[0]


__all__ = ["MESSAGE", "main_number", "normalize_phone"]
