"""The import review (立项): a report file read and checked by the supervision office
before it counts. Nothing reaches the ledger until the draft is published."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from commitments.models.reports import Report


class ReportImport(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("待发布")
        PUBLISHED = "published", _("已发布")
        DISCARDED = "discarded", _("已放弃")

    source = models.BinaryField(_("原始文件"))
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    # What the office stated where the report does not say it (or says it wrongly).
    place = models.CharField(_("地方"), max_length=50, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    # Corrections made in review (see commitments.ingest.review), in the order made.
    corrections = models.JSONField(_("审核更正"), default=list, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    report = models.ForeignKey(
        Report,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="imports",
        verbose_name=_("报告"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_imports",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告导入")
        verbose_name_plural = _("报告导入")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="published")
                | Q(published_at__isnull=False, report__isnull=False),
                name="report_import_published_has_report",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | (Q(year__gte=1949) & Q(year__lte=2200)),
                name="report_import_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name or _('粘贴文本')} · {self.get_state_display()}"
