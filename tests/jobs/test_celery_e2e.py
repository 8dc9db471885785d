"""End to end: a real Celery worker consuming from the real Redis (a database of its own,
flushed before and after), a real SMTP server in this process (aiosmtpd), the project's
tasks triggered as beat would, and the delivered messages read back as a mail client would.

The worker runs in a thread of this process (celery.contrib.testing), so it shares the test
database, in-memory SQLite included. While it works, the test only watches Redis and the
SMTP server; it reads the database once the worker has stopped.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from email.message import EmailMessage

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django_celery_results.models import TaskResult
from openpyxl import load_workbook

from commitments.jobs import tasks
from commitments.jobs.models import Notification
from commitments.jobs.summaries import current_reports
from tests.support.celery_util import E2E_BROKER, broker
from tests.support.jobs_world import email_body, make_world
from tests.support.smtp_server import smtp_server, smtp_settings
from tracker.celery import app

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2017, 10, 16)


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(E2E_BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker(settings):
    if not redis_up():
        pytest.fail(f"the end-to-end tests need Redis at {E2E_BROKER} (make test starts one)")
    settings.EMAIL_RETRY_BASE_SECONDS = 0  # retries are due at once; beat is played by the test
    with broker(E2E_BROKER, flush=True):
        app.loader.import_default_modules()
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as w:
            yield w


def wait_until_idle(timeout: float = 60) -> None:
    """Until the queue is empty and the worker has nothing in hand, for a quarter second
    (a task that queues another publishes before it finishes, so the queue shows it)."""
    r = redis.Redis.from_url(E2E_BROKER)
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        busy = r.llen("celery") or worker_state.active_requests or worker_state.reserved_requests
        quiet = 0 if busy else quiet + 1
        if quiet >= 5:
            return
        time.sleep(0.05)
    raise AssertionError(f"the worker was still busy after {timeout}s")


def test_reminders_and_summaries_go_through_a_real_worker_and_smtp_server(settings, worker):
    world = make_world()
    reports = len(current_reports(MONDAY))
    with smtp_server() as server:
        smtp_settings(settings, server)
        tasks.reminders_send_due.delay(day="2017-10-15")
        tasks.summaries_send_due.delay(period="weekly", day=MONDAY.isoformat())
        expected = 5 + 2 * reports  # five digests; the leader and the office per summary
        received = server.wait_for(expected, timeout=60)
        wait_until_idle()

        # Beat fires again (or a task is retried): nothing more is sent.
        tasks.reminders_send_due.delay(day="2017-10-15")
        tasks.summaries_send_due.delay(period="weekly", day=MONDAY.isoformat())
        tasks.outbox_flush.delay()
        wait_until_idle()
        received = server.received

    assert len(received) == expected
    by_to: dict[str, list[EmailMessage]] = {}
    for msg in received:
        by_to.setdefault(msg["To"], []).append(msg)
    digest = next(m for m in by_to[world.rep_a.email])
    assert digest["Subject"].strip().startswith("【督办提醒】2017-10-15")
    assert "w-due7" in email_body(digest, "plain")
    assert "w-due7" in email_body(digest, "html")

    summaries = [m for m in received if "落实情况周报" in m["Subject"]]
    assert len(summaries) == 2 * reports
    for msg in summaries:
        assert msg["Subject"].strip().startswith("【督办台账】")
        attachment = next(msg.iter_attachments())
        filename = attachment.get_filename()
        assert filename is not None
        assert filename.endswith("年政府工作报告台账_20171015.xlsx")
        assert load_workbook(io.BytesIO(attachment.get_content()))["台账"]["A2"].value == "编号"
    assert len({m["Message-ID"] for m in received}) == expected

    # The worker has stopped answering to the test now that it is idle; the database says
    # every email went once, and the task results are kept for the admin.
    assert set(Notification.objects.values_list("state", flat=True)) == {Notification.State.SENT}
    assert Notification.objects.count() == expected
    assert (
        TaskResult.objects.filter(
            task_name="commitments.reminders_send_due", status="SUCCESS"
        ).count()
        == 2
    )


def test_smtp_refusing_at_first_then_recovering_delivers_each_message_once(settings, worker):
    """The server refuses the first attempts (421 at MAIL FROM, 451 at DATA); the outbox
    flush, run as beat would, retries until everything has gone, exactly once."""
    make_world()
    faults = ["421", "451", "451", "421", "451", None, "451"]
    with smtp_server(faults=faults) as server:
        smtp_settings(settings, server)
        tasks.reminders_send_due.delay(day="2017-10-15")
        wait_until_idle()
        deadline = time.monotonic() + 60
        while len(server.received) < 5 and time.monotonic() < deadline:
            tasks.outbox_flush.delay()  # beat's every-minute flush, sped up
            wait_until_idle()
        received = server.received
        attempts = server.handler.attempts

    assert len(received) == 5
    assert len({m["Message-ID"] for m in received}) == 5
    assert len({m["To"] for m in received}) == 5
    assert attempts == 5 + 6  # every refusal was retried, no delivery repeated
    rows = list(Notification.objects.values_list("state", "attempts", "last_error"))
    assert {state for state, _, _ in rows} == {Notification.State.SENT}
    assert sum(a for _, a, _ in rows) == attempts
