"""A provincial administrator manages the organisations and users of their own province."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation, User
from portal.accounts.scoping import institution_ids_for
from portal.audit.models import AuditEntry
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Portal#2026-new"


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(role_users):
    return role_users[Role.PROVINCE_ADMIN]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def liaoning_org(reference_data):
    return OrganisationFactory(kind=OrgKind.INSTITUTION, province=Region.objects.get(code="210000"),
                               region=Region.objects.get(code="210102"), name="辽宁机构",
                               credit_code="91210000MA0000001X")


@pytest.fixture
def liaoning_user(liaoning_org):
    return make_user(Role.INSTITUTION, organisation=liaoning_org)


def org_form(**overrides) -> dict:
    return {"name": "长春新机构", "kind": OrgKind.INSTITUTION, "region": Region.objects.get(code="220102").pk,
            "credit_code": "", "contact_name": "王主任", "contact_phone": "0431-8888888", **overrides}


def user_form(organisation, **overrides) -> dict:
    return {"username": "newstaff", "full_name": "新员工", "email": "", "phone": "",
            "organisation": organisation.pk, "password": NEW_PASSWORD, **overrides}


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def field_errors(response, field) -> list[str]:
    return response.context["form"].errors.get(field, [])


def test_create_organisation_and_user_then_deactivate_both(admin_client, admin):
    response = admin_client.post(reverse("accounts:organisation-create"), org_form())
    assert response.status_code == 302
    org = Organisation.objects.get(name="长春新机构")
    assert org.province.code == "220000" and org.region.code == "220102" and org.is_active

    response = admin_client.post(reverse("accounts:user-create"), user_form(org))
    assert response.status_code == 302
    staff = User.objects.get(username="newstaff")
    assert staff.organisation == org and staff.role == Role.INSTITUTION
    assert staff.check_password(NEW_PASSWORD)
    response = Client().post(reverse("accounts:login"), {"username": "newstaff", "password": NEW_PASSWORD})
    assert response.status_code == 302

    response = admin_client.post(reverse("accounts:user-toggle", args=[staff.pk]), {"active": "0"})
    assert response.status_code == 302
    assert not fresh(staff).is_active
    response = admin_client.post(reverse("accounts:organisation-toggle", args=[org.pk]), {"active": "0"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert not org.is_active

    actions = list(AuditEntry.objects.filter(actor=admin).order_by("id").values_list("action", flat=True))
    assert actions == ["accounts.organisation.created", "accounts.user.created", "accounts.user.deactivated",
                       "accounts.organisation.deactivated"]
    assert all(e.province.code == "220000" for e in AuditEntry.objects.filter(actor=admin))


def test_edit_organisation_and_user(admin_client, role_users):
    org = role_users[Role.INSTITUTION].organisation
    response = admin_client.post(reverse("accounts:organisation-edit", args=[org.pk]), org_form(name="改名机构"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "改名机构"
    staff = role_users[Role.INSTITUTION]
    response = admin_client.post(reverse("accounts:user-edit", args=[staff.pk]),
                                 user_form(org, full_name="改名员工"))
    assert response.status_code == 302
    assert fresh(staff).full_name == "改名员工"


def test_lists_show_own_province_only(admin_client, role_users, liaoning_user):
    orgs = {o.pk for o in admin_client.get(reverse("accounts:organisation-list")).context["page"]}
    assert role_users[Role.INSTITUTION].organisation_id in orgs
    assert liaoning_user.organisation_id not in orgs
    users = {u.pk for u in admin_client.get(reverse("accounts:user-list")).context["page"]}
    assert role_users[Role.COMMISSION_COUNTY].pk in users
    assert liaoning_user.pk not in users
    assert role_users["other_province"].pk not in users
    assert role_users[Role.SYSTEM_ADMIN].pk not in users


def test_another_provinces_records_are_not_found(admin_client, liaoning_org, liaoning_user):
    for name, pk in (("organisation-edit", liaoning_org.pk), ("user-edit", liaoning_user.pk)):
        assert admin_client.get(reverse(f"accounts:{name}", args=[pk])).status_code == 404
    assert admin_client.post(reverse("accounts:organisation-edit", args=[liaoning_org.pk]),
                             org_form(name="夺取")).status_code == 404
    assert admin_client.post(reverse("accounts:organisation-toggle", args=[liaoning_org.pk]),
                             {"active": "0"}).status_code == 404
    assert admin_client.post(reverse("accounts:user-edit", args=[liaoning_user.pk]),
                             user_form(liaoning_org, full_name="夺取")).status_code == 404
    assert admin_client.post(reverse("accounts:user-toggle", args=[liaoning_user.pk]),
                             {"active": "0"}).status_code == 404
    liaoning_org.refresh_from_db()
    assert liaoning_org.name == "辽宁机构" and liaoning_org.is_active
    assert fresh(liaoning_user).is_active
    assert not AuditEntry.objects.exists()


def test_not_found_looks_like_missing(admin_client, liaoning_org):
    theirs = admin_client.get(reverse("accounts:organisation-edit", args=[liaoning_org.pk]))
    missing = admin_client.get(reverse("accounts:organisation-edit", args=[liaoning_org.pk + 10_000]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_platform_admin_accounts_are_not_managed_here(admin_client, role_users, client):
    root = role_users[Role.SYSTEM_ADMIN]
    assert admin_client.get(reverse("accounts:user-edit", args=[root.pk])).status_code == 404
    client.force_login(root)
    assert client.get(reverse("accounts:user-edit", args=[root.pk])).status_code == 404


def test_another_provinces_region_and_organisation_cannot_be_chosen(admin_client, liaoning_org):
    response = admin_client.post(reverse("accounts:organisation-create"),
                                 org_form(region=Region.objects.get(code="210102").pk))
    assert response.status_code == 200 and field_errors(response, "region")
    response = admin_client.post(reverse("accounts:user-create"), user_form(liaoning_org))
    assert response.status_code == 200 and field_errors(response, "organisation")
    assert not User.objects.filter(username="newstaff").exists()
    assert not Organisation.objects.filter(name="长春新机构").exists()


def test_duplicate_credit_code_gets_its_own_message(admin_client, liaoning_org):
    # Credit codes are unique nationally, whatever the case the code is typed in.
    response = admin_client.post(reverse("accounts:organisation-create"),
                                 org_form(credit_code=liaoning_org.credit_code.lower()))
    assert response.status_code == 200
    assert field_errors(response, "credit_code") == ["该统一社会信用代码已被其他单位使用。"]
    assert "该统一社会信用代码已被其他单位使用。" in response.content.decode()
    assert not Organisation.objects.filter(name="长春新机构").exists()


def test_duplicate_credit_code_on_edit(admin_client, role_users, liaoning_org):
    org = role_users[Role.INSTITUTION].organisation
    response = admin_client.post(reverse("accounts:organisation-edit", args=[org.pk]),
                                 org_form(credit_code=liaoning_org.credit_code))
    assert field_errors(response, "credit_code") == ["该统一社会信用代码已被其他单位使用。"]
    response = admin_client.post(reverse("accounts:organisation-edit", args=[org.pk]),
                                 org_form(credit_code="91220000MA0000002Y"))
    assert response.status_code == 302
    # Saving its own code again is no clash.
    response = admin_client.post(reverse("accounts:organisation-edit", args=[org.pk]),
                                 org_form(credit_code="91220000MA0000002Y", name="再次保存"))
    assert response.status_code == 302


def test_duplicate_username_and_bad_admin_flag(admin_client, role_users):
    org = role_users[Role.INSTITUTION].organisation
    taken = role_users[Role.COMMISSION_CITY].username.upper()
    response = admin_client.post(reverse("accounts:user-create"), user_form(org, username=taken))
    assert field_errors(response, "username") == ["该用户名已存在。"]
    response = admin_client.post(reverse("accounts:user-create"), user_form(org, is_province_admin="on"))
    assert field_errors(response, "is_province_admin") == ["只有卫生健康委或质控中心的用户可以担任省级管理员。"]


def test_institution_user_gets_and_loses_the_guardian_grant(admin_client, role_users):
    org = role_users[Role.INSTITUTION].organisation
    admin_client.post(reverse("accounts:user-create"), user_form(org))
    staff = User.objects.get(username="newstaff")
    assert staff.has_perm("accounts.act_for_institution", org)
    assert institution_ids_for(staff) == {org.pk}

    admin_client.post(reverse("accounts:user-toggle", args=[staff.pk]), {"active": "0"})
    staff = fresh(staff)
    staff.is_active = True  # ask guardian directly: the grant itself must be gone
    assert not staff.has_perm("accounts.act_for_institution", org)
    assert institution_ids_for(staff) == frozenset()

    admin_client.post(reverse("accounts:user-toggle", args=[staff.pk]), {"active": "1"})
    assert fresh(staff).has_perm("accounts.act_for_institution", org)


def test_moving_a_user_moves_the_grant(admin_client, role_users):
    staff = role_users[Role.INSTITUTION]
    old_org = staff.organisation
    new_org = OrganisationFactory(kind=OrgKind.INSTITUTION, region=Region.objects.get(code="220103"))
    admin_client.post(reverse("accounts:user-edit", args=[staff.pk]), user_form(new_org))
    staff = fresh(staff)
    assert staff.has_perm("accounts.act_for_institution", new_org)
    assert not staff.has_perm("accounts.act_for_institution", old_org)


def test_authority_user_gets_no_grant(admin_client, role_users):
    commission = role_users[Role.COMMISSION_CITY].organisation
    admin_client.post(reverse("accounts:user-create"), user_form(commission))
    staff = User.objects.get(username="newstaff")
    assert staff.role == Role.COMMISSION_CITY
    assert institution_ids_for(staff) == frozenset()


def test_admin_cannot_lock_themselves_out(admin_client, admin):
    response = admin_client.post(reverse("accounts:user-toggle", args=[admin.pk]), {"active": "0"}, follow=True)
    assert "不能停用自己的账号。" in response.content.decode()
    assert fresh(admin).is_active
    response = admin_client.post(reverse("accounts:organisation-toggle", args=[admin.organisation_id]),
                                 {"active": "0"}, follow=True)
    assert "不能停用自己所在的单位。" in response.content.decode()
    assert Organisation.objects.get(pk=admin.organisation_id).is_active


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.NONE, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN)])
def test_other_roles_get_403(client, role_users, role):
    client.force_login(role_users[role])
    target_org = role_users[Role.INSTITUTION].organisation
    target_user = role_users[Role.INSTITUTION]
    for name in ("organisation-list", "organisation-create", "user-list", "user-create"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 403, name
    assert client.post(reverse("accounts:organisation-create"), org_form()).status_code == 403
    assert client.post(reverse("accounts:user-create"), user_form(target_org)).status_code == 403
    assert client.post(reverse("accounts:organisation-toggle", args=[target_org.pk]),
                       {"active": "0"}).status_code == 403
    assert client.post(reverse("accounts:user-toggle", args=[target_user.pk]), {"active": "0"}).status_code == 403
    assert client.post(reverse("accounts:user-edit", args=[target_user.pk]),
                       user_form(target_org, is_province_admin="on")).status_code == 403
    assert not AuditEntry.objects.exists()
    assert fresh(target_user).is_active and not fresh(target_user).is_province_admin


def test_platform_admin_creates_an_organisation_in_any_province(client, role_users):
    client.force_login(role_users[Role.SYSTEM_ADMIN])
    response = client.post(reverse("accounts:organisation-create"),
                           org_form(region=Region.objects.get(code="210102").pk, name="辽宁新机构"))
    assert response.status_code == 302
    assert Organisation.objects.get(name="辽宁新机构").province.code == "210000"


def test_search_and_paging_keep_the_filters(admin_client, role_users):
    target = role_users[Role.COMMISSION_CITY]
    response = admin_client.get(reverse("accounts:user-list"), {"q": target.full_name})
    assert [u.pk for u in response.context["page"]] == [target.pk]
    assert response.context["query"] == urlencode({"q": target.full_name})
    response = admin_client.get(reverse("accounts:organisation-list"), {"kind": OrgKind.QC_CENTER, "page": "1"})
    assert {o.kind for o in response.context["page"]} == {OrgKind.QC_CENTER}
    assert response.context["query"] == f"kind={OrgKind.QC_CENTER}"


def test_list_pages_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    for n in range(25):
        org = OrganisationFactory(kind=OrgKind.INSTITUTION, region=Region.objects.get(code="220102"))
        make_user(Role.INSTITUTION, organisation=org, username=f"bulk{n}")
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("accounts:organisation-list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("accounts:user-list")).status_code == 200
