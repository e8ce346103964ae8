"""The public API of the directory: no sign-in, read-only, stable for integrators.

The contract (keys, value sets, ordering) is fixed by filing.public_selectors and tested key
by key. The hot path builds plain dicts from two queries and writes them with orjson; the
serializers below only document the shape in the OpenAPI schema. Responses are served from
filing.public_cache while the directory is unchanged (with an ETag, for conditional GETs).
"""

from __future__ import annotations

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from portal.accounts.permissions import PublicReadOnly

from .. import public_cache
from ..choices import InstitutionKind, ItemStatus
from ..public_selectors import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    DirectoryQuery,
    PageOutOfRange,
    directory_entry,
    directory_page,
    parse_directory_query,
)


class ORJSONRenderer(BaseRenderer):
    """JSON through orjson: dates as ISO strings, UTF-8 without escaping."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=str)


def _json(data) -> HttpResponse:
    """The body as ORJSONRenderer writes it, rendered here so that public_cache can keep it."""
    return HttpResponse(orjson.dumps(data, default=str), content_type="application/json")


def _page_link(request, number: int) -> str:
    """The same links DRF's page-number pagination gives: page 1 has no ``page`` parameter."""
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if number == 1 else replace_query_param(url, "page", number)


def _positive_int(params, name: str, errors: dict) -> None:
    value = params.get(name)
    if value and not (value.isdigit() and int(value) >= 1):
        errors[name] = [_("%(name)s 必须是正整数。") % {"name": name}]


def directory_query_from(request) -> DirectoryQuery:
    """The request's filters, or a 400 naming every parameter with an unknown value."""
    errors: dict = {}
    _positive_int(request.query_params, "page", errors)
    _positive_int(request.query_params, "page_size", errors)
    try:
        query = parse_directory_query(request.query_params)
    except DjangoValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return query


# ---- Documentation of the contract (OpenAPI only) ---------------------------------------

class PublicItemDoc(serializers.Serializer):
    code = serializers.CharField(help_text="Edition-qualified code, e.g. GBZ188-2014:6.1 or OD-2013:1.1")
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=ItemStatus.values)


class PublicCategoryDoc(serializers.Serializer):
    code = serializers.CharField(help_text="Exam category (dust, chemical, ...) or disease category code")
    name = serializers.CharField()
    items = PublicItemDoc(many=True)


class PublicRegionDoc(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code")
    name = serializers.CharField()


class PublicInstitutionDoc(serializers.Serializer):
    filing_number = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=InstitutionKind.values)
    address = serializers.CharField()
    region = PublicRegionDoc(allow_null=True)
    phone = serializers.CharField()
    filed_on = serializers.DateField()
    off_site = serializers.BooleanField()
    categories = PublicCategoryDoc(many=True)


class PublicInstitutionPageDoc(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PublicInstitutionDoc(many=True)


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of the institution's name, or a filing number"),
    OpenApiParameter("region", OpenApiTypes.STR,
                     description="GB/T 2260 code; a province or city includes every region beneath it"),
    OpenApiParameter("category", OpenApiTypes.STR, description="Exam category code or disease category code"),
    OpenApiParameter("item", OpenApiTypes.STR, description="Edition-qualified item or disease code"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=InstitutionKind.values),
    OpenApiParameter("off_site", OpenApiTypes.BOOL),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=f"At most {MAX_PAGE_SIZE}"),
]


class PublicApiView(APIView):
    authentication_classes: list = []
    permission_classes = [PublicReadOnly]
    renderer_classes = [ORJSONRenderer]


class PublicInstitutionList(PublicApiView):
    """Filed institutions, in filing-number order. Unknown filter values are refused with 400."""

    @extend_schema(operation_id="public_institutions_list", parameters=FILTER_PARAMETERS,
                   responses=PublicInstitutionPageDoc)
    @public_cache.cached_api
    def get(self, request):
        query = directory_query_from(request)
        number = int(request.query_params.get("page") or 1)
        size = min(int(request.query_params.get("page_size") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        try:
            page = directory_page(query, page=number, page_size=size)
        except PageOutOfRange as exc:
            raise NotFound(_("第 %(page)s 页不存在，共 %(pages)s 页。") % {
                "page": number, "pages": max(1, -(-exc.count // size))}) from exc
        return _json({
            "count": page.count,
            "next": _page_link(request, page.next_page_number()) if page.has_next() else None,
            "previous": _page_link(request, page.previous_page_number()) if page.has_previous() else None,
            "results": page.entries,
        })


class PublicInstitutionDetail(PublicApiView):
    """One filed institution by its filing number; 404 unless accepted and not cancelled."""

    @extend_schema(operation_id="public_institutions_retrieve", responses=PublicInstitutionDoc)
    @public_cache.cached_api
    def get(self, request, filing_number: str):
        entry = directory_entry(filing_number)
        if entry is None:
            raise NotFound(_("没有该备案编号的已备案机构。"))
        return _json(entry)
