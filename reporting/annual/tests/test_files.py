"""The generated files: the workbook has one sheet per section with its header; the PDF renders the
Chinese text and the charts."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from portal.core.pdf import pdf_text
from reporting.annual.services import typical_case_add

pytestmark = pytest.mark.django_db

SHEETS = {
    "质量考核与覆盖": ["项目", "数值"],
    "考核结果（按等级）": ["等级", "考核次数", "占比（%）"],
    "考核结果（按市州）": ["市（州）", "考核次数", "合格次数", "合格率（%）"],
    "关键指标": ["指标", "数值", "填报考核次数"],
    "关键项不合格": ["关键项编号", "关键项", "不合格次数"],
    "近年质量考核情况": ["年度", "考核次数", "合格次数", "合格率（%）"],
    "问题整改": ["问题来源", "年内新列入", "年内销号", "其中逾期销号", "年末逾期未销号", "拒不整改或整改不到位"],
    "整改按月情况": ["月份", "新列入", "销号"],
    "备案后现场核查": ["项目", "数量"],
    "监督抽查与行政处罚": ["项目", "数量"],
    "监督发现问题（按附表2类别）": ["不合格情况", "问题数"],
    "典型案例": ["类型", "机构", "日期", "情况", "说明"],
}


@pytest.fixture
def generated(report, commission, dataset, generate):
    typical_case_add(report_id=report.pk, kind="spot_check", object_id=dataset.checks["A"].pk,
                     note="=HYPERLINK(\"http://example.invalid\") 瞒报疑似职业病", actor=commission)
    return generate(report, commission)


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_one_sheet_per_section_with_its_header(generated):
    book = load_workbook(io.BytesIO(generated.xlsx_file.file.read()), read_only=True)

    assert book.sheetnames == list(SHEETS)
    for name, header in SHEETS.items():
        rows = _rows(book[name])
        assert rows[0][0].startswith("吉林省2025年度") and rows[0][0].endswith(name)
        assert rows[1][:len(header)] == header, name


def test_the_workbook_holds_the_computed_figures(generated):
    book = load_workbook(io.BytesIO(generated.xlsx_file.file.read()), read_only=True)

    overview = {row[0]: row[1] for row in _rows(book["质量考核与覆盖"])[2:]}
    assert overview["完成质量考核（定稿）次数"] == 3
    assert overview["合格率（%）"] == 66.7
    assert overview["覆盖率（%）"] == 75
    assert overview["是否达到覆盖要求"] == "否"
    cities = _rows(book["考核结果（按市州）"])[2:]
    assert cities == [["长春市", 2, 2, 100], ["吉林市", 1, 0, 0]]
    rectification = {row[0]: row[1:] for row in _rows(book["问题整改"])[2:]}
    assert rectification["合计"] == [6, 2, 1, 4, 1]
    penalties = {row[0]: row[1] for row in _rows(book["监督抽查与行政处罚"])[2:]}
    assert penalties["罚款合计（万元）"] == 2


def test_text_a_user_typed_is_never_a_formula(generated):
    book = load_workbook(io.BytesIO(generated.xlsx_file.file.read()))
    note = book["典型案例"]["E3"]

    assert note.value.startswith("'=HYPERLINK")
    assert note.data_type == "s"


def test_the_pdf_renders_chinese_text_and_the_charts(generated):
    text = pdf_text(generated.pdf_file.file.read())
    flat = "".join(text.split())

    assert "吉林省2025年度职业健康检查质量控制、整改与监督情况报告" in flat
    for chart_title in ("考核结果（按等级）", "各市（州）考核合格率", "近年质量考核情况", "整改问题按月情况"):
        assert flat.count(chart_title) >= 1, chart_title
    for label in ("长春市", "吉林市", "优秀", "不合格", "新列入"):
        assert label in flat
    assert "瞒报疑似职业病" in flat
    assert "未按规定报告、告知疑似职业病、职业禁忌" in flat
