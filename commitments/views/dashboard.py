"""The dashboard (红黄绿灯) for leaders and the supervision office, as of any day."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commitments import clock
from commitments.access import (
    visible_commitments,
)
from commitments.decorators import AuthenticatedHttpRequest, staff_required
from commitments.models import (
    Commitment,
)
from commitments.selectors.dashboard import dashboard_build
from commitments.services.status import status_refresh
from commitments.views.base import (
    as_of_day,
    as_of_was_clamped,
    current_report,
    figures_basis,
    no_report_page,
    pk_href,
    report_choices,
)


@staff_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    report = current_report(request)
    if report is None:
        return no_report_page(request)
    day = as_of_day(request)
    visible = visible_commitments(request.user, Commitment.objects.all())
    board = dashboard_build(
        report=report,
        commitments=visible,
        day=day,
        basis=figures_basis(request),
        refresh=status_refresh,
    )
    href = pk_href("commitment")
    for row in board.item_rows():
        row.href = href(row.commitment.pk)
    context = {
        "board": board,
        "report": report,
        "reports": report_choices(),
        "day": day,
        "is_today": day == clock.today(),
        "clamped": as_of_was_clamped(request),
        "public": False,
    }
    template = "commitments/dashboard.html#body" if request.htmx else "commitments/dashboard.html"
    return render(request, template, context)
