"""Excel files of catalogue editions, in the same layout the importer reads, and the blank template."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from portal.core.exports import neutralise

from . import importers as fmt
from .choices import EditionKind, ExamCategoryCode
from .models import CatalogueEdition, Disease, DiseaseCategory, ExamItem


def _workbook_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        ws = workbook.create_sheet(title)
        for row in rows:
            # Every cell is written as text: clause 5.10 must not become the number 5.1.
            ws.append([neutralise("" if v is None else str(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _edition_sheet(code, name, kind, effective_from, effective_to) -> tuple[str, list[list]]:
    return fmt.SHEET_EDITION, [
        [fmt.COL_CODE, fmt.COL_NAME, fmt.COL_KIND, fmt.COL_FROM, fmt.COL_TO],
        [code, name, kind, effective_from, effective_to or ""],
    ]


def _guide_sheet() -> tuple[str, list[list]]:
    codes = "、".join(f"{value}（{label}）" for value, label in ExamCategoryCode.choices)
    return _("说明"), [
        [_("填写说明")],
        [_("「版本」表第 2 行填写版本信息：版本代码如 GBZ188-2025（已存在的版本代码不能再次导入）；"
           "类型填「职业健康检查项目」或「职业病分类和目录」；日期格式如 2026-08-01；失效日期可留空。")],
        [_("「项目」表每行一个检查项目或职业病：条款号请按文本填写（5.10 不能写成数字）。")],
        [_("检查项目的类别代码：%(codes)s。") % {"codes": codes}],
        [_("职业病目录另需「类别」表（类别代码、名称），「项目」表的类别代码填写类别编号，"
           "编号以类别编号加点开头（如 1.1），可选填「分组」列。")],
        [_("本工作簿所有内容均为文本；以 = + - @ 开头的内容已加单引号前缀，导入时会自动去除。")],
    ]


def catalogue_export_xlsx(edition: CatalogueEdition) -> bytes:
    """One edition as a workbook that :func:`importers.read_xlsx` reads back unchanged (under a new code)."""
    sheets = [_edition_sheet(edition.code, edition.name, edition.get_kind_display(),
                             edition.effective_from.isoformat(),
                             edition.effective_to.isoformat() if edition.effective_to else "")]
    if edition.kind == EditionKind.DISEASES:
        categories = DiseaseCategory.objects.filter(edition=edition).order_by("order")
        sheets.append((fmt.SHEET_CATEGORIES, [[fmt.COL_CATEGORY, fmt.COL_NAME]]
                       + [[c.number, c.name] for c in categories]))
        # select_related: the category number is written on every disease row.
        diseases = Disease.objects.filter(edition=edition).select_related("category").order_by("order")
        sheets.append((fmt.SHEET_ITEMS, [[fmt.COL_CATEGORY, fmt.COL_CLAUSE, fmt.COL_NAME, fmt.COL_GROUP]]
                       + [[d.category.number, d.number, d.name, d.group] for d in diseases.iterator()]))
    else:
        # select_related: the category code is written on every item row.
        items = ExamItem.objects.filter(edition=edition).select_related("category").order_by("order")
        sheets.append((fmt.SHEET_ITEMS, [[fmt.COL_CATEGORY, fmt.COL_CLAUSE, fmt.COL_NAME]]
                       + [[i.category.code, i.clause, i.name] for i in items.iterator()]))
    sheets.append(_guide_sheet())
    return _workbook_bytes(sheets)


def catalogue_template_xlsx() -> bytes:
    """A blank workbook with the sheets and headers the importer expects, and one example row."""
    return _workbook_bytes([
        _edition_sheet("GBZ188-2025", _("GBZ 188-2025 职业健康监护技术规范"), EditionKind.EXAM_ITEMS.label,
                       "2026-08-01", ""),
        (fmt.SHEET_ITEMS, [[fmt.COL_CATEGORY, fmt.COL_CLAUSE, fmt.COL_NAME], ["chemical", "5.1", _("示例：名称")]]),
        _guide_sheet(),
    ])
