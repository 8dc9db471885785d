"""Where the tests find the report as we received it (the same report eight times over).

The project ships one copy (commitments/data/); the raw file lives in shared/seeds/ beside
the checkout, both on a developer's machine and in CI. Tests read that file when it is
there and otherwise rebuild it from the bundled copy, which is byte for byte one eighth
of it (test_parser checks this whenever the raw file is present).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "anyang-2017-government-work-report.txt"
BUNDLED = ROOT / "commitments" / "data" / NAME
RAW_CANDIDATES = [ROOT.parent / "shared" / "seeds" / NAME, Path("/work/shared/seeds") / NAME]


def raw_seed_path() -> Path | None:
    return next((p for p in RAW_CANDIDATES if p.is_file()), None)


def raw_seed_bytes() -> bytes:
    path = raw_seed_path()
    return path.read_bytes() if path else BUNDLED.read_bytes() * 8
