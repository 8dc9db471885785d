"""The public page (政务公开): read-only, no login, accepted progress only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from commitments import clock
from commitments.models import (
    Commitment,
    Report,
)
from commitments.selectors.dashboard import dashboard_build
from commitments.services.status import status_refresh


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.filter(is_public=True).order_by("-year", "place")
    return render(request, "commitments/public_index.html", {"reports": reports})


@require_GET
def public_report(request: HttpRequest, pk: int) -> HttpResponse:
    """No login, read-only figures. Only public reports and their public commitments; no
    names of people and no evidence files."""
    report = get_object_or_404(Report, pk=pk, is_public=True)
    day = clock.today()
    public = Commitment.objects.filter(is_public=True, in_source=True)
    board = dashboard_build(
        report=report,
        commitments=public,
        day=day,
        list_limit=30,
        verified_only=True,
        refresh=status_refresh,
    )
    return render(
        request,
        "commitments/public.html",
        {"board": board, "report": report, "day": day, "public": True},
    )
