"""Summaries for leaders, on the real seeded 2017 report: headline figures, RAG by chapter
and department, the ten practical matters, the pollution targets, what changed since the
previous summary, the XLSX attachment, the HTML and text parts, and the mailing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from openpyxl import load_workbook

from commitments.jobs import summaries
from commitments.jobs.models import EmailKind, Notification, Summary
from commitments.jobs.outbox import outbox_flush, preference_set
from commitments.jobs.summaries import (
    summaries_send_due,
    summary_build,
    summary_period,
    summary_request,
)
from commitments.models import Commitment, Membership, ProgressUpdate
from tests.support.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.support.jobs_world import at, email_body, parse, update

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2017, 10, 16)


@pytest.fixture
def ledger(anyang):
    """The seeded report with a department on the first practical matters, a leader, the
    supervision office, and a reporter."""
    dept = DepartmentFactory(name="市交通运输局")
    office = DepartmentFactory(name="市政府督查室", is_supervision_office=True)
    gov = DepartmentFactory(name="市政府办公室")
    people = {}
    for name, dept_, role in [
        ("leader", gov, Membership.Role.LEADER),
        ("sup", office, Membership.Role.SUPERVISOR),
        ("rep", dept, Membership.Role.REPORTER),
    ]:
        people[name] = UserFactory(
            username=f"s_{name}", last_name="测", first_name=name, password=None
        )
        MembershipFactory(user=people[name], department=dept_, role=role)
    matters = {
        c.matter_number: c for c in anyang.commitments.filter(kind=Commitment.Kind.PRACTICAL_MATTER)
    }
    Commitment.objects.filter(pk__in=[matters[1].pk, matters[2].pk]).update(lead_unit=dept)
    return {"report": anyang, "dept": dept, "matters": matters, **people}


def build(kind: str, day: dt.date, report) -> Summary:
    s = summary_request(kind=kind, day=day, report=report)
    assert summary_build(s.pk) is True
    s.refresh_from_db()
    return s


def test_the_periods(anyang):
    assert summary_period("weekly", MONDAY) == (dt.date(2017, 10, 9), dt.date(2017, 10, 15))
    assert summary_period("weekly", dt.date(2017, 10, 18)) == (
        dt.date(2017, 10, 9),
        dt.date(2017, 10, 15),
    )
    assert summary_period("monthly", dt.date(2017, 10, 1)) == (
        dt.date(2017, 9, 1),
        dt.date(2017, 9, 30),
    )
    assert summary_period("monthly", dt.date(2017, 3, 14)) == (
        dt.date(2017, 2, 1),
        dt.date(2017, 2, 28),
    )


def test_the_figures_cover_the_whole_ledger(ledger):
    report = ledger["report"]
    s = build("weekly", MONDAY, report)
    f = s.figures
    total = report.commitments.filter(in_source=True).count()
    assert f["headline"]["total"] == total == 318
    assert sum(f["headline"]["rag"].values()) == total
    assert sum(ch["total"] for ch in f["chapters"]) == total
    assert sum(d["total"] for d in f["departments"]) == total
    # parts 二 and 三 both have a （一）: the part's number goes in front, as on the dashboard
    assert [ch["label"] for ch in f["chapters"]][1].startswith("二（一）")
    assert {d["label"] for d in f["departments"]} >= {"市交通运输局", "未明确牵头单位"}
    # The ten practical matters, numbered, with their sub-targets.
    assert [m["number"] for m in f["practical_matters"]] == list(range(1, 11))
    first = f["practical_matters"][0]
    assert first["lead_unit"] == "市交通运输局"
    assert len(first["targets"]) >= 2 and first["targets"][0]["unit"]
    # The pollution and environment targets.
    assert (
        len(f["pollution"])
        == report.commitments.filter(kind=Commitment.Kind.POLLUTION).count()
        == 50
    )
    assert any(t["text"] for m in f["pollution"] for t in m["targets"])
    assert s.title == "2017年安阳市政府工作报告落实情况周报（2017年10月9日—10月15日）"


def test_readings_show_against_their_targets(ledger):
    matter = ledger["matters"][10]
    target = matter.targets.order_by("order").first()
    u = update(matter, ledger["rep"], dt.date(2017, 9, 30), percent=40)
    u.readings.create(target=target, value=target.value / 2)
    s = build("weekly", MONDAY, ledger["report"])
    m10 = s.figures["practical_matters"][9]
    assert m10["targets"][0]["reading"] == format((target.value / 2).normalize(), "f")
    assert m10["percent"] > 0


def test_what_changed_since_the_previous_summary(ledger):
    report, rep = ledger["report"], ledger["rep"]
    first = build("weekly", dt.date(2017, 10, 9), report)  # the week to 8 October
    assert first.figures["compared_with"]["summary_id"] is None

    # During the next week: matter 1 is completed and the office accepts it; another item's
    # deadline is brought forward to 11 October and missed.
    update(
        ledger["matters"][1],
        rep,
        dt.date(2017, 10, 12),
        percent=100,
        claimed_status=ProgressUpdate.Status.COMPLETED,
        review_state=ProgressUpdate.Review.ACCEPTED,
        reviewed_by=ledger["sup"],
        reviewed_at=at(dt.date(2017, 10, 13), 10, 0),
    )
    moved = ledger["matters"][2]
    moved.due_date = dt.date(2017, 10, 11)
    moved.save()

    second = build("weekly", MONDAY, report)
    changes = second.figures["changes"]
    assert second.figures["compared_with"]["summary_id"] == first.pk
    assert changes["since"] == "2017-10-08"
    assert [c["code"] for c in changes["newly_completed"]] == [ledger["matters"][1].code]
    assert [c["code"] for c in changes["newly_overdue"]] == [moved.code]
    assert [(c["code"], c["from"], c["to"]) for c in changes["deadlines_moved"]] == [
        (moved.code, "2017-12-31", "2017-10-11")
    ]
    assert second.figures["deltas"]["completed"] == 1
    assert second.figures["deltas"]["overdue"] == 1
    assert "新完成" in second.html and "新逾期" in second.html and "调整时限" in second.html
    assert "2017-12-31 → 2017-10-11" in second.text


def test_an_unreviewed_claim_is_never_called_newly_completed(ledger):
    report, rep = ledger["report"], ledger["rep"]
    build("weekly", dt.date(2017, 10, 9), report)
    update(
        ledger["matters"][3],
        rep,
        dt.date(2017, 10, 12),
        percent=100,
        claimed_status=ProgressUpdate.Status.COMPLETED,
    )  # submitted, not reviewed
    second = build("weekly", MONDAY, report)
    changes = second.figures["changes"]
    assert changes["newly_completed"] == []
    assert [c["code"] for c in changes["newly_claimed"]] == [ledger["matters"][3].code]
    code = ledger["matters"][3].code
    line = next(x for x in second.text.splitlines() if code in x)
    assert "申报完成（待审核）" in line and "新完成" not in line
    assert "申报完成（待审核）" in second.html
    # the headline leaders read counts verified completions; the claim stands apart
    first_headline = second.figures["headline"]
    assert first_headline["claimed"] == 1
    assert first_headline["completed"] == sum(
        1 for u in ledger["report"].commitments.all() if _verified_done(u)
    )
    assert "另有 1 项申报完成·待审核" in second.html


def _verified_done(commitment) -> bool:
    return commitment.updates.filter(claimed_status="completed", review_state="accepted").exists()


def test_the_ledger_is_attached_as_xlsx(ledger):
    s = build("monthly", dt.date(2017, 10, 1), ledger["report"])
    assert s.xlsx_name == "安阳市2017年政府工作报告台账_20170930.xlsx"
    assert s.xlsx is not None
    wb = load_workbook(io.BytesIO(bytes(s.xlsx)))
    ws = wb["台账"]
    assert "截至 2017-09-30" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:4] == ["编号", "章节", "类别", "任务原文"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 318
    by_code = {r[0]: r for r in rows}
    matter1 = by_code[ledger["matters"][1].code]
    assert matter1[4] == "市交通运输局"
    assert matter1[header.index("红黄绿灯")] in {"黄灯·进度滞后", "绿灯·正常推进", "未启动"}


def test_the_html_is_for_mail_clients_and_the_text_reads_alone(ledger):
    s = build("weekly", MONDAY, ledger["report"])
    html = s.html
    assert "<script" not in html.lower() and "<style" not in html.lower()
    assert 'role="presentation"' in html  # table layout
    assert '<td width="' in html  # table-based bars
    for heading in [
        "一、总体情况",
        "二、本期变化",
        "三、分章节进展",
        "四、分牵头单位进展",
        "五、十件重点民生实事",
        "六、污染防治与生态环境目标",
    ]:
        assert heading in html and heading in s.text
    assert "<" not in s.text.replace("<=", "")  # no markup in the text part


def test_leaders_and_the_office_get_it_once_with_the_attachment(ledger):
    made = summaries_send_due(kind="weekly", day=MONDAY)
    assert [s.state for s in made] == [Summary.State.DONE]
    outbox_flush()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [ledger["leader"].email, ledger["sup"].email]
    )
    msg = parse(mail.outbox[0])
    assert (
        msg["Subject"].strip()
        == "【督办台账】2017年安阳市政府工作报告落实情况周报（2017年10月9日—10月15日）"
    )
    attachment = next(msg.iter_attachments())
    assert attachment.get_filename() == "安阳市2017年政府工作报告台账_20171015.xlsx"
    # The Chinese file name travels as RFC 2231 (filename*=utf-8''…), UTF-8 encoded.
    raw = mail.outbox[0].message().as_bytes()
    assert b"filename*=utf-8''%E5%AE%89%E9%98%B3" in raw
    assert load_workbook(io.BytesIO(attachment.get_content()))["台账"].max_row == 320
    assert "十件重点民生实事" in email_body(msg, "plain")
    assert "十件重点民生实事" in email_body(msg, "html")

    # Beat fires again, or the job is retried: the same summary, nobody mailed twice.
    summaries_send_due(kind="weekly", day=MONDAY)
    summaries_send_due(kind="weekly", day=dt.date(2017, 10, 17))
    outbox_flush()
    assert len(mail.outbox) == 2
    assert Summary.objects.filter(kind="weekly").count() == 1


def test_opt_outs_inactive_and_emailless_leaders_are_skipped(ledger):
    preference_set(user=ledger["leader"], kind=EmailKind.SUMMARY, enabled=False)
    ledger["sup"].email = ""
    ledger["sup"].save()
    s = build("weekly", MONDAY, ledger["report"])
    result = summaries.summary_mail(s)
    assert result.opted_out == {ledger["leader"].pk}
    assert result.skipped_no_email == {ledger["sup"].pk}
    assert Notification.objects.count() == 0


def test_on_demand_summaries_are_not_mailed(ledger):
    s = summary_request(kind="on_demand", day=MONDAY, report=ledger["report"], user=ledger["sup"])
    assert s.period_start == dt.date(2017, 1, 1) and s.period_end == MONDAY
    summary_build(s.pk)
    s.refresh_from_db()
    assert s.state == Summary.State.DONE and s.progress == 100
    assert Notification.objects.count() == 0


def test_a_build_is_claimed_once(ledger):
    s = summary_request(kind="weekly", day=MONDAY, report=ledger["report"])
    assert summary_build(s.pk) is True
    assert summary_build(s.pk) is False  # already done: nothing rebuilt, nothing re-sent


def test_a_failed_build_is_recorded(ledger, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("bad figures")

    monkeypatch.setattr(summaries, "summary_figures", boom)
    s = summary_request(kind="weekly", day=MONDAY, report=ledger["report"])
    assert summary_build(s.pk) is False
    s.refresh_from_db()
    assert s.state == Summary.State.FAILED and "bad figures" in s.error


def test_queued_and_abandoned_builds_are_picked_up_again(
    ledger, settings, django_capture_on_commit_callbacks
):
    import time_machine

    settings.SUMMARY_STALLED_AFTER_SECONDS = 60
    with django_capture_on_commit_callbacks():
        queued = summary_request(
            kind="weekly", day=MONDAY, report=ledger["report"]
        )  # Redis was down
    running = summary_request(kind="monthly", day=MONDAY, report=ledger["report"])
    Summary.objects.filter(pk=running.pk).update(state="running", heartbeat_at=queued.created_at)
    assert summaries.summaries_resume_stalled() == []  # too early to tell
    with time_machine.travel(queued.created_at + dt.timedelta(minutes=5)):
        with django_capture_on_commit_callbacks() as callbacks:
            assert sorted(summaries.summaries_resume_stalled()) == sorted([queued.pk, running.pk])
        assert len(callbacks) == 2
        assert summary_build(running.pk) is True  # the dead build is taken over


def test_the_admin_pages_render(ledger, admin_client):
    from django.urls import reverse

    s = build("weekly", MONDAY, ledger["report"])
    summaries.summary_mail(s)
    preference_set(user=ledger["leader"], kind=EmailKind.DUE_SOON, enabled=False)
    for name in ["summary", "notification", "notificationitem", "notificationpreference"]:
        assert admin_client.get(reverse(f"admin:jobs_{name}_changelist")).status_code == 200, name
    page = admin_client.get(reverse("admin:jobs_summary_change", args=[s.pk])).content.decode()
    assert reverse("summary_detail", args=[s.pk]) in page
    n = Notification.objects.first()
    assert n is not None
    page = admin_client.get(reverse("admin:jobs_notification_change", args=[n.pk]))
    assert page.status_code == 200
    assert n.key in page.content.decode() and n.to_email in page.content.decode()


def test_a_summary_whose_beat_tick_was_lost_is_started_late(
    ledger, settings, django_capture_on_commit_callbacks
):
    """Redis was down at 08:00 on Monday: beat could not queue the weekly summary. The
    catch-up asks for it once Redis is back — within SUMMARY_CATCH_UP_HOURS, once, and only
    for schedules that are enabled."""
    import io

    import time_machine
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from tests.support.jobs_world import at

    settings.LEDGER_TODAY = None
    settings.SUMMARY_CATCH_UP_HOURS = 48
    call_command("setup_schedules", stdout=io.StringIO())
    with time_machine.travel(at(MONDAY, 7, 55), tick=False):
        # Not yet time for this week's (the one at 08:00 on 9 October is 48 h + ago).
        assert summaries.summaries_missed() == []
    with (
        time_machine.travel(at(MONDAY, 9, 30), tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        asked = summaries.summaries_missed()
        assert summaries.summaries_missed() == []  # once
    assert len(asked) == 1 and len(callbacks) == 1  # its build is queued after commit
    s = Summary.objects.get(pk=asked[0])
    assert (s.kind, s.period_end) == ("weekly", dt.date(2017, 10, 15))

    # A first deployment on Wednesday does not send Monday's summary, and a schedule the
    # office switched off is not caught up.
    Summary.objects.all().delete()
    with time_machine.travel(at(dt.date(2017, 10, 18), 10, 0), tick=False):
        assert summaries.summaries_missed() == []
    PeriodicTask.objects.filter(task="commitments.summaries_send_due").update(enabled=False)
    with time_machine.travel(at(MONDAY, 9, 30), tick=False):
        assert summaries.summaries_missed() == []
