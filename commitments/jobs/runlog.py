"""Scheduled runs, recorded by the job when it runs (``JobRun``): what the catch-up reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.jobs.models import JobRun


@contextmanager
def job_run_recorded(job: str, day: dt.date) -> Iterator[None]:
    """Record that ``job`` runs for ``day``: started now, finished when the block ends
    (a block that raises leaves it unfinished, so the catch-up runs it again after
    JOB_RUN_LEASE_SECONDS)."""
    now = timezone.now()
    run, created = JobRun.objects.get_or_create(
        job=job, period=day.isoformat(), defaults={"started_at": now}
    )
    if not created:
        JobRun.objects.filter(pk=run.pk).update(started_at=now, finished_at=None)
    yield
    JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())


def job_run_claim(job: str, day: dt.date, *, late_for: dt.datetime) -> bool:
    """The catch-up's claim on a missed run: the run's row did not exist (created now), or
    it started so long ago without finishing that its worker died. Two catch-ups at once
    (a worker starting while beat ticks) run it once."""
    now = timezone.now()
    try:
        with transaction.atomic():
            JobRun.objects.create(
                job=job, period=day.isoformat(), started_at=now, late_for=late_for
            )
        return True
    except IntegrityError:
        pass
    lease = now - dt.timedelta(seconds=settings.JOB_RUN_LEASE_SECONDS)
    return (
        JobRun.objects.filter(
            job=job, period=day.isoformat(), finished_at__isnull=True, started_at__lt=lease
        ).update(started_at=now, late_for=late_for)
        == 1
    )
