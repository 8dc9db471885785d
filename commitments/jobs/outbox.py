"""The outbox: write, claim, send, record — and retry with back-off until it goes.

Every email the system means to send is a ``Notification`` row first. Sending one:

1. claim it: ``UPDATE … SET state='sending' WHERE id=… AND state='pending' AND
   next_attempt_at <= now`` — the row count says who won, so two workers, a repeated flush
   or a redelivered task never send the same row twice;
2. send it over one SMTP connection shared by the flush;
3. record the outcome: sent; or pending again with the next attempt pushed back
   exponentially (SMTP down, timeout, 4xx); or failed after EMAIL_MAX_ATTEMPTS or on a
   permanent 5xx refusal, with the error kept for the admin.

A worker that dies between 1 and 3 leaves the row in ``sending``. Whether the message went
is then unknowable. Each attempt stays at most once, but the row is not abandoned: after the
lease (EMAIL_SENDING_LEASE_SECONDS, longer than a task may run) it goes back to pending with
a note, the interrupted attempt counted, until EMAIL_MAX_ATTEMPTS; then it is failed and the
supervision office sees it (``/outbox/`` and its daily digest). The Message-ID is stable per
row, so a receiving server that got the interrupted copy can drop the second.

Sending is prompt: writing outbox rows queues a flush of those rows on commit, and a failed
attempt queues the next one for when its back-off ends; the every-minute beat tick is the
safety net when Redis was down.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from commitments.jobs import emails
from commitments.jobs.models import (
    MANDATORY_EMAIL_KINDS,
    EmailKind,
    Notification,
    NotificationPreference,
)

logger = logging.getLogger(__name__)

State = Notification.State


# -- dispatching Celery tasks ---------------------------------------------------------------


def dispatch_on_commit(task_name: str, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Queue the task ``commitments.<task_name>`` once the current transaction commits, and never raise.

    When Redis is down the web request or job that asked must still succeed: the work is
    already in the database (outbox rows, a queued summary) and the periodic scans pick it
    up when the broker is back. The publish fails fast (see CELERY_BROKER_TRANSPORT_OPTIONS).
    """

    def publish() -> None:
        try:
            # By name from the app's registry: the tasks module imports this one, so
            # importing it here would be a cycle.
            current_app.tasks[f"commitments.{task_name}"].apply_async(
                # celery-types: countdown=None (celery's own default) is missing from the stubs.
                kwargs=kwargs,
                countdown=countdown,  # type: ignore[arg-type]
                retry=False,
            )
        except Exception:
            logger.warning(
                "could not queue %s(%s); the periodic scan will pick the work up",
                task_name,
                kwargs,
                exc_info=True,
            )

    transaction.on_commit(publish)


# -- who receives what --------------------------------------------------------------------------


def opted_out(user_ids: Iterable[int] | None = None) -> set[tuple[int, str]]:
    """(user id, kind) pairs a person has switched off; mandatory kinds never appear (the
    check constraint forbids it, the filter is belt and braces)."""
    qs = NotificationPreference.objects.filter(enabled=False).exclude(
        kind__in=sorted(MANDATORY_EMAIL_KINDS)
    )
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    return set(qs.values_list("user_id", "kind"))


def wants(optouts: set[tuple[int, str]], user_id: int, kind: str) -> bool:
    return kind in MANDATORY_EMAIL_KINDS or (user_id, kind) not in optouts


def preference_set(*, user: User, kind: str, enabled: bool) -> NotificationPreference:
    """Switch one kind of email on or off for a person (mandatory kinds stay on)."""
    pref, _ = NotificationPreference.objects.get_or_create(user=user, kind=kind)
    pref.enabled = enabled
    pref.full_clean()
    pref.save()
    return pref


# -- sending ----------------------------------------------------------------------------------


@dataclass
class FlushResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    not_claimed: int = 0  # another worker had it, or it was not due
    interrupted: int = 0  # stuck in "sending" past the lease: put back (or failed)
    errors: list[str] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)  # id → outcome, this flush

    def count(self, pk: int, outcome: str) -> None:
        self.outcomes[pk] = outcome
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying + self.not_claimed + self.cancelled

    def closing_line(self) -> str:
        """The commands' last line: every email in exactly one category, and the total."""
        return (
            f"已发送 sent {self.sent} · 失败 failed {self.failed} · "
            f"待重试 left for retry {self.retrying} · "
            f"已由其他进程处理 taken by another worker {self.not_claimed} · "
            f"跳过 skipped {self.cancelled} · 合计 total {self.total}"
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "not_claimed": self.not_claimed,
            "interrupted": self.interrupted,
        }


def backoff_seconds(attempts: int) -> int:
    """Wait before attempt ``attempts + 1``: base·2^(attempts-1), capped."""
    base, cap = settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), cap))


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message (mailbox unknown, message refused) will not change
    by waiting; anything else — connection refused, timeout, 4xx, a server that hung up, a
    broken SMTP configuration — may, so it is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPConnectError):
        return False  # the server's or our configuration, not this message
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:2000]


def notification_claim(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        Notification.objects.filter(
            pk=notification_id, state=State.PENDING, next_attempt_at__lte=now
        ).update(state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _attachments(n: Notification) -> list[tuple[str, bytes, str]]:
    if n.summary_id is None:
        return []
    summary = n.summary
    assert summary is not None  # summary_id is set
    if not summary.xlsx:
        return []
    return [(summary.xlsx_name or "ledger.xlsx", bytes(summary.xlsx), emails.XLSX_MIMETYPE)]


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except Exception:  # a dead connection may fail to say goodbye; it is gone either way
        if getattr(connection, "connection", None) is not None:
            # Any backend holding a connection (the SMTP one does); the base class declares none.
            connection.connection = None  # type: ignore[attr-defined]


def notification_send(
    notification_id: int,
    *,
    connection: BaseEmailBackend | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Claim, send and record one outbox row. Returns the outcome: sent / retrying /
    failed / cancelled / not_claimed. Safe to call for any id at any time."""
    now = now or timezone.now()
    if not notification_claim(notification_id, now=now):
        return "not_claimed"
    n = Notification.objects.select_related("recipient", "summary").get(pk=notification_id)
    mine = Notification.objects.filter(pk=n.pk, state=State.SENDING)

    user = n.recipient
    if not user.is_active or not n.to_email:
        # Deactivated (or address removed) after the email was written.
        mine.update(state=State.CANCELLED, last_error="收件人已停用或无邮箱 / recipient inactive")
        return "cancelled"

    own_connection = connection is None
    connection = connection or get_connection()
    try:
        msg = emails.build_message(
            to=n.to_email,
            subject=n.subject,
            text=n.body_text,
            html=n.body_html,
            key=n.key,
            attachments=_attachments(n),
            connection=connection,
        )
        connection.open()  # no-op when the flush's connection is already open
        sent = connection.send_messages([msg])
        if not sent:
            raise smtplib.SMTPException("the mail backend accepted no message")
    except Exception as exc:
        _close_quietly(connection)  # the next message starts on a fresh connection
        return _record_failure(n, exc)
    finally:
        if own_connection:
            _close_quietly(connection)

    mine.update(state=State.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def _record_failure(n: Notification, exc: BaseException) -> str:
    mine = Notification.objects.filter(pk=n.pk, state=State.SENDING)
    error = _describe(exc)
    if is_permanent(exc) or n.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        logger.error("email %s failed for good after %s attempts: %s", n.key, n.attempts, error)
        mine.update(state=State.FAILED, last_error=error)
        return "failed"
    wait = backoff_seconds(n.attempts)
    logger.warning(
        "email %s attempt %s failed, retrying in %ss: %s", n.key, n.attempts, wait, error
    )
    mine.update(
        state=State.PENDING,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
        last_error=error,
    )
    _queue_retry(n.pk, wait)
    return "retrying"


def _queue_retry(pk: int, wait: int) -> None:
    """Queue the next attempt for when its back-off ends, not for the next beat tick. A
    wait longer than the broker's visibility timeout is left to the tick: Redis would hand
    a message with such a countdown to a second worker before it is due."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if wait < visibility:
        dispatch_on_commit("outbox_flush", ids=[pk], countdown=wait)


INTERRUPTED_NOTE = (
    "发送中断（工作进程退出），无法确认是否已送达；已自动重试（Message-ID 不变，收件服务器可去重）。"
    " / interrupted while sending; retried automatically with the same Message-ID"
)
INTERRUPTED_FAILED_NOTE = (
    "多次发送中断，已达最大尝试次数；请核实后“立即重试”。"
    " / interrupted too many times; check and retry now"
)


def outbox_release_stuck(*, now: dt.datetime | None = None) -> int:
    """Rows left in ``sending`` by a worker that died, past the lease: due again at once
    with a note (the interrupted attempt was counted when it was claimed), or failed once
    EMAIL_MAX_ATTEMPTS attempts are spent. Returns how many were released."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    stuck = Notification.objects.filter(state=State.SENDING, claimed_at__lt=cutoff)
    failed = stuck.filter(attempts__gte=settings.EMAIL_MAX_ATTEMPTS).update(
        state=State.FAILED, last_error=INTERRUPTED_FAILED_NOTE
    )
    retried = stuck.update(state=State.PENDING, next_attempt_at=now, last_error=INTERRUPTED_NOTE)
    if failed or retried:
        logger.warning(
            "outbox: %s interrupted sends put back for retry, %s failed for good", retried, failed
        )
    return failed + retried


TROUBLE_DAYS = 7  # failed mail older than a week has been seen (or is moot)


def outbox_trouble(*, now: dt.datetime | None = None, rows: int = 10) -> dict[str, Any]:
    """What the supervision office must hear about the outbox: emails that failed for good
    in the last week, and sends stuck past their lease. The count and the first rows."""
    now = now or timezone.now()
    stuck = now - dt.timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    qs = Notification.objects.filter(
        Q(state=State.FAILED, created_at__gte=now - dt.timedelta(days=TROUBLE_DAYS))
        | Q(state=State.SENDING, claimed_at__lt=stuck)
    )
    return {
        "count": qs.count(),
        "rows": list(
            qs.order_by("-created_at", "-pk").values(
                "pk", "to_email", "subject", "state", "attempts", "last_error"
            )[:rows]
        ),
        "url": emails.url_for("outbox_list"),
    }


def outbox_due_ids(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    ids: Iterable[int] | None = None,
    after: int = 0,
) -> list[int]:
    now = now or timezone.now()
    qs = Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now, pk__gt=after)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    pks = qs.order_by("pk").values_list("pk", flat=True)
    return list(pks[:limit] if limit else pks)


FLUSH_CHUNK = 500


def outbox_flush(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    ids: Iterable[int] | None = None,
    budget_seconds: float | None = None,
    give_up_after: int = 3,
) -> FlushResult:
    """Send every pending email that is due (or only ``ids``), over one SMTP connection,
    until nothing is due: rows written while it runs are sent too. Queued after each write,
    and every minute by beat; several at once are harmless (each row is claimed).

    Each row is tried at most once per flush (a failed one waits for its back-off). It
    stops early when the mail server is plainly down (``give_up_after`` failures in a
    row) — the remaining emails keep their attempts for when it is back — and when the time
    budget (OUTBOX_FLUSH_BUDGET_SECONDS, inside the task's time limit) is spent; the next
    flush carries on. ``limit`` caps the number of rows tried (None: no cap).
    """
    started = time.monotonic()
    budget = settings.OUTBOX_FLUSH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    result = FlushResult(interrupted=outbox_release_stuck(now=now))
    connection = get_connection()
    failures_in_a_row = 0
    last = 0
    wanted = None if ids is None else list(ids)
    try:
        while True:
            chunk = FLUSH_CHUNK if limit is None else min(FLUSH_CHUNK, limit - len(result.outcomes))
            if chunk <= 0:
                break
            due = outbox_due_ids(now=now or timezone.now(), limit=chunk, ids=wanted, after=last)
            if not due:
                break
            for pk in due:
                last = pk
                result.count(pk, notification_send(pk, connection=connection, now=now))
                failures_in_a_row = (
                    failures_in_a_row + 1 if result.outcomes[pk] == "retrying" else 0
                )
                if failures_in_a_row >= give_up_after or time.monotonic() - started > budget:
                    return result
    finally:
        _close_quietly(connection)
    return result


OUTCOME_OF_STATE: dict[str, str] = {
    State.SENT: "not_claimed",  # sent by another worker
    State.SENDING: "not_claimed",  # in another worker's hands
    State.PENDING: "retrying",  # left for a retry (not due yet, or the flush stopped early)
    State.FAILED: "failed",
    State.CANCELLED: "cancelled",
}


def outbox_send_now(ids: Iterable[int]) -> FlushResult:
    """Flush these emails in this process and account for every one of them exactly once:
    what this flush did to it, else where it stands (sent or held by another worker, left
    pending for a retry, failed, cancelled). The counts add up to ``len(ids)``."""
    ids = list(ids)
    result = outbox_flush(ids=ids)
    rest = [pk for pk in ids if pk not in result.outcomes]
    for pk, state in Notification.objects.filter(pk__in=rest).values_list("pk", "state"):
        result.count(pk, OUTCOME_OF_STATE[state])
    gone = set(rest) - set(result.outcomes)
    for pk in gone:  # deleted meanwhile (an empty digest): nothing was sent
        result.count(pk, "cancelled")
    return result


def outbox_retry_now(ids: Iterable[int]) -> int:
    """The admin's "retry now": failed (or waiting, or cancelled) emails become due at once
    with a fresh set of attempts. Sent ones are never touched."""
    with transaction.atomic():
        n = (
            Notification.objects.filter(pk__in=list(ids))
            .filter(Q(state=State.FAILED) | Q(state=State.PENDING) | Q(state=State.CANCELLED))
            .update(state=State.PENDING, next_attempt_at=timezone.now(), attempts=0)
        )
        if n:
            dispatch_on_commit("outbox_flush")
    return n


__all__ = [
    "EmailKind",
    "FlushResult",
    "backoff_seconds",
    "dispatch_on_commit",
    "is_permanent",
    "notification_claim",
    "notification_send",
    "opted_out",
    "outbox_flush",
    "outbox_release_stuck",
    "outbox_retry_now",
    "outbox_send_now",
    "preference_set",
    "wants",
]
