"""Small display helpers: the 红黄绿灯 lamp, numbers as the report writes them, bars."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html

from commitments.context_processors import BADGE_CAP
from commitments.models import ProgressUpdate
from commitments.rules import Rag

register = template.Library()

STATUS_LABELS = dict(ProgressUpdate.Status.choices)


@register.simple_tag
def lamp(rag: str, text: bool = True) -> str:
    """A coloured lamp with its label; the label is also the tooltip so colour is never
    the only signal."""
    label = Rag.labels.get(rag, rag)
    if text:
        return format_html(
            '<span class="lamp lamp-{}" title="{}"><i></i>{}</span>', rag, label, label
        )
    return format_html('<span class="lamp lamp-{}" title="{}"><i></i></span>', rag, label)


@register.filter
def badge(value: int | None) -> str:
    """A count on a navigation badge: 0 → "", past the cap → "99+"."""
    if not value:
        return ""
    return f"{BADGE_CAP}+" if value > BADGE_CAP else str(value)


@register.filter
def num(value: Any) -> str:
    """118.0000 → 118, 7.9300 → 7.93, localized (thousand separators where the locale has them)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        value = Decimal(str(round(value, 4)))
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
        places = max(-int(value.as_tuple().exponent), 0)
        return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


@register.filter
def pct(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(float(value), 1), decimal_pos=1, use_l10n=True) + "%"


@register.filter
def width(value: Any) -> str:
    """A CSS width in %, clipped to 0–100, with a dot whatever the locale."""
    try:
        v = min(max(float(value or 0), 0.0), 100.0)
    except (TypeError, ValueError):
        v = 0.0
    return f"{v:.1f}%"


@register.filter
def status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, "—")) if value else "—"


@register.filter
def rag_label(value: str) -> str:
    return str(Rag.labels.get(value, value))
