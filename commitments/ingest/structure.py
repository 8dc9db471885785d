"""The report's skeleton: copies, title, city and year, parts, chapters, topics, 实事 list.

A work report is one paragraph per line. Its skeleton, as every city writes it:

    2017年安阳市政府工作报告                     title (city and year come from it)
    各位代表：…                                   head
    一、2016年工作回顾                             part (a review part: figures, no commitments)
    （一）稳增长保态势。…                          chapter: title = lead phrase up to 。
    二、2017年工作安排                             part (a plan part)
    今年政府工作的总体要求是：…                    preamble (framing: 总体要求, 预期目标…)
    （一）激发需求潜力，保持经济平稳增长。…        chapter
    扩大有效投资。围绕…                            topic: a short lead phrase, then its body
    加强社会主义核心价值观建设，大力弘扬…          no short lead: belongs to the chapter
    办好…“十件实事”：  1.… 2.… … 10.…              the practical-matters list (section "2.S")
    三、加强政府自身建设 … 各位代表！ 行动改变…   closing paragraph(s)

The walk produces sections and, for each paragraph, a Block that says where it sits and
where its commitment-bearing text starts (after a chapter/topic heading or item number).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Literal

from .numerals import cn_to_int
from .place import level_of, read_place
from .types import (
    ParsedSection,
    ParseWarning,
    PartRole,
    PlaceLevel,
    ReportFormatError,
    SectionLevel,
)

__all__ = ["Block", "Part", "Skeleton", "read_skeleton", "split_copies"]

# Whitespace that indents Chinese paragraphs: ideographic space, NBSP, tabs.
WS = " \t\u3000\xa0\f\v"

# A part heading is a whole short line "二、2017年工作安排". The numeral must follow the
# previous part's, so a stray "一、" inside the text does not restart the report.
PART_HEADING_RE = re.compile(
    r"^(?:([一二三四五六七八九十]{1,3})、|第([一二三四五六七八九十]{1,3})部分[、：:\s]*)\s*(\S.*)$"
)
MAX_PART_HEADING_CHARS = 40
# A report without numbered parts heads them with a bare short line whose words say what
# the part is ("2026年工作安排", "过去一年工作回顾", "加强政府自身建设").
MAX_BARE_PART_CHARS = 30
# A chapter starts a paragraph with a full-width (or ASCII) parenthesised numeral; in a
# part without those, paragraphs opening "一是…", "二是…" in sequence are its chapters.
CHAPTER_RE = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*")
ENUM_CHAPTER_RE = re.compile(r"^([一二三四五六七八九十]{1,3})是")
# The chapter/topic title runs to the first sentence end.
SENTENCE_END_RE = re.compile(r"[。！？!?]")
# A topic opens its paragraph with a short lead phrase and 。 ("扩大有效投资。"), or is a
# short heading line of its own. 16 characters covers "打好大气污染防治攻坚战"; a lead
# with a comma is a sentence, not a heading ("加强社会主义核心价值观建设，大力弘扬…").
TOPIC_LEAD_RE = re.compile(r"^(?:\d{1,2}[.．、]\s*)?([^，,；;：:。！？!?0-9\n]{2,16})(?:。|$)")
# "一是减少燃煤污染。" is an enumerated sub-lead, never a topic heading.
ENUMERATION_RE = re.compile(r"^[一二三四五六七八九十]是")
# The practical-matters list is introduced by a line that names it, right before item 1:
# "办好事关人民群众切身利益的“十件实事”：", "重点办好十大民生工程：".
MATTERS_INTRO_RE = re.compile(r"实事|民生工程|惠民工程|民生项目")
MAX_MATTERS_INTRO_CHARS = 60
MAX_COUNTED_INTRO_CHARS = 200
MATTER_ITEM_RE = re.compile(
    r"^(?:(\d{1,2})[.．、](?!\d)|[（(](\d{1,2})[）)]|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])"
    r"|([一二三四五六七八九十]{1,3})、)\s*"
)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Inline items inside one paragraph: "（1）…（2）…", "①…②…", "一是…二是…".
INLINE_ITEM_RE = re.compile(
    r"[（(](\d{1,2})[）)]|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])|(?<![一二三四五六七八九十])([一二三四五六七八九十]{1,3})是"
)
# The list's own name: “十件实事” (quoted), or 十大民生工程 / 十项重点民生实事 (counted).
MATTERS_NAME_RE = re.compile(
    r"“([^”]{0,10}(?:实事|工程|项目))”"
    r"|([一二三四五六七八九十\d]{1,3}(?:件|大|项)(?:重点)?(?:民生|惠民)?(?:实事|工程|项目))"
)
# A counted mention: "15件市级重点民生实事", "十方面民生实事", "30项为民办实事项目",
# "10大类60项民生实事项目" (the count nearest the name: 60). No number in the gap.
MATTERS_COUNT_RE = re.compile(
    r"(?P<n>[一二三四五六七八九十百]{1,3}|\d{1,3})\s*(?:件|项|大|方面|个)"
    r"[^，。；;：:\d一二三四五六七八九十百]{0,8}?(?:实事|民生工程|惠民工程|民生项目)"
)
# An annex after the closing words: "附件1", "附件：", "附：2026年省政府民生实事".
ANNEX_RE = re.compile(r"^附(?:件|录)?\s*[0-9一二三四五六七八九十]*\s*(?:[：:]|$)")
# Part titles: what a part is about (see PartRole in types.py).
REVIEW_PART_RE = re.compile(r"回顾|过去|成绩|总结|成就|成效|进展")
PLAN_PART_RE = re.compile(
    r"工作安排|重点工作|工作任务|主要任务|目标任务|总体要求|工作部署|主要目标|工作思路|"
    r"重点任务|目标和任务|主要工作|工作重点|自身建设|政府建设|工作打算|年工作"
)
GOVERNMENT_PART_RE = re.compile(
    r"政府自身建设|加强自身建设|政府建设|服务型政府|法治政府|廉洁政府|人民满意的[^，。]{0,8}政府|"
    r"政府治理|建设[^，。]{0,6}政府$"
)
THIS_YEAR_RE = re.compile(r"今年|本年|开局|开好局|起好步|起步之年|新的一年")
# A five-year plan named by its ordinal: “十四五” (2021-2025), 第十五个五年规划 (2026-2030).
FIVE_YEAR_PLAN_RE = re.compile(r"十([一二三四五六七八九])五|第十([一二三四五六七八九])个五年")
NEXT_YEARS_RE = re.compile(r"今后五年|未来五年|五年规划纲要|规划纲要")
PAST_YEARS_RE = re.compile(r"过去五年|五年来|这五年|[两三四五]年来|过去[两三四五]年")
LAST_YEAR_RE = re.compile(r"过去一年|一年来|去年|刚刚过去的")
# Preamble paragraphs that frame the year (总体要求, 预期目标) mark the framing part.
FRAMING_MARK_RE = re.compile(r"总体要求|预期目标|主要目标|指导思想")
# "各位代表！" opens the closing words when it comes after the last chapter.
ADDRESS_RE = re.compile(r"^各位代表[！!：:，,。]?")
CLOSING_EXHORTATION_RE = re.compile(r"让我们")
# City and year, from the title lines: "2017年安阳市政府工作报告",
# "政府工作报告——2019年1月在洛阳市第十五届人民代表大会上".
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
CITY_AFTER_YEAR_RE = re.compile(r"(?:^|\d{4}\s*年(?:度)?)([\u4e00-\u9fff]{2,5}?)市")
CITY_AT_CONGRESS_RE = re.compile(r"在([\u4e00-\u9fff]{2,5}?)市第?[一二三四五六七八九十]+届")
TITLE_CONTINUATION_RE = re.compile(r"^(?:——|—|--|[（(])")
# The words of a web page around a pasted report: buttons, captions, source lines.
CHROME_LINE_RE = re.compile(
    r"^(?:下载|打印|全屏|收藏|分享|分享到[：:]?.*|[【\[]?字号[：:].*|加大|还原|减小|默认|大|中|小|"
    r"[【】\[\]]|关闭|关闭窗口|返回顶部|返回|顶部|扫一扫.*|"
    r"相关(?:报道|新闻|链接|阅读|文章)[：:]?|"
    r"(?:来源|时间|发布时间|发布日期|日期|编辑|责任编辑|作者|稿源|浏览次数|点击数|文章来源)[：:].*|"
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?|"
    r"[【\[](?:打印|关闭|收藏|纠错)[】\]].*)$"
)
CAPTION_RE = re.compile(r"(?:记者|摄影|通讯员|图)[^。]{0,20}摄[）)]?$")
MAX_CAPTION_CHARS = 120

Role = Literal[
    "head", "part", "chapter", "topic", "body", "matters_intro", "matter", "closing", "annex"
]


@dataclass
class Part:
    key: str
    number: int
    label: str
    title: str
    start: int
    role: PartRole
    framing: bool = False  # its preamble frames the year (总体要求, 预期目标): no commitments

    @property
    def review(self) -> bool:
        """Gives no commitments (a review, an outline, an annex…)."""
        return self.role not in ("plan", "government")


@dataclass
class Block:
    """One paragraph (line) of the report and where it sits."""

    start: int
    end: int
    role: Role
    part: Part | None = None
    section_key: str | None = None  # the deepest section holding it
    chapter_code: str = "0"  # for commitment codes: "1".."n", "0" (no chapter), "S"
    chapter_title: str = ""
    body_start: int = 0  # where commitment-bearing text starts
    matter_number: int | None = None
    preamble: bool = False  # in a part, before its first chapter


@dataclass
class _Draft:
    key: str
    level: SectionLevel
    label: str
    title: str
    order: int
    parent_key: str | None
    start: int
    end: int | None = None  # known for single-paragraph topics and the 实事 list


@dataclass
class Skeleton:
    text: str
    title: str
    place: str
    place_level: PlaceLevel
    year: int
    parts: list[Part]
    sections: list[ParsedSection]
    blocks: list[Block]
    warnings: list[ParseWarning] = field(default_factory=list)
    chrome: list[tuple[int, int]] = field(default_factory=list)  # web-page lines, skipped


# ----------------------------------------------------------------------------- copies


def split_copies(text: str) -> tuple[str, int, list[ParseWarning]]:
    """Reduce a file holding the same report several times over to one copy.

    Copies are found by the title line (the first non-blank line) recurring as a whole
    line. Identical copies give ``copies == n``; copies that differ but each look like a
    full report give a warning and the first is kept; a title line that merely recurs
    inside one report is left alone.
    """
    lines = _line_spans(text)
    if not lines:
        return _tidy(text), 1, []
    first = lines[0][2]
    starts = [a for a, _, content in lines if content == first]
    if len(starts) < 2:
        return _tidy(text), 1, []
    # Each copy runs from the start of its title line to the next title line.
    line_starts = [text.rfind("\n", 0, a) + 1 for a in starts]
    bounds = [*line_starts[1:], len(text)]
    copies = [_tidy(text[a:b]) for a, b in zip(line_starts, bounds, strict=True)]
    if all(c == copies[0] for c in copies):
        return copies[0], len(copies), []
    if all(_has_plan_part(c) for c in copies):
        differing = [i + 1 for i, c in enumerate(copies) if c != copies[0]]
        return (
            copies[0],
            len(copies),
            [
                ParseWarning(
                    f"文件含 {len(copies)} 份报告但内容不同（第 {differing} 份与第 1 份不一致），"
                    f"只读入第 1 份 / the file holds {len(copies)} copies that differ "
                    f"(copies {differing} differ from copy 1); parsed the first"
                )
            ],
        )
    return _tidy(text), 1, []


def _tidy(text: str) -> str:
    """Drop blank lines before the first paragraph and trailing whitespace; end with \\n."""
    lines = text.split("\n")
    while lines and not lines[0].strip(WS):
        lines.pop(0)
    return "\n".join(lines).rstrip() + "\n"


def _has_plan_part(text: str) -> bool:
    return any(
        (m := PART_HEADING_RE.match(content)) and PLAN_PART_RE.search(m.group(3))
        for _, _, content in _line_spans(text)
    )


def _line_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of each non-blank line, indentation and trailing blanks excluded."""
    spans: list[tuple[int, int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        content = raw.strip(WS)
        if content:
            lead = len(raw) - len(raw.lstrip(WS))
            spans.append((pos + lead, pos + lead + len(content), content))
        pos += len(raw) + 1
    return spans


# ----------------------------------------------------------------------------- skeleton


def is_chrome(content: str) -> bool:
    """A line of the web page around a pasted report, not of the report."""
    if CHROME_LINE_RE.match(content):
        return True
    return len(content) <= MAX_CAPTION_CHARS and bool(CAPTION_RE.search(content))


def read_skeleton(
    text: str,
    *,
    default_city: str | None = None,
    default_year: int | None = None,
    place: str | None = None,
    year: int | None = None,
) -> Skeleton:
    """Walk the lines of one copy; raise ReportFormatError if it is not a work report.

    ``place``/``year`` win over what the report says; ``default_city``/``default_year``
    are used only when it says nothing.
    """
    all_lines = _line_spans(text)
    _refuse_non_report(text, all_lines)
    lines = [line for line in all_lines if not is_chrome(line[2])]
    chrome = [(a, b) for a, b, content in all_lines if is_chrome(content)]
    # Part roles compare with the year the report itself names; an override only renames it.
    early_year = _early_year(lines) or year or default_year
    walker = _Walker(text, lines, early_year)
    walker.walk()
    if not walker.parts:
        raise ReportFormatError(
            _not_a_report(
                "没有“一、…”“二、…”或“2017年工作安排”这样的部分标题 / no parts: neither "
                "numbered headings nor heading lines such as “2017年工作安排”"
            )
        )
    if not any(p.role == "plan" for p in walker.parts):
        titles = "、".join(p.label + p.title for p in walker.parts)[:80]
        raise ReportFormatError(
            _not_a_report(
                f"有编号部分（{titles}）但没有“工作安排/重点工作”部分 / numbered parts found "
                "but none plans the year (工作安排, 重点工作, 目标任务…)"
            )
        )

    warnings = walker.warnings
    head = [content for start, _, content in lines if start < walker.parts[0].start]
    title = _title(head)
    if not title:
        warnings.append(
            ParseWarning("未找到报告标题行 / no title line before part 一", code="no_title")
        )
    if year is None:
        year = _year(head, walker.parts, default_year)
    the_place, level = _place(head, lines, walker, place, default_city, warnings)
    walker.mark_closing()
    walker.mark_framing()
    return Skeleton(
        text=text,
        title=display_title(title, the_place, year),
        place=the_place,
        place_level=level,
        year=year,
        parts=walker.parts,
        sections=walker.finish_sections(),
        blocks=walker.blocks,
        warnings=warnings,
        chrome=chrome,
    )


def _not_a_report(why: str) -> str:
    return (
        f"不是政府工作报告：{why}。应有“二、2017年工作安排”这类部分标题。"
        f" / Not a government work report: expected parts such as “二、2017年工作安排”."
    )


def _refuse_non_report(text: str, lines: list[tuple[int, int, str]]) -> None:
    """Name the common wrong files (JSON, CSV) before the generic structural check."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            raise ReportFormatError(
                "这是一个 JSON 文件，不是政府工作报告 / this is a JSON file, not a government "
                "work report (expected plain text with parts such as “二、2017年工作安排”)."
            )
    if len(lines) >= 3:
        separators = [content.count(",") + content.count("\t") for _, _, content in lines]
        if min(separators) >= 1 and len(set(separators)) == 1:
            raise ReportFormatError(
                "这是一个 CSV/表格文件，不是政府工作报告 / this looks like a CSV or TSV table "
                f"({len(lines)} rows of {separators[0] + 1} fields), not a government work report."
            )


def _title(head: list[str]) -> str:
    """The first line before part 一, plus a "——…" continuation line; not an address."""
    if not head or ADDRESS_RE.match(head[0]) or len(head[0]) > 80:
        return ""
    title = head[0]
    if len(head) > 1 and TITLE_CONTINUATION_RE.match(head[1]) and len(head[1]) <= 80:
        title += head[1]
    return title


def display_title(title: str, place: str, year: int) -> str:
    """The report's name as the ledger shows it: the title line without the occasion
    ("——2026年1月26日在…会议上"), or "2017年安阳市政府工作报告" where the title line does
    not name both the place and the year (a bare "政府工作报告")."""
    name = re.split(r"[—（(]", title, maxsplit=1)[0].strip(" \u3000")
    if "政府工作报告" in name and place in name and str(year) in name:
        return name
    return f"{year}年{place}政府工作报告"


def _head_text(head: list[str]) -> str:
    """The lines before the address "各位代表：" (title, date, speaker)."""
    out = []
    for content in head[:6]:
        if ADDRESS_RE.match(content):
            break
        out.append(content)
    return "\n".join(out)


def _early_year(lines: list[tuple[int, int, str]]) -> int | None:
    """The year as the head names it, before the walk (part roles compare with it)."""
    head: list[str] = []
    for _, _, content in lines[:12]:
        if ADDRESS_RE.match(content) or PART_HEADING_RE.match(content):
            break
        head.append(content)
    m = YEAR_RE.search(_head_text(head))
    return int(m.group(1)) if m else None


def _year(head: list[str], parts: list[Part], default_year: int | None) -> int:
    m = YEAR_RE.search(_head_text(head))
    if m:
        return int(m.group(1))
    for p in parts:  # "二、2017年工作安排"; a review part "一、2016年工作回顾" is the year before
        m = YEAR_RE.search(p.title)
        if m and p.role in ("plan", "review"):
            return int(m.group(1)) + (1 if p.role == "review" else 0)
    if default_year is not None:
        return default_year
    raise ReportFormatError(
        "无法确定报告年份：标题和部分标题中都没有“2017年”这样的年份 / cannot tell the report's "
        "year: neither the title nor the part headings name one; pass default_year (--year)."
    )


def _place(
    head: list[str],
    lines: list[tuple[int, int, str]],
    walker: _Walker,
    place: str | None,
    default_city: str | None,
    warnings: list[ParseWarning],
) -> tuple[str, PlaceLevel]:
    """The place: the override, else what the head (then the first body lines) names."""
    if place:
        read = place.strip()
    else:
        first_part = walker.parts[0].start
        body = [c for a, _, c in lines if a >= first_part][:3]
        read = read_place(_head_text(head).split("\n")) or read_place(head[:12] + body)
        if not read and default_city:
            read = default_city.strip()
    if not read:
        raise ReportFormatError(
            "未能识别报告所属地方（标题、会议名称和报告人中都没有“XX省/市/区/县”），请用 --place "
            "指明 / cannot tell whose report this is: neither the title, the congress nor the "
            "speaker names a province, city, county or district; pass --place (place=)."
        )
    level = level_of(read)
    if level is None:
        # A bare name ("开封", as default_city has always been given): a city's, by the
        # parser's history; said so.
        warnings.append(
            ParseWarning(
                f"地方“{read}”无行政区划后缀，按市级处理 / place {read!r} has no suffix "
                "(省/市/县/区…); taken as a city",
                code="place_guessed",
            )
        )
        level = "city"
    return read, level


def classify_part(title: str, lookahead: str, year: int | None) -> PartRole:
    """What a part is about, from its title, else from its first paragraphs (lookahead)."""
    if GOVERNMENT_PART_RE.search(title):
        return "government"
    if (year is not None and f"{year}年" in title) or THIS_YEAR_RE.search(title):
        return "plan"
    if _names_next_plan(title, year):
        return "five_year_outline"
    if year is not None and f"{year - 1}年" in title:
        return "review"
    if REVIEW_PART_RE.search(title):
        return "multi_year_review" if _names_past_years(title, year) else "review"
    if PLAN_PART_RE.search(title) and not _names_past_years(title, year):
        return "plan"
    first = SENTENCE_END_RE.split(lookahead, maxsplit=1)[0]
    if _names_next_plan(first, year):
        return "five_year_outline"
    if LAST_YEAR_RE.search(first) or (year is not None and f"{year - 1}年" in first):
        return "review"
    if _names_past_years(first, year):
        return "multi_year_review"
    if (year is not None and f"{year}年" in first) or THIS_YEAR_RE.search(first):
        return "plan"
    return "other"


def _plan_start(m: re.Match[str]) -> int:
    """First year of a five-year plan: 十四五 → 2021, 十五五 → 2026."""
    ordinal = 10 + cn_to_int(m.group(1) or m.group(2))
    return 1951 + 5 * ordinal


def _names_next_plan(s: str, year: int | None) -> bool:
    if NEXT_YEARS_RE.search(s):
        return True
    starts = [_plan_start(m) for m in FIVE_YEAR_PLAN_RE.finditer(s)]
    if year is None:
        return False
    return any(start >= year for start in starts)


def _names_past_years(s: str, year: int | None) -> bool:
    if PAST_YEARS_RE.search(s):
        return True
    return year is not None and any(_plan_start(m) < year for m in FIVE_YEAR_PLAN_RE.finditer(s))


class _Walker:
    """One pass over the lines, keeping the current part / chapter / topic."""

    def __init__(self, text: str, lines: list[tuple[int, int, str]], year: int | None) -> None:
        self.text = text
        self.lines = lines
        self.year = year
        self.parts: list[Part] = []
        self.blocks: list[Block] = []
        self.drafts: list[_Draft] = []
        self.warnings: list[ParseWarning] = []
        self.closing_start: int | None = None
        self._part: Part | None = None
        self._chapter: _Draft | None = None
        self._chapter_number = 0
        self._chapter_siblings = 0
        self._chapter_style = "paren"  # "paren" （一）, "enum" 一是, "bare" short heading lines
        self._topic: _Draft | None = None
        self._topic_open = False  # a heading-only topic line: following paragraphs join it
        self._topics = 0
        self._matters_done: set[str] = set()
        self._annex = False
        # Without any numbered part heading, bare heading lines head the parts.
        self._bare_parts = not any(self._numbered_part(c) is not None for _, _, c in lines)

    # -- the walk

    def walk(self) -> None:
        i = 0
        while i < len(self.lines):
            start, end, content = self.lines[i]
            if self._try_annex(start, content):
                i += 1
                continue
            if not self._annex and self._try_part(i, start, content):
                i += 1
                continue
            if self._part is None:
                self.blocks.append(Block(start, end, "head", body_start=start))
                i += 1
                continue
            consumed = self._try_matters(i)
            if consumed:
                i += consumed
                continue
            if self._try_inline_matters(start, end, content):
                i += 1
                continue
            if self._try_chapter(start, end, content):
                i += 1
                continue
            if self._try_topic(start, end, content):
                i += 1
                continue
            self._body(start, end)
            i += 1

    def _numbered_part(self, content: str) -> tuple[int, str, str] | None:
        """(number, label, title) of a numbered part heading line, else None."""
        m = PART_HEADING_RE.match(content)
        if not m or len(content) > MAX_PART_HEADING_CHARS or content[-1] in "。；;，,：:":
            return None
        try:
            number = cn_to_int(m.group(1) or m.group(2))
        except ValueError:
            return None
        return number, content[: m.start(3)].strip(WS), m.group(3).strip(WS)

    def _lookahead(self, i: int) -> str:
        return "".join(c for _, _, c in self.lines[i + 1 : i + 3])

    def _try_part(self, i: int, start: int, content: str) -> bool:
        numbered = self._numbered_part(content)
        if numbered is not None:
            number, label, title = numbered
            if self.parts and number != self.parts[-1].number + 1:
                return False
            role = classify_part(title, self._lookahead(i), self.year)
        elif self._bare_parts and self._bare_part_heading(content):
            number, label, title = len(self.parts) + 1, "", content
            role = classify_part(title, "", self.year)
            if role == "other":
                return False
        else:
            return False
        self._open_part(Part(str(number), number, label, title, start, role), content)
        return True

    def _bare_part_heading(self, content: str) -> bool:
        if len(content) > MAX_BARE_PART_CHARS or content[-1] in "。；;，,：:！!？?":
            return False
        if CHAPTER_RE.match(content) or MATTER_ITEM_RE.match(content) or ADDRESS_RE.match(content):
            return False
        return bool(
            GOVERNMENT_PART_RE.search(content)
            or PLAN_PART_RE.search(content)
            or REVIEW_PART_RE.search(content)
            or FIVE_YEAR_PLAN_RE.search(content)
        )

    def _open_part(self, part: Part, content: str) -> None:
        start = part.start
        self.parts.append(part)
        self.drafts.append(
            _Draft(part.key, "part", part.label, part.title, len(self.parts), None, start)
        )
        self.blocks.append(
            Block(start, start + len(content), "part", part, part.key, body_start=start)
        )
        self._part = part
        self._chapter = self._topic = None
        self._chapter_number = self._chapter_siblings = 0
        self._topic_open = False
        self._chapter_style = self._style_of_part(start)

    def _style_of_part(self, start: int) -> str:
        """How this part heads its chapters: （一）, else 一是/二是 paragraphs, else bare lines."""
        contents = []
        for a, _, c in self.lines:
            if a <= start:
                continue
            if self._numbered_part(c) is not None or ANNEX_RE.match(c):
                break
            contents.append(c)
        if any(CHAPTER_RE.match(c) for c in contents):
            return "paren"
        enum = [cn_to_int(m.group(1)) for c in contents if (m := ENUM_CHAPTER_RE.match(c))]
        if enum[:2] == [1, 2]:
            return "enum"
        return "bare"

    def _try_annex(self, start: int, content: str) -> bool:
        """From "附件1" / "附：…" after the last part on, the lines are an annex part."""
        if not ANNEX_RE.match(content) or not self.parts or self._part is None:
            return False
        if self._annex and self._part.start == start:
            return False
        number = len(self.parts) + 1
        part = Part(str(number), number, "", content, start, "annex")
        self._annex = True
        self._open_part(part, content)
        self._chapter_style = "none"
        return True

    def _try_chapter(self, start: int, end: int, content: str) -> bool:
        style = self._chapter_style
        m = CHAPTER_RE.match(content) if style == "paren" else None
        if style == "enum":
            m = ENUM_CHAPTER_RE.match(content)
        if style == "bare":
            return self._try_bare_chapter(start, end, content)
        if not m:
            return False
        number = cn_to_int(m.group(1))
        if number != self._chapter_number + 1:
            self.warnings.append(
                ParseWarning(
                    f"章节编号不连续（{m.group(0).strip()} 紧随第 {self._chapter_number} 章），按正文处理 / "
                    f"chapter numbering breaks ({m.group(0).strip()} after chapter "
                    f"{self._chapter_number}); read as a plain paragraph",
                    content[:40],
                    start,
                    code="chapter_numbering",
                )
            )
            return False
        label = m.group(0).strip(WS)
        title_start = start + m.end()
        title_end, body_start = self._lead_span(title_start, end)
        self._open_chapter(number, label, self.text[title_start:title_end].strip(WS), start)
        self._add_chapter_block(start, end, body_start)
        return True

    def _try_bare_chapter(self, start: int, end: int, content: str) -> bool:
        """A short heading line of its own, in a part without numbered chapters."""
        if self._part is None or self._part.role == "annex":
            return False
        m = TOPIC_LEAD_RE.match(content)
        if not m or m.end() != len(content) or ADDRESS_RE.match(content):
            return False
        if ENUMERATION_RE.match(content) or MATTER_ITEM_RE.match(content):
            return False
        if not self._has_body_after(end):
            return False  # a heading heads something: a lone last line is a sentence
        self._open_chapter(self._chapter_number + 1, "", m.group(1).strip(WS), start)
        self._add_chapter_block(start, end, end)
        return True

    def _has_body_after(self, end: int) -> bool:
        """Whether a paragraph follows before the next part (or annex, or the end)."""
        for a, _, c in self.lines:
            if a < end:
                continue
            heads_part = self._numbered_part(c) is not None or (
                self._bare_parts and self._bare_part_heading(c)
            )
            return not heads_part and not ANNEX_RE.match(c)
        return False

    def _open_chapter(self, number: int, label: str, title: str, start: int) -> None:
        assert self._part is not None
        self._chapter_number = number
        self._chapter_siblings += 1
        key = f"{self._part.key}.{number}"
        self._chapter = _Draft(
            key, "chapter", label, title, self._chapter_siblings, self._part.key, start
        )
        self.drafts.append(self._chapter)
        self._topic = None
        self._topics = 0
        self._topic_open = False

    def _add_chapter_block(self, start: int, end: int, body_start: int) -> None:
        assert self._part is not None and self._chapter is not None
        self.blocks.append(
            Block(
                start, end, "chapter", self._part, self._chapter.key,
                str(self._chapter_number), self._chapter.title, body_start,
            )
        )  # fmt: skip

    def _lead_span(self, title_start: int, end: int) -> tuple[int, int]:
        """(end of the title phrase, start of the body) for a heading paragraph."""
        m = SENTENCE_END_RE.search(self.text, title_start, end)
        if not m:
            return end, end
        body = m.end()
        while body < end and self.text[body] in WS:
            body += 1
        return m.start(), body

    def _matters_part_ok(self) -> bool:
        part = self._part
        return (
            part is not None
            and (not part.review or part.role == "annex")
            and part.key not in self._matters_done
        )

    def _try_matters(self, i: int) -> int:
        """The 实事 list: a line naming it, then items numbered 1, 2, 3… (1. （1） ① 一、).

        The naming line may itself be a chapter heading ("（九）办好十件民生实事："): the
        list then takes that chapter's place (its number is used up) as section "N.S". A
        counted name ("十件民生实事", "十方面民生实事") may sit in a longer paragraph; an
        unnumbered list counted by its intro line ("办好十件民生实事：") takes the next N
        paragraphs.
        """
        start, end, content = self.lines[i]
        if not self._matters_part_ok() or i + 1 >= len(self.lines):
            return 0
        counted = MATTERS_COUNT_RE.search(content)
        named = MATTERS_INTRO_RE.search(content)
        short = len(content) <= MAX_MATTERS_INTRO_CHARS
        if not (counted or (named and short)) or len(content) > MAX_COUNTED_INTRO_CHARS:
            return 0
        style = _item_style(self.lines[i + 1][2])
        if style == 4 and self._part is not None and self._part.role != "annex":
            style = None  # "一、" heads parts outside an annex
        numbered = style is not None and _item_number(self.lines[i + 1][2], style) == 1
        declared = _count(counted.group("n")) if counted else 0
        if not numbered and not (
            declared >= 2 and content.endswith(("：", ":")) and i + declared < len(self.lines)
        ):
            return 0
        if (
            CHAPTER_RE.match(content) is None
            and self._part is not None
            and (
                self._part.role != "annex"
                and INLINE_ITEM_RE.search(content, counted.end() if counted else 0)
            )
        ):
            return 0  # the items follow inline: _try_inline_matters
        draft = self._open_matters(start, end, content)
        n = 0
        j = i + 1
        if numbered:
            while j < len(self.lines) and _item_number(self.lines[j][2], style) == n + 1:
                n += 1
                j = self._matter_item(j, n, draft, style)
        else:
            while n < declared and j < len(self.lines) and not self._is_heading(j):
                n += 1
                item_start, item_end, _ = self.lines[j]
                self._add_matter(item_start, item_end, item_start, n, draft)
                j += 1
        self._close_matters(draft)
        return j - i

    def _is_heading(self, j: int) -> bool:
        c = self.lines[j][2]
        return bool(self._numbered_part(c) is not None or CHAPTER_RE.match(c) or ANNEX_RE.match(c))

    def _matter_item(self, j: int, n: int, draft: _Draft, style: int | None) -> int:
        """Item n at line j; in an annex, the paragraphs up to the next item belong to it."""
        item_start, item_end, item = self.lines[j]
        m = MATTER_ITEM_RE.match(item)
        assert m is not None
        body = item_start + m.end()
        k = j + 1
        if self._part is not None and self._part.role == "annex":
            while (
                k < len(self.lines)
                and _item_number(self.lines[k][2], style) is None
                and not ANNEX_RE.match(self.lines[k][2])
            ):
                item_end = self.lines[k][1]
                k += 1
        self._add_matter(item_start, item_end, body, n, draft)
        return k

    def _open_matters(self, start: int, end: int, content: str) -> _Draft:
        part = self._part
        assert part is not None
        key = f"{part.key}.S"
        title = content
        chapter = CHAPTER_RE.match(content)
        if chapter and cn_to_int(chapter.group(1)) == self._chapter_number + 1:
            self._chapter_number += 1
            title = content[chapter.end() :]
        name = MATTERS_NAME_RE.search(content)
        counted = MATTERS_COUNT_RE.search(content)
        self._chapter_siblings += 1
        label = (name.group(1) or name.group(2)) if name else ""
        if not label and counted:
            label = counted.group(0)
        label = label or "民生实事"
        title = title.rstrip("：:。").strip(WS)
        if len(title) > MAX_MATTERS_INTRO_CHARS and counted:
            title = counted.group(0)
        draft = _Draft(key, "chapter", label, title, self._chapter_siblings, part.key, start)
        self.drafts.append(draft)
        self.blocks.append(Block(start, end, "matters_intro", part, key, "S", draft.title, end))
        return draft

    def _add_matter(self, start: int, end: int, body: int, n: int, draft: _Draft) -> None:
        assert self._part is not None
        self.blocks.append(
            Block(start, end, "matter", self._part, draft.key, "S", draft.title, body, n)
        )
        draft.end = end

    def _close_matters(self, draft: _Draft) -> None:
        assert self._part is not None
        if draft.end is None:
            draft.end = draft.start + 1
        self._matters_done.add(self._part.key)
        # Paragraphs after the list sit in the part, not in the last chapter.
        self._chapter = self._topic = None
        self._topic_open = False

    def _try_inline_matters(self, start: int, end: int, content: str) -> bool:
        """A paragraph naming a counted list whose items follow inline: "…十件民生实事。
        （1）…（2）…", "…一是…二是…", or "…15件民生实事，包括：A；B；C。"."""
        if not self._matters_part_ok():
            return False
        counted = MATTERS_COUNT_RE.search(content)
        if not counted:
            return False
        after = counted.end()
        items = _inline_items(content, after)
        if len(items) < 2:
            return False
        intro_end = start + items[0][0]
        draft = self._open_matters(start, intro_end, content[: items[0][0]])
        # The intro block holds only the text before the first item.
        self.blocks[-1] = dataclasses.replace(self.blocks[-1], end=intro_end, body_start=start)
        for n, (a, body, b) in enumerate(items, 1):
            self._add_matter(start + a, start + b, start + body, n, draft)
        self._close_matters(draft)
        tail = start + items[-1][2]
        while tail < end and self.text[tail] in WS:
            tail += 1
        if tail < end:
            assert self._part is not None
            self.blocks.append(Block(tail, end, "body", self._part, self._part.key, "0", "", tail))
        return True

    def _try_topic(self, start: int, end: int, content: str) -> bool:
        if self._chapter is None or ENUMERATION_RE.match(content) or ADDRESS_RE.match(content):
            return False
        if self._part is not None and self._part.role == "annex":
            return False
        m = TOPIC_LEAD_RE.match(content)
        if not m:
            return False
        self._topics += 1
        title = m.group(1).strip(WS)
        title_start = start + m.start(1)
        heading_only = m.end() == len(content)
        _, body_start = self._lead_span(title_start, end)
        key = f"{self._chapter.key}.{self._topics}"
        label = content[: m.start(1)].strip(WS)
        self._topic = _Draft(
            key, "topic", label, title, self._topics, self._chapter.key, start,
            None if heading_only else end,
        )  # fmt: skip
        self.drafts.append(self._topic)
        self._topic_open = heading_only
        assert self._part is not None
        self.blocks.append(
            Block(
                start, end, "topic", self._part, key, self._chapter.key.split(".")[1],
                self._chapter.title, body_start,
            )
        )  # fmt: skip
        return True

    def _body(self, start: int, end: int) -> None:
        part = self._part
        assert part is not None
        if self._topic is not None and self._topic_open:
            key, code = self._topic.key, self._topic.key.split(".")[1]
        elif self._chapter is not None:
            key, code = self._chapter.key, self._chapter.key.split(".")[1]
        else:
            key, code = part.key, "0"
        title = self._chapter.title if self._chapter is not None else ""
        preamble = self._chapter_number == 0 and part.key not in self._matters_done
        role: Role = "annex" if part.role == "annex" else "body"
        self.blocks.append(
            Block(start, end, role, part, key, code, title, start, preamble=preamble)
        )

    # -- after the walk

    def mark_closing(self) -> None:
        """The closing words: from "各位代表！" after the last chapter of the last part on."""
        body_parts = [p for p in self.parts if p.role != "annex"]
        if not body_parts:
            return
        last = body_parts[-1]
        if last.review:
            return
        in_last = [i for i, b in enumerate(self.blocks) if b.part is last]
        after = max(
            (i for i in in_last if self.blocks[i].role in ("chapter", "matter")),
            default=in_last[0],
        )
        begin = next(
            (
                i
                for i in in_last
                if i > after
                and self.blocks[i].role == "body"
                and ADDRESS_RE.match(self.text[self.blocks[i].start : self.blocks[i].end])
            ),
            None,
        )
        tail = self.blocks[in_last[-1]]
        if (
            begin is None
            and tail.role == "body"
            and CLOSING_EXHORTATION_RE.search(self.text, tail.start, tail.end)
        ):
            begin = in_last[-1]
        if begin is None:
            return
        self.closing_start = self.blocks[begin].start
        for i in in_last:
            if i >= begin:
                b = self.blocks[i]
                b.role = "closing"
                b.section_key, b.chapter_code = last.key, "0"

    def mark_framing(self) -> None:
        """The part whose preamble states 总体要求 / 预期目标 frames the year."""
        for part in self.parts:
            if part.role != "plan":
                continue
            if any(
                b.part is part and b.preamble and FRAMING_MARK_RE.search(self.text, b.start, b.end)
                for b in self.blocks
            ):
                part.framing = True
                return

    def finish_sections(self) -> list[ParsedSection]:
        rank = {"part": 0, "chapter": 1, "topic": 2}
        bounds = [(d.start, rank[d.level]) for d in self.drafts]
        if self.closing_start is not None:
            bounds.append((self.closing_start, 1))
        bounds.append((len(self.text), 0))
        bounds.sort()
        roles = {p.key: p.role for p in self.parts}
        sections = []
        for d in self.drafts:
            end = d.end
            if end is None:
                end = next(s for s, r in bounds if s > d.start and r <= rank[d.level])
            end = d.start + len(self.text[d.start : end].rstrip())
            sections.append(
                ParsedSection(
                    d.key, d.level, d.label, d.title, d.order, d.parent_key, d.start, end,
                    roles[d.key.split(".")[0]],
                )
            )  # fmt: skip
        return sections


def _item_number(content: str, style: int | None = None) -> int | None:
    """The item number of a list line; with ``style``, only in that numbering style (the
    regex group: 1 "1.", 2 "（1）", 3 "①", 4 "一、")."""
    m = MATTER_ITEM_RE.match(content)
    if not m or (style is not None and m.group(style) is None):
        return None
    if m.group(1) or m.group(2):
        return int(m.group(1) or m.group(2))
    if m.group(3):
        return CIRCLED.index(m.group(3)) + 1
    return cn_to_int(m.group(4))


def _item_style(content: str) -> int | None:
    m = MATTER_ITEM_RE.match(content)
    return next((g for g in (1, 2, 3, 4) if m.group(g)), None) if m else None


def _count(s: str) -> int:
    try:
        return int(s) if s.isdigit() else cn_to_int(s)
    except ValueError:
        return 0


def _inline_items(content: str, after: int) -> list[tuple[int, int, int]]:
    """(start, body start, end) of inline items after ``after``: markers numbered 1, 2, 3…
    in sequence, or a "包括：A；B；C。" list. Offsets are into ``content``."""
    found: list[tuple[int, int]] = []  # (marker start, marker end)
    for m in INLINE_ITEM_RE.finditer(content, after):
        if m.group(1):
            n = int(m.group(1))
        elif m.group(2):
            n = CIRCLED.index(m.group(2)) + 1
        else:
            n = _count(m.group(3))
        if n == len(found) + 1:
            found.append((m.start(), m.end()))
    if len(found) >= 2:
        items = []
        for k, (a, body) in enumerate(found):
            b = found[k + 1][0] if k + 1 < len(found) else _item_tail(content, body)
            items.append((a, body, _trim(content, body, b)))
        return items
    colon = re.compile(r"包括[：:]|如下[：:]|[：:]").search(content, after)
    if not colon:
        return []
    stop = content.find("。", colon.end())
    stop = len(content) if stop < 0 else stop + 1
    items = []
    a = colon.end()
    for m in re.finditer(r"[；;]|。", content[:stop]):
        if m.start() < a:
            continue
        if m.start() > a:
            items.append((a, a, _trim(content, a, m.start() + (1 if m.group() == "。" else 0))))
        a = m.end()
    return items if len(items) >= 2 else []


def _item_tail(content: str, body: int) -> int:
    """The last inline item ends with its sentence(s) up to a sentence that closes the list
    ("我们将用心用情办好每一件民生实事。") or the paragraph end."""
    end = len(content)
    for m in re.finditer(r"[。！]", content[body:]):
        rest = content[body + m.end() :]
        if rest.startswith(("我们", "让", "各位代表", "确保", "同时")):
            return body + m.end()
    return end


def _trim(content: str, a: int, b: int) -> int:
    while b > a and content[b - 1] in WS + "；;，,":
        b -= 1
    return b
