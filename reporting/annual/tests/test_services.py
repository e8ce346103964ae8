"""The report's workflow: open, generate (a task after commit), typical cases, submit, frozen."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from portal.audit.models import AuditEntry
from reporting.annual.choices import ReportStatus
from reporting.annual.services import (
    TransitionError,
    report_generate,
    report_generation_request,
    report_open,
    report_submit,
    typical_case_add,
    typical_case_remove,
)
from reporting.annual.tasks import generate_provincial_report

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_only_an_ended_year_can_be_reported(dataset, commission):
    with pytest.raises(ValidationError) as exc:
        report_open(province=dataset.province, year=2026, actor=commission, today=date(2026, 11, 22))
    assert "只能编制已结束年度" in str(exc.value)


def test_opening_twice_gives_the_same_report(report, dataset, commission):
    again = report_open(province=dataset.province, year=2025, actor=commission, today=TODAY)
    assert again.pk == report.pk
    assert AuditEntry.objects.filter(action="annual_report.opened").count() == 1


def test_generation_runs_after_commit_and_stores_figures_and_files(report, commission, generate):
    report = generate(report, commission)

    assert report.status == ReportStatus.READY
    assert report.figures["qc"]["assessments"] == 3
    assert report.figures["province"]["name"] == "吉林省"
    assert report.xlsx_file.file.read(2) == b"PK"
    assert report.pdf_file.file.read(5) == b"%PDF-"
    assert report.generated_at is not None
    assert list(AuditEntry.objects.filter(object_id=str(report.pk), action__startswith="annual_report.")
                .order_by("pk").values_list("action", flat=True)) == [
        "annual_report.opened", "annual_report.generation_requested", "annual_report.generated"]


def test_nothing_is_queued_before_commit(report, commission, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_generation_request(report_id=report.pk, actor=commission)
    report.refresh_from_db()
    assert report.status == ReportStatus.GENERATING and len(callbacks) == 1


def test_the_task_is_idempotent(ready_report):
    files = (ready_report.xlsx_file_id, ready_report.pdf_file_id)
    token = ready_report.generation_token

    assert generate_provincial_report.delay(report_id=ready_report.pk, token=token).get() == "nothing to do"
    ready_report.refresh_from_db()
    assert (ready_report.xlsx_file_id, ready_report.pdf_file_id) == files
    assert AuditEntry.objects.filter(action="annual_report.generated").count() == 1


def test_a_superseded_request_does_nothing(report, commission, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = report_generation_request(report_id=report.pk, actor=commission)
    first_token = first.generation_token
    with django_capture_on_commit_callbacks(execute=False):
        second = report_generation_request(report_id=report.pk, actor=commission)

    assert report_generate(report_id=report.pk, token=first_token) is None
    assert report_generate(report_id=report.pk, token=second.generation_token).status == ReportStatus.READY


def test_a_failed_generation_is_recorded_and_can_be_retried(report, commission, generate, monkeypatch):
    from reporting.annual import services

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(services, "report_pdf", broken)
    report = generate(report, commission)
    assert report.status == ReportStatus.FAILED
    assert "生成报告时发生错误" in report.generation_error

    monkeypatch.undo()
    assert generate(report, commission).status == ReportStatus.READY


def test_submission_before_and_after_10_january(ready_report, commission):
    report = report_submit(report_id=ready_report.pk, actor=commission, today=date(2026, 1, 10))
    assert report.status == ReportStatus.SUBMITTED and not report.submitted_late
    assert report.submitted_by == commission


def test_submission_after_the_deadline_is_accepted_but_late(ready_report, commission):
    report = report_submit(report_id=ready_report.pk, actor=commission, today=date(2026, 1, 11))
    assert report.status == ReportStatus.SUBMITTED and report.submitted_late


def test_double_submission_is_refused(ready_report, commission):
    report_submit(report_id=ready_report.pk, actor=commission, today=TODAY)
    with pytest.raises(TransitionError, match="不能重复报送"):
        report_submit(report_id=ready_report.pk, actor=commission, today=TODAY)
    assert AuditEntry.objects.filter(action="annual_report.submitted").count() == 1


def test_a_report_not_generated_cannot_be_submitted(report, commission):
    with pytest.raises(TransitionError, match="请先生成报告"):
        report_submit(report_id=report.pk, actor=commission, today=TODAY)


def test_a_submitted_report_is_frozen(ready_report, commission, dataset):
    report_submit(report_id=ready_report.pk, actor=commission, today=TODAY)
    with pytest.raises(TransitionError) as exc:
        report_generation_request(report_id=ready_report.pk, actor=commission)
    assert exc.value.messages == ["报告已报送国家级并冻结，不能重新生成。"]
    with pytest.raises(TransitionError, match="不能修改典型案例"):
        typical_case_add(report_id=ready_report.pk, kind="penalty", object_id=dataset.penalties["A"].pk,
                         note="说明", actor=commission)


def test_the_snapshot_does_not_move_when_records_change(ready_report, commission, dataset):
    from .builders import assessment

    report_submit(report_id=ready_report.pk, actor=commission, today=TODAY)
    assessment(dataset.orgs["D"], grade="合格")
    ready_report.refresh_from_db()
    assert ready_report.figures["qc"]["assessments"] == 3


def test_typical_cases_of_the_province_and_year(ready_report, commission, dataset, generate):
    case = typical_case_add(report_id=ready_report.pk, kind="spot_check", object_id=dataset.checks["A"].pk,
                            note="疑似职业病未报告，已立案", actor=commission)
    typical_case_add(report_id=ready_report.pk, kind="penalty", object_id=dataset.penalties["A"].pk,
                     note="警告并罚款", actor=commission)
    ready_report.refresh_from_db()
    assert ready_report.status == ReportStatus.DRAFT, "the files no longer show the chosen cases"

    report = generate(ready_report, commission)
    cases = report.figures["typical_cases"]
    assert [(c["kind"], c["institution"]) for c in cases] == [("spot_check", "甲体检中心"),
                                                              ("penalty", "甲体检中心")]
    assert "未按规定报告、告知疑似职业病、职业禁忌" in cases[0]["summary"]
    assert "罚款 1.5 万元" in cases[1]["summary"] and "警告" in cases[1]["summary"]

    typical_case_remove(report_id=report.pk, case_id=case.pk, actor=commission)
    assert report.typical_cases.count() == 1


@pytest.mark.parametrize("kind, key, message", [
    ("spot_check", "other", "只能选择本省 2025 年已完成的监督抽查。"),
    ("penalty", "other", "只能选择本省 2025 年已生效的行政处罚。"),
    ("penalty", "draft", "只能选择本省 2025 年已生效的行政处罚。"),
    ("spot_check", "planned", "只能选择本省 2025 年已完成的监督抽查。"),
    ("spot_check", "last_year", "只能选择本省 2025 年已完成的监督抽查。"),
])
def test_a_case_from_elsewhere_is_refused(report, commission, dataset, other_province, kind, key, message):
    objects = {("spot_check", "other"): other_province.checks["E"], ("penalty", "other"): other_province.penalties["E"],
               ("penalty", "draft"): dataset.penalties["draft"], ("spot_check", "planned"): dataset.checks["C"],
               ("spot_check", "last_year"): dataset.checks["old"]}
    with pytest.raises(ValidationError) as exc:
        typical_case_add(report_id=report.pk, kind=kind, object_id=objects[(kind, key)].pk, note="说明",
                         actor=commission)
    assert exc.value.messages == [message]
    assert not report.typical_cases.exists()


def test_a_case_is_chosen_once_and_needs_a_note(report, commission, dataset):
    typical_case_add(report_id=report.pk, kind="spot_check", object_id=dataset.checks["B"].pk, note="说明",
                     actor=commission)
    with pytest.raises(ValidationError, match="已选为典型案例"):
        typical_case_add(report_id=report.pk, kind="spot_check", object_id=dataset.checks["B"].pk, note="再选",
                         actor=commission)
    with pytest.raises(ValidationError, match="请填写案例说明"):
        typical_case_add(report_id=report.pk, kind="penalty", object_id=dataset.penalties["B"].pk, note="  ",
                         actor=commission)
