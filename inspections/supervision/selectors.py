"""Reads of supervision: every list starts from a model's scoped queryset."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from filing.catalogue.choices import ExamCategoryCode
from filing.choices import FilingStatus, InstitutionKind
from filing.models import FiledItem, Filing
from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.accounts.scoping import VIEW, region_q

from .choices import PenaltyStatus, SpotCheckStatus
from .models import (
    Campaign,
    CampaignInstitution,
    Finding,
    Penalty,
    SelfInspection,
    SelfInspectionProblem,
    SpotCheck,
    SpotCheckPlan,
)


def visible_plans(user, action: str = VIEW) -> QuerySet[SpotCheckPlan]:
    return SpotCheckPlan.objects.restrict(user, action).select_related("organisation", "campaign")


def plan_list(user) -> QuerySet[SpotCheckPlan]:
    return visible_plans(user).annotate(
        planned=Count("checks", distinct=True),
        done=Count("checks", filter=Q(checks__status=SpotCheckStatus.DONE), distinct=True),
    ).order_by("-year", "name", "pk")


def visible_checks(user, action: str = VIEW) -> QuerySet[SpotCheck]:
    return SpotCheck.objects.restrict(user, action).select_related("plan", "institution", "institution__region")


def check_with_details(user, pk: int) -> SpotCheck:
    return visible_checks(user).prefetch_related(
        Prefetch("findings", queryset=Finding.objects.select_related("ledger_entry")),
        "evidence__file", "penalties",
    ).get(pk=pk)


def visible_penalties(user, action: str = VIEW) -> QuerySet[Penalty]:
    return Penalty.objects.restrict(user, action).select_related("institution", "spot_check")


def final_penalties(province, as_of: date) -> QuerySet[Penalty]:
    """Final penalties of a province decided on or before ``as_of``: the list to publish.

    Final decisions are immutable, so the list for a given date never changes afterwards.
    """
    province_id = getattr(province, "pk", province)
    return (Penalty.objects.in_province(province_id)
            .filter(status=PenaltyStatus.FINAL, decided_on__lte=as_of)
            .select_related("institution", "spot_check")
            .prefetch_related("spot_check__findings")  # the main problems shown beside each name
            .order_by("-decided_on", "decision_number"))


def visible_campaigns(user, action: str = VIEW) -> QuerySet[Campaign]:
    # The institution lookup joins memberships; distinct keeps one row per campaign.
    return Campaign.objects.restrict(user, action).select_related("organisation").distinct()


def campaign_list(user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(pk__in=visible_campaigns(user).values("pk")).select_related(
        "organisation").annotate(
        in_scope=Count("members", distinct=True),
        filed=Count("self_inspections", distinct=True),
    ).order_by("-period_start", "name", "pk")


def campaign_detail(user, pk: int) -> Campaign:
    return visible_campaigns(user).prefetch_related("steps").get(pk=pk)


@dataclass
class MemberRow:
    member: CampaignInstitution
    inspection: SelfInspection | None
    problems: list = field(default_factory=list)

    @property
    def filed(self) -> bool:
        return self.inspection is not None


def campaign_members(campaign: Campaign) -> list[MemberRow]:
    """Every institution in scope with its self-inspection, if filed (two queries)."""
    members = list(campaign.members.select_related("institution", "region").order_by("institution__name"))
    inspections = {
        si.institution_id: si for si in SelfInspection.objects.filter(campaign=campaign).prefetch_related(
            Prefetch("problems", queryset=SelfInspectionProblem.objects.order_by("order", "pk")))
    }
    return [MemberRow(member=m, inspection=inspections.get(m.institution_id),
                      problems=list(inspections[m.institution_id].problems.all())
                      if m.institution_id in inspections else [])
            for m in members]


def not_filed(campaign: Campaign) -> QuerySet[CampaignInstitution]:
    """Institutions in scope that have not filed their self-inspection."""
    filed = SelfInspection.objects.filter(campaign=campaign, institution=OuterRef("institution"))
    return (campaign.members.select_related("institution", "region")
            .annotate(has_filed=Exists(filed)).filter(has_filed=False).order_by("institution__name"))


def my_duties(user) -> QuerySet[CampaignInstitution]:
    """The campaigns an institution's staff must answer, newest first."""
    filed = SelfInspection.objects.filter(member=OuterRef("pk"))
    return (CampaignInstitution.objects.restrict(user).select_related("campaign", "institution")
            .annotate(has_filed=Exists(filed)).order_by("-campaign__period_start"))


def member_for(user, pk: int, action: str = VIEW) -> CampaignInstitution:
    return CampaignInstitution.objects.restrict(user, action).select_related(
        "campaign", "institution").get(pk=pk)


def institutions_in_jurisdiction(organisation: Organisation) -> QuerySet[Organisation]:
    """Active institutions located in the organising body's area."""
    qs = Organisation.objects.filter(kind=OrgKind.INSTITUTION, is_active=True,
                                     province_id=organisation.province_id)
    region = organisation.region
    if region is not None and region.level != "province":
        qs = qs.filter(region_q("region", region))
    return qs.select_related("region").order_by("name")


def filed_institutions_in_jurisdiction(organisation: Organisation) -> QuerySet[Organisation]:
    """The default scope of a campaign: institutions with an accepted filing in the area."""
    accepted = Filing.objects.filter(institution=OuterRef("pk"), status=FilingStatus.ACCEPTED)
    return institutions_in_jurisdiction(organisation).filter(Exists(accepted))


@dataclass(frozen=True)
class FilingFacts:
    address: str
    categories: list[str]
    off_site: bool


CATEGORY_ORDER = {code: i for i, code in enumerate(ExamCategoryCode.values)}


def filing_facts(institution_ids) -> dict[int, FilingFacts]:
    """Address, exam categories and off-site flag from each institution's accepted examination filing."""
    filings = list(Filing.objects.filter(
        institution_id__in=list(institution_ids), status=FilingStatus.ACCEPTED, kind=InstitutionKind.EXAMINATION,
        current_version__isnull=False).select_related("current_version"))
    version_ids = [f.current_version_id for f in filings]
    codes: dict[int, set[str]] = {}
    for version_id, code in (FiledItem.objects.filter(version_id__in=version_ids, exam_item__isnull=False)
                             .values_list("version_id", "exam_item__category__code").distinct()):
        codes.setdefault(version_id, set()).add(code)
    return {
        f.institution_id: FilingFacts(
            address=f.current_version.address, off_site=f.current_version.off_site,
            categories=sorted(codes.get(f.current_version_id, ()), key=lambda c: CATEGORY_ORDER.get(c, 99)),
        )
        for f in filings
    }


def category_labels(codes) -> str:
    return "、".join(str(ExamCategoryCode(c).label) if c in ExamCategoryCode.values else c for c in codes)

