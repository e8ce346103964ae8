"""The figures of the dashboards, each group counted by the database in one query.

Every figure starts from the owning app's scoped selector (the filing queue, the verification
list, the ledger, the off-site list, final official QC results), so a dashboard counts exactly the
rows the list behind it shows. Figures are conditional aggregates (``Count(..., filter=Q(...))``)
grouped in SQL; Python only turns a handful of grouped rows into percentages.

The authorities read their jurisdiction; an institution's staff read their own institution's
matters (the same scoped selectors narrow to it), at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, Exists, F, IntegerField, Min, OuterRef, Q, Subquery, When

from filing.choices import VERSION_OPEN, FilingStatus, InstitutionKind, VersionStatus
from filing.models import Filing, FilingVersion
from filing.selectors import dated_certificates_in_force, dated_equipment_in_force, filings_for, queue_for
from inspections.choices import VERIFICATION_PENDING
from inspections.selectors import upcoming_off_site, verifications_for
from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.regions.models import Region, RegionLevel
from qc.choices import PROVINCIAL_SHARE_PERCENT, AssessmentStatus, CoverageRule
from qc.ledger.choices import FINAL_STATUSES, UNRECTIFIED_STATUSES
from qc.ledger.selectors import overdue_q, visible_entries
from qc.models import QCScheme
from qc.selectors import (
    awaiting_response_q,
    coverage_rule_for,
    final_official_assessments,
    response_assessments_for,
)

# Verifications whose 3-month limit falls within this many days count as due soon.
DUE_SOON_DAYS = 30
# The pass-rate line covers this many years up to the current one.
TREND_YEARS = 5


def percent(part: int, whole: int) -> Decimal | None:
    """One decimal place; ``None`` when there is nothing to divide (the chart shows a gap, not 0 %)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def jurisdiction_level(user) -> str:
    """The level the user oversees: national, province, city or county."""
    if user.is_superuser or user.role == Role.NATIONAL:
        return "national"
    org = user.organisation
    region = org.region if org is not None else None
    return region.level if region is not None else RegionLevel.PROVINCE


# ---- Filings, verifications, ledger, off-site work ----------------------------------------------

def filing_counts(user, *, today: date) -> dict:
    """Submitted versions waiting for a receipt, and those past their receipt date [JL-1.1]."""
    return queue_for(user).order_by().aggregate(
        waiting=Count("pk"), overdue=Count("pk", filter=Q(receipt_due_on__lt=today)))


def verification_counts(user, *, today: date, within: int = DUE_SOON_DAYS) -> dict:
    """Pending on-site verifications due in the next ``within`` days, and those past the limit [241-1]."""
    pending = Q(status__in=VERIFICATION_PENDING)
    return verifications_for(user).order_by().aggregate(
        due=Count("pk", filter=pending & Q(due_on__gte=today, due_on__lte=today + timedelta(days=within))),
        overdue=Count("pk", filter=pending & Q(due_on__lt=today)))


def ledger_counts(user, *, today: date) -> dict:
    """Rectification entries not yet settled, overdue, refused or failed, and the count per status."""
    rows = (visible_entries(user).order_by().values("status")
            .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(today))))
    by_status = {row["status"]: row["n"] for row in rows}
    return {
        "by_status": by_status,
        "open": sum(n for status, n in by_status.items() if status not in FINAL_STATUSES),
        "overdue": sum(row["late"] for row in rows),
        "unrectified": sum(n for status, n in by_status.items() if status in UNRECTIFIED_STATUSES),
    }


def off_site_counts(user, *, today: date) -> dict:
    """Off-site examination work not yet ended, and how much of it starts within a week."""
    return upcoming_off_site(user, on=today).order_by().aggregate(
        upcoming=Count("pk"), this_week=Count("pk", filter=Q(starts_on__lte=today + timedelta(days=7))))


# ---- QC coverage and pass rates -------------------------------------------------------------------

def _programme_institutions(user):
    """Institutions the yearly programme must reach (as qc.selectors.province_institutions), in the
    user's jurisdiction: active, with an accepted examination filing."""
    accepted = Filing.objects.filter(institution_id=OuterRef("pk"), kind=InstitutionKind.EXAMINATION,
                                     status=FilingStatus.ACCEPTED)
    return (Organisation.objects.restrict(user)
            .filter(kind=OrgKind.INSTITUTION, is_active=True).filter(Exists(accepted)))


@dataclass
class CoverageFigures:
    """Coverage of the user's jurisdiction this year against the province's rule [241-4]."""

    rule: str
    year: int
    total: int
    covered: int
    provincial_covered: int = 0
    city_covered: int = 0

    @property
    def percent(self) -> Decimal | None:
        return percent(self.covered, self.total)

    @property
    def provincial_percent(self) -> Decimal | None:
        return percent(self.provincial_covered, self.total)

    @property
    def rule_label(self) -> str:
        return str(CoverageRule(self.rule).label)

    @property
    def required_percent(self) -> int:
        return PROVINCIAL_SHARE_PERCENT if self.rule == CoverageRule.PROVINCIAL_SHARE_CITY_ALL else 100

    @property
    def met(self) -> bool:
        if self.rule == CoverageRule.PROVINCIAL_SHARE_CITY_ALL:
            return (self.city_covered >= self.total
                    and (self.provincial_percent or Decimal(100)) >= PROVINCIAL_SHARE_PERCENT)
        return self.covered >= self.total


def _programme_finals(user, years: list[int]):
    """Final official results of ``years`` for the institutions the programme must reach.

    Counted from the results' side (distinct institutions) rather than with one EXISTS per
    institution: PostgreSQL then scans the year's results once, which stays fast at 5,000 institutions.
    """
    return (final_official_assessments().filter(year__in=years)
            .filter(institution_id__in=_programme_institutions(user).order_by().values("pk")).order_by())


def coverage_figures(user, *, year: int) -> CoverageFigures | None:
    """Three queries: the province's rule, the institutions to reach, and those reached."""
    org = user.organisation
    if org is None or org.province_id is None:
        return None
    rule = coverage_rule_for(org.province_id, year)
    years = [year - 1, year] if rule == CoverageRule.BIENNIAL_ALL else [year]
    total = _programme_institutions(user).order_by().count()
    # Shanxi: a city's institutions are covered by that city's own QC center (the institution's city is
    # its region, or the parent of its county).
    own_city = Q(assessing_body__region__level=RegionLevel.CITY) & (
        Q(assessing_body__region_id=F("institution__region_id"))
        | Q(assessing_body__region_id=F("institution__region__parent_id")))
    aggregates = {"covered": Count("institution_id", distinct=True)}
    if rule == CoverageRule.PROVINCIAL_SHARE_CITY_ALL:  # the joins to the assessing body only when they count
        aggregates["provincial"] = Count("institution_id", distinct=True,
                                         filter=Q(assessing_body__region__level=RegionLevel.PROVINCE))
        aggregates["city"] = Count("institution_id", distinct=True, filter=own_city)
    counts = _programme_finals(user, years).aggregate(**aggregates)
    return CoverageFigures(rule=rule, year=year, total=total, covered=counts["covered"],
                           provincial_covered=counts.get("provincial", 0), city_covered=counts.get("city", 0))


@dataclass
class Rate:
    key: int
    label: str
    total: int
    passed: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.passed, self.total)


def _finals_for(user):
    return final_official_assessments().restrict(user).order_by()


def pass_rate_by_year(user, *, today: date, years: int = TREND_YEARS) -> list[Rate]:
    """Final official assessments passed per year, the last ``years`` years, a gap for a year without any."""
    first = today.year - years + 1
    rows = (_finals_for(user).filter(year__gte=first, year__lte=today.year).values("year")
            .annotate(total=Count("pk"), passed=Count("pk", filter=Q(passed=True))))
    found = {row["year"]: row for row in rows}
    return [Rate(key=y, label=str(y), total=found.get(y, {}).get("total", 0),
                 passed=found.get(y, {}).get("passed", 0)) for y in range(first, today.year + 1)]


def pass_rate_by_area(user, *, year: int) -> list[Rate]:
    """Final official assessments of ``year`` passed, per city (per county for a city's own view)."""
    region = "institution__region"
    if jurisdiction_level(user) in ("national", RegionLevel.PROVINCE):
        # A county's institutions count for its city; one directly under the province stands alone.
        county = Q(**{f"{region}__level": RegionLevel.COUNTY})
        area_id = Case(When(county, then=F(f"{region}__parent_id")), default=F(f"{region}_id"),
                       output_field=IntegerField())
        area_code = Case(When(county, then=F(f"{region}__parent__code")), default=F(f"{region}__code"),
                         output_field=CharField())
        area_name = Case(When(county, then=F(f"{region}__parent__name")), default=F(f"{region}__name"),
                         output_field=CharField())
    else:
        area_id, area_code, area_name = F(f"{region}_id"), F(f"{region}__code"), F(f"{region}__name")
    rows = (_finals_for(user).filter(year=year)
            .annotate(area_id=area_id, area_code=area_code, area_name=area_name)
            .values("area_id", "area_code", "area_name")
            .annotate(total=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
            .order_by("area_code"))
    return [Rate(key=r["area_id"], label=r["area_name"], total=r["total"], passed=r["passed"]) for r in rows]


def latest_year_with_results(trend: list[Rate], default: int) -> int:
    return next((rate.key for rate in reversed(trend) if rate.total), default)


# ---- National: one row per province ----------------------------------------------------------------

@dataclass
class ProvinceRow:
    province: Region
    filings_waiting: int = 0
    filings_overdue: int = 0
    verifications_overdue: int = 0
    ledger_open: int = 0
    ledger_overdue: int = 0
    assessed: int = 0
    passed: int = 0
    institutions: int = 0
    covered: int = 0
    rule: str = CoverageRule.BIENNIAL_ALL

    @property
    def pass_percent(self) -> Decimal | None:
        return percent(self.passed, self.assessed)

    @property
    def coverage_percent(self) -> Decimal | None:
        return percent(self.covered, self.institutions)


@dataclass
class NationalFigures:
    year: int
    rows: list[ProvinceRow] = field(default_factory=list)


def national_by_province(user, *, today: date) -> NationalFigures:
    """Each province's figures side by side: one grouped query per figure group."""
    year = today.year
    rows: dict[int, dict] = {}

    def merge(queryset, key: str, **aggregates):
        for row in queryset.order_by().values(key).annotate(**aggregates):
            rows.setdefault(row[key], {}).update({k: row[k] for k in aggregates})

    merge(queue_for(user), "filing__province_id", filings_waiting=Count("pk"),
          filings_overdue=Count("pk", filter=Q(receipt_due_on__lt=today)))
    merge(verifications_for(user), "province_id",
          verifications_overdue=Count("pk", filter=Q(status__in=VERIFICATION_PENDING, due_on__lt=today)))
    merge(visible_entries(user), "province_id", ledger_open=Count("pk", filter=~Q(status__in=FINAL_STATUSES)),
          ledger_overdue=Count("pk", filter=overdue_q(today)))
    merge(_finals_for(user).filter(year=year), "province_id", assessed=Count("pk"),
          passed=Count("pk", filter=Q(passed=True)))
    # Coverage under each province's own rule: count both the one-year and two-year reach, pick per rule.
    merge(_programme_institutions(user), "province_id", institutions=Count("pk"))
    merge(_programme_finals(user, [year - 1, year]), "province_id",
          covered_year=Count("institution_id", distinct=True, filter=Q(year=year)),
          covered_two=Count("institution_id", distinct=True))
    # Each province's rule is that of its latest scheme up to the year (portable: no DISTINCT ON).
    latest = QCScheme.objects.filter(province_id=OuterRef("province_id"), year__lte=year).order_by("-year")
    rules = dict(QCScheme.objects.filter(year=Subquery(latest.values("year")[:1]))
                 .values_list("province_id", "coverage_rule"))
    provinces = Region.objects.filter(pk__in=[pk for pk in rows if pk is not None]).order_by("code")
    result = NationalFigures(year=year)
    for province in provinces:
        data = rows[province.pk]
        rule = rules.get(province.pk, CoverageRule.BIENNIAL_ALL)
        covered_two, covered_year = data.pop("covered_two", 0), data.pop("covered_year", 0)
        covered = covered_two if rule == CoverageRule.BIENNIAL_ALL else covered_year
        result.rows.append(ProvinceRow(province=province, rule=rule, covered=covered, **data))
    return result


# ---- An institution's own matters ------------------------------------------------------------------
#
# The same scoped selectors as the authorities' figures: for an institution user ``restrict`` keeps the
# rows of the institution its staff act for, so another institution's rows are never there.

@dataclass
class FilingState:
    """One of the institution's filings and the version it has open (draft, submitted or returned)."""

    pk: int
    kind: str
    filing_number: str | None
    status: str
    filed_on: date | None
    current_version_id: int | None
    open_version_id: int | None = None
    open_kind: str | None = None
    open_status: str | None = None
    receipt_due_on: date | None = None


def institution_filings(user) -> list[FilingState]:
    """The institution's filings with their open version, in one query.

    The open version is the one ``filing.services.open_version`` finds: the newest draft, submitted
    or returned version; there is one at a time.
    """
    newest_open = (FilingVersion.objects.filter(filing_id=OuterRef("pk"), status__in=VERSION_OPEN)
                   .order_by("-number"))

    def open_field(name: str) -> Subquery:
        return Subquery(newest_open.values(name)[:1])

    rows = (filings_for(user).order_by("kind", "pk")
            .annotate(open_version_id=open_field("pk"), open_kind=open_field("version_kind"),
                      open_status=open_field("status"), open_receipt_due_on=open_field("receipt_due_on"))
            .values("pk", "kind", "filing_number", "status", "filed_on", "current_version_id",
                    "open_version_id", "open_kind", "open_status", "open_receipt_due_on"))
    return [FilingState(
        pk=r["pk"], kind=r["kind"], filing_number=r["filing_number"], status=r["status"], filed_on=r["filed_on"],
        current_version_id=r["current_version_id"], open_version_id=r["open_version_id"], open_kind=r["open_kind"],
        open_status=r["open_status"],
        receipt_due_on=r["open_receipt_due_on"] if r["open_status"] == VersionStatus.SUBMITTED else None,
    ) for r in rows]


def institution_ledger(user, *, today: date) -> dict:
    """Entries not settled (the list's ``open_only``), of which overdue, and the nearest due date still
    ahead; as the ledger list counts them with the same filters."""
    unsettled = ~Q(status__in=FINAL_STATUSES)
    return visible_entries(user).order_by().aggregate(
        open=Count("pk", filter=unsettled), overdue=Count("pk", filter=unsettled & overdue_q(today)),
        next_due=Min("due_on", filter=unsettled & Q(due_on__gte=today)))


def institution_results(user, *, today: date) -> dict:
    """Results sent to the institution whose response window is still open (as the results list
    filters them), and the latest final result of this or last year."""
    results = response_assessments_for(user).order_by()
    waiting = awaiting_response_q(today)
    figures = results.aggregate(awaiting=Count("pk", filter=waiting),
                                next_due=Min("response_due_on", filter=waiting))
    # Ordered as qc.selectors.latest_final_assessment orders them.
    figures["latest"] = (results.filter(status=AssessmentStatus.FINAL, year__gte=today.year - 1, year__lte=today.year)
                         .order_by("-assessed_on", "-finalised_at", "-pk")
                         .values("pk", "year", "grade", "passed").first())
    return figures


def institution_verification(user) -> dict | None:
    """The institution's on-site verification not yet signed off, the earliest due first."""
    return (verifications_for(user).filter(status__in=VERIFICATION_PENDING).order_by("due_on", "pk")
            .values("pk", "status", "scheduled_on", "due_on").first())


def institution_off_site(user, *, today: date) -> dict:
    """Off-site work not yet ended (the upcoming list), and the next day one starts."""
    return upcoming_off_site(user, on=today).order_by().aggregate(
        upcoming=Count("pk"), next_start=Min("starts_on", filter=Q(starts_on__gte=today)))


@dataclass
class ExpiryFigures:
    """Certificates and calibrations of the current versions past their date, or reaching it soon."""

    certificates_expired: int = 0
    certificates_soon: int = 0
    calibrations_expired: int = 0
    calibrations_soon: int = 0
    # The current versions these are declared on (the version page lists them with their dates).
    version_ids: set[int] = field(default_factory=set)


def institution_expiry(user, *, today: date, within: int = DUE_SOON_DAYS) -> ExpiryFigures:
    """Two grouped queries (one row per current version): expired before ``today``, or expiring from
    ``today`` to ``within`` days ahead."""
    last = today + timedelta(days=within)
    filings = filings_for(user).order_by().values("pk")

    def per_version(rows, *, version: str, date_field: str) -> tuple[int, int, set[int]]:
        """(expired, expiring soon, the versions they are on) for rows reaching their version by ``version``."""
        grouped = list(rows.filter(**{f"{version}__filing__in": filings, f"{date_field}__lte": last})
                       .order_by().values(f"{version}_id")
                       .annotate(expired=Count("pk", filter=Q(**{f"{date_field}__lt": today})),
                                 soon=Count("pk", filter=Q(**{f"{date_field}__gte": today}))))
        return (sum(r["expired"] for r in grouped), sum(r["soon"] for r in grouped),
                {r[f"{version}_id"] for r in grouped})

    certificates = per_version(dated_certificates_in_force(), version="staff__version", date_field="expires_on")
    calibrations = per_version(dated_equipment_in_force(), version="version", date_field="calibration_due_on")
    return ExpiryFigures(certificates_expired=certificates[0], certificates_soon=certificates[1],
                         calibrations_expired=calibrations[0], calibrations_soon=calibrations[1],
                         version_ids=certificates[2] | calibrations[2])
