"""Reads of the supervision cycle: an item's 督办记录 (acknowledgements, extensions, urging
notices, instructions, closures) as one timeline; what waits in a person's inbox; the
urging notices the rules propose (建议催办); notices counted per unit (for 考评)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from commitments import clock
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    Department,
    ExtensionRequest,
    Instruction,
    Report,
    UrgingNotice,
)
from commitments.rules import UrgingLevel, urging_level
from commitments.selectors.states import CommitmentState, commitment_states


@dataclass
class Event:
    """One line of an item's 督办记录."""

    when: dt.datetime
    kind: str  # assigned / acknowledged / extension_asked / extension_decided / urged /
    # urging_answered / instructed / instruction_answered / closed / reopened
    obj: Any
    who: Any = None


@dataclass
class ItemWorkflow:
    acknowledgements: list[Acknowledgement]  # standing ones (one per unit on the item)
    extensions: list[ExtensionRequest]
    pending_extension: ExtensionRequest | None
    notices: list[UrgingNotice]
    instructions: list[Instruction]
    closure: Closure | None  # standing
    events: list[Event]

    @property
    def open_notices(self) -> list[UrgingNotice]:
        return [n for n in self.notices if n.state == UrgingNotice.State.OPEN]

    @property
    def unanswered_instructions(self) -> list[Instruction]:
        return [i for i in self.instructions if i.response_update_id is None]


def item_workflow(commitment: Commitment) -> ItemWorkflow:
    acks = list(
        Acknowledgement.objects.filter(commitment=commitment)
        .select_related("department", "assigned_by", "acknowledged_by")
        .order_by("assigned_at", "id")
    )
    extensions = list(
        ExtensionRequest.objects.filter(commitment=commitment).select_related(
            "requested_by", "decided_by"
        )
    )
    notices = list(
        UrgingNotice.objects.filter(commitment=commitment).select_related(
            "department", "issued_by", "answered_by", "answer_update"
        )
    )
    instructions = list(
        Instruction.objects.filter(commitment=commitment).select_related(
            "author", "response_update", "response_update__author"
        )
    )
    closures = list(
        Closure.objects.filter(commitment=commitment).select_related(
            "closed_by", "reopened_by", "update"
        )
    )
    events: list[Event] = []
    for a in acks:
        events.append(Event(a.assigned_at, "assigned", a, a.assigned_by))
        if a.acknowledged_at:
            events.append(Event(a.acknowledged_at, "acknowledged", a, a.acknowledged_by))
    for e in extensions:
        events.append(Event(e.requested_at, "extension_asked", e, e.requested_by))
        if e.decided_at:
            events.append(Event(e.decided_at, "extension_decided", e, e.decided_by))
    for n in notices:
        events.append(Event(n.issued_at, "urged", n, n.issued_by))
        if n.answered_at:
            events.append(Event(n.answered_at, "urging_answered", n, n.answered_by))
    for i in instructions:
        events.append(Event(i.created_at, "instructed", i, i.author))
        if i.responded_at:
            assert i.response_update is not None  # responded_at is set with the update
            events.append(
                Event(i.responded_at, "instruction_answered", i, i.response_update.author)
            )
    for c in closures:
        events.append(Event(c.closed_at, "closed", c, c.closed_by))
        if c.reopened_at:
            events.append(Event(c.reopened_at, "reopened", c, c.reopened_by))
    events.sort(key=lambda e: e.when, reverse=True)
    return ItemWorkflow(
        acknowledgements=[a for a in acks if a.superseded_at is None],
        extensions=extensions,
        pending_extension=next(
            (e for e in extensions if e.state == ExtensionRequest.State.PENDING), None
        ),
        notices=notices,
        instructions=instructions,
        closure=next((c for c in closures if c.reopened_at is None), None),
        events=events,
    )


# -- a person's inbox -------------------------------------------------------------------------


@dataclass
class InboxWork:
    to_acknowledge: list[Acknowledgement] = field(default_factory=list)
    open_notices: list[UrgingNotice] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)  # unanswered, on my units' items
    my_extensions: list[ExtensionRequest] = field(default_factory=list)
    pending_extensions: list[ExtensionRequest] = field(default_factory=list)  # office: to decide
    answered_notices: list[UrgingNotice] = field(default_factory=list)  # office: recent replies

    @property
    def count(self) -> int:
        return len(self.to_acknowledge) + len(self.open_notices) + len(self.pending_extensions)


def inbox_work(*, department_ids: frozenset[int], supervisor: bool) -> InboxWork:
    """What waits for someone in these units (and, for the office, for the office)."""
    work = InboxWork()
    units = list(department_ids)
    if units:
        work.to_acknowledge = list(
            Acknowledgement.objects.filter(
                department_id__in=units, acknowledged_at__isnull=True, superseded_at__isnull=True
            )
            .select_related("commitment", "department", "assigned_by")
            .order_by("assigned_at")
        )
        work.open_notices = list(
            UrgingNotice.objects.filter(department_id__in=units, state=UrgingNotice.State.OPEN)
            .select_related("commitment", "department", "issued_by")
            .order_by("reply_by", "id")
        )
        work.instructions = list(
            Instruction.objects.filter(
                commitment__lead_unit_id__in=units, response_update__isnull=True
            )
            .select_related("commitment", "author")
            .order_by("-created_at")[:50]
        )
        work.my_extensions = list(
            ExtensionRequest.objects.filter(commitment__lead_unit_id__in=units)
            .select_related("commitment", "requested_by", "decided_by")
            .order_by("-requested_at")[:20]
        )
    if supervisor:
        work.pending_extensions = list(
            ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING)
            .select_related("commitment", "requested_by", "commitment__lead_unit")
            .order_by("requested_at")
        )
        work.answered_notices = list(
            UrgingNotice.objects.filter(state=UrgingNotice.State.ANSWERED)
            .select_related("commitment", "department", "answered_by", "answer_update")
            .order_by("-answered_at")[:10]
        )
    return work


def pending_extensions() -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING)


# -- 建议催办 ---------------------------------------------------------------------------------


@dataclass
class Proposal:
    commitment: Commitment
    state: CommitmentState
    level: str
    open_levels: list[str]  # colours of notices still waiting for an answer
    last_issued: dt.date | None


def urging_proposals(
    *, commitments: QuerySet[Commitment], day: dt.date | None = None
) -> list[Proposal]:
    """The urging notices the rules call for on ``day`` (the daily scan's 建议催办): open,
    assigned items whose colour (rules.urging_level) has no open notice of that colour or a
    stronger one. Nothing is sent: the office issues them."""
    day = day or clock.today()
    qs = commitments.filter(in_source=True, lead_unit__isnull=False)
    states = commitment_states(qs, day=day)
    levels = {
        pk: lvl
        for pk, st in states.items()
        if st.due_date is not None
        and (lvl := urging_level(status=st.shown, due_date=st.due_date, day=day)) is not None
    }
    open_by: dict[int, list[str]] = defaultdict(list)
    last: dict[int, dt.date] = {}
    for cid, level, state, issued_on in UrgingNotice.objects.filter(
        commitment_id__in=list(levels)
    ).values_list("commitment_id", "level", "state", "issued_on"):
        if state == UrgingNotice.State.OPEN:
            open_by[cid].append(level)
        last[cid] = max(last.get(cid, issued_on), issued_on)
    wanted = [
        pk
        for pk, lvl in levels.items()
        if not any(UrgingLevel.RANK[o] >= UrgingLevel.RANK[lvl] for o in open_by.get(pk, []))
    ]
    rows = {c.pk: c for c in Commitment.objects.filter(pk__in=wanted).select_related("lead_unit")}
    proposals = [
        Proposal(rows[pk], states[pk], levels[pk], sorted(open_by.get(pk, [])), last.get(pk))
        for pk in wanted
    ]
    proposals.sort(
        key=lambda p: (-UrgingLevel.RANK[p.level], -p.state.status.overdue_days, p.commitment.seq)
    )
    return proposals


# -- counts per unit (考评) ---------------------------------------------------------------------


@dataclass
class UnitUrging:
    department: Department
    blue: int = 0
    yellow: int = 0
    red: int = 0
    open: int = 0
    overdue_replies: int = 0  # open past their reply-by date

    @property
    def total(self) -> int:
        return self.blue + self.yellow + self.red


def urging_by_unit(*, report: Report | None = None, day: dt.date | None = None) -> list[UnitUrging]:
    """Notices per unit and colour (催办次数), with those still unanswered and those past
    their reply-by date: what the evaluation (考评) counts. Most urged first."""
    day = day or clock.today()
    qs = UrgingNotice.objects.all()
    if report is not None:
        qs = qs.filter(commitment__report=report)
    rows = qs.values("department_id", "level").annotate(
        n=Count("id"),
        open=Count("id", filter=Q(state=UrgingNotice.State.OPEN)),
        late=Count("id", filter=Q(state=UrgingNotice.State.OPEN, reply_by__lt=day)),
    )
    units: dict[int, UnitUrging] = {}
    depts = Department.objects.in_bulk({r["department_id"] for r in rows})
    for r in rows:
        u = units.setdefault(r["department_id"], UnitUrging(depts[r["department_id"]]))
        setattr(u, r["level"], getattr(u, r["level"]) + r["n"])
        u.open += r["open"]
        u.overdue_replies += r["late"]
    return sorted(units.values(), key=lambda u: (-u.red, -u.total, u.department.name))


def notices_list(
    *, commitments: QuerySet[Commitment], report: Report | None = None
) -> QuerySet[UrgingNotice]:
    qs = UrgingNotice.objects.filter(commitment__in=commitments).select_related(
        "commitment", "department", "issued_by", "answered_by"
    )
    if report is not None:
        qs = qs.filter(commitment__report=report)
    return qs.order_by("-issued_at", "-id")
