"""The public site of publications (/publications/): no sign-in; published ones only.

A scheduled, failed, cancelled or withdrawn publication does not exist here (404). A page
of a list costs the same few queries whatever the list's length.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .choices import PublicationKind
from .selectors import PublicFilters

LIST_PAGE_SIZE = 20
ROWS_PAGE_SIZE = 50
FEED_ITEMS = 50
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def publication_list(request):
    errors: list[str] = []
    try:
        filters = selectors.parse_public_filters(request.GET)
    except ValidationError as exc:
        errors = [message for messages in exc.message_dict.values() for message in messages]
        filters = PublicFilters()
    qs = selectors.filter_publications(selectors.public_publications().only(*selectors.LIST_FIELDS), filters)
    page = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "publications/public/list.html", {
        "page": page, "errors": errors, "filters": filters, "kinds": PublicationKind.choices,
        "years": selectors.public_years(), "provinces": selectors.public_provinces(),
        "query": urlencode(filters.params),
    })


def _published(pk: int):
    publication = selectors.public_publication(pk)
    if publication is None:
        raise Http404(_("没有这份公示。"))
    return publication


def publication_detail(request, pk: int):
    publication = _published(pk)
    # The paginator counts with row_count: the snapshot never changes, so no COUNT(*) is needed.
    paginator = Paginator(selectors.publication_rows(publication), ROWS_PAGE_SIZE)
    paginator.count = publication.row_count
    page = paginator.get_page(request.GET.get("page"))
    keys = [column["key"] for column in publication.columns]
    rows = [(row.position, [row.data.get(key) for key in keys]) for row in page.object_list]
    return render(request, "publications/public/detail.html", {
        "publication": publication, "page": page, "rows": rows, "columns": publication.columns,
    })


def publication_download(request, pk: int, fmt: str):
    publication = _published(pk)
    field = getattr(publication, fmt, None) if fmt in CONTENT_TYPES else None
    if not field:
        raise Http404(_("没有这个文件。"))
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("没有这个文件。")) from exc
    # FileResponse writes filename* (RFC 5987) for the Chinese name.
    return FileResponse(handle, as_attachment=True, filename=publication.file_name(fmt),
                        content_type=CONTENT_TYPES[fmt])


class PublicationFeed(Feed):
    """Atom feed of published lists, newest first; /publications/feed/<kind>/ for one kind."""

    feed_type = Atom1Feed
    subtitle = gettext_lazy("各省卫生健康行政部门发布的职业健康检查机构公示名单和通报。")

    def get_object(self, request, kind: str | None = None):
        if kind is not None and kind not in PublicationKind.values:
            raise Http404
        return kind

    def title(self, kind):
        label = _("公示与通报")
        return f"{label} · {PublicationKind(kind).label}" if kind else label

    def link(self, kind):
        base = reverse("public_publications:list")
        return f"{base}?{urlencode({'kind': kind})}" if kind else base

    def feed_url(self, kind):
        return reverse("public_publications:feed-kind", args=[kind]) if kind else reverse("public_publications:feed")

    def items(self, kind):
        qs = selectors.public_publications().only(*selectors.LIST_FIELDS)
        if kind:
            qs = qs.filter(kind=kind)
        return qs.order_by("-published_at", "-pk")[:FEED_ITEMS]

    def item_title(self, item):
        return f"{item.number} {item.title}"

    def item_description(self, item):
        return _("%(authority)s 发布，数据截至 %(as_of)s，共 %(count)s 条。") % {
            "authority": item.authority_name, "as_of": item.data_as_of.isoformat(), "count": item.row_count}

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.authority_name

    def item_categories(self, item):
        return [str(PublicationKind(item.kind).label)]
