"""Units (单位) and who belongs to them in which role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Department(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    is_supervision_office = models.BooleanField(_("督查室"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        # One name for a unit on every screen, form and export: the full name (简称 is
        # kept for the admin's search and for imports).
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        REPORTER = "reporter", _("联络员")
        MANAGER = "manager", _("单位负责人")
        SUPERVISOR = "supervisor", _("督查室")
        LEADER = "leader", _("领导")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department"], name="membership_unique_user_dept"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


class DeskVisit(models.Model):
    """When a reviewer last opened the review desk, so that what arrived since is marked
    "新". ``previous_at`` is the visit before the current sitting: a sitting is a run of
    visits less than ``SITTING`` apart, so filtering and paging keep the markers."""

    SITTING_MINUTES = 30

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_visit"
    )
    seen_at = models.DateTimeField(_("最近访问"))
    previous_at = models.DateTimeField(_("上次访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核台访问")
        verbose_name_plural = _("审核台访问")

    def __str__(self) -> str:
        return f"{self.user} · {self.seen_at:%Y-%m-%d %H:%M}"
