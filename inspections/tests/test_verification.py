"""Verification cases: opening on acceptance, scheduling, answering, sign-off and correction."""

# ruff: noqa: F811  fixtures are imported from conftest helpers and named as test arguments

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from filing.choices import ItemStatus
from filing.models import FiledItem
from filing.services import filing_cancel
from filing.tests.workflow_builders import exe_upload, pdf_upload
from inspections import selectors
from inspections.choices import Answer, VerificationOutcome, VerificationStatus
from inspections.models import ChecklistLine, VerificationCase, VerificationCorrection
from inspections.services import verification as vs
from inspections.services._common import TransitionError
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from qc.ledger.models import LedgerEntry

from .helpers import answered, case_of, png, scheduled, started

NOISE = "GBZ188-2014:7.1"
DUST = "GBZ188-2014:6.1"


def test_due_on_is_three_calendar_months_after_filing():
    assert vs.verification_due_on(date(2026, 1, 15)) == date(2026, 4, 15)
    assert vs.verification_due_on(date(2025, 11, 30)) == date(2026, 2, 28)  # clamped to month end


def test_first_acceptance_opens_one_case_and_reopening_is_idempotent(accepted):
    case = case_of(accepted)
    assert case.status == VerificationStatus.OPEN
    assert case.due_on == vs.verification_due_on(case.filed_on)
    again, created = vs.verification_case_open(filing_id=accepted.filing_id)
    assert (again.pk, created) == (case.pk, False)
    assert vs.verification_cases_open_missing() == 0
    assert VerificationCase.objects.count() == 1


def test_command_opens_cases_for_filings_accepted_before(accepted):
    VerificationCase.objects.all().delete()
    call_command("verification_open_missing", province="220000")
    assert case_of(accepted).due_on == vs.verification_due_on(accepted.filing.filed_on)


def test_overdue_boundary_exactly_three_months(accepted, qc_user):
    case = case_of(accepted)
    today = timezone.localdate()
    VerificationCase.objects.filter(pk=case.pk).update(due_on=today)
    assert not selectors.overdue_verifications(qc_user, on=today).exists()
    assert selectors.overdue_verifications(qc_user, on=today + timedelta(days=1)).get() == case
    assert selectors.verification_counts(qc_user, on=today + timedelta(days=1))["overdue"] == 1


def test_schedule_checks_date_team_and_role(accepted, qc_user, make_user, checklist):
    case = case_of(accepted)
    outsider = make_user(Role.COMMISSION_PROVINCE)
    with pytest.raises(ValidationError) as err:
        vs.verification_schedule(case_id=case.pk, actor=qc_user, scheduled_on=timezone.localdate() - timedelta(days=1),
                                 team=[outsider])
    assert set(err.value.message_dict) == {"scheduled_on", "team"}
    with pytest.raises(PermissionDenied):
        vs.verification_schedule(case_id=case.pk, actor=outsider, scheduled_on=timezone.localdate(), team=[qc_user])
    other = make_user(Role.PROVINCE_ADMIN, province_code="210000")
    with pytest.raises(PermissionDenied):
        vs.verification_schedule(case_id=case.pk, actor=other, scheduled_on=timezone.localdate(), team=[qc_user])
    case = scheduled(case, qc_user)
    assert case.status == VerificationStatus.SCHEDULED and list(case.team.all()) == [qc_user]
    case = scheduled(case, qc_user)  # rescheduling before the visit is allowed
    assert AuditEntry.objects.filter(action="inspections.verification.scheduled").count() == 2


def test_start_needs_a_published_checklist(accepted, qc_user):
    case = scheduled(case_of(accepted), qc_user)
    with pytest.raises(ValidationError) as err:
        vs.verification_start(case_id=case.pk, actor=qc_user)
    assert "checklist" in err.value.message_dict


def test_answers_refuse_foreign_lines_wrong_files_and_save_nothing(accepted, qc_user, checklist):
    from inspections.services.checklists import checklist_version_copy

    case = started(case_of(accepted), qc_user)
    foreign = checklist_version_copy(version_id=checklist.pk, actor=None).lines.first()
    with pytest.raises(ValidationError) as err:
        vs.verification_answer(case_id=case.pk, actor=qc_user, line_id=foreign.pk, answer=Answer.CONFORMING)
    assert "line" in err.value.message_dict
    line = checklist.lines.first()
    with pytest.raises(ValidationError) as err:
        vs.verification_answer(case_id=case.pk, actor=qc_user, line_id=line.pk, answer=Answer.NOT_CONFORMING,
                               note="", evidence=[png(), exe_upload("照片.png")])
    assert set(err.value.message_dict) == {"note", "evidence"}
    assert not case.answers.exists()
    row = vs.verification_answer(case_id=case.pk, actor=qc_user, line_id=line.pk, answer=Answer.CONFORMING,
                                 evidence=[png(), pdf_upload("证书.pdf")])
    assert row.evidence.count() == 2


def test_sign_off_fit_except_marks_items_not_capable_and_opens_ledger_entries(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user, failing=("C2",))
    with pytest.raises(ValidationError):  # "fit" contradicts an item found not capable
        vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT,
                                 findings={NOISE: (False, "无合格隔声室")})
    with pytest.raises(ValidationError) as err:
        vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT_EXCEPT,
                                 findings={NOISE: (False, "")})
    assert "items" in err.value.message_dict
    case = vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT_EXCEPT,
                                    findings={NOISE: (False, "无合格隔声室")})
    assert case.status == VerificationStatus.SIGNED_OFF
    statuses = dict(FiledItem.objects.filter(version=accepted).values_list("exam_item__code", "status"))
    assert statuses == {NOISE: ItemStatus.NOT_CAPABLE, DUST: ItemStatus.ACTIVE}
    entry = LedgerEntry.objects.get()
    assert entry.source == "onsite_verification" and "C2" in entry.description
    assert case.answers.get(line__code="C2").ledger_entry_id == entry.pk
    with pytest.raises(TransitionError):
        vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)


def test_sign_off_needs_every_line_answered(accepted, qc_user, checklist):
    case = started(case_of(accepted), qc_user)
    with pytest.raises(ValidationError) as err:
        vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)
    assert "answers" in err.value.message_dict


def test_correction_after_sign_off_needs_a_reason_and_is_recorded(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT_EXCEPT,
                             findings={NOISE: (False, "无合格隔声室")})
    with pytest.raises(ValidationError) as err:
        vs.verification_correct(case_id=case.pk, actor=qc_user, reason=" ", outcome=VerificationOutcome.FIT,
                                findings={NOISE: (True, "")})
    assert "reason" in err.value.message_dict
    on_sign_off = timezone.localdate()
    vs.verification_correct(case_id=case.pk, actor=qc_user, reason="复核隔声室检测报告合格",
                            outcome=VerificationOutcome.FIT, findings={NOISE: (True, "")})
    correction = VerificationCorrection.objects.get()
    assert correction.old["outcome"] == VerificationOutcome.FIT_EXCEPT and correction.new["outcome"] == "fit"
    assert FiledItem.objects.get(version=accepted, exam_item__code=NOISE).status == ItemStatus.ACTIVE
    assert AuditEntry.objects.filter(action="inspections.verification.corrected").exists()
    assert selectors.unfit_as_of(province_id=case.province_id, on=on_sign_off) == []
    assert selectors.unfit_as_of(province_id=case.province_id, on=on_sign_off - timedelta(days=1)) == []


def test_unfit_list_reads_the_state_before_a_later_correction(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT_EXCEPT,
                             findings={NOISE: (False, "无合格隔声室")})
    today = timezone.localdate()
    [row] = selectors.unfit_as_of(province_id=case.province_id, on=today)
    assert row["outcome"] == "fit_except" and [i["code"] for i in row["items"]] == [NOISE]
    vs.verification_correct(case_id=case.pk, actor=qc_user, reason="复核合格", outcome=VerificationOutcome.FIT,
                            findings={NOISE: (True, "")})
    VerificationCorrection.objects.update(created_at=timezone.now() + timedelta(days=2))
    [row] = selectors.unfit_as_of(province_id=case.province_id, on=today)
    assert [i["code"] for i in row["items"]] == [NOISE]
    assert selectors.unfit_as_of(province_id=case.province_id, on=today + timedelta(days=3)) == []


def test_cancelled_filing_cannot_be_started(accepted, qc_user, checklist):
    case = scheduled(case_of(accepted), qc_user)
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构申请注销")
    with pytest.raises(TransitionError):
        vs.verification_start(case_id=case.pk, actor=qc_user)
    assert ChecklistLine.objects.exists()
