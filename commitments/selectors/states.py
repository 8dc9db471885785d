"""Reads. Status of many commitments as of any day, in a fixed number of queries.

The ledger on a past day is rebuilt from the append-only updates: an update counts on
day D when it describes a day up to D (``as_of <= D``) and had been written by the end
of D (``created_at``); an acceptance counts when it was given by the end of D.
Returned updates never count as claims.

The supervision cycle feeds the rules too, as of the same day: the deadline in force and
the original one (延期), whether a closure (办结销号) stands, whether a reopening came after
the latest claim, and since when a unit has not acknowledged (签收) its assignment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from commitments import clock
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    ProgressUpdate,
    Target,
    TargetReading,
)
from commitments.rules import (
    ClaimInput,
    Rag,
    StatusResult,
    TargetInput,
    acknowledgement_late,
    evaluate,
    ledger_status,
)


@dataclass(frozen=True)
class CommitmentState:
    """Everything the screens, emails and exports show about where a commitment stands."""

    status: StatusResult  # from the latest claim (what departments say)
    verified: StatusResult  # from the latest accepted update (what the office confirmed)
    claimed_status: str  # ProgressUpdate.Status value, "" when no update yet
    verified_status: str
    last_update_as_of: dt.date | None
    last_verified_as_of: dt.date | None
    day: dt.date
    start_date: dt.date
    due_date: dt.date  # the deadline in force (after an approved extension)
    original_due_date: dt.date | None = None  # before the first extension; None if never
    closed_on: dt.date | None = None  # 办结销号, when a closure stands on the day
    unacknowledged_since: dt.date | None = None  # earliest assignment not yet acknowledged

    @cached_property
    def shown(self) -> StatusResult:
        """What the internal ledger and dashboard count by (claimed, with an unreviewed
        completion as 申报完成·待审核)."""
        return ledger_status(claimed=self.status, verified=self.verified)

    def basis(self, basis: str) -> StatusResult:
        """``verified`` (what leaders see first) or the claimed ledger status."""
        return self.verified if basis == "verified" else self.shown

    @property
    def claim_pending(self) -> bool:
        """申报完成·待审核: completion claimed, not yet accepted."""
        return self.shown.rag == Rag.CLAIMED

    @property
    def extended(self) -> bool:
        return self.original_due_date is not None and self.original_due_date != self.due_date

    @property
    def closed(self) -> bool:
        return self.closed_on is not None

    @property
    def unacknowledged(self) -> bool:
        return self.unacknowledged_since is not None

    @property
    def flagged(self) -> bool:
        """Carries a tag of the supervision cycle (办结, 待审核, 延期, 未签收)."""
        return self.closed or self.claim_pending or self.extended or self.unacknowledged

    @property
    def acknowledge_late(self) -> bool:
        return self.unacknowledged_since is not None and acknowledgement_late(
            assigned_on=self.unacknowledged_since, day=self.day
        )

    def snapshot(self) -> dict[str, Any]:
        """What of this state holds, with no new input, until the rules' ``next_change``:
        everything but the calendar's own figures (``rules.timeline``), as JSON. The stored
        current status keeps it, and ``from_snapshot`` rebuilds the state on such a day."""
        return {
            "status": _result_json(self.status),
            "verified": _result_json(self.verified),
            "claimed_status": self.claimed_status,
            "verified_status": self.verified_status,
            "start_date": self.start_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            **{
                name: None if (d := getattr(self, name)) is None else d.isoformat()
                for name in _OPTIONAL_DATES
            },
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], day: dt.date) -> CommitmentState:
        def date_or_none(name: str) -> dt.date | None:
            return None if data[name] is None else _date(data[name])

        start, due = _date(data["start_date"]), _date(data["due_date"])
        return cls(
            status=StatusResult(**data["status"]).carried_to(day, start_date=start, due_date=due),
            verified=StatusResult(**data["verified"]).carried_to(
                day, start_date=start, due_date=due
            ),
            claimed_status=data["claimed_status"],
            verified_status=data["verified_status"],
            last_update_as_of=date_or_none("last_update_as_of"),
            last_verified_as_of=date_or_none("last_verified_as_of"),
            day=day,
            start_date=start,
            due_date=due,
            original_due_date=date_or_none("original_due_date"),
            closed_on=date_or_none("closed_on"),
            unacknowledged_since=date_or_none("unacknowledged_since"),
        )


_OPTIONAL_DATES = (
    "last_update_as_of",
    "last_verified_as_of",
    "original_due_date",
    "closed_on",
    "unacknowledged_since",
)


def _result_json(r: StatusResult) -> dict[str, Any]:
    # every field of the result but the calendar's figures, recomputed on the day read
    # (``carried_to``)
    return {**asdict(r), "elapsed": 0.0, "overdue_days": 0}


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _known_by(day: dt.date) -> dt.datetime | None:
    """The moment by which something must have been written to count on ``day``; None on
    the ledger's today (or later): then everything written so far counts. That matters when
    LEDGER_TODAY pins a past demo day: an update recorded now, about that day, must show."""
    return end_of_day(day) if day < clock.today() else None


def claim_filter(day: dt.date, prefix: str = "") -> Q:
    """Updates that count as claims on ``day``: written by then, about a day up to it, and
    not returned by then. ``prefix`` ("update__") applies it across a join, so that the
    readings subquery stays correlated to one target instead of scanning every update."""
    cutoff = _known_by(day)
    q = Q(**{f"{prefix}as_of__lte": day})
    returned = Q(**{f"{prefix}review_state": ProgressUpdate.Review.RETURNED})
    if cutoff is not None:
        q &= Q(**{f"{prefix}created_at__lte": cutoff})
        # a returned update counts as a claim until the day it was returned
        returned &= Q(**{f"{prefix}reviewed_at__lte": cutoff})
    return q & ~returned


def accepted_filter(day: dt.date, prefix: str = "") -> Q:
    """Updates accepted by the end of ``day`` (and written by then, about a day up to it)."""
    cutoff = _known_by(day)
    q = Q(**{f"{prefix}as_of__lte": day, f"{prefix}review_state": ProgressUpdate.Review.ACCEPTED})
    if cutoff is not None:
        q &= Q(**{f"{prefix}created_at__lte": cutoff, f"{prefix}reviewed_at__lte": cutoff})
    return q


def _claims_on(day: dt.date) -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.filter(claim_filter(day))


def _accepted_on(day: dt.date) -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.filter(accepted_filter(day))


LATEST = ("-as_of", "-created_at", "-id")


def _latest(qs: QuerySet, field: str) -> Subquery:
    return Subquery(qs.filter(commitment=OuterRef("pk")).order_by(*LATEST).values(field)[:1])


def latest_reading(day: dt.date, *, verified_only: bool = False) -> Subquery:
    """The latest reading of the outer target (annotate a Target queryset with it) that
    counts on ``day``: claimed (``claim_filter``) or, with ``verified_only``, accepted
    (``accepted_filter``). The one as-of reading query: the status rules, the screens and
    the summaries all read targets through it."""
    known = (accepted_filter if verified_only else claim_filter)(day, "update__")
    return Subquery(
        TargetReading.objects.filter(known, target=OuterRef("pk"))
        .order_by(*(f"-update__{f.lstrip('-')}" for f in LATEST))
        .values("value")[:1]
    )


def readings_on(
    target_ids: list[int], day: dt.date, *, verified_only: bool = False
) -> dict[int, Decimal]:
    """``latest_reading`` of each of these targets as a dict (one query); a target never
    read is left out."""
    if not target_ids:
        return {}
    rows = (
        Target.objects.filter(pk__in=target_ids)
        .annotate(reading=latest_reading(day, verified_only=verified_only))
        .values_list("pk", "reading")
    )
    return {pk: value for pk, reading in rows if (value := _decimal(reading)) is not None}


def targets_read_on(
    commitment_ids: Iterable[int], day: dt.date, *, verified_only: bool = False
) -> list[Target]:
    """The targets of these commitments, in their order, each with ``reading``: its
    ``latest_reading`` on ``day`` (None when never read). One query."""
    targets: list[Target] = list(
        Target.objects.filter(commitment_id__in=commitment_ids)
        .annotate(latest=latest_reading(day, verified_only=verified_only))
        .order_by("commitment_id", "order")
    )
    for t in targets:
        t.reading = _decimal(t.latest)  # type: ignore[attr-defined]
    return targets


def _closure_filter(day: dt.date) -> Q:
    """A closure standing at the end of ``day``."""
    cutoff = _known_by(day)
    if cutoff is None:
        return Q(reopened_at__isnull=True)
    return Q(closed_at__lte=cutoff) & (Q(reopened_at__isnull=True) | Q(reopened_at__gt=cutoff))


def _reopened_filter(day: dt.date) -> Q:
    cutoff = _known_by(day)
    q = Q(reopened_at__isnull=False)
    return q if cutoff is None else q & Q(reopened_at__lte=cutoff)


def _unacknowledged_filter(day: dt.date) -> Q:
    cutoff = _known_by(day)
    if cutoff is None:
        return Q(acknowledged_at__isnull=True, superseded_at__isnull=True)
    return (
        Q(assigned_at__lte=cutoff)
        & (Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gt=cutoff))
        & (Q(superseded_at__isnull=True) | Q(superseded_at__gt=cutoff))
    )


def commitment_states(
    commitments: QuerySet[Commitment], *, day: dt.date | None = None
) -> dict[int, CommitmentState]:
    """State of every commitment in ``commitments`` on ``day`` (default: today).

    Two queries whatever the number of rows: one for the commitments with their latest
    claim and acceptance, one for their numeric targets with their latest readings.
    """
    day = day or clock.today()
    claims, accepted = _claims_on(day), _accepted_on(day)
    closures = Closure.objects.filter(_closure_filter(day), commitment=OuterRef("pk"))
    reopenings = Closure.objects.filter(_reopened_filter(day), commitment=OuterRef("pk"))
    pending_acks = Acknowledgement.objects.filter(
        _unacknowledged_filter(day), commitment=OuterRef("pk")
    ).order_by("assigned_on")
    values = commitments.order_by().annotate(
        c_as_of=_latest(claims, "as_of"),
        c_status=_latest(claims, "claimed_status"),
        c_percent=_latest(claims, "percent"),
        c_created=_latest(claims, "created_at"),
        v_as_of=_latest(accepted, "as_of"),
        v_status=_latest(accepted, "claimed_status"),
        v_percent=_latest(accepted, "percent"),
        v_created=_latest(accepted, "created_at"),
        closed_on=Subquery(closures.values("closed_on")[:1]),
        reopened_at=Subquery(reopenings.order_by("-reopened_at").values("reopened_at")[:1]),
        ack_since=Subquery(pending_acks.values("assigned_on")[:1]),
    ).values(
        "pk", "start_date", "due_date", "original_due_date",
        "c_as_of", "c_status", "c_percent", "c_created",
        "v_as_of", "v_status", "v_percent", "v_created",
        "closed_on", "reopened_at", "ack_since",
    )  # fmt: skip
    rows: list[dict[str, Any]] = list(values)
    ids = [r["pk"] for r in rows]

    claimed_targets: dict[int, list[TargetInput]] = {}
    verified_targets: dict[int, list[TargetInput]] = {}
    if ids:
        targets = (
            # Every target: which ones count (``rules.is_measurable``) is the rules' call.
            Target.objects.filter(commitment_id__in=ids)
            .annotate(
                c_reading=latest_reading(day),
                v_reading=latest_reading(day, verified_only=True),
            )
            .values("commitment_id", "value", "direction", "qualifier", "baseline_value",
                    "c_reading", "v_reading")
        )  # fmt: skip
        for t in targets:
            for bucket, reading in (
                (claimed_targets, "c_reading"),
                (verified_targets, "v_reading"),
            ):
                bucket.setdefault(t["commitment_id"], []).append(
                    TargetInput(
                        value=t["value"],
                        direction=t["direction"],
                        qualifier=t["qualifier"],
                        baseline=t["baseline_value"],
                        reading=_decimal(t[reading]),
                    )
                )

    states: dict[int, CommitmentState] = {}
    for r in rows:
        claim = _claim(r["c_as_of"], r["c_status"], r["c_percent"])
        vclaim = _claim(r["v_as_of"], r["v_status"], r["v_percent"])
        reopened_at = _datetime(r["reopened_at"])
        closed_on = _date(r["closed_on"]) if r["closed_on"] is not None else None
        common = {
            "day": day,
            "start_date": r["start_date"],
            "due_date": r["due_date"],
            "original_due_date": r["original_due_date"],
            "closed": closed_on is not None,
        }
        states[r["pk"]] = CommitmentState(
            status=evaluate(
                targets=claimed_targets.get(r["pk"], []),
                claim=claim,
                reopened=_after(reopened_at, r["c_created"]),
                **common,
            ),
            verified=evaluate(
                targets=verified_targets.get(r["pk"], []),
                claim=vclaim,
                reopened=_after(reopened_at, r["v_created"]),
                **common,
            ),
            claimed_status=r["c_status"] or "",
            verified_status=r["v_status"] or "",
            last_update_as_of=r["c_as_of"],
            last_verified_as_of=r["v_as_of"],
            day=day,
            start_date=r["start_date"],
            due_date=r["due_date"],
            original_due_date=r["original_due_date"],
            closed_on=closed_on,
            unacknowledged_since=_date(r["ack_since"]) if r["ack_since"] is not None else None,
        )
    return states


def _claim(as_of: object, status: str, percent: object) -> ClaimInput | None:
    if as_of is None:
        return None
    return ClaimInput(as_of=_date(as_of), status=status, percent=_decimal(percent))


def _datetime(v: object) -> dt.datetime | None:
    # SQLite hands subquery datetimes back as strings.
    if v is None or isinstance(v, dt.datetime):
        return v
    parsed = dt.datetime.fromisoformat(str(v))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def _after(reopened_at: dt.datetime | None, claim_created: object) -> bool:
    """A reopening came after the claim was written: the claim's completion no longer stands."""
    created = _datetime(claim_created)
    if reopened_at is None or created is None:
        return False
    return reopened_at > created


def _decimal(v: object) -> Decimal | None:
    # SQLite hands subquery decimals back as floats or strings.
    if v is None or isinstance(v, Decimal):
        return v
    return Decimal(str(v))


def _date(v: object) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
