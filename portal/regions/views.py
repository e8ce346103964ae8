"""The provincial administrator's page for county delegation (代管)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import require_capability

from .models import Region, RegionLevel
from .services import region_set_delegation


def _province_for(request) -> Region | None:
    """Own province; a platform administrator has none and picks one with ``?province=``."""
    user = request.user
    if not user.is_superuser:
        return user.organisation.province
    code = request.GET.get("province") or request.POST.get("province") or ""
    return Region.objects.filter(level=RegionLevel.PROVINCE, code=code).first()


def _delegable_counties(user):
    """Counties under a city (only a city can take a county over), in the user's province."""
    counties = Region.objects.filter(level=RegionLevel.COUNTY, parent__level=RegionLevel.CITY)
    if user.is_superuser:
        return counties
    return counties.filter(province_id=user.organisation.province_id)


@require_capability("accounts.manage_province")
def delegation_list(request):
    province = _province_for(request)
    cities = []
    if province is not None:
        rows = (
            Region.objects.filter(province=province, level__in=[RegionLevel.CITY, RegionLevel.COUNTY])
            .select_related("parent")
            .order_by("code")
        )
        by_city = {r.pk: (r, []) for r in rows if r.level == RegionLevel.CITY}
        for region in rows:
            if region.level == RegionLevel.COUNTY and region.parent_id in by_city:
                by_city[region.parent_id][1].append(region)
        cities = list(by_city.values())
    provinces = Region.objects.filter(level=RegionLevel.PROVINCE) if request.user.is_superuser else None
    return render(request, "regions/delegation.html",
                  {"province": province, "cities": cities, "provinces": provinces})


@require_capability("accounts.manage_province")
@require_POST
def delegation_set(request, code: str):
    county = get_object_or_404(_delegable_counties(request.user), code=code)
    delegated = request.POST.get("supervised_by_city") == "1"
    try:
        region_set_delegation(region=county, supervised_by_city=delegated, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已更新 %(name)s 的代管设置。") % {"name": county.full_name})
    target = reverse("regions:delegation")
    if request.user.is_superuser:
        target += f"?province={county.province.code}"
    return redirect(f"{target}#r{county.code}")
