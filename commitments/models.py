"""The ledger (台账): a report, its section tree, the commitments it makes and the
progress departments log against them.

What must never be violated is a database constraint, not only a Python check:
one report per city and year, unique codes, one reading per target per update,
percentages within 0–100, non-negative counts, review fields consistent with the
review state.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Units that count things: a target in one of these can never be negative.
COUNT_UNITS = (
    "个", "条", "家", "所", "台", "辆", "套", "名", "人", "万人", "户", "万户", "项",
    "座", "处", "支", "批", "公里", "亩", "万亩", "吨", "万吨", "兆瓦", "平方米",
    "万平方米", "元", "万元", "亿元", "亿美元", "万辆",
)  # fmt: skip


class Report(models.Model):
    city = models.CharField(_("城市"), max_length=50)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    source_text = models.TextField(_("原文"))
    source_sha256 = models.CharField(_("原文哈希"), max_length=64)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, default="utf-8")
    is_public = models.BooleanField(
        _("政务公开"), default=False, help_text=_("公开后，无需登录即可查看只读进展。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("政府工作报告")
        verbose_name_plural = _("政府工作报告")
        ordering = ["-year", "city"]
        constraints = [
            models.UniqueConstraint(fields=["city", "year"], name="report_unique_city_year"),
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
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
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
        return self.short_name or self.name


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
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


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
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    is_public = models.BooleanField(_("公开"), default=True)
    # False when a re-seed no longer finds the sentence; kept with its progress, never deleted.
    in_source = models.BooleanField(_("仍在报告中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[co_units])

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
    metric = models.CharField(_("指标"), max_length=200)
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
    def is_qualitative(self) -> bool:
        return self.value is None


class Milestone(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_date = models.DateField(_("计划日期"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["commitment", "due_date", "order"]

    def __str__(self) -> str:
        return f"{self.due_date:%Y-%m-%d} {self.title}"


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
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} @ {self.as_of:%Y-%m-%d} ({self.get_review_state_display()})"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and self._state.adding is False:
            if update_fields is None or not set(update_fields) <= self.REVIEW_FIELDS:
                raise ValidationError(_("进展记录只能追加，不能修改；请提交一条更正。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
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


# ---------------------------------------------------------------------------------------
# Jobs: reminders, escalations, the monthly reporting call and summaries (严督导).
#
# Every email goes through the outbox (Notification): written first, then claimed by a
# conditional UPDATE, sent, and recorded, so a job that runs twice, two workers at once or
# a retry after a crash never sends twice. What a digest tells a person is recorded item by
# item (NotificationItem), unique per (recipient, commitment, kind, window): the database,
# not the job, guarantees each is told at most once.
# ---------------------------------------------------------------------------------------


class EmailKind(models.TextChoices):
    """What an email (or one item of a digest) is about; opt-outs are per kind."""

    DUE_SOON = "due_soon", _("临近到期提醒")
    OVERDUE = "overdue", _("到期催办")
    STALE = "stale", _("长期未更新提醒")
    RETURNED = "returned", _("进展退回通知")
    ESCALATION = "escalation", _("逾期升级（抄送）")
    REPORTING_CALL = "reporting_call", _("每月报送通知")
    SUMMARY = "summary", _("进展摘要")


# Duties, not courtesies: a person cannot opt out of being chased for an overdue item,
# of an escalation they must act on, or of the monthly reporting call.
MANDATORY_EMAIL_KINDS = frozenset(
    {EmailKind.OVERDUE, EmailKind.ESCALATION, EmailKind.REPORTING_CALL}
)


class NotificationPreference(models.Model):
    """A person's choice for one kind of email; no row means the default (on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("用户"),
    )
    kind = models.CharField(_("邮件类别"), max_length=20, choices=EmailKind.choices)
    enabled = models.BooleanField(_("接收"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("邮件订阅设置")
        verbose_name_plural = _("邮件订阅设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique"),
            models.CheckConstraint(
                condition=Q(enabled=True) | ~Q(kind__in=sorted(MANDATORY_EMAIL_KINDS)),
                name="notification_pref_mandatory_stays_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {'on' if self.enabled else 'off'}"

    def clean(self) -> None:
        if not self.enabled and self.kind in MANDATORY_EMAIL_KINDS:
            raise ValidationError({"enabled": _("该类邮件为必收，不能退订。")})


class Summary(models.Model):
    """A generated progress summary (周报 / 月报 / on demand), kept for the web UI and
    attached to the summary emails."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("周报")
        MONTHLY = "monthly", _("月报")
        ON_DEMAND = "on_demand", _("即时生成")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="summaries", verbose_name=_("报告")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("起始日期"))
    # The ledger is shown as it stood at the end of this day.
    period_end = models.DateField(_("截至日期"))
    title = models.CharField(_("标题"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    html = models.TextField(_("HTML 正文"), blank=True)
    text = models.TextField(_("纯文本正文"), blank=True)
    xlsx = models.BinaryField(_("台账附件"), null=True, blank=True)
    xlsx_name = models.CharField(_("附件文件名"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="summaries",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Touched while a build runs; a running summary whose heartbeat stopped is rebuilt.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("进展摘要")
        verbose_name_plural = _("进展摘要")
        ordering = ["-period_end", "-created_at"]
        constraints = [
            # Beat firing twice, or two beats, still make one weekly/monthly summary.
            models.UniqueConstraint(
                fields=["report", "kind", "period_end"],
                condition=~Q(kind="on_demand"),
                name="summary_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="summary_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="summary_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.period_end:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Notification(models.Model):
    """The outbox: one row per email the system means to send.

    ``key`` names the email (``reminders:2017-10-15:42`` — one digest per person per day;
    ``reporting_call:2017-10:42`` — one call per person per month; ``summary:7:42``) and is
    unique, so writing the same email twice is impossible. Sending claims the row with a
    conditional UPDATE (pending → sending); only the claimer sends.
    """

    class Kind(models.TextChoices):
        REMINDER_DIGEST = "reminder_digest", _("督办提醒")
        REPORTING_CALL = "reporting_call", _("每月报送通知")
        SUMMARY = "summary", _("进展摘要")

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        CANCELLED = "cancelled", _("已取消")

    key = models.CharField(_("唯一键"), max_length=200, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("收件人"),
    )
    to_email = models.EmailField(_("收件地址"))
    for_day = models.DateField(_("台账日期"))
    subject = models.CharField(_("主题"), max_length=255, blank=True)
    body_text = models.TextField(_("纯文本正文"), blank=True)
    body_html = models.TextField(_("HTML 正文"), blank=True)
    summary = models.ForeignKey(
        Summary,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("摘要"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("邮件（发件箱）")
        verbose_name_plural = _("邮件（发件箱）")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="notification_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["kind", "for_day"], name="notification_kind_day_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class NotificationItem(models.Model):
    """One thing a person was told in one email.

    ``window`` says which occasion: for due-soon items the due date and the reminder window
    (``2017-10-22/7``), for overdue ones the due date and the week overdue (``2017-10-08/w1``),
    for stale ones the last update day and the staleness period, for a returned update its
    id, for an escalation the due date, for a reporting call the month. A moved deadline is
    a new occasion, so it is reminded afresh; the same occasion never twice.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="items", verbose_name=_("邮件")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_items",
        verbose_name=_("收件人"),
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="notification_items",
        verbose_name=_("任务"),
    )
    kind = models.CharField(_("类别"), max_length=20, choices=EmailKind.choices)
    window = models.CharField(_("时点"), max_length=40)
    # What the email said about the commitment on that day (rendered from this alone).
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("提醒事项")
        verbose_name_plural = _("提醒事项")
        ordering = ["notification", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "commitment", "kind", "window"], name="notification_item_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.commitment_id} · {self.kind} · {self.window}"
