"""Benchmark: full seed of the raw (eight-fold) 2017 report into a fresh SQLite database.

Run: .venv/bin/python tests/bench/bench_seed.py [--runs 5]
Prints the median wall time of `seed_report` (parse + write) on a new database, and of a
second, idempotent run on the same database.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT.parent / "shared" / "seeds" / "anyang-2017-government-work-report.txt"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    source = (
        RAW
        if RAW.exists()
        else ROOT / "commitments" / "data" / "anyang-2017-government-work-report.txt"
    )

    tmp = tempfile.mkdtemp(prefix="bench-seed-")
    os.environ["VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from commitments.models import Commitment, Report, Target
    from commitments.services.reports import report_seed

    call_command("migrate", verbosity=0)
    raw = source.read_bytes()
    first, again = [], []
    for _ in range(args.runs):
        Target.objects.all().delete()
        Commitment.objects.all().delete()
        Report.objects.all().delete()
        t0 = time.perf_counter()
        report_seed(raw=raw, source_name=source.name)
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        result = report_seed(raw=raw, source_name=source.name)
        again.append(time.perf_counter() - t0)
        assert not result.changed
    print(f"source: {source} ({len(raw):,} bytes), database: {connection.vendor}")
    print(f"commitments: {Commitment.objects.count()}, targets: {Target.objects.count()}")
    print(
        f"full seed into a new database: median {statistics.median(first) * 1000:.0f} ms "
        f"(min {min(first) * 1000:.0f}, max {max(first) * 1000:.0f}, runs {args.runs})"
    )
    print(f"re-seed, nothing changed:      median {statistics.median(again) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
