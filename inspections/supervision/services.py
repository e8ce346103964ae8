"""Writes of supervision spot-checks and special campaigns [241-5] [HZ].

Each function checks the actor's capability and reach, validates every input and
reports all errors at once, field by field, before anything is stored (uploads are
checked before the first row is written), then writes and audits. ``actor=None`` is the
system (the demo seeder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.accounts.permissions import has_capability
from portal.accounts.scoping import institution_ids_for, region_within
from portal.audit.services import audit, snapshot
from portal.core.uploads import store_upload, uploads_checked
from qc.ledger.choices import LedgerSource
from qc.ledger.services import ledger_entry_open

from .choices import (
    PENALTY_EDITABLE_STATUSES,
    PENALTY_TRANSITIONS,
    SPOT_CHECK_TRANSITIONS,
    FindingCategory,
    PenaltyStatus,
    SpotCheckStatus,
)
from .models import (
    Campaign,
    CampaignInstitution,
    CampaignStep,
    Finding,
    Penalty,
    SelfInspection,
    SelfInspectionProblem,
    SpotCheck,
    SpotCheckEvidence,
    SpotCheckPlan,
)
from .selectors import filed_institutions_in_jurisdiction, filing_facts

PLANNING_KINDS = frozenset({OrgKind.SUPERVISION, OrgKind.HEALTH_COMMISSION})
MAX_EVIDENCE_FILES = 10
PLAN_FIELDS = ["province", "region", "organisation", "year", "name", "campaign"]
CHECK_FIELDS = ["status", "checked_on", "inspectors", "note"]
PENALTY_FIELDS = ["institution", "warning", "fine", "decision_number", "decided_on", "status"]
CAMPAIGN_FIELDS = ["province", "region", "organisation", "name", "period_start", "period_end"]
SELF_INSPECTION_FIELDS = ["categories", "off_site", "employers_examined", "workers_examined", "address", "report"]


class TransitionError(ValidationError):
    """The record is not in a state that allows this step."""


def _assert_transition(table: Mapping, current: str, to: str, label: str) -> None:
    if to not in table.get(current, set()):
        raise TransitionError(_("当前状态为“%(status)s”，不能执行此操作。") % {"status": label},
                              code="invalid_transition")


# ---- Helpers ---------------------------------------------------------------------------------

def _today() -> date:
    return timezone.localdate()


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _check_capability(actor, capability: str) -> None:
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied


def _planner_organisation(actor, organisation: Organisation | None) -> Organisation:
    """The body that organises: the actor's own, or (for the system) the one given."""
    _check_capability(actor, "supervision.plan")
    org = organisation if actor is None or actor.is_superuser else actor.organisation
    if org is None or org.kind not in PLANNING_KINDS or org.province_id is None or org.region_id is None:
        raise ValidationError({"organisation": [_("只有卫生健康监督机构或负有监督职责的卫生健康行政部门可以组织。")]})
    return org


def _check_organiser(actor, organisation_id: int) -> None:
    """Only the organising body records on its own plan or campaign."""
    _check_capability(actor, "supervision.plan")
    if actor is not None and not actor.is_superuser and actor.organisation_id != organisation_id:
        raise PermissionDenied


def _within(org: Organisation, institution: Organisation) -> bool:
    return (institution.kind == OrgKind.INSTITUTION and institution.is_active
            and institution.province_id == org.province_id and institution.region_id is not None
            and region_within(institution.region, org.region))


def _files_checked(files: Iterable[UploadedFile] | None, errors: dict, field: str) -> list[UploadedFile]:
    return uploads_checked(files, errors, field=field, max_files=MAX_EVIDENCE_FILES)


def _count_errors(value, label: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [_("请填写%(label)s。") % {"label": label}]
    if value < 0:
        return [_("%(label)s不能为负数。") % {"label": label}]
    return []


# ---- Spot-check plans -------------------------------------------------------------------------

@transaction.atomic
def spot_check_plan_create(*, actor, year: int, name: str, institutions: Sequence[Organisation],
                           campaign: Campaign | None = None, organisation: Organisation | None = None
                           ) -> SpotCheckPlan:
    """A yearly plan listing institutions of the organiser's jurisdiction to inspect."""
    org = _planner_organisation(actor, organisation)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写计划名称。")]
    elif SpotCheckPlan.objects.filter(organisation=org, year=year, name=name).exists():
        errors["name"] = [_("本单位该年度已有同名计划。")]
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= _today().year + 1:
        errors["year"] = [_("年度不正确。")]
    institutions = list(dict.fromkeys(institutions or []))
    if not institutions:
        errors["institutions"] = [_("请至少选择一家机构。")]
    outside = [i.name for i in institutions if not _within(org, i)]
    if outside:
        errors["institutions"] = [_("以下机构不在本单位管辖范围内：%(names)s") % {"names": "、".join(outside)}]
    if campaign is not None and campaign.organisation_id != org.pk:
        errors["campaign"] = [_("只能关联本单位组织的专项治理。")]
    _raise_if(errors)
    plan = SpotCheckPlan.objects.create(
        province_id=org.province_id, region_id=org.region_id, organisation=org, year=year, name=name,
        campaign=campaign, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    SpotCheck.objects.bulk_create([
        SpotCheck(plan=plan, province_id=plan.province_id, region_id=plan.region_id, institution=i)
        for i in institutions])
    audit(actor=actor, obj=plan, action="supervision.plan.created",
          new={**snapshot(plan, PLAN_FIELDS), "institutions": [i.pk for i in institutions]})
    return plan


@transaction.atomic
def spot_check_record(*, actor, check_id: int, checked_on: date, inspectors: str, note: str = "",
                      findings: Sequence[Mapping] = (), evidence: Sequence[UploadedFile] = ()) -> SpotCheck:
    """Record an inspection as done, with its findings (category, description) and files."""
    check = SpotCheck.objects.select_for_update(of=("self",)).select_related("plan").get(pk=check_id)
    _check_organiser(actor, check.plan.organisation_id)
    _assert_transition(SPOT_CHECK_TRANSITIONS, check.status, SpotCheckStatus.DONE, check.get_status_display())
    errors: dict[str, list[str]] = {}
    if not _is_date(checked_on):
        errors["checked_on"] = [_("请填写检查日期。")]
    elif checked_on > _today():
        errors["checked_on"] = [_("检查日期不能晚于今天。")]
    elif checked_on.year != check.plan.year:
        errors["checked_on"] = [_("检查日期应在计划年度（%(year)s年）内。") % {"year": check.plan.year}]
    if not (inspectors or "").strip():
        errors["inspectors"] = [_("请填写检查人员。")]
    rows = []
    for n, finding in enumerate(findings, start=1):
        category, text = finding.get("category"), (finding.get("description") or "").strip()
        if category not in FindingCategory.values:
            errors.setdefault("findings", []).append(_("第%(n)s项问题：请选择不合格情况类别。") % {"n": n})
        elif not text:
            errors.setdefault("findings", []).append(_("第%(n)s项问题：请填写问题描述。") % {"n": n})
        else:
            rows.append((category, text))
    files = _files_checked(evidence, errors, "evidence")
    _raise_if(errors)
    old = check.status
    check.status = SpotCheckStatus.DONE
    check.checked_on, check.inspectors, check.note = checked_on, inspectors.strip(), (note or "").strip()
    check.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    check.recorded_at = timezone.now()
    check.save()
    Finding.objects.bulk_create([Finding(spot_check=check, category=c, description=t, order=i)
                                 for i, (c, t) in enumerate(rows)])
    for upload in files:
        stored = store_upload(upload, actor=actor, province_id=check.province_id, field="evidence")
        SpotCheckEvidence.objects.create(spot_check=check, file=stored)
    audit(actor=actor, obj=check, action="supervision.check.recorded", old={"status": old},
          new={**snapshot(check, CHECK_FIELDS), "findings": [[c, t] for c, t in rows], "files": len(files)})
    return check


@transaction.atomic
def finding_open_ledger_entry(*, actor, finding_id: int, severity: str, requirement: str, due_on: date,
                              responsible_name: str = ""):
    """Put a finding on the rectification ledger (整改台账), once."""
    finding = (Finding.objects.select_for_update(of=("self",))
               .select_related("spot_check__plan", "spot_check__institution").get(pk=finding_id))
    _check_organiser(actor, finding.spot_check.plan.organisation_id)
    if finding.ledger_entry_id is not None:
        raise TransitionError(_("该问题已列入整改台账。"), code="invalid_transition")
    entry = ledger_entry_open(
        actor=actor, institution=finding.spot_check.institution, source=LedgerSource.SUPERVISION,
        description=f"{finding.get_category_display()}：{finding.description}", severity=severity,
        requirement=requirement, due_on=due_on, responsible_name=responsible_name, source_object=finding)
    finding.ledger_entry = entry
    finding.save(update_fields=["ledger_entry"])
    audit(actor=actor, obj=finding.spot_check, action="supervision.finding.ledger_opened",
          new={"finding": finding.pk, "ledger_entry": entry.pk})
    return entry


# ---- Penalties ---------------------------------------------------------------------------------

def _penalty_errors(check: SpotCheck, *, warning: bool, fine, decision_number: str, decided_on,
                    exclude_pk: int | None = None) -> tuple[dict, Decimal | None]:
    errors: dict[str, list[str]] = {}
    amount = None
    try:
        amount = Decimal(fine if fine not in (None, "") else 0)
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        errors["fine"] = [_("罚款金额不正确。")]
    else:
        if amount < 0:
            errors["fine"] = [_("罚款金额不能为负数。")]
        elif amount.as_tuple().exponent < -4:
            errors["fine"] = [_("罚款金额以万元为单位，最多保留4位小数。")]
        elif not warning and amount == 0:
            errors["fine"] = [_("请选择警告或填写罚款金额。")]
    number = (decision_number or "").strip()
    if not number:
        errors["decision_number"] = [_("请填写处罚决定书文号。")]
    elif Penalty.objects.filter(province_id=check.province_id, decision_number=number).exclude(
            pk=exclude_pk).exists():
        errors["decision_number"] = [_("文号“%(number)s”已使用。") % {"number": number}]
    if not _is_date(decided_on):
        errors["decided_on"] = [_("请填写处罚决定日期。")]
    elif decided_on > _today():
        errors["decided_on"] = [_("处罚决定日期不能晚于今天。")]
    elif check.checked_on and decided_on < check.checked_on:
        errors["decided_on"] = [_("处罚决定日期不能早于检查日期（%(d)s）。") % {"d": check.checked_on.isoformat()}]
    return errors, amount


@transaction.atomic
def penalty_create(*, actor, check_id: int, warning: bool, fine, decision_number: str,
                   decided_on: date) -> Penalty:
    """A draft penalty decision after a done spot-check."""
    check = SpotCheck.objects.select_for_update(of=("self",)).select_related("plan").get(pk=check_id)
    _check_organiser(actor, check.plan.organisation_id)
    if check.status != SpotCheckStatus.DONE:
        raise TransitionError(_("请先登记检查结果，再录入行政处罚。"), code="invalid_transition")
    errors, amount = _penalty_errors(check, warning=warning, fine=fine, decision_number=decision_number,
                                     decided_on=decided_on)
    _raise_if(errors)
    penalty = Penalty.objects.create(
        spot_check=check, province_id=check.province_id, region_id=check.region_id,
        institution_id=check.institution_id, warning=bool(warning), fine=amount,
        decision_number=decision_number.strip(), decided_on=decided_on, status=PenaltyStatus.DRAFT,
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit(actor=actor, obj=penalty, action="supervision.penalty.created", new=snapshot(penalty, PENALTY_FIELDS))
    return penalty


def _lock_penalty(penalty_id: int) -> Penalty:
    return (Penalty.objects.select_for_update(of=("self",))
            .select_related("spot_check__plan").get(pk=penalty_id))


@transaction.atomic
def penalty_update(*, actor, penalty_id: int, warning: bool, fine, decision_number: str,
                   decided_on: date) -> Penalty:
    """Correct a draft; a final decision is immutable."""
    penalty = _lock_penalty(penalty_id)
    _check_organiser(actor, penalty.spot_check.plan.organisation_id)
    if penalty.status not in PENALTY_EDITABLE_STATUSES:
        raise TransitionError(_("处罚决定已生效，不能修改。"), code="invalid_transition")
    errors, amount = _penalty_errors(penalty.spot_check, warning=warning, fine=fine,
                                     decision_number=decision_number, decided_on=decided_on,
                                     exclude_pk=penalty.pk)
    _raise_if(errors)
    before = snapshot(penalty, PENALTY_FIELDS)
    penalty.warning, penalty.fine = bool(warning), amount
    penalty.decision_number, penalty.decided_on = decision_number.strip(), decided_on
    penalty.save()
    audit(actor=actor, obj=penalty, action="supervision.penalty.updated", old=before,
          new=snapshot(penalty, PENALTY_FIELDS))
    return penalty


@transaction.atomic
def penalty_finalise(*, actor, penalty_id: int) -> Penalty:
    """The decision takes effect: from now on it is immutable and may be published."""
    penalty = _lock_penalty(penalty_id)
    _check_organiser(actor, penalty.spot_check.plan.organisation_id)
    _assert_transition(PENALTY_TRANSITIONS, penalty.status, PenaltyStatus.FINAL, penalty.get_status_display())
    penalty.status = PenaltyStatus.FINAL
    penalty.finalised_at = timezone.now()
    penalty.finalised_by = actor if getattr(actor, "is_authenticated", False) else None
    penalty.save(update_fields=["status", "finalised_at", "finalised_by"])
    audit(actor=actor, obj=penalty, action="supervision.penalty.finalised", old={"status": PenaltyStatus.DRAFT},
          new={"status": penalty.status})
    return penalty


# ---- Campaigns ---------------------------------------------------------------------------------

@transaction.atomic
def campaign_create(*, actor, name: str, period_start: date, period_end: date, steps: Sequence[Mapping],
                    institutions: Sequence[Organisation] | None = None,
                    organisation: Organisation | None = None) -> Campaign:
    """A special campaign with its dated steps; by default every institution with an accepted
    filing in the organiser's jurisdiction is in scope."""
    org = _planner_organisation(actor, organisation)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写专项治理名称。")]
    elif Campaign.objects.filter(organisation=org, name=name).exists():
        errors["name"] = [_("本单位已有同名专项治理。")]
    period_ok = _is_date(period_start) and _is_date(period_end)
    if not _is_date(period_start):
        errors["period_start"] = [_("请填写开始日期。")]
    if not _is_date(period_end):
        errors["period_end"] = [_("请填写结束日期。")]
    elif period_ok and period_end < period_start:
        errors["period_end"] = [_("结束日期不能早于开始日期。")]
        period_ok = False
    rows = []
    for n, step in enumerate(steps or [], start=1):
        step_name, starts_on, ends_on = (step.get("name") or "").strip(), step.get("starts_on"), step.get("ends_on")
        if not step_name:
            errors.setdefault("steps", []).append(_("第%(n)s个阶段：请填写阶段名称。") % {"n": n})
        elif not (_is_date(starts_on) and _is_date(ends_on)):
            errors.setdefault("steps", []).append(_("第%(n)s个阶段：请填写起止日期。") % {"n": n})
        elif ends_on < starts_on:
            errors.setdefault("steps", []).append(_("第%(n)s个阶段：结束日期不能早于开始日期。") % {"n": n})
        elif period_ok and (starts_on < period_start or ends_on > period_end):
            errors.setdefault("steps", []).append(_("第%(n)s个阶段：起止日期应在专项治理期间内。") % {"n": n})
        else:
            rows.append((step_name, starts_on, ends_on))
    if not steps:
        errors["steps"] = [_("请至少填写一个阶段。")]
    if institutions is None:
        members = list(filed_institutions_in_jurisdiction(org))
    else:
        members = list(dict.fromkeys(institutions))
        outside = [i.name for i in members if not _within(org, i)]
        if outside:
            errors["institutions"] = [_("以下机构不在本单位管辖范围内：%(names)s") % {"names": "、".join(outside)}]
    if not members and "institutions" not in errors:
        errors["institutions"] = [_("管辖范围内没有纳入治理的机构。")]
    _raise_if(errors)
    campaign = Campaign.objects.create(
        province_id=org.province_id, region_id=org.region_id, organisation=org, name=name,
        period_start=period_start, period_end=period_end,
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    CampaignStep.objects.bulk_create([CampaignStep(campaign=campaign, name=n, starts_on=s, ends_on=e, order=i)
                                      for i, (n, s, e) in enumerate(rows)])
    CampaignInstitution.objects.bulk_create([
        CampaignInstitution(campaign=campaign, institution=i, province_id=i.province_id, region_id=i.region_id)
        for i in members])
    audit(actor=actor, obj=campaign, action="supervision.campaign.created",
          new={**snapshot(campaign, CAMPAIGN_FIELDS), "steps": [[n, s, e] for n, s, e in rows],
               "institutions": [i.pk for i in members]})
    return campaign


@transaction.atomic
def self_inspection_file(*, actor, member_id: int, off_site: bool, employers_examined: int,
                         workers_examined: int, problems: Sequence[Mapping],
                         report: UploadedFile | None = None) -> SelfInspection:
    """An institution files (or re-files) its self-inspection for a campaign (附表1).

    Categories and address are taken from its accepted filing at the time of filing.
    """
    member = (CampaignInstitution.objects.select_for_update(of=("self",))
              .select_related("campaign", "institution").get(pk=member_id))
    _check_capability(actor, "supervision.self_inspect")
    if actor is not None and not actor.is_superuser and member.institution_id not in institution_ids_for(actor):
        raise PermissionDenied
    campaign = member.campaign
    errors: dict[str, list[str]] = {}
    if _today() < campaign.period_start:
        errors["__all__"] = [_("专项治理自%(d)s开始，届时再填报自查情况。") % {"d": campaign.period_start.isoformat()}]
    if problems_count := _count_errors(employers_examined, _("职业健康检查家数")):
        errors["employers_examined"] = problems_count
    if problems_count := _count_errors(workers_examined, _("职业健康检查人数")):
        errors["workers_examined"] = problems_count
    rows = []
    for n, problem in enumerate(problems or [], start=1):
        text, fix_on = (problem.get("description") or "").strip(), problem.get("fix_on")
        if not text:
            errors.setdefault("problems", []).append(_("第%(n)s个问题：请填写问题描述。") % {"n": n})
        elif not _is_date(fix_on):
            errors.setdefault("problems", []).append(_("第%(n)s个问题：请填写整改日期。") % {"n": n})
        elif fix_on < campaign.period_start:
            errors.setdefault("problems", []).append(
                _("第%(n)s个问题：整改日期不能早于专项治理开始日期（%(d)s）。")
                % {"n": n, "d": campaign.period_start.isoformat()})
        else:
            rows.append((text, fix_on))
    files = _files_checked([report] if report else [], errors, "report")
    _raise_if(errors)
    facts = filing_facts([member.institution_id]).get(member.institution_id)
    values = {
        "categories": facts.categories if facts else [], "address": facts.address if facts else "",
        "off_site": bool(off_site), "employers_examined": employers_examined, "workers_examined": workers_examined,
    }
    if files:
        values["report"] = store_upload(files[0], actor=actor, province_id=member.province_id, field="report")
    inspection = SelfInspection.objects.filter(member=member).first()
    before = snapshot(inspection, SELF_INSPECTION_FIELDS) if inspection else None
    if inspection is None:
        inspection = SelfInspection(member=member, campaign=campaign, institution_id=member.institution_id,
                                    province_id=member.province_id, region_id=member.region_id)
    for key, value in values.items():
        setattr(inspection, key, value)
    inspection.filed_by = actor if getattr(actor, "is_authenticated", False) else None
    inspection.filed_at = timezone.now()
    inspection.save()
    inspection.problems.all().delete()
    SelfInspectionProblem.objects.bulk_create([
        SelfInspectionProblem(self_inspection=inspection, description=t, fix_on=d, order=i)
        for i, (t, d) in enumerate(rows)])
    audit(actor=actor, obj=inspection,
          action="supervision.self_inspection.refiled" if before else "supervision.self_inspection.filed",
          old=before, new={**snapshot(inspection, SELF_INSPECTION_FIELDS), "problems": [[t, d] for t, d in rows]})
    return inspection
