"""The ledger's filters. The filter state lives in the URL (a GET form), so a filtered
view can be bookmarked, shared, exported, and works without JavaScript.

Filters that the database can answer (chapter, department, kind, text) are django-filter
filters. Status filters (红黄绿灯, overdue, stale) depend on the status rules, which are
computed in Python from the append-only updates as of a day, so the view applies them
after commitment_states(); they are declared here as no-op filters only so the one form
carries and validates every parameter.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from commitments.forms import DateInput
from commitments.models import Commitment, Report
from commitments.rules import Rag
from commitments.selectors.sections import chapters_with_commitments
from commitments.selectors.units import unit_choices

UNASSIGNED = "none"

SORTS = [
    ("code", _("编号")),
    ("due", _("完成时限")),
    ("-percent", _("进度从低到高")),
    ("percent", _("进度从高到低")),
    ("rag", _("红黄绿灯")),
    ("unit", _("牵头单位")),
]


def _keep(queryset: QuerySet, name: str, value: object) -> QuerySet:
    return queryset


class LedgerFilter(django_filters.FilterSet):
    chapter = django_filters.ChoiceFilter(
        label=_("章节"), method="filter_chapter", empty_label=_("全部章节")
    )
    department = django_filters.ChoiceFilter(
        label=_("单位"), method="filter_department", empty_label=_("全部单位")
    )
    kind = django_filters.ChoiceFilter(
        label=_("类别"), choices=Commitment.Kind.choices, empty_label=_("全部类别")
    )
    q = django_filters.CharFilter(label=_("搜索"), method="filter_text")
    rag = django_filters.MultipleChoiceFilter(
        label=_("红黄绿灯"), choices=Rag.choices, method=_keep, widget=forms.CheckboxSelectMultiple
    )
    overdue = django_filters.BooleanFilter(
        label=_("仅逾期"), method=_keep, widget=forms.CheckboxInput
    )
    stale = django_filters.BooleanFilter(
        label=_("仅久未更新"), method=_keep, widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        label=_("排序"), choices=SORTS, method=_keep, empty_label=None
    )
    as_of = django_filters.DateFilter(label=_("截至"), method=_keep, widget=DateInput())

    class Meta:
        model = Commitment
        fields = ["chapter", "department", "kind", "q"]

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        # Only chapters that hold commitments: the review part's would always give 0 items.
        self.filters["chapter"].extra["choices"] = [
            (str(pk), name[:36]) for pk, name in chapters_with_commitments(report)
        ]
        self.filters["department"].extra["choices"] = [
            (UNASSIGNED, _("（未分配牵头单位）")),
            *unit_choices(),
        ]
        self.form.fields["q"].widget.attrs.update(
            {"placeholder": _("编号、原文或责任人"), "type": "search"}
        )

    def filter_chapter(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(section_id=value) | Q(section__parent_id=value))

    def filter_department(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == UNASSIGNED:
            return queryset.filter(lead_unit__isnull=True)
        # A subquery, not a join: a commitment led by and co-run by the same unit is one row.
        ids = Commitment.objects.filter(Q(lead_unit_id=value) | Q(co_units__id=value)).values("pk")
        return queryset.filter(pk__in=ids)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value)
            | Q(text__icontains=value)
            | Q(responsible_person__icontains=value)
        )
