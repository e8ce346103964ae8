"""The demo's filings are dated over the years since 2019, not all accepted on the day it runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from filing.catalogue.services import catalogue_load_builtin
from filing.choices import FilingStatus
from filing.demo import (
    FIRST_ACCEPTANCE,
    RECENT_DAYS,
    acceptance_date,
    date_back_acceptance,
    demo_filing,
    plan_institution,
    seed_filing_demo,
)
from filing.models import Filing
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import Region
from portal.testing.factories import make_user

TODAY = date(2026, 11, 22)


def test_acceptance_dates_spread_over_the_years_with_a_recent_share():
    dates = [acceptance_date(i, "accepted", today=TODAY) for i in range(300)]
    assert all(FIRST_ACCEPTANCE <= d <= TODAY for d in dates)
    assert {d.year for d in dates} == set(range(2019, 2027))
    recent = sum(1 for d in dates if (TODAY - d).days <= RECENT_DAYS)
    assert 30 <= recent <= 100  # about a fifth: the verifications still pending
    assert acceptance_date(5, "accepted", today=TODAY) == acceptance_date(5, "accepted", today=TODAY)


def test_only_filings_that_were_accepted_get_a_date():
    for outcome in ("draft", "submitted", "returned"):
        assert acceptance_date(1, outcome, today=TODAY) is None
    assert acceptance_date(1, "cancelled", today=TODAY) is not None
    # A filing changed last week was accepted at least a month before.
    assert all((TODAY - acceptance_date(i, "changed", today=TODAY)).days >= 30 for i in range(200))


def test_plans_carry_their_date(reference_data):
    regions = list(Region.objects.filter(province__code="220000", level__in=["city", "county"])
                   .select_related("parent").order_by("code"))
    plans = [plan_institution(i, regions) for i in range(60)]
    assert all((p.accepted_on is None) == (p.outcome in ("draft", "submitted", "returned")) for p in plans)


@pytest.fixture
def decider(reference_data):
    catalogue_load_builtin()
    return make_user(Role.QC_CENTER)


def test_dating_back_moves_the_number_and_the_initial_version_together(decider):
    filing = demo_filing(name="回溯日期医院", decider=decider, seed=501)
    version = filing.current_version
    today = timezone.localdate()
    assert filing.filed_on == today
    accepted_on = date(2021, 4, 15)
    shift = accepted_on - today
    date_back_acceptance(filing, accepted_on, actor=decider)
    filing.refresh_from_db()
    dated = filing.versions.get(pk=version.pk)
    assert filing.filed_on == accepted_on
    assert filing.filing_number.startswith("220000-2021-")
    assert dated.decided_at == version.decided_at + shift
    assert dated.submitted_at == version.submitted_at + shift
    assert dated.exams_started_on == version.exams_started_on + shift
    assert dated.filed_late == version.filed_late
    assert timezone.localdate(dated.submitted_at) < dated.receipt_due_on <= accepted_on + timedelta(days=20)
    entry = AuditEntry.objects.get(action="filing.demo.dated_back", object_id=str(filing.pk))
    assert entry.new["filing_number"] == filing.filing_number
    # A second filing of 2021 takes the next number.
    other = demo_filing(name="回溯日期医院二", decider=decider, seed=502)
    date_back_acceptance(other, date(2021, 6, 1), actor=decider)
    other.refresh_from_db()
    assert int(other.filing_number.rsplit("-", 1)[1]) == int(filing.filing_number.rsplit("-", 1)[1]) + 1


def test_the_seeded_directory_spans_years(reference_data, decider):
    institution_user = make_user(Role.INSTITUTION, region_code="220104")
    ctx = DemoContext(province=Region.objects.get(code="220000"))
    ctx.users = {"admin_jl": make_user(Role.PROVINCE_ADMIN), "zk_jl": decider, "jg_ccz": institution_user}
    ctx.orgs = {"institution": institution_user.organisation}
    seed_filing_demo(ctx, size=16, progress=lambda text: None)
    accepted = Filing.objects.filter(status__in=[FilingStatus.ACCEPTED, FilingStatus.CANCELLED])
    years = {f.filed_on.year for f in accepted}
    assert len(years) >= 3
    for filing in accepted:
        assert filing.filing_number.split("-")[1] == str(filing.filed_on.year)
        assert filing.filed_on <= timezone.localdate()
