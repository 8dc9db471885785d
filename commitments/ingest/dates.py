"""Due dates: what the sentence says, else 31 December of the report year.

Read, in this order (the longer horizon wins: "实施县乡公路三年提升计划，今年新改建农村公路
300公里" is due at the end of the three-year plan):

- "三年行动", "三年提升计划", "五年行动计划" → 31 December of year + n − 1;
- "6月底前" → the last day of that month;
- "年内", "今年", "全年", "年底前" → 31 December of the year.

Nothing else is read ("上半年", "到2020年" are left alone: don't over-read).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .numerals import cn_to_int

__all__ = ["due_date_for"]

# "三年行动", "三年提升计划", "五年行动计划", "三年攻坚": a multi-year programme. Not after
# another digit, so "2017年行动" is not read as "17年行动".
MULTI_YEAR_RE = re.compile(
    r"(?<![0-9〇零一二两三四五六七八九十])([一二两三四五六七八九十]|\d{1,2})年"
    r"(?:行动计划|行动|提升计划|攻坚计划|攻坚行动|攻坚战|攻坚|计划)"
)
MAX_PROGRAMME_YEARS = 10
MONTH_END_RE = re.compile(r"(?<![0-9])(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月底(?:前)?")
# "年内" but not "三年内" (that is a multi-year horizon we do not read).
YEAR_END_RE = re.compile(r"(?<![0-9〇零一二两三四五六七八九十])年内|今年|全年|年底前|年底")


def due_date_for(text: str, year: int) -> tuple[dt.date, str]:
    """(due date, the words it was read from); ``(31 Dec year, "")`` when nothing is said."""
    m = MULTI_YEAR_RE.search(text)
    if m:
        n = _number(m.group(1))
        if 1 <= n <= MAX_PROGRAMME_YEARS:
            return dt.date(year + n - 1, 12, 31), m.group(0)
    m = MONTH_END_RE.search(text)
    if m:
        month = _number(m.group(1))
        if 1 <= month <= 12:
            return dt.date(year, month, calendar.monthrange(year, month)[1]), m.group(0)
    m = YEAR_END_RE.search(text)
    if m:
        return dt.date(year, 12, 31), m.group(0)
    return dt.date(year, 12, 31), ""


def _number(s: str) -> int:
    return int(s) if s.isdigit() else cn_to_int(s)
