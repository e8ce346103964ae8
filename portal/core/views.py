import logging

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal.accounts.choices import Role
from portal.accounts.permissions import has_capability

logger = logging.getLogger(__name__)

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
    context["home_panels"] = home_panels(request)
    return render(request, template, context)


def home_panels(request) -> list[dict]:
    """Panels the apps add to the home page, in INSTALLED_APPS order.

    An app config offers ``home_panels(request) -> list[dict]``, each dict naming the ``template``
    to include with its own figures (reporting's dashboards do): the portal names no domain app.
    """
    panels = []
    for config in apps.get_app_configs():
        provider = getattr(config, "home_panels", None)
        if callable(provider):
            panels.extend(provider(request) or ())
    return panels


def public_home(request):
    return render(request, "core/public_home.html")


@never_cache
@require_safe
def healthz(request):
    """For the container health check and load balancers: the database and the cache answer.

    Public, so it says only ok or error per dependency; the reason goes to the log.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        logger.exception("healthz: database check failed")
        checks["database"] = "error"
    try:
        # With REDIS_URL the cache is Redis, which is also the Celery broker.
        cache.set("healthz", "ok", timeout=10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error"
    except Exception:  # the Redis client raises its own errors, not OSError
        logger.exception("healthz: cache check failed")
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
