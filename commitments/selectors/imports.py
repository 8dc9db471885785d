"""Reads for the import review: how a parsed report pairs with the ledger it would update
(new, changed, gone), and what the review screen shows of it."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from commitments.ingest import (
    ParsedCommitment,
    ParsedReport,
    ParsedSection,
    ParseWarning,
    parse_report,
)
from commitments.ingest.review import apply_corrections
from commitments.models import Commitment, Report, ReportImport

# Below this similarity a changed sentence is treated as a new one, not an edit of the old.
SAME_SENTENCE_RATIO = 0.6


def match_commitments(
    existing: Sequence[Commitment], incoming: Sequence[ParsedCommitment]
) -> dict[int, Commitment]:
    """Pair each parsed commitment (by index) with the row it continues, if any.

    Exact text first (a sentence that only moved keeps its row and progress), then the
    same code with a similar text (a sentence edited in place), then a similar sentence
    in the same section.
    """
    pairs: dict[int, Commitment] = {}
    free = {c.pk: c for c in existing}

    by_text: dict[str, list[Commitment]] = {}
    c: Commitment | None
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


@dataclass
class Change:
    parsed: ParsedCommitment
    row: Commitment | None  # the ledger row it continues; None for a new commitment
    fields: list[str] = field(default_factory=list)  # what differs: text, kind, targets…


@dataclass
class Diff:
    """What publishing would do to the report already in the ledger."""

    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    gone: list[Commitment] = field(default_factory=list)  # kept, marked no longer in source


def _target_key(t: Any) -> tuple[Any, ...]:
    value = t.value.normalize() if t.value is not None else None
    vmax = t.value_max.normalize() if t.value_max is not None else None
    return (t.metric, value, vmax, t.unit, t.qualifier, t.direction)


def ledger_diff(report: Report, parsed: ParsedReport) -> Diff:
    existing = list(
        report.commitments.filter(in_source=True)
        .select_related("section")
        .prefetch_related("targets")
        .order_by("seq")
    )
    pairs = match_commitments(existing, parsed.commitments)
    diff = Diff()
    for i, pc in enumerate(parsed.commitments):
        row = pairs.get(i)
        if row is None:
            diff.new.append(Change(parsed=pc, row=None))
            continue
        fields = []
        if row.text != pc.text:
            fields.append("text")
        if row.kind != pc.kind or row.matter_number != pc.matter_number:
            fields.append("kind")
        if row.parsed_due_date != pc.due_date:
            fields.append("due_date")
        if sorted(map(_target_key, row.targets.all())) != sorted(map(_target_key, pc.targets)):
            fields.append("targets")
        if fields:
            diff.changed.append(Change(parsed=pc, row=row, fields=fields))
        else:
            diff.unchanged += 1
    matched = {c.pk for c in pairs.values()}
    diff.gone = [c for c in existing if c.pk not in matched]
    return diff


@dataclass
class Group:
    """A chapter (or part, for commitments outside chapters) with its commitments."""

    section: ParsedSection
    part: ParsedSection | None
    commitments: list[ParsedCommitment]
    set_asides: list[ParseWarning]

    @property
    def items(self) -> list[tuple[ParsedCommitment, ParsedCommitment | None]]:
        """Each commitment with the one after it (what "merge with the next" merges)."""
        following: list[ParsedCommitment | None] = [*self.commitments[1:], None]
        return list(zip(self.commitments, following, strict=True))


@dataclass
class Preview:
    draft: ReportImport
    parsed: ParsedReport
    unapplied: list[tuple[int, str]]
    parts: list[ParsedSection]
    chapters: dict[str, list[ParsedSection]]  # part key -> its chapters
    groups: list[Group]
    place_level_label: str
    other_set_asides: list[ParseWarning]  # outside any chapter with commitments
    counts_by_kind: dict[str, int]  # a dict, not a Counter: templates look up .items
    set_asides_by_code: dict[str, int]
    notes: list[ParseWarning]
    existing: Report | None
    diff: Diff | None


def import_preview(draft: ReportImport, parsed: ParsedReport) -> Preview:
    """What the review screen shows: the parse as corrected, grouped by chapter, and, when
    the report is already in the ledger, what publishing would change."""
    outcome = apply_corrections(parsed, draft.corrections)
    report = outcome.report
    sections = {s.key: s for s in report.sections}
    parts = [s for s in report.sections if s.level == "part"]
    chapters: dict[str, list[ParsedSection]] = {}
    for s in report.sections:
        if s.level == "chapter" and s.parent_key:
            chapters.setdefault(s.parent_key, []).append(s)

    def home(key: str | None) -> str | None:
        """The chapter a section key belongs to, or its part when it is in no chapter."""
        while key is not None and key in sections:
            if sections[key].level in ("chapter", "part"):
                return key
            key = sections[key].parent_key
        return None

    by_home: dict[str, Group] = {}
    order: list[str] = []
    key: str | None
    for c in report.commitments:
        key = home(c.section_key) or c.section_key
        group = by_home.get(key)
        if group is None:
            section = sections[key]
            part = sections.get(section.parent_key) if section.parent_key else None
            group = by_home[key] = Group(section=section, part=part, commitments=[], set_asides=[])
            order.append(key)
        group.commitments.append(c)
    others: list[ParseWarning] = []
    for w in report.warnings:
        if not w.is_set_aside:
            continue
        key = home(w.section_key)
        if key is not None and key in by_home:
            by_home[key].set_asides.append(w)
        else:
            others.append(w)
    groups = [by_home[k] for k in sorted(order, key=lambda k: sections[k].start)]

    existing = Report.objects.filter(place=report.place, year=report.year).first()
    return Preview(
        draft=draft,
        parsed=report,
        unapplied=outcome.unapplied,
        parts=parts,
        chapters=chapters,
        groups=groups,
        place_level_label=str(Report.PlaceLevel(report.place_level).label),
        other_set_asides=others,
        counts_by_kind=dict(Counter(c.kind for c in report.commitments)),
        set_asides_by_code=dict(Counter(w.code for w in report.warnings if w.is_set_aside)),
        notes=[w for w in report.warnings if not w.is_set_aside],
        existing=existing,
        diff=ledger_diff(existing, report) if existing is not None else None,
    )


def import_parse(draft: ReportImport) -> ParsedReport:
    """The draft's file as the parser reads it with the place and year the office stated.
    Raises ReportFormatError as parse_report does."""
    return parse_report(bytes(draft.source), place=draft.place or None, year=draft.year)


def open_imports() -> list[ReportImport]:
    return list(
        ReportImport.objects.filter(state=ReportImport.State.DRAFT).select_related("created_by")
    )


def recent_imports(limit: int = 20) -> list[ReportImport]:
    return list(
        ReportImport.objects.exclude(state=ReportImport.State.DRAFT).select_related(
            "created_by", "report"
        )[:limit]
    )
