"""Shared by the screens: who may use the staff UI, which report and day a screen shows,
where to go back to after a form."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from commitments import clock
from commitments.access import can_view, roles_of
from commitments.models import (
    Commitment,
    Report,
)
from commitments.validators import parse_id


def staff_required(view):
    """Logged in and holding some role; anyone else is refused (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                # A partial swap would put the login page inside the table; send the
                # browser there instead (the session ran out while the page was open).
                url = f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.htmx.current_url_abs_path or '/')}"
                return HttpResponseClientRedirect(url)
            return redirect_to_login(request.get_full_path())
        if not roles_of(request.user).is_staff_user:
            raise PermissionDenied(_("您没有使用督办台账的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


def current_report(request: HttpRequest) -> Report | None:
    """The report the screens show: ?report=<id>, else the newest one that has commitments."""
    reports = Report.objects.annotate(
        has_items=Exists(Commitment.objects.filter(report=OuterRef("pk")))
    ).order_by("-has_items", "-year", "city")
    pk = parse_id(request.GET.get("report", ""))
    if pk is not None:
        report = reports.filter(pk=pk).first()
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


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a form: ``next`` when it is a path on this site, else
    ``default``. Only a path is taken: redirect() reads a bare word ("inbox2") as a URL
    name and raises NoReverseMatch, after the form's change was already saved."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if (
        isinstance(nxt, str)
        and nxt.startswith("/")
        and "\x00" not in nxt
        and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
    ):
        return nxt
    return default


def no_report_page(request: HttpRequest) -> HttpResponse:
    return render(request, "commitments/no_report.html", status=200)


def commitment_or_403(request: HttpRequest, pk: int) -> Commitment:
    commitment = get_object_or_404(
        Commitment.objects.select_related("report", "section", "section__parent", "lead_unit"),
        pk=pk,
    )
    if not can_view(request.user, commitment):
        raise PermissionDenied
    return commitment
