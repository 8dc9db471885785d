"""The jobs' tables: email opt-outs, summaries, the outbox and what each email told whom.

Jobs: reminders, escalations, the monthly reporting call and summaries (严督导).

Every email goes through the outbox (Notification): written first, then claimed by a
conditional UPDATE, sent, and recorded, so a job that runs twice, two workers at once or
a retry after a crash never sends twice. What a digest tells a person is recorded item by
item (NotificationItem), unique per (recipient, commitment, kind, window): the database,
not the job, guarantees each is told at most once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commitments.models import Commitment, Report


class EmailKind(models.TextChoices):
    """What an email (or one item of a digest) is about; opt-outs are per kind."""

    DUE_SOON = "due_soon", _("临近到期提醒")
    OVERDUE = "overdue", _("到期催办")
    STALE = "stale", _("长期未更新提醒")
    RETURNED = "returned", _("进展退回通知")
    ESCALATION = "escalation", _("逾期升级（抄送）")
    REPORTING_CALL = "reporting_call", _("每月报送通知")
    SUMMARY = "summary", _("进展摘要")
    NO_RECIPIENT = "no_recipient", _("无人可提醒（转督查室）")
    UNACKNOWLEDGED = "unacknowledged", _("未签收提醒")


# Duties, not courtesies: a person cannot opt out of being chased for an overdue item,
# of an escalation they must act on, or of the monthly reporting call.
MANDATORY_EMAIL_KINDS = frozenset(
    {EmailKind.OVERDUE, EmailKind.ESCALATION, EmailKind.REPORTING_CALL, EmailKind.NO_RECIPIENT}
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
        db_table = (
            "commitments_notificationpreference"  # moved from the commitments app; table kept
        )
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
        db_table = "commitments_summary"  # moved from the commitments app; table kept
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
            # One on-demand build at a time per report and day: asking again while it is
            # queued or running gets the same row (twenty clicks are one build).
            models.UniqueConstraint(
                fields=["report", "period_end"],
                condition=Q(kind="on_demand", state__in=["queued", "running"]),
                name="summary_one_on_demand_building",
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
        ASSIGNMENT = "assignment", _("交办通知")
        URGING = "urging", _("督办单")
        INSTRUCTION = "instruction", _("领导批示")
        EXTENSION = "extension", _("延期审批结果")
        UPDATE_RETURNED = "update_returned", _("进展退回通知")

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
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        db_table = "commitments_notification"  # moved from the commitments app; table kept
        verbose_name = _("邮件（发件箱）")
        verbose_name_plural = _("邮件（发件箱）")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="notification_sent_has_time",
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
        db_table = "commitments_notificationitem"  # moved from the commitments app; table kept
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


class JobRun(models.Model):
    """A scheduled job that actually ran, written by the job itself (never by beat): beat
    advances its ``last_run_at`` even when the tick is lost (Redis down), so only this
    says whether the reminders of a day went. The catch-up compares the schedules with
    these rows and runs late what is missing."""

    job = models.CharField(_("任务"), max_length=40)  # "reminders", "reporting_call"
    period = models.CharField(_("期次"), max_length=20)  # the day it is for, 2017-10-15
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Run by the catch-up, for the beat tick that was lost.
    late_for = models.DateTimeField(_("补做（原定时间）"), null=True, blank=True)
    note = models.CharField(_("结果"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("定时任务运行记录")
        verbose_name_plural = _("定时任务运行记录")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="jobrun_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
