"""The seeded calendar against the State Council notices for 2024–2026.

国办发明电〔2023〕7号 (2024), 国办发明电〔2024〕12号 (2025), 国办发明电〔2025〕7号 (2026).
"""

from datetime import date, timedelta

import pytest

from portal.workdays.services import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.usefixtures("reference_data")


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# (holiday, first day off, last day off, adjusted working days) as the notices publish them.
OFFICIAL = [
    ("2024 春节", date(2024, 2, 10), date(2024, 2, 17), [date(2024, 2, 4), date(2024, 2, 18)]),
    ("2024 国庆节", date(2024, 10, 1), date(2024, 10, 7), [date(2024, 9, 29), date(2024, 10, 12)]),
    ("2025 春节", date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
    ("2025 国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)]),
    ("2026 春节", date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
    ("2026 国庆节", date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
]
IDS = [o[0] for o in OFFICIAL]


@pytest.mark.parametrize(("label", "first", "last", "adjusted"), OFFICIAL, ids=IDS)
def test_every_day_of_the_break_is_off(label, first, last, adjusted):
    assert [d for d in _span(first, last) if is_working_day(d)] == []


@pytest.mark.parametrize(("label", "first", "last", "adjusted"), OFFICIAL, ids=IDS)
def test_adjusted_weekend_days_are_working_days(label, first, last, adjusted):
    for day in adjusted:
        assert day.weekday() >= 5, f"{day} is no weekend day; the test data is wrong"
        assert is_working_day(day), day


@pytest.mark.parametrize(("label", "first", "last", "adjusted"), OFFICIAL, ids=IDS)
def test_the_break_is_exactly_as_published(label, first, last, adjusted):
    """The days either side of the break are ordinary: the break neither starts early nor ends late."""
    before, after = first - timedelta(days=1), last + timedelta(days=1)
    assert is_working_day(before) == (before.weekday() < 5 or before in adjusted)
    assert is_working_day(after) == (after.weekday() < 5 or after in adjusted)


@pytest.mark.parametrize(("label", "first", "last", "adjusted"), OFFICIAL, ids=IDS)
def test_the_package_agrees_with_the_notice(label, first, last, adjusted):
    """Guards a future chinesecalendar upgrade: the seed comes from it."""
    from chinese_calendar import constants

    assert set(_span(first, last)) <= set(constants.holidays)
    assert set(adjusted) <= set(constants.workdays)


def test_is_working_day_on_adjusted_saturdays_and_ordinary_days():
    assert is_working_day(date(2024, 10, 12))  # Saturday, worked for National Day
    assert is_working_day(date(2026, 2, 28))  # Saturday, worked for Spring Festival
    assert not is_working_day(date(2024, 10, 19))  # an ordinary Saturday
    assert not is_working_day(date(2025, 10, 6))  # Monday, Mid-autumn Festival
    assert is_working_day(date(2025, 10, 9))  # Thursday after the break


@pytest.mark.parametrize(("start", "expected"), [
    # 2/9 (除夕, a working day in 2024), 2/18 Sun, 2/19–23, 2/26–28.
    (date(2024, 2, 8), date(2024, 2, 28)),
    # 1/26 Sun, 1/27, 2/5–7, 2/8 Sat, 2/10–13.
    (date(2025, 1, 24), date(2025, 2, 13)),
    # 2/13, 2/14 Sat, 2/24–27, 2/28 Sat, 3/2–4.
    (date(2026, 2, 12), date(2026, 3, 4)),
])
def test_ten_working_days_across_spring_festival(start, expected):
    assert add_working_days(start, 10) == expected
    assert working_days_between(start, expected) == 10


@pytest.mark.parametrize(("work_start", "expected"), [
    # 9/30, 9/29 Sun, 9/27, 9/26, 9/25.
    (date(2024, 10, 8), date(2024, 9, 25)),
    # 9/30, 9/29, 9/28 Sun, 9/26, 9/25.
    (date(2025, 10, 9), date(2025, 9, 25)),
    # 9/30, 9/29, 9/28, then Mid-autumn 9/25–27 off, 9/24, 9/23.
    (date(2026, 10, 8), date(2026, 9, 23)),
])
def test_five_working_days_back_from_the_first_day_after_national_day(work_start, expected):
    assert add_working_days(work_start, -5) == expected
    assert working_days_between(expected, work_start) == 5
    assert working_days_between(work_start, expected) == -5


def test_working_days_between_counts_the_half_open_span():
    # 10/8–10/11 and the adjusted Saturday 10/12; the break itself counts nothing.
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 12)) == 5
    assert working_days_between(date(2024, 10, 1), date(2024, 10, 7)) == 0
    assert working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    # Across the turn of the year: 2025-12-31, 2026-01-05 (1/1–3 off, 1/4 Sunday worked).
    assert working_days_between(date(2025, 12, 30), date(2026, 1, 4)) == 2


def test_counting_and_adding_agree_over_three_years():
    start = date(2024, 1, 1)
    for offset in range(0, 3 * 365, 11):
        day = start + timedelta(days=offset)
        for n in (1, 5, 10, 20):
            assert working_days_between(day, add_working_days(day, n)) == n
            if is_working_day(day):
                # Counting back from a working day lands on the day that leaves n working days to it.
                assert working_days_between(add_working_days(day, -n), day) == n


def test_zero_days_is_the_start_date_itself():
    assert add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)
