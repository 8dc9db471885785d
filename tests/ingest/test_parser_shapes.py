"""Shapes of work reports the parser must read, each in a small report written here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commitments.ingest import ParsedCommitment, ParsedReport, ReportFormatError, parse_report

PLAN = "二、2026年工作安排\n（一）稳增长。扩大有效投资，新建学校20所。\n"


def report(head: str, body: str = PLAN) -> str:
    return head + "各位代表：\n一、2025年工作回顾\n全年新增贷款100亿元。\n" + body


def mains(r: ParsedReport) -> list[ParsedCommitment]:
    return [c for c in r.commitments if c.kind == "main_target"]


def matters(r: ParsedReport) -> list[ParsedCommitment]:
    return [c for c in r.commitments if c.kind == "practical_matter"]


# ----------------------------------------------------------------------------- place, year


@pytest.mark.parametrize(
    ("head", "place", "level"),
    [
        ("2026年安阳市政府工作报告\n", "安阳市", "city"),
        (
            "政府工作报告\n——2026年1月在河南省第十四届人民代表大会第四次会议上\n",
            "河南省",
            "province",
        ),
        ("2026年北京市政府工作报告\n", "北京市", "province"),
        (
            "政府工作报告\n（2026年1月在广西壮族自治区第十四届人民代表大会上）\n",
            "广西壮族自治区",
            "province",
        ),
        (
            "政府工作报告\n—2026年2月在呼伦贝尔市海拉尔区第十四届人民代表大会上\n",
            "海拉尔区",
            "district",
        ),
        ("2026年长兴县人民政府工作报告\n", "长兴县", "county"),
        ("政府工作报告\n2026年\n鄂温克族自治旗人民政府旗长 某某\n", "鄂温克族自治旗", "county"),
        ("政府工作报告\n（2026年）\n锡林郭勒盟盟长 某某\n", "锡林郭勒盟", "city"),
        (
            "政府工作报告\n2026年1月\n各位代表：\n现在，我代表黄山区人民政府报告工作。\n",
            "黄山区",
            "district",
        ),
    ],
)
def test_place_from_title_body_or_speaker(head: str, place: str, level: str) -> None:
    r = parse_report(report(head))
    assert (r.place, r.place_level, r.year) == (place, level, 2026)


def test_unreadable_place_is_refused_and_overrides_win() -> None:
    text = report("政府工作报告\n2026年1月\n")
    with pytest.raises(ReportFormatError, match="--place") as info:
        parse_report(text)
    assert "未能识别报告所属地方" in str(info.value)
    r = parse_report(text, place="中牟县")
    assert (r.place, r.place_level) == ("中牟县", "county")
    named = parse_report(report("2026年安阳市政府工作报告\n"), place="郑州市", year=2027)
    assert (named.place, named.year) == ("郑州市", 2027)
    assert named.commitments[0].code.startswith("2027-")


def test_web_page_words_around_a_report_are_skipped() -> None:
    text = (
        "下载\n打印\n【字号：\n加大\n】\n2026年河北省政府工作报告\n来源：河北日报\n时间：2026-02-02\n"
        "某某同志作政府工作报告。本报记者 某某摄\n各位代表：\n一、2025年工作回顾\n全年新增贷款100亿元。\n"
        + PLAN
        + "各位代表！让我们团结奋斗！\n相关报道：\n关闭窗口\n"
    )
    r = parse_report(text)
    assert (r.place, r.year, r.title) == ("河北省", 2026, "2026年河北省政府工作报告")
    chrome = [w for w in r.warnings if w.code == "chrome"]
    assert {w.verbatim for w in chrome} >= {"下载", "来源：河北日报", "相关报道：", "关闭窗口"}
    for w in chrome:
        assert r.text[w.start : w.end] == w.verbatim
    assert not any("相关报道" in c.text or "记者" in c.text for c in r.commitments)


# ----------------------------------------------------------------------------- parts


def test_parts_without_numerals() -> None:
    text = (
        "2026年开封市政府工作报告\n各位代表：\n2025年工作回顾\n全年新增贷款100亿元。\n"
        "2026年工作安排\n今年主要预期目标是：生产总值增长6%左右。\n"
        "稳增长\n扩大有效投资，全年新增贷款120亿元。\n"
        "加强政府自身建设\n严格依法行政。\n"
    )
    r = parse_report(text)
    parts = [(s.label, s.title, s.role) for s in r.sections if s.level == "part"]
    assert parts == [
        ("", "2025年工作回顾", "review"),
        ("", "2026年工作安排", "plan"),
        ("", "加强政府自身建设", "government"),
    ]
    loans = next(c for c in r.commitments if "120亿元" in c.text)
    assert loans.section_key == "2.1"  # "稳增长" is a bare chapter heading line
    assert loans.targets[0].baseline is not None and loans.targets[0].baseline.value == 100
    assert [c.text for c in mains(r)] == ["生产总值增长6%左右"]


def test_enumerated_chapters_head_paragraphs() -> None:
    body = "二、2026年工作安排\n一是扩大内需。新建学校20所。\n二是保护环境。推进大气污染防治。\n"
    r = parse_report(report("2026年开封市政府工作报告\n", body))
    chapters = [(s.key, s.label, s.title) for s in r.sections if s.parent_key == "2"]
    assert chapters == [("2.1", "一是", "扩大内需"), ("2.2", "一是"[:0] + "二是", "保护环境")]
    assert next(c for c in r.commitments if c.text == "推进大气污染防治。").kind == "pollution"


def test_five_year_outline_is_not_this_years_plan() -> None:
    body = (
        "二、“十五五”时期主要目标任务\n"
        "“十五五”时期经济社会发展的主要目标是：地区生产总值年均增长5%左右，新建学校500所。\n"
        "（一）建设现代化产业体系。新增高新技术企业1万家。\n"
        "三、2026年重点工作\n"
        "今年经济社会发展主要预期目标是：地区生产总值增长5%左右。\n"
        "（一）稳增长。新建学校20所。\n"
    )
    r = parse_report(report("2026年开封市政府工作报告\n", body))
    roles = [s.role for s in r.sections if s.level == "part"]
    assert roles == ["review", "five_year_outline", "plan"]
    assert [c.text for c in mains(r)] == ["地区生产总值增长5%左右"]
    assert mains(r)[0].code == "2026-3.0-01"
    texts = " ".join(c.text for c in r.commitments)
    assert "500所" not in texts and "1万家" not in texts
    outline = [w for w in r.warnings if w.code == "five_year_outline"]
    assert any("1万家" in w.verbatim for w in outline)
    assert all(w.section_key and w.section_key.startswith("2") for w in outline)


def test_review_gives_no_commitments_and_is_set_aside() -> None:
    r = parse_report(report("2026年开封市政府工作报告\n"))
    review = [w for w in r.warnings if w.code == "review"]
    assert len(review) == 1 and "新增贷款100亿元" in review[0].verbatim
    assert all(c.section_key.startswith("2") for c in r.commitments)


# ----------------------------------------------------------------------------- main targets


def test_main_targets_run_over_sentences_and_lines_until_framing() -> None:
    body = (
        "二、2026年工作安排\n今年经济社会发展的\n主要预期目标\n"
        "是：地区生产总值增长4.5%—5%，在实际工作中努力争取更好结果；一般公共预算收入增长3%。"
        "粮食产量1300亿斤以上。城镇和农村居民人均可支配收入分别增长5%、6.5%左右。"
        "实现这些目标，需要付出艰苦努力。\n"
        "（一）稳增长。新建学校20所。\n"
    )
    r = parse_report(report("2026年开封市政府工作报告\n", body))
    got = [
        [(t.metric, t.value, t.value_max, t.unit, t.qualifier) for t in c.targets] for c in mains(r)
    ]
    assert got == [
        [("地区生产总值", Decimal("4.5"), Decimal(5), "%", "")],
        [("一般公共预算收入", Decimal(3), None, "%", "")],
        [("粮食产量", Decimal(1300), None, "亿斤", "at_least")],
        [
            ("城镇居民人均可支配收入", Decimal(5), None, "%", ""),
            ("农村居民人均可支配收入", Decimal("6.5"), None, "%", "about"),
        ],
    ]
    assert not any("实现这些目标" in c.text for c in r.commitments)
    aside = [w for w in r.warnings if w.verbatim == "在实际工作中努力争取更好结果"]
    assert len(aside) == 1 and aside[0].code == "rhetoric"


@pytest.mark.parametrize("dash", ["—", "～", "-", "~"])
def test_ranges_keep_both_ends(dash: str) -> None:
    body = f"二、2026年工作安排\n主要预期目标是：生产总值增长4.5%{dash}5%。\n（一）稳增长。新建学校20所。\n"
    t = mains(parse_report(report("2026年开封市政府工作报告\n", body)))[0].targets[0]
    assert (t.value, t.value_max, t.unit) == (Decimal("4.5"), Decimal(5), "%")


def test_full_width_per_cent_and_implicit_metrics() -> None:
    body = (
        "二、2026年工作安排\n主要预期目标是：生产总值增长7.5％，达到326.4亿元；新增就业合计6300名。\n"
        "（一）稳增长。设立10亿元。\n"
    )
    r = parse_report(report("2026年开封市政府工作报告\n", body))
    gdp = mains(r)[0]
    assert gdp.text == "生产总值增长7.5％，达到326.4亿元"
    assert [(t.metric, t.value, t.unit) for t in gdp.targets] == [
        ("生产总值", Decimal("7.5"), "%"),
        ("生产总值", Decimal("326.4"), "亿元"),
    ]
    fund = next(c for c in r.commitments if c.text == "设立10亿元。")
    assert [(t.metric, t.value, t.unit) for t in fund.targets] == [("", Decimal(10), "亿元")]
    assert any(w.code == "no_metric" and "10亿元" in w.message for w in r.warnings)


# ----------------------------------------------------------------------------- 民生实事


def _plan_with(matters_text: str, closing: str = "") -> str:
    return report(
        "2026年开封市政府工作报告\n",
        "二、2026年工作安排\n（一）稳增长。新建学校20所。\n"
        + matters_text
        + "三、加强政府自身建设\n（一）依法行政。严格执行重大决策程序。\n"
        + "各位代表！让我们团结奋斗！\n"
        + closing,
    )


@pytest.mark.parametrize(
    "listing",
    [
        "办好三件民生实事：\n1.新建学校20所。\n2.改造道路30公里。\n3.新增养老床位500张。\n",
        "办好三件民生实事：\n1、新建学校20所。\n2、改造道路30公里。\n3、新增养老床位500张。\n",
        "办好三件民生实事：\n（1）新建学校20所。\n（2）改造道路30公里。\n（3）新增养老床位500张。\n",
        "办好三件民生实事：\n①新建学校20所。\n②改造道路30公里。\n③新增养老床位500张。\n",
        "今年要办好三件民生实事。一是新建学校20所。二是改造道路30公里。三是新增养老床位500张。\n",
        "今年要办好“三件民生实事”。（1）新建学校20所。（2）改造道路30公里。（3）新增养老床位500张。\n",
        "我们将办好3件民生实事，包括：新建学校20所；改造道路30公里；新增养老床位500张。\n",
        "办好三件民生实事：\n新建学校20所。\n改造道路30公里。\n新增养老床位500张。\n",
    ],
)
def test_practical_matters_in_every_shape(listing: str) -> None:
    r = parse_report(_plan_with(listing))
    got = matters(r)
    assert [c.matter_number for c in got] == [1, 2, 3]
    assert [[(t.value, t.unit) for t in c.targets] for c in got] == [
        [(Decimal(20), "所")],
        [(Decimal(30), "公里")],
        [(Decimal(500), "张")],
    ]
    for c in got:
        assert r.text[c.start : c.end] == c.text
        assert c.text.startswith(("新建", "改造", "新增")), c.text
    assert not any(w.code == "matters_not_listed" for w in r.warnings)


def test_practical_matters_in_an_annex_after_the_closing_words() -> None:
    annex = (
        "附件1\n2026年省三件民生实事\n坚持民生为大，扎实办好三件民生实事。\n"
        "一、提升教育水平。\n新建学校20所。\n二、改善出行条件。\n改造道路30公里。\n"
        "三、加强养老服务。\n新增养老床位500张。\n附件2\n名词解释\n1.“四上”企业：指规模以上企业。\n"
    )
    r = parse_report(_plan_with("", closing=annex))
    got = matters(r)
    assert [c.matter_number for c in got] == [1, 2, 3]
    assert got[0].text == "提升教育水平。\n新建学校20所。"
    assert [t.value for c in got for t in c.targets] == [20, 30, 500]
    assert [s.role for s in r.sections if s.level == "part"][-2:] == ["annex", "annex"]
    assert any(w.code == "annex" and "名词解释" in w.verbatim for w in r.warnings)
    assert not any("让我们" in c.text for c in r.commitments)


def test_a_list_only_mentioned_is_noted_never_invented() -> None:
    r = parse_report(_plan_with("（二）惠民生。今年将继续办好20件民生实事，让群众得实惠。\n"))
    assert matters(r) == []
    noted = [w for w in r.warnings if w.code == "matters_not_listed"]
    assert len(noted) == 1
    assert "20" in noted[0].message and "does not list them" in noted[0].message
    assert "20件民生实事" in noted[0].verbatim


# ----------------------------------------------------------------------------- baselines


def test_baseline_only_from_the_same_metric() -> None:
    text = (
        "2026年开封市政府工作报告\n各位代表：\n一、2025年工作回顾\n"
        "全年新增贷款100亿元，直接融资80亿元。42个园林绿化项目完工。\n"
        "二、2026年工作安排\n（一）稳增长。全年新增贷款120亿元。招商引资到位资金90亿元。"
        "规划实施60个园林绿化项目。\n"
    )
    r = parse_report(text)
    by = {t.text: t for c in r.commitments for t in c.targets}
    loans = by["全年新增贷款120亿元"]
    assert loans.baseline is not None and loans.baseline.value == 100
    assert by["招商引资到位资金90亿元"].baseline is None  # same unit, another metric
    assert by["60个园林绿化项目"].baseline is None  # finished is no baseline of under way


def test_place_from_a_congress_line_broken_in_two() -> None:
    head = "政府工作报告\n——2026年1月26日在广东省第十四届\n人民代表大会第五次会议上\n"
    assert parse_report(report(head)).place == "广东省"


def test_main_targets_as_a_list_of_lines() -> None:
    body = (
        "二、2026年工作安排\n今年主要预期目标是：\n——生产总值增长5%左右；\n"
        "——城镇新增就业10万人；\n——粮食产量60亿斤。\n"
        "实现上述目标，要重点抓好以下工作：\n（一）稳增长。新建学校20所。\n"
    )
    r = parse_report(report("2026年开封市政府工作报告\n", body))
    assert [(t.metric, t.value, t.unit) for c in mains(r) for t in c.targets] == [
        ("生产总值", Decimal(5), "%"),
        ("城镇新增就业", Decimal(10), "万人"),
        ("粮食产量", Decimal(60), "亿斤"),
    ]
