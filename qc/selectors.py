"""Reads of the QC app. Lists start from the scoped querysets (``restrict(user)``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode
from filing.choices import FilingStatus, InstitutionKind, ItemStatus
from filing.models import FiledItem, Filing
from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation, User
from portal.regions.models import Region, RegionLevel

from .choices import (
    ASSESSMENT_VISIBLE_TO_INSTITUTION,
    HIGH_VOLUME_WORKERS,
    PROVINCIAL_SHARE_PERCENT,
    SHEET_VERSION_USABLE,
    AssessmentKind,
    AssessmentStatus,
    CoverageRule,
    SheetPart,
)
from .models import Assessment, QCPlan, QCScheme, Score, ScoringSheet, SheetVersion

# Items still filed: a suspended category is exactly what a re-assessment looks at; one found not
# capable has left the institution's scope.
ASSESSED_ITEM_STATUSES = (ItemStatus.ACTIVE, ItemStatus.SUSPENDED)


def sheets_for_user(user) -> QuerySet[ScoringSheet]:
    # prefetch: the list shows every version of every sheet with its status.
    return (ScoringSheet.objects.restrict(user)
            .prefetch_related(Prefetch("versions", queryset=SheetVersion.objects.order_by("-number")))
            .order_by("part", "category", "-is_active", "code"))


def versions_for_user(user) -> QuerySet[SheetVersion]:
    return SheetVersion.objects.restrict(user).select_related("sheet", "sheet__province")


def schemes_for_user(user) -> QuerySet[QCScheme]:
    # prefetch: each scheme shows its grade bands.
    return QCScheme.objects.restrict(user).prefetch_related("bands").order_by("-year")


def assessments_for_user(user) -> QuerySet[Assessment]:
    # select_related/annotate: each row names the institution and counts its sheets.
    return (Assessment.objects.restrict(user).select_related("institution", "scheme")
            .annotate(sheet_count=Count("sheets")).order_by("-year", "-assessed_on", "-pk"))


def examination_filing(institution: Organisation) -> Filing | None:
    """The institution's accepted occupational health examination filing, if any."""
    return (Filing.objects.filter(institution=institution, kind=InstitutionKind.EXAMINATION,
                                  status=FilingStatus.ACCEPTED, current_version__isnull=False)
            .first())


def filed_categories(filing: Filing) -> list[str]:
    """Exam categories of the filing's current version, in catalogue order."""
    codes = set(FiledItem.objects.filter(version_id=filing.current_version_id, exam_item__isnull=False,
                                         status__in=ASSESSED_ITEM_STATUSES)
                .values_list("exam_item__category__code", flat=True))
    return [c for c in ExamCategoryCode.values if c in codes]


def assessable_institutions(user) -> QuerySet[Organisation]:
    """Institutions in the user's reach that hold an accepted examination filing."""
    return (Organisation.objects.restrict(user)
            .filter(kind=OrgKind.INSTITUTION, is_active=True, filings__kind=InstitutionKind.EXAMINATION,
                    filings__status=FilingStatus.ACCEPTED)
            .distinct().order_by("name"))


def qc_team_candidates(province_id: int | None) -> QuerySet[User]:
    """Staff of the province's QC centers (the provincial one and any city ones); every province's for
    ``None`` (platform administrators, who belong to none)."""
    qs = User.objects.filter(is_active=True, organisation__kind=OrgKind.QC_CENTER, organisation__is_active=True)
    if province_id is not None:
        qs = qs.filter(organisation__province_id=province_id)
    return qs.select_related("organisation").order_by("organisation__name", "full_name", "username")


def usable_version(sheet: ScoringSheet, year: int) -> SheetVersion | None:
    """The newest published (or frozen) version of a sheet in force for ``year``."""
    return (sheet.versions.filter(status__in=SHEET_VERSION_USABLE, effective_year__lte=year)
            .order_by("-effective_year", "-number").first())


def versions_for_assessment(province_id: int, year: int, categories: list[str]):
    """The versions an assessment would use: (institution version, {category: version}, missing labels).

    Each category takes the active work-sample sheet written for it, or else the
    active one written for every category.
    """
    sheets = list(ScoringSheet.objects.filter(province_id=province_id, is_active=True))
    institution_sheet = next((s for s in sheets if s.part == SheetPart.INSTITUTION), None)
    work_samples = {s.category: s for s in sheets if s.part == SheetPart.WORK_SAMPLE}
    missing: list[str] = []
    institution_version = usable_version(institution_sheet, year) if institution_sheet else None
    if institution_version is None:
        missing.append(str(SheetPart.INSTITUTION.label))
    by_category = {}
    for category in categories:
        sheet = work_samples.get(category) or work_samples.get("")
        version = usable_version(sheet, year) if sheet else None
        if version is None:
            missing.append(f"{SheetPart.WORK_SAMPLE.label}（{ExamCategoryCode(category).label}）")
        else:
            by_category[category] = version
    return institution_version, by_category, missing


# ---------------------------------------------------------------- results other apps read


def final_official_assessments() -> QuerySet[Assessment]:
    """The only results that count outside the QC working files."""
    return Assessment.objects.filter(kind=AssessmentKind.OFFICIAL, status=AssessmentStatus.FINAL)


def latest_final_assessment(*, institution) -> Assessment | None:
    """The institution's most recent final official assessment (inspections' off-site gate reads it)."""
    return (final_official_assessments().filter(institution=institution)
            .order_by("-assessed_on", "-finalised_at", "-pk").first())


def key_items_passed(*, institution) -> bool | None:
    """Did the latest final official assessment pass every key item? ``None``: none is final yet."""
    latest = latest_final_assessment(institution=institution)
    if latest is None:
        return None
    return not latest.failed_key_items


def self_assessment_beside(assessment: Assessment) -> Assessment | None:
    """The institution's own assessment of the same year, shown next to the QC center's."""
    if assessment.kind != AssessmentKind.OFFICIAL:
        return None
    return (Assessment.objects.filter(institution_id=assessment.institution_id, year=assessment.year,
                                      kind=AssessmentKind.SELF)
            .order_by("-status", "-assessed_on", "-pk").first())


def self_assessment_lines(self_assessment: Assessment) -> dict[tuple[str, str, str], Score]:
    """The scored lines of a self-assessment, keyed by (part, category, indicator code) so that they
    line up with the QC center's lines even where the institution scored another version of a sheet."""
    # select_related: each line shows its deduction, note and evidence file name beside the QC center's.
    scores = (Score.objects.filter(assessment_sheet__assessment=self_assessment)
              .select_related("assessment_sheet", "indicator", "evidence"))
    return {(s.assessment_sheet.part, s.assessment_sheet.category, s.indicator.code): s for s in scores}


def response_assessments_for(user) -> QuerySet[Assessment]:
    """What an institution sees of its official assessments: everything sent to it, never a draft."""
    return (Assessment.objects.restrict(user).filter(kind=AssessmentKind.OFFICIAL,
                                                     status__in=ASSESSMENT_VISIBLE_TO_INSTITUTION)
            .select_related("institution", "scheme"))


def awaiting_response_q(today) -> Q:
    """Sent to the institution and its response window still open (until ``response_due_on`` inclusive,
    as ``services.workflow.window_open`` decides)."""
    return Q(status=AssessmentStatus.SENT, response_due_on__gte=today)


def self_assessments_for(user) -> QuerySet[Assessment]:
    return (Assessment.objects.restrict(user).filter(kind=AssessmentKind.SELF)
            .select_related("institution", "scheme").annotate(sheet_count=Count("sheets")))


# ---------------------------------------------------------------- yearly plan and coverage


def plans_for_user(user) -> QuerySet[QCPlan]:
    return QCPlan.objects.restrict(user).select_related("province").order_by("-year")


def province_institutions(province_id: int) -> QuerySet[Organisation]:
    """Institutions the programme must reach: active, with an accepted examination filing."""
    return (Organisation.objects.filter(province_id=province_id, kind=OrgKind.INSTITUTION, is_active=True,
                                        filings__kind=InstitutionKind.EXAMINATION,
                                        filings__status=FilingStatus.ACCEPTED)
            .select_related("region", "region__parent").distinct().order_by("name"))


def city_of(region: Region | None) -> Region | None:
    if region is None:
        return None
    if region.level == RegionLevel.COUNTY:
        return region.parent
    return region if region.level == RegionLevel.CITY else None


@dataclass
class CityCoverage:
    city: Region
    total: int
    covered: int
    qc_center: Organisation | None

    @property
    def percent(self) -> Decimal:
        return _percent(self.covered, self.total)

    @property
    def met(self) -> bool:
        return self.covered >= self.total


@dataclass
class Coverage:
    """Live coverage of one province's programme in one year against its rule."""

    rule: str
    year: int
    total: int
    covered: list[Organisation]
    uncovered: list[Organisation]
    required_percent: Decimal
    provincial_covered: int = 0
    cities: list[CityCoverage] = field(default_factory=list)

    @property
    def percent(self) -> Decimal:
        return _percent(len(self.covered), self.total)

    @property
    def provincial_percent(self) -> Decimal:
        return _percent(self.provincial_covered, self.total)

    @property
    def met(self) -> bool:
        if self.rule == CoverageRule.PROVINCIAL_SHARE_CITY_ALL:
            return self.provincial_percent >= self.required_percent and all(c.met for c in self.cities)
        return not self.uncovered

    @property
    def rule_label(self) -> str:
        return str(CoverageRule(self.rule).label)


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("100.0")
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def coverage_rule_for(province_id: int, year: int) -> str:
    scheme = QCScheme.objects.filter(province_id=province_id, year__lte=year).order_by("-year").first()
    return scheme.coverage_rule if scheme else CoverageRule.BIENNIAL_ALL


def coverage(province_id: int, year: int) -> Coverage:
    """Computed from final official assessments every time, so it is never stale."""
    rule = coverage_rule_for(province_id, year)
    institutions = list(province_institutions(province_id))
    years = [year - 1, year] if rule == CoverageRule.BIENNIAL_ALL else [year]
    # values_list: one row per final assessment, with the level and region of the body that ran it.
    finals = list(final_official_assessments().filter(province_id=province_id, year__in=years)
                  .values_list("institution_id", "assessing_body__region__level", "assessing_body__region_id"))
    covered_ids = {row[0] for row in finals}
    result = Coverage(rule=rule, year=year, total=len(institutions),
                      covered=[o for o in institutions if o.pk in covered_ids],
                      uncovered=[o for o in institutions if o.pk not in covered_ids],
                      required_percent=Decimal(100))
    if rule == CoverageRule.PROVINCIAL_SHARE_CITY_ALL:
        result.required_percent = Decimal(PROVINCIAL_SHARE_PERCENT)
        provincial = {row[0] for row in finals if row[1] == RegionLevel.PROVINCE}
        result.provincial_covered = sum(1 for o in institutions if o.pk in provincial)
        by_city_body = {(row[0], row[2]) for row in finals if row[1] == RegionLevel.CITY}
        centers = {o.region_id: o for o in Organisation.objects.filter(
            province_id=province_id, kind=OrgKind.QC_CENTER, is_active=True, region__level=RegionLevel.CITY)}
        cities: dict[int, CityCoverage] = {}
        for org in institutions:
            city = city_of(org.region)
            if city is None:
                continue
            row = cities.setdefault(city.pk, CityCoverage(city=city, total=0, covered=0,
                                                          qc_center=centers.get(city.pk)))
            row.total += 1
            if (org.pk, city.pk) in by_city_body:
                row.covered += 1
        result.cities = sorted(cities.values(), key=lambda c: c.city.code)
    return result


def plan_assessments(plan: QCPlan) -> dict[int, Assessment]:
    """The latest official assessment of the plan's year for each institution of the plan."""
    rows = (Assessment.objects.filter(province_id=plan.province_id, year=plan.year, kind=AssessmentKind.OFFICIAL,
                                      institution_id__in=plan.items.values("institution_id"))
            .order_by("institution_id", "-assessed_on", "-pk"))
    latest: dict[int, Assessment] = {}
    for row in rows:
        latest.setdefault(row.institution_id, row)
    return latest


@dataclass
class Suggestion:
    institution: Organisation
    reasons: list[str]


def extra_assessment_suggestions(plan: QCPlan) -> list[Suggestion]:
    """Institutions that deserve an extra assessment, each with its reasons [241-4]."""
    institutions = list(province_institutions(plan.province_id))
    reasons: dict[int, list[str]] = {o.pk: [] for o in institutions}
    latest: dict[int, Assessment] = {}
    for a in final_official_assessments().filter(province_id=plan.province_id).order_by(
            "institution_id", "-assessed_on", "-finalised_at", "-pk"):
        latest.setdefault(a.institution_id, a)
    for org_id, a in latest.items():
        if org_id not in reasons:
            continue
        if a.failed_key_items:
            reasons[org_id].append(_("%(year)s 年考核关键项不合格（%(codes)s）") % {
                "year": a.year, "codes": "、".join(f["code"] for f in a.failed_key_items)})
        elif a.passed is False:
            reasons[org_id].append(_("%(year)s 年考核不合格（%(grade)s）") % {"year": a.year, "grade": a.grade})
    try:
        from qc.ledger import selectors as ledger
    except ImportError:
        ledger = None
    if ledger is not None and hasattr(ledger, "overdue_counts_by_institution"):
        for org_id, n in ledger.overdue_counts_by_institution(plan.province_id).items():
            if org_id in reasons and n:
                reasons[org_id].append(_("整改逾期 %(n)s 项") % {"n": n})
    if ledger is not None and hasattr(ledger, "refused_or_failed_institutions"):
        for row in ledger.refused_or_failed_institutions(plan.province_id):
            if row.institution_id in reasons:
                reasons[row.institution_id].append(_("拒不整改或整改不到位"))
    for item in plan.items.all():
        if item.institution_id not in reasons:
            continue
        if item.complaints:
            reasons[item.institution_id].append(_("投诉举报 %(n)s 件") % {"n": item.complaints})
        if item.workers_examined and item.workers_examined >= HIGH_VOLUME_WORKERS:
            reasons[item.institution_id].append(_("体检量大（上年 %(n)s 人）") % {"n": item.workers_examined})
    return [Suggestion(o, reasons[o.pk]) for o in institutions if reasons[o.pk]]


def qc_centers(province_id: int) -> QuerySet[Organisation]:
    """The provincial and city QC centers that may run planned assessments."""
    return (Organisation.objects.filter(province_id=province_id, kind=OrgKind.QC_CENTER, is_active=True)
            .select_related("region").order_by("region__code", "name"))
