"""The month calendar of off-site work: jobs on each day they run, only the caller's area."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from inspections import selectors
from inspections.models import OffSiteNotification
from portal.accounts.choices import Role


@pytest.fixture
def notice(rows):
    made = rows["notices"](1)[0]
    OffSiteNotification.objects.filter(pk=made.pk).update(
        starts_on=date(2026, 3, 30), ends_on=date(2026, 4, 2), visit_planned_on=date(2026, 4, 1))
    made.refresh_from_db()
    return made


def test_a_job_shows_on_every_day_it_runs_across_the_month_boundary(notice, make_user):
    city = make_user(Role.COMMISSION_CITY, region_code="220100")
    march = selectors.off_site_calendar(city, year=2026, month=3)
    days = {cell["day"]: cell for week in march["weeks"] for cell in week}
    assert min(days) == date(2026, 2, 23) and max(days) == date(2026, 4, 5)  # Monday to Sunday
    assert [d for d, cell in days.items() if cell["notices"]] == [date(2026, 3, 30), date(2026, 3, 31),
                                                                   date(2026, 4, 1), date(2026, 4, 2)]
    assert days[date(2026, 4, 1)]["visits"] == [notice] and not days[date(2026, 3, 30)]["visits"]
    assert march["count"] == 1 and selectors.off_site_calendar(city, year=2026, month=4)["count"] == 1
    assert selectors.off_site_calendar(city, year=2026, month=5)["count"] == 0


def test_the_page_shows_the_month_and_navigates(client, notice, make_user):
    client.force_login(make_user(Role.COMMISSION_COUNTY, region_code="220102"))
    page = client.get(reverse("inspections:off-site-calendar") + "?month=2026-03").content.decode()
    assert "2026年3月" in page and notice.employer_name in page and "★" in page
    assert "?month=2026-02" in page and "?month=2026-04" in page
    assert "2026年12月" in client.get(reverse("inspections:off-site-calendar") + "?month=2026-12").content.decode()


def test_other_areas_and_provinces_see_nothing(client, notice, make_user):
    outside = [make_user(Role.COMMISSION_COUNTY, region_code="220202"),
               make_user(Role.PROVINCE_ADMIN, province_code="210000")]
    for user in outside:
        assert selectors.off_site_calendar(user, year=2026, month=3)["count"] == 0
        client.force_login(user)
        page = client.get(reverse("inspections:off-site-calendar") + "?month=2026-03").content.decode()
        assert notice.employer_name not in page


def test_institutions_are_refused(client, institution_user):
    client.force_login(institution_user)
    assert client.get(reverse("inspections:off-site-calendar")).status_code == 403
