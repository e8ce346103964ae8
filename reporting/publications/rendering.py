"""Published lists (公示名单) as PDF and Excel files.

A list can hold thousands of institutions. WeasyPrint lays one 5,000-row table out in about
50 s and 750 MB, so :func:`render_pdf` streams the rows into HTML chunk files of a few hundred
rows, has worker processes turn the chunks into PDFs in parallel, and joins them with pypdf:

- The workers are ``subprocess`` children running :mod:`reporting.publications.render_chunk`,
  not ``multiprocessing`` ones: publishing runs inside a Celery prefork worker, whose
  processes are daemonic and may not have multiprocessing children. Each worker renders
  several chunks in turn (starting one costs about a second), at most ``workers`` run at
  once, every chunk has a time limit, and a failed chunk stops the whole file with
  :class:`PublicationRenderError`; ``dest`` is only ever replaced by a complete file.
- The parent never lays anything out: it writes escaped HTML row by row, so its memory does
  not grow with the list.
- Row numbers (序号) are written by the parent, so they run on across chunks. Page numbers
  cannot be known while the chunks render (the total is the sum of their page counts), so the
  chunks are rendered without a footer; then the workers render empty pages holding only the
  footers (``第 N 页 / 共 M 页``), a range of pages each, and these are stamped onto the table
  pages as form XObjects, which costs no parsing of the table pages' content.
- Every chunk starts on a new page, so the last page of a chunk may be partly empty; the
  header block (title, number, authority, dates, notes) is on the first page only, the column
  headers (``thead``) are repeated on every page.

The HTML goes through the portal's data-only URL fetcher (:mod:`portal.core.pdf`) with the
packaged stylesheet ``static/css/publication.css`` inlined; cell text is escaped, so markup in
a cell is printed as text and nothing is fetched.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.exports import neutralise
from portal.core.pdf import packaged_css

WORKER_MODULE = "reporting.publications.render_chunk"
CSS_NAME = "publication.css"
# Rows per chunk, measured with benchmarks/publication_render.py on 2 cores (see benchmarks/README.md).
CHUNK_ROWS = 250
# Seconds one chunk may take before its worker is killed (a chunk takes a few seconds).
CHUNK_TIMEOUT = 120.0
SEQ_WIDTH = 0.7  # the 序号 column, in the same relative units as Column.width


class PublicationRenderError(RuntimeError):
    """A chunk (or the page footers) could not be rendered; nothing was written to ``dest``."""


@dataclass(frozen=True)
class Column:
    key: str  # key into each row mapping
    label: str  # Chinese column header
    width: int = 1  # relative width in the PDF table


@dataclass(frozen=True)
class Sheet:
    title: str  # e.g. "吉林省职业健康检查机构备案名单"
    number: str  # publication number, e.g. "吉卫职健公示〔2026〕3号"
    authority: str  # publishing authority name
    kind_label: str
    data_as_of: date
    next_update_on: date | None
    published_at: datetime
    columns: Sequence[Column]
    notes: str = ""  # explanatory text above the table


# --------------------------------------------------------------------------- text


def cell_text(value: object) -> str:
    """How a row value is printed: dates as ISO dates, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def sheet_metadata(sheet: Sheet) -> list[tuple[str, str]]:
    """The lines under the title, shared by the PDF and the workbook."""
    return [
        (_("公示编号"), sheet.number),
        (_("发布机关"), sheet.authority),
        (_("名单类别"), sheet.kind_label),
        (_("数据截至"), cell_text(sheet.data_as_of)),
        (_("下次更新"), cell_text(sheet.next_update_on) if sheet.next_update_on else _("未定")),
        (_("发布时间"), cell_text(sheet.published_at)),
    ]


def _esc(value: object) -> str:
    return html.escape(cell_text(value), quote=True)


# --------------------------------------------------------------------------- HTML chunks


@dataclass(frozen=True)
class _Chunk:
    index: int
    first_row: int
    last_row: int
    html: Path
    pdf: Path

    @property
    def label(self) -> str:
        return f"chunk {self.index + 1} (rows {self.first_row}-{self.last_row})"


def _prologue(css: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<style>{css}</style></head><body>"
    )


def _sheet_header(sheet: Sheet) -> str:
    meta = "".join(
        f"<span>{html.escape(label)}：{html.escape(value)}</span>" for label, value in sheet_metadata(sheet)
    )
    notes = f'<div class="notes">{html.escape(sheet.notes)}</div>' if sheet.notes.strip() else ""
    return f"<h1>{html.escape(sheet.title)}</h1><div class=\"meta\">{meta}</div>{notes}"


def _table_head(sheet: Sheet) -> str:
    total = SEQ_WIDTH + sum(max(column.width, 1) for column in sheet.columns)
    widths = [SEQ_WIDTH] + [max(column.width, 1) for column in sheet.columns]
    cols = "".join(f'<col style="width:{100 * width / total:.2f}%">' for width in widths)
    heads = "".join(f"<th>{html.escape(column.label)}</th>" for column in sheet.columns)
    return f'<table><colgroup>{cols}</colgroup><thead><tr><th class="seq">{_("序号")}</th>{heads}</tr></thead><tbody>'


_TAIL = "</tbody></table></body></html>"


def _write_chunks(sheet: Sheet, rows: Iterable[Mapping[str, object]], directory: Path,
                  chunk_rows: int) -> Iterator[_Chunk]:
    """Write the rows as HTML files of ``chunk_rows`` rows each, yielding each file once closed."""
    prologue = _prologue(packaged_css(CSS_NAME))
    head = _table_head(sheet)
    keys = [column.key for column in sheet.columns]
    handle = None
    index = seq = first = 0
    path = directory

    def close() -> _Chunk:
        handle.write(_TAIL)
        handle.close()
        return _Chunk(index, first, seq, path, path.with_suffix(".pdf"))

    for row in rows:
        if handle is None:
            path = directory / f"chunk-{index:04d}.html"
            handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 -- closed by close()
            handle.write(prologue)
            if index == 0:
                handle.write(_sheet_header(sheet))
            handle.write(head)
            first = seq + 1
        seq += 1
        cells = "".join(f"<td>{_esc(row.get(key))}</td>" for key in keys)
        handle.write(f'<tr><td class="seq">{seq}</td>{cells}</tr>')
        if seq - first + 1 >= chunk_rows:
            yield close()
            handle = None
            index += 1
    if handle is not None:
        yield close()
    elif index == 0:
        # An empty list is still published: the header and a table saying so.
        path = directory / "chunk-0000.html"
        span = len(keys) + 1
        path.write_text(
            prologue + _sheet_header(sheet) + head
            + f'<tr><td colspan="{span}" class="seq">{html.escape(_("（无记录）"))}</td></tr>' + _TAIL,
            encoding="utf-8",
        )
        yield _Chunk(0, 0, 0, path, path.with_suffix(".pdf"))


def _footer_html(sheet: Sheet, first: int, last: int, total: int) -> str:
    """Pages ``first`` to ``last`` of the list, empty but for their footers.

    The page numbers are written out rather than counted by CSS, so that several workers can
    each render a range of the footers.
    """
    label = _("第 %(page)s 页 / 共 %(pages)s 页")
    left = html.escape(f"{sheet.title}\u3000{sheet.number}")
    pages = "".join(
        f'<div class="footer-page"><span class="page-label">{html.escape(label % {"page": number, "pages": total})}'
        f"</span>{left}</div>"
        for number in range(first, last + 1)
    )
    return _prologue(packaged_css(CSS_NAME)) + pages + "</body></html>"


def _footer_ranges(total: int, parts: int) -> list[tuple[int, int]]:
    size = -(-total // max(1, min(parts, total)))
    return [(first, min(first + size - 1, total)) for first in range(1, total + 1, size)]


# --------------------------------------------------------------------------- worker processes


class _Worker:
    """One ``render_chunk`` child process, fed one job at a time."""

    def __init__(self, log: Path) -> None:
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 -- closed in close()
        env = dict(os.environ)
        root = str(settings.BASE_DIR)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            cwd=root, env=env, text=True, encoding="utf-8", bufsize=1,
        )

    def run(self, payload: dict, timeout: float) -> int:
        try:
            self.proc.stdin.write(json.dumps(payload) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise PublicationRenderError(self._died()) from None
        ready, _w, _x = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise PublicationRenderError(f"timed out after {timeout:g} s")
        line = self.proc.stdout.readline()
        if not line:
            raise PublicationRenderError(self._died())
        reply = json.loads(line)
        if not reply.get("ok"):
            raise PublicationRenderError(reply.get("error") or "unknown error")
        return int(reply["pages"])

    def _died(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.log.flush()
        tail = self.log_path.read_bytes()[-800:].decode("utf-8", "replace").strip()
        return f"render worker exited with status {code}" + (f": {tail}" if tail else "")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        finally:
            self.proc.stdout.close()
            self.log.close()


class _Pool:
    """``size`` threads, each owning one worker process (a new one after a failure)."""

    def __init__(self, size: int, directory: Path, timeout: float) -> None:
        self.directory = directory
        self.timeout = timeout
        self.jobs: queue.Queue = queue.Queue()
        self.pages: dict[int, int] = {}
        self.errors: list[str] = []
        self.failed = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(n,), daemon=True) for n in range(size)]
        for thread in self.threads:
            thread.start()

    def submit(self, key: int, label: str, source: Path, target: Path) -> None:
        self.jobs.put((key, label, {"html": str(source), "pdf": str(target)}))

    def wait(self) -> None:
        self.jobs.join()
        if self.errors:
            raise PublicationRenderError("; ".join(sorted(self.errors)))

    def shutdown(self) -> None:
        self.failed.set()  # queued jobs are skipped
        for _thread in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join(self.timeout + 15)

    def _serve(self, n: int) -> None:
        # Started before the first job, so that importing WeasyPrint and loading the font
        # overlap with the parent reading rows and writing the first chunk.
        worker = _Worker(self.directory / f"worker-{n}.log")
        try:
            while True:
                job = self.jobs.get()
                try:
                    if job is None:
                        return
                    if self.failed.is_set():
                        continue
                    key, label, payload = job
                    if worker is None:
                        worker = _Worker(self.directory / f"worker-{n}.log")
                    try:
                        self.pages[key] = worker.run(payload, self.timeout)
                    except Exception as exc:
                        self.errors.append(f"{label} failed: {exc}")
                        self.failed.set()
                        worker.kill()
                        worker.close()
                        worker = None
                finally:
                    self.jobs.task_done()
        finally:
            if worker is not None:
                worker.close()


# --------------------------------------------------------------------------- merging


def _stream(data: bytes):
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _merge(chunks: Sequence[_Chunk], footer_pdfs: Sequence[Path], out) -> None:
    """Join the chunk PDFs and draw footer page *i* over page *i* as a form XObject."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = PdfWriter()
    footers = [page for path in footer_pdfs for page in PdfReader(path).pages]
    # The table pages leave their graphics state as they please: save it before, restore it
    # after, then draw the footer in the page's own coordinates.
    opening = writer._add_object(_stream(b"q\n"))
    closing = writer._add_object(_stream(b"Q\n/PubFooter Do\n"))
    number = 0
    for chunk in chunks:
        for page in PdfReader(chunk.pdf).pages:
            footer = footers[number]
            number += 1
            form = _stream(footer.get_contents().get_data())
            form.update({
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): footer.mediabox,
                NameObject("/Resources"): footer.raw_get("/Resources").clone(writer),
            })
            form = form.flate_encode()
            added = writer.add_page(page)
            # A chunk's pages may share one resource dictionary: give each page its own.
            resources = DictionaryObject(added["/Resources"])
            xobjects = DictionaryObject(resources.get("/XObject") or {})
            xobjects[NameObject("/PubFooter")] = writer._add_object(form)
            resources[NameObject("/XObject")] = xobjects
            added[NameObject("/Resources")] = resources
            contents = added.raw_get("/Contents")
            contents = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
            added[NameObject("/Contents")] = ArrayObject([opening, *contents, closing])
    writer.write(out)


def _replace_atomically(dest: Path, write) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(name, dest)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- public API


def render_pdf(sheet: Sheet, rows: Iterable[Mapping[str, object]], dest: Path, *, workers: int | None = None,
               chunk_rows: int | None = None, timeout: float | None = None,
               while_rendering: Callable[[], None] | None = None) -> int:
    """Writes the PDF to dest, returns the page count.

    ``workers`` render processes at most (default: one per CPU); ``chunk_rows`` rows per
    chunk; ``timeout`` seconds per chunk. The workers start before ``rows`` is read, so a
    query behind it runs while they load. ``while_rendering`` is called in this thread once
    every chunk is handed out, for other work while the workers lay them out; an exception
    from it stops the workers and is raised. Raises :class:`PublicationRenderError` if a
    chunk fails, leaving ``dest`` untouched.
    """
    dest = Path(dest)
    workers = max(1, workers or os.cpu_count() or 1)
    chunk_rows = max(1, chunk_rows or CHUNK_ROWS)
    timeout = timeout or CHUNK_TIMEOUT
    directory = Path(tempfile.mkdtemp(prefix="publication-"))
    pool = _Pool(workers, directory, timeout)
    try:
        chunks: list[_Chunk] = []
        for chunk in _write_chunks(sheet, rows, directory, chunk_rows):
            if pool.failed.is_set():
                break
            chunks.append(chunk)
            pool.submit(chunk.index, chunk.label, chunk.html, chunk.pdf)
        if while_rendering is not None and not pool.failed.is_set():
            while_rendering()
        pool.wait()
        total = sum(pool.pages[chunk.index] for chunk in chunks)
        footers = []
        for key, (first, last) in enumerate(_footer_ranges(total, workers), start=1):
            source = directory / f"footer-{key:04d}.html"
            source.write_text(_footer_html(sheet, first, last, total), encoding="utf-8")
            pool.submit(-key, f"footers of pages {first}-{last}", source, source.with_suffix(".pdf"))
            footers.append((-key, last - first + 1, source.with_suffix(".pdf")))
        pool.wait()
        for key, expected, _path in footers:
            if pool.pages[key] != expected:
                raise PublicationRenderError(f"footers: {pool.pages[key]} pages instead of {expected}")
        _replace_atomically(dest, lambda out: _merge(chunks, [path for _k, _n, path in footers], out))
        return total
    finally:
        pool.shutdown()
        shutil.rmtree(directory, ignore_errors=True)


def _xlsx_value(value: object) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, int | Decimal | date) or value is None:
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _sheet_name(sheet: Sheet) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", sheet.kind_label or sheet.title).strip()
    return name[:31] or "Sheet1"


def render_xlsx(sheet: Sheet, rows: Iterable[Mapping[str, object]], dest: Path) -> None:
    """The same list as an Excel workbook, written row by row (``write_only``)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    dest = Path(dest)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(_sheet_name(sheet))
    metadata = sheet_metadata(sheet)
    if sheet.notes.strip():
        metadata.append((_("说明"), sheet.notes))
    header_row = 1 + len(metadata) + 2  # title, metadata, a blank line, then the column headers

    # Column widths and the frozen header are written with the sheet's first row, so they come first.
    ws.column_dimensions["A"].width = 8
    for position, column in enumerate(sheet.columns, start=2):
        ws.column_dimensions[get_column_letter(position)].width = min(60, max(10, 12 * max(column.width, 1)))
    ws.freeze_panes = f"A{header_row + 1}"

    def styled(value, **style):
        cell = WriteOnlyCell(ws, value=_xlsx_value(value))
        for name, spec in style.items():
            setattr(cell, name, spec)
        return cell

    bold = Font(bold=True)
    ws.append([styled(sheet.title, font=Font(bold=True, size=14))])
    wrap = Alignment(wrap_text=True, vertical="top")
    for label, value in metadata:
        ws.append([styled(label, font=bold), styled(value, alignment=wrap)])
    ws.append([])
    ws.append([styled(_("序号"), font=bold)] + [styled(column.label, font=bold) for column in sheet.columns])

    keys = [column.key for column in sheet.columns]
    try:
        for seq, row in enumerate(rows, start=1):
            line: list[object] = [seq]
            for key in keys:
                value = row.get(key)
                if isinstance(value, date):
                    fmt = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
                    line.append(styled(value, number_format=fmt))
                else:
                    line.append(_xlsx_value(value))
            ws.append(line)
    except BaseException:
        # The rows stream into a temporary file of openpyxl's: close and remove it.
        with contextlib.suppress(Exception):
            ws.close()
            ws._writer.cleanup()
        raise
    _replace_atomically(dest, workbook.save)
