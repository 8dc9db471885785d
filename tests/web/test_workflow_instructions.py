"""领导批示: a leader writes an instruction on an item (or several at once); the lead unit
and the supervision office are told (outbox email + inbox); it stands on the item's
timeline; the unit's next update can answer it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from commitments.jobs.models import Notification
from commitments.jobs.outbox import outbox_flush
from commitments.models import Instruction
from tests.support.webutil import make_cast

DAY = dt.date(2017, 9, 30)


@pytest.fixture
def cast(anyang, settings):
    settings.LEDGER_TODAY = DAY
    return make_cast(anyang)


def test_a_leader_instructs_and_the_unit_and_office_are_told(cast):
    r = cast.client("leader").post(
        f"/c/{cast.mine.pk}/instruct/", {"text": "要加快进度，确保年底完成。"}
    )
    assert r.status_code == 302
    i = Instruction.objects.get()
    assert i.author == cast.leader and i.commitment == cast.mine and i.created_on == DAY
    recipients = set(
        Notification.objects.filter(kind="instruction").values_list("recipient_id", flat=True)
    )
    assert recipients == {cast.reporter.pk, cast.manager.pk, cast.supervisor.pk}
    outbox_flush()
    msg = next(m for m in mail.outbox if m.to == [cast.manager.email])
    assert "领导批示" in msg.subject and "要加快进度" in msg.body
    assert "要加快进度" in cast.client("reporter").get("/inbox/").content.decode()
    page = cast.client("supervisor").get(f"/c/{cast.mine.pk}/").content.decode()
    assert "要加快进度，确保年底完成。" in page


def test_an_empty_instruction_is_refused(cast):
    cast.client("leader").post(f"/c/{cast.mine.pk}/instruct/", {"text": "  "})
    assert not Instruction.objects.exists()


def test_instructions_on_several_items_at_once(cast):
    r = cast.client("leader").post(
        "/instructions/bulk/", {"ids": [cast.mine.pk, cast.theirs.pk], "text": "列入重点督办"}
    )
    assert r.status_code == 302
    assert set(Instruction.objects.values_list("commitment_id", flat=True)) == {
        cast.mine.pk,
        cast.theirs.pk,
    }
    # the other lead unit is told about its own item only
    assert set(
        Notification.objects.filter(recipient=cast.other_reporter).values_list("kind", flat=True)
    ) == {"instruction"}
    assert Notification.objects.filter(recipient=cast.other_reporter).count() == 1
    # the leader's ledger has the bulk form
    assert 'id="bulk-instruct"' in cast.client("leader").get("/").content.decode()


def test_the_units_update_answers_the_instruction(cast):
    cast.client("leader").post(f"/c/{cast.mine.pk}/instruct/", {"text": "请报告落实情况"})
    i = Instruction.objects.get()
    page = cast.client("reporter").get(f"/c/{cast.mine.pk}/").content.decode()
    assert 'name="responds_to"' in page
    cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-09-30",
            "narrative": "已按批示召开专题会。",
            "responds_to": [i.pk],
        },
    )
    i.refresh_from_db()
    assert i.response_update is not None and i.responded_at is not None
    assert i.response_update.narrative == "已按批示召开专题会。"
    # a co-unit does not answer for the lead unit
    assert (
        'name="responds_to"'
        not in cast.client("reporter").get(f"/c/{cast.shared.pk}/").content.decode()
    )
