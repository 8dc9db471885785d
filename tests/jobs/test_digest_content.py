"""What a digest says: one row per task with its reasons grouped, headings that count
what is shown, no claim of a copy to a manager who does not exist, units nobody can be
reminded in flagged to the office, long digests summarised, a real Message-ID domain."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commitments.jobs.models import EmailKind, NotificationItem
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_run
from commitments.models import Membership, ProgressUpdate
from tests.support.factories import CommitmentFactory, DepartmentFactory
from tests.support.jobs_world import DAY, at, email_body, frozen, make_world, parse, sent_to, update

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world():
    return make_world()


def run(day: dt.date = DAY) -> None:
    with frozen(day):
        reminders_run(day=day)
        outbox_flush()


def text_of(user) -> str:
    return email_body(parse(sent_to()[user.email][-1]), "plain")


def html_of(user) -> str:
    return email_body(parse(sent_to()[user.email][-1]), "html")


def test_a_task_with_several_reasons_is_one_row(world):
    """w-due7 is due in 7 days and its update was returned: one row, both reasons."""
    update(
        world.c["due7"],
        world.rep_a,
        dt.date(2017, 10, 11),
        review_state=ProgressUpdate.Review.RETURNED,
        reviewed_by=world.sup,
        reviewed_at=at(dt.date(2017, 10, 13), 10, 0),
        review_comment="请补充照片。",
    )
    run()
    text, html = text_of(world.rep_a), html_of(world.rep_a)
    assert text.count("* w-due7 ") == 1 and html.count(">w-due7<") == 1
    line = text[text.index("* w-due7 ") :].split("\n* ")[0]
    assert "另：被退回" in line and "请补充照片。" in line
    # The headings count the rows shown, and the total is the number of tasks.
    msg = parse(sent_to()[world.rep_a.email][0])
    rows = text.count("\n* ")
    assert f"以下 {rows} 项任务" in text
    assert msg["Subject"].strip().startswith(f"【督办提醒】2017-10-15 共{rows}项")


def test_no_copy_to_a_manager_is_claimed_when_the_unit_has_none(world):
    Membership.objects.filter(user=world.mgr_a).delete()
    run()
    text = text_of(world.rep_a)
    line = next(x for x in text.splitlines() if "已逾期 25 天" in x)
    assert "已抄送督查室" in line and "单位负责人" not in line
    assert "单位负责人" not in html_of(world.rep_a)


def test_a_unit_with_nobody_to_remind_is_flagged_to_the_office_at_once(world):
    empty = DepartmentFactory.create(name="w市无人局")
    lonely = CommitmentFactory.create(
        report=world.report,
        section=world.c["due7"].section,
        code="w-lonely",
        text="无人可提醒的任务。",
        lead_unit=empty,
        due_date=dt.date(2017, 12, 31),
        parsed_due_date=dt.date(2017, 12, 31),
    )
    run()
    text = text_of(world.sup)
    assert "单位无人可提醒" in text and "w-lonely" in text
    assert NotificationItem.objects.filter(
        commitment=lonely, kind=EmailKind.NO_RECIPIENT, recipient=world.sup
    ).exists()
    before = len(sent_to()[world.sup.email])
    run(DAY + dt.timedelta(days=1))  # once per due date, not every day
    later = sent_to()[world.sup.email][before:]
    assert all("w-lonely" not in m.body for m in later)


def test_a_long_digest_lists_counts_and_the_first_rows(world, settings):
    settings.DIGEST_MAX_ROWS = 2
    run()
    text, html = text_of(world.rep_a), html_of(world.rep_a)
    assert text.count("\n* ") == 2
    assert "另有 4 项未在邮件中列出" in text and "另有 <strong>4</strong> 项" in html
    assert "/inbox/" in text
    # The headings still count every task.
    assert "即将到期（2项）" in text and "长期未更新进展（1项）" in text


def test_a_digest_over_the_size_limit_is_cut_to_fit(world, settings):
    settings.DIGEST_MAX_HTML_BYTES = 9000
    run()
    html = html_of(world.rep_a)
    assert len(html.encode()) <= 9000 or "项未在邮件中列出" in html
    assert "项未在邮件中列出" in html


def test_the_message_id_uses_the_configured_domain(world, settings):
    settings.EMAIL_MESSAGE_ID_DOMAIN = "duban.anyang.gov.cn"
    run()
    msg = parse(sent_to()[world.rep_a.email][0])
    assert msg["Message-ID"].strip().endswith("@duban.anyang.gov.cn>")


def settings_of(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEFAULT_FROM_EMAIL", "EMAIL_MESSAGE_ID_DOMAIN")
    }
    return subprocess.run(
        [sys.executable, "-c", "import tracker.settings as s; print(s.DEFAULT_FROM_EMAIL, s.EMAIL_MESSAGE_ID_DOMAIN)"],
        cwd=ROOT,
        env={
            **clean,
            "APP_ENV": "production",
            "SECRET_KEY": "k3y-" + "abcdefghij" * 5,
            "ALLOWED_HOSTS": "duban.anyang.gov.cn",
            "CSRF_TRUSTED_ORIGINS": "https://duban.anyang.gov.cn",
            **env,
        },
        capture_output=True,
        text=True,
    )  # fmt: skip


def test_production_mail_is_never_from_localhost():
    ok = settings_of(SITE_URL="https://duban.anyang.gov.cn")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["督办台账", "<duban@duban.anyang.gov.cn>", "duban.anyang.gov.cn"]
    refused = settings_of(SITE_URL="http://127.0.0.1:8000")
    assert refused.returncode != 0 and "DEFAULT_FROM_EMAIL" in refused.stderr
