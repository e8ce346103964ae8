from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from portal.accounts.choices import Role
from portal.accounts.permissions import has_capability

# Each role lands on a page that fits it: the template names its tasks.
HOME_TEMPLATES = {
    Role.INSTITUTION: "core/home_institution.html",
    Role.QC_CENTER: "core/home_qc.html",
    Role.COMMISSION_PROVINCE: "core/home_commission.html",
    Role.COMMISSION_CITY: "core/home_commission.html",
    Role.COMMISSION_COUNTY: "core/home_commission.html",
    Role.DISEASE_CONTROL: "core/home_disease_control.html",
    Role.SUPERVISION: "core/home_supervision.html",
    Role.NATIONAL: "core/home_national.html",
    Role.PROVINCE_ADMIN: "core/home_admin.html",
    Role.SYSTEM_ADMIN: "core/home_platform.html",
}


@login_required
def home(request):
    from portal.workdays.selectors import calendar_warnings

    user = request.user
    template = HOME_TEMPLATES.get(user.role, "core/home_none.html")
    context = {"org": user.organisation, "role_label": user.role_label}
    if has_capability(user, "workdays.view_warnings"):
        context["calendar_warnings"] = calendar_warnings()
    return render(request, template, context)


def public_home(request):
    return render(request, "core/public_home.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
