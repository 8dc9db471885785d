"""Bars without inline styles: a percent becomes the N of the classes w-N / at-N defined
in commitments/bars.css, so the Content-Security-Policy needs no 'unsafe-inline' for style."""

from __future__ import annotations

from django import template

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
