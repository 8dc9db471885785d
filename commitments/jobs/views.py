"""Summaries in the web UI: the list, one summary (its HTML in the page, the XLSX to
download), and "generate now" with progress polled by htmx (a refresh link without JS).

Summaries cover the whole ledger, so they are for those who see everything: the
supervision office and leaders.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from commitments import clock
from commitments.access import can_read_everything
from commitments.decorators import AuthenticatedHttpRequest, reader_required
from commitments.jobs.emails import XLSX_MIMETYPE
from commitments.jobs.models import Summary
from commitments.jobs.summaries import SummaryRateLimited, current_reports, summary_on_demand
from commitments.models import Report
from commitments.validators import parse_id


def _summary(pk: int) -> Summary:
    return get_object_or_404(
        Summary.objects.select_related("report", "created_by").defer("xlsx"), pk=pk
    )


@reader_required
def summary_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = (
        Summary.objects.select_related("report", "created_by")
        .defer("html", "text", "xlsx", "figures")
        .order_by("-created_at", "-pk")
    )
    kind = request.GET.get("kind", "")
    if kind in Summary.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "commitments/summaries/list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": Summary.Kind.choices,
            "reports": current_reports(clock.today()),
            "can_generate": can_read_everything(request.user),
        },
    )


@reader_required
def summary_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    summary = _summary(pk)
    template = "commitments/summaries/detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"summary": summary})


@reader_required
def summary_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress partial polled every second; once the build is over the page reloads
    to show the summary (or its error)."""
    summary = get_object_or_404(Summary.objects.only("pk", "state", "progress", "error"), pk=pk)
    if not request.htmx:
        return redirect("summary_detail", pk=pk)
    if summary.is_finished:
        return HttpResponseClientRefresh()
    return render(request, "commitments/summaries/detail.html#progress", {"summary": summary})


@reader_required
def summary_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    summary = get_object_or_404(Summary.objects.only("pk", "xlsx", "xlsx_name", "state"), pk=pk)
    if summary.state != Summary.State.DONE or not summary.xlsx:
        raise Http404(_("附件尚未生成"))
    response = HttpResponse(bytes(summary.xlsx), content_type=XLSX_MIMETYPE)
    # RFC 6266/5987: the Chinese file name goes as filename*=utf-8''…
    disposition = content_disposition_header(
        as_attachment=True, filename=summary.xlsx_name or f"summary-{summary.pk}.xlsx"
    )
    assert disposition is not None  # an attachment always has one
    response["Content-Disposition"] = disposition
    return response


@require_POST
@reader_required
def summary_generate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for a summary now. The row is written here and the build queued after commit;
    if Redis is down the request still succeeds and the catch-up job queues it later."""
    report = None
    raw = request.POST.get("report", "")
    if raw:
        pk = parse_id(raw)
        report = Report.objects.filter(pk=pk).first() if pk is not None else None
        if report is None:
            messages.error(request, _("所选报告不存在。"))
            return redirect("summary_list")
    try:
        summary, created = summary_on_demand(report=report, user=request.user)
    except Report.DoesNotExist:
        messages.error(request, _("还没有可汇总的报告。"))
        return redirect("summary_list")
    except SummaryRateLimited:
        messages.error(
            request,
            _("一小时内最多即时生成 %(n)s 份摘要，请稍后再试。")
            % {"n": settings.SUMMARY_ON_DEMAND_PER_HOUR},
        )
        return redirect("summary_list")
    if created:
        messages.info(request, _("已开始生成摘要，请稍候。"))
    else:
        messages.info(request, _("同一报告的即时摘要正在生成，请查看这一份。"))
    return redirect("summary_detail", pk=summary.pk)
