"""Small helpers for the account pages (login lockout, password reset)."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A cool-off period in whole minutes (rounded up, at least 1)."""
    if not value:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))
