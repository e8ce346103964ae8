"""Who gets what on every annual-report URL (see tests/permission_matrix.py for the vocabulary).

The provincial commission compiles and submits its province's report; the provincial QC center
and the provincial administrator read it; the national level reads submitted reports and compares
them. The Jilin objects: a submitted 2024 report (what the national level may read) and a
generated 2025 report with one typical case (what the commission may still change). The Liaoning
administrator holds no report capability for writing and gets 404 on Jilin's reports.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import NOT_ALLOWED, NOT_FOUND, REFUSED, WRITTEN, Ctx, Entry, expect, only

READERS = (Role.COMMISSION_PROVINCE, Role.PROVINCE_ADMIN, Role.QC_CENTER, Role.NATIONAL)
READ_REPORT = only(*READERS, other_province=NOT_FOUND)
MANAGE_GET = only(Role.COMMISSION_PROVINCE, allowed=NOT_ALLOWED)
MANAGE_POST = only(Role.COMMISSION_PROVINCE, allowed=WRITTEN)


def _reports(ctx: Ctx) -> dict:
    if "annual" in ctx.objects:
        return ctx.objects["annual"]
    from portal.regions.models import Region
    from reporting.annual.services import (
        report_generate,
        report_generation_request,
        report_open,
        report_submit,
        typical_case_add,
    )

    from .builders import plan, spot_check

    commission = ctx.users[Role.COMMISSION_PROVINCE]
    province = Region.objects.get(code="220000")
    org = ctx.objects["organisation"]
    checks = plan(province, year=2025)
    chosen = spot_check(checks, org, checked=date(2025, 4, 1), findings=["other"])
    other_org = type(org).objects.create(name="矩阵机构乙", kind=org.kind, province=org.province, region=org.region)
    free = spot_check(checks, other_org, checked=date(2025, 5, 1), findings=["no_archives"])

    def generated(year: int):
        report = report_open(province=province, year=year, actor=commission)
        if year == 2025:
            typical_case_add(report_id=report.pk, kind="spot_check", object_id=chosen.pk, note="典型", actor=commission)
        report = report_generation_request(report_id=report.pk, actor=commission)
        return report_generate(report_id=report.pk, token=report.generation_token)

    submitted = generated(2024)
    report_submit(report_id=submitted.pk, actor=commission)
    ready = generated(2025)
    ctx.objects["annual"] = {"submitted": submitted, "ready": ready, "free_check": free,
                             "case": ready.typical_cases.get()}
    return ctx.objects["annual"]


def _url(name: str, key: str, *extra):
    return lambda ctx: reverse(f"annual_reports:{name}", args=[_reports(ctx)[key].pk, *extra])


MATRIX = {
    "annual_reports:index": Entry(only(*READERS), note="the Liaoning administrator lists Liaoning's years"),
    "annual_reports:create": Entry(
        MANAGE_GET, post=expect("forbidden", system_admin=REFUSED, commission_province=WRITTEN),
        data=lambda ctx, caller: {"year": 2023},
        note="a platform administrator belongs to no province: refused with a message"),
    "annual_reports:compare": Entry(only(Role.NATIONAL)),
    "annual_reports:detail": Entry(READ_REPORT, url=_url("detail", "submitted")),
    "annual_reports:download": Entry(READ_REPORT, url=_url("download", "submitted", "pdf")),
    "annual_reports:generate": Entry(MANAGE_GET, url=_url("generate", "ready"), post=MANAGE_POST,
                                     data=lambda ctx, caller: {}),
    "annual_reports:submit": Entry(MANAGE_GET, url=_url("submit", "ready"), post=MANAGE_POST,
                                   data=lambda ctx, caller: {}),
    "annual_reports:case-add": Entry(
        MANAGE_GET, url=_url("case-add", "ready"), post=MANAGE_POST,
        data=lambda ctx, caller: {"kind": "spot_check", "object_id": _reports(ctx)["free_check"].pk, "note": "典型"}),
    "annual_reports:case-remove": Entry(
        MANAGE_GET, url=lambda ctx: reverse("annual_reports:case-remove",
                                            args=[_reports(ctx)["ready"].pk, _reports(ctx)["case"].pk]),
        post=MANAGE_POST, data=lambda ctx, caller: {}),
}
