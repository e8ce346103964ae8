"""The demo: last year's report of the demo province, generated and submitted through the services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from reporting.annual.choices import ReportStatus
from reporting.annual.demo import seed_annual_demo
from reporting.annual.models import ProvincialReport
from reporting.annual.selectors import default_year

pytestmark = pytest.mark.django_db


def test_demo_report_is_generated_submitted_and_safe_to_run_twice(dataset, commission, capsys):
    ctx = DemoContext(province=dataset.province, users={"wjw_jl": commission})

    seed_annual_demo(ctx)
    report = ProvincialReport.objects.get(province=dataset.province)
    assert report.year == default_year(timezone.localdate())
    assert report.status == ReportStatus.SUBMITTED and report.pdf_file_id and report.xlsx_file_id
    assert report.figures["year"] == report.year
    if report.year == 2025:
        assert report.figures["qc"]["assessments"] == 3
        assert len(report.figures["typical_cases"]) == 4
    audit_rows = AuditEntry.objects.count()

    seed_annual_demo(ctx)
    assert AuditEntry.objects.count() == audit_rows
    assert "already submitted" in capsys.readouterr().out
