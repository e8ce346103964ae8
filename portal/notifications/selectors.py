"""Reads: a user's own notifications, and who works where (to address a notification)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import NamedTuple

from django.db.models import QuerySet

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import OrganisationUserObjectPermission, User
from portal.regions.models import RegionLevel

from .models import Notification


def notifications_for(*, user) -> QuerySet[Notification]:
    """The user's own notifications; anyone else's are "not there" (404)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def unread_count(*, user) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).count()


class StaffGroup(NamedTuple):
    """The staff of a province's organisations of one kind, at one level (``None``: any level).

    ``admins_only`` narrows it to the provincial administrators working there.
    """

    kind: str
    level: str | None = None
    admins_only: bool = False


# A role names the organisations whose staff are told: the provincial commission is told
# through all of its staff, its provincial administrators included.
ROLE_GROUPS: dict[str, tuple[StaffGroup, ...]] = {
    Role.PROVINCE_ADMIN: (StaffGroup(OrgKind.HEALTH_COMMISSION, admins_only=True),
                          StaffGroup(OrgKind.QC_CENTER, admins_only=True)),
    Role.QC_CENTER: (StaffGroup(OrgKind.QC_CENTER),),
    Role.COMMISSION_PROVINCE: (StaffGroup(OrgKind.HEALTH_COMMISSION, RegionLevel.PROVINCE),),
    Role.COMMISSION_CITY: (StaffGroup(OrgKind.HEALTH_COMMISSION, RegionLevel.CITY),),
    Role.COMMISSION_COUNTY: (StaffGroup(OrgKind.HEALTH_COMMISSION, RegionLevel.COUNTY),),
    Role.DISEASE_CONTROL: (StaffGroup(OrgKind.DISEASE_CONTROL),),
    Role.SUPERVISION: (StaffGroup(OrgKind.SUPERVISION),),
}


def staff_user_ids(*, province_ids: Iterable[int], groups: Iterable[StaffGroup],
                   region_ids: Collection[int] | None = None) -> dict[tuple[int, StaffGroup], list[int]]:
    """Active users of active organisations, keyed by (province id, group); one query.

    ``region_ids`` keeps only organisations whose own region is one of them (a city's
    commission and its county's, say, for a matter located in that county).
    """
    groups = set(groups)
    province_ids = set(province_ids)
    if not groups or not province_ids:
        return {}
    qs = User.objects.filter(
        is_active=True, organisation__is_active=True, organisation__province_id__in=province_ids,
        organisation__kind__in={g.kind for g in groups},
    )
    if region_ids is not None:
        qs = qs.filter(organisation__region_id__in=region_ids)
    found: dict[tuple[int, StaffGroup], list[int]] = defaultdict(list)
    rows = qs.values_list("pk", "organisation__province_id", "organisation__kind", "organisation__region__level",
                          "is_province_admin").order_by("pk")
    for user_id, province_id, kind, level, is_admin in rows:
        for group in groups:
            if group.kind == kind and (group.level is None or group.level == level) and (
                    is_admin or not group.admins_only):
                found[(province_id, group)].append(user_id)
    return dict(found)


def institution_user_ids(*, organisation_ids: Collection[int] | None = None) -> dict[int, list[int]]:
    """Who acts for each institution, read from the same guardian grant as the scoping; one query.

    A long id list is not sent to the database: reading every grant is cheaper than a huge
    ``IN`` and stays within SQLite's parameter limit.
    """
    qs = OrganisationUserObjectPermission.objects.filter(
        permission__codename="act_for_institution", user__is_active=True, content_object__is_active=True,
    )
    if organisation_ids is not None:
        if not organisation_ids:
            return {}
        if len(organisation_ids) <= 500:
            qs = qs.filter(content_object_id__in=organisation_ids)
    found: dict[int, list[int]] = defaultdict(list)
    for organisation_id, user_id in qs.values_list("content_object_id", "user_id").order_by("user_id"):
        found[organisation_id].append(user_id)
    if organisation_ids is not None:
        wanted = set(organisation_ids)
        return {k: v for k, v in found.items() if k in wanted}
    return dict(found)
