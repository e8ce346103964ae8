"""Yearly plan with live coverage and suggestions; self-assessment beside the official one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import OrgKind, Role
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc import selectors, services
from qc.choices import AssessmentKind, CoverageRule
from qc.models import QCScheme

from .test_workflow import fail_key_item

OLD = date.today() - timedelta(days=40)


def finalise(assessment, actor):
    services.assessment_send(assessment_id=assessment.pk, actor=actor, today=OLD)
    return services.assessment_finalise(assessment_id=assessment.pk, actor=actor)


def test_jilin_coverage_counts_only_final_assessments(make_assessment, qc_user, filed_institution, province):
    QCScheme.objects.filter(province=province).update(coverage_rule=CoverageRule.YEARLY_ALL)
    done = make_assessment(("dust",))
    make_assessment(("dust",))  # a draft does not count
    uncovered = filed_institution(("dust",), name="未考核机构")
    finalise(done, qc_user)
    result = selectors.coverage(province.pk, 2026)
    assert result.total == 3 and [o.pk for o in result.covered] == [done.institution_id]
    assert uncovered in result.uncovered and not result.met and str(result.percent) == "33.3"


def test_national_floor_counts_last_year_too(make_assessment, qc_user, province):
    done = make_assessment(("dust",))
    finalise(done, qc_user)
    assert selectors.coverage(province.pk, 2027).met
    assert not selectors.coverage(province.pk, 2028).met


def test_shanxi_rule_counts_provincial_share_and_each_city(make_assessment, make_user, province):
    QCScheme.objects.filter(province=province).update(coverage_rule=CoverageRule.PROVINCIAL_SHARE_CITY_ALL)
    city_center = OrganisationFactory(kind=OrgKind.QC_CENTER, province=province,
                                      region=Region.objects.get(code="220100"))
    city_user = make_user(Role.QC_CENTER, organisation=city_center)
    provincial_user = make_user(Role.QC_CENTER)
    by_province = make_assessment(("dust",), )
    by_province.team.add(provincial_user)
    finalise(by_province, provincial_user)
    result = selectors.coverage(province.pk, 2026)
    assert result.provincial_covered == 1 and result.provincial_percent == 100
    assert result.cities[0].covered == 0 and not result.met
    city_assessment = services.assessment_create(
        province=province, institution=by_province.institution, year=2026, assessed_on=date(2026, 7, 1),
        team_ids=[city_user.pk], actor=city_user)
    finalise(city_assessment, city_user)
    result = selectors.coverage(province.pk, 2026)
    assert result.cities[0].met and result.met


def test_plan_items_and_suggestions_with_reasons(make_assessment, qc_user, province, filed_institution):
    plan = services.plan_create(province=province, year=2026, actor=qc_user)
    with pytest.raises(ValidationError):
        services.plan_create(province=province, year=2026, actor=qc_user)
    failed = make_assessment(("dust",))
    fail_key_item(failed, qc_user)
    finalise(failed, qc_user)
    busy = filed_institution(("dust",), name="体检量大机构")
    services.plan_item_add(plan_id=plan.pk, institution=busy, planned_month=5, assessed_by=qc_user.organisation,
                           complaints=2, workers_examined=50000, actor=qc_user)
    with pytest.raises(ValidationError):
        services.plan_item_add(plan_id=plan.pk, institution=busy, planned_month=13,
                               assessed_by=busy, actor=qc_user)
    reasons = {s.institution.pk: s.reasons for s in selectors.extra_assessment_suggestions(plan)}
    assert any("关键项不合格" in r for r in reasons[failed.institution_id])
    assert any("投诉举报 2 件" in r for r in reasons[busy.pk]) and any("体检量大" in r for r in reasons[busy.pk])


def test_plan_pages(qc_user, province, make_user, samples):
    client = Client()
    client.force_login(qc_user)
    response = client.post(reverse("qc:plan-list"), {"year": "2026", "notes": "全覆盖"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="coverage"' in page and "每两年至少考核一次" in page
    other = Client()
    other.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert other.get(response["Location"]).status_code == 404


def test_self_assessment_by_the_institution_shown_beside(make_assessment, qc_user, make_user, province):
    official = make_assessment(("dust",))
    inst = make_user(Role.INSTITUTION, organisation=official.institution)
    stranger = make_user(Role.INSTITUTION)
    with pytest.raises(PermissionDenied):
        services.assessment_create(province=province, institution=official.institution, year=2026,
                                   assessed_on=date(2026, 5, 1), actor=stranger, kind=AssessmentKind.SELF)
    with pytest.raises(PermissionDenied):
        services.assessment_create(province=province, institution=official.institution, year=2026,
                                   assessed_on=date(2026, 5, 1), actor=inst, kind=AssessmentKind.OFFICIAL)
    client = Client()
    client.force_login(inst)
    response = client.post(reverse("qc:self-create"), {"institution": official.institution_id, "year": "2026",
                                                       "assessed_on": "2026-05-01"})
    assert response.status_code == 302
    own = selectors.self_assessments_for(inst).get()
    fail_key_item(own, inst)
    with pytest.raises(PermissionDenied):
        fail_key_item(own, qc_user)
    assert client.post(reverse("qc:self-finalise", args=[own.pk])).status_code == 302
    page = Client()
    page.force_login(qc_user)
    html = page.get(reverse("qc:assessment-detail", args=[official.pk])).content.decode()
    assert 'data-testid="self-beside"' in html
    # A self-assessment never counts as a final result.
    assert selectors.latest_final_assessment(institution=official.institution) is None
    assert client.get(reverse("qc:self-detail", args=[official.pk])).status_code == 404


@pytest.mark.parametrize("rule", CoverageRule.values)
def test_plan_page_queries_do_not_grow_with_the_plan(rule, qc_user, province, samples, filed_institution):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    QCScheme.objects.filter(province=province).update(coverage_rule=rule)
    OrganisationFactory(kind=OrgKind.QC_CENTER, province=province, region=Region.objects.get(code="220100"))
    plan = services.plan_create(province=province, year=2026, actor=qc_user)
    client = Client()
    client.force_login(qc_user)
    page = reverse("qc:plan-detail", args=[plan.pk])

    def plan_institutions(n):
        for _ in range(n):
            services.plan_item_add(plan_id=plan.pk, institution=filed_institution(("dust",)), planned_month=6,
                                   assessed_by=qc_user.organisation, complaints=1, workers_examined=30000,
                                   actor=qc_user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        return len(queries)

    plan_institutions(3)
    few = count()
    plan_institutions(17)
    assert plan.items.count() == 20
    many = count()
    # Session, user, organisation and its province (4); the plan and its items (2); coverage: rule, institutions,
    # finals, city centers (4); suggestions: institutions, finals, two ledger reads, items (5); notifications
    # badge (1); the add form's two choice lists (2); the session saved in a savepoint (3); the year's assessments
    # of the planned institutions, linked from their rows (1).
    assert many == few <= 22, (few, many)


def test_a_planned_row_starts_its_assessment_and_then_links_it(qc_user, province, filed_institution, samples):
    org = filed_institution(("dust",), name="计划内机构")
    plan = services.plan_create(province=province, year=2026, actor=qc_user)
    services.plan_item_add(plan_id=plan.pk, institution=org, planned_month=5, assessed_by=qc_user.organisation,
                           actor=qc_user)
    client = Client()
    client.force_login(qc_user)
    page = client.get(reverse("qc:plan-detail", args=[plan.pk])).content.decode()
    start = f'{reverse("qc:assessment-create")}?institution={org.pk}&amp;year=2026'
    assert start in page
    form = client.get(start.replace("&amp;", "&")).content.decode()
    assert f'<option value="{org.pk}" selected>' in form and 'name="year" value="2026"' in form
    response = client.post(reverse("qc:assessment-create"), {
        "institution": org.pk, "year": "2026", "assessed_on": "2026-05-20", "kind": "official", "team": [qc_user.pk]})
    assert response.status_code == 302
    page = client.get(reverse("qc:plan-detail", args=[plan.pk])).content.decode()
    assert start not in page and response["Location"] in page and "评分中" in page
