"""Pages: a person's own reminders, and the province's reminder schedule."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.permissions import has_capability, require_capability
from portal.regions.models import Region, RegionLevel

from .forms import ReminderScheduleForm
from .registry import kind_label, sources
from .selectors import reminder_schedule_for, reminders_for, schedule_from_row
from .services import reminder_schedule_update
from .stages import stage_label


def _date_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_capability("portal.home")
def reminder_list(request):
    digest_date = _date_param(request.GET.get("date", ""))
    rows = reminders_for(user=request.user, digest_date=digest_date).only(
        "kind", "title", "url", "due_date", "stage", "scan_date", "sent_at")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    sources()  # loads the labels of every kind
    for reminder in page:
        reminder.kind_label = kind_label(reminder.kind)
        reminder.stage_label = stage_label(reminder.stage)
    return render(request, "reporting/reminders/list.html", {
        "page": page, "digest_date": digest_date,
        "query": f"date={digest_date.isoformat()}" if digest_date else "",
        "can_manage": has_capability(request.user, "reporting.manage_reminders"),
    })


def _province_for(request) -> Region | None:
    """Own province; a platform administrator picks one with ``?province=``."""
    user = request.user
    if not user.is_superuser:
        return user.organisation.province
    code = request.GET.get("province", "")
    return Region.objects.filter(level=RegionLevel.PROVINCE, code=code).first() if code else None


@require_capability("reporting.manage_reminders")
def reminder_schedule_edit(request):
    province = _province_for(request)
    if province is None:
        return render(request, "reporting/reminders/schedule.html", {
            "province": None, "provinces": Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code"),
        })
    current = schedule_from_row(reminder_schedule_for(province_id=province.pk))
    form = ReminderScheduleForm(request.POST or None, initial={
        "days_before": ", ".join(str(d) for d in current.days_before),
        "on_due_day": current.on_due_day,
        "overdue_every_days": current.overdue_every_days,
    })
    if request.method == "POST" and form.is_valid():
        try:
            reminder_schedule_update(province=province, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已保存 %(province)s 的期限提醒设置。") % {"province": province.name})
            target = reverse("reporting:reminder-schedule")
            return redirect(f"{target}?province={province.code}" if request.user.is_superuser else target)
    return render(request, "reporting/reminders/schedule.html", {
        "province": province, "form": form, "kinds": [str(s.label) for s in sources()],
    })
