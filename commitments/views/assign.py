"""Assignment (交办) of one commitment: units, person, dates and milestones."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from commitments.decorators import AuthenticatedHttpRequest, supervisor_required
from commitments.forms import (
    AssignForm,
    MilestoneForm,
)
from commitments.jobs import notices
from commitments.models import (
    Milestone,
)
from commitments.services import assignment
from commitments.views.base import commitment_or_403, safe_next


@supervisor_required
@require_http_methods(["GET", "POST"])
def commitment_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    form = AssignForm(request.POST or None, instance=commitment)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            assignment.commitment_assign(
                commitment=commitment,
                by=request.user,
                lead_unit=form.cleaned_data["lead_unit"],
                co_units=form.cleaned_data["co_units"],
                responsible_person=form.cleaned_data["responsible_person"],
                start_date=form.cleaned_data["start_date"],
                due_date=form.cleaned_data["due_date"],
            )
            # 交办通知: a unit newly on the item is told at once and asked to acknowledge.
            notices.assignment_notify(commitments=[commitment])
        messages.success(request, _("责任分工和时限已保存。"))
        return redirect("commitment", pk=pk)
    if request.method == "POST":
        # The form validated the instance in memory; the row itself is untouched.
        commitment.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    context = {
        "commitment": commitment,
        "form": form,
        "milestones": list(commitment.milestones.order_by("due_date", "order")),
        "milestone_form": MilestoneForm(prefix="m"),
    }
    return render(request, "commitments/assign.html", context, status=status)


@supervisor_required
@require_POST
def milestone_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    commitment = commitment_or_403(request, pk)
    form = MilestoneForm(request.POST, prefix="m")
    if form.is_valid():
        assignment.milestone_add(
            commitment=commitment,
            by=request.user,
            title=form.cleaned_data["title"],
            due_date=form.cleaned_data["due_date"],
        )
        messages.success(request, _("节点已添加。"))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    return redirect(safe_next(request, reverse("commitment_assign", args=[pk])))


@supervisor_required
@require_POST
def milestone_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone, pk=pk)
    commitment_or_403(request, milestone.commitment_id)
    assignment.milestone_delete(milestone=milestone, by=request.user)
    messages.success(request, _("节点已删除。"))
    return redirect(
        safe_next(request, reverse("commitment_assign", args=[milestone.commitment_id]))
    )
