"""Progress (append-only): updates, their target readings and evidence, and their review."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commitments.models.ledger import Commitment, Target


class ProgressUpdate(models.Model):
    """Append-only. Content never changes after it is written; a correction is a new
    update (``corrects`` points at the one it replaces). Only the review fields move,
    once, from submitted to accepted or returned."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        COMPLETED = "completed", _("已完成")
        BLOCKED = "blocked", _("受阻")

    class Review(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        ACCEPTED = "accepted", _("已通过")
        RETURNED = "returned", _("已退回")

    REVIEW_FIELDS = frozenset({"review_state", "reviewed_by", "reviewed_at", "review_comment"})

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="updates", verbose_name=_("任务")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("填报人"),
    )
    # A default, not auto_now_add: demo histories and imports record when an update was made.
    created_at = models.DateTimeField(_("填报时间"), default=timezone.now, db_index=True)
    as_of = models.DateField(_("截至日期"))
    claimed_status = models.CharField(_("填报状态"), max_length=12, choices=Status.choices)
    percent = models.DecimalField(
        _("完成百分比"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    narrative = models.TextField(_("进展情况"), blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("更正"),
    )
    review_state = models.CharField(
        _("审核状态"), max_length=10, choices=Review.choices, default=Review.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_updates",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("进展")
        verbose_name_plural = _("进展")
        ordering = ["commitment", "as_of", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gte=0) & Q(percent__lte=100)),
                name="update_percent_0_100",
            ),
            models.CheckConstraint(
                condition=(
                    Q(review_state="submitted", reviewed_at__isnull=True, reviewed_by__isnull=True)
                    | (
                        Q(review_state__in=["accepted", "returned"])
                        & Q(reviewed_at__isnull=False)
                        & Q(reviewed_by__isnull=False)
                    )
                ),
                name="update_review_fields_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(review_state="returned") | ~Q(review_comment=""),
                name="update_returned_has_comment",
            ),
        ]
        indexes = [
            models.Index(fields=["commitment", "review_state", "as_of"]),
            models.Index(fields=["review_state", "created_at"]),
            # "returned to me" on every staff page's navigation
            models.Index(fields=["author", "review_state"], name="update_author_state"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} @ {self.as_of:%Y-%m-%d} ({self.get_review_state_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and self._state.adding is False:
            if update_fields is None or not set(update_fields) <= self.REVIEW_FIELDS:
                raise ValidationError(_("进展记录只能追加，不能修改；请提交一条更正。"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("进展记录只能追加，不能删除。"))


class TargetReading(models.Model):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="readings")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="readings")
    value = models.DecimalField(_("实际值"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("指标读数")
        verbose_name_plural = _("指标读数")
        constraints = [
            models.UniqueConstraint(fields=["update", "target"], name="reading_unique_per_update"),
        ]

    def __str__(self) -> str:
        return f"{self.target.metric} = {self.value.normalize() if isinstance(self.value, Decimal) else self.value}"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.update.commitment.report.year}/{instance.update.commitment_id}/{filename}"


class Evidence(models.Model):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("附件"), upload_to=evidence_upload_to, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("大小"), default=0)
    link = models.URLField(_("链接"), max_length=500, blank=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(link=""), name="evidence_has_file_or_link"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.link
