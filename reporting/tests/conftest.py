"""Rows with deadlines (filings, verifications, off-site notices, QC plans and results,
ledger entries), built directly in the database: the scan only reads them."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connections
from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind, StaffRole, VersionKind, VersionStatus
from filing.models import Equipment, Filing, FilingVersion, StaffCertificate, StaffMember
from inspections.choices import NotificationStatus, VerificationStatus
from inspections.models import OffSiteNotification, VerificationCase
from portal.accounts.choices import Role
from portal.regions.models import Region
from portal.workdays.services import add_months
from qc.choices import AssessmentKind, AssessmentStatus
from qc.ledger.choices import LedgerSource, LedgerStatus, Severity
from qc.ledger.models import LedgerEntry
from qc.models import Assessment, PlanItem, QCPlan, QCScheme
from reporting.reminders.services import deadlines_scan

TODAY = date(2026, 6, 15)  # far from 10 January: the provincial report is not at a stage
_numbers = count(1)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


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


class Domain:
    """Builders for the rows of the inspections, QC and ledger deadlines, each of an
    institution user built by :class:`Filings` (its accepted filing made on first use)."""

    def __init__(self, filings: Filings):
        self.filings = filings
        self._versions: dict[int, FilingVersion] = {}

    def version(self, institution) -> FilingVersion:
        version = self._versions.get(institution.pk)
        if version is None:
            version = self._versions[institution.pk] = self.filings.accepted(institution)
        return version

    def verification(self, institution, due_on: date, *, status=VerificationStatus.OPEN, team=()):
        version = self.version(institution)
        case = VerificationCase.objects.create(
            province_id=institution.province_id, region_id=institution.region_id, institution=institution,
            filing=version.filing, filing_version=version, filed_on=add_months(due_on, -3), due_on=due_on,
            status=status, scheduled_on=due_on - timedelta(days=5) if team else None)
        case.team.set(team)
        return case

    def notice(self, institution, starts_on: date, *, employer_region: str | None = None,
               status=NotificationStatus.SUBMITTED, ends_on: date | None = None) -> OffSiteNotification:
        """Routed as inspections routes it: the employer's county (by default the institution's),
        or its city under delegation."""
        version = self.version(institution)
        # Read afresh: a test may have switched the delegation on since the institution was loaded.
        region = Region.objects.get(**({"code": employer_region} if employer_region else {"pk": institution.region_id}))
        return OffSiteNotification.objects.create(
            province_id=institution.province_id, institution=institution, filing=version.filing,
            filing_version=version, employer_name="长春一汽铸造有限公司", employer_credit_code="91220102MA0000000X",
            employer_address="工业园 1 号", employer_region=region, work_site="工业园 1 号", work_site_region=region,
            routed_region=region.responsible_region, starts_on=starts_on, ends_on=ends_on or starts_on + timedelta(days=2),
            expected_workers=120, sample_handling="冷藏运送", biosafety="铅屏蔽", contact_name="王磊",
            contact_phone="0431-88880000", status=status, submitted_at=timezone.now())

    def plan_item(self, institution, *, year: int, assessed_by, month: int = 6, is_extra: bool = False) -> PlanItem:
        plan, _created = QCPlan.objects.get_or_create(province_id=institution.province_id, year=year)
        return PlanItem.objects.create(plan=plan, institution=institution, planned_month=month,
                                       assessed_by=assessed_by, is_extra=is_extra)

    def assessment(self, institution, *, year: int, status=AssessmentStatus.FINAL, response_due_on=None,
                   assessing_body=None, kind=AssessmentKind.OFFICIAL) -> Assessment:
        scheme, _created = QCScheme.objects.get_or_create(
            province_id=institution.province_id, year=year,
            defaults={"name": f"{year} 年度考核方案", "institution_weight": Decimal(40),
                      "work_sample_weight": Decimal(60)})
        return Assessment.objects.create(
            province_id=institution.province_id, institution=institution, filing=self.version(institution).filing,
            scheme=scheme, year=year, assessed_on=date(year, 5, 1), kind=kind, status=status,
            response_due_on=response_due_on, assessing_body=assessing_body)

    def entry(self, institution, due_on: date, *, status=LedgerStatus.OPEN, opened_by=None,
              description: str = "血铅检测室内质控记录不完整，未绘制质控图，检测结果无法溯源") -> LedgerEntry:
        return LedgerEntry.objects.create(
            province_id=institution.province_id, region_id=institution.region_id, institution=institution,
            source=LedgerSource.QC_ASSESSMENT, description=description, severity=Severity.MAJOR,
            requirement="30 日内完成整改", due_on=due_on, status=status, opened_by_organisation=opened_by)


@pytest.fixture
def domain(filings) -> Domain:
    return Domain(filings)


@pytest.fixture
def scan(django_capture_on_commit_callbacks):
    """Run the scan as the worker would: e-mails go out after each commit."""

    def run(today: date = TODAY):
        with django_capture_on_commit_callbacks(execute=True):
            return deadlines_scan(today=today)

    return run


def scan_concurrently(today: date, *, rounds: int = 2, threads: int = 2) -> list:
    """Start ``threads`` scans at the same moment, ``rounds`` times; returns their results.

    Needs a transactional test (``django_db(transaction=True)``): each thread has its own
    connection, and sees only what is committed.
    """
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(deadlines_scan(today=today))
        except Exception as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connections.close_all()

    for _round in range(rounds):
        started = [threading.Thread(target=run) for _i in range(threads)]
        for thread in started:
            thread.start()
        for thread in started:
            thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    # Every institution here has a user; the real password hasher would take most of the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
