"""Reading uploaded Excel workbooks safely, and the located issues an import reports.

The importers of catalogue editions, scoring sheets and filing data all take .xlsx
files from users, so they share one set of defences and one way of reporting. An
upload is untrusted: before any XML is parsed, the archive's parts are counted and
their declared uncompressed sizes added up. zipfile never inflates a part past its
declared size, so that sum bounds the work and a zip bomb is refused. openpyxl then
parses the XML through defusedxml (installed), which refuses entity expansion.

Each importer keeps its own limits and its own wording where its users are told
something different; this module holds the logic and the wording they share.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.utils.translation import gettext as _

T = TypeVar("T")

# The import workbooks write text starting with these behind a quote so that spreadsheets do not run it
# (portal.core.exports, for plain exports, also quotes a leading tab or carriage return).
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Issue:
    """One problem in an upload, located by sheet, row and column so that it can be found in the file."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    # What stands between the parts of the location ("工作表「机构」 第 3 行").
    joiner: ClassVar[str] = " "

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(_("工作表「%(sheet)s」") % {"sheet": self.sheet})
        if self.row is not None:
            where.append(_("第 %(row)s 行") % {"row": self.row})
        if self.column:
            where.append(_("「%(column)s」列") % {"column": self.column})
        return f"{self.joiner.join(where)}：{self.message}" if where else self.message


class WorkbookRejected(Exception):
    """The workbook cannot be imported at all (damaged, a sheet or a column missing); carries the issues."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


class ArchiveRejected(Exception):
    """The upload is not an archive that may be handed to a parser.

    ``code`` says why ("not_zip", "zip_members", "zip_bomb", "not_xlsx"), for callers
    that raise a ValidationError with a code.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class WorkbookUnreadable(Exception):
    """openpyxl could not open the package, or failed on a damaged part while rows were read."""

    def __init__(self):
        self.message = unreadable_message()
        super().__init__(self.message)


def unreadable_message() -> str:
    return _("Excel 文件已损坏或格式不受支持，无法读取。")


def check_archive(content: bytes, *, max_members: int, max_uncompressed_bytes: int,
                  not_zip: str | None = None, not_xlsx: str | None = None) -> None:
    """The archive-level checks a parser cannot be trusted with; raises ArchiveRejected.

    ``not_zip`` and ``not_xlsx`` replace the messages for a file that is no zip archive
    and for an archive that holds no workbook.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ArchiveRejected(not_zip or _("Excel 文件已损坏，无法读取。"), "not_zip") from None
    if len(members) > max_members:
        raise ArchiveRejected(_("Excel 文件结构异常（包含 %(n)s 个部件），已拒绝。") % {"n": len(members)},
                              "zip_members")
    total = sum(m.file_size for m in members)
    if total > max_uncompressed_bytes:
        raise ArchiveRejected(_("Excel 文件解压后达 %(size)s MB，超过上限 %(max)s MB，疑似压缩炸弹，已拒绝。")
                              % {"size": total // 1048576, "max": max_uncompressed_bytes // 1048576},
                              "zip_bomb")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ArchiveRejected(not_xlsx or _("文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。"),
                              "not_xlsx")


def read_with_openpyxl(content: bytes, read: Callable[[Any], T]) -> T:
    """``read`` applied to the workbook opened read-only (values, not formulas); raises WorkbookUnreadable.

    Call only after :func:`check_archive` has passed.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken package (KeyError, ValueError, XML errors)
        raise WorkbookUnreadable from None
    try:
        return read(workbook)
    except Exception:  # a damaged sheet part surfaces only while rows are read
        raise WorkbookUnreadable from None
    finally:
        workbook.close()


def neutralise(value):
    """Make a text cell inert in spreadsheets (formula injection): '=1+1' is written as "'=1+1"."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_text(value, *, prefixes: tuple[str, ...] = FORMULA_PREFIXES) -> str:
    """A cell as trimmed text: 220102.0 typed as a number reads as "220102"; a neutralising quote is dropped.

    ``prefixes`` are those the matching export quotes, so an exported file imports back unchanged.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    if len(result) > 1 and result[0] == "'" and result[1:].startswith(prefixes):
        return result[1:]
    return result


def header_columns(values: Sequence) -> dict[str, int]:
    """Column title -> index in a header row; the first of two columns with the same title wins."""
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        title = cell_text(value)
        if title and title not in columns:
            columns[title] = index
    return columns


def missing_sheets(sheetnames: Iterable[str], required: Iterable[str], *, message: str | None = None,
                   issue: type[Issue] = Issue) -> list[Issue]:
    """An issue for each required sheet the workbook lacks; ``message`` takes %(sheet)s."""
    message = message or _("缺少工作表「%(sheet)s」。")
    present = set(sheetnames)
    return [issue(message % {"sheet": sheet}) for sheet in required if sheet not in present]


def missing_columns(columns: dict[str, int], required: Iterable[str], *, sheet: str,
                    optional: frozenset[str] = frozenset(), message: str | None = None,
                    issue: type[Issue] = Issue) -> list[Issue]:
    """An issue, at row 1 of ``sheet``, for each required column the header lacks.

    ``message`` takes %(column)s.
    """
    message = message or _("缺少列「%(column)s」（第 1 行为表头）。")
    return [issue(message % {"column": column}, sheet, 1)
            for column in required if column not in columns and column not in optional]


def column_value(values: Sequence, columns: dict[str, int], title: str):
    """The cell under ``title`` in a row, None when the column is absent or the row is shorter."""
    index = columns.get(title)
    if index is None or index >= len(values):
        return None
    return values[index]


def is_blank(values: Sequence | None) -> bool:
    return values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def filled_rows(rows: Iterable[tuple[int, Sequence]], *, limit: int, over_limit: Callable[[int], None],
                last_blank_row: int | None = None, max_blank_run: int | None = None,
                ) -> Iterator[tuple[int, Sequence]]:
    """The non-blank rows of ``(row number, values)``, at most ``limit`` of them.

    At the first row past the limit ``over_limit(row number)`` is called (to record
    an issue, or to raise) and reading stops. A sheet's declared size can pad millions
    of blank rows, so reading also stops quietly at a blank row numbered past
    ``last_blank_row``, or after more than ``max_blank_run`` blank rows in a row.
    """
    count = 0
    blank_run = 0
    for row_no, values in rows:
        if is_blank(values):
            blank_run += 1
            if ((last_blank_row is not None and row_no > last_blank_row)
                    or (max_blank_run is not None and blank_run > max_blank_run)):
                return
            continue
        blank_run = 0
        count += 1
        if count > limit:
            over_limit(row_no)
            return
        yield row_no, values
