"""The one mechanism that limits every queryset to a user's tenant and jurisdiction.

Each scoped model declares a :class:`ScopeSpec` naming the lookups to its province,
to the region that decides jurisdiction, and to the institution that owns it.
Selectors start from ``Model.objects.restrict(user)``; detail views fetch from that
queryset too, so "not yours" and "not there" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

VIEW = "view"
CHANGE = "change"


@dataclass(frozen=True)
class ScopeSpec:
    province: str | None
    region: str | None = None
    institution: str | None = None


def institution_ids_for(user) -> frozenset[int]:
    """Institutions the user may act for, from django-guardian object permissions.

    Cached on the user object so a page asks once, whatever it lists.
    """
    cached = getattr(user, "_institution_ids_cache", None)
    if cached is not None:
        return cached
    from .models import OrganisationUserObjectPermission

    ids = frozenset(
        OrganisationUserObjectPermission.objects.filter(
            user_id=user.pk,
            permission__codename="act_for_institution",
            content_object__is_active=True,
        ).values_list("content_object_id", flat=True)
    )
    user._institution_ids_cache = ids
    return ids


def region_q(lookup: str, region) -> Q:
    """Rows whose region lies inside ``region`` (itself, or its counties for a city)."""
    from portal.regions.models import RegionLevel

    if region.level == RegionLevel.PROVINCE:
        return Q(**{f"{lookup}__province": region.pk})
    if region.level == RegionLevel.CITY:
        return Q(**{lookup: region.pk}) | Q(**{f"{lookup}__parent": region.pk})
    return Q(**{lookup: region.pk})


def restrict_queryset(qs: models.QuerySet, user, action: str = VIEW) -> models.QuerySet:
    from .choices import Role

    spec: ScopeSpec = qs.model.scope
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    role = user.role
    if role == Role.NATIONAL:
        return qs if action == VIEW else qs.none()
    org = user.organisation
    if org is None or not org.is_active or org.province_id is None:
        return qs.none()
    if spec.province:
        qs = qs.filter(**{spec.province: org.province_id})
    if role == Role.INSTITUTION:
        if not spec.institution:
            return qs.none()
        return qs.filter(**{f"{spec.institution}__in": institution_ids_for(user)})
    region = org.region
    if region is None or spec.region is None or region.level == "province":
        return qs
    return qs.filter(region_q(spec.region, region))


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = VIEW) -> ScopedQuerySet:
        return restrict_queryset(self, user, action)

    def in_province(self, province_id: int) -> ScopedQuerySet:
        return self.filter(**{self.model.scope.province: province_id})


def region_within(region, area) -> bool:
    """Is ``region`` inside ``area`` (same node, or a descendant)?"""
    node = region
    while node is not None:
        if node.pk == area.pk:
            return True
        node = node.parent
    return False


def user_covers_region(user, region) -> bool:
    """Can this authority user see matters located in ``region``?"""
    from .choices import Role

    if user.is_superuser or user.role == Role.NATIONAL:
        return True
    org = user.organisation
    if org is None or not org.is_active or org.region is None or region.province_id != org.province_id:
        return False
    return region_within(region, org.region)


def user_responsible_for_region(user, region) -> bool:
    """Is the user's authority the one that handles matters located in ``region``?

    A county supervised by its city (代管) is handled by the city, not the county.
    """
    org = user.organisation
    if org is None or not org.is_active or org.region is None or region.province_id != org.province_id:
        return False
    return region_within(region.responsible_region, org.region)
