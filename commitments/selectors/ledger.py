"""Reads for the ledger (台账): which commitments a filtered view lists, in what order, with
the lamp counts above it.

Two sources, one meaning:
- today: the stored current status (``models.CommitmentStatus``), so filtering, counting,
  sorting and paging run in SQL whatever the size of the report (rows that are not current
  are brought up to date first, by ``services.status.status_refresh``);
- a past day: the states rebuilt from the append-only history (``commitment_states``),
  filtered and sorted in Python by the same columns (``status_values``).
A test holds the two to the same answer for every filter and sort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from commitments import clock
from commitments.models import Commitment, Department, StatusSnapshot
from commitments.rules import Rag
from commitments.selectors.states import CommitmentState, commitment_states
from commitments.selectors.units import pinyin_key


def rules_key() -> str:
    """The settings the rules were applied under: a row computed under others is stale."""
    return (
        f"{settings.RAG_TOLERANCE_PERCENT}/{settings.STALE_AFTER_DAYS}/"
        f"{settings.ACKNOWLEDGE_WITHIN_DAYS}"
    )


def fresh(day: dt.date, prefix: str = "") -> Q:
    """A stored status that is current on ``day``: computed at its latest stamp, under
    today's settings, for a day up to ``day``, and valid until at least ``day``."""
    return Q(
        **{
            f"{prefix}fresh_stamp": F(f"{prefix}stamp"),
            f"{prefix}rules_key": rules_key(),
            f"{prefix}computed_for__lte": day,
        }
    ) & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": day}))


@dataclass(frozen=True)
class Current:
    """Proof that the stored statuses of a set of commitments were brought up to ``day`` (the
    ledger's today): the readers of the rows ask for one, so none can forget the refresh."""

    day: dt.date
    refreshed: int  # rows recomputed to give it


def current_states(ids: Sequence[int], current: Current) -> dict[int, CommitmentState]:
    """Today's full states of these commitments read from their stored rows: the snapshot
    carried to the day (``CommitmentState.from_snapshot``), no rules run. A row never
    computed (its refresh yielded to a concurrent one) is computed from the history."""
    states = {
        pk: CommitmentState.from_snapshot(snapshot, current.day)
        for pk, snapshot in StatusSnapshot.objects.filter(status_id__in=ids).values_list(
            "pk", "snapshot"
        )
    }
    missing = [pk for pk in ids if pk not in states]
    if missing:
        states.update(commitment_states(Commitment.objects.filter(pk__in=missing), day=current.day))
    return states


def status_values(state: CommitmentState) -> dict[str, Any]:
    """The one mapping from the rules' answer to what the ledger filters, counts and sorts
    by: the columns of the stored current status, and the keys of the as-of rows."""
    shown, verified = state.shown, state.verified
    return {
        "rag": shown.rag,
        "percent": shown.percent,
        "overdue": shown.overdue_days > 0 and shown.is_open,
        "stale": shown.stale and shown.is_open,
        "v_rag": verified.rag,
        "v_percent": verified.percent,
        "v_overdue": verified.overdue_days > 0 and verified.is_open,
        "v_stale": verified.stale and verified.is_open,
        "claim_pending": state.claim_pending,
        "acknowledge_late": state.acknowledge_late,
        "unacknowledged_since": state.unacknowledged_since,
        "last_update_as_of": state.last_update_as_of,
        "last_verified_as_of": state.last_verified_as_of,
    }


@dataclass(frozen=True)
class LedgerWant:
    """What the filter form asks for beyond the database filters."""

    basis: str = "claimed"  # or "verified"
    overdue: bool = False
    stale: bool = False
    rags: frozenset[str] = frozenset()
    sort: str = "code"

    @property
    def prefix(self) -> str:
        return "v_" if self.basis == "verified" else ""


# Sort orders: (key, descending) pairs; "p:" keys are status columns of the chosen basis.
SORTS: dict[str, list[tuple[str, bool]]] = {
    "code": [("seq", False)],
    "due": [("due_date", False), ("seq", False)],
    "percent": [("p:percent", True), ("seq", False)],
    "-percent": [("p:percent", False), ("seq", False)],
    "rag": [("rag_rank", False), ("seq", False)],
    "unit": [("unit_rank", False), ("seq", False)],
}


# The lamps by urgency (Rag.SHOWN_ORDER: what needs attention first), in Python and in SQL.
RAG_RANK = {rag: i for i, rag in enumerate(Rag.SHOWN_ORDER)}


def rag_rank(field: str) -> Case:
    """The urgency rank of the lamp stored in ``field`` (a status column), for ORDER BY."""
    return Case(
        *(When(**{field: rag}, then=Value(i)) for rag, i in RAG_RANK.items()),
        default=Value(len(RAG_RANK)),
        output_field=IntegerField(),
    )


class CountedIds(Sequence[int]):
    """An ordered queryset of ids whose length is already known (from the lamp counts), so
    that paging it costs one query, not two."""

    def __init__(self, qs: QuerySet[Commitment, int], total: int) -> None:
        self.qs, self.total = qs, total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        return list(self.qs[index]) if isinstance(index, slice) else self.qs[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self.qs)


@dataclass
class LedgerSelection:
    ids: Sequence[int]  # every matching commitment, in display order
    counts: dict[str, int] = field(default_factory=dict)  # by shown lamp, before the lamp filter
    verified_done: int = 0
    claimed_pending: int = 0
    unacknowledged: int = 0


def _unit_ranks() -> dict[int, int]:
    units = sorted(Department.objects.values_list("pk", "name"), key=lambda u: pinyin_key(u[1]))
    return {pk: i for i, (pk, _name) in enumerate(units)}


def ledger_current(
    qs: QuerySet[Commitment], want: LedgerWant, refresh: Callable[[QuerySet[Commitment]], Current]
) -> tuple[LedgerSelection, Current]:
    """Today's ledger from the stored statuses: a fixed number of queries, the work in SQL.

    The lamp counts and the check that every row of ``qs`` is current are one query; only
    when some row is not does ``refresh`` (``services.status.status_refresh``) bring them up
    to date, and the counts are taken again."""
    p = f"current__{want.prefix}"
    where = Q()
    if want.overdue:
        where &= Q(**{f"{p}overdue": True})
    if want.stale:
        where &= Q(**{f"{p}stale": True})
    counts = {
        **{
            f"n_{rag}": Count("pk", filter=where & Q(**{f"{p}rag": rag})) for rag in Rag.SHOWN_ORDER
        },
        "verified_done": Count("pk", filter=where & Q(current__v_rag__in=Rag.DONE)),
        "claimed_pending": Count("pk", filter=where & Q(current__claim_pending=True)),
        "unacknowledged": Count("pk", filter=where & Q(current__acknowledge_late=True)),
    }
    day = clock.today()
    totals = qs.aggregate(
        **counts, not_current=Count("pk", filter=~fresh(day, "current__") | Q(current__isnull=True))
    )
    current = Current(day=day, refreshed=0)
    if totals["not_current"]:
        current = refresh(qs)
        totals = qs.aggregate(**counts)
    qs = qs.filter(where)
    if want.rags:
        qs = qs.filter(**{f"{p}rag__in": sorted(want.rags)})
    order = []
    for key, desc in SORTS.get(want.sort, SORTS["code"]):
        if key == "rag_rank":
            qs = qs.annotate(rag_rank=rag_rank(f"{p}rag"))
        elif key == "unit_rank":
            ranks = _unit_ranks()
            qs = qs.annotate(
                unit_rank=Case(
                    *(When(lead_unit_id=pk, then=Value(i)) for pk, i in ranks.items()),
                    default=Value(len(ranks)),
                    output_field=IntegerField(),
                )
            )
        name = f"{p}{key[2:]}" if key.startswith("p:") else key
        order.append(f"-{name}" if desc else name)
    by_rag = {rag: totals[f"n_{rag}"] for rag in Rag.SHOWN_ORDER}
    total = sum(n for rag, n in by_rag.items() if not want.rags or rag in want.rags)
    selection = LedgerSelection(
        ids=CountedIds(qs.order_by(*order).values_list("pk", flat=True), total),
        counts=by_rag,
        verified_done=totals["verified_done"],
        claimed_pending=totals["claimed_pending"],
        unacknowledged=totals["unacknowledged"],
    )
    return selection, current


def ledger_as_of(
    qs: QuerySet[Commitment], day: dt.date, want: LedgerWant
) -> tuple[LedgerSelection, dict[int, CommitmentState]]:
    """The ledger on a past day, rebuilt from the history; the same columns as the stored
    statuses, filtered and sorted in Python. Also returns the states it computed."""
    states = commitment_states(qs, day=day)
    pre = want.prefix
    ranks = _unit_ranks()
    rows: dict[int, dict[str, Any]] = {}
    for pk, seq, due, unit in qs.order_by().values_list("pk", "seq", "due_date", "lead_unit_id"):
        v = status_values(states[pk])
        rows[pk] = {
            **{f"p:{k[len(pre) :]}": val for k, val in v.items() if k.startswith(pre)},
            "all": v,
            "seq": seq,
            "due_date": due,
            "unit_rank": ranks.get(unit, len(ranks)) if unit is not None else len(ranks),
        }
        rows[pk]["rag_rank"] = RAG_RANK.get(rows[pk]["p:rag"], len(RAG_RANK))
    ids = list(rows)
    if want.overdue:
        ids = [pk for pk in ids if rows[pk]["p:overdue"]]
    if want.stale:
        ids = [pk for pk in ids if rows[pk]["p:stale"]]
    counts = dict.fromkeys(Rag.SHOWN_ORDER, 0)
    for pk in ids:
        counts[rows[pk]["p:rag"]] += 1
    selection = LedgerSelection(
        ids=[],
        counts=counts,
        verified_done=sum(1 for pk in ids if rows[pk]["all"]["v_rag"] in Rag.DONE),
        claimed_pending=sum(1 for pk in ids if rows[pk]["all"]["claim_pending"]),
        unacknowledged=sum(1 for pk in ids if rows[pk]["all"]["acknowledge_late"]),
    )
    if want.rags:
        ids = [pk for pk in ids if rows[pk]["p:rag"] in want.rags]
    for key, desc in reversed(SORTS.get(want.sort, SORTS["code"])):

        def sort_key(pk: int, k: str = key) -> Any:
            return rows[pk][k]

        ids.sort(key=sort_key, reverse=desc)  # stable: the last key first
    selection.ids = ids
    return selection, states
