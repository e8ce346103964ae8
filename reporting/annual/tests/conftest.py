"""Fixtures of the annual report tests: the known dataset, the report and its users."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.choices import Role

from .builders import build_dataset, build_other_province

TODAY = date(2026, 1, 5)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dataset(reference_data):
    return build_dataset()


@pytest.fixture
def other_province(reference_data):
    return build_other_province()


@pytest.fixture
def commission(make_user):
    return make_user(Role.COMMISSION_PROVINCE)


@pytest.fixture
def liaoning_commission(make_user):
    return make_user(Role.COMMISSION_PROVINCE, province_code="210000")


@pytest.fixture
def national(make_user):
    return make_user(Role.NATIONAL)


@pytest.fixture
def report(dataset, commission):
    from reporting.annual.services import report_open

    return report_open(province=dataset.province, year=2025, actor=commission, today=TODAY)


@pytest.fixture
def generate(django_capture_on_commit_callbacks):
    """generate(report, actor) -> the report after the queued task ran (eagerly, after commit)."""
    from reporting.annual.services import report_generation_request

    def run(report, actor):
        with django_capture_on_commit_callbacks(execute=True):
            report_generation_request(report_id=report.pk, actor=actor)
        report.refresh_from_db()
        return report

    return run


@pytest.fixture
def ready_report(report, commission, generate):
    return generate(report, commission)
