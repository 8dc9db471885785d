"""End to end: a worker killed (SIGKILL) in the middle of writing a day's reminders. The
task was not acknowledged (acks_late), so once the broker's visibility timeout has passed
a new worker is given it again; the rerun skips what the killed one wrote (each batch of
recipients is its own transaction, each item unique), and every person gets exactly one
digest through a real SMTP server.

Real processes: the workers are subprocesses (``tests/support/slow_worker.py``, whose
reminder run sleeps between recipients) on Redis db 15 and the test database file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from commitments.jobs import tasks
from commitments.jobs.models import Notification
from tests.support.celery_util import E2E_BROKER, broker
from tests.support.jobs_world import make_world
from tests.support.smtp_server import smtp_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_SECONDS = 3


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(smtp_port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": E2E_BROKER,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "5",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "CELERY_SHORT_VISIBILITY_FOR_TESTS": "1",
        "REMINDER_BATCH_SIZE": "1",  # one recipient per transaction
        "SLOW_BATCH_SECONDS": "1.0",
        "LEDGER_TODAY": "",
        "EMAIL_RETRY_BASE_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.slow_worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed whole, by id
    )


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def digests() -> int:
    return Notification.objects.filter(key__startswith="reminders:2017-10-15:").count()


def test_a_worker_killed_mid_run_leaves_the_run_to_the_next_worker(tmp_path):
    if not redis.Redis.from_url(E2E_BROKER, socket_connect_timeout=1).ping():
        pytest.fail(f"needs Redis at {E2E_BROKER}")
    world = make_world()
    people = {u.email for u in (world.rep_a, world.mgr_a, world.rep_b, world.mgr_b, world.sup)}
    log = tmp_path / "workers.log"
    with broker(E2E_BROKER, flush=True), smtp_server() as server:
        first = start_worker(server.port, log)
        try:
            tasks.reminders_send_due.delay(day="2017-10-15")
            # Killed once some digests are written, before all are.
            wait(lambda: 1 <= digests() < len(people), 60, "the first digests")
        finally:
            kill(first)
        written_before = digests()
        assert 1 <= written_before < len(people), "the kill came too late to prove anything"
        unacked = redis.Redis.from_url(E2E_BROKER).hlen("unacked")
        assert unacked >= 1  # the task is still the broker's: not acknowledged

        time.sleep(VISIBILITY_SECONDS + 1)  # past the visibility timeout
        second = start_worker(server.port, log)
        try:
            wait(lambda: len(server.received) >= len(people), 90, "every digest")
            time.sleep(3)  # anything extra would arrive now
        finally:
            kill(second)
        received = server.received

    by_to: dict[str, int] = {}
    for msg in received:
        by_to[msg["To"]] = by_to.get(msg["To"], 0) + 1
    assert by_to == {email: 1 for email in people}, (by_to, log.read_text()[-3000:])
    assert digests() == len(people)
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
