"""A verification case ends with its filing: cancelling a filing before it was verified ends the case,
audited, so that it is never overdue; a case already signed off keeps its verdict."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from filing.choices import FilingStatus
from filing.models import Filing
from filing.services import filing_cancel
from inspections import selectors
from inspections.choices import VerificationOutcome, VerificationStatus
from inspections.models import VerificationCase
from inspections.services import verification as vs
from inspections.services._common import TransitionError
from portal.audit.models import AuditEntry
from reporting.annual.figures import verification_section

from .helpers import answered, case_of, scheduled

pytestmark = pytest.mark.django_db


def withdrawals(case) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="inspections.verification.withdrawn", object_id=str(case.pk)))


@pytest.mark.parametrize("step", ["open", "scheduled"])
def test_cancelling_the_filing_ends_a_case_not_yet_verified(accepted, qc_user, step):
    case = case_of(accepted)
    if step == "scheduled":
        case = scheduled(case, qc_user)
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构申请注销")

    case.refresh_from_db()
    assert case.status == VerificationStatus.WITHDRAWN
    [entry] = withdrawals(case)
    assert entry.actor == qc_user
    assert (entry.old["status"], entry.new["status"], entry.new["reason"]) == (step, "withdrawn", "filing_cancelled")
    # An ended case cannot be taken up again.
    with pytest.raises(TransitionError):
        vs.verification_schedule(case_id=case.pk, actor=qc_user, scheduled_on=timezone.localdate() + timedelta(days=3),
                                 team=[qc_user])


def test_a_case_in_progress_ends_too(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构停业")
    case.refresh_from_db()
    assert case.status == VerificationStatus.WITHDRAWN
    with pytest.raises(TransitionError):
        vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)


def test_a_signed_off_case_keeps_its_verdict(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构申请注销")
    case.refresh_from_db()
    assert case.status == VerificationStatus.SIGNED_OFF and case.outcome == VerificationOutcome.FIT
    assert withdrawals(case) == []


def test_an_ended_case_is_not_overdue_anywhere(accepted, qc_user, client):
    case = case_of(accepted)
    VerificationCase.objects.filter(pk=case.pk).update(due_on=timezone.localdate() - timedelta(days=10))
    today = timezone.localdate()
    assert selectors.verification_counts(qc_user, on=today)["overdue"] == 1
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构申请注销")

    counts = selectors.verification_counts(qc_user, on=today)
    assert (counts["pending"], counts["overdue"], counts["signed_off"]) == (0, 0, 0)
    assert not selectors.overdue_verifications(qc_user, on=today).exists()
    client.force_login(qc_user)
    page = client.get(reverse("inspections:verification-detail", args=[case.pk])).content.decode()
    assert "已终止（备案已注销）" in page and "逾期" not in page


def test_the_yearly_report_does_not_count_an_ended_case_as_due(accepted, qc_user):
    case = case_of(accepted)
    year = case.due_on.year
    assert verification_section(case.province_id, year)["due"] == 1
    filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="机构申请注销")
    section = verification_section(case.province_id, year)
    assert (section["due"], section["open_overdue"]) == (0, 0)


def test_the_migration_ends_cases_of_filings_cancelled_before_it(accepted, qc_user):
    """Cases left pending by filings cancelled before cases ended with them, as in an existing database."""
    from importlib import import_module

    case = case_of(accepted)
    Filing.objects.filter(pk=accepted.filing_id).update(status=FilingStatus.CANCELLED)  # as the old code left it
    step = import_module("inspections.migrations.0002_verification_withdrawn_with_filing")
    step.withdraw_cases_of_cancelled_filings(apps, None)

    case.refresh_from_db()
    assert case.status == VerificationStatus.WITHDRAWN
    [entry] = withdrawals(case)
    assert entry.actor is None and entry.old == {"reason": None, "status": "open"}
    assert entry.object_repr.endswith("现场核查") and entry.province_id == case.province_id
    step.withdraw_cases_of_cancelled_filings(apps, None)  # nothing left to do the second time
    assert len(withdrawals(case)) == 1


def test_due_date_rule_is_unchanged_for_cases_that_go_on():
    assert vs.verification_due_on(date(2026, 1, 31)) == date(2026, 4, 30)
