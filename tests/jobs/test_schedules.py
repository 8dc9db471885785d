"""setup_schedules: the default beat schedules, created idempotently; admin edits survive a
re-run; every scheduled task exists."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from commitments.jobs.management.commands.setup_schedules import DEFAULTS
from tracker.celery import app

pytestmark = pytest.mark.django_db


def schedule_of(name_part: str) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab", "interval").get(name__contains=name_part)


def test_it_creates_the_defaults_in_shanghai_time():
    call_command("setup_schedules", stdout=io.StringIO())
    reminders = schedule_of("reminder digests")
    assert reminders.task == "commitments.reminders_send_due"
    assert (reminders.crontab.minute, reminders.crontab.hour) == ("30", "8")
    assert str(reminders.crontab.timezone) == "Asia/Shanghai"
    weekly, monthly = schedule_of("weekly summary"), schedule_of("monthly summary")
    assert (weekly.crontab.minute, weekly.crontab.hour, weekly.crontab.day_of_week) == (
        "0",
        "8",
        "1",
    )
    assert json.loads(weekly.kwargs) == {"period": "weekly"}
    assert (monthly.crontab.hour, monthly.crontab.day_of_month) == ("8", "1")
    assert json.loads(monthly.kwargs) == {"period": "monthly"}
    flush = schedule_of("outbox flush")
    assert (flush.interval.every, flush.interval.period) == (60, "seconds")
    call = schedule_of("reporting call")
    assert call.task == "commitments.reporting_call_send_due" and call.crontab.hour == "8"
    assert (
        PeriodicTask.objects.filter(name__in=[d.name for d in DEFAULTS], enabled=True).count() == 7
    )


def test_it_is_idempotent_and_keeps_admin_edits():
    call_command("setup_schedules", stdout=io.StringIO())
    weekly = schedule_of("weekly summary")
    weekly.enabled = False  # the office turned the weekly summary off in the admin
    weekly.save()
    call_command("setup_schedules", stdout=io.StringIO())
    assert PeriodicTask.objects.filter(name__in=[d.name for d in DEFAULTS]).count() == 7
    assert schedule_of("weekly summary").enabled is False
    call_command("setup_schedules", "--reset", stdout=io.StringIO())
    assert schedule_of("weekly summary").enabled is True


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    for d in DEFAULTS:
        assert d.task in app.tasks, d.task
