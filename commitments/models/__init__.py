"""The ledger (台账): a report, its section tree, the commitments it makes and the
progress departments log against them.

What must never be violated is a database constraint, not only a Python check:
one report per place and year, unique codes, one reading per target per update,
percentages within 0–100, non-negative counts, review fields consistent with the
review state.
"""

from commitments.models.imports import ReportImport
from commitments.models.ledger import COUNT_UNITS, Commitment, Milestone, Target
from commitments.models.people import Department, DeskVisit, Membership
from commitments.models.progress import Evidence, ProgressUpdate, TargetReading, evidence_upload_to
from commitments.models.reports import Report, Section
from commitments.models.status import CommitmentStatus, StatusSnapshot
from commitments.models.workflow import (
    Acknowledgement,
    Closure,
    ExtensionRequest,
    Instruction,
    UrgingNotice,
)

__all__ = [
    "Acknowledgement",
    "Closure",
    "ExtensionRequest",
    "Instruction",
    "UrgingNotice",
    "COUNT_UNITS",
    "Commitment",
    "CommitmentStatus",
    "StatusSnapshot",
    "Department",
    "DeskVisit",
    "Evidence",
    "Membership",
    "Milestone",
    "ProgressUpdate",
    "Report",
    "ReportImport",
    "Section",
    "Target",
    "TargetReading",
    "evidence_upload_to",
]
