"""Chinese first, complete English: the language switcher, translated pages, localized
dates, and a translation file with nothing left empty."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from tests.support.webutil import make_cast

PO = Path(settings.BASE_DIR) / "commitments" / "locale" / "en" / "LC_MESSAGES" / "django.po"
DAY = dt.datetime(2017, 9, 30, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module", autouse=True)
def compiled_messages():
    # .mo files are build output (gitignored); `make test` compiles them, and so does this
    # when the test runs on its own.
    mo = PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < PO.stat().st_mtime:
        call_command("compilemessages", locale=["en"], ignore_patterns=[".venv"], verbosity=0)
    from django.utils.translation import trans_real

    # django-stubs: the private caches of trans_real are not in the stubs.
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_chinese_by_default(cast):
    body = cast.client("supervisor").get("/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "导出 Excel" in body and "任务台账" in body


def test_english_ledger(cast):
    body = english(cast.client("supervisor")).get("/").content.decode()
    assert '<html lang="en">' in body
    for text in (
        "Ledger",
        "Dashboard",
        "Review",
        "Export Excel",
        "Lead unit",
        "Due date",
        "Log out",
    ):
        assert text in body, text
    for text in ("导出 Excel", "牵头单位", "任务台账", "退出"):
        assert text not in body, text


def test_english_commitment_page_and_form_errors(cast):
    client = english(cast.client("reporter"))
    body = client.get(f"/c/{cast.mine.pk}/").content.decode()
    assert "Record progress" in body and "Claimed status" in body and "Change history" in body
    response = client.post(
        f"/c/{cast.mine.pk}/update/",
        {"claimed_status": "in_progress", "as_of": "2017-10-05", "narrative": "x"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "The as-of date cannot be in the future." in text
    assert "nothing was saved" in text


def test_english_dashboard_with_localized_dates(cast):
    zh = cast.client("leader").get("/dashboard/").content.decode()
    en = english(cast.client("leader")).get("/dashboard/").content.decode()
    assert "2017年9月30日" in zh
    assert "Sept. 30, 2017" in en or "September 30, 2017" in en
    assert "Ten practical matters" in en and "Progress by chapter" in en
    assert "Green · on track" in en or "Yellow · behind" in en


def test_language_switcher_uses_set_language(cast):
    client = cast.client("supervisor")
    body = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in body
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert "Implementation dashboard" in client.get("/dashboard/").content.decode()


def test_public_page_in_english(cast):
    cast.report.is_public = True
    cast.report.save()
    body = english(cast.client(None)).get(f"/public/{cast.report.pk}/").content.decode()
    assert "Public disclosure" in body and "Progress on key commitments" in body


def test_every_message_has_an_english_translation():
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    empty = []
    for e in entries:
        # A long string is written as msgstr "" followed by continuation lines: join them.
        e = re.sub(r'"\n"', "", e)
        msgid = re.search(r'^msgid "(.*)"', e, re.M)
        strs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"', e, re.M)
        if msgid and msgid.group(1) and any(s == "" for s in strs):
            empty.append(msgid.group(1))
    assert not empty, empty
    assert "#, fuzzy" not in text
