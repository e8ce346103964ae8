"""Demo data of inspections, through the services; safe to run twice and deterministic.

Verification cases are given a role by their place in the province's accepted examination
filings (ordered by id), then driven forward step by step; a step already taken is skipped,
so a second run changes nothing. Off-site notices are keyed by institution and employer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from filing.choices import FilingStatus, InstitutionKind, ItemStatus, StaffRole
from filing.demo import credit_code
from filing.models import Equipment, FiledItem, Filing, StaffMember, Vehicle
from portal.regions.models import Region, RegionLevel
from portal.regions.services import region_set_delegation
from portal.workdays.services import add_months, add_working_days

from .choices import (
    NOTICE_WORKING_DAYS,
    VERIFICATION_DUE_MONTHS,
    Answer,
    NotificationStatus,
    VerificationOutcome,
    VerificationStatus,
)
from .models import ChecklistAnswer, ItemFinding, OffSiteNotification, VerificationCase
from .services import offsite
from .services import verification as vs
from .services._common import today
from .services.checklists import checklist_default_install

# How many cases of the demo province are taken to each state (the rest stay open).
ROLES = [
    ("overdue_open", 2), ("overdue_scheduled", 1), ("scheduled", 3), ("in_progress", 2),
    ("fit_except", 2), ("not_fit", 1), ("fit", 2),
]
# Off-site capable filings signed off fit, each then notifying off-site work.
OFFSITE_FIT = 2
STEPS = [VerificationStatus.OPEN, VerificationStatus.SCHEDULED, VerificationStatus.IN_PROGRESS,
         VerificationStatus.SIGNED_OFF]
NANGUAN = "220102"
DELEGATED_CANDIDATES = ("220122", "220183", "220182")  # 农安县, 德惠市, 榆树市 of Changchun
FINDING_NOTE = "现场抽查：纯音测听室本底噪声超过标准限值，未见校准记录。"
NOT_CAPABLE_REASON = "现场核查时该项目所需设备未到位，不能开展。"


def _say(progress: Callable[[str], None] | None) -> Callable[[str], None]:
    return progress or (lambda text: sys.stdout.write(text + "\n"))


# ---- Verification cases ---------------------------------------------------------------------

def _offsite_capable(filings):
    """Accepted examination filings whose current version declares off-site work with the means for it."""
    return filings.filter(
        kind=InstitutionKind.EXAMINATION, current_version__off_site=True,
    ).filter(
        Exists(Vehicle.objects.filter(version_id=OuterRef("current_version_id"))),
        Exists(Equipment.objects.filter(version_id=OuterRef("current_version_id"), for_off_site=True)),
        Exists(StaffMember.objects.filter(version_id=OuterRef("current_version_id"),
                                          role=StaffRole.CHIEF_EXAMINER)),
    )


def _backdate(case: VerificationCase, months: int) -> VerificationCase:
    """Every demo filing is accepted today; an overdue case is dated as if filed ``months`` ago."""
    if case.due_on >= today() and case.status != VerificationStatus.SIGNED_OFF:
        filed_on = add_months(today(), -months)
        VerificationCase.objects.filter(pk=case.pk).update(filed_on=filed_on,
                                                           due_on=vs.verification_due_on(filed_on))
        case.refresh_from_db()
    return case


def _answer_lines(case: VerificationCase, actor, *, limit: int | None = None, failing: int = 0) -> None:
    """Answer the unanswered lines (the first ``failing`` of them not conforming)."""
    done = set(ChecklistAnswer.objects.filter(case=case).values_list("line_id", flat=True))
    lines = [line for line in case.checklist_version.lines.all() if line.pk not in done]
    for index, line in enumerate(lines[:limit] if limit is not None else lines):
        bad = index < failing
        vs.verification_answer(case_id=case.pk, actor=actor, line_id=line.pk,
                               answer=Answer.NOT_CONFORMING if bad else Answer.CONFORMING,
                               note=FINDING_NOTE if bad else "")


def _not_capable_findings(case: VerificationCase) -> dict:
    """One active item found not capable, when the filing has more than one item."""
    codes = list(ItemFinding.objects.filter(case=case).values_list("item_code", flat=True))
    if len(codes) < 2:
        return {}
    active = FiledItem.objects.filter(version_id=case.filing_version_id, status=ItemStatus.ACTIVE)
    active_codes = {(i.exam_item or i.disease).code for i in active.select_related("exam_item", "disease")}
    code = next((c for c in codes if c in active_codes), None)
    return {code: (False, NOT_CAPABLE_REASON)} if code else {}


def drive_case(case: VerificationCase, role: str, *, team, actor) -> bool:
    """Take ``case`` towards the state ``role`` names; returns whether anything was done."""
    target = {"overdue_open": VerificationStatus.OPEN, "overdue_scheduled": VerificationStatus.SCHEDULED,
              "scheduled": VerificationStatus.SCHEDULED, "in_progress": VerificationStatus.IN_PROGRESS,
              }.get(role, VerificationStatus.SIGNED_OFF)
    if role.startswith("overdue"):
        case = _backdate(case, VERIFICATION_DUE_MONTHS + 1)
    if STEPS.index(case.status) >= STEPS.index(target):
        return False
    if case.status == VerificationStatus.OPEN:
        # Those to be started today are scheduled for today; the others over the coming weeks.
        offset = 0 if target != VerificationStatus.SCHEDULED else 7 * (1 + case.pk % 4)
        vs.verification_schedule(case_id=case.pk, actor=actor, scheduled_on=today() + timedelta(days=offset),
                                 team=team, note="演示：质控中心现场核查组")
    if target == VerificationStatus.SCHEDULED:
        return True
    case.refresh_from_db()
    if case.status == VerificationStatus.SCHEDULED:
        vs.verification_start(case_id=case.pk, actor=actor)
    case.refresh_from_db()
    if target == VerificationStatus.IN_PROGRESS:
        total = case.checklist_version.lines.count()
        _answer_lines(case, actor, limit=max(1, total // 2), failing=1)
        return True
    failing = {"fit_except": 1, "not_fit": 3}.get(role, 0)
    _answer_lines(case, actor, failing=failing)
    findings = _not_capable_findings(case) if role == "fit_except" else {}
    outcome = {"fit_except": VerificationOutcome.FIT_EXCEPT if findings else VerificationOutcome.FIT,
               "not_fit": VerificationOutcome.NOT_FIT}.get(role, VerificationOutcome.FIT)
    note = {VerificationOutcome.FIT: "各关键环节符合要求。",
            VerificationOutcome.FIT_EXCEPT: "部分项目不具备能力，已从备案范围中标注。",
            VerificationOutcome.NOT_FIT: "质量管理体系与设备条件不符合备案要求，限期整改。"}[outcome]
    vs.verification_sign_off(case_id=case.pk, actor=actor, outcome=outcome, note=note, findings=findings)
    return True


def seed_verifications(ctx, *, say) -> dict:
    province = ctx.province
    actor = ctx.users.get("zk_jl") or ctx.users.get("admin_jl")
    team = [ctx.users["zk_jl"]] if "zk_jl" in ctx.users else []
    if actor is None or not team:
        say("inspections demo: no QC center user; cases left open")
        return {}
    accepted = Filing.objects.filter(province=province, status=FilingStatus.ACCEPTED, filed_on__isnull=False)
    own_org = ctx.orgs.get("institution")
    own_filing = (accepted.filter(institution=own_org, kind=InstitutionKind.EXAMINATION).first()
                  if own_org is not None else None)
    cases = VerificationCase.objects.filter(filing__in=accepted).exclude(
        institution=own_org).order_by("filing_id")
    capable = set(_offsite_capable(accepted).values_list("pk", flat=True))
    offsite_cases = [c for c in cases if c.filing_id in capable][:OFFSITE_FIT]
    others = [c for c in cases if c not in offsite_cases]
    plan: list[tuple[VerificationCase, str]] = [(c, "fit") for c in offsite_cases]
    position = 0
    for role, count in ROLES:
        plan.extend((case, role) for case in others[position:position + count])
        position += count
    if own_filing is not None:
        own_case = VerificationCase.objects.filter(filing=own_filing).first()
        if own_case is not None:
            plan.append((own_case, "fit"))
    changed = sum(drive_case(case, role, team=team, actor=actor) for case, role in plan)
    return {"changed": changed, "offsite_fit": [c.institution_id for c in offsite_cases],
            "own_filing": own_filing}


# ---- Off-site notices ---------------------------------------------------------------------

def delegated_county(province: Region, *, actor) -> Region | None:
    """A county supervised by its city (代管); one of Changchun's is marked if none is."""
    county = (Region.objects.filter(province=province, level=RegionLevel.COUNTY, supervised_by_city=True)
              .order_by("code").first())
    if county is not None:
        return county
    candidate = (Region.objects.filter(code__in=DELEGATED_CANDIDATES, province=province, level=RegionLevel.COUNTY)
                 .order_by("code").first())
    if candidate is None:
        return None
    return region_set_delegation(region=candidate, supervised_by_city=True, actor=actor)


def _notice(filing: Filing, *, actor, index: int, employer_region: Region, starts_in: int) -> OffSiteNotification:
    """One notice of ``filing``'s institution for a demo employer; the existing one when already filed."""
    employer_code = credit_code("91", employer_region.code, f"{60000000 + filing.pk * 10 + index:08d}")
    existing = OffSiteNotification.objects.filter(institution_id=filing.institution_id,
                                                  employer_credit_code=employer_code).first()
    if existing is not None:
        return existing
    version = filing.current_version
    items = [i for i in FiledItem.objects.filter(version=version, exam_item__isnull=False, status=ItemStatus.ACTIVE)
             .select_related("exam_item").order_by("pk")][:3]
    staff = list(StaffMember.objects.filter(version=version).order_by("-role", "pk")
                 .values_list("pk", "role"))
    chief = [pk for pk, role in staff if role == StaffRole.CHIEF_EXAMINER][:1]
    others = [pk for pk, role in staff if role != StaffRole.CHIEF_EXAMINER][:2]
    types = sorted({t for i in items for t in (i.exam_types or [])}) or ["on_duty"]
    starts_on = add_working_days(today(), NOTICE_WORKING_DAYS + starts_in)
    return offsite.notification_submit(
        actor=actor, institution=filing.institution, employer_name=f"{employer_region.name}演示化工有限公司{index + 1}号厂",
        employer_credit_code=employer_code, employer_address=f"{employer_region.full_name}工业园区{index + 1}号",
        employer_region=employer_region, work_site=f"{employer_region.name}工业园区职工活动中心",
        work_site_region=employer_region, starts_on=starts_on, ends_on=starts_on + timedelta(days=2),
        expected_workers=120 + 30 * index, item_codes=[i.exam_item.code for i in items], exam_types=types,
        staff_ids=chief + others,
        vehicle_ids=list(Vehicle.objects.filter(version=version).values_list("pk", flat=True)[:1]),
        equipment_ids=list(Equipment.objects.filter(version=version, for_off_site=True)
                           .values_list("pk", flat=True)[:2]),
        sample_handling="血样现场离心后2-8℃冷藏，当日送回本机构实验室检测。",
        biosafety="体检车DR检查区设铅屏蔽与警示标识；医疗废物分类收集后带回处置。",
        contact_name="王磊", contact_phone="0431-85551234",
    )


def _acknowledge(notice: OffSiteNotification, actor, *, visit: bool) -> None:
    if actor is None or notice.status != NotificationStatus.SUBMITTED:
        return
    offsite.notification_acknowledge(notification_id=notice.pk, actor=actor, note="已收悉，请按告知内容开展。")
    if visit:
        offsite.notification_plan_visit(notification_id=notice.pk, actor=actor, visit_on=notice.starts_on,
                                        note="辖区卫生监督员现场抽查。")


def seed_notifications(ctx, verifications: dict, *, say) -> int:
    province = ctx.province
    nanguan = Region.objects.filter(code=NANGUAN, province=province).first()
    delegated = delegated_county(province, actor=ctx.users.get("admin_jl"))
    county_user, city_user = ctx.users.get("wjw_ng"), ctx.users.get("wjw_cc")
    filings = list(Filing.objects.filter(province=province, status=FilingStatus.ACCEPTED,
                                         kind=InstitutionKind.EXAMINATION,
                                         institution_id__in=verifications.get("offsite_fit", []))
                   .select_related("institution", "current_version").order_by("pk"))
    made = []
    for filing in filings:
        if not offsite.offsite_eligibility(institution=filing.institution).allowed and not \
                OffSiteNotification.objects.filter(institution_id=filing.institution_id).exists():
            say(f"inspections demo: {filing.institution} cannot notify off-site work; skipped")
            continue
        if nanguan is not None:
            made.append(_notice(filing, actor=None, index=0, employer_region=nanguan, starts_in=len(made) * 3))
        if delegated is not None:
            made.append(_notice(filing, actor=None, index=1, employer_region=delegated, starts_in=len(made) * 4))
    # The first notice of each authority is answered, the later ones wait in its inbox.
    answered: set[int] = set()
    for notice in made:
        actor = county_user if notice.routed_region_id == getattr(nanguan, "pk", None) else city_user
        if actor is not None and actor.organisation.region_id == notice.routed_region_id \
                and notice.routed_region_id not in answered:
            answered.add(notice.routed_region_id)
            _acknowledge(notice, actor, visit=True)
    own_filing = verifications.get("own_filing")
    own_user = ctx.users.get("jg_ccz")
    if own_filing is not None and own_user is not None and nanguan is not None:
        own = OffSiteNotification.objects.filter(institution_id=own_filing.institution_id).exists()
        if own or offsite.offsite_eligibility(institution=own_filing.institution).allowed:
            made.append(_notice(own_filing, actor=own_user, index=0, employer_region=nanguan, starts_in=2))
    return len(made)


@transaction.atomic
def seed_inspections_demo(ctx, *, progress: Callable[[str], None] | None = None) -> dict:
    say = _say(progress)
    checklist_default_install(province=ctx.province)
    opened = vs.verification_cases_open_missing(province=ctx.province)
    verifications = seed_verifications(ctx, say=say)
    notices = seed_notifications(ctx, verifications, say=say)
    counts = dict(VerificationCase.objects.filter(province=ctx.province).values_list("status")
                  .annotate(n=Count("pk")).order_by())
    say(f"inspections demo: {opened} case(s) opened, {verifications.get('changed', 0)} advanced, "
        f"{notices} off-site notice(s); cases by status {counts}")
    return {"opened": opened, "advanced": verifications.get("changed", 0), "notices": notices}
