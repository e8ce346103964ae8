"""Reading catalogue editions from the shipped CSV files and from uploaded Excel workbooks.

Both paths produce the same :class:`EditionData` and go through the same
:func:`validate_edition`, so a built-in file and an uploaded workbook obey one set
of rules. Nothing here writes to the database; :mod:`.services` does.

Uploads are untrusted: the size, the file type and the declared uncompressed size
of every archive member are checked before openpyxl opens the workbook (openpyxl
parses the XML through defusedxml, which is installed).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext as _

from portal.core import workbooks
from portal.core.exports import FORMULA_PREFIXES

from .choices import EditionKind, ExamCategoryCode

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A catalogue workbook of a few thousand rows unpacks to well under 10 MB; anything far larger is a zip bomb.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 500
MAX_ROWS = 5000
MAX_SCANNED_ROWS = 100_000

SHEET_EDITION = "版本"
SHEET_CATEGORIES = "类别"
SHEET_ITEMS = "项目"
COL_CODE = "版本代码"
COL_NAME = "名称"
COL_KIND = "类型"
COL_FROM = "生效日期"
COL_TO = "失效日期"
COL_CATEGORY = "类别代码"
COL_CLAUSE = "条款号"
COL_GROUP = "分组"
EDITION_COLUMNS = (COL_CODE, COL_NAME, COL_KIND, COL_FROM)
CATEGORY_COLUMNS = (COL_CATEGORY, COL_NAME)
ITEM_COLUMNS = (COL_CATEGORY, COL_CLAUSE, COL_NAME)

EDITION_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
CLAUSE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.-]{0,15}$")
NAME_MAX = {EditionKind.EXAM_ITEMS: 200, EditionKind.DISEASES: 300}


class Issue(workbooks.Issue):
    """One problem in an input, located by sheet, row and column so the user can find it.

    The location runs on without spaces: 工作表「项目」第 3 行「名称」列：不能为空。
    """

    joiner = ""


@dataclass
class EntryRow:
    """An exam item or a disease as read: category is an exam category code or a disease category number."""

    category: str
    clause: str
    name: str
    group: str = ""
    row: int | None = None


@dataclass
class EditionData:
    code: str
    name: str
    kind: str
    effective_from: date | None
    effective_to: date | None = None
    categories: list[EntryRow] = field(default_factory=list)  # disease categories: clause holds the number
    rows: list[EntryRow] = field(default_factory=list)

    @property
    def series(self) -> str:
        return series_of(self.code)


def series_of(code: str) -> str:
    """The standard an edition belongs to: "GBZ188" for "GBZ188-2025", "OD" for "OD-2013"."""
    return code.rsplit("-", 1)[0] if "-" in code else code


def _kind_from(text: str) -> str | None:
    for value, label in EditionKind.choices:
        if text in (value, str(label)):
            return value
    aliases = {"检查项目": EditionKind.EXAM_ITEMS, "职业病": EditionKind.DISEASES, "职业病目录": EditionKind.DISEASES}
    return aliases.get(text)


def _category_code_from(text: str) -> str | None:
    for value, label in ExamCategoryCode.choices:
        if text in (value, str(label)):
            return value
    return None


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------- validation shared by every source


def validate_edition(data: EditionData, *, existing_codes=frozenset(), series_kinds=None) -> list[Issue]:
    """Every rule an edition must meet, as a list of located issues (empty when valid).

    ``existing_codes`` and ``series_kinds`` (series -> kind already in the database)
    come from the caller so that this function stays free of queries.
    """
    issues: list[Issue] = []
    sheet = SHEET_EDITION

    def edition_issue(column, message):
        issues.append(Issue(message, sheet, 2, column))

    if not data.code:
        edition_issue(COL_CODE, _("不能为空。"))
    elif not EDITION_CODE_RE.match(data.code):
        edition_issue(COL_CODE, _("「%(code)s」格式不正确：只能使用字母、数字、点、横线和下划线，最长 32 个字符，"
                                  "例如 GBZ188-2025。") % {"code": data.code})
    elif data.code in existing_codes:
        edition_issue(COL_CODE, _("版本「%(code)s」已存在。已有版本不能覆盖，修订内容请以新的版本代码导入。")
                      % {"code": data.code})
    if not data.name:
        edition_issue(COL_NAME, _("不能为空。"))
    elif len(data.name) > 200:
        edition_issue(COL_NAME, _("不能超过 200 个字符。"))
    if data.kind not in EditionKind.values:
        edition_issue(COL_KIND, _("应为「%(a)s」或「%(b)s」。") % {"a": EditionKind.EXAM_ITEMS.label,
                                                                   "b": EditionKind.DISEASES.label})
    elif data.code and series_kinds and series_kinds.get(data.series, data.kind) != data.kind:
        edition_issue(COL_KIND, _("系列「%(series)s」已有「%(kind)s」类型的版本，类型必须一致。")
                      % {"series": data.series, "kind": EditionKind(series_kinds[data.series]).label})
    if data.effective_from is None:
        edition_issue(COL_FROM, _("不是有效日期，请填写如 2026-08-01。"))
    if data.effective_to is not None and data.effective_from and data.effective_to < data.effective_from:
        edition_issue(COL_TO, _("失效日期不能早于生效日期。"))
    if data.kind == EditionKind.DISEASES:
        issues += _validate_disease_categories(data)
    if data.kind in EditionKind.values:
        issues += _validate_rows(data)
    return issues


def _validate_disease_categories(data: EditionData) -> list[Issue]:
    issues = []
    seen: dict[str, int | None] = {}
    if not data.categories:
        issues.append(Issue(_("至少需要一个职业病类别。"), SHEET_CATEGORIES))
    for cat in data.categories:
        if not cat.clause:
            issues.append(Issue(_("不能为空。"), SHEET_CATEGORIES, cat.row, COL_CATEGORY))
        elif not CLAUSE_RE.match(cat.clause):
            issues.append(Issue(_("「%(value)s」格式不正确，应为如 1、2 的编号。") % {"value": cat.clause},
                                SHEET_CATEGORIES, cat.row, COL_CATEGORY))
        elif cat.clause in seen:
            issues.append(Issue(_("类别代码「%(value)s」与第 %(first)s 行重复。")
                                % {"value": cat.clause, "first": seen[cat.clause]},
                                SHEET_CATEGORIES, cat.row, COL_CATEGORY))
        else:
            seen[cat.clause] = cat.row
        if not cat.name:
            issues.append(Issue(_("不能为空。"), SHEET_CATEGORIES, cat.row, COL_NAME))
        elif len(cat.name) > 200:
            issues.append(Issue(_("不能超过 200 个字符。"), SHEET_CATEGORIES, cat.row, COL_NAME))
    return issues


def _validate_rows(data: EditionData) -> list[Issue]:
    issues: list[Issue] = []
    is_diseases = data.kind == EditionKind.DISEASES
    disease_categories = {c.clause for c in data.categories}
    seen: dict[str, int | None] = {}
    name_max = NAME_MAX[data.kind]
    if not data.rows:
        issues.append(Issue(_("没有任何条目。"), SHEET_ITEMS))
    for entry in data.rows:
        def issue(column, message, entry=entry):
            issues.append(Issue(message, SHEET_ITEMS, entry.row, column))

        if not entry.category:
            issue(COL_CATEGORY, _("不能为空。"))
        elif is_diseases and entry.category not in disease_categories:
            issue(COL_CATEGORY, _("类别「%(value)s」不在工作表「类别」中。") % {"value": entry.category})
        elif not is_diseases and entry.category not in ExamCategoryCode.values:
            issue(COL_CATEGORY, _("未知的检查类别「%(value)s」，应为 %(codes)s 之一。")
                  % {"value": entry.category, "codes": "、".join(ExamCategoryCode.values)})
        if not entry.clause:
            issue(COL_CLAUSE, _("不能为空。"))
        elif not CLAUSE_RE.match(entry.clause):
            issue(COL_CLAUSE, _("「%(value)s」格式不正确，应为如 5.1、6.10 的条款号。") % {"value": entry.clause})
        elif entry.clause in seen:
            issue(COL_CLAUSE, _("条款号「%(value)s」与第 %(first)s 行重复。")
                  % {"value": entry.clause, "first": seen[entry.clause]})
        else:
            seen[entry.clause] = entry.row
        if is_diseases and entry.clause and entry.category in disease_categories \
                and not entry.clause.startswith(entry.category + "."):
            issue(COL_CLAUSE, _("编号「%(clause)s」不属于类别「%(category)s」，应以「%(category)s.」开头。")
                  % {"clause": entry.clause, "category": entry.category})
        if not entry.name:
            issue(COL_NAME, _("不能为空。"))
        elif len(entry.name) > name_max:
            issue(COL_NAME, _("不能超过 %(max)s 个字符。") % {"max": name_max})
        if len(entry.group) > 100:
            issue(COL_GROUP, _("不能超过 100 个字符。"))
    if not is_diseases:
        issues += _validate_chapters(data.rows)
    return issues


def _validate_chapters(rows: list[EntryRow]) -> list[Issue]:
    """An item must sit in the chapter of its category: in GBZ 188 chapter 5 is chemical, 6 dust, and so on.

    The chapter-to-category map is taken from the file itself (the category most
    items of a chapter carry), so a new edition may renumber chapters freely.
    """
    by_chapter: dict[str, dict[str, int]] = {}
    valid = [r for r in rows if r.clause and r.category in ExamCategoryCode.values]
    for entry in valid:
        counts = by_chapter.setdefault(entry.clause.split(".")[0], {})
        counts[entry.category] = counts.get(entry.category, 0) + 1
    issues = []
    for entry in valid:
        chapter = entry.clause.split(".")[0]
        counts = by_chapter[chapter]
        top = max(counts.values())
        leaders = [c for c, n in counts.items() if n == top]
        if len(counts) == 1 or (len(leaders) == 1 and leaders[0] == entry.category):
            continue
        if len(leaders) == 1:
            message = _("条款「%(clause)s」属于第 %(chapter)s 章，该章其他条款属于「%(expected)s」，"
                        "与所填类别「%(given)s」不符。") % {
                "clause": entry.clause, "chapter": chapter,
                "expected": ExamCategoryCode(leaders[0]).label, "given": ExamCategoryCode(entry.category).label}
        else:
            message = _("第 %(chapter)s 章的条款分属不同类别（%(categories)s），无法判断条款「%(clause)s」"
                        "所属类别。") % {
                "chapter": chapter, "clause": entry.clause,
                "categories": "、".join(str(ExamCategoryCode(c).label) for c in sorted(counts))}
        issues.append(Issue(message, SHEET_ITEMS, entry.row, COL_CATEGORY))
    return issues


# ---------------------------------------------------------------- built-in CSV files


def read_builtin(path: Path, *, code: str, name: str, kind: str, effective_from: str,
                 effective_to: str | None = None) -> EditionData:
    """One shipped data file; lines starting with "#" are comments."""
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    reader = csv.DictReader(lines)
    data = EditionData(code=code, name=name, kind=kind, effective_from=_parse_date(effective_from),
                       effective_to=_parse_date(effective_to) if effective_to else None)
    categories: dict[str, EntryRow] = {}
    for line_no, rec in enumerate(reader, start=2):
        rec = {k: (v or "").strip() for k, v in rec.items()}
        if kind == EditionKind.DISEASES:
            number = rec["category_number"]
            if number not in categories:
                categories[number] = EntryRow(category="", clause=number, name=rec["category_name"], row=line_no)
            data.rows.append(EntryRow(category=number, clause=rec["number"], name=rec["name"],
                                      group=rec.get("group", ""), row=line_no))
        else:
            data.rows.append(EntryRow(category=rec["category"], clause=rec["clause"], name=rec["name"],
                                      row=line_no))
    data.categories = list(categories.values())
    return data


# ---------------------------------------------------------------- uploaded Excel workbooks


class UploadRejected(workbooks.WorkbookRejected):
    """The upload cannot be read at all; carries the one issue to show."""

    def __init__(self, issue: Issue):
        super().__init__([issue])
        self.issue = issue


def _check_archive(content: bytes, filename: str) -> None:
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRejected(Issue(_("文件大小 %(size).1f MB，超过上限 5 MB。") % {"size": len(content) / 1048576}))
    if not filename.lower().endswith(".xlsx"):
        raise UploadRejected(Issue(_("只接受 Excel 工作簿（.xlsx）文件，「%(name)s」不是。") % {"name": filename}))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRejected(Issue(_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传。")))
    if not content.startswith(b"PK"):
        raise UploadRejected(Issue(_("文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。")))
    try:
        workbooks.check_archive(content, max_members=MAX_ARCHIVE_MEMBERS,
                                max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES)
    except workbooks.ArchiveRejected as rejected:
        raise UploadRejected(Issue(rejected.message)) from None


def _text(value) -> str:
    # Exported with portal.core.exports, so its quoting is undone here.
    return workbooks.cell_text(value, prefixes=FORMULA_PREFIXES)


def _header(ws, sheet: str, required: tuple[str, ...], issues: list[Issue]) -> dict[str, int] | None:
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
    columns = workbooks.header_columns(first)
    missing = workbooks.missing_columns(columns, required, sheet=sheet, issue=Issue)
    issues += missing
    return None if missing else columns


def _data_rows(ws, sheet: str, issues: list[Issue]):
    def over_limit(row_no):
        issues.append(Issue(_("超过 %(max)s 行上限，请拆分后导入。") % {"max": MAX_ROWS}, sheet, row_no))

    rows = enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)
    return workbooks.filled_rows(rows, limit=MAX_ROWS, over_limit=over_limit, last_blank_row=MAX_SCANNED_ROWS)


_cell = workbooks.column_value


def _clause_text(value, sheet: str, row: int, column: str, issues: list[Issue]) -> str:
    # Excel stores 5.10 typed as a number as 5.1; only text keeps the clause exact.
    if isinstance(value, float) and not value.is_integer():
        issues.append(Issue(_("「%(value)s」被 Excel 当作数字保存（5.10 会变成 5.1），请把该列设为文本格式后重新填写。")
                            % {"value": value}, sheet, row, column))
        return ""
    return _text(value)


def read_xlsx(content: bytes, filename: str) -> tuple[EditionData | None, list[Issue]]:
    """Parse an uploaded workbook into an edition; every issue found is returned, none raised."""
    try:
        _check_archive(content, filename)
        return workbooks.read_with_openpyxl(content, _read_workbook)
    except UploadRejected as rejected:
        return None, [rejected.issue]
    except workbooks.WorkbookUnreadable as unreadable:
        return None, [Issue(unreadable.message)]


def _read_workbook(workbook) -> tuple[EditionData | None, list[Issue]]:
    issues = workbooks.missing_sheets(workbook.sheetnames, (SHEET_EDITION, SHEET_ITEMS), issue=Issue)
    if issues:
        return None, issues

    ws = workbook[SHEET_EDITION]
    columns = _header(ws, SHEET_EDITION, EDITION_COLUMNS, issues)
    if columns is None:
        return None, issues
    values = next((v for _row, v in _data_rows(ws, SHEET_EDITION, issues)), ())
    raw_from, raw_to = _cell(values, columns, COL_FROM), _cell(values, columns, COL_TO)
    kind_text = _text(_cell(values, columns, COL_KIND))
    data = EditionData(
        code=_text(_cell(values, columns, COL_CODE)),
        name=_text(_cell(values, columns, COL_NAME)),
        kind=_kind_from(kind_text) or kind_text,
        effective_from=_parse_date(raw_from) if raw_from not in (None, "") else None,
        effective_to=_parse_date(raw_to) if raw_to not in (None, "") else None,
    )
    if raw_to not in (None, "") and data.effective_to is None:
        issues.append(Issue(_("不是有效日期，请填写如 2026-07-31，或留空。"), SHEET_EDITION, 2, COL_TO))

    if data.kind == EditionKind.DISEASES:
        if SHEET_CATEGORIES not in workbook.sheetnames:
            issues.append(Issue(_("职业病目录需要工作表「%(sheet)s」。") % {"sheet": SHEET_CATEGORIES}))
            return None, issues
        ws = workbook[SHEET_CATEGORIES]
        columns = _header(ws, SHEET_CATEGORIES, CATEGORY_COLUMNS, issues)
        if columns is not None:
            for row_no, values in _data_rows(ws, SHEET_CATEGORIES, issues):
                number = _clause_text(_cell(values, columns, COL_CATEGORY), SHEET_CATEGORIES, row_no,
                                      COL_CATEGORY, issues)
                data.categories.append(EntryRow(category="", clause=number,
                                                name=_text(_cell(values, columns, COL_NAME)), row=row_no))

    ws = workbook[SHEET_ITEMS]
    columns = _header(ws, SHEET_ITEMS, ITEM_COLUMNS, issues)
    if columns is None:
        return None, issues
    for row_no, values in _data_rows(ws, SHEET_ITEMS, issues):
        category = _clause_text(_cell(values, columns, COL_CATEGORY), SHEET_ITEMS, row_no, COL_CATEGORY, issues)
        if data.kind == EditionKind.EXAM_ITEMS:
            category = _category_code_from(category) or category
        data.rows.append(EntryRow(
            category=category,
            clause=_clause_text(_cell(values, columns, COL_CLAUSE), SHEET_ITEMS, row_no, COL_CLAUSE, issues),
            name=_text(_cell(values, columns, COL_NAME)),
            group=_text(_cell(values, columns, COL_GROUP)),
            row=row_no,
        ))
    return data, issues
