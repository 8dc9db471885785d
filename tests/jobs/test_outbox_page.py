"""Failed and stuck mail is not silent: the supervision office sees it on /outbox/ (with
"retry now") and in its daily digest ("邮件发送失败 N 封")."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from commitments.jobs.models import Notification
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run
from tests.support.jobs_world import DAY, email_body, frozen, make_world, parse, sent_to
from tests.support.mailbackends import FlakyBackend

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world():
    return make_world()


def failed_row(user, key: str = "test:failed") -> Notification:
    return Notification.objects.create(
        key=key,
        kind=Notification.Kind.REMINDER_DIGEST,
        recipient=user,
        to_email=user.email,
        for_day=DAY,
        subject="【督办提醒】测试",
        state=Notification.State.FAILED,
        attempts=12,
        last_error="SMTPRecipientsRefused: 550 no such user",
    )


def test_the_office_sees_failed_mail_and_retries_it(world, settings):
    n = failed_row(world.rep_a)
    c = client_for(world.sup)
    page = c.get(reverse("outbox_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert world.rep_a.email in body and "550 no such user" in body
    assert "发送失败 1 封" in body
    r = c.post(reverse("outbox_retry"), {"ids": [str(n.pk)]})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.state == Notification.State.PENDING and n.attempts == 0
    assert outbox_flush().sent == 1


def test_a_reporter_may_not_see_the_outbox(world):
    failed_row(world.rep_a)
    c = client_for(world.rep_a)
    assert c.get(reverse("outbox_list")).status_code == 403
    assert c.post(reverse("outbox_retry"), {"ids": ["1"]}).status_code == 403
    assert Client().get(reverse("outbox_list")).status_code == 302  # to the login page


def test_retry_with_nothing_selected_changes_nothing(world):
    n = failed_row(world.rep_a)
    r = client_for(world.sup).post(reverse("outbox_retry"), {"ids": ["x"]}, follow=True)
    assert r.status_code == 200 and "请选择要重试的邮件" in r.content.decode()
    n.refresh_from_db()
    assert n.state == Notification.State.FAILED


def test_the_office_digest_says_how_many_emails_failed(world):
    failed_row(world.rep_b, key="earlier:failed")
    with frozen(DAY):
        reminders_run(day=DAY)
        outbox_flush()
    msg = parse(sent_to()[world.sup.email][0])
    assert "邮件发送失败1封" in msg["Subject"]
    text = email_body(msg, "plain")
    assert "== 邮件发送失败 1 封 ==" in text and world.rep_b.email in text
    assert "邮件发送失败" not in email_body(parse(sent_to()[world.rep_a.email][0]), "plain")


def test_the_office_hears_of_failing_mail_even_on_a_quiet_day(world, settings):
    settings.EMAIL_BACKEND = "tests.support.mailbackends.FlakyBackend"
    FlakyBackend.reset()
    failed_row(world.rep_b, key="earlier:failed")
    world.report.commitments.update(in_source=False)  # a day with nothing to chase
    with frozen(DAY):
        reminders_run(day=DAY)
        outbox_flush()
    assert set(sent_to()) == {world.sup.email}
    text = email_body(parse(mail.outbox[0]), "plain")
    assert "邮件发送失败 1 封" in text


def test_smtp_refusing_for_good_shows_up_the_next_day(world, settings):
    settings.EMAIL_BACKEND = "tests.support.mailbackends.FlakyBackend"
    FlakyBackend.reset([smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")})])
    with frozen(DAY):
        reminders_run(day=DAY)
        outbox_flush()
    assert Notification.objects.filter(state=Notification.State.FAILED).count() == 1
    tomorrow = DAY.replace(day=16)
    with frozen(tomorrow):
        reminders_run(day=tomorrow)
        outbox_flush()
    office = [m for m in mail.outbox if m.to == [world.sup.email]]
    assert "邮件发送失败 1 封" in email_body(parse(office[-1]), "plain")
