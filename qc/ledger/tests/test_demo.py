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


def test_an_entry_walked_today_is_dated_back_to_when_it_happened(demo_ctx, role_users):
    """The services act today and refuse a past due date; the demo then moves the whole entry back."""
    from datetime import date

    from django.utils import timezone

    from portal.audit.models import AuditEntry
    from qc.ledger.demo import date_back_entry, walk_entry
    from qc.ledger.services import ledger_entry_open

    qc_user = role_users[Role.QC_CENTER]
    entry = ledger_entry_open(actor=qc_user, institution=demo_ctx.orgs["institution"],
                              source=LedgerSource.QC_ASSESSMENT, description="血铅检测室内质控记录不完整",
                              severity="major", requirement="完善记录", due_on=timezone.localdate())
    walk_entry(entry, ("plan", "accept", "fix", "close"), decider=qc_user, respondent=None)
    year = timezone.localdate().year - 1
    entry = date_back_entry(entry, opened_on=date(year, 5, 6), due_on=date(year, 6, 5), done_on=date(year, 6, 2),
                            actor=qc_user)
    assert entry.number.startswith(f"ZG{year}-")
    assert (entry.status, entry.due_on, entry.closed_on) == (LedgerStatus.CLOSED, date(year, 6, 5), date(year, 6, 2))
    days = [timezone.localdate(step.at) for step in entry.steps.order_by("at", "pk")]
    assert days[0] == date(year, 5, 6) and days[-1] == date(year, 6, 2) and days == sorted(days)
    assert timezone.localdate(entry.plan_accepted_at) in days and entry.status_changed_at.year == year
    assert entry.steps.get(kind="closed").verified_on == date(year, 6, 2)
    assert AuditEntry.objects.filter(action="ledger.entry.demo.dated_back", object_id=str(entry.pk)).exists()
