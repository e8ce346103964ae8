"""Records of the other apps in every state, built directly in the database.

The workflows that produce them have their own tests; here only their outcome matters:
what is final must enter a public list, what is not must stay out.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from filing.catalogue.models import ExamItem
from filing.models import FiledItem, Filing, FilingVersion
from inspections.models import ItemFinding, VerificationCase
from inspections.supervision.models import Finding, Penalty, SpotCheck, SpotCheckPlan
from portal.accounts.choices import OrgKind
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.ledger.models import LedgerEntry
from qc.models import Assessment, QCScheme

_numbers = count(1)


def aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class World:
    """Builders for one province's institutions and their records."""

    def __init__(self, province_code: str = "220000", county_code: str = "220102"):
        self.province = Region.objects.get(code=province_code)
        self.county = Region.objects.get(code=county_code)
        if not ExamItem.objects.exists():
            from filing.catalogue.services import catalogue_load_builtin

            catalogue_load_builtin()

    def institution(self, name: str | None = None):
        n = next(_numbers)
        return OrganisationFactory(name=name or f"测试职业病防治院{n:03d}", kind=OrgKind.INSTITUTION,
                                   province=self.province, region=self.county)

    def filing(self, institution=None, *, status: str = "accepted", filed_on: date = date(2026, 3, 1),
               items=("GBZ188-2014:6.1",)) -> Filing:
        institution = institution or self.institution()
        n = next(_numbers)
        accepted = status in ("accepted", "cancelled")
        filing = Filing.objects.create(
            institution=institution, province=self.province, region=self.county, kind="examination", status=status,
            filing_number=f"JL-T{n:05d}" if accepted else None, filed_on=filed_on if accepted else None)
        version = FilingVersion.objects.create(
            filing=filing, number=1, status="accepted" if accepted else "submitted", name=institution.name,
            credit_code="", address="人民大街1号", phone="0431-8888", region=self.county)
        for code in items:
            FiledItem.objects.create(version=version, exam_item=ExamItem.objects.get(code=code))
        if accepted:
            filing.current_version = version
            filing.save(update_fields=["current_version"])
        return filing

    def scheme(self, year: int = 2026) -> QCScheme:
        scheme, _created = QCScheme.objects.get_or_create(
            province=self.province, year=year,
            defaults={"name": f"{year}年质控方案", "institution_weight": Decimal("40"),
                      "work_sample_weight": Decimal("60")})
        return scheme

    def assessment(self, filing: Filing, *, status: str = "final", passed: bool = True, score: str = "92.5",
                   grade: str = "合格", assessed_on: date = date(2026, 5, 10), finalised_on: date | None = None,
                   kind: str = "official") -> Assessment:
        final = status == "final"
        return Assessment.objects.create(
            province=self.province, institution=filing.institution, filing=filing,
            scheme=self.scheme(assessed_on.year), year=assessed_on.year, assessed_on=assessed_on, kind=kind,
            status=status, total_score=Decimal(score), grade=grade, passed=passed,
            finalised_at=aware(finalised_on or assessed_on) if final else None)

    def ledger_entry(self, institution, *, status: str = "open", source=None, description: str = "个案卡填写不完整",
                     requirement: str = "一个月内补全个案卡", due_on: date = date(2026, 7, 1),
                     severity: str = "major") -> LedgerEntry:
        entry = LedgerEntry(province=self.province, region=self.county, institution=institution,
                            source="qc_assessment" if source is not None else "other", description=description,
                            severity=severity, requirement=requirement, due_on=due_on, status=status)
        if source is not None:
            entry.source_type = ContentType.objects.get_for_model(source)
            entry.source_id = str(source.pk)
        entry.save()
        return entry

    def verification(self, filing: Filing, *, outcome: str, signed_off_on: date | None = date(2026, 4, 1),
                     not_capable=()) -> VerificationCase:
        signed = signed_off_on is not None
        case = VerificationCase.objects.create(
            province=self.province, region=self.county, institution=filing.institution, filing=filing,
            filing_version=filing.current_version, filed_on=filing.filed_on or date(2026, 3, 1),
            due_on=date(2026, 6, 1), status="signed_off" if signed else "in_progress",
            outcome=outcome if signed else "", signed_off_on=signed_off_on)
        for code, name, reason in not_capable:
            ItemFinding.objects.create(case=case, item_code=code, item_name=name, capable=False, reason=reason)
        return case

    def penalty(self, institution, authority, *, status: str = "final", decided_on: date = date(2026, 6, 1),
                fine: str = "0.5", warning: bool = True, problem: str = "主检医师不符合要求") -> Penalty:
        n = next(_numbers)
        plan = SpotCheckPlan.objects.create(province=self.province, region=self.province, organisation=authority,
                                            year=decided_on.year, name=f"抽查计划{n}")
        check = SpotCheck.objects.create(plan=plan, province=self.province, region=self.county,
                                         institution=institution, status="done", checked_on=decided_on)
        Finding.objects.create(spot_check=check, category="chief_examiner", description=problem)
        return Penalty.objects.create(spot_check=check, province=self.province, region=self.county,
                                      institution=institution, warning=warning, fine=Decimal(fine),
                                      decision_number=f"吉卫监罚〔2026〕{n}号", decided_on=decided_on, status=status)
