"""Summary pages: the list, one summary, its XLSX, and "generate now" with its progress
(htmx polling every second; a refresh link without JavaScript). Supervisors and leaders
only. Asking for a summary while Redis is down still works."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from commitments.jobs.models import Summary
from commitments.jobs.summaries import summary_build, summary_request
from commitments.models import Membership
from tests.support.celery_util import CLOSED_PORT_BROKER, broker, eager
from tests.support.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people(anyang):
    dept = DepartmentFactory(name="市测试局")
    office = DepartmentFactory(name="市测试督查室", is_supervision_office=True)
    out = {}
    for name, d, role in [
        ("sup", office, Membership.Role.SUPERVISOR),
        ("leader", dept, Membership.Role.LEADER),
        ("reporter", dept, Membership.Role.REPORTER),
        ("manager", dept, Membership.Role.MANAGER),
    ]:
        out[name] = UserFactory(username=f"v_{name}", password=None)
        MembershipFactory(user=out[name], department=d, role=role)
    return out


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def done(anyang) -> Summary:
    s = summary_request(kind="weekly", report=anyang, day=dt.date(2017, 10, 16))
    summary_build(s.pk)
    s.refresh_from_db()
    return s


def test_anonymous_users_are_sent_to_log_in(done):
    for url in [
        reverse("summary_list"),
        reverse("summary_detail", args=[done.pk]),
        reverse("summary_xlsx", args=[done.pk]),
    ]:
        response = Client().get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["reporter", "manager"])
def test_departments_cannot_see_or_ask_for_summaries(people, done, who):
    c = client_for(people[who])
    assert c.get(reverse("summary_list")).status_code == 403
    assert c.get(reverse("summary_detail", args=[done.pk])).status_code == 403
    assert c.get(reverse("summary_xlsx", args=[done.pk])).status_code == 403
    assert c.post(reverse("summary_generate")).status_code == 403
    assert Summary.objects.filter(kind="on_demand").count() == 0


@pytest.mark.parametrize("who", ["sup", "leader"])
def test_the_list_shows_summaries_and_the_generate_button(people, done, who):
    response = client_for(people[who]).get(reverse("summary_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert done.title in html
    assert reverse("summary_generate") in html
    assert reverse("summary_xlsx", args=[done.pk]) in html


def test_a_finished_summary_is_shown_in_the_page(people, done):
    response = client_for(people["leader"]).get(reverse("summary_detail", args=[done.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "十件重点民生实事" in html and "分牵头单位进展" in html
    assert 'hx-trigger="every 1s"' not in html  # nothing to wait for


def test_the_xlsx_downloads_with_its_chinese_name(people, done):
    response = client_for(people["sup"]).get(reverse("summary_xlsx", args=[done.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''%E5%AE%89%E9%98%B3" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"  # a zip: an XLSX


def test_generate_now_is_post_only(people):
    assert client_for(people["sup"]).get(reverse("summary_generate")).status_code == 405


def test_generate_now_queues_a_build_after_commit_and_shows_progress(
    people, django_capture_on_commit_callbacks
):
    c = client_for(people["sup"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = c.post(reverse("summary_generate"))
    s = Summary.objects.get(kind="on_demand")
    assert response.status_code == 302 and response["Location"] == reverse(
        "summary_detail", args=[s.pk]
    )
    assert s.state == Summary.State.QUEUED and s.created_by == people["sup"]
    assert len(callbacks) == 1  # the build is queued once the row is committed

    page = c.get(reverse("summary_detail", args=[s.pk])).content.decode()
    progress_url = reverse("summary_progress", args=[s.pk])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 1s"' in page
    # Without JavaScript: a plain link reloads the page.
    assert f'href="{reverse("summary_detail", args=[s.pk])}"' in page

    Summary.objects.filter(pk=s.pk).update(state="running", progress=40)
    partial = c.get(progress_url, **HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200 and "40%" in body and 'hx-trigger="every 1s"' in body
    assert "<html" not in body  # the partial alone

    Summary.objects.filter(pk=s.pk).update(state="queued", progress=0)
    summary_build(s.pk)
    finished = c.get(progress_url, **HTMX)
    assert finished.headers.get("HX-Refresh") == "true"  # reload to show the summary
    assert c.get(progress_url).status_code == 302  # without htmx: back to the page


def test_generate_now_builds_it_when_celery_runs_eagerly(
    people, django_capture_on_commit_callbacks
):
    with eager(), django_capture_on_commit_callbacks(execute=True):
        client_for(people["leader"]).post(reverse("summary_generate"))
    s = Summary.objects.get(kind="on_demand")
    assert s.state == Summary.State.DONE and s.progress == 100 and s.created_by == people["leader"]


def test_generate_now_works_while_redis_is_down(people, caplog, django_capture_on_commit_callbacks):
    """The broker is a closed port: the request still succeeds quickly, the summary waits
    in the database, and the catch-up job queues it once Redis is back."""
    started = time.monotonic()
    with broker(CLOSED_PORT_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = client_for(people["sup"]).post(reverse("summary_generate"))
    assert time.monotonic() - started < 3
    assert response.status_code == 302
    assert Summary.objects.get(kind="on_demand").state == Summary.State.QUEUED
    assert "could not queue summary_build" in caplog.text


def test_the_web_ui_records_updates_while_redis_is_down(
    anyang, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Recording progress never waits on Celery: with the broker unreachable the update is
    saved and the page answers at once; reminders pick it up on their next run."""
    from commitments.models import ProgressUpdate
    from tests.support.webutil import make_cast
    from tests.web.test_progress_updates import form_data

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path},
    }}  # fmt: skip
    cast = make_cast(anyang)
    started = time.monotonic()
    with broker(CLOSED_PORT_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = cast.client("reporter").post(
            f"/c/{cast.mine.pk}/update/", form_data(cast.mine, narrative="Redis 停了也能报送")
        )
    assert time.monotonic() - started < 3
    assert response.status_code in (200, 302)
    assert ProgressUpdate.objects.filter(
        commitment=cast.mine, narrative="Redis 停了也能报送"
    ).exists()


def test_generate_now_twice_while_building_gives_the_same_summary(
    people, django_capture_on_commit_callbacks
):
    c = client_for(people["sup"])
    with django_capture_on_commit_callbacks() as callbacks:
        first = c.post(reverse("summary_generate"))
        second = client_for(people["leader"]).post(reverse("summary_generate"), follow=True)
    s = Summary.objects.get(kind="on_demand")
    assert first["Location"] == reverse("summary_detail", args=[s.pk])
    assert second.redirect_chain[-1][0] == reverse("summary_detail", args=[s.pk])
    assert "同一报告的即时摘要正在生成" in second.content.decode()
    assert len(callbacks) == 1  # one build queued for twenty clicks

    Summary.objects.filter(pk=s.pk).update(state="done", progress=100)
    c.post(reverse("summary_generate"))  # finished: a new one may be asked for
    assert Summary.objects.filter(kind="on_demand").count() == 2


def test_the_database_refuses_a_second_on_demand_build_of_the_same_day(people, anyang):
    from django.db import IntegrityError, transaction

    s = summary_request(kind="on_demand", report=anyang, day=dt.date(2017, 10, 16))
    with pytest.raises(IntegrityError), transaction.atomic():
        Summary.objects.create(
            report=anyang,
            kind="on_demand",
            period_start=s.period_start,
            period_end=s.period_end,
            state="running",
        )


def test_on_demand_summaries_are_rate_limited_per_person(people, settings):
    settings.SUMMARY_ON_DEMAND_PER_HOUR = 3
    c = client_for(people["sup"])
    for _ in range(3):
        c.post(reverse("summary_generate"))
        Summary.objects.filter(kind="on_demand").update(state="done")
    response = c.post(reverse("summary_generate"), follow=True)
    assert Summary.objects.filter(kind="on_demand").count() == 3
    assert "一小时内最多即时生成 3 份摘要" in response.content.decode()
    # Another person is not held up by it.
    client_for(people["leader"]).post(reverse("summary_generate"))
    assert Summary.objects.filter(kind="on_demand").count() == 4
