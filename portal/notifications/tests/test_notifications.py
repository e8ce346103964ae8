"""Notifications: sending (in-app and e-mail, once), the bell, the list and marking read."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.choices import Role
from portal.notifications.models import Notification
from portal.notifications.services import (
    notification_emails_send,
    notifications_mark_all_read,
    notify,
    notify_authority,
)

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


@pytest.fixture
def institution_user(make_user):
    return make_user(Role.INSTITUTION, email="inst@example.org")


def test_notify_stores_one_row_per_active_user(make_user, institution_user):
    inactive = make_user(Role.INSTITUTION, is_active=False)
    ids = notify(users=[institution_user, institution_user.pk, inactive], kind="tests.hello", title="你好",
                 body="正文", url="/filing/")
    assert len(ids) == 1
    row = Notification.objects.get(pk=ids[0])
    assert (row.recipient, row.kind, row.title, row.read_at) == (institution_user, "tests.hello", "你好", None)


def test_a_dedupe_key_makes_a_repeated_send_a_no_op(institution_user):
    first = notify(users=[institution_user], kind="tests.daily", title="一次", dedupe_key="tests.daily:2026-03-02")
    again = notify(users=[institution_user], kind="tests.daily", title="一次", dedupe_key="tests.daily:2026-03-02")
    assert first == again
    assert Notification.objects.filter(recipient=institution_user).count() == 1
    notify(users=[institution_user], kind="tests.daily", title="次日", dedupe_key="tests.daily:2026-03-03")
    assert Notification.objects.filter(recipient=institution_user).count() == 2


def test_notify_authority_reaches_the_named_organisations_of_that_province_only(make_user, role_users):
    extra_commission = make_user(Role.COMMISSION_PROVINCE)
    liaoning_commission = make_user(Role.COMMISSION_PROVINCE, province_code="210000")
    notify_authority(province_id=role_users[Role.QC_CENTER].organisation.province_id,
                     roles=[Role.COMMISSION_PROVINCE, Role.DISEASE_CONTROL], kind="qc.fraud_flagged",
                     title="发现弄虚作假")
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {role_users[Role.COMMISSION_PROVINCE].pk, role_users[Role.DISEASE_CONTROL].pk,
                    role_users[Role.PROVINCE_ADMIN].pk, extra_commission.pk}
    assert liaoning_commission.pk not in told
    assert role_users[Role.COMMISSION_CITY].pk not in told


def test_notify_authority_by_organisation_keeps_to_the_province(make_user):
    qc = make_user(Role.QC_CENTER)
    liaoning_qc = make_user(Role.QC_CENTER, province_code="210000")
    notify_authority(province_id=qc.organisation.province_id, organisations=[qc.organisation,
                     liaoning_qc.organisation], kind="tests.org", title="单位通知")
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [qc.pk]


def test_the_email_copy_goes_out_after_commit_and_only_once(institution_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = notify(users=[institution_user], kind="tests.mail", title="请及时处理", body="第一行",
                     url="/reporting/reminders/", email=True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["inst@example.org"]
    assert message.subject == "请及时处理"
    assert "第一行" in message.body and "http://127.0.0.1:8000/reporting/reminders/" in message.body
    assert notification_emails_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 1


def test_users_without_an_address_get_no_email(make_user, django_capture_on_commit_callbacks):
    user = make_user(Role.INSTITUTION, email="")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], kind="tests.mail", title="无邮箱", email=True)
    assert mail.outbox == []


def test_a_mail_server_failure_releases_the_copies_for_the_retry(institution_user, settings):
    ids = notify(users=[institution_user], kind="tests.mail", title="重试")
    settings.EMAIL_BACKEND = "portal.notifications.tests.test_notifications.RefusingBackend"
    with pytest.raises(ConnectionError):
        notification_emails_send(notification_ids=ids)
    assert Notification.objects.get(pk=ids[0]).emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_emails_send(notification_ids=ids) == 1
    assert len(mail.outbox) == 1


# ---- Pages -------------------------------------------------------------------------------

def _notification_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "notifications_notification" in q["sql"]]


def test_the_bell_shows_the_unread_count_with_one_query(client, institution_user):
    notify(users=[institution_user], kind="tests.bell", title="一")
    notify(users=[institution_user], kind="tests.bell", title="二")
    client.force_login(institution_user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("core:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="bell"' in body
    assert 'data-testid="unread-count">2<' in body
    assert len(_notification_queries(captured)) == 1
    notifications_mark_all_read(user=institution_user)
    assert 'data-testid="unread-count"' not in client.get(reverse("core:home")).content.decode()


def test_anonymous_pages_have_no_bell_and_no_query(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("core:public-home"))
    assert 'data-testid="bell"' not in response.content.decode()
    assert _notification_queries(captured) == []


def test_the_list_shows_only_ones_own_notifications(client, make_user, institution_user):
    other = make_user(Role.INSTITUTION)
    notify(users=[institution_user], kind="tests.list", title="我的通知")
    notify(users=[other], kind="tests.list", title="别人的通知")
    client.force_login(institution_user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert "我的通知" in body and "别人的通知" not in body


def test_the_list_query_count_does_not_grow(client, institution_user, django_assert_max_num_queries):
    client.force_login(institution_user)
    for i in range(40):
        notify(users=[institution_user], kind="tests.list", title=f"通知{i}", url="/filing/")
    # Session, user, two-factor devices, the bell, the count and the page of rows.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 30


def test_marking_one_read(client, institution_user):
    [pk] = notify(users=[institution_user], kind="tests.read", title="标记已读", url="/reporting/reminders/")
    client.force_login(institution_user)
    response = client.post(reverse("notifications:read", args=[pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    assert Notification.objects.get(pk=pk).read_at is not None


def test_opening_one_marks_it_read_and_follows_its_link(client, institution_user):
    [pk] = notify(users=[institution_user], kind="tests.read", title="打开", url="/reporting/reminders/")
    client.force_login(institution_user)
    response = client.post(reverse("notifications:read", args=[pk]), {"open": "1"})
    assert response["Location"] == "/reporting/reminders/"
    assert Notification.objects.get(pk=pk).read_at is not None


def test_someone_elses_notification_is_not_found(client, make_user, institution_user):
    [pk] = notify(users=[institution_user], kind="tests.read", title="不是你的")
    intruder = make_user(Role.PROVINCE_ADMIN)
    client.force_login(intruder)
    assert client.post(reverse("notifications:read", args=[pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[pk + 1000])).status_code == 404
    assert Notification.objects.get(pk=pk).read_at is None


def test_marking_all_read_touches_only_ones_own(client, make_user, institution_user):
    other = make_user(Role.INSTITUTION)
    notify(users=[institution_user, other], kind="tests.read", title="全部已读")
    client.force_login(institution_user)
    response = client.post(reverse("notifications:read-all"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:list")
    assert not Notification.objects.filter(recipient=institution_user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_reading_requires_post_and_sign_in(client, institution_user):
    [pk] = notify(users=[institution_user], kind="tests.read", title="方法")
    url = reverse("notifications:read", args=[pk])
    assert client.post(url).status_code == 302  # to sign-in
    client.force_login(institution_user)
    assert client.get(url).status_code == 405
