"""A returned update is told to its author at once (进展退回通知), not only in the next
morning's digest.

The email is written to the outbox in the same transaction as the return (key
``returned:<update id>``, so it exists once whatever happens) and the outbox is flushed
after commit. It also records the ``returned`` item the digest would have carried
(window ``u<update id>``), so the digest does not announce the same return again.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from commitments import clock
from commitments.jobs import emails
from commitments.jobs.models import EmailKind, Notification, NotificationItem
from commitments.jobs.outbox import dispatch_on_commit, opted_out, wants
from commitments.jobs.people import display_name
from commitments.models import ProgressUpdate


def returned_key(update: ProgressUpdate) -> str:
    return f"returned:{update.pk}"


def update_returned_notify(*, update: ProgressUpdate) -> Notification | None:
    """Put the "your update was returned" email in the outbox; None when the author cannot
    or does not want to be mailed, or when it was written already. Call it inside the
    transaction that returned the update."""
    author = update.author
    if not author.is_active or not author.email:
        return None
    if not wants(opted_out([author.pk]), author.pk, EmailKind.RETURNED):
        return None
    commitment = update.commitment
    reviewer = update.reviewed_by
    context = {
        "name": display_name(author.username, author.first_name, author.last_name),
        "code": commitment.code,
        "text": commitment.text,
        "update_as_of": update.as_of.isoformat(),
        "created_at": update.created_at,
        "comment": update.review_comment,
        "reviewer": display_name(reviewer.username, reviewer.first_name, reviewer.last_name)
        if reviewer is not None
        else "",
        "url": emails.url_for("commitment", commitment.pk) + f"?corrects={update.pk}#record",
        "inbox_url": emails.url_for("inbox"),
    }
    email = emails.render("update-returned", context)
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the return intact
            notification = Notification.objects.create(
                key=returned_key(update),
                kind=Notification.Kind.UPDATE_RETURNED,
                recipient=author,
                to_email=author.email,
                for_day=clock.today(),
                subject=email.subject[:255],
                body_text=email.text,
                body_html=email.html,
            )
            NotificationItem.objects.create(
                notification=notification,
                recipient=author,
                commitment=commitment,
                kind=EmailKind.RETURNED,
                window=f"u{update.pk}",
                context={
                    "code": commitment.code,
                    "comment": update.review_comment,
                    "update_as_of": context["update_as_of"],
                    "reviewer": context["reviewer"],
                },
            )
    except IntegrityError:
        return None
    dispatch_on_commit("outbox_flush")
    return notification


def on_update_returned(sender: type, *, update: ProgressUpdate, **kwargs: object) -> None:
    """Receiver of ``services.review.update_returned``."""
    update_returned_notify(update=update)
