"""backup_ledger / restore_ledger lose nothing: the ledger with its history, progress,
evidence files and beat schedules is backed up, restored into a fresh empty database (a
second SQLite database, in another process) and compared row by row and byte by byte."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.models import Commitment
from commitments.services.progress import update_review_accept
from tests.support.backup_snapshot import snapshot
from tests.support.webutil import make_cast, record

MANAGE = Path(settings.BASE_DIR) / "manage.py"


@pytest.fixture
def ledger(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence-src")},
        },
    }
    cast = make_cast(anyang)
    first = record(
        cast.mine,
        cast.reporter,
        files=[
            SimpleUploadedFile(
                "验收照片.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "image/png"
            ),
            SimpleUploadedFile("验收单.pdf", b"%PDF-1.4 \x00\xff binary", "application/pdf"),
        ],
    )
    update_review_accept(update=first, reviewer=cast.supervisor)
    record(
        cast.shared,
        cast.reporter,
        percent="15",
        files=[SimpleUploadedFile("说明.txt", "进展说明".encode(), "text/plain")],
    )
    # a change with history
    c = Commitment.objects.get(pk=cast.theirs.pk)
    c.due_date = "2017-11-30"
    c.save()
    call_command("setup_schedules", verbosity=0)
    return cast


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "APP_ENV": "development",
            "VAR_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'restored.sqlite3'}",
            "EVIDENCE_ROOT": str(tmp / "evidence"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def remote_snapshot(tmp: Path) -> dict:
    out = run(
        tmp, "shell", "-v", "0", "-c", "from tests.support.backup_snapshot import main; main()"
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_backup_restore_round_trip_loses_nothing(ledger, tmp_path):
    before = snapshot()
    assert before["counts"]["commitments.Evidence"] == 3 and len(before["files"]) == 3
    assert (
        before["counts"]["commitments.HistoricalCommitment"]
        > before["counts"]["commitments.Commitment"]
    )
    assert before["counts"]["django_celery_beat.PeriodicTask"] >= 6

    archive = tmp_path / "ledger.tar.gz"
    call_command("backup_ledger", str(archive), verbosity=0)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest_file = tar.extractfile("manifest.json")
        assert manifest_file is not None
        manifest = json.loads(manifest_file.read())
    assert {"manifest.json", "data.json"} <= names
    assert {f"files/{n}" for n in before["files"]} <= names
    assert manifest["counts"] == before["counts"]
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == before["files"]

    target = tmp_path / "restore"
    target.mkdir()
    migrated = run(target, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    restored = run(target, "restore_ledger", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "restored:" in restored.stdout

    after = remote_snapshot(target)
    assert after["counts"] == before["counts"]
    for label, rows in before["rows"].items():
        differing = [
            (row["id"], k, v, other.get(k))
            for row, other in zip(rows, after["rows"][label], strict=True)
            for k, v in row.items()
            if other.get(k) != v
        ]
        assert not differing, (label, differing[:5])
    assert after["files"] == before["files"]

    # a second restore into the now non-empty database is refused and changes nothing
    again = run(target, "restore_ledger", str(archive))
    assert again.returncode != 0
    assert "数据库不是空的" in again.stderr and "nothing was changed" in again.stderr
    assert remote_snapshot(target) == after


def test_restore_refuses_a_non_empty_database(ledger, tmp_path):
    archive = tmp_path / "ledger.tar.gz"
    call_command("backup_ledger", str(archive), verbosity=0)
    before = snapshot()
    with pytest.raises(CommandError, match="数据库不是空的"):
        call_command("restore_ledger", str(archive), verbosity=0)
    assert snapshot() == before


def test_restore_refuses_a_damaged_archive(ledger, tmp_path):
    archive = tmp_path / "ledger.tar.gz"
    call_command("backup_ledger", str(archive), verbosity=0)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            member_file = src.extractfile(member)
            assert member_file is not None
            data = member_file.read()
            if member.name.startswith("files/") and member.name.endswith(".pdf"):
                data = data.replace(b"PDF", b"XYZ")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="checksum mismatch"):
        call_command("restore_ledger", str(damaged), verbosity=0)


def test_backup_refuses_when_evidence_is_missing(ledger, tmp_path):
    from django.core.files.storage import default_storage

    from commitments.models import Evidence

    evidence = Evidence.objects.exclude(file="").first()
    assert evidence is not None
    default_storage.delete(evidence.file.name)
    out = tmp_path / "ledger.tar.gz"
    with pytest.raises(CommandError, match="files missing from storage"):
        call_command("backup_ledger", str(out), verbosity=0)
    assert not out.exists() and not list(tmp_path.glob(".backup-*"))
