"""python manage.py backup_ledger OUT.tar.gz [--allow-missing-files]

Writes the whole ledger (rows, change history, progress, evidence files, beat schedules)
into one archive that restore_ledger reads back into an empty database. What is in it and
what is left out: tracker/backup.py. The archive is written next to OUT and renamed into
place when complete, so a failed backup never leaves a half archive under the name.
"""

from __future__ import annotations

import datetime as dt
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

from tracker import backup


class Command(BaseCommand):
    help = "Back up the whole ledger (data, history, evidence files, schedules) into one tar.gz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="the archive to write, e.g. ledger-2017-09-30.tar.gz")
        parser.add_argument(
            "--allow-missing-files",
            action="store_true",
            help="record evidence files missing from storage in the manifest instead of failing",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"]).resolve()
        if not out.parent.is_dir():
            raise CommandError(f"目录不存在 / no such directory: {out.parent}")
        using = options["database"]
        fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".tar.gz", dir=out.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            connection = connections[using]
            # Called inside a transaction already (a test, a caller's atomic block), the
            # snapshot is the caller's; otherwise this transaction takes its own.
            outer = connection.in_atomic_block
            with transaction.atomic(using=using):
                if connection.vendor == "postgresql" and not outer:
                    # one snapshot for the dump, the counts and the file list
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                manifest = self.write_archive(tmp, using, options["allow_missing_files"])
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        total = sum(manifest["counts"].values())
        self.stdout.write(
            f"backup written: {out} ({total} rows in {len(manifest['counts'])} tables, "
            f"{len(manifest['files'])} files)"
        )

    def write_archive(self, path: Path, using: str, allow_missing: bool) -> dict[str, Any]:
        model_list = backup.backed_up_models()
        counts = {m._meta.label: m._base_manager.using(using).count() for m in model_list}
        with tempfile.TemporaryDirectory() as tmpdir:
            data_path = Path(tmpdir) / backup.DATA_NAME
            call_command(
                "dumpdata",
                exclude=backup.dumpdata_exclusions(),
                natural_foreign=True,
                use_base_manager=True,
                database=using,
                output=str(data_path),
                verbosity=0,
            )
            with data_path.open("rb") as fh:
                data_sha, data_size = backup.sha256_of(fh)
            files: list[dict[str, Any]] = []
            missing: list[str] = []
            with tarfile.open(path, "w:gz") as tar:
                tar.add(data_path, arcname=backup.DATA_NAME)
                for stored in backup.stored_files(model_list):
                    storage = stored.field.storage
                    if not storage.exists(stored.name):
                        missing.append(stored.name)
                        continue
                    with storage.open(stored.name, "rb") as fh:
                        sha, size = backup.sha256_of(fh)
                    with storage.open(stored.name, "rb") as fh:
                        info = tarfile.TarInfo(backup.FILES_PREFIX + stored.name)
                        info.size = size
                        info.mode = 0o600
                        tar.addfile(info, fh)
                    files.append({"name": stored.name, "sha256": sha, "size": size})
                if missing and not allow_missing:
                    raise CommandError(
                        "这些附件在存储中找不到，备份未写出 / files missing from storage, no backup "
                        "written (--allow-missing-files records them instead): "
                        + ", ".join(missing)
                    )
                manifest = {
                    "format": backup.FORMAT,
                    "version": backup.VERSION,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "migrations": self.latest_migrations(using),
                    "data": {"name": backup.DATA_NAME, "sha256": data_sha, "size": data_size},
                    "counts": counts,
                    "files": files,
                    "missing_files": missing,
                }
                backup.add_bytes(tar, backup.MANIFEST_NAME, backup.manifest_json(manifest))
        return manifest

    @staticmethod
    def latest_migrations(using: str) -> dict[str, list[str]]:
        applied = MigrationRecorder(connections[using]).applied_migrations()
        by_app: dict[str, list[str]] = {}
        for app, name in sorted(applied):
            by_app.setdefault(app, []).append(name)
        return by_app
