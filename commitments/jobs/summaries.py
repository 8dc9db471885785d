"""Progress summaries for leaders (周报 / 月报 / on demand).

A summary is a row first (queued), then built by a worker: figures from the one status
rule (``selectors.commitment_states``) as of the period's last day, compared with the
previous summary, rendered as mail-client HTML and plain text, with the ledger as XLSX
(``exports``). Scheduled summaries are then mailed to the leaders and the supervision
office through the outbox.

The build is claimed like an email (queued → running, a conditional UPDATE), reports its
progress for the web page, and may be run again: a build that died is picked up by
``summaries_resume_stalled``; mailing is keyed per (summary, person), so it never doubles.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from commitments import clock
from commitments.jobs import emails
from commitments.jobs.models import EmailKind, Notification, Summary
from commitments.jobs.outbox import dispatch_on_commit, opted_out, wants
from commitments.jobs.people import Person, directory
from commitments.models import Commitment, Report, Section, Target
from commitments.rules import LAMPS, Rag
from commitments.selectors import exports
from commitments.selectors.sections import chapter_labels, section_label
from commitments.selectors.states import (
    CommitmentState,
    commitment_states,
    end_of_day,
    latest_reading,
)

logger = logging.getLogger(__name__)

KIND_LABELS: dict[str, str] = {
    Summary.Kind.WEEKLY: "周报",
    Summary.Kind.MONTHLY: "月报",
    Summary.Kind.ON_DEMAND: "即时摘要",
}
DONE = (Rag.COMPLETED, Rag.COMPLETED_LATE)


# -- periods and requests ---------------------------------------------------------------------


def summary_period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete week (Monday–Sunday) or month before ``day``; on demand, the
    days since the last summary up to ``day`` itself. Running the Monday job on Tuesday
    still covers the same week, so the summary is the same row."""
    if kind == Summary.Kind.WEEKLY:
        end = day - dt.timedelta(days=day.weekday() + 1)
        return end - dt.timedelta(days=6), end
    if kind == Summary.Kind.MONTHLY:
        end = day.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    return day, day


def current_reports(day: dt.date) -> list[Report]:
    """The reports a summary on ``day`` is about: those of the latest year not after it."""
    year = (
        Report.objects.filter(year__lte=day.year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if year is None:
        return []
    return list(Report.objects.filter(year=year).order_by("place", "pk"))


def summary_title(report: Report, kind: str, start: dt.date, end: dt.date) -> str:
    label = KIND_LABELS[kind]
    if kind == Summary.Kind.WEEKLY:
        span = f"{start:%Y年}{start.month}月{start.day}日—{end.month}月{end.day}日"
    elif kind == Summary.Kind.MONTHLY:
        span = f"{end:%Y年}{end.month}月"
    else:
        span = f"截至{end:%Y年}{end.month}月{end.day}日"
    return f"{report.title}落实情况{label}（{span}）"


class SummaryRateLimited(Exception):
    """A person asked for more on-demand summaries than settings.SUMMARY_ON_DEMAND_PER_HOUR."""


def summary_request(
    *, kind: str, day: dt.date | None = None, report: Report | None = None, user: User | None = None
) -> Summary:
    """Ask for a summary and queue its build after commit. A scheduled kind is one row per
    report and period (a unique constraint), so asking twice returns the same row; so does
    asking for an on-demand one while one for the same report and day is being built."""
    if kind == Summary.Kind.ON_DEMAND:
        return summary_on_demand(day=day, report=report, user=user)[0]
    day = day or clock.today()
    report = _report_for(report, day)
    start, end = summary_period(kind, day)
    with transaction.atomic():
        summary, _ = Summary.objects.get_or_create(
            report=report,
            kind=kind,
            period_end=end,
            defaults={
                "period_start": start,
                "title": summary_title(report, kind, start, end),
                "created_by": user,
            },
        )
        if summary.state == Summary.State.QUEUED:
            dispatch_on_commit("summary_build", summary_id=summary.pk)
    return summary


def summary_on_demand(
    *, day: dt.date | None = None, report: Report | None = None, user=None
) -> tuple[Summary, bool]:
    """An on-demand summary: ``(summary, created)``. While one for the same report and day
    is queued or running, that one is returned (``created`` False): the database's
    conditional unique key decides between two requests at once. A person asking more
    than SUMMARY_ON_DEMAND_PER_HOUR times in an hour gets SummaryRateLimited."""
    kind = Summary.Kind.ON_DEMAND
    day = day or clock.today()
    report = _report_for(report, day)
    start, end = summary_period(kind, day)
    building = Summary.objects.filter(
        report=report,
        kind=kind,
        period_end=end,
        state__in=[Summary.State.QUEUED, Summary.State.RUNNING],
    )
    existing = building.first()
    if existing is not None:
        return existing, False
    if user is not None and user.is_authenticated:
        recent = Summary.objects.filter(
            kind=kind, created_by=user, created_at__gte=timezone.now() - dt.timedelta(hours=1)
        ).count()
        if recent >= settings.SUMMARY_ON_DEMAND_PER_HOUR:
            raise SummaryRateLimited(recent)
    previous = _previous(report, kind, end)
    start = previous.period_end + dt.timedelta(days=1) if previous else dt.date(report.year, 1, 1)
    start = min(start, end)
    try:
        with transaction.atomic():
            summary = Summary.objects.create(
                report=report,
                kind=kind,
                period_start=start,
                period_end=end,
                title=summary_title(report, kind, start, end),
                created_by=user if user is not None and user.is_authenticated else None,
            )
            dispatch_on_commit("summary_build", summary_id=summary.pk)
    except IntegrityError:
        # Someone else's request won the key between our look and our insert.
        existing = building.first()
        if existing is None:
            raise
        return existing, False
    return summary, True


def _report_for(report: Report | None, day: dt.date) -> Report:
    reports = current_reports(day)
    report = report or (reports[0] if reports else None)
    if report is None:
        raise Report.DoesNotExist("no report to summarise")
    return report


# -- building ---------------------------------------------------------------------------------


def _claim(summary_id: int) -> bool:
    now = timezone.now()
    stalled = now - dt.timedelta(seconds=settings.SUMMARY_STALLED_AFTER_SECONDS)
    claimed = Summary.objects.filter(pk=summary_id, state=Summary.State.QUEUED).update(
        state=Summary.State.RUNNING, started_at=now, heartbeat_at=now, progress=1, error=""
    )
    if not claimed:  # a build whose worker died: its heartbeat stopped
        claimed = Summary.objects.filter(
            pk=summary_id, state=Summary.State.RUNNING, heartbeat_at__lt=stalled
        ).update(started_at=now, heartbeat_at=now, progress=1)
    return claimed == 1


def _progress(summary_id: int, percent: int) -> None:
    Summary.objects.filter(pk=summary_id, state=Summary.State.RUNNING).update(
        progress=percent, heartbeat_at=timezone.now()
    )


def _previous(
    report: Report, kind: str, before: dt.date, exclude: int | None = None
) -> Summary | None:
    """The summary this one is compared with: the last finished one of the same kind (any
    kind for an on-demand summary) that ends before it."""
    qs = Summary.objects.filter(report=report, state=Summary.State.DONE, period_end__lt=before)
    if kind != Summary.Kind.ON_DEMAND:
        qs = qs.filter(kind=kind)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.defer("html", "text", "xlsx").order_by("-period_end", "-finished_at").first()


def _rag_counts(states: dict[int, CommitmentState], ids) -> dict[str, int]:
    # Leaders read verified figures: lamps from what the office accepted. A department's
    # unreviewed claim of completion is counted apart (headline "claimed"), never as done.
    counts = Counter(states[i].verified.rag for i in ids)
    return {rag: counts.get(rag, 0) for rag in Rag.ORDER}


def _average(states: dict[int, CommitmentState], ids: Iterable[int]) -> float:
    ids = list(ids)
    return round(sum(states[i].verified.percent for i in ids) / len(ids), 1) if ids else 0.0


def _headline(states: dict[int, CommitmentState], day: dt.date) -> dict[str, Any]:
    ids = list(states)
    rag = _rag_counts(states, ids)
    return {
        "total": len(ids),
        "rag": rag,
        "completed": rag[Rag.COMPLETED] + rag[Rag.COMPLETED_LATE],
        "claimed": sum(1 for s in states.values() if s.claim_pending),
        "overdue": rag[Rag.RED],
        "behind": rag[Rag.YELLOW],
        "on_track": rag[Rag.GREEN],
        "not_started": rag[Rag.NOT_STARTED],
        "stale": sum(1 for s in states.values() if s.status.stale and s.status.is_open),
        "average_percent": _average(states, ids),
    }


def _group_row(
    key: str, label: str, ids: list[int], states: dict[int, CommitmentState]
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "total": len(ids),
        "rag": _rag_counts(states, ids),
        "average_percent": _average(states, ids),
    }


def _target_rows(commitment_ids: list[int], day: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Targets of these commitments with their latest claimed reading as of ``day``
    (``selectors.states.latest_reading``, as on the screens)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not commitment_ids:
        return out
    rows = (
        Target.objects.filter(commitment_id__in=commitment_ids)
        .annotate(reading=latest_reading(day))
        .order_by("commitment_id", "order")
        .values(
            "commitment_id",
            "metric",
            "text",
            "value",
            "unit",
            "reading",
            "baseline_value",
            "baseline_year",
        )
    )
    for t in rows:
        out[t["commitment_id"]].append(
            {
                "text": t["text"],
                "metric": t["metric"],
                "value": _num(t["value"]),
                "unit": t["unit"],
                "reading": _num(t["reading"]),
                "baseline": _num(t["baseline_value"]),
                "baseline_year": t["baseline_year"],
            }
        )
    return out


def _num(v: object) -> str | None:
    """Decimals as short strings for JSON (16000.0000 → "16000")."""
    if v is None:
        return None
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    return format(d.normalize(), "f")


def _deadlines_moved(
    report: Report, since: dt.datetime, current: dict[int, dt.date]
) -> list[dict[str, Any]]:
    """Commitments whose due date differs from what it was at ``since``, from the change
    history (django-simple-history). A commitment created after ``since`` is compared with
    its first recorded due date."""
    History = Commitment.history.model
    changed = set(
        History.objects.filter(report_id=report.pk, history_date__gt=since)
        .values_list("id", flat=True)
        .distinct()
    )
    if not changed:
        return []
    before: dict[int, dt.date] = {}
    first_after: dict[int, dt.date] = {}
    for cid, due, when in (
        History.objects.filter(id__in=changed)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "due_date", "history_date")
    ):
        if when <= since:
            before[cid] = due
        else:
            first_after.setdefault(cid, due)
    moved = []
    for cid in sorted(changed):
        was = before.get(cid, first_after.get(cid))
        now = current.get(cid)
        if was is not None and now is not None and was != now:
            moved.append({"id": cid, "from": was.isoformat(), "to": now.isoformat()})
    return moved


@dataclass
class Built:
    figures: dict[str, Any]
    xlsx: bytes
    xlsx_name: str
    html: str = ""
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def summary_figures(
    summary: Summary, *, progress: Callable[[int], None] = lambda pct: None
) -> Built:
    """Everything a summary shows, in a fixed number of queries whatever the ledger's size."""
    report, day = summary.report, summary.period_end
    qs: QuerySet[Commitment] = Commitment.objects.filter(report=report, in_source=True)
    states = commitment_states(qs, day=day)
    progress(20)
    info = {
        r["pk"]: r
        for r in qs.values(
            "pk",
            "code",
            "text",
            "kind",
            "matter_number",
            "due_date",
            "section_id",
            "lead_unit_id",
            "lead_unit__name",
        )  # fmt: skip
    }
    sections = {s.pk: s for s in Section.objects.filter(report=report)}
    chapter_names = chapter_labels(sections.values())

    def chapter_of(section_id: int) -> Section:
        s = sections[section_id]
        return sections[s.parent_id] if s.level == Section.Level.TOPIC and s.parent_id else s

    by_chapter: dict[int, list[int]] = defaultdict(list)
    by_dept: dict[int | None, list[int]] = defaultdict(list)
    dept_names: dict[int | None, str] = {None: "未明确牵头单位"}
    for cid, c in info.items():
        by_chapter[chapter_of(c["section_id"]).pk].append(cid)
        by_dept[c["lead_unit_id"]].append(cid)
        if c["lead_unit_id"]:
            dept_names[c["lead_unit_id"]] = c["lead_unit__name"]
    chapters = [
        _group_row(s.key, section_label(s, chapter_names), by_chapter[pk], states)
        for pk, s in sorted(sections.items(), key=lambda kv: kv[1].start)
        if pk in by_chapter
    ]
    departments = sorted(
        (_group_row(str(d or ""), dept_names[d], ids, states) for d, ids in by_dept.items()),
        key=lambda r: (-r["rag"][Rag.RED], -r["rag"][Rag.YELLOW], r["label"]),
    )

    # What changed since the previous summary (or since the period began).
    previous = _previous(report, summary.kind, day, exclude=summary.pk)
    since_day = previous.period_end if previous else summary.period_start - dt.timedelta(days=1)
    before = commitment_states(qs, day=since_day)
    progress(40)
    since_time = (
        previous.finished_at if previous and previous.finished_at else end_of_day(since_day)
    )

    def brief(cid: int) -> dict[str, Any]:
        c, s = info[cid], states[cid].status
        return {
            "id": cid,
            "code": c["code"],
            "text": _short(c["text"], 50),
            "lead_unit": c["lead_unit__name"] or "",
            "due_date": c["due_date"].isoformat(),
            "percent": s.percent,
            "rag": s.rag,
            "rag_label": s.label,
            "overdue_days": s.overdue_days,
            "url": emails.url_for("commitment", cid),
        }

    # Newly completed means accepted by the office: a claim alone is shown apart, as
    # awaiting review, never as done (claimed and verified figures are always apart).
    newly_completed = [
        brief(cid)
        for cid in info
        if states[cid].verified.rag in DONE and before[cid].verified.rag not in DONE
    ]
    newly_claimed = [
        brief(cid)
        for cid in info
        if states[cid].status.rag in DONE
        and states[cid].verified.rag not in DONE
        and before[cid].status.rag not in DONE
    ]
    newly_overdue = [
        brief(cid)
        for cid in info
        if states[cid].status.rag == Rag.RED and before[cid].status.rag != Rag.RED
    ]
    moved = [
        {**brief(m["id"]), "from": m["from"], "to": m["to"]}
        for m in _deadlines_moved(
            report, since_time, {cid: c["due_date"] for cid, c in info.items()}
        )
        if m["id"] in info
    ]

    special = sorted(
        (
            cid
            for cid, c in info.items()
            if c["kind"] in (Commitment.Kind.PRACTICAL_MATTER, Commitment.Kind.POLLUTION)
        ),
        key=lambda cid: (info[cid]["matter_number"] or 0, info[cid]["code"]),
    )
    targets = _target_rows(special, day)
    practical = [
        {
            **brief(cid),
            "number": info[cid]["matter_number"],
            "text": info[cid]["text"],
            "targets": targets.get(cid, []),
        }
        for cid in special
        if info[cid]["kind"] == Commitment.Kind.PRACTICAL_MATTER
    ]
    pollution = [
        {**brief(cid), "text": _short(info[cid]["text"], 80), "targets": targets.get(cid, [])}
        for cid in sorted(special, key=lambda cid: info[cid]["code"])
        if info[cid]["kind"] == Commitment.Kind.POLLUTION
    ]
    progress(55)

    headline = _headline(states, day)
    was = _headline(before, since_day)
    figures = {
        "report": {
            "id": report.pk,
            "title": report.title,
            "place": report.place,
            "year": report.year,
        },
        "kind": summary.kind,
        "kind_label": KIND_LABELS[summary.kind],
        "title": summary.title,
        "period_start": summary.period_start.isoformat(),
        "period_end": day.isoformat(),
        "headline": headline,
        "compared_with": {
            "summary_id": previous.pk if previous else None,
            "title": previous.title if previous else "",
            "as_of": since_day.isoformat(),
            "headline": was,
        },
        "deltas": {
            key: round(headline[key] - was[key], 1)
            for key in (
                "completed",
                "overdue",
                "behind",
                "on_track",
                "not_started",
                "average_percent",
            )
        },
        "chapters": chapters,
        "departments": departments,
        "practical_matters": practical,
        "pollution": pollution,
        "changes": {
            "since": since_day.isoformat(),
            "newly_completed": newly_completed,
            "newly_claimed": newly_claimed,
            "newly_overdue": newly_overdue,
            "deadlines_moved": moved,
        },
        "ledger_url": emails.url_for("ledger"),
    }

    # The ledger as XLSX: the same columns and figures as the web export.
    ordered = list(exports.export_queryset(qs))
    rows = exports.ledger_rows(ordered, states)
    rags = [states[c.pk].shown.rag for c in ordered]
    xlsx = exports.to_xlsx(rows, rags, title=f"{report.title}任务台账", day=day)
    progress(80)
    name = f"{report.place}{report.year}年政府工作报告台账_{day:%Y%m%d}.xlsx"
    return Built(figures=figures, xlsx=xlsx, xlsx_name=name)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


# -- rendering ----------------------------------------------------------------------------------


def _segments(rag_counts: dict[str, int], total: int) -> list[dict[str, Any]]:
    """A stacked bar as table cells: widths in whole percent that add up to 100."""
    if not total:
        return []
    parts = [(rag, n) for rag, n in ((r, rag_counts.get(r, 0)) for r in Rag.ORDER) if n]
    widths = [int(100 * n / total) for _, n in parts]
    widths[widths.index(max(widths))] += 100 - sum(widths)  # rounding goes to the largest
    return [
        {
            "rag": rag,
            "count": n,
            "width": w,
            "color": LAMPS[rag].bar,
            "label": str(Rag.labels[rag]),
        }
        for (rag, n), w in zip(parts, widths, strict=True)
        if w > 0
    ]


def _with_lamp(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "pct": int(round(item["percent"])), "lamp": LAMPS[item["rag"]]}


def render_context(figures: dict[str, Any]) -> dict[str, Any]:
    """Template context for the summary body, from the stored figures alone (so an old
    summary renders as it was)."""
    legend = [{"rag": r, "label": str(Rag.labels[r]), "color": LAMPS[r].bar} for r in Rag.ORDER]
    rows = []
    for group in ("chapters", "departments"):
        rows.append(
            [
                {
                    **row,
                    "segments": _segments(row["rag"], row["total"]),
                    "pct": int(round(row["average_percent"])),
                }
                for row in figures.get(group, [])
            ]
        )
    headline = figures["headline"]
    return {
        "f": figures,
        "headline": headline,
        "deltas": figures.get("deltas", {}),
        "headline_segments": _segments(headline["rag"], headline["total"]),
        "chapters": rows[0],
        "departments": rows[1],
        "practical": [_with_lamp(m) for m in figures.get("practical_matters", [])],
        "pollution": [_with_lamp(m) for m in figures.get("pollution", [])],
        # bar colours by lamp, for the figures and bars that carry a lamp's meaning
        "bar": {rag: lamp.bar for rag, lamp in LAMPS.items()},
        "changes": figures.get("changes", {}),
        "legend": legend,
        "site_url": settings.SITE_URL.rstrip("/"),
    }


def render_summary(figures: dict[str, Any]) -> tuple[str, str]:
    """(HTML fragment for mail clients and the web page, plain text)."""
    ctx = render_context(figures)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("emails/_summary_content.html", ctx)
        text = render_to_string("emails/_summary_content.txt", ctx)
    return html, text


# -- the build and the mailing -----------------------------------------------------------------


def summary_build(summary_id: int) -> bool:
    """Build one summary (claimed, so concurrent calls build it once) and, for a scheduled
    one, mail it. Returns False when someone else has it or it is already done."""
    if not _claim(summary_id):
        summary = Summary.objects.defer("html", "text", "xlsx").filter(pk=summary_id).first()
        if summary is not None and summary.state == Summary.State.DONE:
            summary_mail(summary)  # idempotent: covers a crash between build and mailing
        return False
    summary = Summary.objects.select_related("report").get(pk=summary_id)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            built = summary_figures(summary, progress=lambda pct: _progress(summary_id, pct))
            html, text = render_summary(built.figures)
        _progress(summary_id, 90)
        with transaction.atomic():
            Summary.objects.filter(pk=summary_id).update(
                state=Summary.State.DONE,
                progress=100,
                figures=built.figures,
                html=html,
                text=text,
                xlsx=built.xlsx,
                xlsx_name=built.xlsx_name,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
                error="",
            )
            summary.refresh_from_db()
            summary_mail(summary)
    except DatabaseError:
        # Transient (the database went away): give it back so the task's retry can claim it.
        Summary.objects.filter(pk=summary_id, state=Summary.State.RUNNING).update(
            state=Summary.State.QUEUED
        )
        raise
    except Exception as exc:
        logger.exception("summary %s failed", summary_id)
        Summary.objects.filter(pk=summary_id).update(
            state=Summary.State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return False
    return True


@dataclass
class MailResult:
    queued: int = 0
    skipped_inactive: set[int] = field(default_factory=set)
    skipped_no_email: set[int] = field(default_factory=set)
    opted_out: set[int] = field(default_factory=set)


def summary_recipients() -> tuple[dict[int, Person], set[int]]:
    d = directory()
    return d.people, d.leaders | d.office


def summary_mail(summary: Summary) -> MailResult:
    """Put a finished scheduled summary in the outbox for every leader and the supervision
    office (one email per person per summary, by key). On-demand summaries are read on the
    web page and are not mailed."""
    result = MailResult()
    if summary.kind == Summary.Kind.ON_DEMAND or summary.state != Summary.State.DONE:
        return result
    people, ids = summary_recipients()
    optouts = opted_out(ids)
    chosen: list[Person] = []
    for uid in sorted(ids):
        p = people[uid]
        if not p.is_active:
            result.skipped_inactive.add(uid)
        elif not p.email:
            result.skipped_no_email.add(uid)
        elif not wants(optouts, uid, EmailKind.SUMMARY):
            result.opted_out.add(uid)
        else:
            chosen.append(p)
    if not chosen:
        return result
    figures = summary.figures
    with transaction.atomic():
        ctx = {
            "title": summary.title,
            "kind_label": KIND_LABELS[summary.kind],
            "figures": figures,
            "summary_html": summary.html,
            "summary_text": summary.text,
            "summary_url": emails.url_for("summary_detail", summary.pk),
            "xlsx_name": summary.xlsx_name,
        }
        made = []
        for p in chosen:
            mail = emails.render("summary", {**ctx, "name": p.name})
            made.append(
                Notification(
                    key=f"summary:{summary.pk}:{p.id}",
                    kind=Notification.Kind.SUMMARY,
                    recipient_id=p.id,
                    to_email=p.email,
                    for_day=summary.period_end,
                    subject=mail.subject[:255],
                    body_text=mail.text,
                    body_html=mail.html,
                    summary=summary,
                )
            )
        Notification.objects.bulk_create(made, ignore_conflicts=True)
        dispatch_on_commit("outbox_flush")
    result.queued = len(made)
    return result


def summaries_send_due(
    *, kind: str, day: dt.date | None = None, dry_run: bool = False
) -> list[Summary]:
    """The scheduled job: the weekly or monthly summary of every current report, built now
    (in this worker) and mailed. Running it again the same week or month does nothing new."""
    day = day or clock.today()
    if kind not in (Summary.Kind.WEEKLY, Summary.Kind.MONTHLY):
        raise ValueError(f"unknown summary period {kind!r}")
    out = []
    for report in current_reports(day):
        if dry_run:
            start, end = summary_period(kind, day)
            out.append(
                Summary(
                    report=report,
                    kind=kind,
                    period_start=start,
                    period_end=end,
                    title=summary_title(report, kind, start, end),
                )
            )
            continue
        summary = summary_request(kind=kind, day=day, report=report)
        summary_build(summary.pk)
        summary.refresh_from_db()
        out.append(summary)
    return out


SUMMARIES_TASK = "commitments.summaries_send_due"


def summaries_missed(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled summaries beat should have started in the last SUMMARY_CATCH_UP_HOURS but
    that do not exist (Redis was down at 08:00 Monday: beat's tick is lost). Reads the
    schedules as edited in the admin: a disabled one is not caught up. Returns the ids of
    the summaries asked for (their build is queued; the build mails them)."""
    import json

    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.SUMMARY_CATCH_UP_HOURS)
    asked: list[int] = []
    for task in PeriodicTask.objects.filter(
        enabled=True, task=SUMMARIES_TASK, crontab__isnull=False
    ).select_related("crontab"):
        kind = json.loads(task.kwargs or "{}").get("period", Summary.Kind.WEEKLY)
        if kind not in (Summary.Kind.WEEKLY, Summary.Kind.MONTHLY):
            continue
        fired_at = now + task.crontab.schedule.remaining_estimate(since)
        if fired_at > now:
            continue  # no tick in the window
        # The day the job would have run on (the pinned demo day, if there is one).
        day = clock.today() if settings.LEDGER_TODAY else timezone.localdate(fired_at)
        _, end = summary_period(kind, day)
        for report in current_reports(day):
            if not Summary.objects.filter(report=report, kind=kind, period_end=end).exists():
                asked.append(summary_request(kind=kind, day=day, report=report).pk)
                logger.warning(
                    "caught up %s summary for %s (missed at %s)",
                    kind,
                    end.isoformat(),
                    timezone.localtime(fired_at).strftime("%Y-%m-%d %H:%M"),
                )
    return asked


def summaries_resume_stalled() -> list[int]:
    """The summaries' catch-up, every few minutes: queued summaries no worker picked up
    (Redis was down when they were asked for) and running ones whose worker died are queued
    again — the build's claim makes an extra queueing harmless — and scheduled summaries
    whose beat tick was lost are asked for (``summaries_missed``)."""
    missed = summaries_missed()
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SUMMARY_STALLED_AFTER_SECONDS)
    ids = list(
        Summary.objects.filter(state=Summary.State.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    ) + list(
        Summary.objects.filter(state=Summary.State.RUNNING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        dispatch_on_commit("summary_build", summary_id=pk)
    return missed + ids
