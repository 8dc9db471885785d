"""Staff change their own password; a forgotten one is reset by an emailed link."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tests.support.webutil import PASSWORD, make_cast

NEW = "xin-mima-2017-Anyang"


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def can_log_in(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_user_menu_links_to_password_change(cast):
    body = cast.client("reporter").get("/").content.decode()
    assert 'href="/accounts/password_change/"' in body and "修改密码" in body


def test_password_change_needs_login(cast):
    response = Client().get("/accounts/password_change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_change_password(cast):
    client = cast.client("reporter")
    page = client.get("/accounts/password_change/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    wrong = client.post(
        "/accounts/password_change/",
        {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200 and "errors" in wrong.content.decode()
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/done/"
    assert "密码已修改" in client.get(response["Location"]).content.decode()
    assert client.get("/").status_code == 200  # still logged in on this session
    assert not can_log_in("reporter", PASSWORD)
    assert can_log_in("reporter", NEW)


def test_password_reset_by_email(cast):
    client = Client()
    assert "忘记密码" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password_reset/", {"email": "reporter@example.gov.cn"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reporter@example.gov.cn"]
    assert "重设密码" in message.subject
    match = re.search(r"http://testserver(/accounts/reset/\S+/)", str(message.body))
    assert match is not None
    link = match.group(1)

    page = client.get(link, follow=True)  # Django hides the token behind a redirect
    assert page.status_code == 200 and "设置新密码" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert not can_log_in("reporter", PASSWORD)
    assert can_log_in("reporter", NEW)
    # the link works once
    again = client.get(link, follow=True).content.decode()
    assert "该重设链接无效" in again


def test_password_reset_reveals_nothing_about_unknown_addresses(cast):
    known = Client().post("/accounts/password_reset/", {"email": "reporter@example.gov.cn"})
    unknown = Client().post("/accounts/password_reset/", {"email": "nobody-here@example.com"})
    assert len(mail.outbox) == 1  # only the known address got mail
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    page_known = Client().get(known["Location"]).content.decode()
    page_unknown = Client().get(unknown["Location"]).content.decode()

    def without_tokens(page: str) -> str:
        return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", page)

    assert without_tokens(page_known) == without_tokens(page_unknown)


def test_password_reset_email_in_english(cast):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/accounts/password_reset/", {"email": "reporter@example.gov.cn"})
    assert "Reset your password" in mail.outbox[0].subject
    assert "set a new password" in mail.outbox[0].body


def test_reset_lifts_a_lockout(cast):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "reporter", "password": f"bad{i}"})
    assert not can_log_in("reporter", PASSWORD)
    client.post("/accounts/password_reset/", {"email": "reporter@example.gov.cn"})
    match = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert match is not None
    link = match.group(1)
    page = client.get(link, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert can_log_in("reporter", NEW)
