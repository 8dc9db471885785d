"""Recording progress: inline (htmx) and as a plain form; bad input saves nothing;
evidence files have type and size limits and are served only to people who may see them;
two people updating at once both keep their work."""

from __future__ import annotations

import datetime as dt
import threading
import typing
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.test import Client

from commitments.models import Evidence, ProgressUpdate, TargetReading
from tests.support.webutil import make_cast

FROZEN = dt.datetime(2017, 7, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def cast(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.EVIDENCE_MAX_BYTES = 1000
    settings.EVIDENCE_ALLOWED_EXTENSIONS = ["pdf", "png", "jpg"]
    with time_machine.travel(FROZEN, tick=False):
        yield make_cast(anyang)


def form_data(commitment, **overrides) -> dict:
    data = {
        "claimed_status": "in_progress",
        "as_of": "2017-06-30",
        "narrative": "已建成永明路北段等20条道路。",
    }
    for t in commitment.targets.order_by("order"):
        if t.value is not None and t.direction != "achieve":
            data[f"target_{t.pk}"] = ""
    data.update(overrides)
    return data


def roads(cast):
    """十件实事 1: 118 roads, of which 50 built and 15 overhauled."""
    return list(cast.mine.targets.filter(value__isnull=False).order_by("order"))


def test_reporter_records_an_update_with_readings_and_a_file(cast):
    t = roads(cast)
    data = form_data(cast.mine, **{f"target_{t[0].pk}": "59", f"target_{t[1].pk}": "25"})
    data["files"] = [SimpleUploadedFile("验收单.pdf", b"%PDF-1.4 demo", "application/pdf")]
    data["links"] = "https://www.anyang.gov.cn/news/1\nhttps://www.anyang.gov.cn/news/2"
    response = cast.client("reporter").post(f"/c/{cast.mine.pk}/update/", data)
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(commitment=cast.mine)
    assert update.author == cast.reporter
    assert update.review_state == "submitted"
    assert update.as_of == dt.date(2017, 6, 30)
    assert {r.target_id: r.value for r in update.readings.all()} == {t[0].pk: 59, t[1].pk: 25}
    # percent computed from the readings, not typed: targets not read count as nothing done
    assert update.percent is not None and 0 < update.percent < 100
    files = update.evidence.exclude(file="")
    assert [e.original_name for e in files] == ["验收单.pdf"]
    assert update.evidence.filter(file="").count() == 2


def test_htmx_success_returns_the_refreshed_panel(cast):
    data = form_data(cast.theirs, percent="30")
    response = cast.client("supervisor").post(
        f"/c/{cast.theirs.pk}/update/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#updates-panel"
    body = response.content.decode()
    assert "<html" not in body
    assert "已建成永明路北段等20条道路。" in body  # the new timeline entry
    assert 'id="status-card"' in body and 'hx-swap-oob="true"' in body
    assert ProgressUpdate.objects.filter(commitment=cast.theirs).count() == 1


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reading", "12,3a", "请输入数字，例如 12.5"),
        ("reading", "-5", "不能为负数"),
        ("as_of", "2017-07-04", "不能晚于今天"),
        ("as_of", "2016-12-31", "不能早于报告年度"),
        ("as_of", "2017/13/01", "输入一个有效的日期"),
        ("narrative", "", "这个字段是必填项"),
        ("claimed_status", "finished", "选择一个有效的选项"),
        ("links", "not a url", "不是有效的链接"),
    ],
)
def test_bad_input_comes_back_inline_and_saves_nothing(cast, field, value, message):
    t = roads(cast)
    data = form_data(cast.mine, **{f"target_{t[0].pk}": "10"})
    key = f"target_{t[1].pk}" if field == "reading" else field
    data[key] = value
    for htmx in (False, True):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = cast.client("reporter").post(f"/c/{cast.mine.pk}/update/", data, **headers)
        assert response.status_code == 422
        body = response.content.decode()
        assert message in body
        assert "本次未保存任何数据" in body
        assert ("<html" in body) is (not htmx)
    assert ProgressUpdate.objects.count() == 0
    assert TargetReading.objects.count() == 0


def test_percent_out_of_range_is_refused(cast):
    data = form_data(cast.theirs, percent="120")
    response = cast.client("supervisor").post(f"/c/{cast.theirs.pk}/update/", data)
    assert response.status_code == 422
    assert ProgressUpdate.objects.count() == 0


def test_oversize_file_is_refused_with_a_clear_message(cast):
    data = form_data(cast.mine)
    data["files"] = [
        SimpleUploadedFile("ok.png", b"x" * 10, "image/png"),
        SimpleUploadedFile("大照片.jpg", b"x" * 1001, "image/jpeg"),
    ]
    response = cast.client("reporter").post(
        f"/c/{cast.mine.pk}/update/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "大照片.jpg" in body and "过大" in body
    assert ProgressUpdate.objects.count() == 0
    assert Evidence.objects.count() == 0


def test_forbidden_file_type_is_refused(cast):
    data = form_data(cast.mine)
    data["files"] = [SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")]
    response = cast.client("reporter").post(f"/c/{cast.mine.pk}/update/", data)
    assert response.status_code == 422
    assert "run.exe" in response.content.decode() and "类型不允许" in response.content.decode()
    assert ProgressUpdate.objects.count() == 0


def test_forged_csrf_is_refused_and_saves_nothing(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.reporter)
    client.get(f"/c/{cast.mine.pk}/")  # sets the real CSRF cookie
    data = form_data(cast.mine, csrfmiddlewaretoken="forged" * 6)
    response = client.post(f"/c/{cast.mine.pk}/update/", data)
    assert response.status_code == 403
    response = client.post(
        f"/c/{cast.mine.pk}/update/", form_data(cast.mine), HTTP_X_CSRFTOKEN="bad"
    )
    assert response.status_code == 403
    assert ProgressUpdate.objects.count() == 0


def test_csrf_token_rides_on_the_body_for_htmx(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.reporter)
    page = client.get(f"/c/{cast.mine.pk}/").content.decode()
    import re

    match = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert match is not None
    token = match.group(1)
    response = client.post(
        f"/c/{cast.mine.pk}/update/",
        form_data(cast.mine),
        HTTP_X_CSRFTOKEN=token,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert ProgressUpdate.objects.count() == 1


def test_two_people_updating_at_once_both_keep_their_work(cast):
    """The reporter and the manager open the same form and submit: both updates stay."""
    reporter, manager = cast.client("reporter"), cast.client("manager")
    reporter.get(f"/c/{cast.mine.pk}/")
    manager.get(f"/c/{cast.mine.pk}/")
    t = roads(cast)
    r1 = reporter.post(
        f"/c/{cast.mine.pk}/update/",
        form_data(cast.mine, narrative="联络员：完成20条", **{f"target_{t[1].pk}": "20"}),
    )
    r2 = manager.post(
        f"/c/{cast.mine.pk}/update/",
        form_data(cast.mine, narrative="负责人：完成22条", **{f"target_{t[1].pk}": "22"}),
    )
    assert (r1.status_code, r2.status_code) == (302, 302)
    narratives = set(
        ProgressUpdate.objects.filter(commitment=cast.mine).values_list("narrative", flat=True)
    )
    assert narratives == {"联络员：完成20条", "负责人：完成22条"}
    page = reporter.get(f"/c/{cast.mine.pk}/").content.decode()
    assert "联络员：完成20条" in page and "负责人：完成22条" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_threads_both_saved():
    """Two requests in two threads (two database connections) at the same moment.

    Needs a database that lets two connections write (PostgreSQL in CI, or file SQLite);
    the in-memory SQLite test database locks tables for the whole shared cache instead.
    """
    from django.core.management import call_command

    if (
        connection.vendor == "sqlite"
        and typing.cast(SQLiteDatabaseWrapper, connection).is_in_memory_db()
    ):
        pytest.skip("in-memory SQLite cannot take two writers; runs on PostgreSQL")

    from commitments.models import Report

    call_command("seed_report", no_progress=True, verbosity=0)
    cast = make_cast(Report.objects.get(place="安阳市", year=2017))
    barrier = threading.Barrier(2)
    results: list[int] = []

    def submit(who: str, text: str) -> None:
        try:
            client = cast.client(who)
            barrier.wait(timeout=10)
            results.append(
                client.post(
                    f"/c/{cast.mine.pk}/update/",
                    form_data(cast.mine, narrative=text, as_of="2017-01-20"),
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(w, w)) for w in ("reporter", "manager")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [302, 302]
    assert set(
        ProgressUpdate.objects.filter(commitment=cast.mine).values_list("narrative", flat=True)
    ) == {"reporter", "manager"}


def test_updates_are_append_only(cast):
    from commitments.services.progress import progress_update_record

    u = progress_update_record(
        commitment=cast.mine,
        author=cast.reporter,
        claimed_status="in_progress",
        as_of=dt.date(2017, 6, 30),
        narrative="初稿",
        percent=Decimal("10"),
    )
    u.narrative = "改过"
    with pytest.raises(Exception, match="只能追加"):
        u.save()


def test_evidence_is_served_only_through_the_permission_checked_view(cast, settings):
    data = form_data(cast.mine)
    data["files"] = [SimpleUploadedFile("合同.pdf", b"%PDF-1.4 secret", "application/pdf")]
    cast.client("reporter").post(f"/c/{cast.mine.pk}/update/", data)
    ev = Evidence.objects.get()
    # not under static, and no public media URL exists
    assert settings.MEDIA_URL is None
    assert "static" not in ev.file.path
    response = cast.client("manager").get(f"/evidence/{ev.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret"
    # A PDF is shown in the browser (sandboxed); other types download (test_evidence_files).
    assert response["Content-Disposition"].startswith("inline;")
    assert cast.client("other_reporter").get(f"/evidence/{ev.pk}/").status_code == 403
    assert cast.client(None).get(f"/evidence/{ev.pk}/").status_code == 302


def test_get_on_the_update_url_goes_back_to_the_form(cast):
    response = cast.client("reporter").get(f"/c/{cast.mine.pk}/update/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/c/{cast.mine.pk}/#record")
