"""The one export framework: an exporter states a header and yields rows from a selector;
this module writes them as an Excel workbook or a CSV file.

- XLSX with ``openpyxl.Workbook(write_only=True)``, so memory stays flat however many rows.
- CSV in UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly.
- A text cell starting with ``= + - @`` (or a tab or carriage return) is written with a
  leading apostrophe: a spreadsheet must never evaluate what a visitor typed as a formula
  (CSV/formula injection).
- Every file starts with the date it was generated (生成日期): an export is a snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")


def neutralise(value):
    """Make a text cell inert in spreadsheets: ``=1+1`` is written as ``'=1+1``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Exporter:
    """Subclasses set ``filename`` and ``sheet_title`` and implement :meth:`header` and :meth:`rows`.

    ``rows`` should read from a scoped selector in batches, so that the number of queries
    grows with the number of batches, never with the number of rows.
    """

    filename = "export"
    sheet_title = "Sheet1"

    def __init__(self) -> None:
        self.generated_at = timezone.localtime()

    def header(self) -> Sequence[str]:
        raise NotImplementedError

    def rows(self) -> Iterable[Sequence]:
        raise NotImplementedError

    def preamble(self) -> list[Sequence]:
        """Lines written above the header; by default the generation date."""
        return [(_("生成日期"), self.generated_at.date())]


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))


def _xlsx_value(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None)
    return neutralise(value)


class _Line:
    """A file-like object whose write() hands back the text, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def iter_csv(exporter: Exporter) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield CSV_BOM
    for line in exporter.preamble():
        yield writer.writerow([_csv_text(v) for v in line])
    yield writer.writerow([_csv_text(v) for v in exporter.header()])
    for row in exporter.rows():
        yield writer.writerow([_csv_text(v) for v in row])


def csv_bytes(exporter: Exporter) -> bytes:
    return "".join(iter_csv(exporter)).encode("utf-8")


def xlsx_bytes(exporter: Exporter) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(exporter.sheet_title[:31])
    for line in exporter.preamble():
        sheet.append([_xlsx_value(v) for v in line])
    bold = Font(bold=True)
    header = []
    for title in exporter.header():
        cell = WriteOnlyCell(sheet, value=neutralise(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in exporter.rows():
        sheet.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(exporter: Exporter, fmt: str):
    """The file as a download: CSV streamed line by line, XLSX built in a temporary file."""
    stamp = exporter.generated_at.strftime("%Y%m%d")
    if fmt == "csv":
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in iter_csv(exporter)), content_type="text/csv; charset=utf-8")
        name = f"{exporter.filename}-{stamp}.csv"
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(exporter), content_type=XLSX_CONTENT_TYPE)
        name = f"{exporter.filename}-{stamp}.xlsx"
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response
