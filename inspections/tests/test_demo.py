"""The inspections demo: every state, through the services, and nothing new on a second run."""

from __future__ import annotations

from collections import Counter

import pytest
from django.apps import apps
from django.utils import timezone

from filing.choices import ItemStatus
from filing.demo import demo_filing
from filing.models import FiledItem
from inspections.models import ChecklistAnswer, OffSiteNotification, VerificationCase
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import RegionLevel


def snapshot() -> dict:
    return {
        "cases": Counter(VerificationCase.objects.values_list("status", "outcome")),
        "answers": ChecklistAnswer.objects.count(),
        "notices": Counter(OffSiteNotification.objects.values_list("institution_id", "status", "routed_region_id")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def demo_ctx(jilin, accepted, institution_user, qc_user, make_user):
    """Fifteen accepted institutions (two able to examine off site) and the demo's users."""
    for n in range(15):
        demo_filing(name=f"演示体检机构{n}", decider=qc_user, off_site=n in (3, 9), seed=500 + n,
                    region_code="220102" if n % 2 else "220104")
    users = {"zk_jl": qc_user, "jg_ccz": institution_user, "admin_jl": make_user(Role.PROVINCE_ADMIN),
             "wjw_ng": make_user(Role.COMMISSION_COUNTY, region_code="220102"),
             "wjw_cc": make_user(Role.COMMISSION_CITY, region_code="220100")}
    return DemoContext(province=jilin, orgs={"institution": institution_user.organisation}, users=users)


def test_the_demo_reaches_every_state_and_a_second_run_adds_nothing(demo_ctx, capsys):
    config = apps.get_app_config("inspections")
    config.seed_demo(demo_ctx)
    first = snapshot()
    config.seed_demo(demo_ctx)
    assert snapshot() == first
    assert "inspections demo:" in capsys.readouterr().out

    statuses = Counter(VerificationCase.objects.values_list("status", flat=True))
    assert set(statuses) == {"open", "scheduled", "in_progress", "signed_off"}
    outcomes = set(VerificationCase.objects.filter(status="signed_off").values_list("outcome", flat=True))
    assert outcomes == {"fit", "fit_except", "not_fit"}
    today = timezone.localdate()
    overdue = VerificationCase.objects.filter(status__in=["open", "scheduled"], due_on__lt=today)
    assert set(overdue.values_list("status", flat=True)) == {"open", "scheduled"}
    assert VerificationCase.objects.filter(status="scheduled", team=demo_ctx.users["zk_jl"]).exists()
    in_progress = VerificationCase.objects.filter(status="in_progress").first()
    answered = ChecklistAnswer.objects.filter(case=in_progress).count()
    assert 0 < answered < in_progress.checklist_version.lines.count()
    # Items found not capable leave the public scope through filing's services.
    assert FiledItem.objects.filter(status=ItemStatus.NOT_CAPABLE).exists()
    assert AuditEntry.objects.filter(action="inspections.verification.signed_off").count() == statuses["signed_off"]

    notices = OffSiteNotification.objects.select_related("routed_region")
    assert {n.status for n in notices} == {"submitted", "acknowledged"}
    assert {n.routed_region.level for n in notices} == {RegionLevel.COUNTY, RegionLevel.CITY}
    own = demo_ctx.orgs["institution"]
    assert notices.filter(institution=own, submitted_by=demo_ctx.users["jg_ccz"]).exists()
