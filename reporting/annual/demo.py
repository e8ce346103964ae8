"""Demo data: last year's provincial report of the demo province, generated and submitted.

Through the services, as a user would: the provincial commission opens the report, picks the
typical cases that exist for that year, generates it and submits it. The figures are whatever
the demo records of that year say: the other demos keep last year's QC round with its
rectification, the verifications due then, and last year's spot checks and penalties, dated by
the same fields the figures count by (see figures.py); nothing is typed in. Safe to run twice: a
submitted report is left alone.
"""

from __future__ import annotations

from django.utils import timezone

from .choices import CaseKind, ReportStatus
from .selectors import default_year, penalty_candidates, spot_check_candidates
from .services import report_generate, report_generation_request, report_open, report_submit, typical_case_add

DEMO_CASES = 2


def seed_annual_demo(ctx) -> None:
    commission = ctx.users.get("wjw_jl")
    if commission is None:
        return
    report = report_open(province=ctx.province, year=default_year(timezone.localdate()), actor=commission)
    if report.status == ReportStatus.SUBMITTED:
        print(f"  annual report: {report.year} already submitted")
        return
    if report.status != ReportStatus.GENERATING and not report.typical_cases.exists():
        # The checks that found most: the note says so.
        checks = (spot_check_candidates(report).filter(finding_count__gt=0)
                  .order_by("-finding_count", "-checked_on", "pk"))
        for check in checks[:DEMO_CASES]:
            typical_case_add(report_id=report.pk, kind=CaseKind.SPOT_CHECK, object_id=check.pk, actor=commission,
                             note="抽查发现问题较多，已责令限期整改并跟踪销号")
        for penalty in penalty_candidates(report)[:DEMO_CASES]:
            typical_case_add(report_id=report.pk, kind=CaseKind.PENALTY, object_id=penalty.pk, actor=commission,
                             note="依法予以行政处罚并向社会公示")
    report = report_generation_request(report_id=report.pk, actor=commission)
    # The demo runs inside one transaction: generate now rather than after commit (the queued task
    # will then find the report generated and do nothing).
    report_generate(report_id=report.pk, token=report.generation_token)
    report = report_submit(report_id=report.pk, actor=commission)
    print(f"  annual report: {report.year} generated and submitted")
