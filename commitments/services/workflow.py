"""The supervision cycle's writes (督办流程): 签收, 延期申请 and its decision, 督办单 and its
answer, 领导批示 and its response, 办结销号 and reopening.

Like the other services: keyword-only arguments, everything checked before writing, one
transaction each. A step two people may take at once (two reviewers deciding the same
request, a double click) is claimed with a conditional UPDATE whose row count says who
won; the database's unique constraints stop the rest (two pending requests, two standing
closures, two open notices of a colour).

Emails are not sent here: services sit below the jobs. The views call
``commitments.jobs.notices`` in the same transaction, which writes the outbox rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from commitments import clock
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    ExtensionRequest,
    Instruction,
    ProgressUpdate,
    UrgingNotice,
)
from commitments.rules import UrgingLevel
from commitments.services.status import status_invalidate

# -- 签收 ------------------------------------------------------------------------------------


def acknowledgements_sync(
    *, commitment: Commitment, by: User, now: dt.datetime | None = None
) -> list[Acknowledgement]:
    """After an assignment (交办): every unit now on the item (lead and co-units) has a
    standing acknowledgement row; a new unit gets a new, pending one; a unit taken off has
    its row superseded. Returns the rows created (the units to notify)."""
    now = now or timezone.now()
    wanted = {}
    if commitment.lead_unit_id is not None:
        wanted[commitment.lead_unit_id] = Acknowledgement.Role.LEAD
    for dept_id in commitment.co_units.values_list("pk", flat=True):
        wanted.setdefault(dept_id, Acknowledgement.Role.CO)
    created: list[Acknowledgement] = []
    with transaction.atomic():
        standing = {
            a.department_id: a
            for a in Acknowledgement.objects.select_for_update().filter(
                commitment=commitment, superseded_at__isnull=True
            )
        }
        for dept_id, ack in standing.items():
            if dept_id not in wanted:
                ack.superseded_at = now
                ack.save(update_fields=["superseded_at"])
            elif ack.role != wanted[dept_id]:
                ack.role = wanted[dept_id]
                ack.save(update_fields=["role"])
        for dept_id, role in wanted.items():
            if dept_id in standing:
                continue
            ack = Acknowledgement(
                commitment=commitment,
                department_id=dept_id,
                role=role,
                assigned_at=now,
                assigned_on=clock.today(),
                assigned_by=by,
            )
            ack.full_clean()
            ack.save()
            created.append(ack)
    return created


def acknowledgement_confirm(
    *, commitment: Commitment, by: User, department_ids: Iterable[int]
) -> list[Acknowledgement]:
    """签收: the user acknowledges, for their units, the task assigned to them. Raises when
    there is nothing of theirs waiting (already acknowledged, or not assigned to them)."""
    now = timezone.now()
    with transaction.atomic():
        mine = list(
            Acknowledgement.objects.select_for_update().filter(
                commitment=commitment,
                department_id__in=list(department_ids),
                acknowledged_at__isnull=True,
                superseded_at__isnull=True,
            )
        )
        if not mine:
            raise ValidationError(_("没有需要您签收的交办。"))
        Acknowledgement.objects.filter(pk__in=[a.pk for a in mine]).update(
            acknowledged_at=now, acknowledged_by=by
        )
        status_invalidate([commitment.pk])
        for a in mine:
            a.acknowledged_at, a.acknowledged_by = now, by
    return mine


# -- 延期申请 --------------------------------------------------------------------------------


def _standing_closure(commitment: Commitment) -> Closure | None:
    return Closure.objects.filter(commitment=commitment, reopened_at__isnull=True).first()


def extension_request(
    *,
    commitment: Commitment,
    by: User,
    requested_due_date: dt.date,
    reason: str,
    progress_note: str = "",
) -> ExtensionRequest:
    """Ask for a new deadline. Asked after the deadline has passed, it is marked late."""
    reason, progress_note = reason.strip(), progress_note.strip()
    today = clock.today()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors.setdefault("reason", []).append(_("请填写延期理由。"))
    if requested_due_date <= commitment.due_date:
        errors.setdefault("requested_due_date", []).append(
            _("申请的时限须晚于现在的完成时限 %(d)s。") % {"d": commitment.due_date.isoformat()}
        )
    if _standing_closure(commitment) is not None:
        errors.setdefault("__all__", []).append(_("该任务已办结销号，不能申请延期。"))
    if ExtensionRequest.objects.filter(
        commitment=commitment, state=ExtensionRequest.State.PENDING
    ).exists():
        errors.setdefault("__all__", []).append(_("该任务已有一项待审批的延期申请。"))
    if errors:
        raise ValidationError(errors)
    request = ExtensionRequest(
        commitment=commitment,
        requested_by=by,
        requested_on=today,
        due_date_before=commitment.due_date,
        requested_due_date=requested_due_date,
        reason=reason,
        progress_note=progress_note,
        is_late=today > commitment.due_date,
    )
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as e:  # a second request that raced the first
        raise ValidationError(_("该任务已有一项待审批的延期申请。")) from e
    return request


def extension_decide(
    *,
    request: ExtensionRequest,
    by: User,
    grant: bool,
    granted_due_date: dt.date | None = None,
    comment: str = "",
) -> bool:
    """Grant (with the date the office gives, which may differ from the one asked) or
    refuse (with a comment). A grant moves the deadline in force and keeps the original
    one. False when someone else decided first."""
    comment = comment.strip()
    if grant:
        if granted_due_date is None:
            raise ValidationError({"granted_due_date": [_("请填写批准的完成时限。")]})
        if granted_due_date <= request.due_date_before:
            raise ValidationError(
                {
                    "granted_due_date": [
                        _("批准的时限须晚于申请时的完成时限 %(d)s。")
                        % {"d": request.due_date_before.isoformat()}
                    ]
                }
            )
    elif not comment:
        raise ValidationError({"comment": [_("不予批准时必须填写意见。")]})
    now = timezone.now()
    with transaction.atomic():
        won = (
            ExtensionRequest.objects.filter(
                pk=request.pk, state=ExtensionRequest.State.PENDING
            ).update(
                state=ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED,
                decided_by=by,
                decided_at=now,
                granted_due_date=granted_due_date if grant else None,
                decision_comment=comment,
            )
            == 1
        )
        if won and grant:
            commitment = Commitment.objects.select_for_update().get(pk=request.commitment_id)
            if commitment.original_due_date is None:
                commitment.original_due_date = commitment.due_date
            assert granted_due_date is not None  # a grant carries its date (checked above)
            commitment.due_date = granted_due_date
            commitment.full_clean()
            commitment._history_user = by
            commitment._change_reason = "extension granted"  # type: ignore[attr-defined]
            commitment.save()
    request.refresh_from_db()
    return won


# -- 催办 / 督办单 -----------------------------------------------------------------------------


def urging_issue(
    *,
    commitment: Commitment,
    by: User,
    level: str,
    reply_by: dt.date,
    message: str = "",
) -> UrgingNotice:
    """Issue a formal urging notice (督办单) to the item's lead unit."""
    today = clock.today()
    errors: dict[str, list[str]] = {}
    if level not in UrgingLevel.RANK:
        errors.setdefault("level", []).append(_("请选择督办单颜色。"))
    if reply_by < today:
        errors.setdefault("reply_by", []).append(_("答复期限不能早于今天。"))
    if commitment.lead_unit_id is None:
        errors.setdefault("__all__", []).append(_("该任务尚未交办牵头单位。"))
    if _standing_closure(commitment) is not None:
        errors.setdefault("__all__", []).append(_("该任务已办结销号，无需催办。"))
    if UrgingNotice.objects.filter(
        commitment=commitment, level=level, state=UrgingNotice.State.OPEN
    ).exists():
        errors.setdefault("__all__", []).append(
            _("%(code)s 已有一份同色督办单待答复。") % {"code": commitment.code}
        )
    if errors:
        raise ValidationError(errors)
    assert commitment.lead_unit_id is not None  # checked above: no unit, no notice
    notice = UrgingNotice(
        commitment=commitment,
        department_id=commitment.lead_unit_id,
        level=level,
        message=message.strip(),
        issued_by=by,
        issued_on=today,
        reply_by=reply_by,
    )
    notice.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError as e:
        raise ValidationError(
            _("%(code)s 已有一份同色督办单待答复。") % {"code": commitment.code}
        ) from e
    return notice


def urging_issue_many(
    *, commitments: Iterable[tuple[Commitment, str]], by: User, reply_by: dt.date, message: str = ""
) -> list[UrgingNotice]:
    """Issue several notices at once (the office's bulk action on the proposals). All or
    nothing: one that cannot be issued stops the batch with its reason."""
    with transaction.atomic():
        return [
            urging_issue(commitment=c, by=by, level=level, reply_by=reply_by, message=message)
            for c, level in commitments
        ]


def urging_answer(
    *, notice: UrgingNotice, by: User, text: str = "", update: ProgressUpdate | None = None
) -> bool:
    """The unit's reply closes the notice: a written answer or a progress update. False
    when it was already answered."""
    text = text.strip()
    if not text and update is None:
        raise ValidationError({"text": [_("请填写书面答复。")]})
    if update is not None and update.commitment_id != notice.commitment_id:
        raise ValidationError(_("只能以同一任务的进展答复。"))
    with transaction.atomic():
        won = (
            UrgingNotice.objects.filter(pk=notice.pk, state=UrgingNotice.State.OPEN).update(
                state=UrgingNotice.State.ANSWERED,
                answered_by=by,
                answered_at=timezone.now(),
                answered_on=clock.today(),
                answer_text=text,
                answer_update=update,
            )
            == 1
        )
    notice.refresh_from_db()
    return won


# -- 领导批示 --------------------------------------------------------------------------------


def instruction_create(
    *, commitments: Iterable[Commitment], by: User, text: str
) -> list[Instruction]:
    """A leader's instruction on one item or several at once (one row per item)."""
    text = text.strip()
    commitments = list(commitments)
    if not text:
        raise ValidationError({"text": [_("请填写批示内容。")]})
    if not commitments:
        raise ValidationError(_("请先勾选任务。"))
    now, today = timezone.now(), clock.today()
    rows = []
    with transaction.atomic():
        for c in commitments:
            row = Instruction(commitment=c, author=by, text=text, created_at=now, created_on=today)
            row.full_clean()
            row.save()
            rows.append(row)
    return rows


def instruction_respond(*, instruction: Instruction, update: ProgressUpdate) -> bool:
    """Link the unit's update to the instruction it answers (落实情况)."""
    if update.commitment_id != instruction.commitment_id:
        raise ValidationError(_("只能以同一任务的进展回应批示。"))
    return (
        Instruction.objects.filter(pk=instruction.pk, response_update__isnull=True).update(
            response_update=update, responded_at=timezone.now()
        )
        == 1
    )


# -- 办结销号 --------------------------------------------------------------------------------


def commitment_close(
    *, update: ProgressUpdate, by: User, now: dt.datetime | None = None
) -> Closure | None:
    """An accepted completion closes the item (销号), when it is the latest claim: a newer
    update says the work goes on. None when nothing closes."""
    if (
        update.claimed_status != ProgressUpdate.Status.COMPLETED
        or update.review_state != ProgressUpdate.Review.ACCEPTED
    ):
        return None
    newer = (
        ProgressUpdate.objects.filter(commitment_id=update.commitment_id)
        .exclude(review_state=ProgressUpdate.Review.RETURNED)
        .exclude(pk=update.pk)
        .filter(Q(as_of__gt=update.as_of) | Q(as_of=update.as_of, created_at__gt=update.created_at))
    )
    if newer.exists():
        return None
    closure = Closure(
        commitment_id=update.commitment_id,
        update=update,
        closed_by=by,
        # a review recorded for a past day (demo histories) closes on that day
        closed_at=now or timezone.now(),
        closed_on=timezone.localdate(now) if now else clock.today(),
    )
    closure.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            closure.save()
    except IntegrityError:  # already closed (a second acceptance of an older completion)
        return None
    return closure


def commitment_reopen(*, commitment: Commitment, by: User, reason: str) -> Closure:
    """The office reopens a closed item, with a reason kept in the record."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("重新打开时必须填写理由。")]})
    with transaction.atomic():
        closure = (
            Closure.objects.select_for_update()
            .filter(commitment=commitment, reopened_at__isnull=True)
            .first()
        )
        if closure is None:
            raise ValidationError(_("该任务未办结销号，无需重新打开。"))
        closure.reopened_at, closure.reopened_by, closure.reopen_reason = (
            timezone.now(),
            by,
            reason,
        )
        closure.full_clean(validate_constraints=False)
        closure.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    return closure


def is_closed(commitment: Commitment) -> bool:
    return _standing_closure(commitment) is not None
