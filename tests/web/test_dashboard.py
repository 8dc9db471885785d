"""Dashboard: totals by lamp, progress by chapter and by department, the ten practical
matters, the pollution targets, overdue and stale lists; scoped to what the viewer sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from commitments.models import Commitment, Target
from commitments.rules import Rag
from commitments.selectors.dashboard import dashboard_build
from tests.support.webutil import make_cast, record

DAY = dt.datetime(2017, 9, 30, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def test_totals_add_up(cast):
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    assert board.total == cast.report.commitments.count()
    assert sum(n for _, _, n, _ in board.by_rag) == board.total
    assert sum(g.total for g in board.chapters) == board.total
    assert sum(g.total for g in board.departments) == board.total


def test_ten_practical_matters_with_their_targets(cast):
    t = cast.mine.targets.filter(value__isnull=False).order_by("order").first()
    record(
        cast.mine,
        cast.reporter,
        readings={t: Decimal(59)},
        percent=None,
        as_of=dt.date(2017, 9, 25),
    )
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    assert [m.commitment.matter_number for m in board.matters] == list(range(1, 11))
    first = board.matters[0]
    row = next(r for r in first.targets if r.target.pk == t.pk)
    assert row.reading == 59 and row.percent == 50.0
    body = cast.client("leader").get("/dashboard/").content.decode()
    assert "十件实事" in body
    assert "59/118条" in body


def test_pollution_panel_lists_pollution_targets(cast):
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    assert board.pollution
    assert all(p.commitment.kind == "pollution" for p in board.pollution)
    body = cast.client("supervisor").get("/dashboard/").content.decode()
    assert "污染防治目标" in body
    some = Target.objects.filter(commitment__kind="pollution").first()
    assert some is not None
    assert some.metric[:10] in body


def test_overdue_and_stale_lists(cast):
    Commitment.objects.filter(pk=cast.theirs.pk).update(due_date=dt.date(2017, 6, 30))
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    assert [r.commitment.pk for r in board.overdue] == [cast.theirs.pk]
    assert board.overdue[0].state.status.rag == Rag.RED
    assert board.stale_total > 0  # nobody has reported on most items by September
    body = cast.client("supervisor").get("/dashboard/").content.decode()
    assert "逾期 92 天" in body


def test_by_department_and_by_chapter(cast):
    record(cast.mine, cast.reporter, status="completed", percent=None, as_of=dt.date(2017, 9, 1))
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    dept = next(g for g in board.departments if g.name == "市测试住建局")
    assert dept.total == 1 and dept.counts[Rag.COMPLETED] == 1 and dept.percent == 100.0
    assert board.chapters[0].name == "主要预期目标"


def test_a_reporter_sees_only_their_departments_figures(cast):
    body = cast.client("reporter").get("/dashboard/").content.decode()
    assert '<text x="21" y="20" text-anchor="middle" class="donut-n">2</text>' in body


def test_charts_are_server_rendered_without_cdn(cast):
    body = cast.client("leader").get("/dashboard/").content.decode()
    assert "<svg" in body and 'class="seg seg-' in body
    assert "cdn" not in body.lower() and "https://" not in body.split("<body")[0]
