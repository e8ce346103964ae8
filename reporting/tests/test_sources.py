"""The deadline sources of inspections, QC and the ledger: who is reminded of what, and when
they are no longer; other provinces never; each reminder once, however the scan is run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from filing.choices import FilingStatus
from filing.models import Filing
from inspections.choices import NotificationStatus, VerificationStatus
from inspections.models import OffSiteNotification, VerificationCase
from inspections.services.offsite import notification_acknowledge
from portal.accounts.choices import Role
from portal.notifications.models import Notification
from portal.regions.models import Region
from portal.testing.factories import AREAS
from qc.choices import AssessmentKind, AssessmentStatus
from qc.ledger.choices import LedgerStatus
from qc.ledger.models import LedgerEntry
from qc.models import Assessment, PlanItem
from reporting.models import Reminder
from reporting.reminders.registry import kind_label, sources
from reporting.reminders.services import DIGEST_KIND
from reporting.reminders.sources.inspections import OFFSITE_ACKNOWLEDGEMENT, VERIFICATION_DUE
from reporting.reminders.sources.ledger import RECTIFICATION_DUE
from reporting.reminders.sources.qc import PLAN_YEAR_END, RESPONSE_WINDOW

from .conftest import days, scan_concurrently

pytestmark = pytest.mark.django_db

NEW_KINDS = (VERIFICATION_DUE, OFFSITE_ACKNOWLEDGEMENT, PLAN_YEAR_END, RESPONSE_WINDOW, RECTIFICATION_DUE)
YEAR_END = date(2026, 12, 31)


def told(kind: str) -> list[tuple]:
    """(recipient, subject, stage) of the reminders of one kind."""
    return sorted(Reminder.objects.filter(kind=kind).values_list("recipient_id", "subject_id", "stage"))


def staff(make_user, province_code: str = "220000") -> dict:
    """The authorities of a province (the provincial and a city QC center, the commissions of the
    demo city and county, supervision) and an institution, one person each."""
    area = AREAS[province_code]
    return {
        "qc": make_user(Role.QC_CENTER, province_code=province_code),
        "city_qc": make_user(Role.QC_CENTER, province_code=province_code, region_code=area["city"]),
        "city": make_user(Role.COMMISSION_CITY, province_code=province_code),
        "county": make_user(Role.COMMISSION_COUNTY, province_code=province_code),
        "supervision": make_user(Role.SUPERVISION, province_code=province_code),
        "institution": make_user(Role.INSTITUTION, province_code=province_code),
    }


@pytest.fixture
def jilin(make_user) -> dict:
    return staff(make_user)


# ---- The kinds ----------------------------------------------------------------------------------

def test_each_new_kind_is_registered_with_a_chinese_label():
    registered = {source.kind for source in sources()}
    assert set(NEW_KINDS) <= registered
    assert {kind: kind_label(kind) for kind in NEW_KINDS} == {
        VERIFICATION_DUE: "备案后现场核查期限", OFFSITE_ACKNOWLEDGEMENT: "外出体检告知确认",
        PLAN_YEAR_END: "年度计划考核完成期限", RESPONSE_WINDOW: "考核结果反馈期限", RECTIFICATION_DUE: "整改期限"}


# ---- On-site verification -----------------------------------------------------------------------

def test_an_open_verification_reminds_the_provincial_qc_center_and_the_inspectors(scan, domain, jilin, make_user):
    qc = jilin["qc"]
    colleague = make_user(Role.QC_CENTER, organisation=qc.organisation)
    moved = make_user(Role.QC_CENTER, province_code="210000")  # on the team, now in Liaoning
    institution = jilin["institution"].organisation
    unscheduled = domain.verification(institution, days(30))
    scheduled = domain.verification(domain.filings.institution().organisation, days(7),
                                    status=VerificationStatus.SCHEDULED, team=[jilin["city_qc"], moved])
    scan()
    assert told(VERIFICATION_DUE) == sorted([
        (qc.pk, unscheduled.pk, "before-30"), (colleague.pk, unscheduled.pk, "before-30"),
        (qc.pk, scheduled.pk, "before-7"), (colleague.pk, scheduled.pk, "before-7"),
        (jilin["city_qc"].pk, scheduled.pk, "before-7"),
    ])
    reminder = Reminder.objects.get(kind=VERIFICATION_DUE, recipient=jilin["city_qc"])
    assert reminder.url == reverse("inspections:verification-detail", args=[scheduled.pk])
    assert reminder.title == f"完成备案后现场核查：{scheduled.institution.name}"
    assert reminder.due_date == days(7)


def test_a_signed_off_verification_or_a_cancelled_filing_is_not_reminded_of(scan, domain, jilin):
    make = domain.filings.institution
    open_case = domain.verification(make().organisation, days(7), status=VerificationStatus.IN_PROGRESS)
    domain.verification(make().organisation, days(7), status=VerificationStatus.SIGNED_OFF)
    cancelled = domain.verification(make().organisation, days(7))
    Filing.objects.filter(pk=cancelled.filing_id).update(status=FilingStatus.CANCELLED)
    scan()
    assert {subject for _uid, subject, _stage in told(VERIFICATION_DUE)} == {open_case.pk}


# ---- Off-site notices -----------------------------------------------------------------------------

def test_a_notice_waiting_for_acknowledgement_reminds_the_county_it_was_sent_to(scan, domain, jilin, make_user):
    make_user(Role.COMMISSION_COUNTY, region_code="220104")  # another county of the same city
    institution = jilin["institution"].organisation
    waiting = domain.notice(institution, days(7))
    running = domain.notice(institution, days(-7), ends_on=days(3))  # started without an answer
    domain.notice(institution, days(-10), ends_on=days(-1))  # over: an answer changes nothing now
    domain.notice(institution, days(7), status=NotificationStatus.ACKNOWLEDGED)
    scan()
    county = jilin["county"].pk
    assert told(OFFSITE_ACKNOWLEDGEMENT) == [(county, waiting.pk, "before-7"), (county, running.pk, "overdue-7")]
    reminder = Reminder.objects.get(kind=OFFSITE_ACKNOWLEDGEMENT, subject_id=waiting.pk)
    assert reminder.due_date == waiting.starts_on
    assert reminder.url == reverse("inspections:notification-detail", args=[waiting.pk])
    assert institution.name in reminder.title and "长春一汽铸造有限公司" in reminder.title


def test_a_delegated_county_s_notice_reminds_the_city_until_it_acknowledges(scan, domain, jilin):
    Region.objects.filter(code="220102").update(supervised_by_city=True)
    notice = domain.notice(jilin["institution"].organisation, days(7))
    assert notice.routed_region.code == "220100"
    scan()
    assert told(OFFSITE_ACKNOWLEDGEMENT) == [(jilin["city"].pk, notice.pk, "before-7")]
    # The person reminded is the one who may acknowledge; after that, nothing more.
    notification_acknowledge(notification_id=notice.pk, actor=jilin["city"])
    scan(today=days(6))
    assert told(OFFSITE_ACKNOWLEDGEMENT) == [(jilin["city"].pk, notice.pk, "before-7")]


def test_the_reminder_follows_the_notice_s_routing_not_a_later_delegation(scan, domain, jilin):
    notice = domain.notice(jilin["institution"].organisation, days(1))
    Region.objects.filter(code="220102").update(supervised_by_city=True)  # after the notice was routed
    scan()
    # Only the county the notice was sent to may acknowledge it (inspections._check_addressee).
    assert told(OFFSITE_ACKNOWLEDGEMENT) == [(jilin["county"].pk, notice.pk, "before-1")]


# ---- The yearly QC plan ---------------------------------------------------------------------------

def test_planned_assessments_not_final_are_reminded_of_before_the_year_ends(scan, domain, jilin):
    qc, city_qc = jilin["qc"], jilin["city_qc"]
    make = domain.filings.institution
    not_started, done, only_a_draft, twice = (make().organisation for _i in range(4))
    by_city = domain.plan_item(not_started, year=2026, assessed_by=city_qc.organisation)
    domain.plan_item(not_started, year=2025, assessed_by=qc.organisation)  # last year's plan is over
    domain.plan_item(done, year=2026, assessed_by=qc.organisation)
    domain.assessment(done, year=2026)
    draft = domain.plan_item(only_a_draft, year=2026, assessed_by=qc.organisation)
    domain.assessment(only_a_draft, year=2026, status=AssessmentStatus.SENT, response_due_on=days(-30))
    domain.assessment(only_a_draft, year=2026, kind=AssessmentKind.SELF)
    domain.assessment(only_a_draft, year=2025)
    domain.plan_item(twice, year=2026, assessed_by=qc.organisation, month=3)
    extra = domain.plan_item(twice, year=2026, assessed_by=qc.organisation, month=9, is_extra=True)
    domain.assessment(twice, year=2026)  # the regular one is done, the extra one not yet
    scan(today=date(2026, 12, 1))
    assert told(PLAN_YEAR_END) == sorted([
        (city_qc.pk, by_city.pk, "before-30"), (qc.pk, by_city.pk, "before-30"),
        (qc.pk, draft.pk, "before-30"), (qc.pk, extra.pk, "before-30"),
    ])
    reminder = Reminder.objects.get(kind=PLAN_YEAR_END, recipient=city_qc)
    assert reminder.due_date == YEAR_END
    assert reminder.url == reverse("qc:plan-detail", args=[by_city.plan_id])
    assert reminder.title == f"完成年度计划考核：{not_started.name}（2026 年 6 月）"


def test_a_year_end_stage_missed_on_31_december_is_caught_up_in_january(scan, domain, jilin):
    item = domain.plan_item(jilin["institution"].organisation, year=2026, assessed_by=jilin["qc"].organisation)
    scan(today=date(2027, 1, 2))
    assert told(PLAN_YEAR_END) == [(jilin["qc"].pk, item.pk, "due")]
    assert not scan(today=date(2027, 1, 9)).staged  # no overdue reminders for a year that is over


# ---- The response window ----------------------------------------------------------------------------

def test_the_institution_is_reminded_until_its_window_closes_then_the_qc_center(scan, domain, jilin):
    institution = jilin["institution"]
    sent = domain.assessment(institution.organisation, year=2026, status=AssessmentStatus.SENT,
                             response_due_on=days(7), assessing_body=jilin["city_qc"].organisation)
    make = domain.filings.institution
    for status in (AssessmentStatus.RESPONDED, AssessmentStatus.ANSWERED, AssessmentStatus.FINAL):
        domain.assessment(make().organisation, year=2026, status=status, response_due_on=days(7))
    scan()
    assert told(RESPONSE_WINDOW) == [(institution.pk, sent.pk, "before-7")]
    reminder = Reminder.objects.get(kind=RESPONSE_WINDOW)
    assert reminder.url == reverse("qc:response", args=[sent.pk])
    assert reminder.title == f"核对 2026 年度质量考核结果，如有异议请于 {days(7).isoformat()} 前反馈"
    scan(today=days(7))
    scan(today=days(8))  # the window closed yesterday: the result waits for the QC center
    scan(today=days(14))
    assert told(RESPONSE_WINDOW) == sorted([
        (institution.pk, sent.pk, "before-7"), (institution.pk, sent.pk, "due"),
        (jilin["city_qc"].pk, sent.pk, "due"), (jilin["city_qc"].pk, sent.pk, "overdue-7"),
    ])
    late = Reminder.objects.get(kind=RESPONSE_WINDOW, recipient=jilin["city_qc"], stage="due")
    assert late.url == reverse("qc:assessment-detail", args=[sent.pk])
    assert late.title == f"反馈期限已过，请定稿：{institution.organisation.name} 2026 年度质量考核"


def test_a_closed_window_without_a_known_assessing_body_goes_to_the_provincial_qc_center(scan, domain, jilin):
    sent = domain.assessment(jilin["institution"].organisation, year=2026, status=AssessmentStatus.SENT,
                             response_due_on=days(-1))
    scan()
    assert told(RESPONSE_WINDOW) == [(jilin["qc"].pk, sent.pk, "due")]


# ---- Rectification ----------------------------------------------------------------------------------

def test_a_rectification_due_reminds_the_institution_and_the_authority_that_raised_it(scan, domain, jilin):
    institution, supervision = jilin["institution"], jilin["supervision"]
    org, raised_by = institution.organisation, supervision.organisation
    open_entry = domain.entry(org, days(7), opened_by=raised_by)
    plan_waiting = domain.entry(org, days(30), status=LedgerStatus.PLAN_SUBMITTED, opened_by=raised_by)
    returned = domain.entry(org, days(-7), status=LedgerStatus.RETURNED, opened_by=raised_by)
    by_the_system = domain.entry(org, days(1))
    for status in (LedgerStatus.FIX_SUBMITTED, LedgerStatus.CLOSED, LedgerStatus.REFUSED, LedgerStatus.FAILED):
        domain.entry(org, days(7), status=status, opened_by=raised_by)
    scan()
    assert told(RECTIFICATION_DUE) == sorted([
        (institution.pk, open_entry.pk, "before-7"), (supervision.pk, open_entry.pk, "before-7"),
        (institution.pk, plan_waiting.pk, "before-30"), (supervision.pk, plan_waiting.pk, "before-30"),
        (institution.pk, returned.pk, "overdue-7"), (supervision.pk, returned.pk, "overdue-7"),
        # No opener on record: the health commission where the institution is.
        (institution.pk, by_the_system.pk, "before-1"), (jilin["county"].pk, by_the_system.pk, "before-1"),
    ])
    reminder = Reminder.objects.get(kind=RECTIFICATION_DUE, subject_id=open_entry.pk, recipient=institution)
    assert reminder.url == reverse("ledger:detail", args=[open_entry.pk])
    assert reminder.title == (f"整改期限：{open_entry.number} {org.name}（血铅检测室内质控记录不完整，未绘制质控图，"
                              "检测结果无法溯源）")
    long = domain.entry(org, days(7), opened_by=raised_by, description="问" * 200)
    scan(today=days(1))
    title = Reminder.objects.filter(subject_id=long.pk, kind=RECTIFICATION_DUE).values_list("title", flat=True)[0]
    assert title.endswith("问" * 30 + "…）")


# ---- Provinces ----------------------------------------------------------------------------------------

def every_kind(domain, people: dict, due: date, *, plan_year: int | None = None) -> None:
    """One open deadline of each new kind, due on ``due`` (the plan item: at the end of
    ``plan_year``), among ``people`` of one province."""
    org = people["institution"].organisation
    domain.verification(org, due, status=VerificationStatus.SCHEDULED, team=[people["city_qc"]])
    domain.notice(org, due)
    domain.plan_item(org, year=plan_year or due.year, assessed_by=people["city_qc"].organisation)
    domain.assessment(org, year=due.year, status=AssessmentStatus.SENT, response_due_on=due,
                      assessing_body=people["city_qc"].organisation)
    domain.entry(org, due, opened_by=people["supervision"].organisation)


def test_no_reminder_names_anyone_of_another_province(scan, domain, jilin, make_user):
    liaoning = staff(make_user, "210000")
    every_kind(domain, jilin, YEAR_END)
    every_kind(domain, liaoning, YEAR_END)
    # Rows naming another province's people (moved staff, a mistaken entry) fall back to their own.
    jilin_org = jilin["institution"].organisation
    domain.verification(domain.filings.institution().organisation, YEAR_END, status=VerificationStatus.SCHEDULED,
                        team=[liaoning["city_qc"]])
    domain.plan_item(domain.filings.institution().organisation, year=2026, assessed_by=liaoning["qc"].organisation)
    domain.entry(jilin_org, YEAR_END, opened_by=liaoning["supervision"].organisation)
    domain.notice(jilin_org, YEAR_END, employer_region="210102")
    scan(today=YEAR_END - timedelta(days=7))
    rows = list(Reminder.objects.select_related("recipient__organisation"))
    assert {(r.kind, r.province.code) for r in rows} >= {(kind, code) for kind in NEW_KINDS
                                                         for code in ("220000", "210000")}
    assert [(r.kind, r.recipient.role, r.province.code, r.recipient.organisation.province.code) for r in rows
            if r.recipient.organisation.province_id != r.province_id] == []


def test_each_reminded_person_can_open_the_page_it_links_to(client, scan, domain, jilin):
    every_kind(domain, jilin, YEAR_END)
    scan(today=YEAR_END - timedelta(days=7))
    reminders = list(Reminder.objects.filter(kind__in=NEW_KINDS).select_related("recipient"))
    assert {r.kind for r in reminders} == set(NEW_KINDS)
    for reminder in reminders:
        client.force_login(reminder.recipient)
        response = client.get(reminder.url)
        assert response.status_code == 200, (reminder.kind, reminder.recipient.role, reminder.url)


# ---- Never twice --------------------------------------------------------------------------------------

def test_scanning_twice_sends_the_new_kinds_once(scan, domain, jilin):
    every_kind(domain, jilin, days(7))
    first = scan()
    snapshot = (told_all(), Notification.objects.count(), len(mail.outbox))
    second = scan()
    assert first.reminders_sent == len(snapshot[0]) > 0 and first.digests_sent > 0
    assert (second.reminders_sent, second.digests_sent) == (0, 0)
    assert (told_all(), Notification.objects.count(), len(mail.outbox)) == snapshot


def told_all() -> list[tuple]:
    return sorted(Reminder.objects.values_list("kind", "recipient_id", "subject_id", "due_date", "stage"))


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_the_new_kinds_once(domain, make_user, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers and has no row locks to race on")
    monkeypatch.setattr("reporting.reminders.services.PG_INSERT_BATCH", 3)
    monkeypatch.setattr("reporting.reminders.services.DIGEST_BATCH", 1)
    monkeypatch.setattr("portal.notifications.services.EMAIL_BATCH", 1)
    people = staff(make_user)
    for person in people.values():
        person.email = f"{person.username}@example.org"
        person.save(update_fields=["email"])
    every_kind(domain, people, YEAR_END)
    for _i in range(3):
        people["institution"] = domain.filings.institution()
        every_kind(domain, people, YEAR_END)
    results = scan_concurrently(YEAR_END - timedelta(days=7))
    rows = told_all()
    assert {kind for kind, *_rest in rows} == set(NEW_KINDS)
    assert len(rows) == len(set(rows)) == Reminder.objects.count()
    assert sum(r.reminders_sent for r in results) == len(rows)
    recipients = {uid for _kind, uid, *_rest in rows}
    assert sum(r.digests_sent for r in results) == len(recipients)
    digests = list(Notification.objects.filter(kind=DIGEST_KIND).values_list("recipient_id", flat=True))
    assert sorted(digests) == sorted(recipients)
    assert len(mail.outbox) == len(recipients) == len({m.to[0] for m in mail.outbox})


# ---- Queries ------------------------------------------------------------------------------------------

def test_the_scan_query_count_does_not_grow_with_the_new_deadlines(scan, domain, jilin, make_user):
    def add(n: int, due: date):
        for _i in range(n):
            people = {**jilin, "institution": domain.filings.institution(),
                      "city_qc": make_user(Role.QC_CENTER, region_code="220100"),
                      "supervision": make_user(Role.SUPERVISION)}
            every_kind(domain, people, due, plan_year=2026)
            domain.entry(people["institution"].organisation, due)  # no opener: the local commission

    first_day, later_day = date(2026, 12, 1), date(2026, 12, 24)
    ContentType.objects.get_for_models(VerificationCase, OffSiteNotification, PlanItem, Assessment, LedgerEntry)
    scan(today=first_day - timedelta(days=100))  # warms the calendar caches
    add(1, first_day + timedelta(days=7))
    with CaptureQueriesContext(connection) as small:
        few = scan(today=first_day).reminders_sent
    add(10, later_day + timedelta(days=30))
    with CaptureQueriesContext(connection) as large:
        many = scan(today=later_day).reminders_sent
    assert 0 < few < many
    assert set(Reminder.objects.values_list("kind", flat=True)) == set(NEW_KINDS)
    assert statements(large.captured_queries) == statements(small.captured_queries)


def statements(queries) -> int:
    """The number of statements, a bulk insert counting once: SQLite splits one into batches of at most
    999 values, a cost per batch of rows rather than per row (PostgreSQL sends it whole)."""
    count, previous = 0, None
    for query in queries:
        sql = query["sql"]
        insert = sql.split("(", 1)[0] if sql.startswith("INSERT") else None
        if insert is None or insert != previous:
            count += 1
        previous = insert
    return count


# ---- Demo ---------------------------------------------------------------------------------------------

def test_the_demo_scan_fills_the_bells_with_today_s_reminders_once(domain, jilin, capsys):
    from django.apps import apps
    from django.utils import timezone

    from portal.core.demo import DemoContext

    today = timezone.localdate()  # the demo scans the real today; the rows are placed around it
    every_kind(domain, jilin, today + timedelta(days=7), plan_year=today.year)
    config = apps.get_app_config("reporting")
    ctx = DemoContext(province=Region.objects.get(code="220000"))
    config.seed_demo(ctx)
    first = (told_all(), list(Notification.objects.values_list("recipient_id", "kind", "title")))
    config.seed_demo(ctx)
    assert (told_all(), list(Notification.objects.values_list("recipient_id", "kind", "title"))) == first
    assert {kind for kind, *_rest in first[0]} >= {VERIFICATION_DUE, OFFSITE_ACKNOWLEDGEMENT, RECTIFICATION_DUE}
    bell = Notification.objects.filter(recipient=jilin["county"], kind=DIGEST_KIND, read_at__isnull=True)
    assert bell.count() == 1 and "外出职业健康检查告知" in bell.get().body
    assert "reminders demo:" in capsys.readouterr().out
