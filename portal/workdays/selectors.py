from datetime import date

from django.utils import timezone

from .models import CalendarYear, MissingYearLookup


def calendar_warnings() -> list[dict]:
    """Years someone needed that the calendar does not know, plus next year if missing.

    Shown to administrators so that the schedule is entered before deadlines depend on it.
    """
    known = set(CalendarYear.objects.values_list("year", flat=True))
    warnings = [
        {"year": m.year, "times": m.times, "last_asked_at": m.last_asked_at}
        for m in MissingYearLookup.objects.exclude(year__in=known)
    ]
    next_year = timezone.localdate().year + 1
    if next_year not in known and all(w["year"] != next_year for w in warnings):
        warnings.append({"year": next_year, "times": 0, "last_asked_at": None})
    return sorted(warnings, key=lambda w: w["year"])


def known_years() -> list[int]:
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def today() -> date:
    return timezone.localdate()
