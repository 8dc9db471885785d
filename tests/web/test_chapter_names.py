"""A chapter has one name everywhere (``selectors.sections.chapter_labels``): the
dashboard, the ledger's filter and rows, the commitment page, the export and the
summaries. In the 2017 report parts 二 and 三 both number their chapters from （一）, so
the part's number goes in front."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.filters import LedgerFilter
from commitments.jobs.models import Summary
from commitments.jobs.summaries import summary_figures
from commitments.models import Commitment, Section
from commitments.selectors.dashboard import dashboard_build
from commitments.selectors.exports import COLUMNS, export_queryset, ledger_rows
from commitments.selectors.sections import chapter_labels, chapter_of, chapters_with_commitments
from commitments.selectors.states import commitment_states
from tests.support.factories import ReportFactory, SectionFactory
from tests.support.webutil import make_cast

DAY = dt.date(2017, 6, 30)


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def test_a_chapter_is_named_alike_on_every_screen_export_and_summary(cast):
    chapter = Section.objects.get(report=cast.report, key="2.1")
    c = Commitment.objects.filter(section__in=[chapter, *chapter.children.all()]).first()
    assert c is not None and chapter.parent is not None
    name = f"{chapter.parent.label.rstrip('、')}{chapter.label}{chapter.title}"
    assert name.startswith("二（一）")

    board = dashboard_build(report=cast.report, commitments=Commitment.objects.all(), day=DAY)
    assert name in {g.name for g in board.chapters}

    choices = dict(LedgerFilter(report=cast.report).filters["chapter"].extra["choices"])
    assert choices[str(chapter.pk)] == name[:36]

    qs = Commitment.objects.filter(pk=c.pk)
    rows = ledger_rows(export_queryset(qs), commitment_states(qs, day=DAY))
    assert rows[0][[h for h, _ in COLUMNS].index("章节")] == name

    summary = Summary(report=cast.report, kind=Summary.Kind.WEEKLY, period_start=DAY,
                      period_end=DAY)  # fmt: skip
    labels = {ch["key"]: ch["label"] for ch in summary_figures(summary).figures["chapters"]}
    assert labels[chapter.key] == name

    client = cast.client("supervisor")
    assert f"：{name}</span>" in client.get(f"/c/{c.pk}/").content.decode()
    ledger = client.get("/", {"chapter": chapter.pk, "q": c.code}).content.decode()
    if c.section == chapter:  # a topic shows its own title instead
        assert name[:17] in ledger


@pytest.mark.django_db
def test_the_part_goes_in_front_only_when_chapter_labels_repeat():
    report = ReportFactory.create()
    two = SectionFactory.create(
        report=report, key="2", level="part", label="二、", title="工作安排"
    )
    ch = SectionFactory.create(report=report, key="2.1", level="chapter", label="（一）",
                        title="扩大投资", parent=two)  # fmt: skip
    assert chapter_labels(Section.objects.filter(report=report)) == {ch.pk: "（一）扩大投资"}
    three = SectionFactory.create(
        report=report, key="3", level="part", label="三、", title="自身建设"
    )
    ch3 = SectionFactory.create(report=report, key="3.1", level="chapter", label="（一）",
                         title="依法行政", parent=three)  # fmt: skip
    assert chapter_labels(Section.objects.filter(report=report)) == {
        ch.pk: "二（一）扩大投资",
        ch3.pk: "三（一）依法行政",
    }


def test_the_chapter_filter_offers_the_chapters_that_hold_commitments(anyang):
    """Directly or through a topic; in report order. A chapter of the review part (一年来
    工作回顾) holds none and is not offered, nor is a chapter whose items were all moved."""
    sections = {s.pk: s for s in Section.objects.filter(report=anyang)}
    holding = {
        chapter.pk
        for c in Commitment.objects.filter(report=anyang)
        if (chapter := chapter_of(sections.get(c.section_id), sections)) is not None
    }
    offered = [pk for pk, _name in chapters_with_commitments(anyang)]
    assert set(offered) == holding
    assert offered == sorted(offered, key=lambda pk: sections[pk].start)
    chapters = [s for s in sections.values() if s.level == Section.Level.CHAPTER]
    assert len(holding) < len(chapters)  # the review part's chapters are left out
    emptied = sections[offered[0]]
    Commitment.objects.filter(section__in=[emptied, *emptied.children.all()]).update(
        section=sections[offered[1]]
    )
    assert emptied.pk not in [pk for pk, _name in chapters_with_commitments(anyang.pk)]
