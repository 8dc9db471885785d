"""Plain Django views beside the app's pages, for the benchmarks only (bench_settings.py
routes them under /__plain__/ in front of the app's own URLs).

Each renders the same rows with the same columns as its app page, the way a first Django
tutorial would: ``select_related``/``prefetch_related``, the latest update's figures as
subqueries, no filters, no permission rules beyond a login, no status rules. They depend
on the models only, never on the app's selectors, so that they stay the same yardstick
while the app changes.

- ``/__plain__/ledger/?report=<pk>[&page=n]`` — 50 rows of the ledger's columns (the
  table alone with ``HX-Request``) in a page with the site's stylesheets and scripts;
- ``/__plain__/dashboard/?report=<pk>[&as_of=YYYY-MM-DD]`` — counts per chapter, per unit
  and per kind with ``values().annotate(Count)``, and the updates known on the day per
  chapter, averaged in the database;
- ``/__plain__/export.csv|xlsx?report=<pk>`` — every row of the report with the export's
  14 columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Avg, Count, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import Engine, RequestContext
from django.urls import include, path, re_path
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from commitments.models import Commitment, ProgressUpdate, Report, Section, Target

PAGE_SIZE = 50

# Plain Django: a template engine of its own with Django's standard context processors only
# (the app's navigation counts, commitments.context_processors.nav, are app work: every
# app page pays them, the bench prints their cost beside the table), and a page of its own
# that links the same stylesheets and scripts as the site's base template.
ENGINE = Engine(
    dirs=[str(settings.BASE_DIR / "templates")],
    app_dirs=True,
    context_processors=[
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ],
    libraries={"static": "django.templatetags.static"},
)
LAYOUT = """{% load static %}<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="{% static 'commitments/app.css' %}">
<link rel="stylesheet" href="{% static 'commitments/bars.css' %}">
<script src="{% static 'commitments/app.js' %}" defer></script></head>
<body hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'><header class="topbar"><div class="brand">
<a href="{% url 'ledger' %}">督办台账</a></div><nav class="mainnav"><a href="{% url 'ledger' %}">台账</a>
<a href="{% url 'dashboard' %}">总览</a></nav><div class="tools"><span class="who">{{ user.get_username }}</span>
<form action="{% url 'logout' %}" method="post" class="inline">{% csrf_token %}<button type="submit">退出</button></form>
</div></header><main class="wrap wide">{% block content %}{% endblock %}</main></body></html>"""
LEDGER = ENGINE.from_string(
    LAYOUT.replace(
        "{% block content %}{% endblock %}",
        "<h1>{{ report.title }}</h1>{% include table %}",
    ).replace("{% block title %}{% endblock %}", "plain ledger")
)
TABLE = ENGINE.from_string(
    """<div id="ledger-table" class="ledger-table">
<p>共 {{ page.paginator.count }} 项</p>
<table class="grid cards"><thead><tr><th>编号</th><th>任务</th><th>牵头单位</th><th>完成时限</th>
<th>进度</th><th>状态</th><th>最近填报</th></tr></thead><tbody>
{% for c in page.object_list %}<tr class="row-plain">
<td class="code"><a href="{% url 'commitment' c.pk %}">{{ c.code }}</a></td>
<td class="task"><a href="{% url 'commitment' c.pk %}" title="{{ c.text }}">{{ c.text|truncatechars:64 }}</a>
<span class="meta">{% if c.kind != "general" %}<span class="tag tag-{{ c.kind }}">{{ c.get_kind_display }}{% if c.matter_number %} {{ c.matter_number }}{% endif %}</span>{% endif %}
{% if c.section.parent %}{{ c.section.parent.label }}{% endif %}{{ c.section.label }}{{ c.section.title|truncatechars:18 }}</span></td>
<td class="unit">{% if c.lead_unit %}{{ c.lead_unit.name }}{% else %}未分配{% endif %}
{% with cos=c.co_units.all %}{% if cos %}<span class="meta">配合：{% for d in cos %}{{ d.name }}{% if not forloop.last %}、{% endif %}{% endfor %}</span>{% endif %}{% endwith %}</td>
<td class="date">{{ c.due_date|date:"Y-m-d" }}</td>
<td class="pct"><div class="bar"><span class="fill"></span></div><span class="pctnum">{{ c.last_percent|default_if_none:"0" }}%</span></td>
<td class="rag">{{ c.last_status|default:"—" }}</td>
<td class="date">{{ c.last_as_of|date:"Y-m-d"|default:"—" }}</td>
</tr>{% endfor %}
</tbody></table>
<nav class="pager">第 {{ page.number }} / {{ page.paginator.num_pages }} 页</nav></div>"""
)
DASHBOARD = ENGINE.from_string(
    LAYOUT.replace("{% block title %}{% endblock %}", "plain dashboard").replace(
        "{% block content %}{% endblock %}",
        """<h1>{{ report.title }} · {{ day|date:"Y-m-d" }}</h1>
<p>共 {{ total }} 项</p>
<table class="grid"><tr><th>章节</th><th>任务</th><th>权重</th><th>进展条数</th><th>平均进度</th></tr>
{% for row in chapters %}<tr><td>{{ row.label }}{{ row.title }}</td><td>{{ row.n }}</td><td>{{ row.w }}</td>
<td>{{ row.updates }}</td><td>{{ row.avg|floatformat:1 }}</td></tr>{% endfor %}</table>
<table class="grid"><tr><th>单位</th><th>任务</th></tr>
{% for row in units %}<tr><td>{{ row.lead_unit__name|default:"未分配" }}</td><td>{{ row.n }}</td></tr>{% endfor %}</table>
<table class="grid"><tr><th>类别</th><th>任务</th></tr>
{% for row in kinds %}<tr><td>{{ row.kind }}</td><td>{{ row.n }}</td></tr>{% endfor %}</table>""",
    )
)

COLUMNS = [
    "编号", "章节", "类别", "任务原文", "牵头单位", "配合单位", "责任人", "完成时限",
    "完成百分比", "红黄绿灯", "填报状态", "审核确认", "最近填报", "目标",
]  # fmt: skip


def _report(request: HttpRequest) -> Report:
    return get_object_or_404(Report, pk=int(request.GET.get("report") or 0))


def _with_latest(qs: QuerySet[Commitment]) -> QuerySet[Commitment]:
    latest = ProgressUpdate.objects.filter(commitment=OuterRef("pk")).order_by(
        "-as_of", "-created_at", "-id"
    )
    accepted = latest.filter(review_state="accepted")
    return qs.annotate(
        last_percent=Subquery(latest.values("percent")[:1]),
        last_status=Subquery(latest.values("claimed_status")[:1]),
        last_as_of=Subquery(latest.values("as_of")[:1]),
        verified_status=Subquery(accepted.values("claimed_status")[:1]),
    )


@login_required
def plain_ledger(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    qs = _with_latest(
        Commitment.objects.filter(report=report)
        .select_related("section", "section__parent", "lead_unit")
        .prefetch_related("co_units")
        .order_by("seq")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = TABLE if request.headers.get("HX-Request") else LEDGER
    context = {"report": report, "page": page, "table": TABLE}
    return HttpResponse(template.render(RequestContext(request, context)))


@login_required
def plain_dashboard(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        day = dt.date(2017, 9, 30)
    rows = Commitment.objects.filter(report=report)
    chapters = list(
        rows.values("section_id", "section__label", "section__title", "section__start")
        .annotate(n=Count("id"), w=Sum("weight"))
        .order_by("section__start")
    )
    known = (
        ProgressUpdate.objects.filter(commitment__report=report, as_of__lte=day)
        .values("commitment__section_id")
        .annotate(n=Count("id"), avg=Avg("percent"))
    )
    by_section = {r["commitment__section_id"]: r for r in known}
    for row in chapters:
        got = by_section.get(row["section_id"], {})
        row.update(
            label=row["section__label"],
            title=row["section__title"],
            updates=got.get("n", 0),
            avg=got.get("avg"),
        )
    context = {
        "report": report,
        "day": day,
        "total": rows.count(),
        "chapters": chapters,
        "units": list(rows.values("lead_unit__name").annotate(n=Count("id")).order_by("-n")),
        "kinds": list(rows.values("kind").annotate(n=Count("id")).order_by("kind")),
    }
    return HttpResponse(DASHBOARD.render(RequestContext(request, context)))


def _export_rows(report: Report) -> list[list]:
    qs = _with_latest(
        Commitment.objects.filter(report=report)
        .select_related("section", "section__parent", "lead_unit")
        .prefetch_related(
            "co_units", Prefetch("targets", queryset=Target.objects.order_by("order"))
        )
        .order_by("seq")
    )
    rows = []
    for c in qs:
        section: Section = c.section
        rows.append(
            [
                c.code,
                f"{section.label}{section.title}",
                str(c.get_kind_display()) + (f" {c.matter_number}" if c.matter_number else ""),
                c.text,
                c.lead_unit.name if c.lead_unit else "",
                "、".join(d.name for d in c.co_units.all()),
                c.responsible_person,
                c.due_date,
                c.last_percent,  # type: ignore[attr-defined]
                c.last_status or "",  # type: ignore[attr-defined]
                c.last_status or "",  # type: ignore[attr-defined]
                c.verified_status or "",  # type: ignore[attr-defined]
                c.last_as_of,  # type: ignore[attr-defined]
                "；".join(t.text for t in c.targets.all()),
            ]
        )
    return rows


@login_required
def plain_export(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = _export_rows(_report(request))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return HttpResponse(
            ("\ufeff" + buf.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(COLUMNS)
    fill = PatternFill("solid", fgColor="c6efce")
    for r, row in enumerate(rows, start=2):
        ws.append(row)
        ws.cell(row=r, column=10).fill = fill
        ws.cell(row=r, column=8).number_format = "yyyy-mm-dd"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


urlpatterns = [
    path("__plain__/ledger/", plain_ledger),
    path("__plain__/dashboard/", plain_dashboard),
    re_path(r"^__plain__/export\.(?P<fmt>csv|xlsx)$", plain_export),
    path("", include("tracker.urls")),
]
