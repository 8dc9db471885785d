"""A real SMTP server that misbehaves: refuses (421/451), times out, goes away, refuses for
good (550). The outbox retries until everything has gone, each message exactly once, and
what could not go is failed and visible in the admin with its error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.jobs.models import Notification
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run
from tests.support.html import parse
from tests.support.jobs_world import DAY, frozen, make_world
from tests.support.smtp_server import smtp_server, smtp_settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture
def digests(settings):
    settings.EMAIL_MAX_ATTEMPTS = 6
    world = make_world()
    with frozen(DAY):
        reminders_run(day=DAY)
    assert Notification.objects.filter(state="pending").count() == 5
    return world


def flush_until_settled(rounds: int = 20) -> int:
    """Flush as beat would, a day apart, so every back-off has passed; returns the rounds."""
    for i in range(1, rounds + 1):
        outbox_flush(now=timezone.now() + dt.timedelta(days=i))
        if not Notification.objects.filter(state__in=["pending", "sending"]).exists():
            return i
    raise AssertionError("the outbox did not settle")


def test_refusals_and_a_timeout_then_recovery_deliver_each_message_once(settings, digests):
    faults = ["421", "451", "slow", "451", None, "421", "451", None, "451"]
    with smtp_server(faults=faults) as server:
        smtp_settings(settings, server)
        rounds = flush_until_settled()
        received = server.received
        attempts = server.handler.attempts
    assert rounds > 1
    assert len(received) == 5
    assert len({m["Message-ID"] for m in received}) == 5
    assert sorted(m["To"] for m in received) == sorted(
        Notification.objects.values_list("to_email", flat=True)
    )
    rows = Notification.objects.all()
    assert {n.state for n in rows} == {"sent"}
    assert sum(n.attempts for n in rows) == attempts == 5 + 7  # seven refusals, each retried


def test_a_server_that_is_down_is_waited_for(settings, digests):
    with smtp_server() as server:
        smtp_settings(settings, server)
        server.stop()  # SMTP down: connection refused
        result = outbox_flush()
        assert result.retrying == 3 and result.sent == 0  # it stops trying after three
        failed = Notification.objects.filter(attempts=1).first()
        assert failed is not None
        assert "ConnectionRefusedError" in failed.last_error
        server.start()  # back, on the same port
        flush_until_settled()
        received = server.received
    assert len(received) == 5 and len({m["Message-ID"] for m in received}) == 5


def test_a_permanent_refusal_is_failed_and_the_rest_go(settings, digests):
    with smtp_server(faults=["550"]) as server:
        smtp_settings(settings, server)
        flush_until_settled()
        received = server.received
    assert len(received) == 4
    failed = Notification.objects.get(state="failed")
    assert failed.attempts == 1 and "550" in failed.last_error


def test_failures_are_visible_in_the_admin_and_can_be_retried(settings, digests, admin_client):
    settings.EMAIL_MAX_ATTEMPTS = 1  # one 451 and that email has had all its attempts
    with smtp_server(faults=["550", "451"]) as server:
        smtp_settings(settings, server)
        flush_until_settled()
        failed = list(Notification.objects.filter(state="failed"))
        assert len(failed) == 2
        url = reverse("admin:jobs_notification_changelist")
        page = admin_client.get(url, {"state__exact": "failed"}).content.decode()
        assert "451" in page and "550" in page
        change = admin_client.get(reverse("admin:jobs_notification_change", args=[failed[0].pk]))
        assert change.status_code == 200
        shown = parse(change.content).find("div", id="content").text
        assert failed[0].last_error.splitlines()[0][:40] in shown  # why it failed

        response = admin_client.post(
            url, {"action": "retry_now", "_selected_action": [n.pk for n in failed]}, follow=True
        )
        assert response.status_code == 200
        assert Notification.objects.filter(state="pending", attempts=0).count() == 2
        flush_until_settled()
        received = server.received
    assert len(received) == 5
    assert len({m["Message-ID"] for m in received}) == 5
