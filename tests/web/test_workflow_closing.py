"""办结销号 and claimed vs verified: accepting a completion closes the item with the date;
closed items leave reminders and urging and take no update; the office reopens one with a
reason kept in the record; a completion not yet reviewed is 申报完成·待审核, never done, on
the ledger and dashboard, where claimed and verified figures add up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from commitments.jobs.reminders import reminders_plan
from commitments.models import Closure, Commitment
from commitments.rules import Rag
from commitments.selectors.states import commitment_states
from commitments.services import workflow
from commitments.services.progress import update_review_accept
from tests.support.webutil import make_cast, record

DAY = dt.date(2017, 9, 30)


@pytest.fixture
def cast(anyang, settings):
    settings.LEDGER_TODAY = DAY
    return make_cast(anyang)


def state(c):
    return commitment_states(Commitment.objects.filter(pk=c.pk), day=DAY)[c.pk]


def test_a_claimed_completion_is_not_done_until_accepted(cast):
    sup = cast.client("supervisor")
    before = sup.get("/dashboard/").context["board"]
    claim = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    st = state(cast.mine)
    assert st.status.rag == Rag.COMPLETED and st.shown.rag == Rag.CLAIMED and st.claim_pending
    board = sup.get("/dashboard/").context["board"]
    counts = {rag: n for rag, _l, n, _s in board.by_rag}
    assert board.verified_completed == before.verified_completed
    assert board.claimed_pending == before.claimed_pending + 1
    assert board.claimed_done == board.verified_completed + board.claimed_pending
    assert counts[Rag.CLAIMED] == board.claimed_pending
    ledger = sup.get("/").content.decode()
    assert "申报完成·待审核" in ledger and 'id="done-figures"' in ledger
    view = sup.get("/").context["view"]
    assert view.claimed_done == view.verified_done + view.claimed_pending
    assert update_review_accept(update=claim, reviewer=cast.supervisor)
    board = sup.get("/dashboard/").context["board"]
    assert board.verified_completed == before.verified_completed + 1
    assert board.claimed_pending == before.claimed_pending


def test_leaders_see_verified_lamps_first_with_the_claim_beside(cast):
    record(cast.mine, cast.reporter, as_of=DAY, status="in_progress", percent="80")
    view = cast.client("leader").get("/").context["view"]
    assert view.basis == "verified"
    body = cast.client("leader").get("/", {"q": "118条"}).content.decode()
    assert "填报" in body and "80.0%" in body  # the claim, beside the verified lamp
    assert cast.client("supervisor").get("/").context["view"].basis == "claimed"
    assert cast.client("leader").get("/", {"basis": "claimed"}).context["view"].basis == "claimed"
    assert cast.client("leader").get("/dashboard/").context["board"].basis == "verified"


def test_accepting_a_completion_closes_the_item(cast):
    done = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    assert not Closure.objects.exists()
    cast.client("supervisor").post(f"/review/{done.pk}/accept/")
    closure = Closure.objects.get(commitment=cast.mine)
    assert closure.closed_on == DAY and closure.closed_by == cast.supervisor
    assert closure.update == done
    st = state(cast.mine)
    assert st.closed and not st.status.is_open and st.closed_on == DAY
    page = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "已办结销号" in page and 'id="record"' not in page  # no update form on a closed item


def test_accepting_an_older_completion_under_a_newer_claim_does_not_close(cast):
    done = record(
        cast.mine, cast.reporter, as_of=dt.date(2017, 9, 1), status="completed", percent=None
    )
    record(cast.mine, cast.reporter, as_of=DAY, status="in_progress", percent="90")
    update_review_accept(update=done, reviewer=cast.supervisor)
    assert not Closure.objects.exists()


def test_closed_items_leave_reminders_and_take_no_update(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(due_date=dt.date(2017, 10, 5))
    assert cast.mine.pk in {i.commitment_id for i in reminders_plan(day=DAY).items}
    done = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    update_review_accept(update=done, reviewer=cast.supervisor)
    assert cast.mine.pk not in {i.commitment_id for i in reminders_plan(day=DAY).items}
    with pytest.raises(ValidationError, match="已办结销号"):
        record(cast.mine, cast.reporter, as_of=DAY)
    r = cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/",
        {"claimed_status": "in_progress", "as_of": "2017-09-30", "narrative": "补充"},
    )
    assert r.status_code == 422
    assert cast.mine.updates.count() == 1


def test_the_office_reopens_with_a_reason(cast):
    done = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    update_review_accept(update=done, reviewer=cast.supervisor)
    sup = cast.client("supervisor")
    sup.post(f"/c/{cast.mine.pk}/reopen/", {"reason": ""})
    assert Closure.objects.get().reopened_at is None
    sup.post(f"/c/{cast.mine.pk}/reopen/", {"reason": "验收发现两条道路未完工"})
    closure = Closure.objects.get()
    assert closure.reopened_by == cast.supervisor and closure.reopen_reason.startswith("验收")
    st = state(cast.mine)
    assert not st.closed and st.status.is_open and st.verified.rag != Rag.COMPLETED
    page = sup.get(f"/c/{cast.mine.pk}/").content.decode()
    assert "验收发现两条道路未完工" in page  # kept in the record
    # the unit may report again, and a new accepted completion closes it again
    again = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    update_review_accept(update=again, reviewer=cast.supervisor)
    assert Closure.objects.filter(reopened_at__isnull=True).count() == 1
    assert Closure.objects.count() == 2


def test_reopening_an_open_item_is_refused(cast):
    with pytest.raises(ValidationError):
        workflow.commitment_reopen(commitment=cast.mine, by=cast.supervisor, reason="无")
