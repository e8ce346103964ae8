from datetime import date

import pytest

from portal.workdays.models import CalendarYear, DayKind, SpecialDay, YearSource
from portal.workdays.services import calendar_seed_from_package, calendar_year_save, is_working_day

pytestmark = pytest.mark.usefixtures("reference_data")


def _rows():
    return list(SpecialDay.objects.order_by("date").values_list("date", "kind", "name"))


def test_seeding_twice_changes_nothing():
    before = _rows()
    result = calendar_seed_from_package()
    assert (result["created"], result["updated"], result["deleted"]) == (0, 0, 0)
    assert result["years"][0] == 2004 and result["years"][-1] == 2026
    assert _rows() == before
    assert CalendarYear.objects.filter(source=YearSource.PACKAGE).count() == len(result["years"])


def test_seeding_repairs_package_years():
    SpecialDay.objects.filter(date=date(2025, 10, 8)).delete()
    SpecialDay.objects.create(date=date(2025, 10, 9), kind=DayKind.HOLIDAY, name="多余")
    result = calendar_seed_from_package()
    assert (result["created"], result["deleted"]) == (1, 1)
    assert not is_working_day(date(2025, 10, 8))
    assert is_working_day(date(2025, 10, 9))


def test_seeding_never_overwrites_a_year_an_administrator_entered(make_user):
    admin = make_user("system_admin")
    calendar_year_save(actor=admin, year=2025, note="更正", holidays=[(date(2025, 10, 1), "国庆节")],
                       workdays=[(date(2025, 9, 28), "国庆节")])
    manual = _rows()
    result = calendar_seed_from_package()
    assert 2025 not in result["years"]
    assert _rows() == manual
    cal = CalendarYear.objects.get(year=2025)
    assert (cal.source, cal.note) == (YearSource.MANUAL, "更正")
    assert is_working_day(date(2025, 10, 8))


def test_the_service_refuses_a_bad_schedule_without_saving(make_user):
    from django.core.exceptions import ValidationError

    admin = make_user("system_admin")
    with pytest.raises(ValidationError) as exc:
        calendar_year_save(actor=admin, year=2027, holidays=[(date(2027, 2, 6), "春节"), (date(2026, 2, 6), "")],
                           workdays=[(date(2027, 2, 6), ""), (date(2027, 2, 9), "")])
    errors = exc.value.message_dict
    assert len(errors["holidays"]) == 1 and len(errors["workdays"]) == 2
    assert not CalendarYear.objects.filter(year=2027).exists()
