"""Reads of the public directory (备案机构名录): what anyone may see about filed institutions.

Only filings that are accepted and not cancelled appear, and of those only the current
accepted version's basic data and its items: name, address, region, phone, off-site work,
and each item with its status. Drafts, returned and submitted filings, pending changes,
staff, premises, equipment and documents never leave this module.

One selector serves the page, the API and the exports. A page is two queries whatever its
size: the count with the page of filings, then every item of those filings with its
catalogue names (plus a lookup per filter code given). Nothing is cached, so a status
change shows at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from portal.regions.models import Region, RegionLevel

from .catalogue.choices import ExamCategoryCode
from .catalogue.models import Disease, DiseaseCategory, ExamCategory, ExamItem
from .choices import PUBLIC_FILING_STATUSES, InstitutionKind
from .models import FiledItem, Filing, FilingVersion

MAX_QUERY_LENGTH = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
EXPORT_BATCH_SIZE = 500

TRUE_VALUES = frozenset({"true", "1", "yes", "on"})
FALSE_VALUES = frozenset({"false", "0", "no", "off"})
REGION_CODE = re.compile(r"^\d{6}$")

# A page of the directory takes two statements whatever its size. These are written out rather
# than built by the ORM because they run on every page of the public API and page: compiling
# the equivalent querysets cost more than running them.
#
# ROWS_SQL: the number of matching filings, then the page's filings (a lone row with the count
# when the page is empty). ``{count}`` and ``{ids}`` are the ORM-compiled SQL of the filters
# (directory_ids), so the filters are written once, in the ORM. The page's ids come first as a
# derived table, which its LIMIT keeps the planner from folding in: only the page's filings
# are joined to their versions and regions.
ROWS_SQL = (
    "SELECT m.total, p.* FROM ({count}) AS m LEFT JOIN ("
    "SELECT f.current_version_id, f.filing_number, f.kind, f.filed_on, v.name, v.address, v.phone, "
    "v.off_site, r.code AS region_code, r.name AS region_name "
    "FROM ({ids}) AS page "
    f"JOIN {Filing._meta.db_table} f ON f.id = page.page_id "
    f"JOIN {FilingVersion._meta.db_table} v ON v.id = f.current_version_id "
    f"LEFT JOIN {Region._meta.db_table} r ON r.id = v.region_id"
    ") AS p ON 1 = 1 "
    "ORDER BY p.filing_number"
)
# ITEMS_SQL: every item of the page's versions, in catalogue order. A filed item is an exam item
# or a disease, never both (a check constraint), so COALESCE picks whichever it is.
ITEMS_SQL = (
    "SELECT fi.version_id, fi.status, COALESCE(ei.code, d.code), COALESCE(ei.name, d.name), "
    "COALESCE(ec.code, dc.code), COALESCE(ec.name, dc.name) "
    f"FROM {FiledItem._meta.db_table} fi "
    f"LEFT JOIN {ExamItem._meta.db_table} ei ON ei.id = fi.exam_item_id "
    f"LEFT JOIN {ExamCategory._meta.db_table} ec ON ec.id = ei.category_id "
    f"LEFT JOIN {Disease._meta.db_table} d ON d.id = fi.disease_id "
    f"LEFT JOIN {DiseaseCategory._meta.db_table} dc ON dc.id = d.category_id "
    "WHERE fi.version_id IN ({placeholders}) "
    'ORDER BY fi.version_id, COALESCE(ec."order", dc."order"), COALESCE(ei."order", d."order"), fi.id'
)
NO_COUNT = "SELECT NULL AS total"


class PageOutOfRange(Exception):
    """The requested page lies beyond the last one."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


@dataclass
class DirectoryPage:
    """One page of entries with what pagination links need (the names Django's Page uses)."""

    count: int
    number: int
    page_size: int
    entries: list[dict]

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def paginator(self) -> DirectoryPage:
        return self

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


@dataclass(frozen=True)
class DirectoryQuery:
    """Validated filters of the directory. ``params`` keeps the values as given, for links."""

    q: str = ""
    region: Region | None = None
    kind: str = ""
    exam_category_id: int | None = None
    disease_category_id: int | None = None
    category_entry_ids: tuple[int, ...] = ()  # the exam items or diseases of the chosen category
    exam_item_id: int | None = None
    disease_id: int | None = None
    off_site: bool | None = None
    params: dict[str, str] = field(default_factory=dict)


def _category(code: str) -> dict | None:
    """The category's id and the ids of its entries, which the filter then matches by index;
    None when no category has this code."""
    rows = list(ExamItem.objects.filter(category__code=code).order_by().values_list("category_id", "pk"))
    if rows:
        return {"exam_category_id": rows[0][0], "category_entry_ids": tuple(pk for _c, pk in rows)}
    rows = list(Disease.objects.filter(category__code=code).order_by().values_list("category_id", "pk"))
    if rows:
        return {"disease_category_id": rows[0][0], "category_entry_ids": tuple(pk for _c, pk in rows)}
    # A category without entries yet: known, but nothing can be filed under it.
    for model, key in ((ExamCategory, "exam_category_id"), (DiseaseCategory, "disease_category_id")):
        pk = model.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is not None:
            return {key: pk, "category_entry_ids": ()}
    return None


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValueError(value)


def parse_directory_query(params: Mapping[str, str]) -> DirectoryQuery:
    """Check every filter and resolve codes to rows; raise a field-keyed ValidationError naming
    each unknown value, so that a mistyped code never looks like an empty directory."""
    raw = {key: (params.get(key) or "").strip()
           for key in ("q", "region", "kind", "category", "item", "off_site")}
    errors: dict[str, str] = {}
    found: dict = {}
    if len(raw["q"]) > MAX_QUERY_LENGTH:
        errors["q"] = _("查询词不能超过%(n)s个字。") % {"n": MAX_QUERY_LENGTH}
    if raw["region"]:
        region = (Region.objects.filter(code=raw["region"]).first()
                  if REGION_CODE.match(raw["region"]) else None)
        if region is None:
            errors["region"] = _("未知的行政区划代码“%(code)s”，请使用 GB/T 2260 六位代码。") % {"code": raw["region"]}
        found["region"] = region
    if raw["kind"] and raw["kind"] not in InstitutionKind.values:
        errors["kind"] = _("机构类型只能是 %(values)s。") % {"values": " / ".join(InstitutionKind.values)}
    if raw["category"]:
        category = _category(raw["category"])
        if category is None:
            errors["category"] = _("未知的类别代码“%(code)s”。") % {"code": raw["category"]}
        else:
            found.update(category)
    if raw["item"]:
        exam = ExamItem.objects.filter(code=raw["item"]).values_list("pk", flat=True).first()
        disease = (None if exam else Disease.objects.filter(code=raw["item"])
                   .values_list("pk", flat=True).first())
        if exam is None and disease is None:
            errors["item"] = _("未知的项目代码“%(code)s”，请使用带标准版本的代码，如 GBZ188-2014:6.1。") % {
                "code": raw["item"]}
        found["exam_item_id"], found["disease_id"] = exam, disease
    if raw["off_site"]:
        try:
            found["off_site"] = _flag(raw["off_site"])
        except ValueError:
            errors["off_site"] = _("off_site 只能是 true 或 false。")
    if errors:
        raise ValidationError(errors)
    return DirectoryQuery(q=raw["q"], kind=raw["kind"], params={k: v for k, v in raw.items() if v}, **found)


def public_filings() -> QuerySet[Filing]:
    """Every filing the public may see: accepted, not cancelled, with an accepted version."""
    return Filing.objects.filter(status__in=PUBLIC_FILING_STATUSES, current_version__isnull=False)


def _filed_with(**lookup) -> QuerySet:
    """Versions with a matching filed item; matched by the item's own index, not per filing."""
    return FiledItem.objects.filter(**lookup).values("version_id")


def _region_and_below(region: Region) -> QuerySet:
    """The region and every region beneath it (a province's own row points at itself)."""
    if region.level == RegionLevel.PROVINCE:
        return Region.objects.filter(province_id=region.pk).values("pk")
    if region.level == RegionLevel.CITY:
        return Region.objects.filter(Q(pk=region.pk) | Q(parent_id=region.pk)).values("pk")
    return Region.objects.filter(pk=region.pk).values("pk")


def directory_filings(query: DirectoryQuery | None = None) -> QuerySet[Filing]:
    """The public filings matching ``query``, in filing-number order (stable across pages)."""
    query = query or DirectoryQuery()
    qs = public_filings()
    if query.q:
        qs = qs.filter(Q(current_version__name__icontains=query.q) | Q(filing_number__iexact=query.q))
    if query.region is not None:
        # A province or city includes every region beneath it. The region ids are a subquery, so
        # that the filing table is not joined to the whole region tree to test "x or its parent".
        qs = qs.filter(current_version__region_id__in=_region_and_below(query.region))
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.off_site is not None:
        qs = qs.filter(current_version__off_site=query.off_site)
    if query.exam_category_id is not None:
        qs = qs.filter(current_version_id__in=_filed_with(exam_item_id__in=query.category_entry_ids))
    if query.disease_category_id is not None:
        qs = qs.filter(current_version_id__in=_filed_with(disease_id__in=query.category_entry_ids))
    if query.exam_item_id:
        qs = qs.filter(current_version_id__in=_filed_with(exam_item_id=query.exam_item_id))
    if query.disease_id:
        qs = qs.filter(current_version_id__in=_filed_with(disease_id=query.disease_id))
    return qs.order_by("filing_number")


def directory_ids(query: DirectoryQuery | None = None) -> QuerySet:
    """Primary keys of the matching filings, in order: PAGE_SQL counts and slices these.

    Counting and slicing touch only the filing table (and the item table for item
    filters); versions, regions and items are joined for the page's filings alone.
    """
    return directory_filings(query).annotate(page_id=F("pk")).values_list("page_id", flat=True)


def _fetch(ids: QuerySet, *, limit: int, offset: int = 0, count: bool = True) -> tuple[int | None, list[dict]]:
    """A slice of ``ids`` as public entries: (number of matching filings, or None, and the entries)."""
    try:
        ids_sql, ids_params = ids.query.sql_with_params()
        count_sql, count_params = ids.order_by().query.sql_with_params() if count else (NO_COUNT, ())
    except EmptyResultSet:  # a filter that can match nothing, e.g. a category without entries
        return (0 if count else None), []
    if count:
        count_sql = f"SELECT COUNT(*) AS total FROM ({count_sql}) AS matching"
    sql = ROWS_SQL.format(count=count_sql, ids=f"{ids_sql} LIMIT {int(limit)} OFFSET {int(offset)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*count_params, *ids_params])
        rows = cursor.fetchall()
        total = rows[0][0]
        rows = [row[1:] for row in rows if row[1] is not None]
        categories = _items_by_version(cursor, [row[0] for row in rows]) if rows else {}
    return total, [_entry(row, categories.get(row[0], [])) for row in rows]


def _items_by_version(cursor, version_ids: list[int]) -> dict[int, list[dict]]:
    """Every filed item of these versions, grouped into categories, in ONE query."""
    cursor.execute(ITEMS_SQL.format(placeholders=", ".join(["%s"] * len(version_ids))), version_ids)
    out: dict[int, list[dict]] = {}
    current_version = current_category = None
    items: list = []
    for version_id, status, code, name, category_code, category_name in cursor.fetchall():
        if version_id != current_version or category_code != current_category:
            current_version, current_category, items = version_id, category_code, []
            out.setdefault(version_id, []).append({"code": category_code, "name": category_name, "items": items})
        items.append({"code": code, "name": name, "status": status})
    return out


def _entry(row: Sequence, categories: list[dict]) -> dict:
    """The public entry: the contract of the API, so change it only by adding a version."""
    _version_id, number, kind, filed_on, name, address, phone, off_site, region_code, region_name = row
    if isinstance(filed_on, str):  # SQLite hands back dates as text and booleans as integers
        filed_on = date.fromisoformat(filed_on)
    return {
        "filing_number": number,
        "name": name,
        "kind": kind,
        "address": address,
        "region": {"code": region_code, "name": region_name} if region_code else None,
        "phone": phone,
        "filed_on": filed_on,
        "off_site": bool(off_site),
        "categories": categories,
    }


def directory_page(query: DirectoryQuery | None = None, *, page: int = 1,
                   page_size: int = DEFAULT_PAGE_SIZE) -> DirectoryPage:
    """One page of matching entries in two queries; PageOutOfRange beyond the last page."""
    count, entries = _fetch(directory_ids(query), limit=page_size, offset=(page - 1) * page_size)
    if page > 1 and not entries:
        raise PageOutOfRange(count)
    return DirectoryPage(count=count, number=page, page_size=page_size, entries=entries)


def directory_entry(filing_number: str) -> dict | None:
    """One public entry, or None when the number is unknown, not yet accepted or cancelled."""
    ids = public_filings().filter(filing_number=filing_number).annotate(page_id=F("pk")) \
        .values_list("page_id", flat=True)
    _count, entries = _fetch(ids, limit=1, count=False)
    return entries[0] if entries else None


def directory_iter(query: DirectoryQuery | None = None, *, batch_size: int = EXPORT_BATCH_SIZE
                   ) -> Iterator[dict]:
    """Every matching entry, read in batches by filing number: two queries per batch."""
    ids = directory_ids(query)
    last = None
    while True:
        _count, batch = _fetch(ids.filter(filing_number__gt=last) if last else ids, limit=batch_size, count=False)
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1]["filing_number"]


# ---- Choices for the directory's filter form -------------------------------------------

class Option(NamedTuple):
    value: str
    label: str
    group: str = ""


def region_options(query: DirectoryQuery | None = None) -> list[Option]:
    """Every province; under the chosen one its cities, under the chosen city its counties.

    One query on the region tree alone, so it costs the same however many filings there are.
    """
    shown = Q(level=RegionLevel.PROVINCE)
    chosen = query.region if query else None
    if chosen is not None:
        shown |= Q(parent_id=chosen.province_id, level=RegionLevel.CITY)
        if chosen.level != RegionLevel.PROVINCE:
            shown |= Q(parent_id=chosen.pk if chosen.level == RegionLevel.CITY else chosen.parent_id)
    regions = Region.objects.filter(shown).order_by("code").values_list("code", "name", "level")
    indent = {RegionLevel.PROVINCE: "", RegionLevel.CITY: "\u3000", RegionLevel.COUNTY: "\u3000\u3000"}
    return [Option(code, indent.get(level, "") + name) for code, name, level in regions]


def category_options() -> list[Option]:
    """The six exam categories (fixed in code), then the disease categories of active disease
    catalogues (one query)."""
    exam = [Option(code, str(label), _("职业健康检查类别")) for code, label in ExamCategoryCode.choices]
    diseases = DiseaseCategory.objects.filter(edition__is_active=True).order_by("edition__code", "order") \
        .values_list("code", "name", "edition__code")
    return exam + [Option(code, f"{name}（{edition}）", _("职业病类别")) for code, name, edition in diseases]


def item_options(query: DirectoryQuery) -> list[Option]:
    """Items of the chosen category from active editions (or only the chosen item): at most one query."""
    if query.exam_category_id:
        qs = ExamItem.objects.filter(category_id=query.exam_category_id, edition__is_active=True) \
            .order_by("edition__code", "order")
    elif query.disease_category_id:
        qs = Disease.objects.filter(category_id=query.disease_category_id).order_by("order")
    elif query.exam_item_id:
        qs = ExamItem.objects.filter(pk=query.exam_item_id)
    elif query.disease_id:
        qs = Disease.objects.filter(pk=query.disease_id)
    else:
        return []
    return [Option(code, f"{name}（{code}）") for code, name in qs.values_list("code", "name")]
