"""The report and its section tree (part → chapter → topic), as the parser read them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Report(models.Model):
    class PlaceLevel(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")
        DISTRICT = "district", _("区级")

    # The government whose report it is, with its suffix: 安阳市, 河南省, 海拉尔区.
    place = models.CharField(_("地方"), max_length=50)
    place_level = models.CharField(
        _("层级"), max_length=10, choices=PlaceLevel.choices, default=PlaceLevel.CITY
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    source_text = models.TextField(_("原文"))
    source_sha256 = models.CharField(_("原文哈希"), max_length=64)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, default="utf-8")
    is_public = models.BooleanField(
        _("政务公开"), default=False, help_text=_("公开后，无需登录即可查看只读进展。")
    )
    # Corrections made in the import review (commitments.ingest.review); every re-seed of
    # this report applies them again, so they survive a re-import.
    review_corrections = models.JSONField(_("审核更正"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("政府工作报告")
        verbose_name_plural = _("政府工作报告")
        ordering = ["-year", "place"]
        constraints = [
            models.UniqueConstraint(fields=["place", "year"], name="report_unique_place_year"),
            models.CheckConstraint(
                condition=Q(year__gte=1949) & Q(year__lte=2200), name="report_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def default_due_date(self) -> dt.date:
        return dt.date(self.year, 12, 31)


class Section(models.Model):
    class Level(models.TextChoices):
        PART = "part", _("部分")
        CHAPTER = "chapter", _("章")
        TOPIC = "topic", _("专题")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级章节"),
    )
    key = models.CharField(_("编号"), max_length=20)  # "2", "2.1", "2.1.3", "2.S"
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    label = models.CharField(_("序号"), max_length=20, blank=True)
    title = models.CharField(_("标题"), max_length=300)
    order = models.PositiveSmallIntegerField(_("顺序"))
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("章节")
        verbose_name_plural = _("章节")
        ordering = ["report", "start"]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="section_unique_key"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="section_span_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.label}{self.title}"

    @property
    def chapter_key(self) -> str:
        return ".".join(self.key.split(".")[:2])
