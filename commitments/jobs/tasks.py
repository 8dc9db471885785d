"""Celery tasks. Thin, like views: ids (or an ISO day) in, one service call, retries on
transient errors. Safe to run again: the services claim their work in the database.

Task names are explicit so that the beat schedules in the database (django-celery-beat)
keep working if this module moves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from commitments.jobs import catchup, reminders, summaries
from commitments.jobs import outbox as notifications

# The database went away for a moment (restart, failover, a dropped connection): try again
# with back-off. SMTP trouble is not here: the outbox retries each email on its own clock.
TRANSIENT = (OperationalError, InterfaceError)
RETRYING: dict[str, Any] = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


def _day(day: str | None) -> dt.date | None:
    return dt.date.fromisoformat(day) if day else None


def _run_summary(result: reminders.RunResult) -> dict[str, Any]:
    plan = result.plan
    return {
        "job": plan.job,
        "day": plan.day.isoformat(),
        "emails": len(result.notification_ids),
        "items": plan.item_count,
        "already_told": plan.already_told,
        "skipped_inactive": len(plan.skipped_inactive),
        "skipped_no_email": len(plan.skipped_no_email),
        "opted_out_people": len(plan.opted_out_people),
        "deferred_people": len(plan.deferred_people),
        "note": plan.note,
    }


@shared_task(name="commitments.reminders_send_due", **RETRYING)
def reminders_send_due(day: str | None = None) -> dict[str, Any]:
    """Daily: the reminder digests (due soon, overdue, stale, returned, escalations)."""
    return _run_summary(reminders.reminders_run(day=_day(day)))


@shared_task(name="commitments.reporting_call_send_due", **RETRYING)
def reporting_call_send_due(day: str | None = None) -> dict[str, Any]:
    """Daily check: the monthly reporting call goes out in the days before the reporting day."""
    return _run_summary(reminders.reporting_call_run(day=_day(day)))


@shared_task(name="commitments.outbox_flush", **RETRYING)
def outbox_flush(ids: list[int] | None = None) -> dict[str, int]:
    """After each write (``ids``: the rows written), when a retry's back-off ends, and
    every minute (everything due): send what is due in the outbox."""
    return notifications.outbox_flush(ids=ids).as_dict()


@shared_task(name="commitments.notification_send", **RETRYING)
def notification_send(notification_id: int) -> str:
    return notifications.notification_send(notification_id)


@shared_task(name="commitments.summaries_send_due", **RETRYING)
def summaries_send_due(period: str = "weekly", day: str | None = None) -> list[int]:
    """Weekly / monthly: build the summary of each current report and mail it."""
    return [s.pk for s in summaries.summaries_send_due(kind=period, day=_day(day))]


@shared_task(name="commitments.summary_build", **RETRYING)
def summary_build(summary_id: int) -> bool:
    return summaries.summary_build(summary_id)


@shared_task(name="commitments.summaries_resume_stalled", **RETRYING)
def summaries_resume_stalled() -> list[int]:
    """Every few minutes: queue again summaries nobody built (Redis was down) or whose
    worker died."""
    return summaries.summaries_resume_stalled()


@shared_task(name="commitments.jobs_catch_up", **RETRYING)
def jobs_catch_up() -> dict[str, Any]:
    """Every minute, and when a worker starts: run late the scheduled runs whose beat tick
    was lost (Redis down, no worker), and flush the outbox."""
    return catchup.jobs_catch_up()


@worker_ready.connect
def catch_up_when_a_worker_starts(sender: Any = None, **kwargs: Any) -> None:
    """A worker coming back after an outage looks for what was missed meanwhile."""
    try:
        jobs_catch_up.apply_async(retry=False)
    except Exception:  # the broker went again; the beat tick will do it
        pass
