"""The report's pages: the commission compiles and submits; readers read; the national level sees
submitted reports only and compares them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.accounts.choices import Role
from reporting.annual.choices import ReportStatus
from reporting.annual.models import ProvincialReport
from reporting.annual.services import report_generate, report_generation_request, report_open, report_submit

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _submitted(province, year, actor, django_capture_on_commit_callbacks=None):
    report = report_open(province=province, year=year, actor=actor, today=TODAY)
    report = report_generation_request(report_id=report.pk, actor=actor)
    report_generate(report_id=report.pk, token=report.generation_token)
    return report_submit(report_id=report.pk, actor=actor, today=TODAY)


def test_the_commission_compiles_generates_and_submits(client_for, commission, dataset,
                                                       django_capture_on_commit_callbacks):
    client = client_for(commission)
    index = client.get(reverse("annual_reports:index"))
    assert index.status_code == 200 and 'data-testid="start-2025"' in index.content.decode()

    response = client.post(reverse("annual_reports:create"), {"year": 2025})
    report = ProvincialReport.objects.get(province=dataset.province, year=2025)
    assert response.url == reverse("annual_reports:detail", args=[report.pk])
    page = client.get(response.url).content.decode()
    assert 'data-testid="live-note"' in page and 'data-figure="assessments">3<' in page
    assert "各市（州）考核合格率" in page and "<svg" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("annual_reports:generate", args=[report.pk]), {"status_seen": "draft"})
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'data-testid="download-pdf"' in page and 'data-testid="submit"' in page

    xlsx = client.get(reverse("annual_reports:download", args=[report.pk, "xlsx"]))
    pdf = client.get(reverse("annual_reports:download", args=[report.pk, "pdf"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")

    response = client.post(reverse("annual_reports:submit", args=[report.pk]), {"status_seen": "ready"}, follow=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_late, "the real clock is past 10 January of the next year"
    assert "记为逾期报送" in response.content.decode()


def test_double_submit_and_regenerating_a_submitted_report_are_refused(client_for, commission, dataset):
    report = _submitted(dataset.province, 2025, commission)
    client = client_for(commission)

    again = client.post(reverse("annual_reports:submit", args=[report.pk]))
    stale = client.post(reverse("annual_reports:submit", args=[report.pk]), {"status_seen": "ready"})
    regenerate = client.post(reverse("annual_reports:generate", args=[report.pk]))

    assert again.status_code == 400 and "不能重复报送" in again.content.decode()
    assert stale.status_code == 409
    assert regenerate.status_code == 400
    assert "报告已报送国家级并冻结，不能重新生成。" in regenerate.content.decode()


def test_a_case_from_another_province_is_refused_on_the_page(client_for, commission, report, other_province):
    client = client_for(commission)
    response = client.post(reverse("annual_reports:case-add", args=[report.pk]),
                           {"kind": "spot_check", "object_id": other_province.checks["E"].pk, "note": "典型"},
                           follow=True)
    assert "只能选择本省 2025 年已完成的监督抽查。" in response.content.decode()
    assert not report.typical_cases.exists()


def test_the_commission_chooses_a_case_on_the_page(client_for, commission, report, dataset):
    client = client_for(commission)
    page = client.get(report.get_absolute_url()).content.decode()
    assert f'data-check="{dataset.checks["A"].pk}"' in page
    assert f'data-check="{dataset.checks["C"].pk}"' not in page, "a planned check is not a case"

    client.post(reverse("annual_reports:case-add", args=[report.pk]),
                {"kind": "penalty", "object_id": dataset.penalties["B"].pk, "note": "罚款并公示"})
    case = report.typical_cases.get()
    assert case.penalty == dataset.penalties["B"]
    client.post(reverse("annual_reports:case-remove", args=[report.pk, case.pk]))
    assert not report.typical_cases.exists()


@pytest.mark.parametrize("role", [Role.QC_CENTER, Role.PROVINCE_ADMIN])
def test_provincial_readers_read_but_do_not_write(client_for, make_user, report, role):
    client = client_for(make_user(role))
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200 and 'data-testid="generate"' not in page.content.decode()
    assert client.post(reverse("annual_reports:generate", args=[report.pk])).status_code == 403
    assert client.post(reverse("annual_reports:create"), {"year": 2024}).status_code == 403


@pytest.mark.parametrize("role", [Role.COMMISSION_CITY, Role.COMMISSION_COUNTY, Role.SUPERVISION,
                                  Role.DISEASE_CONTROL, Role.INSTITUTION])
def test_other_roles_are_refused(client_for, make_user, report, role):
    client = client_for(make_user(role))
    assert client.get(reverse("annual_reports:index")).status_code == 403
    assert client.get(report.get_absolute_url()).status_code == 403
    assert client.post(reverse("annual_reports:generate", args=[report.pk])).status_code == 403


def test_a_city_qc_center_is_not_a_provincial_reader(client_for, make_user, report):
    client = client_for(make_user(Role.QC_CENTER, region_code="220100"))
    assert client.get(reverse("annual_reports:index")).status_code == 403
    assert client.get(report.get_absolute_url()).status_code == 403


def test_another_province_gets_404(client_for, liaoning_commission, report):
    client = client_for(liaoning_commission)
    for url in (report.get_absolute_url(), reverse("annual_reports:download", args=[report.pk, "pdf"])):
        assert client.get(url).status_code == 404
    for name in ("generate", "submit"):
        assert client.post(reverse(f"annual_reports:{name}", args=[report.pk])).status_code == 404
    assert client.post(reverse("annual_reports:case-add", args=[report.pk]),
                       {"kind": "penalty", "object_id": 1, "note": "x"}).status_code == 404


def test_national_sees_submitted_reports_only_and_compares_them(client_for, national, commission,
                                                                liaoning_commission, dataset, other_province):
    jilin = _submitted(dataset.province, 2025, commission)
    liaoning = _submitted(other_province.province, 2025, liaoning_commission)
    draft = report_open(province=dataset.province, year=2024, actor=commission, today=TODAY)
    client = client_for(national)

    index = client.get(reverse("annual_reports:index")).content.decode()
    assert f'data-report="{jilin.pk}"' in index and f'data-report="{liaoning.pk}"' in index
    assert f'data-report="{draft.pk}"' not in index
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(jilin.get_absolute_url()).status_code == 200
    assert client.get(reverse("annual_reports:download", args=[liaoning.pk, "pdf"])).status_code == 200
    assert client.post(reverse("annual_reports:generate", args=[jilin.pk])).status_code == 403

    compare = client.get(reverse("annual_reports:compare"), {"year": 2025}).content.decode()
    assert 'data-province="220000"' in compare and 'data-province="210000"' in compare
    assert "各省质量考核覆盖率与合格率" in compare and "<svg" in compare
    assert "吉林省" in compare and "辽宁省" in compare


def test_the_comparison_is_for_the_national_level(client_for, commission):
    assert client_for(commission).get(reverse("annual_reports:compare")).status_code == 403


def test_list_pages_take_constant_queries(commission, national, dataset, django_assert_max_num_queries):
    from django.test import Client

    from portal.regions.models import Region

    for year in (2021, 2022, 2023, 2024):
        report_open(province=dataset.province, year=year, actor=commission, today=TODAY)
    for code in ("110000", "120000", "130000", "140000", "150000", "210000"):
        province = Region.objects.get(code=code)
        for year in (2024, 2025):
            report = ProvincialReport.objects.create(province=province, year=year, status="submitted",
                                                     submitted_at="2026-01-05T10:00:00+08:00",
                                                     figures=_submitted_figures())
            assert report.pk
    province_client, national_client = Client(), Client()
    province_client.force_login(commission)
    national_client.force_login(national)
    with django_assert_max_num_queries(10):
        assert province_client.get(reverse("annual_reports:index")).status_code == 200
    with django_assert_max_num_queries(10):
        assert national_client.get(reverse("annual_reports:index")).status_code == 200
    with django_assert_max_num_queries(10):
        assert national_client.get(reverse("annual_reports:compare"), {"year": 2025}).status_code == 200


def _submitted_figures() -> dict:
    from reporting.annual.figures import compute_figures

    if not hasattr(_submitted_figures, "cache"):
        from portal.regions.models import Region

        _submitted_figures.cache = compute_figures(Region.objects.get(code="110000").pk, 2025)
    return _submitted_figures.cache
