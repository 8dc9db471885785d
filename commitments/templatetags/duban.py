"""Small display helpers: the 红黄绿灯 lamp, numbers as the report writes them, bars."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from commitments.context_processors import BADGE_CAP
from commitments.models import ProgressUpdate
from commitments.rules import Rag
from commitments.templatetags.bars import barpct

if TYPE_CHECKING:
    from commitments.selectors.dashboard import TargetRow

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


@register.simple_tag
def stack(segments: Iterable[tuple[str, int, float]]) -> SafeString:
    """A stacked bar's segments, from (lamp, count, share in %): a span per lamp, its width a
    class, its lamp and count the tooltip. One call per bar (the dashboard draws 30-odd)."""
    return format_html_join(
        "",
        '<span class="seg seg-{} w-{}" title="{} {}"></span>',
        ((rag, barpct(share), rag_label(rag), n) for rag, n, share in segments),
    )


@register.simple_tag
def target_cells(row: TargetRow) -> SafeString:
    """A target's cells in the pollution table: the metric (and, for a qualitative target,
    its text), the baseline, the target, the reading, and the bar. Formatted in one call: as
    template filters and conditions, the table's 40-odd rows were half the dashboard's
    template time."""
    t = row.target

    def figure(value: Decimal | None) -> str:
        return "—" if value is None else f"{num(value)}{t.unit}"

    note = (
        ""
        if t.is_measurable
        else format_html(
            ' <span class="meta">{}：{}</span>', gettext("定性"), Truncator(t.text).chars(20)
        )
    )
    bar = (
        mark_safe('<span class="muted">—</span>')  # a constant
        if row.fraction is None
        else format_html(
            '<div class="bar thin"><span class="fill fill-green w-{}"></span></div>'
            '<span class="pctnum">{}</span>',
            barpct(row.percent),
            pct(row.percent),
        )
    )
    return format_html(
        '<td>{}{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="barcol">{}</td>',
        Truncator(t.metric).chars(22),
        note,
        figure(t.baseline_value),
        figure(t.value),
        figure(row.reading),
        bar,
    )


@register.simple_tag
def matter_target(row: TargetRow) -> SafeString:
    """A measurable target of a 实事 on the dashboard: metric, reading/target and a bar
    (nothing for a qualitative one)."""
    t = row.target
    if not t.is_measurable:
        return mark_safe("")
    return format_html(
        '<div class="m-target"><span class="m-metric" title="{}">{}</span>'
        '<span class="m-fig">{}/{}{}</span>'
        '<div class="bar thin"><span class="fill fill-green w-{}"></span></div></div>',
        t.text,
        Truncator(t.metric).chars(14),
        num(row.reading),
        num(t.value),
        t.unit,
        barpct(row.percent),
    )
