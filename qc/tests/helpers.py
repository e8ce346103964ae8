"""Helpers shared by the QC tests."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook


def leaves(assessment, category: str = "") -> dict:
    """{code: (assessment sheet, indicator)} of one sheet's leaves: the institution-level sheet, or the
    work-sample sheet of ``category``."""
    from qc.models import Indicator

    sheet = assessment.sheets.get(category=category)
    return {i.code: (sheet, i) for i in Indicator.objects.filter(version=sheet.version, is_leaf=True)}


def workbook(info=None, rows=None, *, header=None, sheets=("评分表", "指标")) -> bytes:
    """A sheet workbook in the import layout; arguments let a test break one thing at a time."""
    info = info if info is not None else {"评分表代码": "T-1", "名称": "测试评分表", "考核部分": "机构综合",
                                          "检查类别": "", "适用年度": 2026}
    rows = rows if rows is not None else [
        ("1", "一级", 60, "", None, "", ""), ("1.1", "末级甲", 60, "缺一项扣1分", 1, "★", ""),
        ("2", "一级乙", 40, "", None, "", ""), ("2.1", "末级乙", 40, "不符合不得分", None, "", ""),
    ]
    book = Workbook()
    book.remove(book.active)
    if "评分表" in sheets:
        ws = book.create_sheet("评分表")
        for key, value in info.items():
            ws.append([key, value])
    if "指标" in sheets:
        ws = book.create_sheet("指标")
        ws.append(list(header or ("编号", "指标", "分值", "扣分标准", "每处扣分", "关键项", "适用条件", "限定类别")))
        for row in rows:
            ws.append(list(row))
    if not book.sheetnames:
        book.create_sheet("Sheet1")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()



def exam_items() -> dict:
    """One GBZ 188 item per exam category, enough for a filing to name every category."""
    from filing.catalogue.choices import EditionKind
    from filing.catalogue.models import CatalogueEdition, ExamCategory, ExamItem
    from filing.catalogue.services import exam_categories_sync

    exam_categories_sync()
    edition, _ = CatalogueEdition.objects.get_or_create(
        code="GBZ188-2014", defaults={"series": "GBZ188", "name": "GBZ 188-2014", "kind": EditionKind.EXAM_ITEMS,
                                      "effective_from": date(2014, 10, 1)})
    items = {}
    for order, category in enumerate(ExamCategory.objects.all(), start=1):
        items[category.code], _ = ExamItem.objects.get_or_create(
            edition=edition, clause=f"{order}.1",
            defaults={"category": category, "name": f"{category.name}示例项目", "code": f"GBZ188-2014:{order}.1",
                      "order": order})
    return items


def file_institution(org, categories=("dust", "chemical", "physical")):
    """Give ``org`` an accepted examination filing with one item in each of ``categories``.

    Written directly: the filing workflow has its own tests, and QC only reads its outcome.
    """
    from filing.choices import FilingStatus, InstitutionKind, VersionStatus
    from filing.models import FiledItem, Filing, FilingVersion

    items = exam_items()
    filing = Filing.objects.create(institution=org, province_id=org.province_id, region_id=org.region_id,
                                   kind=InstitutionKind.EXAMINATION, status=FilingStatus.ACCEPTED,
                                   filing_number=f"JL-QC-{org.pk:05d}", filed_on=date(2025, 3, 1))
    version = FilingVersion.objects.create(filing=filing, number=1, status=VersionStatus.ACCEPTED, name=org.name,
                                           credit_code="")
    filing.current_version = version
    filing.save(update_fields=["current_version"])
    FiledItem.objects.bulk_create([FiledItem(version=version, exam_item=items[c]) for c in categories])
    return filing
