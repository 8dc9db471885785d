"""python manage.py restore_ledger IN.tar.gz

Restores an archive written by backup_ledger into an EMPTY, migrated database, evidence
files included. Refused, with nothing changed, when: the archive is not one of ours or is
damaged (every sha256 is checked first), the database is not migrated, any table the
backup fills already has rows, or a file of the backup already exists in storage with
other content. Rows and files are written in one transaction: if anything fails, the
database is rolled back and the files written so far are removed.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import override_settings

from tracker import backup


class Command(BaseCommand):
    help = "Restore a backup_ledger archive into an empty database, evidence files included."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="a tar.gz written by backup_ledger")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        using = options["database"]
        if not path.is_file():
            raise CommandError(f"找不到备份文件 / no such archive: {path}")
        try:
            tar = tarfile.open(path, "r:gz")
        except (tarfile.TarError, OSError) as exc:
            raise CommandError(f"不是有效的备份文件 / not a backup archive: {exc}") from exc
        with tar, tempfile.TemporaryDirectory() as tmpdir:
            manifest, members = self.read_and_verify(tar)
            self.check_database(manifest, using)
            storage = self.evidence_storage()
            to_write = self.check_storage(manifest, storage, tar, members)
            data_path = Path(tmpdir) / backup.DATA_NAME
            with tar.extractfile(members[backup.DATA_NAME]) as src, data_path.open("wb") as dst:  # type: ignore[union-attr]
                for chunk in iter(lambda: src.read(1024 * 1024), b""):
                    dst.write(chunk)
            written: list[str] = []
            try:
                with transaction.atomic(using=using):
                    # the history is in the backup: loading must not write more of it (a
                    # many-to-many set would otherwise add a historical row per commitment)
                    with override_settings(SIMPLE_HISTORY_ENABLED=False):
                        call_command("loaddata", str(data_path), database=using, verbosity=0)
                    self.check_counts(manifest, using)
                    for entry in to_write:
                        name = entry["name"]
                        with tar.extractfile(members[backup.FILES_PREFIX + name]) as src:  # type: ignore[union-attr]
                            saved = storage.save(name, File(src, name=name))
                        written.append(saved)
                        if saved != name:
                            raise CommandError(
                                f"存储改写了文件名 / storage renamed {name} to {saved}"
                            )
            except BaseException:
                for name in written:
                    storage.delete(name)
                raise
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"restored: {rows} rows in {len(manifest['counts'])} tables, "
            f"{len(manifest['files'])} files ({len(to_write)} written)"
        )

    # -- checks, all before anything is written ------------------------------------------

    def read_and_verify(
        self, tar: tarfile.TarFile
    ) -> tuple[dict[str, Any], dict[str, tarfile.TarInfo]]:
        members: dict[str, tarfile.TarInfo] = {}
        for member in tar.getmembers():
            if not member.isfile() or not backup.safe_member_name(member.name):
                raise CommandError(
                    f"备份中有不安全的条目 / unsafe entry in archive: {member.name!r}"
                )
            members[member.name] = member
        if backup.MANIFEST_NAME not in members or backup.DATA_NAME not in members:
            raise CommandError(
                "不是 backup_ledger 写的备份 / not a backup_ledger archive (no manifest)"
            )
        manifest = json.loads(tar.extractfile(members[backup.MANIFEST_NAME]).read())  # type: ignore[union-attr]
        if manifest.get("format") != backup.FORMAT or manifest.get("version") != backup.VERSION:
            raise CommandError(
                f"不支持的备份格式 / unsupported archive format: {manifest.get('format')} v{manifest.get('version')}"
            )
        expected = {backup.DATA_NAME: manifest["data"]["sha256"]}
        for entry in manifest["files"]:
            if not backup.safe_member_name(entry["name"]):
                raise CommandError(f"备份中有不安全的文件名 / unsafe file name: {entry['name']!r}")
            expected[backup.FILES_PREFIX + entry["name"]] = entry["sha256"]
        for name, sha in expected.items():
            if name not in members:
                raise CommandError(f"备份不完整，缺少 / archive incomplete, missing: {name}")
            digest, _ = backup.sha256_of(tar.extractfile(members[name]))  # type: ignore[arg-type]
            if digest != sha:
                raise CommandError(
                    f"备份已损坏（校验和不符）/ archive damaged, checksum mismatch: {name}"
                )
        return manifest, members

    def check_database(self, manifest: dict[str, Any], using: str) -> None:
        connection = connections[using]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "数据库尚未迁移，请先运行 / database not migrated, run first: manage.py migrate"
            )
        applied = {(app, name) for app, name in executor.recorder.applied_migrations()}
        installed = {config.label for config in apps.get_app_configs()}
        missing = [
            f"{app}.{name}"
            for app, names in manifest.get("migrations", {}).items()
            for name in names
            if (app, name) not in applied and app in installed
        ]
        if missing:
            raise CommandError(
                "备份来自更新的版本，请先升级程序 / the backup comes from a newer version "
                "(migrations not applied here): " + ", ".join(missing[:10])
            )
        nonempty = []
        for label in manifest["counts"]:
            try:
                model = apps.get_model(label)
            except LookupError as exc:
                raise CommandError(f"本版本没有这张表 / unknown model in backup: {label}") from exc
            if model._base_manager.using(using).exists():
                nonempty.append(label)
        for model in backup.backed_up_models():
            if (
                model._meta.label not in manifest["counts"]
                and model._base_manager.using(using).exists()
            ):
                nonempty.append(model._meta.label)
        if nonempty:
            raise CommandError(
                "数据库不是空的，未做任何更改。只能恢复到新建并迁移过的空数据库 / the database "
                "is not empty, nothing was changed; restore only into a new, migrated, empty "
                "database. Tables with rows: " + ", ".join(sorted(nonempty))
            )

    @staticmethod
    def evidence_storage() -> Storage:
        from django.core.files.storage import default_storage

        return default_storage

    @staticmethod
    def check_storage(
        manifest: dict[str, Any],
        storage: Storage,
        tar: tarfile.TarFile,
        members: dict[str, tarfile.TarInfo],
    ) -> list[dict[str, Any]]:
        """The files to write: those not in storage yet. One already there with the same
        bytes is kept; one with other bytes stops the restore."""
        to_write = []
        clashes = []
        for entry in manifest["files"]:
            name = entry["name"]
            if not storage.exists(name):
                to_write.append(entry)
                continue
            with storage.open(name, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            if digest != entry["sha256"]:
                clashes.append(name)
        if clashes:
            raise CommandError(
                "存储中已有同名但内容不同的附件，未做任何更改 / files with other content already "
                "in storage, nothing was changed: " + ", ".join(clashes[:10])
            )
        return to_write

    @staticmethod
    def check_counts(manifest: dict[str, Any], using: str) -> None:
        wrong = []
        for label, count in manifest["counts"].items():
            got = apps.get_model(label)._base_manager.using(using).count()
            if got != count:
                wrong.append(f"{label}: {got} != {count}")
        if wrong:
            raise CommandError(
                "恢复后的行数与备份不符 / row counts differ after restore: " + "; ".join(wrong)
            )
