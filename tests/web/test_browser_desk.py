# ruff: noqa: F811  (pytest fixtures imported from test_browser are parameters here)
"""The review desk and the phone layouts in a real Chromium: filter, bulk accept, inline
evidence (an image drawn, a PDF in the browser's viewer), the keyboard (j/k/x/a), and the
ledger, a commitment with its update form, and the inbox at 390 px wide without sideways
scrolling. Screenshots go to /tmp/shots-desk/ for a person to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.support.samples import tiny_pdf, tiny_png
from tests.web.test_browser import browser, live_server, login, world  # noqa: F401

pytestmark = [pytest.mark.browser]
SHOTS = Path("/tmp/shots-desk")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"test-{name}.png"))


@pytest.fixture
def queue(world):
    from tests.support.webutil import record

    cast = world
    at = timezone.make_aware(dt.datetime(2017, 9, 29, 9))
    a = record(
        cast.mine,
        cast.reporter,
        narrative="道路完成过半，附照片和验收单。",
        created_at=at - dt.timedelta(days=10),
        files=[
            SimpleUploadedFile("现场照片.png", tiny_png(), "image/png"),
            SimpleUploadedFile("验收单.pdf", tiny_pdf(), "application/pdf"),
        ],
    )
    b = record(cast.shared, cast.reporter, narrative="配合推进。", created_at=at)
    c = record(cast.theirs, cast.other_reporter, narrative="他单位的进展。", created_at=at)
    return a, b, c


def test_the_desk_filters_previews_accepts_in_bulk_and_by_keyboard(
    world, browser, live_server, queue
):
    from commitments.models import ProgressUpdate

    a, b, c = queue
    page = login(browser, live_server, "supervisor")
    page.goto(f"{live_server.url}/review/")
    assert page.locator("#nav-review-badge").inner_text() == "3"

    # filter: only updates with evidence (live, pushed into the URL)
    page.select_option("#id_evidence", "yes")
    page.wait_for_function("() => document.querySelectorAll('#desk [data-row]').length === 1")
    assert "evidence=yes" in page.url
    row = page.locator(f"#q{a.pk}")
    # the image is drawn inline, the PDF opens in the browser's own viewer, in the page
    page.wait_for_function(
        "() => { const i = document.querySelector('.ev-thumb img'); return i && i.complete && i.naturalWidth === 120; }"
    )
    row.locator(".ev-pdf summary").click()
    frame = row.locator(".ev-pdf iframe")
    frame.wait_for(state="visible")
    assert frame.bounding_box()["height"] > 200
    pdf = page.request.get(live_server.url + frame.get_attribute("src"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    shot(page, "desk-preview-zh")

    # back to everything; keyboard: j moves, x ticks, a accepts
    page.goto(f"{live_server.url}/review/")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    first = page.locator("[data-desk] [data-row]").first
    assert "is-current" in first.get_attribute("class")
    page.keyboard.press("a")
    page.wait_for_selector(f"#q{a.pk} .review-accepted")
    page.wait_for_function("() => document.querySelector('#nav-review-badge').innerText === '2'")
    assert ProgressUpdate.objects.get(pk=a.pk).review_state == "accepted"
    # the next waiting update became the current one; x ticks it, then bulk accept
    page.wait_for_function(
        f"() => document.querySelector('#q{b.pk}').classList.contains('is-current')"
    )
    page.keyboard.press("x")
    assert page.locator(f"#q{b.pk} input[name=ids]").is_checked()
    page.locator(f"#q{c.pk} input[name=ids]").check()
    page.click("#bulk-accept button[type=submit]")
    page.wait_for_selector("#messages .msg-success")
    assert "已通过 2 条进展" in page.inner_text("#messages")
    assert page.locator("#nav-review-badge").inner_text() == ""
    assert "没有待审核的进展" in page.inner_text("#desk")
    assert ProgressUpdate.objects.filter(review_state="submitted").count() == 0
    shot(page, "desk-after-bulk-zh")


def test_the_desk_buttons_are_reachable_by_tab_with_a_visible_focus(
    world, browser, live_server, queue
):
    page = login(browser, live_server, "supervisor")
    page.goto(f"{live_server.url}/review/?sort=new")
    page.focus("#id_q")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.textContent.trim()"))
        if "通过" == reached[-1]:
            break
    assert reached[-1] == "通过"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


PHONE_PAGES = ["/", "/c/{mine}/", "/inbox/", "/c/{mine}/?corrects={returned}#record", "/review/"]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_phone_pages_fit_390_px(world, browser, live_server, queue, lang):
    from django.conf import settings

    from commitments.services.progress import update_review_return

    cast = world
    a = queue[0]
    update_review_return(update=a, reviewer=cast.supervisor, comment="请补充验收单")
    for who, paths in (("reporter", PHONE_PAGES[:4]), ("supervisor", PHONE_PAGES[4:])):
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", who)
        page.fill("#id_password", "pass-for-tests-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in paths:
            page.goto(live_server.url + path.format(mine=cast.mine.pk, returned=a.pk))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            name = path.strip("/").split("?")[0].replace("/", "-") or "ledger"
            shot(page, f"phone-{who}-{name}-{lang}")
        context.close()
