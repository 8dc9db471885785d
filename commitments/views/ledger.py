"""The ledger (台账): filters, sort, pagination, exports and bulk assignment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from commitments import clock
from commitments.access import (
    can_assign,
    can_instruct,
    visible_commitments,
)
from commitments.decorators import AuthenticatedHttpRequest, staff_required, supervisor_required
from commitments.filters import LedgerFilter
from commitments.forms import (
    BulkAssignForm,
)
from commitments.jobs import notices
from commitments.models import (
    Commitment,
    Report,
)
from commitments.rules import Rag, StatusResult
from commitments.selectors.exports import export_queryset, ledger_rows, to_csv, to_xlsx
from commitments.selectors.sections import report_chapter_labels, section_label
from commitments.selectors.states import CommitmentState, commitment_states
from commitments.services import assignment
from commitments.views.base import current_report, figures_basis, no_report_page, safe_next

PAGE_SIZE = 50


@dataclass
class LedgerView:
    report: Report
    filter: LedgerFilter
    day: dt.date
    ids: list[int]  # every matching commitment, in display order
    states: dict[int, CommitmentState]
    rag_counts: list[tuple[str, str, int]]
    queryset: QuerySet[Commitment]  # the database-filterable part of the view
    basis: str = "claimed"  # "verified": lamps from what the office accepted (leaders' default)
    verified_done: int = 0  # 审核确认完成
    claimed_pending: int = 0  # 申报完成·待审核 — with verified_done, all claimed completions
    unacknowledged: int = 0  # 未签收 (past ACKNOWLEDGE_WITHIN_DAYS)

    @property
    def claimed_done(self) -> int:
        return self.verified_done + self.claimed_pending


def _sort_key(sort: str, meta: dict, shown: dict[int, StatusResult]):
    rag_rank = {rag: i for i, rag in enumerate(Rag.SHOWN_ORDER)}
    keys = {
        "code": lambda pk: meta[pk][0],
        "due": lambda pk: (meta[pk][1], meta[pk][0]),
        "percent": lambda pk: (-shown[pk].percent, meta[pk][0]),
        "-percent": lambda pk: (shown[pk].percent, meta[pk][0]),
        "rag": lambda pk: (rag_rank[shown[pk].rag], meta[pk][0]),
        "unit": lambda pk: (meta[pk][2] is None, meta[pk][2] or "", meta[pk][0]),
    }
    return keys.get(sort, keys["code"])


def ledger_query(request: AuthenticatedHttpRequest, report: Report) -> LedgerView:
    """The ledger as filtered by the query string: a fixed number of queries however many
    rows match (status for all of them comes from commitment_states in two)."""
    base = visible_commitments(request.user, Commitment.objects.filter(report=report))
    f = LedgerFilter(request.GET or None, queryset=base, report=report)
    valid = f.is_bound and f.form.is_valid()
    data = f.form.cleaned_data if valid else {}
    qs = f.qs if valid else base
    today = clock.today()
    day = min(data.get("as_of") or today, today)

    states = commitment_states(qs, day=day)
    basis = figures_basis(request)
    shown = {pk: st.basis(basis) for pk, st in states.items()}
    meta = {
        pk: (seq, due, unit)
        for pk, seq, due, unit in qs.order_by().values_list(
            "pk", "seq", "due_date", "lead_unit__name"
        )
    }
    ids = list(meta)
    if data.get("overdue"):
        ids = [pk for pk in ids if shown[pk].overdue_days > 0 and shown[pk].is_open]
    if data.get("stale"):
        ids = [pk for pk in ids if shown[pk].stale and shown[pk].is_open]
    counts = dict.fromkeys(Rag.SHOWN_ORDER, 0)
    for pk in ids:
        counts[shown[pk].rag] += 1
    verified_done = sum(1 for pk in ids if states[pk].verified.is_done)
    claimed_pending = sum(1 for pk in ids if states[pk].claim_pending)
    unacknowledged = sum(1 for pk in ids if states[pk].acknowledge_late)
    if data.get("rag"):
        wanted = set(data["rag"])
        ids = [pk for pk in ids if shown[pk].rag in wanted]
    ids.sort(key=_sort_key(data.get("sort") or "code", meta, shown))
    return LedgerView(
        report=report,
        filter=f,
        day=day,
        ids=ids,
        states=states,
        rag_counts=[(rag, str(Rag.labels[rag]), counts[rag]) for rag in Rag.SHOWN_ORDER],
        queryset=qs,
        basis=basis,
        verified_done=verified_done,
        claimed_pending=claimed_pending,
        unacknowledged=unacknowledged,
    )


def _ledger_page(view: LedgerView, number: str | None) -> tuple[Page, list[Commitment]]:
    page = Paginator(view.ids, PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    rows = {
        c.pk: c
        for c in Commitment.objects.filter(pk__in=ids)
        .select_related("section", "section__parent", "lead_unit")
        .prefetch_related("co_units")
    }
    commitments = [rows[pk] for pk in ids]
    chapters = report_chapter_labels(view.report)
    for c in commitments:
        # read by the template: the row's state, chapter label and the lamp it shows
        c.state = view.states[c.pk]  # type: ignore[attr-defined]
        c.chapter_label = section_label(c.section, chapters)  # type: ignore[attr-defined]
        c.shown = c.state.basis(view.basis)  # type: ignore[attr-defined]
    return page, commitments


@staff_required
@require_GET
def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    report = current_report(request)
    if report is None:
        return no_report_page(request)
    view = ledger_query(request, report)
    page, commitments = _ledger_page(view, request.GET.get("page"))
    supervisor = can_assign(request.user)
    context = {
        "report": report,
        "reports": Report.objects.order_by("-year", "place"),
        "view": view,
        "filter": view.filter,
        "page": page,
        "commitments": commitments,
        "day": view.day,
        "is_today": view.day == clock.today(),
        "can_bulk_assign": supervisor,
        "can_bulk_instruct": can_instruct(request.user),
        "bulk_form": BulkAssignForm(commitments=Commitment.objects.none()) if supervisor else None,
        "query": request.GET.urlencode(),
    }
    template = "commitments/ledger.html#table" if request.htmx else "commitments/ledger.html"
    return render(request, template, context)


@staff_required
@require_GET
def ledger_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    report = current_report(request)
    if report is None:
        raise Http404
    view = ledger_query(request, report)
    wanted = {pk: i for i, pk in enumerate(view.ids)}
    commitments = sorted(
        (c for c in export_queryset(view.queryset) if c.pk in wanted), key=lambda c: wanted[c.pk]
    )
    rows = ledger_rows(commitments, view.states)
    stem = f"台账-{report.place}{report.year}-{view.day:%Y%m%d}"
    if fmt == "xlsx":
        rags = [view.states[c.pk].shown.rag for c in commitments]
        body = to_xlsx(rows, rags, title=report.title, day=view.day)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = to_csv(rows)
        content_type = "text/csv; charset=utf-8"
    return HttpResponse(
        body,
        content_type=content_type,
        # RFC 6266/5987: the Chinese file name goes as filename*=utf-8''…
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=f"{stem}.{fmt}"
            )
        },
    )


@supervisor_required
@require_POST
def ledger_bulk_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    back = safe_next(request, reverse("ledger"))
    form = BulkAssignForm(request.POST, commitments=Commitment.objects.all())
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        return redirect(back)
    chosen = Commitment.objects.filter(pk__in=[c.pk for c in form.cleaned_data["ids"]])
    try:
        with transaction.atomic():
            n = assignment.commitments_bulk_assign(
                commitments=chosen,
                by=request.user,
                lead_unit=form.cleaned_data["lead_unit"],
                due_date=form.cleaned_data["due_date"],
            )
            notices.assignment_notify(commitments=chosen)
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
        return redirect(back)
    messages.success(request, _("已批量调整 %(n)s 项任务。") % {"n": n})
    return redirect(back)
