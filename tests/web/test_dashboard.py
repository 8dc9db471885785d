"""Dashboard: totals by lamp, progress by chapter and by department, the ten practical
matters, the pollution targets, overdue and stale lists; scoped to what the viewer sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse, set_script_prefix

from commitments.models import Commitment, Target
from commitments.rules import Rag
from commitments.selectors import dashboard as dashboard_selectors
from commitments.selectors.dashboard import dashboard_build
from commitments.selectors.states import commitment_states
from commitments.services.progress import update_review_accept
from commitments.services.status import status_invalidate, status_refresh
from commitments.views.base import pk_href
from tests.support.factories import (
    CommitmentFactory,
    DepartmentFactory,
    ReportFactory,
    SectionFactory,
)
from tests.support.webutil import make_cast, record

DAY = dt.datetime(2017, 9, 30, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def test_totals_match_a_ledger_counted_by_hand(cast):
    """Six commitments written so that each shows a different lamp on 30 September
    (74.7% of the year gone): the expected figures below are counted by hand from what
    the test wrote, not from the selector."""
    report = ReportFactory.create(place="样例市")
    one = SectionFactory.create(report=report, key="2.1", label="（一）", title="甲章", order=1)
    two = SectionFactory.create(report=report, key="2.2", label="（二）", title="乙章", order=2)
    roads, water = (
        DepartmentFactory.create(name="样例交通局"),
        DepartmentFactory.create(name="样例水利局"),
    )

    def item(section, unit, **kw):
        return CommitmentFactory.create(report=report, section=section, lead_unit=unit, **kw)

    done = item(one, roads)
    overdue = item(one, roads, due_date=dt.date(2017, 6, 30))
    on_track = item(one, roads, weight=2)
    behind = item(two, water)
    not_started = item(two, water, start_date=dt.date(2017, 9, 20))
    late = item(two, None, due_date=dt.date(2017, 6, 30))
    accepted = record(
        done, cast.reporter, as_of=dt.date(2017, 9, 1), status="completed", percent=None
    )
    record(on_track, cast.reporter, as_of=dt.date(2017, 9, 25), percent="70")
    record(behind, cast.reporter, as_of=dt.date(2017, 9, 25), percent="30")
    record(
        not_started, cast.reporter, as_of=dt.date(2017, 9, 25), status="not_started", percent=None
    )
    accepted_late = record(
        late, cast.reporter, as_of=dt.date(2017, 7, 15), status="completed", percent=None
    )
    # a completion counts as done once the office accepts it (before, it is only claimed)
    update_review_accept(update=accepted, reviewer=cast.supervisor)
    update_review_accept(update=accepted_late, reviewer=cast.supervisor)

    board = dashboard_build(
        report=report, commitments=Commitment.objects.all(), day=dt.date(2017, 9, 30)
    )
    assert board.total == 6
    assert {rag: n for rag, _, n, _ in board.by_rag} == {
        Rag.RED: 1, Rag.YELLOW: 1, Rag.GREEN: 1, Rag.NOT_STARTED: 1,
        Rag.COMPLETED_LATE: 1, Rag.COMPLETED: 1, Rag.CLAIMED: 0,
    }  # fmt: skip
    assert board.percent == 52.9  # weighted: (100 + 0 + 70×2 + 30 + 0 + 100) / 7
    assert board.verified_completed == 2  # the two accepted completions
    assert [(g.name, g.total) for g in board.chapters] == [("（一）甲章", 3), ("（二）乙章", 3)]
    assert [(g.name, g.total, g.counts[Rag.COMPLETED]) for g in board.departments] == [
        ("样例交通局", 3, 1),
        ("样例水利局", 2, 0),
        ("（未分配）", 1, 0),
    ]
    assert [r.commitment.pk for r in board.overdue] == [overdue.pk]
    assert board.overdue[0].state.status.overdue_days == 92


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
    body = cast.client("supervisor").get("/dashboard/").content.decode()
    assert "十件实事" in body
    assert "59/118条" in body
    # leaders read verified figures first: the unreviewed reading is not theirs yet
    assert "59/118条" not in cast.client("leader").get("/dashboard/").content.decode()
    assert "59/118条" in cast.client("leader").get("/dashboard/?basis=claimed").content.decode()


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


def test_a_panel_shows_its_most_urgent_items_and_how_many_there_are(cast, monkeypatch):
    """The pollution panel is bounded: past PANEL_LIMIT it shows the items that need
    attention most (by lamp), in report order, says how many there are and links to all of
    them in the ledger. Today (from the stored status) and a past day (from the history)
    choose the same items."""
    monkeypatch.setattr(dashboard_selectors, "PANEL_LIMIT", 3)
    with_targets = Commitment.objects.filter(kind="pollution", targets__isnull=False).distinct()
    assert with_targets.count() > 3
    red = with_targets.order_by("-seq").first()
    assert red is not None
    Commitment.objects.filter(pk=red.pk).update(due_date=dt.date(2017, 6, 30))
    status_invalidate([red.pk])
    everyone = Commitment.objects.all()
    day = dt.date(2017, 9, 30)
    today = dashboard_build(
        report=cast.report, commitments=everyone, day=day, refresh=status_refresh
    )
    history = dashboard_build(report=cast.report, commitments=everyone, day=day)
    for board in (today, history):
        shown = [r.commitment for r in board.pollution]
        assert len(shown) == 3 and board.pollution_total == with_targets.count()
        assert red in shown  # the overdue one, last in the report, is among them
        assert [c.seq for c in shown] == sorted(c.seq for c in shown)
        urgency = [Rag.SHOWN_ORDER.index(r.shown.rag) for r in board.pollution]
        left_out = [
            Rag.SHOWN_ORDER.index(history_state.shown.rag)
            for pk, history_state in commitment_states(with_targets, day=day).items()
            if pk not in {c.pk for c in shown}
        ]
        assert max(urgency) <= min(left_out)
    assert [r.commitment.pk for r in today.pollution] == [
        r.commitment.pk for r in history.pollution
    ]
    body = cast.client("supervisor").get("/dashboard/?basis=claimed").content.decode()
    assert f"共 {with_targets.count()} 项，这里显示最需关注的 3 项" in body
    assert "kind=pollution" in body


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
    # an unreviewed completion is claimed, not done
    assert dept.total == 1 and dept.counts[Rag.CLAIMED] == 1 and dept.percent == 100.0
    assert dept.counts[Rag.COMPLETED] == 0
    assert board.chapters[0].name == "主要预期目标"


def test_a_reporter_sees_only_their_departments_figures(cast):
    body = cast.client("reporter").get("/dashboard/").content.decode()
    assert '<text x="21" y="20" text-anchor="middle" class="donut-n">2</text>' in body


def test_charts_are_server_rendered_without_cdn(cast):
    body = cast.client("leader").get("/dashboard/").content.decode()
    assert "<svg" in body and 'class="seg seg-' in body
    assert "cdn" not in body.lower() and "https://" not in body.split("<body")[0]


def test_every_item_on_the_board_links_to_its_own_page(cast):
    """The panels and lists link each item to its page (the links are filled in once per
    page, not reversed per row): the same address ``reverse`` gives, also under a script
    prefix (the app served below a sub-path)."""
    Commitment.objects.filter(pk=cast.theirs.pk).update(due_date=dt.date(2017, 6, 30))
    status_invalidate([cast.theirs.pk])
    body = cast.client("supervisor").get("/dashboard/").content.decode()
    matters = Commitment.objects.filter(report=cast.report, kind="practical_matter")
    assert matters.count() == 10
    for c in [*matters, cast.theirs]:
        assert f'href="{reverse("commitment", args=[c.pk])}"' in body, c.code
    assert f'href="/c/{cast.theirs.pk}/"' in body
    set_script_prefix("/duban/")
    try:
        assert pk_href("commitment")(cast.theirs.pk) == f"/duban/c/{cast.theirs.pk}/"
    finally:
        set_script_prefix("/")


def test_a_pollution_target_row_shows_its_figures_and_bar():
    """The pollution table's cells of a target (``target_cells``): baseline, target and
    reading with the unit, the bar's width as a class with the percent beside it; a
    qualitative target says so and shows no figures and no bar."""
    from django.utils import translation

    from commitments.selectors.dashboard import TargetRow
    from commitments.templatetags.duban import target_cells

    pm25 = Target(
        metric="PM2.5年均浓度", unit="微克/立方米", value=Decimal("70.0000"),
        baseline_value=Decimal("84.0000"), direction=Target.Direction.DECREASE,
    )  # fmt: skip
    assert str(target_cells(TargetRow(pm25, reading=Decimal("77.5"), fraction=0.5))) == (
        '<td>PM2.5年均浓度</td><td class="num">84微克/立方米</td>'
        '<td class="num">70微克/立方米</td><td class="num">77.5微克/立方米</td>'
        '<td class="barcol"><div class="bar thin"><span class="fill fill-green w-50">'
        '</span></div><span class="pctnum">50.0%</span></td>'
    )
    ban = Target(
        metric="散煤<清零>", text="全面完成城市建成区散煤清零工作", unit="", value=None,
        direction=Target.Direction.ACHIEVE,
    )  # fmt: skip
    qualitative = (
        '<td>散煤&lt;清零&gt; <span class="meta">{}：全面完成城市建成区散煤清零工作</span></td>'
        '<td class="num">—</td><td class="num">—</td><td class="num">—</td>'
        '<td class="barcol"><span class="muted">—</span></td>'
    )
    row = TargetRow(ban, reading=None, fraction=None)
    assert str(target_cells(row)) == qualitative.format("定性")
    with translation.override("en"):
        assert str(target_cells(row)) == qualitative.format("Qualitative")


def test_a_matters_target_shows_reading_over_target_and_a_qualitative_one_nothing():
    from commitments.selectors.dashboard import TargetRow
    from commitments.templatetags.duban import matter_target

    roads = Target(
        metric="市政道路", text="实施118条市政道路建设", unit="条", value=Decimal("118.0000"),
        direction=Target.Direction.INCREASE,
    )  # fmt: skip
    assert str(matter_target(TargetRow(roads, reading=Decimal(59), fraction=0.5))) == (
        '<div class="m-target"><span class="m-metric" title="实施118条市政道路建设">市政道路'
        '</span><span class="m-fig">59/118条</span><div class="bar thin">'
        '<span class="fill fill-green w-50"></span></div></div>'
    )
    unread = TargetRow(roads, reading=None, fraction=0.0)
    assert '<span class="m-fig">—/118条</span>' in str(matter_target(unread))
    water = Target(metric="饮水", text="解决贫困村饮水问题", value=None, direction="achieve")
    assert str(matter_target(TargetRow(water, reading=None, fraction=None))) == ""


def test_a_stacked_bar_has_a_segment_per_lamp_with_its_count():
    from commitments.templatetags.duban import stack

    assert str(stack([(Rag.RED, 2, 12.5), (Rag.COMPLETED, 14, 87.5)])) == (
        '<span class="seg seg-red w-12" title="红灯·逾期未完成 2"></span>'
        '<span class="seg seg-completed w-88" title="已完成 14"></span>'
    )
    assert str(stack([])) == ""


def test_screens_do_not_read_the_reports_whole_text(cast):
    """The ledger, its filter and the dashboard (with its report picker) never load a
    report's source text: tens of KB per report, on every request, for a title and a year."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ReportFactory.create(place="样例市", source_text="全文" * 20000)
    client = cast.client("supervisor")
    for path, headers in (("/", {}), ("/", {"HX-Request": "true"}), ("/dashboard/", {})):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, {"report": cast.report.pk}, headers=headers)
        assert response.status_code == 200
        if not headers:  # the full page offers the other report in its picker
            assert "2017 样例市" in response.content.decode()
        read = [q["sql"] for q in ctx.captured_queries if "source_text" in q["sql"]]
        assert not read, (path, read)
