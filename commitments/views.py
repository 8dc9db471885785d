"""The staff web UI and the public page.

Views are thin: permissions from access.py, reads from selectors.py / dashboard.py,
writes through services.py. Every screen is a full page that also answers htmx with
just its swappable partial ("page.html#partial"), so it works as plain links and forms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from . import clock, services
from .access import can_assign, can_review, can_update, can_view, roles_of, visible_commitments
from .dashboard import dashboard_build, readings_on
from .exports import export_queryset, ledger_rows, to_csv, to_xlsx
from .filters import LedgerFilter
from .forms import AssignForm, BulkAssignForm, MilestoneForm, ProgressUpdateForm, ReturnForm
from .models import (
    Commitment,
    Evidence,
    Milestone,
    ProgressUpdate,
    Report,
    Target,
    TargetReading,
)
from .selectors import CommitmentState, commitment_states
from .status import Rag, TargetInput, target_fraction

PAGE_SIZE = 50
REVIEW_PAGE_SIZE = 20


# --- helpers -----------------------------------------------------------------------------


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


def _current_report(request: HttpRequest) -> Report | None:
    """The report the screens show: ?report=<id>, else the newest one that has commitments."""
    reports = Report.objects.annotate(
        has_items=Exists(Commitment.objects.filter(report=OuterRef("pk")))
    ).order_by("-has_items", "-year", "city")
    raw = request.GET.get("report", "")
    if raw.isdigit():
        report = reports.filter(pk=int(raw)).first()
        if report is not None:
            return report
    return reports.first()


def _as_of(request: HttpRequest) -> dt.date:
    """?as_of=YYYY-MM-DD, never later than today (the ledger cannot see the future)."""
    today = clock.today()
    try:
        day = dt.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return today
    return min(day, today)


def _safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def _no_report(request: HttpRequest) -> HttpResponse:
    return render(request, "commitments/no_report.html", status=200)


# --- ledger ------------------------------------------------------------------------------


@dataclass
class LedgerView:
    report: Report
    filter: LedgerFilter
    day: dt.date
    ids: list[int]  # every matching commitment, in display order
    states: dict[int, CommitmentState]
    rag_counts: list[tuple[str, str, int]]
    queryset: QuerySet[Commitment]  # the database-filterable part of the view


def _sort_key(sort: str, meta: dict, states: dict[int, CommitmentState]):
    rag_rank = {rag: i for i, rag in enumerate(Rag.ORDER)}
    keys = {
        "code": lambda pk: meta[pk][0],
        "due": lambda pk: (meta[pk][1], meta[pk][0]),
        "percent": lambda pk: (-states[pk].status.percent, meta[pk][0]),
        "-percent": lambda pk: (states[pk].status.percent, meta[pk][0]),
        "rag": lambda pk: (rag_rank[states[pk].status.rag], meta[pk][0]),
        "unit": lambda pk: (meta[pk][2] is None, meta[pk][2] or "", meta[pk][0]),
    }
    return keys.get(sort, keys["code"])


def ledger_query(request: HttpRequest, report: Report) -> LedgerView:
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
    meta = {
        pk: (seq, due, unit)
        for pk, seq, due, unit in qs.order_by().values_list("pk", "seq", "due_date", "lead_unit__name")
    }
    ids = list(meta)
    if data.get("overdue"):
        ids = [pk for pk in ids if states[pk].status.overdue_days > 0 and states[pk].status.is_open]
    if data.get("stale"):
        ids = [pk for pk in ids if states[pk].status.stale and states[pk].status.is_open]
    counts = dict.fromkeys(Rag.ORDER, 0)
    for pk in ids:
        counts[states[pk].status.rag] += 1
    if data.get("rag"):
        wanted = set(data["rag"])
        ids = [pk for pk in ids if states[pk].status.rag in wanted]
    ids.sort(key=_sort_key(data.get("sort") or "code", meta, states))
    return LedgerView(
        report=report,
        filter=f,
        day=day,
        ids=ids,
        states=states,
        rag_counts=[(rag, str(Rag.labels[rag]), counts[rag]) for rag in Rag.ORDER],
        queryset=qs,
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
    for c in commitments:
        c.state = view.states[c.pk]
    return page, commitments


@staff_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    report = _current_report(request)
    if report is None:
        return _no_report(request)
    view = ledger_query(request, report)
    page, commitments = _ledger_page(view, request.GET.get("page"))
    supervisor = can_assign(request.user)
    context = {
        "report": report,
        "reports": Report.objects.order_by("-year", "city"),
        "view": view,
        "filter": view.filter,
        "page": page,
        "commitments": commitments,
        "day": view.day,
        "is_today": view.day == clock.today(),
        "can_bulk_assign": supervisor,
        "bulk_form": BulkAssignForm(commitments=Commitment.objects.none()) if supervisor else None,
        "query": request.GET.urlencode(),
    }
    template = "commitments/ledger.html#table" if request.htmx else "commitments/ledger.html"
    return render(request, template, context)


@staff_required
@require_GET
def ledger_export(request: HttpRequest, fmt: str) -> HttpResponse:
    report = _current_report(request)
    if report is None:
        raise Http404
    view = ledger_query(request, report)
    wanted = {pk: i for i, pk in enumerate(view.ids)}
    commitments = sorted(
        (c for c in export_queryset(view.queryset) if c.pk in wanted), key=lambda c: wanted[c.pk]
    )
    rows = ledger_rows(commitments, view.states)
    stem = f"台账-{report.city}{report.year}-{view.day:%Y%m%d}"
    if fmt == "xlsx":
        rags = [view.states[c.pk].status.rag for c in commitments]
        body = to_xlsx(rows, rags, title=report.title, day=view.day)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = to_csv(rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    # RFC 6266 / 5987: a UTF-8 file name that browsers and mail clients read alike.
    response["Content-Disposition"] = (
        f"attachment; filename=\"ledger.{fmt}\"; filename*=UTF-8''{escape_uri_path(stem)}.{fmt}"
    )
    return response


@staff_required
@require_POST
def ledger_bulk_assign(request: HttpRequest) -> HttpResponse:
    if not can_assign(request.user):
        raise PermissionDenied
    back = _safe_next(request, reverse("ledger"))
    form = BulkAssignForm(request.POST, commitments=Commitment.objects.all())
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(back)
    try:
        n = services.commitments_bulk_assign(
            commitments=Commitment.objects.filter(pk__in=[c.pk for c in form.cleaned_data["ids"]]),
            by=request.user,
            lead_unit=form.cleaned_data["lead_unit"],
            due_date=form.cleaned_data["due_date"],
        )
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
        return redirect(back)
    messages.success(request, _("已批量调整 %(n)s 项任务。") % {"n": n})
    return redirect(back)


# --- commitment page ---------------------------------------------------------------------


def _commitment_or_403(request: HttpRequest, pk: int) -> Commitment:
    commitment = get_object_or_404(
        Commitment.objects.select_related("report", "section", "section__parent", "lead_unit"), pk=pk
    )
    if not can_view(request.user, commitment):
        raise PermissionDenied
    return commitment


def _timeline(commitment: Commitment) -> list[ProgressUpdate]:
    return list(
        commitment.updates.select_related("author", "reviewed_by", "corrects")
        .prefetch_related(
            Prefetch("readings", queryset=TargetReading.objects.select_related("target")),
            "evidence",
            "corrections",
        )
        .order_by("-as_of", "-created_at", "-id")
    )


@dataclass
class TargetView:
    target: Target
    claimed: object  # Decimal | None
    verified: object
    fraction: float | None
    verified_fraction: float | None

    @property
    def percent(self) -> float | None:
        return None if self.fraction is None else round(100 * self.fraction, 1)

    @property
    def verified_percent(self) -> float | None:
        return None if self.verified_fraction is None else round(100 * self.verified_fraction, 1)

    @property
    def baseline_percent(self) -> float | None:
        """Where the 2016 baseline sits on the bar (same scale as the target)."""
        t = self.target
        if t.baseline_value is None or not t.value or t.direction == "decrease":
            return None
        if t.unit != "" and t.baseline_value is not None:
            return round(min(100.0, 100 * float(t.baseline_value) / float(t.value)), 1)
        return None


def _target_views(targets: list[Target], day: dt.date) -> list[TargetView]:
    """Latest claimed and accepted reading per target on ``day``, by the status rules'
    own notion of what was known that day (two queries)."""
    ids = [t.pk for t in targets if t.value is not None]
    claimed = readings_on(ids, day)
    verified = readings_on(ids, day, verified_only=True)
    return [
        TargetView(
            target=t,
            claimed=claimed.get(t.pk),
            verified=verified.get(t.pk),
            fraction=target_fraction(TargetInput.of(t, claimed.get(t.pk))),
            verified_fraction=target_fraction(TargetInput.of(t, verified.get(t.pk))),
        )
        for t in targets
    ]


def _history(commitment: Commitment) -> list[dict]:
    """Change history (who changed what, when) of the commitment, its targets and milestones."""
    from .models import Department

    dept_names = dict(Department.objects.values_list("pk", "name"))
    entries: list[dict] = []
    records = list(commitment.history.select_related("history_user").order_by("history_date")[:200])
    labels = {f.name: str(f.verbose_name) for f in Commitment._meta.get_fields() if hasattr(f, "verbose_name")}
    hidden = {"updated_at", "created_at", "start", "end", "seq"}

    def show(field: str, value) -> str:
        if value in (None, ""):
            return "—"
        if field == "lead_unit":
            return dept_names.get(value, str(value))
        if field == "co_units":
            return "、".join(dept_names.get(row.get("department"), "?") for row in value) or "—"
        return str(value)

    def who(user) -> str:
        if user is None:
            return str(_("系统"))
        return user.get_full_name() or user.get_username()

    previous = None
    for rec in records:
        if previous is None:
            entries.append({"when": rec.history_date, "who": who(rec.history_user), "kind": "created", "changes": []})
        else:
            delta = rec.diff_against(previous)
            changes = [
                (labels.get(c.field, c.field), show(c.field, c.old), show(c.field, c.new))
                for c in delta.changes
                if c.field not in hidden
            ]
            if changes:
                entries.append({"when": rec.history_date, "who": who(rec.history_user), "kind": "changed", "changes": changes})
        previous = rec
    for model, title in ((Milestone, _("节点")),):
        for rec in model.history.filter(commitment_id=commitment.pk).select_related("history_user"):
            verb = {"+": _("新增"), "~": _("修改"), "-": _("删除")}[rec.history_type]
            entries.append(
                {
                    "when": rec.history_date,
                    "who": who(rec.history_user),
                    "kind": "milestone",
                    "changes": [(f"{title}{verb}", "", f"{rec.due_date:%Y-%m-%d} {rec.title}")],
                }
            )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries


def _detail_context(
    request: HttpRequest,
    commitment: Commitment,
    *,
    form: ProgressUpdateForm | None = None,
) -> dict:
    day = _as_of(request)
    targets = list(commitment.targets.order_by("order"))
    timeline = _timeline(commitment)
    state = commitment_states(Commitment.objects.filter(pk=commitment.pk), day=day)[commitment.pk]
    may_update = can_update(request.user, commitment)
    if form is None and may_update:
        form = _prefilled_form(request, commitment, targets, timeline)
    chapter = commitment.section
    topic = None
    if chapter.level == "topic":
        topic, chapter = chapter, chapter.parent
    return {
        "commitment": commitment,
        "report": commitment.report,
        "chapter": chapter,
        "topic": topic,
        "state": state,
        "day": day,
        "targets": _target_views(targets, day),
        "qualitative": [t for t in targets if t.value is None or t.direction == "achieve"],
        "milestones": list(commitment.milestones.order_by("due_date", "order")),
        "timeline": timeline,
        "form": form,
        "may_update": may_update,
        "may_review": can_review(request.user),
        "may_assign": can_assign(request.user),
        "history": _history(commitment),
        "co_units": list(commitment.co_units.all()),
        "return_form": ReturnForm(),
        "milestone_form": MilestoneForm(prefix="m"),
        "today": clock.today(),
    }


def _prefilled_form(request, commitment, targets, timeline) -> ProgressUpdateForm:
    initial = {"as_of": clock.today()}
    raw = request.GET.get("corrects", "")
    if raw.isdigit():
        wrong = next((u for u in timeline if u.pk == int(raw)), None)
        if wrong is not None:
            # A correction starts from what was returned, so the author fixes, not retypes.
            initial.update(
                corrects=wrong.pk,
                claimed_status=wrong.claimed_status,
                as_of=wrong.as_of,
                narrative=wrong.narrative,
                percent=wrong.percent,
                **{f"target_{r.target_id}": r.value.normalize() for r in wrong.readings.all()},
            )
    return ProgressUpdateForm(commitment=commitment, targets=targets, initial=initial)


@staff_required
@require_GET
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = _commitment_or_403(request, pk)
    return render(request, "commitments/commitment_detail.html", _detail_context(request, commitment))


@staff_required
@require_http_methods(["GET", "POST"])
def update_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record progress. htmx posts here from the commitment page and gets back the form
    with inline errors (422) or, on success, the refreshed updates panel."""
    commitment = _commitment_or_403(request, pk)
    if not can_update(request.user, commitment):
        raise PermissionDenied
    if request.method == "GET":
        return redirect(reverse("commitment", args=[pk]) + "#record")
    targets = list(commitment.targets.order_by("order"))
    form = ProgressUpdateForm(request.POST, request.FILES, commitment=commitment, targets=targets)
    corrects = None
    if form.is_valid():
        if form.cleaned_data.get("corrects"):
            corrects = commitment.updates.filter(pk=form.cleaned_data["corrects"]).first()
            if corrects is None:
                form.add_error(None, _("要更正的进展不存在。"))
    if form.is_valid():
        try:
            services.progress_update_record(
                commitment=commitment,
                author=request.user,
                claimed_status=form.cleaned_data["claimed_status"],
                as_of=form.cleaned_data["as_of"],
                narrative=form.cleaned_data["narrative"],
                percent=form.cleaned_data.get("percent"),
                readings=form.readings,
                files=form.cleaned_data["files"],
                links=form.cleaned_data["links"],
                corrects=corrects,
            )
        except ValidationError as e:
            _errors_to_form(form, e)
    if not form.is_valid():
        context = _detail_context(request, commitment, form=form)
        if request.htmx:
            return render(request, "commitments/commitment_detail.html#update_form", context, status=422)
        return render(request, "commitments/commitment_detail.html", context, status=422)

    messages.success(request, _("进展已提交，等待督查室审核。"))
    if request.htmx:
        context = _detail_context(request, commitment)
        context.update(just_saved=True, oob_status=True)
        response = render(request, "commitments/commitment_detail.html#updates_panel", context)
        # The form asked for its own box to be swapped; a saved update refreshes the whole
        # panel (fresh form + timeline) and, out of band, the status card.
        return reswap(retarget(response, "#updates-panel"), "innerHTML")
    return redirect(reverse("commitment", args=[pk]))


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e)
    else:
        form.add_error(None, error)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Evidence files are never public: streamed only to people who may see the commitment."""
    evidence = get_object_or_404(Evidence.objects.select_related("update__commitment"), pk=pk)
    if not roles_of(request.user).is_staff_user or not can_view(request.user, evidence.update.commitment):
        raise PermissionDenied
    if not evidence.file:
        raise Http404
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name or evidence.file.name.rsplit("/", 1)[-1],
        content_type=evidence.content_type or "application/octet-stream",
    )


# --- assign ------------------------------------------------------------------------------


def _supervisor_commitment(request: HttpRequest, pk: int) -> Commitment:
    commitment = _commitment_or_403(request, pk)
    if not can_assign(request.user):
        raise PermissionDenied
    return commitment


@staff_required
@require_http_methods(["GET", "POST"])
def commitment_assign(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = _supervisor_commitment(request, pk)
    form = AssignForm(request.POST or None, instance=commitment)
    if request.method == "POST" and form.is_valid():
        services.commitment_assign(
            commitment=commitment,
            by=request.user,
            lead_unit=form.cleaned_data["lead_unit"],
            co_units=form.cleaned_data["co_units"],
            responsible_person=form.cleaned_data["responsible_person"],
            start_date=form.cleaned_data["start_date"],
            due_date=form.cleaned_data["due_date"],
        )
        messages.success(request, _("责任分工和时限已保存。"))
        return redirect("commitment", pk=pk)
    if request.method == "POST":
        # The form validated the instance in memory; the row itself is untouched.
        commitment.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    context = {
        "commitment": commitment,
        "form": form,
        "milestones": list(commitment.milestones.order_by("due_date", "order")),
        "milestone_form": MilestoneForm(prefix="m"),
    }
    return render(request, "commitments/assign.html", context, status=status)


@staff_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = _supervisor_commitment(request, pk)
    form = MilestoneForm(request.POST, prefix="m")
    if form.is_valid():
        services.milestone_add(
            commitment=commitment,
            by=request.user,
            title=form.cleaned_data["title"],
            due_date=form.cleaned_data["due_date"],
        )
        messages.success(request, _("节点已添加。"))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect(_safe_next(request, reverse("commitment_assign", args=[pk])))


@staff_required
@require_POST
def milestone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone, pk=pk)
    _supervisor_commitment(request, milestone.commitment_id)
    services.milestone_delete(milestone=milestone, by=request.user)
    messages.success(request, _("节点已删除。"))
    return redirect(_safe_next(request, reverse("commitment_assign", args=[milestone.commitment_id])))


# --- review ------------------------------------------------------------------------------


def _review_queryset() -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.select_related(
        "commitment", "commitment__lead_unit", "commitment__report", "author", "corrects"
    ).prefetch_related(
        Prefetch("readings", queryset=TargetReading.objects.select_related("target")),
        "evidence",
    )


@staff_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    if not can_review(request.user):
        raise PermissionDenied
    pending = _review_queryset().filter(review_state=ProgressUpdate.Review.SUBMITTED).order_by(
        "created_at", "id"
    )
    page = Paginator(pending, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    recent = _review_queryset().exclude(review_state=ProgressUpdate.Review.SUBMITTED).select_related(
        "reviewed_by"
    ).order_by("-reviewed_at")[:10]
    return render(
        request,
        "commitments/review_queue.html",
        {"page": page, "updates": page.object_list, "recent": recent, "return_form": ReturnForm()},
    )


def _review_done(request: HttpRequest, update: ProgressUpdate, won: bool, *, form=None, status=200):
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
    return redirect(_safe_next(request, reverse("review_queue")))


@staff_required
@require_POST
def update_accept(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_review(request.user):
        raise PermissionDenied
    update = get_object_or_404(ProgressUpdate, pk=pk)
    won = services.update_review_accept(update=update, reviewer=request.user, comment=request.POST.get("comment", ""))
    if won:
        messages.success(request, _("已通过：%(code)s") % {"code": update.commitment.code})
    return _review_done(request, update, won)


@staff_required
@require_POST
def update_return(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_review(request.user):
        raise PermissionDenied
    update = get_object_or_404(ProgressUpdate, pk=pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            u = _review_queryset().get(pk=pk)
            return render(
                request, "commitments/review_queue.html#row", {"u": u, "return_form": form}, status=422
            )
        for e in form.errors.get("comment", []):
            messages.error(request, e)
        return redirect(_safe_next(request, reverse("review_queue")))
    won = services.update_review_return(update=update, reviewer=request.user, comment=form.cleaned_data["comment"])
    if won:
        messages.success(request, _("已退回：%(code)s") % {"code": update.commitment.code})
    return _review_done(request, update, won)


# --- my work -----------------------------------------------------------------------------


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """我的待办: updates returned to me that I have not corrected yet."""
    returned = (
        _review_queryset()
        .filter(author=request.user, review_state=ProgressUpdate.Review.RETURNED, corrections__isnull=True)
        .select_related("reviewed_by")
        .order_by("-reviewed_at")
    )
    mine = visible_commitments(request.user, Commitment.objects.all())
    report = _current_report(request)
    attention = []
    if report is not None and not roles_of(request.user).sees_everything:
        qs = mine.filter(report=report)
        states = commitment_states(qs, day=clock.today())
        flagged = [pk for pk, s in states.items() if s.status.rag in (Rag.RED, Rag.YELLOW)]
        attention = list(qs.filter(pk__in=flagged).select_related("lead_unit").order_by("due_date", "seq")[:50])
        for c in attention:
            c.state = states[c.pk]
    return render(request, "commitments/inbox.html", {"returned": returned, "attention": attention})


# --- dashboard ---------------------------------------------------------------------------


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    report = _current_report(request)
    if report is None:
        return _no_report(request)
    day = _as_of(request)
    board = dashboard_build(
        report=report, commitments=visible_commitments(request.user, Commitment.objects.all()), day=day
    )
    context = {
        "board": board,
        "report": report,
        "reports": Report.objects.order_by("-year", "city"),
        "day": day,
        "is_today": day == clock.today(),
        "public": False,
    }
    template = "commitments/dashboard.html#body" if request.htmx else "commitments/dashboard.html"
    return render(request, template, context)


# --- public (政务公开) ---------------------------------------------------------------------


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.filter(is_public=True).order_by("-year", "city")
    return render(request, "commitments/public_index.html", {"reports": reports})


@require_GET
def public_report(request: HttpRequest, pk: int) -> HttpResponse:
    """No login, read-only figures. Only public reports and their public commitments; no
    names of people and no evidence files."""
    report = get_object_or_404(Report, pk=pk, is_public=True)
    day = clock.today()
    board = dashboard_build(
        report=report,
        commitments=Commitment.objects.filter(is_public=True, in_source=True),
        day=day,
        list_limit=30,
        verified_only=True,
    )
    return render(
        request,
        "commitments/public.html",
        {"board": board, "report": report, "day": day, "public": True},
    )
