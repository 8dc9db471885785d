"""Reads for the dashboard and the public page: where the ledger stands on a day.

Everything is rebuilt from the append-only updates through selectors.commitment_states,
so the same figures come out for today or for any past day, and the number of queries
does not depend on how many commitments there are.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from commitments import clock
from commitments.models import Commitment, Department, Report, Section, Target
from commitments.rules import Rag, StatusResult, TargetInput, target_fraction
from commitments.selectors.ledger import RAG_RANK, Current, current_states, fresh
from commitments.selectors.sections import chapter_labels, chapter_of
from commitments.selectors.states import CommitmentState, commitment_states, targets_read_on


@dataclass
class Group:
    """A row of "progress by chapter / by department"."""

    key: str
    name: str
    ledger_query: str = ""  # what the ledger filters by to list the row's items
    total: int = 0
    weight: int = 0
    weighted_tenths: int = 0  # Σ weight × percent, in tenths of a percent (exact)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Rag.SHOWN_ORDER, 0))

    def add(self, tally: Tally) -> None:
        self.total += tally.n
        self.weight += tally.weight
        self.weighted_tenths += tally.weighted_tenths
        self.counts[tally.rag] += tally.n

    @property
    def percent(self) -> float:
        return round(self.weighted_tenths / 10 / self.weight, 1) if self.weight else 0.0

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
    href: str = ""  # the item's page, where the screen links it (set by the view)

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
    # how many items the panels hold; they show the PANEL_LIMIT most urgent
    matters_total: int = 0
    pollution_total: int = 0

    def item_rows(self) -> list[ItemRow]:
        """Every item the board lists, in its panels and lists."""
        return [*self.matters, *self.pollution, *self.overdue, *self.stale, *self.unacknowledged]

    @property
    def claimed_done(self) -> int:
        """Every completion claimed: verified_completed + claimed_pending."""
        return self.verified_completed + self.claimed_pending

    # whether the report has 十件实事, whether or not the viewer's unit runs any: "none
    # here" and "none in the report" are different answers.
    report_has_matters: bool = False

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


def _target_rows(targets: list[Target]) -> list[TargetRow]:
    """Targets read by ``targets_read_on``; a qualitative target shows no reading."""
    rows = []
    for t in targets:
        reading = t.reading if t.is_measurable else None  # type: ignore[attr-defined]
        fraction = target_fraction(TargetInput.of(t, reading))
        rows.append(TargetRow(target=t, reading=reading, fraction=fraction))
    return rows


@dataclass(frozen=True)
class Tally:
    """Commitments of one kind-group, section, lead unit and lamp: how many, their weight and
    their weighted percent. The dashboard is assembled from these, whichever the source."""

    main: bool  # a main target (主要预期目标): grouped apart from the chapters
    section_id: int | None
    unit_id: int | None
    rag: str
    n: int
    weight: int
    weighted_tenths: int  # Σ weight × percent in tenths: integers, the same in any order


@dataclass
class _Facts:
    """What the dashboard needs beyond the tallies: the listed rows, in order, with totals."""

    tallies: list[Tally]
    overdue: list[int]
    overdue_total: int
    stale: list[int]
    stale_total: int
    unacknowledged: list[int]
    unacknowledged_total: int
    verified_completed: int
    claimed_pending: int
    states: dict[int, CommitmentState]
    # the panels (十件实事, pollution targets): by kind, the ids shown (the most urgent first,
    # at most PANEL_LIMIT) and how many there are
    panels: dict[str, tuple[list[int], int]] = field(default_factory=dict)


# A panel of the dashboard shows at most this many items (a report has ten 实事 and, in
# Anyang's case, 13 pollution items with targets); the rest are a click away in the ledger.
PANEL_LIMIT = 20
PANEL_KINDS: tuple[str, ...] = (
    str(Commitment.Kind.PRACTICAL_MATTER),
    str(Commitment.Kind.POLLUTION),
)


def _panel_filter(kind: str) -> Q:
    """The items of a panel: the practical matters; the pollution items that have targets."""
    if kind == Commitment.Kind.POLLUTION:
        return Q(kind=kind) & Q(Exists(Target.objects.filter(commitment=OuterRef("pk"))))
    return Q(kind=kind)


def _facts_current(
    qs: QuerySet[Commitment],
    p: str,
    limit: int,
    verified_only: bool,
    refresh: Callable[[QuerySet[Commitment]], Current],
) -> tuple[_Facts, Current] | None:
    """Today, from the stored current statuses: aggregates and the first rows of each list
    in SQL. The tallies carry the totals and the check that every row is current; only when
    some row is not does ``refresh`` (``services.status.status_refresh``) bring them up to
    date, and the tallies are taken again. None when rows are still not current (the
    refresh yielded to a concurrent one): they must not be counted."""
    rag = f"current__{p}rag"
    seen = "current__last_verified_as_of" if verified_only else "current__last_update_as_of"
    lists = {
        "overdue": (Q(**{rag: Rag.RED}), [F("due_date").asc(), F("seq").asc()]),
        "stale": (
            Q(**{f"current__{p}stale": True}),
            [F(seen).asc(nulls_first=True), F("seq").asc()],
        ),
        "unacknowledged": (
            Q(current__acknowledge_late=True),
            [F("current__unacknowledged_since").asc(nulls_first=True), F("seq").asc()],
        ),
    }
    counted = {
        **{name: q for name, (q, _order) in lists.items()},
        "verified_completed": Q(current__v_rag__in=Rag.DONE),
        "claimed_pending": Q(current__claim_pending=True),
    }
    day = clock.today()

    def tally_rows() -> list[dict]:
        return list(
            qs.order_by()
            .values("kind", "section_id", "lead_unit_id", rag)
            .annotate(
                n=Count("pk"),
                w=Sum("weight"),
                # in tenths of a percent, summed as integers: the same on every database
                # and in whatever order the rows come (percents have one decimal)
                wp=Sum(
                    F("weight") * Round(F(f"current__{p}percent") * 10),
                    output_field=IntegerField(),
                ),
                **{f"n_{name}": Count("pk", filter=q) for name, q in counted.items()},
                n_not_current=Count(
                    "pk", filter=~fresh(day, "current__") | Q(current__isnull=True)
                ),
            )
        )

    rows = tally_rows()
    current = Current(day=day, refreshed=0)
    if any(r["n_not_current"] for r in rows):
        current = refresh(qs)
        rows = tally_rows()
        if any(r["n_not_current"] for r in rows):
            return None
    tallies = [
        Tally(
            main=r["kind"] == Commitment.Kind.MAIN_TARGET,
            section_id=r["section_id"],
            unit_id=r["lead_unit_id"],
            rag=r[rag],
            n=r["n"],
            weight=r["w"] or 0,
            weighted_tenths=int(r["wp"] or 0),
        )
        for r in rows
    ]
    totals = {name: sum(r[f"n_{name}"] for r in rows) for name in counted}
    # a list or panel the tallies count as empty is not asked for
    listed = {
        name: list(qs.filter(q).order_by(*order).values_list("pk", flat=True)[:limit])
        if totals[name]
        else []
        for name, (q, order) in lists.items()
    }
    # both panels' items in one query, the most urgent of each chosen here, and how many
    # each holds: a panel's kind holds few items next to the report (ten 实事; the
    # pollution items that have targets)
    members: dict[str, list[tuple[int, int, int]]] = {kind: [] for kind in PANEL_KINDS}
    for pk, kind, seq, lamp in (
        qs.filter(reduce(operator.or_, (_panel_filter(kind) for kind in PANEL_KINDS)))
        .order_by()
        .values_list("pk", "kind", "seq", rag)
    ):
        members[kind].append((RAG_RANK.get(lamp, len(RAG_RANK)), seq, pk))
    panels = {
        kind: ([pk for _rank, _seq, pk in sorted(members[kind])[:PANEL_LIMIT]], len(members[kind]))
        for kind in PANEL_KINDS
    }
    facts = _Facts(
        tallies=tallies,
        overdue=listed["overdue"],
        overdue_total=totals["overdue"],
        stale=listed["stale"],
        stale_total=totals["stale"],
        unacknowledged=listed["unacknowledged"],
        unacknowledged_total=totals["unacknowledged"],
        verified_completed=totals["verified_completed"],
        claimed_pending=totals["claimed_pending"] if not verified_only else 0,
        states={},
        panels=panels,
    )
    return facts, current


def _facts_as_of(
    qs: QuerySet[Commitment], day: dt.date, basis: str, limit: int, verified_only: bool
) -> _Facts:
    """A past day, rebuilt from the history, tallied in Python."""
    states = commitment_states(qs, day=day)
    if verified_only:
        states = {pk: _verified_view(s) for pk, s in states.items()}
    shown = {pk: s.basis(basis) for pk, s in states.items()}
    groups: dict[tuple[bool, int | None, int | None, str], list[int]] = {}
    meta = list(
        qs.order_by("seq").values_list("pk", "kind", "section_id", "lead_unit_id", "weight")
    )
    for pk, kind, section_id, unit_id, weight in meta:
        status = shown[pk]
        g = groups.setdefault(
            (kind == Commitment.Kind.MAIN_TARGET, section_id, unit_id, status.rag), [0, 0, 0]
        )
        g[0] += 1
        g[1] += weight
        g[2] += weight * round(status.percent * 10)
    order = [pk for pk, *_rest in meta]
    with_targets = set(
        Target.objects.filter(commitment__in=qs).order_by().values_list("commitment_id", flat=True)
    )
    panels: dict[str, tuple[list[int], int]] = {}
    for panel_kind in PANEL_KINDS:
        members = [
            pk
            for pk, kind, *_rest in meta
            if kind == panel_kind
            and (panel_kind != Commitment.Kind.POLLUTION or pk in with_targets)
        ]
        urgent = sorted(members, key=lambda pk: RAG_RANK.get(shown[pk].rag, len(RAG_RANK)))
        panels[panel_kind] = (urgent[:PANEL_LIMIT], len(members))
    overdue = sorted(
        (pk for pk in order if shown[pk].rag == Rag.RED), key=lambda pk: -shown[pk].overdue_days
    )
    stale = sorted(
        (pk for pk in order if shown[pk].stale and shown[pk].is_open),
        key=lambda pk: states[pk].last_update_as_of or dt.date.min,
    )
    unacknowledged = sorted(
        (pk for pk in order if states[pk].acknowledge_late),
        key=lambda pk: states[pk].unacknowledged_since or dt.date.min,
    )
    return _Facts(
        tallies=[
            Tally(main, section_id, unit_id, rag, n, w, wp)
            for (main, section_id, unit_id, rag), (n, w, wp) in groups.items()
        ],
        overdue=overdue[:limit],
        overdue_total=len(overdue),
        stale=stale[:limit],
        stale_total=len(stale),
        unacknowledged=unacknowledged[:limit],
        unacknowledged_total=len(unacknowledged),
        verified_completed=sum(1 for s in states.values() if s.verified.is_done),
        claimed_pending=sum(1 for s in states.values() if s.claim_pending),
        states=states,
        panels=panels,
    )


def _verified_view(s: CommitmentState) -> CommitmentState:
    """What the public sees: the accepted figures only, never a unit's unreviewed claim."""
    return replace(
        s,
        status=s.verified,
        claimed_status=s.verified_status,
        last_update_as_of=s.last_verified_as_of,
    )


def dashboard_build(
    *,
    report: Report,
    commitments: QuerySet[Commitment],
    day: dt.date,
    list_limit: int = 15,
    verified_only: bool = False,
    basis: str = "claimed",
    refresh: Callable[[QuerySet[Commitment]], Current] | None = None,
) -> Dashboard:
    """The dashboard of ``report`` restricted to ``commitments`` (what the viewer may see,
    or the public ones), as of ``day``. A fixed number of queries.

    For today (the ledger's today), given ``refresh`` (``services.status.status_refresh``,
    called only when some stored status is not current), the counts and lists come from the
    stored statuses, aggregated in SQL; a past day, no ``refresh``, or rows a refresh left
    behind, are rebuilt from the append-only history. The same figures come out either way (tested).

    ``verified_only`` (the public page) shows what the supervision office has accepted,
    never a department's unreviewed claim. ``basis`` chooses the figures the lamps and
    percentages count by for the staff (``verified`` for leaders first, or ``claimed``, where
    an unreviewed completion counts as 申报完成·待审核, never as done)."""
    qs = commitments.filter(report=report)
    if verified_only:
        basis = "verified"
    today: Current | None = None
    stored = None
    if refresh is not None and day == clock.today():
        stored = _facts_current(
            qs, "v_" if basis == "verified" else "", list_limit, verified_only, refresh
        )
    if stored is not None:
        facts, today = stored
    else:
        facts = _facts_as_of(qs, day, basis, list_limit, verified_only)
    sections = {s.pk: s for s in Section.objects.filter(report=report)}
    chapter_names = chapter_labels(sections.values())
    units = dict(Department.objects.values_list("pk", "name"))

    by_rag = dict.fromkeys(Rag.SHOWN_ORDER, 0)
    weight_total, weighted = 0, 0
    chapters: dict[str, Group] = {}
    departments: dict[str, Group] = {}
    for tally in facts.tallies:
        by_rag[tally.rag] += tally.n
        weight_total += tally.weight
        weighted += tally.weighted_tenths
        section = sections.get(tally.section_id) if tally.section_id is not None else None
        chapter = chapter_of(section, sections)
        if tally.main:
            key, name, query = "main", str(_("主要预期目标")), "kind=main_target"
        elif chapter is not None:
            key, name, query = str(chapter.pk), chapter_names[chapter.pk], f"chapter={chapter.pk}"
        elif section is not None and section.level == Section.Level.PART:
            # A sentence of a part's preamble (三、加强政府自身建设 …) goes under its part,
            # not under an anonymous "其他".
            key, name, query = f"part{section.pk}", str(section), ""
        else:
            key, name, query = "other", str(_("其他")), ""
        chapters.setdefault(key, Group(key=key, name=name, ledger_query=query)).add(tally)
        if tally.unit_id is not None:
            dkey, dname = str(tally.unit_id), units[tally.unit_id]
        else:
            dkey, dname = "none", str(_("（未分配）"))
        departments.setdefault(dkey, Group(key=dkey, name=dname)).add(tally)
    total = sum(by_rag.values())

    panel_ids = {pk for ids, _n in facts.panels.values() for pk in ids}
    listed_ids = {*facts.overdue, *facts.stale, *facts.unacknowledged}
    # the panels' and the lists' items in one query (none when there are none: an empty
    # pk__in asks the database nothing)
    listed = {c.pk: c for c in qs.filter(pk__in=panel_ids | listed_ids).select_related("lead_unit")}
    panel = sorted((listed[pk] for pk in panel_ids), key=lambda c: c.seq)
    states = facts.states
    need = [pk for pk in listed if pk not in states]
    if need:
        got = (
            current_states(need, today)
            if today is not None
            else commitment_states(Commitment.objects.filter(pk__in=need), day=day)
        )
        if verified_only:
            got = {pk: _verified_view(s) for pk, s in got.items()}
        states = {**states, **got}

    targets_by_c: dict[int, list[Target]] = defaultdict(list)
    for t in targets_read_on(
        [c.pk for c in panel], day, verified_only=verified_only or basis == "verified"
    ):
        targets_by_c[t.commitment_id].append(t)

    def item(c: Commitment) -> ItemRow:
        return ItemRow(c, states[c.pk], _target_rows(targets_by_c.get(c.pk, [])), basis=basis)

    def rows(ids: list[int]) -> list[ItemRow]:
        return [ItemRow(listed[pk], states[pk], basis=basis) for pk in ids]

    matters = sorted(
        (item(c) for c in panel if c.kind == Commitment.Kind.PRACTICAL_MATTER),
        key=lambda r: r.commitment.matter_number or 0,
    )
    pollution = [
        item(c) for c in panel if c.kind == Commitment.Kind.POLLUTION and targets_by_c.get(c.pk)
    ]
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
        percent=round(weighted / 10 / weight_total, 1) if weight_total else 0.0,
        verified_completed=facts.verified_completed,
        chapters=chapter_groups,
        departments=department_groups,
        matters=matters,
        pollution=pollution,
        overdue=rows(facts.overdue),
        stale=rows(facts.stale),
        overdue_total=facts.overdue_total,
        stale_total=facts.stale_total,
        basis=basis,
        claimed_pending=facts.claimed_pending,
        unacknowledged=rows(facts.unacknowledged),
        unacknowledged_total=facts.unacknowledged_total,
        matters_total=facts.panels[Commitment.Kind.PRACTICAL_MATTER][1],
        pollution_total=facts.panels[Commitment.Kind.POLLUTION][1],
        # asked only when the viewer sees none of them
        report_has_matters=bool(matters)
        or Commitment.objects.filter(report=report, kind=Commitment.Kind.PRACTICAL_MATTER).exists(),
    )


def _chapter_sort(group: Group, sections: dict[int, Section]) -> tuple:
    if group.key == "main":
        return (0, 0)
    if group.key == "other":
        return (2, 0)
    return (1, sections[int(group.key.removeprefix("part"))].start)
