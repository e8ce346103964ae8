"""The report's Excel workbook: one sheet per section, a title line, then the header and the rows.

Written with openpyxl in write-only mode; every text cell goes through ``neutralise`` so a note
a user typed (a typical case) can never run as a formula.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from portal.core.exports import neutralise

from .presentation import sections

# Characters Excel refuses in a sheet name.
_SHEET_FORBIDDEN = str.maketrans({c: "" for c in "[]:*?/\\"})


def report_workbook(figures: dict, *, title: str, generated_at) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    stamp = generated_at.strftime("%Y-%m-%d %H:%M")
    for section in sections(figures):
        sheet = workbook.create_sheet(section.title.translate(_SHEET_FORBIDDEN)[:31])
        heading = WriteOnlyCell(sheet, value=neutralise(f"{title} — {section.title}"))
        heading.font = bold
        sheet.append([heading, None, neutralise(_("生成时间")), stamp])
        header = []
        for name in section.header:
            cell = WriteOnlyCell(sheet, value=neutralise(name))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in section.rows:
            sheet.append([neutralise(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
