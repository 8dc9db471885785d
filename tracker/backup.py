"""Backup and restore of the whole ledger in one archive (manage.py backup_ledger /
restore_ledger).

The archive (tar.gz) holds:

- ``data.json``: ``dumpdata`` of every app that holds the ledger, its change history
  (simple_history tables), progress, the outbox, users and groups, the admin log and the
  beat schedules. Content types and permissions are referred to by natural key (their ids
  differ between databases; ``migrate`` creates them); every other row keeps its id.
- ``files/<name>``: every file a FileField points at (the evidence), from its storage.
- ``manifest.json``: format, migrations, rows per model, and the sha256 of data.json and
  of each file, checked on restore before anything is written.

Left out on purpose, because they are rebuilt or worthless on another server: sessions,
content types, permissions, Celery task results, login attempts (django-axes), and
django-celery-beat's change marker.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.db import models

FORMAT = "dubantaizhang-ledger-backup"
VERSION = 1
DATA_NAME = "data.json"
MANIFEST_NAME = "manifest.json"
FILES_PREFIX = "files/"

EXCLUDED_APPS = {"contenttypes", "sessions", "django_celery_results", "axes"}
# The stored current status and its snapshot are derived (recomputed from the rules when
# read), not data.
EXCLUDED_MODELS = {
    "auth.Permission",
    "django_celery_beat.PeriodicTasks",
    "commitments.CommitmentStatus",
    "commitments.StatusSnapshot",
}


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete model whose rows belong in a backup (new apps are included)."""
    chosen = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        if meta.app_label in EXCLUDED_APPS or meta.label in EXCLUDED_MODELS:
            continue
        chosen.append(model)
    return chosen


def dumpdata_exclusions() -> list[str]:
    return sorted(EXCLUDED_APPS) + sorted(EXCLUDED_MODELS)


def file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


@dataclass(frozen=True)
class StoredFile:
    name: str
    field: models.FileField


def stored_files(model_list: Iterable[type[models.Model]]) -> Iterator[StoredFile]:
    """Each distinct file name referred to by a FileField, with the field (for its storage)."""
    seen: set[str] = set()
    for model in model_list:
        for field in file_fields(model):
            names = (
                model._base_manager.exclude(**{field.name: ""})
                .exclude(**{f"{field.name}__isnull": True})
                .values_list(field.name, flat=True)
                .order_by(field.name)
            )
            for name in names.iterator():
                if name not in seen:
                    seen.add(name)
                    yield StoredFile(name=name, field=field)


def sha256_of(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def safe_member_name(name: str) -> bool:
    """A member name that stays inside the archive's own layout (no absolute path, no ..)."""
    if not name or name.startswith(("/", "\\")) or "\\" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def manifest_json(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
