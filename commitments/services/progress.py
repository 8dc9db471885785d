"""Progress and review (办理/反馈, 审核): append an update with its readings and evidence;
accept or return it.

Each function is keyword-only, validates everything before writing, and runs in one
transaction, so an invalid input (a bad reading, an oversize file) saves nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commitments.models import (
    Commitment,
    Evidence,
    Instruction,
    ProgressUpdate,
    Target,
    TargetReading,
    UrgingNotice,
)
from commitments.rules import TargetInput, percent_of
from commitments.services import workflow
from commitments.services.status import status_invalidate
from commitments.validators import (
    correction_check,
    evidence_file_check,
    reading_check,
    update_as_of_check,
)


def progress_update_record(
    *,
    commitment: Commitment,
    author: User,
    claimed_status: str,
    as_of: dt.date,
    narrative: str = "",
    percent: Decimal | None = None,
    readings: dict[Target, Decimal] | None = None,
    files: Iterable[UploadedFile] = (),
    links: Iterable[str] = (),
    corrects: ProgressUpdate | None = None,
    created_at: dt.datetime | None = None,
    is_demo: bool = False,
    check_as_of: bool = True,
    answers: Iterable[UrgingNotice] = (),
    responds_to: Iterable[Instruction] = (),
) -> ProgressUpdate:
    """Append one progress update with its readings and evidence.

    Percent is computed from the readings where the commitment has numeric targets
    (what the status rules do too) and taken as reported otherwise. Two people updating
    the same commitment at once both keep their work: nothing here reads-then-writes a
    shared row, every update is a new row.

    ``answers`` are urging notices (督办单) this update replies to (it closes them);
    ``responds_to`` are leaders' instructions (批示) it reports on. A closed item (办结销号)
    takes no update until the office reopens it.
    """
    readings = dict(readings or {})
    files, links = list(files), [link.strip() for link in links if link.strip()]
    errors: dict[str, list] = {}

    if check_as_of:
        try:
            update_as_of_check(as_of=as_of, report_year=commitment.report.year)
        except ValidationError as e:
            errors.setdefault("as_of", []).extend(e.messages)
    for target, value in readings.items():
        if target.commitment_id != commitment.pk:
            errors.setdefault("__all__", []).append(_("指标不属于该任务。"))
            continue
        try:
            reading_check(target=target, value=value)
        except ValidationError as e:
            errors.setdefault(f"target_{target.pk}", []).extend(e.messages)
    content_types: dict[int, str] = {}
    for f in files:
        try:
            content_types[id(f)] = evidence_file_check(f)
        except ValidationError as e:
            errors.setdefault("files", []).extend(e.messages)
    if corrects is not None:
        try:
            correction_check(corrects=corrects, commitment=commitment, author=author)
        except ValidationError as e:
            errors.setdefault("__all__", []).extend(e.messages)
    answers, responds_to = list(answers), list(responds_to)
    linked: list[UrgingNotice | Instruction] = [*answers, *responds_to]
    if any(x.commitment_id != commitment.pk for x in linked):
        errors.setdefault("__all__", []).append(_("督办单或批示不属于该任务。"))
    if not is_demo and workflow.is_closed(commitment):
        errors.setdefault("__all__", []).append(
            _("该任务已办结销号，不能再填报进展；如需补充，请联系督查室重新打开。")
        )
    if errors:
        raise ValidationError(errors)

    numeric = [t for t in readings if t.is_measurable]
    if claimed_status == ProgressUpdate.Status.COMPLETED:
        percent = Decimal("100")
    elif numeric:
        all_numeric = [t for t in commitment.targets.all() if t.is_measurable]
        computed = percent_of(
            targets=[TargetInput.of(t, readings.get(t)) for t in all_numeric],
            claim=None,
        )
        percent = Decimal(str(computed)).quantize(Decimal("0.1"))

    with transaction.atomic():
        update = ProgressUpdate(
            commitment=commitment,
            author=author,
            as_of=as_of,
            claimed_status=claimed_status,
            percent=percent,
            narrative=narrative.strip(),
            corrects=corrects,
            is_demo=is_demo,
        )
        if created_at is not None:
            update.created_at = created_at
        update.full_clean()
        update.save()
        for target, value in readings.items():
            reading = TargetReading(update=update, target=target, value=value)
            reading.full_clean(exclude=["update"])
            reading.save()
        for f in files:
            ev = Evidence(
                update=update,
                original_name=(f.name or "")[:255],
                # Detected from the bytes; the browser's claim is never trusted.
                content_type=content_types[id(f)],
                size=f.size or 0,
            )
            # The storage name is ours, never the uploader's path; the original name is kept
            # for the download.
            ev.file.save(_evidence_storage_name(f.name or "file"), f, save=False)
            ev.full_clean(exclude=["update"])
            ev.save()
        for link in links:
            ev = Evidence(update=update, link=link[:500])
            ev.full_clean(exclude=["update"])
            ev.save()
        for notice in answers:
            workflow.urging_answer(notice=notice, by=author, update=update)
        for instruction in responds_to:
            workflow.instruction_respond(instruction=instruction, update=update)
    return update


def _evidence_storage_name(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
    return f"{uuid.uuid4().hex}.{ext}"


def _review(
    *, update: ProgressUpdate, reviewer: User, state: str, comment: str, now: dt.datetime | None
) -> bool:
    # A conditional UPDATE: of two reviewers (or a double click) exactly one matches the
    # submitted row; the row count says who won.
    won = (
        ProgressUpdate.objects.filter(
            pk=update.pk, review_state=ProgressUpdate.Review.SUBMITTED
        ).update(
            review_state=state,
            reviewed_by=reviewer,
            reviewed_at=now or timezone.now(),
            review_comment=comment,
        )
        == 1
    )
    if won:
        status_invalidate([update.commitment_id])
    update.refresh_from_db(fields=["review_state", "reviewed_by", "reviewed_at", "review_comment"])
    return won


def update_review_accept(
    *, update: ProgressUpdate, reviewer: User, comment: str = "", now: dt.datetime | None = None
) -> bool:
    """Accept a submitted update. False when someone else reviewed it first. Accepting a
    completion that is the latest claim closes the item (办结销号)."""
    with transaction.atomic():
        won = _review(
            update=update,
            reviewer=reviewer,
            state=ProgressUpdate.Review.ACCEPTED,
            comment=comment.strip(),
            now=now,
        )
        if won:
            workflow.commitment_close(update=update, by=reviewer, now=now)
    return won


def update_review_return(
    *, update: ProgressUpdate, reviewer: User, comment: str, now: dt.datetime | None = None
) -> bool:
    """Return a submitted update to its author with a comment (required). False when
    someone else reviewed it first."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": [_("退回时必须填写意见。")]})
    return _review(
        update=update,
        reviewer=reviewer,
        state=ProgressUpdate.Review.RETURNED,
        comment=comment,
        now=now,
    )
