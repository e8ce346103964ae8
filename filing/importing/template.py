"""The blank import workbook: the two data sheets with their headers, instructions and the item codes."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..catalogue.choices import EditionKind, ExamType
from ..catalogue.models import Disease, ExamItem
from ..catalogue.selectors import current_editions
from ..choices import InstitutionKind
from . import workbook as wb

TEXT_COLUMNS = {wb.COL_CREDIT_CODE, wb.COL_LICENCE, wb.COL_REGION, wb.COL_PHONE, wb.COL_NUMBER, wb.COL_ITEM,
                wb.COL_CATEGORY}
DATA_ROWS = 10_000  # how far down the drop-down lists reach


def _guide_rows(province) -> list[list[str]]:
    kinds = "」或「".join(str(label) for _v, label in InstitutionKind.choices)
    types = "、".join(str(label) for _v, label in ExamType.choices)
    own = province.code if province is not None else "220000"
    return [
        [_("列"), _("是否必填"), _("说明")],
        [_("工作表「机构」"), "", _("每行一个已备案的机构。第 1 行为表头，请勿修改列名。")],
        [wb.COL_NAME, _("必填"), _("与医疗机构执业许可证一致，不超过 200 字。")],
        [wb.COL_CREDIT_CODE, _("必填"), _("18 位，按文本填写。文件内不得重复；系统按此代码识别机构，重复上传不会产生重复记录。")],
        [wb.COL_KIND, _("必填"), _("「%(kinds)s」。同一机构两类都备案的，请分两个文件导入。") % {"kinds": kinds}],
        [wb.COL_LICENCE, _("必填"), _("不超过 64 字。")],
        [wb.COL_REGION, _("必填"), _("机构所在地的 GB/T 2260 六位市级或县级区划代码，须在本省范围内，如 %(code)s。")
         % {"code": own[:2] + "0102"}],
        [wb.COL_ADDRESS, _("必填"), _("不超过 255 字。")],
        [wb.COL_PHONE, _("选填"), _("不超过 32 字。")],
        [wb.COL_LEGAL, _("选填"), ""],
        [wb.COL_QUALITY, _("选填"), ""],
        [wb.COL_TECHNICAL, _("选填"), ""],
        [wb.COL_FILED_ON, _("必填"), _("原备案日期，如 2023-05-01，不能晚于今天。")],
        [wb.COL_NUMBER, _("选填"), _("原备案编号，系统内不得重复；留空则按「%(code)s-年份-序号」自动编号（年份取备案日期）。")
         % {"code": own}],
        [wb.COL_OFF_SITE, _("选填"), _("「是」或「否」，留空视为「否」。")],
        [wb.COL_AREA, _("选填"), _("总建筑面积（平方米），须为正数。")],
        [_("工作表「备案项目」"), "", _("每行一个机构的一个备案项目。")],
        [wb.COL_CREDIT_CODE, _("必填"), _("须是工作表「机构」中的机构。")],
        [wb.COL_ITEM, _("必填"), _("带版本的代码，见工作表「项目代码」：检查机构填检查项目（如 GBZ188-2014:6.1），"
                                 "诊断机构填职业病（如 OD-2013:1.1）。同一机构不得重复。")],
        [wb.COL_EXAM_TYPES, _("检查项目必填"), _("%(types)s，多个用逗号分隔；职业病诊断项目留空。") % {"types": types}],
        [wb.COL_CATEGORY, _("选填"), _("填写时须与项目所属类别一致（类别代码或名称，见工作表「项目代码」）。")],
        [_("导入规则"), "", _("先检查文件并列出全部问题（工作表、行、列），确认无误后再导入：要么全部导入，要么都不导入。"
                          "系统中已备案或已注销的同类机构（按统一社会信用代码识别）不会被覆盖，显示为「已存在，跳过」；"
                          "已备案机构的信息变化请通过变更备案办理。")],
    ]


def _code_rows() -> list[list[str]]:
    rows = [[_("项目代码"), _("名称"), _("类别代码"), _("类别名称"), _("适用机构")]]
    exam_editions = [e.pk for e in current_editions(EditionKind.EXAM_ITEMS)]
    # select_related: every row names the item's category.
    for item in ExamItem.objects.filter(edition__in=exam_editions).select_related("category").order_by(
            "category__order", "edition__code", "order"):
        rows.append([item.code, item.name, item.category.code, item.category.name,
                     str(InstitutionKind.EXAMINATION.label)])
    disease_editions = [e.pk for e in current_editions(EditionKind.DISEASES)]
    for disease in Disease.objects.filter(edition__in=disease_editions).select_related("category").order_by(
            "edition__code", "order"):
        rows.append([disease.code, disease.name, disease.category.number, disease.category.name,
                     str(InstitutionKind.DIAGNOSIS.label)])
    return rows


def _data_sheet(workbook: Workbook, title: str, columns: tuple[str, ...]):
    ws = workbook.create_sheet(title)
    ws.append(list(columns))
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        ws.cell(row=1, column=index).font = bold
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, len(column) * 2 + 4)
        if column in TEXT_COLUMNS:
            # Text format: a credit code or clause typed in must not turn into a number.
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"
    return ws


def _choice(ws, columns: tuple[str, ...], column: str, options: list[str]) -> None:
    letter = get_column_letter(columns.index(column) + 1)
    validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
    validation.add(f"{letter}2:{letter}{DATA_ROWS}")
    ws.add_data_validation(validation)


def import_template_xlsx(province=None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    ws = _data_sheet(workbook, wb.SHEET_INSTITUTIONS, wb.INSTITUTION_COLUMNS)
    _choice(ws, wb.INSTITUTION_COLUMNS, wb.COL_KIND, [str(label) for _v, label in InstitutionKind.choices])
    _choice(ws, wb.INSTITUTION_COLUMNS, wb.COL_OFF_SITE, ["是", "否"])
    _data_sheet(workbook, wb.SHEET_ITEMS, wb.ITEM_COLUMNS)
    guide = workbook.create_sheet(wb.SHEET_GUIDE)
    for row in _guide_rows(province):
        guide.append([wb.neutralise(v) for v in row])
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["B"].width = 14
    guide.column_dimensions["C"].width = 100
    codes = workbook.create_sheet(wb.SHEET_CODES)
    for row in _code_rows():
        codes.append([wb.neutralise(v) for v in row])
    codes.column_dimensions["A"].width = 20
    codes.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
