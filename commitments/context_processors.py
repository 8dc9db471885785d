"""What the navigation bar needs on every staff page: the user's roles and the counts
that tell them there is work waiting (updates to review, updates returned, tasks to
acknowledge and urging notices to answer, extension requests to decide)."""

from __future__ import annotations

from django.http import HttpRequest

from commitments.access import roles_of
from commitments.models import Acknowledgement, ExtensionRequest, ProgressUpdate, UrgingNotice


def nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    if not roles.is_staff_user:
        return {"nav_roles": roles}
    pending = (
        ProgressUpdate.objects.filter(review_state=ProgressUpdate.Review.SUBMITTED).count()
        if roles.supervisor
        else 0
    )
    returned = ProgressUpdate.objects.filter(
        author=user, review_state=ProgressUpdate.Review.RETURNED, corrections__isnull=True
    ).count()
    units = list(roles.department_ids)
    # 签收 and 督办单 waiting for the user's units
    workflow = (
        Acknowledgement.objects.filter(
            department_id__in=units, acknowledged_at__isnull=True, superseded_at__isnull=True
        ).count()
        + UrgingNotice.objects.filter(
            department_id__in=units, state=UrgingNotice.State.OPEN
        ).count()
        if units
        else 0
    )
    extensions = (
        ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).count()
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
