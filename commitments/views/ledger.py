"""The ledger (台账): filters, sort, pagination, exports and bulk assignment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
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
    Section,
)
from commitments.rules import Rag
from commitments.selectors.exports import export_queryset, ledger_rows, to_csv, to_xlsx
from commitments.selectors.ledger import (
    Current,
    LedgerSelection,
    LedgerWant,
    current_states,
    ledger_as_of,
    ledger_current,
)
from commitments.selectors.sections import report_chapter_labels, section_label
from commitments.selectors.states import CommitmentState, commitment_states
from commitments.services import assignment
from commitments.services.status import status_refresh
from commitments.templatetags.bars import barpct
from commitments.templatetags.duban import pct
from commitments.views.base import (
    current_report,
    figures_basis,
    no_report_page,
    pk_href,
    report_choices,
    safe_next,
)

PAGE_SIZE = 50


@dataclass
class LedgerView:
    report: Report
    filter: LedgerFilter
    day: dt.date
    selection: LedgerSelection  # every matching commitment in display order, with counts
    queryset: QuerySet[Commitment]  # the database-filterable part of the view
    basis: str = "claimed"  # "verified": lamps from what the office accepted (leaders' default)
    states: dict[int, CommitmentState] = field(default_factory=dict)  # known so far
    current: Current | None = None  # today's view: the states come from the stored rows

    @property
    def ids(self) -> Sequence[int]:
        return self.selection.ids

    @property
    def rag_counts(self) -> list[tuple[str, str, int]]:
        counts = self.selection.counts
        return [(rag, str(Rag.labels[rag]), counts.get(rag, 0)) for rag in Rag.SHOWN_ORDER]

    @property
    def verified_done(self) -> int:  # 审核确认完成
        return self.selection.verified_done

    @property
    def claimed_pending(self) -> int:  # 申报完成·待审核
        return self.selection.claimed_pending

    @property
    def unacknowledged(self) -> int:  # 未签收 (past ACKNOWLEDGE_WITHIN_DAYS)
        return self.selection.unacknowledged

    @property
    def claimed_done(self) -> int:
        return self.verified_done + self.claimed_pending

    def states_of(self, ids: list[int]) -> dict[int, CommitmentState]:
        """The full states of these rows (computed for the rows shown, not for every match)."""
        missing = [pk for pk in ids if pk not in self.states]
        if missing and self.current is not None:
            self.states.update(current_states(missing, self.current))
        elif missing:
            self.states.update(
                commitment_states(Commitment.objects.filter(pk__in=missing), day=self.day)
            )
        return self.states


def ledger_query(
    request: AuthenticatedHttpRequest, report: Report, *, from_history: bool = False
) -> LedgerView:
    """The ledger as filtered by the query string, in a fixed number of queries however many
    rows match: today from the stored current statuses (brought up to date first), a past
    day (or ``from_history``) rebuilt from the history."""
    base = visible_commitments(request.user, Commitment.objects.filter(report=report))
    f = LedgerFilter(request.GET or None, queryset=base, report=report)
    valid = f.is_bound and f.form.is_valid()
    data = f.form.cleaned_data if valid else {}
    qs = f.qs if valid else base
    today = clock.today()
    day = min(data.get("as_of") or today, today)
    basis = figures_basis(request)
    want = LedgerWant(
        basis=basis,
        overdue=bool(data.get("overdue")),
        stale=bool(data.get("stale")),
        rags=frozenset(data.get("rag") or ()),
        sort=data.get("sort") or "code",
    )
    states: dict[int, CommitmentState] = {}
    current = None
    if day == today and not from_history:
        selection, current = ledger_current(qs, want, status_refresh)
    else:
        selection, states = ledger_as_of(qs, day, want)
    return LedgerView(
        report=report,
        filter=f,
        day=day,
        selection=selection,
        queryset=qs,
        basis=basis,
        states=states,
        current=current,
    )


def _ledger_page(view: LedgerView, number: str | None) -> tuple[Page, list[Commitment]]:
    page = Paginator(view.ids, PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    rows = {
        c.pk: c
        for c in Commitment.objects.filter(pk__in=ids).select_related(
            "section", "section__parent", "lead_unit"
        )
    }
    commitments = [rows[pk] for pk in ids]
    co_units: dict[int, list[str]] = {pk: [] for pk in ids}
    for pk, name in (
        Commitment.co_units.through.objects.filter(commitment_id__in=ids)
        .order_by("department__name", "department_id")
        .values_list("commitment_id", "department__name")
    ):
        co_units[pk].append(name)
    chapters = report_chapter_labels(view.report)
    states = view.states_of(ids)
    href = pk_href("commitment")
    for c in commitments:
        # read by the template: the row's state, the lamp it shows, its link, its chapter and
        # its bar (formatted once here: 50 rows of template filters are most of the page)
        c.state = state = states[c.pk]  # type: ignore[attr-defined]
        c.co_unit_names = co_units[c.pk]  # type: ignore[attr-defined]
        c.shown = shown = state.basis(view.basis)  # type: ignore[attr-defined]
        c.href = href(c.pk)  # type: ignore[attr-defined]
        c.pct = pct(shown.percent)  # type: ignore[attr-defined]
        c.bar = barpct(shown.percent)  # type: ignore[attr-defined]
        c.tick = barpct(shown.elapsed)  # type: ignore[attr-defined]
        c.elapsed_pct = pct(shown.elapsed)  # type: ignore[attr-defined]
        section = c.section
        c.chapter_label = (  # type: ignore[attr-defined]
            f"{section.parent.label if section.parent else ''}{section.title}"
            if section.level == Section.Level.TOPIC
            else Truncator(section_label(section, chapters)).chars(18)
        )
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
        "reports": report_choices(),
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
    states = view.states_of(list(wanted))
    rows = ledger_rows(commitments, states)
    stem = f"台账-{report.place}{report.year}-{view.day:%Y%m%d}"
    if fmt == "xlsx":
        rags = [states[c.pk].shown.rag for c in commitments]
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
