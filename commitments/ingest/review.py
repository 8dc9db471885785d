"""Corrections made in the import review, applied to a parsed report: plain Python.

The supervision office reads a parsed report before it counts and corrects what the
parser got wrong: a commitment's kind, a sentence that holds two commitments (split) or
two sentences that are one (merge), a target added, edited or removed, a due date, a
sentence the parser set aside taken back, a commitment dropped.

A correction names the sentence it applies to by its verbatim text, not by position, so
the same corrections apply again to a re-import of a changed report (a sentence that moved
keeps its correction; one that is gone or was edited leaves its correction unapplied, and
``apply_corrections`` says so). Corrections are plain dicts (JSON in the database):

    {"op": "kind", "text": …, "kind": "pollution"}
    {"op": "kind", "text": …, "kind": "practical_matter", "matter_number": 3}
    {"op": "split", "text": …, "at": 17}            # at: a character index inside text
    {"op": "merge", "text": …, "next_text": …}      # with the commitment right after it
    {"op": "due", "text": …, "due_date": "2017-06-30"}
    {"op": "target_add", "text": …, "metric": …, "value": "50", "value_max": null,
     "unit": "个", "qualifier": "", "direction": "increase"}
    {"op": "target_edit", "text": …, "order": 2, <any of the target_add fields>}
    {"op": "target_remove", "text": …, "order": 2}
    {"op": "take_back", "text": …}                   # a set-aside sentence becomes general
    {"op": "drop", "text": …}                        # a commitment is set aside

Every commitment keeps ``report.text[c.start:c.end] == c.text``: a split cuts a sentence
at a position inside it, a merge spans the two sentences and what lies between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from .targets import extract_figures, to_target
from .types import (
    Direction,
    Kind,
    ParsedCommitment,
    ParsedReport,
    ParsedTarget,
    ParseWarning,
    Qualifier,
)

__all__ = [
    "KINDS",
    "OPS",
    "CorrectionError",
    "Outcome",
    "apply_corrections",
    "check_correction",
]

OPS = frozenset(
    {
        "kind",
        "split",
        "merge",
        "due",
        "target_add",
        "target_edit",
        "target_remove",
        "take_back",
        "drop",
    }
)
KINDS: tuple[Kind, ...] = ("main_target", "practical_matter", "pollution", "general")
QUALIFIERS: tuple[Qualifier, ...] = ("", "about", "at_least", "exceed", "strive", "ensure", "reach")
DIRECTIONS: tuple[Direction, ...] = ("increase", "decrease", "maintain", "achieve")
TARGET_FIELDS = ("metric", "value", "value_max", "unit", "qualifier", "direction")
SET_ASIDE_IN_REVIEW = "审核中移出 / set aside in the import review"


class CorrectionError(ValueError):
    """A correction that cannot be applied; the message says why (Chinese / English)."""


@dataclasses.dataclass
class Outcome:
    report: ParsedReport
    applied: list[int]  # indexes into the corrections that took effect
    unapplied: list[tuple[int, str]]  # (index, why): the sentence is gone or changed


def apply_corrections(report: ParsedReport, corrections: Iterable[Mapping[str, Any]]) -> Outcome:
    """Apply corrections in order to a copy of ``report``; the report itself is unchanged."""
    state = _State(report)
    outcome = Outcome(report=report, applied=[], unapplied=[])
    for i, correction in enumerate(corrections):
        try:
            state.apply(correction)
        except CorrectionError as exc:
            outcome.unapplied.append((i, str(exc)))
        else:
            outcome.applied.append(i)
    outcome.report = state.result()
    return outcome


def check_correction(report: ParsedReport, correction: Mapping[str, Any]) -> None:
    """Raise CorrectionError unless ``correction`` applies to ``report`` as it stands."""
    _State(report).apply(correction)


class _State:
    def __init__(self, report: ParsedReport) -> None:
        self.report = report
        self.items: list[ParsedCommitment] = list(report.commitments)
        self.warnings: list[ParseWarning] = list(report.warnings)

    # -- lookups

    def _index(self, text: object) -> int:
        if not isinstance(text, str) or not text:
            raise CorrectionError("未指明任务原文 / no commitment text given")
        for i, c in enumerate(self.items):
            if c.text == text:
                return i
        raise CorrectionError(
            f"报告中已没有这句任务 / the report no longer holds this commitment: {_short(text)}"
        )

    def _set_aside(self, text: object) -> ParseWarning:
        if not isinstance(text, str) or not text:
            raise CorrectionError("未指明原文 / no text given")
        for w in self.warnings:
            if w.is_set_aside and w.verbatim == text:
                return w
        raise CorrectionError(f"没有这句被搁置的原文 / no set-aside sentence reads: {_short(text)}")

    # -- operations

    def apply(self, c: Mapping[str, Any]) -> None:
        op = c.get("op")
        if op not in OPS:
            raise CorrectionError(f"未知的更正类型 / unknown correction: {op!r}")
        getattr(self, f"_op_{op}")(c)

    def _op_kind(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        kind = c.get("kind")
        if kind not in KINDS:
            raise CorrectionError(f"未知的类别 / unknown kind: {kind!r}")
        number: int | None = None
        if kind == "practical_matter":
            number = _positive_int(c.get("matter_number"), "实事序号 / matter number")
            taken = {x.matter_number for j, x in enumerate(self.items) if j != i}
            if number in taken:
                raise CorrectionError(
                    f"实事序号 {number} 已被使用 / matter number {number} is taken"
                )
        self.items[i] = dataclasses.replace(
            self.items[i], kind=cast(Kind, kind), matter_number=number
        )

    def _op_split(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        item = self.items[i]
        at = _positive_int(c.get("at"), "拆分位置 / split position")
        if not 0 < at < len(item.text):
            raise CorrectionError("拆分位置须在句子中间 / split inside the sentence")
        first_text, second_text = item.text[:at], item.text[at:]
        # Leading blanks of the second half stay out of it, so its text is a clean sentence.
        lead = len(second_text) - len(second_text.lstrip())
        second_start = item.start + at + lead
        if not first_text.strip() or not second_text.strip():
            raise CorrectionError("拆分后两句都不能为空 / both halves must hold text")
        first = self._rebuilt(item, item.start, item.start + at)
        second = self._rebuilt(
            dataclasses.replace(item, matter_number=None, kind=_plain_kind(item.kind)),
            second_start,
            item.end,
        )
        self.items[i : i + 1] = [first, second]

    def _op_merge(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        j = self._index(c.get("next_text"))
        if j != i + 1:
            raise CorrectionError("只能与紧随其后的任务合并 / merge only with the next commitment")
        merged = self._rebuilt(self.items[i], self.items[i].start, self.items[j].end)
        self.items[i : j + 1] = [merged]

    def _op_due(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        raw = c.get("due_date")
        try:
            due = dt.date.fromisoformat(str(raw))
        except ValueError:
            raise CorrectionError(f"日期无效 / not a date: {raw!r}") from None
        year = self.report.year
        if not year - 1 <= due.year <= year + 10:
            raise CorrectionError("完成时限与报告年度不符 / due date far from the report's year")
        self.items[i] = dataclasses.replace(self.items[i], due_date=due, due_text="审核更正")

    def _op_target_add(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        item = self.items[i]
        fields = _target_fields(c, required=True)
        target = ParsedTarget(
            order=len(item.targets) + 1,
            text=_target_phrase(fields),
            start=item.start,
            end=item.end,
            baseline=None,
            **fields,
        )
        self.items[i] = dataclasses.replace(item, targets=(*item.targets, target))

    def _op_target_edit(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        item = self.items[i]
        k = self._target_index(item, c.get("order"))
        fields = _target_fields(c, required=False)
        old = item.targets[k]
        merged = {f: fields.get(f, getattr(old, f)) for f in TARGET_FIELDS}
        _check_range(merged["value"], merged["value_max"])
        new = dataclasses.replace(old, **merged)
        self.items[i] = dataclasses.replace(
            item, targets=(*item.targets[:k], new, *item.targets[k + 1 :])
        )

    def _op_target_remove(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        item = self.items[i]
        k = self._target_index(item, c.get("order"))
        kept = [t for n, t in enumerate(item.targets) if n != k]
        renumbered = tuple(dataclasses.replace(t, order=n + 1) for n, t in enumerate(kept))
        self.items[i] = dataclasses.replace(item, targets=renumbered)

    def _op_take_back(self, c: Mapping[str, Any]) -> None:
        w = self._set_aside(c.get("text"))
        start, end = w.start or 0, w.end or 0
        section_key = w.section_key or self._section_at(start)
        if section_key is None:
            raise CorrectionError("找不到这句所在的章节 / no section holds this sentence")
        year = self.report.year
        text = self.report.text[start:end]
        figures = extract_figures(self.report.text, start, end)
        item = ParsedCommitment(
            section_key=section_key,
            order=0,
            code=f"{year}-{_group_of_section(section_key)}-00",
            text=text,
            start=start,
            end=end,
            kind="general",
            matter_number=None,
            due_date=dt.date(year, 12, 31),
            due_text="",
            targets=tuple(to_target(f, n + 1) for n, f in enumerate(figures)),
        )
        self.warnings.remove(w)
        at = next((n for n, x in enumerate(self.items) if x.start > start), len(self.items))
        self.items.insert(at, item)

    def _op_drop(self, c: Mapping[str, Any]) -> None:
        i = self._index(c.get("text"))
        item = self.items.pop(i)
        self.warnings.append(_warning(SET_ASIDE_IN_REVIEW, item))

    # -- helpers

    def _target_index(self, item: ParsedCommitment, order: object) -> int:
        n = _positive_int(order, "目标序号 / target number")
        if not 1 <= n <= len(item.targets):
            raise CorrectionError(f"没有第 {n} 个目标 / there is no target {n}")
        return n - 1

    def _section_at(self, offset: int) -> str | None:
        inside = [s for s in self.report.sections if s.start <= offset < s.end]
        return max(inside, key=lambda s: s.start).key if inside else None

    def _rebuilt(self, item: ParsedCommitment, start: int, end: int) -> ParsedCommitment:
        """The commitment over a new span, its targets read again from the new text."""
        text = self.report.text[start:end]
        kept = [t for t in item.targets if start <= t.start and t.end <= end]
        if not kept:
            figures = extract_figures(self.report.text, start, end)
            kept = [to_target(f, n + 1) for n, f in enumerate(figures)]
        targets = tuple(dataclasses.replace(t, order=n + 1) for n, t in enumerate(kept))
        return dataclasses.replace(item, text=text, start=start, end=end, targets=targets)

    def result(self) -> ParsedReport:
        return dataclasses.replace(
            self.report, commitments=_renumbered(self.items), warnings=self.warnings
        )


def _renumbered(items: list[ParsedCommitment]) -> list[ParsedCommitment]:
    """Codes numbered again in source order within each group ("2017-2.1-"), so a split,
    merge or take-back gives the same codes every time the same corrections are applied."""
    ordered = sorted(items, key=lambda c: c.start)
    counters: dict[str, int] = defaultdict(int)
    out = []
    for c in ordered:
        prefix = c.code.rsplit("-", 1)[0]
        counters[prefix] += 1
        n = counters[prefix]
        out.append(dataclasses.replace(c, order=n, code=f"{prefix}-{n:02d}"))
    return out


def _group_of_section(key: str) -> str:
    parts = key.split(".")
    return f"{parts[0]}.{parts[1] if len(parts) > 1 else '0'}"


def _plain_kind(kind: Kind) -> Kind:
    return "general" if kind == "practical_matter" else kind


def _warning(message: str, item: ParsedCommitment) -> ParseWarning:
    excerpt = item.text if len(item.text) <= 40 else item.text[:40] + "…"
    return ParseWarning(
        message,
        excerpt,
        item.start,
        code="dropped",
        end=item.end,
        verbatim=item.text,
        section_key=item.section_key,
        reason_zh="审核中移出",
        reason_en="set aside in the import review",
    )


def _positive_int(raw: object, what: str) -> int:
    try:
        n = int(str(raw))
    except ValueError:
        raise CorrectionError(f"{what}须为整数 / must be a whole number: {raw!r}") from None
    if not 0 < n < 100_000:
        raise CorrectionError(f"{what}超出范围 / out of range: {n}")
    return n


def _decimal(raw: object, what: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise CorrectionError(f"{what}不是数字 / not a number: {raw!r}") from None
    if not value.is_finite() or abs(value) >= Decimal("1e14"):
        raise CorrectionError(f"{what}超出范围 / out of range: {raw!r}")
    return value


def _target_fields(c: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "metric" in c or required:
        metric = str(c.get("metric") or "").strip()
        if len(metric) > 200:
            raise CorrectionError("指标名称过长 / metric too long")
        out["metric"] = metric
    if "value" in c or required:
        out["value"] = _decimal(c.get("value"), "目标值 / value")
    if "value_max" in c or required:
        out["value_max"] = _decimal(c.get("value_max"), "目标上限 / upper bound")
    if "unit" in c or required:
        unit = str(c.get("unit") or "").strip()
        if len(unit) > 20:
            raise CorrectionError("单位过长 / unit too long")
        out["unit"] = unit
    if "qualifier" in c or required:
        q = c.get("qualifier") or ""
        if q not in QUALIFIERS:
            raise CorrectionError(f"未知的限定词 / unknown qualifier: {q!r}")
        out["qualifier"] = q
    if "direction" in c or required:
        d = c.get("direction") or "increase"
        if d not in DIRECTIONS:
            raise CorrectionError(f"未知的方向 / unknown direction: {d!r}")
        out["direction"] = d
    if required:
        if not out["metric"] and out["value"] is None:
            raise CorrectionError("目标须有指标或数值 / a target needs a metric or a value")
        _check_range(out["value"], out["value_max"])
    return out


def _check_range(value: Decimal | None, value_max: Decimal | None) -> None:
    if value_max is not None and (value is None or value_max < value):
        raise CorrectionError("目标上限须不小于目标值 / the upper bound is below the value")


def _target_phrase(fields: Mapping[str, Any]) -> str:
    value = fields["value"]
    number = "" if value is None else format(value.normalize(), "f")
    if fields["value_max"] is not None:
        number += "—" + format(fields["value_max"].normalize(), "f")
    return f"{fields['metric']}{number}{fields['unit']}"[:300] or "（审核添加）"


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"
