"""The figures of the report, from a small known dataset (see builders.build_dataset)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.annual.figures import compute_figures

from .builders import YEAR, assessment, build_dataset, scheme

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(dataset, other_province):
    return compute_figures(dataset.province.pk, YEAR)


def test_qc_counts_only_final_official_assessments_of_the_province_and_year(figures):
    qc = figures["qc"]

    assert (qc["assessments"], qc["institutions"], qc["passed"], qc["failed"]) == (3, 3, 2, 1)
    assert qc["pass_rate"] == 66.7
    assert qc["key_item_failed"] == 1
    assert qc["key_items"] == [{"code": "5.2.3", "title": "疑似职业病报告", "count": 1}]


def test_results_by_grade_highest_first_and_by_city(figures):
    qc = figures["qc"]

    assert qc["by_grade"] == [{"grade": "优秀", "count": 1}, {"grade": "合格", "count": 1},
                              {"grade": "不合格", "count": 1}]
    assert qc["by_city"] == [
        {"code": "220100", "name": "长春市", "total": 2, "passed": 2, "pass_rate": 100.0},
        {"code": "220200", "name": "吉林市", "total": 1, "passed": 0, "pass_rate": 0.0},
    ]


def test_key_indicators_are_summed_and_averaged_over_the_assessments_that_recorded_them(figures):
    ind = figures["qc"]["indicators"]

    assert ind["contraindications_found"] == {"value": 15, "recorded": 2}
    assert ind["contraindications_notified"] == {"value": 13, "recorded": 2}
    assert ind["contraindication_notification_rate"]["value"] == 86.7
    assert ind["suspected_found"] == {"value": 4, "recorded": 1}
    assert ind["suspected_report_rate"]["value"] == 100.0
    assert ind["diagnosis_accuracy"] == {"value": 95.0, "recorded": 2}
    assert ind["case_report_completeness"] == {"value": 96.0, "recorded": 1}
    assert ind["diagnosis_timeliness"] == {"value": None, "recorded": 0}


def test_coverage_against_a_yearly_rule(figures):
    cov = figures["qc"]["coverage"]

    assert cov["rule"] == "yearly_all"
    assert (cov["total"], cov["covered"], cov["percent"], cov["met"]) == (4, 3, 75.0, False)
    assert cov["uncovered"] == ["丁门诊部"]


def test_coverage_against_the_biennial_rule_counts_the_year_before(dataset):
    from qc.models import QCScheme

    QCScheme.objects.filter(province=dataset.province, year=YEAR).update(coverage_rule="biennial_all")
    assessment(dataset.orgs["D"], year=YEAR - 1, grade="合格")

    cov = compute_figures(dataset.province.pk, YEAR)["qc"]["coverage"]

    assert cov["rule"] == "biennial_all"
    assert (cov["covered"], cov["total"], cov["met"]) == (4, 4, True)


def test_trend_over_five_years(figures):
    assert [(t["year"], t["total"], t["passed"]) for t in figures["qc"]["trend"]] == [
        (2021, 0, 0), (2022, 0, 0), (2023, 0, 0), (2024, 1, 1), (2025, 3, 2)]


def test_rectification_opened_closed_overdue_by_source(figures):
    rect = figures["rectification"]

    assert (rect["opened"], rect["closed"], rect["closed_late"], rect["overdue"], rect["unrectified"]) == (
        6, 2, 1, 4, 1)
    by_source = {row["source"]: row for row in rect["by_source"]}
    assert by_source["qc_assessment"] | {} == {"source": "qc_assessment", "opened": 2, "closed": 2,
                                               "closed_late": 1, "overdue": 0, "unrectified": 0}
    assert (by_source["supervision"]["opened"], by_source["supervision"]["overdue"]) == (1, 2)
    assert (by_source["other"]["opened"], by_source["other"]["closed"], by_source["other"]["overdue"]) == (1, 0, 1)
    assert by_source["case_report_check"]["unrectified"] == 1
    months = {m["month"]: (m["opened"], m["closed"]) for m in rect["by_month"]}
    assert months[2] == (1, 0) and months[3] == (1, 1) and months[7] == (0, 1) and months[12] == (0, 0)


def test_verifications_on_time_late_and_open_at_year_end(figures):
    ver = figures["verifications"]

    assert (ver["due"], ver["on_time"], ver["late"], ver["open_overdue"], ver["signed_off"]) == (4, 1, 1, 2, 2)
    assert ver["on_time_rate"] == 25.0
    assert {o["outcome"]: o["count"] for o in ver["outcomes"]} == {"fit": 1, "fit_except": 1, "not_fit": 0}


def test_supervision_spot_checks_findings_and_final_penalties(figures):
    sup = figures["supervision"]

    assert (sup["planned"], sup["done"], sup["institutions"], sup["findings"]) == (3, 2, 2, 4)
    categories = {row["category"]: row["count"] for row in sup["findings_by_category"]}
    assert categories["not_reported"] == 2 and categories["no_archives"] == 1 and categories["other"] == 1
    assert sum(categories.values()) == 4 and len(categories) == 9
    assert (sup["penalties"], sup["warnings"], sup["fined"], sup["penalised_institutions"]) == (2, 1, 2, 2)
    assert sup["fine_total"] == 2.0


def test_nothing_from_another_province_is_counted(dataset, other_province):
    jilin = compute_figures(dataset.province.pk, YEAR)
    liaoning = compute_figures(other_province.province.pk, YEAR)

    assert jilin["qc"]["indicators"]["contraindications_found"]["value"] == 15
    assert (liaoning["qc"]["assessments"], liaoning["rectification"]["opened"], liaoning["verifications"]["due"],
            liaoning["supervision"]["done"], liaoning["supervision"]["fine_total"]) == (1, 1, 1, 1, 3.0)


def test_a_draft_result_moves_no_figure(dataset):
    before = compute_figures(dataset.province.pk, YEAR)
    for n in range(3):
        assessment(dataset.orgs["D"], status="draft", passed=False, grade="不合格", total=Decimal(n),
                   contraindications_found=50)

    assert compute_figures(dataset.province.pk, YEAR)["qc"] == before["qc"]


def test_figures_take_a_constant_number_of_queries(reference_data):
    from portal.regions.models import Region

    scheme(Region.objects.get(code="220000"))
    build_dataset("一")
    with CaptureQueriesContext(connection) as small:
        compute_figures(Region.objects.get(code="220000").pk, YEAR)
    for prefix in ("二", "三", "四"):
        build_dataset(prefix)
    with CaptureQueriesContext(connection) as large:
        figures = compute_figures(Region.objects.get(code="220000").pk, YEAR)

    assert figures["qc"]["assessments"] == 12
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 20


def test_year_boundaries_follow_local_time(dataset):
    from reporting.annual.tests.builders import entry

    entry(dataset.orgs["A"], source="qc_assessment", opened=date(YEAR, 12, 31), due=date(YEAR + 1, 3, 1))
    entry(dataset.orgs["A"], source="qc_assessment", opened=date(YEAR + 1, 1, 1), due=date(YEAR + 1, 3, 1))

    assert compute_figures(dataset.province.pk, YEAR)["rectification"]["opened"] == 7
