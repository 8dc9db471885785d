"""The review queue (审核) and a person's inbox of returned or late work."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from commitments import clock
from commitments.access import can_read_everything, roles_of, visible_commitments
from commitments.decorators import AuthenticatedHttpRequest, staff_required, supervisor_required
from commitments.forms import AcceptForm, ReturnForm, ReviewDeskForm
from commitments.models import Commitment, ProgressUpdate
from commitments.rules import Rag
from commitments.selectors import review as desk
from commitments.selectors.sections import chapters_with_commitments
from commitments.selectors.states import commitment_states
from commitments.selectors.workflow import inbox_work
from commitments.services import progress
from commitments.services.review import (
    desk_visit_record,
    update_review_return_and_tell,
    updates_bulk_accept,
)
from commitments.views.base import current_report, safe_next

REVIEW_PAGE_SIZE = 20
BULK_LIMIT = 200  # one click accepts at most this many


def _review_queryset():
    return desk.review_updates()


def _desk_form(request: AuthenticatedHttpRequest, data: QueryDict | None = None) -> ReviewDeskForm:
    report = current_report(request)
    chapters = chapters_with_commitments(report) if report is not None else []
    data = request.GET if data is None else data
    return ReviewDeskForm(data or None, chapters=chapters)


def _filter_query(form: ReviewDeskForm) -> str:
    """The filters as a query string (kept on links, pages and after an action)."""
    if not form.is_bound:
        return ""
    keep = QueryDict(mutable=True)
    for name in form.fields:
        value = form.data.get(name)
        if value:
            keep[name] = value
    return keep.urlencode()


def _desk_context(
    request: AuthenticatedHttpRequest, form: ReviewDeskForm, *, page_number=None
) -> dict:
    f = form.desk_filter()
    now = desk.desk_now()
    pending = desk.review_desk(f, now=now)
    page = Paginator(pending, REVIEW_PAGE_SIZE).get_page(page_number)
    since = desk.new_since(request.user, now=now)
    updates = list(page.object_list)
    for u in updates:
        u.is_new = u.created_at >= since
        u.waited_days = max((now - u.created_at).days, 0)
        for ev in u.evidence.all():
            ev.preview = desk.evidence_kind(ev)
    return {
        "desk_form": form,
        "desk_filter": f,
        "page": page,
        "updates": updates,
        "pending_total": desk.pending_count(),
        "matching": page.paginator.count,
        "new_count": sum(1 for u in updates if u.is_new),
        "return_form": ReturnForm(),
        "filter_query": _filter_query(form),
    }


@supervisor_required
@require_GET
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The review desk (审核台): filters, search, newest or oldest first, "新" since the
    reviewer's last visit, bulk accept, inline evidence, keys j/k/a/r."""
    desk_visit_record(user=request.user, now=timezone.now())
    form = _desk_form(request)
    context = _desk_context(request, form, page_number=request.GET.get("page"))
    if request.htmx:
        return render(request, "commitments/review_queue.html#desk", context)
    context["recent"] = desk.recently_reviewed()
    return render(request, "commitments/review_queue.html", context)


def _oob_counts(request: AuthenticatedHttpRequest, form: ReviewDeskForm) -> str:
    """The desk's counts and the nav badge, swapped out of band after an action."""
    f = form.desk_filter()
    context = {
        "pending_total": desk.pending_count(),
        "matching": desk.review_desk(f).count(),
        "desk_filter": f,
        "oob": True,
    }
    return render_to_string(
        "commitments/review_queue.html#counts", context, request=request
    ) + render_to_string("commitments/_nav_review_badge.html", context, request=request)


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
        response = render(
            request,
            "commitments/review_queue.html#row",
            {"u": update, "return_form": form or ReturnForm(), "lost": not won},
            status=status,
        )
        response.write(_oob_counts(request, _desk_form(request, request.POST)))
        return response
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
    # The return and its email to the author commit together, or neither does.
    won = update_review_return_and_tell(
        update=update, reviewer=request.user, comment=form.cleaned_data["comment"]
    )
    if won:
        messages.success(request, _("已退回：%(code)s") % {"code": update.commitment.code})
    return _review_done(request, update, won)


@supervisor_required
@require_POST
def updates_accept_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Accept the ticked updates, each through the one accept service; say how many were
    accepted and how many someone else had reviewed meanwhile."""
    form = _desk_form(request, request.POST)
    raw = [v for v in request.POST.getlist("ids") if v.isdigit()][:BULK_LIMIT]
    updates = list(ProgressUpdate.objects.filter(pk__in=raw).order_by("created_at", "id"))
    if not updates:
        messages.error(request, _("请先勾选要通过的进展。"))
    else:
        result = updates_bulk_accept(updates=updates, reviewer=request.user)
        if result.accepted:
            messages.success(request, _("已通过 %(n)s 条进展。") % {"n": len(result.accepted)})
        if result.already_reviewed:
            messages.warning(
                request,
                _("%(n)s 条进展已由他人先行审核，未作改动。") % {"n": len(result.already_reviewed)},
            )
    if request.htmx:
        context = _desk_context(request, form, page_number=request.POST.get("page"))
        context["oob"] = True
        response = render(request, "commitments/review_queue.html#desk", context)
        response.write(
            render_to_string("commitments/_nav_review_badge.html", context, request=request)
        )
        response.write(render_to_string("commitments/_messages_oob.html", request=request))
        return response
    query = _filter_query(form)
    return redirect(safe_next(request, reverse("review_queue") + (f"?{query}" if query else "")))


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
