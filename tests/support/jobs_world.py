"""A small ledger for the job tests, with every case the reminders care about on the demo
day 2017-10-15 (a Sunday): due in 7 and 14 days, overdue by 5 and by 25 days (escalated),
stale, fresh, completed, and an update the office returned.

Built with factories in its own report, so the seeded Anyang ledger (unassigned, hence
never chased) does not interfere.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.models import User
from django.core import mail

from commitments.models import Commitment, Department, Membership, ProgressUpdate, Report
from tests.support.factories import (
    CommitmentFactory,
    DepartmentFactory,
    MembershipFactory,
    ProgressUpdateFactory,
    ReportFactory,
    SectionFactory,
    UserFactory,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2017, 10, 15)


def at(day: dt.date, hour: int = 8, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@contextmanager
def frozen(day: dt.date, hour: int = 8, minute: int = 30):
    """The job runs at 08:30 Shanghai time on ``day``."""
    with time_machine.travel(at(day, hour, minute), tick=False):
        yield


@dataclass
class World:
    report: Report
    dept_a: Department
    dept_b: Department
    office: Department
    gov: Department
    rep_a: User
    mgr_a: User
    rep_b: User
    mgr_b: User
    sup: User
    leader: User
    c: dict[str, Commitment] = field(default_factory=dict)
    returned: ProgressUpdate | None = None


def update(
    commitment: Commitment, author, as_of: dt.date, percent: int = 50, **kw
) -> ProgressUpdate:
    return ProgressUpdateFactory.create(
        commitment=commitment,
        author=author,
        as_of=as_of,
        created_at=at(as_of, 17, 0),
        percent=Decimal(percent),
        **kw,
    )


def make_world(prefix: str = "w") -> World:
    report = ReportFactory.create(place=f"{prefix}测试市")
    section = SectionFactory.create(report=report, key="2.1", label="（一）", title="测试章节")
    dept_a = DepartmentFactory.create(name=f"{prefix}市甲局")
    dept_b = DepartmentFactory.create(name=f"{prefix}市乙局")
    office = DepartmentFactory.create(name=f"{prefix}市督查室", is_supervision_office=True)
    gov = DepartmentFactory.create(name=f"{prefix}市政府办")
    users = {
        # None: an unusable password, made without hashing (PBKDF2 costs ~0.25 s a user);
        # the tests that log in use force_login.
        name: UserFactory.create(username=f"{prefix}_{name}", first_name=first, last_name=last, password=None)
        for name, last, first in [
            ("rep_a", "张", "甲联"), ("mgr_a", "李", "甲长"), ("rep_b", "赵", "乙联"),
            ("mgr_b", "钱", "乙长"), ("sup", "王", "督查"), ("leader", "刘", "市长"),
        ]
    }  # fmt: skip
    MembershipFactory.create(user=users["rep_a"], department=dept_a, role=Membership.Role.REPORTER)
    MembershipFactory.create(user=users["mgr_a"], department=dept_a, role=Membership.Role.MANAGER)
    MembershipFactory.create(user=users["rep_b"], department=dept_b, role=Membership.Role.REPORTER)
    MembershipFactory.create(user=users["mgr_b"], department=dept_b, role=Membership.Role.MANAGER)
    MembershipFactory.create(user=users["sup"], department=office, role=Membership.Role.SUPERVISOR)
    MembershipFactory.create(user=users["leader"], department=gov, role=Membership.Role.LEADER)
    w = World(
        report=report,
        dept_a=dept_a,
        dept_b=dept_b,
        office=office,
        gov=gov,
        rep_a=users["rep_a"],
        mgr_a=users["mgr_a"],
        rep_b=users["rep_b"],
        mgr_b=users["mgr_b"],
        sup=users["sup"],
        leader=users["leader"],
    )

    def commitment(name: str, due: dt.date, **kw) -> Commitment:
        c = CommitmentFactory.create(
            report=report,
            section=section,
            code=f"{prefix}-{name}",
            text=f"{name}：完成一项测试任务。",
            due_date=due,
            parsed_due_date=due,
            lead_unit=kw.pop("lead_unit", dept_a),
            **kw,
        )
        w.c[name] = c
        return c

    commitment("due7", DAY + dt.timedelta(days=7))
    commitment("due14", DAY + dt.timedelta(days=14)).co_units.add(dept_b)
    commitment("overdue", DAY - dt.timedelta(days=5))
    commitment("escalate", DAY - dt.timedelta(days=25))
    stale = commitment("stale", dt.date(2017, 12, 31))
    update(stale, w.rep_a, dt.date(2017, 8, 1), percent=70)
    fresh = commitment("fresh", dt.date(2017, 12, 31))
    update(fresh, w.rep_a, dt.date(2017, 9, 10), percent=75)
    w.returned = update(
        fresh,
        w.rep_a,
        dt.date(2017, 10, 10),
        percent=90,
        review_state=ProgressUpdate.Review.RETURNED,
        reviewed_by=w.sup,
        reviewed_at=at(dt.date(2017, 10, 12), 10, 0),
        review_comment="数据与佐证不符，请核实后重报。",
    )
    done = commitment("done", DAY + dt.timedelta(days=5))
    update(
        done,
        w.rep_a,
        dt.date(2017, 10, 1),
        percent=100,
        claimed_status=ProgressUpdate.Status.COMPLETED,
    )
    commitment("unassigned", DAY - dt.timedelta(days=30), lead_unit=None)
    return w


def parse(message) -> email.message.EmailMessage:
    """A Django EmailMessage as a mail client sees it: serialised, then parsed."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def email_body(message: email.message.EmailMessage, subtype: str) -> str:
    """The text of a parsed email's ``plain`` or ``html`` part."""
    part = message.get_body((subtype,))
    assert part is not None, f"no {subtype} part"
    return part.get_content()


def sent_to() -> dict[str, list]:
    """mail.outbox by recipient address."""
    out: dict[str, list] = {}
    for m in mail.outbox:
        for to in m.to:
            out.setdefault(to, []).append(m)
    return out
