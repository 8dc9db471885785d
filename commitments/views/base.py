"""Shared by the screens: who may use which screen (decorators built on the rules in
``commitments.access``), which report and day a screen shows,
where to go back to after a form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from commitments import clock
from commitments.access import can_read_everything, can_supervise, can_use_staff_ui, can_view
from commitments.models import (
    Commitment,
    Report,
)


def role_required(
    rule: Callable[[AbstractBaseUser | AnonymousUser], bool], refusal: str | None = None
) -> Callable:
    """A view decorator from a rule of ``commitments.access``: anonymous users are sent to
    log in (an htmx request is told to send the whole page there), users the rule refuses
    get 403 before the view runs, so a refused write never reaches a form or a service."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                if request.htmx:
                    # A partial swap would put the login page inside the table; send the
                    # browser there instead (the session ran out while the page was open).
                    url = f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.htmx.current_url_abs_path or '/')}"
                    return HttpResponseClientRedirect(url)
                return redirect_to_login(request.get_full_path())
            if not rule(request.user):
                raise PermissionDenied(refusal) if refusal else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# The three families of screens. Every view of the staff UI wears exactly one of these.
staff_required = role_required(can_use_staff_ui, _("您没有使用督办台账的权限。"))  # any role
supervisor_required = role_required(can_supervise)  # the supervision office (督查室)
reader_required = role_required(can_read_everything)  # leaders and the supervision office


def current_report(request: HttpRequest) -> Report | None:
    """The report the screens show: ?report=<id>, else the newest one that has commitments."""
    reports = Report.objects.annotate(
        has_items=Exists(Commitment.objects.filter(report=OuterRef("pk")))
    ).order_by("-has_items", "-year", "place")
    raw = request.GET.get("report", "")
    if raw.isdigit():
        report = reports.filter(pk=int(raw)).first()
        if report is not None:
            return report
    return reports.first()


def as_of_day(request: HttpRequest) -> dt.date:
    """?as_of=YYYY-MM-DD, never later than today (the ledger cannot see the future)."""
    today = clock.today()
    try:
        day = dt.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return today
    return min(day, today)


def as_of_was_clamped(request: HttpRequest) -> bool:
    """True when ?as_of asked for a day after today, which ``as_of_day`` shows as today:
    the page must say so rather than quietly show another day."""
    try:
        return dt.date.fromisoformat(request.GET.get("as_of", "")) > clock.today()
    except ValueError:
        return False


def safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def no_report_page(request: HttpRequest) -> HttpResponse:
    return render(request, "commitments/no_report.html", status=200)


def commitment_or_403(
    request: HttpRequest,
    pk: int,
    *,
    may: Callable[[AbstractBaseUser | AnonymousUser, Commitment], bool] = can_view,
) -> Commitment:
    """The commitment, if the user may see it (or, with ``may=can_update``, record
    progress on it): the one object-level check of the views."""
    commitment = get_object_or_404(
        Commitment.objects.select_related("report", "section", "section__parent", "lead_unit"),
        pk=pk,
    )
    if not may(request.user, commitment):
        raise PermissionDenied
    return commitment
