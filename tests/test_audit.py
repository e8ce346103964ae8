"""The audit trail: written by every service, never changed, shown per province."""

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.accounts.services import organisation_create, organisation_set_active, organisation_update
from portal.audit.models import AuditEntry, AuditImmutableError
from portal.audit.services import MASK, audit, audit_delete
from portal.regions.models import Region

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(role_users):
    return role_users[Role.PROVINCE_ADMIN]


@pytest.fixture
def jilin():
    return Region.objects.get(code="220000")


def _new_org(admin, jilin, name="审计测试机构", credit_code=None):
    return organisation_create(actor=admin, province=jilin, name=name, kind=OrgKind.INSTITUTION,
                               region=Region.objects.get(code="220102"), credit_code=credit_code)


def test_create_is_audited(admin, jilin):
    org = _new_org(admin, jilin, credit_code="91220000123456789x")
    entry = AuditEntry.objects.get(action="accounts.organisation.created", object_id=str(org.pk))
    assert entry.actor == admin
    assert entry.actor_name == str(admin)
    assert entry.province == jilin
    assert entry.object_repr == "审计测试机构"
    assert entry.content_type.model == "organisation"
    assert entry.old is None
    assert entry.new["name"] == "审计测试机构"
    assert entry.new["credit_code"] == "91220000123456789X"


def test_update_keeps_only_what_changed(admin, jilin):
    org = _new_org(admin, jilin)
    organisation_update(actor=admin, organisation=org, name="新名称", contact_phone="0431-1234567")
    entry = AuditEntry.objects.get(action="accounts.organisation.updated", object_id=str(org.pk))
    assert entry.old == {"contact_phone": "", "name": "审计测试机构"}
    assert entry.new == {"contact_phone": "0431-1234567", "name": "新名称"}
    assert entry.changes == [("contact_phone", "", "0431-1234567"), ("name", "审计测试机构", "新名称")]
    # Saving the same values again writes nothing.
    organisation_update(actor=admin, organisation=org, name="新名称")
    assert AuditEntry.objects.filter(action="accounts.organisation.updated").count() == 1


def test_delete_keeps_the_last_values(admin, jilin):
    org = _new_org(admin, jilin)
    pk = org.pk
    entry = audit_delete(actor=admin, obj=org)
    org.delete()
    assert not Organisation.objects.filter(pk=pk).exists()
    entry.refresh_from_db()
    assert entry.action == "accounts.organisation.deleted"
    assert entry.object_id == str(pk)
    assert entry.old["name"] == "审计测试机构"
    assert entry.new is None


def test_transition_records_action_and_old_new(admin, jilin):
    org = _new_org(admin, jilin)
    organisation_set_active(actor=admin, organisation=org, active=False)
    entry = AuditEntry.objects.filter(object_id=str(org.pk)).latest("id")
    assert entry.action == "accounts.organisation.deactivated"
    assert (entry.old, entry.new) == ({"is_active": True}, {"is_active": False})
    # No transition, no row.
    organisation_set_active(actor=admin, organisation=org, active=False)
    assert AuditEntry.objects.filter(action="accounts.organisation.deactivated").count() == 1


def test_secrets_are_masked(admin):
    entry = audit(actor=admin, action="test.secret", obj=admin, old={"password": "old-one", "otp_secret": "AB"},
                  new={"password": "new-one", "otp_secret": "CD", "full_name": "张三"})
    assert entry.old == {"full_name": None, "otp_secret": MASK, "password": MASK}
    assert entry.new == {"full_name": "张三", "otp_secret": MASK, "password": MASK}


def test_request_id_and_address_are_recorded(client, admin):
    client.force_login(admin)
    client.post(reverse("accounts:organisation-create"), {
        "name": "请求编号测试", "kind": OrgKind.INSTITUTION, "region": Region.objects.get(code="220102").pk,
    }, HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3")
    entry = AuditEntry.objects.get(action="accounts.organisation.created")
    assert (entry.request_id, entry.ip_address) == ("req-42", "10.1.2.3")


# ---- Immutability -----------------------------------------------------------------------

@pytest.fixture
def entry(admin):
    return audit(actor=admin, action="test.fixed", obj=admin, new={"a": 1})


def test_saved_entry_cannot_be_saved_again(entry):
    entry.action = "test.changed"
    with pytest.raises(AuditImmutableError):
        entry.save()


def test_entry_cannot_be_deleted(entry):
    with pytest.raises(AuditImmutableError):
        entry.delete()


def test_queryset_cannot_update_or_delete(entry):
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.changed")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    entry.action = "test.changed"
    with pytest.raises(AuditImmutableError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["action"])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.fixed"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database guard is PostgreSQL's")
def test_database_refuses_raw_update_and_delete(entry):
    for sql in ("UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
                "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.fixed"


def test_deleting_the_actor_keeps_the_name(make_user):
    """``on_delete=SET_NULL`` is the one change the database lets through; the copied name stays.

    The statement is the one Django's deletion collector issues, run directly so the test
    does not depend on every other table that points at users."""
    actor = make_user(Role.COMMISSION_CITY)
    name = str(actor)
    row = audit(actor=actor, action="test.by_someone", obj=actor.organisation)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_id = NULL WHERE actor_id = %s", [actor.pk])
    row.refresh_from_db()
    assert row.actor is None
    assert row.actor_name == name
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET actor_id = NULL, actor_name = 'x' WHERE id = %s", [row.pk])


# ---- The list page ------------------------------------------------------------------------

@pytest.fixture
def rows(role_users):
    """Rows of Jilin on two days, and one of Liaoning."""
    admin = role_users[Role.PROVINCE_ADMIN]
    city = role_users[Role.COMMISSION_CITY]
    liaoning = role_users["other_province"]
    org = role_users[Role.INSTITUTION].organisation

    def at(day, **kwargs):
        with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, day, 10, tzinfo=SHANGHAI)):
            return audit(**kwargs)

    return {
        "created": at(2, actor=admin, action="accounts.organisation.created", obj=org),
        "deactivated": at(5, actor=city, action="accounts.organisation.deactivated", obj=org,
                          old={"is_active": True}, new={"is_active": False}),
        "signed_in": at(9, actor=admin, action="accounts.user.signed_in", obj=admin),
        "liaoning": at(5, actor=liaoning, action="accounts.user.signed_in", obj=liaoning),
    }


def _listed(client, **params) -> set[int]:
    response = client.get(reverse("audit:list"), params)
    assert response.status_code == 200
    return {e.pk for e in response.context["page"]}


@pytest.fixture
def admin_client(client, role_users):
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    return client


def test_list_shows_own_province_only(admin_client, rows):
    listed = _listed(admin_client)
    assert {rows["created"].pk, rows["deactivated"].pk, rows["signed_in"].pk} <= listed
    assert rows["liaoning"].pk not in listed


def test_list_filters(admin_client, rows, role_users):
    ids = {k: v.pk for k, v in rows.items()}
    city_name = str(role_users[Role.COMMISSION_CITY])
    assert _listed(admin_client, actor=city_name) == {ids["deactivated"]}
    assert _listed(admin_client, action="deactivated") == {ids["deactivated"]}
    org_name = role_users[Role.INSTITUTION].organisation.name
    assert _listed(admin_client, record=org_name) == {ids["created"], ids["deactivated"]}
    assert _listed(admin_client, date_from="2026-03-03", date_to="2026-03-08") == {ids["deactivated"]}
    assert _listed(admin_client, date_from="2026-03-09") >= {ids["signed_in"]}
    assert ids["created"] not in _listed(admin_client, date_from="2026-03-09")
    assert _listed(admin_client, date_to="2026-03-02") == {ids["created"]}
    assert _listed(admin_client, action="signed_in", date_to="2026-03-31") == {ids["signed_in"]}


def test_list_shows_changes_and_keeps_filters_in_paging(admin_client, rows):
    html = admin_client.get(reverse("audit:list"), {"action": "deactivated"}).content.decode()
    assert "accounts.organisation.deactivated" in html
    assert "is_active" in html
    response = admin_client.get(reverse("audit:list"), {"action": "organisation", "page": "1"})
    assert response.context["query"] == "action=organisation"


def test_bad_dates_are_reported_not_crashing(admin_client, rows):
    response = admin_client.get(reverse("audit:list"), {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]


def test_list_query_count_does_not_grow_with_rows(admin_client, role_users, django_assert_max_num_queries):
    admin = role_users[Role.PROVINCE_ADMIN]
    for n in range(30):
        audit(actor=admin, action="test.bulk", obj=role_users[Role.INSTITUTION].organisation, new={"n": n})
    with django_assert_max_num_queries(10):
        admin_client.get(reverse("audit:list"))


@pytest.mark.parametrize("role", [Role.COMMISSION_PROVINCE, Role.QC_CENTER, Role.NATIONAL, Role.INSTITUTION])
def test_list_needs_the_province_admin(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(reverse("audit:list")).status_code == 403


# ---- Django admin -----------------------------------------------------------------------------

def test_django_admin_reads_but_never_changes(client, role_users, entry):
    client.force_login(role_users[Role.SYSTEM_ADMIN])
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change_url, {"action": "test.changed"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    bulk = client.post(reverse("admin:audit_auditentry_changelist"),
                       {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.fixed"
