"""What a backup must keep, as JSON: rows per model, the content of key rows, and the
bytes (sha256) of every evidence file. Run in the test and, after a restore, in a second
process on another database (`manage.py shell -c "from tests.support.backup_snapshot import main; main()"`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder

from tracker.backup import backed_up_models

KEY_MODELS = [
    "auth.User",
    "commitments.Report",
    "commitments.Department",
    "commitments.Membership",
    "commitments.Commitment",
    "commitments.HistoricalCommitment",
    "commitments.Target",
    "commitments.Milestone",
    "commitments.ProgressUpdate",
    "commitments.TargetReading",
    "commitments.Evidence",
    "django_celery_beat.PeriodicTask",
    "django_celery_beat.CrontabSchedule",
]


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime) and o.microsecond % 1000:
            # A backup is Django's JSON, which keeps time to the millisecond: compare at that
            # precision (DjangoJSONEncoder writes 10:01:00.000345 as ".000" before and, once
            # restored as 10:01:00, without a fraction after).
            o = o.replace(microsecond=o.microsecond - o.microsecond % 1000)
        try:
            return super().default(o)
        except TypeError:
            return str(o)  # time zones (crontab schedules) and the like


def snapshot() -> dict[str, Any]:
    counts = {m._meta.label: m._base_manager.count() for m in backed_up_models()}
    rows = {}
    for label in KEY_MODELS:
        model = apps.get_model(label)
        rows[label] = list(model._base_manager.order_by("pk").values())
    files = {}
    for name in (
        apps.get_model("commitments", "Evidence")
        ._base_manager.exclude(file="")
        .values_list("file", flat=True)
    ):
        with default_storage.open(name, "rb") as fh:
            files[name] = hashlib.sha256(fh.read()).hexdigest()
    # normalise through JSON so both sides compare the same way
    return json.loads(json.dumps({"counts": counts, "rows": rows, "files": files}, cls=_Encoder))


def main() -> None:
    print(json.dumps(snapshot(), ensure_ascii=False))
