"""The yearly provincial report in a real browser: the provincial commission chooses a typical case,
generates and submits last year's report; the national user finds it in the comparison."""

from __future__ import annotations

import pytest

from portal.accounts.choices import Role
from portal.testing.factories import PASSWORD
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def setting_up(live_server, make_user, settings, tmp_path):
    from reporting.annual.tests.builders import build_dataset

    settings.MEDIA_ROOT = tmp_path / "media"
    data = build_dataset()
    make_user(Role.COMMISSION_PROVINCE, username="wjw_browser")
    make_user(Role.NATIONAL, username="nhc_browser")
    return data


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_commission_generates_and_submits_national_compares(page, live_server, setting_up):
    base = live_server.url
    check = setting_up.checks["A"]

    sign_in(page, base, "wjw_browser", PASSWORD)
    page.goto(f"{base}/reports/")
    _submit(page, "[data-testid=start-2025]")
    assert page.locator("[data-figure=assessments]").inner_text() == "3"
    assert page.locator("[data-testid=charts] svg").count() == 4

    chooser = page.locator(f"form[data-check='{check.pk}']")
    chooser.locator("input[name=note]").fill("瞒报疑似职业病，予以警告并罚款")
    with page.expect_navigation():
        chooser.locator("button[type=submit]").click()
    assert "瞒报疑似职业病" in page.locator("[data-testid=chosen-cases]").inner_text()

    _submit(page, "[data-testid=generate]")
    assert page.locator("[data-testid=report-status]").get_attribute("data-status") == "ready"
    assert page.locator("[data-testid=download-pdf]").count() == 1
    assert "瞒报疑似职业病" in page.locator("[data-section=typical_cases]").inner_text()

    _submit(page, "[data-testid=submit]")
    assert page.locator("[data-testid=report-status]").get_attribute("data-status") == "submitted"
    assert page.locator("[data-testid=late-badge]").count() == 1
    assert page.locator("[data-testid=generate]").count() == 0

    page.click("header button:has-text('退出')")
    page.wait_for_load_state()
    sign_in(page, base, "nhc_browser", PASSWORD)
    page.goto(f"{base}/reports/")
    _submit(page, "[data-testid=compare-link]")
    row = page.locator("[data-testid=compare-table] tr[data-province='220000']")
    assert row.count() == 1
    assert "吉林省" in row.inner_text() and "75" in row.inner_text()
    assert page.locator("[data-testid=compare-chart] svg").count() == 1
