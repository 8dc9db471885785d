"""Reads for the dashboard and the public page: where the ledger stands on a day.

Everything is rebuilt from the append-only updates through selectors.commitment_states,
so the same figures come out for today or for any past day, and the number of queries
does not depend on how many commitments there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from commitments.models import Commitment, Report, Section, Target
from commitments.rules import Rag, StatusResult, TargetInput, target_fraction
from commitments.selectors.sections import chapter_labels, chapter_of
from commitments.selectors.states import CommitmentState, commitment_states, readings_on


@dataclass
class Group:
    """A row of "progress by chapter / by department"."""

    key: str
    name: str
    ledger_query: str = ""  # what the ledger filters by to list the row's items
    total: int = 0
    weight: int = 0
    weighted_percent: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Rag.SHOWN_ORDER, 0))

    def add(self, status: StatusResult, weight: int) -> None:
        self.total += 1
        self.weight += weight
        self.weighted_percent += status.percent * weight
        self.counts[status.rag] += 1

    @property
    def percent(self) -> float:
        return round(self.weighted_percent / self.weight, 1) if self.weight else 0.0

    @property
    def segments(self) -> list[tuple[str, int, float]]:
        """(rag, count, share of the row in %) for a stacked bar."""
        return [
            (rag, n, round(100 * n / self.total, 2))
            for rag, n in self.counts.items()
            if n and self.total
        ]


@dataclass
class TargetRow:
    target: Target
    reading: Decimal | None
    fraction: float | None  # 0..1, None when it cannot be measured

    @property
    def percent(self) -> float | None:
        return None if self.fraction is None else round(100 * self.fraction, 1)


@dataclass
class ItemRow:
    commitment: Commitment
    state: CommitmentState
    targets: list[TargetRow] = field(default_factory=list)
    basis: str = "claimed"

    @property
    def shown(self) -> StatusResult:
        return self.state.basis(self.basis)


@dataclass
class Dashboard:
    report: Report
    day: dt.date
    total: int
    by_rag: list[tuple[str, str, int, float]]  # rag, label, count, share %
    percent: float
    verified_completed: int
    chapters: list[Group]
    departments: list[Group]
    matters: list[ItemRow]
    pollution: list[ItemRow]
    overdue: list[ItemRow]
    stale: list[ItemRow]

    overdue_total: int = 0
    stale_total: int = 0
    basis: str = "claimed"
    claimed_pending: int = 0  # 申报完成·待审核: claimed, not yet accepted
    unacknowledged: list[ItemRow] = field(default_factory=list)  # 未签收 past the allowed days
    unacknowledged_total: int = 0

    @property
    def claimed_done(self) -> int:
        """Every completion claimed: verified_completed + claimed_pending."""
        return self.verified_completed + self.claimed_pending

    # 十件实事 in the whole report, whether or not the viewer's unit runs any: "none here"
    # and "none in the report" are different answers.
    matters_in_report: int = 0

    @property
    def stale_days(self) -> int:
        return settings.STALE_AFTER_DAYS

    @property
    def donut(self) -> list[tuple[str, str, str, str]]:
        """(rag, dash, gap, offset) on a circle of circumference 100, for the SVG ring;
        formatted with a dot whatever the locale, since they go into SVG attributes."""
        out, offset = [], 0.0
        for rag, _label, n, share in self.by_rag:
            if n:
                out.append((rag, f"{share:.2f}", f"{100 - share:.2f}", f"{-offset:.2f}"))
                offset += share
        return out


def _target_rows(targets: list[Target], readings: dict[int, Decimal]) -> list[TargetRow]:
    rows = []
    for t in targets:
        reading = readings.get(t.pk)
        fraction = target_fraction(TargetInput.of(t, reading))
        rows.append(TargetRow(target=t, reading=reading, fraction=fraction))
    return rows


def dashboard_build(
    *,
    report: Report,
    commitments: QuerySet[Commitment],
    day: dt.date,
    list_limit: int = 15,
    verified_only: bool = False,
    basis: str = "claimed",
) -> Dashboard:
    """The dashboard of ``report`` restricted to ``commitments`` (what the viewer may see,
    or the public ones), as of ``day``. A fixed number of queries.

    ``verified_only`` (the public page) shows what the supervision office has accepted,
    never a department's unreviewed claim. ``basis`` chooses the figures the lamps and
    percentages count by for the staff (``verified`` for leaders first, or ``claimed``, where
    an unreviewed completion counts as 申报完成·待审核, never as done)."""
    qs = commitments.filter(report=report)
    states = commitment_states(qs, day=day)
    if verified_only:
        states = {
            pk: replace(
                s,
                status=s.verified,
                claimed_status=s.verified_status,
                last_update_as_of=s.last_verified_as_of,
            )
            for pk, s in states.items()
        }
    rows = list(qs.select_related("lead_unit").order_by("seq"))
    sections = {s.pk: s for s in Section.objects.filter(report=report)}

    by_rag = dict.fromkeys(Rag.SHOWN_ORDER, 0)
    weight_total, weighted = 0, 0.0
    chapters: dict[str, Group] = {}
    departments: dict[str, Group] = {}
    verified_completed = claimed_pending = 0
    chapter_names = chapter_labels(sections.values())
    shown = {pk: s.basis(basis) for pk, s in states.items()}
    for c in rows:
        state, status = states[c.pk], shown[c.pk]
        by_rag[status.rag] += 1
        weight_total += c.weight
        weighted += status.percent * c.weight
        if state.verified.is_done:
            verified_completed += 1
        elif state.claim_pending:
            claimed_pending += 1
        section = sections.get(c.section_id)
        chapter = chapter_of(section, sections)
        if c.kind == Commitment.Kind.MAIN_TARGET:
            key, name, query = "main", str(_("主要预期目标")), "kind=main_target"
        elif chapter is not None:
            key, name, query = str(chapter.pk), chapter_names[chapter.pk], f"chapter={chapter.pk}"
        elif section is not None and section.level == Section.Level.PART:
            # A sentence of a part's preamble (三、加强政府自身建设 …) goes under its part,
            # not under an anonymous "其他".
            key, name, query = f"part{section.pk}", str(section), ""
        else:
            key, name, query = "other", str(_("其他")), ""
        chapters.setdefault(key, Group(key=key, name=name, ledger_query=query)).add(
            status, c.weight
        )
        if c.lead_unit is not None:
            dkey, dname = str(c.lead_unit_id), c.lead_unit.name
        else:
            dkey, dname = "none", str(_("（未分配）"))
        departments.setdefault(dkey, Group(key=dkey, name=dname)).add(status, c.weight)

    total = len(rows)
    panel = [
        c for c in rows if c.kind in (Commitment.Kind.PRACTICAL_MATTER, Commitment.Kind.POLLUTION)
    ]
    targets_by_c: dict[int, list[Target]] = defaultdict(list)
    panel_targets = list(
        Target.objects.filter(commitment_id__in=[c.pk for c in panel]).order_by(
            "commitment_id", "order"
        )
    )
    for t in panel_targets:
        targets_by_c[t.commitment_id].append(t)
    readings = readings_on(
        [t.pk for t in panel_targets if t.is_measurable],
        day,
        verified_only=verified_only or basis == "verified",
    )

    def item(c: Commitment) -> ItemRow:
        return ItemRow(
            c, states[c.pk], _target_rows(targets_by_c.get(c.pk, []), readings), basis=basis
        )

    matters = sorted(
        (item(c) for c in panel if c.kind == Commitment.Kind.PRACTICAL_MATTER),
        key=lambda r: r.commitment.matter_number or 0,
    )
    pollution = [
        item(c) for c in panel if c.kind == Commitment.Kind.POLLUTION and targets_by_c.get(c.pk)
    ]
    overdue = sorted(
        (ItemRow(c, states[c.pk], basis=basis) for c in rows if shown[c.pk].rag == Rag.RED),
        key=lambda r: -r.shown.overdue_days,
    )
    stale = sorted(
        (
            ItemRow(c, states[c.pk], basis=basis)
            for c in rows
            if shown[c.pk].stale and shown[c.pk].is_open
        ),
        key=lambda r: r.state.last_update_as_of or dt.date.min,
    )
    unacknowledged = sorted(
        (ItemRow(c, states[c.pk], basis=basis) for c in rows if states[c.pk].acknowledge_late),
        key=lambda r: r.state.unacknowledged_since or dt.date.min,
    )

    chapter_groups = sorted(chapters.values(), key=lambda g: _chapter_sort(g, sections))
    department_groups = sorted(departments.values(), key=lambda g: (-g.total, g.name))
    return Dashboard(
        report=report,
        day=day,
        total=total,
        by_rag=[
            (rag, str(Rag.labels[rag]), n, round(100 * n / total, 2) if total else 0.0)
            for rag, n in by_rag.items()
        ],
        percent=round(weighted / weight_total, 1) if weight_total else 0.0,
        verified_completed=verified_completed,
        chapters=chapter_groups,
        departments=department_groups,
        matters=matters,
        pollution=pollution,
        overdue=overdue[:list_limit],
        stale=stale[:list_limit],
        overdue_total=len(overdue),
        stale_total=len(stale),
        basis=basis,
        claimed_pending=claimed_pending,
        unacknowledged=unacknowledged[:list_limit],
        unacknowledged_total=len(unacknowledged),
        matters_in_report=Commitment.objects.filter(
            report=report, kind=Commitment.Kind.PRACTICAL_MATTER
        ).count(),
    )


def _chapter_sort(group: Group, sections: dict[int, Section]) -> tuple:
    if group.key == "main":
        return (0, 0)
    if group.key == "other":
        return (2, 0)
    return (1, sections[int(group.key.removeprefix("part"))].start)
