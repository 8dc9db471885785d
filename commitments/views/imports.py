"""The import review (立项): upload or paste a report, see how it was read before anything
is written, correct it in place, then publish it to the ledger. Supervision office only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from commitments.decorators import AuthenticatedHttpRequest, supervisor_required
from commitments.forms import ReportImportForm
from commitments.ingest import ReportFormatError
from commitments.ingest.review import CorrectionError, apply_corrections
from commitments.models import Commitment, ReportImport, Target
from commitments.selectors.imports import import_parse, import_preview, open_imports, recent_imports
from commitments.services.imports import (
    import_correct,
    import_create,
    import_discard,
    import_publish,
    import_set_place,
    import_undo,
)

# What a part of a report is about (ParsedSection.role), as the review screen names it.
PART_ROLES = [
    ("review", gettext_lazy("上年工作回顾")),
    ("multi_year_review", gettext_lazy("五年工作回顾")),
    ("five_year_outline", gettext_lazy("五年规划纲要（不作为今年任务）")),
    ("plan", gettext_lazy("今年工作安排")),
    ("government", gettext_lazy("政府自身建设")),
    ("annex", gettext_lazy("附件")),
    ("other", gettext_lazy("其他")),
]

# What a correction may carry, by operation; anything else in the POST is ignored.
CORRECTION_FIELDS = {
    "kind": ("text", "kind", "matter_number"),
    "split": ("text", "at"),
    "merge": ("text", "next_text"),
    "due": ("text", "due_date"),
    "target_add": ("text", "metric", "value", "value_max", "unit", "qualifier", "direction"),
    "target_edit": (
        "text",
        "order",
        "metric",
        "value",
        "value_max",
        "unit",
        "qualifier",
        "direction",
    ),
    "target_remove": ("text", "order"),
    "take_back": ("text",),
    "drop": ("text",),
}


def _draft(pk: int) -> ReportImport:
    return get_object_or_404(ReportImport.objects.select_related("report", "created_by"), pk=pk)


@supervisor_required  # only the supervision office reads reports in (立项)
@require_http_methods(["GET", "POST"])
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReportImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                draft = import_create(
                    by=request.user,
                    raw=form.cleaned_data["raw"],
                    source_name=form.cleaned_data["source_name"],
                    place=form.cleaned_data["place"] or "",
                    year=form.cleaned_data["year"],
                )
            except ReportFormatError as exc:
                form.add_error(None, _("未能读取，未保存任何内容：%(why)s") % {"why": exc})
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            else:
                return redirect("import_review", draft.pk)
        status = 422
    return render(
        request,
        "commitments/import_list.html",
        {"form": form, "drafts": open_imports(), "recent": recent_imports()},
        status=status,
    )


def _review(
    request: AuthenticatedHttpRequest, draft: ReportImport, *, status: int = 200
) -> HttpResponse:
    try:
        preview = import_preview(draft, import_parse(draft))
    except ReportFormatError as exc:
        messages.error(request, _("这份文件已无法读取：%(why)s") % {"why": exc})
        return redirect("import_list")
    template = "commitments/import_review.html"
    if request.htmx:
        template += "#review"
    context: dict[str, Any] = {
        "draft": draft,
        "p": preview,
        "kinds": Commitment.Kind.choices,
        "kind_counts": [
            (value, label, preview.counts_by_kind.get(value, 0))
            for value, label in Commitment.Kind.choices
        ],
        "roles": PART_ROLES,
        "qualifiers": Target.Qualifier.choices,
        "directions": Target.Direction.choices,
        "corrections": list(enumerate(draft.corrections)),
        "unapplied": dict(preview.unapplied),
    }
    return render(request, template, context, status=status)


@supervisor_required
def import_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _review(request, _draft(pk))


@supervisor_required
def import_fix(request: AuthenticatedHttpRequest, pk: int, code: str) -> HttpResponse:
    """The correction forms of one commitment, loaded when the office opens them (the
    review page would weigh megabytes with every commitment's forms in it)."""
    draft = _draft(pk)
    try:
        report = apply_corrections(import_parse(draft), draft.corrections).report
    except ReportFormatError:
        return redirect("import_review", draft.pk)
    items = report.commitments
    found = [i for i, c in enumerate(items) if c.code == code]
    if not found or draft.state != ReportImport.State.DRAFT:
        raise Http404
    i = found[0]
    following = items[i + 1] if i + 1 < len(items) else None
    context = {
        "draft": draft,
        "title": report.title,
        "c": items[i],
        # merging joins neighbours within one chapter
        "next_item": following
        if following is not None
        and following.section_key.split(".")[:2] == items[i].section_key.split(".")[:2]
        else None,
        "kinds": Commitment.Kind.choices,
        "qualifiers": Target.Qualifier.choices,
        "directions": Target.Direction.choices,
    }
    template = "commitments/_import_fix.html" if request.htmx else "commitments/import_fix.html"
    return render(request, template, context)


def _after_change(
    request: AuthenticatedHttpRequest, draft: ReportImport, anchor: str = ""
) -> HttpResponse:
    if request.htmx:
        return _review(request, ReportImport.objects.get(pk=draft.pk))
    url = reverse("import_review", args=[draft.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _correction(post: Any) -> dict[str, Any]:
    op = post.get("op", "")
    fields = CORRECTION_FIELDS.get(op)
    if fields is None:
        raise CorrectionError(_("未知的更正类型。"))
    correction: dict[str, Any] = {"op": op}
    for name in fields:
        value = post.get(name)
        if value is not None and value != "":
            if "\x00" in value:
                raise CorrectionError(_("输入含有无效字符。"))
            correction[name] = value.strip() if name not in ("text", "next_text") else value
    if op == "split" and "at" not in correction:
        # "Split before these words": the position of the second half's first words.
        before = (post.get("before") or "").strip()
        at = correction.get("text", "").find(before) if before else -1
        if at <= 0:
            raise CorrectionError(_("请填写第二句开头的几个字（须在句中出现，且不在句首）。"))
        correction["at"] = at
    return correction


@supervisor_required
@require_POST
def import_correct_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        draft = import_correct(draft=draft, correction=_correction(request.POST))
    except CorrectionError as exc:
        messages.error(request, _("未能更正：%(why)s") % {"why": exc})
    else:
        messages.success(request, _("已记录更正。"))
    return _after_change(request, draft, request.POST.get("anchor", ""))


@supervisor_required
@require_POST
def import_undo_view(request: AuthenticatedHttpRequest, pk: int, index: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        draft = import_undo(draft=draft, index=index)
    except CorrectionError as exc:
        messages.error(request, _("未能撤销：%(why)s") % {"why": exc})
    else:
        messages.success(request, _("已撤销这条更正。"))
    return _after_change(request, draft)


@supervisor_required
@require_POST
def import_place_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    raw_year = (request.POST.get("year") or "").strip()
    year: int | None = None
    if raw_year:
        if not (raw_year.isascii() and raw_year.isdigit() and 1949 <= int(raw_year) <= 2200):
            messages.error(request, _("年度须为 1949 至 2200 之间的整数。"))
            return _after_change(request, draft)
        year = int(raw_year)
    place = (request.POST.get("place") or "").strip()[:50]
    try:
        draft = import_set_place(draft=draft, place=place, year=year)
    except (ReportFormatError, CorrectionError, ValidationError) as exc:
        messages.error(request, _("未能更改：%(why)s") % {"why": exc})
    else:
        messages.success(request, _("已更改地方和年度。"))
    return _after_change(request, draft)


@supervisor_required
@require_POST
def import_publish_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        result = import_publish(draft=draft, by=request.user)
    except (ReportFormatError, CorrectionError, ValidationError) as exc:
        messages.error(request, _("未能发布，台账未改动：%(why)s") % {"why": exc})
        return _after_change(request, draft)
    messages.success(
        request,
        _("已发布到台账：新增 %(new)s 条，修改 %(changed)s 条，移出 %(gone)s 条。")
        % {
            "new": result.commitments_created,
            "changed": result.commitments_updated,
            "gone": result.commitments_removed,
        },
    )
    url = f"{reverse('ledger')}?report={result.report.pk}"
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@supervisor_required
@require_POST
def import_discard_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    try:
        import_discard(draft=draft)
    except CorrectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已放弃这次导入，台账未改动。"))
    return redirect("import_list")
