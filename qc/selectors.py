"""Reads of the QC app. Lists start from the scoped querysets (``restrict(user)``)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from filing.catalogue.choices import ExamCategoryCode
from filing.choices import FilingStatus, InstitutionKind, ItemStatus
from filing.models import FiledItem, Filing
from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation, User

from .choices import SHEET_VERSION_USABLE, SheetPart
from .models import Assessment, QCScheme, ScoringSheet, SheetVersion

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
