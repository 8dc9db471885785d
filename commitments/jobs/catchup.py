"""The catch-up: scheduled runs whose beat tick was lost are run late, and say so.

Beat advances a schedule's ``last_run_at`` before it publishes; when Redis is down at
08:30 the publish fails and the tick is gone, though the schedule says it ran. So the
jobs record their own runs (``JobRun``, by the job, per day) and this scan, run by every
worker when it starts (``worker_ready``) and by the every-minute beat tick, compares:

- reminders and the reporting call: the latest tick of each enabled schedule in the last
  JOB_CATCH_UP_HOURS (and at least JOB_CATCH_UP_GRACE_MINUTES old) whose day has no run
  is run now. Only the latest: today's digest carries what yesterday's would have (the
  windows of a due date and of an overdue week are the same), so one late run suffices;
  a late run is idempotent like any other (keys), so it sends each thing once;
- summaries: ``summaries_missed`` (a weekly/monthly summary row is its own record);
- the outbox: a flush is queued, so mail written while Redis was down goes now.

Each late run is logged: ``caught up reminders for 2017-10-15 (missed at 08:30)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from commitments import clock
from commitments.jobs import reminders, summaries
from commitments.jobs.outbox import dispatch_on_commit
from commitments.jobs.runlog import job_run_claim

logger = logging.getLogger(__name__)

# Scheduled task name → (job name in JobRun, the run for a day).
DAILY_JOBS: dict[str, tuple[str, Callable[..., reminders.RunResult]]] = {
    "commitments.reminders_send_due": ("reminders", reminders.reminders_run),
    "commitments.reporting_call_send_due": ("reporting_call", reminders.reporting_call_run),
}


def latest_tick(schedule: Any, *, since: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The last time a crontab fired in [since, until], or None."""
    now = timezone.now()
    last = None
    at = since
    while True:
        nxt = now + schedule.remaining_estimate(at)
        if nxt > until or (last is not None and nxt <= last):
            return last
        last = nxt
        at = nxt


def missed_runs(*, now: dt.datetime | None = None) -> list[tuple[str, dt.date, dt.datetime]]:
    """(job, day, tick) of the daily jobs whose latest tick in the window has no run."""
    from django_celery_beat.models import PeriodicTask

    from commitments.jobs.models import JobRun

    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.JOB_CATCH_UP_HOURS)
    until = now - dt.timedelta(minutes=settings.JOB_CATCH_UP_GRACE_MINUTES)
    lease = now - dt.timedelta(seconds=settings.JOB_RUN_LEASE_SECONDS)
    out = []
    for task in PeriodicTask.objects.filter(
        enabled=True, task__in=sorted(DAILY_JOBS), crontab__isnull=False
    ).select_related("crontab"):
        tick = latest_tick(task.crontab.schedule, since=since, until=until)
        if tick is None:
            continue
        job, _ = DAILY_JOBS[task.task]
        # The day the job would have run for (the pinned demo day, if there is one).
        day = clock.today() if settings.LEDGER_TODAY else timezone.localdate(tick)
        # Finished, or still running within its lease: not missed. Started long ago and
        # never finished: its worker died and the redelivery was lost (Redis restarted).
        done_or_running = Q(finished_at__isnull=False) | Q(started_at__gte=lease)
        if not JobRun.objects.filter(done_or_running, job=job, period=day.isoformat()).exists():
            out.append((job, day, tick))
    return out


def jobs_catch_up(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Run late what was missed (see the module docstring). Safe to run any time, by any
    number of workers at once: each late run is claimed first."""
    runs = {job: run for job, run in DAILY_JOBS.values()}
    caught: list[str] = []
    for job, day, tick in missed_runs(now=now):
        if not job_run_claim(job, day, late_for=tick):
            continue  # another catch-up has it
        result = runs[job](day=day)
        missed_at = timezone.localtime(tick).strftime("%H:%M")
        logger.warning(
            "caught up %s for %s (missed at %s): %s emails",
            job,
            day.isoformat(),
            missed_at,
            len(result.notification_ids),
        )
        caught.append(f"{job} {day.isoformat()}")
    summary_ids = summaries.summaries_missed(now=now)
    dispatch_on_commit("outbox_flush")
    return {"caught_up": caught, "summaries": summary_ids}
