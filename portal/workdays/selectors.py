from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .models import CalendarYear, DayKind, MissingYearLookup, SpecialDay


def calendar_warnings(*, today: date | None = None) -> list[dict]:
    """Years someone needed that the calendar does not know, plus next year if missing.

    Shown to administrators so that the schedule is entered before deadlines depend on it.
    """
    known = set(CalendarYear.objects.values_list("year", flat=True))
    warnings = [
        {"year": m.year, "times": m.times, "first_asked_at": m.first_asked_at, "last_asked_at": m.last_asked_at}
        for m in MissingYearLookup.objects.exclude(year__in=known)
    ]
    next_year = (today or timezone.localdate()).year + 1
    if next_year not in known and all(w["year"] != next_year for w in warnings):
        warnings.append({"year": next_year, "times": 0, "first_asked_at": None, "last_asked_at": None})
    return sorted(warnings, key=lambda w: w["year"])


def known_years() -> list[int]:
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def calendar_years() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.order_by("-year")


def special_days(*, year: int) -> QuerySet[SpecialDay]:
    return SpecialDay.objects.filter(date__year=year).order_by("date")


def calendar_year_initial(*, year: int) -> dict:
    """The edit form's starting text for one year: its note and one line per day."""
    cal = CalendarYear.objects.filter(year=year).first()
    lines: dict[str, list[str]] = {DayKind.HOLIDAY: [], DayKind.WORKDAY: []}
    for day in special_days(year=year):
        lines[day.kind].append(f"{day.date.isoformat()} {day.name}".rstrip())
    return {
        "year": year,
        "note": cal.note if cal else "",
        "holidays": "\n".join(lines[DayKind.HOLIDAY]),
        "workdays": "\n".join(lines[DayKind.WORKDAY]),
    }


def today() -> date:
    return timezone.localdate()
