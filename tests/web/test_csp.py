"""Content-Security-Policy: every page is sent with a policy that runs only our own files,
no template has inline script, event handler or style attribute, and in a real Chromium
the ledger, its live filter, the dashboard and a commitment page report no violation."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.webutil import PASSWORD, make_cast

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\shx-on[:\-]|\sstyle\s*=|<style\b|javascript:",
    re.IGNORECASE,
)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_no_inline_script_or_style_in_browser_templates():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "emails" in path.relative_to(TEMPLATES).parts:
            continue  # emails go to mail clients, not to browsers under our CSP
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "who,path",
    [
        ("supervisor", "/"),
        ("leader", "/dashboard/"),
        (None, "/accounts/login/"),
        (None, "/public/"),
    ],
)
def test_pages_carry_a_strict_policy(anyang, who, path):
    cast = make_cast(anyang)
    response = cast.client(who).get(path)
    assert response.status_code == 200
    p = policy(response)
    assert p["default-src"] == ["'self'"]
    assert p["script-src"] == ["'self'"] and p["style-src"] == ["'self'"]
    assert p["object-src"] == ["'none'"] and p["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "/static/commitments/app.js" in body and "style=" not in body
    assert '"includeIndicatorStyles":false' in body


def test_bars_render_as_classes(anyang):
    from commitments.templatetags.bars import barpct

    assert [barpct(v) for v in (None, "", "x", -5, 0, 12.4, 12.5, 99.6, 140, float("nan"))] == [
        0, 0, 0, 0, 0, 12, 12, 100, 100, 0,
    ]  # fmt: skip
    css = (
        Path(settings.BASE_DIR) / "commitments" / "static" / "commitments" / "bars.css"
    ).read_text()
    for n in (0, 37, 100):
        assert f".w-{n} {{ width: {n}%; }}" in css and f".at-{n} {{ left: {n}%; }}" in css


# -- in a real browser ---------------------------------------------------------------------
# test_browser's live server (with its MEDIA_URL fix), browser launch and login helper
from tests.web.test_browser import browser, live_server  # noqa: E402, F401


@pytest.mark.browser
def test_no_csp_violation_in_chromium(transactional_db, live_server, browser, settings, tmp_path):  # noqa: F811
    from django.core.management import call_command

    from commitments.models import Report
    from tests.support.webutil import record

    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    call_command("seed_report", no_progress=True, verbosity=0)
    cast = make_cast(Report.objects.get(place="安阳市", year=2017))
    record(cast.mine, cast.reporter, percent="40")

    violations: list[str] = []
    console_errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => {"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI); });"
    )
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    def collect() -> None:
        violations.extend(page.evaluate("window.__csp || []"))

    page.goto(f"{live_server.url}/accounts/login/")
    collect()
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.evaluate("typeof htmx") == "object"
    # bar widths and the time tick come from bars.css classes, not from style attributes
    left = page.evaluate(
        "getComputedStyle(document.querySelector('#ledger-table .bar .tick')).left"
    )
    assert left.endswith("px") and float(left[:-2]) > 0
    page.select_option("#id_kind", "practical_matter")  # live filter (htmx)
    page.wait_for_function(
        "() => document.querySelector('.summary strong').innerText.includes('10')"
    )
    assert "kind=practical_matter" in page.url
    collect()
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector(".matter")
    collect()
    page.goto(f"{live_server.url}/c/{cast.mine.pk}/")
    page.wait_for_selector("#status-card")
    collect()
    # the language menu works without its old inline onchange
    page.select_option("#lang-select", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    collect()
    assert not violations, violations
    assert not [m for m in console_errors if "Content Security Policy" in m], console_errors
