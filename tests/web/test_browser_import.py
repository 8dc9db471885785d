"""The import review in a real Chromium: the supervision office uploads a report, reads it
before anything is written, corrects it, publishes it, and the ledger shows it."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browser, live_server, login  # noqa: F401 (fixtures)
from tests.web.test_imports import SMALL

pytestmark = [pytest.mark.browser]


@pytest.fixture
def office(transactional_db):
    from tests.support.factories import DepartmentFactory, MembershipFactory, UserFactory
    from tests.support.webutil import PASSWORD

    user = UserFactory.create(username="duchashi_t")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory.create(
        user=user,
        department=DepartmentFactory.create(is_supervision_office=True),
        role="supervisor",
    )
    return user


def test_upload_preview_correct_publish(browser, live_server, office, tmp_path):  # noqa: F811
    from commitments.models import Commitment, Report

    report_file = tmp_path / "示例县.txt"
    report_file.write_text(SMALL, encoding="utf-8")
    page = login(browser, live_server, "duchashi_t")
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(report_file))
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    assert page.locator("h1").inner_text() == "2018年示例县政府工作报告"
    assert not Report.objects.filter(place="示例县").exists()  # a preview writes nothing

    # correct: the road becomes practical matter no. 1 (htmx swaps the review in place)
    item = page.locator("li.draftitem", has_text="新建道路20公里")
    item.locator("a.fixlink").click()  # the forms load on demand
    item.locator("select[name=kind]").select_option("practical_matter")
    item.locator("input[name=matter_number]").fill("1")
    item.get_by_role("button", name="改类别").click()
    page.locator("#messages", has_text="已记录更正").wait_for()
    assert "十件实事" in page.locator("li.draftitem", has_text="新建道路20公里").inner_text()
    page.screenshot(path=str(tmp_path / "import-review.png"), full_page=True)

    page.click("#publish")
    page.wait_for_url("**/?report=*")
    assert "新建道路20公里" in page.content()
    road = Commitment.objects.get(text="新建道路20公里。")
    assert (road.kind, road.matter_number, road.report.place) == ("practical_matter", 1, "示例县")
