"""The outbox for operators (/outbox/): emails that failed for good or are stuck in
sending, with their error, and "retry now". For the supervision office and admins — the
people the daily digest tells when mail is failing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from commitments.decorators import supervisor_required
from commitments.jobs.models import Notification
from commitments.jobs.outbox import outbox_retry_now
from commitments.validators import parse_id

State = Notification.State


def outbox_problems() -> QuerySet[Notification]:
    """Failed emails, sends stuck past their lease, and emails waiting for a retry."""
    stuck = timezone.now() - dt.timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    return (
        Notification.objects.filter(
            Q(state=State.FAILED)
            | Q(state=State.SENDING, claimed_at__lt=stuck)
            | (Q(state=State.PENDING) & ~Q(last_error=""))
        )
        .select_related("recipient")
        .defer("body_text", "body_html")
        .order_by("-created_at", "-pk")
    )


@supervisor_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    qs = outbox_problems()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "commitments/outbox.html",
        {"page": page, "failed": qs.filter(state=State.FAILED).count(), "total": qs.count()},
    )


@supervisor_required
@require_POST
def outbox_retry(request: HttpRequest) -> HttpResponse:
    ids = [pk for v in request.POST.getlist("ids") if (pk := parse_id(v)) is not None]
    if not ids:
        messages.error(request, _("请选择要重试的邮件。"))
        return redirect("outbox_list")
    n = outbox_retry_now(ids)
    messages.success(request, _("已安排重新发送 %(n)s 封邮件。") % {"n": n})
    return redirect("outbox_list")
