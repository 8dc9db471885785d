"""The supervision cycle around an item (督办流程): 签收, 延期申请, 催办/督办单, 领导批示, 办结销号.

Each is a record of its own, never an edit of the progress log, so the item's timeline can
show every step with who and when. What must never be violated is a database constraint:
one pending extension request and one open notice of a colour per item, one standing
closure, a decision with its decider and time, a granted date after the deadline it
extends, a reply-by date not before the notice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commitments.models.ledger import Commitment
from commitments.models.people import Department
from commitments.models.progress import ProgressUpdate

USER = settings.AUTH_USER_MODEL


class Acknowledgement(models.Model):
    """签收: a unit assigned to an item (lead or co-unit) confirms it has received the task.

    One row per assignment of a unit: re-assigning to a new unit makes a new row that waits
    for that unit; a unit taken off the item has its row superseded (kept for the record).
    """

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        CO = "co", _("配合单位")

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("任务"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("单位"),
    )
    role = models.CharField(_("身份"), max_length=4, choices=Role.choices)
    assigned_at = models.DateTimeField(_("交办时间"), default=timezone.now)
    assigned_on = models.DateField(_("交办日期"))  # the ledger's day (demos live in 2017)
    assigned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("交办人"),
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("签收人"),
    )  # fmt: skip
    superseded_at = models.DateTimeField(_("撤回交办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签收")
        verbose_name_plural = _("签收")
        ordering = ["commitment", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "department"],
                condition=Q(superseded_at__isnull=True),
                name="ack_one_standing_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="ack_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} · {self.department} · {self.get_role_display()}"

    @property
    def is_pending(self) -> bool:
        return self.acknowledged_at is None and self.superseded_at is None


class ExtensionRequest(models.Model):
    """延期申请: a unit asks for a new deadline; the office grants (a date it chooses) or refuses."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        GRANTED = "granted", _("已批准")
        REFUSED = "refused", _("不予批准")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="extension_requests",
        verbose_name=_("任务"),
    )  # fmt: skip
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    requested_on = models.DateField(_("申请日期"))
    due_date_before = models.DateField(_("申请时的完成时限"))
    requested_due_date = models.DateField(_("申请延期至"))
    reason = models.TextField(_("延期理由"))
    progress_note = models.TextField(_("目前进展"), blank=True)
    is_late = models.BooleanField(_("逾期后申请"), default=False)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("审批人"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    granted_due_date = models.DateField(_("批准延期至"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(state="pending"),
                name="extension_one_pending_per_item",
            ),
            models.CheckConstraint(
                condition=Q(requested_due_date__gt=F("due_date_before")),
                name="extension_asks_for_later_date",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="extension_has_reason"),
            models.CheckConstraint(
                condition=Q(state="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    Q(state__in=["granted", "refused"])
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
                name="extension_decision_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=(
                    # NULL > x is not false to a CHECK: say "not null" outright
                    Q(
                        state="granted",
                        granted_due_date__isnull=False,
                        granted_due_date__gt=F("due_date_before"),
                    )
                    | (~Q(state="granted") & Q(granted_due_date__isnull=True))
                ),
                name="extension_granted_date_after_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(decision_comment=""),
                name="extension_refusal_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} → {self.requested_due_date:%Y-%m-%d} ({self.get_state_display()})"


class UrgingNotice(models.Model):
    """督办单 (催办记录): a formal notice to the unit, in a colour, with a reply-by date; closed
    by the unit's reply (an update or a written answer)."""

    class Level(models.TextChoices):
        BLUE = "blue", _("蓝色督办单·临近到期")
        YELLOW = "yellow", _("黄色督办单·进度滞后")
        RED = "red", _("红色督办单·逾期未完成")

    class State(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="urging_notices", verbose_name=_("任务")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="urging_notices",
        verbose_name=_("督办单位"),
    )  # fmt: skip
    level = models.CharField(_("颜色"), max_length=6, choices=Level.choices)
    message = models.TextField(_("督办事项"), blank=True)
    issued_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("签发人")
    )
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_on = models.DateField(_("签发日期"))
    reply_by = models.DateField(_("答复期限"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("答复人"),
    )  # fmt: skip
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    answer_text = models.TextField(_("书面答复"), blank=True)
    answer_update = models.ForeignKey(
        ProgressUpdate, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("以进展答复"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "level"],
                condition=Q(state="open"),
                name="urging_one_open_per_colour",
            ),
            models.CheckConstraint(
                condition=Q(reply_by__gte=F("issued_on")), name="urging_reply_by_after_issue"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        state="open",
                        answered_by__isnull=True,
                        answered_at__isnull=True,
                        answered_on__isnull=True,
                    )
                    | (
                        Q(state="answered")
                        & Q(
                            answered_by__isnull=False,
                            answered_at__isnull=False,
                            answered_on__isnull=False,
                        )
                        & (~Q(answer_text="") | Q(answer_update__isnull=False))
                    )
                ),
                name="urging_answer_complete",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["department", "level"])]

    def __str__(self) -> str:
        return f"{self.commitment.code} · {self.get_level_display()} · {self.issued_on:%Y-%m-%d}"


class Instruction(models.Model):
    """领导批示: a leader's instruction on an item; the unit's update can answer it."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="instructions", verbose_name=_("任务")
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("批示领导"))  # fmt: skip
    text = models.TextField(_("批示内容"))
    created_at = models.DateTimeField(_("批示时间"), default=timezone.now)
    created_on = models.DateField(_("批示日期"))
    response_update = models.ForeignKey(
        ProgressUpdate, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("落实情况（进展）"),
    )  # fmt: skip
    responded_at = models.DateTimeField(_("回应时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="instruction_has_text"),
            models.CheckConstraint(
                condition=Q(response_update__isnull=True, responded_at__isnull=True)
                | Q(response_update__isnull=False, responded_at__isnull=False),
                name="instruction_response_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} · {self.text[:20]}"


class Closure(models.Model):
    """办结销号: an accepted completion closes the item; the office may reopen it with a
    reason. At most one closure stands per item; reopened ones stay as the record."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="closures", verbose_name=_("任务")
    )
    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("审核通过的完成进展"),
    )  # fmt: skip
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("销号人"))  # fmt: skip
    closed_at = models.DateTimeField(_("销号时间"), default=timezone.now)
    closed_on = models.DateField(_("销号日期"))
    reopened_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("重新打开人"),
    )  # fmt: skip
    reopened_at = models.DateTimeField(_("重新打开时间"), null=True, blank=True)
    reopen_reason = models.TextField(_("重新打开理由"), blank=True)

    class Meta:
        verbose_name = _("办结销号")
        verbose_name_plural = _("办结销号")
        ordering = ["-closed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(reopened_at__isnull=True),
                name="closure_one_standing_per_item",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True, reopened_by__isnull=True, reopen_reason="")
                | (Q(reopened_at__isnull=False, reopened_by__isnull=False) & ~Q(reopen_reason="")),
                name="closure_reopen_has_who_when_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.code} · {self.closed_on:%Y-%m-%d}"
