"""A plain-text summary of a ParsedReport, to eyeball a parse (tests, the seed command)."""

from __future__ import annotations

from collections import Counter

from .types import ParsedReport

__all__ = ["counts", "summarise"]


def counts(report: ParsedReport) -> dict[str, Counter[str]]:
    """Commitments per part, per kind, per chapter (``"2.1"``, ``"2.S"``, ``"3.0"``)."""
    by_part: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_chapter: Counter[str] = Counter()
    for c in report.commitments:
        part, chapter = c.code.split("-")[1].split(".")
        by_part[part] += 1
        by_kind[c.kind] += 1
        by_chapter[f"{part}.{chapter}"] += 1
    return {"part": by_part, "kind": by_kind, "chapter": by_chapter}


def summarise(report: ParsedReport) -> str:
    c = counts(report)
    n_targets = sum(len(x.targets) for x in report.commitments)
    n_baselines = sum(1 for x in report.commitments for t in x.targets if t.baseline)
    lines = [
        f"{report.title} — {report.place} {report.year}, {report.encoding}, copies={report.copies}",
        f"sections={len(report.sections)} commitments={len(report.commitments)} "
        f"targets={n_targets} baselines={n_baselines} warnings={len(report.warnings)}",
        "by part:    " + ", ".join(f"{k}: {v}" for k, v in sorted(c["part"].items())),
        "by kind:    " + ", ".join(f"{k}: {v}" for k, v in c["kind"].most_common()),
        "by chapter: " + ", ".join(f"{k}: {v}" for k, v in sorted(c["chapter"].items())),
    ]
    lines += [f"warning: {w.message}" + (f" | {w.text}" if w.text else "") for w in report.warnings]
    return "\n".join(lines)
