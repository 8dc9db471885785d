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

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from .numerals import cn_to_int
from .types import ParsedSection, ParseWarning, ReportFormatError, SectionLevel

__all__ = ["Block", "Part", "Skeleton", "read_skeleton", "split_copies"]

# Whitespace that indents Chinese paragraphs: ideographic space, NBSP, tabs.
WS = " \t\u3000\xa0\f\v"

# A part heading is a whole short line "二、2017年工作安排". The numeral must follow the
# previous part's, so a stray "一、" inside the text does not restart the report.
PART_HEADING_RE = re.compile(r"^([一二三四五六七八九十]{1,3})、\s*(\S.*)$")
MAX_PART_HEADING_CHARS = 40
# A chapter starts a paragraph with a full-width (or ASCII) parenthesised numeral.
CHAPTER_RE = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*")
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
MATTER_ITEM_RE = re.compile(r"^(?:(\d{1,2})[.．、]|[（(](\d{1,2})[）)])\s*")
# The list's own name: “十件实事” (quoted), or 十大民生工程 / 十项重点民生实事 (counted).
MATTERS_NAME_RE = re.compile(
    r"“([^”]{0,10}(?:实事|工程|项目))”"
    r"|([一二三四五六七八九十\d]{1,3}(?:件|大|项)(?:重点)?(?:民生|惠民)?(?:实事|工程|项目))"
)
# Part titles that review the past year vs. those that plan the new one.
REVIEW_PART_RE = re.compile(r"回顾|过去|成绩|总结")
PLAN_PART_RE = re.compile(
    r"工作安排|重点工作|工作任务|主要任务|目标任务|总体要求|工作部署|主要目标|工作思路|"
    r"重点任务|目标和任务|主要工作|工作重点|自身建设|政府建设"
)
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

Role = Literal["head", "part", "chapter", "topic", "body", "matters_intro", "matter", "closing"]


@dataclass
class Part:
    key: str
    number: int
    label: str
    title: str
    start: int
    review: bool
    framing: bool = False  # its preamble frames the year (总体要求, 预期目标): no commitments


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
    city: str
    year: int
    parts: list[Part]
    sections: list[ParsedSection]
    blocks: list[Block]
    warnings: list[ParseWarning] = field(default_factory=list)


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
        (m := PART_HEADING_RE.match(content)) and PLAN_PART_RE.search(m.group(2))
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


def read_skeleton(
    text: str, *, default_city: str | None = None, default_year: int | None = None
) -> Skeleton:
    """Walk the lines of one copy; raise ReportFormatError if it is not a work report."""
    lines = _line_spans(text)
    _refuse_non_report(text, lines)
    walker = _Walker(text, lines)
    walker.walk()
    if not walker.parts:
        raise ReportFormatError(
            _not_a_report("没有“一、…”“二、…”这样的部分标题 / no numbered parts")
        )
    if not any(PLAN_PART_RE.search(p.title) for p in walker.parts):
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
        warnings.append(ParseWarning("未找到报告标题行 / no title line before part 一"))
    year = _year(head, walker.parts, default_year)
    city = _city(head, default_city)
    if not city:
        warnings.append(
            ParseWarning("标题中未找到城市名 / no city found in the title; pass default_city")
        )
    walker.mark_closing()
    walker.mark_framing()
    return Skeleton(
        text=text,
        title=title,
        city=city,
        year=year,
        parts=walker.parts,
        sections=walker.finish_sections(),
        blocks=walker.blocks,
        warnings=warnings,
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


def _head_text(head: list[str]) -> str:
    """The lines before the address "各位代表：" (title, date, speaker)."""
    out = []
    for content in head[:6]:
        if ADDRESS_RE.match(content):
            break
        out.append(content)
    return "\n".join(out)


def _year(head: list[str], parts: list[Part], default_year: int | None) -> int:
    m = YEAR_RE.search(_head_text(head))
    if m:
        return int(m.group(1))
    for p in parts:  # "二、2017年工作安排"; a review part "一、2016年工作回顾" is the year before
        m = YEAR_RE.search(p.title)
        if m:
            return int(m.group(1)) + (1 if p.review else 0)
    if default_year is not None:
        return default_year
    raise ReportFormatError(
        "无法确定报告年份：标题和部分标题中都没有“2017年”这样的年份 / cannot tell the report's "
        "year: neither the title nor the part headings name one; pass default_year."
    )


def _city(head: list[str], default_city: str | None) -> str:
    text = _head_text(head)
    for line in text.split("\n"):
        m = CITY_AFTER_YEAR_RE.search(line) or CITY_AT_CONGRESS_RE.search(line)
        if m:
            return m.group(1)
    return default_city or ""


class _Walker:
    """One pass over the lines, keeping the current part / chapter / topic."""

    def __init__(self, text: str, lines: list[tuple[int, int, str]]) -> None:
        self.text = text
        self.lines = lines
        self.parts: list[Part] = []
        self.blocks: list[Block] = []
        self.drafts: list[_Draft] = []
        self.warnings: list[ParseWarning] = []
        self.closing_start: int | None = None
        self._part: Part | None = None
        self._chapter: _Draft | None = None
        self._chapter_number = 0
        self._chapter_siblings = 0
        self._topic: _Draft | None = None
        self._topic_open = False  # a heading-only topic line: following paragraphs join it
        self._topics = 0
        self._matters_done: set[str] = set()

    # -- the walk

    def walk(self) -> None:
        i = 0
        while i < len(self.lines):
            start, end, content = self.lines[i]
            if self._try_part(start, content):
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
            if self._try_chapter(start, end, content):
                i += 1
                continue
            if self._try_topic(start, end, content):
                i += 1
                continue
            self._body(start, end)
            i += 1

    def _try_part(self, start: int, content: str) -> bool:
        m = PART_HEADING_RE.match(content)
        if not m or len(content) > MAX_PART_HEADING_CHARS or content[-1] in "。；;，,：:":
            return False
        try:
            number = cn_to_int(m.group(1))
        except ValueError:
            return False
        if self.parts and number != self.parts[-1].number + 1:
            return False
        title = m.group(2).strip(WS)
        review = bool(REVIEW_PART_RE.search(title)) and not PLAN_PART_RE.search(title)
        part = Part(str(number), number, content[: m.start(2)].strip(WS), title, start, review)
        self.parts.append(part)
        self.drafts.append(
            _Draft(part.key, "part", part.label, title, len(self.parts), None, start)
        )
        self.blocks.append(
            Block(start, start + len(content), "part", part, part.key, body_start=start)
        )
        self._part = part
        self._chapter = self._topic = None
        self._chapter_number = self._chapter_siblings = 0
        self._topic_open = False
        return True

    def _try_chapter(self, start: int, end: int, content: str) -> bool:
        m = CHAPTER_RE.match(content)
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
                )
            )
            return False
        assert self._part is not None
        self._chapter_number = number
        self._chapter_siblings += 1
        label = m.group(0).strip(WS)
        title_start = start + m.end()
        title_end, body_start = self._lead_span(title_start, end)
        key = f"{self._part.key}.{number}"
        self._chapter = _Draft(
            key, "chapter", label, self.text[title_start:title_end].strip(WS),
            self._chapter_siblings, self._part.key, start,
        )  # fmt: skip
        self.drafts.append(self._chapter)
        self._topic = None
        self._topics = 0
        self._topic_open = False
        self.blocks.append(
            Block(
                start, end, "chapter", self._part, key, str(number), self._chapter.title, body_start
            )
        )
        return True

    def _lead_span(self, title_start: int, end: int) -> tuple[int, int]:
        """(end of the title phrase, start of the body) for a heading paragraph."""
        m = SENTENCE_END_RE.search(self.text, title_start, end)
        if not m:
            return end, end
        body = m.end()
        while body < end and self.text[body] in WS:
            body += 1
        return m.start(), body

    def _try_matters(self, i: int) -> int:
        """The 实事 list: a short line naming it, then items numbered 1, 2, 3…

        The naming line may itself be a chapter heading ("（九）办好十件民生实事："): the
        list then takes that chapter's place (its number is used up) as section "N.S".
        """
        start, end, content = self.lines[i]
        assert self._part is not None
        if (
            self._part.review
            or self._part.key in self._matters_done
            or not MATTERS_INTRO_RE.search(content)
            or len(content) > MAX_MATTERS_INTRO_CHARS
            or i + 1 >= len(self.lines)
            or _item_number(self.lines[i + 1][2]) != 1
        ):
            return 0
        part = self._part
        key = f"{part.key}.S"
        title = content
        chapter = CHAPTER_RE.match(content)
        if chapter and cn_to_int(chapter.group(1)) == self._chapter_number + 1:
            self._chapter_number += 1
            title = content[chapter.end() :]
        name = MATTERS_NAME_RE.search(content)
        self._chapter_siblings += 1
        label = (name.group(1) or name.group(2)) if name else "民生实事"
        draft = _Draft(
            key, "chapter", label, title.rstrip("：:。").strip(WS),
            self._chapter_siblings, part.key, start,
        )  # fmt: skip
        self.drafts.append(draft)
        self.blocks.append(Block(start, end, "matters_intro", part, key, "S", draft.title, end))
        n = 0
        j = i + 1
        while j < len(self.lines) and _item_number(self.lines[j][2]) == n + 1:
            n += 1
            item_start, item_end, item = self.lines[j]
            body = item_start + MATTER_ITEM_RE.match(item).end()  # type: ignore[union-attr]
            self.blocks.append(
                Block(item_start, item_end, "matter", part, key, "S", draft.title, body, n)
            )
            j += 1
        draft.end = self.lines[j - 1][1]
        self._matters_done.add(part.key)
        # Paragraphs after the list sit in the part, not in the last chapter.
        self._chapter = self._topic = None
        self._topic_open = False
        return j - i

    def _try_topic(self, start: int, end: int, content: str) -> bool:
        if self._chapter is None or ENUMERATION_RE.match(content) or ADDRESS_RE.match(content):
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
        self.blocks.append(
            Block(start, end, "body", part, key, code, title, start, preamble=preamble)
        )

    # -- after the walk

    def mark_closing(self) -> None:
        """The closing words: from "各位代表！" after the last chapter of the last part on."""
        last = self.parts[-1]
        if last.review:
            return
        in_last = [i for i, b in enumerate(self.blocks) if b.part is last]
        after = max((i for i in in_last if self.blocks[i].role == "chapter"), default=in_last[0])
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
        tail = self.blocks[-1]
        if (
            begin is None
            and tail.part is last
            and tail.role == "body"
            and CLOSING_EXHORTATION_RE.search(self.text, tail.start, tail.end)
        ):
            begin = len(self.blocks) - 1
        if begin is None:
            return
        self.closing_start = self.blocks[begin].start
        for b in self.blocks[begin:]:
            b.role = "closing"
            b.section_key, b.chapter_code = last.key, "0"

    def mark_framing(self) -> None:
        """The part whose preamble states 总体要求 / 预期目标 frames the year."""
        for part in self.parts:
            if part.review:
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
        sections = []
        for d in self.drafts:
            end = d.end
            if end is None:
                end = next(s for s, r in bounds if s > d.start and r <= rank[d.level])
            end = d.start + len(self.text[d.start : end].rstrip())
            sections.append(
                ParsedSection(d.key, d.level, d.label, d.title, d.order, d.parent_key, d.start, end)
            )
        return sections


def _item_number(content: str) -> int | None:
    m = MATTER_ITEM_RE.match(content)
    if not m:
        return None
    return int(m.group(1) or m.group(2))
