"""Reads of publications. Authority pages start from :func:`publications_for` (scoped to the
user's province; the national level reads every province); the public site, feed and API from
:func:`public_publications` (published ones only: scheduled, failed, cancelled and withdrawn
ones do not exist there)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portal.regions.models import Region, RegionLevel

from .choices import PUBLIC_STATUSES, PublicationKind
from .kinds import collect_rows
from .models import Publication, PublicationRow

# The columns a list of publications shows; the snapshot's columns are read on the detail page only.
LIST_FIELDS = ("province__code", "province__name", "kind", "title", "authority_name", "number", "data_as_of",
               "next_update_on", "published_at", "row_count", "status", "scheduled_for", "year", "pdf", "xlsx")


def publications_for(user) -> QuerySet[Publication]:
    return Publication.objects.restrict(user).select_related("province")


def public_publications() -> QuerySet[Publication]:
    return Publication.objects.filter(status__in=PUBLIC_STATUSES).select_related("province")


def public_publication(pk) -> Publication | None:
    return public_publications().filter(pk=pk).first()


def publication_rows(publication: Publication) -> QuerySet[PublicationRow]:
    return PublicationRow.objects.filter(publication_id=publication.pk).order_by("position").only("position", "data")


def preview_count(publication: Publication) -> int:
    """How many rows the list would hold if it were published now (scheduled ones only)."""
    return len(collect_rows(publication.kind, province_id=publication.province_id, as_of=publication.data_as_of))


@dataclass(frozen=True)
class PublicFilters:
    kind: str = ""
    year: int | None = None
    province: Region | None = None
    params: dict[str, str] = field(default_factory=dict)


def parse_public_filters(params: Mapping[str, str]) -> PublicFilters:
    """The list's filters, or a field-keyed ValidationError naming each unknown value."""
    raw = {key: (params.get(key) or "").strip() for key in ("kind", "year", "province")}
    errors: dict[str, str] = {}
    year = province = None
    if raw["kind"] and raw["kind"] not in PublicationKind.values:
        errors["kind"] = _("公示类型只能是 %(values)s。") % {"values": " / ".join(PublicationKind.values)}
    if raw["year"]:
        if raw["year"].isdigit() and 2000 <= int(raw["year"]) <= 2100:
            year = int(raw["year"])
        else:
            errors["year"] = _("年度应为四位数字，如 2026。")
    if raw["province"]:
        province = Region.objects.filter(code=raw["province"], level=RegionLevel.PROVINCE).first()
        if province is None:
            errors["province"] = _("未知的省级行政区划代码“%(code)s”。") % {"code": raw["province"]}
    if errors:
        raise ValidationError(errors)
    return PublicFilters(kind=raw["kind"], year=year, province=province, params={k: v for k, v in raw.items() if v})


def filter_publications(qs: QuerySet[Publication], filters: PublicFilters) -> QuerySet[Publication]:
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.province is not None:
        qs = qs.filter(province=filters.province)
    return qs.order_by("-published_at", "-pk")


def public_years() -> list[int]:
    return list(public_publications().order_by("-year").values_list("year", flat=True).distinct())


def public_provinces() -> QuerySet[Region]:
    return Region.objects.filter(pk__in=public_publications().values("province_id")).order_by("code")
