"""Benchmark: the import review's preview page for the largest corpus report, and for a
re-import of the 2017 Anyang report (with its difference against the ledger).

Run: .venv/bin/python tests/bench/bench_import_preview.py [--runs 10]
Prints the median time of GET /imports/<id>/ (parse + corrections + diff + render), its
query count and the page size, and the same with htmx (the partial a correction returns).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-import-")
    os.environ["VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from commitments.models import Department, Membership
    from commitments.services.imports import import_create
    from commitments.services.reports import BUNDLED_REPORT

    call_command("migrate", verbosity=0)
    call_command("seed_report", no_progress=True, verbosity=0)
    user = get_user_model().objects.create(username="bench")
    office = Department.objects.create(name="督查室", is_supervision_office=True)
    Membership.objects.create(user=user, department=office, role="supervisor")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    largest = max(CORPUS.glob("*.txt"), key=lambda p: p.stat().st_size)
    cases = [
        (f"{largest.name} ({largest.stat().st_size // 1024} KB, new)", largest.read_bytes()),
        ("anyang 2017 re-import (diff against the ledger)", BUNDLED_REPORT.read_bytes()),
    ]
    print(f"{'preview':58} {'median':>9} {'htmx':>9} {'queries':>8} {'page':>8}")
    for label, raw in cases:
        draft = import_create(by=user, raw=raw, source_name=label)
        url = f"/imports/{draft.pk}/"
        client.get(url)  # warm-up
        full, partial = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            response = client.get(url)
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get(url, HTTP_HX_REQUEST="true")
            partial.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{label:58} {statistics.median(full) * 1000:7.0f}ms "
            f"{statistics.median(partial) * 1000:7.0f}ms {len(queries):8d} "
            f"{len(response.content) // 1024:6d}KB"
        )


if __name__ == "__main__":
    main()
