"""How a chapter of a report is named on every screen, export and email.

A chapter is named by its label and title, "（一）激发需求潜力…". Where chapters of more
than one part of the same report share a label (二（一） and 三（一）), the part's number
goes in front: "二（一）激发需求潜力…". A label the title repeats is said once. The dashboard, the ledger and its filter,
the commitment page, the XLSX/CSV export and the summaries all name chapters here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from commitments.models import Commitment, Report, Section


def chapter_labels(sections: Iterable[Section]) -> dict[int, str]:
    """The name of every chapter among ``sections`` (all the sections of its report, so
    that its part is there too), by section id.

    A label the title already says is not said twice (十件实事 · 办好…“十件实事” is named by
    its title), and the part goes in front only of a label that chapters of another part
    share: "二（一）…" but never "二十件实事…", which would read as "twenty matters"."""
    by_id = {s.pk: s for s in sections}
    chapters = [s for s in by_id.values() if s.level == Section.Level.CHAPTER]
    parts_of_label: dict[tuple[int, str], set[int | None]] = defaultdict(set)
    for ch in chapters:
        parts_of_label[(ch.report_id, ch.label)].add(ch.parent_id)
    labels: dict[int, str] = {}
    for ch in chapters:
        name = ch.title if ch.label and ch.label in ch.title else f"{ch.label}{ch.title}"
        part = by_id.get(ch.parent_id) if ch.parent_id is not None else None
        repeats = len(parts_of_label[(ch.report_id, ch.label)]) > 1
        if repeats and ch.label and part is not None and part.label:
            name = part.label.rstrip("、.．") + name
        labels[ch.pk] = name
    return labels


def report_chapter_labels(*reports: Report | int) -> dict[int, str]:
    """``chapter_labels`` of these reports (one query)."""
    ids = [r if isinstance(r, int) else r.pk for r in reports]
    return chapter_labels(
        Section.objects.filter(report_id__in=ids).only(
            "pk", "report_id", "parent_id", "level", "label", "title"
        )
    )


def chapter_of(section: Section | None, by_id: dict[int, Section]) -> Section | None:
    """The chapter a section belongs to (itself if it is one); None above chapter level."""
    while section is not None and section.level == Section.Level.TOPIC:
        section = by_id.get(section.parent_id) if section.parent_id is not None else None
    if section is not None and section.level == Section.Level.CHAPTER:
        return section
    return None


def section_label(section: Section, labels: dict[int, str]) -> str:
    """A chapter's name from ``labels``; any other section by its own label and title."""
    return labels.get(section.pk, str(section))


def chapters_with_commitments(report: Report | int) -> list[tuple[int, str]]:
    """(section id, name) of the chapters of ``report`` that hold commitments (directly or
    through their topics), in report order: what a chapter filter offers. The review part
    (一年来工作回顾) holds none, and a choice that always gives nothing is no choice."""
    report_id = report if isinstance(report, int) else report.pk
    sections = list(
        Section.objects.filter(report_id=report_id)
        .only("pk", "report_id", "parent_id", "level", "label", "title", "start")
        # a probe of the commitments' section index per section, not a scan of the report
        .annotate(
            holds=Exists(Commitment.objects.filter(report_id=report_id, section_id=OuterRef("pk")))
        )
        .order_by("start")
    )
    used = {s.pk for s in sections if s.holds}
    by_id: dict[int, Section] = {s.pk: s for s in sections}
    holding = {ch.pk for sid in used if (ch := chapter_of(by_id.get(sid), by_id)) is not None}
    names = chapter_labels(sections)
    return [(s.pk, names[s.pk]) for s in sections if s.pk in holding]
