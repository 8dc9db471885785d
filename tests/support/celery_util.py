"""Point the project's Celery app at another broker for a test, and back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools
import redis

from tracker.celery import app

# A Redis database of its own, flushed around each use; E2E_REDIS_URL points a run at another
# Redis (two checkouts testing at once on one machine must not share it).
E2E_BROKER = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/15")
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens here: "Redis is down"


def _reset_pools() -> None:
    # Connections and producers are cached (per app, and in kombu's global registry) for
    # the URL they were made for; drop them all so the next publish uses the new URL.
    kombu.pools.reset()
    app._pool = None  # type: ignore[attr-defined]  # celery-types: the private producer pool is not in the stubs
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None


@contextmanager
def broker(url: str, *, flush: bool = False) -> Iterator[str]:
    before = app.conf.broker_url
    if flush:
        redis.Redis.from_url(url).flushdb()
    app.conf.broker_url = url  # type: ignore[misc]  # celery-types: read-only property in the stubs, settable at runtime
    _reset_pools()
    try:
        yield url
    finally:
        _reset_pools()
        app.conf.broker_url = before  # type: ignore[misc]  # celery-types: as above
        if flush:
            redis.Redis.from_url(url).flushdb()


@contextmanager
def eager() -> Iterator[None]:
    """Tasks run in the caller (the project's CELERY_TASK_ALWAYS_EAGER, for one test)."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before
