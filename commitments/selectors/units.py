"""Units (单位) as every list shows them: by their full name, in 拼音 order.

One display name everywhere — the full name (``Department.__str__``) — and one order:
by the pinyin of the name, so 市财政局 (cai) comes before 市交通运输局 (jiao), as a
Chinese reader expects, rather than by code point.
"""

from __future__ import annotations

from functools import lru_cache

from django.db.models import QuerySet

from commitments.models import Department


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[tuple[str, ...], str]:
    """A sort key for a Chinese name: its syllables with tones (numbers after the letters),
    then the name itself to break ties between homophones."""
    # Imported here: pypinyin loads about 60 MB of dictionaries, which every process that
    # reverses a URL (the URLconf imports the forms) would carry — the workers that render
    # emails included — though only a list of units needs them.
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)), name


def units_in_order(qs: QuerySet[Department] | None = None) -> list[Department]:
    qs = Department.objects.all() if qs is None else qs
    return sorted(qs, key=lambda d: pinyin_key(d.name))


def unit_choices(qs: QuerySet[Department] | None = None) -> list[tuple[str, str]]:
    """(id, display name) of the units, in pinyin order, for a <select>."""
    return [(str(d.pk), str(d)) for d in units_in_order(qs)]
