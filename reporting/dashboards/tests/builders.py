"""Rows for the dashboard tests and benchmark, written with ``bulk_create``.

The dashboards only read, so the rows are built directly in the states the workflows leave them
in (an accepted filing, a submitted version, a final official assessment...) rather than walked
through every service: the benchmark writes tens of thousands of them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind, StaffRole, VersionKind, VersionStatus
from filing.models import Equipment, Filing, FilingVersion, StaffCertificate, StaffMember
from inspections.choices import VerificationStatus
from inspections.models import OffSiteNotification, VerificationCase
from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.regions.models import Region
from qc.choices import AssessmentKind, AssessmentStatus, CoverageRule
from qc.ledger.choices import LedgerSource, LedgerStatus, Severity
from qc.ledger.models import LedgerEntry
from qc.models import Assessment, QCScheme

BATCH = 2000


def _code(n: int) -> str:
    return f"91220000{n:010d}"


def institutions(regions: list[Region], count: int, *, start: int = 0,
                 status: str = FilingStatus.ACCEPTED) -> list[Organisation]:
    """``count`` institutions spread over ``regions``, each with an examination filing in ``status``
    and one version (accepted, or submitted for a filing waiting for its receipt)."""
    orgs = Organisation.objects.bulk_create([
        Organisation(name=f"{regions[i % len(regions)].name}第{start + i}职业健康检查机构", kind=OrgKind.INSTITUTION,
                     province_id=regions[i % len(regions)].province_id or regions[i % len(regions)].pk,
                     region=regions[i % len(regions)])
        for i in range(count)], batch_size=BATCH)
    filings = Filing.objects.bulk_create([
        Filing(institution=o, province_id=o.province_id, region_id=o.region_id, kind=InstitutionKind.EXAMINATION,
               status=status, filing_number=f"DB{o.pk:08d}" if status == FilingStatus.ACCEPTED else None)
        for o in orgs], batch_size=BATCH)
    version_status = VersionStatus.ACCEPTED if status == FilingStatus.ACCEPTED else VersionStatus.SUBMITTED
    versions = FilingVersion.objects.bulk_create([
        FilingVersion(filing=f, number=1, status=version_status, name=o.name, credit_code=_code(o.pk),
                      region_id=o.region_id)
        for f, o in zip(filings, orgs, strict=True)], batch_size=BATCH)
    for f, v in zip(filings, versions, strict=True):
        f.current_version = v if status == FilingStatus.ACCEPTED else None
        f._version = v
    if status == FilingStatus.ACCEPTED:
        Filing.objects.bulk_update(filings, ["current_version"], batch_size=BATCH)
    for o, f in zip(orgs, filings, strict=True):
        o._filing = f
    return orgs


def waiting_filings(regions: list[Region], due_dates: list[date], *, start: int = 0) -> list[Organisation]:
    """Newly submitted filings waiting for their receipt, one per due date."""
    orgs = institutions(regions, len(due_dates), start=start, status=FilingStatus.SUBMITTED)
    versions = [o._filing._version for o in orgs]
    now = timezone.now()
    for version, due_on in zip(versions, due_dates, strict=True):
        version.receipt_due_on, version.submitted_at = due_on, now
    FilingVersion.objects.bulk_update(versions, ["receipt_due_on", "submitted_at"], batch_size=BATCH)
    return orgs


def open_version(org: Organisation, *, status: str = VersionStatus.DRAFT, kind: str = VersionKind.CHANGE,
                 receipt_due_on: date | None = None) -> FilingVersion:
    """A version the institution has open on its filing (a change by default), numbered after the others."""
    filing = org._filing
    number = filing.versions.count() + 1
    return FilingVersion.objects.create(
        filing=filing, number=number, version_kind=kind, status=status, name=org.name, credit_code=_code(org.pk),
        region_id=org.region_id, receipt_due_on=receipt_due_on,
        submitted_at=timezone.now() if status == VersionStatus.SUBMITTED else None)


def certificates(version: FilingVersion, expiry_dates: list[date | None]) -> list[StaffCertificate]:
    """One staff member per certificate on ``version``, each certificate valid until its date."""
    staff = StaffMember.objects.bulk_create([
        StaffMember(version=version, name=f"医师{i}", role=StaffRole.PHYSICIAN, order=i)
        for i in range(len(expiry_dates))], batch_size=BATCH)
    return StaffCertificate.objects.bulk_create([
        StaffCertificate(staff=member, name="医师执业证书", number=f"ZS{member.pk:08d}", expires_on=expires_on)
        for member, expires_on in zip(staff, expiry_dates, strict=True)], batch_size=BATCH)


def equipment(version: FilingVersion, due_dates: list[date | None]) -> list[Equipment]:
    return Equipment.objects.bulk_create([
        Equipment(version=version, name="纯音听力计", model="AD229", serial_number=f"SN{i:06d}", calibration_due_on=due)
        for i, due in enumerate(due_dates)], batch_size=BATCH)


def verifications(orgs: list[Organisation], due_dates: list[date], *,
                  status: str = VerificationStatus.OPEN) -> list[VerificationCase]:
    return VerificationCase.objects.bulk_create([
        VerificationCase(province_id=o.province_id, region_id=o.region_id, institution=o, filing=o._filing,
                         filing_version=o._filing._version, filed_on=due_on - timedelta(days=90), due_on=due_on,
                         status=status)
        for o, due_on in zip(orgs, due_dates, strict=True)], batch_size=BATCH)


def scheme(province: Region, year: int, *, rule: str = CoverageRule.YEARLY_ALL) -> QCScheme:
    return QCScheme.objects.create(province=province, year=year, name=f"{year}年质控方案", coverage_rule=rule,
                                   institution_weight=Decimal("40"), work_sample_weight=Decimal("60"))


def assessments(orgs: list[Organisation], *, scheme: QCScheme, year: int, passed: list[bool | None],
                body: Organisation | None = None, kind: str = AssessmentKind.OFFICIAL,
                status: str = AssessmentStatus.FINAL, response_due_on: list[date] | None = None) -> list[Assessment]:
    """One assessment per institution; ``passed`` (and ``response_due_on`` of a sent result) parallel to ``orgs``."""
    due_dates = response_due_on or [None] * len(orgs)
    return Assessment.objects.bulk_create([
        Assessment(province_id=o.province_id, institution=o, filing=o._filing, scheme=scheme, year=year,
                   assessed_on=date(year, 6, 1), kind=kind, status=status, passed=p, assessing_body=body,
                   grade="合格" if p else "不合格", response_due_on=due)
        for o, p, due in zip(orgs, passed, due_dates, strict=True)], batch_size=BATCH)


def ledger_entries(orgs: list[Organisation], due_dates: list[date], statuses: list[str]) -> list[LedgerEntry]:
    now = timezone.now()
    return LedgerEntry.objects.bulk_create([
        LedgerEntry(province_id=o.province_id, region_id=o.region_id, institution=o, source=LedgerSource.QC_ASSESSMENT,
                    description="体检报告缺少主检医师签字", severity=Severity.MINOR, requirement="限期整改",
                    due_on=due_on, status=status, opened_at=now, status_changed_at=now,
                    closed_on=due_on if status == LedgerStatus.CLOSED else None)
        for o, due_on, status in zip(orgs, due_dates, statuses, strict=True)], batch_size=BATCH)


def off_site(orgs: list[Organisation], starts: list[date], *, days: int = 2,
             routed: list[Region] | None = None) -> list[OffSiteNotification]:
    """Off-site work of each institution, routed to the institution's own region unless given."""
    now = timezone.now()
    routed = routed or [o.region for o in orgs]
    return OffSiteNotification.objects.bulk_create([
        OffSiteNotification(
            province_id=o.province_id, institution=o, filing=o._filing, filing_version=o._filing._version,
            employer_name=f"用人单位{i}", employer_credit_code=_code(900000 + i), employer_address="工业园区1号",
            employer_region=region, work_site="工业园区1号", work_site_region=region, routed_region=region,
            starts_on=start, ends_on=start + timedelta(days=days), expected_workers=120, sample_handling="冷藏运送",
            biosafety="按规定执行", contact_name="张三", contact_phone="13800000000", submitted_at=now)
        for i, (o, start, region) in enumerate(zip(orgs, starts, routed, strict=True))], batch_size=BATCH)
