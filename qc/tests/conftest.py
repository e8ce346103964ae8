"""Fixtures of the QC tests: the sample sheets and scheme, and institutions with accepted filings."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.choices import OrgKind, Role
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.services import assessment_create, qc_samples_load

from .helpers import file_institution


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    # Users are created in most tests; the production hasher would take most of the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def province(reference_data):
    return Region.objects.get(code="220000")


@pytest.fixture
def qc_user(make_user):
    return make_user(Role.QC_CENTER)


@pytest.fixture
def samples(province):
    qc_samples_load(province=province, actor=None)


@pytest.fixture
def filed_institution(province):
    """make(categories) -> an institution in Nanguan district with an accepted examination filing."""

    def make(categories=("dust", "chemical", "physical"), name=None):
        org = OrganisationFactory(kind=OrgKind.INSTITUTION, province=province,
                                  region=Region.objects.get(code="220102"), **({"name": name} if name else {}))
        file_institution(org, categories)
        return org

    return make


@pytest.fixture
def make_assessment(samples, filed_institution, qc_user, province):
    def make(categories=("dust", "chemical", "physical"), **kwargs):
        org = filed_institution(categories)
        return assessment_create(province=province, institution=org, year=2026, assessed_on=date(2026, 5, 20),
                                 team_ids=[qc_user.pk], actor=qc_user, **kwargs)

    return make
