"""The streaming workbook reader behind the import: values as Excel shows them, nothing executed or expanded."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from filing.importing.plan import parse_date
from filing.importing.xlsx import Workbook, XlsxError, column_index
from portal.testing.files import zip_of

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package(sheet_xml: str, shared_xml: str | None = None, *, prefix: str = "") -> bytes:
    """A minimal workbook with one sheet called 机构, written the way other producers do."""
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {ns} xmlns:r="{RELS}"><{p}sheets>'
                f'<{p}sheet name="机构" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
               if shared_xml is not None else "")
            + '</Relationships>')
    members = {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels,
               "xl/worksheets/sheet1.xml": sheet_xml}
    if shared_xml is not None:
        members["xl/sharedStrings.xml"] = shared_xml
    return zip_of(members, compress=False)


def test_cell_types_as_excel_shows_them():
    shared = (f'<sst xmlns="{MAIN}"><si><t>机构名称</t></si>'
              '<si><r><t>长春</t></r><r><t>市</t></r><rPh sb="0" eb="1"><t>ちょうしゅん</t></rPh></si></sst>')
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>备</t><r><t>注</t></r></is></c></row>'
             '<row r="4"><c r="A4" t="s"><v>1</v></c><c r="B4"><v>220102</v></c><c r="C4"><v>1200.5</v></c>'
             '<c r="D4" t="b"><v>1</v></c><c r="E4"><f>1+1</f><v>2</v></c><c r="F4"><f>NOW()</f></c>'
             '<c r="G4" t="str"><f>A4</f><v>&lt;文本&amp;</v></c><c r="H4" t="e"><v>#N/A</v></c></row>'
             '<row><c><v>7</v></c><c><v>8</v></c></row>'
             '</sheetData></worksheet>')
    book = Workbook(package(sheet, shared))
    assert book.sheetnames == ["机构"]
    rows = list(book.rows("机构"))
    assert rows[0] == (1, ["机构名称", None, "备注"])
    assert rows[1] == (4, ["长春市", 220102, 1200.5, True, 2, None, "<文本&", "#N/A"])
    assert rows[2] == (5, [7, 8]), "rows and cells without references follow on"


def test_prefixed_namespace_is_read():
    sheet = (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="B1" t="inlineStr"><x:is>'
             '<x:t>区划代码</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>')
    assert list(Workbook(package(sheet, prefix="x")).rows("机构")) == [(1, [None, "区划代码"])]


def test_document_type_declarations_are_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is>'
              '</c></row></sheetData></worksheet>')
    with pytest.raises(XlsxError):
        list(Workbook(package(laughs)).rows("机构"))
    external = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is>'
                '</c></row></sheetData></worksheet>')
    with pytest.raises(XlsxError):
        list(Workbook(package(external)).rows("机构"))


def test_broken_parts_are_errors_not_crashes():
    with pytest.raises(XlsxError):
        list(Workbook(package(f'<worksheet xmlns="{MAIN}"><sheetData><row>')).rows("机构"))
    shared = f'<sst xmlns="{MAIN}"><si><t>a</t></si></sst>'
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>5</v></c></row></sheetData></worksheet>'
    with pytest.raises(XlsxError):
        list(Workbook(package(sheet, shared)).rows("机构"))
    with pytest.raises(XlsxError):
        Workbook(b"PK\x03\x04 not really")


def test_a_workbook_saved_by_a_spreadsheet_program_reads_back():
    book = OpenpyxlWorkbook()
    ws = book.active
    ws.title = "机构"
    ws.append(["备案日期", "区划代码", "面积"])
    ws.append([datetime(2023, 5, 1), "220102", 1200.25])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = list(Workbook(buffer.getvalue()).rows("机构"))
    assert rows[0] == (1, ["备案日期", "区划代码", "面积"])
    serial, region, area = rows[1][1]
    assert parse_date(serial) == date(2023, 5, 1) and region == "220102" and area == 1200.25


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2023, 5, 1, 8, 30), date(2023, 5, 1)),
    (date(2023, 5, 1), date(2023, 5, 1)),
    (45047, date(2023, 5, 1)),
    (45047.0, date(2023, 5, 1)),
    (20230501, date(2023, 5, 1)),
    ("2023-05-01", date(2023, 5, 1)),
    ("2023/5/1", date(2023, 5, 1)),
    ("2023.05.01", date(2023, 5, 1)),
    ("2023年5月1日", date(2023, 5, 1)),
    ("20230501", date(2023, 5, 1)),
    ("五月一日", None),
    ("2023-02-30", None),
])
def test_dates_in_the_forms_people_type(value, expected):
    assert parse_date(value) == expected


def test_column_references():
    assert [column_index(r) for r in ("A1", "Z9", "AA10", "ab3", "XFD1048576")] == [0, 25, 26, 27, 16383]
