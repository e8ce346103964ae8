"""Fixtures of the inspections tests: an accepted Nanguan institution, the default checklist."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind
from filing.models import Filing
from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    accepted_version,
    catalogues,
    institution_user,
    qc_user,
)
from inspections.choices import VerificationStatus
from inspections.models import OffSiteNotification, VerificationCase
from inspections.services.checklists import checklist_default_install
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory

ITEMS = ("GBZ188-2014:6.1", "GBZ188-2014:7.1")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def jilin(reference_data):
    return Region.objects.get(code="220000")


@pytest.fixture
def checklist(jilin):
    return checklist_default_install(province=jilin)


@pytest.fixture
def accepted(institution_user, qc_user):
    """An examination filing with two items and off-site means, accepted (which opens the case)."""
    return accepted_version(institution_user, qc_user, items=ITEMS, off_site=True)


@pytest.fixture
def rows(accepted, checklist):
    """Builds ``n`` cases or notices beside the real accepted filing (rows by the ORM: only the
    reading side is measured here)."""
    version = accepted
    nanguan = Region.objects.get(code="220102")
    today = timezone.localdate()

    def institutions(n):
        orgs = [OrganisationFactory(region=nanguan) for _ in range(n)]
        filings = [Filing.objects.create(institution=org, province=org.province, region=nanguan,
                                         kind=InstitutionKind.EXAMINATION, status=FilingStatus.ACCEPTED,
                                         filed_on=today - timedelta(days=120), current_version=version)
                   for org in orgs]
        return orgs, filings

    def cases(n, *, due_on, status=VerificationStatus.SCHEDULED):
        orgs, filings = institutions(n)
        made = VerificationCase.objects.bulk_create([
            VerificationCase(province=org.province, region=nanguan, institution=org, filing=filing,
                             filing_version=version, filed_on=filing.filed_on, due_on=due_on, status=status,
                             scheduled_on=today + timedelta(days=3), checklist_version=checklist)
            for org, filing in zip(orgs, filings, strict=True)])
        return made

    def notices(n, *, routed_code="220102"):
        orgs, filings = institutions(n)
        routed = Region.objects.get(code=routed_code)
        return OffSiteNotification.objects.bulk_create([
            OffSiteNotification(
                province=org.province, institution=org, filing=filing, filing_version=version,
                employer_name=f"用人单位{i}", employer_credit_code="91220102MA0000000X", employer_address="南关区",
                employer_region=nanguan, work_site="南关区工业园", work_site_region=nanguan, routed_region=routed,
                starts_on=today + timedelta(days=8 + i % 20), ends_on=today + timedelta(days=10 + i % 20),
                expected_workers=100, items=[{"code": "GBZ188-2014:6.1", "name": "苯"}], exam_types=["on_duty"],
                staff=[{"name": "王", "role": "chief_examiner"}], sample_handling="冷藏", biosafety="屏蔽",
                contact_name="王磊", contact_phone="0431-1", submitted_at=timezone.now())
            for i, (org, filing) in enumerate(zip(orgs, filings, strict=True))])

    return {"cases": cases, "notices": notices, "today": today}
