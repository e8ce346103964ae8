"""The public directory pages (/directory/): no sign-in, read-only, same selector as the API.

The list and detail pages are served from filing.public_cache while the directory is unchanged.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal.core.exports import FORMATS, export_response
from portal.regions.models import Region

from . import public_cache
from .choices import InstitutionKind, ItemStatus
from .exporters import DirectoryExporter
from .public_selectors import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Option,
    PageOutOfRange,
    category_options,
    directory_entry,
    directory_page,
    item_options,
    parse_directory_query,
    region_options,
)

STATUS_BADGES = {ItemStatus.ACTIVE: "ok", ItemStatus.SUSPENDED: "warn", ItemStatus.NOT_CAPABLE: "bad"}


def _page_size(params) -> int:
    value = params.get("page_size", "")
    if not value.isdigit() or int(value) < 1:
        return DEFAULT_PAGE_SIZE
    return min(int(value), MAX_PAGE_SIZE)


def _options(options, selected: str) -> str:
    """<option> elements, built in Python: the page renders dozens of them on every request."""
    return mark_safe("".join(  # noqa: S308  every value escaped here
        f'<option value="{escape(o.value)}"{" selected" if o.value == selected else ""}>{escape(o.label)}</option>'
        for o in options))


def _grouped_options(options, selected: str) -> str:
    groups: dict[str, list] = {}
    for option in options:
        groups.setdefault(option.group, []).append(option)
    return mark_safe("".join(  # noqa: S308  labels escaped here, options by _options()
        f'<optgroup label="{escape(group)}">{_options(members, selected)}</optgroup>'
        for group, members in groups.items()))


def _badges(entry: dict) -> str:
    """One badge per category with its item count, a warning one when items are suspended or not capable."""
    badges = []
    for category in entry["categories"]:
        count = len(category["items"])
        inactive = sum(1 for i in category["items"] if i["status"] != ItemStatus.ACTIVE)
        if inactive:
            note = escape(_("%(n)s项暂停或不具备") % {"n": inactive})
            badges.append(f'<span class="badge warn">{escape(category["name"])} {count}（{note}）</span>')
        else:
            badges.append(f'<span class="badge">{escape(category["name"])} {count}</span>')
    return mark_safe(" ".join(badges))  # noqa: S308  names escaped above


@require_safe
@public_cache.cached_page
def directory_list(request):
    values = {key: request.GET.get(key, "") for key in ("q", "region", "kind", "category", "item", "off_site")}
    context = {
        "values": values, "today": timezone.localdate(),
        "kind_options": _options([Option(v, str(label)) for v, label in InstitutionKind.choices], values["kind"]),
        "category_options": _grouped_options(category_options(), values["category"]),
    }
    try:
        query = parse_directory_query(request.GET)
    except ValidationError as exc:
        context["errors"] = [message for messages in exc.message_dict.values() for message in messages]
        context["region_options"] = _options(region_options(), values["region"])
        return render(request, "directory/list.html", context, status=400)
    page_size = _page_size(request.GET)
    number = request.GET.get("page", "")
    number = int(number) if number.isdigit() and int(number) >= 1 else 1
    try:
        page = directory_page(query, page=number, page_size=page_size)
    except PageOutOfRange as exc:  # like Paginator.get_page: past the end shows the last page
        page = directory_page(query, page=max(1, -(-exc.count // page_size)), page_size=page_size)
    entries = page.entries
    params = dict(query.params)
    if page_size != DEFAULT_PAGE_SIZE:
        params["page_size"] = str(page_size)
    kinds = dict(InstitutionKind.choices)
    # One reverse() for the page instead of one per row.
    detail_url = reverse("directory:detail", args=["-"]).removesuffix("-/")
    items = item_options(query)
    context.update(
        page=page, query=urlencode(params), filter_query=urlencode(query.params),
        item_options=_options(items, values["item"]), has_items=bool(items),
        region_options=_options(region_options(query), values["region"]),
        rows=[{
            "entry": e, "url": f"{detail_url}{e['filing_number']}/", "kind": kinds.get(e["kind"], e["kind"]),
            "region": (e["region"] or {}).get("name", ""), "badges": _badges(e),
            "filed_on": e["filed_on"].isoformat() if e["filed_on"] else "",
        } for e in entries],
    )
    return render(request, "directory/list.html", context)


@require_safe
@public_cache.cached_page
def directory_detail(request, filing_number: str):
    entry = directory_entry(filing_number)
    if entry is None:
        raise Http404(_("没有该备案编号的已备案机构。"))
    region = entry["region"]
    region_name = ""
    if region:
        # select_related: full_name walks up to the province.
        node = Region.objects.select_related("parent__parent").filter(code=region["code"]).first()
        region_name = node.full_name if node else region["name"]
    labels = dict(ItemStatus.choices)
    categories = [
        {**c, "items": [{**i, "label": labels.get(i["status"], i["status"]), "badge": STATUS_BADGES.get(i["status"], "")}
                        for i in c["items"]]}
        for c in entry["categories"]
    ]
    return render(request, "directory/detail.html", {
        "entry": entry, "kind": dict(InstitutionKind.choices).get(entry["kind"], entry["kind"]),
        "region_name": region_name, "categories": categories, "today": timezone.localdate(),
    })


@require_safe
def directory_export(request, fmt: str):
    """The current list as filtered, as Excel or CSV (UTF-8 with BOM), dated."""
    if fmt not in FORMATS:
        raise Http404
    try:
        query = parse_directory_query(request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest("\n".join(m for ms in exc.message_dict.values() for m in ms),
                                      content_type="text/plain; charset=utf-8")
    return export_response(DirectoryExporter(query), fmt)
