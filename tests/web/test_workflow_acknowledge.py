"""签收: assigning a unit notifies it at once (outbox email + inbox); its reporter or
manager acknowledges; unacknowledged after ACKNOWLEDGE_WITHIN_DAYS shows as 未签收 on the
ledger and dashboard and goes into the next reminder digest; a new unit needs a new
acknowledgement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from commitments.jobs.models import EmailKind, Notification, NotificationItem
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run
from commitments.models import Acknowledgement
from commitments.services.status import status_invalidate
from tests.support.webutil import make_cast

DAY = dt.date(2017, 9, 30)


@pytest.fixture
def cast(anyang, settings):
    settings.LEDGER_TODAY = DAY
    return make_cast(anyang)


def assign(cast, commitment, lead, co=()):
    data = {
        "lead_unit": lead.pk,
        "co_units": [d.pk for d in co],
        "responsible_person": "李主任",
        "start_date": "2017-01-01",
        "due_date": "2017-12-31",
    }
    r = cast.client("supervisor").post(f"/c/{commitment.pk}/assign/", data)
    assert r.status_code == 302, r.content.decode()[:500]


def test_assigning_a_unit_notifies_it_at_once(cast):
    assign(cast, cast.theirs, cast.dept)
    ack = Acknowledgement.objects.get(commitment=cast.theirs, department=cast.dept)
    assert ack.is_pending and ack.role == "lead" and ack.assigned_by == cast.supervisor
    keys = set(Notification.objects.filter(kind="assignment").values_list("key", flat=True))
    assert keys == {
        f"assignment:{ack.pk}:{cast.reporter.pk}",
        f"assignment:{ack.pk}:{cast.manager.pk}",
    }
    outbox_flush()
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {cast.reporter.email, cast.manager.email}
    msg = sent[cast.reporter.email]
    assert "交办通知" in msg.subject and cast.theirs.code in msg.subject
    assert "签收" in msg.body and "/inbox/" in msg.body
    # and the unit's inbox lists it with a button
    body = cast.client("reporter").get("/inbox/").content.decode()
    assert "待签收的交办任务" in body and cast.theirs.code in body


def test_saving_the_assignment_again_does_not_notify_twice(cast):
    assign(cast, cast.theirs, cast.dept)
    assign(cast, cast.theirs, cast.dept)
    assert Acknowledgement.objects.filter(commitment=cast.theirs).count() == 1
    assert Notification.objects.filter(kind="assignment").count() == 2  # reporter + manager


def test_the_unit_acknowledges_and_it_is_recorded(cast):
    assign(cast, cast.theirs, cast.dept, co=[cast.other_dept])
    r = cast.client("manager").post(f"/c/{cast.theirs.pk}/acknowledge/")
    assert r.status_code == 302
    mine = Acknowledgement.objects.get(commitment=cast.theirs, department=cast.dept)
    assert mine.acknowledged_by == cast.manager and mine.acknowledged_at is not None
    # the co-unit still has to acknowledge for itself
    assert Acknowledgement.objects.get(
        commitment=cast.theirs, department=cast.other_dept
    ).is_pending
    page = cast.client("supervisor").get(f"/c/{cast.theirs.pk}/").content.decode()
    assert "已签收" in page and "未签收" in page and "签收" in page


def test_acknowledging_twice_changes_nothing(cast):
    assign(cast, cast.theirs, cast.dept)
    cast.client("reporter").post(f"/c/{cast.theirs.pk}/acknowledge/")
    first = Acknowledgement.objects.get(commitment=cast.theirs).acknowledged_at
    r = cast.client("manager").post(f"/c/{cast.theirs.pk}/acknowledge/", follow=True)
    assert "没有需要您签收的交办" in r.content.decode()
    assert Acknowledgement.objects.get(commitment=cast.theirs).acknowledged_at == first


def test_reassigning_to_a_new_unit_needs_its_acknowledgement(cast):
    assign(cast, cast.theirs, cast.dept)
    cast.client("reporter").post(f"/c/{cast.theirs.pk}/acknowledge/")
    assign(cast, cast.theirs, cast.other_dept)
    old = Acknowledgement.objects.get(commitment=cast.theirs, department=cast.dept)
    new = Acknowledgement.objects.get(
        commitment=cast.theirs, department=cast.other_dept, superseded_at__isnull=True
    )
    assert old.superseded_at is not None
    assert new.is_pending
    assert Notification.objects.filter(key=f"assignment:{new.pk}:{cast.other_reporter.pk}").exists()


def test_unacknowledged_after_n_days_shows_on_ledger_and_dashboard(cast, settings):
    settings.ACKNOWLEDGE_WITHIN_DAYS = 3
    assign(cast, cast.theirs, cast.dept)
    Acknowledgement.objects.update(assigned_on=DAY - dt.timedelta(days=3))
    sup = cast.client("supervisor")
    board = sup.get("/dashboard/").context["board"]
    assert board.unacknowledged_total == 0  # within the three days
    # Back-dating in bulk bypasses the writers (and their signals): say so, as they do.
    Acknowledgement.objects.update(assigned_on=DAY - dt.timedelta(days=4))
    status_invalidate(list(Acknowledgement.objects.values_list("commitment_id", flat=True)))
    board = sup.get("/dashboard/").context["board"]
    assert [r.commitment.pk for r in board.unacknowledged] == [cast.theirs.pk]
    assert "交办后未签收" in sup.get("/dashboard/").content.decode()
    body = sup.get("/", {"q": cast.theirs.text[:12]}).content.decode()
    assert 'class="tag tag-unack"' in body and "未签收" in body
    cast.client("reporter").post(f"/c/{cast.theirs.pk}/acknowledge/")
    assert sup.get("/dashboard/").context["board"].unacknowledged_total == 0


def test_unacknowledged_items_go_into_the_next_reminder_digest(cast, settings):
    settings.ACKNOWLEDGE_WITHIN_DAYS = 3
    assign(cast, cast.theirs, cast.dept)
    Acknowledgement.objects.update(assigned_on=DAY - dt.timedelta(days=2))
    reminders_run(day=DAY)
    assert not NotificationItem.objects.filter(kind=EmailKind.UNACKNOWLEDGED).exists()
    Acknowledgement.objects.update(assigned_on=DAY - dt.timedelta(days=5))
    reminders_run(day=DAY + dt.timedelta(days=1))
    items = NotificationItem.objects.filter(kind=EmailKind.UNACKNOWLEDGED)
    assert {i.recipient_id for i in items} == {cast.reporter.pk, cast.manager.pk}
    mail.outbox.clear()
    outbox_flush()
    digest = next(
        m for m in mail.outbox if m.to == [cast.reporter.email] and "2017-10-01" in m.subject
    )
    assert "未签收" in digest.subject and cast.theirs.code in digest.body
    # once per assignment
    reminders_run(day=DAY + dt.timedelta(days=2))
    assert NotificationItem.objects.filter(kind=EmailKind.UNACKNOWLEDGED).count() == 2
