"""The review desk (审核台): filters, search, newest first, "新" since the last visit, bulk
accept with who-got-there-first counted apart, counts and the nav badge refreshed out of
band, evidence previewed inline under the download's permission check, and a returned
update emailed to its author at once through the outbox (and not again in the digest)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from commitments import clock
from commitments.jobs.models import EmailKind, Notification, NotificationItem
from commitments.jobs.outbox import outbox_flush
from commitments.jobs.reminders import reminders_plan
from commitments.models import DeskVisit, ProgressUpdate, Section
from commitments.services.progress import update_review_accept
from commitments.services.review import desk_visit_record
from tests.support.samples import tiny_pdf, tiny_png, tiny_xlsx
from tests.support.webutil import make_cast, record

# Every test here runs at noon: "新" is measured from the start of the local day, so an
# update made 15 minutes earlier would be yesterday's just after midnight (Asia/Shanghai).
AT = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    with time_machine.travel(AT, tick=True):
        yield make_cast(anyang)


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def queue_ids(body: str, updates) -> list[int]:
    """The ids of ``updates`` in the order the page lists them."""
    found = [(body.find(f'id="q{u.pk}"'), u.pk) for u in updates]
    return [pk for at, pk in sorted(found) if at >= 0]


@pytest.fixture
def three(cast):
    old = record(cast.mine, cast.reporter, narrative="老进展 道路", created_at=ago(20))
    mid = record(
        cast.shared,
        cast.reporter,
        narrative="中间的进展",
        created_at=ago(8),
        files=[SimpleUploadedFile("照片.png", tiny_png(), "image/png")],
    )
    new = record(cast.theirs, cast.other_reporter, narrative="今天的进展", created_at=ago(0.01))
    return old, mid, new


def test_filters_by_unit_chapter_kind_age_evidence_and_text(cast, three):
    old, mid, new = three
    client = cast.client("supervisor")

    def ids(**query) -> list[int]:
        return queue_ids(client.get("/review/", query).content.decode(), three)

    assert ids() == [old.pk, mid.pk, new.pk]  # oldest first by default
    assert ids(unit=cast.other_dept.pk) == [mid.pk, new.pk]  # lead of shared and theirs
    assert ids(unit=cast.dept.pk) == [old.pk, mid.pk]  # lead of mine, co-unit of shared
    chapter = cast.theirs.section
    chapter = chapter.parent if chapter.level == Section.Level.TOPIC else chapter
    assert ids(chapter=chapter.pk) == [new.pk]
    assert ids(kind="practical_matter") == [old.pk, mid.pk]
    assert ids(age=7) == [old.pk, mid.pk]
    assert ids(age=14) == [old.pk]
    assert ids(evidence="yes") == [mid.pk]
    assert ids(evidence="no") == [old.pk, new.pk]
    assert ids(q="道路") == [old.pk]
    assert ids(q=cast.theirs.code) == [new.pk]
    assert ids(sort="new") == [new.pk, mid.pk, old.pk]


def test_bad_filter_values_show_a_message_not_an_error(cast, three):
    response = cast.client("supervisor").get("/review/", {"unit": "abc", "age": "999"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "筛选条件有误" in body
    assert len(queue_ids(body, three)) == 3


def test_htmx_filter_answers_the_queue_partial(cast, three):
    response = cast.client("supervisor").get(
        "/review/", {"evidence": "yes"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.strip().startswith('<section class="card desk" id="desk">')
    assert "<html" not in body
    assert queue_ids(body, three) == [three[1].pk]


def test_new_marker_since_the_last_visit_or_today(cast, three):
    old, mid, new = three
    # first visit ever: what came today is new
    body = cast.client("supervisor").get("/review/").content.decode()
    row = body[body.index(f'id="q{new.pk}"') - 200 : body.index(f'id="q{new.pk}"')]
    assert "is-new" in row
    assert "is-new" not in body[body.index(f'id="q{mid.pk}"') - 200 : body.index(f'id="q{mid.pk}"')]
    # a visit 10 days ago, then a new sitting now: the 8-day-old update is new too
    DeskVisit.objects.filter(user=cast.supervisor).update(seen_at=ago(10), previous_at=None)
    desk_visit_record(user=cast.supervisor)
    visit = DeskVisit.objects.get(user=cast.supervisor)
    assert visit.previous_at is not None and visit.previous_at < ago(9)
    body = cast.client("supervisor").get("/review/").content.decode()
    marked = [
        u.pk
        for u in three
        if "is-new" in body[body.index(f'id="q{u.pk}"') - 200 : body.index(f'id="q{u.pk}"')]
    ]
    assert marked == [mid.pk, new.pk]
    # filtering within the sitting keeps the markers
    desk_visit_record(user=cast.supervisor)
    assert DeskVisit.objects.get(user=cast.supervisor).previous_at == visit.previous_at


def test_bulk_accept_counts_accepted_and_already_reviewed(cast, three):
    old, mid, new = three
    update_review_accept(update=mid, reviewer=cast.supervisor)  # someone got there first
    client = cast.client("supervisor")
    response = client.post(
        "/review/accept/", {"ids": [old.pk, mid.pk, new.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "已通过 2 条进展" in body
    assert "1 条进展已由他人先行审核" in body
    assert list(
        ProgressUpdate.objects.filter(pk__in=[old.pk, new.pk]).values_list(
            "review_state", flat=True
        )
    ) == ["accepted", "accepted"]
    # the queue partial, with the nav badge swapped out of band (nothing waits any more)
    assert '<section class="card desk" id="desk"' in body
    assert 'id="nav-review-badge" class="badge is-empty" hx-swap-oob="true"' in body
    assert "没有待审核的进展" in body


def test_bulk_accept_without_htmx_redirects_with_the_filters(cast, three):
    response = cast.client("supervisor").post(
        "/review/accept/", {"ids": [three[0].pk], "kind": "practical_matter"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/review/?kind=practical_matter"
    assert ProgressUpdate.objects.get(pk=three[0].pk).review_state == "accepted"


def test_bulk_accept_with_nothing_ticked_changes_nothing(cast, three):
    response = cast.client("supervisor").post("/review/accept/", {"ids": ["x"]}, follow=True)
    assert "请先勾选要通过的进展" in response.content.decode()
    assert ProgressUpdate.objects.filter(review_state="submitted").count() == 3


def test_a_single_review_refreshes_counts_and_badge_out_of_band(cast, three):
    old = three[0]
    response = cast.client("supervisor").post(
        f"/review/{old.pk}/accept/", {"kind": "practical_matter"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert f'id="q{old.pk}"' in body and "已通过" in body
    assert 'id="desk-counts" hx-swap-oob="true"' in body
    assert "共 2 条" in body and "符合筛选 1 条" in body
    assert '<b id="nav-review-badge" class="badge" hx-swap-oob="true">2</b>' in body


def test_the_nav_badge_is_on_every_page_for_the_office(cast, three):
    body = cast.client("supervisor").get("/").content.decode()
    assert '<b id="nav-review-badge" class="badge">3</b>' in body


# -- evidence previewed inline -------------------------------------------------------------


@pytest.fixture
def evidence(cast):
    upd = record(
        cast.mine,
        cast.reporter,
        files=[
            SimpleUploadedFile("验收单.pdf", tiny_pdf(), "application/octet-stream"),
            SimpleUploadedFile("照片.png", tiny_png(), "image/png"),
            SimpleUploadedFile("台账.xlsx", tiny_xlsx(), "application/vnd.ms-excel"),
        ],
    )
    return {ev.original_name.rsplit(".", 1)[-1]: ev for ev in upd.evidence.all()}


def test_pdf_is_served_inline_for_the_browsers_viewer(cast, evidence):
    pdf = evidence["pdf"]
    response = cast.client("supervisor").get(f"/evidence/{pdf.pk}/view/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"  # not what the upload claimed
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_image_inline_other_types_go_to_the_download(cast, evidence):
    client = cast.client("supervisor")
    png = client.get(f"/evidence/{evidence['png'].pk}/view/")
    assert png["Content-Type"] == "image/png" and png["Content-Disposition"].startswith("inline")
    xlsx = client.get(f"/evidence/{evidence['xlsx'].pk}/view/")
    assert xlsx.status_code == 302 and xlsx["Location"] == f"/evidence/{evidence['xlsx'].pk}/"


def test_the_preview_keeps_the_downloads_permission_check(cast, evidence):
    assert (
        cast.client("other_reporter").get(f"/evidence/{evidence['pdf'].pk}/view/").status_code
        == 403
    )
    assert cast.client("reporter").get(f"/evidence/{evidence['pdf'].pk}/view/").status_code == 200


def test_the_desk_shows_previews_inline(cast, evidence):
    body = cast.client("supervisor").get("/review/").content.decode()
    assert f'<img src="/evidence/{evidence["png"].pk}/view/"' in body
    assert f'<iframe src="/evidence/{evidence["pdf"].pk}/view/"' in body
    assert f'href="/evidence/{evidence["xlsx"].pk}/"' in body and "无法预览" in body
    assert "<script>" not in body and 'src="/static/commitments/desk.js"' in body


# -- a returned update is emailed at once ----------------------------------------------------


def test_a_returned_update_is_emailed_to_its_author_at_once(
    cast, three, django_capture_on_commit_callbacks
):
    old = three[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = cast.client("supervisor").post(
            f"/review/{old.pk}/return/", {"comment": "请补充验收单"}
        )
    assert response.status_code == 302
    n = Notification.objects.get(key=f"returned:{old.pk}")
    assert n.kind == Notification.Kind.UPDATE_RETURNED
    assert n.recipient == cast.reporter and n.to_email == "reporter@example.gov.cn"
    assert "请补充验收单" in n.body_text and cast.mine.code in n.subject
    assert f"?corrects={old.pk}" in n.body_html
    assert callbacks  # the flush is queued after commit
    result = outbox_flush()
    assert result.sent == 1
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["reporter@example.gov.cn"]
    assert "进展退回" in msg.subject and "请补充验收单" in msg.body
    # ... and the next digest does not announce it again
    item = NotificationItem.objects.get(notification=n)
    assert (item.kind, item.window) == (EmailKind.RETURNED, f"u{old.pk}")
    plan = reminders_plan(day=clock.today())
    assert not [
        it for it in plan.items if it.kind == EmailKind.RETURNED and it.window == f"u{old.pk}"
    ]


def test_the_return_and_its_email_commit_together(cast, three, monkeypatch):
    old = three[0]

    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr("commitments.jobs.returned.update_returned_notify", broken)
    client = cast.client("supervisor")
    client.raise_request_exception = False
    response = client.post(f"/review/{old.pk}/return/", {"comment": "请补充"})
    assert response.status_code == 500
    old.refresh_from_db()
    assert old.review_state == "submitted"  # rolled back with the email


def test_an_author_who_opted_out_gets_the_digest_only(cast, three):
    from commitments.jobs.outbox import preference_set

    preference_set(user=cast.reporter, kind=EmailKind.RETURNED, enabled=False)
    cast.client("supervisor").post(f"/review/{three[0].pk}/return/", {"comment": "请补充"})
    assert not Notification.objects.filter(key=f"returned:{three[0].pk}").exists()
