"""A year without a schedule: Monday–Friday only, recorded once, shown to administrators."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal.workdays import services
from portal.workdays.models import CalendarYear, MissingYearLookup
from portal.workdays.selectors import calendar_warnings
from portal.workdays.services import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.usefixtures("reference_data")

# chinesecalendar 1.11 stops at 2026; 2031 is never "next year" while these tests are relevant.
FAR_YEAR = 2031


def test_unknown_year_counts_weekdays_only_and_records_the_year():
    assert not CalendarYear.objects.filter(year=2027).exists()
    # Friday 2027-02-05 (除夕): without a schedule, the five weekdays that follow.
    assert add_working_days(date(2027, 2, 5), 5) == date(2027, 2, 12)
    assert not is_working_day(date(2027, 2, 6))
    assert MissingYearLookup.objects.get(year=2027).times == 1


def test_the_missing_year_is_written_once_per_process_not_per_call(django_assert_num_queries):
    add_working_days(date(FAR_YEAR, 3, 2), 10)
    with django_assert_num_queries(0):
        for day in range(1, 29):
            add_working_days(date(FAR_YEAR, 2, day), 20)
            working_days_between(date(FAR_YEAR, 1, 1), date(FAR_YEAR, 12, 31))
    assert MissingYearLookup.objects.get(year=FAR_YEAR).times == 1


def test_a_daily_scan_asks_the_shared_cache_rarely(monkeypatch):
    calls = []
    real = services.cache.get_or_set
    monkeypatch.setattr(services.cache, "get_or_set", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    for offset in range(0, 365, 3):
        add_working_days(date(2025, 1, 1) + timedelta(days=offset), 15)
    assert len(calls) == 1


def test_another_process_change_is_picked_up_at_the_next_version_check():
    assert not is_working_day(date(2025, 10, 1))
    services._local["years"][2025] = (True, frozenset(), frozenset())  # stale copy
    assert is_working_day(date(2025, 10, 1))
    services.cache.set(services.CACHE_VERSION_KEY, "changed-elsewhere", timeout=None)
    services._local["check_after"] = 0.0  # the check interval has passed
    assert not is_working_day(date(2025, 10, 1))


def test_warning_lists_needed_years_and_next_year():
    assert [w["year"] for w in calendar_warnings(today=date(2026, 11, 22))] == [2027]
    add_working_days(date(FAR_YEAR, 6, 1), 3)
    warnings = calendar_warnings(today=date(2026, 11, 22))
    assert [(w["year"], w["times"]) for w in warnings] == [(2027, 0), (FAR_YEAR, 1)]
    assert [w["year"] for w in calendar_warnings(today=date(2025, 6, 1))] == [FAR_YEAR]


def test_the_warning_reaches_the_calendar_page_and_the_province_admin_home(client, make_user, platform_admin):
    province_admin = make_user("province_admin")
    client.force_login(province_admin)
    assert FAR_YEAR not in [w["year"] for w in client.get(reverse("core:home")).context["calendar_warnings"]]

    add_working_days(date(FAR_YEAR, 6, 1), 3)

    response = client.get(reverse("core:home"))
    assert FAR_YEAR in [w["year"] for w in response.context["calendar_warnings"]]
    assert 'data-testid="calendar-warning"' in response.content.decode()

    client.force_login(platform_admin)
    response = client.get(reverse("workdays:list"))
    assert (FAR_YEAR, 1) in [(w["year"], w["times"]) for w in response.context["warnings"]]
    assert reverse("workdays:year-edit", args=[FAR_YEAR]) in response.content.decode()


def test_entering_the_year_replaces_the_fallback_and_clears_the_warning(admin_client):
    start = date(2027, 2, 5)
    assert add_working_days(start, 5) == date(2027, 2, 12)
    page = admin_client.get(reverse("workdays:list"))
    assert 2027 in [w["year"] for w in page.context["warnings"]]
    assert MissingYearLookup.objects.filter(year=2027).exists()

    # A schedule as an administrator would type it (illustrative dates, not the published notice).
    response = admin_client.post(reverse("workdays:year-edit"), {
        "year": 2027,
        "note": "国办发明电〔2026〕X号",
        "holidays": "\n".join(f"2027-02-{d:02d} 春节" for d in range(6, 14)),
        "workdays": "2027-02-14 春节\n2027-02-20 春节",
    })
    assert response.status_code == 302

    # 2/14 Sun, 2/15–19, 2/20 Sat, 2/22 … the result changes at once in this process.
    assert add_working_days(start, 5) == date(2027, 2, 18)
    assert is_working_day(date(2027, 2, 20))
    assert not MissingYearLookup.objects.filter(year=2027).exists()
    page = admin_client.get(reverse("workdays:list"))
    assert 2027 not in [w["year"] for w in page.context["warnings"]]
    add_working_days(start, 40)
    assert not MissingYearLookup.objects.filter(year=2027).exists()
