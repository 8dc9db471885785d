"""Reads for the review desk (审核台): the updates waiting for the supervision office,
filtered (unit, chapter, kind, how long they have waited, with or without evidence, text),
sorted oldest or newest first, with what arrived since the reviewer's last visit marked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from commitments import clock
from commitments.models import DeskVisit, Evidence, ProgressUpdate, TargetReading
from commitments.selectors.states import end_of_day

# "Waiting more than N days": the choices the desk offers.
AGE_CHOICES = (3, 7, 14)


def desk_now() -> dt.datetime:
    """The desk's "now": the real time, or the end of the ledger's pinned day in a demo of
    a past year (LEDGER_TODAY), so that waiting times read as they did that day."""
    return min(timezone.now(), end_of_day(clock.today()))


def review_updates() -> QuerySet[ProgressUpdate]:
    """Updates with everything a queue row shows, in a fixed number of queries."""
    return ProgressUpdate.objects.select_related(
        "commitment",
        "commitment__lead_unit",
        "commitment__report",
        "commitment__section",
        "author",
        "corrects",
        "reviewed_by",
    ).prefetch_related(
        Prefetch("readings", queryset=TargetReading.objects.select_related("target")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("pk")),
    )


def pending_count() -> int:
    """How many updates wait for review (the nav badge and the desk's heading)."""
    return ProgressUpdate.objects.filter(review_state=ProgressUpdate.Review.SUBMITTED).count()


@dataclass(frozen=True)
class DeskFilter:
    unit: int | None = None  # lead or co-unit
    chapter: int | None = None  # a chapter section: the chapter itself or its topics
    kind: str = ""
    older_than_days: int | None = None
    evidence: bool | None = None  # True: with evidence, False: without
    text: str = ""
    newest_first: bool = False

    @property
    def is_narrowed(self) -> bool:
        return any(
            (
                self.unit,
                self.chapter,
                self.kind,
                self.older_than_days,
                self.evidence is not None,
                self.text.strip(),
            )
        )


def review_desk(f: DeskFilter, *, now: dt.datetime | None = None) -> QuerySet[ProgressUpdate]:
    """The submitted updates ``f`` selects, in the order it asks (oldest first by default:
    first come, first reviewed)."""
    now = now or desk_now()
    qs = review_updates().filter(review_state=ProgressUpdate.Review.SUBMITTED)
    if f.unit:
        qs = qs.filter(
            Q(commitment__lead_unit_id=f.unit) | Q(commitment__co_units__id=f.unit)
        ).distinct()
    if f.chapter:
        qs = qs.filter(
            Q(commitment__section_id=f.chapter) | Q(commitment__section__parent_id=f.chapter)
        )
    if f.kind:
        qs = qs.filter(commitment__kind=f.kind)
    if f.older_than_days:
        qs = qs.filter(created_at__lt=now - dt.timedelta(days=f.older_than_days))
    if f.evidence is not None:
        has = Exists(Evidence.objects.filter(update=OuterRef("pk")))
        qs = qs.filter(has) if f.evidence else qs.exclude(has)
    text = f.text.strip()
    if text:
        qs = qs.filter(
            Q(commitment__code__icontains=text)
            | Q(commitment__text__icontains=text)
            | Q(narrative__icontains=text)
            | Q(author__username__icontains=text)
            | Q(author__first_name__icontains=text)
            | Q(author__last_name__icontains=text)
            | Q(commitment__lead_unit__name__icontains=text)
        )
    order = ("-created_at", "-id") if f.newest_first else ("created_at", "id")
    return qs.order_by(*order)


def recently_reviewed(limit: int = 10) -> QuerySet[ProgressUpdate]:
    return (
        review_updates()
        .exclude(review_state=ProgressUpdate.Review.SUBMITTED)
        .order_by("-reviewed_at")[:limit]
    )


def new_since(user: User, *, now: dt.datetime | None = None) -> dt.datetime:
    """From when an update counts as new ("新") for this reviewer: since their last visit
    before this sitting, and never later than the start of today."""
    now = now or desk_now()
    start_of_today = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time.min))
    visit = DeskVisit.objects.filter(user=user).first()
    previous = visit.previous_at if visit is not None else None
    return min(previous, start_of_today) if previous is not None else start_of_today


def evidence_kind(evidence: Evidence) -> str:
    """How the desk previews a piece of evidence: "image" inline, "pdf" in the browser's
    viewer, "link", or "file" (a download link)."""
    if not evidence.file:
        return "link"
    name = (evidence.original_name or evidence.file.name).lower()
    ctype = (evidence.content_type or "").lower()
    if ctype in INLINE_IMAGE_TYPES or name.rsplit(".", 1)[-1] in INLINE_IMAGE_EXTENSIONS:
        return "image"
    if ctype == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    return "file"


# Types a browser shows by itself and that cannot carry script (no SVG).
INLINE_IMAGE_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
INLINE_IMAGE_TYPES = frozenset(INLINE_IMAGE_EXTENSIONS.values())
