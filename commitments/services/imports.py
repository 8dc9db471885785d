"""The import review (立项): a report file becomes a draft, the supervision office corrects
what the parser misread, and publishing writes it to the ledger. Nothing reaches the
ledger before publishing; a file that is not a report is refused and nothing is written."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from commitments.ingest import ReportFormatError, parse_report
from commitments.ingest.review import CorrectionError, apply_corrections, check_correction
from commitments.models import Report, ReportImport
from commitments.selectors.imports import import_parse
from commitments.services.reports import SeedResult, report_seed


def _check_size(raw: bytes) -> None:
    if len(raw) > settings.REPORT_MAX_BYTES:
        raise ReportFormatError(
            f"文件过大（{len(raw)} 字节，上限 {settings.REPORT_MAX_BYTES} 字节），"
            f"不像一份政府工作报告。 File too large ({len(raw)} bytes, limit "
            f"{settings.REPORT_MAX_BYTES})."
        )


def import_create(
    *, by: User, raw: bytes, source_name: str = "", place: str = "", year: int | None = None
) -> ReportImport:
    """Read a file (or pasted text) into a draft. The draft starts from the corrections the
    same report was last published with, so a re-import keeps them."""
    _check_size(raw)
    place = place.strip()
    parsed = parse_report(raw, place=place or None, year=year)  # refuses what is no report
    existing = Report.objects.filter(place=parsed.place, year=parsed.year).first()
    draft = ReportImport(
        source=raw,
        source_name=source_name[:255],
        place=place,
        year=year,
        corrections=list(existing.review_corrections) if existing else [],
        report=existing,
        created_by=by,
    )
    draft.full_clean()
    draft.save()
    return draft


def _locked_draft(draft: ReportImport) -> ReportImport:
    locked = ReportImport.objects.select_for_update().get(pk=draft.pk)
    if locked.state != ReportImport.State.DRAFT:
        raise CorrectionError("该导入已发布或已放弃 / this import is no longer a draft")
    return locked


def import_correct(*, draft: ReportImport, correction: dict[str, Any]) -> ReportImport:
    """Add one correction after checking that it applies to the draft as corrected so far.
    Raises CorrectionError (nothing saved) when it does not."""
    with transaction.atomic():
        draft = _locked_draft(draft)
        current = apply_corrections(import_parse(draft), draft.corrections).report
        check_correction(current, correction)
        draft.corrections = [*draft.corrections, correction]
        draft.save(update_fields=["corrections"])
    return draft


def import_undo(*, draft: ReportImport, index: int) -> ReportImport:
    with transaction.atomic():
        draft = _locked_draft(draft)
        if not 0 <= index < len(draft.corrections):
            raise CorrectionError("没有这条更正 / no such correction")
        draft.corrections = [c for i, c in enumerate(draft.corrections) if i != index]
        draft.save(update_fields=["corrections"])
    return draft


def import_set_place(*, draft: ReportImport, place: str, year: int | None) -> ReportImport:
    """State whose report it is and which year. The file must still read as a report with
    them (ReportFormatError otherwise, nothing saved)."""
    place = place.strip()
    with transaction.atomic():
        draft = _locked_draft(draft)
        parsed = parse_report(bytes(draft.source), place=place or None, year=year)
        draft.place, draft.year = place, year
        draft.report = Report.objects.filter(place=parsed.place, year=parsed.year).first()
        draft.full_clean()
        draft.save(update_fields=["place", "year", "report"])
    return draft


def import_publish(*, draft: ReportImport, by: User) -> SeedResult:
    """Write the draft to the ledger with its corrections (one transaction)."""
    with transaction.atomic():
        draft = _locked_draft(draft)
        result = report_seed(
            raw=bytes(draft.source),
            source_name=draft.source_name,
            place=draft.place or None,
            year=draft.year,
            corrections=list(draft.corrections),
            # the office has seen what goes (the review lists it) and publishes on purpose
            allow_removals=True,
        )
        draft.state = ReportImport.State.PUBLISHED
        draft.report = result.report
        draft.published_at = timezone.now()
        draft.save(update_fields=["state", "report", "published_at"])
    return result


def import_discard(*, draft: ReportImport) -> None:
    with transaction.atomic():
        draft = _locked_draft(draft)
        draft.state = ReportImport.State.DISCARDED
        draft.save(update_fields=["state"])
