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


@dataclass(frozen=True)
class ParsedSection:
    key: str  # "2", "2.1", "2.1.3": part, chapter, topic numbers; stable across re-parses
    level: SectionLevel
    label: str  # the report's own label: "二、", "（一）", "" for a topic
    title: str  # "2017年工作安排", "激发需求潜力，保持经济平稳增长", "扩大有效投资"
    order: int  # 1-based among its siblings
    parent_key: str | None
    start: int
    end: int


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
    message: str
    text: str = ""
    start: int | None = None


@dataclass
class ParsedReport:
    city: str  # "安阳"
    year: int  # 2017
    title: str  # "2017年安阳市政府工作报告"
    text: str  # one copy, normalised
    encoding: str  # "utf-8" / "gb18030"
    copies: int  # how many identical copies the raw file held (1 normally; 8 for the seed)
    sections: list[ParsedSection] = field(default_factory=list)
    commitments: list[ParsedCommitment] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)  # what it could not classify


class ReportFormatError(ValueError):
    """The input is not a government work report this parser can read; the message says why."""
