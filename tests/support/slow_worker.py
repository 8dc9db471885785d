"""A real Celery worker process whose reminder run is slow: it sleeps after each batch of
recipients (SLOW_BATCH_SECONDS), so a test can kill it half way through. Only the tests
start it; the pause is patched in here, never in the product.

    DATABASE_URL=… REDIS_URL=… python -m tests.support.slow_worker
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402

django.setup()

from commitments.jobs import reminders  # noqa: E402
from tracker.celery import app  # noqa: E402

PAUSE = float(os.environ.get("SLOW_BATCH_SECONDS", "0"))
_write_batch = reminders._write_batch


def slow_write_batch(*args, **kwargs) -> list[int]:
    ids = _write_batch(*args, **kwargs)
    print(f"slow_worker: wrote batch {ids}", flush=True)
    time.sleep(PAUSE)
    return ids


reminders._write_batch = slow_write_batch

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
    )
