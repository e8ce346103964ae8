"""The daily deadline scan: sources, recipients, stages, digests, and never twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filing.choices import FilingStatus, VersionKind, VersionStatus
from portal.accounts.choices import Role
from portal.notifications.models import Notification
from portal.regions.models import Region
from portal.workdays.services import add_working_days
from reporting.models import Reminder, ReminderDigest, ReminderSchedule
from reporting.reminders.registry import OrganisationStaff, ResponsibleAuthority, Users
from reporting.reminders.services import DIGEST_KIND, recipients_resolve
from reporting.tasks import scan_deadlines

from .conftest import TODAY, days, scan_concurrently

pytestmark = pytest.mark.django_db


def reminders():
    return sorted(Reminder.objects.values_list("recipient_id", "kind", "due_date", "stage"))


# ---- Sources and recipients ------------------------------------------------------------------

def test_a_receipt_due_reaches_the_provincial_qc_center_and_commission(scan, filings, make_user, role_users):
    institution = filings.institution()
    version = filings.submitted(institution.organisation, receipt_due_on=days(7))
    make_user(Role.QC_CENTER, province_code="210000")
    result = scan()
    told = {role_users[Role.QC_CENTER].pk, role_users[Role.COMMISSION_PROVINCE].pk,
            role_users[Role.PROVINCE_ADMIN].pk}  # the administrator works at the provincial commission
    assert reminders() == sorted((uid, "filing.receipt_due", days(7), "before-7") for uid in told)
    assert set(Reminder.objects.values_list("subject_id", flat=True)) == {version.pk}
    assert result.reminders_sent == 3 and result.digests_sent == 3


def test_a_change_is_due_ten_working_days_after_it_happened(scan, filings):
    user = filings.institution()
    filing = filings.accepted(user.organisation).filing
    changed_on = date(2026, 6, 1)
    filings.version(filing, status=VersionStatus.DRAFT, kind=VersionKind.CHANGE, changed_on=changed_on)
    due = add_working_days(changed_on, 10)
    scan(today=due - timedelta(days=7))
    assert reminders() == [(user.pk, "filing.change_due", due, "before-7")]


def test_a_submitted_change_is_no_longer_reminded_of(scan, filings):
    user = filings.institution()
    filing = filings.accepted(user.organisation).filing
    filings.version(filing, status=VersionStatus.SUBMITTED, kind=VersionKind.CHANGE, changed_on=date(2026, 6, 1),
                    receipt_due_on=None)
    scan(today=add_working_days(date(2026, 6, 1), 10))
    assert reminders() == []


def test_certificates_and_equipment_count_on_the_current_accepted_version_only(scan, filings):
    user = filings.institution()
    current = filings.accepted(user.organisation)
    certificate = filings.certificate(current, days(30))
    equipment = filings.equipment(current, days(30))
    old = filings.version(current.filing, status=VersionStatus.SUPERSEDED)
    filings.certificate(old, days(30))
    draft = filings.version(current.filing, status=VersionStatus.DRAFT, kind=VersionKind.CHANGE,
                            changed_on=days(-40))
    filings.equipment(draft, days(30))
    cancelled_user = filings.institution()
    cancelled = filings.accepted(cancelled_user.organisation)
    cancelled.filing.status = FilingStatus.CANCELLED
    cancelled.filing.save()
    filings.certificate(cancelled, days(30))
    scan()
    rows = sorted(Reminder.objects.values_list("kind", "subject_id", "recipient_id", "stage"))
    assert rows == [("filing.calibration_expiry", equipment.pk, user.pk, "before-30"),
                    ("filing.certificate_expiry", certificate.pk, user.pk, "before-30")]


def test_the_provincial_report_is_due_on_10_january(scan, role_users, make_user):
    liaoning = make_user(Role.COMMISSION_PROVINCE, province_code="210000")
    scan(today=date(2026, 12, 11))
    told = sorted(Reminder.objects.values_list("recipient_id", "due_date", "stage"))
    assert told == sorted([(role_users[Role.COMMISSION_PROVINCE].pk, date(2027, 1, 10), "before-30"),
                           (role_users[Role.PROVINCE_ADMIN].pk, date(2027, 1, 10), "before-30"),
                           (liaoning.pk, date(2027, 1, 10), "before-30"),
                           (role_users["other_province"].pk, date(2027, 1, 10), "before-30")])
    assert "2026 年度" in Reminder.objects.first().title


def test_responsible_authority_and_named_users(make_user):
    county = Region.objects.get(code="220102")
    county_commission = make_user(Role.COMMISSION_COUNTY)
    city_commission = make_user(Role.COMMISSION_CITY)
    inspector, gone = make_user(Role.SUPERVISION), make_user(Role.SUPERVISION, is_active=False)
    local = ResponsibleAuthority(county.pk, "health_commission")
    named = Users((inspector.pk, gone.pk))
    assert recipients_resolve({local, named}) == {local: (county_commission.pk,), named: (inspector.pk,)}
    Region.objects.filter(pk=county.pk).update(supervised_by_city=True)
    assert recipients_resolve({local}) == {local: (city_commission.pk,)}
    # An already routed region names its own authority, whatever the delegation says now.
    routed = ResponsibleAuthority(county.pk, "health_commission", honour_delegation=False)
    assert recipients_resolve({routed, local}) == {routed: (county_commission.pk,), local: (city_commission.pk,)}


def test_organisation_staff_are_the_active_people_of_that_organisation(make_user):
    qc = make_user(Role.QC_CENTER)
    colleague = make_user(Role.QC_CENTER, organisation=qc.organisation)
    make_user(Role.QC_CENTER, organisation=qc.organisation, is_active=False)
    make_user(Role.QC_CENTER)  # another QC center
    closed = make_user(Role.QC_CENTER, region_code="220100")
    closed.organisation.is_active = False
    closed.organisation.save()
    one, gone = OrganisationStaff(qc.organisation_id), OrganisationStaff(closed.organisation_id)
    assert recipients_resolve({one, gone}) == {one: (qc.pk, colleague.pk), gone: ()}


# ---- Stages ---------------------------------------------------------------------------------

def test_daily_scans_send_each_stage_once_on_its_day(scan, filings):
    user = filings.institution()
    filings.certificate(filings.accepted(user.organisation), TODAY)
    sent = []
    for offset in range(-35, 16):
        day = days(offset)
        before = set(Reminder.objects.values_list("pk", flat=True))
        scan(today=day)
        sent += [(stage, day) for stage in Reminder.objects.exclude(pk__in=before).values_list("stage", flat=True)]
    assert sent == [("before-30", days(-30)), ("before-7", days(-7)), ("before-1", days(-1)), ("due", TODAY),
                    ("overdue-7", days(7)), ("overdue-14", days(14))]
    assert len(mail.outbox) == 6
    assert Notification.objects.filter(recipient=user, kind=DIGEST_KIND).count() == 6


def test_a_missed_day_is_caught_up_but_a_late_deadline_gets_no_stale_stage(scan, filings):
    user = filings.institution()
    version = filings.accepted(user.organisation)
    filings.certificate(version, days(6))  # no scan ran on its "7 days before" day
    filings.equipment(version, days(20))  # first seen 10 days after its "30 days before" day
    scan()
    assert sorted(Reminder.objects.values_list("kind", "stage")) == [("filing.certificate_expiry", "before-7")]


def test_a_province_schedule_changes_the_stages(scan, filings, role_users):
    ReminderSchedule.objects.create(province=Region.objects.get(code="220000"), days_before=[14],
                                    on_due_day=False, overdue_every_days=0)
    user = filings.institution()
    version = filings.accepted(user.organisation)
    filings.certificate(version, days(14))
    filings.equipment(version, days(30))
    liaoning_user = filings.institution(province_code="210000")
    filings.equipment(filings.accepted(liaoning_user.organisation), days(30))
    scan()
    assert sorted(Reminder.objects.values_list("recipient_id", "kind", "stage")) == [
        (user.pk, "filing.certificate_expiry", "before-14"),
        (liaoning_user.pk, "filing.calibration_expiry", "before-30"),
    ]


# ---- Once, and one digest ------------------------------------------------------------------

def test_one_digest_per_person_lists_all_of_their_reminders(scan, filings):
    user = filings.institution()
    version = filings.accepted(user.organisation)
    filings.certificate(version, days(7))
    filings.equipment(version, days(30))
    filings.version(version.filing, status=VersionStatus.DRAFT, kind=VersionKind.CHANGE,
                    changed_on=add_working_days(days(1), -10))
    result = scan()
    assert result.reminders_sent == 3 and result.digests_sent == 1
    [notification] = Notification.objects.filter(recipient=user)
    assert notification.kind == DIGEST_KIND
    assert notification.title == f"期限提醒：3 项（{TODAY.isoformat()}）"
    assert notification.body.count("\n") == 2 and "还有 1 天" in notification.body
    assert notification.url == f"/reporting/reminders/?date={TODAY.isoformat()}"
    [message] = mail.outbox
    assert message.to == [user.email] and "人员证书到期" in message.body
    digest = ReminderDigest.objects.get(recipient=user)
    assert set(Reminder.objects.values_list("digest_id", flat=True)) == {digest.pk}


def test_running_twice_sends_nothing_the_second_time(scan, filings, role_users):
    for _i in range(3):
        user = filings.institution()
        version = filings.accepted(user.organisation)
        filings.certificate(version, days(7))
        filings.equipment(version, TODAY)
        filings.submitted(filings.institution().organisation, receipt_due_on=days(1))
    first = scan()
    snapshot = (reminders(), Notification.objects.count(), len(mail.outbox))
    second = scan()
    assert first.reminders_sent == 6 + 3 * 3 and first.digests_sent == 3 + 3
    assert (second.reminders_sent, second.digests_sent) == (0, 0)
    assert (reminders(), Notification.objects.count(), len(mail.outbox)) == snapshot


def test_a_reminder_found_after_the_days_digest_waits_for_the_next_one(scan, filings):
    user = filings.institution()
    version = filings.accepted(user.organisation)
    filings.certificate(version, days(7))
    scan()
    filings.equipment(version, days(30))  # appears after today's digest went out
    assert scan().reminders_sent == 0
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 1
    tomorrow = scan(today=days(1))
    assert (tomorrow.reminders_sent, tomorrow.digests_sent) == (1, 1)
    assert len(mail.outbox) == 2


def test_the_task_runs_the_scan(filings):
    user = filings.institution()
    filings.certificate(filings.accepted(user.organisation), days(30))
    outcome = scan_deadlines.apply(kwargs={"today": TODAY.isoformat()}).get()
    assert outcome["reminders_sent"] == 1 and outcome["today"] == TODAY.isoformat()


def test_the_scan_query_count_does_not_grow_with_the_deadlines(scan, filings, role_users):
    def add(n: int, due: date):
        for _i in range(n):
            user = filings.institution()
            version = filings.accepted(user.organisation)
            filings.certificate(version, due)
            filings.equipment(version, due)
            filings.version(version.filing, status=VersionStatus.DRAFT, kind=VersionKind.CHANGE,
                            changed_on=add_working_days(due, -10))
            filings.submitted(filings.institution().organisation, receipt_due_on=due)

    scan(today=days(-100))  # warms the calendar and content-type caches
    add(1, days(7))
    with CaptureQueriesContext(connection) as small:
        assert scan().reminders_sent == 3 + 3
    add(10, days(37))
    with CaptureQueriesContext(connection) as large:
        assert scan(today=days(7)).reminders_sent == 11 * 3 + 11 * 3
    assert len(large.captured_queries) == len(small.captured_queries)


# ---- Concurrency -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_nothing_twice(make_user, filings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers and has no row locks to race on")
    # Small batches, so that the two scans take turns claiming digests and e-mails.
    monkeypatch.setattr("reporting.reminders.services.PG_INSERT_BATCH", 5)
    monkeypatch.setattr("reporting.reminders.services.DIGEST_BATCH", 2)
    monkeypatch.setattr("portal.notifications.services.EMAIL_BATCH", 1)
    qc = make_user(Role.QC_CENTER, email="qc@example.org")
    institutions = []
    for _i in range(12):
        user = filings.institution()
        institutions.append(user)
        version = filings.accepted(user.organisation)
        filings.certificate(version, days(7))
        filings.certificate(version, days(30))
        filings.equipment(version, TODAY)
        filings.submitted(filings.institution(email="").organisation, receipt_due_on=days(1))
    expected_rows = 12 * 3 + 12 * 1
    results = scan_concurrently(TODAY)
    assert Reminder.objects.count() == expected_rows
    assert sum(r.reminders_sent for r in results) == expected_rows
    assert sum(r.digests_sent for r in results) == 13
    per_user = Notification.objects.filter(kind=DIGEST_KIND).values_list("recipient_id", flat=True)
    assert sorted(per_user) == sorted({u.pk for u in institutions} | {qc.pk})
    assert sorted(m.to[0] for m in mail.outbox) == sorted([u.email for u in institutions] + ["qc@example.org"])


# ---- The beat entry ------------------------------------------------------------------------------

def test_the_daily_beat_entry_is_installed_once_and_keeps_an_administrators_pause():
    from django_celery_beat.models import PeriodicTask

    config = apps.get_app_config("reporting")
    assert "created" in config.load_reference_data()
    assert "unchanged" in config.load_reference_data()
    entry = PeriodicTask.objects.get(task="reporting.tasks.scan_deadlines")
    assert (entry.crontab.hour, entry.crontab.minute, str(entry.crontab.timezone)) == ("7", "0", "Asia/Shanghai")
    entry.enabled = False
    entry.kwargs = '{"today": "2020-01-01"}'
    entry.save()
    assert "updated, disabled by an administrator" in config.load_reference_data()
    entry.refresh_from_db()
    assert (entry.kwargs, entry.enabled) == ("{}", False)
    assert PeriodicTask.objects.filter(task="reporting.tasks.scan_deadlines").count() == 1


def test_the_command_runs_the_scan(filings):
    from io import StringIO

    from django.core.management import call_command

    user = filings.institution()
    filings.certificate(filings.accepted(user.organisation), days(30))
    out = StringIO()
    call_command("scan_deadlines", "--date", TODAY.isoformat(), stdout=out)
    assert "1 reminders sent in 1 digests" in out.getvalue()


def test_the_provincial_report_stays_overdue_until_submitted(scan, role_users, make_user):
    from reporting.annual.models import ProvincialReport

    liaoning = make_user(Role.COMMISSION_PROVINCE, province_code="210000")
    jilin = role_users[Role.COMMISSION_PROVINCE]
    ProvincialReport.objects.create(province_id=jilin.organisation.province_id, year=2026, status="submitted",
                                    submitted_at=timezone.now())
    scan(today=date(2027, 1, 17))  # a week past 10 January 2027
    told = set(Reminder.objects.values_list("recipient_id", "due_date", "stage"))
    assert (liaoning.pk, date(2027, 1, 10), "overdue-7") in told
    assert not {r for r in told if r[0] in (jilin.pk, role_users[Role.PROVINCE_ADMIN].pk)}
