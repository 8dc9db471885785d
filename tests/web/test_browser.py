"""End to end in a real Chromium (Debian's, through Playwright): a reporter logs in and
records an update with a file, a supervisor returns it, the reporter corrects it, the
supervisor accepts the correction, and the dashboard changes."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip

# No skip when it is missing: `make test` installs Debian's chromium, and a browser test
# that quietly does not run would hide a broken UI.
pytestmark = [pytest.mark.browser]
assert os.path.exists(CHROMIUM), (
    "Debian chromium is required for the browser tests: apt-get install chromium"
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """pytest-django's live server, with a MEDIA_URL for its media handler to parse.

    The project sets MEDIA_URL = None on purpose (evidence is never served from a public
    URL), which Django's live-server media handler cannot parse. Here it points at an
    empty folder, so the handler serves nothing, and evidence still goes only through the
    permission-checked view."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    empty = tmp_path_factory.mktemp("no-media")
    with override_settings(MEDIA_URL="/__no_media__/", MEDIA_ROOT=str(empty)):
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        yield server
        server.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def world(transactional_db, live_server, settings, tmp_path):
    from django.core.management import call_command

    from commitments.models import Report
    from tests.support.webutil import make_cast

    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    # transactional tests flush the database: seed what this test needs
    call_command("seed_report", no_progress=True, verbosity=0)
    return make_cast(Report.objects.get(place="安阳市", year=2017))


def login(browser, live_server, username: str):
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def matter_one_percent(page, live_server) -> str:
    page.goto(f"{live_server.url}/dashboard/")
    return page.locator(".matter").first.locator(".m-pct").inner_text()


def test_report_return_correct_accept(world, browser, live_server, tmp_path):
    from commitments.models import Evidence, ProgressUpdate

    cast = world
    roads = list(cast.mine.targets.filter(value__isnull=False).order_by("order"))
    evidence = tmp_path / "验收照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n demo")

    supervisor = login(browser, live_server, "supervisor")
    before = matter_one_percent(supervisor, live_server)
    assert before == "0.0%"

    # 1. the reporter records an update with a file, inline (htmx)
    reporter = login(browser, live_server, "reporter")
    assert reporter.evaluate("typeof htmx") == "object"  # vendored htmx loaded, no CDN
    reporter.goto(f"{live_server.url}/c/{cast.mine.pk}/")
    reporter.fill(f"#id_target_{roads[0].pk}", "12,3a")  # a bad number first
    reporter.fill("#id_narrative", "已建成道路25条。")
    reporter.click("#record button[type=submit]")
    reporter.wait_for_selector("#record .errors-summary")
    assert "请输入数字" in reporter.inner_text("#record")
    assert ProgressUpdate.objects.count() == 0
    reporter.fill(f"#id_target_{roads[0].pk}", "59")
    reporter.fill(f"#id_target_{roads[1].pk}", "25")
    reporter.set_input_files("#id_files", str(evidence))
    reporter.click("#record button[type=submit]")
    reporter.wait_for_selector("#updates-panel .msg-success")
    assert "已建成道路25条。" in reporter.inner_text(".timeline")
    assert "验收照片.png" in reporter.inner_text(".timeline")
    update = ProgressUpdate.objects.get()
    assert Evidence.objects.get(update=update).original_name == "验收照片.png"
    assert reporter.url == f"{live_server.url}/c/{cast.mine.pk}/"  # no full page reload

    # 2. the supervisor returns it with a comment
    supervisor.goto(f"{live_server.url}/review/")
    row = supervisor.locator(f"#q{update.pk}")
    row.locator("textarea[name=comment]").fill("请补充验收单")
    row.locator("button.warn").click()
    supervisor.wait_for_selector(f"#q{update.pk} .review-returned")
    update.refresh_from_db()
    assert update.review_state == "returned"

    # 3. the reporter sees it and corrects it
    reporter.goto(f"{live_server.url}/inbox/")
    assert "请补充验收单" in reporter.inner_text("main")
    reporter.click("text=提交更正")
    reporter.wait_for_selector("#record .note")
    assert reporter.input_value(f"#id_target_{roads[0].pk}") == "59"
    reporter.fill(f"#id_target_{roads[0].pk}", "64")
    reporter.fill("#id_narrative", "已建成道路25条，验收单已补充。")
    reporter.click("#record button[type=submit]")
    reporter.wait_for_selector("#updates-panel .msg-success")
    correction = ProgressUpdate.objects.get(corrects=update)
    assert correction.readings.get(target=roads[0]).value == 64

    # 4. the supervisor accepts the correction; the dashboard has moved
    supervisor.goto(f"{live_server.url}/review/")
    supervisor.locator(f"#q{correction.pk} button.ok").click()
    supervisor.wait_for_selector(f"#q{correction.pk} .review-accepted")
    # matter 1 has three targets (118 roads, 50 built, 15 overhauled); 64 and 25 are read,
    # the third is not: (64/118 + 25/50 + 0) / 3 = 34.7%
    after = matter_one_percent(supervisor, live_server)
    assert after == "34.7%"
    matter = supervisor.locator(".matter").first
    assert matter.locator(".lamp").get_attribute("class") == "lamp lamp-yellow"  # behind time
    supervisor.goto(f"{live_server.url}/c/{cast.mine.pk}/")
    assert "64条" in supervisor.inner_text(".targets")


def test_ledger_filters_live_and_keep_the_url(world, browser, live_server):
    page = login(browser, live_server, "supervisor")
    page.select_option("#id_kind", "practical_matter")
    # predicates as functions: Playwright evals a bare expression in the page, which the
    # Content-Security-Policy forbids (no 'unsafe-eval')
    page.wait_for_function(
        "() => document.querySelector('.summary strong').innerText.includes('10')"
    )
    assert "kind=practical_matter" in page.url  # filter state pushed into the URL
    page.fill("#id_q", "118条")
    page.wait_for_function("() => document.querySelectorAll('#ledger-table tbody tr').length === 1")
    assert "q=118" in page.url or "q=118%E6%9D%A1" in page.url
    page.reload()
    assert page.locator("#ledger-table tbody tr").count() == 1
