"""The ledger (台账): filters, sort, pagination, filter state in the URL, htmx partial,
and a query count that does not grow with the number of rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Commitment, ProgressUpdate, Target, TargetReading
from tests.support.factories import DepartmentFactory, ReportFactory, SectionFactory, UserFactory
from tests.support.html import parse
from tests.support.webutil import make_cast, record

DAY = dt.datetime(2017, 9, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def codes(body: str, cast) -> set[str]:
    return {c for c in cast.report.commitments.values_list("code", flat=True) if f">{c}<" in body}


def row_lamps(body: str) -> dict[str, list[str]]:
    """Each row's code and the lamp classes inside its status cell (the filter chips and
    the counts above the table have lamps too; only the rows' own are read here)."""
    table = parse(body).find("div", id="ledger-table").find("tbody")
    out = {}
    for tr in table.find_all("tr"):
        code = tr.find("td", cls="code").text.strip()
        out[code] = [
            next(k for k in lamp.classes if k.startswith("lamp-"))
            for lamp in tr.find("td", cls="rag").find_all("span", cls="lamp")
        ]
    return out


def test_ledger_lists_the_report_with_lamps_and_units(cast):
    Commitment.objects.filter(pk=cast.theirs.pk).update(due_date=dt.date(2017, 6, 30))
    record(cast.mine, cast.reporter, as_of=dt.date(2017, 9, 25), status="completed", percent=None)
    body = cast.client("supervisor").get("/").content.decode()
    assert "2017年安阳市政府工作报告" in body
    total = cast.report.commitments.count()
    assert f"共 {total} 项" in body
    lamps = row_lamps(body)
    assert len(lamps) == 50  # the first page
    assert all(len(found) == 1 for found in lamps.values())  # one lamp per row
    assert lamps[cast.theirs.code] == ["lamp-red"]  # overdue since 30 June
    body = cast.client("supervisor").get("/", {"kind": "practical_matter"}).content.decode()
    lamps = row_lamps(body)
    assert lamps[cast.mine.code] == ["lamp-claimed"]  # claimed complete, not yet reviewed
    assert lamps[cast.shared.code] == ["lamp-yellow"]  # no update, 74% of the year gone
    row = next(tr for tr in parse(body).find("tbody").find_all("tr") if cast.mine.code in tr.text)
    assert "市测试住建局" in row.find("td", cls="unit").text


def test_filters_narrow_the_list_and_live_in_the_url(cast):
    client = cast.client("supervisor")
    body = client.get("/", {"kind": "practical_matter"}).content.decode()
    assert "共 10 项" in body
    body = client.get("/", {"department": cast.dept.pk}).content.decode()
    assert codes(body, cast) == {cast.mine.code, cast.shared.code}  # lead and co-unit
    body = client.get("/", {"q": "118条"}).content.decode()
    assert codes(body, cast) == {cast.mine.code}
    chapter = (
        cast.theirs.section
        if cast.theirs.section.level == "chapter"
        else cast.theirs.section.parent
    )
    body = client.get("/", {"chapter": chapter.pk}).content.decode()
    found = codes(body, cast)
    assert cast.theirs.code in found and cast.mine.code not in found
    # the export links carry the same filter
    body = client.get("/", {"kind": "pollution", "q": "锅炉"}).content.decode()
    assert "/ledger/export.xlsx?kind=pollution&amp;q=%E9%94%85%E7%82%89" in body


def test_unassigned_filter(cast):
    body = cast.client("supervisor").get("/", {"department": "none"}).content.decode()
    found = codes(body, cast)
    assert cast.mine.code not in found and cast.theirs.code not in found
    assert len(found) > 0


def test_rag_and_overdue_filters_use_the_status_rules(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(due_date=dt.date(2017, 6, 30))
    record(cast.shared, cast.reporter, as_of=dt.date(2017, 9, 25), status="completed", percent=None)
    client = cast.client("supervisor")
    body = client.get("/", {"rag": "red"}).content.decode()
    assert codes(body, cast) == {cast.mine.code}
    body = client.get("/", {"overdue": "on"}).content.decode()
    assert codes(body, cast) == {cast.mine.code}
    body = client.get("/", {"rag": ["completed", "red"]}).content.decode()
    assert codes(body, cast) == {cast.mine.code}  # the completion is claimed, not reviewed
    body = client.get("/", {"rag": ["claimed", "red"]}).content.decode()
    assert codes(body, cast) == {cast.mine.code, cast.shared.code}


def test_sort_by_due_date_and_percent(cast):
    Commitment.objects.filter(pk=cast.theirs.pk).update(due_date=dt.date(2017, 3, 1))
    record(cast.mine, cast.reporter, percent="90", as_of=dt.date(2017, 9, 25))
    client = cast.client("supervisor")
    body = client.get("/", {"sort": "due"}).content.decode()
    first_row = body.split("<tbody>")[1]
    assert first_row.index(cast.theirs.code) < first_row.index("</tr>")
    body = client.get("/", {"sort": "percent", "kind": "practical_matter"}).content.decode()
    rows = body.split("<tbody>")[1].split("</tr>")
    assert cast.mine.code in rows[0]


def test_pagination_keeps_the_filters(cast):
    client = cast.client("supervisor")
    body = client.get("/", {"kind": "general"}).content.decode()
    assert "第 1 / " in body
    assert "?kind=general&amp;page=2" in body
    page2 = client.get("/", {"kind": "general", "page": 2}).content.decode()
    assert "第 2 / " in page2


def test_htmx_gets_only_the_table_partial(cast):
    client = cast.client("reporter")
    full = client.get("/")
    partial = client.get("/", {"q": "118条"}, HTTP_HX_REQUEST="true")
    assert "<html" in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body
    assert body.strip().startswith('<div id="ledger-table"')
    assert codes(body, cast) == {cast.mine.code}
    # every hx-get link also has a plain href to the same place
    import re

    for href, hx in re.findall(r'<a href="([^"]*)" hx-get="([^"]*)"', body):
        assert hx == "/" + href
    assert all("href=" in tag for tag in re.findall(r"<a [^>]*>", body))
    assert all("href=" in tag for tag in re.findall(r"<a [^>]*hx-get[^>]*>", body))


def test_the_filter_form_works_without_javascript(cast):
    body = cast.client("reporter").get("/").content.decode()
    assert '<form class="filters" method="get" action="/"' in body
    assert 'hx-get="/"' in body
    assert 'hx-headers=\'{"X-CSRFToken":' in body


def test_invalid_filter_values_do_not_break_the_page(cast):
    response = cast.client("supervisor").get(
        "/", {"kind": "nonsense", "as_of": "notadate", "page": "x"}
    )
    assert response.status_code == 200
    table = parse(response.content).find("div", id="ledger-table")
    errors = [p.text for p in table.find("div", cls="errors").find_all("p")]
    assert len(errors) == 2  # the kind and the date are each named, nothing else
    assert any("nonsense" in e for e in errors)
    # the unfiltered ledger is shown, from its first page
    assert f"共 {cast.report.commitments.count()} 项" in table.text
    assert "第 1 / " in table.text
    assert len(row_lamps(response.content.decode())) == 50


def test_as_of_in_the_ledger_rebuilds_the_lamps(cast):
    record(
        cast.mine,
        cast.reporter,
        as_of=dt.date(2017, 8, 25),
        status="completed",
        percent=None,
        created_at=dt.datetime(2017, 8, 25, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    )
    client = cast.client("supervisor")
    now = client.get("/", {"rag": "claimed"}).content.decode()
    assert cast.mine.code in now
    before = client.get("/", {"rag": "claimed", "as_of": "2017-08-01"}).content.decode()
    assert f">{cast.mine.code}<" not in before
    assert "历史回溯" in before


def _big_ledger(n: int):
    """A report of n commitments, each with two targets, co-units and a few updates."""
    report = ReportFactory.create(place=f"大市{n}", year=2017)
    section = SectionFactory.create(report=report, key="2.1")
    units = [DepartmentFactory.create(name=f"大局{i}") for i in range(5)]
    author = UserFactory.create(username=f"bulk{n}")
    cs = Commitment.objects.bulk_create(
        Commitment(
            report=report,
            section=section,
            code=f"B-{i:05d}",
            seq=i + 1,
            text=f"第{i}项任务。",
            start=0,
            end=5,
            start_date=dt.date(2017, 1, 1),
            due_date=dt.date(2017, 12, 31),
            parsed_due_date=dt.date(2017, 12, 31),
            lead_unit=units[i % 5],
        )
        for i in range(n)
    )
    Commitment.co_units.through.objects.bulk_create(
        Commitment.co_units.through(commitment_id=c.pk, department_id=units[(i + 1) % 5].pk)
        for i, c in enumerate(cs)
    )
    targets = Target.objects.bulk_create(
        Target(
            commitment=c,
            order=k,
            metric="指标",
            value=Decimal(100),
            unit="个",
            text="100个",
            start=0,
            end=1,
        )
        for c in cs
        for k in (1, 2)
    )
    updates = ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            commitment=c,
            author=author,
            as_of=dt.date(2017, m, 25),
            claimed_status="in_progress",
            percent=Decimal(10 * m),
            created_at=dt.datetime(2017, m, 25, tzinfo=dt.UTC),
        )
        for c in cs
        for m in (3, 6)
    )
    by_c: dict[int, list[ProgressUpdate]] = {}
    for u in updates:
        by_c.setdefault(u.commitment_id, []).append(u)
    TargetReading.objects.bulk_create(
        TargetReading(update=u, target=t, value=Decimal(20))
        for t in targets
        for u in by_c[t.commitment_id]
    )
    return report


def _queries(client, path, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_rows(cast, django_assert_max_num_queries):
    small, big = _big_ledger(8), _big_ledger(400)
    client = cast.client("supervisor")
    for path in ("/", "/dashboard/"):
        # The first read after writes recomputes the stale stored statuses (in batches
        # whose number depends on the database's limits); then every read costs the same.
        _queries(client, path, {"report": small.pk})
        _queries(client, path, {"report": big.pk})
        q_small = _queries(client, path, {"report": small.pk})
        q_big = _queries(client, path, {"report": big.pk})
        assert q_small == q_big, (path, q_small, q_big)
    with django_assert_max_num_queries(20):
        client.get("/", {"report": big.pk, "sort": "-percent"})
    with django_assert_max_num_queries(20):
        client.get(
            "/",
            {"report": big.pk, "q": "任务", "department": "", "rag": "yellow"},
            HTTP_HX_REQUEST="true",
        )
    body = client.get("/", {"report": big.pk}).content.decode()
    assert "共 400 项" in body and "第 1 / 8 页" in body
