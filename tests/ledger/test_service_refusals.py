"""The write services refuse bad input themselves — whoever calls them (a view, a
command, a future API) — with a message per field, and write nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.access import roles_of, visible_commitments
from commitments.models import Commitment, Evidence, ProgressUpdate, TargetReading
from commitments.services.assignment import commitments_bulk_assign
from commitments.services.progress import progress_update_record
from tests.support.webutil import make_cast

DAY = dt.datetime(2017, 9, 30, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def _nothing_written() -> None:
    assert ProgressUpdate.objects.count() == 0
    assert TargetReading.objects.count() == 0
    assert Evidence.objects.count() == 0


def _refused(cast, **kwargs) -> dict[str, list[str]]:
    args = dict(
        commitment=cast.mine,
        author=cast.reporter,
        claimed_status="in_progress",
        as_of=dt.date(2017, 9, 1),
        percent=Decimal("10"),
    )
    with pytest.raises(ValidationError) as exc:
        progress_update_record(**{**args, **kwargs})
    _nothing_written()
    return exc.value.message_dict


def test_an_as_of_date_in_the_future_or_before_the_report_year_is_refused(cast):
    assert _refused(cast, as_of=dt.date(2017, 10, 1)) == {"as_of": ["截至日期不能晚于今天。"]}
    assert "2017" in _refused(cast, as_of=dt.date(2016, 12, 31))["as_of"][0]


def test_a_reading_of_another_commitments_target_is_refused(cast):
    foreign = cast.theirs.targets.first() or cast.shared.targets.first()
    assert _refused(cast, readings={foreign: Decimal("1")}) == {"__all__": ["指标不属于该任务。"]}


def test_a_negative_count_is_refused_on_its_own_field(cast):
    roads = cast.mine.targets.get(order=1)
    errors = _refused(cast, readings={roads: Decimal("-3")})
    assert list(errors) == [f"target_{roads.pk}"]
    assert "不能为负数" in errors[f"target_{roads.pk}"][0]


def test_an_evidence_file_of_a_forbidden_type_is_refused(cast, settings):
    bad = SimpleUploadedFile("脚本.exe", b"MZ", "application/octet-stream")
    errors = _refused(cast, files=[bad])
    assert list(errors) == ["files"] and "脚本.exe" in errors["files"][0]


def test_an_oversized_evidence_file_is_refused(cast, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    big = SimpleUploadedFile("验收单.pdf", b"%PDF-1.4 " + b"x" * 20, "application/pdf")
    assert "过大" in _refused(cast, files=[big])["files"][0]


def test_a_correction_must_correct_an_update_of_the_same_commitment(cast):
    other = ProgressUpdate.objects.create(
        commitment=cast.theirs,
        author=cast.other_reporter,
        as_of=dt.date(2017, 8, 1),
        claimed_status="in_progress",
    )
    with pytest.raises(ValidationError) as exc:
        progress_update_record(
            commitment=cast.mine,
            author=cast.reporter,
            claimed_status="in_progress",
            as_of=dt.date(2017, 9, 1),
            corrects=other,
        )
    assert exc.value.message_dict == {"__all__": ["只能更正同一任务的进展。"]}
    assert ProgressUpdate.objects.count() == 1


def test_bulk_assignment_needs_something_to_set(cast):
    with pytest.raises(ValidationError, match="请选择牵头单位或完成时限"):
        commitments_bulk_assign(
            commitments=Commitment.objects.filter(pk=cast.theirs.pk), by=cast.supervisor
        )


def test_bulk_assignment_is_all_or_nothing(cast):
    late_start = cast.report.commitments.exclude(pk=cast.mine.pk).order_by("seq")[1]
    Commitment.objects.filter(pk=late_start.pk).update(start_date=dt.date(2017, 7, 1))
    picked = Commitment.objects.filter(pk__in=[cast.mine.pk, late_start.pk])
    with pytest.raises(ValidationError) as exc:
        commitments_bulk_assign(
            commitments=picked,
            by=cast.supervisor,
            lead_unit=cast.other_dept,
            due_date=dt.date(2017, 6, 30),
        )
    assert late_start.code in exc.value.messages[0]
    assert Commitment.objects.get(pk=cast.mine.pk).lead_unit == cast.dept  # untouched
    assert Commitment.objects.get(pk=cast.mine.pk).due_date == cast.mine.due_date


def test_an_inactive_user_has_no_role_and_sees_nothing(cast):
    cast.supervisor.is_active = False
    cast.supervisor.save()
    roles = roles_of(cast.supervisor)
    assert not roles.sees_everything and not roles.department_ids
    assert not visible_commitments(cast.supervisor).exists()
    assert visible_commitments(cast.nobody).count() == 0
    assert set(visible_commitments(cast.reporter).values_list("pk", flat=True)) == {
        cast.mine.pk,
        cast.shared.pk,
    }
