"""Keeping the stored current status (``models.CommitmentStatus``) true.

Two halves:
- ``status_invalidate``: every writer of an input of the rules bumps the rows' ``stamp`` in
  its own transaction. Model saves and deletes do it through signals (``connect_signals``,
  from the app's start-up), so the admin, the services, the demo data and a restore are all
  covered; writes that bypass signals (``QuerySet.update``, ``bulk_create``) call it
  themselves.
- ``status_refresh``: before a screen reads today's statuses from the rows, the missing and
  stale ones are recomputed from the rules (``selectors.states.commitment_states``), in a
  fixed number of queries per chunk. The values are written with the stamp read *before*
  they were computed, so a write that lands meanwhile leaves the row stale, never wrong.

``selectors.ledger.status_values`` is the one mapping from the rules' answer to the row's
columns; the agreement tests compare the rows with it day by day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, OperationalError, models, transaction
from django.db.models import F, Min, QuerySet
from django.db.models.signals import post_delete, post_save

from commitments import clock
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    CommitmentStatus,
    ProgressUpdate,
    StatusSnapshot,
    Target,
    TargetReading,
)
from commitments.rules import next_change
from commitments.selectors.ledger import Current, fresh, rules_key, status_values
from commitments.selectors.states import commitment_states

CHUNK = 2000  # rows computed together (a fixed number of queries each)
UPDATE_BATCH = 200  # rows written per UPDATE
log = logging.getLogger(__name__)

# The bookkeeping of a row; every other column holds a value of ``status_values``.
BOOKKEEPING = {"commitment", "stamp", "fresh_stamp", "rules_key", "computed_for", "valid_until"}
VALUE_FIELDS = [f.name for f in CommitmentStatus._meta.concrete_fields if f.name not in BOOKKEEPING]


def status_invalidate(commitment_ids: Iterable[int] | QuerySet[Commitment]) -> int:
    """Mark these commitments' rows stale (in the caller's transaction). A row not made yet
    is made stale, so that a refresh racing with this write cannot store what it saw
    before the write."""
    if isinstance(commitment_ids, QuerySet):
        return CommitmentStatus.objects.filter(commitment__in=commitment_ids.values("pk")).update(
            stamp=F("stamp") + 1
        )
    ids = set(commitment_ids)
    if not ids:
        return 0
    n = CommitmentStatus.objects.filter(commitment_id__in=ids).update(stamp=F("stamp") + 1)
    if n < len(ids):
        have = set(
            CommitmentStatus.objects.filter(commitment_id__in=ids).values_list("pk", flat=True)
        )
        CommitmentStatus.objects.bulk_create(
            [CommitmentStatus(commitment_id=pk, stamp=1) for pk in ids - have],
            ignore_conflicts=True,
        )
    return n


def status_refresh(commitments: QuerySet[Commitment]) -> Current:
    """Bring the rows of ``commitments`` up to the ledger's today; returns the proof. One
    query when all are current."""
    day = clock.today()
    stale = list(commitments.exclude(fresh(day, "current__")).values_list("pk", "current__stamp"))
    missing = [pk for pk, stamp in stale if stamp is None]
    if missing:
        CommitmentStatus.objects.bulk_create(
            [CommitmentStatus(commitment_id=pk) for pk in missing], ignore_conflicts=True
        )
    stamps = [(pk, stamp or 0) for pk, stamp in stale]
    for start in range(0, len(stamps), CHUNK):
        chunk = dict(stamps[start : start + CHUNK])
        try:
            with transaction.atomic():
                _recompute(chunk, day)
        except (OperationalError, IntegrityError):
            # Two readers refreshing the same rows at once on PostgreSQL may deadlock; one
            # is cancelled. The other wrote the same values (both computed them from the
            # rules on the same data), so this one goes on; a row left stale is recomputed
            # by the next read. (IntegrityError: a commitment deleted meanwhile, whose
            # snapshot lost its status row.)
            log.warning("status refresh of %d rows yielded to a concurrent one", len(chunk))
    return Current(day=day, refreshed=len(stamps))


def _recompute(stamps: dict[int, int], day: dt.date) -> None:
    ids = list(stamps)
    states = commitment_states(Commitment.objects.filter(pk__in=ids), day=day)
    # An update dated after today (a demo's clock, a back-dated today) counts from its day.
    upcoming = dict(
        ProgressUpdate.objects.filter(commitment_id__in=ids, as_of__gt=day)
        .values("commitment_id")
        .annotate(first=Min("as_of"))
        .values_list("commitment_id", "first")
    )
    key = rules_key()
    rows = []
    for pk, state in states.items():
        until = next_change(
            day=day,
            start_date=state.start_date,
            due_date=state.due_date,
            last_seen=[state.last_update_as_of, state.last_verified_as_of],
            percents=[state.shown.percent, state.verified.percent],
            unacknowledged_since=state.unacknowledged_since,
        )
        if pk in upcoming and (until is None or upcoming[pk] < until):
            until = upcoming[pk]
        rows.append(
            CommitmentStatus(
                commitment_id=pk,
                fresh_stamp=stamps[pk],
                rules_key=key,
                computed_for=day,
                valid_until=None if until is None else until - dt.timedelta(days=1),
                **status_values(state),
            )
        )
    CommitmentStatus.objects.bulk_update(
        rows,
        ["fresh_stamp", "rules_key", "computed_for", "valid_until", *VALUE_FIELDS],
        # bulk_update writes one CASE per column over the batch's ids: its cost grows with
        # the square of the batch (2,000 rows at once took 14 s on PostgreSQL)
        batch_size=UPDATE_BATCH,
    )
    StatusSnapshot.objects.bulk_create(
        [StatusSnapshot(status_id=pk, snapshot=state.snapshot()) for pk, state in states.items()],
        update_conflicts=True,
        unique_fields=["status"],
        update_fields=["snapshot"],
        batch_size=UPDATE_BATCH,
    )


# -- signals: every saved or deleted input marks its commitment's row stale ----------------------


def _commitment_id(sender: type[models.Model], instance: models.Model) -> int | None:
    if sender is Commitment:
        return instance.pk
    if isinstance(instance, TargetReading):
        if TargetReading.update.is_cached(instance):  # saved with its update: no query
            return instance.update.commitment_id
        return (
            ProgressUpdate.objects.filter(pk=instance.update_id)
            .values_list("commitment_id", flat=True)
            .first()
        )
    return getattr(instance, "commitment_id", None)


def _on_write(sender: type[models.Model], instance: models.Model, **kwargs: object) -> None:
    if kwargs.get("raw"):
        return  # loaddata (a restore): the rows are not restored; they are made on first read
    pk = _commitment_id(sender, instance)
    if pk is not None:
        status_invalidate([pk])


WATCHED: tuple[type[models.Model], ...] = (
    Commitment,
    Target,
    ProgressUpdate,
    TargetReading,
    Closure,
    Acknowledgement,
)


def connect_signals() -> None:
    for model in WATCHED:
        uid = f"commitment-status-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
