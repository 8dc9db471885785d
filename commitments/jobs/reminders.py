"""Reminder digests (临近提醒 / 到期催办), escalation, and the monthly reporting call (每月报送).

A run for a day is a plan (reads only) and then a write:

1. **plan** — every (recipient, commitment, kind, window) the day calls for, from the one
   status rule (``selectors.commitment_states``), minus what was already told, minus
   opt-outs; inactive people and people without an address are skipped and counted. The
   dry run (``send_reminders --dry-run``) is this step alone, so it shows exactly what the
   real run would send.
2. **write** (one transaction) — one outbox email per person (key ``reminders:<day>:<user>``,
   so one digest per person per day whatever runs), its items inserted with ON CONFLICT DO
   NOTHING against the unique (recipient, commitment, kind, window): a second run, or two at
   once, cannot record — and so cannot send — the same thing twice. Each digest is then
   rendered from all its items and the outbox is flushed after commit.

Who is told what:
- the reporters and managers of a commitment's lead unit and co-units: items due within a
  window (REMINDER_WINDOWS, default 14/7/1 days; each window once per due date), overdue
  items (once per OVERDUE_REMINDER_EVERY_DAYS while overdue), stale items (no update for
  STALE_AFTER_DAYS; once per staleness period);
- the author of an update the supervision office returned (once per update, until someone
  records a newer update on the commitment);
- the reporters and managers of a unit that has not acknowledged (签收) an assignment within
  ACKNOWLEDGE_WITHIN_DAYS days: once per assignment (未签收);
- escalation: overdue past ESCALATE_AFTER_DAYS puts the item in the digest of the lead
  unit's managers and of the supervision office (once per due date). Escalations ride in
  the recipients' own digests rather than in separate emails, so "one email per person per
  run" holds for everyone — a manager with twelve overdue items gets one email listing
  twelve, not twelve emails — and the reporter's own overdue item says it was escalated.

Closed items (办结销号) and completions waiting for review are not open: nobody is chased
about them. A moved deadline (an approved extension too) is a new occasion: windows carry the due date, so the new date is
reminded afresh.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import translation

from commitments import clock
from commitments.jobs import emails
from commitments.jobs.models import EmailKind, Notification, NotificationItem
from commitments.jobs.outbox import dispatch_on_commit, opted_out, outbox_trouble, wants
from commitments.jobs.people import Person, directory, display_name
from commitments.jobs.runlog import job_run_recorded
from commitments.models import Acknowledgement, Commitment, ProgressUpdate
from commitments.rules import LAMPS, Rag, acknowledgement_late
from commitments.selectors.states import CommitmentState, commitment_states, end_of_day
from commitments.selectors.workflow import urging_proposals

Kind = EmailKind


# -- plans --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    recipient_id: int
    commitment_id: int
    kind: str
    window: str
    context: dict[str, Any] = field(compare=False, hash=False)

    @property
    def key(self) -> tuple[int, int, str, str]:
        return (self.recipient_id, self.commitment_id, self.kind, self.window)


@dataclass
class Plan:
    """What one run would send: items per person, and who was left out and why."""

    job: str  # "reminders" / "reporting_call"
    day: dt.date
    items: list[Item] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)
    skipped_inactive: set[int] = field(default_factory=set)
    skipped_no_email: set[int] = field(default_factory=set)
    opted_out_people: set[int] = field(default_factory=set)
    opted_out_items: int = 0
    already_told: int = 0  # items recorded by an earlier run
    # People whose email for this occasion already went (a second run later the same day,
    # or this month's call): their new items wait for the next occasion.
    deferred_people: set[int] = field(default_factory=set)
    note: str = ""
    # The supervision office: told of unreachable units and of mail that could not be sent.
    office: set[int] = field(default_factory=set)
    office_people: dict[int, Person] = field(default_factory=dict)  # those who can be mailed

    def by_recipient(self) -> dict[int, list[Item]]:
        out: dict[int, list[Item]] = defaultdict(list)
        for it in self.items:
            out[it.recipient_id].append(it)
        return dict(out)

    @property
    def recipient_count(self) -> int:
        return len({it.recipient_id for it in self.items})


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _commitment_info(qs: QuerySet) -> dict[int, dict[str, Any]]:
    rows = qs.values(
        "pk", "code", "text", "start_date", "due_date", "lead_unit_id", "lead_unit__name",
        "responsible_person",
    )  # fmt: skip
    return {r["pk"]: r for r in rows}


def _co_units(qs: QuerySet[Commitment]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    through = Commitment.co_units.through.objects.filter(commitment_id__in=qs.values("pk"))
    for cid, did in through.values_list("commitment_id", "department_id"):
        out[cid].add(did)
    return out


def _item_context(c: dict[str, Any], st: CommitmentState, day: dt.date) -> dict[str, Any]:
    s = st.status
    return {
        "code": c["code"],
        "text": _short(c["text"]),
        "due_date": c["due_date"].isoformat(),
        "days_left": (c["due_date"] - day).days,
        "overdue_days": s.overdue_days,
        "percent": s.percent,
        "rag": s.rag,
        "rag_label": str(Rag.labels[s.rag]),
        "lead_unit": c["lead_unit__name"] or "",
        "responsible_person": c["responsible_person"],
        "last_update": st.last_update_as_of.isoformat() if st.last_update_as_of else None,
        "url": emails.url_for("commitment", c["pk"]),
    }


def _screen(
    plan: Plan,
    candidates: list[Item],
    people: dict[int, Person],
    *,
    existing: set[tuple[int, int, str, str]],
    deferred: set[int],
) -> Plan:
    """From every item the day calls for to what will be sent: drop duplicates (a person in
    two departments), what was already told, opt-outs, and people who cannot be mailed."""
    seen: set[tuple[int, int, str, str]] = set()
    unique: list[Item] = []
    for it in candidates:
        if it.key in seen:
            continue
        seen.add(it.key)
        if it.key in existing:
            plan.already_told += 1
            continue
        unique.append(it)

    optouts = opted_out({it.recipient_id for it in unique})
    kept_by_person: dict[int, list[Item]] = defaultdict(list)
    dropped_by_person: dict[int, int] = defaultdict(int)
    for it in unique:
        person = people[it.recipient_id]
        if not person.is_active:
            plan.skipped_inactive.add(person.id)
        elif not person.email:
            plan.skipped_no_email.add(person.id)
        elif not wants(optouts, person.id, it.kind):
            plan.opted_out_items += 1
            dropped_by_person[person.id] += 1
        elif person.id in deferred:
            plan.deferred_people.add(person.id)
        else:
            kept_by_person[person.id].append(it)
    plan.opted_out_people = {uid for uid in dropped_by_person if uid not in kept_by_person}
    for uid in sorted(kept_by_person, key=lambda u: (people[u].name, u)):
        plan.items.extend(kept_by_person[uid])
        plan.people[uid] = people[uid]
    return plan


def _existing_items(candidates: list[Item]) -> set[tuple[int, int, str, str]]:
    """What earlier runs recorded among these occasions. Windows name occasions by date
    (a due date, a last-update day, a month, an update id), so there are few distinct ones
    whatever the number of commitments: one query."""
    if not candidates:
        return set()
    windows = sorted({it.window for it in candidates})
    kinds = sorted({it.kind for it in candidates})
    return set(
        NotificationItem.objects.filter(kind__in=kinds, window__in=windows).values_list(
            "recipient_id", "commitment_id", "kind", "window"
        )
    )


def _sent_occasions(key_prefix: str) -> set[int]:
    """People whose email for this occasion exists and is no longer open for new items."""
    return set(
        Notification.objects.filter(key__startswith=key_prefix)
        .exclude(state=Notification.State.PENDING)
        .values_list("recipient_id", flat=True)
    )


def _returned_updates(day: dt.date) -> list[dict[str, Any]]:
    """Updates returned by the office on or before ``day`` (within the lookback) that no
    newer update on the same commitment has answered yet."""
    eod = end_of_day(day)
    newer = ProgressUpdate.objects.filter(
        commitment=OuterRef("commitment"),
        created_at__gt=OuterRef("created_at"),
        created_at__lte=eod,
    )
    return list(
        ProgressUpdate.objects.filter(
            review_state=ProgressUpdate.Review.RETURNED,
            reviewed_at__lte=eod,
            reviewed_at__gt=eod - dt.timedelta(days=settings.RETURNED_LOOKBACK_DAYS),
        )
        .annotate(answered=Exists(newer))
        .filter(answered=False)
        .values(
            "pk",
            "commitment_id",
            "as_of",
            "review_comment",
            "reviewed_at",
            "author_id",
            "author__username",
            "author__first_name",
            "author__last_name",
            "author__email",
            "author__is_active",
            "reviewed_by__username",
            "reviewed_by__first_name",
            "reviewed_by__last_name",
        )  # fmt: skip
    )


def _unacknowledged(commitments: QuerySet[Commitment], day: dt.date) -> list[dict[str, Any]]:
    """Assignments made by ``day`` that their unit has not acknowledged (签收)."""
    rows = Acknowledgement.objects.filter(
        commitment__in=commitments,
        acknowledged_at__isnull=True,
        superseded_at__isnull=True,
        assigned_on__lte=day,
    ).values("pk", "commitment_id", "department_id", "department__name", "assigned_on")
    return [dict(r) for r in rows]


def assigned_commitments():
    """What the jobs chase: commitments still in the report with a lead unit. An unassigned
    one has nobody to remind; assigning it is the office's job, and the dashboard and the
    summaries list it."""
    return Commitment.objects.filter(in_source=True, lead_unit__isnull=False)


def reminders_plan(*, day: dt.date | None = None) -> Plan:
    """Everything the reminder digests of ``day`` would carry. Reads only, in a fixed number
    of queries whatever the number of commitments and people."""
    day = day or clock.today()
    plan = Plan(job="reminders", day=day)
    with translation.override(settings.LANGUAGE_CODE):
        commitments = assigned_commitments()
        states = commitment_states(commitments, day=day)
        info = _commitment_info(commitments)
        co_units = _co_units(commitments)
        d = directory()
        people = dict(d.people)
        windows = sorted(settings.REMINDER_WINDOWS)
        every = max(settings.OVERDUE_REMINDER_EVERY_DAYS, 1)
        stale_after = max(settings.STALE_AFTER_DAYS, 1)

        candidates: list[Item] = []
        plan.office = set(d.office)
        plan.office_people = {
            u: people[u] for u in sorted(d.office) if people[u].is_active and people[u].email
        }

        def reachable(uids: set[int]) -> set[int]:
            return {u for u in uids if people[u].is_active and people[u].email}

        c: dict[str, Any] | None
        for cid, st in states.items():
            s = st.status
            if not s.is_open:
                continue
            c = info[cid]
            lead = c["lead_unit_id"]
            actors = d.actors([lead, *sorted(co_units.get(cid, ()))])
            ctx = _item_context(c, st, day)
            due = c["due_date"].isoformat()
            if not reachable(actors):
                # Nobody in the units can be mailed: the office hears of it at once, once
                # per due date, whatever else the day says about the item.
                for uid in d.office:
                    candidates.append(Item(uid, cid, Kind.NO_RECIPIENT, f"nobody/{due}", ctx))
            if s.overdue_days > 0:
                escalated = s.overdue_days > settings.ESCALATE_AFTER_DAYS
                week = (s.overdue_days - 1) // every + 1
                copied = _copied_to(
                    bool(reachable(d.managers.get(lead, set()))), bool(reachable(d.office))
                )
                for uid in actors:
                    candidates.append(
                        Item(
                            uid,
                            cid,
                            Kind.OVERDUE,
                            f"{due}/w{week}",
                            {
                                **ctx,
                                "escalated": escalated and bool(copied),
                                "escalated_to": copied,
                            },
                        )
                    )
                if escalated:
                    for uid in d.managers.get(lead, set()) | d.office:
                        candidates.append(Item(uid, cid, Kind.ESCALATION, due, ctx))
                continue
            days_left = (c["due_date"] - day).days
            window = next((w for w in windows if days_left <= w), None)
            if window is not None:
                for uid in actors:
                    candidates.append(Item(uid, cid, Kind.DUE_SOON, f"{due}/{window}", ctx))
            elif s.stale:
                last_seen = st.last_update_as_of or c["start_date"]
                period = ((day - last_seen).days - stale_after - 1) // stale_after + 1
                stale_ctx = {**ctx, "days_since_update": (day - last_seen).days}
                for uid in actors:
                    candidates.append(
                        Item(uid, cid, Kind.STALE, f"{last_seen.isoformat()}/s{period}", stale_ctx)
                    )

        for ack in _unacknowledged(commitments, day):
            cid = ack["commitment_id"]
            st = states[cid]
            if st.closed or not acknowledgement_late(assigned_on=ack["assigned_on"], day=day):
                continue
            ctx = {
                **_item_context(info[cid], st, day),
                "assigned_on": ack["assigned_on"].isoformat(),
                "unit": ack["department__name"],
            }
            for uid in d.actors([ack["department_id"]]):
                candidates.append(Item(uid, cid, Kind.UNACKNOWLEDGED, f"ack{ack['pk']}", ctx))

        for r in _returned_updates(day):
            uid = r["author_id"]
            people.setdefault(
                uid,
                Person(
                    uid,
                    display_name(
                        r["author__username"], r["author__first_name"], r["author__last_name"]
                    ),
                    r["author__email"] or "",
                    r["author__is_active"],
                ),
            )
            c = info.get(r["commitment_id"])
            if c is None:  # the sentence left the report; nobody is chased about it
                continue
            ctx = {
                **_item_context(c, states[c["pk"]], day),
                "update_as_of": r["as_of"].isoformat(),
                "comment": r["review_comment"],
                "reviewer": display_name(
                    r["reviewed_by__username"] or "",
                    r["reviewed_by__first_name"] or "",
                    r["reviewed_by__last_name"] or "",
                ),
            }
            candidates.append(Item(uid, r["commitment_id"], Kind.RETURNED, f"u{r['pk']}", ctx))

        return _screen(
            plan,
            candidates,
            people,
            existing=_existing_items(candidates),
            deferred=_sent_occasions(reminders_key_prefix(day)),
        )


def _copied_to(managers: bool, office: bool) -> str:
    """Whom an escalation actually reaches, as the reporter's line says it."""
    if managers and office:
        return "单位负责人和督查室"
    return "单位负责人" if managers else "督查室" if office else ""


def reminders_key_prefix(day: dt.date) -> str:
    return f"reminders:{day.isoformat()}:"


# -- the monthly reporting call ------------------------------------------------------------------


def reporting_call_window(day: dt.date) -> tuple[dt.date, dt.date]:
    """The days of ``day``'s month on which reporters are asked: from
    REPORTING_CALL_DAYS_BEFORE days before the reporting day up to the reporting day."""
    last = calendar.monthrange(day.year, day.month)[1]
    reporting_day = min(max(settings.REPORTING_DAY, 1), last)
    first = max(reporting_day - settings.REPORTING_CALL_DAYS_BEFORE, 1)
    return day.replace(day=first), day.replace(day=reporting_day)


def reporting_call_key_prefix(day: dt.date) -> str:
    return f"reporting_call:{day:%Y-%m}:"


def reporting_call_plan(*, day: dt.date | None = None) -> Plan:
    """Who is asked for this month's update: the reporters of every department with a
    started, open commitment (as lead or co-unit) that has no update this month yet.
    Once per person per month: the email's key is the month."""
    day = day or clock.today()
    plan = Plan(job="reporting_call", day=day)
    first, reporting_day = reporting_call_window(day)
    if not first <= day <= reporting_day:
        plan.note = (
            f"不在报送提醒期内（每月 {first.day}–{reporting_day.day} 日） / "
            f"outside the reporting-call days ({first.day}–{reporting_day.day} of the month)"
        )
        return plan
    month_start = day.replace(day=1)
    with translation.override(settings.LANGUAGE_CODE):
        commitments = assigned_commitments().filter(start_date__lte=day)
        states = commitment_states(commitments, day=day)
        info = _commitment_info(commitments)
        co_units = _co_units(commitments)
        d = directory()
        month = f"{day:%Y-%m}"
        candidates: list[Item] = []
        for cid, st in states.items():
            if not st.status.is_open:
                continue
            if st.last_update_as_of is not None and st.last_update_as_of >= month_start:
                continue  # already reported this month
            c = info[cid]
            depts = [c["lead_unit_id"], *sorted(co_units.get(cid, ()))]
            ctx = {**_item_context(c, st, day), "reporting_day": reporting_day.isoformat()}
            for dept in depts:
                for uid in d.reporters.get(dept, set()):
                    candidates.append(Item(uid, cid, Kind.REPORTING_CALL, month, ctx))
        return _screen(
            plan,
            candidates,
            d.people,
            existing=_existing_items(candidates),
            deferred=_sent_occasions(reporting_call_key_prefix(day)),
        )


# -- writing and rendering ---------------------------------------------------------------------


DIGEST_SECTIONS: list[tuple[str, str, str]] = [  # kind, heading, short label for the subject
    (Kind.NO_RECIPIENT, "单位无人可提醒，请督查室跟进", "无人可提醒"),
    (Kind.ESCALATION, "逾期升级，请督促办理", "逾期升级"),
    (Kind.OVERDUE, "已逾期，请尽快办结并报送进展", "已逾期"),
    (Kind.DUE_SOON, "即将到期", "临近到期"),
    (Kind.UNACKNOWLEDGED, "已交办未签收，请登录督办台账签收", "未签收"),
    (Kind.RETURNED, "进展被退回，请修改后重新报送", "被退回"),
    (Kind.STALE, "长期未更新进展", "长期未更新"),
]
SECTION_ORDER = {kind: i for i, (kind, _, _) in enumerate(DIGEST_SECTIONS)}
REASON_LABELS = {kind: short for kind, _, short in DIGEST_SECTIONS}


def _display(ctx: dict[str, Any]) -> dict[str, Any]:
    """What a row shows, worked out here rather than in template tags: a digest may list
    dozens of rows for a thousand people, and template logic per row is the slow part."""
    if ctx.get("overdue_days"):
        when, color = f"逾期{ctx['overdue_days']}天", "#c62828"
    elif ctx.get("days_since_update"):
        when, color = f"{ctx['days_since_update']}天未更新", "#555555"
    elif ctx.get("update_as_of"):
        when, color = f"截至{ctx['update_as_of']}的进展", "#555555"
    elif ctx.get("assigned_on"):
        when, color = f"{ctx['assigned_on']}交办，未签收", "#c62828"
    else:
        when, color = f"剩{ctx['days_left']}天", "#555555"
    lamp = LAMPS.get(ctx.get("rag", ""), LAMPS[Rag.NOT_STARTED])
    return {
        **ctx,
        "when": when,
        "when_color": color,
        "lamp_bg": lamp.fill,
        "lamp_fg": lamp.ink,
        "pct": f"{ctx['percent']}%",
    }


def _rows(items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """One row per task, whatever the number of reasons: (the section it is listed under —
    its most pressing reason —, the row with every reason grouped)."""
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in items:
        by_code[i["context"]["code"]].append(i)
    rows = []
    for group in by_code.values():
        group.sort(key=lambda i: SECTION_ORDER.get(i["kind"], len(SECTION_ORDER)))
        kinds = [i["kind"] for i in group]
        row = _display(group[0]["context"])
        for i in group[1:]:  # what the other reasons add to the line
            extra = i["context"]
            for key in ("comment", "reviewer", "update_as_of", "escalated", "escalated_to"):
                if extra.get(key) and not row.get(key):
                    row[key] = extra[key]
        row["reasons"] = [REASON_LABELS.get(k, k) for k in kinds]
        row["more_reasons"] = "、".join(row["reasons"][1:])
        rows.append((kinds[0], row))
    return rows


def _shorten(sections: list[dict[str, Any]], max_rows: int) -> int:
    """Keep the first ``max_rows`` rows (in section order); return how many were left out.
    The sections keep their full counts."""
    left = max_rows
    hidden = 0
    for s in sections:
        shown = s["items"][: max(left, 0)]
        hidden += len(s["items"]) - len(shown)
        left -= len(shown)
        s["items"] = shown
    return hidden


def digest_context(
    *,
    name: str,
    day: dt.date,
    items: list[dict[str, Any]],
    max_rows: int | None = None,
    mail_trouble: dict[str, Any] | None = None,
    urging: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context of one digest, from the items' stored contexts alone: one row
    per task, under its most pressing reason, and the headings count the rows."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, row in _rows(items):
        by_kind[kind].append(row)
    sections: list[dict[str, Any]] = []
    for kind, heading, short in DIGEST_SECTIONS:
        entries = sorted(by_kind.get(kind, []), key=lambda x: (x["due_date"], x["code"]))
        if entries:
            sections.append(
                {
                    "kind": kind,
                    "heading": heading,
                    "short": short,
                    "items": entries,
                    "count": len(entries),
                }
            )
    total = sum(s["count"] for s in sections)
    limit = settings.DIGEST_MAX_ROWS if max_rows is None else max_rows
    return {
        "name": name,
        "day": day,
        "sections": sections,
        "total": total,
        "hidden": _shorten(sections, limit),
        "mail_trouble": mail_trouble if mail_trouble and mail_trouble["count"] else None,
        "urging": urging if urging and urging["count"] else None,
        "escalate_after_days": settings.ESCALATE_AFTER_DAYS,
        "stale_after_days": settings.STALE_AFTER_DAYS,
        "inbox_url": emails.url_for("inbox"),
        "ledger_url": emails.url_for("ledger"),
    }


def reporting_call_context(
    *,
    name: str,
    day: dt.date,
    items: list[dict[str, Any]],
    max_rows: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    entries = sorted(
        (_display(i["context"]) for i in items), key=lambda x: (x["due_date"], x["code"])
    )
    reporting_day = reporting_call_window(day)[1]
    limit = settings.DIGEST_MAX_ROWS if max_rows is None else max_rows
    return {
        "name": name,
        "day": day,
        "month": f"{day.year}年{day.month}月",
        "reporting_day": reporting_day,
        "items": entries[: max(limit, 0)],
        "total": len(entries),
        "hidden": max(len(entries) - max(limit, 0), 0),
        "inbox_url": emails.url_for("inbox"),
        "ledger_url": emails.url_for("ledger"),
    }


def render_digest(
    template: str, context: Callable[..., dict[str, Any]], **kwargs: Any
) -> emails.RenderedEmail:
    """Render within the size mail clients show whole (DIGEST_MAX_HTML_BYTES): past it,
    list fewer rows — the counts stay, the rest is a link to the inbox."""
    max_rows = settings.DIGEST_MAX_ROWS
    while True:
        email = emails.render(template, context(max_rows=max_rows, **kwargs))
        if len(email.html.encode()) <= settings.DIGEST_MAX_HTML_BYTES or max_rows <= 0:
            return email
        max_rows //= 2


def _write(
    plan: Plan,
    *,
    kind: str,
    key_prefix: str,
    template: str,
    context: Callable[..., dict[str, Any]],
    extras: Callable[[int], dict[str, Any]] | None = None,
    always: frozenset[int] = frozenset(),
) -> list[int]:
    """Record the plan in the outbox (see the module docstring) and return the ids of the
    emails that carry it, a batch of REMINDER_BATCH_SIZE recipients at a time: each batch
    is its own short transaction, rendered and let go before the next, so memory stays
    bounded whatever the number of people, and a run killed half way leaves whole batches
    behind — its rerun skips what they recorded. Each batch's emails are flushed after
    its commit."""
    by_person = plan.by_recipient()
    for uid in always:  # an email even without items (the office, when mail is failing)
        by_person.setdefault(uid, [])
    # Same key order in every run, so two runs never wait on each other in a cycle.
    uids = sorted(by_person, key=lambda u: f"{key_prefix}{u}")
    size = max(settings.REMINDER_BATCH_SIZE, 1)
    ids: list[int] = []
    for start in range(0, len(uids), size):
        batch = uids[start : start + size]
        ids += _write_batch(
            plan,
            {uid: by_person[uid] for uid in batch},
            kind=kind,
            key_prefix=key_prefix,
            template=template,
            context=context,
            extras=extras,
            always=always,
        )
    return sorted(ids)


def _write_batch(
    plan: Plan,
    by_person: dict[int, list[Item]],
    *,
    kind: str,
    key_prefix: str,
    template: str,
    context: Callable[..., dict[str, Any]],
    extras: Callable[[int], dict[str, Any]] | None,
    always: frozenset[int],
) -> list[int]:
    keys = [f"{key_prefix}{uid}" for uid in by_person]
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    key=f"{key_prefix}{uid}",
                    kind=kind,
                    recipient_id=uid,
                    to_email=plan.people[uid].email,
                    for_day=plan.day,
                )
                for uid in by_person
            ],
            ignore_conflicts=True,
        )
        # Lock these emails until commit: a sender's claim (a conditional UPDATE) waits,
        # so it never renders a digest that is still being filled.
        open_emails = {
            n.recipient_id: n
            for n in Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(key__in=keys, state=Notification.State.PENDING)
            .order_by("pk")
        }
        NotificationItem.objects.bulk_create(
            [
                NotificationItem(
                    notification_id=open_emails[uid].pk,
                    recipient_id=uid,
                    commitment_id=it.commitment_id,
                    kind=it.kind,
                    window=it.window,
                    context=it.context,
                )
                for uid, items in by_person.items()
                if uid in open_emails
                for it in items
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        # Render every open email of the batch from all its items: a concurrent run may
        # have added some, and an email whose every item lost the race to an earlier one
        # has nothing to say.
        items: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for row in (
            NotificationItem.objects.filter(notification__in=[n.pk for n in open_emails.values()])
            .order_by("pk")
            .values("notification_id", "kind", "context")
        ):
            items[row["notification_id"]].append(row)
        empty = [
            n.pk
            for n in open_emails.values()
            if not items.get(n.pk) and n.recipient_id not in always
        ]
        if empty:
            Notification.objects.filter(pk__in=empty).delete()
        rendered = []
        for n in open_emails.values():
            if n.pk in empty:
                continue
            user = n.recipient
            name = display_name(user.username, user.first_name, user.last_name)
            email = render_digest(
                template,
                context,
                name=name,
                day=n.for_day,
                items=items.pop(n.pk, []),
                **(extras(user.pk) if extras else {}),
            )
            n.subject, n.body_text, n.body_html = email.subject[:255], email.text, email.html
            rendered.append(n)
        Notification.objects.bulk_update(
            rendered, ["subject", "body_text", "body_html"], batch_size=100
        )
        ids = sorted(n.pk for n in rendered)
        if ids:
            dispatch_on_commit("outbox_flush", ids=ids)
    return ids


@dataclass
class RunResult:
    plan: Plan
    notification_ids: list[int]
    dry_run: bool

    @property
    def emails(self) -> int:
        return self.plan.recipient_count if self.dry_run else len(self.notification_ids)


def reminders_run(*, day: dt.date | None = None, dry_run: bool = False) -> RunResult:
    """The daily reminder job: plan the day's digests and (unless a dry run) put them in the
    outbox. The scheduled task and ``send_reminders`` both call this."""
    day = day or clock.today()
    if dry_run:
        return RunResult(reminders_plan(day=day), [], True)
    with job_run_recorded("reminders", day):
        return _reminders_write(reminders_plan(day=day), day)


def urging_due(day: dt.date) -> dict[str, Any]:
    """The urging notices the rules call for today (建议催办), for the office's digest: the
    daily job proposes them; it never issues a formal notice by itself."""
    proposals = urging_proposals(commitments=assigned_commitments(), day=day)
    by_level = Counter(p.level for p in proposals)
    return {
        "count": len(proposals),
        "red": by_level.get("red", 0),
        "yellow": by_level.get("yellow", 0),
        "blue": by_level.get("blue", 0),
        "url": emails.url_for("urging_proposed"),
    }


def _reminders_write(plan: Plan, day: dt.date) -> RunResult:
    trouble = outbox_trouble()
    urging = urging_due(day)
    office: frozenset[int] = frozenset()
    if trouble["count"] or urging["count"]:
        already = _sent_occasions(reminders_key_prefix(day))
        for uid, person in plan.office_people.items():
            if uid not in already:
                plan.people.setdefault(uid, person)
                office |= {uid}
    ids = _write(
        plan,
        kind=Notification.Kind.REMINDER_DIGEST,
        key_prefix=reminders_key_prefix(day),
        template="reminder-digest",
        context=digest_context,
        extras=lambda uid: (
            {"mail_trouble": trouble, "urging": urging} if uid in plan.office else {}
        ),
        # Failing mail and notices to issue are news for the office even on a day with
        # nothing else to say.
        always=office,
    )
    return RunResult(plan, ids, False)


def reporting_call_run(*, day: dt.date | None = None, dry_run: bool = False) -> RunResult:
    """The daily check for the monthly reporting call (it sends only in the call days)."""
    day = day or clock.today()
    if dry_run:
        return RunResult(reporting_call_plan(day=day), [], True)
    with job_run_recorded("reporting_call", day):
        plan = reporting_call_plan(day=day)
        ids = _write(
            plan,
            kind=Notification.Kind.REPORTING_CALL,
            key_prefix=reporting_call_key_prefix(day),
            template="reporting-call",
            context=reporting_call_context,
        )
    return RunResult(plan, ids, False)
