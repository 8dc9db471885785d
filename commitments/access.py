"""Who may see and do what. Every view, export and email asks here.

- reporter / manager: their department's commitments (lead or co-unit) only; they
  record updates on them; managers also receive escalations.
- supervisor (督查室): sees everything, reviews updates, assigns units and deadlines.
- leader: reads everything; writes instructions (领导批示) on items.
- superusers act as supervisors.

The supervision cycle: a unit's reporters and managers acknowledge (签收) what is assigned
to their unit and answer the urging notices (督办单) sent to it; the lead unit's asks for a
deadline extension (延期申请); the supervision office decides extensions, issues notices,
and reopens closed items (办结销号 happens when it accepts a completion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from commitments.models import Commitment, Membership


@dataclass(frozen=True)
class Roles:
    supervisor: bool = False
    leader: bool = False
    # department ids by role
    reporter_of: frozenset[int] = field(default_factory=frozenset)
    manager_of: frozenset[int] = field(default_factory=frozenset)

    @property
    def sees_everything(self) -> bool:
        return self.supervisor or self.leader

    @property
    def department_ids(self) -> frozenset[int]:
        return self.reporter_of | self.manager_of

    @property
    def is_staff_user(self) -> bool:
        """Has any role at all (may use the staff UI)."""
        return self.sees_everything or bool(self.department_ids)


# The attribute of the user object that caches its roles for the request.
_ROLES_CACHE = "_duban_roles"


def roles_of(user: User | AnonymousUser) -> Roles:
    if not user.is_authenticated or not user.is_active:
        return Roles()
    cached: Roles | None = getattr(user, _ROLES_CACHE, None)
    if cached is not None:
        return cached
    rows = list(Membership.objects.filter(user=user).values_list("role", "department_id"))
    roles = Roles(
        supervisor=user.is_superuser or any(r == Membership.Role.SUPERVISOR for r, _ in rows),
        leader=any(r == Membership.Role.LEADER for r, _ in rows),
        reporter_of=frozenset(d for r, d in rows if r == Membership.Role.REPORTER),
        manager_of=frozenset(d for r, d in rows if r == Membership.Role.MANAGER),
    )
    setattr(user, _ROLES_CACHE, roles)  # one query per request, not per check
    return roles


def _department_q(department_ids: frozenset[int]) -> Q:
    return Q(lead_unit_id__in=department_ids) | Q(co_units__id__in=department_ids)


def visible_commitments(
    user: User | AnonymousUser, qs: QuerySet[Commitment] | None = None
) -> QuerySet[Commitment]:
    qs = Commitment.objects.all() if qs is None else qs
    roles = roles_of(user)
    if roles.sees_everything:
        return qs
    if not roles.department_ids:
        return qs.none()
    # A subquery rather than a join, so that a commitment shared by two of the user's
    # departments is listed once and the queryset stays sliceable and countable.
    return qs.filter(
        pk__in=Commitment.objects.filter(_department_q(roles.department_ids)).values("pk")
    )


def can_view(user: User | AnonymousUser, commitment: Commitment) -> bool:
    return visible_commitments(user, Commitment.objects.filter(pk=commitment.pk)).exists()


def can_update(user: User | AnonymousUser, commitment: Commitment) -> bool:
    """Record progress: the lead or co-unit's reporters and managers; supervisors too."""
    roles = roles_of(user)
    if roles.supervisor:
        return True
    if not roles.department_ids:
        return False
    return Commitment.objects.filter(_department_q(roles.department_ids), pk=commitment.pk).exists()


# -- what a user may do anywhere (the view decorators in views/base.py are built on these) --


def can_use_staff_ui(user: User | AnonymousUser) -> bool:
    """Holds some role: may open the ledger, dashboard and their own commitments."""
    return roles_of(user).is_staff_user


def can_supervise(user: User | AnonymousUser) -> bool:
    """The supervision office (督查室) and superusers: review, assign, bulk changes."""
    return roles_of(user).supervisor


def can_read_everything(user: User | AnonymousUser) -> bool:
    """Leaders and the supervision office: the whole ledger, and the summaries."""
    return roles_of(user).sees_everything


can_review = can_supervise
can_assign = can_supervise


def _in_unit(user, department_id: int | None) -> bool:
    return department_id is not None and department_id in roles_of(user).department_ids


def acknowledgeable_units(user, commitment: Commitment) -> frozenset[int]:
    """The user's units on this item (lead or co-unit): those they may acknowledge for."""
    roles = roles_of(user)
    if not roles.department_ids:
        return frozenset()
    on_item = {*commitment.co_units.values_list("pk", flat=True)}
    if commitment.lead_unit_id is not None:
        on_item.add(commitment.lead_unit_id)
    return frozenset(roles.department_ids & on_item)


def can_acknowledge(user, commitment: Commitment) -> bool:
    return bool(acknowledgeable_units(user, commitment))


def can_request_extension(user, commitment: Commitment) -> bool:
    """The lead unit owns the deadline: its reporters and managers ask."""
    return _in_unit(user, commitment.lead_unit_id)


can_decide_extension = can_supervise
can_urge = can_supervise


def can_answer_urging(user, notice) -> bool:
    """The unit the notice is addressed to answers it."""
    return _in_unit(user, notice.department_id)


def can_instruct(user) -> bool:
    return roles_of(user).leader


can_reopen = can_supervise
