"""Reminder digests: which emails go out on which day, to whom, and that a second run sends
nothing. Time is frozen at 08:30 Shanghai time; mail goes to Django's locmem outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from commitments.jobs.models import (
    EmailKind,
    Notification,
    NotificationItem,
    NotificationPreference,
)
from commitments.jobs.outbox import outbox_flush, preference_set
from commitments.jobs.reminders import reminders_plan, reminders_run
from tests.support.jobs_world import DAY, email_body, frozen, make_world, parse, sent_to, update

pytestmark = pytest.mark.django_db


def run(day: dt.date = DAY):
    with frozen(day):
        result = reminders_run(day=day)
        outbox_flush()
    return result


def items_of(user) -> set[tuple[str, str]]:
    """(kind, commitment code) pairs a person has been told, ever."""
    return set(
        NotificationItem.objects.filter(recipient=user).values_list("kind", "commitment__code")
    )


@pytest.fixture
def world():
    return make_world()


def test_it_sends_one_digest_per_person(world):
    run()
    by_address = sent_to()
    assert set(by_address) == {
        world.rep_a.email, world.mgr_a.email, world.rep_b.email, world.mgr_b.email, world.sup.email,
    }  # fmt: skip
    assert all(len(msgs) == 1 for msgs in by_address.values())
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER_DIGEST).count() == 5


def test_each_person_is_told_what_concerns_them(world):
    run()
    k = EmailKind
    assert items_of(world.rep_a) == {
        (k.DUE_SOON, "w-due7"), (k.DUE_SOON, "w-due14"), (k.OVERDUE, "w-overdue"),
        (k.OVERDUE, "w-escalate"), (k.STALE, "w-stale"), (k.RETURNED, "w-fresh"),
    }  # fmt: skip
    # The manager acts on the department's items too, and is copied on the escalation;
    # a returned update goes to its author only.
    assert items_of(world.mgr_a) == {
        (k.DUE_SOON, "w-due7"), (k.DUE_SOON, "w-due14"), (k.OVERDUE, "w-overdue"),
        (k.OVERDUE, "w-escalate"), (k.STALE, "w-stale"), (k.ESCALATION, "w-escalate"),
    }  # fmt: skip
    # Co-unit: only the item it shares.
    assert items_of(world.rep_b) == {(k.DUE_SOON, "w-due14")}
    assert items_of(world.mgr_b) == {(k.DUE_SOON, "w-due14")}  # told, not escalated
    assert items_of(world.sup) == {(k.ESCALATION, "w-escalate")}
    assert items_of(world.leader) == set()


def test_the_windows_are_recorded_with_the_due_date(world):
    run()
    windows = dict(
        NotificationItem.objects.filter(recipient=world.rep_a).values_list(
            "commitment__code", "window"
        )
    )
    assert windows["w-due7"] == "2017-10-22/7"
    assert windows["w-due14"] == "2017-10-29/14"
    assert windows["w-overdue"] == "2017-10-10/w1"
    assert windows["w-escalate"] == "2017-09-20/w4"  # 25 days overdue: fourth week
    assert windows["w-stale"] == "2017-08-01/s1"
    assert windows["w-fresh"] == f"u{world.returned.pk}"


def test_a_second_run_sends_nothing(world):
    run()
    first = len(mail.outbox)
    result = run()
    assert len(mail.outbox) == first
    assert result.notification_ids == []
    assert result.plan.item_count == 0 and result.plan.recipient_count == 0
    assert result.plan.already_told == NotificationItem.objects.count()


def test_completed_unassigned_and_fresh_commitments_are_not_chased(world):
    run()
    told = set(NotificationItem.objects.values_list("commitment__code", flat=True))
    assert "w-done" not in told
    assert "w-unassigned" not in told  # overdue, but nobody is responsible yet
    assert ("returned", "w-fresh") in {
        (k, c) for k, c in NotificationItem.objects.values_list("kind", "commitment__code")
    }
    assert not NotificationItem.objects.filter(commitment=world.c["fresh"]).exclude(
        kind=EmailKind.RETURNED
    )


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (dt.date(2017, 10, 7), None),  # 15 days before: nothing yet
        (dt.date(2017, 10, 8), "14"),
        (dt.date(2017, 10, 14), "14"),  # 8 days left: still the 14-day window
        (dt.date(2017, 10, 15), "7"),
        (dt.date(2017, 10, 21), "1"),
        (dt.date(2017, 10, 22), "1"),  # due today: the 1-day window
    ],
)
def test_due_soon_windows_by_day(world, day, window):
    """w-due7 is due 2017-10-22. Each window opens once; the job may run on any day."""
    plan = reminders_plan(day=day)
    windows = {
        it.window
        for it in plan.items
        if it.commitment_id == world.c["due7"].pk and it.kind == EmailKind.DUE_SOON
    }
    if window is None:
        assert windows == set()
    else:
        assert windows == {f"2017-10-22/{window}"}


def test_each_window_is_sent_once_across_a_fortnight(world):
    """Run daily from 14 days before the due date to two days after: the reporter hears
    about w-due7 in the 14-, 7- and 1-day windows and once as overdue."""
    for offset in range(-14, 3):
        run(dt.date(2017, 10, 22) + dt.timedelta(days=offset))
    windows = sorted(
        NotificationItem.objects.filter(
            recipient=world.rep_a, commitment=world.c["due7"]
        ).values_list("window", flat=True)
    )
    assert windows == ["2017-10-22/1", "2017-10-22/14", "2017-10-22/7", "2017-10-22/w1"]


def test_a_moved_deadline_is_reminded_afresh(world):
    run()
    c = world.c["due7"]
    c.due_date = dt.date(2017, 11, 20)
    c.save()
    with frozen(dt.date(2017, 11, 13)):
        plan = reminders_plan(day=dt.date(2017, 11, 13))
    assert {it.window for it in plan.items if it.commitment_id == c.pk} == {"2017-11-20/7"}


def test_overdue_items_are_chased_once_a_week(world):
    c = world.c["overdue"]  # due 2017-10-10
    for day in [
        dt.date(2017, 10, 11),
        dt.date(2017, 10, 15),
        dt.date(2017, 10, 17),
        dt.date(2017, 10, 18),
    ]:
        run(day)
    windows = sorted(
        NotificationItem.objects.filter(recipient=world.rep_a, commitment=c).values_list(
            "window", flat=True
        )
    )
    assert windows == ["2017-10-10/w1", "2017-10-10/w2"]  # days 1–7, then day 8


def test_a_returned_update_answered_by_a_newer_one_is_not_sent(world):
    update(world.c["fresh"], world.rep_a, dt.date(2017, 10, 13), percent=80)
    run()
    assert (EmailKind.RETURNED, "w-fresh") not in items_of(world.rep_a)


def test_returned_updates_are_announced_to_their_author(world):
    run()
    body = email_body(parse(sent_to()[world.rep_a.email][0]), "plain")
    assert "数据与佐证不符，请核实后重报。" in body
    assert "王督查" in body  # who returned it


def test_opted_out_kinds_are_not_sent_and_are_counted(world):
    preference_set(user=world.rep_b, kind=EmailKind.DUE_SOON, enabled=False)
    preference_set(user=world.rep_a, kind=EmailKind.STALE, enabled=False)
    with frozen(DAY):
        result = reminders_run(day=DAY)
        outbox_flush()
    assert world.rep_b.email not in sent_to()  # its only item was opted out
    assert (EmailKind.STALE, "w-stale") not in items_of(world.rep_a)
    assert (EmailKind.DUE_SOON, "w-due7") in items_of(world.rep_a)
    assert result.plan.opted_out_people == {world.rep_b.pk}
    assert result.plan.opted_out_items == 2


def test_mandatory_kinds_cannot_be_opted_out(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        preference_set(user=world.rep_a, kind=EmailKind.OVERDUE, enabled=False)
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationPreference.objects.create(
            user=world.rep_a, kind=EmailKind.ESCALATION, enabled=False
        )
    # An opt-out of a mandatory kind sneaked in some other way is still ignored.
    run()
    assert (EmailKind.OVERDUE, "w-overdue") in items_of(world.rep_a)


def test_inactive_users_and_users_without_email_are_skipped_and_counted(world):
    world.rep_a.is_active = False
    world.rep_a.save()
    world.rep_b.email = ""
    world.rep_b.save()
    with frozen(DAY):
        result = reminders_run(day=DAY)
        outbox_flush()
    assert result.plan.skipped_inactive == {world.rep_a.pk}
    assert result.plan.skipped_no_email == {world.rep_b.pk}
    assert set(sent_to()) == {world.mgr_a.email, world.mgr_b.email, world.sup.email}


def test_a_person_in_two_departments_gets_one_digest(world):
    from commitments.models import Membership
    from tests.support.factories import MembershipFactory

    MembershipFactory(user=world.rep_a, department=world.dept_b, role=Membership.Role.REPORTER)
    run()
    assert len(sent_to()[world.rep_a.email]) == 1
    # w-due14 reached rep_a through both departments; told once.
    assert (
        NotificationItem.objects.filter(recipient=world.rep_a, commitment=world.c["due14"]).count()
        == 1
    )


def test_the_digest_has_a_text_and_an_html_part_in_chinese(world):
    run()
    msg = parse(sent_to()[world.mgr_a.email][0])
    # A long encoded subject is folded; unfolding leaves the fold's space (clients trim it).
    subject = msg["Subject"].strip()
    assert (
        subject
        == "【督办提醒】2017-10-15 共5项：逾期升级1项，已逾期1项，临近到期2项，长期未更新1项"
    )
    assert msg.get_content_type() == "multipart/alternative"
    text = email_body(msg, "plain")
    html = email_body(msg, "html")
    for part in (text, html):
        assert "李甲长" in part
        assert "逾期升级" in part and "即将到期" in part and "长期未更新" in part
        assert "w-escalate" in part and "w-due7" in part
    assert "<script" not in html.lower()
    assert "<style" not in html.lower()  # inline styles only: mail clients strip <style>
    assert 'style="' in html
    assert msg["Auto-Submitted"] == "auto-generated"
    # The escalated item is listed once, under the escalation heading, not again as overdue.
    assert text.count("w-escalate") == 1


def test_the_reporter_is_told_an_overdue_item_was_escalated(world):
    run()
    text = email_body(parse(sent_to()[world.rep_a.email][0]), "plain")
    line = next(line for line in text.splitlines() if "已逾期 25 天" in line)
    assert "已抄送单位负责人和督查室" in line


def test_dry_run_writes_nothing_and_shows_what_would_be_sent(world):
    with frozen(DAY):
        dry = reminders_run(day=DAY, dry_run=True)
    assert Notification.objects.count() == 0 and NotificationItem.objects.count() == 0
    assert mail.outbox == []
    real = run()
    dry_counts = (dry.plan.item_count, dry.plan.recipient_count)
    assert dry_counts == (len(dry.plan.items), len({it.recipient_id for it in dry.plan.items}))
    assert (real.plan.item_count, real.plan.recipient_count) == dry_counts
    assert {
        (r, c, k, w)
        for r, c, k, w in NotificationItem.objects.values_list(
            "recipient_id", "commitment_id", "kind", "window"
        )
    } == {it.key for it in dry.plan.items}


def test_the_query_count_does_not_grow_with_the_ledger(world, django_assert_max_num_queries):
    """A plan reads in a fixed number of queries; more commitments, same count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        reminders_plan(day=DAY)
    bigger = make_world(prefix="x")
    for i in range(20):
        from tests.support.factories import CommitmentFactory

        CommitmentFactory(
            report=bigger.report,
            section=bigger.c["due7"].section,
            lead_unit=bigger.dept_a,
            due_date=DAY + dt.timedelta(days=i % 10),
            parsed_due_date=DAY + dt.timedelta(days=i % 10),
        )
    with CaptureQueriesContext(connection) as large:
        plan = reminders_plan(day=DAY)
    assert len(plan.items) > 40
    assert len(large.captured_queries) == len(small.captured_queries)
