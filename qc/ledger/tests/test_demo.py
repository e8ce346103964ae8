"""The demo ledger: every source in every state, through the services, and nothing new on a second run."""

from __future__ import annotations

import pytest

from portal.accounts.choices import OrgKind, Role
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.ledger.choices import LedgerSource, LedgerStatus
from qc.ledger.demo import seed_ledger_demo
from qc.ledger.models import CaseReportCheck, LedgerEntry
from qc.ledger.selectors import ledger_entries, overdue_counts_by_institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_ctx(role_users):
    province = Region.objects.get(code="220000")
    institution = role_users[Role.INSTITUTION].organisation
    for code in ("220104", "220202", "220281"):
        OrganisationFactory(kind=OrgKind.INSTITUTION, region=Region.objects.get(code=code))
    return DemoContext(province=province, orgs={"institution": institution}, users={
        "zk_jl": role_users[Role.QC_CENTER], "jd_jl": role_users[Role.SUPERVISION],
        "wjw_jl": role_users[Role.COMMISSION_PROVINCE], "admin_jl": role_users[Role.PROVINCE_ADMIN]})


def test_demo_covers_every_source_and_state_and_is_safe_to_run_twice(demo_ctx, role_users):
    created = seed_ledger_demo(demo_ctx, progress=lambda text: None)
    pairs = set(LedgerEntry.objects.values_list("source", "status"))
    assert pairs == {(s, t) for s in LedgerSource.values for t in LedgerStatus.values}
    assert created == len(LedgerSource.values) * len(LedgerStatus.values) == LedgerEntry.objects.count()
    assert CaseReportCheck.objects.count() == len(LedgerStatus.values)
    own = demo_ctx.orgs["institution"]
    assert LedgerEntry.objects.filter(institution=own).count() >= 8
    assert overdue_counts_by_institution(demo_ctx.province)
    assert ledger_entries(role_users[Role.SUPERVISION], {"overdue_only": True}).exists()
    audits = AuditEntry.objects.count()

    assert seed_ledger_demo(demo_ctx, progress=lambda text: None) == 0
    assert LedgerEntry.objects.count() == created and AuditEntry.objects.count() == audits


def test_demo_without_institutions_creates_nothing(reference_data):
    ctx = DemoContext(province=Region.objects.get(code="220000"))
    assert seed_ledger_demo(ctx, progress=lambda text: None) == 0
    assert not LedgerEntry.objects.exists()
