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


def test_the_whole_demo_fills_last_year_s_report_and_a_second_run_changes_nothing(reference_data, monkeypatch):
    """What a reader of the demo's submitted report checks: every section has figures of last year."""
    from django.apps import apps

    from filing.catalogue.services import catalogue_load_builtin
    from portal.core.demo import seed_demo

    catalogue_load_builtin()
    monkeypatch.setattr("filing.demo.DEMO_SIZE", 60)  # a smaller province than the demo's, same shape
    seed_demo()
    report = ProvincialReport.objects.get(province__code="220000")
    assert report.year == default_year(timezone.localdate()) and report.status == ReportStatus.SUBMITTED
    qc, rect = report.figures["qc"], report.figures["rectification"]
    ver, sup = report.figures["verifications"], report.figures["supervision"]
    assert qc["assessments"] > 0 and qc["coverage"]["covered"] > 0
    assert qc["failed"] > 0 and qc["key_item_failed"] > 0 and qc["key_items"]
    assert len({row["grade"] for row in qc["by_grade"]}) > 1
    assert len([row for row in qc["by_city"] if row["code"] and row["total"]]) > 1
    assert all(row["value"] is not None for key, row in qc["indicators"].items() if key.endswith("_rate"))
    assert rect["opened"] > 0 and rect["closed"] > 0 and rect["overdue"] > 0
    assert ver["due"] > 0 and ver["on_time"] > 0 and ver["signed_off"] > 0
    assert sup["done"] > 0 and sup["findings"] > 0 and sup["penalties"] > 0 and sup["fine_total"] > 0
    kinds = [case["kind"] for case in report.figures["typical_cases"]]
    assert "spot_check" in kinds and "penalty" in kinds

    rows = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    seed_demo()
    assert {model._meta.label: model._base_manager.count() for model in apps.get_models()} == rows
