from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.permissions import require_capability

from .forms import CalendarYearForm
from .selectors import calendar_warnings, calendar_year_initial, calendar_years, special_days
from .services import calendar_year_save


@require_capability("workdays.manage")
def calendar_list(request):
    year = request.GET.get("year", "")
    selected = int(year) if year.isdigit() else None
    years = list(calendar_years())
    return render(request, "workdays/list.html", {
        "years": years,
        "year": selected,
        "selected": next((y for y in years if y.year == selected), None),
        "days": special_days(year=selected) if selected else [],
        "warnings": calendar_warnings(),
    })


@require_capability("workdays.manage")
def calendar_year_edit(request, year: int | None = None):
    """Enter a new year's schedule, or replace an existing one, from the State Council notice."""
    initial = calendar_year_initial(year=year) if year else {}
    form = CalendarYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cal = calendar_year_save(actor=request.user, **form.schedule())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已保存 %(year)s 年的节假日安排。") % {"year": cal.year})
            return redirect(f"{reverse('workdays:list')}?year={cal.year}")
    existing = calendar_years().filter(year=year).first() if year else None
    return render(request, "workdays/year_form.html", {"form": form, "year": year, "existing": existing})
