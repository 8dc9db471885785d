"""Median parse time of every report in ../shared/corpus/ (not a test: pytest does not
collect it).

    .venv/bin/python tests/bench/bench_parse_corpus.py          # 5 runs per file
    .venv/bin/python tests/bench/bench_parse_corpus.py -n 20

Prints, per file, the median wall time of parse_report (decode included) over N runs after
one warm-up run, with the place, year and counts read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from commitments.ingest import parse_report  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args()
    files = sorted(CORPUS.glob("*.txt"))
    if not files:
        sys.exit(f"no corpus at {CORPUS}")
    for path in files:
        raw = path.read_bytes()
        report = parse_report(raw)  # warm-up
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            parse_report(raw)
            times.append(time.perf_counter() - t0)
        kinds = Counter(c.kind for c in report.commitments)
        print(
            f"{path.name:36} {statistics.median(times) * 1000:7.1f} ms  "
            f"{report.place} ({report.place_level}) {report.year}  "
            f"commitments={len(report.commitments)} main={kinds['main_target']} "
            f"matters={kinds['practical_matter']} set_aside={len(report.set_asides)}"
        )


if __name__ == "__main__":
    main()
