import io

import pytest
from openpyxl import Workbook

from filing.catalogue.services import catalogue_load_builtin


@pytest.fixture
def catalogues(db):
    catalogue_load_builtin()


def make_xlsx(edition=("GBZ188-2025", "GBZ 188-2025 职业健康监护技术规范", "职业健康检查项目", "2026-08-01"),
              items=(("chemical", "5.1", "铅及其无机化合物"),), *, categories=None,
              item_header=("类别代码", "条款号", "名称"), edition_header=("版本代码", "名称", "类型", "生效日期"),
              sheets=("版本", "项目")) -> bytes:
    """A workbook in the import layout; arguments let a test break one thing at a time."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    if "版本" in sheets:
        ws = workbook.create_sheet("版本")
        ws.append(list(edition_header))
        ws.append(list(edition))
    if categories is not None:
        ws = workbook.create_sheet("类别")
        ws.append(["类别代码", "名称"])
        for row in categories:
            ws.append(list(row))
    if "项目" in sheets:
        ws = workbook.create_sheet("项目")
        ws.append(list(item_header))
        for row in items:
            ws.append(list(row))
    if not workbook.sheetnames:
        workbook.create_sheet("Sheet1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
