"""Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user
from one address, even the right password is refused with a clear page, until the cool-off
ends or staff reset the attempts (admin or `axes_reset`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.support.webutil import PASSWORD, make_cast

AXES_PO = (
    Path(settings.BASE_DIR) / "tracker" / "i18n" / "axes" / "zh_Hans" / "LC_MESSAGES" / "django.po"
)


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def attempt(client: Client, password: str, username: str = "reporter", ip: str = "10.0.0.7"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def lock_out(client: Client, username: str = "reporter", ip: str = "10.0.0.7") -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, f"wrong-{i}", username, ip)
        assert response.status_code in (200, 429)


def test_wrong_passwords_lock_the_account_with_a_clear_message(cast):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, "wrong")
        assert response.status_code == 200  # the login form again, with its error
    response = attempt(client, "wrong")
    assert response.status_code == 429
    body = response.content.decode()
    assert "登录已暂停" in body and f"密码连续输错 {settings.AXES_FAILURE_LIMIT} 次" in body
    assert "请 30 分钟后再试" in body
    assert '<html lang="zh-hans">' in body and "重设密码" in body  # our page, not a bare 429

    response = attempt(client, PASSWORD)  # the right password is refused too
    assert response.status_code == 429 and "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_lockout_page_in_english(cast):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    lock_out(client)
    body = attempt(client, PASSWORD).content.decode()
    assert "Sign-in paused" in body and "Try again in 30 minutes" in body


def test_lockout_is_per_user_and_address(cast):
    client = Client()
    lock_out(client)
    assert attempt(client, PASSWORD, ip="10.0.0.8").status_code == 302  # another address
    assert attempt(Client(), PASSWORD, username="manager").status_code == 302  # another user


def test_axes_reset_unlocks(cast):
    client = Client()
    lock_out(client)
    assert attempt(client, PASSWORD).status_code == 429
    call_command("axes_reset", verbosity=0)
    response = attempt(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


def test_success_before_the_limit_clears_the_count(cast):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302


@pytest.fixture
def chinese_axes_names():
    mo = AXES_PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < AXES_PO.stat().st_mtime:
        call_command(
            "compilemessages",
            locale=["zh_Hans"],
            ignore_patterns=[".venv", "commitments"],
            verbosity=0,
        )
    from django.utils.translation import trans_real

    # django-stubs: the private caches of trans_real are not in the stubs.
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]


def test_staff_unlock_in_the_admin_in_chinese(cast, chinese_axes_names):
    from axes.models import AccessAttempt

    lock_out(Client())
    attempt_row = AccessAttempt.objects.get(username="reporter")
    admin = get_user_model().objects.create_superuser(
        "root", "root@example.gov.cn", "root-pass-2017"
    )
    staff = Client()
    staff.force_login(admin)
    index = staff.get("/admin/").content.decode()
    assert "登录保护" in index and "登录尝试" in index
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "reporter" in body and "失败次数" in body and "IP 地址" in body
    # the admin's bulk delete is the unlock
    response = staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt_row.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt(Client(), PASSWORD).status_code == 302


def test_test_client_login_still_works_without_a_request(cast):
    """client.login() authenticates without a request: not throttled, password still checked."""
    client = Client()
    assert client.login(username="reporter", password=PASSWORD)
    assert not Client().login(username="reporter", password="wrong")
