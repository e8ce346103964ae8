"""The two deadlines at their exact boundaries, across holidays with adjusted working days.

3 months after filing [241-1] [JL-1.3] is counted in calendar months: a holiday neither moves the
due date nor pauses the count, and the case is overdue from the day after. The 5-working-day
notice [JL-3] counts the State Council calendar: holidays are skipped and the adjusted working
Saturdays and Sundays count (2026: Spring Festival 15-23 Feb with 14 and 28 Feb worked; Mid-autumn
25-27 Sep and National Day 1-7 Oct with 20 Sep and 10 Oct worked).
"""

# ruff: noqa: F811

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from inspections import selectors
from inspections.choices import VerificationOutcome
from inspections.models import OffSiteNotification, VerificationCase
from inspections.services import offsite
from inspections.services import verification as vs
from portal.workdays.services import is_working_day, working_days_between

from .helpers import answered, case_of
from .test_offsite import payload


@pytest.mark.parametrize(("filed_on", "due_on"), [
    (date(2026, 7, 1), date(2026, 10, 1)),  # due on National Day: not moved to the next working day
    (date(2025, 11, 14), date(2026, 2, 14)),  # due on the adjusted working Saturday before Spring Festival
    (date(2025, 11, 17), date(2026, 2, 17)),  # due in the middle of Spring Festival
    (date(2025, 11, 30), date(2026, 2, 28)),  # no 30 February: the month's last day
    (date(2027, 11, 30), date(2028, 2, 29)),  # a leap year
    (date(2026, 8, 31), date(2026, 11, 30)),
    (date(2026, 12, 31), date(2027, 3, 31)),  # across the year end
])
def test_three_months_are_calendar_months_whatever_the_holidays(reference_data, filed_on, due_on):
    assert vs.verification_due_on(filed_on) == due_on


@pytest.fixture
def due_on_national_day(accepted, qc_user):
    """The case of a filing made on 1 July 2026: due on 1 October, a holiday."""
    VerificationCase.objects.filter(filing_id=accepted.filing_id).delete()
    type(accepted.filing).objects.filter(pk=accepted.filing_id).update(filed_on=date(2026, 7, 1))
    case, created = vs.verification_case_open(filing_id=accepted.filing_id)
    assert created and case.due_on == date(2026, 10, 1) and not is_working_day(case.due_on)
    return case


def test_overdue_from_the_day_after_the_due_date_even_on_a_holiday(due_on_national_day, qc_user):
    case = due_on_national_day
    assert not selectors.overdue_verifications(qc_user, on=date(2026, 10, 1)).exists()
    assert selectors.verification_counts(qc_user, on=date(2026, 10, 1))["overdue"] == 0
    assert list(selectors.overdue_verifications(qc_user, on=date(2026, 10, 2))) == [case]
    assert selectors.verification_counts(qc_user, on=date(2026, 10, 2)) == {"pending": 1, "overdue": 1,
                                                                            "signed_off": 0}


def test_a_case_signed_off_is_never_overdue(due_on_national_day, qc_user, checklist):
    case = answered(due_on_national_day, qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)
    assert not selectors.overdue_verifications(qc_user, on=date(2026, 12, 1)).exists()


@pytest.mark.parametrize(("starts_on", "latest"), [
    (date(2026, 10, 9), date(2026, 9, 24)),  # Mid-autumn and National Day skipped, 8 Oct counted
    (date(2026, 10, 12), date(2026, 9, 29)),  # the adjusted working Saturday 10 Oct counts
    (date(2026, 10, 8), date(2026, 9, 23)),  # the first working day after National Day
    (date(2026, 10, 5), date(2026, 9, 23)),  # work starting on a holiday
    (date(2026, 9, 28), date(2026, 9, 20)),  # the adjusted working Sunday 20 Sep is the last day
    (date(2026, 2, 24), date(2026, 2, 10)),  # Spring Festival skipped, Saturday 14 Feb counted
    (date(2026, 2, 28), date(2026, 2, 14)),  # the adjusted working Saturday 14 Feb is the last day
    (date(2026, 11, 30), date(2026, 11, 23)),  # an ordinary week: the Monday before
])
def test_latest_notice_date(reference_data, starts_on, latest):
    assert offsite.notice_latest_date(starts_on) == latest
    assert is_working_day(latest)
    assert _working_days_from(latest, starts_on) == offsite.NOTICE_WORKING_DAYS
    assert _working_days_from(latest + timedelta(days=1), starts_on) == offsite.NOTICE_WORKING_DAYS - 1


def _working_days_from(day: date, starts_on: date) -> int:
    """Working days from ``day`` (itself counted) up to the eve of ``starts_on``."""
    return working_days_between(day - timedelta(days=1), starts_on - timedelta(days=1))


@pytest.fixture
def eligible(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)
    return accepted


def _submit(monkeypatch, institution_user, version, *, on: date, starts_on: date, name: str):
    monkeypatch.setattr(offsite, "today", lambda: on)
    return offsite.notification_submit(
        actor=institution_user, institution=institution_user.organisation,
        **payload(version, starts_on=starts_on, ends_on=starts_on + timedelta(days=2), employer_name=name))


@pytest.mark.parametrize(("starts_on", "last_day", "first_late_day"), [
    # Given on the adjusted working Saturday before Spring Festival: accepted; the next day (a holiday) is late.
    (date(2026, 2, 28), date(2026, 2, 14), date(2026, 2, 15)),
    # Given on the adjusted working Sunday before Mid-autumn: accepted; Monday is late.
    (date(2026, 9, 28), date(2026, 9, 20), date(2026, 9, 21)),
    # Work after National Day counting the working Saturday 10 Oct: the last day is 29 Sep.
    (date(2026, 10, 12), date(2026, 9, 29), date(2026, 9, 30)),
])
def test_notice_accepted_on_the_last_day_and_refused_the_day_after_with_the_date_needed(
        eligible, institution_user, monkeypatch, starts_on, last_day, first_late_day):
    with pytest.raises(ValidationError) as err:
        _submit(monkeypatch, institution_user, eligible, on=first_late_day, starts_on=starts_on, name="迟到的告知")
    [message] = err.value.message_dict["starts_on"]
    assert last_day.isoformat() in message and starts_on.isoformat() in message
    assert not OffSiteNotification.objects.exists()
    notice = _submit(monkeypatch, institution_user, eligible, on=last_day, starts_on=starts_on, name="按时的告知")
    assert notice.starts_on == starts_on
    assert OffSiteNotification.objects.count() == 1


def test_a_notice_given_during_the_holiday_counts_from_the_next_working_day(eligible, institution_user, monkeypatch):
    # Given on 3 Oct (holiday): 8, 9, 10 (Sat, worked), 12, 13 Oct are the 5 working days, so 14 Oct is the earliest.
    with pytest.raises(ValidationError):
        _submit(monkeypatch, institution_user, eligible, on=date(2026, 10, 3), starts_on=date(2026, 10, 13),
                name="太早开始")
    assert _submit(monkeypatch, institution_user, eligible, on=date(2026, 10, 3), starts_on=date(2026, 10, 14),
                   name="节日期间告知")
