"""Tenant and jurisdiction: who sees which organisations and users, and county delegation (代管)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.accounts.choices import OrgKind, Role
from portal.accounts.scoping import CHANGE, user_covers_region, user_responsible_for_region
from portal.accounts.services import organisation_set_active, user_set_active
from portal.audit.models import AuditEntry
from portal.regions.models import Region
from portal.regions.services import region_set_delegation
from portal.testing.factories import OrganisationFactory, make_user

User = get_user_model()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def world(role_users):
    """Institutions in Nanguan (220102) and Kuancheng (220103) of Changchun, in Changyi (220202)
    of Jilin city, and in Heping (210102) of Shenyang, Liaoning; each with one staff member."""
    institutions = {}
    staff = {}
    for code in ("220102", "220103", "220202", "210102"):
        org = OrganisationFactory(kind=OrgKind.INSTITUTION, province=region(code).province, region=region(code),
                                  name=f"机构{code}")
        institutions[code] = org
        staff[code] = make_user(Role.INSTITUTION, organisation=org)
    return {"users": role_users, "institutions": institutions, "staff": staff}


def visible_orgs(user, action="view") -> set[str]:
    from portal.accounts.models import Organisation

    return {o.name for o in Organisation.objects.restrict(user, action).filter(name__startswith="机构")}


def visible_staff(user, action="view") -> set[int]:
    return set(User.objects.restrict(user, action).values_list("pk", flat=True))


def staff_ids(world, *codes) -> set[int]:
    return {world["staff"][c].pk for c in codes}


def test_county_sees_its_own_county_only(world):
    county = world["users"][Role.COMMISSION_COUNTY]  # Nanguan district
    assert visible_orgs(county) == {"机构220102"}
    seen = visible_staff(county)
    assert staff_ids(world, "220102") <= seen
    assert not staff_ids(world, "220103", "220202", "210102") & seen


def test_city_sees_its_counties(world):
    city = world["users"][Role.COMMISSION_CITY]  # Changchun
    assert visible_orgs(city) == {"机构220102", "机构220103"}
    seen = visible_staff(city)
    assert staff_ids(world, "220102", "220103") <= seen
    assert not staff_ids(world, "220202", "210102") & seen
    # The county commission in Nanguan is inside Changchun too.
    assert world["users"][Role.COMMISSION_COUNTY].pk in seen


@pytest.mark.parametrize("role", [Role.COMMISSION_PROVINCE, Role.PROVINCE_ADMIN, Role.QC_CENTER,
                                  Role.DISEASE_CONTROL, Role.SUPERVISION])
def test_province_level_sees_whole_province_only(world, role):
    user = world["users"][role]
    assert visible_orgs(user) == {"机构220102", "机构220103", "机构220202"}
    assert visible_orgs(user, CHANGE) == visible_orgs(user)
    seen = visible_staff(user)
    assert staff_ids(world, "220102", "220103", "220202") <= seen
    assert world["staff"]["210102"].pk not in seen
    assert world["users"]["other_province"].pk not in seen


def test_national_sees_everything_but_changes_nothing(world):
    national = world["users"][Role.NATIONAL]
    assert visible_orgs(national) == {"机构220102", "机构220103", "机构220202", "机构210102"}
    assert staff_ids(world, "220102", "220103", "220202", "210102") <= visible_staff(national)
    assert visible_orgs(national, CHANGE) == set()
    assert visible_staff(national, CHANGE) == set()


def test_institution_sees_its_own_institution_through_guardian(world):
    member = world["staff"]["220102"]
    assert member.has_perm("accounts.act_for_institution", world["institutions"]["220102"])
    assert not member.has_perm("accounts.act_for_institution", world["institutions"]["220103"])
    assert visible_orgs(member) == {"机构220102"}
    assert visible_staff(member) == staff_ids(world, "220102")


def test_institution_without_a_grant_sees_nothing(world):
    from portal.accounts.models import OrganisationUserObjectPermission

    member = User.objects.get(pk=world["staff"]["220103"].pk)
    OrganisationUserObjectPermission.objects.filter(user=member).delete()
    assert visible_orgs(member) == set()
    assert visible_staff(member) == set()


def test_other_province_sees_nothing_of_jilin(world):
    liaoning = world["users"]["other_province"]
    assert visible_orgs(liaoning) == {"机构210102"}
    seen = visible_staff(liaoning)
    assert not staff_ids(world, "220102", "220103", "220202") & seen
    assert world["users"][Role.PROVINCE_ADMIN].pk not in seen


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert visible_orgs(AnonymousUser()) == set()
    admin = world["users"][Role.PROVINCE_ADMIN]
    admin.is_active = False
    assert visible_orgs(admin) == set()


def test_deactivated_organisation_takes_role_and_reach_away(world):
    city = world["users"][Role.COMMISSION_CITY]
    organisation_set_active(actor=world["users"][Role.PROVINCE_ADMIN], organisation=city.organisation, active=False)
    city = User.objects.get(pk=city.pk)
    assert city.role == Role.NONE
    assert visible_orgs(city) == set()
    member = User.objects.get(pk=world["staff"]["220102"].pk)
    organisation_set_active(actor=world["users"][Role.PROVINCE_ADMIN],
                            organisation=world["institutions"]["220102"], active=False)
    assert visible_orgs(member) == set()


def test_deactivated_institution_user_loses_reach(world):
    member = world["staff"]["220102"]
    user_set_active(actor=world["users"][Role.PROVINCE_ADMIN], user=member, active=False)
    member = User.objects.get(pk=member.pk)
    assert visible_orgs(member) == set()


# ---- Delegation (代管) ----------------------------------------------------------------

def test_delegated_county_is_handled_by_its_city(world):
    nanguan, changchun = region("220102"), region("220100")
    county = world["users"][Role.COMMISSION_COUNTY]
    city = world["users"][Role.COMMISSION_CITY]
    province = world["users"][Role.COMMISSION_PROVINCE]

    assert nanguan.responsible_region == nanguan
    assert user_responsible_for_region(county, nanguan)
    assert user_responsible_for_region(city, nanguan)

    region_set_delegation(region=nanguan, supervised_by_city=True, actor=world["users"][Role.PROVINCE_ADMIN])
    nanguan.refresh_from_db()
    assert nanguan.responsible_region == changchun
    assert user_responsible_for_region(city, nanguan)
    assert not user_responsible_for_region(county, nanguan)
    assert user_responsible_for_region(province, nanguan)
    assert not user_responsible_for_region(world["users"]["other_province"], nanguan)
    # Still visible to the county: delegation moves who handles, not who may see.
    assert user_covers_region(county, nanguan)
    assert visible_orgs(county) == {"机构220102"}

    entry = AuditEntry.objects.filter(action="region.delegation_changed").latest("id")
    assert (entry.old, entry.new) == ({"supervised_by_city": False}, {"supervised_by_city": True})
    assert entry.province_id == region("220000").pk


def test_only_counties_can_be_delegated(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        region_set_delegation(region=region("220100"), supervised_by_city=True, actor=None)


# ---- The provincial administrator's delegation page --------------------------------------

@pytest.fixture
def admin_client(client, role_users):
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    return client


def test_delegation_page_lists_own_province_only(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("regions:delegation"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "220102" in html and "南关区" in html and "长春市" in html and "吉林市" in html
    assert "210102" not in html and "沈阳市" not in html
    cities = response.context["cities"]
    assert all(city.province.code == "220000" for city, counties in cities)
    assert sum(len(counties) for _, counties in cities) > 40


def test_delegation_page_sets_and_unsets(admin_client, role_users):
    url = reverse("regions:delegation-set", args=["220102"])
    response = admin_client.post(url, {"supervised_by_city": "1"})
    assert response.status_code == 302
    assert region("220102").supervised_by_city
    page = admin_client.get(reverse("regions:delegation")).content.decode()
    assert "取消代管" in page

    admin_client.post(url, {"supervised_by_city": "0"})
    assert not region("220102").supervised_by_city
    actions = list(AuditEntry.objects.filter(action="region.delegation_changed", object_id=str(region("220102").pk))
                   .order_by("id").values_list("new", "actor"))
    assert actions == [({"supervised_by_city": True}, role_users[Role.PROVINCE_ADMIN].pk),
                       ({"supervised_by_city": False}, role_users[Role.PROVINCE_ADMIN].pk)]


def test_delegation_of_another_provinces_county_is_not_found(admin_client):
    response = admin_client.post(reverse("regions:delegation-set", args=["210102"]), {"supervised_by_city": "1"})
    assert response.status_code == 404
    assert not region("210102").supervised_by_city
    assert not AuditEntry.objects.filter(action="region.delegation_changed").exists()


def test_delegation_of_a_city_is_not_found(admin_client):
    response = admin_client.post(reverse("regions:delegation-set", args=["220100"]), {"supervised_by_city": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY, Role.QC_CENTER, Role.NATIONAL])
def test_delegation_needs_the_province_admin(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(reverse("regions:delegation")).status_code == 403
    response = client.post(reverse("regions:delegation-set", args=["220102"]), {"supervised_by_city": "1"})
    assert response.status_code == 403
    assert not region("220102").supervised_by_city


def test_platform_admin_picks_a_province(client, role_users):
    client.force_login(role_users[Role.SYSTEM_ADMIN])
    assert client.get(reverse("regions:delegation")).context["cities"] == []
    response = client.get(reverse("regions:delegation"), {"province": "210000"})
    assert "210102" in response.content.decode()
    response = client.post(reverse("regions:delegation-set", args=["210102"]), {"supervised_by_city": "1"})
    assert response["Location"].startswith(reverse("regions:delegation") + "?province=210000")
    assert region("210102").supervised_by_city

