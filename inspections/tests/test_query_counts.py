"""Every list page costs the same number of queries for 3 rows as for 30."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from inspections.choices import VerificationStatus
from portal.accounts.choices import Role

SIZES = [3, 30]
# Session, user, organisation, page and count queries, the base template's own; not the rows.
MAX_QUERIES = 20


def _count(client, user, url, django_assert_max_num_queries, expected_rows, needle):
    client.force_login(user)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(needle) >= expected_rows


@pytest.mark.parametrize("n", SIZES)
def test_verification_list(n, client, rows, qc_user, django_assert_max_num_queries):
    rows["cases"](n, due_on=rows["today"] + timedelta(days=30))
    _count(client, qc_user, reverse("inspections:verification-list"), django_assert_max_num_queries, n,
           "测试单位")


@pytest.mark.parametrize("n", SIZES)
def test_overdue_list(n, client, rows, qc_user, django_assert_max_num_queries):
    rows["cases"](n, due_on=rows["today"] - timedelta(days=5), status=VerificationStatus.OPEN)
    url = reverse("inspections:verification-list") + "?overdue=1"
    _count(client, qc_user, url, django_assert_max_num_queries, n, "badge bad")


@pytest.mark.parametrize("n", SIZES)
def test_notification_inbox(n, client, rows, make_user, django_assert_max_num_queries):
    rows["notices"](n)
    county = make_user(Role.COMMISSION_COUNTY, region_code="220102")
    url = reverse("inspections:notification-list") + "?inbox=1"
    _count(client, county, url, django_assert_max_num_queries, n, "用人单位")


@pytest.mark.parametrize("n", SIZES)
def test_upcoming_list(n, client, rows, make_user, django_assert_max_num_queries):
    rows["notices"](n)
    city = make_user(Role.COMMISSION_CITY, region_code="220100")
    _count(client, city, reverse("inspections:upcoming"), django_assert_max_num_queries, n, "用人单位")


@pytest.mark.parametrize("n", SIZES)
def test_off_site_calendar(n, client, rows, make_user, django_assert_max_num_queries):
    made = rows["notices"](n)
    city = make_user(Role.COMMISSION_CITY, region_code="220100")
    first = min(notice.starts_on for notice in made)
    url = reverse("inspections:off-site-calendar") + f"?month={first:%Y-%m}"
    _count(client, city, url, django_assert_max_num_queries, 1, "用人单位0")
