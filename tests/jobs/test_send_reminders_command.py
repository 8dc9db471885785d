"""send_reminders / send_summaries: the dry run shows exactly what the real run sends."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from commitments.jobs.models import Notification, NotificationItem
from tests.support.jobs_world import DAY, frozen, make_world

pytestmark = pytest.mark.django_db


def command(*args: str) -> str:
    out = io.StringIO()
    with frozen(DAY):
        call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def world():
    return make_world()


def recipients_in(output: str) -> set[str]:
    return set(re.findall(r"<([^<>@\s]+@[^<>\s]+)>：", output))


def test_the_dry_run_shows_recipients_and_items_and_writes_nothing(world):
    out = command("send_reminders", "--as-of", "2017-10-15", "--dry-run")
    assert "dry run" in out
    assert recipients_in(out) == {
        u.email for u in (world.rep_a, world.mgr_a, world.rep_b, world.mgr_b, world.sup)
    }
    assert "w-escalate" in out and "逾期升级" in out and "w-due7" in out
    assert "合计 total: 5 封邮件 emails, 15 项 items" in out
    assert Notification.objects.count() == 0 and NotificationItem.objects.count() == 0
    assert mail.outbox == []


def test_without_dry_run_it_sends_the_same(world):
    dry = command("send_reminders", "--as-of", "2017-10-15", "--dry-run")
    real = command("send_reminders", "--as-of", "2017-10-15")
    assert recipients_in(real) == recipients_in(dry) == {m.to[0] for m in mail.outbox}
    assert "已发送 sent 5" in real
    again = command("send_reminders", "--as-of", "2017-10-15")
    assert "合计 total: 0 封邮件 emails" in again and len(mail.outbox) == 5


def test_it_prints_the_skipped_counts(world):
    world.rep_a.is_active = False
    world.rep_a.save()
    world.rep_b.email = ""
    world.rep_b.save()
    out = command("send_reminders", "--as-of", "2017-10-15", "--dry-run")
    assert "停用 inactive 1" in out and "无邮箱 no email 1" in out


def test_it_shows_the_reporting_call_on_its_days(world):
    out = command("send_reminders", "--as-of", "2017-10-20", "--dry-run")
    call_section = out.split("每月报送 reporting call")[1]
    assert recipients_in(call_section) == {world.rep_a.email, world.rep_b.email}


def test_a_bad_date_is_refused(world):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        command("send_reminders", "--as-of", "15/10/2017")


def test_send_summaries_dry_run_and_real(anyang):
    from commitments.jobs.models import Summary
    from commitments.models import Membership
    from tests.support.factories import DepartmentFactory, MembershipFactory, UserFactory

    leader = UserFactory.create(username="cmd_leader", password=None)
    MembershipFactory.create(
        user=leader, department=DepartmentFactory.create(name="市政府"), role=Membership.Role.LEADER
    )
    out = command("send_summaries", "--as-of", "2017-10-16", "--dry-run", "--period", "weekly")
    assert "2017-10-09 – 2017-10-15" in out and leader.email in out and "任务 318" in out
    assert Summary.objects.count() == 0
    out = command("send_summaries", "--as-of", "2017-11-01", "--period", "monthly")
    assert "月报（2017年10月）" in out and "已发送 sent 1" in out
    assert [m.to for m in mail.outbox] == [[leader.email]]
    assert Summary.objects.get().period_end == dt.date(2017, 10, 31)


def test_the_closing_counts_add_up_to_the_emails_written(world, settings, monkeypatch):
    """Each email in exactly one category, whatever happened to it: one taken by another
    worker, one to someone deactivated meanwhile, one refused for good, one left for a
    retry, one sent; the total is the number of emails written."""
    import smtplib

    from django.utils import timezone

    from commitments.jobs import outbox
    from tests.support.mailbackends import FlakyBackend

    settings.EMAIL_BACKEND = "tests.support.mailbackends.FlakyBackend"
    FlakyBackend.reset(
        [smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")}), TimeoutError("slow")]
    )
    original = outbox.notification_send
    calls: list[int] = []

    def meddling(pk: int, **kw):
        calls.append(pk)
        if len(calls) == 1:  # another worker got there first
            Notification.objects.filter(pk=pk).update(
                state=Notification.State.SENT, sent_at=timezone.now()
            )
        elif len(calls) == 2:  # deactivated meanwhile
            n = Notification.objects.select_related("recipient").get(pk=pk)
            n.recipient.is_active = False
            n.recipient.save()
        return original(pk, **kw)

    monkeypatch.setattr(outbox, "notification_send", meddling)
    out = command("send_reminders", "--as-of", "2017-10-15")
    assert (
        "已发送 sent 1 · 失败 failed 1 · 待重试 left for retry 1 · "
        "已由其他进程处理 taken by another worker 1 · 跳过 skipped 1 · 合计 total 5"
    ) in out
    assert Notification.objects.count() == 5
