"""The import pages: template, upload, dry-run table, confirmation, progress, roles and provinces."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from filing import tasks_import
from filing.importing import services
from filing.importing import workbook as wb
from filing.models import Filing
from filing.models_import import ImportJob, ImportStatus
from filing.tests.test_import import (  # noqa: F401  fixtures
    ROUTINE,
    build_workbook,
    catalogues,
    credit_code,
    good_workbook,
    institution,
    items_for,
)
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry


@pytest.fixture
def admin(make_user, catalogues):  # noqa: F811
    return make_user(Role.PROVINCE_ADMIN)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def post_file(client, content: bytes, name: str = "机构.xlsx", capture=None):
    url = reverse("filing:import")
    if capture is None:
        return client.post(url, {"file": SimpleUploadedFile(name, content)})
    with capture(execute=True):
        return client.post(url, {"file": SimpleUploadedFile(name, content)})


def test_template_download_has_the_sheets_and_columns(admin_client):
    response = admin_client.get(reverse("filing:import-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [wb.SHEET_INSTITUTIONS, wb.SHEET_ITEMS, wb.SHEET_GUIDE, wb.SHEET_CODES]
    header = next(book[wb.SHEET_INSTITUTIONS].iter_rows(max_row=1, values_only=True))
    assert tuple(header) == wb.INSTITUTION_COLUMNS
    header = next(book[wb.SHEET_ITEMS].iter_rows(max_row=1, values_only=True))
    assert tuple(header) == wb.ITEM_COLUMNS
    guide = [row[0] for row in book[wb.SHEET_GUIDE].iter_rows(values_only=True)]
    assert set(wb.INSTITUTION_COLUMNS) <= set(guide)
    codes = {row[0] for row in book[wb.SHEET_CODES].iter_rows(values_only=True)}
    assert {"GBZ188-2014:6.1", "GBZ98-2020:R1", "OD-2013:1.1"} <= codes


def test_the_blank_template_is_read_as_empty(admin_client):
    content = admin_client.get(reverse("filing:import-template")).content
    response = post_file(admin_client, content, name="template.xlsx")
    assert response.status_code == 400
    assert "没有任何机构数据" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_dry_run_and_commit_through_the_pages(admin_client, django_capture_on_commit_callbacks):
    response = post_file(admin_client, good_workbook(2), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("filing:import-job", args=[job.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "检查通过" in page and "将导入 2 个机构的备案" in page and 'data-testid="commit"' in page
    assert not Filing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("filing:import-commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Filing.objects.count() == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "已导入 2 个机构的备案" in page and 'data-testid="commit"' not in page

    listing = admin_client.get(reverse("filing:import")).content.decode()
    assert "机构.xlsx" in listing and "已导入" in listing


def test_errors_are_shown_by_sheet_row_and_column(admin_client, django_capture_on_commit_callbacks):
    rows = [institution(1, **{wb.COL_AREA: -3})]
    post_file(admin_client, build_workbook(rows, items_for(1)), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    page = admin_client.get(reverse("filing:import-job", args=[job.pk])).content.decode()
    assert 'data-testid="import-errors"' in page
    assert "<td>机构</td><td>2</td><td>总建筑面积</td><td>总建筑面积不能为负数（填写的是 -3）。</td>" in page
    assert 'data-testid="commit"' not in page
    response = admin_client.post(reverse("filing:import-commit", args=[job.pk]), follow=True)
    assert "不能执行此操作" in response.content.decode()
    assert not Filing.objects.exists()


def test_upload_rejections_show_on_the_form(admin_client):
    response = post_file(admin_client, b"%PDF-1.7", name="机构.pdf")
    assert response.status_code == 400
    assert "只接受：.xlsx" in response.content.decode()
    response = post_file(admin_client, build_workbook([institution(1)], [], sheets=(wb.SHEET_INSTITUTIONS,)))
    assert "缺少工作表「备案项目」" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.COMMISSION_CITY, Role.COMMISSION_PROVINCE, Role.NATIONAL])
def test_other_roles_get_403(role, make_user, client):
    client.force_login(make_user(role))
    assert client.get(reverse("filing:import")).status_code == 403
    assert client.post(reverse("filing:import"), {"file": SimpleUploadedFile("a.xlsx", good_workbook(1))}
                       ).status_code == 403
    assert client.get(reverse("filing:import-template")).status_code == 403
    assert not ImportJob.objects.exists()


def test_qc_center_may_import(make_user, client, catalogues, django_capture_on_commit_callbacks):  # noqa: F811
    client.force_login(make_user(Role.QC_CENTER))
    response = post_file(client, good_workbook(1), capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportStatus.READY


def test_other_province_cannot_see_the_job(admin_client, make_user, client, django_capture_on_commit_callbacks):
    post_file(admin_client, good_workbook(1), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    for name in ("filing:import-job", "filing:import-progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("filing:import-commit", args=[job.pk])).status_code == 404
    assert "机构.xlsx" not in client.get(reverse("filing:import")).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_platform_administrator_names_the_province(make_user, client, catalogues,  # noqa: F811
                                                   django_capture_on_commit_callbacks):
    from portal.regions.models import Region

    client.force_login(make_user(Role.SYSTEM_ADMIN))
    response = post_file(client, good_workbook(1))
    assert response.status_code == 400 and not ImportJob.objects.exists()
    jilin = Region.objects.get(code="220000")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("filing:import"), {"file": SimpleUploadedFile("a.xlsx", good_workbook(1)),
                                                          "province": jilin.pk})
    assert response.status_code == 302
    assert ImportJob.objects.get().province == jilin


def test_large_files_go_through_celery_with_progress(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "ASYNC_ROWS", 2)
    monkeypatch.setattr(wb, "PROGRESS_EVERY", 1)
    queued = []
    reports = []
    for task in (tasks_import.import_check, tasks_import.import_commit):
        real_delay = task.delay

        def spy(*args, _real=real_delay, _name=task.name, **kwargs):
            queued.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(task, "delay", spy)
    real_reporter = services.progress_reporter

    def recording_reporter(job_id):
        report = real_reporter(job_id)

        def both(phase, done, total):
            reports.append((phase, done, total))
            report(phase, done, total)

        return both

    monkeypatch.setattr(services, "progress_reporter", recording_reporter)

    response = post_file(admin_client, good_workbook(5), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert queued == [tasks_import.import_check.name]
    assert job.status == ImportStatus.READY and job.rows_done == job.rows_total == 5
    assert ("read_institutions", 5, 5) in reports and ("check_institutions", 5, 5) in reports

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("filing:import-commit", args=[job.pk]))
    assert queued[-1] == tasks_import.import_commit.name
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.rows_done == 5
    assert ("write", 5, 5) in reports
    assert Filing.objects.count() == 5
    assert response.status_code == 302


def test_progress_while_running(admin_client, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(services, "ASYNC_ROWS", 0)
    # The worker has not picked the job up yet: nothing runs at commit.
    monkeypatch.setattr(tasks_import.import_check, "delay", lambda **kwargs: None)
    post_file(admin_client, good_workbook(3), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKING
    url = reverse("filing:import-progress", args=[job.pk])
    assert admin_client.get(url).json() == {"status": "checking", "status_label": "检查中", "running": True,
                                            "phase": "checking", "done": 0, "total": 3, "error_count": 0}
    services.progress_reporter(job.pk)("check_institutions", 2, 3)
    data = admin_client.get(url).json()
    assert (data["phase"], data["done"], data["total"]) == ("check_institutions", 2, 3)
    page = admin_client.get(reverse("filing:import-job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and "已处理 2 / 3 行" in page

    tasks_import.import_check(job_id=job.pk)  # the worker's turn
    data = admin_client.get(url).json()
    assert data["status"] == "ready" and data["running"] is False and data["done"] == 3


def test_a_crashing_task_marks_the_job_failed(admin, django_capture_on_commit_callbacks, monkeypatch):
    from filing.tests.test_import import create_job
    from portal.regions.models import Region

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "check_workbook", boom)
    job = create_job(good_workbook(1), admin, Region.objects.get(code="220000"), django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert "系统错误" in job.errors[0]["message"]
    assert AuditEntry.objects.filter(action="filing.import.failed").exists()


def test_job_list_query_count_does_not_grow(admin_client, django_capture_on_commit_callbacks,
                                            django_assert_max_num_queries):
    post_file(admin_client, good_workbook(1), capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("filing:import"))
    for _n in range(5):
        post_file(admin_client, good_workbook(1), capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("filing:import")).status_code == 200
