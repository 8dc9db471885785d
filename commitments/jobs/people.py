"""Who holds which role where: the people the jobs write to, read in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from commitments.models import Membership


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    is_active: bool


def display_name(username: str, first: str, last: str) -> str:
    full = f"{last}{first}".strip()  # 姓在前
    return full or username


@dataclass
class Directory:
    """Who holds which role where, read in one query."""

    people: dict[int, Person] = field(default_factory=dict)
    reporters: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    managers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    office: set[int] = field(default_factory=set)  # the supervision office (督查室)
    leaders: set[int] = field(default_factory=set)

    def actors(self, department_ids: Iterable[int]) -> set[int]:
        """Reporters and managers of these departments: the people who act on an item."""
        out: set[int] = set()
        for d in department_ids:
            out |= self.reporters.get(d, set()) | self.managers.get(d, set())
        return out


def directory() -> Directory:
    d = Directory()
    rows = Membership.objects.values_list(
        "user_id", "department_id", "role", "department__is_supervision_office",
        "user__username", "user__first_name", "user__last_name", "user__email",
        "user__is_active",
    )  # fmt: skip
    for uid, dept, role, is_office, username, first, last, email, active in rows:
        d.people[uid] = Person(uid, display_name(username, first, last), email or "", active)
        if role == Membership.Role.REPORTER:
            d.reporters[dept].add(uid)
        elif role == Membership.Role.MANAGER:
            d.managers[dept].add(uid)
        elif role == Membership.Role.LEADER:
            d.leaders.add(uid)
        if role == Membership.Role.SUPERVISOR or is_office:
            d.office.add(uid)
    return d
