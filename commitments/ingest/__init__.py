"""Government work report parser: plain Python, no Django.

    from commitments.ingest import parse_report
    report = parse_report(path.read_bytes())

See parser.py for the pipeline and types.py for the output.
"""

from .decode import decode_report
from .parser import parse_report
from .summary import summarise
from .types import (
    Direction,
    Kind,
    ParsedBaseline,
    ParsedCommitment,
    ParsedReport,
    ParsedSection,
    ParsedTarget,
    ParseWarning,
    Qualifier,
    ReportFormatError,
    SectionLevel,
)

__all__ = [
    "Direction",
    "Kind",
    "ParseWarning",
    "ParsedBaseline",
    "ParsedCommitment",
    "ParsedReport",
    "ParsedSection",
    "ParsedTarget",
    "Qualifier",
    "ReportFormatError",
    "SectionLevel",
    "decode_report",
    "parse_report",
    "summarise",
]
