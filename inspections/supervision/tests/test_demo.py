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
