"""Hostile input is refused with a clear answer, never a 500, and writes nothing it should
not: non-ASCII digits, bare-word ``next`` targets, NUL characters, ids too large for the
database, a correction of someone else's update."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.jobs.models import Summary
from commitments.models import Commitment, Milestone, ProgressUpdate
from commitments.validators import parse_id
from tests.support.webutil import make_cast, record


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", 12),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # Arabic-Indic three: int() reads it, we do not
        ("0", None),
        ("-3", None),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("12345678901234567890", None),
        ("", None),
        (" 12", None),
        (None, None),
        (["12"], None),
    ],
)
def test_ids_from_request_data_are_ascii_digits_in_range(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", ["²", "٣", "12345678901234567890", "-1", "abc"])
@pytest.mark.parametrize("url", ["/", "/dashboard/", "/inbox/", "/ledger/export.csv"])
def test_a_strange_report_parameter_shows_the_default_report(cast, url, raw):
    response = cast.client("supervisor").get(url, {"report": raw})
    assert response.status_code == 200


def test_a_strange_corrects_parameter_is_ignored(cast):
    record(cast.mine, cast.reporter)  # a timeline to look the id up in
    response = cast.client("reporter").get(f"/c/{cast.mine.pk}/", {"corrects": "²"})
    assert response.status_code == 200


@pytest.mark.parametrize("nxt", ["inbox2", "ledger", "javascript:alert(1)", "//evil.example/"])
def test_a_next_that_is_not_a_path_falls_back_after_accept(cast, nxt):
    update = record(cast.mine, cast.reporter)
    response = cast.client("supervisor").post(
        f"/review/{update.pk}/accept/", {"next": nxt, "comment": ""}
    )
    assert response.status_code == 302 and response["Location"] == reverse("review_queue")
    update.refresh_from_db()
    assert update.review_state == ProgressUpdate.Review.ACCEPTED


def test_a_next_path_on_this_site_is_followed(cast):
    update = record(cast.mine, cast.reporter)
    response = cast.client("supervisor").post(f"/review/{update.pk}/accept/", {"next": "/inbox/"})
    assert response["Location"] == "/inbox/"


def test_bare_word_next_after_return_milestone_and_bulk_assign(cast):
    c = cast.client("supervisor")
    update = record(cast.mine, cast.reporter)
    r = c.post(f"/review/{update.pk}/return/", {"comment": "请补充。", "next": "inbox2"})
    assert r.status_code == 302 and r["Location"] == reverse("review_queue")
    r = c.post(
        f"/c/{cast.mine.pk}/milestones/",
        {"m-title": "开工", "m-due_date": "2017-08-01", "next": "inbox2"},
    )
    assert r.status_code == 302 and r["Location"] == reverse(
        "commitment_assign", args=[cast.mine.pk]
    )
    milestone = Milestone.objects.get(commitment=cast.mine)
    r = c.post(f"/milestones/{milestone.pk}/delete/", {"next": "inbox2"})
    assert r.status_code == 302
    r = c.post(
        "/ledger/bulk-assign/",
        {"ids": [cast.mine.pk], "due_date": "2017-11-30", "next": "inbox2"},
    )
    assert r.status_code == 302 and r["Location"] == reverse("ledger")


def test_a_nul_in_the_accept_comment_is_refused_and_nothing_changes(cast):
    update = record(cast.mine, cast.reporter)
    response = cast.client("supervisor").post(
        f"/review/{update.pk}/accept/", {"comment": "好\x00的"}
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.review_state == ProgressUpdate.Review.SUBMITTED
    assert any("Null" in m or "空" in m for m in _messages(response)), _messages(response)


def test_a_too_long_accept_comment_is_refused(cast):
    update = record(cast.mine, cast.reporter)
    cast.client("supervisor").post(f"/review/{update.pk}/accept/", {"comment": "长" * 2001})
    update.refresh_from_db()
    assert update.review_state == ProgressUpdate.Review.SUBMITTED


@pytest.mark.parametrize("bad", ["12345678901234567890", "²", "-1", "abc", "0"])
def test_bulk_assign_refuses_ids_the_database_cannot_hold(cast, bad):
    before = Commitment.objects.get(pk=cast.mine.pk).due_date
    response = cast.client("supervisor").post(
        "/ledger/bulk-assign/", {"ids": [str(cast.mine.pk), bad], "due_date": "2017-11-30"}
    )
    assert response.status_code == 302
    assert Commitment.objects.get(pk=cast.mine.pk).due_date == before
    assert _messages(response)


@pytest.mark.parametrize("bad", ["abc", "²", "12345678901234567890", "999999"])
def test_generate_summary_with_a_strange_report_is_refused(cast, bad):
    response = cast.client("supervisor").post(reverse("summary_generate"), {"report": bad})
    assert response.status_code == 302 and response["Location"] == reverse("summary_list")
    assert Summary.objects.count() == 0
    assert "所选报告不存在。" in _messages(response)


# --- corrections: only a returned update of the same commitment, from the same unit -------


def _correct(cast, commitment, author, wrong):
    from commitments.services.progress import progress_update_record

    return progress_update_record(
        commitment=commitment,
        author=author,
        claimed_status="in_progress",
        as_of=dt.date(2017, 6, 30),
        narrative="更正。",
        corrects=wrong,
    )


def _return(cast, update):
    from commitments.services.progress import update_review_return

    update_review_return(update=update, reviewer=cast.supervisor, comment="请补充。")


def test_only_a_returned_update_can_be_corrected(cast):
    from commitments.services.progress import update_review_accept

    submitted = record(cast.mine, cast.reporter)
    with pytest.raises(ValidationError, match="被退回"):
        _correct(cast, cast.mine, cast.reporter, submitted)
    update_review_accept(update=submitted, reviewer=cast.supervisor)
    with pytest.raises(ValidationError, match="被退回"):
        _correct(cast, cast.mine, cast.reporter, submitted)
    assert ProgressUpdate.objects.filter(corrects=submitted).count() == 0


def test_a_returned_update_is_corrected_by_its_unit_not_another(cast):
    wrong = record(cast.shared, cast.reporter)  # shared: both units may update it
    _return(cast, wrong)
    with pytest.raises(ValidationError, match="本单位"):
        _correct(cast, cast.shared, cast.other_reporter, wrong)
    assert ProgressUpdate.objects.filter(corrects=wrong).count() == 0
    # The author's colleague (the unit's manager) may correct it.
    assert _correct(cast, cast.shared, cast.manager, wrong).corrects == wrong


def test_the_update_form_refuses_to_correct_a_submitted_update(cast):
    wrong = record(cast.mine, cast.reporter)
    n = ProgressUpdate.objects.count()
    response = cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-06-30",
            "narrative": "更正",
            "percent": "30",
            "corrects": str(wrong.pk),
        },
    )
    assert response.status_code == 422
    assert "只能更正被退回的进展。" in response.content.decode()
    assert ProgressUpdate.objects.count() == n


def test_the_update_form_refuses_another_units_correction(cast):
    wrong = record(cast.shared, cast.reporter)
    _return(cast, wrong)
    n = ProgressUpdate.objects.count()
    response = cast.client("other_reporter").post(
        f"/c/{cast.shared.pk}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-06-30",
            "narrative": "更正",
            "percent": "30",
            "corrects": str(wrong.pk),
        },
    )
    assert response.status_code == 422
    assert "只能更正本单位提交的进展。" in response.content.decode()
    assert ProgressUpdate.objects.count() == n
