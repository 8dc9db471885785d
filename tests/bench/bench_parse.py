"""Time parse_report on the raw 8-fold seed file (not a test: pytest does not collect it).

    .venv/bin/python tests/bench/bench_parse.py            # 20 runs
    .venv/bin/python tests/bench/bench_parse.py -n 50 path/to/report.txt

Prints the median, min and max wall time of parse_report (decode included) over N runs,
after one warm-up run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from commitments.ingest import parse_report  # noqa: E402

SEED = Path("/work/shared/seeds/anyang-2017-government-work-report.txt")
BUNDLED = ROOT / "commitments" / "data" / "anyang-2017-government-work-report.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, help="report file (default: the seed)")
    parser.add_argument("-n", "--runs", type=int, default=20, help="timed runs (default 20)")
    args = parser.parse_args()

    if args.path is not None:
        raw, source = args.path.read_bytes(), str(args.path)
    elif SEED.is_file():
        raw, source = SEED.read_bytes(), str(SEED)
    else:  # the seed is the bundled copy eight times over
        raw, source = BUNDLED.read_bytes() * 8, f"{BUNDLED} x 8"

    report = parse_report(raw)  # warm-up: imports, regex compilation
    times = []
    for _ in range(max(1, args.runs)):
        t0 = time.perf_counter()
        parse_report(raw)
        times.append(time.perf_counter() - t0)

    print(f"source: {source} ({len(raw):,} bytes, copies={report.copies})")
    print(
        f"parsed: {len(report.commitments)} commitments, "
        f"{sum(len(c.targets) for c in report.commitments)} targets, "
        f"{len(report.warnings)} warnings"
    )
    print(
        f"parse_report median {statistics.median(times) * 1000:.1f} ms over {len(times)} runs "
        f"(min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
