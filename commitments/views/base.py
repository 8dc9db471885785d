"""Shared by the screens: which report and day a screen shows, where to go back to after a
form, the commitment a URL names (who may open which screen: commitments.decorators)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from commitments import clock
from commitments.access import (
    can_view,
    roles_of,
)
from commitments.models import (
    Commitment,
    Report,
)
from commitments.validators import parse_id

# What the screens never read of a report: its whole text (tens of KB a report) and the
# review's corrections; only the import and its review use them (loaded if ever asked for).
NOT_ON_SCREENS = ("source_text", "review_corrections")


def current_report(request: HttpRequest) -> Report | None:
    """The report the screens show: ?report=<id>, else the newest one that has commitments."""
    reports = (
        Report.objects.defer(*NOT_ON_SCREENS)
        .annotate(has_items=Exists(Commitment.objects.filter(report=OuterRef("pk"))))
        .order_by("-has_items", "-year", "place")
    )
    pk = parse_id(request.GET.get("report", ""))
    if pk is not None:
        report = reports.filter(pk=pk).first()
        if report is not None:
            return report
    return reports.first()


def report_choices() -> QuerySet[Report]:
    """The reports a screen's report picker offers, newest first: id, year and place."""
    return Report.objects.order_by("-year", "place").only("pk", "year", "place")


def pk_href(name: str) -> Callable[[int], str]:
    """The link to the object ``pk`` under the URL pattern ``name`` (one integer argument),
    reversed once and filled in per row: a page of 50 rows would otherwise spend a
    ``reverse`` (about 50 µs) on each."""
    marker = 987654321
    head, found, tail = reverse(name, args=[marker]).partition(str(marker))
    assert found, f"the URL pattern {name!r} does not show its argument"
    return lambda pk: f"{head}{int(pk)}{tail}"


def as_of_day(request: HttpRequest) -> dt.date:
    """?as_of=YYYY-MM-DD, never later than today (the ledger cannot see the future)."""
    today = clock.today()
    try:
        day = dt.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return today
    return min(day, today)


def figures_basis(request: HttpRequest) -> str:
    """Which figures the ledger and dashboard count by: ``verified`` (what the office
    accepted; leaders see these first) or ``claimed`` (what departments report, with an
    unreviewed completion as 申报完成·待审核). ?basis= switches."""
    raw = request.GET.get("basis", "")
    if raw in ("claimed", "verified"):
        return raw
    roles = roles_of(request.user)
    return "verified" if roles.leader and not roles.supervisor else "claimed"


def as_of_was_clamped(request: HttpRequest) -> bool:
    """True when ?as_of asked for a day after today, which ``as_of_day`` shows as today:
    the page must say so rather than quietly show another day."""
    try:
        return dt.date.fromisoformat(request.GET.get("as_of", "")) > clock.today()
    except ValueError:
        return False


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


def commitment_or_403(
    request: HttpRequest,
    pk: int,
    *,
    may: Callable[[User | AnonymousUser, Commitment], bool] = can_view,
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
