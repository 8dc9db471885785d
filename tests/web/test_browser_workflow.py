"""The whole supervision cycle in a real Chromium (Debian's, through Playwright): the office
assigns an item, the unit acknowledges (签收), asks for an extension that the office grants,
the office issues an urging notice (督办单) that the unit answers, the unit claims
completion, the office accepts it and the item closes (办结销号), then reopens it.

With SHOTS_DIR set, screenshots of the new screens (Chinese and English, desktop and a
390 px phone) are saved there for a person to look at."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, browser, live_server  # noqa: F401

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("SHOTS_DIR")


@pytest.fixture
def world(transactional_db, live_server, settings):  # noqa: F811
    from django.core.management import call_command

    from commitments.models import Report
    from tests.support.webutil import make_cast

    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    call_command("seed_report", no_progress=True, verbosity=0)
    return make_cast(Report.objects.get(place="安阳市", year=2017))


def page_for(browser, live_server, username: str, *, lang: str = "zh", width: int = 1366):  # noqa: F811
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    if lang == "en":
        ctx.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def shot(page, name: str, *, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=full_page)


def test_the_whole_supervision_cycle(world, browser, live_server):  # noqa: F811
    from commitments.models import (
        Acknowledgement,
        Closure,
        ExtensionRequest,
        ProgressUpdate,
        UrgingNotice,
    )

    cast = world
    item = cast.theirs
    url = f"{live_server.url}/c/{item.pk}/"
    sup = page_for(browser, live_server, "supervisor")
    rep = page_for(browser, live_server, "reporter")

    # 交办: the office assigns the item to the reporter's unit
    sup.goto(f"{url}assign/")
    sup.select_option("#id_lead_unit", str(cast.dept.pk))
    sup.fill("#id_due_date", "2017-10-20")
    sup.click("form button.primary")
    sup.wait_for_url(url)
    ack = Acknowledgement.objects.get(commitment=item, department=cast.dept)
    assert ack.acknowledged_at is None

    # 签收 from the inbox
    rep.goto(f"{live_server.url}/inbox/")
    assert item.code in rep.inner_text("#to-acknowledge")
    shot(rep, "inbox-to-acknowledge-zh")
    rep.click("#to-acknowledge button")
    rep.wait_for_selector(".msg-success")
    ack.refresh_from_db()
    assert ack.acknowledged_by_id == cast.reporter.pk

    # 延期申请
    rep.goto(url)
    rep.click("text=申请延期")
    rep.fill("#id_requested_due_date", "2017-12-31")
    rep.fill("#id_ext_reason", "征迁尚未完成，需延期两个月。")
    rep.fill("#id_ext_progress", "主体工程完成80%。")
    rep.click("text=提交延期申请")
    rep.wait_for_selector(".msg-success")
    req = ExtensionRequest.objects.get(commitment=item)
    sup.goto(f"{live_server.url}/extensions/")
    shot(sup, "extensions-zh")
    sup.goto(f"{url}#workflow")
    shot(sup, "item-extension-pending-zh")
    sup.fill(f"#id_granted_due_date_{req.pk}", "2017-11-30")
    sup.fill(f"#id_decision_comment_{req.pk}", "同意延期至11月底。")
    sup.click(".decideform button")
    sup.wait_for_selector(".msg-success")
    req.refresh_from_db()
    item.refresh_from_db()
    assert req.state == "granted" and item.due_date == dt.date(2017, 11, 30)
    assert item.original_due_date == dt.date(2017, 10, 20)
    assert "已延期" in sup.inner_text(".facts")

    # 督办单
    sup.click("text=签发督办单")
    sup.select_option("#id_level", "yellow")
    sup.fill("#id_message", "请加快进度，按期完成。")
    sup.click("#workflow details.wf-form form button >> text=签发")
    sup.wait_for_selector(".msg-success")
    notice = UrgingNotice.objects.get(commitment=item)
    assert notice.level == "yellow" and notice.state == "open"

    # the unit answers in writing
    rep.goto(f"{live_server.url}/inbox/")
    assert item.code in rep.inner_text("#open-notices")
    rep.goto(f"{url}#workflow")
    shot(rep, "item-reporter-notice-zh")
    rep.click("#workflow summary >> text=书面答复")
    rep.fill(f"#id_answer_{notice.pk}", "已约谈施工单位，11月中旬完工。")
    rep.click("text=提交答复")
    rep.wait_for_selector(".msg-success")
    notice.refresh_from_db()
    assert notice.state == "answered"

    # the unit claims completion: 申报完成·待审核, not done
    rep.goto(url)
    rep.check("input[name=claimed_status][value=completed]")
    rep.fill("#id_as_of", "2017-09-30")
    rep.fill("#id_narrative", "工程已完工。")
    rep.click("#record button[type=submit]")
    rep.wait_for_selector("#updates-panel .msg-success")
    claim = ProgressUpdate.objects.get(commitment=item)
    sup.goto(url)
    assert "申报完成·待审核" in sup.inner_text("#status-card")

    # the office accepts it: the item closes
    sup.goto(f"{live_server.url}/review/")
    sup.locator(f"#q{claim.pk} button.ok").click()
    sup.wait_for_selector(f"#q{claim.pk} .review-accepted")
    assert Closure.objects.filter(commitment=item, reopened_at__isnull=True).exists()
    sup.goto(f"{url}#workflow")
    assert "已办结销号" in sup.inner_text("#workflow")
    shot(sup, "item-closed-zh")

    # and reopens it with a reason
    sup.click("#workflow summary >> text=重新打开")
    sup.fill("#id_reopen_reason", "复查发现部分路段未完工。")
    sup.click("#workflow form button.warn")
    sup.wait_for_selector(".msg-success")
    closure = Closure.objects.get(commitment=item)
    assert closure.reopen_reason.startswith("复查")
    assert "复查发现部分路段未完工。" in sup.inner_text("#wf-record")
    shot(sup, "item-reopened-zh")

    if SHOTS:  # the other new screens, in Chinese and English, desktop and phone
        for lang in ("zh", "en"):
            for width in (1366, 390):
                tag = f"{lang}-{width}"
                s = page_for(browser, live_server, "supervisor", lang=lang, width=width)
                for path, name in (
                    (f"/c/{item.pk}/", "item"),
                    (f"/c/{item.pk}/#workflow", "item-workflow"),
                    (f"/c/{item.pk}/#wf-record", "item-record"),
                    ("/urging/proposed/", "urging-proposed"),
                    ("/urging/", "urging-list"),
                    ("/extensions/", "extensions"),
                    ("/", "ledger"),
                    ("/dashboard/", "dashboard"),
                ):
                    s.goto(f"{live_server.url}{path}")
                    shot(s, f"{name}-{tag}")
                r = page_for(browser, live_server, "reporter", lang=lang, width=width)
                r.goto(f"{live_server.url}/c/{cast.mine.pk}/#workflow")
                shot(r, f"item-reporter-{tag}")
                r.goto(f"{live_server.url}/inbox/")
                shot(r, f"inbox-{tag}")
                lead = page_for(browser, live_server, "leader", lang=lang, width=width)
                lead.goto(f"{live_server.url}/")
                shot(lead, f"ledger-leader-{tag}")
                lead.goto(f"{live_server.url}/c/{item.pk}/#workflow")
                shot(lead, f"item-leader-{tag}")
