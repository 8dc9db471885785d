"""Every report of the corpus (provinces 2026, a district 2017; ../shared/corpus/) seeds
into one ledger beside Anyang: no error, each keyed on its own place and year, none
overwriting another, every commitment traceable to its sentence."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from commitments.models import Commitment, Report, Target

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FILES = sorted(CORPUS.glob("*.txt"))

# (file, place, level, year, practical matters listed) — read from the texts themselves.
EXPECTED = {
    "2017-hailar-district.gb18030.txt": ("海拉尔区", "district", 2017, 0),
    "2026-beijing.txt": ("北京市", "province", 2026, 0),
    "2026-chongqing.txt": ("重庆市", "province", 2026, 15),
    "2026-guangdong.txt": ("广东省", "province", 2026, 10),
    "2026-guizhou.txt": ("贵州省", "province", 2026, 10),
    "2026-henan.txt": ("河南省", "province", 2026, 0),
    "2026-zhejiang.txt": ("浙江省", "province", 2026, 10),
}


def test_the_corpus_is_there():
    assert len(FILES) >= 12, f"expected the corpus beside the checkout: {CORPUS}"


@pytest.mark.django_db
def test_every_corpus_report_seeds_beside_the_others(anyang):
    anyang_ids = set(anyang.commitments.values_list("pk", flat=True))
    for path in FILES:
        out = io.StringIO()
        call_command("seed_report", str(path), no_progress=True, stdout=out)
        assert "未作为任务 / set aside" in out.getvalue()  # what it set aside, and why
    assert Report.objects.count() == len(FILES) + 1
    # a second province never marks the first one's commitments as gone
    assert not Commitment.objects.filter(in_source=False).exists()
    assert set(anyang.commitments.values_list("pk", flat=True)) == anyang_ids
    for name, (place, level, year, matters) in EXPECTED.items():
        report = Report.objects.get(place=place, year=year)
        assert report.place_level == level, name
        assert report.source_name == name
        practical = report.commitments.filter(kind="practical_matter")
        assert practical.count() == matters, name
        if matters:
            numbers = [
                n for n in practical.values_list("matter_number", flat=True) if n is not None
            ]
            assert sorted(numbers) == list(range(1, matters + 1))
    for report in Report.objects.all():
        text = report.source_text
        for c in report.commitments.all():
            assert text[c.start : c.end] == c.text, (report.place, c.code)


@pytest.mark.django_db
def test_main_targets_of_a_province_are_this_years(anyang):
    call_command("seed_report", str(CORPUS / "2026-henan.txt"), no_progress=True, verbosity=0)
    henan = Report.objects.get(place="河南省", year=2026)
    main = Target.objects.filter(commitment__report=henan, commitment__kind="main_target")
    growth = main.get(metric="经济增长")  # "经济增长5%左右": the metric keeps its verb
    assert (growth.value, growth.unit, growth.qualifier) == (5, "%", "about")
    grain = main.get(metric="粮食产量")
    assert (grain.value, grain.unit, grain.qualifier) == (1300, "亿斤", "at_least")
    # the main targets are this year's paragraph, whole (12 clauses), from this year's plan,
    # never the five-year outline's goals
    assert main.values("commitment").distinct().count() <= 12
    assert henan.commitments.filter(kind="main_target").count() == 12
    parts = {c.section.key.split(".")[0] for c in henan.commitments.filter(kind="main_target")}
    titles = [henan.sections.get(key=k).title for k in parts]
    assert len(titles) == 1 and "2026年" in titles[0] and "十五五" not in titles[0]


@pytest.mark.django_db
def test_a_report_seeded_twice_changes_nothing(anyang):
    path = CORPUS / "2026-guangdong.txt"
    call_command("seed_report", str(path), no_progress=True, verbosity=0)
    out = io.StringIO()
    call_command("seed_report", str(path), no_progress=True, stdout=out)
    assert "无变化 unchanged" in out.getvalue()
