"""Admin for the ledger: reports, sections, commitments with targets and milestones,
units and members, and (read-only) progress."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ExportActionMixin, ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    Department,
    Evidence,
    ExtensionRequest,
    Instruction,
    Membership,
    Milestone,
    ProgressUpdate,
    Report,
    ReportImport,
    Section,
    Target,
    TargetReading,
    UrgingNotice,
)
from commitments.selectors.exports import spreadsheet_text

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _CommitmentCount(TypedDict):
    n_commitments: int


class _LeadCount(TypedDict):
    n_lead: int


@admin.register(Report)
class ReportAdmin(SimpleHistoryAdmin):
    list_display = ["title", "place", "year", "is_public", "commitment_count", "updated_at"]
    list_filter = ["is_public", "place", "year"]
    search_fields = ["title", "place"]
    readonly_fields = [
        "source_sha256",
        "source_name",
        "encoding",
        "created_at",
        "updated_at",
        "source_text",
    ]
    fields = ["title", "place", "year", "is_public", *readonly_fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).annotate(n_commitments=Count("commitments"))

    @admin.display(description=_("任务数"), ordering="n_commitments")
    def commitment_count(self, obj: WithAnnotations[Report, _CommitmentCount]) -> int:
        return obj.n_commitments


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "title", "level", "report"]
    list_filter = ["report", "level"]
    search_fields = ["title", "key"]
    readonly_fields = [
        "report",
        "parent",
        "key",
        "level",
        "label",
        "title",
        "order",
        "start",
        "end",
    ]


class SafeExportResource(resources.ModelResource):
    """Exports text a spreadsheet shows and never runs as a formula (=, +, -, @ first)."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return spreadsheet_text(value) if isinstance(value, str) else value


class DepartmentResource(SafeExportResource):
    class Meta:
        model = Department
        import_id_fields = ["name"]
        fields = ["name", "short_name", "is_supervision_office"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [DepartmentResource]
    list_display = ["name", "short_name", "is_supervision_office", "lead_count"]
    list_filter = ["is_supervision_office"]
    search_fields = ["name", "short_name"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return super().get_queryset(request).annotate(n_lead=Count("led_commitments"))

    @admin.display(description=_("牵头任务数"), ordering="n_lead")
    def lead_count(self, obj: WithAnnotations[Department, _LeadCount]) -> int:
        return obj.n_lead


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user", "department"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = [
        "order", "metric", "value", "value_max", "unit", "qualifier", "direction",
        "baseline_value", "baseline_year", "text",
    ]  # fmt: skip
    readonly_fields = ["text"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class WholeNumberWidget(widgets.IntegerWidget):
    """The library's integer widget lets decimal.InvalidOperation escape on text such as
    "很多", which the import page shows as a bare class name; this one names the value."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row=row, **kwargs)
        except InvalidOperation as e:
            raise ValueError(_("请输入整数，而不是“%(value)s”。") % {"value": value}) from e


class CommitmentResource(SafeExportResource):
    report = fields.Field(attribute="report__title", column_name="report", readonly=True)
    section = fields.Field(attribute="section__title", column_name="section", readonly=True)
    lead_unit = fields.Field(attribute="lead_unit__name", column_name="lead_unit", readonly=True)
    # What the report says is the parser's: exported for reading, never written by an import.
    code = fields.Field(attribute="code", column_name="code", readonly=True)
    kind = fields.Field(attribute="kind", column_name="kind", readonly=True)
    matter_number = fields.Field(
        attribute="matter_number", column_name="matter_number", readonly=True
    )
    text = fields.Field(attribute="text", column_name="text", readonly=True)
    weight = fields.Field(attribute="weight", column_name="weight", widget=WholeNumberWidget())

    class Meta:
        model = Commitment
        import_id_fields = ["id"]
        fields = [
            "id", "code", "report", "section", "kind", "matter_number", "text", "lead_unit",
            "responsible_person", "start_date", "due_date", "weight", "is_public",
        ]  # fmt: skip
        export_order = fields
        # Imports may only change what staff own; the verbatim text stays as the report says.
        skip_unchanged = True


@admin.action(description=_("设为公开"))
def make_public(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Report]
) -> None:
    queryset.update(is_public=True)


@admin.action(description=_("设为不公开"))
def make_private(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Report]
) -> None:
    queryset.update(is_public=False)


@admin.register(Commitment)
class CommitmentAdmin(ExportActionMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [CommitmentResource]
    list_display = [
        "code",
        "summary",
        "kind",
        "matter_number",
        "lead_unit",
        "due_date",
        "in_source",
    ]
    list_filter = ["report", "kind", "lead_unit", "in_source", "is_public", "section__parent"]
    search_fields = ["code", "text", "responsible_person", "lead_unit__name"]
    list_select_related = ["lead_unit"]
    autocomplete_fields = ["lead_unit"]
    filter_horizontal = ["co_units"]
    inlines = [TargetInline, MilestoneInline]
    actions = [make_public, make_private]
    readonly_fields = [
        "report", "section", "code", "seq", "text", "start", "end", "kind", "matter_number",
        "parsed_due_date", "due_text", "in_source", "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (_("原文"), {"fields": ["code", "text", "report", "section", "kind", "matter_number"]}),
        (
            _("责任与时限"),
            {
                "fields": [
                    "lead_unit",
                    "co_units",
                    "responsible_person",
                    "start_date",
                    "due_date",
                    "parsed_due_date",
                    "due_text",
                    "weight",
                    "is_public",
                ]
            },
        ),  # fmt: skip
        (
            _("来源位置"),
            {"fields": ["seq", "start", "end", "in_source", "created_at", "updated_at"]},
        ),
    ]

    @admin.display(description=_("摘要"), ordering="text")
    def summary(self, obj: Commitment) -> str:
        return obj.short_text


class TargetReadingInline(admin.TabularInline):
    model = TargetReading
    extra = 0
    can_delete = False
    readonly_fields = ["target", "value"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    readonly_fields = ["file", "original_name", "content_type", "size", "link", "description"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    """Append-only: the admin shows updates but never edits or deletes them."""

    list_display = [
        "commitment",
        "as_of",
        "claimed_status",
        "percent",
        "author",
        "review_state",
        "created_at",
    ]
    list_filter = ["review_state", "claimed_status", "is_demo", "commitment__report"]
    search_fields = ["commitment__code", "narrative", "author__username"]
    list_select_related = ["commitment", "author"]
    date_hierarchy = "as_of"
    inlines = [TargetReadingInline, EvidenceInline]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = [
        "text",
        "metric",
        "value",
        "unit",
        "qualifier",
        "direction",
        "baseline_value",
        "commitment",
    ]
    list_filter = ["qualifier", "direction", "unit", "commitment__kind"]
    search_fields = ["metric", "text", "commitment__code"]
    list_select_related = ["commitment"]
    readonly_fields = ["commitment", "text", "start", "end"]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["title", "due_date", "commitment"]
    search_fields = ["title", "commitment__code"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "link", "size", "update"]
    search_fields = ["original_name", "link", "description"]
    readonly_fields = [
        "update",
        "file",
        "original_name",
        "content_type",
        "size",
        "link",
        "description",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TargetReading)
class TargetReadingAdmin(admin.ModelAdmin):
    list_display = ["target", "value", "update"]
    search_fields = ["target__metric", "update__commitment__code"]
    readonly_fields = ["update", "target", "value"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# -- the supervision cycle (督办流程): a record of steps taken in the web UI, read-only here -----


class WorkflowRecordAdmin(admin.ModelAdmin):
    """The steps are taken in the web UI (with their checks, emails and history); the admin
    shows the record and lets nobody rewrite it."""

    list_select_related = ["commitment"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(WorkflowRecordAdmin):
    list_display = [
        "commitment",
        "department",
        "role",
        "assigned_on",
        "acknowledged_at",
        "superseded_at",
    ]
    list_filter = ["role", "department"]
    search_fields = ["commitment__code", "commitment__text", "department__name"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(WorkflowRecordAdmin):
    list_display = [
        "commitment",
        "state",
        "due_date_before",
        "requested_due_date",
        "granted_due_date",
        "is_late",
        "requested_on",
    ]
    list_filter = ["state", "is_late"]
    search_fields = ["commitment__code", "commitment__text", "reason"]


@admin.register(UrgingNotice)
class UrgingNoticeAdmin(WorkflowRecordAdmin):
    list_display = [
        "commitment",
        "department",
        "level",
        "issued_on",
        "reply_by",
        "state",
        "answered_on",
    ]
    list_filter = ["level", "state", "department"]
    search_fields = ["commitment__code", "commitment__text", "department__name", "message"]


@admin.register(Instruction)
class InstructionAdmin(WorkflowRecordAdmin):
    list_display = ["commitment", "author", "created_on", "responded_at"]
    search_fields = ["commitment__code", "commitment__text", "text"]


@admin.register(Closure)
class ClosureAdmin(WorkflowRecordAdmin):
    list_display = ["commitment", "closed_on", "closed_by", "reopened_at", "reopened_by"]
    search_fields = ["commitment__code", "commitment__text", "reopen_reason"]


@admin.register(ReportImport)
class ReportImportAdmin(admin.ModelAdmin):
    """Drafts of the import review (立项); corrections are made on the review screen, so
    here they are read, not edited."""

    list_display = ["source_name", "place", "year", "state", "report", "created_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["source_name", "place", "report__title"]
    readonly_fields = [
        "source_name", "place", "year", "corrections", "state", "report", "created_by",
        "created_at", "published_at",
    ]  # fmt: skip
    exclude = ["source"]

    def has_add_permission(self, request) -> bool:
        return False
