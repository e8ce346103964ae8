"""The filing demo data: built through the services, varied, and safe to run twice."""

from __future__ import annotations

import pytest

from filing.catalogue.services import catalogue_load_builtin
from filing.choices import FilingStatus, VersionStatus
from filing.completeness import check_version
from filing.demo import RETURNED_LOGIN, credit_code, plan_institution, seed_filing_demo, with_check_character
from filing.models import AccountApplication, FiledItem, Filing, FilingVersion
from filing.public_selectors import public_filings
from filing.services import validate_credit_code
from portal.accounts.choices import Role
from portal.accounts.models import Organisation, User
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import Region
from portal.testing.factories import make_user

SIZE = 16  # the first sixteen plans include a returned filing


@pytest.fixture
def demo_ctx(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    catalogue_load_builtin()
    institution_user = make_user(Role.INSTITUTION, region_code="220104")
    institution = institution_user.organisation
    # The core demo's institution carries a credit code with a wrong check character.
    institution.credit_code = "12220100412345678X"
    institution.save(update_fields=["credit_code"])
    ctx = DemoContext(province=Region.objects.get(code="220000"))
    ctx.users = {"admin_jl": make_user(Role.PROVINCE_ADMIN), "zk_jl": make_user(Role.QC_CENTER),
                 "jg_ccz": institution_user}
    ctx.orgs = {"institution": institution}
    return ctx


def _snapshot() -> tuple:
    return (Organisation.objects.count(), Filing.objects.count(), FilingVersion.objects.count(),
            FiledItem.objects.count(), AuditEntry.objects.count(), AccountApplication.objects.count(),
            User.objects.count())


def test_seed_twice_changes_nothing_the_second_time(demo_ctx):
    first = seed_filing_demo(demo_ctx, size=SIZE, progress=lambda text: None)
    assert sum(v for k, v in first.items() if k != "applications") >= SIZE
    before = _snapshot()
    again = seed_filing_demo(demo_ctx, size=SIZE, progress=lambda text: None)
    assert _snapshot() == before
    assert again == {"applications": 0}


def test_seeded_filings_are_real_and_varied(demo_ctx):
    seed_filing_demo(demo_ctx, size=SIZE, progress=lambda text: None)
    statuses = set(Filing.objects.values_list("status", flat=True))
    assert {FilingStatus.ACCEPTED, FilingStatus.DRAFT} <= statuses
    assert public_filings().values("kind").distinct().count() == 2
    for version in FilingVersion.objects.filter(status=VersionStatus.ACCEPTED).select_related("filing"):
        assert check_version(version) == []  # accepted through version_submit's completeness check
    demo_orgs = Organisation.objects.filter(filings__isnull=False).exclude(pk=demo_ctx.orgs["institution"].pk)
    for code in demo_orgs.values_list("credit_code", flat=True).distinct():
        assert validate_credit_code(code) == code
    own = Filing.objects.get(institution=demo_ctx.orgs["institution"], kind="examination")
    assert own.status == FilingStatus.ACCEPTED and own.current_version.number == 2
    assert own.current_version.credit_code == "12220100412345678C"
    assert AccountApplication.objects.filter(status="pending").count() == 2
    assert User.objects.get(username=RETURNED_LOGIN).organisation.filings.filter(
        status=FilingStatus.RETURNED).exists()
    assert any(login[1] == RETURNED_LOGIN for login in demo_ctx.logins)


def test_the_full_plan_covers_every_state_and_both_kinds(reference_data):
    regions = list(Region.objects.filter(province__code="220000", level__in=["city", "county"])
                   .select_related("parent").order_by("code"))
    plans = [plan_institution(i, regions) for i in range(300)]
    assert {p.outcome for p in plans} == {"accepted", "changed", "change_pending", "cancelled", "draft",
                                          "submitted", "returned"}
    assert {p.kind for p in plans} == {"examination", "diagnosis"}
    assert any(p.off_site for p in plans) and any(p.item_status for p in plans)
    assert len({p.credit_code for p in plans}) == 300
    assert len({p.name for p in plans}) == 300
    assert {p.region.code for p in plans} == {r.code for r in regions}
    assert [p.credit_code for p in plans[:5]] == [plan_institution(i, regions).credit_code for i in range(5)]


def test_credit_codes_pass_the_check():
    code = credit_code("12", "220102", "12345678")
    assert validate_credit_code(code) == code
    assert code[:8] == "12220102"
    assert with_check_character("12220100412345678X") == "12220100412345678C"
    assert validate_credit_code("12220100412345678C")
