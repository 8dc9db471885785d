"""A request larger than REQUEST_MAX_BYTES is refused with 413 before anything reads it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import Evidence, ProgressUpdate
from tests.support.webutil import make_cast


@pytest.fixture
def cast(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    settings.REQUEST_MAX_BYTES = 64 * 1024
    return make_cast(anyang)


def form(size: int) -> dict:
    return {
        "claimed_status": "in_progress",
        "as_of": "2017-06-30",
        "narrative": "按计划推进。",
        "percent": "40",
        "files": [SimpleUploadedFile("大文件.pdf", b"%PDF" + b"0" * size, "application/pdf")],
    }


def test_default_cap_leaves_room_for_several_evidence_files():
    assert settings.REQUEST_MAX_BYTES > 2 * settings.EVIDENCE_MAX_BYTES


def test_oversized_upload_gets_413_and_writes_nothing(cast, tmp_path):
    client = cast.client("reporter")
    response = client.post(f"/c/{cast.mine.pk}/update/", form(100 * 1024))
    assert response.status_code == 413
    body = response.content.decode()
    assert "提交的内容过大" in body and "未保存任何内容" in body and "0.1 MB" in body
    assert ProgressUpdate.objects.count() == 0 and Evidence.objects.count() == 0
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").rglob("*.pdf"))


def test_oversized_htmx_upload_shows_the_message_above_the_form(cast):
    client = cast.client("reporter")
    response = client.post(f"/c/{cast.mine.pk}/update/", form(100 * 1024), HTTP_HX_REQUEST="true")
    assert response.status_code == 413
    assert response["HX-Retarget"] == "#messages"
    assert "<html" not in response.content.decode()
    assert "msg-error" in response.content.decode()
    assert ProgressUpdate.objects.count() == 0


def test_refused_before_the_csrf_check_and_login(cast):
    # no session, no CSRF token: still 413, so nothing at all parsed the body
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", form(100 * 1024))
    assert response.status_code == 413


def test_upload_under_the_cap_is_recorded(cast):
    client = cast.client("reporter")
    response = client.post(f"/c/{cast.mine.pk}/update/", form(10 * 1024))
    assert response.status_code in (200, 302)
    assert ProgressUpdate.objects.count() == 1 and Evidence.objects.count() == 1


def test_english_message(cast):
    client = cast.client("reporter")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(f"/c/{cast.mine.pk}/update/", form(100 * 1024)).content.decode()
    assert "Request too large" in body and "nothing was saved" in body
