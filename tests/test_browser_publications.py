"""Publications end to end in a real browser: the provincial commission publishes a list, then an
anonymous visitor finds it on /publications/, opens it and sees its rows and downloads."""

from __future__ import annotations

import pytest

from portal.accounts.choices import Role
from portal.testing.factories import PASSWORD
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def commission(live_server, make_user, settings, tmp_path):
    from reporting.publications.tests.builders import World

    settings.MEDIA_ROOT = tmp_path / "media"
    world = World()
    world.filing(world.institution("长春市职业病防治院"))
    world.filing(world.institution("吉林市职业病防治所"), status="submitted")  # not accepted: never listed
    return make_user(Role.COMMISSION_PROVINCE, username="wjw_browser")


def test_commission_publishes_and_the_public_finds_it(page, live_server, commission):
    base = live_server.url
    sign_in(page, base, "wjw_browser", PASSWORD)
    page.goto(f"{base}/reporting/publications/")
    with page.expect_navigation():
        page.click("[data-testid=publication-create-link]")
    page.select_option("select[name=kind]", "filed_institutions")
    page.fill("textarea[name=notes]", "公示期为五个工作日")
    with page.expect_navigation():
        page.click("[data-testid=publication-submit]")
    # "Publish now" runs the task after the commit (eagerly here): the page shows the number.
    assert page.get_attribute("[data-testid=publication-status]", "data-status") == "published"
    number = page.inner_text("[data-testid=publication-number]")
    assert number.startswith("吉卫职健备案公示〔") and number.endswith("〕1号")
    assert page.inner_text("[data-testid=publication-row-count]") == "1"
    with page.expect_navigation():
        page.click("header button:has-text('退出')")

    # An anonymous visitor, from the home page.
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.click("[data-testid=publications-link]")
    page.select_option("select[name=kind]", "filed_institutions")
    with page.expect_navigation():
        page.click("[data-testid=public-publication-filters] button[type=submit]")
    row = page.locator("[data-testid=public-publication-list] tbody tr").first
    assert number in row.inner_text()
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.inner_text("[data-testid=public-publication-number]") == number
    rows = page.inner_text("[data-testid=public-publication-rows]")
    assert "长春市职业病防治院" in rows and "吉林市职业病防治所" not in rows
    with page.expect_download() as download:
        page.click("[data-testid=download-pdf]")
    assert download.value.suggested_filename == f"{number} 吉林省备案机构名单.pdf"
