"""延期申请: the lead unit asks for a new deadline with a reason (late when asked after the
deadline); the office grants a date (which may differ from the one asked) or refuses with a
comment; the original deadline is kept; lamps and reminders follow the approved deadline,
done-late is judged against the original; one pending request per item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commitments.jobs.outbox import outbox_flush
from commitments.models import Commitment, ExtensionRequest
from commitments.rules import Rag
from commitments.selectors.states import commitment_states
from commitments.services import workflow
from commitments.services.progress import update_review_accept
from tests.support.webutil import make_cast, record

DAY = dt.date(2017, 9, 30)


@pytest.fixture
def cast(anyang, settings):
    settings.LEDGER_TODAY = DAY
    c = make_cast(anyang)
    Commitment.objects.filter(pk=c.mine.pk).update(due_date=dt.date(2017, 9, 1))
    c.mine.refresh_from_db()
    return c


def ask(cast, who="reporter", date="2017-11-30", reason="征迁尚未完成", **extra):
    return cast.client(who).post(
        f"/c/{cast.mine.pk}/extension/",
        {"requested_due_date": date, "reason": reason, "progress_note": "已完成80%", **extra},
    )


def state(cast):
    return commitment_states(Commitment.objects.filter(pk=cast.mine.pk), day=DAY)[cast.mine.pk]


def test_a_reporter_asks_and_a_late_request_is_marked(cast):
    assert ask(cast).status_code == 302
    req = ExtensionRequest.objects.get(commitment=cast.mine)
    assert req.state == "pending" and req.requested_by == cast.reporter
    assert req.due_date_before == dt.date(2017, 9, 1)
    assert req.is_late  # asked on 30 September for a 1 September deadline
    assert req.progress_note == "已完成80%"
    body = cast.client("supervisor").get("/inbox/").content.decode()
    assert "待审批的延期申请" in body and "逾期后申请" in body


def test_bad_requests_change_nothing(cast):
    ask(cast, reason="")
    ask(cast, date="2017-08-01")  # earlier than the deadline
    r = ask(cast, date="notadate")
    assert r.status_code == 302
    assert not ExtensionRequest.objects.exists()


def test_one_pending_request_per_item(cast):
    ask(cast)
    r = cast.client("manager").post(
        f"/c/{cast.mine.pk}/extension/",
        {"requested_due_date": "2017-12-31", "reason": "再延"},
        follow=True,
    )
    assert "已有一项待审批的延期申请" in r.content.decode()
    assert ExtensionRequest.objects.filter(commitment=cast.mine).count() == 1
    # and the database refuses it whatever the code does
    first = ExtensionRequest.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(
            commitment=cast.mine,
            requested_by=cast.manager,
            requested_on=DAY,
            due_date_before=first.due_date_before,
            requested_due_date=dt.date(2017, 12, 31),
            reason="并发",
        )


def test_the_office_grants_another_date_and_the_original_is_kept(cast):
    ask(cast)
    req = ExtensionRequest.objects.get()
    assert state(cast).status.rag == Rag.RED  # overdue against 1 September
    r = cast.client("supervisor").post(
        f"/extensions/{req.pk}/decide/",
        {"decision": "grant", "granted_due_date": "2017-10-31", "comment": "同意延期一个月"},
    )
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == "granted" and req.granted_due_date == dt.date(2017, 10, 31)
    assert req.decided_by == cast.supervisor and req.decided_at is not None
    cast.mine.refresh_from_db()
    assert cast.mine.due_date == dt.date(2017, 10, 31)
    assert cast.mine.original_due_date == dt.date(2017, 9, 1)
    st = state(cast)
    assert st.extended and st.status.rag != Rag.RED  # the lamp follows the approved deadline
    ledger = cast.client("supervisor").get("/", {"q": "118条"}).content.decode()
    assert "已延期" in ledger and "2017-10-31" in ledger and "原定 2017-09-01" in ledger
    page = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "批准延期至 2017-10-31" in page  # the timeline
    assert "2017-09-01" in page
    # the history keeps who moved the deadline
    hist = cast.mine.history.order_by("-history_date").first()
    assert hist.history_user == cast.supervisor and hist.original_due_date == dt.date(2017, 9, 1)
    # the one who asked is told
    outbox_flush()
    assert any(
        m.to == [cast.reporter.email] and "已批准延期至2017-10-31" in m.subject for m in mail.outbox
    )


def test_done_late_is_judged_against_the_original_deadline(cast):
    ask(cast)
    workflow.extension_decide(
        request=ExtensionRequest.objects.get(),
        by=cast.supervisor,
        grant=True,
        granted_due_date=dt.date(2017, 12, 31),
    )
    done = record(
        cast.mine, cast.reporter, as_of=dt.date(2017, 9, 20), status="completed", percent=None
    )
    update_review_accept(update=done, reviewer=cast.supervisor)
    st = state(cast)
    assert st.verified.rag == Rag.COMPLETED_LATE  # within the extension, late against 1 September
    page = cast.client("supervisor").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "按原定时限 2017-09-01 计为逾期完成" in page


def test_refusal_needs_a_comment_and_keeps_the_deadline(cast):
    ask(cast)
    req = ExtensionRequest.objects.get()
    cast.client("supervisor").post(f"/extensions/{req.pk}/decide/", {"decision": "refuse"})
    req.refresh_from_db()
    assert req.state == "pending"
    cast.client("supervisor").post(
        f"/extensions/{req.pk}/decide/", {"decision": "refuse", "comment": "理由不充分"}
    )
    req.refresh_from_db()
    cast.mine.refresh_from_db()
    assert req.state == "refused" and req.granted_due_date is None
    assert cast.mine.due_date == dt.date(2017, 9, 1) and cast.mine.original_due_date is None
    # a new request may follow a refusal
    assert ask(cast, date="2017-10-15").status_code == 302
    assert ExtensionRequest.objects.filter(state="pending").count() == 1


def test_a_grant_must_be_later_than_the_deadline_and_decided_once(cast):
    ask(cast)
    req = ExtensionRequest.objects.get()
    with pytest.raises(ValidationError):
        workflow.extension_decide(
            request=req, by=cast.supervisor, grant=True, granted_due_date=dt.date(2017, 8, 1)
        )
    assert workflow.extension_decide(
        request=req, by=cast.supervisor, grant=True, granted_due_date=dt.date(2017, 11, 1)
    )
    assert not workflow.extension_decide(
        request=req, by=cast.supervisor, grant=False, comment="晚了一步"
    )
    req.refresh_from_db()
    assert req.state == "granted"


def test_reminders_follow_the_approved_deadline(cast):
    from commitments.jobs.reminders import reminders_plan

    Commitment.objects.filter(pk=cast.mine.pk).update(due_date=dt.date(2017, 10, 5))
    cast.mine.refresh_from_db()
    kinds = {(i.commitment_id, i.kind) for i in reminders_plan(day=DAY).items}
    assert (cast.mine.pk, "due_soon") in kinds
    ask(cast, date="2017-12-31")
    workflow.extension_decide(
        request=ExtensionRequest.objects.get(),
        by=cast.supervisor,
        grant=True,
        granted_due_date=dt.date(2017, 12, 31),
    )
    kinds = {(i.commitment_id, i.kind) for i in reminders_plan(day=DAY).items}
    assert (cast.mine.pk, "due_soon") not in kinds
