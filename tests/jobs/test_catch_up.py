"""The catch-up: a scheduled run whose beat tick was lost (Redis down at 08:30, beat's
``last_run_at`` advanced all the same) is run late, once, and says so in the log."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from commitments.jobs.catchup import jobs_catch_up, missed_runs
from commitments.jobs.models import JobRun, Notification
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run
from tests.support.jobs_world import DAY, at, frozen, make_world, sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.LEDGER_TODAY = None
    call_command("setup_schedules", stdout=io.StringIO())
    # Beat "ran" the 08:30 tick: it advanced last_run_at, but the publish failed.
    PeriodicTask.objects.filter(task="commitments.reminders_send_due").update(
        last_run_at=at(DAY, 8, 30), total_run_count=1
    )
    return make_world()


def catch_up(hour: int = 9, minute: int = 0) -> dict:
    with frozen(DAY, hour, minute):
        result = jobs_catch_up()
        outbox_flush()
    return result


def test_a_missed_reminder_run_is_caught_up_once_and_logged(world, caplog):
    caplog.set_level(logging.WARNING, logger="commitments.jobs.catchup")
    result = catch_up()
    assert "reminders 2017-10-15" in result["caught_up"]
    by_address = sent_to()
    assert set(by_address) == {
        world.rep_a.email, world.mgr_a.email, world.rep_b.email, world.mgr_b.email, world.sup.email,
    }  # fmt: skip
    assert all(len(msgs) == 1 for msgs in by_address.values())  # one digest per person
    assert "caught up reminders for 2017-10-15 (missed at 08:30)" in caplog.text
    run = JobRun.objects.get(job="reminders", period="2017-10-15")
    assert run.finished_at is not None and run.late_for == at(DAY, 8, 30)

    caplog.clear()
    again = catch_up(9, 1)
    assert again["caught_up"] == [] and "caught up reminders" not in caplog.text
    assert len(mail.outbox) == 5  # the second catch-up sends nothing


def test_a_run_that_happened_on_time_is_not_run_again(world):
    with frozen(DAY, 8, 30):
        reminders_run()  # the scheduled task ran: it recorded its own run
    assert missed_runs(now=at(DAY, 9, 0)) == [] or all(
        job != "reminders" for job, _, _ in missed_runs(now=at(DAY, 9, 0))
    )
    before = Notification.objects.count()
    assert "reminders 2017-10-15" not in catch_up()["caught_up"]
    assert Notification.objects.count() == before


def test_the_on_time_run_gets_a_grace_period_before_it_counts_as_missed(world, settings):
    settings.JOB_CATCH_UP_GRACE_MINUTES = 10
    assert catch_up(8, 35)["caught_up"] == []  # the 08:30 run may still be queued
    assert "reminders 2017-10-15" in catch_up(8, 41)["caught_up"]


def test_a_disabled_schedule_is_not_caught_up(world):
    PeriodicTask.objects.filter(task="commitments.reminders_send_due").update(enabled=False)
    assert "reminders 2017-10-15" not in catch_up()["caught_up"]
    assert mail.outbox == []


def test_a_tick_older_than_the_window_is_not_caught_up(world, settings):
    settings.JOB_CATCH_UP_HOURS = 24
    with frozen(DAY + dt.timedelta(days=1), 8, 0):  # before the 16th's tick: the last is the 15th's
        missed = missed_runs()
    assert ("reminders", DAY, at(DAY, 8, 30)) in missed
    with frozen(DAY + dt.timedelta(days=2), 8, 0):
        missed = missed_runs()
    assert all(day != DAY for _, day, _ in missed)  # the 16th's is the one to run


def test_a_run_whose_worker_died_is_run_again_after_the_lease(world, settings):
    """Started, never finished (the worker was killed and Redis lost the redelivery)."""
    settings.JOB_RUN_LEASE_SECONDS = 1800
    JobRun.objects.create(job="reminders", period="2017-10-15", started_at=at(DAY, 8, 30))
    assert "reminders 2017-10-15" not in catch_up(8, 55)["caught_up"]  # may still be running
    assert "reminders 2017-10-15" in catch_up(9, 1)["caught_up"]
    assert len(sent_to()) == 5
