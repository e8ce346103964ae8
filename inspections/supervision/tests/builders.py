"""Building supervision data for the tests: filed institutions, campaigns, plans."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from filing.catalogue.models import ExamItem
from filing.models import FiledItem, Filing, FilingVersion
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory


def filed_institution(name: str, *, region_code: str = "220102", items=("GBZ188-2014:6.1",), off_site=False,
                      organisation=None, address: str = "人民大街100号"):
    """An institution with an accepted examination filing. Built directly: the filing workflow
    has its own tests, here only its outcome matters."""
    region = Region.objects.get(code=region_code)
    org = organisation or OrganisationFactory(name=name, region=region, province=region.province)
    filing = Filing.objects.create(institution=org, province_id=org.province_id, region_id=org.region_id,
                                   kind="examination", status="accepted", filed_on=timezone.localdate())
    version = FilingVersion.objects.create(filing=filing, number=1, status="accepted", name=org.name,
                                           credit_code="", address=address, off_site=off_site, region=region)
    for code in items:
        FiledItem.objects.create(version=version, exam_item=ExamItem.objects.get(code=code))
    filing.current_version = version
    filing.save(update_fields=["current_version"])
    return org


def campaign_for(actor, *, name: str = "专项治理", start=None, end=None, institutions=None):
    from inspections.supervision.services import campaign_create

    start = start or timezone.localdate() - timedelta(days=10)
    end = end or timezone.localdate() + timedelta(days=100)
    return campaign_create(actor=actor, name=name, period_start=start, period_end=end,
                           steps=[{"name": "自查自改", "starts_on": start, "ends_on": start + timedelta(days=20)}],
                           institutions=institutions)


def plan_for(actor, institutions, *, name: str = "抽查计划", campaign=None):
    from inspections.supervision.services import spot_check_plan_create

    return spot_check_plan_create(actor=actor, year=timezone.localdate().year, name=name,
                                  institutions=institutions, campaign=campaign)


def checked_on():
    today = timezone.localdate()
    return today - timedelta(days=min(5, today.timetuple().tm_yday - 1))
