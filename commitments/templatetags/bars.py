"""Bars without inline styles: a percent becomes the N of the classes w-N / at-N defined
in commitments/bars.css, so the Content-Security-Policy needs no 'unsafe-inline' for style."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from commitments.rules import Rag

register = template.Library()


@register.filter
def barpct(value: object) -> int:
    """A percent as a whole number clipped to 0–100 (anything unreadable is 0)."""
    try:
        v = float(value or 0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    if v != v:  # NaN
        return 0
    return int(round(min(max(v, 0.0), 100.0)))


@register.simple_tag
def stack(segments: Iterable[tuple[str, int, float]]) -> SafeString:
    """A stacked bar's segments, from (lamp, count, share in %): a span per lamp, its width a
    class, its lamp and count the tooltip. One call per bar (the dashboard draws 30-odd)."""
    return format_html_join(
        "",
        '<span class="seg seg-{} w-{}" title="{} {}"></span>',
        ((rag, barpct(share), Rag.labels.get(rag, rag), n) for rag, n, share in segments),
    )
