"""The work-report parser (commitments.ingest): plain Python, no Django, no database.

Run alone with ``pytest tests/ingest/test_parser.py -q``; ``-s`` shows the count summary of the
Anyang report (test_counts_per_part_and_kind).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.ingest import (
    ParsedCommitment,
    ParsedReport,
    ParsedTarget,
    ReportFormatError,
    decode_report,
    parse_report,
    summarise,
)
from commitments.ingest.numerals import cn_to_int
from commitments.ingest.summary import counts
from tests.support.seedfile import raw_seed_bytes

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "commitments" / "data" / "anyang-2017-government-work-report.txt"


@cache
def _anyang() -> ParsedReport:
    return parse_report(BUNDLED.read_bytes())


@pytest.fixture
def anyang() -> ParsedReport:
    return _anyang()


def by_text(report: ParsedReport, text: str) -> ParsedCommitment:
    found = [c for c in report.commitments if c.text == text]
    assert len(found) == 1, f"{len(found)} commitments read {text!r}"
    return found[0]


def by_code(report: ParsedReport, code: str) -> ParsedCommitment:
    found = [c for c in report.commitments if c.code == code]
    assert len(found) == 1, code
    return found[0]


def containing(report: ParsedReport, fragment: str) -> ParsedCommitment:
    found = [c for c in report.commitments if fragment in c.text]
    assert len(found) == 1, f"{len(found)} commitments contain {fragment!r}"
    return found[0]


def target(c: ParsedCommitment, text: str) -> ParsedTarget:
    found = [t for t in c.targets if t.text == text]
    assert len(found) == 1, f"{text!r} not among {[t.text for t in c.targets]}"
    return found[0]


def all_targets(report: ParsedReport) -> list[ParsedTarget]:
    return [t for c in report.commitments for t in c.targets]


def summary(c: ParsedCommitment) -> list[tuple[Decimal | None, str]]:
    return [(t.value, t.unit) for t in c.targets]


# ----------------------------------------------------------------------------- the report


def test_title_city_year(anyang):
    assert anyang.title == "2017年安阳市政府工作报告"
    assert (anyang.place, anyang.place_level, anyang.year) == ("安阳市", "city", 2017)
    assert (anyang.place, anyang.encoding, anyang.copies) == ("安阳市", "utf-8", 1)
    assert anyang.text.startswith("2017年安阳市政府工作报告\n")


def test_parts_chapters_and_topics(anyang):
    sections = {s.key: s for s in anyang.sections}
    parts = [(s.key, s.label, s.title) for s in anyang.sections if s.level == "part"]
    assert parts == [
        ("1", "一、", "2016年工作回顾"),
        ("2", "二、", "2017年工作安排"),
        ("3", "三、", "加强政府自身建设"),
    ]
    chapter = sections["2.1"]
    assert (chapter.level, chapter.label, chapter.title, chapter.order, chapter.parent_key) == (
        "chapter", "（一）", "激发需求潜力，保持经济平稳增长", 1, "2",
    )  # fmt: skip
    assert sections["2.7"].title == "坚持绿色发展，加强生态环境保护治理"
    assert sections["3.4"].title == "廉洁从政，守规矩"
    topic = sections["2.1.1"]
    assert (topic.level, topic.label, topic.title, topic.parent_key) == (
        "topic", "", "扩大有效投资", "2.1",
    )  # fmt: skip
    assert sections["2.7.1"].title == "打好大气污染防治攻坚战"
    assert sections["2.7.2"].title == "加强水、土壤污染防治"
    matters = sections["2.S"]
    assert (matters.level, matters.label, matters.title, matters.parent_key, matters.order) == (
        "chapter", "十件实事", "办好事关人民群众切身利益的“十件实事”", "2", 9,
    )  # fmt: skip
    chapters_2 = [k for k, s in sections.items() if s.parent_key == "2"]
    assert chapters_2 == [f"2.{i}" for i in range(1, 9)] + ["2.S"]
    assert [k for k in sections if k.startswith("3.")] == ["3.1", "3.2", "3.3", "3.4"]
    assert len([s for s in anyang.sections if s.level == "topic"]) == 35
    assert len({s.key for s in anyang.sections}) == len(anyang.sections)


def test_section_spans(anyang):
    for s in anyang.sections:
        span = anyang.text[s.start : s.end]
        assert span.startswith(s.title if s.key.endswith(".S") else s.label or s.title), s.key
        assert span == span.strip(), s.key
    sections = {s.key: s for s in anyang.sections}
    # Chapter 八 holds its topics and the paragraph without a lead, but not the 实事 list.
    assert anyang.text[sections["2.8"].start : sections["2.8"].end].endswith("民族宗教等工作。")
    assert anyang.text[sections["2.S"].start : sections["2.S"].end].endswith(
        "公共租赁住房16000套。"
    )
    # The closing words after "各位代表！" are in part 三 but in none of its chapters.
    assert anyang.text[sections["3"].start : sections["3"].end].endswith("胜利召开！")
    assert anyang.text[sections["3.4"].start : sections["3.4"].end].endswith("取信于民！")


def test_part_one_gives_no_commitments(anyang):
    assert {c.code.split("-")[1].split(".")[0] for c in anyang.commitments} == {"2", "3"}
    review_end = next(s.end for s in anyang.sections if s.key == "1")
    assert all(c.start > review_end for c in anyang.commitments)


def test_preamble_is_framing_not_commitments(anyang):
    texts = "\n".join(c.text for c in anyang.commitments)
    assert "今年政府工作的总体要求是" not in texts
    assert "四个统一" not in texts
    assert "今年将召开党的十九大" not in texts
    assert "坚持稳增长与调结构相统一" not in texts


def test_chapter_lead_sentence_is_a_commitment(anyang):
    c = by_code(anyang, "2017-2.1-01")
    assert c.text == "坚持供给端需求端共同发力，释放需求潜力，促进经济发展。"
    assert (c.section_key, c.kind, c.order) == ("2.1", "general", 1)
    assert c.start == anyang.text.index(c.text)
    assert anyang.text[c.start - 19 : c.start] == "（一）激发需求潜力，保持经济平稳增长。"


def test_topic_lead_is_a_heading_and_sub_leads_are_commitments(anyang):
    texts = {c.text for c in anyang.commitments}
    assert "扩大有效投资。" not in texts
    assert "打好大气污染防治攻坚战。" not in texts
    first = by_code(anyang, "2017-2.1-02")
    assert first.section_key == "2.1.1"
    assert first.text.startswith("围绕产业转型升级、基础设施完善")
    soe = by_text(anyang, "打赢国企改革攻坚战。")
    assert (soe.section_key, soe.kind, soe.code) == ("2.5.2", "general", "2017-2.5-08")
    coal = by_text(anyang, "一是减少燃煤污染。")
    assert (coal.section_key, coal.kind) == ("2.7.1", "pollution")
    for n in "二三四五六":
        assert any(c.text.startswith(f"{n}是") for c in anyang.commitments), n


def test_paragraph_without_lead_belongs_to_the_chapter(anyang):
    c = containing(anyang, "加强社会主义核心价值观建设")
    assert c.section_key == "2.8"
    assert c.text.startswith("加强社会主义核心价值观建设，大力弘扬焦裕禄精神")
    assert by_text(anyang, "加强老区建设。").section_key == "2.8"


def test_part_three(anyang):
    part_level = [c for c in anyang.commitments if c.section_key == "3"]
    assert [c.text for c in part_level] == [
        "必须坚持不懈加强政府自身建设，提升政府行动力、执行力和感召力。"
    ]
    assert part_level[0].code == "2017-3.0-01"
    c = by_text(anyang, "全面落实容错纠错机制，给干事者鼓劲，为担当者撑腰！")
    assert (c.section_key, c.code) == ("3.3", "2017-3.3-07")
    assert by_code(anyang, "2017-3.1-01").text == (
        "全面贯彻法治政府建设纲要，把依法行政、依法办事贯穿于政府工作全过程。"
    )
    assert not any(c.targets for c in anyang.commitments if c.code.startswith("2017-3."))


def test_rhetoric_is_dropped_and_reported(anyang):
    texts = {c.text for c in anyang.commitments}
    rhetoric = [
        "治理雾霾人人有责，贵在行动、成在坚持。",
        "全社会不懈努力，蓝天必定会一年比一年多起来。",
        "加快发展，振兴安阳，人民寄予厚望，政府责任重大。",
        "各位代表！",
        "行动改变安阳，实干铸就辉煌。",
    ]
    for sentence in rhetoric:
        assert sentence not in texts
        assert not any(sentence in t for t in texts), sentence
        assert any(w.text.startswith(sentence[:10]) for w in anyang.warnings), sentence
    # …while its neighbours in the same paragraph stay.
    assert "全面清除黑加油站点。" in texts
    assert "加强水、土壤污染防治。" not in texts  # a heading


def test_warnings_are_few_and_explain_themselves(anyang):
    assert 3 <= len(anyang.warnings) <= 10
    for w in anyang.warnings:
        assert w.message and w.text and w.start is not None
        assert anyang.text.startswith(w.text.rstrip("…"), w.start)
    assert sum("结束语" in w.message for w in anyang.warnings) == 2
    assert sum("修辞" in w.message for w in anyang.warnings) == 3
    assert sum("引导段落" in w.message for w in anyang.warnings) == 3
    assert not any("无法判断" in w.message for w in anyang.warnings)


def test_counts_per_part_and_kind(anyang):
    print("\n" + summarise(anyang))  # eyeball with -s
    c = counts(anyang)
    assert 250 <= len(anyang.commitments) <= 400
    assert c["part"]["1"] == 0
    assert c["part"]["3"] == 24
    assert c["kind"]["main_target"] == 12
    assert c["kind"]["practical_matter"] == 10
    assert c["kind"]["pollution"] == c["chapter"]["2.7"] == 50
    assert c["kind"]["general"] == len(anyang.commitments) - 72
    assert all(c["chapter"][f"2.{i}"] >= 20 for i in range(1, 9))


# ----------------------------------------------------------------------------- offsets, codes


def test_every_text_is_its_span(anyang):
    for c in anyang.commitments:
        assert anyang.text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
        for t in c.targets:
            assert anyang.text[t.start : t.end] == t.text
            assert c.start <= t.start < t.end <= c.end, (c.code, t.text)
            if t.baseline:
                b = t.baseline
                assert anyang.text[b.start : b.end] == b.text


def test_sentences_end_with_their_mark(anyang):
    for c in anyang.commitments:
        if c.kind == "main_target":
            assert not c.text.endswith(("。", "，"))
        else:
            assert c.text.endswith(("。", "！")), c.code


def test_codes_unique_stable_and_ordered(anyang):
    codes = [c.code for c in anyang.commitments]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"2017-[23]\.(?:\d|S)-\d{2}", code) for code in codes)
    groups: dict[str, list[int]] = {}
    for c in anyang.commitments:
        groups.setdefault(c.code.rsplit("-", 1)[0], []).append(c.order)
        assert c.code.endswith(f"-{c.order:02d}")
    for orders in groups.values():
        assert orders == list(range(1, len(orders) + 1))
    assert [c.start for c in anyang.commitments] == sorted(c.start for c in anyang.commitments)


def test_deterministic():
    raw = BUNDLED.read_bytes()
    assert parse_report(raw) == parse_report(raw)


# ----------------------------------------------------------------------------- main targets

MAIN_TARGETS = [
    # text, value, unit, qualifier, direction
    ("生产总值增长8%左右", "8", "%", "about", "increase"),
    ("一般公共预算收入增长8%", "8", "%", "", "increase"),
    ("全社会固定资产投资增长13%左右", "13", "%", "about", "increase"),
    ("社会消费品零售总额增长11%左右", "11", "%", "about", "increase"),
    ("进出口总值保持稳定", None, "", "", "maintain"),
    ("城镇新增就业6.5万人以上", "6.5", "万人", "at_least", "increase"),
    ("常住人口城镇化率提高1.6个百分点左右", "1.6", "个百分点", "about", "increase"),
    ("居民收入与经济增长基本同步", None, "", "", "achieve"),
    ("居民消费价格涨幅3%左右", "3", "%", "about", "decrease"),
    ("节能环保指标完成省定目标", None, "", "", "achieve"),
    ("发展质量和效益明显提高", None, "", "", "achieve"),
    ("结构性改革取得实质进展", None, "", "", "achieve"),
]


def test_main_targets_one_commitment_per_clause(anyang):
    mains = [c for c in anyang.commitments if c.kind == "main_target"]
    assert [c.code for c in mains] == [f"2017-2.0-{i:02d}" for i in range(1, 13)]
    sentence_start = anyang.text.index("今年发展的主要预期目标是：")
    for c, (text, value, unit, qualifier, direction) in zip(mains, MAIN_TARGETS, strict=True):
        assert c.text == text
        assert c.section_key == "2"
        assert c.start > sentence_start
        assert len(c.targets) == 1
        t = c.targets[0]
        assert t.value == (Decimal(value) if value else None)
        assert t.is_qualitative == (value is None)
        assert (t.unit, t.qualifier, t.direction, t.text) == (unit, qualifier, direction, text)
        assert (t.start, t.end) == (c.start, c.end)
    assert mains[0].targets[0].metric == "生产总值"
    assert mains[4].targets[0].metric == "进出口总值"
    assert mains[8].targets[0].metric == "居民消费价格涨幅"


# ----------------------------------------------------------------------------- 十件实事

MATTER_TARGETS = {
    1: [(Decimal(118), "条"), (Decimal(50), "条"), (Decimal(15), "条")],
    2: [(Decimal(190), "个"), (Decimal(165), "个"), (Decimal(153), "个")],
    3: [(Decimal(300), "名")],
    4: [],
    5: [],
    6: [(Decimal(50), "台"), (Decimal(3000), "辆")],
    7: [],
    8: [],
    9: [(Decimal(300), "公里")],
    10: [(Decimal(13780), "套"), (Decimal(16000), "套")],
}


def test_ten_practical_matters(anyang):
    matters = [c for c in anyang.commitments if c.kind == "practical_matter"]
    assert [c.matter_number for c in matters] == list(range(1, 11))
    assert [c.code for c in matters] == [f"2017-2.S-{i:02d}" for i in range(1, 11)]
    assert {c.section_key for c in matters} == {"2.S"}
    for c in matters:
        # The whole numbered line, without its "N." prefix.
        line_start = anyang.text.rfind("\n", 0, c.start) + 1
        assert anyang.text[line_start : c.start] == f"{c.matter_number}."
        assert anyang.text[c.end] == "\n"
        assert summary(c) == MATTER_TARGETS[c.matter_number], c.matter_number
    assert matters[0].text == (
        "实施118条市政道路建设。其中，建成永明路北段、迎春东街、钢三路等50条道路，"
        "完成铁西路南段、商都路等15条道路大修改造。"
    )
    assert matters[6].text == "开工建设第六水厂。"
    assert [t.metric for t in matters[1].targets] == ["园林绿化项目"] * 3
    assert [t.metric for t in matters[5].targets] == ["新型公交车", "城市公共自行车"]
    tenth = matters[9].targets
    assert [t.text for t in tenth] == [
        "新开工棚户区改造13780套",
        "基本建成棚户区改造和公共租赁住房16000套",
    ]
    assert "十件实事" not in " ".join(c.text for c in matters)


# ----------------------------------------------------------------------------- targets


def test_pollution_chapter_targets(anyang):
    fuel = containing(anyang, "以电代煤、以气代煤10万户左右")
    assert fuel.kind == "pollution"
    t = target(fuel, "完成以电代煤、以气代煤10万户左右")
    assert (t.value, t.unit, t.qualifier, t.metric) == (
        Decimal(10),
        "万户",
        "about",
        "以电代煤、以气代煤",
    )
    rural = target(fuel, "农村地区清洁型煤替代全覆盖")
    assert (rural.value, rural.direction, rural.unit) == (None, "achieve", "")
    heat = target(fuel, "市区建成区集中供热率达到80%")
    assert (heat.value, heat.unit, heat.qualifier) == (Decimal(80), "%", "reach")
    assert [t.order for t in fuel.targets] == [1, 2, 3]

    qualitative = {
        "实现燃煤小锅炉“清零”": ("燃煤小锅炉“清零”", "achieve"),
        "坚决实现煤炭消费总量负增长": ("煤炭消费总量负增长", "decrease"),
        "全部淘汰黄标车": ("全部淘汰黄标车", "achieve"),
        "全面供应国六标准燃油": ("全面供应国六标准燃油", "achieve"),
        "全面取缔“小散乱污”企业": ("全面取缔“小散乱污”企业", "achieve"),
        "全面清除黑加油站点": ("全面清除黑加油站点", "achieve"),
        "基本消除市区建成区黑臭水体": ("基本消除市区建成区黑臭水体", "achieve"),
    }
    for fragment, (text, direction) in qualitative.items():
        t = target(containing(anyang, fragment), text)
        assert (t.value, t.direction, t.is_qualitative) == (None, direction, True), fragment
    assert target(containing(anyang, "黄标车"), "全部淘汰黄标车").metric == "黄标车"
    assert target(containing(anyang, "负增长"), "煤炭消费总量负增长").metric == "煤炭消费总量"

    industry = containing(anyang, "7个重点高排放行业")
    assert summary(industry) == [(Decimal(7), "个")]
    assert industry.targets[0].metric == "重点高排放行业"

    water = containing(anyang, "570个入河排污口")
    assert summary(water)[:4] == [
        (Decimal(2), "条"), (Decimal(10), "条"), (Decimal(8), "个"), (Decimal(570), "个"),
    ]  # fmt: skip
    assert [t.metric for t in water.targets][:3] == ["河流", "沟渠", "坑塘"]
    quality = target(containing(anyang, "河流水质优良比例"), "确保河流水质优良比例总体达到37%")
    assert (quality.value, quality.qualifier, quality.metric) == (
        Decimal(37),
        "ensure",
        "河流水质优良比例",
    )

    forest = containing(anyang, "营造林16.4万亩")
    assert summary(forest) == [
        (Decimal("16.4"), "万亩"),
        (Decimal(9), "万亩"),
        (Decimal(20), "万亩"),
    ]
    assert [t.metric for t in forest.targets] == ["营造林", "太行山绿化", "平原林网提升"]
    assert summary(containing(anyang, "3个国家湿地公园")) == [(Decimal(3), "个")]


def test_named_targets(anyang):
    finance = by_text(anyang, "年内新增贷款160亿元，直接融资120亿元。")
    assert [(t.metric, t.value, t.unit) for t in finance.targets] == [
        ("新增贷款", Decimal(160), "亿元"),
        ("直接融资", Decimal(120), "亿元"),
    ]
    power = containing(anyang, "风力发电装机容量400兆瓦")
    assert [(t.metric, t.value, t.unit) for t in power.targets] == [
        ("风力发电装机容量", Decimal(400), "兆瓦"),
        ("光伏发电装机容量", Decimal(220), "兆瓦"),
    ]
    invest = containing(anyang, "实施项目1000个左右")
    assert [(t.value, t.unit, t.qualifier) for t in invest.targets] == [
        (Decimal(1000), "个", "about"),
        (Decimal(1300), "亿元", "strive"),
    ]
    assert (
        target(containing(anyang, "普及率超过80%"), "跨境电商在外贸企业的普及率超过80%").qualifier
        == "exceed"
    )
    grain = target(by_text(anyang, "粮食总产稳定在209万吨左右。"), "粮食总产稳定在209万吨左右")
    assert (grain.value, grain.unit, grain.qualifier, grain.direction) == (
        Decimal(209), "万吨", "about", "maintain",
    )  # fmt: skip
    tourism = target(
        by_text(anyang, "力争全年旅游总收入突破390亿元。"), "力争全年旅游总收入突破390亿元"
    )
    assert (tourism.qualifier, tourism.metric) == ("strive", "旅游总收入")
    assert by_text(anyang, "生态循环农业面积达到45万亩。").targets[0].qualifier == "reach"
    poverty = by_text(anyang, "确保21400人稳定脱贫、1333人易地搬迁脱贫。")
    assert [(t.value, t.qualifier, t.metric) for t in poverty.targets] == [
        (Decimal(21400), "ensure", "稳定脱贫"),
        (Decimal(1333), "ensure", "易地搬迁脱贫"),
    ]


def test_ranges(anyang):
    t = by_text(anyang, "每个县（市）区新建2个至3个乡村旅游示范点。").targets
    assert [(x.value, x.value_max, x.unit, x.metric) for x in t] == [
        (Decimal(2), Decimal(3), "个", "乡村旅游示范点"),
    ]
    assert all(
        x.value_max is None for x in all_targets(anyang) if x.text != "2个至3个乡村旅游示范点"
    )


def test_respectively_lists(anyang):
    crops = containing(anyang, "优质林果面积分别达到")
    assert [(t.metric, t.value, t.text) for t in crops.targets] == [
        ("优质专用小麦面积", Decimal(70), "70万亩"),
        ("优质油料作物面积", Decimal(50), "50万亩"),
        ("优质蔬菜面积", Decimal(105), "105万亩"),
        ("优质林果面积", Decimal(20), "20万亩"),
    ]
    assert {t.qualifier for t in crops.targets} == {"reach"}
    welfare = containing(anyang, "城乡低保月人均补助水平分别提高到250元和142元")
    assert [(t.metric, t.value, t.unit) for t in welfare.targets] == [
        ("城市低保月人均补助水平", Decimal(250), "元"),
        ("农村低保月人均补助水平", Decimal(142), "元"),
        ("孤儿集中供养标准", Decimal(1100), "元"),
        ("分散供养标准", Decimal(700), "元"),
    ]


def test_non_targets(anyang):
    texts = [t.text for t in all_targets(anyang)]
    for fragment in ("国道", "省道", "341", "303", "・", "第九", "小时", "百分百", "十三五",
                     "461", "5A", "1+6+7", "一带一路", "双百万", "十件", "八项"):  # fmt: skip
        assert not any(fragment in t for t in texts), fragment
    assert not any(
        t.value in (Decimal(341), Decimal(303), Decimal(2017), Decimal(24))
        for t in all_targets(anyang)
    )
    assert by_text(anyang, "完成第九届村委换届。").targets == ()
    assert by_text(anyang, "所有涉气重点企业实行驻厂监察、24小时在线监控。").targets == ()
    assert containing(anyang, "国道341楚旺至永和段").targets == ()
    assert containing(anyang, "“7・19”灾后重建任务").targets == ()
    # A count inside the examples before 等 names a place: 22 棚改项目, not "7个村".
    assert summary(containing(anyang, "中华路7个村")) == [(Decimal(22), "个")]


def test_target_counts(anyang):
    targets = all_targets(anyang)
    assert 90 <= len(targets) <= 130
    # 5 qualitative main targets + 9 end states of the pollution chapter (incl. 网格全覆盖)
    assert sum(t.is_qualitative for t in targets) == 14
    for c in anyang.commitments:
        assert [t.order for t in c.targets] == list(range(1, len(c.targets) + 1))
        assert [t.start for t in c.targets] == sorted(t.start for t in c.targets)


# ----------------------------------------------------------------------------- baselines

EXPECTED_BASELINES = [
    # target phrase (exact), 2017 value, 2016 value, baseline text fragment
    ("年内新增贷款160亿元", "160", "151", "全年新增贷款151亿元"),
    ("直接融资120亿元", "120", "101", "直接融资101亿元"),
    ("营造林16.4万亩", "16.4", "19.8", "营造林19.8万亩"),
    ("新建高标准粮田30万亩", "30", "30.1", "新建高标准粮田30.1万亩"),
    ("粮食总产稳定在209万吨左右", "209", "219.5", "粮食总产219.5万吨"),
    ("城镇新增就业6.5万人以上", "6.5", "8.29", "城镇新增就业8.29万人"),
    ("生产总值增长8%左右", "8", "8", "生产总值1805.7亿元，增长8%"),
    ("一般公共预算收入增长8%", "8", "8.7", "增长8.7%"),
    ("全社会固定资产投资增长13%左右", "13", "13", "增长13%"),
    ("社会消费品零售总额增长11%左右", "11", "11.9", "增长11.9%"),
    ("常住人口城镇化率提高1.6个百分点左右", "1.6", "1.5", "提高1.5个百分点"),
    ("新增城市公共自行车3000辆", "3000", "3500", "新增城市公共自行车3500辆"),
    ("新开工棚户区改造13780套", "13780", "9716", "新开工棚改房9716套"),
    ("总收入突破300亿元", "300", "282.3", "农业产业化集群收入282.3亿元"),
    ("250元", "250", "240", "240元"),
    ("142元", "142", "132", "132元"),
]


def test_baselines(anyang):
    targets = {t.text: t for t in all_targets(anyang)}
    review = next(s for s in anyang.sections if s.key == "1")
    for phrase, value, base, fragment in EXPECTED_BASELINES:
        t = targets[phrase]
        assert t.value == Decimal(value), phrase
        assert t.baseline is not None, phrase
        b = t.baseline
        assert (b.year, b.value) == (2016, Decimal(base)), phrase
        assert b.unit == t.unit, phrase
        assert fragment in b.text, (phrase, b.text)
        assert review.start <= b.start < b.end <= review.end
    welfare = containing(anyang, "城乡低保月人均补助水平分别提高到250元和142元")
    assert [t.baseline.value if t.baseline else None for t in welfare.targets[:2]] == [
        Decimal(240),
        Decimal(132),
    ]
    assert [t.baseline for t in welfare.targets[2:]] == [None, None]


def test_no_false_baselines(anyang):
    targets = {t.text: t for t in all_targets(anyang)}
    for phrase in (
        "实施项目1000个左右",  # not 2016's "100个转型升级项目"
        "力争全年完成投资1300亿元",  # "完成投资" alone is too generic
        "21400人稳定脱贫",  # 2016 "27324人实现脱贫": different wording, better none
        "64个贫困村实现“七通七能七有”",  # 2016 "87个贫困村脱贫退出" measures another thing
        "新增农村劳动力转移就业3万人",  # 2016 "136.8万人" is a stock, not new
        "新增电商服务站点590个",  # 2016 "1189个行政村开通电商服务站": villages
        "居民消费价格涨幅3%左右",
    ):
        assert targets[phrase].baseline is None, phrase
    assert all(t.baseline is None for t in all_targets(anyang) if t.is_qualitative)
    used = [(t.baseline.start, t.baseline.end) for t in all_targets(anyang) if t.baseline]
    assert len(used) == len(set(used))  # each 2016 figure serves one target


# ----------------------------------------------------------------------------- due dates


def test_due_dates(anyang):
    year_end = dt.date(2017, 12, 31)
    waterlog = containing(anyang, "启动消除城区重点易涝区段三年行动")
    assert (waterlog.due_date, waterlog.due_text) == (dt.date(2019, 12, 31), "三年行动")
    roads = by_code(anyang, "2017-2.S-09")
    assert (roads.due_date, roads.due_text) == (dt.date(2019, 12, 31), "三年提升计划")
    village = containing(anyang, "改善农村人居环境五年行动计划")
    assert (village.due_date, village.due_text) == (dt.date(2021, 12, 31), "五年行动计划")
    loans = containing(anyang, "年内新增贷款160亿元")
    assert (loans.due_date, loans.due_text) == (year_end, "年内")
    assert (by_code(anyang, "2017-2.S-02").due_text, by_code(anyang, "2017-2.S-02").due_date) == (
        "年内", year_end,
    )  # fmt: skip
    assert containing(anyang, "力争全年旅游总收入").due_text == "全年"
    plain = by_code(anyang, "2017-2.1-01")
    assert (plain.due_date, plain.due_text) == (year_end, "")
    assert Counter(c.due_date for c in anyang.commitments)[year_end] == len(anyang.commitments) - 3


# ----------------------------------------------------------------------------- copies, encodings


def test_eightfold_seed_equals_bundled_copy(anyang):
    raw = raw_seed_bytes()
    assert raw == BUNDLED.read_bytes() * 8
    eight = parse_report(raw)
    assert eight.copies == 8
    assert eight.text == anyang.text
    assert eight.sections == anyang.sections
    assert eight.commitments == anyang.commitments
    assert [w.message for w in eight.warnings] == [w.message for w in anyang.warnings]


def test_copies_that_differ_are_reported_and_the_first_parsed(anyang):
    one = BUNDLED.read_text(encoding="utf-8")
    changed = one.replace("新增贷款160亿元", "新增贷款170亿元")
    report = parse_report(one + changed + one)
    assert report.copies == 3
    assert report.commitments == anyang.commitments
    assert "differ" in report.warnings[0].message and "[2]" in report.warnings[0].message


def test_gbk_and_gb18030_bytes_parse_identically(anyang):
    text = BUNDLED.read_text(encoding="utf-8")
    gb = parse_report(text.encode("gb18030"))
    assert gb.encoding == "gb18030"
    assert gb.commitments == anyang.commitments
    assert gb.sections == anyang.sections
    # Plain GBK (cp936) has no KATAKANA MIDDLE DOT; real GBK files write "·" instead.
    gbk_text = text.replace("・", "·")
    gbk = parse_report(gbk_text.encode("gbk"))
    assert gbk.encoding == "gb18030"
    assert [(c.code, c.start, c.end) for c in gbk.commitments] == [
        (c.code, c.start, c.end) for c in anyang.commitments
    ]
    assert decode_report(gbk_text.encode("gbk")) == (gbk_text, "gb18030")


def test_utf8_bom_and_crlf(anyang):
    raw = BUNDLED.read_bytes()
    bom = parse_report(b"\xef\xbb\xbf" + raw)
    assert (bom.encoding, bom.text) == ("utf-8", anyang.text)
    assert bom.commitments == anyang.commitments
    crlf = parse_report(raw.replace(b"\n", b"\r\n"))
    assert "\r" not in crlf.text
    assert crlf.commitments == anyang.commitments
    assert parse_report(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n") * 2).copies == 2
    assert parse_report(raw.decode("utf-8")).commitments == anyang.commitments  # str input


def test_decode_report():
    assert decode_report("甲\r\n乙\r丙".encode()) == ("甲\n乙\n丙", "utf-8")
    assert decode_report(b"\xef\xbb\xbf" + "报告".encode()) == ("报告", "utf-8")
    assert decode_report("报告".encode("gbk")) == ("报告", "gb18030")
    assert decode_report(codecs_utf16("报告\r\n")) == ("报告\n", "utf-16")


def codecs_utf16(s: str) -> bytes:
    return s.encode("utf-16")  # with its BOM, as Windows writes it


# ----------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("raw", "expect"),
    [
        (b"", "empty"),
        (b"  \n\r\n\t ", "empty"),
        (b"\x00\x01\x02\x03PK\x03\x04" * 20, "binary"),
        (bytes(range(1, 32)) * 10, "binary"),
        (b"\x81\x20\xff\x80" * 50, "undecodable"),
        (b"\xef\xbb\xbf\xff\xfe\xfa", "undecodable"),
        ('{"city": "安阳", "year": 2017}'.encode(), "JSON"),
        (b'[{"a": 1}, {"a": 2}]', "JSON"),
        ("城市,年份,目标\n安阳,2017,8%\n郑州,2018,8%\n".encode("gbk"), "CSV"),
        (
            "从前有座山，山里有座庙。\n庙里有个老和尚在给小和尚讲故事。".encode(),
            "Not a government work report",
        ),
        (
            "一、第一章 相遇\n那天下着雨。\n二、第二章 离别\n她走了。".encode(),
            "none plans the year",
        ),
    ],
)
def test_malformed_input_raises_a_helpful_error(raw, expect):
    with pytest.raises(ReportFormatError) as info:
        parse_report(raw)
    message = str(info.value)
    assert expect in message
    assert re.search(r"[\u4e00-\u9fff]", message)  # says it in Chinese too


def test_not_bytes_nor_str():
    with pytest.raises(ReportFormatError, match="bytes"):
        decode_report("报告")  # type: ignore[arg-type]


def test_year_must_come_from_somewhere():
    text = "政府工作报告\n一、工作回顾\n去年很好。\n二、工作安排\n（一）稳增长。扩大投资。\n"
    with pytest.raises(ReportFormatError, match="default_year"):
        parse_report(text, default_city="开封市")
    assert parse_report(text, default_year=2021, default_city="开封市").year == 2021
    first = parse_report(text, default_year=2021, default_city="开封市").commitments[0]
    assert first.code == "2021-2.1-01"
    # A year the report states wins over the default.
    assert (
        parse_report(
            text.replace("二、工作安排", "二、2019年工作安排"), default_year=2021, place="开封市"
        ).year
        == 2019
    )
    with pytest.raises(ValueError):
        parse_report(text, default_year=12, place="开封市")


report_lines = st.sampled_from(
    [
        "2017年安阳市政府工作报告", "各位代表：", "一、2016年工作回顾", "二、2017年工作安排",
        "三、加强政府自身建设", "（一）激发需求潜力，保持经济平稳增长。坚持供给端需求端共同发力。",
        "（二）", "扩大有效投资。实施项目1000个左右。", "全年新增贷款151亿元，增长8%。",
        "今年发展的主要预期目标是：生产总值增长8%左右，进出口总值保持稳定。",
        "办好事关人民群众切身利益的“十件实事”：", "1.实施118条市政道路建设。", "2.", "3.新增50台。",
        "各位代表！", "让我们前进！", "城乡低保月人均补助水平分别提高到250元和142元。",
        "每个县（市）区新建2个至3个乡村旅游示范点。", "启动三年行动。", "全面淘汰黄标车。",
        "实现燃煤小锅炉“清零”。", "（七）坚持绿色发展，加强生态环境保护治理。", "今年政府工作的总体要求是：",
        "新建三个，十五所。", "分别", "1.", "一、", "二、工作安排", "、", "“", "。", "",
        "政府工作报告——2019年1月在洛阳市第十五届人民代表大会上",
    ]
)  # fmt: skip


def _assert_consistent(report: ParsedReport) -> None:
    codes = [c.code for c in report.commitments]
    assert len(codes) == len(set(codes))
    for c in report.commitments:
        assert report.text[c.start : c.end] == c.text
        for t in c.targets:
            assert report.text[t.start : t.end] == t.text


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_arbitrary_bytes_only_raise_report_format_error(raw):
    try:
        report = parse_report(raw)
    except ReportFormatError:
        return
    _assert_consistent(report)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.one_of(report_lines, st.text(max_size=15)), max_size=20),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
)
def test_arbitrary_report_like_text_only_raises_report_format_error(lines, sep):
    try:
        report = parse_report(sep.join(lines))
    except ReportFormatError:
        return
    _assert_consistent(report)


# ----------------------------------------------------------------------------- other reports

ZHENGZHOU_2018 = """\
2018年郑州市政府工作报告

各位代表：
现在，我代表市人民政府向大会报告工作，请予审议。
一、2017年工作回顾
2017年，全市生产总值9130亿元，增长8.2%；一般公共预算收入1056亿元，增长10.3%。
（一）经济运行稳中向好。全年新增贷款1200亿元。新建高速公路80公里。新开工棚户区改造安置房12万套。
二、2018年工作总体要求和主要目标
今年政府工作的总体要求是：坚持稳中求进工作总基调，推动高质量发展。
今年经济社会发展的主要预期目标是：生产总值增长8%，一般公共预算收入增长8%以上，城镇新增就业12万人，城镇登记失业率控制在4%以内。
三、2018年重点工作
（一）推动产业转型升级。坚持制造业高质量发展。
壮大先进制造业。全年新增贷款1300亿元。新建三个产业园区，建成十五所学校。实施工业技改项目300个至400个。
加强社会主义核心价值观建设，完善城市功能。
（二）打好污染防治攻坚战。坚持生态优先。
推进大气污染防治。PM2.5平均浓度下降10%。全面淘汰燃煤锅炉。城区散煤实现“清零”。实施蓝天保卫战三年行动计划。
重点办好十大民生工程：
1.新建改扩建中小学50所，新增学位6万个。
2.新建高速公路100公里。
3.新开工棚户区改造安置房10万套。
四、加强政府自身建设
我们要坚持依法行政。
（一）建设法治政府。全面推进依法行政，年底前完成政务服务改革。
各位代表！
让我们紧密团结，奋力前行！
"""

LUOYANG_2019 = """\
政府工作报告
——2019年1月8日在洛阳市第十五届人民代表大会第四次会议上
各位代表：
一、2018年工作回顾
过去一年，全市生产总值增长8.5%。新增城镇就业7.5万人。营造林面积30万亩。
二、2019年工作安排
2019年是新中国成立70周年。今年经济社会发展的主要预期目标是：生产总值增长8%左右，城镇新增就业7万人。
（一）坚持创新驱动。提升创新能力。
新培育高新技术企业100家。力争研发投入强度达到2%。
（二）打好污染防治攻坚战。
推进国土绿化。营造林面积35万亩。全面完成“双替代”任务，实现城市建成区燃煤设施清零。
三、加强政府自身建设
（一）坚持依法行政。严格执行重大决策程序。
"""

KAIFENG_2020_CRLF = (
    "政府工作报告\r\n各位代表：\r\n一、2019年工作回顾\r\n全年新增贷款100亿元。\r\n"
    "二、2020年工作安排\r\n（一）稳定经济增长。坚持稳中求进。\r\n"
    "扩大有效投资。完成投资500亿元。年内新增贷款120亿元。\r\n"
)


def test_other_city_zhengzhou_2018():
    r = parse_report(ZHENGZHOU_2018.encode())
    assert (r.place, r.place_level, r.year, r.title, r.copies) == (
        "郑州市", "city", 2018, "2018年郑州市政府工作报告", 1,
    )  # fmt: skip
    assert [s.key for s in r.sections if s.level == "part"] == ["1", "2", "3", "4"]
    mains = [c for c in r.commitments if c.kind == "main_target"]
    assert [c.code for c in mains] == [f"2018-2.0-0{i}" for i in range(1, 5)]
    unemployment = mains[3].targets[0]
    assert (unemployment.value, unemployment.direction, unemployment.metric) == (
        Decimal(4), "decrease", "城镇登记失业率",
    )  # fmt: skip
    assert mains[0].targets[0].baseline.value == Decimal("8.2")  # type: ignore[union-attr]
    # Chinese numerals and a range.
    parks = by_text(r, "新建三个产业园区，建成十五所学校。")
    assert [(t.value, t.unit, t.metric) for t in parks.targets] == [
        (Decimal(3), "个", "产业园区"),
        (Decimal(15), "所", "学校"),
    ]
    tech = by_text(r, "实施工业技改项目300个至400个。").targets[0]
    assert (tech.value, tech.value_max) == (Decimal(300), Decimal(400))
    loans = by_text(r, "全年新增贷款1300亿元。")
    assert (loans.code, loans.section_key) == ("2018-3.1-02", "3.1.1")
    assert loans.targets[0].baseline.value == Decimal(1200)  # type: ignore[union-attr]
    # Pollution chapter, qualitative end states, a three-year plan.
    assert {c.kind for c in r.commitments if c.section_key.startswith("3.2")} == {"pollution"}
    assert by_text(r, "全面淘汰燃煤锅炉。").targets[0].direction == "achieve"
    assert by_text(r, "城区散煤实现“清零”。").targets[0].metric == "城区散煤"
    assert by_text(r, "实施蓝天保卫战三年行动计划。").due_date == dt.date(2020, 12, 31)
    # A 十大民生工程 list of three items under part 三, and a warning about the count.
    matters = [c for c in r.commitments if c.kind == "practical_matter"]
    assert [(c.code, c.matter_number) for c in matters] == [
        ("2018-3.S-01", 1), ("2018-3.S-02", 2), ("2018-3.S-03", 3),
    ]  # fmt: skip
    assert next(s for s in r.sections if s.key == "3.S").label == "十大民生工程"
    assert matters[1].targets[0].baseline.value == Decimal(80)  # type: ignore[union-attr]
    assert matters[2].targets[0].baseline.unit == "万套"  # type: ignore[union-attr]
    assert any("10" in w.message and "3" in w.message for w in r.warnings)
    # Part 四: a preamble sentence, a 年底前 deadline, the closing words dropped.
    assert by_code(r, "2018-4.0-01").text == "我们要坚持依法行政。"
    deadline = by_code(r, "2018-4.1-01")
    assert (deadline.due_date, deadline.due_text) == (dt.date(2018, 12, 31), "年底前")
    assert not any("让我们" in c.text for c in r.commitments)
    assert not any("总体要求" in c.text for c in r.commitments)


def test_other_city_luoyang_2019_in_gbk():
    raw = LUOYANG_2019.encode("gbk")
    r = parse_report(raw)
    assert r.encoding == "gb18030"
    assert (r.place, r.year) == ("洛阳市", 2019)
    assert r.title == "2019年洛阳市政府工作报告"  # the occasion is not part of the name
    assert [c.code for c in r.commitments if c.kind == "main_target"] == [
        "2019-2.0-01",
        "2019-2.0-02",
    ]
    jobs = by_code(r, "2019-2.0-02").targets[0]
    # Word order differs from last year ("新增城镇就业"), the baseline is still found.
    assert (jobs.value, jobs.baseline.value) == (Decimal(7), Decimal("7.5"))  # type: ignore[union-attr]
    assert by_text(r, "力争研发投入强度达到2%。").targets[0].qualifier == "strive"
    forest = by_text(r, "营造林面积35万亩。")
    assert (forest.kind, forest.targets[0].baseline.value) == ("pollution", Decimal(30))  # type: ignore[union-attr]
    clear = by_text(r, "全面完成“双替代”任务，实现城市建成区燃煤设施清零。").targets
    assert [(t.metric, t.value) for t in clear] == [("城市建成区燃煤设施", None)]
    assert not any("70周年" in c.text for c in r.commitments)
    assert any("实事" in w.message for w in r.warnings)  # no 实事 list: said so
    assert parse_report(raw).commitments == parse_report(LUOYANG_2019).commitments


def test_minimal_report_with_crlf_and_defaults():
    # No place anywhere: refused with a message naming --place, never an empty place.
    with pytest.raises(ReportFormatError, match="--place") as info:
        parse_report(KAIFENG_2020_CRLF.encode())
    assert "未能识别报告所属地方" in str(info.value)
    r = parse_report(KAIFENG_2020_CRLF.encode(), default_city="开封市")
    assert (r.year, r.place, r.place_level, r.title) == (
        2020,
        "开封市",
        "city",
        "2020年开封市政府工作报告",
    )
    assert any("主要预期目标" in w.message for w in r.warnings)
    assert [c.code for c in r.commitments] == ["2020-2.1-01", "2020-2.1-02", "2020-2.1-03"]
    assert r.commitments[2].targets[0].baseline.value == Decimal(100)  # type: ignore[union-attr]
    assert not any(w.code == "place_guessed" for w in r.warnings)
    # A bare name, as default_city was always given: a city, and said so.
    bare = parse_report(KAIFENG_2020_CRLF.encode(), default_city="开封")
    assert (bare.place, bare.place_level) == ("开封", "city")
    assert any(w.code == "place_guessed" for w in bare.warnings)
    assert dataclasses.replace(bare, place="开封市", title=r.title, warnings=r.warnings) == r


XINXIANG_2021 = """\
2021年新乡市政府工作报告
一、2020年工作回顾
全年新增贷款100亿元。
二、2021年工作安排
（一）稳增长。扩大投资。
（二）办好十件民生实事：
1、开工建设第六水厂。
2、新建学校20所。
（三）保护环境。推进大气污染防治。
三、加强政府自身建设
（一）依法行政。严格执行重大决策程序。
"""


def test_practical_matters_as_a_numbered_chapter():
    r = parse_report(XINXIANG_2021)
    assert (r.place, r.year, r.encoding) == ("新乡市", 2021, "str")
    chapters = [(s.key, s.label, s.title) for s in r.sections if s.parent_key == "2"]
    assert chapters == [
        ("2.1", "（一）", "稳增长"),
        ("2.S", "十件民生实事", "办好十件民生实事"),
        ("2.3", "（三）", "保护环境"),  # the list used up number 二
    ]
    assert [(c.code, c.matter_number, c.text) for c in r.commitments if c.matter_number] == [
        ("2021-2.S-01", 1, "开工建设第六水厂。"),
        ("2021-2.S-02", 2, "新建学校20所。"),
    ]
    assert by_text(r, "推进大气污染防治。").kind == "pollution"
    assert any("10" in w.message and "2" in w.message for w in r.warnings)


def test_imports_and_runs_without_django():
    code = (
        "import sys; from commitments.ingest import parse_report; "
        "r = parse_report(open(sys.argv[1], 'rb').read()); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'; "
        "print(len(r.commitments))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(BUNDLED)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == str(len(_anyang().commitments))


def test_chinese_numerals():
    assert [cn_to_int(s) for s in ("三", "十", "十五", "二十", "一百二十", "两千", "三万五千", "二〇一七")] == [
        3, 10, 15, 20, 120, 2000, 35000, 2017,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        cn_to_int("三个")


def test_finished_counts_are_no_baseline_for_work_merely_under_way(anyang):
    parks = by_code(anyang, "2017-2.S-02")
    planned, finished = target(parks, "190个园林绿化项目"), target(parks, "年内完成153个")
    assert planned.baseline is None  # 2016 "42个…完工" is not comparable with 190 planned
    assert finished.baseline is not None and finished.baseline.value == Decimal("42")
    schools = containing(anyang, "全面改薄")
    assert target(schools, "165个“全面改薄”项目").baseline is None
