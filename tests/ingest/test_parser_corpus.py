"""The parser on other governments' real reports (../shared/corpus/, beside the checkout).

Expected figures were read from the reports by hand. The files must be there: a missing
corpus fails, it does not skip.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from commitments.ingest import ParsedCommitment, ParsedReport, parse_report

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# file: (place, level, year, practical matters listed, a counted mention when none is listed)
EXPECTED = {
    "2017-hailar-district.gb18030.txt": ("海拉尔区", "district", 2017, 0, None),
    "2026-beijing.txt": ("北京市", "province", 2026, 0, None),
    "2026-chongqing.txt": ("重庆市", "province", 2026, 15, None),
    "2026-fujian.txt": ("福建省", "province", 2026, 0, 30),
    "2026-guangdong.txt": ("广东省", "province", 2026, 10, None),
    "2026-guizhou.txt": ("贵州省", "province", 2026, 10, None),
    "2026-hebei.txt": ("河北省", "province", 2026, 0, None),
    "2026-henan.txt": ("河南省", "province", 2026, 0, None),
    "2026-hubei.txt": ("湖北省", "province", 2026, 0, 60),
    "2026-hunan.txt": ("湖南省", "province", 2026, 0, 10),
    "2026-shanghai.txt": ("上海市", "province", 2026, 0, None),
    "2026-zhejiang.txt": ("浙江省", "province", 2026, 10, None),
}

# file: [(metric, value, value_max, unit, qualifier)] that must be among the main targets
# file -> (metric, value, value_max, unit, qualifier) of its main targets
MAIN_TARGETS: dict[str, list[tuple[str, str, str | None, str, str]]] = {
    "2017-hailar-district.gb18030.txt": [
        ("地区生产总值", "7.5", None, "%", ""),
        ("地区生产总值", "326.4", None, "亿元", "reach"),
        ("社会消费品零售总额", "164.1", None, "亿元", "reach"),
    ],
    "2026-beijing.txt": [
        ("地区生产总值", "5", None, "%", "about"),
        ("细颗粒物年均浓度", "29", None, "微克/立方米", "about"),
    ],
    "2026-chongqing.txt": [
        ("地区生产总值", "5", None, "%", "at_least"),
        ("城镇新增就业", "65", None, "万人", "at_least"),
    ],
    "2026-fujian.txt": [
        ("地区生产总值", "5", None, "%", "about"),
        ("粮食产量", "513", None, "万吨", "at_least"),
    ],
    "2026-guangdong.txt": [("地区生产总值", "4.5", "5", "%", "")],
    "2026-guizhou.txt": [
        ("地区生产总值", "5", None, "%", "about"),
        ("城镇常住居民人均可支配收入", "4", None, "%", "about"),
        ("农村常住居民人均可支配收入", "6", None, "%", "about"),
        ("常住人口城镇化率", "59", None, "%", "about"),
    ],
    "2026-hebei.txt": [
        ("地区生产总值", "5", None, "%", "at_least"),
        ("城镇调查失业率", "5.5", None, "%", "about"),
    ],
    "2026-henan.txt": [
        ("规上工业增加值", "6.5", None, "%", "about"),
        ("粮食产量", "1300", None, "亿斤", "at_least"),
    ],
    "2026-hubei.txt": [
        ("城镇新增就业", "70", None, "万人", "at_least"),
        ("粮食产量", "500", None, "亿斤", "at_least"),
    ],
    "2026-hunan.txt": [
        ("地区生产总值", "5", None, "%", "about"),
        ("粮食产量", "615", None, "亿斤", "about"),
    ],
    "2026-shanghai.txt": [
        ("生产总值", "5", None, "%", "about"),
        ("全社会研发经费支出相当于全市生产总值的比例", "4.6", None, "%", "about"),
    ],
    "2026-zhejiang.txt": [("生产总值", "5", "5.5", "%", "")],
}


def test_the_corpus_is_there() -> None:
    assert CORPUS.is_dir(), f"corpus missing: {CORPUS}"
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == sorted(EXPECTED)


@cache
def _parse(name: str) -> ParsedReport:
    path = CORPUS / name
    assert path.is_file(), f"corpus file missing: {path}"
    return parse_report(path.read_bytes())


@pytest.fixture(params=sorted(EXPECTED))
def case(request: pytest.FixtureRequest) -> tuple[str, ParsedReport]:
    return request.param, _parse(request.param)


def _mains(r: ParsedReport) -> list[ParsedCommitment]:
    return [c for c in r.commitments if c.kind == "main_target"]


def test_place_year_and_practical_matters(case: tuple[str, ParsedReport]) -> None:
    name, r = case
    place, level, year, matters, mention = EXPECTED[name]
    assert (r.place, r.place_level, r.year) == (place, level, year)
    listed = [c for c in r.commitments if c.kind == "practical_matter"]
    assert [c.matter_number for c in listed] == list(range(1, matters + 1))
    noted = [w for w in r.warnings if w.code == "matters_not_listed"]
    if mention is None:
        assert not noted
    else:
        assert len(noted) == 1 and f" {mention} " in noted[0].message
        assert r.text[noted[0].start : noted[0].end] == noted[0].verbatim


def test_main_targets(case: tuple[str, ParsedReport]) -> None:
    name, r = case
    mains = _mains(r)
    assert 3 <= len(mains) <= 14, [c.text for c in mains]
    read = {
        (
            t.metric.removeprefix("全省").removeprefix("全市"),
            t.value,
            t.value_max,
            t.unit,
            t.qualifier,
        )
        for c in mains
        for t in c.targets
    }
    for metric, value, value_max, unit, qualifier in MAIN_TARGETS[name]:
        key = (
            metric,
            Decimal(value),
            Decimal(value_max) if value_max else None,
            unit,
            qualifier,
        )
        assert key in read, (key, sorted(read, key=str))
    # Only this year's targets: no framing sentence, no five-year goal.
    for c in mains:
        assert not c.text.startswith(("这些目标", "这样的目标", "实现", "具体", "重点抓好"))
        assert not c.text.startswith(("“十五五”", "十五五")) and "年均增长" not in c.text
        assert c.targets


def test_spans_roles_and_set_asides(case: tuple[str, ParsedReport]) -> None:
    _, r = case
    roles = {s.key: s.role for s in r.sections}
    for c in r.commitments:
        assert r.text[c.start : c.end] == c.text
        for t in c.targets:
            assert r.text[t.start : t.end] == t.text
        assert roles[c.section_key] in ("plan", "government", "annex"), c.code
        if roles[c.section_key] == "annex":
            assert c.kind == "practical_matter"
    for w in r.set_asides:
        assert w.start is not None and w.end is not None
        assert r.text[w.start : w.end] == w.verbatim
        assert w.reason_zh and w.reason_en and w.code
    codes = {c.code for c in r.commitments}
    assert len(codes) == len(r.commitments)


def test_web_page_words_are_never_read() -> None:
    for name in EXPECTED:
        r = _parse(name)
        texts = "\n".join(c.text for c in r.commitments)
        for chrome in ("下载", "相关报道", "来源：", "记者", "【字号"):
            assert chrome not in texts, (name, chrome)


def test_five_year_outline_is_set_aside_not_read() -> None:
    for name in EXPECTED:
        r = _parse(name)
        outline = [s for s in r.sections if s.level == "part" and s.role == "five_year_outline"]
        if name.startswith("2026"):
            assert len(outline) == 1, name
            part = outline[0]
            assert not any(part.start <= c.start < part.end for c in r.commitments)
            assert any(w.code == "five_year_outline" for w in r.warnings)
        else:
            assert not outline


def test_part_roles_read_from_slogan_titles() -> None:
    fujian = _parse("2026-fujian.txt")
    assert [s.role for s in fujian.sections if s.level == "part"] == [
        "review",
        "five_year_outline",
        "plan",
        "government",
    ]
    guangdong = _parse("2026-guangdong.txt")
    assert [s.role for s in guangdong.sections if s.level == "part"][-2:] == ["annex", "annex"]
    hebei = _parse("2026-hebei.txt")
    assert next(s for s in hebei.sections if s.key == "1").role == "multi_year_review"
    # A review of five years only gives no baselines.
    assert not any(t.baseline for c in hebei.commitments for t in c.targets)


def test_baselines_come_from_last_year_only() -> None:
    for name in EXPECTED:
        r = _parse(name)
        review = [s for s in r.sections if s.level == "part" and s.role == "review"]
        for c in r.commitments:
            for t in c.targets:
                if t.baseline:
                    b = t.baseline
                    assert b.year == r.year - 1
                    assert any(s.start <= b.start < s.end for s in review), (name, b.text)
                    assert "五年" not in b.text and "年均增长" not in b.text
