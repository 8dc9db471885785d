"""The review queue (审核) and a person's inbox of returned or late work."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from commitments import clock
from commitments.access import can_read_everything, roles_of, visible_commitments
from commitments.decorators import AuthenticatedHttpRequest, staff_required, supervisor_required
from commitments.forms import (
    AcceptForm,
    ReturnForm,
)
from commitments.models import (
    Commitment,
    ProgressUpdate,
    TargetReading,
)
from commitments.rules import Rag
from commitments.selectors.states import commitment_states
from commitments.selectors.workflow import inbox_work
from commitments.services import progress
from commitments.views.base import current_report, safe_next

REVIEW_PAGE_SIZE = 20


def _review_queryset() -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.select_related(
        "commitment", "commitment__lead_unit", "commitment__report", "author", "corrects"
    ).prefetch_related(
        Prefetch("readings", queryset=TargetReading.objects.select_related("target")),
        "evidence",
    )


@supervisor_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    pending = (
        _review_queryset()
        .filter(review_state=ProgressUpdate.Review.SUBMITTED)
        .order_by("created_at", "id")
    )
    page = Paginator(pending, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    recent = (
        _review_queryset()
        .exclude(review_state=ProgressUpdate.Review.SUBMITTED)
        .select_related("reviewed_by")
        .order_by("-reviewed_at")[:10]
    )
    return render(
        request,
        "commitments/review_queue.html",
        {"page": page, "updates": page.object_list, "recent": recent, "return_form": ReturnForm()},
    )


def _review_done(
    request: AuthenticatedHttpRequest,
    update: ProgressUpdate,
    won: bool,
    *,
    form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if not won:
        messages.warning(
            request,
            _("该进展已由%(who)s审核为“%(state)s”，您的操作未生效。")
            % {
                "who": update.reviewed_by.get_full_name() or update.reviewed_by.get_username()
                if update.reviewed_by
                else _("他人"),
                "state": update.get_review_state_display(),
            },
        )
    if request.htmx:
        update = _review_queryset().get(pk=update.pk)
        return render(
            request,
            "commitments/review_queue.html#row",
            {"u": update, "return_form": form or ReturnForm(), "lost": not won},
            status=status,
        )
    return redirect(safe_next(request, reverse("review_queue")))


@supervisor_required
@require_POST
def update_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    update = get_object_or_404(ProgressUpdate, pk=pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        if request.htmx:
            return _review_done(request, update, True, status=422)
        return redirect(safe_next(request, reverse("review_queue")))
    won = progress.update_review_accept(
        update=update, reviewer=request.user, comment=form.cleaned_data["comment"]
    )
    if won:
        messages.success(request, _("已通过：%(code)s") % {"code": update.commitment.code})
    return _review_done(request, update, won)


@supervisor_required
@require_POST
def update_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    update = get_object_or_404(ProgressUpdate, pk=pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            u = _review_queryset().get(pk=pk)
            return render(
                request,
                "commitments/review_queue.html#row",
                {"u": u, "return_form": form},
                status=422,
            )
        for e in form.errors.get("comment", []):
            messages.error(request, str(e))
        return redirect(safe_next(request, reverse("review_queue")))
    won = progress.update_review_return(
        update=update, reviewer=request.user, comment=form.cleaned_data["comment"]
    )
    if won:
        messages.success(request, _("已退回：%(code)s") % {"code": update.commitment.code})
    return _review_done(request, update, won)


# --- my work -----------------------------------------------------------------------------


@staff_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的待办: updates returned to me that I have not corrected yet; tasks my units must
    acknowledge (签收), urging notices to answer, leaders' instructions to carry out, my
    extension requests; for the office, extension requests to decide."""
    returned = (
        _review_queryset()
        .filter(
            author=request.user,
            review_state=ProgressUpdate.Review.RETURNED,
            corrections__isnull=True,
        )
        .select_related("reviewed_by")
        .order_by("-reviewed_at")
    )
    mine = visible_commitments(request.user, Commitment.objects.all())
    report = current_report(request)
    attention = []
    if report is not None and not can_read_everything(request.user):
        qs = mine.filter(report=report)
        states = commitment_states(qs, day=clock.today())
        flagged = [pk for pk, s in states.items() if s.status.rag in (Rag.RED, Rag.YELLOW)]
        attention = list(
            qs.filter(pk__in=flagged).select_related("lead_unit").order_by("due_date", "seq")[:50]
        )
        for c in attention:
            c.state = states[c.pk]  # type: ignore[attr-defined]  # for the template
    roles = roles_of(request.user)
    work = inbox_work(department_ids=roles.department_ids, supervisor=roles.supervisor)
    return render(
        request,
        "commitments/inbox.html",
        {"returned": returned, "attention": attention, "work": work, "today": clock.today()},
    )
