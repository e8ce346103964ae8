import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse, reverse_lazy
from openpyxl import load_workbook

from filing.catalogue.models import CatalogueEdition, ExamItem
from portal.accounts.choices import Role

from .conftest import make_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.urls("filing.catalogue.tests.urls")]
INDEX = reverse_lazy("catalogue:index")
IMPORT = reverse_lazy("catalogue:import")
CONFIRM = reverse_lazy("catalogue:import-confirm")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def xlsx_upload(content=None, name="GBZ188-2025.xlsx"):
    return SimpleUploadedFile(name, content or make_xlsx(items=[("chemical", "5.1", "铅"), ("dust", "6.1", "矽尘")]))


@pytest.mark.parametrize("role", [r for r in Role if r != Role.NONE])
def test_every_signed_in_role_can_browse(catalogues, make_user, role):
    client = client_for(make_user(role))
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "GBZ188-2014" in response.content.decode()
    detail = client.get(reverse("catalogue:edition", args=["GBZ188-2014"]), {"category": "dust"})
    assert detail.status_code == 200
    assert "矽尘" in detail.content.decode() and "铅及其无机化合物" not in detail.content.decode()


def test_anonymous_goes_to_sign_in(catalogues):
    response = Client().get(INDEX)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_unknown_edition_is_404(catalogues, make_user):
    assert client_for(make_user(Role.INSTITUTION)).get(reverse("catalogue:edition", args=["NOPE-1"])).status_code == 404


def test_index_and_detail_query_counts(catalogues, make_user, django_assert_max_num_queries):
    client = client_for(make_user(Role.QC_CENTER))
    client.get(INDEX)  # warm the session and the user's organisation
    # Per page: session, user, organisation, the notification bell's unread count, then the page itself.
    with django_assert_max_num_queries(9):
        assert client.get(INDEX).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("catalogue:edition", args=["GBZ188-2014"])).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(reverse("catalogue:edition", args=["OD-2013"])).status_code == 200


def test_export_download(catalogues, make_user, django_assert_max_num_queries):
    client = client_for(make_user(Role.INSTITUTION))
    client.get(INDEX)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("catalogue:edition-export", args=["GBZ188-2014"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:2] == ["版本", "项目"]
    assert workbook["项目"].max_row == 85


@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.NATIONAL])
def test_others_cannot_import(catalogues, make_user, role):
    client = client_for(make_user(role))
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": xlsx_upload()}).status_code == 403
    assert client.post(CONFIRM).status_code == 403
    assert client.get(reverse("catalogue:template")).status_code == 403
    assert not CatalogueEdition.objects.filter(code="GBZ188-2025").exists()


def test_province_admin_imports_with_dry_run_then_confirm(catalogues, make_user):
    admin = make_user(Role.PROVINCE_ADMIN)
    client = client_for(admin)
    assert client.get(IMPORT).status_code == 200
    response = client.post(IMPORT, {"file": xlsx_upload()})
    assert response.status_code == 200
    assert 'data-testid="preview"' in response.content.decode()
    assert not CatalogueEdition.objects.filter(code="GBZ188-2025").exists()
    response = client.post(CONFIRM)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:edition", args=["GBZ188-2025"])
    edition = CatalogueEdition.objects.get(code="GBZ188-2025")
    assert edition.imported_by == admin and edition.exam_items.count() == 2
    # The pending file is gone: confirming twice does not import twice.
    assert client.post(CONFIRM).status_code == 302
    assert CatalogueEdition.objects.filter(code="GBZ188-2025").count() == 1


def test_import_page_shows_every_error_and_saves_nothing(catalogues, make_user):
    client = client_for(make_user(Role.PROVINCE_ADMIN))
    items = [("chemical", "5.1", "铅"), ("chemical", "5.1", "汞"), ("noise", "7.1", "噪声")]
    response = client.post(IMPORT, {"file": xlsx_upload(make_xlsx(items=items))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "条款号「5.1」与第 2 行重复" in page and "未知的检查类别「noise」" in page
    assert 'data-testid="preview"' not in page
    assert client.post(CONFIRM).status_code == 302
    assert not CatalogueEdition.objects.filter(code="GBZ188-2025").exists()


def test_wrong_file_type_on_the_page(catalogues, make_user):
    client = client_for(make_user(Role.PROVINCE_ADMIN))
    response = client.post(IMPORT, {"file": SimpleUploadedFile("list.csv", b"a,b\n")})
    assert response.status_code == 400
    assert "只接受 Excel 工作簿（.xlsx）文件" in response.content.decode()


def test_confirm_loses_a_race_for_the_same_code(catalogues, make_user):
    first, second = client_for(make_user(Role.PROVINCE_ADMIN)), client_for(
        make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert first.post(IMPORT, {"file": xlsx_upload()}).status_code == 200
    assert second.post(IMPORT, {"file": xlsx_upload()}).status_code == 200
    assert first.post(CONFIRM).status_code == 302
    response = second.post(CONFIRM)
    assert response.status_code == 400
    assert "版本「GBZ188-2025」已存在" in response.content.decode()
    assert ExamItem.objects.filter(edition__code="GBZ188-2025").count() == 2


def test_only_platform_admins_edit_and_delete(catalogues, make_user):
    province_admin = client_for(make_user(Role.PROVINCE_ADMIN))
    province_admin.post(IMPORT, {"file": xlsx_upload()})
    province_admin.post(CONFIRM)
    edit = reverse("catalogue:edition-edit", args=["GBZ188-2014"])
    assert province_admin.get(edit).status_code == 403
    assert province_admin.post(reverse("catalogue:edition-delete", args=["GBZ188-2025"])).status_code == 403

    platform = client_for(make_user(Role.SYSTEM_ADMIN))
    response = platform.post(edit, {"name": "GBZ 188-2014 职业健康监护技术规范", "effective_from": "2014-10-01",
                                    "effective_to": "2026-07-31", "is_active": "on"})
    assert response.status_code == 302
    assert str(CatalogueEdition.objects.get(code="GBZ188-2014").effective_to) == "2026-07-31"
    response = platform.post(edit, {"name": "x", "effective_from": "2014-10-01", "effective_to": "2014-01-01"})
    assert response.status_code == 200 and "失效日期" in response.content.decode()

    response = platform.post(reverse("catalogue:edition-delete", args=["GBZ188-2014"]))
    assert response.status_code == 302 and CatalogueEdition.objects.filter(code="GBZ188-2014").exists()
    response = platform.post(reverse("catalogue:edition-delete", args=["GBZ188-2025"]))
    assert response.status_code == 302 and not CatalogueEdition.objects.filter(code="GBZ188-2025").exists()
    assert not ExamItem.objects.filter(code__startswith="GBZ188-2025:").exists()
