"""Filings with deadlines, built directly in the database: the scan only reads them."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from filing.choices import FilingStatus, InstitutionKind, StaffRole, VersionKind, VersionStatus
from filing.models import Equipment, Filing, FilingVersion, StaffCertificate, StaffMember
from portal.accounts.choices import Role

TODAY = date(2026, 6, 15)  # far from 10 January: the provincial report is not at a stage
_numbers = count(1)


class Filings:
    """Builders for filings, versions, certificates and equipment."""

    def __init__(self, make_user):
        self.make_user = make_user

    def institution(self, *, email: str | None = None, province_code: str = "220000"):
        """An institution with one user; returns the user (``.organisation`` is the institution)."""
        n = next(_numbers)
        return self.make_user(Role.INSTITUTION, province_code=province_code,
                              email=email if email is not None else f"inst{n}@example.org")

    def filing(self, institution, *, status=FilingStatus.ACCEPTED, kind=InstitutionKind.EXAMINATION) -> Filing:
        return Filing.objects.create(institution=institution, province_id=institution.province_id,
                                     region_id=institution.region_id, kind=kind, status=status)

    def version(self, filing: Filing, *, status=VersionStatus.ACCEPTED, kind=VersionKind.INITIAL,
                receipt_due_on=None, changed_on=None, current: bool = False) -> FilingVersion:
        number = filing.versions.count() + 1
        version = FilingVersion.objects.create(
            filing=filing, number=number, version_kind=kind, status=status, name=filing.institution.name,
            credit_code="", receipt_due_on=receipt_due_on, changed_on=changed_on)
        if current:
            filing.current_version = version
            filing.save(update_fields=["current_version"])
        return version

    def accepted(self, institution) -> FilingVersion:
        """An accepted filing and its current version."""
        return self.version(self.filing(institution), current=True)

    def certificate(self, version: FilingVersion, expires_on: date) -> StaffCertificate:
        staff = StaffMember.objects.create(version=version, name="张医生", role=StaffRole.CHIEF_EXAMINER)
        return StaffCertificate.objects.create(staff=staff, name="执业医师资格证书", expires_on=expires_on)

    def equipment(self, version: FilingVersion, due_on: date) -> Equipment:
        return Equipment.objects.create(version=version, name="数字化X射线摄影系统", serial_number="DR-01",
                                        calibration_due_on=due_on)

    def submitted(self, institution, receipt_due_on: date) -> FilingVersion:
        filing = self.filing(institution, status=FilingStatus.SUBMITTED)
        return self.version(filing, status=VersionStatus.SUBMITTED, receipt_due_on=receipt_due_on)


@pytest.fixture
def filings(make_user) -> Filings:
    return Filings(make_user)


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    # Every institution here has a user; the real password hasher would take most of the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
