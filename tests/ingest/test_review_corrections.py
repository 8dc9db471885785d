"""Corrections of the import review applied to a parsed report (commitments.ingest.review):
plain Python, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from commitments.ingest import ParsedReport, parse_report
from commitments.ingest.review import CorrectionError, apply_corrections, check_correction

BUNDLED = Path(__file__).resolve().parents[2] / "commitments" / "data"


@cache
def anyang() -> ParsedReport:
    return parse_report((BUNDLED / "anyang-2017-government-work-report.txt").read_bytes())


def by_text(report: ParsedReport, text: str):
    found = [c for c in report.commitments if c.text == text]
    assert len(found) == 1, text
    return found[0]


def traceable(report: ParsedReport) -> None:
    for c in report.commitments:
        assert report.text[c.start : c.end] == c.text, c.code
    codes = [c.code for c in report.commitments]
    assert len(codes) == len(set(codes))


def test_no_corrections_change_nothing():
    out = apply_corrections(anyang(), [])
    assert out.report.commitments == anyang().commitments
    assert out.applied == [] and out.unapplied == []


def test_kind_changes_and_practical_matter_numbers_stay_unique():
    r = anyang()
    general = next(c for c in r.commitments if c.kind == "general")
    out = apply_corrections(r, [{"op": "kind", "text": general.text, "kind": "pollution"}])
    assert by_text(out.report, general.text).kind == "pollution"
    with pytest.raises(CorrectionError, match="taken"):
        check_correction(
            r, {"op": "kind", "text": general.text, "kind": "practical_matter", "matter_number": 3}
        )
    out = apply_corrections(
        r, [{"op": "kind", "text": general.text, "kind": "practical_matter", "matter_number": 11}]
    )
    assert by_text(out.report, general.text).matter_number == 11


def test_split_makes_two_traceable_commitments_with_their_own_targets():
    r = anyang()
    matter = next(c for c in r.commitments if c.matter_number == 1)
    at = matter.text.index("，") + 1
    out = apply_corrections(r, [{"op": "split", "text": matter.text, "at": at}])
    assert len(out.report.commitments) == len(r.commitments) + 1
    first = by_text(out.report, matter.text[:at])
    second = next(c for c in out.report.commitments if c.start == first.end)
    assert second.text == matter.text[at:].lstrip()
    assert first.matter_number == 1 and second.matter_number is None
    traceable(out.report)


def test_merge_spans_both_sentences_and_only_with_the_next():
    r = anyang()
    a, b, c = r.commitments[40], r.commitments[41], r.commitments[42]
    out = apply_corrections(r, [{"op": "merge", "text": a.text, "next_text": b.text}])
    merged = next(x for x in out.report.commitments if x.start == a.start)
    assert merged.end == b.end and merged.text == r.text[a.start : b.end]
    traceable(out.report)
    with pytest.raises(CorrectionError, match="next"):
        check_correction(r, {"op": "merge", "text": a.text, "next_text": c.text})


def test_targets_can_be_added_edited_and_removed():
    r = anyang()
    item = next(c for c in r.commitments if len(c.targets) >= 2)
    out = apply_corrections(
        r,
        [
            {"op": "target_add", "text": item.text, "metric": "新增", "value": "7", "unit": "个"},
            {"op": "target_edit", "text": item.text, "order": 1, "value": "99.5"},
            {"op": "target_remove", "text": item.text, "order": 2},
        ],
    )
    assert out.unapplied == []
    targets = by_text(out.report, item.text).targets
    assert len(targets) == len(item.targets)  # one added, one removed
    assert targets[0].value == Decimal("99.5")
    assert targets[-1].metric == "新增" and targets[-1].value == Decimal(7)
    assert [t.order for t in targets] == list(range(1, len(targets) + 1))


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "target_add", "text": "", "metric": "x", "value": "1"},
        {"op": "target_add", "metric": "x", "value": "abc"},
        {"op": "target_add", "metric": "", "value": ""},
        {"op": "target_add", "metric": "x", "value": "5", "value_max": "4"},
        {"op": "target_add", "metric": "x", "value": "1e30"},
        {"op": "target_add", "metric": "x", "value": "NaN"},
        {"op": "target_edit", "order": 99, "value": "1"},
        {"op": "target_remove", "order": "²"},
        {"op": "kind", "kind": "nonsense"},
        {"op": "split", "at": 0},
        {"op": "due", "due_date": "2017-02-30"},
        {"op": "due", "due_date": "2999-01-01"},
        {"op": "explode"},
    ],
)
def test_a_correction_that_does_not_fit_is_refused_with_a_reason(bad):
    r = anyang()
    correction = {"text": r.commitments[0].text, **bad}
    with pytest.raises(CorrectionError) as err:
        check_correction(r, correction)
    assert " / " in str(err.value)  # Chinese and English


def test_a_set_aside_sentence_can_be_taken_back_and_a_commitment_dropped():
    r = anyang()
    rhetoric = next(w for w in r.set_asides if w.code == "rhetoric")
    item = r.commitments[100]
    out = apply_corrections(
        r, [{"op": "take_back", "text": rhetoric.verbatim}, {"op": "drop", "text": item.text}]
    )
    taken = by_text(out.report, rhetoric.verbatim)
    assert taken.kind == "general" and taken.due_date == dt.date(2017, 12, 31)
    assert not [c for c in out.report.commitments if c.text == item.text]
    dropped = [w for w in out.report.set_asides if w.code == "dropped"]
    assert [w.verbatim for w in dropped] == [item.text]
    assert rhetoric.verbatim not in [w.verbatim for w in out.report.set_asides]
    traceable(out.report)


def test_corrections_of_sentences_no_longer_in_the_report_are_reported_not_applied():
    r = anyang()
    out = apply_corrections(
        r,
        [
            {"op": "kind", "text": "这句话不在报告里。", "kind": "pollution"},
            {"op": "kind", "text": r.commitments[5].text, "kind": "pollution"},
        ],
    )
    assert out.applied == [1]
    assert [i for i, _ in out.unapplied] == [0]
    assert by_text(out.report, r.commitments[5].text).kind == "pollution"


def test_the_same_corrections_give_the_same_codes():
    r = anyang()
    corrections = [{"op": "split", "text": r.commitments[60].text, "at": 5}]
    one = apply_corrections(r, corrections).report
    two = apply_corrections(r, corrections).report
    assert [c.code for c in one.commitments] == [c.code for c in two.commitments]
