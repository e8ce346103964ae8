"""The institution's own home panel: its filing and what it has to do, for its own institution only,
links that lead to pages showing the same count, a constant number of queries, and a way to start
for an institution that has filed nothing yet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from filing.choices import FilingStatus, VersionStatus
from filing.models import Filing, FilingVersion
from inspections.choices import VerificationStatus
from inspections.models import VerificationCase
from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from qc.choices import AssessmentStatus
from qc.ledger.choices import LedgerStatus
from qc.models import QCScheme
from reporting.dashboards import selectors

from . import builders
from .test_dashboards import figures, home, rows_behind

pytestmark = pytest.mark.django_db


@dataclass
class Institutions:
    """A1 (the Jilin county's) with known matters of its own; A2 (the same city), B1 (another city) and
    L1 (Liaoning) with rows of the same kinds that A1's panel must never count; A3 (the city itself)
    verified and with nothing to do."""

    today: date
    a1: Organisation
    a2: Organisation
    a3: Organisation
    b1: Organisation
    l1: Organisation
    change: FilingVersion


def _liaoning_institution() -> Organisation:
    org = Organisation.objects.get(kind=OrgKind.INSTITUTION, province__code="210000",
                                   filings__status=FilingStatus.ACCEPTED)
    org._filing = Filing.objects.get(institution=org)
    org._filing._version = org._filing.current_version
    return org


@pytest.fixture
def inst(dataset) -> Institutions:
    today = dataset.today
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    a1, a2, a3, b1 = (dataset.accepted[k] for k in ("a1", "a2", "a3", "b1"))
    l1 = _liaoning_institution()
    Filing.objects.filter(pk=a1._filing.pk).update(filed_on=d(-200))
    # A change under way, sent back for correction; its own declarations are not in force yet.
    change = builders.open_version(a1, status=VersionStatus.RETURNED)
    builders.certificates(change, [d(-5)])
    # The current version: certificates expired 1, within 30 days 3 (today, +10, +30); +31 and undated are not due.
    builders.certificates(a1._filing._version, [d(-2), d(0), d(10), d(30), d(31), None])
    builders.equipment(a1._filing._version, [d(-1), d(-30), d(5), d(90), None])
    for other in (a2, b1, l1):
        builders.certificates(other._filing._version, [d(-1), d(3)])
        builders.equipment(other._filing._version, [d(-1)])
    # Results sent: A1 two within the window (the nearest +2), one whose window closed, one already answered.
    year = today.year
    scheme = QCScheme.objects.get(province__code="220000")
    builders.assessments([a1, a1, a1], scheme=scheme, year=year, passed=[None] * 3, status=AssessmentStatus.SENT,
                         response_due_on=[d(5), d(2), d(-1)])
    builders.assessments([a1], scheme=scheme, year=year, passed=[None], status=AssessmentStatus.RESPONDED,
                         response_due_on=[d(3)])
    builders.assessments([a2, b1], scheme=scheme, year=year, passed=[None] * 2, status=AssessmentStatus.SENT,
                         response_due_on=[d(1), d(1)])
    builders.assessments([l1], scheme=QCScheme.objects.get(province__code="210000"), year=year, passed=[None],
                         status=AssessmentStatus.SENT, response_due_on=[d(1)])
    # Ledger (with the dataset's): A1 not settled 3 (open -3, accepted +10, fix reported +4), overdue 1.
    builders.ledger_entries([a1], [d(4)], [LedgerStatus.FIX_SUBMITTED])
    # The dataset's open verification of A1 (due +10) is now scheduled for +7.
    VerificationCase.objects.filter(institution=a1).update(status=VerificationStatus.SCHEDULED, scheduled_on=d(7))
    # Off-site (with the dataset's +3): one under way since yesterday, one over.
    builders.off_site([a1, a1], [d(-1), d(-10)])
    return Institutions(today=today, a1=a1, a2=a2, a3=a3, b1=b1, l1=l1, change=change)


def _user(make_user, org):
    return make_user(Role.INSTITUTION, organisation=org)


def _panel_figures(client, user) -> tuple[str, dict]:
    page = home(client, user)
    return page, {k: v for k, v in figures(page).items() if k.startswith("inst-")}


# ---- The right figures ---------------------------------------------------------------------------

def test_an_institution_sees_its_own_filing_and_what_it_has_to_do(client, inst, make_user):
    d = lambda n: (inst.today + timedelta(days=n)).isoformat()  # noqa: E731
    page, shown = _panel_figures(client, _user(make_user, inst.a1))
    assert {k: v[0] for k, v in shown.items()} == {
        "inst-filing-number-examination": inst.a1._filing.filing_number,
        "inst-filing-status-examination": "已备案",
        "inst-filing-date-examination": d(-200),
        "inst-change-examination": "已退回",
        "inst-ledger-open": "3", "inst-ledger-overdue": "1", "inst-ledger-next-due": d(4),
        "inst-qc-awaiting": "2", "inst-qc-response-due": d(2), "inst-qc-latest": "合格",
        "inst-verification-status": "已安排", "inst-verification-date": d(7), "inst-verification-due": d(10),
        "inst-off-site-upcoming": "2", "inst-off-site-next": d(3),
        "inst-certificates-expired": "1", "inst-certificates-soon": "3",
        "inst-calibrations-expired": "2", "inst-calibrations-soon": "1",
    }
    assert f"{inst.today.year}年考核结果" in page
    # A returned change needs the institution's action: shown as a problem, with what to do.
    group = re.search(r'data-testid="inst-filing-examination">(.*?)</section>', page, re.S).group(1)
    assert 'dash-figure bad text"><dt>变更备案' in group
    assert "已退回补正" in group
    assert 'data-testid="institution-panel"' in page
    # The three cards stay.
    for card in (reverse("filing:index"), reverse("inspections:index"), reverse("qc:index")):
        assert f'<a href="{card}">' in page


def test_a_filing_waiting_for_its_receipt_shows_the_receipt_date(client, dataset, make_user):
    due = dataset.today + timedelta(days=5)
    org = builders.waiting_filings([dataset.county], [due], start=700)[0]
    page, shown = _panel_figures(client, _user(make_user, org))
    assert {k: v[0] for k, v in shown.items()} == {
        "inst-filing-number-examination": "—", "inst-filing-status-examination": "已提交待受理",
        "inst-filing-date-examination": "—", "inst-receipt-due-examination": due.isoformat(),
    }
    # Nothing else exists before the first acceptance: no column of zeros, a word of what comes next.
    assert 'data-testid="institution-not-yet-filed"' in page
    assert "等待受理部门出具回执" in page


def test_a_submitted_change_shows_its_receipt_date(client, inst, make_user):
    due = inst.today + timedelta(days=8)
    FilingVersion.objects.filter(pk=inst.change.pk).update(status=VersionStatus.SUBMITTED, receipt_due_on=due)
    page, shown = _panel_figures(client, _user(make_user, inst.a1))
    assert shown["inst-change-examination"][0] == "已提交"
    assert shown["inst-receipt-due-examination"][0] == due.isoformat()
    assert "bad" not in re.search(r'<div class="([^"]*)"><dt>变更备案', page).group(1)


def test_a_fresh_registration_is_invited_to_start_its_filing(client, reference_data, make_user):
    user = make_user(Role.INSTITUTION)
    page = home(client, user)
    assert 'data-testid="institution-start"' in page
    assert "本机构尚未开始备案。" in page
    assert not [k for k in figures(page) if k.startswith("inst-")]  # no zeros
    start = re.search(r'<a class="button" href="([^"]+)" data-testid="institution-start-link">', page).group(1)
    response = client.get(start)
    assert response.status_code == 200
    assert 'action="/filing/start/"' in response.content.decode()


def test_a_draft_filing_says_what_to_do(client, reference_data, make_user):
    from filing.services import filing_start

    user = make_user(Role.INSTITUTION)
    filing_start(institution=user.organisation, kind="examination", actor=user)
    page, shown = _panel_figures(client, user)
    assert shown["inst-filing-status-examination"][0] == "填报中"
    assert "尚未提交：请完成填报后提交。" in page
    assert "inst-ledger-open" not in shown


# ---- Never another institution's rows ------------------------------------------------------------

@pytest.mark.parametrize("who, expected", [
    # Another city of the same province.
    ("b1", {"inst-ledger-open": "1", "inst-ledger-overdue": "1", "inst-ledger-next-due": "—",
            "inst-qc-awaiting": "1", "inst-verification-status": "待安排", "inst-off-site-upcoming": "0",
            "inst-off-site-next": "—", "inst-certificates-expired": "1", "inst-certificates-soon": "1",
            "inst-calibrations-expired": "1", "inst-calibrations-soon": "0"}),
    # The same city, another county.
    ("a2", {"inst-ledger-open": "0", "inst-ledger-overdue": "0", "inst-qc-awaiting": "1",
            "inst-qc-latest": "不合格", "inst-off-site-upcoming": "1", "inst-certificates-expired": "1"}),
    # Verified, its draft result not sent, nothing to rectify.
    ("a3", {"inst-ledger-open": "0", "inst-ledger-next-due": "—", "inst-qc-awaiting": "0",
            "inst-qc-response-due": "—", "inst-verification-status": "无", "inst-off-site-upcoming": "0",
            "inst-certificates-expired": "0", "inst-calibrations-soon": "0"}),
    # Another province.
    ("l1", {"inst-ledger-open": "1", "inst-ledger-overdue": "1", "inst-qc-awaiting": "1",
            "inst-verification-status": "待安排", "inst-off-site-upcoming": "1", "inst-certificates-expired": "1",
            "inst-certificates-soon": "1"}),
])
def test_each_institution_counts_its_own_rows_only(client, inst, make_user, who, expected):
    _page, shown = _panel_figures(client, _user(make_user, getattr(inst, who)))
    assert {k: shown[k][0] for k in expected} == expected
    assert "inst-change-examination" not in shown
    if who == "a3":  # no final result of this or last year: no figure rather than a blank one
        assert "inst-qc-latest" not in shown


def test_other_institutions_rows_do_not_move_the_figures(client, inst, make_user):
    user = _user(make_user, inst.a1)
    _page, before = _panel_figures(client, user)
    d = inst.today
    others = [inst.a2, inst.b1, inst.l1]
    builders.ledger_entries(others * 3, [d + timedelta(days=i % 9 - 4) for i in range(9)], [LedgerStatus.OPEN] * 9)
    builders.off_site(others, [d, d, d])
    for org in others:
        builders.certificates(org._filing._version, [d, d - timedelta(days=3)])
    _page, after = _panel_figures(client, user)
    assert after == before


# ---- Links --------------------------------------------------------------------------------------

QC_RESULT_ROW = re.compile(r'<tr><td><a href="/qc/results/(\d+)/">\d+</a></td><td>[^<]*</td><td>([^<]*)</td>'
                           r'<td>([^<]*)</td>')
CERTIFICATE_DATE = re.compile(r"（至(\d{4}-\d{2}-\d{2})")
EQUIPMENT_DATE = re.compile(r"<td>(\d{4}-\d{2}-\d{2})")


def _awaiting_results(page: str, today: date) -> int:
    """Rows of the results list sent and waiting for a response whose due date has not passed."""
    sent = str(AssessmentStatus.SENT.label)
    return sum(1 for _pk, status, due in QC_RESULT_ROW.findall(page) if status == sent and due >= today.isoformat())


def _expiring_on_version_page(page: str, testid: str, today: date) -> int:
    """The certificates or calibrations the version page lists with a date past, or within 30 days."""
    table = "version-staff" if "certificates" in testid else "version-equipment"
    body = re.search(rf'data-testid="{table}">(.*?)</table>', page, re.S).group(1)
    dates = [date.fromisoformat(x) for x in (CERTIFICATE_DATE if table == "version-staff" else EQUIPMENT_DATE)
             .findall(body)]
    if testid.endswith("expired"):
        return sum(1 for x in dates if x < today)
    return sum(1 for x in dates if today <= x <= today + timedelta(days=selectors.DUE_SOON_DAYS))


@pytest.mark.parametrize("who", ["a1", "b1", "l1"])
def test_every_figure_links_to_a_page_showing_the_same_count(client, inst, make_user, who):
    _page, shown = _panel_figures(client, _user(make_user, getattr(inst, who)))
    counted = 0
    for testid, (value, url) in shown.items():
        if not url:
            continue
        response = client.get(url)
        assert response.status_code == 200, (testid, url)
        if not value.isdigit():
            continue
        page = response.content.decode()
        path = url.split("?")[0]
        if path.startswith("/qc/results/"):
            found = len(QC_RESULT_ROW.findall(page))  # the list filtered to those awaiting a response
            assert found == _awaiting_results(page, inst.today), url
        elif path.startswith("/filing/versions/"):
            found = _expiring_on_version_page(page, testid, inst.today)
        else:
            found = rows_behind(client, url)
        assert found == int(value), (testid, url)
        counted += 1
    assert counted >= 8


def test_the_nearest_due_date_leads_to_the_entries_due_that_day(client, inst, make_user):
    user = _user(make_user, inst.a1)
    _page, shown = _panel_figures(client, user)
    value, url = shown["inst-ledger-next-due"]
    assert rows_behind(client, url) == 1
    page = client.get(url).content.decode()
    assert value in page


def test_text_figures_lead_to_the_filing_the_verification_and_the_result(client, inst, make_user):
    _page, shown = _panel_figures(client, _user(make_user, inst.a1))
    filing_page = client.get(shown["inst-filing-number-examination"][1]).content.decode()
    assert inst.a1._filing.filing_number in filing_page and 'data-testid="returned-deficiencies"' in filing_page
    assert shown["inst-verification-status"][1] == reverse(
        "inspections:verification-detail", args=[VerificationCase.objects.get(institution=inst.a1).pk])
    assert shown["inst-qc-latest"][1].startswith("/qc/results/")


# ---- The same rows as the reminders ---------------------------------------------------------------

def test_expiry_counts_the_rows_the_reminders_follow(inst, make_user):
    from reporting.reminders.registry import InstitutionStaff
    from reporting.reminders.sources.filing import calibration_expiry, certificate_expiry

    today, last = inst.today, inst.today + timedelta(days=selectors.DUE_SOON_DAYS)
    for org in (inst.a1, inst.b1, inst.l1):
        user = _user(make_user, org)
        figures_now = selectors.institution_expiry(user, today=today)
        for source, expired, soon in ((certificate_expiry, figures_now.certificates_expired,
                                       figures_now.certificates_soon),
                                      (calibration_expiry, figures_now.calibrations_expired,
                                       figures_now.calibrations_soon)):
            dues = [d.due_date for d in source(today=today) if InstitutionStaff(org.pk) in d.recipients]
            assert (sum(1 for x in dues if x < today), sum(1 for x in dues if today <= x <= last)) == (expired, soon)


# ---- Constant queries -----------------------------------------------------------------------------

def test_institution_home_queries_do_not_grow_with_the_rows(client, inst, make_user, django_assert_num_queries):
    client.force_login(_user(make_user, inst.a1))
    url = reverse("core:home")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    d, n = inst.today, 30
    a1, version = inst.a1, inst.a1._filing._version
    scheme = QCScheme.objects.get(province__code="220000")
    builders.ledger_entries([a1] * n, [d + timedelta(days=i % 20 - 10) for i in range(n)],
                            [list(LedgerStatus)[i % len(LedgerStatus)] for i in range(n)])
    builders.assessments([a1] * n, scheme=scheme, year=d.year, passed=[None] * n, status=AssessmentStatus.SENT,
                         response_due_on=[d + timedelta(days=i % 7 - 2) for i in range(n)])
    builders.off_site([a1] * n, [d + timedelta(days=i % 10 - 3) for i in range(n)])
    builders.certificates(version, [d + timedelta(days=i % 60 - 20) for i in range(n)])
    builders.equipment(version, [d + timedelta(days=i % 60 - 20) for i in range(n)])
    builders.certificates(inst.change, [d] * n)
    others = builders.institutions([inst.a2.region, inst.b1.region], 10, start=3000)
    builders.ledger_entries(others, [d] * 10, [LedgerStatus.OPEN] * 10)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(small) <= 25


# ---- Who gets it --------------------------------------------------------------------------------

def test_staff_of_a_deactivated_institution_get_no_panel(client, inst, make_user):
    user = _user(make_user, inst.a1)
    Organisation.objects.filter(pk=inst.a1.pk).update(is_active=False)
    page = home(client, user)
    assert 'data-testid="institution-panel"' not in page


@pytest.mark.parametrize("role", [Role.COMMISSION_PROVINCE, Role.QC_CENTER, Role.NATIONAL, Role.PROVINCE_ADMIN])
def test_authorities_do_not_get_the_institution_panel(client, reference_data, make_user, role):
    page = home(client, make_user(role))
    assert 'data-testid="institution-panel"' not in page
