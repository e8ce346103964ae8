"""Reads of the ledger. Every list, page and export starts from :func:`visible_entries`.

Escalation [241-5]: supervision bodies (卫生监督) follow up what the QC centers and
commissions could not settle. They see, within their jurisdiction, the entries that are
overdue (due date passed, not closed), closed late, refused or failed, and the entries
their own organisation raised; the other authorities see every entry of their jurisdiction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.accounts.scoping import VIEW
from portal.regions.models import Region, RegionLevel

from .choices import AWAITING_INSTITUTION, FINAL_STATUSES, SEVERITY_RANK, UNRECTIFIED_STATUSES, LedgerStatus
from .models import CaseReportCheck, CaseReportProblem, LedgerEntry, LedgerStep

MAIN_PROBLEMS = 5


def overdue_q(today: date | None = None) -> Q:
    """Overdue: the due date has passed and the entry is not closed."""
    return Q(due_on__lt=today or timezone.localdate()) & ~Q(status=LedgerStatus.CLOSED)


def escalated_q(today: date | None = None) -> Q:
    return (overdue_q(today) | Q(status__in=UNRECTIFIED_STATUSES)
            | Q(closed_on__isnull=False, closed_on__gt=F("due_on")))


def visible_entries(user, action: str = VIEW) -> QuerySet[LedgerEntry]:
    """The one scoped queryset of entries: tenant and jurisdiction, and escalation for supervision."""
    qs = LedgerEntry.objects.restrict(user, action)
    region = _jurisdiction_below_province(user)
    if region is not None:
        # Says again what restrict() says through a join (region or its parent), with the area's ids:
        # PostgreSQL then reads only the rows of the area, not the whole province.
        qs = _within_region(qs, region)
    if user is not None and user.is_authenticated and user.role == Role.SUPERVISION:
        qs = qs.filter(escalated_q() | Q(opened_by_organisation_id=user.organisation_id))
    return qs


def _jurisdiction_below_province(user) -> Region | None:
    if user is None or not user.is_authenticated or user.is_superuser or user.role in (Role.NATIONAL, Role.INSTITUTION):
        return None
    org = user.organisation
    region = org.region if org is not None else None
    return region if region is not None and region.level != RegionLevel.PROVINCE else None


@dataclass(frozen=True)
class LedgerFilters:
    """What the list, the export and the API narrow the ledger by; empty values filter nothing."""

    status: str = ""
    source: str = ""
    severity: str = ""
    due_from: date | None = None
    due_to: date | None = None
    overdue_only: bool = False
    # Not yet closed, refused or failed (the dashboards' "not settled" figure).
    open_only: bool = False
    region: Region | None = None
    # The region and its counties when the caller already holds them (the list page does): literal ids
    # let PostgreSQL estimate the share of rows and keep the ordered index scan.
    region_ids: tuple[int, ...] = ()
    institution_name: str = ""
    institution_id: int | None = None

    @classmethod
    def of(cls, filters: LedgerFilters | Mapping | None) -> LedgerFilters:
        if filters is None:
            return cls()
        if isinstance(filters, LedgerFilters):
            return filters
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in filters.items() if k in names and v not in (None, "")})


def _within_region(qs: QuerySet[LedgerEntry], region: Region) -> QuerySet[LedgerEntry]:
    """Entries located in ``region``: a province, a city with its counties, or one county.

    The ids are literal (one small query for a city's counties): with them PostgreSQL estimates
    the share of rows right and walks the due-date index in order instead of sorting the area.
    """
    if region.level == RegionLevel.PROVINCE:
        return qs.filter(province_id=region.pk)
    if region.level == RegionLevel.CITY:
        counties = Region.objects.filter(parent_id=region.pk).values_list("pk", flat=True)
        return qs.filter(region_id__in=[region.pk, *counties])
    return qs.filter(region_id=region.pk)


def ledger_entries(user, filters: LedgerFilters | Mapping | None = None) -> QuerySet[LedgerEntry]:
    """The entries the user may see, narrowed by ``filters``, by due date (the most urgent first)."""
    f = LedgerFilters.of(filters)
    qs = visible_entries(user)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.due_from:
        qs = qs.filter(due_on__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(due_on__lte=f.due_to)
    if f.overdue_only:
        qs = qs.filter(overdue_q())
    if f.open_only:
        qs = qs.exclude(status__in=FINAL_STATUSES)
    if f.region_ids:
        qs = qs.filter(region_id__in=f.region_ids)
    elif f.region is not None:
        qs = _within_region(qs, f.region)
    if f.institution_id:
        qs = qs.filter(institution_id=f.institution_id)
    if f.institution_name:
        # The matching institutions first (one small query): PostgreSQL cannot estimate how many names
        # a substring matches, and guessing "one" made it read the area's entries institution by institution.
        named = (Organisation.objects.restrict(user).filter(kind=OrgKind.INSTITUTION,
                                                            name__icontains=f.institution_name.strip())
                 .values_list("pk", flat=True))
        qs = qs.filter(institution_id__in=list(named))
    # region__parent__parent: the list prints the full region name (county, city, province).
    return qs.select_related("institution", "region__parent__parent").order_by("due_on", "pk")


def entries_page(entries: QuerySet[LedgerEntry], number, per_page: int) -> Page:
    """One page of ``entries`` (from :func:`ledger_entries`) in two steps within one statement: the
    page's ids by the filters and the order alone, then those rows with their institution and regions,
    so the joins touch one page of rows however many match."""
    page = Paginator(entries.select_related(None), per_page).get_page(number)
    page.object_list = list(entries.filter(pk__in=page.object_list.values("pk")))
    return page


def entry_with_timeline(user, pk: int) -> LedgerEntry:
    """One entry the user may see, with its steps and their files (DoesNotExist when not theirs)."""
    steps = LedgerStep.objects.prefetch_related("evidence__file").order_by("at", "pk")
    return (visible_entries(user)
            .select_related("institution", "region__parent__parent", "opened_by_organisation", "province")
            .prefetch_related(Prefetch("steps", queryset=steps))
            .get(pk=pk))


def entries_for_source(user, source_object) -> QuerySet[LedgerEntry]:
    """The entries raised from one record of another app (an assessment, a verification...)."""
    content_type = ContentType.objects.get_for_model(source_object)
    return ledger_entries(user).filter(source_type=content_type, source_id=str(source_object.pk))


def my_entries(user) -> QuerySet[LedgerEntry]:
    """An institution's own entries: those waiting for its answer first, then by due date."""
    waiting = Case(When(status__in=AWAITING_INSTITUTION, then=Value(0)), default=Value(1))
    return ledger_entries(user).annotate(waiting=waiting).order_by("waiting", "due_on", "pk")


def _province_id(province) -> int:
    return province.pk if isinstance(province, Region) else int(province)


def _overdue_counts(qs: QuerySet[LedgerEntry]) -> dict[int, int]:
    rows = qs.filter(overdue_q()).order_by().values("institution_id").annotate(n=Count("id"))
    return {row["institution_id"]: row["n"] for row in rows}


def overdue_counts_by_institution(province) -> dict[int, int]:
    """Institution id -> number of its overdue entries in the province (counted against it)."""
    return _overdue_counts(LedgerEntry.objects.in_province(_province_id(province)))


@dataclass
class UnrectifiedInstitution:
    """An institution that refused to rectify or failed to, with its main problems, most serious first."""

    institution_id: int
    name: str
    region_name: str
    refused: int = 0
    failed: int = 0
    main_problems: list[str] = field(default_factory=list)


def _unrectified(qs: QuerySet[LedgerEntry]) -> list[UnrectifiedInstitution]:
    rows = (qs.filter(status__in=UNRECTIFIED_STATUSES).select_related("institution", "region__parent__parent")
            .only("institution__name", "region__name", "region__parent__name", "region__parent__parent__name",
                  "status", "severity", "description", "due_on")
            .order_by("institution__name", "institution_id", "due_on", "pk"))
    found: dict[int, UnrectifiedInstitution] = {}
    problems: dict[int, list[tuple[int, date, str]]] = {}
    for entry in rows:
        item = found.get(entry.institution_id)
        if item is None:
            item = found[entry.institution_id] = UnrectifiedInstitution(
                institution_id=entry.institution_id, name=entry.institution.name, region_name=entry.region.full_name)
            problems[entry.institution_id] = []
        if entry.status == LedgerStatus.REFUSED:
            item.refused += 1
        else:
            item.failed += 1
        problems[entry.institution_id].append((SEVERITY_RANK.get(entry.severity, 9), entry.due_on,
                                               entry.description))
    for pk, item in found.items():
        item.main_problems = [text for _rank, _due, text in sorted(problems[pk])[:MAIN_PROBLEMS]]
    return list(found.values())


def refused_or_failed_institutions(province) -> list[UnrectifiedInstitution]:
    """Candidates for the published refused-to-rectify list (拒不整改或整改不到位名单) [241-5]."""
    return _unrectified(LedgerEntry.objects.in_province(_province_id(province)))


@dataclass
class InstitutionTally:
    institution_id: int
    name: str
    total: int
    pending: int
    overdue: int
    unrectified: int


def institution_tallies(user, *, limit: int = 200) -> list[InstitutionTally]:
    """Per institution in the user's reach: entries, not yet closed, overdue, refused or failed; one query."""
    not_closed = ~Q(status=LedgerStatus.CLOSED)
    rows = (visible_entries(user).order_by().values("institution_id", "institution__name")
            .annotate(total=Count("id"), pending=Count("id", filter=not_closed & ~Q(status__in=UNRECTIFIED_STATUSES)),
                      overdue=Count("id", filter=overdue_q()),
                      unrectified=Count("id", filter=Q(status__in=UNRECTIFIED_STATUSES)))
            .filter(Q(overdue__gt=0) | Q(unrectified__gt=0) | Q(pending__gt=0))
            .order_by("-overdue", "-unrectified", "institution__name")[:limit])
    return [InstitutionTally(institution_id=r["institution_id"], name=r["institution__name"], total=r["total"],
                             pending=r["pending"], overdue=r["overdue"], unrectified=r["unrectified"]) for r in rows]


def unrectified_for(user) -> list[UnrectifiedInstitution]:
    return _unrectified(visible_entries(user))


def status_counts(user) -> dict[str, int]:
    rows = visible_entries(user).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


# ---- Choices for forms ---------------------------------------------------------------------------

def institutions_within(user) -> QuerySet[Organisation]:
    """Active institutions an authority may put on the ledger: its tenant and jurisdiction."""
    return (Organisation.objects.restrict(user).filter(kind=OrgKind.INSTITUTION, is_active=True)
            .select_related("region").order_by("name", "pk"))


def filter_regions(user) -> QuerySet[Region]:
    """Regions offered by the list's region filter: those inside the user's jurisdiction."""
    if user.is_superuser or user.role == Role.NATIONAL:
        return Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code")
    org = user.organisation
    if org is None or org.region is None or org.province_id is None:
        return Region.objects.none()
    qs = Region.objects.filter(province_id=org.province_id).exclude(level=RegionLevel.PROVINCE)
    if org.region.level == RegionLevel.CITY:
        qs = qs.filter(Q(pk=org.region_id) | Q(parent_id=org.region_id))
    elif org.region.level == RegionLevel.COUNTY:
        qs = qs.filter(pk=org.region_id)
    # parent__parent: a county is labelled with its full name (province, city, county).
    return qs.select_related("parent__parent").order_by("code")


# ---- Case-report spot checks ----------------------------------------------------------------------

def case_report_checks(user) -> QuerySet[CaseReportCheck]:
    return (CaseReportCheck.objects.restrict(user)
            .select_related("institution", "region__parent__parent", "checked_by_organisation")
            .annotate(problem_count=Count("problems"), opened_count=Count("problems__ledger_entry"))
            .order_by("-sample_date", "-pk"))


def case_report_check_detail(user, pk: int) -> CaseReportCheck:
    problems = CaseReportProblem.objects.select_related("ledger_entry").order_by("order", "pk")
    return (CaseReportCheck.objects.restrict(user)
            .select_related("institution", "region__parent__parent", "checked_by_organisation", "checked_by")
            .prefetch_related(Prefetch("problems", queryset=problems))
            .get(pk=pk))
