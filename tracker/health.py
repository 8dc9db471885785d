"""/healthz: is the ledger able to do its job? JSON, no login, 200 when every check passes,
503 otherwise, with each check's result so monitoring can say what is wrong.

Checks: the database answers; Redis (the Celery broker) answers; the outbox's oldest
unsent email is not older than HEALTH_OUTBOX_MAX_AGE_MINUTES; every enabled beat schedule
ran when it was due (HEALTH_BEAT_GRACE_MINUTES of slack). Nothing secret is shown: no
URL, host or password, only the name of an error's type."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Min, Model
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = dict[str, Any]

UNSENT_STATES = ("pending", "sending", "failed")


def outbox_model() -> type[Model]:
    return apps.get_model("jobs", "Notification")


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is "down"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_redis() -> Check:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_outbox(now: dt.datetime) -> Check:
    model = outbox_model()
    unsent = model._default_manager.filter(state__in=UNSENT_STATES)
    counts = {state: 0 for state in UNSENT_STATES}
    for state in UNSENT_STATES:
        counts[state] = unsent.filter(state=state).count()
    oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
    age = int((now - oldest).total_seconds()) if oldest else 0
    limit = settings.HEALTH_OUTBOX_MAX_AGE_MINUTES * 60
    return {
        "ok": age <= limit,
        "unsent": counts,
        "oldest_unsent_age_seconds": age,
        "max_age_seconds": limit,
    }


def _missed(task: Any, now: dt.datetime, grace: dt.timedelta) -> tuple[bool, dt.datetime | None]:
    """Whether an enabled schedule missed a run, and when that run was due.

    The reference is the last run, or for a schedule that never ran the moment it was
    last changed (or its start time): a run due after that, more than the grace ago, that
    did not happen, is missed."""
    if task.clocked_id:
        due = task.clocked.clocked_time
        return (task.last_run_at is None and due + grace < now), due
    reference = task.last_run_at or max(d for d in (task.date_changed, task.start_time) if d)
    if task.start_time and task.start_time > now:
        return False, None
    schedule = task.schedule
    remaining = schedule.remaining_estimate(schedule.maybe_make_aware(reference))
    due = now + remaining
    return remaining < -grace, due


def check_beat(now: dt.datetime) -> Check:
    from django_celery_beat.models import PeriodicTask

    grace = dt.timedelta(minutes=settings.HEALTH_BEAT_GRACE_MINUTES)
    schedules = []
    ok = True
    tasks = PeriodicTask.objects.filter(enabled=True).select_related(
        "interval", "crontab", "solar", "clocked"
    )
    error: str | None
    for task in tasks.order_by("name"):
        try:
            missed, due = _missed(task, now, grace)
        except Exception as exc:  # noqa: BLE001 - an unreadable schedule is a problem too
            missed, due = True, None
            error = type(exc).__name__
        else:
            error = None
        ok = ok and not missed
        entry: dict[str, Any] = {
            "name": task.name,
            "last_run_at": task.last_run_at.isoformat() if task.last_run_at else None,
            "missed": missed,
        }
        if missed and due:
            entry["was_due_at"] = due.isoformat()
        if error:
            entry["error"] = error
        schedules.append(entry)
    return {"ok": ok, "grace_seconds": int(grace.total_seconds()), "schedules": schedules}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    checks: dict[str, Check] = {"database": check_database(), "redis": check_redis()}
    if checks["database"]["ok"]:
        for name, check in (("outbox", check_outbox), ("beat", check_beat)):
            try:
                checks[name] = check(now)
            except Exception as exc:  # noqa: BLE001
                checks[name] = {"ok": False, "error": type(exc).__name__}
    else:
        checks["outbox"] = checks["beat"] = {"ok": False, "error": "database unavailable"}
    failing = [name for name, c in checks.items() if not c["ok"]]
    body = {
        "status": "ok" if not failing else "fail",
        "failing": failing,
        "checks": checks,
        "time": now.isoformat(),
    }
    return JsonResponse(body, status=200 if not failing else 503)
