"""Status rules (红黄绿灯). The one place that decides how far along a commitment is
and what colour it shows; the ledger, dashboard, emails and exports all call it.

Pure functions on plain values: no queries here (selectors.states gathers the inputs in
a fixed number of queries, whatever the number of rows).

The rules, in the order they are applied:
1. completed / completed late — the latest claim (non-returned update) says completed;
   late when the as-of date of that claim is after the ORIGINAL due date (an approved
   extension (延期) moves the deadline the lamps follow, not the one done-late is judged
   by). A reopening (重新打开) after the claim makes the claim no longer count as done.
2. red (overdue) — the day is past the (approved) due date and it is not completed.
3. yellow (behind) — percent trails the elapsed share of the timeline by more than
   RAG_TOLERANCE_PERCENT points.
4. yellow (stale) — no update for more than STALE_AFTER_DAYS days (counted from the
   start date when there has never been one).
5. grey (not started) — no update yet, or the latest claim says not started.
6. green — on track.

Around them, the supervision cycle:
- claimed and verified are evaluated apart (the latest claim / the latest accepted update);
  ``ledger_status`` combines them so that a completion claimed but not yet reviewed shows
  as 申报完成·待审核 (CLAIMED), never as done;
- a closed item (办结销号) is not open: no reminders, no urging;
- ``acknowledgement_late`` — a unit that has not acknowledged (签收) an assignment within
  ACKNOWLEDGE_WITHIN_DAYS days;
- ``urging_level`` — the colour of the urging notice (督办单) an open item calls for:
  red when overdue, yellow when behind the time-proportional progress (序时进度), blue
  when the deadline is within URGING_DUE_SOON_DAYS days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext_lazy as _


class Rag:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    COMPLETED = "completed"
    COMPLETED_LATE = "completed_late"
    NOT_STARTED = "not_started"
    # Only from ledger_status: a completion the department claims and the office has not
    # accepted yet. Not done, not open either: it waits for review.
    CLAIMED = "claimed"

    choices = [
        (GREEN, _("绿灯·正常推进")),
        (YELLOW, _("黄灯·进度滞后")),
        (RED, _("红灯·逾期未完成")),
        (COMPLETED, _("已完成")),
        (COMPLETED_LATE, _("逾期完成")),
        (NOT_STARTED, _("未启动")),
        (CLAIMED, _("申报完成·待审核")),
    ]
    labels = dict(choices)
    # Display order of the lamps: what needs attention first.
    ORDER = [RED, YELLOW, GREEN, NOT_STARTED, COMPLETED_LATE, COMPLETED]
    # What the internal ledger and dashboard count by (ledger_status): with CLAIMED.
    SHOWN_ORDER = [RED, YELLOW, GREEN, NOT_STARTED, CLAIMED, COMPLETED_LATE, COMPLETED]
    DONE = (COMPLETED, COMPLETED_LATE)


@dataclass(frozen=True)
class LampColors:
    """How a lamp looks outside the web page (whose CSS has its own variables)."""

    fill: str  # light background: ledger cells in XLSX, badges in emails
    ink: str  # text on the fill
    bar: str  # stronger: bars and legend dots on white (summary charts)

    @property
    def xlsx_fill(self) -> str:
        """The fill as openpyxl wants it (RRGGBB, no '#')."""
        return self.fill.lstrip("#").upper()


# The one colour table of the lamps: XLSX export, reminder digests and summaries read it.
LAMPS: dict[str, LampColors] = {
    Rag.RED: LampColors(fill="#ffc7ce", ink="#9c0006", bar="#d9534f"),
    Rag.YELLOW: LampColors(fill="#ffeb9c", ink="#7a5c00", bar="#f0ad4e"),
    Rag.GREEN: LampColors(fill="#c6efce", ink="#006100", bar="#5cb85c"),
    Rag.NOT_STARTED: LampColors(fill="#e7e6e6", ink="#444444", bar="#bdbdbd"),
    Rag.COMPLETED_LATE: LampColors(fill="#d9d2e9", ink="#3f3151", bar="#8e7cc3"),
    Rag.COMPLETED: LampColors(fill="#b4c6e7", ink="#1f3864", bar="#4a78c2"),
    Rag.CLAIMED: LampColors(fill="#dde7f5", ink="#1f3864", bar="#9db3d9"),
}


def is_measurable(value: Decimal | None, direction: str) -> bool:
    """A target progress can be computed from: it has a number, and the number is a level
    to reach or come down to (not "实现…", achieved or not). The one definition: the
    ``Target.is_measurable`` property, the progress form and the status rules all ask here."""
    return value is not None and direction != "achieve"


class TargetRow(Protocol):
    """What ``TargetInput.of`` reads from a Target row (the rules import no models)."""

    @property
    def value(self) -> Decimal | None: ...
    @property
    def direction(self) -> str: ...
    @property
    def qualifier(self) -> str: ...
    @property
    def baseline_value(self) -> Decimal | None: ...


@dataclass(frozen=True)
class TargetInput:
    value: Decimal | None
    direction: str  # increase / decrease / maintain / achieve
    qualifier: str
    baseline: Decimal | None
    reading: Decimal | None  # latest reading as of the day, None if never read

    @property
    def is_measurable(self) -> bool:
        return is_measurable(self.value, self.direction)

    @classmethod
    def of(cls, target: TargetRow, reading: Decimal | None) -> TargetInput:
        """From a Target row (anything with value, direction, qualifier, baseline_value)."""
        return cls(
            value=target.value,
            direction=target.direction,
            qualifier=target.qualifier,
            baseline=target.baseline_value,
            reading=reading,
        )


@dataclass(frozen=True)
class ClaimInput:
    as_of: dt.date
    status: str  # ProgressUpdate.Status value
    percent: Decimal | None


@dataclass(frozen=True)
class StatusResult:
    rag: str
    percent: float  # 0..100, one decimal
    elapsed: float  # share of the timeline elapsed, 0..100
    stale: bool
    overdue_days: int
    behind: bool = False  # trails the time-proportional progress by more than the tolerance
    closed: bool = False  # 办结销号

    @property
    def label(self) -> str:
        return str(Rag.labels[self.rag])

    @property
    def reason(self) -> str:
        """Why the lamp has its colour, in words (for logs and the shell)."""
        if self.rag == Rag.CLAIMED:
            return "completion claimed, not yet reviewed"
        if self.rag == Rag.COMPLETED_LATE:
            return "completed after the original due date"
        if self.rag == Rag.COMPLETED:
            return "completed"
        if self.rag == Rag.RED:
            return f"overdue by {self.overdue_days} days"
        if self.rag == Rag.YELLOW and self.behind:
            return f"behind: {self.percent}% done, {self.elapsed}% of the time gone"
        if self.rag == Rag.YELLOW:
            return "stale: no update for too long"
        return "not started" if self.rag == Rag.NOT_STARTED else "on track"

    def carried_to(self, day: dt.date, *, start_date: dt.date, due_date: dt.date) -> StatusResult:
        """This answer on another ``day`` with no new input, before its ``next_change``:
        only the figures that move with the calendar alone move (``timeline``). The stored
        current status rebuilds today's state this way."""
        elapsed, overdue_days = timeline(day=day, start_date=start_date, due_date=due_date)
        return replace(self, elapsed=elapsed, overdue_days=overdue_days)

    @property
    def is_done(self) -> bool:
        return self.rag in Rag.DONE

    @property
    def is_open(self) -> bool:
        """Still to be worked on (and chased): not done, not closed, not waiting for the
        review of a completion claim."""
        return not self.closed and self.rag not in (Rag.COMPLETED, Rag.COMPLETED_LATE, Rag.CLAIMED)


def target_fraction(t: TargetInput) -> float | None:
    """How far one numeric target is, 0..1; None when it cannot be measured (qualitative
    or not read yet)."""
    if not t.is_measurable or t.reading is None:
        return None
    assert t.value is not None  # measurable means it has a number
    value, reading = float(t.value), float(t.reading)
    baseline = float(t.baseline) if t.baseline is not None else None
    if t.direction == "decrease":
        # The figure must come down to the value (a ceiling, or a reduction from a baseline).
        if reading <= value:
            return 1.0
        if baseline is not None and baseline > value:
            return _clip((baseline - reading) / (baseline - value))
        return _clip(value / reading) if reading > 0 else 1.0
    # increase / maintain: the figure must reach the value.
    if value <= 0:
        return 1.0 if reading >= value else 0.0
    if t.qualifier == "reach" and baseline is not None and baseline < value:
        # "提高到250元" from 240: progress is the share of the distance covered.
        return _clip((reading - baseline) / (value - baseline))
    return _clip(reading / value)


# A reading beyond this many times its target (or, for a target to bring a figure down,
# its target or baseline) is asked to be confirmed before it is saved: 5,000 against 400
# is more often a slip of the keyboard (a wrong unit, a 0 too many) than a triumph.
IMPLAUSIBLE_FACTOR = Decimal(3)


def reading_oddity(t: TargetInput) -> str | None:
    """Why a reading deserves a second look, or None: "over" (more than IMPLAUSIBLE_FACTOR
    times the target), "negative" (below zero where the target is a positive amount).
    Not an error: the person confirms and it is saved. (A reading below the baseline is
    not odd: many figures are cumulative within the year and start again from zero.)"""
    if not t.is_measurable or t.reading is None or t.value is None:
        return None
    value, reading = t.value, t.reading
    if t.direction == "decrease":
        ceiling = max(value, t.baseline or value)
        if ceiling > 0 and reading > IMPLAUSIBLE_FACTOR * ceiling:
            return "over"
        return "negative" if reading < 0 <= value else None
    if value > 0 and reading > IMPLAUSIBLE_FACTOR * value:
        return "over"
    if reading < 0 < value:
        return "negative"
    return None


def percent_of(*, targets: Iterable[TargetInput], claim: ClaimInput | None) -> float:
    """Percent complete: from target readings where there are numeric targets and
    readings, else as reported; a completed claim is 100."""
    if claim is not None and claim.status == "completed":
        return 100.0
    numeric = [t for t in targets if t.is_measurable]
    fractions = [target_fraction(t) for t in numeric]
    if numeric and any(f is not None for f in fractions):
        # A target not read yet counts as nothing done on it.
        return round(100 * sum(f or 0.0 for f in fractions) / len(numeric), 1)
    if claim is not None and claim.percent is not None:
        return round(float(claim.percent), 1)
    return 0.0


def evaluate(
    *,
    day: dt.date,
    start_date: dt.date,
    due_date: dt.date,
    targets: Iterable[TargetInput],
    claim: ClaimInput | None,
    tolerance: int | None = None,
    stale_after_days: int | None = None,
    original_due_date: dt.date | None = None,
    closed: bool = False,
    reopened: bool = False,
) -> StatusResult:
    """Where one commitment stands on ``day``. ``due_date`` is the deadline in force (after
    any approved extension), ``original_due_date`` the one before the first extension;
    ``reopened`` says the office reopened the item after ``claim`` was made."""
    tolerance = settings.RAG_TOLERANCE_PERCENT if tolerance is None else tolerance
    stale_after_days = settings.STALE_AFTER_DAYS if stale_after_days is None else stale_after_days

    if reopened and claim is not None and claim.status == "completed":
        # The completion no longer stands, nor its 100%: what the target readings show
        # counts, or nothing until the unit reports again.
        claim = ClaimInput(as_of=claim.as_of, status="in_progress", percent=None)
        closed = False
    percent = percent_of(targets=targets, claim=claim)
    elapsed, overdue_days = timeline(day=day, start_date=start_date, due_date=due_date)
    last_seen = claim.as_of if claim is not None else start_date
    stale = day > start_date and (day - last_seen).days > stale_after_days
    behind = day >= start_date and elapsed - percent > tolerance

    def result(rag: str) -> StatusResult:
        return StatusResult(rag, percent, elapsed, stale, overdue_days, behind, closed)

    if claim is not None and claim.status == "completed":
        if claim.as_of > (original_due_date or due_date):
            return result(Rag.COMPLETED_LATE)
        return result(Rag.COMPLETED)
    if overdue_days > 0:
        return result(Rag.RED)
    if behind:
        return result(Rag.YELLOW)
    if stale:
        return result(Rag.YELLOW)
    if claim is None or claim.status == "not_started":
        return result(Rag.NOT_STARTED)
    return result(Rag.GREEN)


def timeline(*, day: dt.date, start_date: dt.date, due_date: dt.date) -> tuple[float, int]:
    """The two figures of a status that move with the calendar alone: the elapsed share of
    the timeline (序时进度, 0..100) and the days past the deadline."""
    return elapsed_share(day=day, start_date=start_date, due_date=due_date), max(
        (day - due_date).days, 0
    )


def elapsed_share(*, day: dt.date, start_date: dt.date, due_date: dt.date) -> float:
    """The share of the timeline gone by on ``day``, 0..100, one decimal (序时进度)."""
    span = max((due_date - start_date).days, 1)
    return round(100 * min(max((day - start_date).days / span, 0.0), 1.0), 1)


def _is_behind(
    day: dt.date, start_date: dt.date, due_date: dt.date, percent: float, tol: int
) -> bool:
    elapsed = elapsed_share(day=day, start_date=start_date, due_date=due_date)
    return day >= start_date and elapsed - percent > tol


def next_change(
    *,
    day: dt.date,
    start_date: dt.date,
    due_date: dt.date,
    last_seen: Iterable[dt.date | None],
    percents: Iterable[float],
    unacknowledged_since: dt.date | None = None,
    tolerance: int | None = None,
    stale_after_days: int | None = None,
    within_days: int | None = None,
) -> dt.date | None:
    """The first day after ``day`` on which, with no new input (no update, review, closure,
    extension or acknowledgement), what ``evaluate`` and ``acknowledgement_late`` say of an
    item may change: its lamp, whether it is stale, overdue or behind, whether its
    acknowledgement is late. None when nothing changes any more.

    The days are the rules' own thresholds: the start (``day > start_date`` for staleness,
    ``day >= start_date`` for behind), the day after the deadline, the day a claim made on
    ``last_seen`` (None: never, counted from the start) goes stale, the first day the elapsed
    share of the timeline runs more than the tolerance ahead of ``percents`` (one per basis,
    claimed and verified), the day an acknowledgement becomes late. Each of these predicates
    only ever turns one way as days pass, so until the earliest of them nothing moves: the
    stored current status (``CommitmentStatus``) is valid up to the day before."""
    tol = settings.RAG_TOLERANCE_PERCENT if tolerance is None else tolerance
    stale_after = settings.STALE_AFTER_DAYS if stale_after_days is None else stale_after_days
    within = settings.ACKNOWLEDGE_WITHIN_DAYS if within_days is None else within_days
    one = dt.timedelta(days=1)
    candidates = {start_date, start_date + one, due_date + one}
    for seen in last_seen:
        candidates.add((seen or start_date) + dt.timedelta(days=stale_after + 1))
    for percent in percents:
        # behind is monotone in the day (the elapsed share only grows): bisect for its start
        lo, hi = max(day, start_date), max(due_date, start_date)
        if not _is_behind(hi, start_date, due_date, percent, tol):
            continue
        while lo < hi:
            mid = lo + (hi - lo) // 2
            if _is_behind(mid, start_date, due_date, percent, tol):
                hi = mid
            else:
                lo = mid + one
        candidates.add(lo)
    if unacknowledged_since is not None:
        candidates.add(unacknowledged_since + dt.timedelta(days=within + 1))
    later = [d for d in candidates if d > day]
    return min(later) if later else None


def ledger_status(*, claimed: StatusResult, verified: StatusResult) -> StatusResult:
    """The status the internal screens count by: the claimed one, except that a completion
    the office has not accepted is 申报完成·待审核 (CLAIMED), never done."""
    if claimed.is_done and not verified.is_done:
        return replace(claimed, rag=Rag.CLAIMED)
    return claimed


def acknowledgement_late(
    *, assigned_on: dt.date, day: dt.date, within_days: int | None = None
) -> bool:
    """A unit has not acknowledged (签收) an assignment made more than N days ago."""
    within = settings.ACKNOWLEDGE_WITHIN_DAYS if within_days is None else within_days
    return (day - assigned_on).days > within


class UrgingLevel:
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    RANK = {BLUE: 1, YELLOW: 2, RED: 3}


def urging_level(
    *, status: StatusResult, due_date: dt.date, day: dt.date, due_soon_days: int | None = None
) -> str | None:
    """The colour of urging notice (督办单) an item calls for on ``day``, or None: red when
    overdue, yellow when behind the time-proportional progress (序时进度), blue when the
    deadline is within URGING_DUE_SOON_DAYS days. Done, closed and claimed-complete items
    call for none."""
    soon = settings.URGING_DUE_SOON_DAYS if due_soon_days is None else due_soon_days
    if not status.is_open:
        return None
    if status.overdue_days > 0:
        return UrgingLevel.RED
    if status.behind:
        return UrgingLevel.YELLOW
    if 0 <= (due_date - day).days <= soon:
        return UrgingLevel.BLUE
    return None


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)
