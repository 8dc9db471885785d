"""Escalation: overdue past ESCALATE_AFTER_DAYS puts the item in the lead unit's managers'
and the supervision office's own digests, once per due date."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.jobs.models import EmailKind, NotificationItem
from commitments.jobs.reminders import reminders_plan
from tests.jobs.test_reminders import run
from tests.support.jobs_world import DAY, make_world, sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def escalated_to(world, day: dt.date) -> set[int]:
    plan = reminders_plan(day=day)
    return {
        it.recipient_id
        for it in plan.items
        if it.kind == EmailKind.ESCALATION and it.commitment_id == world.c["overdue"].pk
    }


def test_it_escalates_only_after_the_set_number_of_days(world, settings):
    settings.ESCALATE_AFTER_DAYS = 14
    due = world.c["overdue"].due_date  # 2017-10-10
    assert escalated_to(world, due + dt.timedelta(days=14)) == set()
    assert escalated_to(world, due + dt.timedelta(days=15)) == {world.mgr_a.pk, world.sup.pk}


def test_the_escalation_window_is_configurable(world, settings):
    settings.ESCALATE_AFTER_DAYS = 3
    assert escalated_to(world, DAY) == {world.mgr_a.pk, world.sup.pk}  # 5 days overdue


def test_escalations_ride_in_the_recipients_own_digest(world):
    """The manager gets one email with the escalation in it, not a separate one."""
    run()
    assert len(sent_to()[world.mgr_a.email]) == 1
    assert len(sent_to()[world.sup.email]) == 1
    body = sent_to()[world.sup.email][0].body
    assert "逾期升级" in body and "w-escalate" in body and "逾期 25 天" in body


def test_co_units_managers_and_leaders_are_not_escalated_to(world):
    world.c["escalate"].co_units.add(world.dept_b)
    run()
    esc = set(
        NotificationItem.objects.filter(kind=EmailKind.ESCALATION).values_list(
            "recipient__username", flat=True
        )
    )
    assert esc == {world.mgr_a.username, world.sup.username}


def test_an_escalation_is_sent_once_per_due_date(world):
    run()
    run(DAY + dt.timedelta(days=1))
    run(DAY + dt.timedelta(days=9))
    c = world.c["escalate"]
    assert (
        NotificationItem.objects.filter(
            kind=EmailKind.ESCALATION, recipient=world.sup, commitment=c
        ).count()
        == 1
    )
    # The deadline is moved, missed again, and escalated again.
    c.due_date = dt.date(2017, 11, 1)
    c.save()
    run(dt.date(2017, 11, 20))
    assert sorted(
        NotificationItem.objects.filter(
            kind=EmailKind.ESCALATION, recipient=world.sup, commitment=c
        ).values_list("window", flat=True)
    ) == ["2017-09-20", "2017-11-01"]


def test_members_of_the_office_department_are_copied_whatever_their_role(world):
    from commitments.models import Membership
    from tests.support.factories import MembershipFactory, UserFactory

    clerk = UserFactory.create(username="office_clerk", password=None)
    MembershipFactory.create(user=clerk, department=world.office, role=Membership.Role.REPORTER)
    assert clerk.pk in {
        it.recipient_id for it in reminders_plan(day=DAY).items if it.kind == EmailKind.ESCALATION
    }
