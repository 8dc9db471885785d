"""Review by the supervision office: accept, or return with a required comment; a
double click or two reviewers cannot both act; a returned update goes back to its author,
who submits a correction."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.models import ProgressUpdate
from commitments.services.progress import (
    progress_update_record,
    update_review_accept,
    update_review_return,
)
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.webutil import make_cast, record


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


@pytest.fixture
def update(cast):
    return record(cast.mine, cast.reporter, narrative="完成道路20条。")


def test_queue_lists_submitted_updates_oldest_first(cast):
    first = record(cast.mine, cast.reporter, narrative="第一条")
    second = record(cast.shared, cast.reporter, narrative="第二条")
    accepted = record(cast.theirs, cast.other_reporter, narrative="已审核的")
    update_review_accept(update=accepted, reviewer=cast.supervisor)
    body = cast.client("supervisor").get("/review/").content.decode()
    assert body.index(f'id="q{first.pk}"') < body.index(f'id="q{second.pk}"')
    assert f'id="q{accepted.pk}"' not in body  # only in "recent", not in the queue
    assert "第一条" in body and "第二条" in body


def test_accept(cast, update):
    response = cast.client("supervisor").post(f"/review/{update.pk}/accept/")
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.review_state == "accepted"
    assert update.reviewed_by == cast.supervisor
    assert update.reviewed_at is not None


def test_accept_with_htmx_swaps_the_row(cast, update):
    response = cast.client("supervisor").post(
        f"/review/{update.pk}/accept/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="q{update.pk}"' in body and "已通过" in body


def test_return_requires_a_comment(cast, update):
    response = cast.client("supervisor").post(
        f"/review/{update.pk}/return/", {"comment": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "退回时必须填写意见" in response.content.decode()
    update.refresh_from_db()
    assert update.review_state == "submitted"
    with pytest.raises(Exception, match="必须填写意见"):
        update_review_return(update=update, reviewer=cast.supervisor, comment="")


def test_return_without_a_comment_and_without_javascript_says_why(cast, update):
    client = cast.client("supervisor")
    response = client.post(f"/review/{update.pk}/return/", {"comment": ""}, follow=True)
    assert response.redirect_chain[-1][0] == "/review/"
    assert [str(m) for m in response.context["messages"]] == ["退回时必须填写意见。"]
    update.refresh_from_db()
    assert (update.review_state, update.reviewed_by) == ("submitted", None)


def test_double_click_acts_once_and_the_loser_is_told(cast, update):
    client = cast.client("supervisor")
    client.post(f"/review/{update.pk}/return/", {"comment": "缺少佐证材料"})
    response = client.post(f"/review/{update.pk}/accept/", follow=True)
    update.refresh_from_db()
    assert update.review_state == "returned"
    assert update.review_comment == "缺少佐证材料"
    assert "您的操作未生效" in response.content.decode()


def test_two_reviewers_only_one_wins(cast, update):
    other = UserFactory.create(username="supervisor2")
    MembershipFactory.create(user=other, department=cast.supervision, role="supervisor")
    stale_copy = ProgressUpdate.objects.get(pk=update.pk)  # both loaded it as submitted
    assert update_review_accept(update=update, reviewer=cast.supervisor) is True
    assert update_review_return(update=stale_copy, reviewer=other, comment="不同意") is False
    update.refresh_from_db()
    assert (update.review_state, update.reviewed_by) == ("accepted", cast.supervisor)
    from django.test import Client

    client = Client()
    client.force_login(other)
    response = client.post(
        f"/review/{update.pk}/return/", {"comment": "不同意"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "先行审核" in body
    update.refresh_from_db()
    assert update.review_state == "accepted"


def test_returned_update_goes_back_to_its_author_who_corrects_it(cast, update):
    cast.client("supervisor").post(
        f"/review/{update.pk}/return/", {"comment": "读数与验收单不一致"}
    )
    reporter = cast.client("reporter")
    inbox = reporter.get("/inbox/").content.decode()
    assert "读数与验收单不一致" in inbox
    assert f"?corrects={update.pk}" in inbox
    # the nav badge tells them too
    assert 'badge badge-warn">1<' in reporter.get("/").content.decode()

    form_page = reporter.get(f"/c/{cast.mine.pk}/?corrects={update.pk}").content.decode()
    assert "提交更正" in form_page
    assert f'name="corrects" value="{update.pk}"' in form_page
    assert "完成道路20条。" in form_page  # prefilled from the returned update

    data = {
        "claimed_status": "in_progress",
        "as_of": "2017-06-30",
        "narrative": "更正：完成道路18条。",
        "corrects": str(update.pk),
        "percent": "30",
    }
    for t in cast.mine.targets.filter(value__isnull=False):
        data[f"target_{t.pk}"] = ""
    assert reporter.post(f"/c/{cast.mine.pk}/update/", data).status_code == 302
    correction = ProgressUpdate.objects.get(corrects=update)
    assert correction.author == cast.reporter
    assert correction.review_state == "submitted"
    # the returned one is untouched (append-only) and no longer waiting for the author
    update.refresh_from_db()
    assert update.narrative == "完成道路20条。"
    assert "读数与验收单不一致" not in reporter.get("/inbox/").content.decode()
    assert "更正第" in cast.client("supervisor").get("/review/").content.decode()


def test_correction_must_belong_to_the_same_commitment(cast, update):
    other = record(cast.shared, cast.reporter)
    with pytest.raises(Exception, match="同一任务"):
        progress_update_record(
            commitment=cast.mine,
            author=cast.reporter,
            claimed_status="in_progress",
            as_of=dt.date(2017, 6, 30),
            narrative="x",
            corrects=other,
        )


def test_returned_updates_do_not_count_as_claims(cast, update):
    from commitments.models import Commitment
    from commitments.selectors.states import commitment_states

    def claimed() -> str:
        return commitment_states(Commitment.objects.filter(pk=cast.mine.pk))[
            cast.mine.pk
        ].claimed_status

    assert claimed() == "in_progress"
    update_review_return(update=update, reviewer=cast.supervisor, comment="退回")
    assert claimed() == ""  # the as-of rebuild of returns is covered in test_as_of


def test_supervisor_reviews_from_the_commitment_page(cast, update):
    client = cast.client("supervisor")
    page = client.get(f"/c/{cast.mine.pk}/").content.decode()
    assert f"/review/{update.pk}/accept/" in page
    response = client.post(
        f"/review/{update.pk}/accept/", {"next": f"/c/{cast.mine.pk}/#u{update.pk}"}
    )
    assert response["Location"] == f"/c/{cast.mine.pk}/#u{update.pk}"
    # an open redirect is refused
    other = record(cast.mine, cast.reporter)
    response = client.post(f"/review/{other.pk}/accept/", {"next": "https://evil.example/"})
    assert response["Location"] == "/review/"
