"""Writes. Every change to the ledger goes through a function here.

Functions take keyword-only arguments, validate, and run in a transaction so that a
failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from .ingest import ParsedCommitment, ParsedReport, ParsedTarget, ReportFormatError, parse_report
from .models import Commitment, Report, Section, Target

T = TypeVar("T")

BUNDLED_REPORT = Path(__file__).resolve().parent / "data" / "anyang-2017-government-work-report.txt"

# Below this similarity a changed sentence is treated as a new one, not an edit of the old.
SAME_SENTENCE_RATIO = 0.6


@dataclass
class SeedResult:
    report: Report
    created: bool  # the Report row itself
    copies: int
    commitments_created: int = 0
    commitments_updated: int = 0
    commitments_unchanged: int = 0
    commitments_removed: int = 0
    targets_written: int = 0
    by_part: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.commitments_created
            or self.commitments_updated
            or self.commitments_removed
            or self.targets_written
        )


def _identity(items: Iterable[T]) -> Iterable[T]:
    return items


def report_read_file(path: Path) -> bytes:
    """Read a report file, refusing what is too large to be a work report."""
    size = path.stat().st_size
    if size > settings.REPORT_MAX_BYTES:
        raise ReportFormatError(
            f"文件过大（{size} 字节，上限 {settings.REPORT_MAX_BYTES} 字节），不像一份政府工作报告。"
            f" File too large ({size} bytes, limit {settings.REPORT_MAX_BYTES})."
        )
    return path.read_bytes()


def report_seed(
    *,
    raw: bytes,
    source_name: str = "",
    progress: Callable[[Iterable[T]], Iterable[T]] = _identity,
    refresh_targets: bool = False,
) -> SeedResult:
    """Parse a work report and write it into the ledger.

    Targets are read again only for a sentence that changed (or with ``refresh_targets``,
    after a parser upgrade): a figure staff corrected in the admin stays corrected.

    Safe to repeat: the same report again changes nothing; a changed sentence is
    updated in place; a sentence gone from the report is marked ``in_source=False``
    and kept with its progress. What staff own — units, responsible person, a moved
    due date, milestones, progress — is never touched.

    Raises ReportFormatError (and writes nothing) for input that is not a report.
    """
    parsed = parse_report(raw)
    with transaction.atomic():
        return _write(
            parsed, source_name=source_name, progress=progress, refresh_targets=refresh_targets
        )


def _write(
    parsed: ParsedReport, *, source_name: str, progress, refresh_targets: bool
) -> SeedResult:
    sha = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    report, created = Report.objects.select_for_update().get_or_create(
        city=parsed.city,
        year=parsed.year,
        defaults={
            "title": parsed.title,
            "source_text": parsed.text,
            "source_sha256": sha,
            "source_name": source_name,
            "encoding": parsed.encoding,
        },
    )
    if not created and report.source_sha256 != sha:
        report.title = parsed.title
        report.source_text = parsed.text
        report.source_sha256 = sha
        report.source_name = source_name or report.source_name
        report.encoding = parsed.encoding
        report.save()

    result = SeedResult(report=report, created=created, copies=parsed.copies)
    result.warnings = [w.message + (f"：{w.text}" if w.text else "") for w in parsed.warnings]

    sections = _write_sections(report, parsed)
    _write_commitments(report, parsed, sections, result, progress, refresh_targets)
    return result


def _write_sections(report: Report, parsed: ParsedReport) -> dict[str, Section]:
    existing = {s.key: s for s in report.sections.all()}
    by_key: dict[str, Section] = {}
    for ps in sorted(parsed.sections, key=lambda s: s.key.count(".")):  # parents first
        values = {
            "parent": by_key.get(ps.parent_key) if ps.parent_key else None,
            "level": ps.level,
            "label": ps.label,
            "title": ps.title,
            "order": ps.order,
            "start": ps.start,
            "end": ps.end,
        }
        section = existing.get(ps.key)
        if section is None:
            section = Section.objects.create(report=report, key=ps.key, **values)
        elif any(getattr(section, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(section, k, v)
            section.save()
        by_key[ps.key] = section
    # Sections the report no longer has go, unless a kept commitment still points at them.
    stale = [s.pk for key, s in existing.items() if key not in by_key]
    if stale:
        Section.objects.filter(pk__in=stale, commitments__isnull=True).delete()
    return by_key


def _match(
    existing: list[Commitment], incoming: list[ParsedCommitment]
) -> dict[int, Commitment]:
    """Pair each parsed commitment (by index) with the row it continues, if any.

    Exact text first (a sentence that only moved keeps its row and progress), then the
    same code with a similar text (a sentence edited in place), then a similar sentence
    in the same section.
    """
    pairs: dict[int, Commitment] = {}
    free = {c.pk: c for c in existing}

    by_text: dict[str, list[Commitment]] = {}
    for c in existing:
        by_text.setdefault(c.text, []).append(c)
    for i, pc in enumerate(incoming):
        candidates = [c for c in by_text.get(pc.text, []) if c.pk in free]
        if candidates:
            chosen = min(candidates, key=lambda c: (c.code != pc.code, abs(c.start - pc.start)))
            pairs[i] = free.pop(chosen.pk)

    def similar(a: str, b: str) -> bool:
        return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SAME_SENTENCE_RATIO

    by_code = {c.code: c for c in free.values()}
    for i, pc in enumerate(incoming):
        if i in pairs:
            continue
        c = by_code.get(pc.code)
        if c is not None and c.pk in free and similar(c.text, pc.text):
            pairs[i] = free.pop(c.pk)

    for i, pc in enumerate(incoming):
        if i in pairs:
            continue
        same_section = [c for c in free.values() if c.section.key == pc.section_key]
        best = max(
            same_section,
            key=lambda c: difflib.SequenceMatcher(None, c.text, pc.text, autojunk=False).ratio(),
            default=None,
        )
        if best is not None and similar(best.text, pc.text):
            pairs[i] = free.pop(best.pk)
    return pairs


def _commitment_values(pc: ParsedCommitment, seq: int, sections: dict[str, Section]) -> dict:
    return {
        "section": sections[pc.section_key],
        "code": pc.code,
        "seq": seq,
        "text": pc.text,
        "start": pc.start,
        "end": pc.end,
        "kind": pc.kind,
        "matter_number": pc.matter_number,
        "due_text": pc.due_text,
    }


def _write_commitments(
    report: Report,
    parsed: ParsedReport,
    sections: dict[str, Section],
    result: SeedResult,
    progress,
    refresh_targets: bool,
) -> None:
    existing = list(report.commitments.select_related("section").prefetch_related("targets"))
    pairs = _match(existing, parsed.commitments)
    matched_pks = {c.pk for c in pairs.values()}

    # Codes and positions are unique per report. A re-seed may shift them between rows,
    # so rows that move, and rows that leave the report, first step out of the way.
    moving = [
        c
        for i, c in pairs.items()
        if (c.code, c.seq) != (parsed.commitments[i].code, i + 1)
    ]
    removed = [c for c in existing if c.pk not in matched_pks]
    for c in moving:
        Commitment.objects.filter(pk=c.pk).update(code=f"~{c.pk}", seq=10_000_000 + c.pk)
    for c in removed:
        if c.in_source:
            # Kept with its progress and history; its code says it left the report.
            Commitment.objects.filter(pk=c.pk).update(
                in_source=False, code=f"{c.code}-x{c.pk}"[:40], seq=10_000_000 + c.pk
            )
            result.commitments_removed += 1

    new: list[tuple[Commitment, ParsedCommitment]] = []
    for i, pc in enumerate(progress(parsed.commitments)):
        seq = i + 1
        values = _commitment_values(pc, seq, sections)
        result.by_part[pc.section_key.split(".")[0]] += 1
        result.by_kind[pc.kind] += 1
        commitment = pairs.get(i)
        if commitment is None:
            commitment = Commitment(
                report=report,
                start_date=dt.date(report.year, 1, 1),
                due_date=pc.due_date,
                parsed_due_date=pc.due_date,
                **values,
            )
            # Field checks here give a clear message; the constraints are the database's job
            # (a violation aborts the whole transaction).
            commitment.full_clean(validate_unique=False, validate_constraints=False)
            new.append((commitment, pc))
            continue
        if commitment.due_date == commitment.parsed_due_date:
            values["due_date"] = pc.due_date  # staff never moved it: follow the report
        values["parsed_due_date"] = pc.due_date
        values["in_source"] = True
        if commitment in moving:
            commitment.refresh_from_db(fields=["code", "seq"])
        changed = {k: v for k, v in values.items() if getattr(commitment, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(commitment, k, v)
            commitment.start_date = min(commitment.start_date, commitment.due_date)
            commitment.save()
        # Position-only changes (a sentence inserted before it) are not edits.
        if set(changed) - {"code", "seq", "start", "end", "section"}:
            result.commitments_updated += 1
        else:
            result.commitments_unchanged += 1
        if refresh_targets or "text" in changed:
            result.targets_written += _write_targets(commitment, pc.targets)

    if new:
        created = bulk_create_with_history([c for c, _ in new], Commitment)
        targets = []
        for commitment, (_, pc) in zip(created, new, strict=True):
            for pt in pc.targets:
                target = Target(commitment=commitment, order=pt.order, **_target_values(pt))
                target.full_clean(validate_unique=False, validate_constraints=False)
                targets.append(target)
        bulk_create_with_history(targets, Target)
        result.commitments_created += len(created)
        result.targets_written += len(targets)


def _target_values(pt: ParsedTarget) -> dict:
    b = pt.baseline
    return {
        "metric": pt.metric[:200],
        "value": pt.value,
        "value_max": pt.value_max,
        "unit": pt.unit,
        "qualifier": pt.qualifier,
        "direction": pt.direction,
        "text": pt.text[:300],
        "start": pt.start,
        "end": pt.end,
        "baseline_value": b.value if b else None,
        "baseline_year": b.year if b else None,
        "baseline_text": b.text[:300] if b else "",
    }


def _write_targets(commitment: Commitment, parsed_targets: Iterable[ParsedTarget]) -> int:
    """Upsert targets by their order; return how many rows were written."""
    existing = {t.order: t for t in commitment.targets.all()}
    written = 0
    seen: set[int] = set()
    for pt in parsed_targets:
        seen.add(pt.order)
        values = _target_values(pt)
        target = existing.get(pt.order)
        if target is None:
            Target.objects.create(commitment=commitment, order=pt.order, **values)
            written += 1
        # Decimal('8.0000') from the database equals Decimal('8') from the parser.
        elif any(getattr(target, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(target, k, v)
            target.save()
            written += 1
    # Targets the sentence no longer has go, unless progress was already read against them.
    for order, target in existing.items():
        if order not in seen and not target.readings.exists():
            target.delete()
            written += 1
    return written


# ---------------------------------------------------------------------------------------
# Staff writes from the web UI: progress updates, review, assignment, milestones.
#
# Each function is keyword-only, validates everything before writing, and runs in one
# transaction, so an invalid input (a bad reading, an oversize file) saves nothing.
# ---------------------------------------------------------------------------------------

import uuid  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from . import clock  # noqa: E402
from .models import (  # noqa: E402
    COUNT_UNITS,
    Department,
    Evidence,
    Milestone,
    ProgressUpdate,
    TargetReading,
)
from .status import TargetInput, percent_of  # noqa: E402


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


def progress_update_record(
    *,
    commitment: Commitment,
    author,
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
) -> ProgressUpdate:
    """Append one progress update with its readings and evidence.

    Percent is computed from the readings where the commitment has numeric targets
    (what the status rules do too) and taken as reported otherwise. Two people updating
    the same commitment at once both keep their work: nothing here reads-then-writes a
    shared row, every update is a new row.
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
    for f in files:
        try:
            evidence_file_check(f)
        except ValidationError as e:
            errors.setdefault("files", []).extend(e.messages)
    if corrects is not None and corrects.commitment_id != commitment.pk:
        errors.setdefault("__all__", []).append(_("只能更正同一任务的进展。"))
    if errors:
        raise ValidationError(errors)

    numeric = [t for t in readings if t.value is not None and t.direction != "achieve"]
    if claimed_status == ProgressUpdate.Status.COMPLETED:
        percent = Decimal("100")
    elif numeric:
        all_numeric = [
            t for t in commitment.targets.all() if t.value is not None and t.direction != "achieve"
        ]
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
                content_type=(getattr(f, "content_type", "") or "")[:100],
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
    return update


def _evidence_storage_name(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
    return f"{uuid.uuid4().hex}.{ext}"


def _review(
    *, update: ProgressUpdate, reviewer, state: str, comment: str, now: dt.datetime | None
) -> bool:
    # A conditional UPDATE: of two reviewers (or a double click) exactly one matches the
    # submitted row; the row count says who won.
    won = (
        ProgressUpdate.objects.filter(pk=update.pk, review_state=ProgressUpdate.Review.SUBMITTED)
        .update(
            review_state=state,
            reviewed_by=reviewer,
            reviewed_at=now or timezone.now(),
            review_comment=comment,
        )
        == 1
    )
    update.refresh_from_db(fields=["review_state", "reviewed_by", "reviewed_at", "review_comment"])
    return won


def update_review_accept(
    *, update: ProgressUpdate, reviewer, comment: str = "", now: dt.datetime | None = None
) -> bool:
    """Accept a submitted update. False when someone else reviewed it first."""
    return _review(
        update=update,
        reviewer=reviewer,
        state=ProgressUpdate.Review.ACCEPTED,
        comment=comment.strip(),
        now=now,
    )


def update_review_return(
    *, update: ProgressUpdate, reviewer, comment: str, now: dt.datetime | None = None
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


def commitment_assign(
    *,
    commitment: Commitment,
    by,
    lead_unit: Department | None,
    co_units: Iterable[Department],
    responsible_person: str,
    start_date: dt.date,
    due_date: dt.date,
) -> Commitment:
    """Set who is responsible and by when (明责任、定时限). Recorded in the history."""
    co_units = [d for d in co_units if lead_unit is None or d.pk != lead_unit.pk]
    with transaction.atomic():
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        commitment.lead_unit = lead_unit
        commitment.responsible_person = responsible_person.strip()
        commitment.start_date = start_date
        commitment.due_date = due_date
        commitment.full_clean()
        commitment._history_user = by
        commitment.save()
        if {d.pk for d in commitment.co_units.all()} != {d.pk for d in co_units}:
            commitment.co_units.set(co_units)
    return commitment


def commitments_bulk_assign(
    *,
    commitments: QuerySet[Commitment],
    by,
    lead_unit: Department | None = None,
    due_date: dt.date | None = None,
) -> int:
    """Set the lead unit and/or due date of many commitments at once.

    Row by row rather than one queryset.update(), so that every change lands in the
    history with who made it. All or nothing: one due date before its start date stops
    the whole batch.
    """
    if lead_unit is None and due_date is None:
        raise ValidationError(_("请选择牵头单位或完成时限。"))
    with transaction.atomic():
        rows = list(commitments.select_for_update().order_by("seq"))
        bad = [c.code for c in rows if due_date is not None and due_date < c.start_date]
        if bad:
            raise ValidationError(
                _("完成时限不能早于开始日期：%(codes)s。"),
                code="due_before_start",
                params={"codes": "、".join(bad)},
            )
        for c in rows:
            if lead_unit is not None:
                c.lead_unit = lead_unit
            if due_date is not None:
                c.due_date = due_date
            c.full_clean()
            c._history_user = by
            c.save()
    return len(rows)


def milestone_add(
    *, commitment: Commitment, by, title: str, due_date: dt.date
) -> Milestone:
    with transaction.atomic():
        last = commitment.milestones.order_by("-order").values_list("order", flat=True).first()
        milestone = Milestone(
            commitment=commitment, title=title.strip(), due_date=due_date, order=(last or 0) + 1
        )
        milestone.full_clean()
        milestone._history_user = by
        milestone.save()
    return milestone


def milestone_delete(*, milestone: Milestone, by) -> None:
    milestone._history_user = by
    milestone.delete()
