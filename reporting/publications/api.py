"""The public API of publications: no sign-in, read-only, a stable contract for integrators.

    GET /api/v1/public/publications/          published lists (filters: kind, year, province)
    GET /api/v1/public/publications/{id}/     one list's header, columns and a page of its rows

Rows come a page at a time (``rows_page``, ``rows_page_size``), so a 5,000-row list is never
one huge response; the whole list is also one download away (``pdf_url``, ``xlsx_url``).
A publication that is not published (scheduled, failed, cancelled, withdrawn) is a 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from portal.accounts.permissions import PublicReadOnly

from . import selectors
from .choices import PublicationKind
from .models import Publication

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
DEFAULT_ROWS_PAGE_SIZE = 100
MAX_ROWS_PAGE_SIZE = 1000


def _link(request, param: str, number: int) -> str:
    url = request.build_absolute_uri()
    return remove_query_param(url, param) if number == 1 else replace_query_param(url, param, number)


def _positive(request, name: str, default: int, maximum: int | None, errors: dict) -> int:
    value = request.query_params.get(name)
    if not value:
        return default
    if not (value.isdigit() and int(value) >= 1):
        errors[name] = [_("%(name)s 必须是正整数。") % {"name": name}]
        return default
    return min(int(value), maximum) if maximum else int(value)


def _page(request, qs_or_list, *, count: int | None, page_param: str, size_param: str, default: int,
          maximum: int) -> tuple[dict, list]:
    errors: dict = {}
    number = _positive(request, page_param, 1, None, errors)
    size = _positive(request, size_param, default, maximum, errors)
    if errors:
        raise ValidationError(errors)
    paginator = Paginator(qs_or_list, size)
    if count is not None:
        paginator.count = count
    try:
        page = paginator.page(number)
    except EmptyPage as exc:
        raise NotFound(_("第 %(page)s 页不存在，共 %(pages)s 页。") % {
            "page": number, "pages": paginator.num_pages}) from exc
    meta = {
        "count": paginator.count,
        "next": _link(request, page_param, page.next_page_number()) if page.has_next() else None,
        "previous": _link(request, page_param, page.previous_page_number()) if page.has_previous() else None,
    }
    return meta, list(page.object_list)


def publication_entry(request, publication: Publication) -> dict:
    """The public entry of one publication: the contract, so change it only by adding a version."""
    download = "public_publications:download"
    return {
        "id": publication.pk,
        "number": publication.number,
        "kind": publication.kind,
        "kind_label": str(PublicationKind(publication.kind).label),
        "title": publication.title,
        "province": {"code": publication.province.code, "name": publication.province.name},
        "authority": publication.authority_name,
        "data_as_of": publication.data_as_of,
        "next_update_on": publication.next_update_on,
        "published_at": timezone.localtime(publication.published_at) if publication.published_at else None,
        "row_count": publication.row_count,
        "pdf_url": request.build_absolute_uri(reverse(download, args=[publication.pk, "pdf"]))
        if publication.pdf else None,
        "xlsx_url": request.build_absolute_uri(reverse(download, args=[publication.pk, "xlsx"]))
        if publication.xlsx else None,
        "url": request.build_absolute_uri(publication.get_absolute_url()),
    }


# ---- Documentation of the contract (OpenAPI only) ---------------------------------------

class ProvinceDoc(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code of the province")
    name = serializers.CharField()


class PublicationDoc(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="Document number, e.g. 吉卫职健质控公示〔2026〕3号")
    kind = serializers.ChoiceField(choices=PublicationKind.choices)
    kind_label = serializers.CharField()
    title = serializers.CharField()
    province = ProvinceDoc()
    authority = serializers.CharField(help_text="The publishing authority, as named when published")
    data_as_of = serializers.DateField()
    next_update_on = serializers.DateField(allow_null=True)
    published_at = serializers.DateTimeField()
    row_count = serializers.IntegerField()
    pdf_url = serializers.URLField(allow_null=True)
    xlsx_url = serializers.URLField(allow_null=True)
    url = serializers.URLField(help_text="The public page")


class PublicationPageDoc(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PublicationDoc(many=True)


class ColumnDoc(serializers.Serializer):
    key = serializers.CharField(help_text="Key of the value in each row")
    label = serializers.CharField(help_text="Column heading (Chinese)")
    width = serializers.IntegerField(help_text="Relative width in the printed list")


class RowDoc(serializers.Serializer):
    position = serializers.IntegerField(help_text="Row number (序号), from 1")
    values = serializers.DictField(help_text="Column key -> text, whole number, ISO date or null")


class RowPageDoc(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowDoc(many=True)


class PublicationDetailDoc(PublicationDoc):
    notes = serializers.CharField()
    columns = ColumnDoc(many=True)
    rows = RowPageDoc()


# ---- Views -------------------------------------------------------------------------------

class PublicApiView(APIView):
    authentication_classes: list = []
    permission_classes = [PublicReadOnly]


class PublicPublicationList(PublicApiView):
    """Published lists, newest first. Unknown filter values are refused with 400."""

    @extend_schema(operation_id="public_publications_list", responses=PublicationPageDoc, parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=PublicationKind.values),
        OpenApiParameter("year", OpenApiTypes.INT, description="Year of publication"),
        OpenApiParameter("province", OpenApiTypes.STR, description="GB/T 2260 code of a province, e.g. 220000"),
        OpenApiParameter("page", OpenApiTypes.INT),
        OpenApiParameter("page_size", OpenApiTypes.INT, description=f"At most {MAX_PAGE_SIZE}"),
    ])
    def get(self, request):
        try:
            filters = selectors.parse_public_filters(request.query_params)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        qs = selectors.filter_publications(selectors.public_publications().only(*selectors.LIST_FIELDS), filters)
        meta, items = _page(request, qs, count=None, page_param="page", size_param="page_size",
                            default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        return Response({**meta, "results": [publication_entry(request, p) for p in items]})


class PublicPublicationDetail(PublicApiView):
    """One published list: its header, its columns and one page of its rows."""

    @extend_schema(operation_id="public_publications_retrieve", responses=PublicationDetailDoc, parameters=[
        OpenApiParameter("rows_page", OpenApiTypes.INT, description="Page of rows, from 1"),
        OpenApiParameter("rows_page_size", OpenApiTypes.INT,
                         description=f"Rows per page, default {DEFAULT_ROWS_PAGE_SIZE}, at most {MAX_ROWS_PAGE_SIZE}"),
    ])
    def get(self, request, pk: int):
        publication = selectors.public_publication(pk)
        if publication is None:
            raise NotFound(_("没有这份公示。"))
        meta, rows = _page(request, selectors.publication_rows(publication), count=publication.row_count,
                           page_param="rows_page", size_param="rows_page_size", default=DEFAULT_ROWS_PAGE_SIZE,
                           maximum=MAX_ROWS_PAGE_SIZE)
        return Response({
            **publication_entry(request, publication),
            "notes": publication.notes,
            "columns": publication.columns,
            "rows": {**meta, "results": [{"position": row.position, "values": row.data} for row in rows]},
        })
