import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from openpyxl import load_workbook

from filing.catalogue import selectors
from filing.catalogue.choices import EditionKind, EditionSource
from filing.catalogue.exporters import catalogue_export_xlsx, catalogue_template_xlsx
from filing.catalogue.models import CatalogueEdition, Disease, DiseaseCategory, ExamItem
from filing.catalogue.services import catalogue_import_xlsx
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.testing.files import zip_of

from .conftest import make_xlsx

pytestmark = pytest.mark.django_db

GBZ188_2025_SAMPLE = [
    ("chemical", "5.1", "铅及其无机化合物"),
    ("chemical", "5.2", "四乙基铅"),
    ("chemical", "5.10", "砷化氢"),
    ("dust", "6.1", "游离二氧化硅粉尘"),
    ("接触物理因素类", "7.1", "噪声"),
    ("other", "9.1", "电工作业"),
]


def upload(content: bytes, name: str = "catalogue.xlsx") -> ContentFile:
    return ContentFile(content, name=name)


def snapshot_2014():
    return list(ExamItem.objects.filter(edition__code="GBZ188-2014").order_by("pk")
                .values_list("pk", "code", "clause", "name", "category_id", "order"))


def assert_nothing_saved(before_editions: int, before_items: int):
    assert CatalogueEdition.objects.count() == before_editions
    assert ExamItem.objects.count() == before_items


@pytest.fixture
def admin_user(catalogues, make_user):
    return make_user(Role.PROVINCE_ADMIN)


def test_2025_edition_loads_beside_2014(admin_user):
    before = snapshot_2014()
    edition_2014 = CatalogueEdition.objects.get(code="GBZ188-2014")
    result = catalogue_import_xlsx(file=upload(make_xlsx(items=GBZ188_2025_SAMPLE)), actor=admin_user)
    edition = result.edition
    assert (edition.code, edition.series, edition.kind, edition.source) == (
        "GBZ188-2025", "GBZ188", EditionKind.EXAM_ITEMS, EditionSource.IMPORTED)
    assert edition.effective_from == date(2026, 8, 1) and edition.imported_by == admin_user
    assert list(edition.exam_items.values_list("code", flat=True)) == [
        "GBZ188-2025:5.1", "GBZ188-2025:5.2", "GBZ188-2025:5.10", "GBZ188-2025:6.1", "GBZ188-2025:7.1",
        "GBZ188-2025:9.1"]
    assert ExamItem.objects.get(code="GBZ188-2025:7.1").category.code == "physical"
    assert snapshot_2014() == before
    edition_2014.refresh_from_db()
    assert edition_2014.effective_to is None and edition_2014.is_active
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2026, 7, 31)).code == "GBZ188-2014"
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2026, 8, 1)).code == "GBZ188-2025"
    assert {e.code for e in selectors.current_editions(EditionKind.EXAM_ITEMS, date(2026, 8, 1))} == {
        "GBZ188-2025", "GBZ98-2020"}
    entry = AuditEntry.objects.get(action="catalogue.edition.created", object_id=str(edition.pk))
    assert entry.actor == admin_user and entry.new["entries"] == 6


def test_2025_edition_through_the_command(catalogues, tmp_path, capsys):
    path = tmp_path / "GBZ188-2025.xlsx"
    path.write_bytes(make_xlsx(items=GBZ188_2025_SAMPLE))
    call_command("catalogue_import", str(path), "--dry-run")
    assert not CatalogueEdition.objects.filter(code="GBZ188-2025").exists()
    call_command("catalogue_import", str(path))
    assert ExamItem.objects.filter(edition__code="GBZ188-2025").count() == 6
    assert "imported 6 entries" in capsys.readouterr().out


def test_existing_edition_code_cannot_be_overwritten(admin_user):
    before = (CatalogueEdition.objects.count(), ExamItem.objects.count())
    content = make_xlsx(edition=("GBZ188-2014", "改写", "职业健康检查项目", "2014-10-01"))
    result = catalogue_import_xlsx(file=upload(content), actor=admin_user, dry_run=True)
    assert result.messages == ["工作表「版本」第 2 行「版本代码」列：版本「GBZ188-2014」已存在。"
                               "已有版本不能覆盖，修订内容请以新的版本代码导入。"]
    with pytest.raises(ValidationError):
        catalogue_import_xlsx(file=upload(content), actor=admin_user)
    assert_nothing_saved(*before)


def test_import_needs_the_manage_capability(catalogues, make_user):
    with pytest.raises(PermissionDenied):
        catalogue_import_xlsx(file=upload(make_xlsx()), actor=make_user(Role.INSTITUTION))


def test_exam_items_round_trip(admin_user):
    content = catalogue_export_xlsx(CatalogueEdition.objects.get(code="GBZ188-2014"))
    workbook = load_workbook(io.BytesIO(content))
    ws = workbook["版本"]
    ws["A2"] = "GBZ188-2014R"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = catalogue_import_xlsx(file=upload(buffer.getvalue()), actor=admin_user)
    original = list(ExamItem.objects.filter(edition__code="GBZ188-2014").values_list("category__code", "clause",
                                                                                     "name", "order"))
    copy = list(result.edition.exam_items.values_list("category__code", "clause", "name", "order"))
    assert copy == original and len(copy) == 84
    assert ExamItem.objects.get(code="GBZ188-2014R:5.10").name == "砷化氢"  # not the number 5.1


def test_disease_round_trip(admin_user):
    content = catalogue_export_xlsx(CatalogueEdition.objects.get(code="OD-2013"))
    workbook = load_workbook(io.BytesIO(content))
    workbook["版本"]["A2"] = "OD-2025"
    workbook["版本"]["D2"] = "2025-08-01"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = catalogue_import_xlsx(file=upload(buffer.getvalue()), actor=admin_user)
    assert result.edition.kind == EditionKind.DISEASES
    assert DiseaseCategory.objects.filter(edition=result.edition).count() == 10
    assert Disease.objects.filter(edition=result.edition).count() == 132
    assert Disease.objects.get(code="OD-2025:1.14").group == "其他呼吸系统疾病"
    assert selectors.current_edition(EditionKind.DISEASES, date(2025, 8, 1)).code == "OD-2025"
    assert Disease.objects.filter(edition__code="OD-2013").count() == 132


def test_export_neutralises_formulas_and_import_restores_them(admin_user):
    items = [("chemical", "5.1", "=HYPERLINK(\"x\")"), ("chemical", "5.2", "+1"), ("chemical", "5.3", "-苯"),
             ("chemical", "5.4", "@SUM(A1)")]
    workbook = make_xlsx(items=[(c, k, "placeholder") for c, k, _n in items])
    edition = catalogue_import_xlsx(file=upload(workbook), actor=admin_user).edition
    for (_c, clause, name) in items:
        ExamItem.objects.filter(edition=edition, clause=clause).update(name=name)
    exported = load_workbook(io.BytesIO(catalogue_export_xlsx(edition)))
    cells = [row[2] for row in exported["项目"].iter_rows(min_row=2, values_only=True)]
    assert cells == ["'=HYPERLINK(\"x\")", "'+1", "'-苯", "'@SUM(A1)"]
    assert all(cell.data_type == "s" for row in exported["项目"].iter_rows(min_row=2) for cell in row)
    exported["版本"]["A2"] = "GBZ188-2025B"
    buffer = io.BytesIO()
    exported.save(buffer)
    again = catalogue_import_xlsx(file=upload(buffer.getvalue()), actor=admin_user).edition
    assert list(again.exam_items.values_list("name", flat=True)) == [n for _c, _k, n in items]


def test_template_is_importable_after_filling(admin_user):
    result = catalogue_import_xlsx(file=upload(catalogue_template_xlsx()), actor=admin_user, dry_run=True)
    assert result.ok, result.messages


# ---------------------------------------------------------------- bad input: a specific message, nothing saved


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"0" * (1024 * 1024)
            for _i in range(60):
                member.write(chunk)
    return buffer.getvalue()


def broken_workbook() -> bytes:
    return zip_of({"[Content_Types].xml": "<Types", "xl/workbook.xml": "not xml at all"}, compress=False)


BAD_FILES = {
    "csv": (lambda: b"a,b,c\n", "catalogue.csv", "只接受 Excel 工作簿（.xlsx）文件，「catalogue.csv」不是。"),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xlsx",
            "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传。"),
    "renamed pdf": (lambda: b"%PDF-1.7\n", "report.xlsx", "文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。"),
    "plain zip": (lambda: _plain_zip(), "archive.xlsx", "文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。"),
    "truncated": (lambda: make_xlsx()[:300], "cut.xlsx", "Excel 文件已损坏，无法读取。"),
    "broken parts": (broken_workbook, "broken.xlsx", "Excel 文件已损坏或格式不受支持，无法读取。"),
    "oversize": (lambda: b"PK" + b"\0" * (5 * 1024 * 1024), "big.xlsx", "文件大小 5.0 MB，超过上限 5 MB。"),
    "zip bomb": (zip_bomb, "bomb.xlsx", "Excel 文件解压后达 60 MB，超过上限 50 MB，疑似压缩炸弹，已拒绝。"),
}


def _plain_zip() -> bytes:
    return zip_of({"readme.txt": "hello"}, compress=False)


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_are_rejected_with_a_specific_message(admin_user, case):
    build, name, message = BAD_FILES[case]
    before = (CatalogueEdition.objects.count(), ExamItem.objects.count())
    result = catalogue_import_xlsx(file=upload(build(), name), actor=admin_user, dry_run=True)
    assert result.messages == [message]
    with pytest.raises(ValidationError) as exc:
        catalogue_import_xlsx(file=upload(build(), name), actor=admin_user)
    assert exc.value.message_dict == {"file": [message]}
    assert_nothing_saved(*before)


BAD_CONTENT = {
    "missing sheet": (dict(sheets=("版本",)), ["缺少工作表「项目」。"]),
    "missing sheets": (dict(sheets=()), ["缺少工作表「版本」。", "缺少工作表「项目」。"]),
    "missing column": (dict(item_header=("类别代码", "名称")),
                       ["工作表「项目」第 1 行：缺少列「条款号」（第 1 行为表头）。"]),
    "missing edition column": (dict(edition_header=("版本代码", "名称", "类型", "日期")),
                               ["工作表「版本」第 1 行：缺少列「生效日期」（第 1 行为表头）。"]),
    "unknown category": (dict(items=[("chemical", "5.1", "铅"), ("noise", "7.1", "噪声")]),
                         ["工作表「项目」第 3 行「类别代码」列：未知的检查类别「noise」，应为 dust、chemical、physical、"
                          "biological、radiation、other 之一。"]),
    "duplicate clause": (dict(items=[("chemical", "5.1", "铅"), ("chemical", "5.2", "汞"), ("chemical", "5.1", "锰")]),
                         ["工作表「项目」第 4 行「条款号」列：条款号「5.1」与第 2 行重复。"]),
    "item outside its category": (
        dict(items=[("chemical", "5.1", "铅"), ("chemical", "5.2", "汞"), ("dust", "5.3", "矽尘"),
                    ("dust", "6.1", "煤尘")]),
        ["工作表「项目」第 4 行「类别代码」列：条款「5.3」属于第 5 章，该章其他条款属于「接触化学因素类」，"
         "与所填类别「接触粉尘类」不符。"]),
    "numeric clause": (dict(items=[("chemical", 5.1, "铅")]),
                       ["工作表「项目」第 2 行「条款号」列：「5.1」被 Excel 当作数字保存（5.10 会变成 5.1），"
                        "请把该列设为文本格式后重新填写。"]),
    "empty cells": (dict(items=[("chemical", "5.1", None)]), ["工作表「项目」第 2 行「名称」列：不能为空。"]),
    "no items": (dict(items=[]), ["工作表「项目」：没有任何条目。"]),
    "bad kind and date": (dict(edition=("GBZ188-2025", "x", "别的", "明年")),
                          ["工作表「版本」第 2 行「类型」列：应为「职业健康检查项目」或「职业病分类和目录」。",
                           "工作表「版本」第 2 行「生效日期」列：不是有效日期，请填写如 2026-08-01。"]),
    "bad edition code": (dict(edition=("GBZ 188:2025", "x", "职业健康检查项目", "2026-08-01")),
                         ["工作表「版本」第 2 行「版本代码」列：「GBZ 188:2025」格式不正确：只能使用字母、数字、点、横线和"
                          "下划线，最长 32 个字符，例如 GBZ188-2025。"]),
    "series of another kind": (dict(edition=("OD-2025", "x", "职业健康检查项目", "2025-08-01")),
                               ["工作表「版本」第 2 行「类型」列：系列「OD」已有「职业病分类和目录」类型的版本，类型必须一致。"]),
    "disease outside its category": (
        dict(edition=("OD-2025", "职业病分类和目录（2025年版）", "职业病分类和目录", "2025-08-01"),
             categories=[("1", "尘肺"), ("2", "皮肤病")], items=[("1", "1.1", "矽肺"), ("2", "1.2", "煤工尘肺")]),
        ["工作表「项目」第 3 行「条款号」列：编号「1.2」不属于类别「2」，应以「2.」开头。"]),
    "disease without categories sheet": (
        dict(edition=("OD-2025", "x", "职业病分类和目录", "2025-08-01"), items=[("1", "1.1", "矽肺")]),
        ["职业病目录需要工作表「类别」。"]),
}


@pytest.mark.parametrize("case", BAD_CONTENT)
def test_bad_content_lists_every_problem_and_saves_nothing(admin_user, case):
    kwargs, messages = BAD_CONTENT[case]
    before = (CatalogueEdition.objects.count(), ExamItem.objects.count())
    content = make_xlsx(**kwargs)
    result = catalogue_import_xlsx(file=upload(content), actor=admin_user, dry_run=True)
    assert result.messages == messages
    with pytest.raises(ValidationError) as exc:
        catalogue_import_xlsx(file=upload(content), actor=admin_user)
    assert exc.value.message_dict == {"file": messages}
    assert_nothing_saved(*before)
    assert not AuditEntry.objects.filter(action="catalogue.edition.created", actor=admin_user).exists()


def test_dry_run_reports_all_errors_at_once(admin_user):
    items = [("chemical", "5.1", "铅"), ("chemical", "5.1", "汞"), ("mystery", "5.3", "锰"), ("chemical", "", "铬")]
    result = catalogue_import_xlsx(file=upload(make_xlsx(items=items)), actor=admin_user, dry_run=True)
    assert [(i.sheet, i.row, i.column) for i in result.issues] == [
        ("项目", 3, "条款号"), ("项目", 4, "类别代码"), ("项目", 5, "条款号")]
