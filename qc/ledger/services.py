"""Writes of the problem list and rectification ledger [241-4] [241-5].

Other apps put findings on the ledger with :func:`ledger_entry_open`; QC, on-site
verification and supervision call it, the ledger imports none of them. Each step of the
workflow is its own function with the same shape: lock the row, check the transition
table in choices.py, check the actor's reach, validate every input (all errors at once,
before anything is stored), record a dated step with its files, audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.permissions import has_capability
from portal.accounts.scoping import CHANGE, user_covers_region
from portal.audit.services import audit, snapshot
from portal.core.uploads import store_upload, validate_upload

from .choices import (
    LEDGER_TRANSITIONS,
    CaseReportKind,
    LedgerSource,
    LedgerStatus,
    Severity,
    StepKind,
    VerificationMethod,
)
from .models import CaseReportCheck, CaseReportProblem, LedgerEntry, LedgerEvidence, LedgerStep
from .selectors import visible_entries

MAX_EVIDENCE_FILES = 10
OPENED_FIELDS = ["institution", "source", "source_type", "source_id", "source_label", "description", "severity",
                 "requirement", "due_on", "responsible_name", "status"]


class TransitionError(ValidationError):
    """The entry is not in a state that allows this step (HTTP 400, or 409 when it changed meanwhile)."""


def assert_transition(entry: LedgerEntry, *, to: str) -> None:
    if to not in LEDGER_TRANSITIONS.get(entry.status, set()):
        raise TransitionError(
            _("整改台账条目 %(number)s 当前状态为“%(status)s”，不能执行此操作。")
            % {"number": entry.number, "status": LedgerStatus(entry.status).label},
            code="invalid_transition",
        )


# ---- Helpers ---------------------------------------------------------------------------------

def _today() -> date:
    return timezone.localdate()


def _organisation_of(actor):
    return actor.organisation if actor is not None and getattr(actor, "organisation_id", None) else None


def _check_capability(actor, capability: str) -> None:
    """``actor=None`` is the system (a task, the demo); a person needs the capability."""
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied


def _check_reach(actor, entry: LedgerEntry, capability: str) -> None:
    """The actor holds the capability and the entry lies in their tenant and jurisdiction
    (an institution's staff: their own institution)."""
    _check_capability(actor, capability)
    if actor is None or actor.is_superuser:
        return
    if not visible_entries(actor, CHANGE).filter(pk=entry.pk).exists():
        raise PermissionDenied


def _institution_errors(actor, institution) -> list[str]:
    if institution is None:
        return [_("请选择机构。")]
    if institution.kind != OrgKind.INSTITUTION or institution.province_id is None or institution.region_id is None:
        return [_("“%(name)s”不是职业健康检查或职业病诊断机构。") % {"name": institution.name}]
    if not institution.is_active:
        return [_("机构“%(name)s”已停用。") % {"name": institution.name}]
    if actor is not None and not actor.is_superuser:
        org = _organisation_of(actor)
        if org is None or org.province_id != institution.province_id or not user_covers_region(
                actor, institution.region):
            return [_("机构“%(name)s”不在您的管辖范围内。") % {"name": institution.name}]
    return []


def _files_checked(evidence: Sequence[UploadedFile] | None, errors: dict, *, field: str = "evidence") -> list:
    """Validate every upload before anything is stored, so a refused step leaves no file behind."""
    files = [f for f in (evidence or []) if f]
    if len(files) > MAX_EVIDENCE_FILES:
        errors.setdefault(field, []).append(
            _("每次最多上传 %(n)s 个文件。") % {"n": MAX_EVIDENCE_FILES})
        return files
    for upload in files:
        try:
            validate_upload(upload, field=field)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
    return files


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _lock(entry_id: int) -> LedgerEntry:
    # of=("self",): lock the entry row only, not the institution or regions it joins.
    return LedgerEntry.objects.select_for_update(of=("self",)).select_related("province").get(pk=entry_id)


def _record_step(entry: LedgerEntry, *, kind: str, actor, text: str = "", files: Sequence = (),
                 verification_method: str = "", verified_on: date | None = None) -> LedgerStep:
    org = _organisation_of(actor)
    step = LedgerStep.objects.create(
        entry=entry, kind=kind, status_after=entry.status, at=entry.status_changed_at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=(str(actor) if actor is not None else _("系统"))[:150],
        organisation_name=org.name[:200] if org else "", text=text,
        verification_method=verification_method, verified_on=verified_on,
    )
    stored = [store_upload(f, actor=actor, province_id=entry.province_id, field="evidence") for f in files]
    LedgerEvidence.objects.bulk_create([LedgerEvidence(step=step, file=s) for s in stored])
    step.stored_ids = [s.pk for s in stored]
    return step


def _move(entry: LedgerEntry, *, to: str, extra_fields: Sequence[str] = ()) -> str:
    old = entry.status
    entry.status = to
    entry.status_changed_at = timezone.now()
    entry.save(update_fields=["status", "status_changed_at", "updated_at", *extra_fields])
    return old


def _audit_step(actor, entry: LedgerEntry, step: LedgerStep, *, action: str, old: str, **new) -> None:
    audit(actor=actor, obj=entry, action=action, old={"status": old},
          new={"status": entry.status, "step": step.pk, **({"files": step.stored_ids} if step.stored_ids else {}),
               **new})


def _verification_errors(entry: LedgerEntry, *, verification_method: str, verified_on: date | None,
                         verification_note: str) -> dict:
    errors: dict[str, list[str]] = {}
    if verification_method not in VerificationMethod.values:
        errors["verification_method"] = [_("请选择核查方式。")]
    if verified_on is None:
        errors["verified_on"] = [_("请填写核查日期。")]
    elif verified_on > _today():
        errors["verified_on"] = [_("核查日期不能晚于今天。")]
    else:
        reported = (entry.steps.filter(kind=StepKind.FIX_SUBMITTED).order_by("-at", "-pk")
                    .values_list("at", flat=True).first())
        if reported and verified_on < timezone.localdate(reported):
            errors["verified_on"] = [_("核查日期不能早于机构报告整改完成的日期（%(day)s）。")
                                     % {"day": timezone.localdate(reported).isoformat()}]
    if not (verification_note or "").strip():
        errors["verification_note"] = [_("请填写核查结论：整改是否有效，依据是什么。")]
    return errors


# ---- Opening ---------------------------------------------------------------------------------

@transaction.atomic
def ledger_entry_open(*, actor, institution, source: str, description: str, severity: str, requirement: str,
                      due_on: date, responsible_name: str = "", source_object=None) -> LedgerEntry:
    """Put one problem of one institution on the ledger.

    ``source_object`` (any model instance) is kept as content type, id and label, and its
    ``get_absolute_url()`` when it has one. Province and region are the institution's.
    """
    _check_capability(actor, "ledger.open")
    errors: dict[str, list[str]] = {}
    if problems := _institution_errors(actor, institution):
        errors["institution"] = problems
    if source not in LedgerSource.values:
        errors["source"] = [_("请选择问题来源。")]
    if severity not in Severity.values:
        errors["severity"] = [_("请选择严重程度。")]
    if not (description or "").strip():
        errors["description"] = [_("请填写问题描述。")]
    if not (requirement or "").strip():
        errors["requirement"] = [_("请填写整改要求。")]
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        errors["due_on"] = [_("请填写整改期限。")]
    elif due_on < _today():
        errors["due_on"] = [_("整改期限不能早于今天。")]
    _raise_if(errors)

    now = timezone.now()
    entry = LedgerEntry(
        province_id=institution.province_id, region_id=institution.region_id, institution=institution,
        source=source, description=description.strip(), severity=severity, requirement=requirement.strip(),
        due_on=due_on, responsible_name=(responsible_name or "").strip()[:64], status=LedgerStatus.OPEN,
        opened_by=actor if getattr(actor, "is_authenticated", False) else None,
        opened_by_organisation=_organisation_of(actor), opened_at=now, status_changed_at=now,
    )
    if source_object is not None:
        entry.source_type = ContentType.objects.get_for_model(source_object)
        entry.source_id = str(source_object.pk)
        entry.source_label = str(source_object)[:255]
        url = getattr(source_object, "get_absolute_url", None)
        entry.source_url = url()[:255] if callable(url) else ""
    entry.save()
    _record_step(entry, kind=StepKind.OPENED, actor=actor)
    audit(actor=actor, obj=entry, action="ledger.entry.opened", new=snapshot(entry, OPENED_FIELDS))
    return entry


# ---- The institution answers -------------------------------------------------------------------

@transaction.atomic
def ledger_entry_submit_plan(*, entry_id: int, actor, plan: str,
                             evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution's rectification plan (整改方案), with supporting files."""
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.PLAN_SUBMITTED)
    if entry.status == LedgerStatus.RETURNED and entry.plan_accepted_at is not None:
        raise TransitionError(_("整改方案已认可，退回的是整改结果：请重新报告整改完成情况。"),
                              code="invalid_transition")
    _check_reach(actor, entry, "ledger.respond")
    errors: dict[str, list[str]] = {}
    if not (plan or "").strip():
        errors["plan"] = [_("请填写整改方案：措施、责任人和完成时间。")]
    files = _files_checked(evidence, errors)
    _raise_if(errors)
    old = _move(entry, to=LedgerStatus.PLAN_SUBMITTED)
    step = _record_step(entry, kind=StepKind.PLAN_SUBMITTED, actor=actor, text=plan.strip(), files=files)
    _audit_step(actor, entry, step, action="ledger.entry.plan_submitted", old=old)
    return entry


@transaction.atomic
def ledger_entry_submit_fix(*, entry_id: int, actor, report: str,
                            evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution reports the rectification done (整改完成情况).

    Proof may come with the report or, when delivered on paper or shown on site, be attached
    by the authority at verification; an entry is never closed without it.
    """
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.FIX_SUBMITTED)
    if entry.plan_accepted_at is None:
        raise TransitionError(_("整改方案尚未认可，请先提交整改方案。"), code="invalid_transition")
    _check_reach(actor, entry, "ledger.respond")
    errors: dict[str, list[str]] = {}
    if not (report or "").strip():
        errors["report"] = [_("请填写整改完成情况。")]
    files = _files_checked(evidence, errors)
    _raise_if(errors)
    old = _move(entry, to=LedgerStatus.FIX_SUBMITTED)
    step = _record_step(entry, kind=StepKind.FIX_SUBMITTED, actor=actor, text=report.strip(), files=files)
    _audit_step(actor, entry, step, action="ledger.entry.fix_submitted", old=old)
    return entry


# ---- The authority decides ---------------------------------------------------------------------

@transaction.atomic
def ledger_entry_accept_plan(*, entry_id: int, actor, note: str = "") -> LedgerEntry:
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.ACCEPTED)
    _check_reach(actor, entry, "ledger.decide")
    entry.plan_accepted_at = timezone.now()
    old = _move(entry, to=LedgerStatus.ACCEPTED, extra_fields=["plan_accepted_at"])
    step = _record_step(entry, kind=StepKind.PLAN_ACCEPTED, actor=actor, text=(note or "").strip())
    _audit_step(actor, entry, step, action="ledger.entry.plan_accepted", old=old)
    return entry


@transaction.atomic
def ledger_entry_return(*, entry_id: int, actor, reason: str) -> LedgerEntry:
    """Send the plan, or the reported fix, back with the reasons; the institution resubmits."""
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.RETURNED)
    _check_reach(actor, entry, "ledger.decide")
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写退回理由，写明需要补充或改正的内容。")]})
    old = _move(entry, to=LedgerStatus.RETURNED)
    step = _record_step(entry, kind=StepKind.RETURNED, actor=actor, text=reason.strip())
    _audit_step(actor, entry, step, action="ledger.entry.returned", old=old)
    return entry


@transaction.atomic
def ledger_entry_close(*, entry_id: int, actor, verification_method: str, verified_on: date | None,
                       verification_note: str, evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """Close (销号) after checking that the fix worked: how, when, the conclusion, and proof on file."""
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.CLOSED)
    _check_reach(actor, entry, "ledger.decide")
    errors = _verification_errors(entry, verification_method=verification_method, verified_on=verified_on,
                                  verification_note=verification_note)
    files = _files_checked(evidence, errors)
    reported = entry.steps.filter(kind=StepKind.FIX_SUBMITTED).order_by("-at", "-pk").first()
    has_proof = reported is not None and reported.evidence.exists()
    if not has_proof and not files and "evidence" not in errors:
        errors["evidence"] = [_("没有整改完成的证明材料：机构报告整改完成时未上传，请上传核查取得的证明材料后再销号。")]
    _raise_if(errors)
    entry.closed_on = verified_on
    old = _move(entry, to=LedgerStatus.CLOSED, extra_fields=["closed_on"])
    step = _record_step(entry, kind=StepKind.CLOSED, actor=actor, text=verification_note.strip(), files=files,
                        verification_method=verification_method, verified_on=verified_on)
    _audit_step(actor, entry, step, action="ledger.entry.closed", old=old, verification_method=verification_method,
                verified_on=verified_on)
    return entry


@transaction.atomic
def ledger_entry_mark_failed(*, entry_id: int, actor, verification_method: str, verified_on: date | None,
                             verification_note: str, evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """Verification found the rectification inadequate (整改不到位) [241-5]."""
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.FAILED)
    _check_reach(actor, entry, "ledger.decide")
    errors = _verification_errors(entry, verification_method=verification_method, verified_on=verified_on,
                                  verification_note=verification_note)
    files = _files_checked(evidence, errors)
    _raise_if(errors)
    old = _move(entry, to=LedgerStatus.FAILED)
    step = _record_step(entry, kind=StepKind.FAILED, actor=actor, text=verification_note.strip(), files=files,
                        verification_method=verification_method, verified_on=verified_on)
    _audit_step(actor, entry, step, action="ledger.entry.failed", old=old, verification_method=verification_method,
                verified_on=verified_on)
    return entry


@transaction.atomic
def ledger_entry_mark_refused(*, entry_id: int, actor, reason: str,
                              evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution refuses to rectify (拒不整改) [241-5]."""
    entry = _lock(entry_id)
    assert_transition(entry, to=LedgerStatus.REFUSED)
    _check_reach(actor, entry, "ledger.decide")
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("请写明认定拒不整改的事实和依据。")]
    files = _files_checked(evidence, errors)
    _raise_if(errors)
    old = _move(entry, to=LedgerStatus.REFUSED)
    step = _record_step(entry, kind=StepKind.REFUSED, actor=actor, text=reason.strip(), files=files)
    _audit_step(actor, entry, step, action="ledger.entry.refused", old=old)
    return entry


# ---- Case-report spot checks (个案报告卡抽查) -----------------------------------------------------

@transaction.atomic
def case_report_check_record(*, actor, institution, report_kind: str, report_number: str, sample_date: date,
                             problems: Sequence[str] = (), note: str = "") -> CaseReportCheck:
    """Record one sampled case report and the problems found in it (none is a valid finding)."""
    _check_capability(actor, "ledger.open")
    errors: dict[str, list[str]] = {}
    if found := _institution_errors(actor, institution):
        errors["institution"] = found
    if report_kind not in CaseReportKind.values:
        errors["report_kind"] = [_("请选择报告卡类型。")]
    number = (report_number or "").strip()
    if not number:
        errors["report_number"] = [_("请填写报告卡编号。")]
    if not isinstance(sample_date, date):
        errors["sample_date"] = [_("请填写抽查日期。")]
    elif sample_date > _today():
        errors["sample_date"] = [_("抽查日期不能晚于今天。")]
    _raise_if(errors)
    org = _organisation_of(actor)
    try:
        with transaction.atomic():
            check = CaseReportCheck.objects.create(
                province_id=institution.province_id, region_id=institution.region_id, institution=institution,
                report_kind=report_kind, report_number=number[:64], sample_date=sample_date,
                note=(note or "").strip(), checked_by=actor if getattr(actor, "is_authenticated", False) else None,
                checked_by_organisation=org,
            )
    except IntegrityError:
        raise ValidationError({"report_number": [_("该报告卡在这一天已登记过抽查结果。")]}) from None
    lines = [p.strip() for p in problems if p and p.strip()]
    CaseReportProblem.objects.bulk_create(
        [CaseReportProblem(check_record=check, description=text, order=i) for i, text in enumerate(lines, 1)])
    audit(actor=actor, obj=check, action="ledger.case_report_check.recorded",
          new={**snapshot(check, ["institution", "report_kind", "report_number", "sample_date", "note"]),
               "problems": lines})
    return check


@transaction.atomic
def case_report_problems_open(*, actor, check_id: int, problem_ids: Sequence[int], severity: str, requirement: str,
                              due_on: date, responsible_name: str = "") -> list[LedgerEntry]:
    """Put problems found in a sampled case report on the ledger, one entry each."""
    check = CaseReportCheck.objects.select_for_update(of=("self",)).select_related("institution").get(pk=check_id)
    problems = list(CaseReportProblem.objects.select_for_update().filter(check_record=check, pk__in=problem_ids)
                    .order_by("order", "pk"))
    if not problems:
        raise ValidationError({"problems": [_("请选择要列入整改台账的问题。")]})
    if any(p.ledger_entry_id for p in problems):
        raise TransitionError(_("所选问题中有的已列入整改台账，请刷新页面后重新选择。"), code="invalid_transition")
    kind = CaseReportKind(check.report_kind).label
    entries = []
    for problem in problems:
        entry = ledger_entry_open(
            actor=actor, institution=check.institution, source=LedgerSource.CASE_REPORT_CHECK,
            description=_("%(kind)s %(number)s：%(problem)s") % {
                "kind": kind, "number": check.report_number, "problem": problem.description},
            severity=severity, requirement=requirement, due_on=due_on, responsible_name=responsible_name,
            source_object=check,
        )
        problem.ledger_entry = entry
        entries.append(entry)
    CaseReportProblem.objects.bulk_update(problems, ["ledger_entry"])
    audit(actor=actor, obj=check, action="ledger.case_report_check.entries_opened",
          new={"problems": [p.pk for p in problems], "entries": [e.pk for e in entries]})
    return entries
