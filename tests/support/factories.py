"""Factories for tests that need a few rows rather than the whole seeded report."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from commitments.models import (
    Commitment,
    Department,
    Membership,
    ProgressUpdate,
    Report,
    Section,
    Target,
)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    password = factory.django.Password("pass-for-tests-1")


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试局{n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Membership.Role.REPORTER


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    class Meta:
        model = Report

    place = factory.Sequence(lambda n: f"测试市{n}")
    year = 2017
    title = factory.LazyAttribute(lambda r: f"{r.year}年{r.place}政府工作报告")
    source_text = "测试原文。"
    source_sha256 = "0" * 64


class SectionFactory(factory.django.DjangoModelFactory[Section]):
    class Meta:
        model = Section

    report = factory.SubFactory(ReportFactory)
    key = factory.Sequence(lambda n: f"2.{n + 1}")
    level = Section.Level.CHAPTER
    label = "（一）"
    title = "测试章节"
    order = 1
    start = 0
    end = 10


class CommitmentFactory(factory.django.DjangoModelFactory[Commitment]):
    class Meta:
        model = Commitment

    section = factory.SubFactory(SectionFactory)
    report = factory.SelfAttribute("section.report")
    code = factory.Sequence(lambda n: f"2017-2.1-{n + 1:02d}")
    seq = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"完成第{n}项测试任务。")
    start = 0
    end = 10
    kind = Commitment.Kind.GENERAL
    start_date = dt.date(2017, 1, 1)
    due_date = dt.date(2017, 12, 31)
    parsed_due_date = factory.SelfAttribute("due_date")


class TargetFactory(factory.django.DjangoModelFactory[Target]):
    class Meta:
        model = Target

    commitment = factory.SubFactory(CommitmentFactory)
    order = factory.Sequence(lambda n: n + 1)
    metric = "新建道路"
    value = Decimal("100")
    unit = "条"
    direction = Target.Direction.INCREASE
    text = "新建道路100条"
    start = 0
    end = 5


class ProgressUpdateFactory(factory.django.DjangoModelFactory[ProgressUpdate]):
    class Meta:
        model = ProgressUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    author = factory.SubFactory(UserFactory)
    as_of = dt.date(2017, 6, 30)
    claimed_status = ProgressUpdate.Status.IN_PROGRESS
    percent = Decimal("50")
    narrative = "按计划推进。"
