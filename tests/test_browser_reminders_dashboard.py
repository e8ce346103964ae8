"""Reminders and the dashboard in a real browser, as the provincial commission meets them in the morning:
the daily scans of yesterday and today have run, the bell shows how many digests are unread, the list
marks them read one by one or all at once, and the home page's figures and charts lead to the lists
behind them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from portal.accounts.choices import Role
from portal.notifications.models import Notification
from portal.testing.factories import PASSWORD
from reporting.dashboards.tests.conftest import build
from reporting.tasks import scan_deadlines
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def morning(live_server, make_user):
    """The dashboards' small province (known figures), its users, and yesterday's and today's scans run."""
    dataset = build()
    commission = make_user(Role.COMMISSION_PROVINCE, username="wjw_morning", email="wjw_morning@example.org")
    make_user(Role.QC_CENTER, username="zk_morning")
    mail.outbox.clear()
    # A week ago two receipts were due within the week; today one of them is overdue and another
    # is due within the week: a digest each day.
    yesterday = scan_deadlines(today=(dataset.today - timedelta(days=7)).isoformat())
    result = scan_deadlines()
    return dataset, commission, (yesterday, result)


def unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def badge(page) -> int:
    found = page.locator("[data-testid=unread-count]")
    return int(found.inner_text()) if found.count() else 0


def test_the_bell_counts_the_days_reminders_and_they_are_marked_read(page, live_server, morning):
    _dataset, commission, (yesterday, today) = morning
    assert yesterday["reminders_sent"] > 0 and today["reminders_sent"] > 0
    waiting = unread(commission)
    assert waiting == 2  # one digest a day, however many reminders it lists
    # One digest e-mail a day, not one message per reminder.
    to_commission = [m for m in mail.outbox if commission.email in m.to]
    assert len(to_commission) == 2
    assert all("回执" in m.body for m in to_commission)

    base = live_server.url
    sign_in(page, base, "wjw_morning", PASSWORD)
    assert badge(page) == waiting
    with page.expect_navigation():
        page.click("[data-testid=bell]")
    rows = page.locator("[data-testid=notification]")
    assert rows.count() == waiting
    assert rows.locator("text=回执").count() >= 1  # the filings waiting for their receipt
    assert page.locator("[data-testid=notification].unread").count() == waiting

    with page.expect_navigation():
        rows.first.locator("button:has-text('标为已读')").click()
    assert badge(page) == waiting - 1 == unread(commission)
    assert page.locator("[data-testid=notification].unread").count() == waiting - 1

    with page.expect_navigation():
        page.click("[data-testid=read-all]")
    assert badge(page) == 0 == unread(commission)
    assert page.locator("[data-testid=notification].unread").count() == 0

    # The scan again the same day: nothing new to ring about.
    assert scan_deadlines()["reminders_sent"] == 0
    page.reload()
    assert badge(page) == 0


def test_the_dashboard_draws_its_charts_and_its_figures_lead_to_the_lists(page, live_server, morning):
    base = live_server.url
    sign_in(page, base, "wjw_morning", PASSWORD)
    page.goto(f"{base}/home/")
    dashboard = page.locator("[data-testid=dashboard]")
    assert dashboard.is_visible()
    # Bars by area, a line over the years, both drawn on the page.
    assert page.locator("[data-testid=chart-pass-by-area] svg rect").count() >= 2
    assert page.locator("[data-testid=chart-pass-by-year] svg polyline").count() >= 1
    assert page.locator("[data-testid=chart-ledger] svg").count() == 1

    # Each figure, clicked, opens the list behind it with as many rows as it says.
    for testid, shown, row_link in (("verifications-overdue", "2", r"/inspections/verifications/\d+/"),
                                    ("ledger-overdue", "3", None),
                                    ("filings-overdue", "2", r"/filing/versions/\d+/")):
        page.goto(f"{base}/home/")
        assert page.inner_text(f"[data-testid={testid}]") == shown
        with page.expect_navigation():
            page.click(f"[data-testid={testid}] a")
        assert rows_listed(page, row_link) == int(shown), testid


def rows_listed(page, row_link: str | None) -> int:
    """Rows of the list page: distinct links to a row's page, or ledger entries (marked data-entry)."""
    if row_link is None:
        return page.locator("[data-entry]").count()
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    return len({href for href in hrefs if re.fullmatch(row_link, href)})
