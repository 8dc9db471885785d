"""/healthz: database, Redis, the outbox's oldest unsent email and the beat schedules;
200 when all is well, 503 naming what is not; no login, no secrets."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tests.support.webutil import make_cast


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def healthz() -> tuple[int, dict]:
    response = Client().get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


@pytest.fixture
def schedules(db):
    call_command("setup_schedules", verbosity=0)
    now = timezone.now()
    # every schedule ran when it last should have
    for task in PeriodicTask.objects.all():
        PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=now - dt.timedelta(seconds=5))
    return PeriodicTask.objects.all()


def test_healthy(schedules):
    status, body = healthz()
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "outbox", "beat"}
    names = {s["name"] for s in body["checks"]["beat"]["schedules"]}
    assert "发件箱 outbox flush (every minute)" in names
    assert all(s["last_run_at"] for s in body["checks"]["beat"]["schedules"])


def test_no_login_needed_and_not_cached(schedules):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_redis_down_is_503_naming_redis(schedules, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/15"
    status, body = healthz()
    assert status == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    raw = json.dumps(body)
    assert "s3cret" not in raw and "127.0.0.1" not in raw and "redis://" not in raw


def test_old_unsent_email_is_503(schedules, anyang, settings):
    from commitments.jobs.models import Notification

    cast = make_cast(anyang)
    settings.HEALTH_OUTBOX_MAX_AGE_MINUTES = 60
    n = Notification.objects.create(
        key="test:1", kind=Notification.Kind.REMINDER_DIGEST, recipient=cast.reporter,
        to_email="reporter@example.gov.cn", for_day=dt.date(2017, 9, 30), state=Notification.State.PENDING,
    )  # fmt: skip
    status, body = healthz()
    assert status == 200 and body["checks"]["outbox"]["unsent"]["pending"] == 1
    Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    status, body = healthz()
    assert status == 503 and body["failing"] == ["outbox"]
    assert body["checks"]["outbox"]["oldest_unsent_age_seconds"] >= 3 * 3600
    Notification.objects.filter(pk=n.pk).update(
        state=Notification.State.SENT, sent_at=timezone.now()
    )
    assert healthz()[0] == 200


def test_failed_email_counts_as_unsent(schedules, anyang):
    from commitments.jobs.models import Notification

    cast = make_cast(anyang)
    Notification.objects.create(
        key="test:2", kind=Notification.Kind.SUMMARY, recipient=cast.leader,
        to_email="leader@example.gov.cn", for_day=dt.date(2017, 9, 30), state=Notification.State.FAILED,
    )  # fmt: skip
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    status, body = healthz()
    assert status == 503 and body["checks"]["outbox"]["unsent"]["failed"] == 1


def test_missed_schedule_is_503(schedules, settings):
    settings.HEALTH_BEAT_GRACE_MINUTES = 10
    flush = PeriodicTask.objects.get(task="commitments.outbox_flush")
    PeriodicTask.objects.filter(pk=flush.pk).update(
        last_run_at=timezone.now() - dt.timedelta(minutes=30)
    )
    status, body = healthz()
    assert status == 503 and body["failing"] == ["beat"]
    entries = {s["name"]: s for s in body["checks"]["beat"]["schedules"]}
    assert entries[flush.name]["missed"] is True and "was_due_at" in entries[flush.name]
    assert sum(s["missed"] for s in entries.values()) == 1


def test_daily_schedule_that_ran_yesterday_is_fine(schedules):
    daily = PeriodicTask.objects.get(task="commitments.reminders_send_due")
    # ran at its most recent 08:30 (Asia/Shanghai), which may be hours ago
    local = timezone.localtime()
    last = local.replace(hour=8, minute=30, second=5, microsecond=0)
    if last > local:
        last -= dt.timedelta(days=1)
    PeriodicTask.objects.filter(pk=daily.pk).update(last_run_at=last)
    status, body = healthz()
    assert status == 200, body


def test_daily_schedule_that_missed_a_day_is_503(schedules):
    daily = PeriodicTask.objects.get(task="commitments.reminders_send_due")
    PeriodicTask.objects.filter(pk=daily.pk).update(
        last_run_at=timezone.now() - dt.timedelta(days=2)
    )
    status, body = healthz()
    assert status == 503 and body["failing"] == ["beat"]


def test_disabled_schedule_is_ignored(schedules):
    PeriodicTask.objects.filter(task="commitments.outbox_flush").update(
        enabled=False, last_run_at=timezone.now() - dt.timedelta(days=30)
    )
    assert healthz()[0] == 200


def test_healthz_answers_plain_http_when_https_is_enforced(schedules, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/public/").status_code == 301  # everything else goes to HTTPS
    assert healthz()[0] == 200
