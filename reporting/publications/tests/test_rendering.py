"""The published list as PDF and Excel: what a reader of the files would check.

The PDF tests render real PDFs in worker processes and read the Chinese text back, with a
chunk size of 7 rows so that 30 rows cross four chunk boundaries.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.core.pdf import pdf_text
from reporting.publications import rendering
from reporting.publications.rendering import Column, PublicationRenderError, Sheet, render_pdf, render_xlsx

LAST_NAME = "延边朝鲜族自治州职业病防治院"
CHUNK = 7
ROWS = 30


def make_sheet(**overrides) -> Sheet:
    values = {
        "title": "吉林省职业健康检查机构备案名单",
        "number": "吉卫职健公示〔2026〕3号",
        "authority": "吉林省卫生健康委员会",
        "kind_label": "职业健康检查机构",
        "data_as_of": date(2026, 11, 1),
        "next_update_on": date(2026, 12, 1),
        "published_at": datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        "columns": [
            Column("name", "机构名称", 4),
            Column("code", "统一社会信用代码", 3),
            Column("region", "所在地区", 2),
            Column("items", "备案检查项目", 6),
            Column("filed_on", "备案日期", 2),
        ],
        "notes": "本名单依据《职业健康检查管理办法》公示。",
    }
    values.update(overrides)
    return Sheet(**values)


def make_rows(count: int, **last):
    for number in range(1, count + 1):
        row = {
            "name": f"测试机构{number:02d}号",
            "code": f"12220000MB{number:07d}X",
            "region": "吉林省长春市朝阳区",
            "items": "粉尘作业、化学因素、物理因素（噪声、高温）",
            "filed_on": date(2026, 1, number % 28 + 1),
        }
        if number == count:
            row.update(last)
        yield row


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    dest = tmp_path_factory.mktemp("pdf") / "list.pdf"
    pages = render_pdf(make_sheet(), make_rows(ROWS, name=LAST_NAME), dest, workers=2, chunk_rows=CHUNK)
    return pages, dest, [page.extract_text() for page in PdfReader(dest).pages]


def test_pdf_shows_the_chinese_header_and_the_last_chunks_rows(rendered):
    pages, dest, _texts = rendered
    text = pdf_text(dest.read_bytes())
    assert "吉林省职业健康检查机构备案名单" in text
    assert "吉卫职健公示〔2026〕3号" in text
    assert "吉林省卫生健康委员会" in text
    assert "数据截至：2026-11-01" in text
    assert "下次更新：2026-12-01" in text
    assert "发布时间：2026-11-20 09:30" in text  # Beijing time
    assert "职业健康检查管理办法" in text
    assert LAST_NAME in text  # from the fifth chunk


def test_pdf_numbers_rows_on_across_chunks(rendered):
    _pages, _dest, texts = rendered
    pairs = re.findall(r"(\d+) 测试机构(\d+)号", "\n".join(texts))
    assert [int(seq) for seq, _name in pairs] == list(range(1, ROWS))
    assert all(int(seq) == int(name) for seq, name in pairs)
    assert re.search(rf"\b{ROWS} {LAST_NAME}", "\n".join(texts))


def test_pdf_numbers_pages_on_across_chunks_with_the_headers_repeated(rendered):
    pages, dest, texts = rendered
    assert pages == len(texts) >= 5  # at least one page per chunk
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 / 共 {pages} 页" in text
        assert "吉卫职健公示〔2026〕3号" in text
        assert "序" in text and "统一社会信用代码" in text
    assert "第 3 页" in texts[2]
    assert "吉林省卫生健康委员会" not in texts[1]  # the header block is on the first page only


def test_pdf_prints_markup_in_cells_as_text_and_fetches_nothing(tmp_path):
    markup = "<link rel=attachment href=file:///etc/passwd><img src=file:///etc/passwd>"
    dest = tmp_path / "list.pdf"
    render_pdf(make_sheet(columns=[Column("name", "机构名称", 1), Column("items", "备案检查项目", 6)]),
               make_rows(3, items=markup), dest, workers=1)
    reader = PdfReader(dest)
    assert reader.attachments == {}
    text = pdf_text(dest.read_bytes()).replace("\n", "")
    assert "<img src=file:///etc/passwd>" in text
    assert "root:x:0:0" not in text


def test_chunk_html_escapes_cells(tmp_path):
    sheet = make_sheet(title="<b>标题</b>", notes="<script>x</script>")
    chunk, = rendering._write_chunks(sheet, make_rows(2, name="<img src=file:///etc/passwd>"), tmp_path, 10)
    html = chunk.html.read_text(encoding="utf-8")
    assert "&lt;img src=file:///etc/passwd&gt;" in html and "<img" not in html
    assert "&lt;b&gt;标题" in html and "<script>" not in html


def test_worker_refuses_file_urls_even_in_raw_html(tmp_path):
    """The worker's fetcher is the portal's data-only one, whatever the HTML asks for."""
    from reporting.publications.render_chunk import render_file

    source = tmp_path / "raw.html"
    source.write_text('<p>正文<link rel="attachment" href="file:///etc/passwd">'
                      '<img src="file:///etc/passwd"></p>', encoding="utf-8")
    render_file(str(source), str(tmp_path / "raw.pdf"))
    assert PdfReader(tmp_path / "raw.pdf").attachments == {}
    assert b"root:x:0:0" not in (tmp_path / "raw.pdf").read_bytes()


def test_empty_list_still_publishes_the_header(tmp_path):
    dest = tmp_path / "empty.pdf"
    assert render_pdf(make_sheet(next_update_on=None), [], dest, workers=1) == 1
    text = pdf_text(dest.read_bytes())
    assert "（无记录）" in text and "下次更新：未定" in text and "第 1 页 / 共 1 页" in text


@pytest.fixture
def broken_worker(monkeypatch, tmp_path):
    monkeypatch.setattr(rendering, "WORKER_MODULE", "reporting.publications.tests.broken_chunk_worker")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_failing_chunk_raises_and_leaves_dest_alone(broken_worker, tmp_path):
    dest = tmp_path / "out" / "list.pdf"
    dest.parent.mkdir()
    dest.write_bytes(b"the previous file")
    rows = ({**row, "name": "CRASH"} if index == 16 else row for index, row in enumerate(make_rows(ROWS), start=1))
    with pytest.raises(PublicationRenderError, match=r"chunk 3 \(rows 15-21\) failed: .*simulated crash"):
        render_pdf(make_sheet(), rows, dest, workers=2, chunk_rows=CHUNK)
    assert dest.read_bytes() == b"the previous file"
    assert list(dest.parent.iterdir()) == [dest]  # no half-written file beside it
    assert list(broken_worker.iterdir()) == []  # chunk files removed


def test_hanging_chunk_times_out(broken_worker, tmp_path):
    dest = tmp_path / "list.pdf"
    with pytest.raises(PublicationRenderError, match=r"chunk 1 \(rows 1-3\) failed: timed out after 3 s"):
        render_pdf(make_sheet(), make_rows(3, name="SLEEP"), dest, workers=1, timeout=3)
    assert not dest.exists()


def _render_in_daemon(dest: str) -> None:
    pages = render_pdf(make_sheet(), make_rows(12), Path(dest), workers=2, chunk_rows=5)
    Path(dest + ".pages").write_text(str(pages))


def test_renders_from_a_daemonic_process(tmp_path):
    """As in a Celery prefork worker, which may not start multiprocessing children."""
    dest = tmp_path / "daemon.pdf"
    process = multiprocessing.get_context("fork").Process(target=_render_in_daemon, args=(str(dest),), daemon=True)
    process.start()
    process.join(180)
    assert process.exitcode == 0
    pages = int(Path(str(dest) + ".pages").read_text())
    assert pages == len(PdfReader(dest).pages) >= 3
    assert "测试机构12号" in pdf_text(dest.read_bytes())


def test_xlsx_has_the_header_rows_numbered_rows_and_neutralised_cells(tmp_path):
    dest = tmp_path / "list.xlsx"
    rows = [
        {"name": "=HYPERLINK(\"http://evil\",\"点击\")", "code": "+86123", "region": "-1", "items": "@SUM(A1)",
         "filed_on": date(2026, 3, 1)},
        {"name": LAST_NAME, "code": "12220000MB0000001X", "region": None, "items": Decimal("12.50"),
         "filed_on": None},
    ]
    render_xlsx(make_sheet(title="=1+1 名单"), rows, dest)
    ws = load_workbook(dest).active
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert values[0][0] == "'=1+1 名单"
    assert ["公示编号", "吉卫职健公示〔2026〕3号"] == values[1][:2]
    assert ["发布时间", "2026-11-20 09:30"] == values[6][:2]
    header = values.index(["序号", "机构名称", "统一社会信用代码", "所在地区", "备案检查项目", "备案日期"])
    assert ws.freeze_panes == f"A{header + 2}"
    first, second = values[header + 1], values[header + 2]
    assert first[:5] == [1, "'=HYPERLINK(\"http://evil\",\"点击\")", "'+86123", "'-1", "'@SUM(A1)"]
    assert first[5] == datetime(2026, 3, 1)
    assert ws.cell(header + 2, 6).number_format == "yyyy-mm-dd"
    assert second == [2, LAST_NAME, "12220000MB0000001X", None, 12.5, None]
    assert ws.column_dimensions["E"].width > ws.column_dimensions["C"].width


def test_xlsx_leaves_dest_alone_when_rows_fail(tmp_path):
    dest = tmp_path / "list.xlsx"
    dest.write_bytes(b"previous")

    def rows():
        yield from make_rows(2)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        render_xlsx(make_sheet(), rows(), dest)
    assert dest.read_bytes() == b"previous"


def _failing_rows():
    yield from make_rows(10)
    raise RuntimeError("database went away")


def _failing_work():
    raise RuntimeError("workbook could not be written")


@pytest.mark.parametrize(("rows", "while_rendering", "message"), [
    (_failing_rows, None, "database went away"),
    (lambda: make_rows(20), _failing_work, "workbook could not be written"),
], ids=["row source", "other work"])
def test_a_failure_stops_the_workers_and_leaves_dest_alone(tmp_path, monkeypatch, rows, while_rendering, message):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dest = tmp_path / "list.pdf"
    with pytest.raises(RuntimeError, match=message):
        render_pdf(make_sheet(), rows(), dest, workers=2, chunk_rows=CHUNK, while_rendering=while_rendering)
    assert not dest.exists()
    assert list(scratch.iterdir()) == []


def test_other_work_runs_while_the_workers_render(tmp_path):
    """The publisher stores the snapshot and writes the workbook while the chunks are laid out: by then
    every row has been read and handed out, and the PDF is whole afterwards."""
    read: list[dict] = []
    seen: list[int] = []

    def rows():
        for row in make_rows(20):
            read.append(row)
            yield row

    dest = tmp_path / "list.pdf"
    pages = render_pdf(make_sheet(), rows(), dest, workers=2, chunk_rows=CHUNK,
                       while_rendering=lambda: seen.append(len(read)))
    assert seen == [20]
    assert pages == len(PdfReader(dest).pages) >= 3
    assert "测试机构20号" in pdf_text(dest.read_bytes())
