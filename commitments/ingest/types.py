"""The parser's output: plain data, no Django.

Offsets (``start``/``end``) are character offsets into ``ParsedReport.text``, the
decoded and normalised text of ONE copy of the report (line endings ``\\n``, BOM
removed, a file holding the same report several times over reduced to one copy).
``report.text[c.start:c.end] == c.text`` holds for every commitment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

SectionLevel = Literal["part", "chapter", "topic"]
Kind = Literal["main_target", "practical_matter", "pollution", "general"]
# about 左右 / at_least 以上、不低于 / exceed 超过、突破 / strive 力争 / ensure 确保 /
# reach 达到、提高到、稳定在 / none: a bare number
Qualifier = Literal["", "about", "at_least", "exceed", "strive", "ensure", "reach"]
# increase: the figure should go up to/above the value; decrease: down (下降, 减少, 负增长…);
# maintain: 保持稳定; achieve: a qualitative end state (清零, 全覆盖, 全部淘汰…)
Direction = Literal["increase", "decrease", "maintain", "achieve"]
# What a part of the report is about, read from its title (and, when the title is a slogan,
# from its first paragraphs). Only "plan" and "government" parts give commitments; "review"
# gives baselines; "multi_year_review" and "five_year_outline" give neither.
#   review             last year's work (一、2025年工作回顾; may also look back five years)
#   multi_year_review  only the past five years (“十四五”时期回顾, 过去五年)
#   five_year_outline  the next five-year plan (“十五五”时期主要目标任务, 今后五年)
#   plan               this year's work (2026年工作安排, 重点工作, 主要任务)
#   government         the government's own building (加强政府自身建设)
#   annex              after the closing words (附件: 民生实事, 名词解释)
#   other              none of these: read for nothing, its paragraphs are set aside
PartRole = Literal[
    "review", "multi_year_review", "five_year_outline", "plan", "government", "annex", "other"
]
# province: 省, 自治区 and the four 直辖市; city: 市 (prefecture level), 州, 盟, 地区;
# county: 县, 旗 (and their 自治 forms); district: 区.
PlaceLevel = Literal["province", "city", "county", "district"]
# Why a span of the report was set aside (not made a commitment). Stable: a review screen
# filters on it and staff may take a set-aside span back as a commitment.
SetAsideCode = Literal[
    "address",  # 各位代表！
    "rhetoric",  # prediction, exhortation, no action or target
    "framing",  # introduces a list (重点抓好以下工作：), or frames the main targets
    "closing",  # the closing words after the last chapter
    "preamble",  # situation / general requirements before the first chapter of a plan part
    "review",  # a review part (last year or the past five years)
    "five_year_outline",  # the next five-year plan's goals: not this year's targets
    "other",  # a part that is neither review nor plan
    "annex",  # an annex that is not a practical-matters list (名词解释)
    "chrome",  # words of the web page around a pasted report (下载, 打印, 来源：…)
    "unreadable",  # could not be read at all
    "dropped",  # set aside by staff in the import review
]
# Notes that set nothing aside: the parser says what it could not be sure of.
NoteCode = Literal[
    "",
    "copies_differ",
    "no_title",
    "no_main_targets",
    "no_matters",
    "matters_count",
    "matters_not_listed",
    "chapter_numbering",
    "unclassified",
    "no_metric",
    "place_guessed",
]


@dataclass(frozen=True)
class ParsedSection:
    key: str  # "2", "2.1", "2.1.3": part, chapter, topic numbers; stable across re-parses
    level: SectionLevel
    label: str  # the report's own label: "二、", "（一）", "" for a topic or an unnumbered part
    title: str  # "2017年工作安排", "激发需求潜力，保持经济平稳增长", "扩大有效投资"
    order: int  # 1-based among its siblings
    parent_key: str | None
    start: int
    end: int
    role: PartRole = "other"  # the role of its part (a chapter or topic inherits it)


@dataclass(frozen=True)
class ParsedBaseline:
    year: int  # the year reviewed in part 一 (report year - 1)
    value: Decimal
    unit: str
    text: str  # the part-一 phrase it came from, verbatim ("全年新增贷款151亿元")
    start: int
    end: int


@dataclass(frozen=True)
class ParsedTarget:
    metric: str  # what is measured, in the report's words: "新增贷款", "城市低保月人均补助水平"
    value: Decimal | None  # None for a qualitative target
    value_max: Decimal | None  # upper bound of a range (2个至3个), else None
    unit: str  # as written: "%", "亿元", "万人", "个百分点", "条", "套", "公里"…; "" if qualitative
    qualifier: Qualifier
    direction: Direction
    text: str  # the phrase verbatim, e.g. "生产总值增长8%左右"
    start: int
    end: int
    order: int  # 1-based within its commitment
    baseline: ParsedBaseline | None = None

    @property
    def is_qualitative(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class ParsedCommitment:
    section_key: str  # the deepest section it sits in
    order: int  # 1-based within its chapter (or part, when it sits in no chapter)
    code: str  # stable: "2017-2.1-03"; main targets "2017-2.0-01"; 十件实事 "2017-2.S-01"
    text: str  # verbatim
    start: int
    end: int
    kind: Kind
    matter_number: int | None  # 1..10 for a practical matter
    due_date: dt.date  # from the text (年内, 今年, 三年行动…) else 31 December of the year
    due_text: str  # the words the due date was read from, "" when defaulted
    targets: tuple[ParsedTarget, ...] = ()


@dataclass(frozen=True)
class ParseWarning:
    """A note on the parse, or a span of the report set aside (not made a commitment).

    ``message`` is bilingual ("中文 / English"); ``text`` a short excerpt (40 characters and
    "…"). A set-aside (``code`` in SetAsideCode) also has the whole span: ``start``/``end``
    offsets into ``ParsedReport.text`` with ``report.text[start:end] == verbatim``, and the
    section it sits in, so that a review screen can list it and staff can take it back.
    """

    message: str
    text: str = ""
    start: int | None = None
    code: SetAsideCode | NoteCode = ""
    end: int | None = None
    verbatim: str = ""  # the whole span, verbatim ("" for a note without a span)
    section_key: str | None = None
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def is_set_aside(self) -> bool:
        return self.code in SET_ASIDE_CODES and self.end is not None

    def __str__(self) -> str:
        return self.message + (f" | {self.text}" if self.text else "")


SET_ASIDE_CODES: frozenset[str] = frozenset(
    """address rhetoric framing closing preamble review five_year_outline other annex chrome
    unreadable dropped""".split()
)


@dataclass
class ParsedReport:
    place: str  # with its suffix: "安阳市", "河南省", "海拉尔区", "广西壮族自治区"
    place_level: PlaceLevel
    year: int  # 2017
    title: str  # "2017年安阳市政府工作报告"
    text: str  # one copy, normalised
    encoding: str  # "utf-8" / "gb18030"
    copies: int  # how many identical copies the raw file held (1 normally; 8 for the seed)
    sections: list[ParsedSection] = field(default_factory=list)
    commitments: list[ParsedCommitment] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)  # notes and set-asides

    @property
    def set_asides(self) -> list[ParseWarning]:
        return [w for w in self.warnings if w.is_set_aside]


class ReportFormatError(ValueError):
    """The input is not a government work report this parser can read; the message says why."""
