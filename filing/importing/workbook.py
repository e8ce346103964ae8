"""The import workbook's layout, and reading an uploaded one safely.

Uploads are untrusted. Before any XML is parsed, the file's type is decided by its
magic bytes, its size is capped, and the declared uncompressed size of every archive
member is added up (zipfile never inflates a member past its declared size, so that sum
bounds the work: a zip bomb is refused). The sheets are then streamed by :mod:`.xlsx`,
which refuses any document type declaration (no entity expansion, no external entities).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.core import workbooks
from portal.core.uploads import validate_upload
from portal.core.workbooks import Issue, WorkbookRejected
from portal.core.workbooks import cell_text as text
from portal.core.workbooks import neutralise as neutralise  # the import template writes cells through it

from . import xlsx

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# 5,000 institutions with 30 items each unpack to about 40 MB of XML; far more is a zip bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1000
MAX_INSTITUTION_ROWS = 10_000
MAX_ITEM_ROWS = 400_000
# A sheet may hold a million formatted but empty rows; stop scanning this far past the last filled one.
MAX_EMPTY_RUN = 10_000

# The file format: sheet and column titles are part of it and are never translated.
SHEET_INSTITUTIONS = "机构"
SHEET_ITEMS = "备案项目"
SHEET_GUIDE = "填写说明"
SHEET_CODES = "项目代码"

COL_NAME = "机构名称"
COL_CREDIT_CODE = "统一社会信用代码"
COL_KIND = "机构类型"
COL_LICENCE = "医疗机构执业许可证登记号"
COL_REGION = "区划代码"
COL_ADDRESS = "地址"
COL_PHONE = "联系电话"
COL_LEGAL = "法定代表人"
COL_QUALITY = "质量负责人"
COL_TECHNICAL = "技术负责人"
COL_FILED_ON = "备案日期"
COL_NUMBER = "原备案编号"
COL_OFF_SITE = "外出体检"
COL_AREA = "总建筑面积"
COL_ITEM = "项目代码"
COL_EXAM_TYPES = "检查类型"
COL_CATEGORY = "类别代码"

INSTITUTION_COLUMNS = (COL_NAME, COL_CREDIT_CODE, COL_KIND, COL_LICENCE, COL_REGION, COL_ADDRESS, COL_PHONE,
                       COL_LEGAL, COL_QUALITY, COL_TECHNICAL, COL_FILED_ON, COL_NUMBER, COL_OFF_SITE, COL_AREA)
INSTITUTION_OPTIONAL_COLUMNS = frozenset({COL_NUMBER})
ITEM_COLUMNS = (COL_CREDIT_CODE, COL_ITEM, COL_EXAM_TYPES, COL_CATEGORY)
ITEM_OPTIONAL_COLUMNS = frozenset({COL_CATEGORY})


@dataclass(frozen=True)
class Inspection:
    """What a quick look at a sound workbook found: how many institution rows it holds."""

    institution_rows: int


def check_upload(upload) -> bytes:
    """Type, size and archive checks of an uploaded file; returns its content or raises ValidationError."""
    try:
        validate_upload(upload, kinds=("xlsx",), max_bytes=MAX_UPLOAD_BYTES)
    except ValidationError as exc:
        raise ValidationError(exc.messages, code="file_type") from None
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    check_archive(content)
    return content


def check_archive(content: bytes) -> None:
    not_workbook = _("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏或只是改了扩展名。")
    try:
        workbooks.check_archive(content, max_members=MAX_ARCHIVE_MEMBERS,
                                max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES,
                                not_zip=not_workbook, not_xlsx=not_workbook)
    except workbooks.ArchiveRejected as rejected:
        raise ValidationError(rejected.message, code=rejected.code) from None


def open_workbook(content: bytes) -> xlsx.Workbook:
    try:
        return xlsx.Workbook(content)
    except xlsx.XlsxError:
        raise _unreadable() from None


def sheet_rows(book: xlsx.Workbook, sheet: str, required: tuple[str, ...], optional: frozenset[str],
               limit: int) -> tuple[dict[str, int], list[Issue], Iterator[tuple[int, list]]]:
    """The header's columns (title -> index), the missing ones as issues, and the data rows that follow.

    Data rows are every non-empty row after the header, with their row numbers as in Excel.
    """
    rows = book.rows(sheet)
    first = next(rows, None)
    columns = workbooks.header_columns(first[1]) if first is not None and first[0] == 1 else {}
    issues = workbooks.missing_columns(columns, required, sheet=sheet, optional=optional,
                                       message=_("缺少列「%(column)s」（第 1 行为表头，请使用导入模板）。"))

    def over_limit(row_no: int) -> None:
        raise WorkbookRejected([Issue(_("超过 %(max)s 行的上限，请拆分为多个文件导入。") % {"max": limit}, sheet, row_no)])

    # Without a header in row 1 every required column is reported missing and nothing is read.
    data = workbooks.filled_rows(rows, limit=limit, over_limit=over_limit, max_blank_run=MAX_EMPTY_RUN)
    return columns, issues, data


def _sheets(book: xlsx.Workbook) -> list[Issue]:
    return workbooks.missing_sheets(book.sheetnames, (SHEET_INSTITUTIONS, SHEET_ITEMS),
                                    message=_("缺少工作表「%(sheet)s」（请使用导入模板）。"))


def _open_sheets(book: xlsx.Workbook):
    issues = _sheets(book)
    if issues:
        raise WorkbookRejected(issues)
    columns, issues, institutions = sheet_rows(book, SHEET_INSTITUTIONS, INSTITUTION_COLUMNS,
                                               INSTITUTION_OPTIONAL_COLUMNS, MAX_INSTITUTION_ROWS)
    item_columns, item_issues, items = sheet_rows(book, SHEET_ITEMS, ITEM_COLUMNS, ITEM_OPTIONAL_COLUMNS,
                                                  MAX_ITEM_ROWS)
    if issues or item_issues:
        raise WorkbookRejected(issues + item_issues)
    return columns, institutions, item_columns, items


def _unreadable() -> WorkbookRejected:
    return WorkbookRejected([Issue(workbooks.unreadable_message())])


def inspect(content: bytes) -> Inspection:
    """Sheets and header columns present, and the number of institution rows; raises WorkbookRejected."""
    book = open_workbook(content)
    try:
        _columns, institutions, _item_columns, _items = _open_sheets(book)
        count = sum(1 for _row in institutions)
    except xlsx.XlsxError:
        raise _unreadable() from None
    finally:
        book.close()
    if count == 0:
        raise WorkbookRejected([Issue(_("没有任何机构数据。"), SHEET_INSTITUTIONS)])
    return Inspection(institution_rows=count)


@dataclass
class RawWorkbook:
    """The two data sheets as read: institutions as dicts by column title, items as tuples."""

    institutions: list[tuple[int, dict[str, object]]]
    # (row, credit code, item code, exam types, category); category is None when the column is absent
    items: list[tuple[int, str, str, str, str | None]]


Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500


def read(content: bytes, *, progress: Progress | None = None, expected_rows: int = 0) -> RawWorkbook:
    """Every data row of both sheets; raises WorkbookRejected when the file cannot be read."""
    book = open_workbook(content)
    try:
        columns, institution_rows, item_columns, item_rows = _open_sheets(book)
        wanted = [(title, columns[title]) for title in INSTITUTION_COLUMNS if title in columns]
        institutions = []
        for row_no, values in institution_rows:
            width = len(values)
            institutions.append((row_no, {title: values[i] if i < width else None for title, i in wanted}))
            if progress and len(institutions) % PROGRESS_EVERY == 0:
                progress("read_institutions", len(institutions), expected_rows)
        if progress:
            progress("read_institutions", len(institutions), len(institutions))
        i_credit, i_item, i_types = (item_columns[c] for c in (COL_CREDIT_CODE, COL_ITEM, COL_EXAM_TYPES))
        i_category = item_columns.get(COL_CATEGORY)
        items = []
        for row_no, values in item_rows:
            width = len(values)
            items.append((
                row_no,
                text(values[i_credit]) if i_credit < width else "",
                text(values[i_item]) if i_item < width else "",
                text(values[i_types]) if i_types < width else "",
                None if i_category is None else (text(values[i_category]) if i_category < width else ""),
            ))
            if progress and len(items) % (PROGRESS_EVERY * 10) == 0:
                progress("read_items", len(items), 0)
    except xlsx.XlsxError:
        raise _unreadable() from None
    finally:
        book.close()
    return RawWorkbook(institutions=institutions, items=items)
