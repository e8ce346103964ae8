"""The on-site verification of a newly filed institution [241-1] [JL-1.3]: opened on first
acceptance, scheduled by the QC center, answered line by line, signed off with a verdict
per filed item; after sign-off only a recorded correction changes the result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filing.choices import FilingStatus, ItemStatus
from filing.models import FiledItem, Filing
from filing.services import filed_item_set_status
from portal.accounts.choices import OrgKind
from portal.accounts.models import User
from portal.audit.services import audit
from portal.core.uploads import store_upload, uploads_checked
from portal.workdays.services import add_months, add_working_days

from ..choices import (
    FINDING_RECTIFICATION_WORKING_DAYS,
    VERIFICATION_DUE_MONTHS,
    VERIFICATION_PENDING,
    VERIFICATION_TRANSITIONS,
    Answer,
    ChecklistVersionStatus,
    VerificationOutcome,
    VerificationStatus,
)
from ..models import (
    ChecklistAnswer,
    ChecklistLine,
    ChecklistVersion,
    ItemFinding,
    VerificationCase,
    VerificationCorrection,
)
from ._common import TransitionError, assert_transition, check_capability, check_province, raise_if, today

MAX_EVIDENCE_FILES = 10
EVIDENCE_KINDS = ("jpeg", "png", "pdf")


def verification_due_on(filed_on: date) -> date:
    return add_months(filed_on, VERIFICATION_DUE_MONTHS)


def _lock(case_id: int) -> VerificationCase:
    return VerificationCase.objects.select_for_update(of=("self",)).get(pk=case_id)


def _item_label(item: FiledItem) -> tuple[str, str]:
    target = item.exam_item or item.disease
    return target.code, target.name


# ---- Opening -----------------------------------------------------------------------------------

@transaction.atomic
def verification_case_open(*, filing_id: int, version_id: int | None = None, actor=None) -> tuple[VerificationCase, bool]:
    """Open the case of an accepted filing; a second call returns the case already open."""
    existing = VerificationCase.objects.filter(filing_id=filing_id).first()
    if existing is not None:
        return existing, False
    filing = Filing.objects.select_for_update().get(pk=filing_id)
    if filing.status != FilingStatus.ACCEPTED or filing.filed_on is None:
        raise TransitionError(_("只有已备案的机构才安排现场核查。"), code="not_filed")
    case, created = VerificationCase.objects.get_or_create(filing=filing, defaults={
        "province_id": filing.province_id, "region_id": filing.region_id, "institution_id": filing.institution_id,
        "filing_version_id": version_id or filing.current_version_id, "filed_on": filing.filed_on,
        "due_on": verification_due_on(filing.filed_on),
    })
    if created:
        audit(actor=actor, obj=case, action="inspections.verification.opened",
              new={"filing": filing.pk, "filed_on": case.filed_on, "due_on": case.due_on})
    return case, created


def open_case_on_first_acceptance(sender, *, filing_id, version_id, first_acceptance, actor, **kwargs):
    """Receiver of filing.events.filing_accepted: changes to a filing open nothing new."""
    if first_acceptance:
        verification_case_open(filing_id=filing_id, version_id=version_id, actor=actor)


@transaction.atomic
def verification_withdraw_on_cancellation(*, filing_id: int, actor=None) -> VerificationCase | None:
    """End the case of a cancelled filing that was not yet signed off; a signed-off case stays as it is."""
    case = VerificationCase.objects.select_for_update().filter(filing_id=filing_id).first()
    if case is None or case.status not in VERIFICATION_PENDING:
        return None
    assert_transition(VERIFICATION_TRANSITIONS, case.status, VerificationStatus.WITHDRAWN, label=_("现场核查"))
    old = case.status
    case.status = VerificationStatus.WITHDRAWN
    case.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=case, action="inspections.verification.withdrawn", old={"status": old},
          new={"status": case.status, "reason": "filing_cancelled"})
    return case


def withdraw_case_on_cancellation(sender, *, filing_id, actor=None, **kwargs):
    """Receiver of filing.events.filing_cancelled."""
    verification_withdraw_on_cancellation(filing_id=filing_id, actor=actor)


def verification_cases_open_missing(*, province=None) -> int:
    """Cases for filings accepted before this app listened (or imported); returns how many opened."""
    filings = Filing.objects.filter(status=FilingStatus.ACCEPTED, filed_on__isnull=False)
    if province is not None:
        filings = filings.filter(province=province)
    opened = 0
    for filing_id in filings.exclude(pk__in=VerificationCase.objects.values("filing_id")).values_list("pk", flat=True):
        _case, created = verification_case_open(filing_id=filing_id)
        opened += int(created)
    return opened


# ---- Scheduling --------------------------------------------------------------------------------

@transaction.atomic
def verification_schedule(*, case_id: int, actor, scheduled_on: date, team: Sequence[User],
                          note: str = "") -> VerificationCase:
    """Date and team (staff of a QC center of the province); rescheduling is allowed until it starts."""
    check_capability(actor, "inspections.manage_verifications")
    case = _lock(case_id)
    check_province(actor, case.province_id)
    assert_transition(VERIFICATION_TRANSITIONS, case.status, VerificationStatus.SCHEDULED, label=_("现场核查"))
    errors: dict[str, list] = {}
    if not isinstance(scheduled_on, date):
        errors["scheduled_on"] = [_("请填写核查日期。")]
    elif scheduled_on < today():
        errors["scheduled_on"] = [_("核查日期不能早于今天。")]
    members = list(team or [])
    if not members:
        errors["team"] = [_("请至少选择一名核查人员。")]
    for member in members:
        org = member.organisation
        if (not member.is_active or org is None or org.kind != OrgKind.QC_CENTER
                or org.province_id != case.province_id or not org.is_active):
            errors.setdefault("team", []).append(
                _("“%(name)s”不是本省质量控制中心的在职人员。") % {"name": member})
    raise_if(errors)
    old = {"status": case.status, "scheduled_on": case.scheduled_on,
           "team": sorted(case.team.values_list("pk", flat=True))}
    case.status = VerificationStatus.SCHEDULED
    case.scheduled_on = scheduled_on
    case.schedule_note = (note or "").strip()[:255]
    case.save(update_fields=["status", "scheduled_on", "schedule_note", "updated_at"])
    case.team.set(members)
    audit(actor=actor, obj=case, action="inspections.verification.scheduled", old=old,
          new={"status": case.status, "scheduled_on": scheduled_on, "team": sorted(m.pk for m in members)})
    return case


@transaction.atomic
def verification_start(*, case_id: int, actor) -> VerificationCase:
    """Begin on site: fix the checklist version and the filed items the verdict will cover."""
    check_capability(actor, "inspections.manage_verifications")
    case = _lock(case_id)
    check_province(actor, case.province_id)
    assert_transition(VERIFICATION_TRANSITIONS, case.status, VerificationStatus.IN_PROGRESS, label=_("现场核查"))
    checklist = (ChecklistVersion.objects.filter(province_id=case.province_id,
                                                 status=ChecklistVersionStatus.PUBLISHED)
                 .order_by("-number").first())
    if checklist is None:
        raise ValidationError({"checklist": _("本省尚未发布现场核查表，请先发布。")})
    filing = Filing.objects.get(pk=case.filing_id)
    if filing.status != FilingStatus.ACCEPTED:
        raise TransitionError(_("该备案已注销，不能开展核查。"), code="cancelled")
    case.filing_version_id = filing.current_version_id
    case.checklist_version = checklist
    case.status = VerificationStatus.IN_PROGRESS
    case.started_at = timezone.now()
    case.save(update_fields=["filing_version", "checklist_version", "status", "started_at", "updated_at"])
    items = FiledItem.objects.filter(version_id=filing.current_version_id).select_related("exam_item", "disease")
    ItemFinding.objects.bulk_create(
        [ItemFinding(case=case, item_code=code, item_name=name[:300])
         for code, name in (_item_label(i) for i in items)], ignore_conflicts=True)
    audit(actor=actor, obj=case, action="inspections.verification.started",
          old={"status": VerificationStatus.SCHEDULED},
          new={"status": case.status, "checklist_version": checklist.pk})
    return case


# ---- Answering ---------------------------------------------------------------------------------

@transaction.atomic
def verification_answer(*, case_id: int, actor, line_id: int, answer: str, note: str = "",
                        evidence: Sequence = ()) -> ChecklistAnswer:
    """One line's answer, note and evidence; every file is checked before any is stored."""
    check_capability(actor, "inspections.manage_verifications")
    case = _lock(case_id)
    check_province(actor, case.province_id)
    if case.status != VerificationStatus.IN_PROGRESS:
        raise TransitionError(_("只有核查中的案件可以填写核查结果。"), code="not_in_progress")
    errors: dict[str, list] = {}
    line = ChecklistLine.objects.filter(pk=line_id, version_id=case.checklist_version_id).first()
    if line is None:
        errors["line"] = [_("该条目不属于本次核查使用的核查表版本。")]
    if answer not in Answer.values:
        errors["answer"] = [_("请选择符合、不符合或不适用。")]
    elif answer == Answer.NOT_CONFORMING and not (note or "").strip():
        errors["note"] = [_("不符合时须说明发现的问题。")]
    files = uploads_checked(evidence, errors, field="evidence", kinds=EVIDENCE_KINDS, max_files=MAX_EVIDENCE_FILES,
                            too_many=_("每条最多上传 %(n)s 个文件。"))
    raise_if(errors)
    row, created = ChecklistAnswer.objects.get_or_create(
        case=case, line=line, defaults={"answer": answer, "note": (note or "").strip(), "answered_by": actor})
    old = None if created else {"answer": row.answer, "note": row.note}
    row.answer, row.note, row.answered_by = answer, (note or "").strip(), actor
    row.save()
    stored = [store_upload(f, actor=actor, province_id=case.province_id, kinds=EVIDENCE_KINDS, field="evidence")
              for f in files]
    if stored:
        row.evidence.add(*stored)
    audit(actor=actor, obj=case, action="inspections.verification.answered", old=old,
          new={"line": line.code, "answer": answer, "note": row.note, "files": [s.pk for s in stored]})
    return row


# ---- Outcome -----------------------------------------------------------------------------------

def _clean_findings(case: VerificationCase, outcome: str, findings: dict[str, tuple[bool, str]],
                    errors: dict) -> dict[str, tuple[bool, str]]:
    """``findings``: item code -> (capable, reason); items not named stay as recorded."""
    known = {f.item_code: f for f in case.item_findings.all()}
    result = {code: (f.capable, f.reason) for code, f in known.items()}
    for code, (capable, reason) in (findings or {}).items():
        if code not in known:
            errors.setdefault("items", []).append(_("项目 %(code)s 不在本次核查的备案项目中。") % {"code": code})
            continue
        if not capable and not (reason or "").strip():
            errors.setdefault("items", []).append(
                _("认定“%(name)s”不具备能力时须说明理由。") % {"name": known[code].item_name})
        result[code] = (bool(capable), (reason or "").strip()[:255])
    if outcome not in VerificationOutcome.values:
        errors["outcome"] = [_("请选择核查结论。")]
        return result
    unfit = [c for c, (capable, _r) in result.items() if not capable]
    if outcome == VerificationOutcome.FIT and unfit:
        errors["outcome"] = [_("结论为“符合备案条件”时，所有项目均应具备能力；部分项目不具备能力请选择相应结论。")]
    if outcome == VerificationOutcome.FIT_EXCEPT and (not unfit or len(unfit) == len(result)):
        errors["outcome"] = [_("“部分项目不具备能力”须至少认定一个、且不是全部项目不具备能力。")]
    return result


def _apply_item_statuses(case: VerificationCase, before: dict[str, bool], after: dict[str, tuple[bool, str]],
                         actor, reason_prefix: str) -> None:
    for code, (capable, reason) in after.items():
        if before.get(code, True) == capable:
            continue
        status = ItemStatus.ACTIVE if capable else ItemStatus.NOT_CAPABLE
        filed_item_set_status(filing_id=case.filing_id, item_code=code, status=status,
                              reason=f"{reason_prefix}{reason}" if not capable else reason_prefix.rstrip("：:"),
                              actor=actor)


def _save_findings(case: VerificationCase, result: dict[str, tuple[bool, str]]) -> None:
    for finding in case.item_findings.all():
        capable, reason = result[finding.item_code]
        if (finding.capable, finding.reason) != (capable, reason):
            finding.capable, finding.reason = capable, reason
            finding.save(update_fields=["capable", "reason"])


def _open_ledger_entries(case: VerificationCase, actor) -> int:
    from qc.ledger.choices import LedgerSource, Severity
    from qc.ledger.services import ledger_entry_open

    due_on = add_working_days(today(), FINDING_RECTIFICATION_WORKING_DAYS)
    opened = 0
    answers = case.answers.filter(answer=Answer.NOT_CONFORMING, ledger_entry_id__isnull=True).select_related("line")
    for row in answers:
        entry = ledger_entry_open(
            actor=actor, institution=case.institution, source=LedgerSource.ONSITE_VERIFICATION,
            description=f"{row.line.code} {row.line.text}：{row.note}",
            severity=Severity.CRITICAL if row.line.is_key else Severity.MAJOR,
            requirement=_("按照现场核查意见整改，并提交整改报告及佐证材料。"), due_on=due_on, source_object=case,
        )
        row.ledger_entry_id = entry.pk
        row.save(update_fields=["ledger_entry_id"])
        opened += 1
    return opened


@transaction.atomic
def verification_sign_off(*, case_id: int, actor, outcome: str, note: str = "",
                          findings: dict[str, tuple[bool, str]] | None = None) -> VerificationCase:
    """Record the verdict; items found not capable leave the public scope; findings go to the ledger."""
    check_capability(actor, "inspections.manage_verifications")
    case = _lock(case_id)
    check_province(actor, case.province_id)
    assert_transition(VERIFICATION_TRANSITIONS, case.status, VerificationStatus.SIGNED_OFF, label=_("现场核查"))
    errors: dict[str, list] = {}
    answered = set(case.answers.values_list("line_id", flat=True))
    unanswered = list(ChecklistLine.objects.filter(version_id=case.checklist_version_id)
                      .exclude(pk__in=answered).values_list("code", flat=True))
    if unanswered:
        errors["answers"] = [_("以下条目尚未填写核查结果：%(codes)s。") % {"codes": "、".join(unanswered)}]
    result = _clean_findings(case, outcome, findings or {}, errors)
    raise_if(errors)
    # Before sign-off nothing has reached the filing: every item is still as filed.
    before = dict.fromkeys(result, True)
    _save_findings(case, result)
    case.outcome, case.outcome_note = outcome, (note or "").strip()
    case.status = VerificationStatus.SIGNED_OFF
    case.signed_off_on, case.signed_off_by = today(), actor
    case.save(update_fields=["outcome", "outcome_note", "status", "signed_off_on", "signed_off_by", "updated_at"])
    _apply_item_statuses(case, before, result, actor, _("现场核查认定不具备能力："))
    opened = _open_ledger_entries(case, actor)
    audit(actor=actor, obj=case, action="inspections.verification.signed_off",
          old={"status": VerificationStatus.IN_PROGRESS},
          new={"status": case.status, "outcome": outcome, "ledger_entries": opened,
               "not_capable": sorted(c for c, (capable, _r) in result.items() if not capable)})
    return case


def _result_snapshot(case: VerificationCase) -> dict:
    return {"outcome": case.outcome, "note": case.outcome_note,
            "not_capable": {f.item_code: f.reason for f in case.item_findings.all() if not f.capable}}


@transaction.atomic
def verification_correct(*, case_id: int, actor, reason: str, outcome: str, note: str = "",
                         findings: dict[str, tuple[bool, str]] | None = None) -> VerificationCorrection:
    """The only change a signed-off result accepts: recorded with its reason, old and new."""
    check_capability(actor, "inspections.manage_verifications")
    case = _lock(case_id)
    check_province(actor, case.province_id)
    if case.status != VerificationStatus.SIGNED_OFF:
        raise TransitionError(_("只有已签发的核查结论需要更正；签发前可直接修改。"), code="not_signed_off")
    errors: dict[str, list] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("更正已签发的核查结论须说明理由。")]
    result = _clean_findings(case, outcome, findings or {}, errors)
    raise_if(errors)
    old = _result_snapshot(case)
    before = {f.item_code: f.capable for f in case.item_findings.all()}
    _save_findings(case, result)
    case.outcome, case.outcome_note = outcome, (note or "").strip()
    case.save(update_fields=["outcome", "outcome_note", "updated_at"])
    new = _result_snapshot(case)
    if old == new:
        raise ValidationError({"outcome": _("更正内容与原结论相同。")})
    _apply_item_statuses(case, before, result, actor, _("现场核查结论更正："))
    correction = VerificationCorrection.objects.create(case=case, reason=reason.strip(), old=old, new=new,
                                                       actor=actor)
    audit(actor=actor, obj=case, action="inspections.verification.corrected", old=old,
          new={**new, "reason": correction.reason})
    return correction

