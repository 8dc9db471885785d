"""The supervision cycle's screens and actions (督办流程): 签收, 延期申请 and its decision,
督办单 (issue, bulk issue from the proposals, answer, the record per unit), 领导批示 (one item
or several), reopening a closed item.

The actions are POSTs from the item page (or the inbox, the proposals, the ledger); they
answer with a redirect back and a message. Bad input changes nothing and says why.
Each write and its emails happen in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from commitments import clock
from commitments.access import (
    acknowledgeable_units,
    can_acknowledge,
    can_answer_urging,
    can_request_extension,
    visible_commitments,
)
from commitments.decorators import (
    AuthenticatedHttpRequest,
    leader_required,
    reader_required,
    staff_required,
    supervisor_required,
)
from commitments.forms import (
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InstructionBulkForm,
    InstructionForm,
    ReopenForm,
    UrgingAnswerForm,
    UrgingBulkForm,
    UrgingIssueForm,
)
from commitments.jobs import notices
from commitments.models import Commitment, ExtensionRequest, UrgingNotice
from commitments.rules import UrgingLevel
from commitments.selectors.workflow import (
    notices_list,
    urging_by_unit,
    urging_proposals,
)
from commitments.services import workflow
from commitments.validators import parse_id
from commitments.views.base import commitment_or_403, current_report, safe_next


def _back(
    request: AuthenticatedHttpRequest, commitment_id: int, anchor: str = "workflow"
) -> HttpResponse:
    return redirect(safe_next(request, reverse("commitment", args=[commitment_id]) + f"#{anchor}"))


def _form_errors(request: AuthenticatedHttpRequest, form) -> None:
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)


def _validation_errors(request: AuthenticatedHttpRequest, error: ValidationError) -> None:
    for m in error.messages:
        messages.error(request, m)


# -- 签收 ------------------------------------------------------------------------------------


@staff_required
@require_POST
def commitment_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk, may=can_acknowledge)
    units = acknowledgeable_units(request.user, commitment)
    try:
        done = workflow.acknowledgement_confirm(
            commitment=commitment, by=request.user, department_ids=units
        )
    except ValidationError as e:
        _validation_errors(request, e)
    else:
        messages.success(
            request,
            _("已签收：%(code)s（%(units)s）")
            % {"code": commitment.code, "units": "、".join(a.department.name for a in done)},
        )
    return _back(request, pk)


# -- 延期申请 --------------------------------------------------------------------------------


@staff_required
@require_POST
def extension_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk, may=can_request_extension)
    form = ExtensionRequestForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    try:
        req = workflow.extension_request(
            commitment=commitment,
            by=request.user,
            requested_due_date=form.cleaned_data["requested_due_date"],
            reason=form.cleaned_data["reason"],
            progress_note=form.cleaned_data["progress_note"],
        )
    except ValidationError as e:
        _validation_errors(request, e)
        return _back(request, pk)
    if req.is_late:
        messages.warning(request, _("延期申请已提交（逾期后申请），等待督查室审批。"))
    else:
        messages.success(request, _("延期申请已提交，等待督查室审批。"))
    return _back(request, pk)


@supervisor_required
@require_GET
def extension_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = ExtensionRequest.objects.select_related(
        "commitment", "commitment__lead_unit", "requested_by", "decided_by"
    )
    return render(
        request,
        "commitments/extensions.html",
        {
            "pending": list(
                qs.filter(state=ExtensionRequest.State.PENDING).order_by("requested_at")
            ),
            "decided": list(
                qs.exclude(state=ExtensionRequest.State.PENDING).order_by("-decided_at")[:30]
            ),
            "decision_form": ExtensionDecisionForm(),
        },
    )


@supervisor_required
@require_POST
def extension_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(ExtensionRequest.objects.select_related("commitment"), pk=pk)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, req.commitment_id)
    grant = form.cleaned_data["decision"] == "grant"
    try:
        with transaction.atomic():
            won = workflow.extension_decide(
                request=req,
                by=request.user,
                grant=grant,
                granted_due_date=form.cleaned_data["granted_due_date"] if grant else None,
                comment=form.cleaned_data["comment"],
            )
            if won:
                notices.extension_decided_notify(request=req)
    except ValidationError as e:
        _validation_errors(request, e)
        return _back(request, req.commitment_id)
    if not won:
        messages.warning(request, _("该延期申请已由他人审批，您的操作未生效。"))
    elif grant:
        messages.success(
            request,
            _("已批准延期：%(code)s 完成时限调整为 %(d)s。")
            % {"code": req.commitment.code, "d": f"{req.granted_due_date:%Y-%m-%d}"},
        )
    else:
        messages.success(request, _("已不予批准：%(code)s") % {"code": req.commitment.code})
    return _back(request, req.commitment_id)


# -- 催办 / 督办单 -----------------------------------------------------------------------------


@supervisor_required
@require_POST
def urging_issue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    form = UrgingIssueForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    try:
        with transaction.atomic():
            notice = workflow.urging_issue(
                commitment=commitment,
                by=request.user,
                level=form.cleaned_data["level"],
                reply_by=form.cleaned_data["reply_by"],
                message=form.cleaned_data["message"],
            )
            notices.urging_notify(notices=[notice])
    except ValidationError as e:
        _validation_errors(request, e)
        return _back(request, pk)
    messages.success(
        request,
        _("已签发%(level)s：%(code)s，已通知%(unit)s。")
        % {
            "level": notice.get_level_display(),
            "code": commitment.code,
            "unit": notice.department.name,
        },
    )
    return _back(request, pk)


def _report_commitments(request: AuthenticatedHttpRequest):
    report = current_report(request)
    qs = Commitment.objects.all() if report is None else Commitment.objects.filter(report=report)
    return report, qs


@supervisor_required
@require_GET
def urging_proposed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """建议催办: the notices the rules call for today, for the office to issue."""
    report, qs = _report_commitments(request)
    proposals = urging_proposals(commitments=qs, day=clock.today())
    counts = {lvl: sum(1 for p in proposals if p.level == lvl) for lvl in UrgingLevel.RANK}
    form = UrgingBulkForm(initial={"reply_by": clock.today() + _reply_days()}, allowed=[])
    return render(
        request,
        "commitments/urging_proposed.html",
        {"report": report, "proposals": proposals, "counts": counts, "form": form},
    )


def _reply_days() -> dt.timedelta:
    return dt.timedelta(days=settings.URGING_REPLY_DAYS)


@supervisor_required
@require_POST
def urging_issue_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    back = safe_next(request, reverse("urging_proposed"))
    picks = request.POST.getlist("picks")
    allowed = [p for p in picks if _pick(p) is not None]
    form = UrgingBulkForm(request.POST, allowed=allowed)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    chosen = [pick for p in form.cleaned_data["picks"] if (pick := _pick(p)) is not None]
    rows = Commitment.objects.in_bulk([pk for pk, _level in chosen])
    if len(rows) != len({pk for pk, _level in chosen}):
        messages.error(request, _("所选任务不存在。"))
        return redirect(back)
    try:
        with transaction.atomic():
            issued = workflow.urging_issue_many(
                commitments=[(rows[pk], level) for pk, level in chosen],
                by=request.user,
                reply_by=form.cleaned_data["reply_by"],
                message=form.cleaned_data["message"],
            )
            notices.urging_notify(notices=issued)
    except ValidationError as e:
        _validation_errors(request, e)
        messages.error(request, _("本批督办单均未签发。"))
        return redirect(back)
    messages.success(request, _("已签发 %(n)s 份督办单。") % {"n": len(issued)})
    return redirect(back)


def _pick(raw: str) -> tuple[int, str] | None:
    raw_pk, _sep, level = raw.partition(":")
    pk = parse_id(raw_pk)
    if pk is not None and level in UrgingLevel.RANK:
        return pk, level
    return None


@staff_required
@require_POST
def urging_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(UrgingNotice.objects.select_related("commitment"), pk=pk)
    if not can_answer_urging(request.user, notice):
        raise PermissionDenied
    form = UrgingAnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, notice.commitment_id)
    won = workflow.urging_answer(notice=notice, by=request.user, text=form.cleaned_data["text"])
    if won:
        messages.success(request, _("已答复督办单：%(code)s") % {"code": notice.commitment.code})
    else:
        messages.warning(request, _("该督办单已答复。"))
    return _back(request, notice.commitment_id)


@reader_required
@require_GET
def urging_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """催办记录: every notice, and the count per unit the evaluation (考评) uses."""
    report, _qs = _report_commitments(request)
    visible = visible_commitments(request.user, Commitment.objects.all())
    return render(
        request,
        "commitments/urging_list.html",
        {
            "report": report,
            "units": urging_by_unit(report=report, day=clock.today()),
            "notices": list(notices_list(commitments=visible, report=report)[:200]),
            "today": clock.today(),
        },
    )


# -- 领导批示 --------------------------------------------------------------------------------


@leader_required
@require_POST
def instruction_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    form = InstructionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    with transaction.atomic():
        rows = workflow.instruction_create(
            commitments=[commitment], by=request.user, text=form.cleaned_data["text"]
        )
        notices.instruction_notify(instructions=rows)
    messages.success(request, _("批示已送达牵头单位和督查室。"))
    return _back(request, pk)


@leader_required
@require_POST
def instruction_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    back = safe_next(request, reverse("ledger"))
    form = InstructionBulkForm(
        request.POST, commitments=visible_commitments(request.user, Commitment.objects.all())
    )
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    with transaction.atomic():
        rows = workflow.instruction_create(
            commitments=form.cleaned_data["ids"], by=request.user, text=form.cleaned_data["text"]
        )
        notices.instruction_notify(instructions=rows)
    messages.success(request, _("已对 %(n)s 项任务作出批示。") % {"n": len(rows)})
    return redirect(back)


# -- 办结销号 --------------------------------------------------------------------------------


@supervisor_required
@require_POST
def commitment_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    try:
        workflow.commitment_reopen(
            commitment=commitment, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as e:
        _validation_errors(request, e)
        return _back(request, pk)
    messages.success(request, _("已重新打开：%(code)s") % {"code": commitment.code})
    return _back(request, pk)
