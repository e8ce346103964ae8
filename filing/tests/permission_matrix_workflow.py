"""Permission-matrix entries of the filing workflow (/filing/); vocabulary in tests/permission_matrix.py.

The objects belong to the institution of ``ctx.users[Role.INSTITUTION]`` in Nanguan
district (Jilin) and are built through the services in each entry's ``url`` callable.
A draft is the institution's working copy: authorities (and platform administrators)
see a version only once it has been submitted.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from portal.accounts.choices import Role
from tests.permission_matrix import (
    FORBIDDEN,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    WRITTEN,
    Ctx,
    Entry,
    everyone,
    expect,
    only,
    signed_in,
)

DECIDERS = (Role.PROVINCE_ADMIN, Role.QC_CENTER, Role.COMMISSION_PROVINCE)
APPLICATION_DECIDERS = (Role.PROVINCE_ADMIN, Role.QC_CENTER)
CANCELLERS = (*DECIDERS, Role.INSTITUTION)


# ---- Objects ---------------------------------------------------------------------------------

def _institution(ctx: Ctx):
    """The institution user, its organisation given a credit code, and the catalogues loaded."""
    from filing.catalogue.services import catalogue_load_builtin
    from filing.tests.workflow_builders import credit_code

    user = ctx.objects["user"]
    org = user.organisation
    if not org.credit_code:
        org.credit_code = credit_code(500_000 + org.pk)
        org.save(update_fields=["credit_code"])
    catalogue_load_builtin()
    return user


def _draft(ctx: Ctx):
    from filing.tests.workflow_builders import start_draft

    return start_draft(_institution(ctx))


def _submitted(ctx: Ctx):
    from filing.tests.workflow_builders import submitted_version

    return submitted_version(_institution(ctx))


def _accepted(ctx: Ctx):
    from filing.tests.workflow_builders import accepted_version

    return accepted_version(_institution(ctx), ctx.users[Role.QC_CENTER])


def _complete_draft(ctx: Ctx):
    from filing.tests.workflow_builders import fill_complete, start_draft

    user = _institution(ctx)
    return fill_complete(start_draft(user), user)


def _change_draft(ctx: Ctx):
    from filing import services

    accepted = _accepted(ctx)
    return services.change_start(filing_id=accepted.filing_id, actor=ctx.objects["user"],
                                 changed_on=timezone.localdate(), summary="矩阵变更")


def _application(ctx: Ctx) -> int:
    from filing import services
    from filing.tests.workflow_builders import credit_code

    county = ctx.objects["county"]
    app = services.application_submit(
        province=county.province, region=county, name="矩阵申请机构", credit_code=credit_code(654_321),
        licence_number="PDY-M", kind="examination", contact_name="申请人", contact_phone="1",
        contact_email="m@example.invalid", username="matrix_applicant", password="Matrix#2026-apply",
    )
    return app.pk


def _version_url(name: str, build):
    return lambda ctx: reverse(name, args=[build(ctx).pk])


def _filing_url(name: str, build):
    return lambda ctx: reverse(name, args=[build(ctx).filing_id])


def _file_url(ctx: Ctx) -> str:
    version = _submitted(ctx)
    return reverse("filing:version-file", args=[version.pk, version.licence_copy_id])


def _certificates_url(ctx: Ctx) -> str:
    from filing import services
    from filing.tests.workflow_builders import CHIEF

    version = _draft(ctx)
    services.version_save_staff(version_id=version.pk, actor=ctx.objects["user"], staff=[CHIEF])
    return reverse("filing:edit-certificates", args=[version.pk, version.staff.get().pk])


# ---- POST bodies -------------------------------------------------------------------------------

def _formset(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _pdf(name: str):
    from filing.tests.workflow_builders import pdf_upload

    return pdf_upload(name)


def _apply_form(ctx: Ctx, caller: str) -> dict:
    from filing.tests.workflow_builders import credit_code

    return {"province": "220000", "kind": "examination", "name": f"申请机构 {caller}", "credit_code": credit_code(1),
            "licence_number": "PDY1", "region": ctx.objects["county"].pk, "contact_name": "联系人",
            "contact_phone": "1", "contact_email": "a@example.invalid", "username": f"apply_{caller}",
            "password": "Matrix#2026-apply", "password_again": "Matrix#2026-apply"}


SECTION_DATA = {
    "filing:edit-basic": lambda ctx, caller: {"name": f"矩阵机构 {caller}", "region": ctx.objects["county"].pk},
    "filing:edit-staff": lambda ctx, caller: _formset("staff", [
        {"name": "张医生", "role": "physician", "title": "none", "years_experience": "1"}]),
    "filing:edit-premises": lambda ctx, caller: {"total_area": "500", **_formset("rooms", [
        {"name": "内科", "area": "10"}])},
    "filing:edit-equipment": lambda ctx, caller: {**_formset("equipment", [{"name": "DR"}]),
                                                  **_formset("vehicles", [])},
    "filing:edit-documents": lambda ctx, caller: {"quality_manual": _pdf("手册.pdf")},
    "filing:edit-items": lambda ctx, caller: {"item": ["dust|GBZ188-2014:6.1"],
                                              "types-GBZ188-2014:6.1": ["on_duty"]},
}


# ---- Outcomes ----------------------------------------------------------------------------------

# The institution's draft: only its own staff; a platform administrator is not shown drafts.
DRAFT_PAGE = expect(FORBIDDEN, institution=OK, system_admin=NOT_FOUND, other_province=FORBIDDEN)
DRAFT_WRITE = expect(FORBIDDEN, institution=WRITTEN, system_admin=NOT_FOUND, other_province=FORBIDDEN)
DRAFT_POST_ONLY_GET = expect(FORBIDDEN, institution=NOT_ALLOWED, system_admin=NOT_ALLOWED,
                             other_province=FORBIDDEN)
# Reading a submitted or accepted filing: every role whose jurisdiction covers Nanguan district.
READ = expect(OK, other_province=NOT_FOUND)
DECIDE_GET = only(*DECIDERS, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED)
DECIDE_WRITE = only(*DECIDERS, allowed=WRITTEN, other_province=NOT_FOUND)

MATRIX: dict[str, Entry] = {
    "filing:index": Entry(signed_in(), note="institution: its filings; authorities: the jurisdiction list"),
    # Account application.
    "filing:apply": Entry(everyone(OK), post=everyone(WRITTEN), data=_apply_form,
                          note="anyone may apply; the QC center decides"),
    "filing:apply-done": Entry(everyone(OK)),
    "filing:application-list": Entry(only(*APPLICATION_DECIDERS)),
    "filing:application-detail": Entry(
        only(*APPLICATION_DECIDERS, other_province=NOT_FOUND),
        url=lambda ctx: reverse("filing:application-detail", args=[_application(ctx)]),
    ),
    "filing:application-activate": Entry(
        only(*APPLICATION_DECIDERS, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED),
        url=lambda ctx: reverse("filing:application-activate", args=[_application(ctx)]),
        post=only(*APPLICATION_DECIDERS, allowed=WRITTEN, other_province=NOT_FOUND),
        data=lambda ctx, caller: {},
    ),
    "filing:application-refuse": Entry(
        only(*APPLICATION_DECIDERS, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED),
        url=lambda ctx: reverse("filing:application-refuse", args=[_application(ctx)]),
        post=only(*APPLICATION_DECIDERS, allowed=WRITTEN, other_province=NOT_FOUND),
        data=lambda ctx, caller: {"reason": "资料不全"},
    ),
    # The filing.
    "filing:start": Entry(
        only(Role.INSTITUTION, allowed=NOT_ALLOWED, other_province=FORBIDDEN),
        post=expect(FORBIDDEN, institution=WRITTEN),
        data=lambda ctx, caller: {"kind": "diagnosis"},
        note="a platform administrator acts for no institution: 403 on POST",
    ),
    "filing:detail": Entry(READ, url=_filing_url("filing:detail", _accepted)),
    "filing:history": Entry(READ, url=_filing_url("filing:history", _accepted)),
    "filing:change": Entry(
        only(Role.INSTITUTION), url=_filing_url("filing:change", _accepted),
        post=only(Role.INSTITUTION, allowed=WRITTEN),
        data=lambda ctx, caller: {"changed_on": timezone.localdate().isoformat(), "summary": "增加项目"},
    ),
    "filing:cancel": Entry(
        only(*CANCELLERS, other_province=NOT_FOUND), url=_filing_url("filing:cancel", _accepted),
        post=only(*CANCELLERS, allowed=WRITTEN, other_province=NOT_FOUND),
        data=lambda ctx, caller: {"reason": "停止执业", "confirm": "on"},
        note="the institution itself or the provincial authority",
    ),
    "filing:version-detail": Entry(READ, url=_version_url("filing:version-detail", _submitted)),
    "filing:version-file": Entry(READ, url=_file_url),
    "filing:receipt": Entry(READ, url=_version_url("filing:receipt", _accepted)),
    # The institution's draft.
    **{name: Entry(DRAFT_PAGE, url=_version_url(name, _draft), post=DRAFT_WRITE, data=data)
       for name, data in SECTION_DATA.items()},
    "filing:edit-certificates": Entry(
        DRAFT_PAGE, url=_certificates_url, post=DRAFT_WRITE,
        data=lambda ctx, caller: _formset("cert", [{"name": "主检医师培训合格证明"}]),
    ),
    "filing:completeness": Entry(
        expect(NOT_FOUND, institution=OK, anonymous=LOGIN), url=_version_url("filing:completeness", _draft),
        note="every role may read completeness, but a draft only its institution",
    ),
    "filing:submit": Entry(DRAFT_POST_ONLY_GET, url=_version_url("filing:submit", _complete_draft),
                           post=DRAFT_WRITE, data=lambda ctx, caller: {}),
    "filing:withdraw": Entry(DRAFT_POST_ONLY_GET, url=_version_url("filing:withdraw", _change_draft),
                             post=DRAFT_WRITE, data=lambda ctx, caller: {}),
    # The authorities' queue and decisions.
    "filing:queue": Entry(only(*DECIDERS)),
    "filing:accept": Entry(DECIDE_GET, url=_version_url("filing:accept", _submitted), post=DECIDE_WRITE,
                           data=lambda ctx, caller: {}),
    "filing:return": Entry(
        only(*DECIDERS, other_province=NOT_FOUND), url=_version_url("filing:return", _submitted),
        post=DECIDE_WRITE, data=lambda ctx, caller: {"deficiencies": "缺少平面布局图"},
    ),
}
