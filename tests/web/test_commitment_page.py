"""The commitment page: the verbatim sentence with its chapter and topic, targets with
actual-vs-target bars and 2016 baselines, milestones, the timeline with evidence, claimed
and verified status side by side, and the change history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import Commitment, Milestone, Target
from commitments.services.assignment import commitment_assign
from commitments.services.progress import update_review_accept, update_review_return
from tests.support.webutil import make_cast, record


@pytest.fixture
def cast(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return make_cast(anyang)


def test_full_sentence_with_chapter_and_topic(cast):
    c = (
        cast.report.commitments.filter(section__level="topic")
        .select_related("section__parent")
        .first()
    )
    Commitment.objects.filter(pk=c.pk).update(lead_unit=cast.dept)
    body = cast.client("reporter").get(f"/c/{c.pk}/").content.decode()
    assert c.text in body
    assert c.section.title in body  # topic, e.g. 扩大有效投资
    assert c.section.parent.title in body  # chapter


def test_targets_show_actual_against_target_and_the_baseline(cast):
    baseline = (
        Target.objects.filter(commitment__report=cast.report, baseline_value__isnull=False)
        .select_related("commitment")
        .first()
    )
    assert baseline is not None and baseline.value is not None
    c = baseline.commitment
    Commitment.objects.filter(pk=c.pk).update(lead_unit=cast.dept)
    value = (baseline.value * Decimal("0.5")).quantize(Decimal("0.01"))
    record(c, cast.reporter, readings={baseline: value}, percent=None)
    body = cast.client("reporter").get(f"/c/{c.pk}/").content.decode()
    assert "2016年基数" in body
    from commitments.templatetags.duban import num

    assert num(baseline.baseline_value) + baseline.unit in body
    assert num(value) + baseline.unit in body
    assert 'class="fill fill-green w-' in body  # bar widths are classes (no inline style: CSP)


def test_practical_matter_shows_each_sub_target(cast):
    t1, t2, t3 = cast.mine.targets.filter(value__isnull=False).order_by("order")[:3]
    record(
        cast.mine,
        cast.reporter,
        readings={t1: Decimal(59), t2: Decimal(25), t3: Decimal(15)},
        percent=None,
    )
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "118条" in body and "59条" in body and "25条" in body
    assert "fill-green w-100" in body  # 15 of 15 overhauled


def test_claimed_and_verified_side_by_side(cast):
    first = record(
        cast.mine,
        cast.reporter,
        percent=None,
        as_of=dt.date(2017, 5, 31),
        readings={cast.mine.targets.order_by("order").first(): Decimal(30)},
    )
    update_review_accept(update=first, reviewer=cast.supervisor)
    record(
        cast.mine,
        cast.reporter,
        percent=None,
        as_of=dt.date(2017, 6, 30),
        readings={cast.mine.targets.order_by("order").first(): Decimal(59)},
    )
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    card = body[body.index('id="status-card"') : body.index('class="facts"')]
    assert "填报状态" in card and "审核确认" in card
    assert "2017-06-30" in card and "2017-05-31" in card


def test_timeline_with_evidence_and_review(cast):
    u = record(
        cast.mine,
        cast.reporter,
        narrative="完成路面铺设。",
        files=[SimpleUploadedFile("现场照片.jpg", b"\xff\xd8\xff\xe0JPEG", "image/jpeg")],
        links=["https://www.anyang.gov.cn/a"],
    )
    update_review_return(update=u, reviewer=cast.supervisor, comment="照片不清晰")
    body = cast.client("manager").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "完成路面铺设。" in body
    assert f"/evidence/{u.evidence.exclude(file='').get().pk}/" in body
    assert "现场照片.jpg" in body
    assert "https://www.anyang.gov.cn/a" in body
    assert "照片不清晰" in body and "已退回" in body


def test_milestones_and_history(cast):
    Milestone.objects.create(commitment=cast.mine, title="完成招标", due_date=dt.date(2017, 4, 30))
    commitment_assign(
        commitment=cast.mine,
        by=cast.supervisor,
        lead_unit=cast.dept,
        co_units=[cast.other_dept],
        responsible_person="赵处长",
        start_date=dt.date(2017, 1, 1),
        due_date=dt.date(2017, 11, 30),
    )
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "完成招标" in body and "2017-04-30" in body
    history = body[body.index("变更记录") :]
    assert "赵处长" in history
    assert "2017-11-30" in history
    assert "市测试交通局" in history  # co-unit change in the history


def test_update_form_only_for_those_who_may_update(cast):
    assert 'id="record"' in cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert 'id="record"' not in cast.client("leader").get(f"/c/{cast.mine.pk}/").content.decode()
    # one input per numeric target, labelled with its metric
    body = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    for t in cast.mine.targets.filter(value__isnull=False):
        assert f'name="target_{t.pk}"' in body


def test_missing_commitment_is_404(cast):
    assert cast.client("supervisor").get("/c/999999/").status_code == 404
