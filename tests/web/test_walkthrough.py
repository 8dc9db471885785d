"""What the walk-through found on screen, each pinned by a test: plain decimals in the
correction form, a future as-of day said out loud, chapter names, "none for your unit",
the chapter filter, the targets table after an update, no silent truncation, long
narratives collapsed, implausible readings confirmed, one unit name in pinyin order, the
admin in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django import forms
from django.contrib.auth import get_user_model

from commitments.filters import LedgerFilter
from commitments.forms import AssignForm, decimal_plain
from commitments.models import Commitment, Department, ProgressUpdate, Section
from commitments.selectors.dashboard import dashboard_build
from commitments.selectors.sections import report_chapter_labels
from commitments.selectors.units import units_in_order
from commitments.services.progress import update_review_return
from tests.support.factories import DepartmentFactory
from tests.support.webutil import make_cast, record

FROZEN = dt.datetime(2017, 7, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang):
    with time_machine.travel(FROZEN, tick=False):
        yield make_cast(anyang)


def roads(cast):
    """十件实事 1: 118 roads, of which 50 built and 15 overhauled."""
    return list(cast.mine.targets.filter(value__isnull=False).order_by("order"))


def form_data(cast, **overrides) -> dict:
    data = {"claimed_status": "in_progress", "as_of": "2017-06-30", "narrative": "按计划推进。"}
    for t in roads(cast):
        data[f"target_{t.pk}"] = ""
    data.update(overrides)
    return data


def test_the_correction_form_prefills_plain_decimals(cast):
    t = roads(cast)[0]
    update = record(cast.mine, cast.reporter, readings={t: Decimal("250")})
    update_review_return(update=update, reviewer=cast.supervisor, comment="请核对")
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/?corrects={update.pk}").content.decode()
    found = re.search(rf'<input[^>]*name="target_{t.pk}"[^>]*>', body)
    assert found is not None
    field = found.group(0)
    assert 'value="250"' in field
    assert "E+" not in field
    assert [decimal_plain(Decimal(v)) for v in ("250.0000", "2.50", "0.0750", "-0")] == [
        "250",
        "2.5",
        "0.075",
        "0",
    ]


def test_a_future_as_of_day_is_said_on_the_dashboard(cast):
    client = cast.client("leader")
    body = client.get("/dashboard/", {"as_of": "2017-12-31"}).content.decode()
    assert "所选日期晚于今天，已按今天显示" in body
    assert "2017年7月3日" in body
    assert (
        "所选日期晚于今天"
        not in client.get("/dashboard/", {"as_of": "2017-05-01"}).content.decode()
    )
    partial = client.get("/dashboard/", {"as_of": "2018-01-01"}, HTTP_HX_REQUEST="true")
    assert "所选日期晚于今天" in partial.content.decode()


def test_chapter_names_do_not_repeat_and_part_preambles_are_named(cast):
    labels = report_chapter_labels(cast.report)
    matters = Section.objects.get(report=cast.report, key="2.S")
    assert labels[matters.pk] == matters.title  # not "二十件实事办好…“十件实事”"
    assert not [name for name in labels.values() if name.startswith("二十件实事")]
    assert labels[Section.objects.get(report=cast.report, key="3.1").pk].startswith("三（一）")
    board = dashboard_build(
        report=cast.report, commitments=Commitment.objects.all(), day=dt.date(2017, 6, 30)
    )
    names = [g.name for g in board.chapters]
    assert "三、加强政府自身建设" in names
    assert "其他" not in names
    assert names.index("三、加强政府自身建设") < names.index(
        labels[Section.objects.get(report=cast.report, key="3.1").pk]
    )


def test_a_reporter_is_told_their_unit_runs_no_matter(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(lead_unit=cast.other_dept)
    Commitment.objects.get(pk=cast.shared.pk).co_units.clear()
    body = cast.client("reporter").get("/dashboard/").content.decode()
    assert "本单位没有负责的十件实事" in body
    assert "本报告没有十件实事" not in body


def test_the_ledger_offers_only_chapters_that_hold_commitments(cast):
    choices = dict(LedgerFilter(report=cast.report).filters["chapter"].extra["choices"])
    review_part = Section.objects.filter(report=cast.report, key__startswith="1.", level="chapter")
    assert review_part.exists()
    assert not set(choices) & {str(s.pk) for s in review_part}
    client = cast.client("supervisor")
    for pk in choices:
        assert "没有符合条件的任务" not in client.get("/", {"chapter": pk}).content.decode(), pk


def test_after_an_update_the_targets_table_is_refreshed_out_of_band(cast):
    t = roads(cast)
    response = cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/",
        form_data(cast, **{f"target_{t[0].pk}": "59"}),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    card = body[body.index('id="targets-card"') :]
    assert 'id="targets-card" hx-swap-oob="true"' in body
    assert "59条" in card[: card.index("</section>")]


def test_text_over_the_limit_is_refused_with_a_message_not_cut(cast):
    client = cast.client("reporter")
    page = client.get(f"/c/{cast.mine.pk}/").content.decode()
    assert " maxlength=" not in page
    assert 'data-maxlength="5000"' in page
    response = client.post(f"/c/{cast.mine.pk}/update/", form_data(cast, narrative="很" * 5001))
    assert response.status_code == 422
    assert "最多 5000 字，现有 5001 字" in response.content.decode()
    assert ProgressUpdate.objects.count() == 0


def test_long_narratives_are_collapsed_in_the_timeline(cast):
    record(cast.mine, cast.reporter, narrative="长" * 400)
    record(cast.mine, cast.reporter, narrative="短的进展。")
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert '<details class="tl-text tl-long">' in body and "展开" in body
    assert body.count('class="tl-text tl-long"') == 1
    assert '<p class="tl-text">短的进展。</p>' in body


def test_an_implausible_reading_is_confirmed_before_it_is_saved(cast):
    t = roads(cast)[0]  # 118 roads
    client = cast.client("reporter")
    data = form_data(cast, **{f"target_{t.pk}": "5000"})
    response = client.post(f"/c/{cast.mine.pk}/update/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "是目标 118条 的 42.4 倍" in body
    assert 'name="confirm_readings"' in body
    assert ProgressUpdate.objects.count() == 0
    response = client.post(f"/c/{cast.mine.pk}/update/", {**data, "confirm_readings": "on"})
    assert response.status_code == 302
    assert ProgressUpdate.objects.get().readings.get().value == 5000
    # a plausible reading needs no confirmation
    ok = client.post(f"/c/{cast.mine.pk}/update/", form_data(cast, **{f"target_{t.pk}": "300"}))
    assert ok.status_code == 302


def test_one_unit_name_everywhere_in_pinyin_order(cast):
    cast.dept.short_name = "测试住建"
    cast.dept.save()
    body = cast.client("supervisor").get("/", {"q": cast.shared.code}).content.decode()
    assert "配合：市测试住建局" in body  # co-unit by its full name, like the lead unit
    assert "测试住建<" not in body
    DepartmentFactory(name="市财政局")
    DepartmentFactory(name="市交通运输局")
    DepartmentFactory(name="市安全生产监督管理局")
    names = [d.name for d in units_in_order()]
    assert (
        names.index("市安全生产监督管理局") < names.index("市财政局") < names.index("市交通运输局")
    )
    ledger_units = [
        label
        for value, label in LedgerFilter(report=cast.report).filters["department"].extra["choices"]
    ][1:]
    assert ledger_units == names
    lead_unit = AssignForm().fields["lead_unit"]
    assert isinstance(lead_unit, forms.ModelChoiceField)
    form_units = [str(label) for value, label in list(lead_unit.choices)][1:]  # type: ignore[arg-type]
    assert form_units == names
    assert str(Department.objects.get(name="市测试住建局")) == "市测试住建局"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.gov.cn", "pw-12345678")


def test_the_admin_speaks_chinese(client, superuser, anyang):
    client.force_login(superuser)
    index = client.get("/admin/").content.decode()
    assert "任务结果" in index and "Celery Results" not in index
    changelist = client.get("/admin/commitments/commitment/").content.decode()
    assert "摘要" in changelist and "Short text" not in changelist
    assert "以 上级章节" in changelist and "以 parent" not in changelist
