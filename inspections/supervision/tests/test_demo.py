from types import SimpleNamespace

import pytest

from inspections.supervision.demo import seed_supervision_demo
from inspections.supervision.models import Campaign, Penalty, SelfInspection, SpotCheck, SpotCheckPlan
from portal.accounts.choices import Role
from portal.regions.models import Region

from .builders import filed_institution

pytestmark = pytest.mark.django_db


def test_demo_has_filed_and_missing_self_inspections_and_is_safe_twice(make_user, catalogues):
    supervisor = make_user(Role.SUPERVISION)
    for n in range(6):
        filed_institution(f"演示机构{n}", region_code="220102")
    ctx = SimpleNamespace(province=Region.objects.get(code="220000"), orgs={"supervision": supervisor.organisation},
                          users={})
    seed_supervision_demo(ctx)
    seed_supervision_demo(ctx)
    campaign = Campaign.objects.get()
    assert 0 < SelfInspection.objects.count() < campaign.members.count()
    assert SpotCheckPlan.objects.count() == 1
    assert SpotCheck.objects.filter(status="done").count() == 4
    assert list(Penalty.objects.values_list("status", flat=True).order_by("status")) == ["draft", "final"]


def test_demo_holds_last_year_s_checks_findings_and_final_penalties(make_user, catalogues):
    """Institutions on file before last year were checked last year: findings, one put on the ledger
    and rectified then, a fine and a warning decided and final then; nothing new on a second run."""
    from datetime import date

    from django.utils import timezone

    from filing.models import Filing
    from portal.audit.models import AuditEntry
    from qc.ledger.models import LedgerEntry

    supervisor = make_user(Role.SUPERVISION)
    last_year = timezone.localdate().year - 1
    orgs = [filed_institution(f"往年机构{n}", region_code="220102") for n in range(6)]
    Filing.objects.filter(institution__in=orgs).update(filed_on=date(last_year - 1, 3, 1))
    ctx = SimpleNamespace(province=Region.objects.get(code="220000"), orgs={"supervision": supervisor.organisation},
                          users={"jd_jl": supervisor})
    seed_supervision_demo(ctx)
    audits = AuditEntry.objects.count()
    seed_supervision_demo(ctx)
    assert AuditEntry.objects.count() == audits

    plan = SpotCheckPlan.objects.get(year=last_year)
    done = SpotCheck.objects.filter(plan=plan, status="done")
    assert done.count() == 4 and all(c.checked_on.year == last_year for c in done)
    assert all(timezone.localdate(c.recorded_at) == c.checked_on for c in done)
    assert 0 < sum(c.findings.count() for c in done) and any(not c.findings.exists() for c in done)
    penalties = Penalty.objects.filter(spot_check__plan=plan)
    assert [p.status for p in penalties] == ["final", "final"] and any(p.fine > 0 for p in penalties)
    assert all(p.decided_on.year == last_year and timezone.localdate(p.finalised_at) == p.decided_on
               for p in penalties)
    entry = LedgerEntry.objects.get(source="supervision", opened_at__year=last_year)
    assert entry.status == "closed" and entry.opened_at.year == last_year and entry.closed_on <= entry.due_on
    # This year's demo is made as before.
    assert SpotCheckPlan.objects.filter(year=last_year + 1).count() == 1
