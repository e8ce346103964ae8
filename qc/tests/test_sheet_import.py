"""Importing and exporting scoring sheets: a clean workbook becomes a draft, a faulty one saves nothing
and says exactly what is wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.audit.models import AuditEntry
from portal.testing.files import zip_of
from qc.choices import Applicability, SheetPart, SheetVersionStatus
from qc.exporters import sheet_template_xlsx, sheet_version_export_xlsx
from qc.importers import read_xlsx
from qc.models import Indicator, ScoringSheet, SheetVersion
from qc.services import sheet_import, sheet_version_publish

from .helpers import workbook

INFO = {"评分表代码": "T-1", "名称": "测试评分表", "考核部分": "机构综合", "检查类别": "", "适用年度": 2026}
GOOD_ROWS = [
    ("1", "组织机构", 60, "", None, "", "", ""),
    ("1.1", "机构资质", 60, "", None, "", "", ""),
    ("1.1.1", "持有有效许可证", 30, "无有效许可证不得分", None, "★", "", ""),
    ("1.1.2", "放射诊疗许可证", 30, "无许可证不得分", None, "", "备案放射类时适用", ""),
    ("2", "仪器设备", 40, "", None, "", "", ""),
    ("2.1", "DR设备", 20, "不符合不得分", None, "", "", "粉尘"),
    ("2.2", "设备档案", 20, "每台缺档案扣0.5分", 0.5, "", "", ""),
]


def upload(content: bytes, name: str = "sheet.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def run(province, qc_user, content: bytes, name: str = "sheet.xlsx"):
    return sheet_import(province=province, file=upload(content, name), actor=qc_user)


def test_a_clean_workbook_becomes_a_draft_version(province, qc_user):
    result = run(province, qc_user, workbook(INFO, GOOD_ROWS))

    assert result.ok, result.messages
    version = result.version
    assert (version.number, version.status, version.total_points) == (1, SheetVersionStatus.DRAFT, Decimal(100))
    sheet = version.sheet
    assert (sheet.code, sheet.part, sheet.category, sheet.is_active) == ("T-1", SheetPart.INSTITUTION, "", True)
    tree = {i.code: i for i in Indicator.objects.filter(version=version)}
    assert tree["1.1.1"].parent == tree["1.1"] and tree["1.1"].parent == tree["1"]
    assert [c for c, i in sorted(tree.items()) if i.is_leaf] == ["1.1.1", "1.1.2", "2.1", "2.2"]
    assert tree["1.1.1"].is_key and tree["1.1.1"].level == 3
    assert tree["1.1.2"].applicability == Applicability.REQUIRES_RADIATION
    # A category alone means "only for that category".
    assert (tree["2.1"].applicability, tree["2.1"].applicable_category) == (Applicability.CATEGORY_ONLY, "dust")
    assert tree["2.2"].deduction_per_occurrence == Decimal("0.5")
    assert AuditEntry.objects.filter(action="qc.sheet.imported").count() == 1


def test_the_same_code_imports_as_the_next_version(province, qc_user):
    first = run(province, qc_user, workbook(INFO, GOOD_ROWS)).version
    sheet_version_publish(version_id=first.pk, actor=qc_user)
    second = run(province, qc_user, workbook({**INFO, "名称": "测试评分表（2027修订）", "适用年度": 2027},
                                             GOOD_ROWS)).version
    assert second.sheet_id == first.sheet_id and second.number == 2
    assert second.sheet.name == "测试评分表（2027修订）"


def test_sample_sheet_round_trips_through_excel(province, qc_user, samples):
    version = SheetVersion.objects.get(sheet__code="JL-ZJ-JG")
    data, issues = read_xlsx(sheet_version_export_xlsx(version))
    assert not issues
    original = list(version.indicators.order_by("order"))
    assert [(r.code, r.title, r.max_points, r.deduction_rule, r.deduction_per_occurrence, r.is_key, r.applicability,
             r.applicable_category) for r in data.indicators] == [
        (i.code, i.title, i.max_points, i.deduction_rule, i.deduction_per_occurrence, i.is_key, i.applicability,
         i.applicable_category) for i in original]
    again = run(province, qc_user, sheet_version_export_xlsx(version))
    assert again.ok and again.version.number == 2 and again.version.sheet_id == version.sheet_id


def test_the_template_is_importable(province, qc_user):
    result = run(province, qc_user, sheet_template_xlsx())
    assert result.ok, result.messages


def _rows(**changes):
    """GOOD_ROWS with some rows replaced, keyed by code (None removes the row)."""
    rows = {r[0]: r for r in GOOD_ROWS}
    for code, row in changes.items():
        code = code.replace("_", ".").lstrip("c")
        if row is None:
            rows.pop(code)
        else:
            rows[code] = row
    return list(rows.values())


BAD = {
    "children do not add up": (
        workbook(INFO, _rows(c1_1_2=("1.1.2", "放射诊疗许可证", 20, "无许可证不得分", None, "", "", ""))),
        "下级指标（1.1.1、1.1.2）分值合计 50 分，与「1.1」的分值 60 分不一致"),
    "level-1 groups do not add up to 100": (
        workbook(INFO, [("1", "一", 50, "", None, "", "", ""), ("1.1", "甲", 50, "扣分", None, "", "", ""),
                        ("2", "二", 40, "", None, "", "", ""), ("2.1", "乙", 40, "扣分", None, "", "", "")]),
        "一级指标（1、2）分值合计 90 分，应为 100 分"),
    "duplicate code": (
        workbook(INFO, [*GOOD_ROWS, ("2.2", "重复", 1, "扣分", None, "", "", "")]),
        "编号「2.2」与第 8 行重复"),
    "points off the 0.1 step": (
        workbook(INFO, _rows(c2_1=("2.1", "DR设备", 19.95, "扣分", None, "", "", ""),
                             c2_2=("2.2", "设备档案", 20.05, "扣分", None, "", "", ""))),
        "分值「19.95」不是 0.1 的整数倍"),
    "missing parent": (
        workbook(INFO, [*GOOD_ROWS, ("3.1", "孤儿", 1, "扣分", None, "", "", "")]),
        "上级指标「3」不存在"),
    "leaf without a deduction rule": (
        workbook(INFO, _rows(c2_1=("2.1", "DR设备", 20, "", None, "", "", ""))),
        "第 7 行 「扣分标准」列：末级指标须写明扣分标准"),
    "key item on a parent": (
        workbook(INFO, _rows(c1_1=("1.1", "机构资质", 60, "", None, "★", "", ""))),
        "关键项只能设在末级指标"),
    "per-occurrence deduction above the line's points": (
        workbook(INFO, _rows(c2_2=("2.2", "设备档案", 20, "每台扣25分", 25, "", "", ""))),
        "「每处扣分」列：不能超过 20 分"),
    "category condition without a category": (
        workbook(INFO, _rows(c2_1=("2.1", "DR设备", 20, "扣分", None, "", "限定检查类别", ""))),
        "适用条件为「限定检查类别」时须填写有效的检查类别"),
    "code stored as a number": (
        workbook(INFO, _rows(c2_1=(2.1, "DR设备", 20, "扣分", None, "", "", ""))),
        "被 Excel 当作数字保存"),
    "fourth level": (
        workbook(INFO, [*GOOD_ROWS, ("2.2.1", "三级", 20, "", None, "", "", ""),
                        ("2.2.1.1", "四级", 20, "扣分", None, "", "", "")]),
        "编号「2.2.1.1」超过三级"),
    "points not a number": (
        workbook(INFO, _rows(c2_1=("2.1", "DR设备", "二十", "扣分", None, "", "", ""))),
        "第 7 行 「分值」列：应填写数字分值"),
    "unknown key mark": (
        workbook(INFO, _rows(c2_1=("2.1", "DR设备", 20, "扣分", None, "X", "", ""))),
        "「x」无法识别"),
    "institution sheet with a category": (
        workbook({**INFO, "检查类别": "粉尘"}, GOOD_ROWS), "机构综合评分表不分检查类别"),
    "no year": (workbook({k: v for k, v in INFO.items() if k != "适用年度"}, GOOD_ROWS), "缺少「适用年度」一行"),
    "unknown part": (workbook({**INFO, "考核部分": "机构"[::-1]}, GOOD_ROWS), "应为「机构综合」或「工作样本」"),
    "missing indicator sheet": (workbook(INFO, GOOD_ROWS, sheets=("评分表",)), "缺少工作表「指标」"),
    "missing points column": (
        workbook(INFO, [r[:2] for r in GOOD_ROWS], header=("编号", "指标")), "缺少列「分值」"),
    "no indicators": (workbook(INFO, []), "没有任何指标"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_faulty_workbook_saves_nothing_and_names_the_fault(case, province, qc_user):
    content, expected = BAD[case]
    result = run(province, qc_user, content)

    assert not result.ok
    assert any(expected in message for message in result.messages), result.messages
    assert not ScoringSheet.objects.exists() and not SheetVersion.objects.exists()
    assert not Indicator.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="qc.").exists()


def test_a_new_version_cannot_change_what_the_sheet_is_for(province, qc_user):
    run(province, qc_user, workbook(INFO, GOOD_ROWS))
    result = run(province, qc_user, workbook({**INFO, "考核部分": "工作样本"}, GOOD_ROWS))
    assert not result.ok
    assert any("不能改变其考核部分或检查类别" in m for m in result.messages)
    assert SheetVersion.objects.count() == 1


@pytest.mark.parametrize(("content", "name", "expected"), [
    (b"%PDF-1.7 not a workbook", "sheet.xlsx", "类型不受支持或内容与扩展名不符"),
    (workbook(INFO, GOOD_ROWS), "sheet.xls", "类型不受支持或内容与扩展名不符"),
    (b"", "sheet.xlsx", "是空文件"),
    (zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/big.xml": b"\0" * (21 * 1024 * 1024)}),
     "sheet.xlsx", "疑似压缩炸弹"),
    (zip_of({"readme.txt": b"hello"}), "sheet.xlsx", "不是 Excel 工作簿"),
    (zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<broken"}), "sheet.xlsx", "已损坏"),
])
def test_files_that_are_not_sound_workbooks_are_refused(content, name, expected, province, qc_user):
    result = run(province, qc_user, content, name)
    assert any(expected in m for m in result.messages), result.messages
    assert not SheetVersion.objects.exists()
