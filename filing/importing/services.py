"""Writes of the bulk import: upload, dry run, commit.

An upload is stored (never overwritten) with a job row; the dry run checks it and keeps
every issue on the job; the commit checks it again inside one transaction and writes all
rows or none. Files with more than ``ASYNC_ROWS`` institutions are checked and imported
by a Celery task queued after the job row is committed; their progress goes to the cache
because the commit's own transaction is invisible to the page until it ends.

Each imported institution becomes an Organisation (unless one with its credit code is
already registered in the province), an accepted Filing and an accepted initial
FilingVersion with its FiledItems. No receipt is rendered: the filing was made on paper.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import re
import zlib
from collections import Counter

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.accounts.permissions import has_capability
from portal.audit.models import AuditEntry
from portal.audit.services import audit
from portal.core.models import StoredFile
from portal.core.request_context import current_request_meta
from portal.core.uploads import SIGNATURES
from portal.regions.models import Region

from ..choices import FilingStatus, ItemStatus, VersionKind, VersionStatus
from ..models import FiledItem, Filing, FilingVersion
from ..models_import import IMPORT_TRANSITIONS, ImportJob, ImportStatus
from ..services import assert_transition
from . import workbook as wb
from .plan import ImportPlan, PlannedInstitution, check_rows, rejected_plan

logger = logging.getLogger(__name__)

ASYNC_ROWS = 200
ROWS_CACHE_SECONDS = 24 * 3600
MAX_STORED_ISSUES = 5000
BATCH = 2000
CAPABILITY = "filing.import"


# ---- progress ------------------------------------------------------------------------------------

def _progress_key(job_id: int) -> str:
    return f"filing-import-progress:{job_id}"


def progress_reporter(job_id: int):
    def report(phase: str, done: int, total: int) -> None:
        cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, timeout=3600)

    return report


def job_progress(job: ImportJob) -> dict:
    """Rows done and total for the page: the task's latest report while it runs, the job row after."""
    reported = cache.get(_progress_key(job.pk)) if job.is_running else None
    return reported or {"phase": job.status, "done": job.rows_done, "total": job.rows_total}


# ---- upload and dry run -------------------------------------------------------------------------

def _set_status(job: ImportJob, target: str) -> str:
    assert_transition(IMPORT_TRANSITIONS, job.status, target, label=_("导入任务"))
    old = job.status
    job.status = target
    return old


def _check_actor(actor, province_id: int) -> None:
    if not has_capability(actor, CAPABILITY):
        raise ValidationError(_("没有导入备案数据的权限。"), code="forbidden")
    if not actor.is_superuser and (actor.organisation is None or actor.organisation.province_id != province_id):
        raise ValidationError(_("只能导入本省的备案数据。"), code="forbidden")


@transaction.atomic
def import_job_create(*, upload, actor, province: Region) -> ImportJob:
    """Store an upload and open its job; the dry run follows once the job row is committed.

    The file is checked (type, size, archive, sheets and columns) before anything is
    stored, so a file that cannot be read leaves nothing behind.
    """
    _check_actor(actor, province.pk)
    content = wb.check_upload(upload)
    try:
        inspection = wb.inspect(content)
    except wb.WorkbookRejected as rejected:
        raise ValidationError([str(i) for i in rejected.issues], code="unreadable") from None
    stored = _store_workbook(upload, content, actor=actor, province_id=province.pk)
    job = ImportJob.objects.create(province=province, file=stored, rows_total=inspection.institution_rows,
                                   created_by=actor)
    audit(actor=actor, obj=job, action="filing.import.uploaded",
          new={"file": stored.original_name, "sha256": stored.sha256, "rows": job.rows_total})
    from ..tasks_import import import_check

    _run_after_commit(import_check, job)
    return job


def _run_after_commit(task, job: ImportJob) -> None:
    """Large files go to a worker; small ones are handled at once, in the same request."""
    job_id = job.pk
    if job.rows_total > ASYNC_ROWS:
        transaction.on_commit(lambda: task.delay(job_id=job_id))
        return

    def run_now():
        try:
            task(job_id=job_id)
        except (OperationalError, ConnectionError):
            task.delay(job_id=job_id)  # a worker retries what the request could not finish

    transaction.on_commit(run_now)


def _store_workbook(upload, content: bytes, *, actor, province_id: int) -> StoredFile:
    """Stored like :func:`portal.core.uploads.store_upload` (content-addressed, never overwritten),
    under the workbook's own size cap, which is larger than the one for documents."""
    stored = StoredFile(original_name=os.path.basename(upload.name)[:255], extension=".xlsx",
                        content_type=SIGNATURES["xlsx"][2], size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(),
                        province_id=province_id, uploaded_by=actor)
    stored.file.save("upload", upload, save=False)
    stored.save()
    return stored


def _read_job_file(job: ImportJob) -> bytes:
    with job.file.file.open("rb") as fh:
        return fh.read()


def _issues_payload(plan: ImportPlan) -> list[dict]:
    return [i.as_dict() for i in plan.issues[:MAX_STORED_ISSUES]]


def _rows_key(job: ImportJob) -> str:
    return f"filing-import-rows:{job.pk}:{job.file.sha256}"


def check_workbook(job: ImportJob, report, *, keep_rows: bool = False) -> ImportPlan:
    """Read the job's workbook (or the rows its dry run kept) and check them against the database now.

    The dry run keeps the rows it read, compressed, in the cache: the commit then checks the
    same rows again without parsing the file a second time. The file never changes (stored
    once, named by its checksum, which is part of the key); without the cache entry it is read again.
    """
    key = _rows_key(job)
    packed = None if keep_rows else cache.get(key)
    if packed is not None:
        raw = pickle.loads(zlib.decompress(packed))
    else:
        try:
            raw = wb.read(_read_job_file(job), progress=report, expected_rows=job.rows_total)
        except wb.WorkbookRejected as rejected:
            return rejected_plan(job.province, rejected)
    plan = check_rows(raw, province=job.province, progress=report)
    if keep_rows and plan.ok:
        cache.set(key, zlib.compress(pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL), 1),
                  timeout=ROWS_CACHE_SECONDS)
    return plan


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run: check the stored workbook and keep every issue on the job. Writes no domain data."""
    job = ImportJob.objects.select_related("province", "file").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job  # a re-delivered task finds the work done
    plan = check_workbook(job, progress_reporter(job.pk), keep_rows=True)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.CHECKING:
            return job
        _set_status(job, ImportStatus.READY if plan.ok else ImportStatus.INVALID)
        job.errors = _issues_payload(plan)
        job.error_count = len(plan.issues)
        job.summary = plan.summary()
        job.rows_done = plan.institution_rows
        job.rows_total = plan.institution_rows or job.rows_total
        job.checked_at = timezone.now()
        job.save(update_fields=["status", "errors", "error_count", "summary", "rows_done", "rows_total",
                                "checked_at", "updated_at"])
    cache.delete(_progress_key(job.pk))
    return job


@transaction.atomic
def import_job_start(*, job_id: int, actor) -> ImportJob:
    """The administrator confirms a checked job: import now, or queue the import of a large file."""
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    _check_actor(actor, job.province_id)
    old = _set_status(job, ImportStatus.IMPORTING)
    job.committed_by = actor
    job.rows_done = 0
    job.save(update_fields=["status", "committed_by", "rows_done", "updated_at"])
    audit(actor=actor, obj=job, action="filing.import.confirmed", old={"status": old}, new={"status": job.status})
    from ..tasks_import import import_commit

    _run_after_commit(import_commit, job)
    return job


# ---- commit -------------------------------------------------------------------------------------

def import_job_commit(*, job_id: int) -> ImportJob:
    """Check the file again and write every institution in one transaction, or nothing.

    Runs once per confirmed job: a second delivery finds the job no longer importing.
    """
    job = ImportJob.objects.select_related("province", "file", "committed_by__organisation").get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        return job
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update(of=("self",)).select_related(
                "province", "file", "committed_by__organisation").get(pk=job_id)
            if job.status != ImportStatus.IMPORTING:
                return job
            actor = job.committed_by
            _check_actor(actor, job.province_id)
            # One import at a time per province: filing numbers are counted from what is already there.
            Region.objects.select_for_update().get(pk=job.province_id)
            report = progress_reporter(job.pk)
            plan = check_workbook(job, report)
            if not plan.ok:
                # The database changed since the dry run (e.g. an institution filed meanwhile).
                transaction.set_rollback(True)
            else:
                created = _write(plan, job=job, actor=actor, report=report)
                _set_status(job, ImportStatus.DONE)
                job.summary = {**plan.summary(), "created_filings": created}
                job.rows_done = job.rows_total
                job.committed_at = timezone.now()
                job.save(update_fields=["status", "summary", "rows_done", "committed_at", "updated_at"])
                audit(actor=actor, obj=job, action="filing.import.committed",
                      new={"created": len(plan.create), "skipped": len(plan.skipped), "items": plan.item_count,
                           "sha256": job.file.sha256})
    except ValidationError as exc:
        return _fail(job_id, [wb.Issue(m) for m in exc.messages])
    except IntegrityError:
        logger.warning("import job %s collided with a concurrent change", job_id, exc_info=True)
        return _fail(job_id, [wb.Issue(_("导入期间系统中的数据发生了变化（如同一机构或备案编号被同时登记），"
                                         "未保存任何数据，请重新上传文件。"))])
    finally:
        cache.delete_many([_progress_key(job_id), _rows_key(job)])
    if not plan.ok:
        return _fail(job_id, plan.issues, status=ImportStatus.INVALID, summary=plan.summary())
    return job


def _fail(job_id: int, issues: list[wb.Issue], *, status: str = ImportStatus.FAILED,
          summary: dict | None = None) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.IMPORTING:
            return job
        _set_status(job, status)
        job.errors = [i.as_dict() for i in issues[:MAX_STORED_ISSUES]]
        job.error_count = len(issues)
        if summary is not None:
            job.summary = summary
        job.save(update_fields=["status", "errors", "error_count", "summary", "updated_at"])
        audit(actor=job.committed_by, obj=job, action="filing.import.failed",
              new={"status": status, "errors": job.error_count})
    return job


def import_job_mark_failed(*, job_id: int, message: str) -> ImportJob:
    """A task died on an unexpected error: nothing was written, and the page must stop waiting."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (ImportStatus.CHECKING, ImportStatus.IMPORTING):
            return job
        _set_status(job, ImportStatus.FAILED)
        job.errors = [wb.Issue(message).as_dict()]
        job.error_count = 1
        job.save(update_fields=["status", "errors", "error_count", "updated_at"])
        audit(actor=job.committed_by or job.created_by, obj=job, action="filing.import.failed",
              new={"status": job.status, "message": message})
    cache.delete_many([_progress_key(job_id), _rows_key(job)])
    return job


NUMBER_SEQUENCE = re.compile(r"^\d{6}-\d{4}-(\d+)$")


def _assign_numbers(plan: ImportPlan) -> None:
    """Institutions without an original number get "<province code>-<year filed>-NNNN", after the highest in use."""
    prefix_of = {p.filed_on.year: f"{plan.province.code}-{p.filed_on.year}-" for p in plan.create
                 if not p.filing_number}
    for year, prefix in sorted(prefix_of.items()):
        taken = list(Filing.objects.filter(filing_number__startswith=prefix).values_list("filing_number", flat=True))
        taken += [p.filing_number for p in plan.create if p.filing_number.startswith(prefix)]
        last = max((int(m.group(1)) for m in map(NUMBER_SEQUENCE.match, taken) if m), default=0)
        for planned in plan.create:
            if not planned.filing_number and planned.filed_on.year == year:
                last += 1
                planned.filing_number = f"{prefix}{last:04d}"


def _main_edition(planned: PlannedInstitution) -> int | None:
    if not planned.items:
        return None
    return Counter(edition for *_rest, edition in planned.items).most_common(1)[0][0]


FILED_ITEM_COLUMNS = ("version_id", "exam_item_id", "disease_id", "exam_types", "status", "status_reason",
                      "status_changed_at")


def _insert_filed_items(rows: list[tuple]) -> None:
    """Insert items as plain values, without model instances.

    A 5,000-institution file carries 150,000 items; building and preparing a FiledItem
    object for each costs several times the database's own work (measured by
    benchmarks/filing_import.py). PostgreSQL takes them through COPY, other databases
    through multi-row INSERTs.
    """
    if not rows:
        return
    table = connection.ops.quote_name(FiledItem._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in FILED_ITEM_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):
            data = io.StringIO("".join("\t".join(map(_copy_text, row)) + "\n" for row in rows))
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", data)
            return
        width = len(FILED_ITEM_COLUMNS)
        batch = min(BATCH, connection.ops.bulk_batch_size(FILED_ITEM_COLUMNS, rows) or BATCH)
        placeholder = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))}",
                           [value for row in chunk for value in row])


def _copy_text(value) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _write(plan: ImportPlan, *, job: ImportJob, actor, report) -> int:
    now = timezone.now()
    province_id = plan.province.pk
    total = len(plan.create)
    _assign_numbers(plan)

    new_orgs = {p.credit_code: Organisation(name=p.name, kind=OrgKind.INSTITUTION, province_id=province_id,
                                            region_id=p.region_id, credit_code=p.credit_code,
                                            contact_phone=p.phone)
                for p in plan.create if p.organisation_id is None}
    Organisation.objects.bulk_create(list(new_orgs.values()), batch_size=BATCH)
    for planned in plan.create:
        if planned.organisation_id is None:
            planned.organisation_id = new_orgs[planned.credit_code].pk
    report("write", total // 4, total)

    filings = [Filing(institution_id=p.organisation_id, province_id=province_id, region_id=p.region_id, kind=p.kind,
                      filing_number=p.filing_number, status=FilingStatus.ACCEPTED, filed_on=p.filed_on)
               for p in plan.create]
    Filing.objects.bulk_create(filings, batch_size=BATCH)
    versions = [FilingVersion(
        filing_id=f.pk, number=1, version_kind=VersionKind.INITIAL, status=VersionStatus.ACCEPTED,
        name=p.name, credit_code=p.credit_code, licence_number=p.licence_number,
        legal_representative=p.legal_representative, quality_manager=p.quality_manager,
        technical_manager=p.technical_manager, address=p.address, region_id=p.region_id, phone=p.phone,
        total_area=p.total_area, off_site=p.off_site, item_edition_id=_main_edition(p),
        decided_by=actor, decided_at=now, created_by=actor,
    ) for f, p in zip(filings, plan.create, strict=True)]
    FilingVersion.objects.bulk_create(versions, batch_size=BATCH)
    filing_ids = [f.pk for f in filings]
    for start in range(0, len(filing_ids), BATCH):
        Filing.objects.filter(pk__in=filing_ids[start:start + BATCH]).update(
            current_version=Subquery(FilingVersion.objects.filter(filing_id=OuterRef("pk")).values("pk")[:1]))
    report("write", total // 2, total)

    rows = []
    done = 0
    for version, planned in zip(versions, plan.create, strict=True):
        rows.extend((version.pk, exam_item_id, disease_id, json.dumps(types), ItemStatus.ACTIVE, "", None)
                    for exam_item_id, disease_id, types, _edition in planned.items)
        done += 1
        if len(rows) >= BATCH * 5:
            _insert_filed_items(rows)
            rows = []
            report("write", total // 2 + done // 2, total)
    _insert_filed_items(rows)

    meta = current_request_meta()
    content_type = ContentType.objects.get_for_model(Filing)
    AuditEntry.objects.bulk_create([AuditEntry(
        province_id=province_id, actor=actor, actor_name=str(actor)[:150], action="filing.filing.imported",
        content_type=content_type, object_id=str(f.pk), object_repr=f.filing_number[:255],
        new={"import_job": job.pk, "row": p.row, "name": p.name, "credit_code": p.credit_code, "kind": p.kind,
             "filing_number": f.filing_number, "filed_on": p.filed_on.isoformat(), "items": len(p.items),
             "organisation_created": p.credit_code in new_orgs},
        request_id=meta.get("request_id", ""), ip_address=meta.get("ip"),
    ) for f, p in zip(filings, plan.create, strict=True)], batch_size=BATCH)
    report("write", total, total)
    return len(filings)
