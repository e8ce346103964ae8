"""The upload defences and issue reporting shared by the Excel importers (portal.core.workbooks).

Each importer's own tests pin its wording end to end; these pin the shared logic itself.
"""

import io

import pytest
from openpyxl import Workbook

from portal.core import workbooks
from portal.core.workbooks import Issue
from portal.testing.files import zip_of


def xlsx_of(rows) -> bytes:
    book = Workbook()
    book.active.title = "数据"
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK_PARTS = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
LIMITS = {"max_members": 10, "max_uncompressed_bytes": 1024 * 1024}


def rejection(content: bytes, **kwargs) -> workbooks.ArchiveRejected:
    with pytest.raises(workbooks.ArchiveRejected) as exc:
        workbooks.check_archive(content, **LIMITS, **kwargs)
    return exc.value


def test_a_sound_archive_passes():
    workbooks.check_archive(xlsx_of([["a"]]), **LIMITS)


@pytest.mark.parametrize(("content", "code", "message"), [
    (b"PK\x03\x04" + b"garbage" * 10, "not_zip", "Excel 文件已损坏，无法读取。"),
    (b"", "not_zip", "Excel 文件已损坏，无法读取。"),
    (zip_of({**WORKBOOK_PARTS, **{f"xl/part{i}.xml": b"<x/>" for i in range(9)}}), "zip_members",
     "Excel 文件结构异常（包含 11 个部件），已拒绝。"),
    (zip_of({**WORKBOOK_PARTS, "xl/big.xml": b"\0" * (3 * 1024 * 1024)}), "zip_bomb",
     "Excel 文件解压后达 3 MB，超过上限 1 MB，疑似压缩炸弹，已拒绝。"),
    (zip_of({"readme.txt": b"hello"}), "not_xlsx", "文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。"),
])
def test_unsafe_or_foreign_archives_are_rejected_with_a_reason(content, code, message):
    rejected = rejection(content)
    assert (rejected.code, rejected.message, str(rejected)) == (code, message, message)


def test_a_zip_bomb_is_refused_by_its_declared_sizes_without_inflating_it():
    content = zip_of({**WORKBOOK_PARTS, "xl/big.xml": b"\0" * (50 * 1024 * 1024)})
    assert len(content) < 100 * 1024
    assert rejection(content).code == "zip_bomb"


def test_an_importer_may_word_the_not_a_workbook_cases_its_own_way():
    assert rejection(b"not a zip", not_zip="不是工作簿").message == "不是工作簿"
    assert rejection(zip_of({"readme.txt": b"hello"}), not_xlsx="不是工作簿").message == "不是工作簿"
    assert rejection(zip_of({**WORKBOOK_PARTS, "xl/big.xml": b"\0" * (3 * 1024 * 1024)}),
                     not_zip="x", not_xlsx="y").code == "zip_bomb"


def test_read_with_openpyxl_reads_values_and_closes_the_workbook():
    seen = []

    def read(book):
        seen.append(book)
        return [row for row in book["数据"].iter_rows(values_only=True)]

    assert workbooks.read_with_openpyxl(xlsx_of([["代码", "名称"], ["A1", "=1+1"]]), read) == [
        ("代码", "名称"), ("A1", None)]  # the cached value of a formula, never its text; none is cached here
    assert seen[0].read_only


def test_a_package_openpyxl_cannot_open_is_unreadable():
    content = zip_of({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"not xml at all"})
    with pytest.raises(workbooks.WorkbookUnreadable) as exc:
        workbooks.read_with_openpyxl(content, lambda book: book)
    assert exc.value.message == "Excel 文件已损坏或格式不受支持，无法读取。"


def test_a_failure_while_rows_are_read_is_unreadable_too():
    def read(book):
        raise KeyError("xl/worksheets/sheet1.xml")

    with pytest.raises(workbooks.WorkbookUnreadable):
        workbooks.read_with_openpyxl(xlsx_of([["a"]]), read)


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), ("  名称 ", "名称"), (220102.0, "220102"), (5.1, "5.1"), (7, "7"),
    ("'=1+1", "=1+1"), ("'+86", "+86"), ("'-", "-"), ("'", "'"), ("'abc", "'abc"), ("'\tx", "'\tx"),
])
def test_cell_text(value, expected):
    assert workbooks.cell_text(value) == expected


def test_cell_text_undoes_the_quoting_of_the_export_it_reads_back():
    assert workbooks.cell_text("'\tx", prefixes=("=", "\t")) == "\tx"


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-1", "@x", "plain", 3, None])
def test_neutralised_text_reads_back_unchanged(value):
    written = workbooks.neutralise(value)
    assert not (isinstance(written, str) and written.startswith(workbooks.FORMULA_PREFIXES))
    assert workbooks.cell_text(written) == workbooks.cell_text(value)


def test_header_columns_and_column_value():
    columns = workbooks.header_columns([" 编号 ", None, "名称", "编号", 2024.0])
    assert columns == {"编号": 0, "名称": 2, "2024": 4}
    assert workbooks.column_value(("2.1", "x", "考核"), columns, "名称") == "考核"
    assert workbooks.column_value(("2.1",), columns, "名称") is None
    assert workbooks.column_value(("2.1", "x", "考核"), columns, "分值") is None


def test_missing_sheets_and_columns_are_issues_in_the_order_required():
    assert workbooks.missing_sheets(["项目"], ("版本", "项目", "类别")) == [
        Issue("缺少工作表「版本」。"), Issue("缺少工作表「类别」。")]
    assert workbooks.missing_sheets(["机构"], ("机构", "备案项目"), message="缺少「%(sheet)s」") == [
        Issue("缺少「备案项目」")]
    assert workbooks.missing_columns({"名称": 0}, ("编号", "名称", "分值"), sheet="指标",
                                     optional=frozenset({"分值"})) == [
        Issue("缺少列「编号」（第 1 行为表头）。", "指标", 1)]


def test_missing_sheets_and_columns_use_the_importers_issue_class():
    class Located(Issue):
        joiner = ""

    [issue] = workbooks.missing_columns({}, ("编号",), sheet="指标", message="缺少「%(column)s」", issue=Located)
    assert type(issue) is Located
    assert str(issue) == "工作表「指标」第 1 行：缺少「编号」"


def test_issue_says_where_before_what():
    assert str(Issue("不能为空。")) == "不能为空。"
    assert str(Issue("不能为空。", "项目", 3, "名称")) == "工作表「项目」 第 3 行 「名称」列：不能为空。"
    assert Issue("不能为空。", "项目", 3).as_dict() == {"sheet": "项目", "row": 3, "column": "", "message": "不能为空。"}


def test_rejection_carries_every_issue():
    rejected = workbooks.WorkbookRejected([Issue("a"), Issue("b", "机构", 2)])
    assert [i.message for i in rejected.issues] == ["a", "b"]
    assert str(rejected) == "a; 工作表「机构」 第 2 行：b"


def numbered(rows):
    return list(enumerate(rows, start=1))


def test_filled_rows_skips_blank_rows_and_keeps_row_numbers():
    rows = numbered([("a",), (None, "  "), (), (0,), (False,)])
    assert list(workbooks.filled_rows(rows, limit=10, over_limit=pytest.fail)) == [
        (1, ("a",)), (4, (0,)), (5, (False,))]


def test_filled_rows_reports_the_first_row_past_the_limit_and_stops():
    reported = []
    rows = numbered([("a",), (None,), ("b",), ("c",), ("d",)])
    assert [n for n, _v in workbooks.filled_rows(rows, limit=2, over_limit=reported.append)] == [1, 3]
    assert reported == [4]


def test_filled_rows_may_raise_from_over_limit():
    def over_limit(row_no):
        raise workbooks.WorkbookRejected([Issue("too many", "机构", row_no)])

    with pytest.raises(workbooks.WorkbookRejected) as exc:
        list(workbooks.filled_rows(numbered([("a",), ("b",)]), limit=1, over_limit=over_limit))
    assert exc.value.issues[0].row == 2


def test_filled_rows_stops_at_a_blank_row_past_the_last_one_scanned():
    rows = numbered([("a",), (None,), ("b",), (None,), ("c",)])
    assert [n for n, _v in workbooks.filled_rows(rows, limit=10, over_limit=pytest.fail, last_blank_row=3)] == [1, 3]


def test_filled_rows_stops_after_a_long_run_of_blank_rows():
    rows = numbered([("a",), (None,), ("b",), (None,), (None,), (None,), ("c",)])
    assert [n for n, _v in workbooks.filled_rows(rows, limit=10, over_limit=pytest.fail, max_blank_run=2)] == [1, 3]
    assert [n for n, _v in workbooks.filled_rows(rows, limit=10, over_limit=pytest.fail, max_blank_run=3)] == [
        1, 3, 7]
