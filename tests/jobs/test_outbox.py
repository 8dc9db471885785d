"""The outbox: claim with a conditional UPDATE, send, record; retry with exponential
back-off until it goes; a 5xx fails at once; a crash mid-send is never re-sent blindly;
nothing is sent twice, whatever runs at once."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
import time
from typing import cast

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.utils import timezone

from commitments.jobs import outbox as notifications
from commitments.jobs.models import Notification, NotificationItem
from commitments.jobs.outbox import (
    backoff_seconds,
    notification_claim,
    outbox_flush,
    outbox_retry_now,
)
from commitments.jobs.reminders import reminders_run
from tests.support.celery_util import CLOSED_PORT_BROKER, E2E_BROKER, broker
from tests.support.factories import UserFactory
from tests.support.jobs_world import DAY, at, frozen, make_world
from tests.support.mailbackends import FlakyBackend

needs_two_connections = pytest.mark.skipif(
    connection.vendor == "sqlite" and cast(SQLiteDatabaseWrapper, connection).is_in_memory_db(),
    reason="concurrent writers need two connections; an in-memory SQLite database has one",
)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.support.mailbackends.FlakyBackend"
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    settings.EMAIL_MAX_ATTEMPTS = 5
    FlakyBackend.reset()
    return FlakyBackend


def outbox_row(user=None, key: str = "test:1", **kw) -> Notification:
    user = user or UserFactory(password=None)
    return Notification.objects.create(
        key=key,
        kind=Notification.Kind.REMINDER_DIGEST,
        recipient=user,
        to_email=user.email,
        for_day=DAY,
        subject="【督办提醒】测试",
        body_text="正文",
        body_html="<p>正文</p>",
        **kw,
    )


def refreshed(n: Notification) -> Notification:
    n.refresh_from_db()
    return n


@pytest.mark.django_db
class TestSending:
    def test_a_claim_is_won_once(self):
        n = outbox_row()
        assert notification_claim(n.pk) is True
        assert notification_claim(n.pk) is False
        assert refreshed(n).state == Notification.State.SENDING
        assert n.attempts == 1

    def test_a_sent_email_is_recorded_and_never_sent_again(self, flaky):
        n = outbox_row()
        assert outbox_flush().sent == 1
        n = refreshed(n)
        assert n.state == Notification.State.SENT and n.sent_at is not None and n.last_error == ""
        assert outbox_flush().sent == 0
        assert notifications.notification_send(n.pk) == "not_claimed"
        assert len(mail.outbox) == 1
        assert mail.outbox[0].extra_headers["X-Duban-Key"] == "test:1"

    @pytest.mark.parametrize(
        "error",
        [
            ConnectionRefusedError(111, "Connection refused"),  # SMTP down
            TimeoutError("timed out"),
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            smtplib.SMTPDataError(451, b"4.3.0 try again later"),
            smtplib.SMTPSenderRefused(421, b"4.3.2 shutting down", "duban@localhost"),
            smtplib.SMTPConnectError(421, b"too busy"),
            smtplib.SMTPAuthenticationError(535, b"bad credentials"),  # our configuration
        ],
    )
    def test_a_transient_failure_is_retried_with_back_off(self, flaky, error):
        flaky.reset([error])
        with frozen(DAY):
            n = outbox_row()
            result = outbox_flush()
            assert result.retrying == 1
            n = refreshed(n)
            assert n.state == Notification.State.PENDING and n.attempts == 1
            assert type(error).__name__ in n.last_error
            assert n.next_attempt_at == timezone.now() + dt.timedelta(seconds=60)
            assert outbox_flush().sent == 0  # not due yet
        with frozen(DAY, 8, 31):
            assert outbox_flush().sent == 1
        assert refreshed(n).state == Notification.State.SENT
        assert len(mail.outbox) == 1

    def test_the_back_off_doubles_up_to_the_cap(self, settings):
        settings.EMAIL_RETRY_BASE_SECONDS = 60
        settings.EMAIL_RETRY_MAX_SECONDS = 6 * 3600
        assert [backoff_seconds(n) for n in range(1, 12)] == [
            60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600,
        ]  # fmt: skip

    def test_it_gives_up_after_the_last_attempt_and_keeps_the_error(self, flaky):
        flaky.reset([smtplib.SMTPDataError(451, b"try again later")] * 10)
        with frozen(DAY):
            n = outbox_row()
        for minute in range(0, 10 * 60, 7):  # flushes every 7 minutes for 10 hours
            with time_machine.travel(at(DAY) + dt.timedelta(minutes=minute), tick=False):
                outbox_flush()
        n = refreshed(n)
        assert n.state == Notification.State.FAILED
        assert n.attempts == 5
        assert "451" in n.last_error
        assert flaky.attempts == 5 and mail.outbox == []

    def test_a_permanent_refusal_fails_at_once(self, flaky):
        flaky.reset(
            [smtplib.SMTPRecipientsRefused({"x@example.gov.cn": (550, b"5.1.1 no such user")})]
        )
        n = outbox_row()
        assert outbox_flush().failed == 1
        n = refreshed(n)
        assert n.state == Notification.State.FAILED and n.attempts == 1 and "550" in n.last_error

    def test_a_send_interrupted_by_a_crash_is_retried_after_the_lease(self, flaky, settings):
        """The worker died after claiming: the message may or may not have gone. Each
        attempt stays at most once; after the lease the row is due again with a note (the
        Message-ID is the same, so a receiving server can drop a duplicate)."""
        settings.EMAIL_SENDING_LEASE_SECONDS = 600
        with frozen(DAY):
            n = outbox_row()
            assert notification_claim(n.pk)
        with frozen(DAY, 8, 35):
            assert outbox_flush().interrupted == 0  # still within the lease
            assert mail.outbox == []
        with frozen(DAY, 8, 41):
            result = outbox_flush()
        assert result.interrupted == 1 and result.sent == 1
        n = refreshed(n)
        assert n.state == Notification.State.SENT and n.attempts == 2
        assert len(mail.outbox) == 1

    def test_an_interrupted_send_fails_for_good_after_the_last_attempt(self, flaky, settings):
        settings.EMAIL_SENDING_LEASE_SECONDS = 600
        with frozen(DAY):
            n = outbox_row(attempts=settings.EMAIL_MAX_ATTEMPTS - 1)
            assert notification_claim(n.pk)  # the last attempt
        with frozen(DAY, 8, 41):
            assert outbox_flush().interrupted == 1
        n = refreshed(n)
        assert n.state == Notification.State.FAILED and "interrupted" in n.last_error
        assert mail.outbox == []

    def test_a_flush_sends_until_nothing_is_due(self, flaky, monkeypatch):
        """Not a fixed batch: the flush goes on, chunk after chunk, while rows are due."""
        monkeypatch.setattr(notifications, "FLUSH_CHUNK", 2)
        user = UserFactory(password=None)
        for i in range(7):
            outbox_row(user, key=f"k{i}")
        assert outbox_flush().sent == 7
        assert len(mail.outbox) == 7

    def test_a_failed_attempt_queues_its_retry_for_when_the_back_off_ends(self, flaky, monkeypatch):
        queued: list[tuple[str, float | None, dict]] = []
        monkeypatch.setattr(
            notifications,
            "dispatch_on_commit",
            lambda name, countdown=None, **kw: queued.append((name, countdown, kw)),
        )
        flaky.reset([ConnectionRefusedError(111, "refused")])
        n = outbox_row()
        assert outbox_flush().retrying == 1
        assert queued == [("outbox_flush", 60, {"ids": [n.pk]})]

    def test_retry_now_makes_failed_emails_due_and_leaves_sent_ones_alone(
        self, flaky, django_capture_on_commit_callbacks
    ):
        flaky.reset([smtplib.SMTPRecipientsRefused({"x": (550, b"no")})])
        failed = outbox_row(key="a")
        outbox_flush()
        sent = outbox_row(key="b")
        outbox_flush()
        with django_capture_on_commit_callbacks() as callbacks:
            assert outbox_retry_now([failed.pk, sent.pk]) == 1
        assert len(callbacks) == 1  # an outbox flush is queued after commit
        assert refreshed(failed).state == Notification.State.PENDING and failed.attempts == 0
        assert refreshed(sent).state == Notification.State.SENT
        assert outbox_flush().sent == 1
        assert len(mail.outbox) == 2

    def test_an_email_to_someone_deactivated_meanwhile_is_cancelled(self, flaky):
        n = outbox_row()
        n.recipient.is_active = False
        n.recipient.save()
        assert outbox_flush().cancelled == 1
        assert refreshed(n).state == Notification.State.CANCELLED and mail.outbox == []

    def test_a_flush_stops_when_the_server_is_plainly_down(self, flaky):
        flaky.reset([ConnectionRefusedError(111, "refused")] * 10)
        user = UserFactory(password=None)
        rows = [outbox_row(user, key=f"k{i}") for i in range(6)]
        result = outbox_flush()
        assert result.retrying == 3
        attempts = sorted(refreshed(n).attempts for n in rows)
        assert attempts == [0, 0, 0, 1, 1, 1]  # the rest keep their attempts for later


@pytest.mark.django_db
def test_a_crash_while_writing_the_digests_leaves_nothing_half_written(monkeypatch):
    """The job's write is one transaction: a crash rolls it back, and the retry writes
    everything once."""
    world = make_world()
    original = Notification.objects.bulk_update

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(Notification.objects, "bulk_update", crash)
    with frozen(DAY), pytest.raises(RuntimeError):
        reminders_run(day=DAY)
    assert Notification.objects.count() == 0 and NotificationItem.objects.count() == 0
    monkeypatch.setattr(Notification.objects, "bulk_update", original)
    with frozen(DAY):
        reminders_run(day=DAY)
        outbox_flush()
    assert len(mail.outbox) == 5
    assert world.rep_a.email in {m.to[0] for m in mail.outbox}


@pytest.mark.django_db
def test_queueing_with_redis_down_does_not_raise(caplog, django_capture_on_commit_callbacks):
    """The broker is a closed port: the caller goes on, a warning is logged, quickly."""
    with broker(CLOSED_PORT_BROKER), django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        notifications.dispatch_on_commit("outbox_flush")
    assert time.monotonic() - started < 3
    assert "could not queue outbox_flush" in caplog.text


@pytest.fixture
def own_broker():
    """Transactional tests run their on-commit hooks: keep what they queue out of the
    development Redis (database 0), in a database of their own, flushed around the test."""
    with broker(E2E_BROKER, flush=True):
        yield


def _race(n_threads: int, target) -> list:
    """Run ``target`` in n threads released at the same instant; each closes its own
    database connection."""
    barrier = threading.Barrier(n_threads)
    results: list = []
    errors: list[BaseException] = []

    def body():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@needs_two_connections
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_record_each_item_once(own_broker):
    world = make_world()
    with frozen(DAY):
        _race(4, lambda: reminders_run(day=DAY))
        outbox_flush()
    assert Notification.objects.count() == 5
    keys = list(
        NotificationItem.objects.values_list("recipient_id", "commitment_id", "kind", "window")
    )
    assert len(keys) == len(set(keys)) == 15
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in (world.rep_a, world.mgr_a, world.rep_b, world.mgr_b, world.sup)
    )


@needs_two_connections
@pytest.mark.django_db(transaction=True)
def test_workers_flushing_at_once_send_each_email_once(settings, own_broker):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(password=None)
    for i in range(40):
        outbox_row(user, key=f"race:{i}")
    results = _race(5, outbox_flush)
    assert sum(r.sent for r in results) == 40
    keys = [m.extra_headers["X-Duban-Key"] for m in mail.outbox]
    assert len(keys) == len(set(keys)) == 40
    assert set(Notification.objects.values_list("state", flat=True)) == {Notification.State.SENT}


@needs_two_connections
@pytest.mark.django_db(transaction=True)
def test_a_sender_waits_for_a_digest_being_written(own_broker):
    """The sender's claim (an UPDATE) waits on the row lock the writer holds, so it never
    sends a digest half filled."""
    from django.db import transaction

    world = make_world()
    with frozen(DAY):
        reminders_run(day=DAY)
    digest = Notification.objects.get(recipient=world.rep_a)
    claimed = threading.Event()

    def sender():
        try:
            notification_claim(digest.pk, now=at(DAY, 9, 0))
            claimed.set()
        finally:
            connection.close()

    with transaction.atomic():
        list(Notification.objects.select_for_update().filter(pk=digest.pk))
        t = threading.Thread(target=sender)
        t.start()
        assert not claimed.wait(0.5)  # blocked by the writer's lock
    t.join(10)
    assert claimed.is_set()
