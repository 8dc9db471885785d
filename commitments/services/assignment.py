"""Assignment (交办): lead and co-units, responsible person, dates, milestones.
Every change lands in the history with who made it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from commitments.models import Commitment, Department, Milestone
from commitments.services.workflow import acknowledgements_sync


def commitment_assign(
    *,
    commitment: Commitment,
    by: User,
    lead_unit: Department | None,
    co_units: Iterable[Department],
    responsible_person: str,
    start_date: dt.date,
    due_date: dt.date,
) -> Commitment:
    """Set who is responsible and by when (明责任、定时限). Recorded in the history. A unit
    newly on the item waits for its acknowledgement (签收)."""
    co_units = [d for d in co_units if lead_unit is None or d.pk != lead_unit.pk]
    with transaction.atomic():
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        commitment.lead_unit = lead_unit
        commitment.responsible_person = responsible_person.strip()
        commitment.start_date = start_date
        commitment.due_date = due_date
        commitment.full_clean()
        commitment._history_user = by
        commitment.save()
        if {d.pk for d in commitment.co_units.all()} != {d.pk for d in co_units}:
            commitment.co_units.set(co_units)
        acknowledgements_sync(commitment=commitment, by=by)
    return commitment


def commitments_bulk_assign(
    *,
    commitments: QuerySet[Commitment],
    by: User,
    lead_unit: Department | None = None,
    due_date: dt.date | None = None,
) -> int:
    """Set the lead unit and/or due date of many commitments at once.

    Row by row rather than one queryset.update(), so that every change lands in the
    history with who made it. All or nothing: one due date before its start date stops
    the whole batch.
    """
    if lead_unit is None and due_date is None:
        raise ValidationError(_("请选择牵头单位或完成时限。"))
    with transaction.atomic():
        rows = list(commitments.select_for_update().order_by("seq"))
        bad = [c.code for c in rows if due_date is not None and due_date < c.start_date]
        if bad:
            raise ValidationError(
                _("完成时限不能早于开始日期：%(codes)s。"),
                code="due_before_start",
                params={"codes": "、".join(bad)},
            )
        for c in rows:
            if lead_unit is not None:
                c.lead_unit = lead_unit
            if due_date is not None:
                c.due_date = due_date
            c.full_clean()
            c._history_user = by
            c.save()
            if lead_unit is not None:
                acknowledgements_sync(commitment=c, by=by)
    return len(rows)


def milestone_add(*, commitment: Commitment, by: User, title: str, due_date: dt.date) -> Milestone:
    with transaction.atomic():
        last = commitment.milestones.order_by("-order").values_list("order", flat=True).first()
        milestone = Milestone(
            commitment=commitment, title=title.strip(), due_date=due_date, order=(last or 0) + 1
        )
        milestone.full_clean()
        milestone._history_user = by
        milestone.save()
    return milestone


def milestone_delete(*, milestone: Milestone, by: User) -> None:
    milestone._history_user = by
    milestone.delete()
