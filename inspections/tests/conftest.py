"""Fixtures of the inspections tests: an accepted Nanguan institution, the default checklist."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

import pytest

from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    accepted_version,
    catalogues,
    institution_user,
    qc_user,
)
from inspections.services.checklists import checklist_default_install
from portal.regions.models import Region

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
