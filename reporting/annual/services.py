"""Writes of the provincial report: open, choose typical cases, generate, submit.

Every transition locks the report row, checks the one transition table, and is audited.
Generation runs in a Celery task queued after commit; the request stores a fresh token and
the task acts only while the report is still generating with that token, so a retried, a
duplicated or a superseded task does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import audit, audit_create
from portal.core.models import StoredFile

from .choices import CASES_EDITABLE, NOTE_MAX_LENGTH, REPORT_TRANSITIONS, CaseKind, ReportStatus
from .exporters import report_workbook
from .figures import compute_figures
from .models import ProvincialReport, TypicalCase
from .pdf import report_pdf
from .selectors import case_summary, penalty_candidates, spot_check_candidates, typical_cases

logger = logging.getLogger(__name__)

FIRST_YEAR = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TransitionError(ValidationError):
    """The report is not in a state that allows this step."""


def _locked(report_id: int) -> ProvincialReport:
    return ProvincialReport.objects.select_for_update(of=("self",)).select_related("province").get(pk=report_id)


def _move(report: ProvincialReport, *, to: str, actor, action: str, extra_fields: tuple[str, ...] = ()) -> str:
    if to not in REPORT_TRANSITIONS[report.status]:
        raise TransitionError(_("报告当前状态为“%(status)s”，不能执行此操作。") % {"status": report.get_status_display()},
                              code="wrong_state")
    old = report.status
    report.status = to
    report.save(update_fields=["status", "updated_at", *extra_fields])
    audit(actor=actor, obj=report, action=action, old={"status": old}, new={"status": to})
    return old


def _refuse_if_submitted(report: ProvincialReport, message: str) -> None:
    if report.status == ReportStatus.SUBMITTED:
        raise TransitionError(message, code="frozen")


@transaction.atomic
def report_open(*, province, year: int, actor, today: date | None = None) -> ProvincialReport:
    """The province's report on ``year``, started if it does not exist yet (a year that has ended)."""
    today = today or timezone.localdate()
    if not FIRST_YEAR <= year < today.year:
        raise ValidationError({"year": _("只能编制已结束年度（%(first)s—%(last)s 年）的报告。")
                               % {"first": FIRST_YEAR, "last": today.year - 1}})
    report, created = ProvincialReport.objects.get_or_create(province=province, year=year,
                                                             defaults={"created_by": actor if actor else None})
    if created:
        audit_create(actor=actor, obj=report, action="annual_report.opened")
    return report


@transaction.atomic
def report_generation_request(*, report_id: int, actor) -> ProvincialReport:
    """Queue the generation of the figures and files; regeneration is allowed until submission."""
    report = _locked(report_id)
    _refuse_if_submitted(report, _("报告已报送国家级并冻结，不能重新生成。"))
    report.generation_token = uuid.uuid4().hex
    report.generation_requested_at = timezone.now()
    report.generation_error = ""
    _move(report, to=ReportStatus.GENERATING, actor=actor, action="annual_report.generation_requested",
          extra_fields=("generation_token", "generation_requested_at", "generation_error"))
    from .tasks import generate_provincial_report

    token = report.generation_token
    transaction.on_commit(lambda: generate_provincial_report.delay(report_id=report.pk, token=token))
    return report


def _store(data: bytes, *, name: str, extension: str, content_type: str, province_id: int) -> StoredFile:
    stored = StoredFile(original_name=name, extension=extension, content_type=content_type, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), province_id=province_id)
    stored.file.save(f"report{extension}", ContentFile(data), save=False)
    stored.save()
    return stored


def report_build(report: ProvincialReport) -> tuple[dict, bytes, bytes]:
    """The figures snapshot (with the chosen typical cases) and the two files, without saving anything."""
    figures = compute_figures(report.province_id, report.year)
    figures["typical_cases"] = [case_summary(case) for case in typical_cases(report)]
    generated_at = timezone.localtime()
    figures["generated_at"] = generated_at.isoformat(timespec="seconds")
    xlsx = report_workbook(figures, title=report.title, generated_at=generated_at)
    pdf = report_pdf(figures, title=report.title, generated_at=generated_at, province_name=report.province.name,
                     year=report.year)
    return figures, xlsx, pdf


def report_generate(*, report_id: int, token: str) -> ProvincialReport | None:
    """The task's work: compute and render outside any lock, then store only if the request still stands.

    Returns ``None`` when there was nothing to do (already generated, superseded or submitted).
    """
    report = ProvincialReport.objects.select_related("province").filter(pk=report_id).first()
    if report is None or report.status != ReportStatus.GENERATING or report.generation_token != token:
        return None
    try:
        figures, xlsx, pdf = report_build(report)
    except (OperationalError, ConnectionError):
        raise  # transient: the task retries
    except Exception:
        logger.exception("provincial report %s could not be generated", report_id)
        return _generation_failed(report_id=report_id, token=token)
    with transaction.atomic():
        report = _locked(report_id)
        if report.status != ReportStatus.GENERATING or report.generation_token != token:
            return None
        name = f"{report.province.name}{report.year}年度报告"
        report.xlsx_file = _store(xlsx, name=f"{name}.xlsx", extension=".xlsx", content_type=XLSX_TYPE,
                                  province_id=report.province_id)
        report.pdf_file = _store(pdf, name=f"{name}.pdf", extension=".pdf", content_type="application/pdf",
                                 province_id=report.province_id)
        report.figures = figures
        report.generated_at = timezone.now()
        _move(report, to=ReportStatus.READY, actor=None, action="annual_report.generated",
              extra_fields=("xlsx_file", "pdf_file", "figures", "generated_at"))
    return report


@transaction.atomic
def _generation_failed(*, report_id: int, token: str) -> ProvincialReport | None:
    report = _locked(report_id)
    if report.status != ReportStatus.GENERATING or report.generation_token != token:
        return None
    report.generation_error = _("生成报告时发生错误，请重新生成；如仍失败，请联系平台管理员。")
    _move(report, to=ReportStatus.FAILED, actor=None, action="annual_report.generation_failed",
          extra_fields=("generation_error",))
    return report


@transaction.atomic
def report_submit(*, report_id: int, actor, today: date | None = None) -> ProvincialReport:
    """Submit the generated report to the national level; after 10 January it is accepted but marked late."""
    report = _locked(report_id)
    if report.status == ReportStatus.SUBMITTED:
        raise TransitionError(_("该报告已于 %(date)s 报送，不能重复报送。")
                              % {"date": timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M")},
                              code="already_submitted")
    if report.status != ReportStatus.READY:
        raise TransitionError(_("报告尚未生成或典型案例已修改，请先生成报告再报送。"), code="not_ready")
    today = today or timezone.localdate()
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.submitted_late = today > report.due_on
    _move(report, to=ReportStatus.SUBMITTED, actor=actor, action="annual_report.submitted",
          extra_fields=("submitted_at", "submitted_by", "submitted_late"))
    return report


def _cases_changed(report: ProvincialReport, actor) -> None:
    """A generated report no longer says what the province chose: back to draft until regenerated."""
    if report.status == ReportStatus.READY:
        _move(report, to=ReportStatus.DRAFT, actor=actor, action="annual_report.cases_changed")


def _assert_cases_editable(report: ProvincialReport) -> None:
    _refuse_if_submitted(report, _("报告已报送国家级并冻结，不能修改典型案例。"))
    if report.status not in CASES_EDITABLE:
        raise TransitionError(_("报告正在生成，请稍后再修改典型案例。"), code="generating")


@transaction.atomic
def typical_case_add(*, report_id: int, kind: str, object_id: int, note: str, actor) -> TypicalCase:
    """Choose a spot check done, or a final penalty decided, in the report's province and year."""
    report = _locked(report_id)
    _assert_cases_editable(report)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写案例说明。")})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("案例说明不能超过 %(n)s 字。") % {"n": NOTE_MAX_LENGTH}})
    case = TypicalCase(report=report, kind=kind, note=note, chosen_by=actor)
    if kind == CaseKind.SPOT_CHECK:
        case.spot_check = spot_check_candidates(report).filter(pk=object_id).first()
        if case.spot_check is None:
            raise ValidationError({"object_id": _("只能选择本省 %(year)s 年已完成的监督抽查。") % {"year": report.year}})
        duplicate = report.typical_cases.filter(spot_check=case.spot_check).exists()
    elif kind == CaseKind.PENALTY:
        case.penalty = penalty_candidates(report).filter(pk=object_id).first()
        if case.penalty is None:
            raise ValidationError({"object_id": _("只能选择本省 %(year)s 年已生效的行政处罚。") % {"year": report.year}})
        duplicate = report.typical_cases.filter(penalty=case.penalty).exists()
    else:
        raise ValidationError({"kind": _("请选择案例类型。")})
    if duplicate:
        raise ValidationError({"object_id": _("该案例已选为典型案例。")})
    case.save()
    audit_create(actor=actor, obj=case, action="annual_report.case_added")
    _cases_changed(report, actor)
    return case


@transaction.atomic
def typical_case_remove(*, report_id: int, case_id: int, actor) -> None:
    report = _locked(report_id)
    _assert_cases_editable(report)
    case = report.typical_cases.get(pk=case_id)
    audit(actor=actor, obj=case, action="annual_report.case_removed",
          old={"kind": case.kind, "spot_check": case.spot_check_id, "penalty": case.penalty_id, "note": case.note})
    case.delete()
    _cases_changed(report, actor)
