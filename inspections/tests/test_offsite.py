"""Off-site eligibility, the 5-working-day notice, routing under delegation, acknowledgement, PDF."""

# ruff: noqa: F811

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from filing.models import Equipment, StaffMember, Vehicle
from filing.services import filing_cancel
from filing.tests.workflow_builders import accepted_version, credit_code
from inspections import selectors
from inspections.choices import VerificationOutcome
from inspections.models import OffSiteNotification
from inspections.services import offsite
from inspections.services import verification as vs
from portal.accounts.choices import Role
from portal.core.pdf import pdf_text
from portal.regions.models import Region

from .helpers import answered, case_of

START = date(2026, 10, 9)  # the Friday after National Day 2026


@pytest.fixture
def fixed_today(monkeypatch):
    def set_today(day):
        monkeypatch.setattr(offsite, "today", lambda: day)
    return set_today


@pytest.fixture
def eligible(accepted, qc_user, checklist):
    case = answered(case_of(accepted), qc_user)
    vs.verification_sign_off(case_id=case.pk, actor=qc_user, outcome=VerificationOutcome.FIT)
    return accepted


def payload(version, **overrides):
    data = dict(
        employer_name="长春某汽车零部件有限公司", employer_credit_code=credit_code(990001),
        employer_address="南关区东环城路1号", employer_region=Region.objects.get(code="220102"),
        work_site="厂区职工活动中心", work_site_region=Region.objects.get(code="220102"),
        starts_on=START, ends_on=date(2026, 10, 12), expected_workers=300,
        item_codes=["GBZ188-2014:6.1"], exam_types=["on_duty"],
        staff_ids=list(StaffMember.objects.filter(version=version).values_list("pk", flat=True)),
        vehicle_ids=list(Vehicle.objects.filter(version=version).values_list("pk", flat=True)),
        equipment_ids=list(Equipment.objects.filter(version=version, for_off_site=True).values_list("pk", flat=True)),
        sample_handling="血样冷藏箱2-8℃保存，当日送回实验室", biosafety="DR车铅防护，医疗废物专用容器回收",
        contact_name="刘芳", contact_phone="13900000000",
    )
    data.update(overrides)
    return data


def test_latest_notice_date_across_national_day(reference_data):
    # Mid-autumn (25-27 Sep) and National Day (1-8 Oct, 8 Oct excepted) both fall in the count.
    assert offsite.notice_latest_date(START) == date(2026, 9, 24)
    # Spring Festival 2026: 2026-02-24 is the first working day after the holiday, 2026-02-14 a working Saturday.
    assert offsite.notice_latest_date(date(2026, 2, 24)) == date(2026, 2, 10)


def test_eligibility_names_each_failing_condition(institution_user, qc_user, checklist):
    version = accepted_version(institution_user, qc_user, off_site=False)
    failures = offsite.offsite_eligibility(institution=institution_user.organisation).failures
    text = " ".join(failures)
    assert "未申报开展外出" in text and "车辆" in text and "设备" in text and "现场核查尚未通过" in text
    assert version.filing.status == "accepted"


def test_eligible_after_verification_passed(eligible, institution_user):
    assert offsite.offsite_eligibility(institution=institution_user.organisation).allowed


def test_qc_key_items_failure_blocks(eligible, institution_user, monkeypatch):
    monkeypatch.setattr(offsite, "qc_key_items_passed", lambda institution: (False, ""))
    failures = offsite.offsite_eligibility(institution=institution_user.organisation).failures
    assert failures == ["最近一次质量控制考核关键项未全部合格。"]


def test_five_working_days_boundary(eligible, institution_user, fixed_today):
    org = institution_user.organisation
    fixed_today(date(2026, 9, 28))
    with pytest.raises(ValidationError) as err:
        offsite.notification_submit(actor=institution_user, institution=org, **payload(eligible))
    assert "2026-09-24" in err.value.message_dict["starts_on"][0]
    assert not OffSiteNotification.objects.exists()
    fixed_today(date(2026, 9, 24))
    notice = offsite.notification_submit(actor=institution_user, institution=org, **payload(eligible))
    assert notice.routed_region.code == "220102" and notice.categories == ["dust"]


def test_bad_input_is_refused_whole(eligible, institution_user, fixed_today):
    fixed_today(date(2026, 9, 1))
    bad = payload(eligible, ends_on=date(2026, 10, 1), item_codes=["GBZ188-2014:5.1"], employer_credit_code="123",
                  employer_region=Region.objects.get(code="220100"), staff_ids=[], vehicle_ids=[999999])
    with pytest.raises(ValidationError) as err:
        offsite.notification_submit(actor=institution_user, institution=institution_user.organisation, **bad)
    assert {"ends_on", "items", "employer_credit_code", "employer_region", "staff", "vehicles"} <= set(
        err.value.message_dict)
    assert not OffSiteNotification.objects.exists()


def test_cancelled_filing_is_refused(eligible, institution_user, qc_user, fixed_today):
    fixed_today(date(2026, 9, 1))
    filing_cancel(filing_id=eligible.filing_id, actor=qc_user, reason="注销")
    with pytest.raises(ValidationError) as err:
        offsite.notification_submit(actor=institution_user, institution=institution_user.organisation,
                                    **payload(eligible))
    assert "已注销" in err.value.messages[0]


def test_delegated_county_routes_to_city_and_only_the_addressee_acknowledges(
        eligible, institution_user, fixed_today, make_user):
    fixed_today(date(2026, 9, 1))
    county, city = make_user(Role.COMMISSION_COUNTY), make_user(Role.COMMISSION_CITY)
    notice = offsite.notification_submit(actor=institution_user, institution=institution_user.organisation,
                                         **payload(eligible))
    assert list(selectors.notification_inbox(county)) == [notice]
    assert not selectors.notification_inbox(city).exists()
    with pytest.raises(PermissionDenied):
        offsite.notification_acknowledge(notification_id=notice.pk, actor=city)
    Region.objects.filter(code="220102").update(supervised_by_city=True)
    delegated = offsite.notification_submit(actor=institution_user, institution=institution_user.organisation,
                                            **payload(eligible, employer_name="另一家用人单位"))
    assert delegated.routed_region.code == "220100"
    assert list(selectors.notification_inbox(city)) == [delegated]
    assert delegated not in selectors.notifications_for(county)
    offsite.notification_acknowledge(notification_id=delegated.pk, actor=city, note="收悉")
    with pytest.raises(ValidationError):
        offsite.notification_plan_visit(notification_id=delegated.pk, actor=city, visit_on=date(2026, 11, 1))
    offsite.notification_plan_visit(notification_id=delegated.pk, actor=city, visit_on=date(2026, 10, 10))
    delegated.refresh_from_db()
    assert delegated.status == "acknowledged" and delegated.visit_planned_on == date(2026, 10, 10)


def test_pages_pdf_and_other_province(eligible, institution_user, fixed_today, make_user):
    fixed_today(date(2026, 9, 1))
    notice = offsite.notification_submit(actor=institution_user, institution=institution_user.organisation,
                                         **payload(eligible))
    county = make_user(Role.COMMISSION_COUNTY)
    client = Client()
    client.force_login(county)
    response = client.get(reverse("inspections:notification-pdf", args=[notice.pk]))
    text = pdf_text(response.content)
    assert "外出职业健康检查告知书" in text and "长春某汽车零部件有限公司" in text
    response = client.post(reverse("inspections:notification-acknowledge", args=[notice.pk]), {"note": "已收悉"})
    assert response.status_code == 302
    client.force_login(institution_user)
    page = client.get(reverse("inspections:notification-detail", args=[notice.pk])).content.decode()
    assert "已确认收悉" in page
    other = make_user(Role.PROVINCE_ADMIN, province_code="210000")
    client.force_login(other)
    assert client.get(reverse("inspections:notification-detail", args=[notice.pk])).status_code == 404
    assert client.get(reverse("inspections:verification-detail", args=[case_of(eligible).pk])).status_code == 404
    client.force_login(make_user(Role.INSTITUTION))
    assert client.get(reverse("inspections:notification-detail", args=[notice.pk])).status_code == 404
    assert client.post(reverse("inspections:notification-acknowledge", args=[notice.pk])).status_code == 403


def test_institution_sees_its_scheduled_date(accepted, institution_user, qc_user):
    from .helpers import scheduled

    case = scheduled(case_of(accepted), qc_user)
    client = Client()
    client.force_login(institution_user)
    page = client.get(reverse("inspections:index")).content.decode()
    assert case.scheduled_on.isoformat() in page
    assert client.post(reverse("inspections:verification-start", args=[case.pk])).status_code == 403
