"""What the navigation bar needs on every staff page: the user's roles and the two
counts that tell them there is work waiting (updates to review, updates returned)."""

from __future__ import annotations

from django.http import HttpRequest

from commitments.access import roles_of
from commitments.models import ProgressUpdate


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
    return {"nav_roles": roles, "nav_pending": pending, "nav_returned": returned}
