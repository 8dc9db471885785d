"""A commitment's page: its targets against baselines, its timeline and history, the
inline update form and evidence downloads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from commitments import clock
from commitments.access import (
    can_acknowledge,
    can_assign,
    can_decide_extension,
    can_instruct,
    can_reopen,
    can_request_extension,
    can_review,
    can_update,
    can_urge,
    roles_of,
)
from commitments.decorators import AuthenticatedHttpRequest, staff_required
from commitments.forms import (
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InstructionForm,
    MilestoneForm,
    ProgressUpdateForm,
    ReopenForm,
    ReturnForm,
    UrgingAnswerForm,
    UrgingIssueForm,
    decimal_plain,
)
from commitments.models import (
    Commitment,
    Evidence,
    Milestone,
    ProgressUpdate,
    Section,
    Target,
    TargetReading,
)
from commitments.rules import TargetInput, target_fraction, urging_level
from commitments.selectors.review import INLINE_IMAGE_EXTENSIONS, evidence_kind
from commitments.selectors.sections import report_chapter_labels, section_label
from commitments.selectors.states import commitment_states, readings_on
from commitments.selectors.workflow import ItemWorkflow, item_workflow
from commitments.services import progress
from commitments.validators import (
    INLINE_CONTENT_TYPES,
    SERVED_CONTENT_TYPES,
    parse_id,
)
from commitments.views.base import as_of_day, commitment_or_403


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
    ids = [t.pk for t in targets if t.is_measurable]
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
    """Change history (who changed what, when) of the commitment and of its milestones."""
    from commitments.models import Department

    dept_names = dict(Department.objects.values_list("pk", "name"))
    entries: list[dict] = []
    records = list(commitment.history.select_related("history_user").order_by("history_date")[:200])
    labels = {
        f.name: str(f.verbose_name)
        for f in Commitment._meta.get_fields()
        if hasattr(f, "verbose_name")
    }
    hidden = {"updated_at", "created_at", "start", "end", "seq"}

    def show(field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if field == "lead_unit":
            return dept_names.get(value, str(value))
        if field == "co_units":
            return "、".join(dept_names.get(row.get("department"), "?") for row in value) or "—"
        return str(value)

    def who(user: User | None) -> str:
        if user is None:
            return str(_("系统"))
        return user.get_full_name() or user.get_username()

    previous = None
    for rec in records:
        if previous is None:
            entries.append(
                {
                    "when": rec.history_date,
                    "who": who(rec.history_user),
                    "kind": "created",
                    "changes": [],
                }
            )
        else:
            delta = rec.diff_against(previous)
            changes = [
                (labels.get(c.field, c.field), show(c.field, c.old), show(c.field, c.new))
                for c in delta.changes
                if c.field not in hidden
            ]
            if changes:
                entries.append(
                    {
                        "when": rec.history_date,
                        "who": who(rec.history_user),
                        "kind": "changed",
                        "changes": changes,
                    }
                )
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
    request: AuthenticatedHttpRequest,
    commitment: Commitment,
    *,
    form: ProgressUpdateForm | None = None,
) -> dict:
    day = as_of_day(request)
    targets = list(commitment.targets.order_by("order"))
    timeline = _timeline(commitment)
    state = commitment_states(Commitment.objects.filter(pk=commitment.pk), day=day)[commitment.pk]
    wf = item_workflow(commitment)
    may_update = can_update(request.user, commitment) and wf.closure is None
    if form is None and may_update:
        form = _prefilled_form(request, commitment, targets, timeline, wf)
    units = roles_of(request.user).department_ids
    chapter: Section | None = commitment.section
    topic = None
    if chapter is not None and chapter.level == "topic":
        topic, chapter = chapter, chapter.parent
    return {
        "commitment": commitment,
        "report": commitment.report,
        "chapter": chapter,
        "chapter_label": section_label(chapter, report_chapter_labels(commitment.report_id))
        if chapter is not None
        else "",
        "topic": topic,
        "state": state,
        "day": day,
        "targets": _target_views(targets, day),
        "qualitative": [t for t in targets if not t.is_measurable],
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
        # the supervision cycle (督办流程)
        "wf": wf,
        "my_pending_acks": [
            a for a in wf.acknowledgements if a.is_pending and a.department_id in units
        ],
        "may_acknowledge": can_acknowledge(request.user, commitment),
        "may_ask_extension": can_request_extension(request.user, commitment)
        and wf.pending_extension is None
        and wf.closure is None,
        "may_decide_extension": can_decide_extension(request.user),
        "may_urge": can_urge(request.user) and wf.closure is None and commitment.lead_unit_id,
        "my_unit_ids": units,
        # leaders read what the office verified first
        "leader_first": roles_of(request.user).leader and not roles_of(request.user).supervisor,
        "may_instruct": can_instruct(request.user),
        "may_reopen": can_reopen(request.user),
        "extension_form": ExtensionRequestForm(),
        "decision_form": ExtensionDecisionForm(),
        "urging_form": UrgingIssueForm(
            initial={
                "level": _suggested_level(state, day),
                "reply_by": clock.today() + dt.timedelta(days=settings.URGING_REPLY_DAYS),
            }
        ),
        "answer_form": UrgingAnswerForm(),
        "instruction_form": InstructionForm(),
        "reopen_form": ReopenForm(),
    }


def _suggested_level(state, day: dt.date) -> str:
    return urging_level(status=state.shown, due_date=state.due_date, day=day) or "blue"


def _answerable(
    request: AuthenticatedHttpRequest, commitment: Commitment, wf: ItemWorkflow
) -> dict:
    """What the user's update on this item may answer: notices sent to their unit, and the
    leaders' instructions when they are in the lead unit."""
    units = roles_of(request.user).department_ids
    return {
        "open_notices": [n for n in wf.open_notices if n.department_id in units],
        "open_instructions": wf.unanswered_instructions if commitment.lead_unit_id in units else [],
    }


def _prefilled_form(request, commitment, targets, timeline, wf) -> ProgressUpdateForm:
    initial: dict[str, Any] = {"as_of": clock.today()}
    wanted = parse_id(request.GET.get("corrects", ""))
    if wanted is not None:
        wrong = next((u for u in timeline if u.pk == wanted), None)
        if wrong is not None:
            # A correction starts from what was returned, so the author fixes, not retypes.
            initial.update(
                corrects=wrong.pk,
                claimed_status=wrong.claimed_status,
                as_of=wrong.as_of,
                narrative=wrong.narrative,
                percent=wrong.percent,
                **{f"target_{r.target_id}": decimal_plain(r.value) for r in wrong.readings.all()},
            )
    return ProgressUpdateForm(
        commitment=commitment,
        targets=targets,
        initial=initial,
        **_answerable(request, commitment, item_workflow(commitment) if wf is None else wf),
    )


@staff_required
@require_GET
def commitment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    return render(
        request, "commitments/commitment_detail.html", _detail_context(request, commitment)
    )


@staff_required
@require_http_methods(["GET", "POST"])
def update_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record progress. htmx posts here from the commitment page and gets back the form
    with inline errors (422) or, on success, the refreshed updates panel."""
    commitment = commitment_or_403(request, pk, may=can_update)
    if request.method == "GET":
        return redirect(reverse("commitment", args=[pk]) + "#record")
    targets = list(commitment.targets.order_by("order"))
    form = ProgressUpdateForm(
        request.POST,
        request.FILES,
        commitment=commitment,
        targets=targets,
        author=request.user,
        **_answerable(request, commitment, item_workflow(commitment)),
    )
    if form.is_valid():
        try:
            progress.progress_update_record(
                commitment=commitment,
                author=request.user,
                claimed_status=form.cleaned_data["claimed_status"],
                as_of=form.cleaned_data["as_of"],
                narrative=form.cleaned_data["narrative"],
                percent=form.cleaned_data.get("percent"),
                readings=form.readings,
                files=form.cleaned_data["files"],
                links=form.cleaned_data["links"],
                corrects=form.cleaned_data["corrects"],
                answers=form.cleaned_data.get("answers") or (),
                responds_to=form.cleaned_data.get("responds_to") or (),
            )
        except ValidationError as e:
            _errors_to_form(form, e)
    if not form.is_valid():
        context = _detail_context(request, commitment, form=form)
        if request.htmx:
            return render(
                request, "commitments/commitment_detail.html#update_form", context, status=422
            )
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


def _errors_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e)
    else:
        form.add_error(None, error)


@staff_required
@require_GET
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Evidence files are never public: streamed only to people who may see the commitment."""
    evidence = get_object_or_404(Evidence.objects.select_related("update"), pk=pk)
    commitment_or_403(request, evidence.update.commitment_id)
    if not evidence.file:
        raise Http404
    # The type detected at upload (validators.evidence_file_check); a row from before that
    # check, or anything unexpected, downloads as bytes.
    content_type = evidence.content_type
    if content_type.split(";")[0] not in SERVED_CONTENT_TYPES:
        content_type = "application/octet-stream"
    inline = content_type in INLINE_CONTENT_TYPES
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not inline,
        filename=evidence.original_name or evidence.file.name.rsplit("/", 1)[-1],
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        # A PDF or image shown in the browser runs no script of ours or its own.
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


@staff_required
@require_GET
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # stubs: (HttpRequest) only
def evidence_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """Evidence shown in the browser rather than downloaded: images inline, PDFs in the
    browser's own viewer (framed by our own pages only). The same permission check as the
    download; other types are not served inline (a Word file would only download)."""
    evidence = get_object_or_404(Evidence.objects.select_related("update"), pk=pk)
    commitment_or_403(request, evidence.update.commitment_id)
    if not evidence.file:
        raise Http404
    kind = evidence_kind(evidence)
    if kind not in ("image", "pdf"):
        return redirect("evidence_download", pk=pk)
    name = evidence.original_name or evidence.file.name.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    # The type comes from the extension we allow, never from what the uploader's browser
    # claimed; nosniff (SecurityMiddleware) keeps the browser from guessing another.
    content_type = "application/pdf" if kind == "pdf" else INLINE_IMAGE_EXTENSIONS.get(ext)
    if content_type is None:
        return redirect("evidence_download", pk=pk)
    response = FileResponse(
        evidence.file.open("rb"), as_attachment=False, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
