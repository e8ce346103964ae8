"""Factories shared by every app's tests: organisations and users of each role."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.accounts.services import _sync_institution_perm
from portal.regions.models import Region

PASSWORD = "Test#2026-portal"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = OrgKind.INSTITUTION
    province = factory.LazyFunction(lambda: Region.objects.get(code="220000"))
    region = factory.LazyAttribute(lambda o: o.province)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    organisation = factory.SubFactory(OrganisationFactory)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()
            _sync_institution_perm(self)


# role -> (organisation kind, region code relative to the province, province admin)
ROLE_SETUP = {
    Role.PROVINCE_ADMIN: (OrgKind.HEALTH_COMMISSION, "province", True),
    Role.QC_CENTER: (OrgKind.QC_CENTER, "province", False),
    Role.COMMISSION_PROVINCE: (OrgKind.HEALTH_COMMISSION, "province", False),
    Role.COMMISSION_CITY: (OrgKind.HEALTH_COMMISSION, "city", False),
    Role.COMMISSION_COUNTY: (OrgKind.HEALTH_COMMISSION, "county", False),
    Role.DISEASE_CONTROL: (OrgKind.DISEASE_CONTROL, "province", False),
    Role.SUPERVISION: (OrgKind.SUPERVISION, "province", False),
    Role.INSTITUTION: (OrgKind.INSTITUTION, "county", False),
    Role.NATIONAL: (OrgKind.NATIONAL, None, False),
}
# Demo geography: Jilin province, Changchun city, Nanguan district.
AREAS = {"220000": {"province": "220000", "city": "220100", "county": "220102"},
         "210000": {"province": "210000", "city": "210100", "county": "210102"}}


def make_user(role: str, *, province_code: str = "220000", region_code: str | None = None,
              organisation: Organisation | None = None, **kwargs):
    if role == Role.SYSTEM_ADMIN:
        return UserFactory(organisation=None, is_superuser=True, is_staff=True, **kwargs)
    kind, level, is_admin = ROLE_SETUP[role]
    if organisation is None:
        if kind == OrgKind.NATIONAL:
            organisation = OrganisationFactory(kind=kind, province=None,
                                               region=Region.objects.get(code="110000"), name="国家卫生健康委")
        else:
            province = Region.objects.get(code=province_code)
            region = Region.objects.get(code=region_code or AREAS[province_code][level])
            organisation = OrganisationFactory(kind=kind, province=province, region=region)
    return UserFactory(organisation=organisation, is_province_admin=is_admin, **kwargs)
