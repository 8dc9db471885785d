"""Checks shared by the forms (for inline errors) and the services (so that no caller
skips them): evidence files, an update's as-of day, a target reading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from commitments import clock
from commitments.models import COUNT_UNITS, Commitment, Membership, ProgressUpdate, Target

# The largest id any of our databases holds (a signed 64-bit integer): SQLite raises
# OverflowError for a larger one, PostgreSQL a DataError.
MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """A database id from request data, or None. Only ASCII digits count: ``str.isdigit()``
    is also true for "²" or "٣", which int() refuses or reads, and 20 digits overflow."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def evidence_file_check(file: UploadedFile) -> None:
    """Type and size limits for an evidence file (settings.EVIDENCE_*). The form runs the
    same check for inline errors; the service runs it again so no other caller skips it."""
    name = file.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [e.lower() for e in settings.EVIDENCE_ALLOWED_EXTENSIONS]
    if ext not in allowed:
        raise ValidationError(
            _("文件“%(name)s”的类型不允许；允许的类型：%(allowed)s。"),
            code="evidence_type",
            params={"name": name, "allowed": "、".join(allowed)},
        )
    if file.size is not None and file.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("文件“%(name)s”过大（%(size)s），单个文件上限为 %(limit)s。"),
            code="evidence_size",
            params={
                "name": name,
                "size": _megabytes(file.size),
                "limit": _megabytes(settings.EVIDENCE_MAX_BYTES),
            },
        )


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def update_as_of_check(*, as_of: dt.date, report_year: int) -> None:
    """An update describes a day between the start of the report's year and today."""
    if as_of > clock.today():
        raise ValidationError(_("截至日期不能晚于今天。"), code="as_of_future")
    if as_of < dt.date(report_year, 1, 1):
        raise ValidationError(
            _("截至日期不能早于报告年度（%(year)s年）。"),
            code="as_of_before_report",
            params={"year": report_year},
        )


def reading_check(*, target: Target, value: Decimal) -> None:
    if value < 0 and target.unit in COUNT_UNITS:
        raise ValidationError(
            _("“%(metric)s”以%(unit)s计，不能为负数。"),
            code="reading_negative",
            params={"metric": target.metric, "unit": target.unit},
        )


def correction_check(*, corrects: ProgressUpdate, commitment: Commitment, author) -> None:
    """A correction replaces an update the supervision office RETURNED, of the same
    commitment, and comes from the same department as the returned one's author (its
    author, or a colleague of the author's unit). Anything else is not a correction."""
    if corrects.commitment_id != commitment.pk:
        raise ValidationError(_("只能更正同一任务的进展。"), code="correct_other_commitment")
    if corrects.review_state != ProgressUpdate.Review.RETURNED:
        raise ValidationError(_("只能更正被退回的进展。"), code="correct_not_returned")
    if corrects.author_id == getattr(author, "pk", None):
        return
    units = Membership.objects.filter(user_id=corrects.author_id).values("department_id")
    if not Membership.objects.filter(
        user_id=getattr(author, "pk", None), department_id__in=units
    ).exists():
        raise ValidationError(_("只能更正本单位提交的进展。"), code="correct_other_department")
