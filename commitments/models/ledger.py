"""Commitments (任务), the targets they promise and the milestones staff set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from commitments.models.people import Department
from commitments.models.reports import Report, Section
from commitments.rules import is_measurable

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Units that count things: a target in one of these can never be negative.
COUNT_UNITS = (
    "个", "条", "家", "所", "台", "辆", "套", "名", "人", "万人", "户", "万户", "项",
    "座", "处", "支", "批", "公里", "亩", "万亩", "吨", "万吨", "兆瓦", "平方米",
    "万平方米", "元", "万元", "亿元", "亿美元", "万辆",
)  # fmt: skip


class Commitment(models.Model):
    class Kind(models.TextChoices):
        MAIN_TARGET = "main_target", _("主要预期目标")
        PRACTICAL_MATTER = "practical_matter", _("十件实事")
        POLLUTION = "pollution", _("污染防治与生态环境")
        GENERAL = "general", _("一般任务")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="commitments")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="commitments")
    code = models.CharField(_("编号"), max_length=40)
    seq = models.PositiveIntegerField(_("序号"), help_text=_("在报告中的顺序"))
    text = models.TextField(_("原文"))
    start = models.PositiveIntegerField(_("起始位置"))
    end = models.PositiveIntegerField(_("结束位置"))
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    matter_number = models.PositiveSmallIntegerField(_("实事序号"), null=True, blank=True)

    lead_unit = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_commitments",
        verbose_name=_("牵头单位"),
    )
    co_units = models.ManyToManyField(
        Department, blank=True, related_name="co_commitments", verbose_name=_("配合单位")
    )
    responsible_person = models.CharField(_("责任人"), max_length=100, blank=True)
    start_date = models.DateField(_("开始日期"))
    due_date = models.DateField(_("完成时限"))
    # What the report itself says; due_date differs from it once staff move the deadline,
    # and re-seeding then leaves due_date alone.
    parsed_due_date = models.DateField(_("报告所述时限"))
    due_text = models.CharField(_("时限依据"), max_length=50, blank=True)
    # The deadline before the first granted extension (延期); empty when never extended.
    # due_date is then the approved deadline: lamps and reminders follow it, while done-late
    # (逾期完成) is judged against this one.
    original_due_date = models.DateField(_("原定完成时限"), null=True, blank=True)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    is_public = models.BooleanField(_("公开"), default=True)
    # False when a re-seed no longer finds the sentence; kept with its progress, never deleted.
    in_source = models.BooleanField(_("仍在报告中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[co_units])
    _history_user: User  # who made a change: simple-history reads it into the history row

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["report", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["report", "code"], name="commitment_unique_code"),
            models.UniqueConstraint(fields=["report", "seq"], name="commitment_unique_seq"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="commitment_span_valid"),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")), name="commitment_due_after_start"
            ),
            models.CheckConstraint(condition=Q(weight__gte=1), name="commitment_weight_positive"),
            models.CheckConstraint(
                condition=Q(original_due_date__isnull=True)
                | Q(due_date__gte=F("original_due_date")),
                name="commitment_extension_not_earlier",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="practical_matter", matter_number__gte=1)
                    | (~Q(kind="practical_matter") & Q(matter_number__isnull=True))
                ),
                name="commitment_matter_number_iff_practical",
            ),
            models.UniqueConstraint(
                fields=["report", "matter_number"],
                condition=Q(matter_number__isnull=False),
                name="commitment_unique_matter_number",
            ),
        ]
        indexes = [
            models.Index(fields=["report", "kind"]),
            models.Index(fields=["due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.short_text}"

    @property
    def short_text(self) -> str:
        return self.text if len(self.text) <= 40 else self.text[:40] + "…"

    def clean(self) -> None:
        if self.start_date and self.due_date and self.due_date < self.start_date:
            raise ValidationError({"due_date": _("完成时限不能早于开始日期。")})
        if self.original_due_date and self.due_date and self.due_date < self.original_due_date:
            raise ValidationError(
                {
                    "due_date": _("该任务已批准延期，完成时限不能早于原定时限 %(d)s。")
                    % {"d": self.original_due_date.isoformat()}
                }
            )

    @property
    def is_extended(self) -> bool:
        return self.original_due_date is not None and self.original_due_date != self.due_date


class Target(models.Model):
    class Qualifier(models.TextChoices):
        NONE = "", _("—")
        ABOUT = "about", _("左右")
        AT_LEAST = "at_least", _("以上")
        EXCEED = "exceed", _("超过/突破")
        STRIVE = "strive", _("力争")
        ENSURE = "ensure", _("确保")
        REACH = "reach", _("达到")

    class Direction(models.TextChoices):
        INCREASE = "increase", _("增加")
        DECREASE = "decrease", _("减少")
        MAINTAIN = "maintain", _("保持")
        ACHIEVE = "achieve", _("实现")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="targets")
    order = models.PositiveSmallIntegerField(_("顺序"))
    # Blank where the report leaves the metric implicit ("合计6300名", "设立10亿元").
    metric = models.CharField(_("指标"), max_length=200, blank=True)
    value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    value_max = models.DecimalField(
        _("目标上限"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    qualifier = models.CharField(
        _("限定词"), max_length=10, choices=Qualifier.choices, blank=True, default=""
    )
    direction = models.CharField(
        _("方向"), max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    text = models.CharField(_("原文"), max_length=300)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    baseline_value = models.DecimalField(
        _("基期值"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    baseline_text = models.CharField(_("基期原文"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["commitment", "order"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "order"], name="target_unique_order"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0) | ~Q(unit__in=COUNT_UNITS),
                name="target_count_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(value_max__isnull=True) | Q(value_max__gte=F("value")),
                name="target_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_year__isnull=False),
                name="target_baseline_has_year",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_measurable(self) -> bool:
        """Progress can be computed from this target (``rules.is_measurable``)."""
        return is_measurable(self.value, self.direction)


class Milestone(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_date = models.DateField(_("计划日期"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)

    history = HistoricalRecords()
    _history_user: User  # who made a change: simple-history reads it into the history row

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["commitment", "due_date", "order"]

    def __str__(self) -> str:
        return f"{self.due_date:%Y-%m-%d} {self.title}"
