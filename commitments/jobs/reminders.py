"""Reminder digests (临近提醒 / 到期催办), escalation, and the monthly reporting call (每月报送).

A run for a day reads what it calls for, then screens and writes it a batch of people at a
time:

1. **candidates** — every (commitment, kind, window) the day calls for, from the one status
   rule (``selectors.commitment_states``), each built once per commitment with its context
   and shared by everyone it concerns (``Occasion``); then per person, the occasions that
   concern them. A fixed number of queries whatever the number of commitments and people;
   the states are let go once this is built.
2. **screen** — a batch of REMINDER_BATCH_SIZE people at a time, in the order of their
   emails' keys: minus what was already told, minus opt-outs; inactive people and people
   without an address are skipped and counted (two queries a batch). The dry run
   (``send_reminders --dry-run``) screens exactly so and writes nothing, so it shows
   exactly what the real run would send.
3. **write** (one short transaction per batch) — one outbox email per person (key
   ``reminders:<day>:<user>``, so one digest per person per day whatever runs), its items
   inserted with ON CONFLICT DO NOTHING against the unique (recipient, commitment, kind,
   window): a second run, or two at once, or a task redelivered after its worker was
   killed, cannot record — and so cannot send — the same thing twice. Each digest is then
   rendered from all its items, one email at a time, and the batch's emails are flushed
   after its commit. The batch is let go before the next: memory stays bounded whatever the
   number of people, and a run killed half way leaves whole batches behind.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby, islice
from operator import itemgetter
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


@dataclass(frozen=True, slots=True)
class Item:
    recipient_id: int
    commitment_id: int
    kind: str
    window: str
    context: dict[str, Any] = field(compare=False, hash=False)

    @property
    def key(self) -> tuple[int, int, str, str]:
        return (self.recipient_id, self.commitment_id, self.kind, self.window)


@dataclass(frozen=True, slots=True)
class Occasion:
    """One thing the day calls for about one commitment. It says the same to everyone it
    concerns, so it is built once per commitment and shared, never copied per person."""

    commitment_id: int
    kind: str
    window: str
    context: dict[str, Any] = field(compare=False, hash=False)

    def to(self, recipient_id: int) -> Item:
        return Item(recipient_id, self.commitment_id, self.kind, self.window, self.context)


@dataclass
class Candidates:
    """Everything the day calls for, before screening: per person, the occasions that
    concern them, in the order they were found (references, not copies)."""

    people: dict[int, Person]
    by_person: defaultdict[int, list[Occasion]] = field(default_factory=lambda: defaultdict(list))

    def add(self, recipient_ids: Iterable[int], occasion: Occasion) -> None:
        for uid in recipient_ids:
            self.by_person[uid].append(occasion)


@dataclass
class Plan:
    """What one run would send (or sent): who is told what, and who was left out and why.

    A plan (``reminders_plan``, the dry run) lists every item in ``items``. A real run
    screens and writes a batch of people at a time and keeps the counts only, so its memory
    does not grow with the number of people or items."""

    job: str  # "reminders" / "reporting_call"
    day: dt.date
    items: list[Item] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)  # who is written to
    item_count: int = 0  # items kept (listed in ``items`` for a plan)
    recipient_count: int = 0  # people with at least one item kept
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


# A screened batch: per person (in batch order), the items they will be sent.
Batch = dict[int, list[Item]]


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


def _screen(plan: Plan, candidates: Candidates, uids: list[int], *, deferred: set[int]) -> Batch:
    """One batch of people, from every item the day calls for to what will be sent: drop
    duplicates (a person in two departments), what was already told, opt-outs, and people
    who cannot be mailed. Two queries, whatever the batch holds; the batch's candidates
    are let go."""
    found = {uid: candidates.by_person.pop(uid) for uid in uids if uid in candidates.by_person}
    existing = _existing_items(found)
    unique: dict[int, list[Occasion]] = {}
    for uid, occasions in found.items():
        seen: set[tuple[int, str, str]] = set()
        mine: list[Occasion] = []
        for o in occasions:
            key = (o.commitment_id, o.kind, o.window)
            if key in seen:
                continue
            seen.add(key)
            if (uid, *key) in existing:
                plan.already_told += 1
                continue
            mine.append(o)
        if mine:
            unique[uid] = mine

    optouts = opted_out(unique)
    kept: Batch = {}
    for uid, occasions in unique.items():
        person = candidates.people[uid]
        if not person.is_active:
            plan.skipped_inactive.add(uid)
            continue
        if not person.email:
            plan.skipped_no_email.add(uid)
            continue
        wanted = [o for o in occasions if wants(optouts, uid, o.kind)]
        plan.opted_out_items += len(occasions) - len(wanted)
        if len(wanted) < len(occasions) and (not wanted or uid in deferred):
            plan.opted_out_people.add(uid)  # nothing left to send them today
        if not wanted:
            continue
        if uid in deferred:
            plan.deferred_people.add(uid)
            continue
        kept[uid] = [o.to(uid) for o in wanted]
        plan.people[uid] = person
        plan.item_count += len(wanted)
        plan.recipient_count += 1
    return kept


def _existing_items(found: Mapping[int, list[Occasion]]) -> set[tuple[int, int, str, str]]:
    """What earlier runs recorded among these people's occasions. Windows name occasions by
    date (a due date, a last-update day, a month, an update id), so there are few distinct
    ones whatever the number of commitments: one query."""
    if not found:
        return set()
    windows = sorted({o.window for occasions in found.values() for o in occasions})
    kinds = sorted({o.kind for occasions in found.values() for o in occasions})
    return set(
        NotificationItem.objects.filter(
            recipient_id__in=sorted(found), kind__in=kinds, window__in=windows
        ).values_list("recipient_id", "commitment_id", "kind", "window")
    )


def _in_batches(
    plan: Plan,
    candidates: Candidates,
    *,
    key_prefix: str,
    deferred: set[int],
    also: frozenset[int] = frozenset(),
    keep_items: bool,
) -> Iterator[tuple[list[int], Batch]]:
    """Screen the candidates a batch of REMINDER_BATCH_SIZE people at a time, in the order
    of their emails' keys (so two runs never wait on each other in a cycle); ``also``:
    people who get an email even without items. Yields (the batch's people, what they
    will be sent). ``keep_items``: list every item in the plan too (a plan, a dry run)."""
    uids = sorted(set(candidates.by_person) | also, key=lambda u: f"{key_prefix}{u}")
    size = max(settings.REMINDER_BATCH_SIZE, 1)
    for start in range(0, len(uids), size):
        batch = uids[start : start + size]
        kept = _screen(plan, candidates, batch, deferred=deferred)
        if keep_items:
            plan.items += [it for items in kept.values() for it in items]
        yield batch, kept


def _by_name(plan: Plan) -> None:
    """A plan's items, person by person in name order (each person's in the order found)."""
    plan.items.sort(key=lambda it: (plan.people[it.recipient_id].name, it.recipient_id))


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


def _reminder_candidates(plan: Plan, day: dt.date) -> Candidates:
    """Every item the reminder digests of ``day`` call for, found commitment by commitment
    from the one status rule, in a fixed number of queries. The states, the commitments'
    rows and the directory are let go when this returns: what stays is one context per
    commitment told about, shared by everyone told."""
    commitments = assigned_commitments()
    states = commitment_states(commitments, day=day)
    info = _commitment_info(commitments)
    co_units = _co_units(commitments)
    d = directory()
    people = dict(d.people)
    candidates = Candidates(people=people)
    windows = sorted(settings.REMINDER_WINDOWS)
    every = max(settings.OVERDUE_REMINDER_EVERY_DAYS, 1)
    stale_after = max(settings.STALE_AFTER_DAYS, 1)

    plan.office = set(d.office)
    plan.office_people = {
        u: people[u] for u in sorted(d.office) if people[u].is_active and people[u].email
    }

    def reachable(uids: set[int]) -> set[int]:
        return {u for u in uids if people[u].is_active and people[u].email}

    office_reachable = bool(reachable(d.office))
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
            # Nobody in the units can be mailed: the office hears of it at once, once per
            # due date, whatever else the day says about the item.
            candidates.add(d.office, Occasion(cid, Kind.NO_RECIPIENT, f"nobody/{due}", ctx))
        if s.overdue_days > 0:
            escalated = s.overdue_days > settings.ESCALATE_AFTER_DAYS
            week = (s.overdue_days - 1) // every + 1
            copied = _copied_to(bool(reachable(d.managers.get(lead, set()))), office_reachable)
            overdue_ctx = {**ctx, "escalated": escalated and bool(copied), "escalated_to": copied}
            candidates.add(actors, Occasion(cid, Kind.OVERDUE, f"{due}/w{week}", overdue_ctx))
            if escalated:
                candidates.add(
                    d.managers.get(lead, set()) | d.office,
                    Occasion(cid, Kind.ESCALATION, due, ctx),
                )
            continue
        days_left = (c["due_date"] - day).days
        window = next((w for w in windows if days_left <= w), None)
        if window is not None:
            candidates.add(actors, Occasion(cid, Kind.DUE_SOON, f"{due}/{window}", ctx))
        elif s.stale:
            last_seen = st.last_update_as_of or c["start_date"]
            period = ((day - last_seen).days - stale_after - 1) // stale_after + 1
            stale_ctx = {**ctx, "days_since_update": (day - last_seen).days}
            candidates.add(
                actors,
                Occasion(cid, Kind.STALE, f"{last_seen.isoformat()}/s{period}", stale_ctx),
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
        candidates.add(
            d.actors([ack["department_id"]]),
            Occasion(cid, Kind.UNACKNOWLEDGED, f"ack{ack['pk']}", ctx),
        )

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
        candidates.add([uid], Occasion(r["commitment_id"], Kind.RETURNED, f"u{r['pk']}", ctx))
    return candidates


def reminders_plan(
    *, day: dt.date | None = None, on_batch: Callable[[Plan, Batch], None] | None = None
) -> Plan:
    """Everything the reminder digests of ``day`` would carry, every item listed. Reads
    only: a fixed number of queries, and two per batch of REMINDER_BATCH_SIZE people —
    exactly the screening a real run does, so the dry run shows what it would send."""
    day = day or clock.today()
    plan = Plan(job="reminders", day=day)
    with translation.override(settings.LANGUAGE_CODE):
        candidates = _reminder_candidates(plan, day)
        for _, kept in _in_batches(
            plan,
            candidates,
            key_prefix=reminders_key_prefix(day),
            deferred=_sent_occasions(reminders_key_prefix(day)),
            keep_items=True,
        ):
            if on_batch:
                on_batch(plan, kept)
    _by_name(plan)
    return plan


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


def _reporting_call_open(day: dt.date) -> str:
    """Why no call goes out on ``day`` ("" in the call days)."""
    first, reporting_day = reporting_call_window(day)
    if first <= day <= reporting_day:
        return ""
    return (
        f"不在报送提醒期内（每月 {first.day}–{reporting_day.day} 日） / "
        f"outside the reporting-call days ({first.day}–{reporting_day.day} of the month)"
    )


def _reporting_call_candidates(day: dt.date) -> Candidates:
    """The reporters of every department with a started, open commitment (as lead or
    co-unit) that has no update this month yet, one occasion per commitment."""
    month_start = day.replace(day=1)
    reporting_day = reporting_call_window(day)[1]
    commitments = assigned_commitments().filter(start_date__lte=day)
    states = commitment_states(commitments, day=day)
    info = _commitment_info(commitments)
    co_units = _co_units(commitments)
    d = directory()
    candidates = Candidates(people=d.people)
    month = f"{day:%Y-%m}"
    for cid, st in states.items():
        if not st.status.is_open:
            continue
        if st.last_update_as_of is not None and st.last_update_as_of >= month_start:
            continue  # already reported this month
        c = info[cid]
        ctx = {**_item_context(c, st, day), "reporting_day": reporting_day.isoformat()}
        occasion = Occasion(cid, Kind.REPORTING_CALL, month, ctx)
        for dept in [c["lead_unit_id"], *sorted(co_units.get(cid, ()))]:
            candidates.add(d.reporters.get(dept, set()), occasion)
    return candidates


def reporting_call_plan(
    *, day: dt.date | None = None, on_batch: Callable[[Plan, Batch], None] | None = None
) -> Plan:
    """Who is asked for this month's update (see ``_reporting_call_candidates``), every
    item listed. Once per person per month: the email's key is the month."""
    day = day or clock.today()
    plan = Plan(job="reporting_call", day=day, note=_reporting_call_open(day))
    if plan.note:
        return plan
    with translation.override(settings.LANGUAGE_CODE):
        candidates = _reporting_call_candidates(day)
        for _, kept in _in_batches(
            plan,
            candidates,
            key_prefix=reporting_call_key_prefix(day),
            deferred=_sent_occasions(reporting_call_key_prefix(day)),
            keep_items=True,
        ):
            if on_batch:
                on_batch(plan, kept)
    _by_name(plan)
    return plan


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


def _row(group: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One task's line, with every reason it is listed for grouped (most pressing first)."""
    row = _display(group[0]["context"])
    for i in group[1:]:  # what the other reasons add to the line
        extra = i["context"]
        for key in ("comment", "reviewer", "update_as_of", "escalated", "escalated_to"):
            if extra.get(key) and not row.get(key):
                row[key] = extra[key]
    row["reasons"] = [REASON_LABELS.get(i["kind"], i["kind"]) for i in group]
    row["more_reasons"] = "、".join(row["reasons"][1:])
    return row


def _tasks(items: list[Mapping[str, Any]]) -> dict[str, list[list[Mapping[str, Any]]]]:
    """One entry per task, whatever the number of reasons, under the section of its most
    pressing reason: section kind → the tasks' items, most pressing first."""
    by_code: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for i in items:
        by_code[i["context"]["code"]].append(i)
    by_kind: dict[str, list[list[Mapping[str, Any]]]] = defaultdict(list)
    for group in by_code.values():
        group.sort(key=lambda i: SECTION_ORDER.get(i["kind"], len(SECTION_ORDER)))
        by_kind[group[0]["kind"]].append(group)
    return by_kind


def digest_context(
    *,
    name: str,
    day: dt.date,
    items: list[Mapping[str, Any]],
    max_rows: int | None = None,
    mail_trouble: dict[str, Any] | None = None,
    urging: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context of one digest, from the items' stored contexts alone: one row
    per task, under its most pressing reason, and the headings count the rows. Only the
    first ``max_rows`` rows (in section order) are listed — and worked out; the sections
    keep their full counts and the rest is a link to the inbox."""
    limit = settings.DIGEST_MAX_ROWS if max_rows is None else max_rows
    left = max(limit, 0)
    by_kind = _tasks(items)
    sections: list[dict[str, Any]] = []
    total = 0
    for kind, heading, short in DIGEST_SECTIONS:
        tasks = by_kind.get(kind)
        if not tasks:
            continue
        tasks.sort(key=lambda g: (g[0]["context"]["due_date"], g[0]["context"]["code"]))
        shown = tasks[:left]
        left -= len(shown)
        total += len(tasks)
        sections.append(
            {
                "kind": kind,
                "heading": heading,
                "short": short,
                "items": [_row(g) for g in shown],
                "count": len(tasks),
            }
        )
    return {
        "name": name,
        "day": day,
        "sections": sections,
        "total": total,
        "hidden": total - sum(len(s["items"]) for s in sections),
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
    items: list[Mapping[str, Any]],
    max_rows: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    contexts = sorted((i["context"] for i in items), key=lambda c: (c["due_date"], c["code"]))
    reporting_day = reporting_call_window(day)[1]
    limit = max(settings.DIGEST_MAX_ROWS if max_rows is None else max_rows, 0)
    return {
        "name": name,
        "day": day,
        "month": f"{day.year}年{day.month}月",
        "reporting_day": reporting_day,
        "items": [_display(c) for c in contexts[:limit]],  # only the rows shown
        "total": len(contexts),
        "hidden": max(len(contexts) - limit, 0),
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


def _write_all(
    plan: Plan,
    candidates: Candidates,
    *,
    deferred: set[int],
    on_batch: Callable[[Plan, Batch], None] | None,
    kind: str,
    key_prefix: str,
    template: str,
    context: Callable[..., dict[str, Any]],
    extras: Callable[[int], dict[str, Any]] | None = None,
    always: frozenset[int] = frozenset(),
) -> list[int]:
    """Screen the candidates a batch of REMINDER_BATCH_SIZE people at a time, write those
    kept a batch of as many at a time, and return the ids of the emails written. Each
    batch written is its own short transaction, rendered and let go before the next, so
    memory stays bounded whatever the number of people; a run killed half way leaves whole
    batches behind, and its rerun skips what they recorded. ``always``: people written to
    even without items (the office, when mail is failing). ``on_batch`` sees each batch
    as it is screened."""
    size = max(settings.REMINDER_BATCH_SIZE, 1)
    ids: list[int] = []
    # Screened people gather here until a batch is full (still in key order): on a quiet
    # day most candidates were told already, and a batch is written in few statements.
    ready: Batch = {}

    def write() -> None:
        nonlocal ready
        if ready:
            ids.extend(
                _write_batch(
                    plan,
                    ready,
                    kind=kind,
                    key_prefix=key_prefix,
                    template=template,
                    context=context,
                    extras=extras,
                    always=always,
                )
            )
        ready = {}

    for batch, kept in _in_batches(
        plan,
        candidates,
        key_prefix=key_prefix,
        deferred=deferred,
        also=always,
        keep_items=False,
    ):
        for uid in batch:
            if uid in kept or uid in always:
                ready[uid] = kept.get(uid, [])
                if len(ready) >= size:
                    write()
        if on_batch:
            on_batch(plan, kept)
    write()
    return sorted(ids)


def _write_batch(
    plan: Plan,
    by_person: Batch,
    *,
    kind: str,
    key_prefix: str,
    template: str,
    context: Callable[..., dict[str, Any]],
    extras: Callable[[int], dict[str, Any]] | None,
    always: frozenset[int],
) -> list[int]:
    """Record one batch in the outbox (see the module docstring), render its emails and
    queue their sending after commit. In memory: the batch's emails, a thousand item rows
    at a time while inserting, and one email's items at a time while rendering."""
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
            n.pk: n
            for n in Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .only(
                "pk",
                "recipient_id",
                "for_day",
                "recipient__username",
                "recipient__first_name",
                "recipient__last_name",
            )  # fmt: skip
            .filter(key__in=keys, state=Notification.State.PENDING)
            .order_by("pk")
        }
        email_of = {n.recipient_id: pk for pk, n in open_emails.items()}
        new_rows = (
            NotificationItem(
                notification_id=email_of[uid],
                recipient_id=uid,
                commitment_id=it.commitment_id,
                kind=it.kind,
                window=it.window,
                context=it.context,
            )
            for uid, items in by_person.items()
            if uid in email_of
            for it in items
        )
        while chunk := list(islice(new_rows, 1000)):
            NotificationItem.objects.bulk_create(chunk, ignore_conflicts=True, batch_size=500)

        def rendered(n: Notification, items: list[Mapping[str, Any]]) -> Notification:
            user = n.recipient
            email = render_digest(
                template,
                context,
                name=display_name(user.username, user.first_name, user.last_name),
                day=n.for_day,
                items=items,
                **(extras(user.pk) if extras else {}),
            )
            n.subject, n.body_text, n.body_html = email.subject[:255], email.text, email.html
            return n

        # Render every open email of the batch from all its items — a concurrent run may
        # have added some — read in email order and rendered one email at a time.
        done: list[Notification] = []
        rows = (
            NotificationItem.objects.filter(notification__in=list(open_emails))
            .order_by("notification_id", "pk")
            .values_list("notification_id", "kind", "context")
            .iterator(chunk_size=1000)
        )
        for pk, group in groupby(rows, key=itemgetter(0)):
            done.append(
                rendered(open_emails.pop(pk), [{"kind": k, "context": c} for _, k, c in group])
            )
        # Left: emails without items. The office's news of failing mail goes even so; an
        # email whose every item lost the race to an earlier one has nothing to say.
        for n in open_emails.values():
            if n.recipient_id in always:
                done.append(rendered(n, []))
        empty = [pk for pk, n in open_emails.items() if n.recipient_id not in always]
        if empty:
            Notification.objects.filter(pk__in=empty).delete()
        Notification.objects.bulk_update(
            done, ["subject", "body_text", "body_html"], batch_size=100
        )
        ids = sorted(n.pk for n in done)
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


def reminders_run(
    *,
    day: dt.date | None = None,
    dry_run: bool = False,
    on_batch: Callable[[Plan, Batch], None] | None = None,
) -> RunResult:
    """The daily reminder job: the day's digests into the outbox, a batch of people at a
    time (``_write_all``); a dry run is the plan alone (``reminders_plan``), screened the
    same way. ``on_batch(plan, batch)`` sees each batch as it is screened. The scheduled
    task and ``send_reminders`` both call this."""
    day = day or clock.today()
    if dry_run:
        return RunResult(reminders_plan(day=day, on_batch=on_batch), [], True)
    with job_run_recorded("reminders", day):
        plan = Plan(job="reminders", day=day)
        prefix = reminders_key_prefix(day)
        with translation.override(settings.LANGUAGE_CODE):
            candidates = _reminder_candidates(plan, day)
        deferred = _sent_occasions(prefix)
        trouble = outbox_trouble()
        urging = urging_due(day)
        office: frozenset[int] = frozenset()
        if trouble["count"] or urging["count"]:
            # Failing mail and notices to issue are news for the office even on a day
            # with nothing else to say.
            office = frozenset(uid for uid in plan.office_people if uid not in deferred)
            for uid in office:
                plan.people.setdefault(uid, plan.office_people[uid])
        ids = _write_all(
            plan,
            candidates,
            deferred=deferred,
            on_batch=on_batch,
            kind=Notification.Kind.REMINDER_DIGEST,
            key_prefix=prefix,
            template="reminder-digest",
            context=digest_context,
            extras=lambda uid: (
                {"mail_trouble": trouble, "urging": urging} if uid in plan.office else {}
            ),
            always=office,
        )
    return RunResult(plan, ids, False)


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


def reporting_call_run(
    *,
    day: dt.date | None = None,
    dry_run: bool = False,
    on_batch: Callable[[Plan, Batch], None] | None = None,
) -> RunResult:
    """The daily check for the monthly reporting call (it sends only in the call days),
    written like the reminders, a batch of people at a time."""
    day = day or clock.today()
    if dry_run:
        return RunResult(reporting_call_plan(day=day, on_batch=on_batch), [], True)
    with job_run_recorded("reporting_call", day):
        plan = Plan(job="reporting_call", day=day, note=_reporting_call_open(day))
        ids: list[int] = []
        if not plan.note:
            prefix = reporting_call_key_prefix(day)
            with translation.override(settings.LANGUAGE_CODE):
                candidates = _reporting_call_candidates(day)
            ids = _write_all(
                plan,
                candidates,
                deferred=_sent_occasions(prefix),
                on_batch=on_batch,
                kind=Notification.Kind.REPORTING_CALL,
                key_prefix=prefix,
                template="reporting-call",
                context=reporting_call_context,
            )
    return RunResult(plan, ids, False)
