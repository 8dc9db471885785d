"""Writes of the review desk (审核台): accept several updates at once, and remember when a
reviewer last opened the desk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from commitments.models import DeskVisit, ProgressUpdate
from commitments.services.progress import update_review_accept, update_review_return

# Sent inside the transaction that returned an update (kwargs: update). The jobs app
# listens and writes the email to its author into the outbox, so the return and its
# email commit together; a signal because writes must not import the jobs that read them.
update_returned = Signal()


def update_review_return_and_tell(
    *, update: ProgressUpdate, reviewer: User, comment: str, now: dt.datetime | None = None
) -> bool:
    """Return an update (``update_review_return``) and, in the same transaction, tell its
    author (``update_returned``). False when someone else reviewed it first; then nobody
    is told anything."""
    with transaction.atomic():
        won = update_review_return(update=update, reviewer=reviewer, comment=comment, now=now)
        if won:
            update_returned.send(sender=ProgressUpdate, update=update)
    return won


@dataclass
class BulkAcceptResult:
    accepted: list[ProgressUpdate] = field(default_factory=list)
    # reviewed by someone else (or an earlier click) before this request reached them
    already_reviewed: list[ProgressUpdate] = field(default_factory=list)


def updates_bulk_accept(
    *, updates: Iterable[ProgressUpdate], reviewer: User, now: dt.datetime | None = None
) -> BulkAcceptResult:
    """Accept each update through ``update_review_accept`` (its conditional UPDATE decides,
    row by row, who wins), so an update another reviewer handled meanwhile keeps their
    decision and is counted apart."""
    result = BulkAcceptResult()
    with transaction.atomic():
        for update in updates:
            if update_review_accept(update=update, reviewer=reviewer, now=now):
                result.accepted.append(update)
            else:
                result.already_reviewed.append(update)
    return result


def desk_visit_record(*, user: User, now: dt.datetime | None = None) -> DeskVisit:
    """Note a visit to the desk. A visit more than a sitting after the last one moves the
    last one to ``previous_at`` (what "新" is measured from); visits within a sitting
    (filtering, paging) leave it, so the markers stay while the reviewer works."""
    now = now or timezone.now()
    with transaction.atomic():
        visit, created = DeskVisit.objects.select_for_update().get_or_create(
            user=user, defaults={"seen_at": now}
        )
        if created:
            return visit
        if now - visit.seen_at > dt.timedelta(minutes=DeskVisit.SITTING_MINUTES):
            visit.previous_at = visit.seen_at
        visit.seen_at = max(now, visit.seen_at)
        visit.full_clean()
        visit.save()
    return visit
