"""Permission-matrix entries of the bulk import (/filing/import/); vocabulary in tests/permission_matrix.py."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import NOT_ALLOWED, NOT_FOUND, WRITTEN, Ctx, Entry, only

IMPORTERS = (Role.PROVINCE_ADMIN, Role.QC_CENTER)


def _jilin_job(ctx: Ctx, status: str) -> int:
    from filing.models_import import ImportJob
    from portal.core.models import StoredFile

    province = ctx.objects["county"].province
    content = b"PK\x03\x04 placeholder"
    stored = StoredFile.objects.create(file=f"uploads/matrix-{status}.xlsx", original_name="机构.xlsx",
                                       extension=".xlsx", content_type="application/octet-stream",
                                       size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                                       province=province)
    job = ImportJob.objects.create(province=province, file=stored, status=status, rows_total=1,
                                   summary={"rows": 1, "create": 1, "skip": 0, "items": 1, "skipped": []})
    return job.pk


def _job_url(name: str, status: str = "ready"):
    return lambda ctx: reverse(name, args=[_jilin_job(ctx, status)])


def _upload(ctx: Ctx, caller: str) -> dict:
    from filing.tests.test_import import build_workbook, institution, items_for

    content = build_workbook([institution(1)], items_for(1))
    # A platform administrator belongs to no province and names one; for everyone else the field is absent.
    return {"file": SimpleUploadedFile("机构.xlsx", content), "province": ctx.objects["county"].province_id}


IMPORT_PAGE = only(*IMPORTERS)
IMPORT_OBJECT_PAGE = only(*IMPORTERS, other_province=NOT_FOUND)

MATRIX: dict[str, Entry] = {
    "filing:import": Entry(
        IMPORT_PAGE, post=only(*IMPORTERS, allowed=WRITTEN), data=_upload,
        note="other province: the upload is stored for the uploader's own province",
    ),
    "filing:import-template": Entry(IMPORT_PAGE),
    "filing:import-job": Entry(IMPORT_OBJECT_PAGE, url=_job_url("filing:import-job")),
    "filing:import-progress": Entry(IMPORT_OBJECT_PAGE, url=_job_url("filing:import-progress", "importing")),
    "filing:import-commit": Entry(
        only(*IMPORTERS, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED), url=_job_url("filing:import-commit"),
        post=only(*IMPORTERS, allowed=WRITTEN, other_province=NOT_FOUND), data=lambda ctx, caller: {},
        note="POST only; confirming queues the import after commit",
    ),
}
