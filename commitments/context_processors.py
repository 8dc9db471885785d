"""What the navigation bar needs on every staff page: the user's roles and the counts
that tell them there is work waiting (updates to review, updates returned, tasks to
acknowledge and urging notices to answer, extension requests to decide)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from commitments.access import roles_of
from commitments.models import Acknowledgement, ExtensionRequest, ProgressUpdate, UrgingNotice

# A badge counts up to this and then says "99+" (the ``badge`` filter): every staff page
# shows the counts, so each costs at most this many rows, however long the queue.
BADGE_CAP = 99


def _capped(qs: QuerySet) -> int:
    return qs.order_by()[: BADGE_CAP + 1].count()  # no sort: any 100 rows will do


def nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    if not roles.is_staff_user:
        return {"nav_roles": roles}
    pending = (
        _capped(ProgressUpdate.objects.filter(review_state=ProgressUpdate.Review.SUBMITTED))
        if roles.supervisor
        else 0
    )
    returned = _capped(
        ProgressUpdate.objects.filter(
            author=user, review_state=ProgressUpdate.Review.RETURNED, corrections__isnull=True
        )
    )
    units = list(roles.department_ids)
    # 签收 and 督办单 waiting for the user's units
    workflow = (
        _capped(
            Acknowledgement.objects.filter(
                department_id__in=units, acknowledged_at__isnull=True, superseded_at__isnull=True
            )
        )
        + _capped(
            UrgingNotice.objects.filter(department_id__in=units, state=UrgingNotice.State.OPEN)
        )
        if units
        else 0
    )
    extensions = (
        _capped(ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING))
        if roles.supervisor
        else 0
    )
    return {
        "nav_roles": roles,
        "nav_pending": pending,
        "nav_returned": returned,
        "nav_workflow": workflow,
        "nav_extensions": extensions,
    }
