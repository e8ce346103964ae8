"""The daily deadline scan over 50,000 open deadlines, run twice on PostgreSQL.

    .venv/bin/python benchmarks/reminder_scan.py [--deadlines 50000] [--keep]

``DATABASE_URL`` names the database (default
postgres://postgres@127.0.0.1:5432/portal_bench_reminders); it is dropped and created
afresh unless ``--keep`` reuses it as it is, so its name must start with "portal_bench". The data are written with ``bulk_create``:
institutions with one user each, accepted filings whose current version lists staff
certificates and equipment, open change drafts, and submitted filings waiting for their
receipt; for each accepted institution also a scheduled on-site verification (a team of two
inspectors), an off-site notice waiting for acknowledgement (half of them routed to a city
under delegation), an item of this year's QC plan not yet assessed (by the provincial or the
city QC center), a result waiting for the institution's response, and two open
rectification entries (raised by supervision, or by nobody on record). Every due date is
placed on a reminder stage of the scan day (the worst case: each deadline produces
reminders); the scan day is 1 December, 30 days before the plan items fall due. E-mail goes
to Django's in-memory backend and tasks run in the process, so the timing includes the
digests and their e-mail copies.

The first run must finish within 30 s; the second must send nothing. The exit status says
whether both held.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import benchmark_database, ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_reminders"
TODAY = date(2026, 12, 1)  # 30 days before 31 December: the year's plan items are at a stage
LIMIT_SECONDS = 30.0
# Offsets (days until due) that are reminder stages under the default schedule.
STAGE_OFFSETS = (30, 7, 1, 0, -7, -14, -21, -28)
CERTIFICATES_PER_FILING = 5
EQUIPMENT_PER_FILING = 3
LEDGER_ENTRIES_PER_INSTITUTION = 2
# Per accepted filing: its certificates, its equipment and one open change; a verification, an
# off-site notice, a plan item, a result in its response window and its rectification entries.
# Per submitted filing: one receipt.
PER_ACCEPTED = CERTIFICATES_PER_FILING + EQUIPMENT_PER_FILING + 1 + 4 + LEDGER_ENTRIES_PER_INSTITUTION
NANGUAN, NONGAN = "220102", "220122"  # Nong'an county is supervised by Changchun city in this data


def setup_environment(keep: bool) -> None:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    # Refused even with --keep: the rows are added to whatever database this names.
    benchmark_database(url)
    ensure_database(url, drop=not keep)
    # Tasks in the process (even with REDIS_URL set) and e-mail kept in memory: the timing
    # includes the digests and their e-mail copies.
    setup_django(url, quiet=True, CELERY_TASK_ALWAYS_EAGER="1",
                 EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")


def step(label: str):
    class Timer:
        def __enter__(self):
            self.started = time.monotonic()
            print(f"{label} ...", end=" ", flush=True)

        def __exit__(self, *exc):
            print(f"{time.monotonic() - self.started:.1f} s", flush=True)

    return Timer()


def populate(deadlines: int) -> None:
    from django.contrib.auth.models import Permission
    from django.db.models import OuterRef, Subquery

    from filing.choices import FilingStatus, InstitutionKind, StaffRole, VersionKind, VersionStatus
    from filing.models import Equipment, Filing, FilingVersion, StaffCertificate, StaffMember
    from portal.accounts.choices import OrgKind
    from portal.accounts.models import Organisation, OrganisationUserObjectPermission, User
    from portal.regions.models import Region
    from portal.workdays.services import add_working_days

    if Filing.objects.exists():
        print("data already there (--keep): not adding more")
        return
    province = Region.objects.get(code="220000")
    county = Region.objects.get(code=NANGUAN)
    accepted_count = deadlines * 4 // (PER_ACCEPTED * 4 + 4)
    submitted_count = deadlines - accepted_count * PER_ACCEPTED
    institutions = accepted_count + submitted_count

    def due(i: int) -> date:
        return TODAY + timedelta(days=STAGE_OFFSETS[i % len(STAGE_OFFSETS)])

    with step(f"authorities and {institutions} institutions with a user each"):
        authorities = Organisation.objects.bulk_create([
            Organisation(name="吉林省职业病防治院（质控中心）", kind=OrgKind.QC_CENTER, province=province, region=province),
            Organisation(name="吉林省卫生健康委员会", kind=OrgKind.HEALTH_COMMISSION, province=province,
                         region=province),
        ])
        staff = [User(username=f"authority{i}", password="!", email=f"authority{i}@bench.invalid",
                      organisation=authorities[i % 2], is_province_admin=(i == 1)) for i in range(5)]
        local = Organisation.objects.bulk_create([
            Organisation(name="长春市职业病防治院（市质控中心）", kind=OrgKind.QC_CENTER, province=province,
                         region=county.parent),
            Organisation(name="长春市卫生健康委员会", kind=OrgKind.HEALTH_COMMISSION, province=province,
                         region=county.parent),
            Organisation(name="长春市南关区卫生健康局", kind=OrgKind.HEALTH_COMMISSION, province=province,
                         region=county),
            Organisation(name="吉林省卫生健康综合监督保障中心", kind=OrgKind.SUPERVISION, province=province,
                         region=province),
        ])
        staff += [User(username=f"local{i}", password="!", email=f"local{i}@bench.invalid", organisation=org)
                  for i, org in enumerate(local)]
        orgs = Organisation.objects.bulk_create(
            [Organisation(name=f"基准机构{i:05d}", kind=OrgKind.INSTITUTION, province=province, region=county)
             for i in range(institutions)], batch_size=5000)
        users = User.objects.bulk_create(
            [*staff, *(User(username=f"inst{i:05d}", password="!", email=f"inst{i:05d}@bench.invalid",
                            organisation=org) for i, org in enumerate(orgs))], batch_size=5000)
        act_for = Permission.objects.get(codename="act_for_institution", content_type__app_label="accounts")
        OrganisationUserObjectPermission.objects.bulk_create(
            [OrganisationUserObjectPermission(user=user, permission=act_for, content_object=user.organisation)
             for user in users[len(staff):]], batch_size=5000)

    with step(f"{accepted_count} accepted filings with certificates, equipment and an open change"):
        filings = Filing.objects.bulk_create(
            [Filing(institution=org, province=province, region=county, kind=InstitutionKind.EXAMINATION,
                    status=FilingStatus.ACCEPTED if i < accepted_count else FilingStatus.SUBMITTED)
             for i, org in enumerate(orgs)], batch_size=5000)
        accepted, submitted = filings[:accepted_count], filings[accepted_count:]
        versions = FilingVersion.objects.bulk_create(
            [FilingVersion(filing=f, number=1, status=VersionStatus.ACCEPTED, name=f.institution.name)
             for f in accepted], batch_size=5000)
        Filing.objects.filter(status=FilingStatus.ACCEPTED).update(current_version=Subquery(
            FilingVersion.objects.filter(filing=OuterRef("pk"), number=1).values("pk")[:1]))
        members = StaffMember.objects.bulk_create(
            [StaffMember(version=v, name=f"医师{k}", role=StaffRole.PHYSICIAN, order=k)
             for v in versions for k in range(CERTIFICATES_PER_FILING)], batch_size=5000)
        StaffCertificate.objects.bulk_create(
            [StaffCertificate(staff=m, name="执业医师资格证书", expires_on=due(i)) for i, m in enumerate(members)],
            batch_size=5000)
        Equipment.objects.bulk_create(
            [Equipment(version=v, name=f"设备{k}", serial_number=f"SN{v.pk}-{k}",
                       calibration_due_on=due(v.pk + k)) for v in versions for k in range(EQUIPMENT_PER_FILING)],
            batch_size=5000)
        changed_on = {offset: add_working_days(TODAY + timedelta(days=offset), -10) for offset in STAGE_OFFSETS}
        FilingVersion.objects.bulk_create(
            [FilingVersion(filing=f, number=2, version_kind=VersionKind.CHANGE, status=VersionStatus.DRAFT,
                           name=f.institution.name, changed_on=changed_on[STAGE_OFFSETS[i % len(STAGE_OFFSETS)]])
             for i, f in enumerate(accepted)], batch_size=5000)

    with step(f"{submitted_count} submitted filings waiting for their receipt"):
        FilingVersion.objects.bulk_create(
            [FilingVersion(filing=f, number=1, status=VersionStatus.SUBMITTED, name=f.institution.name,
                           receipt_due_on=due(i)) for i, f in enumerate(submitted)], batch_size=5000)

    with step(f"{accepted_count} verifications, off-site notices, plan items, results and "
              f"{accepted_count * LEDGER_ENTRIES_PER_INSTITUTION} rectification entries"):
        populate_qc_and_inspections(province, county, accepted, versions, staff, local, due)


def populate_qc_and_inspections(province, county, accepted, versions, staff, local, due) -> None:
    from decimal import Decimal

    from django.utils import timezone

    from inspections.choices import NotificationStatus, VerificationStatus
    from inspections.models import OffSiteNotification, VerificationCase
    from portal.regions.models import Region
    from qc.choices import AssessmentKind, AssessmentStatus
    from qc.ledger.choices import LedgerSource, LedgerStatus, Severity
    from qc.ledger.models import LedgerEntry
    from qc.models import Assessment, PlanItem, QCPlan, QCScheme

    city_qc, _city_commission, _county_commission, supervision = local
    provincial_qc = staff[0].organisation
    inspectors = [u for u in staff if u.organisation_id == provincial_qc.pk][:2]
    nongan = Region.objects.get(code=NONGAN)
    Region.objects.filter(pk=nongan.pk).update(supervised_by_city=True)
    now = timezone.now()
    cases = VerificationCase.objects.bulk_create(
        [VerificationCase(province=province, region=county, institution_id=f.institution_id, filing=f,
                          filing_version=v, filed_on=due(i) - timedelta(days=91), due_on=due(i),
                          status=VerificationStatus.SCHEDULED, scheduled_on=TODAY)
         for i, (f, v) in enumerate(zip(accepted, versions, strict=True))], batch_size=5000)
    VerificationCase.team.through.objects.bulk_create(
        [VerificationCase.team.through(verificationcase_id=case.pk, user_id=user.pk)
         for case in cases for user in inspectors], batch_size=5000)
    OffSiteNotification.objects.bulk_create(
        [OffSiteNotification(
            province=province, institution_id=f.institution_id, filing=f, filing_version=v,
            employer_name=f"用人单位{i:05d}", employer_credit_code="91220102MA0000000X", employer_address="工业园",
            employer_region=(nongan if i % 2 else county), work_site="工业园", work_site_region=(nongan if i % 2 else county),
            routed_region_id=(county.parent_id if i % 2 else county.pk), starts_on=due(i),
            ends_on=max(due(i), TODAY) + timedelta(days=2), expected_workers=100, sample_handling="冷藏",
            biosafety="屏蔽", contact_name="王磊", contact_phone="0431-1", status=NotificationStatus.SUBMITTED,
            submitted_at=now)
         for i, (f, v) in enumerate(zip(accepted, versions, strict=True))], batch_size=5000)
    plan = QCPlan.objects.create(province=province, year=TODAY.year)
    PlanItem.objects.bulk_create(
        [PlanItem(plan=plan, institution_id=f.institution_id, planned_month=1 + i % 12,
                  assessed_by=(city_qc if i % 2 else provincial_qc)) for i, f in enumerate(accepted)],
        batch_size=5000)
    scheme = QCScheme.objects.create(province=province, year=TODAY.year, name="基准考核方案",
                                     institution_weight=Decimal(40), work_sample_weight=Decimal(60))
    Assessment.objects.bulk_create(
        [Assessment(province=province, institution_id=f.institution_id, filing=f, scheme=scheme, year=TODAY.year,
                    assessed_on=TODAY - timedelta(days=40), kind=AssessmentKind.OFFICIAL,
                    status=AssessmentStatus.SENT, response_due_on=due(i), assessing_body=city_qc if i % 2 else None)
         for i, f in enumerate(accepted)], batch_size=5000)
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(province=province, region=county, institution_id=f.institution_id,
                     source=LedgerSource.SUPERVISION, description=f"问题{k}：个案卡未按时报告", severity=Severity.MAJOR,
                     requirement="限期整改", due_on=due(i + k),
                     status=LedgerStatus.OPEN if k else LedgerStatus.ACCEPTED,
                     opened_by_organisation=supervision if (i + k) % 2 else None)
         for i, f in enumerate(accepted) for k in range(LEDGER_ENTRIES_PER_INSTITUTION)], batch_size=5000)


def run_scan(label: str):
    from django.core import mail

    from reporting.reminders.services import deadlines_scan

    mail.outbox = []
    started = time.monotonic()
    result = deadlines_scan(today=TODAY)
    seconds = time.monotonic() - started
    print(f"{label}: {seconds:.2f} s; {result.deadlines} open deadlines, {result.staged} at a stage today, "
          f"{result.reminders_sent} reminders sent in {result.digests_sent} digests, {len(mail.outbox)} e-mails")
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadlines", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="reuse the database and its data as they are")
    args = parser.parse_args()
    setup_environment(args.keep)

    from django.core.management import call_command
    from django.db import connection

    with step("migrate"):
        call_command("migrate", verbosity=0)
    with step("region tree and holiday calendar"):
        call_command("load_reference_data", stdout=io.StringIO())
    populate(args.deadlines)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from reporting.models import Reminder

    first, first_seconds = run_scan("first run")
    second, second_seconds = run_scan("second run")
    print(f"reminder rows in the database: {Reminder.objects.count()}")
    ok = first_seconds < LIMIT_SECONDS and second.reminders_sent == 0 and second.digests_sent == 0
    print("OK" if ok else f"FAILED: the first run must take < {LIMIT_SECONDS:.0f} s and the second must send nothing")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
