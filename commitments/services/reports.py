"""Seeding (立项): read a work report and write its sections, commitments and targets.

Functions take keyword-only arguments, validate, and run in a transaction so that a
failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from commitments.ingest import (
    ParsedCommitment,
    ParsedReport,
    ParsedTarget,
    ParseWarning,
    ReportFormatError,
    parse_report,
)
from commitments.ingest.review import apply_corrections
from commitments.models import Commitment, Report, Section, Target
from commitments.selectors.imports import match_commitments
from commitments.services.status import status_invalidate

T = TypeVar("T")

BUNDLED_REPORT = (
    Path(__file__).resolve().parent.parent / "data" / "anyang-2017-government-work-report.txt"
)


class TooManyRemovals(ReportFormatError):
    """A re-seed would mark more than settings.SEED_MAX_REMOVED_SHARE per cent of the
    report's commitments as gone: most likely a truncated or wrong file. Nothing is written
    unless the caller says the removals are meant (``allow_removals``)."""


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
    set_asides: list[ParseWarning] = field(default_factory=list)  # not made commitments
    notes: list[ParseWarning] = field(default_factory=list)  # what the parser was unsure of
    unapplied: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [str(w) for w in (*self.notes, *self.set_asides)]

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
    place: str | None = None,
    year: int | None = None,
    corrections: list[dict[str, Any]] | None = None,
    allow_removals: bool = False,
) -> SeedResult:
    """Parse a work report and write it into the ledger.

    ``place``/``year`` state whose report it is where the text does not say (or says it
    wrongly). ``corrections`` are those of the import review (commitments.ingest.review);
    when None, the corrections the report was last published with are applied again, so a
    re-import keeps what staff corrected in review.

    Targets are read again only for a sentence that changed (or with ``refresh_targets``,
    after a parser upgrade): a figure staff corrected in the admin stays corrected.

    Safe to repeat: the same report again changes nothing; a changed sentence is
    updated in place; a sentence gone from the report is marked ``in_source=False``
    and kept with its progress. What staff own — units, responsible person, a moved
    due date, milestones, progress — is never touched.

    Raises ReportFormatError (and writes nothing) for input that is not a report, and
    TooManyRemovals (nothing written) when the file would remove more than a small share
    of the report's commitments, unless ``allow_removals``.
    """
    parsed = parse_report(raw, place=place or None, year=year)
    with transaction.atomic():
        existing = (
            Report.objects.select_for_update().filter(place=parsed.place, year=parsed.year).first()
        )
        if corrections is None:
            corrections = list(existing.review_corrections) if existing else []
        outcome = apply_corrections(parsed, corrections)
        result = _write(
            outcome.report,
            source_name=source_name,
            progress=progress,
            refresh_targets=refresh_targets,
            corrections=corrections,
            allow_removals=allow_removals,
        )
        result.unapplied = [
            (corrections[i], why) for i, why in outcome.unapplied if i < len(corrections)
        ]
        return result


def _write(
    parsed: ParsedReport,
    *,
    source_name: str,
    progress: Callable[[Iterable[Any]], Iterable[Any]],
    refresh_targets: bool,
    corrections: list[dict[str, Any]],
    allow_removals: bool = False,
) -> SeedResult:
    sha = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    report, created = Report.objects.select_for_update().get_or_create(
        place=parsed.place,
        year=parsed.year,
        defaults={
            "place_level": parsed.place_level,
            "review_corrections": corrections,
            "title": parsed.title,
            "source_text": parsed.text,
            "source_sha256": sha,
            "source_name": source_name,
            "encoding": parsed.encoding,
        },
    )
    if not created and (
        report.source_sha256 != sha
        or report.review_corrections != corrections
        or report.place_level != parsed.place_level
    ):
        report.title = parsed.title
        report.source_text = parsed.text
        report.source_sha256 = sha
        report.source_name = source_name or report.source_name
        report.encoding = parsed.encoding
        report.place_level = parsed.place_level
        report.review_corrections = corrections
        report.save()

    result = SeedResult(report=report, created=created, copies=parsed.copies)
    result.set_asides = [w for w in parsed.warnings if w.is_set_aside]
    result.notes = [w for w in parsed.warnings if not w.is_set_aside]

    sections = _write_sections(report, parsed)
    _write_commitments(report, parsed, sections, result, progress, refresh_targets, allow_removals)
    # Targets are written in bulk (no signals): the report's stored statuses are recomputed.
    status_invalidate(Commitment.objects.filter(report=report))
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


def _removals_check(existing: list[Commitment], matched_pks: set[int]) -> None:
    """Refuse (the transaction rolls back: nothing written) a re-seed that would mark more
    than settings.SEED_MAX_REMOVED_SHARE per cent of the report's commitments as gone."""
    in_source = [c for c in existing if c.in_source]
    gone = [c for c in in_source if c.pk not in matched_pks]
    if not in_source or 100 * len(gone) <= settings.SEED_MAX_REMOVED_SHARE * len(in_source):
        return
    raise TooManyRemovals(
        f"这份文件会使 {len(in_source)} 项任务中的 {len(gone)} 项（{100 * len(gone) // len(in_source)}%）"
        f"标记为已移出报告，超过 {settings.SEED_MAX_REMOVED_SHARE}%：文件可能不完整。"
        f"确认无误请加 --allow-removals 重新运行。 / This file would mark {len(gone)} of "
        f"{len(in_source)} commitments as gone from the report (more than "
        f"{settings.SEED_MAX_REMOVED_SHARE}%); is it truncated? Run again with "
        f"--allow-removals if the removals are meant."
    )


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
    progress: Callable[[Iterable[Any]], Iterable[Any]],
    refresh_targets: bool,
    allow_removals: bool = False,
) -> None:
    existing = list(report.commitments.select_related("section").prefetch_related("targets"))
    pairs = match_commitments(existing, parsed.commitments)
    matched_pks = {c.pk for c in pairs.values()}
    if not allow_removals:
        _removals_check(existing, matched_pks)

    # Codes and positions are unique per report. A re-seed may shift them between rows,
    # so rows that move, and rows that leave the report, first step out of the way.
    moving = [c for i, c in pairs.items() if (c.code, c.seq) != (parsed.commitments[i].code, i + 1)]
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
