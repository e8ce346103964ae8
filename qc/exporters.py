"""Scoring sheets as Excel workbooks, in the layout :mod:`qc.importers` reads back.

An exported version, edited and imported again, becomes the next version of the
same sheet; the blank template starts a new one.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode

from . import importers as fmt
from .choices import Applicability, SheetPart
from .importers import SheetData

COLUMN_WIDTHS = {"A": 10, "B": 60, "C": 8, "D": 50, "E": 10, "F": 8, "G": 18, "H": 16}


def _text_cell(ws, value):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=fmt.neutralise(value))
    cell.number_format = "@"  # codes such as 2.10 must stay text
    return cell


def _number(value):
    return float(value) if value is not None else None


def sheet_workbook(data: SheetData) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    info = workbook.create_sheet(fmt.SHEET_INFO)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 70
    rows = [
        (fmt.INFO_CODE, data.code),
        (fmt.INFO_NAME, data.name),
        (fmt.INFO_PART, str(SheetPart(data.part).label) if data.part in SheetPart.values else data.part),
        (fmt.INFO_CATEGORY, str(ExamCategoryCode(data.category).label) if data.category else ""),
        (fmt.INFO_YEAR, data.effective_year),
        (fmt.INFO_NOTES, data.notes),
    ]
    for label, value in rows:
        info.append([_text_cell(info, label), _text_cell(info, value) if isinstance(value, str) else value])

    sheet = workbook.create_sheet(fmt.SHEET_INDICATORS)
    for column, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.append([_text_cell(sheet, c) for c in fmt.INDICATOR_COLUMNS])
    for row in data.indicators:
        applicability = "" if row.applicability == Applicability.ALWAYS else str(Applicability(row.applicability).label)
        category = str(ExamCategoryCode(row.applicable_category).label) if row.applicable_category else ""
        sheet.append([
            _text_cell(sheet, row.code), _text_cell(sheet, row.title), _number(row.max_points),
            _text_cell(sheet, row.deduction_rule), _number(row.deduction_per_occurrence),
            fmt.KEY_MARK if row.is_key else "", applicability, category,
        ])

    guide = workbook.create_sheet(_("说明"))
    guide.column_dimensions["A"].width = 120
    for line in _guide_lines():
        guide.append([_text_cell(guide, line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _guide_lines() -> list[str]:
    categories = "、".join(f"{label}（{value}）" for value, label in ExamCategoryCode.choices)
    return [
        _("填写说明"),
        _("「评分表」工作表：A 列为项目名，B 列为内容。评分表代码相同即为同一张评分表的新版本；考核部分填「机构综合」或「工作样本」；"
          "工作样本评分表可填检查类别，留空表示适用于所有类别；适用年度填四位年份。"),
        _("「指标」工作表：每行一条指标。编号决定层级：2 为一级指标，2.1 为二级指标，2.1.3 为三级指标，最多三级；"
          "编号列请保持文本格式（2.10 不能写成数字）。"),
        _("分值以 0.1 分为最小单位；下级指标分值之和必须等于上级指标分值，一级指标合计 100 分。"),
        _("末级指标须填写扣分标准，可填「每处扣分」（每发现一处扣多少分，扣完为止）；关键项填「★」。"),
        _("适用条件：留空为均适用；「备案放射类时适用」表示机构备案了放射类才计分；「限定检查类别」须在「限定类别」列填写类别。"
          "不适用的指标按合理缺项处理，按比例折算得分。检查类别：%(categories)s。") % {"categories": categories},
        _("导入后生成草稿版本，核对无误后发布；已用于考核的版本自动冻结，不能再修改。"),
        _("以 = + - @ 开头的内容已加单引号前缀，导入时会自动去除。"),
    ]


def sheet_version_export_xlsx(version) -> bytes:
    from .services import version_data

    return sheet_workbook(version_data(version))


def sheet_template_xlsx() -> bytes:
    """A blank sheet with one example of each level."""
    from decimal import Decimal

    return sheet_workbook(SheetData(
        code="XX-ZJ-JG", name=_("示例：职业健康检查机构质量控制评分表（机构综合）"), part=SheetPart.INSTITUTION,
        effective_year=2026, notes=_("示例：修订说明"),
        indicators=[
            fmt.IndicatorRow("1", _("一级指标"), Decimal("100")),
            fmt.IndicatorRow("1.1", _("二级指标"), Decimal("100")),
            fmt.IndicatorRow("1.1.1", _("三级指标（末级，评分到此）"), Decimal("100"), _("每缺一项扣0.5分"),
                             Decimal("0.5"), True),
        ],
    ))
