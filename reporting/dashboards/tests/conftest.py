"""A small province with known figures for the dashboards (see ``Dataset``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from inspections.choices import VerificationStatus
from portal.accounts.choices import Role
from portal.regions.models import Region, RegionLevel
from qc.choices import AssessmentKind, AssessmentStatus
from qc.ledger.choices import LedgerStatus

from . import builders


@dataclass
class Dataset:
    """Jilin: Changchun (two counties and the city itself) and a second city; one Liaoning institution
    whose rows must never be counted in Jilin. Dates are relative to the real ``today`` because the
    tests follow the links to list pages, which use the real date."""

    today: object
    changchun: Region
    county: Region
    county2: Region
    other_city: Region
    other_county: Region
    accepted: dict


def build() -> Dataset:
    today = timezone.localdate()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    jilin = Region.objects.get(code="220000")
    changchun = Region.objects.get(code="220100")
    county = Region.objects.get(code="220102")  # the county commission's (portal.testing.factories.AREAS)
    county2 = Region.objects.filter(parent=changchun).exclude(pk=county.pk).order_by("code").first()
    other_city = Region.objects.filter(parent=jilin, level=RegionLevel.CITY).exclude(pk=changchun.pk).order_by(
        "code").first()
    other_county = Region.objects.filter(parent=other_city).order_by("code").first()
    liaoning_county = Region.objects.filter(parent__code="210100").order_by("code").first()

    a1, a2, a3, b1, b2, l1 = [builders.institutions([r], 1, start=i)[0] for i, r in enumerate(
        [county, county2, changchun, other_county, other_county, liaoning_county])]
    # Filings waiting for a receipt: Jilin 3 (2 overdue), Changchun 2 (1), the county 2 (1).
    builders.waiting_filings([county], [d(5), d(-1)], start=100)
    builders.waiting_filings([other_county], [d(-3)], start=200)
    builders.waiting_filings([liaoning_county], [d(-5)], start=300)
    # Verifications: Jilin due soon 1, overdue 2; Changchun 1 / 1; the county 1 / 0.
    builders.verifications([a1], [d(10)])
    builders.verifications([a2], [d(-2)], status=VerificationStatus.SCHEDULED)
    builders.verifications([a3], [d(-5)], status=VerificationStatus.SIGNED_OFF)
    builders.verifications([b1], [d(40)])
    builders.verifications([b2], [d(-10)])
    builders.verifications([l1], [d(-1)])
    # Final official results: this year A1 pass, A2 fail, B1 pass (A3 draft and B2 self do not count);
    # last year A1 pass, B1 fail, B2 fail.
    year = today.year
    scheme = builders.scheme(jilin, year - 1)
    builders.assessments([a1, a2, b1], scheme=scheme, year=year, passed=[True, False, True])
    builders.assessments([a3], scheme=scheme, year=year, passed=[True], status=AssessmentStatus.DRAFT)
    builders.assessments([b2], scheme=scheme, year=year, passed=[True], kind=AssessmentKind.SELF)
    builders.assessments([a1, b1, b2], scheme=scheme, year=year - 1, passed=[True, False, False])
    builders.assessments([l1], scheme=builders.scheme(Region.objects.get(code="210000"), year), year=year,
                         passed=[True])
    # Ledger: Jilin 6 entries, 3 not settled, 3 overdue, 1 refused, 1 failed.
    builders.ledger_entries([a1, a1, a1, a2, b1, b1, l1],
                            [d(-3), d(10), d(-20), d(-5), d(-1), d(5), d(-1)],
                            [LedgerStatus.OPEN, LedgerStatus.ACCEPTED, LedgerStatus.CLOSED, LedgerStatus.REFUSED,
                             LedgerStatus.FIX_SUBMITTED, LedgerStatus.FAILED, LedgerStatus.OPEN])
    # Off-site work not ended: Jilin 3 (2 start within a week); Changchun 2 (1); the county 1 (1).
    builders.off_site([a1, a2, b1, b2, l1], [d(3), d(20), d(-5), d(-1), d(2)])
    return Dataset(today=today, changchun=changchun, county=county, county2=county2, other_city=other_city,
                   other_county=other_county, accepted={"a1": a1, "a2": a2, "a3": a3, "b1": b1, "b2": b2})


@pytest.fixture
def dataset(reference_data) -> Dataset:
    return build()


@pytest.fixture
def users(make_user, reference_data):
    return {
        "province": make_user(Role.COMMISSION_PROVINCE),
        "qc": make_user(Role.QC_CENTER),
        "city": make_user(Role.COMMISSION_CITY),
        "county": make_user(Role.COMMISSION_COUNTY),
        "supervision": make_user(Role.SUPERVISION),
        "disease_control": make_user(Role.DISEASE_CONTROL),
        "national": make_user(Role.NATIONAL),
        "liaoning": make_user(Role.COMMISSION_PROVINCE, province_code="210000"),
    }


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login
