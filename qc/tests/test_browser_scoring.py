"""The scoring page in a real browser: totals follow the typing, and the server agrees on save."""

from __future__ import annotations

import pytest

from portal.testing.factories import PASSWORD

from .helpers import leaves

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    # Set for this test only: subprocesses of other tests (check --deploy) must not inherit it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = chromium.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        chromium.close()


def test_running_totals_follow_the_deductions(page, live_server, make_assessment, qc_user):
    assessment = make_assessment(("dust", "chemical", "physical"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", qc_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector('[data-testid="who"]')
    page.goto(f"{live_server.url}/qc/assessments/{assessment.pk}/")
    assert page.inner_text("#total") == "100.0"

    sheet, line = leaves(assessment)["2.1.3"]
    page.fill(f"input[name='d-{sheet.pk}-{line.pk}']", "1")
    # 94 of 95 applicable points: 98.9; 40% × 98.9 + 60% × 100 = 99.56
    assert page.inner_text(f"#a-{sheet.pk}-{line.pk}") == "1.0"
    assert page.inner_text("#p-institution") == "98.9"
    assert page.inner_text("#total") == "99.6"
    assert page.inner_text("#grade") == "优秀"

    sheet, key_line = leaves(assessment)["5.2.2"]
    page.fill(f"input[name='o-{sheet.pk}-{key_line.pk}']", "1")  # 2 points per case: 2 of 4 is below 60 %
    assert page.inner_text("#grade") == "不合格"
    assert page.is_visible("#key-failures")
    shown = page.inner_text("#total")

    with page.expect_navigation():
        page.click("#qc-score-form button[type=submit]")
    assessment.refresh_from_db()
    assert f"{assessment.total_score}" == shown == "98.7"  # 92 of 95: 96.8; 38.72 + 60
    assert (assessment.grade, assessment.passed) == ("不合格", False)
    assert page.inner_text("#total") == shown
