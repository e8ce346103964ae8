"""Demo data of inspections, through the services; safe to run twice and deterministic.

A case is opened when its filing is accepted, on the day the filing demo runs; that demo then
dates acceptances back over the years, so each case first follows its filing's date (filed on,
due three months later), in an audited step. Cases still within their three months are given a
role by their place among the province's accepted filings (ordered by id) and driven forward step
by step; the few overdue ones are those whose three months ended most recently. Every other case
whose three months have passed was verified then, as a province does: it is taken through the
services today and its visit and sign-off are dated back into its window (one of last year's is
signed off late). A step already taken is skipped, so a second run changes nothing. Off-site
notices are keyed by institution and employer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind, ItemStatus, StaffRole
from filing.demo import credit_code, date_back_acceptance
from filing.models import Equipment, FiledItem, Filing, StaffMember, Vehicle
from portal.audit.services import audit
from portal.regions.models import Region, RegionLevel
from portal.regions.services import region_set_delegation
from portal.workdays.services import add_months, add_working_days

from .choices import (
    FINDING_RECTIFICATION_WORKING_DAYS,
    NOTICE_WORKING_DAYS,
    VERIFICATION_DUE_MONTHS,
    VERIFICATION_PENDING,
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
# A case verified in its window: visited this many days after filing (by filing id), signed off
# up to two days later; all within the three months (at least 89 days).
VISIT_AFTER_DAYS = (21, 70)
# The one case of last year signed off after its three months, so many days late (due by LATE_DUE_BY).
LATE_BY_DAYS = 24
LATE_DUE_BY = (11, 30)


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


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def follow_filing(case: VerificationCase, *, actor=None, filed_on: date | None = None) -> VerificationCase:
    """The case carries its filing's date (``filed_on`` when already read) and is due three months
    after it, with the same due-date rule the service applies on opening. Audited: the demo moves a
    date the service set."""
    filed_on = filed_on or Filing.objects.values_list("filed_on", flat=True).get(pk=case.filing_id)
    if filed_on is None or case.filed_on == filed_on:
        return case
    old = {"filed_on": case.filed_on, "due_on": case.due_on}
    due_on = vs.verification_due_on(filed_on)
    VerificationCase.objects.filter(pk=case.pk).update(filed_on=filed_on, due_on=due_on)
    case.filed_on, case.due_on = filed_on, due_on
    audit(actor=actor, obj=case, action="inspections.verification.demo.dated_back", old=old,
          new={"filed_on": filed_on, "due_on": due_on})
    return case


def cases_follow_filings(province, *, actor=None) -> int:
    """Every case of the province whose filing was dated back after the case opened (a cancelled
    filing's too: its dates are history); returns how many."""
    moved = list(VerificationCase.objects.filter(province=province, filing__filed_on__isnull=False)
                 .exclude(filed_on=F("filing__filed_on")).select_related("province", "institution", "filing")
                 .order_by("pk"))
    for case in moved:
        follow_filing(case, actor=actor, filed_on=case.filing.filed_on)
    return len(moved)


def _backdate(case: VerificationCase, months: int, *, actor=None) -> VerificationCase:
    """An overdue case needs a filing whose three months have passed. When none is left (every filing
    accepted today, as in a small province), a filing is dated back ``months`` as the filing demo does,
    and its case follows it."""
    if case.due_on >= today() and case.status != VerificationStatus.SIGNED_OFF:
        filing = Filing.objects.get(pk=case.filing_id)
        date_back_acceptance(filing, add_months(today(), -months), actor=actor)
        follow_filing(case, actor=actor)
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
        case = _backdate(case, VERIFICATION_DUE_MONTHS + 1, actor=actor)
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


def role_plan(cases: list[VerificationCase], *, on: date) -> list[tuple[VerificationCase, str]]:
    """Which case takes which role of ROLES. The overdue ones are the pending cases whose three months
    ended most recently (the others were verified in time), topped up from those still in their
    window; the other roles go to cases still in their window, by filing id. A second run finds the
    same cases: the overdue ones are then the only pending cases past their window."""
    overdue_roles = [role for role, count in ROLES if role.startswith("overdue") for _n in range(count)]
    other_roles = [role for role, count in ROLES if not role.startswith("overdue") for _n in range(count)]
    lapsed = sorted((c for c in cases if c.due_on < on and c.status in VERIFICATION_PENDING),
                    key=lambda c: (-c.due_on.toordinal(), c.filing_id))[:len(overdue_roles)]
    window = [c for c in cases if c.due_on >= on]
    topped_up = window[:len(overdue_roles) - len(lapsed)]
    window = window[len(topped_up):]
    overdue = sorted(lapsed + topped_up, key=lambda c: c.filing_id)
    return list(zip(overdue, overdue_roles, strict=False)) + list(zip(window, other_roles, strict=False))


def _window_days(case: VerificationCase, *, late: bool, on: date) -> tuple[date, date]:
    """(visited on, signed off on) of a case verified after the fact: inside its window, or late."""
    if late:
        signed = min(case.due_on + timedelta(days=LATE_BY_DAYS), date(case.due_on.year, 12, 31),
                     on - timedelta(days=1))
        return signed - timedelta(days=2), signed
    low, high = VISIT_AFTER_DAYS
    visited = case.filed_on + timedelta(days=low + case.filing_id * 13 % (high - low))
    signed = min(visited + timedelta(days=case.filing_id % 3), case.due_on)
    return visited, signed


def date_back_verification(case: VerificationCase, *, visited_on: date, signed_off_on: date, actor=None) -> None:
    """Date a case verified today to when it was: scheduled and started on the visit day, each line
    answered then, signed off on ``signed_off_on``. The services act only today; audited."""
    case = VerificationCase.objects.select_related("province", "institution").get(pk=case.pk)
    old = {"scheduled_on": case.scheduled_on, "started_at": case.started_at, "signed_off_on": case.signed_off_on}
    new = {"scheduled_on": visited_on, "started_at": _at(visited_on, 9), "signed_off_on": signed_off_on}
    VerificationCase.objects.filter(pk=case.pk).update(**new)
    ChecklistAnswer.objects.filter(case=case).update(answered_at=_at(visited_on, 11))
    audit(actor=actor, obj=case, action="inspections.verification.demo.dated_back", old=old, new=new)


def _rectify_findings(case: VerificationCase, signed_off_on: date, *, actor) -> None:
    """Findings of a case verified after the fact were rectified in time then (plan, fix, close)."""
    try:
        from qc.ledger.demo import date_back_entry, walk_entry
        from qc.ledger.models import LedgerEntry
    except ImportError:  # the ledger app is not installed
        return
    ids = ChecklistAnswer.objects.filter(case=case, ledger_entry_id__isnull=False).values_list("ledger_entry_id")
    due_on = add_working_days(signed_off_on, FINDING_RECTIFICATION_WORKING_DAYS)
    for entry in LedgerEntry.objects.filter(pk__in=ids).order_by("pk"):
        walk_entry(entry, ("plan", "accept", "fix", "close"), decider=actor, respondent=None)
        date_back_entry(entry, opened_on=signed_off_on, due_on=due_on,
                        done_on=signed_off_on + (due_on - signed_off_on) * 3 // 4, actor=actor)


def verify_in_time(cases: list[VerificationCase], *, plain: set[int], team, actor, on: date) -> int:
    """The open cases whose three months have passed, verified then: each through the services today,
    then dated back into its window. Of last year's, the first due by LATE_DUE_BY is signed off late,
    and one filed that year (not in ``plain``) finds an item not capable, its finding rectified in time."""
    last_year = on.year - 1
    lapsed = [c for c in cases if c.status == VerificationStatus.OPEN and c.due_on < on]
    # Due by LATE_DUE_BY of last year, so that a late sign-off and a finding's rectification both
    # fall in that year.
    of_last_year = [c for c in lapsed if c.due_on.year == last_year and c.due_on <= date(last_year, *LATE_DUE_BY)
                    and c.pk not in plain]
    late = next(iter(of_last_year), None)
    partly = next((c for c in of_last_year if c is not late and c.filed_on.year == last_year), None)
    for case in lapsed:
        drive_case(case, "fit_except" if case is partly else "fit", team=team, actor=actor)
        visited_on, signed_off_on = _window_days(case, late=case is late, on=on)
        date_back_verification(case, visited_on=visited_on, signed_off_on=signed_off_on, actor=actor)
        if case is partly:  # the only one answered with a finding
            _rectify_findings(case, signed_off_on, actor=actor)
    return len(lapsed)


def seed_verifications(ctx, *, say) -> dict:
    province = ctx.province
    actor = ctx.users.get("zk_jl") or ctx.users.get("admin_jl")
    team = [ctx.users["zk_jl"]] if "zk_jl" in ctx.users else []
    if actor is None or not team:
        say("inspections demo: no QC center user; cases left open")
        return {}
    on = today()
    accepted = Filing.objects.filter(province=province, status=FilingStatus.ACCEPTED, filed_on__isnull=False)
    own_org = ctx.orgs.get("institution")
    own_filing = (accepted.filter(institution=own_org, kind=InstitutionKind.EXAMINATION).first()
                  if own_org is not None else None)
    cases = list(VerificationCase.objects.filter(filing__in=accepted).exclude(
        institution=own_org).order_by("filing_id"))
    capable = set(_offsite_capable(accepted).values_list("pk", flat=True))
    offsite_cases = [c for c in cases if c.filing_id in capable][:OFFSITE_FIT]
    others = [c for c in cases if c not in offsite_cases]
    plan: list[tuple[VerificationCase, str]] = [(c, "fit") for c in offsite_cases if c.due_on >= on]
    plan += role_plan(others, on=on)
    own_case = VerificationCase.objects.filter(filing=own_filing).first() if own_filing is not None else None
    if own_case is not None and own_case.due_on >= on:
        plan.append((own_case, "fit"))
    changed = sum(drive_case(case, role, team=team, actor=actor) for case, role in plan)
    driven = {case.pk for case, _role in plan}
    rest = [c for c in [*cases, *([own_case] if own_case else [])] if c.pk not in driven]
    plain = {c.pk for c in offsite_cases} | ({own_case.pk} if own_case else set())
    in_time = verify_in_time(rest, plain=plain, team=team, actor=actor, on=on)
    return {"changed": changed + in_time, "in_time": in_time,
            "offsite_fit": [c.institution_id for c in offsite_cases], "own_filing": own_filing}


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
    dated = cases_follow_filings(ctx.province, actor=ctx.users.get("zk_jl") or ctx.users.get("admin_jl"))
    verifications = seed_verifications(ctx, say=say)
    notices = seed_notifications(ctx, verifications, say=say)
    counts = dict(VerificationCase.objects.filter(province=ctx.province).values_list("status")
                  .annotate(n=Count("pk")).order_by())
    say(f"inspections demo: {opened} case(s) opened, {dated} dated as their filing, "
        f"{verifications.get('changed', 0)} advanced ({verifications.get('in_time', 0)} of them dated back to "
        f"their visit), {notices} off-site notice(s); cases by status {counts}")
    return {"opened": opened, "advanced": verifications.get("changed", 0), "notices": notices}
