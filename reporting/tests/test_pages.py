"""The reminder pages: one's own reminders, and the province's schedule."""

from datetime import timedelta

import pytest
from django.urls import reverse

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.regions.models import Region
from reporting.models import ReminderSchedule
from reporting.reminders.services import deadlines_scan

from .conftest import TODAY

pytestmark = pytest.mark.django_db
SCHEDULE = "reporting:reminder-schedule"


@pytest.fixture
def province_admin(make_user):
    return make_user(Role.PROVINCE_ADMIN)


def test_the_reminder_list_shows_ones_own_reminders(client, filings, django_assert_max_num_queries):
    user, other = filings.institution(), filings.institution()
    for owner in (user, other):
        version = filings.accepted(owner.organisation)
        for _i in range(30):
            filings.certificate(version, TODAY + timedelta(days=7))
    deadlines_scan(today=TODAY)
    client.force_login(user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reporting:reminders"), {"date": TODAY.isoformat()})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="reminder"') == 30
    assert other.organisation.name not in body
    assert "人员证书到期" in body and "提前 7 天" in body


def test_the_schedule_page_is_for_provincial_administrators(client, make_user, province_admin):
    client.force_login(make_user(Role.QC_CENTER))
    assert client.get(reverse(SCHEDULE)).status_code == 403
    assert client.post(reverse(SCHEDULE), {"days_before": "5", "overdue_every_days": "7"}).status_code == 403
    assert not ReminderSchedule.objects.exists()
    client.force_login(province_admin)
    response = client.get(reverse(SCHEDULE))
    assert response.status_code == 200
    assert response.context["form"].initial == {"days_before": "30, 7, 1", "on_due_day": True,
                                                "overdue_every_days": 7}


def test_saving_the_schedule_is_audited_and_used_by_the_scan(client, province_admin):
    client.force_login(province_admin)
    response = client.post(reverse(SCHEDULE), {"days_before": "7，60 14", "on_due_day": "",
                                               "overdue_every_days": "0"})
    assert response.status_code == 302
    schedule = ReminderSchedule.objects.get(province__code="220000")
    assert (schedule.days_before, schedule.on_due_day, schedule.overdue_every_days) == ([60, 14, 7], False, 0)
    assert AuditEntry.objects.filter(action="reporting.reminder_schedule.created").count() == 1
    client.post(reverse(SCHEDULE), {"days_before": "60, 14, 7", "overdue_every_days": "3"})
    entry = AuditEntry.objects.get(action="reporting.reminder_schedule.updated")
    assert (entry.old, entry.new) == ({"overdue_every_days": 0}, {"overdue_every_days": 3})


@pytest.mark.parametrize("data,field", [
    ({"days_before": "30, 0", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "30, -7", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "三十", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "7, 7", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "400", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "1,2,3,4,5,6,7,8,9,10,11", "overdue_every_days": "7"}, "days_before"),
    ({"days_before": "", "overdue_every_days": "0"}, "days_before"),
    ({"days_before": "7", "overdue_every_days": "-1"}, "overdue_every_days"),
    ({"days_before": "7", "overdue_every_days": "91"}, "overdue_every_days"),
])
def test_the_schedule_is_validated(client, province_admin, data, field):
    client.force_login(province_admin)
    response = client.post(reverse(SCHEDULE), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'data-field="{field}"' in response.content.decode()
    assert not ReminderSchedule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="reporting.").exists()


def test_a_provincial_administrator_edits_their_own_province_only(client, make_user):
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    client.post(reverse(SCHEDULE) + "?province=220000", {"days_before": "5", "overdue_every_days": "7"})
    assert list(ReminderSchedule.objects.values_list("province__code", flat=True)) == ["210000"]


def test_a_platform_administrator_picks_the_province(admin_client):
    assert admin_client.get(reverse(SCHEDULE)).context["province"] is None
    response = admin_client.post(reverse(SCHEDULE) + "?province=220000", {"days_before": "5",
                                                                          "overdue_every_days": "7"})
    assert response["Location"] == reverse(SCHEDULE) + "?province=220000"
    assert ReminderSchedule.objects.get().province == Region.objects.get(code="220000")


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    (Role.COMMISSION_PROVINCE, ["hub-publications", "hub-annual", "/reporting/publications/new/"], ["/reports/national/"]),
    (Role.NATIONAL, ["hub-publications", "hub-annual", "/reports/national/"], ["/reporting/publications/new/"]),
    (Role.COMMISSION_CITY, ["hub-publications", "hub-reminders"], ["hub-annual", "/reporting/publications/new/"]),
])
def test_the_reporting_hub_links_what_each_authority_may_open(client, make_user, role, shown, hidden):
    client.force_login(make_user(role))
    page = client.get(reverse("reporting:index")).content.decode()
    for text in shown:
        assert text in page
    for text in hidden:
        assert text not in page


def test_the_reporting_hub_is_for_authorities(client, make_user):
    client.force_login(make_user(Role.INSTITUTION))
    assert client.get(reverse("reporting:index")).status_code == 403
