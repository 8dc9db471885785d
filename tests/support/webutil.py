"""Helpers for the web UI tests: a small cast of users, one per role, around the seeded
2017 report (or any report), and request shortcuts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client

from commitments.models import Commitment, Department, Membership, ProgressUpdate, Report
from tests.support.factories import DepartmentFactory, MembershipFactory

PASSWORD = "pass-for-tests-1"


@dataclass
class Cast:
    report: Report
    dept: Department  # the reporter's and manager's department
    other_dept: Department
    supervision: Department
    reporter: User
    manager: User
    supervisor: User
    leader: User
    nobody: User  # logged in, no role
    other_reporter: User
    mine: Commitment  # led by dept
    shared: Commitment  # led by other_dept, dept is a co-unit
    theirs: Commitment  # led by other_dept only
    superuser: User | None = None  # made by the permission matrix only

    def client(self, who: str | None) -> Client:
        c = Client()
        if who is not None:
            c.force_login(getattr(self, who))
        return c


@cache
def _password_hash() -> str:
    # Hashing is slow on purpose (PBKDF2); six users per test would spend seconds on it.
    # One hash per process, shared by every cast member, keeps real logins working.
    return make_password(PASSWORD)


def _user(username: str, first_name: str = "") -> User:
    return get_user_model().objects.create(
        username=username,
        first_name=first_name,
        email=f"{username}@example.gov.cn",
        password=_password_hash(),
    )


def make_cast(report: Report) -> Cast:
    dept = DepartmentFactory.create(name="市测试住建局")
    other = DepartmentFactory.create(name="市测试交通局")
    office = DepartmentFactory.create(name="市测试督查室", is_supervision_office=True)
    gov = DepartmentFactory.create(name="市测试政府办")
    reporter = _user("reporter", "张联络")
    manager = _user("manager")
    supervisor = _user("supervisor", "王督查")
    leader = _user("leader")
    nobody = _user("nobody")
    other_reporter = _user("other_reporter")
    MembershipFactory.create(user=reporter, department=dept, role=Membership.Role.REPORTER)
    MembershipFactory.create(user=manager, department=dept, role=Membership.Role.MANAGER)
    MembershipFactory.create(user=supervisor, department=office, role=Membership.Role.SUPERVISOR)
    MembershipFactory.create(user=leader, department=gov, role=Membership.Role.LEADER)
    MembershipFactory.create(user=other_reporter, department=other, role=Membership.Role.REPORTER)

    matters = list(
        report.commitments.filter(kind=Commitment.Kind.PRACTICAL_MATTER).order_by("matter_number")
    )
    mine, shared = matters[0], matters[1]
    theirs = report.commitments.filter(kind=Commitment.Kind.GENERAL).order_by("seq").first()
    assert theirs is not None
    Commitment.objects.filter(pk=mine.pk).update(lead_unit=dept)
    Commitment.objects.filter(pk__in=[shared.pk, theirs.pk]).update(lead_unit=other)
    shared.co_units.add(dept)
    for c in (mine, shared, theirs):
        c.refresh_from_db()
    return Cast(
        report=report,
        dept=dept,
        other_dept=other,
        supervision=office,
        reporter=reporter,
        manager=manager,
        supervisor=supervisor,
        leader=leader,
        nobody=nobody,
        other_reporter=other_reporter,
        mine=mine,
        shared=shared,
        theirs=theirs,
    )


def record(
    commitment: Commitment,
    author,
    *,
    as_of: dt.date = dt.date(2017, 6, 30),
    status: str = ProgressUpdate.Status.IN_PROGRESS,
    percent: str | None = "40",
    created_at: dt.datetime | None = None,
    readings: dict | None = None,
    **kwargs,
) -> ProgressUpdate:
    from commitments.services.progress import progress_update_record

    return progress_update_record(
        commitment=commitment,
        author=author,
        claimed_status=status,
        as_of=as_of,
        narrative=kwargs.pop("narrative", "按计划推进。"),
        percent=Decimal(percent) if percent is not None else None,
        readings=readings or {},
        created_at=created_at,
        **kwargs,
    )
