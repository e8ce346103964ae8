"""Working-day arithmetic on the Chinese statutory calendar.

Deadlines in the rules are counted in working days (工作日): Monday to Friday,
minus statutory holidays, plus the weekend days declared working days (调休).
The schedule is data: seeded from the chinesecalendar package for the years it
knows and extended by administrators as the State Council publishes each year.
"""

from __future__ import annotations

import calendar
import logging
import time
import uuid
from datetime import date, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .models import CalendarYear, DayKind, MissingYearLookup, SpecialDay, YearSource

logger = logging.getLogger(__name__)
CACHE_VERSION_KEY = "workdays:version"
# Daily scans call is_working_day about a million times; asking the shared cache on every
# call would cost a round trip each. Other processes see an administrator's change after
# at most this many seconds; the process that made it sees it at once.
VERSION_CHECK_SECONDS = 10.0
_local: dict = {"version": None, "years": {}, "check_after": 0.0}


def _new_version() -> str:
    # A random token, not a counter: if the key is evicted, every process reloads
    # instead of an old number coming back and matching stale data.
    return uuid.uuid4().hex


def _version() -> str:
    return cache.get_or_set(CACHE_VERSION_KEY, _new_version, timeout=None)


def invalidate() -> None:
    """Drop the cached schedule here at once and, through the shared cache, in every process."""
    cache.set(CACHE_VERSION_KEY, _new_version(), timeout=None)
    _local["version"], _local["years"], _local["check_after"] = None, {}, 0.0


def _invalidate_now_and_on_commit() -> None:
    # Now, so that this process sees the change; again after commit, so that a process
    # that reloaded the old rows before the commit does not keep them.
    invalidate()
    transaction.on_commit(invalidate)


def _fresh_years() -> dict:
    now = time.monotonic()
    if _local["version"] is None or now >= _local["check_after"]:
        version = _version()
        if version != _local["version"]:
            _local["version"], _local["years"] = version, {}
        _local["check_after"] = now + VERSION_CHECK_SECONDS
    return _local["years"]


def _year(year: int) -> tuple[bool, frozenset[date], frozenset[date]]:
    """(known, holidays, adjusted working days) for one year, cached per process.

    An unknown year is loaded, and so recorded as missing, once per process until the
    schedule changes, not once per call.
    """
    years = _fresh_years()
    data = years.get(year)
    if data is None:
        known = CalendarYear.objects.filter(year=year).exists()
        days = list(SpecialDay.objects.filter(date__year=year).values_list("date", "kind"))
        holidays = frozenset(d for d, k in days if k == DayKind.HOLIDAY)
        workdays = frozenset(d for d, k in days if k == DayKind.WORKDAY)
        data = (known, holidays, workdays)
        years[year] = data
        if not known:
            _note_missing(year)
    return data


def _note_missing(year: int) -> None:
    """Record that a deadline fell in a year without a schedule (shown to administrators)."""
    logger.warning("working-day calendar has no schedule for %s; counting Monday-Friday only", year)
    try:
        # A savepoint: a failed note must not break the caller's transaction or its deadline.
        with transaction.atomic():
            row, created = MissingYearLookup.objects.get_or_create(year=year, defaults={"times": 1})
            if not created:
                MissingYearLookup.objects.filter(pk=row.pk).update(times=F("times") + 1)
    except DatabaseError:
        logger.exception("could not record the missing calendar year %s", year)


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
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def calendar_seed_from_package() -> dict:
    """Load every year chinesecalendar knows; years an administrator entered are left alone.

    Running it again changes nothing unless the package changed; a day the package no
    longer lists is removed from that package year.
    """
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
    stale = [row.pk for day, row in existing.items() if day not in entries]
    SpecialDay.objects.filter(pk__in=stale).delete()
    SpecialDay.objects.bulk_create(to_create, batch_size=500)
    SpecialDay.objects.bulk_update(to_update, ["kind", "name"], batch_size=500)
    known = set(CalendarYear.objects.filter(year__in=package_years).values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source=YearSource.PACKAGE) for y in sorted(package_years - known)]
    )
    MissingYearLookup.objects.filter(year__in=package_years).delete()
    if to_create or to_update or stale or package_years - known:
        _invalidate_now_and_on_commit()
    return {"years": sorted(package_years), "created": len(to_create), "updated": len(to_update),
            "deleted": len(stale)}


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


def _schedule_errors(*, year: int, holidays: list[tuple[date, str]],
                     workdays: list[tuple[date, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    seen: set[date] = set()
    for field, entries in (("holidays", holidays), ("workdays", workdays)):
        for day, _label in entries:
            if day.year != year:
                errors.setdefault(field, []).append(
                    _("%(day)s 不属于 %(year)s 年。") % {"day": day, "year": year})
            if day in seen:
                errors.setdefault(field, []).append(_("%(day)s 重复出现。") % {"day": day})
            seen.add(day)
    for day, _label in workdays:
        if day.weekday() < 5:
            errors.setdefault("workdays", []).append(
                _("%(day)s 本来就是工作日，不需要登记为调休上班日。") % {"day": day})
    if not holidays:
        errors.setdefault("holidays", []).append(_("请至少录入一个放假日期。"))
    return errors


@transaction.atomic
def calendar_year_save(*, actor, year: int, holidays: list[tuple[date, str]], workdays: list[tuple[date, str]],
                       note: str = "") -> CalendarYear:
    """Replace one year's schedule as an administrator enters it from the State Council notice.

    The year becomes a manual year: seeding from the package never overwrites it again.
    """
    from portal.audit.services import audit

    errors = _schedule_errors(year=year, holidays=holidays, workdays=workdays)
    if errors:
        raise ValidationError(errors)
    # Serialises two administrators saving the same year; a year saved for the first
    # time has no row to lock, and the unique constraints catch that race below.
    cal = CalendarYear.objects.select_for_update().filter(year=year).first()
    old_days = list(SpecialDay.objects.filter(date__year=year).order_by("date").values_list("date", "kind", "name"))
    old = {"days": [[str(d), k, n] for d, k, n in old_days],
           "source": cal.source if cal else None, "note": cal.note if cal else None}
    try:
        with transaction.atomic():
            SpecialDay.objects.filter(date__year=year).delete()
            SpecialDay.objects.bulk_create(
                [SpecialDay(date=d, kind=DayKind.HOLIDAY, name=n) for d, n in sorted(holidays)]
                + [SpecialDay(date=d, kind=DayKind.WORKDAY, name=n) for d, n in sorted(workdays)]
            )
            if cal is None:
                cal = CalendarYear.objects.create(year=year, source=YearSource.MANUAL, note=note)
            else:
                cal.source, cal.note = YearSource.MANUAL, note
                cal.save(update_fields=["source", "note", "updated_at"])
    except IntegrityError as exc:
        raise ValidationError(
            {"year": _("其他管理员正在保存 %(year)s 年的安排，请刷新后重试。") % {"year": year}}
        ) from exc
    MissingYearLookup.objects.filter(year=year).delete()
    new_days = sorted([(d, DayKind.HOLIDAY, n) for d, n in holidays] + [(d, DayKind.WORKDAY, n) for d, n in workdays])
    audit(actor=actor, obj=cal, action="workdays.year.saved", old=old,
          new={"days": [[str(d), k, n] for d, k, n in new_days], "source": YearSource.MANUAL, "note": note})
    _invalidate_now_and_on_commit()
    return cal
