"""parse_report: raw file to ParsedReport.

1. decode (decode.py) and reduce the file to one copy (structure.split_copies);
2. read the skeleton: title, city, year, parts, chapters, topics, 实事 list (structure.py);
3. in the plan parts, cut paragraphs into sentences and keep the commitments
   (classify.py); the main expected targets sentence gives one commitment per clause,
   each 实事 line one commitment;
4. read targets (targets.py) and due dates (dates.py) from each commitment;
5. attach part-一 figures as baselines (baselines.py).

Conventions: a 实事 commitment is its whole numbered line WITHOUT the "1." prefix; a main
target commitment is its clause without the separating "，"/"。"; ``encoding`` is "str"
when a str (already decoded text) is passed in.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict

from . import baselines as bl
from .classify import classify_sentence, split_sentences
from .dates import due_date_for
from .decode import decode_report, normalise_text, refuse_binary
from .numerals import cn_to_int
from .structure import (
    MATTERS_COUNT_RE,
    Block,
    Part,
    Skeleton,
    read_skeleton,
    split_copies,
)
from .targets import (
    Figure,
    clause_spans,
    extract_figures,
    qualitative_figures,
    qualitative_main_target,
    to_target,
)
from .types import (
    Kind,
    NoteCode,
    ParsedCommitment,
    ParsedReport,
    ParsedTarget,
    ParseWarning,
    ReportFormatError,
    SetAsideCode,
)

__all__ = ["parse_report"]

# "今年发展的主要预期目标是：生产总值增长8%左右，…": one commitment per clause. The words
# may be broken over lines by a web page ("…的\n主要预期目标\n是：").
MAIN_TARGETS_RE = re.compile(r"(?:主要预期目标|预期目标|主要目标)\s*(?:是|为)?\s*[：:]")
# Words before it that make it the five-year plan's goals, not this year's.
FIVE_YEAR_CONTEXT_RE = re.compile(r"十[一二三四五六七八九]五|五年|20[0-9]{2}年前|到20[0-9]{2}年")
# A sentence after the targets that frames them instead of adding one: "实现这些目标…",
# "这些目标充分考虑了…", "上述预期目标，着眼…", "具体抓好以下工作：", "我们将…".
MAIN_TARGETS_END_RE = re.compile(
    r"(?:实现|完成|为实现|为完成|围绕|这些|这样|这一|上述|以上|我们|具体|重点|今年要|要|必须|综合|"
    r"着眼|既|为此|各位代表|做好)"
)
# A clause inside the targets that qualifies the one before: "在实际工作中努力争取更好结果".
MAIN_TARGETS_ASIDE_RE = re.compile(r"^在实际工作中|^争取更好|^努力争取")
# A clause that only adds a figure to the one before ("增长7.5%，达到326.4亿元").
JOIN_CLAUSE_RE = re.compile(r"^(?:达到|达|其中|比上年|同比)")
# The chapter (or topic) about the environment: its commitments are kind "pollution".
POLLUTION_TITLE_RE = re.compile(
    r"生态环境|环境保护|保护环境|环境治理|污染|环保|绿色发展|治污|蓝天|碧水|净土|生态文明"
)
# Review parts that look back over several years give no annual baseline; in a review part
# that covers last year and five years, sentences about the five years give none either.
MULTI_YEAR_REVIEW_RE = re.compile(r"[两三四五六七八九十]年|十[一二三四五]五")
MULTI_YEAR_SENTENCE_RE = re.compile(r"五年|十[一二三四五六七八九]五|年均|累计|以来")
# "十件实事" declares how many matters there are.
MATTER_COUNT_RE = re.compile(r"([一二三四五六七八九十]{1,3}|\d{1,2})(?:件|大|项|方面)")
CHAPTER_START_RE = re.compile(
    r"^(?:[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)"
)
LIST_DASHES = "—－-─ \t\u3000"
MIN_YEAR, MAX_YEAR = 1949, 2200
EXCERPT = 40

# Why a block or sentence is set aside: (code, 中文, English).
REASONS: dict[str, tuple[str, str]] = {
    "address": ("称呼语", "address"),
    "rhetoric": ("修辞性语句，无行动或指标", "rhetoric: no action or target"),
    "framing": ("引导语", "introduces a list or frames the targets"),
    "closing": ("结束语，不作为任务", "closing words, not a commitment"),
    "preamble": (
        "总体要求/形势等引导段落，不作为任务",
        "preamble (situation, general requirements): not commitments",
    ),
    "review": ("回顾部分，只提供基数", "review part: gives baselines only"),
    "five_year_outline": (
        "五年规划目标任务，不是今年的任务",
        "the five-year plan's goals, not this year's commitments",
    ),
    "other": ("既非回顾也非今年工作的部分", "a part that neither reviews nor plans the year"),
    "annex": ("附件（非民生实事清单）", "an annex that is not a practical-matters list"),
    "chrome": ("网页附带文字（非报告内容）", "web-page words around the report"),
}
ROLE_CODES: dict[str, SetAsideCode] = {
    "review": "review",
    "multi_year_review": "review",
    "five_year_outline": "five_year_outline",
    "other": "other",
    "annex": "annex",
}


def parse_report(
    raw: bytes | str,
    *,
    default_city: str | None = None,
    default_year: int | None = None,
    place: str | None = None,
    year: int | None = None,
) -> ParsedReport:
    """Parse a government work report. Raises ReportFormatError for what is not one.

    ``raw``: the file's bytes (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM),
    or already decoded text. ``place``/``year`` (the seed command's --place/--year) win over
    what the report says; ``default_city``/``default_year`` are used only when it says
    nothing. Deterministic: the same input gives an equal ParsedReport.
    """
    for given in (default_year, year):
        if given is not None and not MIN_YEAR <= given <= MAX_YEAR:
            raise ValueError(f"year out of range: {given}")
    if isinstance(raw, str):
        text, encoding = normalise_text(raw), "str"
        if not text.strip():
            raise ReportFormatError("文本为空 / empty input: the text holds nothing.")
        refuse_binary(text)
    else:
        text, encoding = decode_report(raw)
    text, copies, warnings = split_copies(text)
    skeleton = read_skeleton(
        text, default_city=default_city, default_year=default_year, place=place, year=year
    )
    report = ParsedReport(
        place=skeleton.place,
        place_level=skeleton.place_level,
        year=skeleton.year,
        title=skeleton.title,
        text=text,
        encoding=encoding,
        copies=copies,
        sections=skeleton.sections,
        warnings=[*warnings, *skeleton.warnings],
    )
    builder = _Builder(skeleton, report.warnings)
    builder.build()
    report.commitments = builder.with_baselines()
    return report


@dataclasses.dataclass
class _Draft:
    section_key: str
    group: tuple[str, str]  # (part key, chapter code) — numbering of codes
    start: int
    end: int
    kind: Kind
    matter_number: int | None
    figures: list[Figure]


class _Builder:
    def __init__(self, skeleton: Skeleton, warnings: list[ParseWarning]) -> None:
        self.sk = skeleton
        self.text = skeleton.text
        self.warnings = warnings
        self.drafts: list[_Draft] = []
        self.main_span: tuple[int, int] | None = None  # the main targets, colon to end

    # -- commitments

    def build(self) -> None:
        for a, b in self.sk.chrome:
            self._set_aside("chrome", a, b, None)
        self._find_main_targets()
        set_aside_parts: set[str] = set()
        for block in self.sk.blocks:
            part = block.part
            if part is None or block.role == "part":
                continue
            if part.review and block.role != "matter":
                self._set_aside_part(block, part, set_aside_parts)
                continue
            if block.role == "head":
                continue
            if block.role == "matters_intro":
                if block.body_start < block.end or block.start < block.end:
                    self._set_aside("framing", block.start, block.end, block.section_key)
                continue
            if block.role == "closing":
                self._set_aside("closing", block.start, block.end, block.section_key)
            elif block.role == "matter":
                self._matter(block, part)
            elif block.preamble and part.framing:
                self._framing(block, part)
            else:
                self._sentences(block, part)
        self._check_lists()
        self._check_metrics()

    def _set_aside_part(self, block: Block, part: Part, done: set[str]) -> None:
        """A review part is set aside whole (one entry); an outline or other part per
        paragraph, so that staff can take one back."""
        code = ROLE_CODES.get(part.role, "other")
        if code == "review":
            if part.key in done:
                return
            done.add(part.key)
            section = next(s for s in self.sk.sections if s.key == part.key)
            self._set_aside(code, section.start, section.end, part.key)
            return
        self._set_aside(code, block.start, block.end, block.section_key)

    def _sentences(self, block: Block, part: Part) -> None:
        for start, end in split_sentences(self.text, block.body_start, block.end):
            if self._in_main(start, end):
                continue
            sentence = self.text[start:end]
            verdict = classify_sentence(sentence)
            if verdict == "address" or verdict == "rhetoric" or verdict == "framing":
                self._set_aside(verdict, start, end, block.section_key)
                continue
            if verdict == "unclassified":
                self._warn(
                    "无法判断是否为任务，按任务保留 / could not classify: kept as a commitment",
                    start,
                    end,
                    code="unclassified",
                    section_key=block.section_key,
                )
            self._add(block, part, start, end, self._kind(block))

    def _framing(self, block: Block, part: Part) -> None:
        """Preamble of the framing part: only the main expected targets are commitments."""
        start, end = block.body_start, block.end
        if self.main_span is not None and start < self.main_span[1] and self.main_span[0] < end:
            # Before and after the targets: the framing around them.
            for a, b in ((start, self.main_span[0]), (self.main_span[1], end)):
                a, b = _strip_span(self.text, a, b)
                if a < b:
                    self._set_aside("preamble", a, b, block.section_key)
            return
        self._set_aside("preamble", block.start, block.end, block.section_key)

    def _in_main(self, start: int, end: int) -> bool:
        return self.main_span is not None and start < self.main_span[1] and self.main_span[0] < end

    def _find_main_targets(self) -> None:
        """This year's main expected targets: the first "主要预期目标是：" in a plan part that
        is not about the five-year plan, to the end of its paragraph (or of a list of lines
        it opens), cut where framing words start."""
        for part in self.sk.parts:
            if part.role != "plan":
                continue
            blocks = [b for b in self.sk.blocks if b.part is part and b.role != "part"]
            if not blocks:
                continue
            lo, hi = blocks[0].start, blocks[-1].end
            for m in MAIN_TARGETS_RE.finditer(self.text, lo, hi):
                sentence_start = _sentence_start(self.text, m.start(), lo)
                if FIVE_YEAR_CONTEXT_RE.search(self.text, sentence_start, m.start()):
                    continue
                end = _targets_end(self.text, m.end(), hi)
                self._main_targets(m.end(), end, part)
                self.main_span = (_line_start(self.text, m.start()), end)
                return

    def _main_targets(self, start: int, end: int, part: Part) -> None:
        clauses = clause_spans(self.text, start, end)
        merged: list[list[int]] = []
        for c_start, c_end in clauses:
            while c_start < c_end and self.text[c_start] in LIST_DASHES:
                c_start += 1  # "——生产总值增长5%左右；" in a list of lines
            clause = self.text[c_start:c_end]
            if MAIN_TARGETS_ASIDE_RE.search(clause):
                self._set_aside("rhetoric", c_start, c_end, part.key)
                continue
            if merged and JOIN_CLAUSE_RE.search(clause) and _has_number(clause):
                merged[-1][1] = c_end  # "增长7.5%，达到326.4亿元": one target, two figures
                continue
            merged.append([c_start, c_end])
        for c_start, c_end in merged:
            figures = extract_figures(self.text, c_start, c_end)
            if not figures:
                figures = [qualitative_main_target(self.text, c_start, c_end)]
            self.drafts.append(
                _Draft(part.key, (part.key, "0"), c_start, c_end, "main_target", None, figures)
            )

    def _matter(self, block: Block, part: Part) -> None:
        """A 实事 line, without its "1." number, is one commitment."""
        start, end = block.body_start, block.end
        if start >= end:
            return
        figures = extract_figures(self.text, start, end)
        self.drafts.append(
            _Draft(
                block.section_key or part.key, (part.key, "S"), start, end,
                "practical_matter", block.matter_number, figures,
            )
        )  # fmt: skip

    def _add(self, block: Block, part: Part, start: int, end: int, kind: Kind) -> None:
        figures = extract_figures(self.text, start, end)
        if kind == "pollution":
            figures = sorted(
                [*figures, *qualitative_figures(self.text, start, end, figures)],
                key=lambda f: f.start,
            )
        self.drafts.append(
            _Draft(
                block.section_key or part.key, (part.key, block.chapter_code), start, end,
                kind, None, figures,
            )
        )  # fmt: skip

    def _kind(self, block: Block) -> Kind:
        titles = [block.chapter_title]
        if block.role == "topic" or (block.section_key or "").count(".") == 2:
            titles.append(self._section_title(block.section_key or ""))
        return "pollution" if any(POLLUTION_TITLE_RE.search(t) for t in titles) else "general"

    def _section_title(self, key: str) -> str:
        return next((s.title for s in self.sk.sections if s.key == key), "")

    def _check_lists(self) -> None:
        if self.main_span is None:
            self.warnings.append(
                ParseWarning(
                    "未找到“主要预期目标”句 / no main expected targets sentence found",
                    code="no_main_targets",
                )
            )
        matters = [d for d in self.drafts if d.kind == "practical_matter"]
        mention = self._matters_mention()
        if not matters:
            if mention is not None:
                n, a, b = mention
                self._warn(
                    f"报告提到 {n} 件民生实事但未列出，未生成实事任务 / the report mentions {n} "
                    "practical matters but does not list them; none were made",
                    a,
                    b,
                    code="matters_not_listed",
                    section_key=self._section_at(a),
                )
            self.warnings.append(
                ParseWarning(
                    "未找到民生实事清单（如“十件实事”） / no practical-matters list (十件实事) found",
                    code="no_matters",
                )
            )
            return
        intro = next((s for s in self.sk.sections if s.key.endswith(".S")), None)
        declared = MATTER_COUNT_RE.search(intro.label if intro else "")
        if declared:
            n = _count(declared.group(1))
            if n and n != len(matters):
                self.warnings.append(
                    ParseWarning(
                        f"实事清单声明 {n} 件但列出 {len(matters)} 件 / the list names {n} "
                        f"matters but numbers {len(matters)}",
                        intro.title if intro else "",
                        code="matters_count",
                    )
                )

    def _matters_mention(self) -> tuple[int, int, int] | None:
        """(count, start, end) of "办好20件民生实事" in a plan or government part."""
        for block in self.sk.blocks:
            if block.part is None or block.part.review or block.role in ("part", "closing"):
                continue
            m = MATTERS_COUNT_RE.search(self.text, block.start, block.end)
            if m:
                n = _count(m.group("n"))
                if n:
                    a, b = _sentence_around(self.text, m.start(), block.start, block.end)
                    return n, a, b
        return None

    def _check_metrics(self) -> None:
        """A target whose metric could not be read is kept with metric "", and said so."""
        for d in self.drafts:
            for f in d.figures:
                if not f.metric:
                    self._warn(
                        "未能读出指标名称，保留数字、指标留空 / could not read what the number "
                        f"measures; kept with a blank metric: {f.text}",
                        d.start,
                        d.end,
                        code="no_metric",
                        section_key=d.section_key,
                    )

    def _section_at(self, pos: int) -> str | None:
        inside = [s for s in self.sk.sections if s.start <= pos < max(s.end, s.start + 1)]
        return inside[-1].key if inside else None

    def _set_aside(self, code: SetAsideCode, start: int, end: int, section_key: str | None) -> None:
        zh, en = REASONS[code]
        message = f"未作为任务（{zh}）/ not a commitment ({en})"
        if code in ("closing", "preamble"):
            message = f"{zh} / {en}"
        self._warn(message, start, end, code=code, section_key=section_key, zh=zh, en=en)

    def _warn(
        self,
        message: str,
        start: int,
        end: int,
        *,
        code: SetAsideCode | NoteCode = "",
        section_key: str | None = None,
        zh: str = "",
        en: str = "",
    ) -> None:
        excerpt = self.text[start:end]
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[:EXCERPT] + "…"
        self.warnings.append(
            ParseWarning(
                message,
                excerpt,
                start,
                code=code,
                end=end,
                verbatim=self.text[start:end],
                section_key=section_key,
                reason_zh=zh,
                reason_en=en,
            )
        )

    # -- codes, due dates, baselines

    def with_baselines(self) -> list[ParsedCommitment]:
        year = self.sk.year
        flat = [(di, f) for di, d in enumerate(self.drafts) for f in d.figures]
        candidates = self._review_figures()
        pairs = bl.match_baselines([f for _, f in flat], candidates)
        baselines = {
            ti: bl.to_baseline(candidates[ci], self.text, year - 1) for ti, ci in pairs.items()
        }
        targets: dict[int, list[ParsedTarget]] = defaultdict(list)
        for ti, (di, fig) in enumerate(flat):
            target = to_target(fig, len(targets[di]) + 1)
            if ti in baselines:
                target = dataclasses.replace(target, baseline=baselines[ti])
            targets[di].append(target)

        counters: dict[tuple[str, str], int] = defaultdict(int)
        out = []
        for di, d in enumerate(self.drafts):
            counters[d.group] += 1
            order = counters[d.group]
            due, due_text = due_date_for(self.text[d.start : d.end], year)
            out.append(
                ParsedCommitment(
                    section_key=d.section_key,
                    order=order,
                    code=f"{year}-{d.group[0]}.{d.group[1]}-{order:02d}",
                    text=self.text[d.start : d.end],
                    start=d.start,
                    end=d.end,
                    kind=d.kind,
                    matter_number=d.matter_number,
                    due_date=due,
                    due_text=due_text,
                    targets=tuple(targets[di]),
                )
            )
        return out

    def _review_figures(self) -> list[Figure]:
        figures: list[Figure] = []
        year = self.sk.year
        for block in self.sk.blocks:
            part = block.part
            if part is None or part.role != "review" or block.role == "part":
                continue
            mixed = MULTI_YEAR_REVIEW_RE.search(part.title) or f"{year - 1}年" not in part.title
            if MULTI_YEAR_REVIEW_RE.search(part.title) and f"{year - 1}年" not in part.title:
                continue
            for start, end in split_sentences(self.text, block.body_start, block.end):
                if mixed and MULTI_YEAR_SENTENCE_RE.search(self.text, start, end):
                    continue  # a five-year figure is no annual baseline
                figures.extend(extract_figures(self.text, start, end))
        return figures


def _count(s: str) -> int:
    try:
        return int(s) if s.isdigit() else cn_to_int(s)
    except ValueError:
        return 0


def _has_number(s: str) -> bool:
    return any(ch.isdigit() for ch in s)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\u3000\xa0\n":
        a += 1
    while b > a and text[b - 1] in " \t\u3000\xa0\n":
        b -= 1
    return a, b


def _sentence_start(text: str, pos: int, lo: int) -> int:
    """Start of the sentence holding ``pos`` (a line break inside the sentence is kept)."""
    i = pos
    while i > lo and text[i - 1] not in "。！？!?":
        i -= 1
    return i


def _sentence_around(text: str, pos: int, lo: int, hi: int) -> tuple[int, int]:
    a = _sentence_start(text, pos, lo)
    m = re.compile(r"[。！？!?]").search(text, pos, hi)
    return _strip_span(text, a, m.end() if m else hi)


def _targets_end(text: str, start: int, hi: int) -> int:
    """End of the main targets from just after "是：": the paragraph, sentence by sentence,
    until a framing sentence; a paragraph that stops on "：", "；" or "，" (a list of lines,
    a web page's line breaks) goes on to the next line."""
    pos = start
    while True:
        line_end = text.find("\n", pos, hi)
        line_end = hi if line_end < 0 else line_end
        for s_start, s_end in split_sentences(text, pos, line_end):
            if s_start > start and MAIN_TARGETS_END_RE.match(text, s_start, s_end):
                return _strip_span(text, start, s_start)[1]
        a, b = _strip_span(text, start, line_end)
        nxt = line_end + 1
        if nxt >= hi or (a < b and text[b - 1] in "。！？!?"):
            return b
        following = text[nxt : text.find("\n", nxt, hi) if "\n" in text[nxt:hi] else hi]
        if not following.strip() or CHAPTER_START_RE.match(following.strip()):
            return b
        pos = nxt
