"""How a chapter of a report is named on every screen, export and email.

A chapter is named by its label and title, "（一）激发需求潜力…". Where chapters of more
than one part of the same report would share a label (二（一） and 三（一）), the part's
number goes in front: "二（一）激发需求潜力…". The dashboard, the ledger and its filter,
the commitment page, the XLSX/CSV export and the summaries all name chapters here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from commitments.models import Report, Section


def chapter_labels(sections: Iterable[Section]) -> dict[int, str]:
    """The name of every chapter among ``sections`` (all the sections of its report, so
    that its part is there too), by section id."""
    by_id = {s.pk: s for s in sections}
    chapters = [s for s in by_id.values() if s.level == Section.Level.CHAPTER]
    parts: dict[int, set[int | None]] = defaultdict(set)
    for ch in chapters:
        parts[ch.report_id].add(ch.parent_id)
    labels: dict[int, str] = {}
    for ch in chapters:
        name = f"{ch.label}{ch.title}"
        part = by_id.get(ch.parent_id) if ch.parent_id is not None else None
        if len(parts[ch.report_id]) > 1 and ch.label and part is not None and part.label:
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
