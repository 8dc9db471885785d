"""The dashboard (红黄绿灯) for leaders and the supervision office, as of any day."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commitments import clock
from commitments.access import (
    visible_commitments,
)
from commitments.models import (
    Commitment,
    Report,
)
from commitments.selectors.dashboard import dashboard_build
from commitments.views.base import (
    as_of_day,
    as_of_was_clamped,
    current_report,
    no_report_page,
    staff_required,
)


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    report = current_report(request)
    if report is None:
        return no_report_page(request)
    day = as_of_day(request)
    board = dashboard_build(
        report=report,
        commitments=visible_commitments(request.user, Commitment.objects.all()),
        day=day,
    )
    context = {
        "board": board,
        "report": report,
        "reports": Report.objects.order_by("-year", "place"),
        "day": day,
        "is_today": day == clock.today(),
        "clamped": as_of_was_clamped(request),
        "public": False,
    }
    template = "commitments/dashboard.html#body" if request.htmx else "commitments/dashboard.html"
    return render(request, template, context)
