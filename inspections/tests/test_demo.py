"""The inspections demo: every state, through the services, and nothing new on a second run."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from filing.choices import ItemStatus
from filing.demo import date_back_acceptance, demo_filing
from filing.models import FiledItem
from inspections.models import ChecklistAnswer, OffSiteNotification, VerificationCase
from inspections.services.verification import verification_due_on
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import RegionLevel
from portal.workdays.services import add_months
from qc.ledger.models import LedgerEntry


def snapshot() -> dict:
    return {
        "cases": Counter(VerificationCase.objects.values_list("status", "outcome")),
        "answers": ChecklistAnswer.objects.count(),
        "notices": Counter(OffSiteNotification.objects.values_list("institution_id", "status", "routed_region_id")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def demo_ctx(jilin, accepted, institution_user, qc_user, make_user):
    """Fifteen accepted institutions (two able to examine off site) and the demo's users."""
    for n in range(15):
        demo_filing(name=f"演示体检机构{n}", decider=qc_user, off_site=n in (3, 9), seed=500 + n,
                    region_code="220102" if n % 2 else "220104")
    users = {"zk_jl": qc_user, "jg_ccz": institution_user, "admin_jl": make_user(Role.PROVINCE_ADMIN),
             "wjw_ng": make_user(Role.COMMISSION_COUNTY, region_code="220102"),
             "wjw_cc": make_user(Role.COMMISSION_CITY, region_code="220100")}
    return DemoContext(province=jilin, orgs={"institution": institution_user.organisation}, users=users)


def test_the_demo_reaches_every_state_and_a_second_run_adds_nothing(demo_ctx, capsys):
    config = apps.get_app_config("inspections")
    config.seed_demo(demo_ctx)
    first = snapshot()
    config.seed_demo(demo_ctx)
    assert snapshot() == first
    assert "inspections demo:" in capsys.readouterr().out

    statuses = Counter(VerificationCase.objects.values_list("status", flat=True))
    assert set(statuses) == {"open", "scheduled", "in_progress", "signed_off"}
    outcomes = set(VerificationCase.objects.filter(status="signed_off").values_list("outcome", flat=True))
    assert outcomes == {"fit", "fit_except", "not_fit"}
    today = timezone.localdate()
    overdue = VerificationCase.objects.filter(status__in=["open", "scheduled"], due_on__lt=today)
    assert set(overdue.values_list("status", flat=True)) == {"open", "scheduled"}
    assert VerificationCase.objects.filter(status="scheduled", team=demo_ctx.users["zk_jl"]).exists()
    in_progress = VerificationCase.objects.filter(status="in_progress").first()
    answered = ChecklistAnswer.objects.filter(case=in_progress).count()
    assert 0 < answered < in_progress.checklist_version.lines.count()
    # Items found not capable leave the public scope through filing's services.
    assert FiledItem.objects.filter(status=ItemStatus.NOT_CAPABLE).exists()
    assert AuditEntry.objects.filter(action="inspections.verification.signed_off").count() == statuses["signed_off"]

    notices = OffSiteNotification.objects.select_related("routed_region")
    assert {n.status for n in notices} == {"submitted", "acknowledged"}
    assert {n.routed_region.level for n in notices} == {RegionLevel.COUNTY, RegionLevel.CITY}
    own = demo_ctx.orgs["institution"]
    assert notices.filter(institution=own, submitted_by=demo_ctx.users["jg_ccz"]).exists()


def test_cases_follow_their_filings_and_old_ones_were_verified_in_time(demo_ctx, qc_user):
    """The filing demo accepts today and then dates acceptances back; each case follows its filing,
    and a case whose three months have passed was verified then (one of last year late)."""
    today = timezone.localdate()
    last_year = today.year - 1
    dates = {"old": add_months(today, -30), "late": date(last_year, 2, 1), "partly": date(last_year, 3, 1),
             "lapsed_1": add_months(today, -4), "lapsed_2": add_months(today, -5), "lapsed_3": add_months(today, -6)}
    filings = {}
    for n, (key, accepted_on) in enumerate(dates.items()):
        filing = demo_filing(name=f"往年备案机构{n}", decider=qc_user, seed=700 + n, region_code="220104")
        assert VerificationCase.objects.get(filing=filing).filed_on == today  # opened on acceptance
        date_back_acceptance(filing, accepted_on, actor=qc_user)
        filings[key] = filing
    config = apps.get_app_config("inspections")
    config.seed_demo(demo_ctx)
    first = snapshot()
    config.seed_demo(demo_ctx)
    assert snapshot() == first

    for case in VerificationCase.objects.select_related("filing"):
        assert case.filed_on == case.filing.filed_on
        assert case.due_on == verification_due_on(case.filed_on)
    case = {key: VerificationCase.objects.get(filing=filing) for key, filing in filings.items()}
    assert case["old"].filed_on == dates["old"]
    assert AuditEntry.objects.filter(action="inspections.verification.demo.dated_back",
                                     object_id=str(case["old"].pk)).count() == 2  # filed on, then signed off
    for key in ("old", "partly"):
        verified = case[key]
        assert verified.status == "signed_off"
        assert verified.filed_on < verified.scheduled_on <= verified.signed_off_on <= verified.due_on
        assert timezone.localdate(verified.started_at) == verified.scheduled_on
        assert all(timezone.localdate(at) == verified.scheduled_on
                   for at in ChecklistAnswer.objects.filter(case=verified).values_list("answered_at", flat=True))
    assert case["partly"].signed_off_on.year == last_year
    late = case["late"]
    assert late.status == "signed_off" and late.due_on < late.signed_off_on and late.signed_off_on.year == last_year
    # Its finding went to the ledger then, and was rectified in time.
    entries = LedgerEntry.objects.filter(source="onsite_verification", source_id=str(case["partly"].pk))
    assert entries.exists()
    for entry in entries:
        assert entry.status == "closed" and entry.opened_at.year == last_year
        assert case["partly"].signed_off_on == timezone.localdate(entry.opened_at) and entry.closed_on <= entry.due_on
    # The three whose months ended most recently are the overdue examples, nothing else is overdue.
    overdue = VerificationCase.objects.filter(status__in=["open", "scheduled"], due_on__lt=today)
    assert set(overdue.values_list("filing_id", flat=True)) == {filings[f"lapsed_{n}"].pk for n in (1, 2, 3)}
    assert sorted(overdue.values_list("status", flat=True)) == ["open", "open", "scheduled"]
