from django.shortcuts import render

from portal.accounts.permissions import require_capability

from .models import CalendarYear, SpecialDay
from .selectors import calendar_warnings


@require_capability("workdays.manage")
def calendar_list(request):
    years = CalendarYear.objects.order_by("-year")
    year = request.GET.get("year")
    days = SpecialDay.objects.filter(date__year=int(year)) if year and year.isdigit() else SpecialDay.objects.none()
    return render(request, "workdays/list.html",
                  {"years": years, "days": days, "year": year, "warnings": calendar_warnings()})
