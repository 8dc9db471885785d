"""Reads. Status of many commitments as of any day, in a fixed number of queries.

The ledger on a past day is rebuilt from the append-only updates: an update counts on
day D when it describes a day up to D (``as_of <= D``) and had been written by the end
of D (``created_at``); an acceptance counts when it was given by the end of D.
Returned updates never count as claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from commitments import clock
from commitments.models import Commitment, ProgressUpdate, Target, TargetReading
from commitments.rules import ClaimInput, StatusResult, TargetInput, evaluate


@dataclass(frozen=True)
class CommitmentState:
    """Everything the screens, emails and exports show about where a commitment stands."""

    status: StatusResult  # from the latest claim (what departments say)
    verified: StatusResult  # from the latest accepted update (what the office confirmed)
    claimed_status: str  # ProgressUpdate.Status value, "" when no update yet
    verified_status: str
    last_update_as_of: dt.date | None
    last_verified_as_of: dt.date | None


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


def commitment_states(
    commitments: QuerySet[Commitment], *, day: dt.date | None = None
) -> dict[int, CommitmentState]:
    """State of every commitment in ``commitments`` on ``day`` (default: today).

    Two queries whatever the number of rows: one for the commitments with their latest
    claim and acceptance, one for their numeric targets with their latest readings.
    """
    day = day or clock.today()
    claims, accepted = _claims_on(day), _accepted_on(day)
    rows = list(commitments.order_by().annotate(
        c_as_of=_latest(claims, "as_of"),
        c_status=_latest(claims, "claimed_status"),
        c_percent=_latest(claims, "percent"),
        v_as_of=_latest(accepted, "as_of"),
        v_status=_latest(accepted, "claimed_status"),
        v_percent=_latest(accepted, "percent"),
    ).values(
        "pk", "start_date", "due_date",
        "c_as_of", "c_status", "c_percent", "v_as_of", "v_status", "v_percent",
    ))  # fmt: skip
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
        common = {"day": day, "start_date": r["start_date"], "due_date": r["due_date"]}
        states[r["pk"]] = CommitmentState(
            status=evaluate(targets=claimed_targets.get(r["pk"], []), claim=claim, **common),
            verified=evaluate(targets=verified_targets.get(r["pk"], []), claim=vclaim, **common),
            claimed_status=r["c_status"] or "",
            verified_status=r["v_status"] or "",
            last_update_as_of=r["c_as_of"],
            last_verified_as_of=r["v_as_of"],
        )
    return states


def _claim(as_of: object, status: str, percent: object) -> ClaimInput | None:
    if as_of is None:
        return None
    return ClaimInput(as_of=_date(as_of), status=status, percent=_decimal(percent))


def _decimal(v: object) -> Decimal | None:
    # SQLite hands subquery decimals back as floats or strings.
    if v is None or isinstance(v, Decimal):
        return v
    return Decimal(str(v))


def _date(v: object) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
