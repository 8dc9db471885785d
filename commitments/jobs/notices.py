"""Emails of the supervision cycle, sent at once through the outbox: 交办通知 (a unit is
assigned an item), 督办单 (a formal urging notice), 领导批示 (a leader's instruction) and the
decision on an extension request.

Each is written in the caller's transaction (the view that took the step), one outbox row
per recipient with a key naming the occasion (``urging:<notice>:<user>``), so writing it
twice is impossible and a repeated call is harmless; the outbox is flushed after commit.
The in-app side (the unit's inbox, the item's timeline) reads the workflow rows themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation

from commitments import clock
from commitments.jobs import emails
from commitments.jobs.models import Notification
from commitments.jobs.outbox import dispatch_on_commit
from commitments.jobs.people import Directory, Person, directory
from commitments.models import (
    Acknowledgement,
    Commitment,
    ExtensionRequest,
    Instruction,
    UrgingNotice,
)

LEVEL_COLORS = {"blue": "#1f56b3", "yellow": "#a67400", "red": "#c62828"}


def _item(c: Commitment) -> dict[str, Any]:
    return {
        "code": c.code,
        "text": c.text if len(c.text) <= 120 else c.text[:120] + "…",
        "due_date": c.due_date.isoformat(),
        "original_due_date": c.original_due_date.isoformat() if c.original_due_date else "",
        "lead_unit": c.lead_unit.name if c.lead_unit is not None else "",
        "url": emails.url_for("commitment", c.pk),
    }


def _write(
    *, kind: str, template: str, messages: list[tuple[str, Person, dict[str, Any]]]
) -> list[int]:
    """One outbox row per (key, person); people who cannot be mailed are skipped (the
    inbox still shows them the step)."""
    rows = []
    seen: set[str] = set()
    with translation.override(settings.LANGUAGE_CODE):
        for key, person, context in messages:
            if key in seen or not person.is_active or not person.email:
                continue
            seen.add(key)
            email = emails.render(template, {"name": person.name, **context})
            rows.append(
                Notification(
                    key=key,
                    kind=kind,
                    recipient_id=person.id,
                    to_email=person.email,
                    for_day=clock.today(),
                    subject=email.subject[:255],
                    body_text=email.text,
                    body_html=email.html,
                )
            )
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    dispatch_on_commit("outbox_flush")
    return sorted(
        Notification.objects.filter(key__in=[r.key for r in rows]).values_list("pk", flat=True)
    )


def _people(d: Directory, ids: Iterable[int]) -> list[Person]:
    return [d.people[uid] for uid in sorted(set(ids)) if uid in d.people]


def assignment_notify(*, commitments: Iterable[Commitment]) -> list[int]:
    """交办通知: every unit waiting to acknowledge (签收) one of these items is told, once per
    assignment (its acknowledgement row), by email to its reporters and managers."""
    ids = [c.pk for c in commitments]
    acks = list(
        Acknowledgement.objects.filter(
            commitment_id__in=ids, acknowledged_at__isnull=True, superseded_at__isnull=True
        ).select_related("commitment", "commitment__lead_unit", "department", "assigned_by")
    )
    if not acks:
        return []
    d = directory()
    messages = []
    for ack in acks:
        ctx = {
            "item": _item(ack.commitment),
            "department": ack.department.name,
            "role": ack.get_role_display(),
            "within_days": settings.ACKNOWLEDGE_WITHIN_DAYS,
            "inbox_url": emails.url_for("inbox"),
        }
        for p in _people(d, d.actors([ack.department_id])):
            messages.append((f"assignment:{ack.pk}:{p.id}", p, ctx))
    return _write(kind=Notification.Kind.ASSIGNMENT, template="assignment", messages=messages)


def urging_notify(*, notices: Iterable[UrgingNotice]) -> list[int]:
    """督办单: emailed at once to the unit's reporters and managers."""
    d = directory()
    messages = []
    for n in notices:
        ctx = {
            "item": _item(n.commitment),
            "department": n.department.name,
            "level": n.level,
            "level_label": str(n.get_level_display()),
            "level_color": LEVEL_COLORS.get(n.level, "#222222"),
            "message": n.message,
            "issued_on": n.issued_on.isoformat(),
            "reply_by": n.reply_by.isoformat(),
            "number": n.pk,
            "inbox_url": emails.url_for("inbox"),
        }
        for p in _people(d, d.actors([n.department_id])):
            messages.append((f"urging:{n.pk}:{p.id}", p, ctx))
    return _write(kind=Notification.Kind.URGING, template="urging-notice", messages=messages)


def instruction_notify(*, instructions: Iterable[Instruction]) -> list[int]:
    """领导批示: the lead unit (reporters and managers) and the supervision office."""
    d = directory()
    messages = []
    for i in instructions:
        c = i.commitment
        author = i.author.get_full_name() or i.author.get_username()
        ctx = {"item": _item(c), "author": author, "text": i.text, "day": i.created_on.isoformat()}
        units = [c.lead_unit_id] if c.lead_unit_id else []
        for p in _people(d, d.actors(units) | d.office):
            messages.append((f"instruction:{i.pk}:{p.id}", p, ctx))
    return _write(kind=Notification.Kind.INSTRUCTION, template="instruction", messages=messages)


def extension_decided_notify(*, request: ExtensionRequest) -> list[int]:
    """The decision on an extension request, to the one who asked and the lead unit's managers."""
    d = directory()
    c = request.commitment
    ctx = {
        "item": _item(c),
        "granted": request.state == ExtensionRequest.State.GRANTED,
        "requested_due_date": request.requested_due_date.isoformat(),
        "granted_due_date": request.granted_due_date.isoformat()
        if request.granted_due_date
        else "",
        "due_date_before": request.due_date_before.isoformat(),
        "comment": request.decision_comment,
    }
    managers = d.managers.get(c.lead_unit_id, set()) if c.lead_unit_id is not None else set()
    ids = {request.requested_by_id} | managers
    messages = [(f"extension:{request.pk}:{p.id}", p, ctx) for p in _people(d, ids)]
    return _write(
        kind=Notification.Kind.EXTENSION, template="extension-decision", messages=messages
    )
