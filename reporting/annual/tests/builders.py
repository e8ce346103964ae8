"""A small known dataset for the report's figures, written directly: each app's workflow has its own
tests, the report only reads their outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from filing.models import Filing, FilingVersion
from inspections.models import VerificationCase
from inspections.supervision.models import Finding, Penalty, SpotCheck, SpotCheckPlan
from portal.accounts.choices import OrgKind
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.ledger.models import LedgerEntry
from qc.models import Assessment, QCScheme

YEAR = 2025


def at(day: date) -> datetime:
    """Noon local time on ``day`` (ledger times are datetimes; years are cut in local time)."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


def institution(name: str, region_code: str = "220102"):
    """An institution with an accepted examination filing (what QC coverage counts)."""
    region = Region.objects.get(code=region_code)
    org = OrganisationFactory(name=name, kind=OrgKind.INSTITUTION, region=region, province=region.province)
    filing = Filing.objects.create(institution=org, province_id=org.province_id, region_id=org.region_id,
                                   kind="examination", status="accepted", filed_on=date(YEAR - 1, 3, 1),
                                   filing_number=f"T-{org.pk:06d}")
    version = FilingVersion.objects.create(filing=filing, number=1, status="accepted", name=org.name, credit_code="")
    filing.current_version = version
    filing.save(update_fields=["current_version"])
    org.filing = filing
    return org


def scheme(province, year: int = YEAR, rule: str = "yearly_all") -> QCScheme:
    return QCScheme.objects.create(province=province, year=year, name=f"{year} 方案", institution_weight=40,
                                   work_sample_weight=60, coverage_rule=rule)


def assessment(org, *, year: int = YEAR, status: str = "final", kind: str = "official", passed=True,
               grade: str = "合格", total=Decimal("80"), failed=(), **indicators) -> Assessment:
    province = org.province
    plan_scheme = QCScheme.objects.filter(province=province, year__lte=year).order_by("-year").first() or scheme(
        province, year)
    return Assessment.objects.create(
        province=province, institution=org, filing=org.filing, scheme=plan_scheme, year=year,
        assessed_on=date(year, 6, 1), kind=kind, status=status, passed=passed, grade=grade, total_score=total,
        failed_key_items=[{"code": code, "title": title} for code, title in failed], **indicators)


def entry(org, *, source: str, opened: date, due: date, status: str = "open", closed: date | None = None,
          changed: date | None = None) -> LedgerEntry:
    return LedgerEntry.objects.create(
        province=org.province, region=org.region, institution=org, source=source, description="问题",
        severity="major", requirement="整改", due_on=due, status=status, opened_at=at(opened), closed_on=closed,
        status_changed_at=at(changed or closed or opened))


def verification(org, *, due: date, signed: date | None = None, outcome: str = "") -> VerificationCase:
    filing = org.filing
    return VerificationCase.objects.create(
        province=org.province, region=org.region, institution=org, filing=filing,
        filing_version=filing.current_version, filed_on=filing.filed_on, due_on=due,
        status="signed_off" if signed else "scheduled", signed_off_on=signed, outcome=outcome)


def spot_check(plan: SpotCheckPlan, org, *, checked: date | None = None, findings=()) -> SpotCheck:
    check = SpotCheck.objects.create(plan=plan, province=plan.province, region=plan.region, institution=org,
                                     status="done" if checked else "planned", checked_on=checked)
    for n, category in enumerate(findings):
        Finding.objects.create(spot_check=check, category=category, description=f"问题{n}", order=n)
    return check


def plan(province, *, year: int = YEAR, name: str = "抽查计划") -> SpotCheckPlan:
    body = OrganisationFactory(kind=OrgKind.SUPERVISION, province=province, region=province)
    return SpotCheckPlan.objects.create(province=province, region=province, organisation=body, year=year, name=name)


def penalty(check: SpotCheck, *, number: str, decided: date, warning=False, fine="0", status="final") -> Penalty:
    return Penalty.objects.create(spot_check=check, province=check.province, region=check.region,
                                  institution=check.institution, warning=warning, fine=Decimal(fine),
                                  decision_number=number, decided_on=decided, status=status)


@dataclass
class Dataset:
    province: Region
    orgs: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    penalties: dict = field(default_factory=dict)


def build_dataset(prefix: str = "", province_code: str = "220000") -> Dataset:
    """Jilin 2025: four institutions (A, B in Changchun, C in Jilin city, D in Changchun never assessed),
    with figures the tests know by heart; noise that must not count (drafts, self-assessments, 2024)."""
    province = Region.objects.get(code=province_code)
    data = Dataset(province=province)
    if not QCScheme.objects.filter(province=province, year=YEAR).exists():
        scheme(province)
    a = data.orgs["A"] = institution(f"{prefix}甲体检中心", "220102")
    b = data.orgs["B"] = institution(f"{prefix}乙医院", "220104")
    c = data.orgs["C"] = institution(f"{prefix}丙职防院", "220202")
    d = data.orgs["D"] = institution(f"{prefix}丁门诊部", "220102")

    assessment(a, grade="优秀", total=Decimal("95"), contraindications_found=10, contraindications_notified=8,
               suspected_found=4, suspected_reported=4, diagnosis_accuracy=Decimal("90"),
               case_report_completeness=Decimal("96"))
    assessment(b, grade="合格", total=Decimal("75"), contraindications_found=5, contraindications_notified=5,
               diagnosis_accuracy=Decimal("100"))
    assessment(c, grade="不合格", total=Decimal("50"), passed=False, failed=[("5.2.3", "疑似职业病报告")])
    assessment(d, status="sent", grade="优秀", total=Decimal("99"))  # not final: never counted
    assessment(d, kind="self", grade="优秀", total=Decimal("99"))  # the institution's own: never counted
    assessment(a, year=YEAR - 1, grade="合格", total=Decimal("70"))  # the trend only

    entry(a, source="qc_assessment", opened=date(YEAR, 3, 1), due=date(YEAR, 4, 1), status="closed",
          closed=date(YEAR, 3, 20))
    entry(a, source="qc_assessment", opened=date(YEAR, 5, 1), due=date(YEAR, 6, 1), status="closed",
          closed=date(YEAR, 7, 1))
    entry(b, source="supervision", opened=date(YEAR, 6, 1), due=date(YEAR, 9, 1))
    entry(b, source="supervision", opened=date(YEAR - 1, 11, 1), due=date(YEAR, 12, 31), status="accepted")
    entry(c, source="onsite_verification", opened=date(YEAR, 10, 1), due=date(YEAR + 1, 2, 1))
    entry(c, source="other", opened=date(YEAR, 8, 1), due=date(YEAR, 9, 1), status="closed",
          closed=date(YEAR + 1, 1, 5))
    entry(d, source="case_report_check", opened=date(YEAR, 2, 1), due=date(YEAR, 3, 1), status="refused",
          changed=date(YEAR, 4, 1))

    verification(a, due=date(YEAR, 5, 1), signed=date(YEAR, 4, 20), outcome="fit")
    verification(b, due=date(YEAR, 6, 1), signed=date(YEAR, 7, 15), outcome="fit_except")
    verification(c, due=date(YEAR, 11, 1))
    verification(d, due=date(YEAR, 12, 1), signed=date(YEAR + 1, 1, 10), outcome="fit")

    checks = plan(province, name=f"{prefix}2025 抽查")
    data.checks["A"] = spot_check(checks, a, checked=date(YEAR, 4, 10),
                                  findings=["not_reported", "not_reported", "no_archives"])
    data.checks["B"] = spot_check(checks, b, checked=date(YEAR, 5, 10), findings=["other"])
    data.checks["C"] = spot_check(checks, c)
    earlier = plan(province, year=YEAR - 1, name=f"{prefix}2024 抽查")
    data.checks["old"] = spot_check(earlier, a, checked=date(YEAR - 1, 5, 1), findings=["other"])
    data.penalties["A"] = penalty(data.checks["A"], number=f"{prefix}罚〔2025〕1号", decided=date(YEAR, 5, 1),
                                  warning=True, fine="1.5")
    data.penalties["B"] = penalty(data.checks["B"], number=f"{prefix}罚〔2025〕2号", decided=date(YEAR, 6, 1),
                                  fine="0.5")
    data.penalties["draft"] = penalty(data.checks["C"], number=f"{prefix}罚〔2025〕3号", decided=date(YEAR, 7, 1),
                                      fine="2", status="draft")
    return data


def build_other_province() -> Dataset:
    """Liaoning 2025: one of everything, none of which may reach Jilin's report."""
    province = Region.objects.get(code="210000")
    data = Dataset(province=province)
    scheme(province)
    e = data.orgs["E"] = institution("辽宁戊中心", "210102")
    assessment(e, grade="优秀", total=Decimal("90"), contraindications_found=100)
    entry(e, source="qc_assessment", opened=date(YEAR, 3, 1), due=date(YEAR, 4, 1))
    verification(e, due=date(YEAR, 5, 1), signed=date(YEAR, 4, 1), outcome="fit")
    checks = plan(province, name="辽宁 2025 抽查")
    data.checks["E"] = spot_check(checks, e, checked=date(YEAR, 4, 1), findings=["other"])
    data.penalties["E"] = penalty(data.checks["E"], number="辽罚〔2025〕1号", decided=date(YEAR, 5, 1), fine="3")
    return data
