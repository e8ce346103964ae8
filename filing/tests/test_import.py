"""Bulk import of already-filed institutions: the checks, the dry run and the all-or-nothing commit."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from filing.catalogue.services import catalogue_load_builtin
from filing.choices import FilingStatus, InstitutionKind, VersionKind, VersionStatus
from filing.importing import workbook as wb
from filing.importing.services import import_job_commit, import_job_create, import_job_start
from filing.models import FiledItem, Filing, FilingVersion
from filing.models_import import ImportJob, ImportStatus
from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from portal.regions.models import Region
from portal.testing.files import zip_of

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
EXAM_ITEMS = ["GBZ188-2014:6.1", "GBZ188-2014:5.1", "GBZ188-2014:7.1"]
ROUTINE = "上岗前,在岗期间,离岗时"


def credit_code(n: int, prefix: str = "12220102") -> str:
    """A valid GB 32100-2015 code, different for every n."""
    body = f"{prefix}{n:09d}"
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return body + CREDIT_ALPHABET[(31 - total % 31) % 31]


def institution(n: int, **overrides) -> dict:
    row = {
        wb.COL_NAME: f"测试职业健康检查机构{n}",
        wb.COL_CREDIT_CODE: credit_code(n),
        wb.COL_KIND: "职业健康检查机构",
        wb.COL_LICENCE: f"PDY{n:08d}",
        wb.COL_REGION: "220102",
        wb.COL_ADDRESS: "长春市南关区人民大街1号",
        wb.COL_PHONE: "0431-88888888",
        wb.COL_LEGAL: "张三",
        wb.COL_QUALITY: "李四",
        wb.COL_TECHNICAL: "王五",
        wb.COL_FILED_ON: date(2022, 5, 1),
        wb.COL_NUMBER: "",
        wb.COL_OFF_SITE: "否",
        wb.COL_AREA: 1200.5,
    }
    row.update(overrides)
    return row


def items_for(n: int, codes=EXAM_ITEMS, types=ROUTINE, category=None) -> list[tuple]:
    return [(credit_code(n), code, types, category) for code in codes]


def build_workbook(institutions: list[dict], items: list[tuple], *,
                   institution_columns=wb.INSTITUTION_COLUMNS, item_columns=wb.ITEM_COLUMNS,
                   sheets=(wb.SHEET_INSTITUTIONS, wb.SHEET_ITEMS)) -> bytes:
    """A workbook in the import layout; the keyword arguments break one thing at a time."""
    workbook = Workbook(write_only=True)
    if wb.SHEET_INSTITUTIONS in sheets:
        ws = workbook.create_sheet(wb.SHEET_INSTITUTIONS)
        ws.append(list(institution_columns))
        for row in institutions:
            ws.append([row.get(column) for column in institution_columns])
    if wb.SHEET_ITEMS in sheets:
        ws = workbook.create_sheet(wb.SHEET_ITEMS)
        ws.append(list(item_columns))
        for row in items:
            ws.append([dict(zip(wb.ITEM_COLUMNS, row, strict=False)).get(c) for c in item_columns])
    if not sheets:
        workbook.create_sheet("Sheet1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_workbook(count: int = 2) -> bytes:
    rows = [institution(n) for n in range(1, count + 1)]
    items = [item for n in range(1, count + 1) for item in items_for(n)]
    return build_workbook(rows, items)


def upload(content: bytes, name: str = "机构.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def catalogues(db):
    catalogue_load_builtin()


@pytest.fixture
def admin(make_user, catalogues):
    return make_user(Role.PROVINCE_ADMIN)


@pytest.fixture
def jilin(reference_data):
    return Region.objects.get(code="220000")


def create_job(content: bytes, actor, province, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(upload=upload(content), actor=actor, province=province)
    job.refresh_from_db()
    return job


def commit_job(job: ImportJob, actor, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job_id=job.pk, actor=actor)
    job.refresh_from_db()
    return job


def messages_of(job: ImportJob) -> list[tuple]:
    return [(e["sheet"], e["row"], e["column"], e["message"]) for e in job.errors]


# ---- the good path ------------------------------------------------------------------------------

def test_dry_run_then_commit_creates_accepted_filings(admin, jilin, django_capture_on_commit_callbacks):
    job = create_job(good_workbook(2), admin, jilin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY, job.errors
    assert job.summary["create"] == 2 and job.summary["items"] == 6 and job.summary["skip"] == 0
    assert not Filing.objects.exists(), "the dry run writes no domain data"

    job = commit_job(job, admin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.errors
    org = Organisation.objects.get(credit_code=credit_code(1))
    assert org.kind == OrgKind.INSTITUTION and org.province == jilin and org.region.code == "220102"
    filing = Filing.objects.get(institution=org)
    assert filing.status == FilingStatus.ACCEPTED
    assert filing.kind == InstitutionKind.EXAMINATION
    assert filing.filed_on == date(2022, 5, 1)
    assert filing.filing_number.startswith("220000-2022-")
    version = filing.current_version
    assert version.status == VersionStatus.ACCEPTED and version.version_kind == VersionKind.INITIAL
    assert version.total_area == Decimal("1200.50")
    assert version.legal_representative == "张三" and version.decided_by == admin
    assert version.item_edition.code == "GBZ188-2014"
    assert version.receipt_id is None, "no receipt for a filing made on paper"
    items = FiledItem.objects.filter(version=version).select_related("exam_item")
    assert sorted(i.exam_item.code for i in items) == sorted(EXAM_ITEMS)
    assert all(i.exam_types == ["pre_employment", "on_duty", "leaving"] for i in items)
    numbers = sorted(Filing.objects.values_list("filing_number", flat=True))
    assert numbers == ["220000-2022-0001", "220000-2022-0002"]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("filing.filing.imported") == 2
    assert actions.count("filing.import.committed") == 1


def test_reupload_creates_no_duplicates(admin, jilin, django_capture_on_commit_callbacks):
    content = good_workbook(2)
    commit_job(create_job(content, admin, jilin, django_capture_on_commit_callbacks), admin,
               django_capture_on_commit_callbacks)
    first_file = ImportJob.objects.get().file

    again = create_job(content, admin, jilin, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.READY
    assert again.summary["create"] == 0 and again.summary["skip"] == 2
    assert all(s["reason"].startswith("已存在，跳过") for s in again.summary["skipped"])
    again = commit_job(again, admin, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.DONE
    assert Organisation.objects.filter(kind=OrgKind.INSTITUTION).count() == 2
    assert Filing.objects.count() == 2 and FilingVersion.objects.count() == 2 and FiledItem.objects.count() == 6
    # Both uploads are kept, the first never overwritten.
    assert StoredFile.objects.count() == 2
    assert again.file_id != first_file.pk and first_file.file.storage.exists(first_file.file.name)


def test_original_number_diagnosis_and_existing_organisation(admin, jilin, django_capture_on_commit_callbacks):
    existing = Organisation.objects.create(name="已注册机构", kind=OrgKind.INSTITUTION, province=jilin,
                                           region=Region.objects.get(code="220102"), credit_code=credit_code(7))
    rows = [institution(7, **{wb.COL_KIND: "职业病诊断机构", wb.COL_NUMBER: "吉职诊备字〔2019〕3号"}),
            institution(8, **{wb.COL_REGION: 220100, wb.COL_FILED_ON: "2021/3/9", wb.COL_OFF_SITE: "是"})]
    items = [(credit_code(7), "OD-2013:1.1", "", "1"), (credit_code(7), "OD-2013:1.2", None, None),
             *items_for(8, codes=["GBZ98-2020:R1"], types="上岗前、应急", category="接触放射因素类")]
    job = create_job(build_workbook(rows, items), admin, jilin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY, job.errors
    job = commit_job(job, admin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    diagnosis = Filing.objects.get(institution=existing)
    assert diagnosis.kind == InstitutionKind.DIAGNOSIS and diagnosis.filing_number == "吉职诊备字〔2019〕3号"
    assert Organisation.objects.filter(credit_code=credit_code(7)).count() == 1
    assert FiledItem.objects.filter(version__filing=diagnosis, disease__isnull=False).count() == 2
    other = Filing.objects.get(institution__credit_code=credit_code(8))
    assert other.filing_number == "220000-2021-0001" and other.region.code == "220100"
    assert other.current_version.off_site is True
    assert FiledItem.objects.get(version__filing=other).exam_types == ["pre_employment", "emergency"]


# ---- bad input: each with its own message, nothing saved -----------------------------------------

def assert_nothing_saved():
    assert not Filing.objects.exists()
    assert not Organisation.objects.filter(kind=OrgKind.INSTITUTION, credit_code__isnull=False).exists()


def rejected_upload(content: bytes, admin, jilin, name: str = "机构.xlsx") -> list[str]:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        import_job_create(upload=upload(content, name), actor=admin, province=jilin)
    assert not ImportJob.objects.exists() and not StoredFile.objects.exists()
    assert_nothing_saved()
    return caught.value.messages


def test_wrong_file_type(admin, jilin):
    messages = rejected_upload(b"%PDF-1.4 not a workbook", admin, jilin, name="机构.pdf")
    assert "类型不受支持" in messages[0]
    messages = rejected_upload(good_workbook(1), admin, jilin, name="机构.xls")
    assert "只接受：.xlsx" in messages[0]


def test_oversize(admin, jilin, monkeypatch):
    monkeypatch.setattr(wb, "MAX_UPLOAD_BYTES", 1024)
    messages = rejected_upload(good_workbook(1), admin, jilin)
    assert "的大小限制" in messages[0]


def test_not_a_zip(admin, jilin):
    messages = rejected_upload(b"PK\x03\x04" + b"garbage" * 100, admin, jilin)
    assert "不是有效的 Excel 工作簿" in messages[0]


def test_zip_bomb(admin, jilin):
    content = zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>",
                      "xl/worksheets/sheet1.xml": b"\0" * (wb.MAX_UNCOMPRESSED_BYTES + 1)})
    assert len(content) < 1024 * 1024
    messages = rejected_upload(content, admin, jilin)
    assert "疑似压缩炸弹" in messages[0]


def test_malformed_workbook(admin, jilin):
    content = zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<not-a-workbook"}, compress=False)
    messages = rejected_upload(content, admin, jilin)
    assert "已损坏或格式不受支持" in messages[0]


def test_missing_sheet(admin, jilin):
    messages = rejected_upload(build_workbook([institution(1)], [], sheets=(wb.SHEET_INSTITUTIONS,)), admin, jilin)
    assert messages == ["缺少工作表「备案项目」（请使用导入模板）。"]


def test_missing_column(admin, jilin):
    columns = tuple(c for c in wb.INSTITUTION_COLUMNS if c != wb.COL_REGION)
    messages = rejected_upload(build_workbook([institution(1)], items_for(1), institution_columns=columns),
                               admin, jilin)
    assert messages == ["工作表「机构」 第 1 行：缺少列「区划代码」（第 1 行为表头，请使用导入模板）。"]


def test_empty_institution_sheet(admin, jilin):
    messages = rejected_upload(build_workbook([], []), admin, jilin)
    assert "没有任何机构数据" in messages[0]


def invalid_job(rows, items, admin, jilin, capture) -> ImportJob:
    job = create_job(build_workbook(rows, items), admin, jilin, capture)
    assert job.status == ImportStatus.INVALID
    assert_nothing_saved()
    return job


@pytest.mark.parametrize(("overrides", "column", "message"), [
    ({wb.COL_CREDIT_CODE: "12220102000000001X"}, wb.COL_CREDIT_CODE, "校验位不正确"),
    ({wb.COL_CREDIT_CODE: "ABC"}, wb.COL_CREDIT_CODE, "应为18位"),
    ({wb.COL_CREDIT_CODE: 122201020000000019}, wb.COL_CREDIT_CODE, "被 Excel 当作数字保存"),
    ({wb.COL_FILED_ON: date.today() + timedelta(days=3)}, wb.COL_FILED_ON, "不能是将来的日期"),
    ({wb.COL_FILED_ON: "去年"}, wb.COL_FILED_ON, "不是有效日期"),
    ({wb.COL_AREA: -5}, wb.COL_AREA, "总建筑面积不能为负数"),
    ({wb.COL_AREA: "很大"}, wb.COL_AREA, "不是数字"),
    ({wb.COL_REGION: "999999"}, wb.COL_REGION, "区划代码「999999」不存在"),
    ({wb.COL_REGION: "210102"}, wb.COL_REGION, "不在本省吉林省范围内"),
    ({wb.COL_REGION: "220000"}, wb.COL_REGION, "是省级代码"),
    ({wb.COL_KIND: "医院"}, wb.COL_KIND, "不是有效的机构类型"),
    ({wb.COL_OFF_SITE: "也许"}, wb.COL_OFF_SITE, "请填写「是」或「否」"),
    ({wb.COL_NAME: ""}, wb.COL_NAME, "不能为空"),
    ({wb.COL_NUMBER: "220000-2020-ABC"}, wb.COL_NUMBER, "须为本系统格式"),
])
def test_bad_institution_cell(overrides, column, message, admin, jilin, django_capture_on_commit_callbacks):
    rows = [institution(1), institution(2, **overrides)]
    job = invalid_job(rows, items_for(1) + items_for(2), admin, jilin, django_capture_on_commit_callbacks)
    found = [e for e in messages_of(job) if e[1] == 3 and e[2] == column]
    assert found and message in found[0][3], messages_of(job)
    assert found[0][0] == wb.SHEET_INSTITUTIONS


def test_duplicate_credit_code_in_file(admin, jilin, django_capture_on_commit_callbacks):
    rows = [institution(1), institution(2), institution(1, **{wb.COL_NAME: "重复"})]
    job = invalid_job(rows, items_for(1) + items_for(2), admin, jilin, django_capture_on_commit_callbacks)
    assert (wb.SHEET_INSTITUTIONS, 4, wb.COL_CREDIT_CODE,
            f"统一社会信用代码「{credit_code(1)}」与第 2 行重复，每个机构只能占一行。") in messages_of(job)


@pytest.mark.parametrize(("item", "column", "message"), [
    ((1, "GBZ188-2014:99.9", ROUTINE, None), wb.COL_ITEM, "未知的项目代码「GBZ188-2014:99.9」"),
    ((1, "GBZ188-2014:6.1", ROUTINE, "chemical"), wb.COL_CATEGORY,
     "属于「接触粉尘类」，不属于所填类别「chemical」"),
    ((1, "GBZ188-2014:6.1", ROUTINE, "接触化学因素类"), wb.COL_CATEGORY, "不属于所填类别「接触化学因素类」"),
    ((1, "GBZ188-2014:6.1", ROUTINE, "火星类"), wb.COL_CATEGORY, "未知的类别代码「火星类」"),
    ((1, "GBZ188-2014:6.1", "上岗前,体检", None), wb.COL_EXAM_TYPES, "未知的检查类型「体检」"),
    ((1, "GBZ188-2014:6.1", "", None), wb.COL_EXAM_TYPES, "请填写检查类型"),
    ((1, "OD-2013:1.1", "", None), wb.COL_ITEM, "职业健康检查机构应填写检查项目代码"),
    ((1, "GBZ188-2014:5.1", ROUTINE, None), wb.COL_ITEM, "与第 2 行重复"),
    ((9, "GBZ188-2014:6.1", ROUTINE, None), wb.COL_CREDIT_CODE, "不在工作表「机构」中"),
])
def test_bad_item_row(item, column, message, admin, jilin, django_capture_on_commit_callbacks):
    n, code, types, category = item
    items = [(credit_code(1), "GBZ188-2014:5.1", ROUTINE, None), (credit_code(n), code, types, category)]
    job = invalid_job([institution(1)], items, admin, jilin, django_capture_on_commit_callbacks)
    found = [e for e in messages_of(job) if e[0] == wb.SHEET_ITEMS and e[1] == 3 and e[2] == column]
    assert found and message in found[0][3], messages_of(job)


def test_institution_without_items(admin, jilin, django_capture_on_commit_callbacks):
    job = invalid_job([institution(1), institution(2)], items_for(1), admin, jilin,
                      django_capture_on_commit_callbacks)
    assert messages_of(job) == [(wb.SHEET_INSTITUTIONS, 3, wb.COL_CREDIT_CODE,
                                 "工作表「备案项目」中没有该机构的任何项目，至少需要一项。")]


def test_every_error_is_listed_at_once(admin, jilin, django_capture_on_commit_callbacks):
    rows = [institution(1, **{wb.COL_AREA: -1, wb.COL_REGION: "210102"}), institution(2, **{wb.COL_KIND: "?"})]
    items = items_for(1) + [(credit_code(2), "nope", ROUTINE, None)]
    job = invalid_job(rows, items, admin, jilin, django_capture_on_commit_callbacks)
    assert {(e[0], e[1], e[2]) for e in messages_of(job)} == {
        (wb.SHEET_INSTITUTIONS, 2, wb.COL_AREA), (wb.SHEET_INSTITUTIONS, 2, wb.COL_REGION),
        (wb.SHEET_INSTITUTIONS, 3, wb.COL_KIND), (wb.SHEET_ITEMS, 5, wb.COL_ITEM)}
    assert job.error_count == 4


def test_invalid_job_cannot_be_committed(admin, jilin, django_capture_on_commit_callbacks):
    from filing.services import TransitionError

    job = invalid_job([institution(1, **{wb.COL_AREA: -1})], items_for(1), admin, jilin,
                      django_capture_on_commit_callbacks)
    with pytest.raises(TransitionError):
        import_job_start(job_id=job.pk, actor=admin)
    assert_nothing_saved()


def test_commit_checks_again_and_saves_nothing_when_the_database_changed(
        admin, jilin, django_capture_on_commit_callbacks):
    job = create_job(good_workbook(2), admin, jilin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.READY
    # Meanwhile the second institution is registered in another province.
    Organisation.objects.create(name="外省机构", kind=OrgKind.INSTITUTION, province=Region.objects.get(code="210000"),
                                region=Region.objects.get(code="210102"), credit_code=credit_code(2))
    job = commit_job(job, admin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert "已在其他省份登记" in job.errors[0]["message"]
    assert not Filing.objects.exists()
    assert not Organisation.objects.filter(credit_code=credit_code(1)).exists()


def test_institution_filing_online_is_not_overwritten(admin, jilin, django_capture_on_commit_callbacks):
    from filing.services import filing_start

    org = Organisation.objects.create(name="在线备案中", kind=OrgKind.INSTITUTION, province=jilin,
                                      region=Region.objects.get(code="220102"), credit_code=credit_code(1))
    filing_start(institution=org, kind=InstitutionKind.EXAMINATION, actor=admin)
    job = create_job(good_workbook(1), admin, jilin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert "已在系统中在线办理备案（状态：填报中）" in job.errors[0]["message"]


def test_commit_is_all_or_nothing_on_a_collision(admin, jilin, django_capture_on_commit_callbacks, monkeypatch):
    from filing.importing import services

    job = create_job(good_workbook(3), admin, jilin, django_capture_on_commit_callbacks)
    def collide(*args, **kwargs):
        from django.db import IntegrityError

        raise IntegrityError("simulated concurrent insert")

    monkeypatch.setattr(services, "_insert_filed_items", collide)
    job = commit_job(job, admin, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert "未保存任何数据" in job.errors[0]["message"]
    assert_nothing_saved()
    assert not FilingVersion.objects.exists()
    assert not AuditEntry.objects.filter(action="filing.filing.imported").exists()


def test_worker_re_checks_the_actor(admin, jilin, make_user, django_capture_on_commit_callbacks):
    job = create_job(good_workbook(1), admin, jilin, django_capture_on_commit_callbacks)
    import_job_start(job_id=job.pk, actor=admin)  # queued, not yet run
    admin.is_province_admin = False
    admin.save()
    job = import_job_commit(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert_nothing_saved()


def test_other_province_admin_cannot_import_into_jilin(make_user, catalogues, jilin):
    from django.core.exceptions import ValidationError

    other = make_user(Role.PROVINCE_ADMIN, province_code="210000")
    with pytest.raises(ValidationError, match="只能导入本省"):
        import_job_create(upload=upload(good_workbook(1)), actor=other, province=jilin)
