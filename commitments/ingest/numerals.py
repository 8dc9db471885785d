"""Chinese numerals: 三 → 3, 十五 → 15, 一百二十 → 120, 两千 → 2000, 二〇一七 → 2017."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

__all__ = ["CN_DIGITS", "CN_NUMERAL_CHARS", "cn_to_int", "to_decimal"]

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)


def cn_to_int(s: str) -> int:
    """Read a Chinese numeral. Raises ValueError for anything else."""
    if not s or any(ch not in CN_NUMERAL_CHARS for ch in s):
        raise ValueError(f"not a Chinese numeral: {s!r}")
    if len(s) > 1 and all(ch in CN_DIGITS for ch in s):
        # Digit by digit, as years are written: 二〇一七
        return int("".join(str(CN_DIGITS[ch]) for ch in s))
    total = section = digit = 0
    for ch in s:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (digit or 1) * _SMALL_UNITS[ch]  # 十五: a bare 十 means 一十
            digit = 0
        else:
            section += digit
            total += (section or 1) * _BIG_UNITS[ch]
            section = digit = 0
    return total + section + digit


def to_decimal(number: str) -> Decimal:
    """An Arabic (``"8"``, ``"6.5"``, full-width ``"６．５"``) or Chinese (``"十五"``) number."""
    cleaned = unicodedata.normalize("NFKC", number).replace(",", "")
    if cleaned and cleaned[0] in CN_NUMERAL_CHARS:
        return Decimal(cn_to_int(cleaned))
    return Decimal(cleaned)
