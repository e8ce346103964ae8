"""Importing a checklist from Excel: a good file becomes a draft; every bad file is refused
whole, with the reason it names, and nothing is saved."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from inspections.choices import ChecklistSection, ChecklistVersionStatus
from inspections.models import ChecklistLine, ChecklistVersion
from inspections.services.checklists import IMPORT_HEADERS, MAX_IMPORT_ROWS, checklist_version_import
from portal.audit.models import AuditEntry
from portal.testing.files import members_of, zip_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTION_LABELS = [str(s.label) for s in ChecklistSection]


def good_rows() -> list[list]:
    """One line per key link; the flags in the spellings the importer accepts."""
    flags = ["是", "否", "★", "", "否", "是"]
    return [[label, f"A{n + 1}", f"核查内容{n + 1}", "查阅资料", flags[n]] for n, label in enumerate(SECTION_LABELS)]


def xlsx(rows: list[list], *, header: list[str] = IMPORT_HEADERS, name: str = "核查表.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


@pytest.fixture
def nothing_saved(db):
    before = (ChecklistVersion.objects.count(), ChecklistLine.objects.count(), AuditEntry.objects.count())
    yield
    assert (ChecklistVersion.objects.count(), ChecklistLine.objects.count(), AuditEntry.objects.count()) == before


def refused(province, actor, upload) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        checklist_version_import(province=province, actor=actor, name="2026版核查表", upload=upload)
    return caught.value.message_dict["file"]


def test_a_good_file_becomes_a_draft_with_every_line(jilin, qc_user):
    version = checklist_version_import(province=jilin, actor=qc_user, name=" 2026版核查表 ", upload=xlsx(good_rows()))

    assert (version.status, version.name, version.number) == (ChecklistVersionStatus.DRAFT, "2026版核查表", 1)
    assert version.source_name == "核查表.xlsx"
    lines = list(version.lines.values_list("section", "code", "is_key"))
    assert lines == [(s.value, f"A{n + 1}", key) for n, (s, key) in
                     enumerate(zip(ChecklistSection, [True, False, True, False, False, True], strict=True))]
    assert AuditEntry.objects.filter(action="inspections.checklist.created").count() == 1


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(jilin, qc_user, nothing_saved):
    rows = good_rows()
    rows.insert(1, [None] * 5)
    rows[3][2] = ""
    assert refused(jilin, qc_user, xlsx(rows)) == ["第5行：缺少核查内容。"]


def _with(row_index: int, column: int, value) -> list[list]:
    rows = good_rows()
    rows[row_index][column] = value
    return rows


BAD_ROWS = {
    "unknown section": (_with(1, 0, "人员档案"), ["第3行：未知的核查环节“人员档案”。",
                                                 f"核查表须覆盖全部核查环节，缺少：{SECTION_LABELS[1]}。"]),
    "no code": (_with(0, 1, ""), ["第2行：缺少编号。"]),
    "code too long": (_with(0, 1, "A" * 17), ["第2行：编号过长。"]),
    "duplicate code": (_with(2, 1, "A1"), ["第4行：编号“A1”重复。"]),
    "no text": (_with(0, 2, "  "), ["第2行：缺少核查内容。"]),
    "text too long": (_with(0, 2, "查" * 501), ["第2行：核查内容超过500字。"]),
    "bad key flag": (_with(0, 4, "可能"), ["第2行：关键项只能填“是”或“否”。"]),
    "a key link missing": (good_rows()[:-1], [f"核查表须覆盖全部核查环节，缺少：{SECTION_LABELS[-1]}。"]),
    "no lines": ([], ["核查表没有任何条目。"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_refuses_the_whole_file_with_its_reason(case, jilin, qc_user, nothing_saved):
    rows, messages = BAD_ROWS[case]
    assert refused(jilin, qc_user, xlsx(rows)) == messages


def test_every_problem_is_listed_at_once(jilin, qc_user, nothing_saved):
    rows = good_rows()
    rows[0][1] = ""
    rows[1][2] = ""
    assert refused(jilin, qc_user, xlsx(rows)) == ["第2行：缺少编号。", "第3行：缺少核查内容。"]


def test_a_missing_header_is_named(jilin, qc_user, nothing_saved):
    header = ["核查环节", "编号", "内容", "核查方法", "关键项"]
    assert refused(jilin, qc_user, xlsx(good_rows(), header=header)) == ["表头缺少：核查内容。"]


def test_too_many_rows_are_refused(jilin, qc_user, nothing_saved):
    rows = [[SECTION_LABELS[n % 6], f"R{n}", "内容", "", ""] for n in range(MAX_IMPORT_ROWS + 1)]
    assert refused(jilin, qc_user, xlsx(rows)) == [f"条目超过 {MAX_IMPORT_ROWS} 行。"]


def test_a_file_that_is_not_a_workbook_is_refused(jilin, qc_user, nothing_saved):
    upload = SimpleUploadedFile("核查表.xlsx", b"%PDF-1.4 not a workbook", content_type=XLSX)
    assert refused(jilin, qc_user, upload) == [
        "文件“核查表.xlsx”的类型不受支持或内容与扩展名不符，只接受：.xlsx。"]


def test_a_damaged_workbook_is_refused(jilin, qc_user, nothing_saved):
    upload = SimpleUploadedFile("核查表.xlsx", zip_of({"hello.txt": "not a workbook"}), content_type=XLSX)
    assert refused(jilin, qc_user, upload) == ["无法读取该 Excel 文件。"]


def test_a_zip_bomb_is_refused_before_it_is_parsed(jilin, qc_user, nothing_saved, monkeypatch):
    from inspections.services import checklists

    monkeypatch.setattr(checklists, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    padded = zip_of({**members_of(xlsx(good_rows()).read()),
                     "xl/media/padding.bin": b"\0" * (2 * 1024 * 1024)})  # 2 MB that deflate to 2 KB
    upload = SimpleUploadedFile("核查表.xlsx", padded, content_type=XLSX)
    assert len(upload) < 100 * 1024
    assert refused(jilin, qc_user, upload) == ["Excel 文件解压后达 2 MB，超过上限 1 MB，疑似压缩炸弹，已拒绝。"]


def test_an_empty_file_is_refused(jilin, qc_user, nothing_saved):
    upload = SimpleUploadedFile("核查表.xlsx", b"", content_type=XLSX)
    assert refused(jilin, qc_user, upload) == ["文件“核查表.xlsx”是空文件。"]


def test_the_page_imports_a_good_file_and_shows_the_reasons_for_a_bad_one(client, jilin, qc_user):
    client.force_login(qc_user)
    url = reverse("inspections:checklist-list")
    bad = client.post(url, {"name": "2026版核查表", "file": xlsx(_with(0, 1, ""))})
    assert bad.status_code == 200
    assert "第2行：缺少编号。" in bad.content.decode()
    assert not ChecklistVersion.objects.exists()

    good = client.post(url, {"name": "2026版核查表", "file": xlsx(good_rows())})
    version = ChecklistVersion.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("inspections:checklist-detail", args=[version.pk])
    assert version.lines.count() == len(SECTION_LABELS)
