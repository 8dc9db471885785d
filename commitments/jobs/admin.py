"""Admin for the jobs: the outbox (with retry), what each person was told, opt-outs and
summaries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from commitments.jobs import outbox
from commitments.jobs.models import (
    JobRun,
    Notification,
    NotificationItem,
    NotificationPreference,
    Summary,
)


class NotificationItemInline(admin.TabularInline):
    model = NotificationItem
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "commitment", "window", "created_at")
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox. Failures are listed with their last error; "retry now" makes them due at
    once with a fresh set of attempts (sent emails are never re-sent)."""

    list_display = ["key", "kind", "recipient", "to_email", "state_badge", "attempts",
                    "next_attempt_at", "sent_at", "short_error"]  # fmt: skip
    list_filter = ["state", "kind", "for_day"]
    search_fields = [
        "key",
        "to_email",
        "subject",
        "recipient__username",
        "recipient__last_name",
        "last_error",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry_now"]
    inlines = [NotificationItemInline]
    readonly_fields = ["key", "kind", "recipient", "to_email", "for_day", "subject", "summary", "state",
                       "attempts", "next_attempt_at", "claimed_at", "sent_at", "last_error", "created_at",
                       "body_text", "body_html"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["key", "kind", "recipient", "to_email", "for_day", "summary"]}),
        (
            _("投递"),
            {
                "fields": [
                    "state",
                    "attempts",
                    "next_attempt_at",
                    "claimed_at",
                    "sent_at",
                    "last_error",
                ]
            },
        ),
        (_("内容"), {"fields": ["subject", "body_text", "body_html"], "classes": ["collapse"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # the outbox is a record; state moves only through the services

    COLORS = {
        "pending": "#8a6200",
        "sending": "#1f56b3",
        "sent": "#1d7a3a",
        "failed": "#b3161e",
        "cancelled": "#6b7180",
    }

    @admin.display(description=_("状态"), ordering="state")
    def state_badge(self, obj: Notification) -> SafeString:
        return format_html(
            '<b style="color:{}">{}</b>',
            self.COLORS.get(obj.state, "#000"),
            obj.get_state_display(),
        )

    @admin.display(description=_("最近错误"))
    def short_error(self, obj: Notification) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("立即重试所选邮件（已发送的不会重发）"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        n = outbox.outbox_retry_now(queryset.values_list("pk", flat=True))
        self.message_user(request, _("已安排 %(n)d 封邮件立即重试。") % {"n": n}, messages.SUCCESS)


@admin.register(NotificationItem)
class NotificationItemAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "commitment", "window", "notification", "created_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "commitment__code", "window", "notification__key"]
    list_select_related = ["recipient", "commitment", "notification"]
    readonly_fields = [
        "notification",
        "recipient",
        "commitment",
        "kind",
        "window",
        "context",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "report",
        "kind",
        "period_end",
        "state",
        "progress",
        "created_by",
        "finished_at",
    ]
    list_filter = ["kind", "state", "report"]
    search_fields = ["title", "error"]
    list_select_related = ["report", "created_by"]
    readonly_fields = ["report", "kind", "period_start", "period_end", "title", "state", "progress", "figures",
                       "xlsx_name", "error", "created_by", "created_at", "started_at", "finished_at",
                       "heartbeat_at", "preview"]  # fmt: skip
    exclude = ["xlsx", "html", "text"]
    actions = ["rebuild"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Summary]:
        return super().get_queryset(request).defer("xlsx")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("预览"))
    def preview(self, obj: Summary) -> str:
        if obj.state != Summary.State.DONE:
            return "—"
        from django.urls import reverse

        return format_html(
            '<a href="{}">{}</a>', reverse("summary_detail", args=[obj.pk]), _("在网页中查看")
        )

    @admin.action(description=_("重新生成所选摘要（失败的）"))
    def rebuild(self, request: HttpRequest, queryset: QuerySet[Summary]) -> None:
        ids = list(queryset.filter(state=Summary.State.FAILED).values_list("pk", flat=True))
        Summary.objects.filter(pk__in=ids).update(state=Summary.State.QUEUED, progress=0, error="")
        for pk in ids:
            outbox.dispatch_on_commit("summary_build", summary_id=pk)
        self.message_user(
            request, _("已重新排队 %(n)d 份摘要。") % {"n": len(ids)}, messages.SUCCESS
        )


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Read-only: written by the jobs when they run; the catch-up reads it."""

    list_display = ("job", "period", "started_at", "finished_at", "late_for")
    list_filter = ("job",)
    search_fields = ("period",)
    readonly_fields = ("job", "period", "started_at", "finished_at", "late_for", "note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
