"""The daily job proposes the urging notices that are due (建议催办) to the supervision office
in its digest; it never issues a formal notice by itself."""

from __future__ import annotations

import pytest

from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run, urging_due
from commitments.models import UrgingNotice
from tests.support.jobs_world import DAY, email_body, frozen, make_world, parse, sent_to

pytestmark = pytest.mark.django_db


def test_the_office_digest_lists_the_notices_due_and_none_is_issued():
    world = make_world()
    with frozen(DAY):
        due = urging_due(DAY)
        reminders_run(day=DAY)
        outbox_flush()
    assert due["count"] > 0 and due["count"] == due["red"] + due["yellow"] + due["blue"]
    office = email_body(parse(sent_to()[world.sup.email][0]), "plain")
    assert f"== 建议催办 {due['count']} 项 ==" in office
    assert "/urging/proposed/" in office
    reporter = email_body(parse(sent_to()[world.rep_a.email][0]), "plain")
    assert "建议催办" not in reporter
    assert not UrgingNotice.objects.exists()  # proposed, never sent by the job
