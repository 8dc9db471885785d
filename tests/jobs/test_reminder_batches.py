"""The reminder run screens and writes a batch of people at a time (REMINDER_BATCH_SIZE), so
its memory does not grow with the number of people. The batches change what is held in
memory, never what is sent or counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from commitments.jobs.models import EmailKind, JobRun, Notification, NotificationItem
from commitments.jobs.outbox import preference_set
from commitments.jobs.reminders import reminders_plan, reminders_run
from commitments.models import Department, Membership
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.jobs_world import DAY, frozen, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """The job tests' ledger, with more people to spread over batches: a second reporter
    in each department, one of them in both, one opted out of due-soon items, one
    inactive, one without an address."""
    w = make_world()
    more: list[tuple[Department, dict[str, Any]]] = [
        (w.dept_a, {}),
        (w.dept_a, {"email": ""}),
        (w.dept_b, {"is_active": False}),
        (w.dept_b, {}),
        (w.office, {}),
    ]
    for i, (dept, extra) in enumerate(more):
        role = Membership.Role.SUPERVISOR if dept == w.office else Membership.Role.REPORTER
        user = UserFactory.create(username=f"more{i}", password=None, **extra)
        MembershipFactory.create(user=user, department=dept, role=role)
        if i == 0:
            MembershipFactory.create(user=user, department=w.dept_b, role=role)
        if i == 3:
            preference_set(user=user, kind=EmailKind.DUE_SOON, enabled=False)
    return w


def digests() -> dict[str, tuple[str, str, str, frozenset]]:
    """Every digest written, by address: subject, both bodies and the items it carries."""
    return {
        n.to_email: (
            n.subject,
            n.body_text,
            n.body_html,
            frozenset(n.items.values_list("commitment__code", "kind", "window")),
        )
        for n in Notification.objects.filter(kind=Notification.Kind.REMINDER_DIGEST)
    }


def counts(plan) -> tuple:
    return (
        plan.item_count,
        plan.recipient_count,
        plan.already_told,
        plan.opted_out_items,
        sorted(plan.opted_out_people),
        sorted(plan.skipped_inactive),
        sorted(plan.skipped_no_email),
        sorted(plan.deferred_people),
    )


def run(settings, size: int, day: dt.date = DAY):
    settings.REMINDER_BATCH_SIZE = size
    with frozen(day):
        return reminders_run(day=day)


def forget_every_run() -> None:
    NotificationItem.objects.all().delete()
    Notification.objects.all().delete()
    JobRun.objects.all().delete()


def test_batches_of_two_send_what_one_batch_sends(world, settings):
    whole = run(settings, 1000)
    one_batch, one_batch_counts = digests(), counts(whole.plan)
    assert len(one_batch) >= 7  # spread over four batches of two below
    assert whole.plan.opted_out_items and whole.plan.skipped_inactive
    assert whole.plan.skipped_no_email
    # A real run keeps counts, not a list of every item.
    assert whole.plan.items == []
    assert whole.plan.item_count == NotificationItem.objects.count()

    forget_every_run()
    batched = run(settings, 2)
    assert digests() == one_batch
    assert counts(batched.plan) == one_batch_counts
    assert len(batched.notification_ids) == len(one_batch)


def test_a_second_run_in_batches_counts_what_was_told(world, settings):
    first = run(settings, 2)
    again = run(settings, 3)
    # Nothing new; the office's digests, not sent yet, are only rendered again (the
    # urging notices due are news for it every run).
    assert again.plan.item_count == 0 and again.plan.recipient_count == 0
    assert set(again.notification_ids) <= set(first.notification_ids)
    assert again.plan.already_told == first.plan.item_count == NotificationItem.objects.count()


def test_the_plan_is_the_same_whatever_the_batches(world, settings):
    settings.REMINDER_BATCH_SIZE = 1000
    with frozen(DAY):
        whole = reminders_plan(day=DAY)
    settings.REMINDER_BATCH_SIZE = 2
    seen: list[set[int]] = []
    with frozen(DAY):
        batched = reminders_plan(day=DAY, on_batch=lambda plan, batch: seen.append(set(batch)))
    assert [it.key for it in batched.items] == [it.key for it in whole.items]
    assert counts(batched) == counts(whole)
    # Each batch held at most two people, and together they are everyone told.
    assert all(len(b) <= 2 for b in seen) and len(seen) >= 4
    assert set().union(*seen) == {it.recipient_id for it in whole.items}
