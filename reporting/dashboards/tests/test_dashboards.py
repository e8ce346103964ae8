"""The authorities' home dashboards: right figures per role, nothing from another area, links that
lead to lists showing the same count, a constant number of queries, charts on the page."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.choices import Role
from qc.ledger.choices import LedgerStatus
from reporting.dashboards import selectors

from . import builders

pytestmark = pytest.mark.django_db

# How each list page marks one row, by path prefix (the first match wins).
ROW_PATTERNS = [
    ("/filing/queue/", r'href="/filing/versions/(\d+)/"'),
    ("/filing/", r'href="/filing/(\d+)/"'),
    ("/inspections/verifications/", r'href="/inspections/verifications/(\d+)/"'),
    ("/inspections/off-site/upcoming/", r'href="/inspections/off-site/(\d+)/"'),
    ("/ledger/", r'data-entry="(\d+)"'),
    ("/qc/assessments/", r'href="/qc/assessments/(\d+)/"'),
]


def figures(page: str) -> dict[str, tuple[str, str]]:
    """data-testid -> (value, href) of every figure on the dashboard."""
    found = {}
    for testid, body in re.findall(r'<dd data-testid="([\w-]+)">(.*?)</dd>', page, re.S):
        link = re.match(r'<a href="([^"]*)">(.*)</a>', body)
        found[testid] = (html.unescape(link.group(2)), html.unescape(link.group(1))) if link else (body, "")
    return found


def rows_behind(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    path = url.split("?")[0]
    pattern = next(p for prefix, p in ROW_PATTERNS if path.startswith(prefix))
    return len(set(re.findall(pattern, response.content.decode())))


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


# ---- Figures per role -----------------------------------------------------------------------------

EXPECTED = {
    "province": {"filings-waiting": "3", "filings-overdue": "2", "verifications-due": "1",
                 "verifications-overdue": "2", "coverage-total": "5", "coverage-covered": "3",
                 "coverage-percent": "60.0%", "ledger-open": "3", "ledger-overdue": "3", "ledger-refused": "1",
                 "ledger-failed": "1", "off-site-upcoming": "3", "off-site-week": "2"},
    "city": {"filings-waiting": "2", "filings-overdue": "1", "verifications-due": "1", "verifications-overdue": "1",
             "coverage-total": "3", "coverage-covered": "2", "coverage-percent": "66.7%", "ledger-open": "2",
             "ledger-overdue": "2", "ledger-refused": "1", "ledger-failed": "0", "off-site-upcoming": "2",
             "off-site-week": "1"},
    "county": {"filings-waiting": "2", "filings-overdue": "1", "verifications-due": "1",
               "verifications-overdue": "0", "coverage-total": "1", "coverage-covered": "1",
               "coverage-percent": "100.0%", "ledger-open": "2", "ledger-overdue": "1", "ledger-refused": "0",
               "ledger-failed": "0", "off-site-upcoming": "1", "off-site-week": "1"},
    # Supervision follows up what escalated: overdue, refused or failed entries only.
    "supervision": {"ledger-open": "2", "ledger-overdue": "3", "ledger-refused": "1", "ledger-failed": "1",
                    "filings-waiting": "3", "verifications-overdue": "2"},
    "liaoning": {"filings-waiting": "1", "filings-overdue": "1", "verifications-due": "0",
                 "verifications-overdue": "1", "coverage-total": "1", "coverage-covered": "1", "ledger-open": "1",
                 "ledger-overdue": "1", "ledger-refused": "0", "off-site-upcoming": "1"},
}
EXPECTED["qc"] = EXPECTED["province"]
EXPECTED["disease_control"] = EXPECTED["province"]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_home_shows_the_figures_of_the_jurisdiction(client, dataset, users, who):
    shown = figures(home(client, users[who]))
    assert {k: shown[k][0] for k in EXPECTED[who]} == EXPECTED[who]


def test_pass_rates_by_year_and_city_count_final_official_results_only(dataset, users):
    year = dataset.today.year
    trend = selectors.pass_rate_by_year(users["province"], today=dataset.today)
    assert [(r.key, r.total, r.passed) for r in trend[-2:]] == [(year - 1, 3, 1), (year, 3, 2)]
    assert [r.percent for r in trend[-2:]] == [Decimal("33.3"), Decimal("66.7")]
    assert trend[0].percent is None  # no results that year: a gap in the line, not 0 %
    areas = selectors.pass_rate_by_area(users["province"], year=year)
    assert [(r.key, r.total, r.passed) for r in areas] == [(dataset.changchun.pk, 2, 1),
                                                           (dataset.other_city.pk, 1, 1)]
    # A city sees its counties, and nothing of the other city or province.
    areas = selectors.pass_rate_by_area(users["city"], year=year)
    assert [(r.key, r.total, r.passed) for r in areas] == [(dataset.county.pk, 1, 1), (dataset.county2.pk, 1, 0)]
    assert [(r.total, r.passed) for r in selectors.pass_rate_by_year(users["liaoning"], today=dataset.today)[-1:]] \
        == [(1, 1)]


def test_coverage_follows_the_province_rule(dataset, users):
    from qc.choices import CoverageRule
    from qc.selectors import coverage

    figures_now = selectors.coverage_figures(users["province"], year=dataset.today.year)
    assert (figures_now.rule, figures_now.total, figures_now.covered) == (CoverageRule.YEARLY_ALL, 5, 3)
    # The provincial count is the QC plan page's own figure.
    assert figures_now.covered == len(coverage(users["province"].organisation.province_id,
                                               dataset.today.year).covered)
    assert not figures_now.met
    # Under the national floor (every two years) last year's results count too: B2 was assessed then.
    builders.scheme(users["province"].organisation.province, dataset.today.year, rule=CoverageRule.BIENNIAL_ALL)
    biennial = selectors.coverage_figures(users["province"], year=dataset.today.year)
    assert (biennial.total, biennial.covered) == (5, 4)


def test_national_reads_every_province_side_by_side(client, dataset, users):
    data = selectors.national_by_province(users["national"], today=dataset.today)
    rows = {r.province.code: r for r in data.rows}
    assert set(rows) == {"220000", "210000"}
    jilin, liaoning = rows["220000"], rows["210000"]
    assert (jilin.filings_waiting, jilin.filings_overdue, jilin.verifications_overdue) == (3, 2, 2)
    assert (jilin.ledger_open, jilin.ledger_overdue, jilin.assessed, jilin.passed) == (3, 3, 3, 2)
    assert (jilin.institutions, jilin.covered) == (5, 3)
    assert (liaoning.filings_waiting, liaoning.ledger_overdue, liaoning.passed, liaoning.covered) == (1, 1, 1, 1)
    page = home(client, users["national"])
    assert 'data-testid="national-table"' in page and 'data-testid="province-210000"' in page
    assert 'data-testid="chart-pass-by-province"' in page and "<svg" in page


# ---- Links lead to lists with the same count ----------------------------------------------------

@pytest.mark.parametrize("who", ["province", "qc", "city", "county", "supervision", "liaoning"])
def test_every_figure_links_to_a_list_showing_the_same_count(client, dataset, users, who):
    shown = figures(home(client, users[who]))
    followed = 0
    for testid, (value, url) in shown.items():
        if not url or testid.startswith("coverage"):
            continue
        assert rows_behind(client, url) == int(value), (testid, url)
        followed += 1
    assert followed >= 9


def test_national_links_lead_to_the_province_rows(client, dataset, users):
    page = home(client, users["national"])
    row = re.search(r'data-testid="province-220000">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<a href="([^"]*)">(\d+)</a>', row)
    assert len(cells) == 5
    for url, value in cells:
        assert rows_behind(client, html.unescape(url)) == int(value), url


def test_pass_rate_bars_link_to_the_results_behind_them(client, dataset, users):
    page = home(client, users["qc"])
    chart = re.search(r'data-testid="chart-pass-by-area">(.*?)</svg>', page, re.S).group(1)
    links = [html.unescape(u) for u in re.findall(r'<a href="([^"]*)">', chart)]
    assert len(links) == 2
    assert [rows_behind(client, u) for u in links] == [2, 1]
    trend = re.search(r'data-testid="chart-pass-by-year">(.*?)</svg>', page, re.S).group(1)
    assert [rows_behind(client, html.unescape(u)) for u in re.findall(r'<a href="([^"]*)">', trend)] == [3, 3]


def test_coverage_links_the_qc_center_to_its_plan_and_others_to_nothing(client, dataset, users):
    from qc.models import QCPlan

    plan = QCPlan.objects.create(province=users["qc"].organisation.province, year=dataset.today.year)
    shown = figures(home(client, users["qc"]))
    assert shown["coverage-covered"][1] == reverse("qc:plan-detail", args=[plan.pk])
    assert client.get(shown["coverage-covered"][1]).status_code == 200
    # A commission cannot open the QC plan: the figure is shown without a link it could not follow.
    assert figures(home(client, users["province"]))["coverage-covered"] == ("3", "")


def test_charts_are_drawn_on_the_page_with_their_titles(client, dataset, users):
    page = home(client, users["province"])
    for testid in ("chart-pass-by-area", "chart-pass-by-year", "chart-ledger"):
        block = re.search(rf'data-testid="{testid}">(.*?)</div>', page, re.S).group(1)
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in block
    assert "质控考核合格率（按年度）" in page
    assert ">66.7<" in page and ">33.3<" in page  # the yearly points carry their value


# ---- Who sees a dashboard -----------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN])
def test_other_roles_get_no_dashboard(client, dataset, make_user, role):
    page = home(client, make_user(role))
    assert 'data-testid="dashboard"' not in page


def test_a_user_without_an_organisation_gets_no_figures(client, reference_data):
    from portal.testing.factories import UserFactory

    page = home(client, UserFactory(organisation=None))
    assert 'data-testid="dashboard"' not in page


# ---- Constant queries -----------------------------------------------------------------------------

def _grow(dataset, factor: int) -> None:
    """More of every kind of row in the same areas."""
    from qc.models import QCScheme

    d = dataset.today
    regions = [dataset.county, dataset.county2, dataset.changchun, dataset.other_county]
    orgs = builders.institutions(regions, 8 * factor, start=1000)
    builders.waiting_filings(regions, [d + timedelta(days=i % 7 - 3) for i in range(6 * factor)], start=5000)
    builders.verifications(orgs, [d + timedelta(days=i % 60 - 20) for i in range(len(orgs))])
    scheme = QCScheme.objects.get(province__code="220000")
    builders.assessments(orgs, scheme=scheme, year=d.year, passed=[i % 3 > 0 for i in range(len(orgs))])
    statuses = list(LedgerStatus)
    builders.ledger_entries(orgs * 3, [d + timedelta(days=i % 40 - 20) for i in range(len(orgs) * 3)],
                            [statuses[i % len(statuses)] for i in range(len(orgs) * 3)])
    builders.off_site(orgs, [d + timedelta(days=i % 10) for i in range(len(orgs))])


@pytest.mark.parametrize("who", ["province", "qc", "city", "county", "supervision", "national"])
def test_home_queries_do_not_grow_with_the_rows(client, dataset, users, who, django_assert_num_queries):
    client.force_login(users[who])
    url = reverse("core:home")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(dataset, 5)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(small) <= 25


def test_shanxi_rule_counts_the_provincial_share_and_each_city_by_its_own_center(dataset, users, make_user):
    from portal.accounts.choices import OrgKind
    from portal.testing.factories import OrganisationFactory
    from qc.choices import CoverageRule
    from qc.models import Assessment

    province = users["province"].organisation.province
    builders.scheme(province, dataset.today.year, rule=CoverageRule.PROVINCIAL_SHARE_CITY_ALL)
    provincial = OrganisationFactory(kind=OrgKind.QC_CENTER, province=province, region=province)
    changchun_center = OrganisationFactory(kind=OrgKind.QC_CENTER, province=province, region=dataset.changchun)
    a = dataset.accepted
    Assessment.objects.filter(institution=a["a1"], year=dataset.today.year).update(assessing_body=changchun_center)
    Assessment.objects.filter(institution__in=[a["a2"], a["b1"]], year=dataset.today.year).update(
        assessing_body=provincial)
    figures_now = selectors.coverage_figures(users["province"], year=dataset.today.year)
    assert (figures_now.total, figures_now.covered, figures_now.provincial_covered, figures_now.city_covered) == (
        5, 3, 2, 1)
    assert figures_now.provincial_percent == Decimal("40.0") and figures_now.required_percent == 30
    assert not figures_now.met  # the cities have not covered all of their institutions
