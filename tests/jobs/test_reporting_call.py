"""The monthly reporting call (每月报送): in the days before REPORTING_DAY each month, the
reporters of every department with open work not yet reported this month are asked for
their update, once per person per month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from commitments.jobs.models import EmailKind, Notification, NotificationItem
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import (
    reporting_call_plan,
    reporting_call_run,
    reporting_call_window,
)
from tests.support.jobs_world import email_body, frozen, make_world, parse, sent_to, update

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.REPORTING_DAY = 25
    settings.REPORTING_CALL_DAYS_BEFORE = 5
    return make_world()


def call(day: dt.date):
    with frozen(day):
        result = reporting_call_run(day=day)
        outbox_flush()
    return result


def test_it_calls_only_in_the_days_before_the_reporting_day(world):
    assert call(dt.date(2017, 10, 19)).plan.items == []
    assert "20–25" in call(dt.date(2017, 10, 19)).plan.note
    assert mail.outbox == []
    call(dt.date(2017, 10, 20))
    assert set(sent_to()) == {world.rep_a.email, world.rep_b.email}  # reporters, not managers


def test_once_per_person_per_month(world):
    for day in range(20, 26):
        call(dt.date(2017, 10, day))
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind=Notification.Kind.REPORTING_CALL).count() == 2
    call(dt.date(2017, 11, 21))
    assert len(mail.outbox) == 4  # next month, again


def test_it_lists_only_open_work_not_yet_reported_this_month(world):
    update(world.c["due7"], world.rep_a, dt.date(2017, 10, 3))  # reported this month
    call(dt.date(2017, 10, 21))
    listed = set(
        NotificationItem.objects.filter(
            recipient=world.rep_a, kind=EmailKind.REPORTING_CALL
        ).values_list("commitment__code", flat=True)
    )
    assert "w-due7" not in listed  # reported on 3 October
    assert "w-done" not in listed  # completed
    assert "w-unassigned" not in listed
    assert {"w-due14", "w-overdue", "w-escalate", "w-stale", "w-fresh"} <= listed


def test_a_department_that_has_reported_everything_is_not_called(world):
    update(world.c["due14"], world.rep_b, dt.date(2017, 10, 2))
    call(dt.date(2017, 10, 22))
    assert world.rep_b.email not in sent_to()


def test_the_email_says_by_when(world):
    call(dt.date(2017, 10, 20))
    msg = parse(sent_to()[world.rep_b.email][0])
    assert msg["Subject"].strip() == "【每月报送】请于10月25日前报送2017年10月进展（1项）"
    assert "w-due14" in email_body(msg, "plain")
    assert "w-due14" in email_body(msg, "html")


def test_a_reporting_day_past_the_month_end_is_the_last_day(world, settings):
    settings.REPORTING_DAY = 31
    first, last = reporting_call_window(dt.date(2017, 2, 10))
    assert (first, last) == (dt.date(2017, 2, 23), dt.date(2017, 2, 28))


def test_opting_out_is_not_possible(world):
    from django.core.exceptions import ValidationError

    from commitments.jobs.outbox import preference_set

    with pytest.raises(ValidationError):
        preference_set(user=world.rep_a, kind=EmailKind.REPORTING_CALL, enabled=False)
    assert world.rep_a.pk in {
        it.recipient_id for it in reporting_call_plan(day=dt.date(2017, 10, 20)).items
    }
