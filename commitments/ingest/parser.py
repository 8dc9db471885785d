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
from .structure import Block, Part, Skeleton, read_skeleton, split_copies
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
    ParsedCommitment,
    ParsedReport,
    ParsedTarget,
    ParseWarning,
    ReportFormatError,
)

__all__ = ["parse_report"]

# "今年发展的主要预期目标是：生产总值增长8%左右，…": one commitment per clause.
MAIN_TARGETS_RE = re.compile(r"(?:主要预期目标|预期目标|主要目标)(?:是|为)?[：:]")
# The chapter (or topic) about the environment: its commitments are kind "pollution".
POLLUTION_TITLE_RE = re.compile(
    r"生态环境|环境保护|保护环境|环境治理|污染|环保|绿色发展|治污|蓝天|碧水|净土|生态文明"
)
# Review parts that look back over several years give no annual baseline.
MULTI_YEAR_REVIEW_RE = re.compile(r"[两三四五六七八九十]年|十[一二三四五]五")
# "十件实事" declares how many matters there are.
MATTER_COUNT_RE = re.compile(r"([一二三四五六七八九十]{1,3}|\d{1,2})(?:件|大|项)")
MIN_YEAR, MAX_YEAR = 1949, 2200
EXCERPT = 40


def parse_report(
    raw: bytes | str, *, default_city: str | None = None, default_year: int | None = None
) -> ParsedReport:
    """Parse a government work report. Raises ReportFormatError for what is not one.

    ``raw``: the file's bytes (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM),
    or already decoded text. ``default_city`` is used when the title names no city;
    ``default_year`` when neither the title nor a part heading ("二、2017年工作安排")
    names the year. Deterministic: the same input gives an equal ParsedReport.
    """
    if default_year is not None and not MIN_YEAR <= default_year <= MAX_YEAR:
        raise ValueError(f"default_year out of range: {default_year}")
    if isinstance(raw, str):
        text, encoding = normalise_text(raw), "str"
        if not text.strip():
            raise ReportFormatError("文本为空 / empty input: the text holds nothing.")
        refuse_binary(text)
    else:
        text, encoding = decode_report(raw)
    text, copies, warnings = split_copies(text)
    skeleton = read_skeleton(text, default_city=default_city, default_year=default_year)
    report = ParsedReport(
        city=skeleton.city,
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
        self.main_targets_found = False

    # -- commitments

    def build(self) -> None:
        for block in self.sk.blocks:
            part = block.part
            if part is None or part.review or block.role in ("part", "matters_intro", "head"):
                continue
            if block.role == "closing":
                self._warn(
                    "结束语，不作为任务 / closing words, not a commitment", block.start, block.end
                )
            elif block.role == "matter":
                self._matter(block, part)
            elif block.preamble and part.framing:
                self._framing(block, part)
            else:
                self._sentences(block, part)
        self._check_lists()

    def _sentences(self, block: Block, part: Part) -> None:
        for start, end in split_sentences(self.text, block.body_start, block.end):
            sentence = self.text[start:end]
            if self._main_targets(start, end, part):
                continue
            verdict = classify_sentence(sentence)
            if verdict in ("address", "rhetoric", "framing"):
                why = {
                    "address": "称呼语 / address",
                    "rhetoric": "修辞性语句，无行动或指标 / rhetoric: no action or target",
                    "framing": "引导语 / introduces a list",
                }[verdict]
                self._warn(f"未作为任务（{why}）/ not a commitment", start, end)
                continue
            if verdict == "unclassified":
                self._warn(
                    "无法判断是否为任务，按任务保留 / could not classify: kept as a commitment",
                    start,
                    end,
                )
            self._add(block, part, start, end, self._kind(block))

    def _framing(self, block: Block, part: Part) -> None:
        """Preamble of the framing part: only the main expected targets are commitments."""
        found = False
        for start, end in split_sentences(self.text, block.body_start, block.end):
            found = self._main_targets(start, end, part) or found
        if not found:
            self._warn(
                "总体要求/形势等引导段落，不作为任务 / preamble (situation, general "
                "requirements): not commitments",
                block.start,
                block.end,
            )

    def _main_targets(self, start: int, end: int, part: Part) -> bool:
        m = MAIN_TARGETS_RE.search(self.text, start, end)
        if not m or self.main_targets_found:
            return False
        self.main_targets_found = True
        body_end = end - 1 if self.text[end - 1] in "。！；;" else end
        for c_start, c_end in clause_spans(self.text, m.end(), body_end):
            figures = extract_figures(self.text, c_start, c_end)
            if not figures:
                figures = [qualitative_main_target(self.text, c_start, c_end)]
            self.drafts.append(
                _Draft(part.key, (part.key, "0"), c_start, c_end, "main_target", None, figures)
            )
        return True

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
        if not self.main_targets_found:
            self.warnings.append(
                ParseWarning("未找到“主要预期目标”句 / no main expected targets sentence found")
            )
        matters = [d for d in self.drafts if d.kind == "practical_matter"]
        if not matters:
            self.warnings.append(
                ParseWarning(
                    "未找到民生实事清单（如“十件实事”） / no practical-matters list (十件实事) found"
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
                    )
                )

    def _warn(self, message: str, start: int, end: int) -> None:
        excerpt = self.text[start:end]
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[:EXCERPT] + "…"
        self.warnings.append(ParseWarning(message, excerpt, start))

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
        for block in self.sk.blocks:
            part = block.part
            if part is None or not part.review or block.role == "part":
                continue
            if MULTI_YEAR_REVIEW_RE.search(part.title):
                continue
            for start, end in split_sentences(self.text, block.body_start, block.end):
                figures.extend(extract_figures(self.text, start, end))
        return figures


def _count(s: str) -> int:
    return int(s) if s.isdigit() else cn_to_int(s)
