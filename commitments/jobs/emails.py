"""One helper for every email, after healthchecks: ``emails/<name>-subject.txt``,
``emails/<name>-body-text.txt`` and ``emails/<name>-body-html.html`` rendered with the same
context.

Rendering and sending are apart on purpose: jobs render into the outbox (so the admin shows
exactly what went, and a retry sends the same bytes), and ``outbox`` sends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(name: str, context: dict[str, Any]) -> RenderedEmail:
    """Render the three parts of email ``name``. Emails are written in Chinese whatever
    language the job's process happens to run in."""
    ctx = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject: str = render_to_string(f"emails/{name}-subject.txt", ctx)
        text = render_to_string(f"emails/{name}-body-text.txt", ctx)
        html = render_to_string(f"emails/{name}-body-html.html", ctx)
    # A header cannot hold a newline; templates end with one.
    subject = " ".join(subject.split())
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)


def absolute_url(path: str) -> str:
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def url_for(name: str, *args: Any) -> str:
    """Absolute link to a page of the web UI; the site root when the page does not exist
    (an email must never fail to render because a view was renamed)."""
    try:
        return absolute_url(reverse(name, args=args))
    except NoReverseMatch:
        return absolute_url("/")


def message_id(key: str) -> str:
    """A Message-ID stable for one outbox row: if an SMTP timeout hides a delivery and the
    retry goes too, the receiving side (and our tests) can tell it is the same message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    key: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    """A multipart/alternative message (plain text first, HTML second). Django encodes a
    Chinese subject as an RFC 2047 UTF-8 word and a Chinese attachment name per RFC 2231."""
    msg = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={
            "Message-ID": message_id(key),
            # Tells mail servers and autoresponders this is machine mail (RFC 3834).
            "Auto-Submitted": "auto-generated",
            "X-Duban-Key": key,
        },
    )
    msg.encoding = "utf-8"
    if html:
        msg.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        msg.attach(filename, content, mimetype)
    return msg
