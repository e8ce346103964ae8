"""Reading scoring sheets from uploaded Excel workbooks and from the shipped JSON files.

Both sources produce the same :class:`SheetData` and go through the same
:func:`validate_sheet`, so a sample sheet and a provincial expert's workbook obey
one set of rules. Nothing here writes to the database; :mod:`qc.services` does.

Workbook layout (what :mod:`qc.exporters` writes):
- 「评分表」: one setting per row, the name in column A and the value in column B.
- 「指标」: a header row, then one indicator per row; the level follows from the
  code (``2`` → level 1, ``2.1`` → level 2, ``2.1.3`` → level 3).

Uploads are untrusted: the file type, size and the declared uncompressed size of
the archive are checked before openpyxl (which parses through defusedxml) opens it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode
from portal.core import workbooks
from portal.core.workbooks import Issue
from portal.core.workbooks import cell_text as _text
from portal.core.workbooks import neutralise as neutralise  # qc.exporters writes cells through it

from .choices import MAX_LEVEL, POINT_STEP, SHEET_TOTAL_POINTS, Applicability, SheetPart

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# A sheet of a few hundred lines unpacks to well under 1 MB; far larger is a zip bomb.
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 200
MAX_INDICATORS = 500
MAX_SCANNED_ROWS = 20_000

SHEET_INFO = "评分表"
SHEET_INDICATORS = "指标"
INFO_CODE = "评分表代码"
INFO_NAME = "名称"
INFO_PART = "考核部分"
INFO_CATEGORY = "检查类别"
INFO_YEAR = "适用年度"
INFO_NOTES = "修订说明"
INFO_FIELDS = (INFO_CODE, INFO_NAME, INFO_PART, INFO_CATEGORY, INFO_YEAR, INFO_NOTES)
INFO_REQUIRED = (INFO_CODE, INFO_NAME, INFO_PART, INFO_YEAR)
COL_CODE = "编号"
COL_TITLE = "指标"
COL_POINTS = "分值"
COL_RULE = "扣分标准"
COL_PER = "每处扣分"
COL_KEY = "关键项"
COL_APPLICABILITY = "适用条件"
COL_CATEGORY = "限定类别"
INDICATOR_COLUMNS = (COL_CODE, COL_TITLE, COL_POINTS, COL_RULE, COL_PER, COL_KEY, COL_APPLICABILITY, COL_CATEGORY)
INDICATOR_REQUIRED = (COL_CODE, COL_TITLE, COL_POINTS)

SHEET_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
INDICATOR_CODE_RE = re.compile(r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2})*$")
TITLE_MAX = 500
KEY_MARK = "★"
TRUE_WORDS = {KEY_MARK, "是", "y", "yes", "true", "1", "关键项"}
FALSE_WORDS = {"", "否", "n", "no", "false", "0"}
APPLICABILITY_ALIASES = {
    "全部适用": Applicability.ALWAYS, "适用": Applicability.ALWAYS,
    "放射": Applicability.REQUIRES_RADIATION, "备案放射类": Applicability.REQUIRES_RADIATION,
    "限定类别": Applicability.CATEGORY_ONLY, "仅限类别": Applicability.CATEGORY_ONLY,
}
CATEGORY_ALIASES = {"粉尘": "dust", "粉尘类": "dust", "化学": "chemical", "化学因素类": "chemical",
                    "物理": "physical", "物理因素类": "physical", "生物": "biological", "生物因素类": "biological",
                    "放射": "radiation", "放射因素类": "radiation", "其他": "other", "其他类": "other",
                    "特殊作业": "other"}


@dataclass
class IndicatorRow:
    """An indicator as read. Numbers stay ``None`` when the cell could not be read (an issue says why)."""

    code: str
    title: str
    max_points: Decimal | None
    deduction_rule: str = ""
    deduction_per_occurrence: Decimal | None = None
    is_key: bool = False
    applicability: str = Applicability.ALWAYS
    applicable_category: str = ""
    row: int | None = None

    @property
    def level(self) -> int:
        return self.code.count(".") + 1

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


@dataclass
class SheetData:
    code: str
    name: str
    part: str
    category: str = ""
    effective_year: int | None = None
    notes: str = ""
    indicators: list[IndicatorRow] = field(default_factory=list)

    @property
    def total_points(self) -> Decimal:
        return sum((i.max_points or Decimal(0) for i in self.indicators if i.level == 1), Decimal(0))


def code_key(code: str) -> tuple[int, ...]:
    """Natural order of indicator codes: 2.10 after 2.9."""
    return tuple(int(part) for part in code.split(".") if part.isdigit())


def parse_points(value) -> Decimal | None:
    """A number of points as a Decimal, or None when it is not a number. Floats from spreadsheets are
    read through their shortest representation so 0.3 stays 0.3."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(round(value, 6))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def on_step(value: Decimal) -> bool:
    return (value / POINT_STEP) == (value / POINT_STEP).to_integral_value()


def _choice(text: str, choices, aliases: dict) -> str | None:
    if text in aliases:
        return aliases[text]
    for value, label in choices:
        if text.lower() == value or text == str(label):
            return value
    return None


def part_from(text: str) -> str | None:
    return _choice(text, SheetPart.choices, {"机构": SheetPart.INSTITUTION, "工作样本评分": SheetPart.WORK_SAMPLE})


def category_from(text: str) -> str | None:
    return _choice(text, ExamCategoryCode.choices, CATEGORY_ALIASES)


def applicability_from(text: str) -> str | None:
    return _choice(text, Applicability.choices, APPLICABILITY_ALIASES)


# ---------------------------------------------------------------- validation shared by every source


def _points_issues(value: Decimal | None, *, maximum: Decimal) -> str | None:
    if value is None:
        return _("应填写数字分值。")
    if value <= 0:
        return _("应大于 0。")
    if value > maximum:
        return _("不能超过 %(max)s 分。") % {"max": maximum}
    if not on_step(value):
        return _("分值「%(value)s」不是 0.1 的整数倍。") % {"value": value}
    return None


def validate_sheet(data: SheetData, *, existing_sheet: dict | None = None) -> list[Issue]:
    """Every rule a sheet must meet, as a list of located issues (empty when valid).

    ``existing_sheet`` ({"part", "category", "name"}) describes the sheet of the same
    code already in the province, so a new version cannot change what the sheet is for.
    """
    issues: list[Issue] = []

    def info(column, message):
        issues.append(Issue(message, SHEET_INFO, None, column))

    if not data.code:
        info(INFO_CODE, _("不能为空。"))
    elif not SHEET_CODE_RE.match(data.code):
        info(INFO_CODE, _("「%(code)s」格式不正确：只能使用字母、数字、点、横线和下划线，最长 32 个字符。")
             % {"code": data.code})
    if not data.name:
        info(INFO_NAME, _("不能为空。"))
    elif len(data.name) > 200:
        info(INFO_NAME, _("不能超过 200 个字符。"))
    if data.part not in SheetPart.values:
        info(INFO_PART, _("应为「%(a)s」或「%(b)s」。") % {"a": SheetPart.INSTITUTION.label,
                                                           "b": SheetPart.WORK_SAMPLE.label})
    if data.category and data.category not in ExamCategoryCode.values:
        info(INFO_CATEGORY, _("未知的检查类别「%(value)s」。") % {"value": data.category})
    elif data.category and data.part == SheetPart.INSTITUTION:
        info(INFO_CATEGORY, _("机构综合评分表不分检查类别，请留空。"))
    if data.effective_year is None:
        info(INFO_YEAR, _("应填写四位年份，如 2026。"))
    elif not 2000 <= data.effective_year <= 2100:
        info(INFO_YEAR, _("年份「%(year)s」不在 2000–2100 之间。") % {"year": data.effective_year})
    if existing_sheet and data.part in SheetPart.values:
        if existing_sheet["part"] != data.part or existing_sheet["category"] != data.category:
            info(INFO_PART, _("本省已有代码为「%(code)s」的评分表，用于「%(used)s」；新版本不能改变其考核部分或检查类别，"
                              "如需新的评分表请换一个代码。") % {
                "code": data.code,
                "used": "·".join(str(x) for x in (SheetPart(existing_sheet["part"]).label,
                                                 existing_sheet["category"] and
                                                 ExamCategoryCode(existing_sheet["category"]).label) if x)})
    issues += _validate_indicators(data)
    return issues


def _validate_indicators(data: SheetData) -> list[Issue]:
    issues: list[Issue] = []
    rows = data.indicators
    if not rows:
        return [Issue(_("没有任何指标。"), SHEET_INDICATORS)]
    if len(rows) > MAX_INDICATORS:
        return [Issue(_("指标超过 %(max)s 条上限。") % {"max": MAX_INDICATORS}, SHEET_INDICATORS)]

    def issue(row, column, message):
        issues.append(Issue(message, SHEET_INDICATORS, row.row, column))

    by_code: dict[str, IndicatorRow] = {}
    for row in rows:
        if not row.code:
            issue(row, COL_CODE, _("不能为空。"))
        elif not INDICATOR_CODE_RE.match(row.code):
            issue(row, COL_CODE, _("编号「%(code)s」格式不正确，应为如 2、2.1、2.1.3 的数字编号。") % {"code": row.code})
        elif row.level > MAX_LEVEL:
            issue(row, COL_CODE, _("编号「%(code)s」超过三级，评分表最多分三级指标。") % {"code": row.code})
        elif row.code in by_code:
            issue(row, COL_CODE, _("编号「%(code)s」与第 %(first)s 行重复。")
                  % {"code": row.code, "first": by_code[row.code].row})
        else:
            by_code[row.code] = row
    children: dict[str, list[IndicatorRow]] = {}
    for row in by_code.values():
        parent = row.parent_code
        if parent is None:
            continue
        if parent not in by_code:
            issue(row, COL_CODE, _("上级指标「%(parent)s」不存在。") % {"parent": parent})
        else:
            children.setdefault(parent, []).append(row)

    for row in rows:
        is_leaf = row.code not in children
        if not row.title:
            issue(row, COL_TITLE, _("不能为空。"))
        elif len(row.title) > TITLE_MAX:
            issue(row, COL_TITLE, _("不能超过 %(max)s 个字符。") % {"max": TITLE_MAX})
        problem = _points_issues(row.max_points, maximum=SHEET_TOTAL_POINTS)
        if problem:
            issue(row, COL_POINTS, problem)
        if is_leaf:
            if not row.deduction_rule:
                issue(row, COL_RULE, _("末级指标须写明扣分标准。"))
            if row.deduction_per_occurrence is not None:
                limit = row.max_points if row.max_points and row.max_points > 0 else SHEET_TOTAL_POINTS
                problem = _points_issues(row.deduction_per_occurrence, maximum=limit)
                if problem:
                    issue(row, COL_PER, problem)
        else:
            if row.deduction_per_occurrence is not None:
                issue(row, COL_PER, _("只有末级指标可以设每处扣分；「%(code)s」下还有下级指标。") % {"code": row.code})
            if row.is_key:
                issue(row, COL_KEY, _("关键项只能设在末级指标；「%(code)s」下还有下级指标。") % {"code": row.code})
        if row.applicability not in Applicability.values:
            issue(row, COL_APPLICABILITY, _("应为「%(a)s」「%(b)s」或「%(c)s」。") % {
                "a": Applicability.ALWAYS.label, "b": Applicability.REQUIRES_RADIATION.label,
                "c": Applicability.CATEGORY_ONLY.label})
        elif row.applicability == Applicability.CATEGORY_ONLY:
            if row.applicable_category not in ExamCategoryCode.values:
                issue(row, COL_CATEGORY, _("适用条件为「限定检查类别」时须填写有效的检查类别。"))
            elif data.category and row.applicable_category != data.category:
                issue(row, COL_CATEGORY, _("本表只用于「%(sheet)s」，该指标限定「%(row)s」，永远不会计分。") % {
                    "sheet": ExamCategoryCode(data.category).label,
                    "row": ExamCategoryCode(row.applicable_category).label})
        elif row.applicable_category:
            issue(row, COL_CATEGORY, _("只有适用条件为「限定检查类别」时才填写限定类别。"))

    for code, kids in children.items():
        parent = by_code[code]
        if parent.max_points is None or any(k.max_points is None for k in kids):
            continue
        total = sum((k.max_points for k in kids), Decimal(0))
        if total != parent.max_points:
            issue(parent, COL_POINTS, _("下级指标（%(codes)s）分值合计 %(total)s 分，与「%(code)s」的分值 %(points)s 分不一致。")
                  % {"codes": "、".join(k.code for k in sorted(kids, key=lambda k: code_key(k.code))),
                     "total": total, "code": code, "points": parent.max_points})
    top = [r for r in by_code.values() if r.level == 1]
    if top and all(r.max_points is not None for r in top):
        total = sum((r.max_points for r in top), Decimal(0))
        if total != SHEET_TOTAL_POINTS:
            issues.append(Issue(_("一级指标（%(codes)s）分值合计 %(total)s 分，应为 %(expected)s 分。") % {
                "codes": "、".join(r.code for r in sorted(top, key=lambda r: code_key(r.code))),
                "total": total, "expected": SHEET_TOTAL_POINTS}, SHEET_INDICATORS, None, COL_POINTS))
    return issues


# ---------------------------------------------------------------- shipped JSON files


def read_json(path: Path) -> SheetData:
    """A sample sheet shipped in qc/data/: the same fields as the workbook, keyed in English."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    data = SheetData(code=raw["code"], name=raw["name"], part=raw["part"], category=raw.get("category", ""),
                     effective_year=raw.get("effective_year"), notes=raw.get("notes", ""))
    for number, item in enumerate(raw["indicators"], start=1):
        per = item.get("per")
        data.indicators.append(IndicatorRow(
            code=item["code"], title=item["title"], max_points=parse_points(item["points"]),
            deduction_rule=item.get("rule", ""),
            deduction_per_occurrence=parse_points(per) if per is not None else None,
            is_key=bool(item.get("key", False)),
            applicability=item.get("applies", Applicability.ALWAYS),
            applicable_category=item.get("category", ""), row=number,
        ))
    return data


# ---------------------------------------------------------------- uploaded Excel workbooks


def check_archive(content: bytes) -> Issue | None:
    """The archive-level checks openpyxl cannot be trusted with: size, parts count and inflated size."""
    if len(content) > MAX_UPLOAD_BYTES:
        return Issue(_("文件大小 %(size).1f MB，超过上限 %(max)s MB。")
                     % {"size": len(content) / 1048576, "max": MAX_UPLOAD_BYTES // 1048576})
    try:
        workbooks.check_archive(content, max_members=MAX_ARCHIVE_MEMBERS,
                                max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES)
    except workbooks.ArchiveRejected as rejected:
        return Issue(rejected.message)
    return None


def read_xlsx(content: bytes) -> tuple[SheetData | None, list[Issue]]:
    """Parse an uploaded workbook; every issue found is returned, none raised."""
    rejected = check_archive(content)
    if rejected:
        return None, [rejected]
    try:
        return workbooks.read_with_openpyxl(content, _read_workbook)
    except workbooks.WorkbookUnreadable as unreadable:
        return None, [Issue(unreadable.message)]


def _rows(ws, issues: list[Issue], sheet: str, limit: int):
    def over_limit(row_no):
        issues.append(Issue(_("超过 %(max)s 行上限。") % {"max": limit - 1}, sheet, row_no))

    rows = enumerate(ws.iter_rows(values_only=True), start=1)
    return workbooks.filled_rows(rows, limit=limit, over_limit=over_limit, last_blank_row=MAX_SCANNED_ROWS)


def _read_info(ws, issues: list[Issue]) -> dict[str, tuple[object, int]]:
    found: dict[str, tuple[object, int]] = {}
    for row_no, values in _rows(ws, issues, SHEET_INFO, 50):
        label = _text(values[0]) if values else ""
        if label in INFO_FIELDS and label not in found:
            found[label] = (values[1] if len(values) > 1 else None, row_no)
    for label in INFO_REQUIRED:
        if label not in found:
            issues.append(Issue(_("缺少「%(label)s」一行（A 列填项目名，B 列填内容）。") % {"label": label}, SHEET_INFO))
    return found


def _code_text(value, row: int, issues: list[Issue]) -> str:
    # Excel stores 2.10 typed as a number as 2.1; only text keeps the code exact.
    if isinstance(value, float) and not value.is_integer():
        issues.append(Issue(_("编号「%(value)s」被 Excel 当作数字保存（2.10 会变成 2.1），请把该列设为文本格式后重新填写。")
                            % {"value": value}, SHEET_INDICATORS, row, COL_CODE))
        return ""
    return _text(value)


def _read_workbook(workbook) -> tuple[SheetData | None, list[Issue]]:
    issues = workbooks.missing_sheets(workbook.sheetnames, (SHEET_INFO, SHEET_INDICATORS))
    if issues:
        return None, issues

    info = _read_info(workbook[SHEET_INFO], issues)

    def value(label):
        return info.get(label, (None, None))[0]

    part_text = _text(value(INFO_PART))
    category_text = _text(value(INFO_CATEGORY))
    year_raw = value(INFO_YEAR)
    year = None
    if year_raw not in (None, ""):
        try:
            year = int(Decimal(_text(year_raw)))
        except (InvalidOperation, ValueError):
            issues.append(Issue(_("「%(value)s」不是年份。") % {"value": _text(year_raw)}, SHEET_INFO,
                                info[INFO_YEAR][1], INFO_YEAR))
    data = SheetData(
        code=_text(value(INFO_CODE)), name=_text(value(INFO_NAME)),
        part=part_from(part_text) or part_text,
        category=(category_from(category_text) or category_text) if category_text else "",
        effective_year=year, notes=_text(value(INFO_NOTES)),
    )

    ws = workbook[SHEET_INDICATORS]
    rows = _rows(ws, issues, SHEET_INDICATORS, MAX_INDICATORS + 1)
    header = next(rows, None)
    columns = workbooks.header_columns(header[1] if header else ())
    missing = workbooks.missing_columns(columns, INDICATOR_REQUIRED, sheet=SHEET_INDICATORS)
    if missing:
        return None, issues + missing

    def cell(values, column):
        return workbooks.column_value(values, columns, column)

    for row_no, values in rows:
        points_raw, per_raw = cell(values, COL_POINTS), cell(values, COL_PER)
        points = parse_points(points_raw)
        per = parse_points(per_raw) if per_raw not in (None, "") else None
        if per is None and per_raw not in (None, ""):
            issues.append(Issue(_("「%(value)s」不是数字。") % {"value": _text(per_raw)}, SHEET_INDICATORS,
                                row_no, COL_PER))
        key_text = _text(cell(values, COL_KEY)).lower()
        if key_text not in TRUE_WORDS | FALSE_WORDS:
            issues.append(Issue(_("「%(value)s」无法识别，关键项填「★」或「是」，否则留空。") % {"value": key_text},
                                SHEET_INDICATORS, row_no, COL_KEY))
        category_text = _text(cell(values, COL_CATEGORY))
        category = (category_from(category_text) or category_text) if category_text else ""
        applicability_text = _text(cell(values, COL_APPLICABILITY))
        if applicability_text:
            applicability = applicability_from(applicability_text) or applicability_text
        else:
            # A category alone is enough to say "only for this category".
            applicability = Applicability.CATEGORY_ONLY if category else Applicability.ALWAYS
        data.indicators.append(IndicatorRow(
            code=_code_text(cell(values, COL_CODE), row_no, issues),
            title=_text(cell(values, COL_TITLE)),
            max_points=points,
            deduction_rule=_text(cell(values, COL_RULE)),
            deduction_per_occurrence=per,
            is_key=key_text in TRUE_WORDS,
            applicability=applicability,
            applicable_category=category,
            row=row_no,
        ))
    return data, issues
