"""催办 and 督办单: the office issues a formal notice (blue / yellow / red) with a reply-by
date; it is emailed at once, waits in the unit's inbox and stands on the item's timeline; the
unit's reply (an update or a written answer) closes it. The daily scan proposes the notices
due (建议催办) and never sends one itself; the office issues them singly or in bulk; notices
are counted per unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from commitments.jobs.models import Notification
from commitments.jobs.outbox import outbox_flush
from commitments.models import Commitment, UrgingNotice
from commitments.selectors.workflow import urging_by_unit, urging_proposals
from commitments.services import workflow
from tests.support.webutil import make_cast, record

DAY = dt.date(2017, 9, 30)


@pytest.fixture
def cast(anyang, settings):
    settings.LEDGER_TODAY = DAY
    return make_cast(anyang)


def issue(cast, pk, level="red", reply_by="2017-10-09", message="请说明逾期原因"):
    return cast.client("supervisor").post(
        f"/c/{pk}/urge/", {"level": level, "reply_by": reply_by, "message": message}
    )


def test_a_notice_is_emailed_at_once_and_waits_in_the_inbox(cast):
    assert issue(cast, cast.mine.pk).status_code == 302
    n = UrgingNotice.objects.get()
    assert n.department == cast.dept and n.level == "red" and n.state == "open"
    assert n.issued_on == DAY and n.reply_by == dt.date(2017, 10, 9)
    keys = set(Notification.objects.filter(kind="urging").values_list("key", flat=True))
    assert keys == {f"urging:{n.pk}:{cast.reporter.pk}", f"urging:{n.pk}:{cast.manager.pk}"}
    outbox_flush()
    msg = next(m for m in mail.outbox if m.to == [cast.reporter.email])
    assert "督办单·红色" in msg.subject and "2017-10-09" in msg.subject
    assert "请说明逾期原因" in msg.body
    assert isinstance(msg, EmailMultiAlternatives)
    assert "督办单" in str(msg.alternatives[0][0])
    inbox = cast.client("reporter").get("/inbox/").content.decode()
    assert "待答复的督办单" in inbox and cast.mine.code in inbox
    page = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "签发红色督办单·逾期未完成" in page  # 督办记录


def test_bad_notices_change_nothing(cast):
    issue(cast, cast.mine.pk, reply_by="2017-09-01")  # before today
    issue(cast, cast.mine.pk, level="purple")
    Commitment.objects.filter(pk=cast.theirs.pk).update(lead_unit=None)
    issue(cast, cast.theirs.pk)  # nobody to send it to
    assert not UrgingNotice.objects.exists()
    assert not Notification.objects.filter(kind="urging").exists()


def test_one_open_notice_per_colour(cast):
    issue(cast, cast.mine.pk)
    r = cast.client("supervisor").post(
        f"/c/{cast.mine.pk}/urge/", {"level": "red", "reply_by": "2017-10-09"}, follow=True
    )
    assert "已有一份同色督办单待答复" in r.content.decode()
    assert UrgingNotice.objects.count() == 1
    issue(cast, cast.mine.pk, level="yellow")
    assert UrgingNotice.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        UrgingNotice.objects.create(
            commitment=cast.mine, department=cast.dept, level="red", issued_by=cast.supervisor,
            issued_on=DAY, reply_by=DAY,
        )  # fmt: skip


def test_reply_by_cannot_be_before_the_notice(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        UrgingNotice.objects.create(
            commitment=cast.mine, department=cast.dept, level="blue", issued_by=cast.supervisor,
            issued_on=DAY, reply_by=DAY - dt.timedelta(days=1),
        )  # fmt: skip


def test_a_written_answer_closes_the_notice(cast):
    issue(cast, cast.mine.pk)
    n = UrgingNotice.objects.get()
    cast.client("reporter").post(f"/urging/{n.pk}/answer/", {"text": ""})
    n.refresh_from_db()
    assert n.state == "open"
    cast.client("reporter").post(
        f"/urging/{n.pk}/answer/", {"text": "已约谈施工单位，10月底完工。"}
    )
    n.refresh_from_db()
    assert n.state == "answered" and n.answered_by == cast.reporter
    assert n.answer_text.startswith("已约谈")
    assert "待答复的督办单" not in cast.client("reporter").get("/inbox/").content.decode()
    page = cast.client("supervisor").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "已约谈施工单位" in page


def test_an_update_answers_the_notice(cast):
    issue(cast, cast.mine.pk)
    n = UrgingNotice.objects.get()
    # the update form offers the open notice, ticked
    page = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert 'name="answers"' in page and "checked" in page.split('name="answers"', 1)[1][:80]
    r = cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-09-30",
            "narrative": "加快推进。",
            "answers": [n.pk],
        },
    )
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.state == "answered" and n.answer_update is not None
    assert n.answer_update.narrative == "加快推进。"


def test_proposals_follow_the_rules_and_never_send(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(due_date=dt.date(2017, 9, 1))  # overdue
    Commitment.objects.filter(pk=cast.shared.pk).update(due_date=dt.date(2017, 10, 5))  # soon
    record(cast.shared, cast.other_reporter, as_of=DAY, percent="97")  # on track, due soon
    record(cast.theirs, cast.other_reporter, as_of=DAY, percent="10")  # behind the time
    proposals = {
        p.commitment.pk: p.level
        for p in urging_proposals(commitments=Commitment.objects.all(), day=DAY)
    }
    assert proposals[cast.mine.pk] == "red"
    assert proposals[cast.shared.pk] == "blue"
    assert proposals[cast.theirs.pk] == "yellow"
    assert not UrgingNotice.objects.exists()
    body = cast.client("supervisor").get("/urging/proposed/").content.decode()
    assert f'value="{cast.mine.pk}:red"' in body and f'value="{cast.theirs.pk}:yellow"' in body
    # an open notice of that colour (or stronger) takes the item off the list
    issue(cast, cast.mine.pk)
    again = {
        p.commitment.pk for p in urging_proposals(commitments=Commitment.objects.all(), day=DAY)
    }
    assert cast.mine.pk not in again and cast.theirs.pk in again


def test_bulk_issue_from_the_proposals(cast):
    Commitment.objects.filter(pk__in=[cast.mine.pk, cast.theirs.pk]).update(
        due_date=dt.date(2017, 9, 1)
    )
    r = cast.client("supervisor").post(
        "/urging/issue/",
        {"picks": [f"{cast.mine.pk}:red", f"{cast.theirs.pk}:red"], "reply_by": "2017-10-09"},
    )
    assert r.status_code == 302
    assert {(n.commitment_id, n.department_id) for n in UrgingNotice.objects.all()} == {
        (cast.mine.pk, cast.dept.pk),
        (cast.theirs.pk, cast.other_dept.pk),
    }
    # all or nothing: one that cannot go stops the batch
    r = cast.client("supervisor").post(
        "/urging/issue/",
        {"picks": [f"{cast.shared.pk}:yellow", f"{cast.mine.pk}:red"], "reply_by": "2017-10-09"},
        follow=True,
    )
    assert "本批督办单均未签发" in r.content.decode()
    assert UrgingNotice.objects.count() == 2


def test_notices_are_counted_per_unit(cast):
    for level in ("red", "yellow", "blue"):
        workflow.urging_issue(commitment=cast.mine, by=cast.supervisor, level=level, reply_by=DAY)
    workflow.urging_issue(commitment=cast.theirs, by=cast.supervisor, level="red", reply_by=DAY)
    units = {u.department.pk: u for u in urging_by_unit(day=DAY + dt.timedelta(days=1))}
    mine = units[cast.dept.pk]
    assert (mine.red, mine.yellow, mine.blue, mine.total) == (1, 1, 1, 3)
    assert mine.open == 3 and mine.overdue_replies == 3
    assert units[cast.other_dept.pk].total == 1
    body = cast.client("leader").get("/urging/").content.decode()
    assert "按单位统计" in body and cast.dept.name in body


def test_closed_items_are_not_urged(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(due_date=dt.date(2017, 9, 1))
    from commitments.services.progress import update_review_accept

    done = record(cast.mine, cast.reporter, as_of=DAY, status="completed", percent=None)
    update_review_accept(update=done, reviewer=cast.supervisor)
    assert cast.mine.pk not in {
        p.commitment.pk for p in urging_proposals(commitments=Commitment.objects.all(), day=DAY)
    }
    with pytest.raises(ValidationError):
        workflow.urging_issue(commitment=cast.mine, by=cast.supervisor, level="red", reply_by=DAY)
