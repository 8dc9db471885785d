"""python manage.py setup_schedules [--reset]

Creates the default periodic tasks in django-celery-beat (Asia/Shanghai). Idempotent, and
edits made in the admin survive a re-run (only missing schedules are created); --reset
puts every default back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Default:
    name: str
    task: str
    crontab: dict[str, str] | None = None
    every_seconds: int | None = None
    kwargs: dict[str, Any] | None = None
    description: str = ""


DEFAULTS = [
    Default(
        "督办提醒 reminder digests (daily 08:30)",
        "commitments.reminders_send_due",
        crontab={"minute": "30", "hour": "8"},
        description="One digest per person: due soon (14/7/1 days), overdue, stale, returned; escalations.",
    ),
    Default(
        "每月报送 reporting call (daily check 08:35)",
        "commitments.reporting_call_send_due",
        crontab={"minute": "35", "hour": "8"},
        description="Sends only in the REPORTING_CALL_DAYS_BEFORE days before REPORTING_DAY, once per person per month.",
    ),
    Default(
        "发件箱 outbox flush (every minute)",
        "commitments.outbox_flush",
        every_seconds=60,
        description="Sends due emails and retries failed ones with back-off.",
    ),
    Default(
        "补做 catch-up of missed runs (every minute)",
        "commitments.jobs_catch_up",
        every_seconds=60,
        description="Runs late the reminders / reporting call / summaries whose beat tick was "
        "lost (Redis down), as recorded by the jobs themselves (JobRun), and flushes the outbox.",
    ),
    Default(
        "周报 weekly summary (Monday 08:00)",
        "commitments.summaries_send_due",
        crontab={"minute": "0", "hour": "8", "day_of_week": "1"},
        kwargs={"period": "weekly"},
        description="Summary of the last complete week to leaders and the supervision office.",
    ),
    Default(
        "月报 monthly summary (1st 08:00)",
        "commitments.summaries_send_due",
        crontab={"minute": "0", "hour": "8", "day_of_month": "1"},
        kwargs={"period": "monthly"},
        description="Summary of the last complete month to leaders and the supervision office.",
    ),
    Default(
        "摘要补做 summary catch-up (every 5 minutes)",
        "commitments.summaries_resume_stalled",
        every_seconds=300,
        description="Queues again summaries asked for while Redis was down or whose worker died, "
        "and starts a weekly/monthly summary whose beat tick was lost.",
    ),
]


def _schedule(d: Default) -> dict[str, Any]:
    if d.crontab is not None:
        fields = {
            "minute": "*",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        }
        crontab, _ = CrontabSchedule.objects.get_or_create(
            **{**fields, **d.crontab}, timezone=settings.TIME_ZONE
        )
        return {"crontab": crontab, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=d.every_seconds, period=IntervalSchedule.SECONDS
    )
    return {"interval": interval, "crontab": None}


def setup_schedules(*, reset: bool = False) -> dict[str, str]:
    """Create (or with ``reset`` restore) the default schedules; returns name → action."""
    done: dict[str, str] = {}
    with transaction.atomic():
        for d in DEFAULTS:
            values = {
                "task": d.task,
                "kwargs": json.dumps(d.kwargs or {}),
                "description": d.description,
                "enabled": True,
                **_schedule(d),
            }
            existing = PeriodicTask.objects.filter(name=d.name).first()
            if existing is None:
                PeriodicTask.objects.create(name=d.name, **values)
                done[d.name] = "created"
            elif reset:
                for k, v in values.items():
                    setattr(existing, k, v)
                existing.save()
                done[d.name] = "reset"
            else:
                done[d.name] = "kept"
    return done


class Command(BaseCommand):
    help = (
        "Create the default Celery beat schedules (reminders, reporting call, outbox, summaries)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="restore the defaults over admin edits"
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        for name, action in setup_schedules(reset=reset).items():
            self.stdout.write(f"  {action:8} {name}")
