"""Working-day arithmetic on the Chinese statutory calendar.

Deadlines in the rules are counted in working days (工作日): Monday to Friday,
minus statutory holidays, plus the weekend days declared working days (调休).
The schedule is data: seeded from the chinesecalendar package for the years it
knows and extended by administrators as the State Council publishes each year.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from .models import CalendarYear, DayKind, MissingYearLookup, SpecialDay, YearSource

logger = logging.getLogger(__name__)
CACHE_VERSION_KEY = "workdays:version"
_local: dict = {"version": None, "years": {}}


def _version() -> int:
    return cache.get_or_set(CACHE_VERSION_KEY, 1)


def invalidate() -> None:
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.set(CACHE_VERSION_KEY, 2)
    _local["years"] = {}


def _year(year: int) -> tuple[bool, frozenset[date], frozenset[date]]:
    """(known, holidays, adjusted working days) for one year, cached per process."""
    version = _version()
    if _local["version"] != version:
        _local["version"], _local["years"] = version, {}
    data = _local["years"].get(year)
    if data is None:
        known = CalendarYear.objects.filter(year=year).exists()
        days = SpecialDay.objects.filter(date__year=year).values_list("date", "kind")
        holidays = frozenset(d for d, k in days if k == DayKind.HOLIDAY)
        workdays = frozenset(d for d, k in days if k == DayKind.WORKDAY)
        data = (known, holidays, workdays)
        _local["years"][year] = data
        if not known:
            _note_missing(year)
    return data


def _note_missing(year: int) -> None:
    logger.warning("working-day calendar has no schedule for %s; counting Monday-Friday only", year)
    row, created = MissingYearLookup.objects.get_or_create(year=year, defaults={"times": 1})
    if not created:
        MissingYearLookup.objects.filter(pk=row.pk).update(times=F("times") + 1)


def year_is_known(year: int) -> bool:
    return _year(year)[0]


def is_working_day(day: date) -> bool:
    _known, holidays, workdays = _year(day.year)
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    A negative ``days`` counts backwards: ``add_working_days(work_start, -5)`` is the
    last day a 5-working-day notice can be given.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open span (start, end]; negative if end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def add_months(start: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Aug + 3 months = 30 Nov)."""
    import calendar

    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def calendar_seed_from_package() -> dict:
    """Load every year chinesecalendar knows; years an administrator entered are left alone."""
    from chinese_calendar import constants

    manual_years = set(CalendarYear.objects.filter(source=YearSource.MANUAL).values_list("year", flat=True))
    entries: dict[date, tuple[str, str]] = {}
    for day, name in constants.holidays.items():
        entries[day] = (DayKind.HOLIDAY, _name(name))
    for day, name in constants.workdays.items():
        entries[day] = (DayKind.WORKDAY, _name(name))
    package_years = {d.year for d in entries} - manual_years
    existing = {s.date: s for s in SpecialDay.objects.filter(date__year__in=package_years)}
    to_create, to_update = [], []
    for day, (kind, name) in entries.items():
        if day.year not in package_years:
            continue
        row = existing.get(day)
        if row is None:
            to_create.append(SpecialDay(date=day, kind=kind, name=name))
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            to_update.append(row)
    SpecialDay.objects.bulk_create(to_create, batch_size=500)
    SpecialDay.objects.bulk_update(to_update, ["kind", "name"], batch_size=500)
    for year in package_years:
        CalendarYear.objects.update_or_create(year=year, defaults={"source": YearSource.PACKAGE})
    MissingYearLookup.objects.filter(year__in=package_years).delete()
    invalidate()
    return {"years": sorted(package_years), "created": len(to_create), "updated": len(to_update)}


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _name(value) -> str:
    text = getattr(value, "value", value) or ""
    return HOLIDAY_NAMES.get(text, text)


@transaction.atomic
def calendar_year_save(*, actor, year: int, holidays: list[tuple[date, str]], workdays: list[tuple[date, str]],
                       note: str = "") -> CalendarYear:
    """Replace one year's schedule as an administrator enters it from the State Council notice."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from portal.audit.services import audit

    errors = []
    seen = set()
    for day, _label in [*holidays, *workdays]:
        if day.year != year:
            errors.append(_("%(day)s 不属于 %(year)s 年。") % {"day": day, "year": year})
        if day in seen:
            errors.append(_("%(day)s 重复出现。") % {"day": day})
        seen.add(day)
    for day, _label in workdays:
        if day.weekday() < 5:
            errors.append(_("%(day)s 是工作日，不需要登记为调休上班日。") % {"day": day})
    if errors:
        raise ValidationError({"days": errors})
    old = list(SpecialDay.objects.filter(date__year=year).order_by("date").values_list("date", "kind", "name"))
    SpecialDay.objects.filter(date__year=year).delete()
    SpecialDay.objects.bulk_create(
        [SpecialDay(date=d, kind=DayKind.HOLIDAY, name=n) for d, n in holidays]
        + [SpecialDay(date=d, kind=DayKind.WORKDAY, name=n) for d, n in workdays]
    )
    cal, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": YearSource.MANUAL, "note": note}
    )
    MissingYearLookup.objects.filter(year=year).delete()
    audit(actor=actor, obj=cal, action="workdays.year.saved",
          old={"days": [[str(d), k, n] for d, k, n in old]},
          new={"days": [[str(d), DayKind.HOLIDAY, n] for d, n in holidays]
               + [[str(d), DayKind.WORKDAY, n] for d, n in workdays], "note": note})
    invalidate()
    return cal
