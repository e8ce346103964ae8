"""Writes of the problem list and rectification ledger [241-4] [241-5].

Other apps put findings on the ledger with :func:`ledger_entry_open`; QC, on-site
verification and supervision call it, the ledger imports none of them. Each step of the
workflow is its own function with the same shape: lock the row, check the transition
table in choices.py, check the actor's reach, validate every input (all errors at once,
before anything is stored), record a dated step with its files, audit. :func:`_move` is
that shape; each step's function states only what is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from portal.core.uploads import store_upload, uploads_checked

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
    return uploads_checked(evidence, errors, field=field, max_files=MAX_EVIDENCE_FILES)


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


# ---- One step of the workflow ------------------------------------------------------------------

def _move(entry_id: int, *, actor, capability: str, to: str, kind: str, action: str, text: str = "",
          evidence: Sequence[UploadedFile] = (), guard: Callable[[LedgerEntry], None] | None = None,
          check: Callable[[LedgerEntry], dict] | None = None, fields: Mapping[str, object] | None = None,
          recorded: Mapping[str, object] | None = None) -> LedgerEntry:
    """Every transition, in the one order that keeps a refused step from storing anything.

    The row lock comes first: a concurrent step waits for it, then meets the state the other
    left and the transition table refuses it (409 on the page). ``guard`` raises the step's
    own state rules as a :class:`TransitionError`, before the actor's reach is looked at;
    ``check`` returns the input errors, reported together with those of the files. ``fields``
    are set on the entry with the status (a callable value, e.g. ``timezone.now``, is called
    then); ``recorded`` is kept on the step and in the audit.
    """
    entry = _lock(entry_id)
    assert_transition(entry, to=to)
    if guard is not None:
        guard(entry)
    _check_reach(actor, entry, capability)
    errors = check(entry) if check is not None else {}
    files = _files_checked(evidence, errors)
    _raise_if(errors)
    fields = fields or {}
    for name, value in fields.items():
        setattr(entry, name, value() if callable(value) else value)
    old = entry.status
    entry.status = to
    entry.status_changed_at = timezone.now()
    entry.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    recorded = recorded or {}
    step = _record_step(entry, kind=kind, actor=actor, text=(text or "").strip(), files=files, **recorded)
    audit(actor=actor, obj=entry, action=action, old={"status": old},
          new={"status": entry.status, "step": step.pk, **({"files": step.stored_ids} if step.stored_ids else {}),
               **recorded})
    return entry


def _required(value: str | None, field: str, message: str) -> dict:
    return {} if (value or "").strip() else {field: [message]}


# ---- The institution answers -------------------------------------------------------------------

def _plan_not_yet_accepted(entry: LedgerEntry) -> None:
    if entry.status == LedgerStatus.RETURNED and entry.plan_accepted_at is not None:
        raise TransitionError(_("整改方案已认可，退回的是整改结果：请重新报告整改完成情况。"),
                              code="invalid_transition")


def _plan_accepted(entry: LedgerEntry) -> None:
    if entry.plan_accepted_at is None:
        raise TransitionError(_("整改方案尚未认可，请先提交整改方案。"), code="invalid_transition")


@transaction.atomic
def ledger_entry_submit_plan(*, entry_id: int, actor, plan: str,
                             evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution's rectification plan (整改方案), with supporting files."""
    return _move(entry_id, actor=actor, capability="ledger.respond", to=LedgerStatus.PLAN_SUBMITTED,
                 kind=StepKind.PLAN_SUBMITTED, action="ledger.entry.plan_submitted", text=plan,
                 evidence=evidence, guard=_plan_not_yet_accepted,
                 check=lambda entry: _required(plan, "plan", _("请填写整改方案：措施、责任人和完成时间。")))


@transaction.atomic
def ledger_entry_submit_fix(*, entry_id: int, actor, report: str,
                            evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution reports the rectification done (整改完成情况).

    Proof may come with the report or, when delivered on paper or shown on site, be attached
    by the authority at verification; an entry is never closed without it.
    """
    return _move(entry_id, actor=actor, capability="ledger.respond", to=LedgerStatus.FIX_SUBMITTED,
                 kind=StepKind.FIX_SUBMITTED, action="ledger.entry.fix_submitted", text=report,
                 evidence=evidence, guard=_plan_accepted,
                 check=lambda entry: _required(report, "report", _("请填写整改完成情况。")))


# ---- The authority decides ---------------------------------------------------------------------

@transaction.atomic
def ledger_entry_accept_plan(*, entry_id: int, actor, note: str = "") -> LedgerEntry:
    return _move(entry_id, actor=actor, capability="ledger.decide", to=LedgerStatus.ACCEPTED,
                 kind=StepKind.PLAN_ACCEPTED, action="ledger.entry.plan_accepted", text=note,
                 fields={"plan_accepted_at": timezone.now})


@transaction.atomic
def ledger_entry_return(*, entry_id: int, actor, reason: str) -> LedgerEntry:
    """Send the plan, or the reported fix, back with the reasons; the institution resubmits."""
    return _move(entry_id, actor=actor, capability="ledger.decide", to=LedgerStatus.RETURNED,
                 kind=StepKind.RETURNED, action="ledger.entry.returned", text=reason,
                 check=lambda entry: _required(reason, "reason", _("请填写退回理由，写明需要补充或改正的内容。")))


def _verified(entry_id: int, *, actor, to: str, kind: str, action: str, verification_method: str,
              verified_on: date | None, verification_note: str, evidence: Sequence[UploadedFile],
              check: Callable[[LedgerEntry], dict] | None = None,
              fields: Mapping[str, object] | None = None) -> LedgerEntry:
    """Closing or failing an entry: the authority says how and when it verified, and what it found."""

    def verification(entry: LedgerEntry) -> dict:
        errors = _verification_errors(entry, verification_method=verification_method, verified_on=verified_on,
                                      verification_note=verification_note)
        return {**errors, **check(entry)} if check is not None else errors

    return _move(entry_id, actor=actor, capability="ledger.decide", to=to, kind=kind, action=action,
                 text=verification_note, evidence=evidence, check=verification,
                 fields=fields, recorded={"verification_method": verification_method, "verified_on": verified_on})


@transaction.atomic
def ledger_entry_close(*, entry_id: int, actor, verification_method: str, verified_on: date | None,
                       verification_note: str, evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """Close (销号) after checking that the fix worked: how, when, the conclusion, and proof on file."""

    def proof(entry: LedgerEntry) -> dict:
        reported = entry.steps.filter(kind=StepKind.FIX_SUBMITTED).order_by("-at", "-pk").first()
        has_proof = reported is not None and reported.evidence.exists()
        # Nor any upload now; an upload that fails its own checks is reported as such, not as
        # missing proof.
        if not has_proof and not any(evidence or ()):
            return {"evidence": [_("没有整改完成的证明材料：机构报告整改完成时未上传，请上传核查取得的证明材料后再销号。")]}
        return {}

    return _verified(entry_id, actor=actor, to=LedgerStatus.CLOSED, kind=StepKind.CLOSED,
                     action="ledger.entry.closed", verification_method=verification_method,
                     verified_on=verified_on, verification_note=verification_note, evidence=evidence,
                     check=proof, fields={"closed_on": verified_on})


@transaction.atomic
def ledger_entry_mark_failed(*, entry_id: int, actor, verification_method: str, verified_on: date | None,
                             verification_note: str, evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """Verification found the rectification inadequate (整改不到位) [241-5]."""
    return _verified(entry_id, actor=actor, to=LedgerStatus.FAILED, kind=StepKind.FAILED,
                     action="ledger.entry.failed", verification_method=verification_method,
                     verified_on=verified_on, verification_note=verification_note, evidence=evidence)


@transaction.atomic
def ledger_entry_mark_refused(*, entry_id: int, actor, reason: str,
                              evidence: Sequence[UploadedFile] = ()) -> LedgerEntry:
    """The institution refuses to rectify (拒不整改) [241-5]."""
    return _move(entry_id, actor=actor, capability="ledger.decide", to=LedgerStatus.REFUSED,
                 kind=StepKind.REFUSED, action="ledger.entry.refused", text=reason, evidence=evidence,
                 check=lambda entry: _required(reason, "reason", _("请写明认定拒不整改的事实和依据。")))


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
