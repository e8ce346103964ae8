"""Checking an import: every row against the rules, the catalogue, the regions and what is already filed.

The result is an :class:`ImportPlan`: the institutions to create, the ones skipped because
they are already filed, and every issue found (a plan with issues is never written).
Reference data is read once into dictionaries, so checking 5,000 institutions with
150,000 items costs a handful of queries whatever the file's size.

Re-uploading a file creates no duplicates: institutions are matched on the credit code.
One already filed (accepted) or cancelled in the portal for the same kind is skipped and
reported as "已存在，跳过": a filed institution's data changes only through a change
filing (变更备案), never by overwriting it from a spreadsheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.regions.models import Region, RegionLevel

from ..catalogue.choices import ExamType
from ..catalogue.models import Disease, ExamCategory, ExamItem
from ..choices import FilingStatus, InstitutionKind
from ..models import Filing
from ..services import validate_credit_code
from . import workbook as wb
from .workbook import Issue, Progress

MAX_AREA = Decimal("99999999.99")
CHUNK = 900  # SQLite's limit on query parameters is the smallest of the supported databases
TEXT_LIMITS = {wb.COL_NAME: 200, wb.COL_LICENCE: 64, wb.COL_ADDRESS: 255, wb.COL_PHONE: 32, wb.COL_LEGAL: 64,
               wb.COL_QUALITY: 64, wb.COL_TECHNICAL: 64, wb.COL_NUMBER: 32}
REQUIRED = (wb.COL_NAME, wb.COL_CREDIT_CODE, wb.COL_KIND, wb.COL_LICENCE, wb.COL_REGION, wb.COL_ADDRESS,
            wb.COL_FILED_ON)
YES = {"是", "有", "y", "yes", "true", "1", "√"}
NO = {"否", "无", "n", "no", "false", "0", ""}
EXAM_TYPE_SPLIT = re.compile(r"[,，、;；/\s]+")
OWN_NUMBER = re.compile(r"^\d{6}-(\d{4})-(\d{4,})$")
SKIP_STATUSES = {FilingStatus.ACCEPTED, FilingStatus.CANCELLED}


@dataclass
class PlannedInstitution:
    row: int
    name: str
    credit_code: str
    kind: str
    licence_number: str
    region_id: int
    address: str
    phone: str
    legal_representative: str
    quality_manager: str
    technical_manager: str
    filed_on: date
    filing_number: str
    off_site: bool
    total_area: Decimal | None
    organisation_id: int | None = None  # an organisation already registered with this credit code
    # (exam item id, disease id, exam types, edition id)
    items: list[tuple[int | None, int | None, list[str], int]] = field(default_factory=list)


@dataclass
class ImportPlan:
    province: Region
    create: list[PlannedInstitution] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    institution_rows: int = 0
    item_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def item_count(self) -> int:
        return sum(len(p.items) for p in self.create)

    def summary(self) -> dict:
        return {"rows": self.institution_rows, "item_rows": self.item_rows, "create": len(self.create),
                "skip": len(self.skipped), "items": self.item_count, "skipped": self.skipped}


@dataclass(frozen=True)
class CatalogueEntry:
    pk: int
    is_disease: bool
    name: str
    edition_id: int
    category_name: str
    category_keys: frozenset[str]  # every spelling of the category that the 类别代码 column may use


class Lookups:
    """Regions and catalogues as dictionaries, read once per check."""

    def __init__(self, province: Region):
        self.province = province
        self.regions = {code: (pk, level, province_id, name) for code, pk, level, province_id, name in
                        Region.objects.values_list("code", "pk", "level", "province_id", "name")}
        self.province_names = dict(Region.objects.filter(level=RegionLevel.PROVINCE).values_list("pk", "name"))
        self.catalogue: dict[str, CatalogueEntry] = {}
        # select_related: the category decides whether the 类别代码 column matches.
        for item in ExamItem.objects.select_related("category").only(
                "pk", "code", "name", "edition_id", "category__code", "category__name"):
            self.catalogue[item.code] = CatalogueEntry(
                item.pk, False, item.name, item.edition_id, item.category.name,
                frozenset({item.category.code, item.category.name}))
        for disease in Disease.objects.select_related("category").only(
                "pk", "code", "name", "edition_id", "category__code", "category__name", "category__number"):
            category = disease.category
            self.catalogue[disease.code] = CatalogueEntry(
                disease.pk, True, disease.name, disease.edition_id, category.name,
                frozenset({category.code, category.number, category.name}))
        self.category_keys = set(ExamCategory.objects.values_list("code", flat=True))
        self.category_keys |= set(ExamCategory.objects.values_list("name", flat=True))
        for entry in self.catalogue.values():
            self.category_keys |= entry.category_keys


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class ExistingState:
    """What the database already holds for the credit codes and filing numbers of the file."""

    def __init__(self, credit_codes: list[str], numbers: list[str]):
        self.organisations: dict[str, tuple[int, str, int | None, str]] = {}
        for chunk in _chunks(credit_codes):
            for code, pk, kind, province_id, name in Organisation.objects.filter(credit_code__in=chunk).values_list(
                    "credit_code", "pk", "kind", "province_id", "name"):
                self.organisations[code] = (pk, kind, province_id, name)
        self.filings: dict[tuple[int, str], tuple[str, str | None]] = {}
        org_ids = [v[0] for v in self.organisations.values()]
        for chunk in _chunks(org_ids):
            for org_id, kind, status, number in Filing.objects.filter(institution_id__in=chunk).values_list(
                    "institution_id", "kind", "status", "filing_number"):
                self.filings[(org_id, kind)] = (status, number)
        self.numbers: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(numbers):
            for number, org_id, kind in Filing.objects.filter(filing_number__in=chunk).values_list(
                    "filing_number", "institution_id", "kind"):
                self.numbers[number] = (org_id, kind)


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if 19000101 <= number <= 29991231:  # typed as 20230501
            return parse_date(str(number))
        if 1 <= number < 2958466:  # an Excel serial day number that lost its date format
            return date(1899, 12, 30) + timedelta(days=number)
        return None
    raw = wb.text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def _kind(raw: str) -> str | None:
    for value, label in InstitutionKind.choices:
        if raw in (value, str(label)):
            return value
    return {"检查": InstitutionKind.EXAMINATION, "诊断": InstitutionKind.DIAGNOSIS,
            "职业健康检查": InstitutionKind.EXAMINATION, "职业病诊断": InstitutionKind.DIAGNOSIS}.get(raw)


def _exam_type_map() -> dict[str, str]:
    mapping = {}
    for value, label in ExamType.choices:
        mapping[value] = value
        mapping[str(label)] = value
    mapping["离岗后"] = ExamType.POST_LEAVING
    mapping["应急健康检查"] = ExamType.EMERGENCY
    return mapping


def _exam_type_labels() -> str:
    return "、".join(str(label) for _value, label in ExamType.choices)


class _Checker:
    def __init__(self, province: Region, progress: Progress | None):
        self.province = province
        self.progress = progress
        self.plan = ImportPlan(province=province)
        self.today = timezone.localdate()
        self.present_codes: set[str] = set()

    def issue(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.plan.issues.append(Issue(str(message), sheet, row, column))

    # ---- institutions ------------------------------------------------------------------------

    def institutions(self, rows, lookups: Lookups) -> dict[str, PlannedInstitution | None]:
        """Check each institution row; returns credit code -> planned institution (None when the row failed)."""
        sheet = wb.SHEET_INSTITUTIONS
        raw_codes = [wb.text(values.get(wb.COL_CREDIT_CODE)).upper() for _row, values in rows]
        self.present_codes = set(raw_codes)
        raw_numbers = [wb.text(values.get(wb.COL_NUMBER)) for _row, values in rows]
        existing = ExistingState(sorted({c for c in raw_codes if c}), sorted({n for n in raw_numbers if n}))
        seen_codes: dict[str, int] = {}
        seen_numbers: dict[str, int] = {}
        by_code: dict[str, PlannedInstitution | None] = {}
        province_prefix = f"{self.province.code}-"
        for index, (row, values) in enumerate(rows, start=1):
            if self.progress and index % wb.PROGRESS_EVERY == 0:
                self.progress("check_institutions", index, len(rows))
            before = len(self.plan.issues)

            def bad(column, message, row=row):
                self.issue(sheet, row, column, message)

            cells = {title: wb.text(values.get(title)) for title in TEXT_LIMITS}
            cells[wb.COL_CREDIT_CODE] = wb.text(values.get(wb.COL_CREDIT_CODE))
            cells[wb.COL_KIND] = wb.text(values.get(wb.COL_KIND))
            cells[wb.COL_REGION] = wb.text(values.get(wb.COL_REGION))
            for column in REQUIRED:
                if column != wb.COL_FILED_ON and not cells[column]:
                    bad(column, _("不能为空。"))
            for column, limit in TEXT_LIMITS.items():
                if len(cells[column]) > limit:
                    bad(column, _("不能超过 %(max)s 个字符。") % {"max": limit})

            credit_code = ""
            raw_credit = values.get(wb.COL_CREDIT_CODE)
            if isinstance(raw_credit, int | float) and not isinstance(raw_credit, bool):
                # Excel keeps 15 significant digits: an all-digit code typed into a number cell is already damaged.
                bad(wb.COL_CREDIT_CODE, _("统一社会信用代码被 Excel 当作数字保存，末几位可能已经丢失；"
                                          "请把该列设为文本格式后重新填写。"))
            elif cells[wb.COL_CREDIT_CODE]:
                try:
                    credit_code = validate_credit_code(cells[wb.COL_CREDIT_CODE])
                except ValidationError as exc:
                    bad(wb.COL_CREDIT_CODE, exc.messages[0])
                else:
                    if credit_code in seen_codes:
                        bad(wb.COL_CREDIT_CODE, _("统一社会信用代码「%(code)s」与第 %(first)s 行重复，"
                                                  "每个机构只能占一行。")
                            % {"code": credit_code, "first": seen_codes[credit_code]})
                        credit_code = ""
                    else:
                        seen_codes[credit_code] = row
                        by_code[credit_code] = None

            kind = _kind(cells[wb.COL_KIND]) if cells[wb.COL_KIND] else None
            if cells[wb.COL_KIND] and kind is None:
                bad(wb.COL_KIND, _("「%(value)s」不是有效的机构类型，应为「%(a)s」或「%(b)s」。")
                    % {"value": cells[wb.COL_KIND], "a": InstitutionKind.EXAMINATION.label,
                       "b": InstitutionKind.DIAGNOSIS.label})

            region_id = self._region(cells[wb.COL_REGION], lookups, bad) if cells[wb.COL_REGION] else None

            raw_date = values.get(wb.COL_FILED_ON)
            filed_on = None
            if raw_date is None or wb.text(raw_date) == "":
                bad(wb.COL_FILED_ON, _("不能为空。"))
            else:
                filed_on = parse_date(raw_date)
                if filed_on is None:
                    bad(wb.COL_FILED_ON, _("「%(value)s」不是有效日期，请填写如 2023-05-01。")
                        % {"value": wb.text(raw_date)})
                elif filed_on > self.today:
                    bad(wb.COL_FILED_ON, _("备案日期 %(date)s 晚于今天，不能是将来的日期。")
                        % {"date": filed_on.isoformat()})

            number = cells[wb.COL_NUMBER]
            if number and len(number) <= TEXT_LIMITS[wb.COL_NUMBER]:
                if number in seen_numbers:
                    bad(wb.COL_NUMBER, _("备案编号「%(number)s」与第 %(first)s 行重复。")
                        % {"number": number, "first": seen_numbers[number]})
                else:
                    seen_numbers[number] = row
                if number.startswith(province_prefix) and not OWN_NUMBER.match(number):
                    bad(wb.COL_NUMBER, _("以「%(prefix)s」开头的编号须为本系统格式，如 %(example)s。")
                        % {"prefix": province_prefix, "example": f"{self.province.code}-2023-0001"})

            off_site_raw = wb.text(values.get(wb.COL_OFF_SITE)).lower()
            off_site = off_site_raw in YES
            if off_site_raw not in YES and off_site_raw not in NO:
                bad(wb.COL_OFF_SITE, _("「%(value)s」无法识别，请填写「是」或「否」。")
                    % {"value": wb.text(values.get(wb.COL_OFF_SITE))})

            total_area = self._area(values.get(wb.COL_AREA), bad)

            if len(self.plan.issues) > before or not credit_code or kind is None:
                continue
            org = existing.organisations.get(credit_code)
            if org is not None:
                org_id, org_kind, org_province, org_name = org
                if org_province != self.province.pk:
                    bad(wb.COL_CREDIT_CODE, _("统一社会信用代码「%(code)s」的机构已在其他省份登记，不能导入。")
                        % {"code": credit_code})
                    continue
                if org_kind != OrgKind.INSTITUTION:
                    bad(wb.COL_CREDIT_CODE, _("统一社会信用代码「%(code)s」属于单位「%(name)s」，"
                                              "它不是检查或诊断机构。") % {"code": credit_code, "name": org_name})
                    continue
                filing = existing.filings.get((org_id, kind))
                if filing is not None:
                    status, existing_number = filing
                    if status in SKIP_STATUSES:
                        reason = (_("已存在，跳过（已备案，备案编号 %(number)s）") % {"number": existing_number}
                                  if status == FilingStatus.ACCEPTED else _("已存在，跳过（该备案已注销）"))
                        self.plan.skipped.append({"row": row, "credit_code": credit_code,
                                                  "name": cells[wb.COL_NAME], "reason": str(reason)})
                        continue
                    bad(wb.COL_CREDIT_CODE, _("该机构已在系统中在线办理备案（状态：%(status)s），不能再导入；"
                                              "请在系统中办理，或从文件中删除此行。")
                        % {"status": FilingStatus(status).label})
                    continue
            if number and number in existing.numbers:
                bad(wb.COL_NUMBER, _("备案编号「%(number)s」已被系统中其他机构使用。") % {"number": number})
                continue
            planned = PlannedInstitution(
                row=row, name=cells[wb.COL_NAME], credit_code=credit_code, kind=kind,
                licence_number=cells[wb.COL_LICENCE], region_id=region_id, address=cells[wb.COL_ADDRESS],
                phone=cells[wb.COL_PHONE], legal_representative=cells[wb.COL_LEGAL],
                quality_manager=cells[wb.COL_QUALITY], technical_manager=cells[wb.COL_TECHNICAL],
                filed_on=filed_on, filing_number=number, off_site=off_site, total_area=total_area,
                organisation_id=org[0] if org else None,
            )
            by_code[credit_code] = planned
            self.plan.create.append(planned)
        return by_code

    def _region(self, code: str, lookups: Lookups, bad) -> int | None:
        found = lookups.regions.get(code)
        if found is None:
            bad(wb.COL_REGION, _("区划代码「%(code)s」不存在，请填写 GB/T 2260 的 6 位市级或县级代码。")
                % {"code": code})
            return None
        pk, level, province_id, name = found
        if province_id != self.province.pk:
            bad(wb.COL_REGION, _("区划代码「%(code)s」（%(name)s）属于%(province)s，不在本省%(own)s范围内。")
                % {"code": code, "name": name, "province": lookups.province_names.get(province_id, ""),
                   "own": self.province.name})
            return None
        if level == RegionLevel.PROVINCE:
            bad(wb.COL_REGION, _("区划代码「%(code)s」是省级代码，请填写机构所在的市级或县级代码。") % {"code": code})
            return None
        return pk

    def _area(self, raw, bad) -> Decimal | None:
        if raw is None or wb.text(raw) == "":
            return None
        try:
            value = Decimal(str(raw).strip()) if not isinstance(raw, float) else Decimal(repr(raw))
        except InvalidOperation:
            bad(wb.COL_AREA, _("「%(value)s」不是数字，请填写平方米数，如 1200.5。") % {"value": wb.text(raw)})
            return None
        if not value.is_finite():
            bad(wb.COL_AREA, _("「%(value)s」不是数字，请填写平方米数，如 1200.5。") % {"value": wb.text(raw)})
            return None
        if value < 0:
            bad(wb.COL_AREA, _("总建筑面积不能为负数（填写的是 %(value)s）。") % {"value": wb.text(raw)})
            return None
        if value == 0:
            bad(wb.COL_AREA, _("总建筑面积应大于 0。"))
            return None
        if value > MAX_AREA:
            bad(wb.COL_AREA, _("总建筑面积 %(value)s 超出范围。") % {"value": wb.text(raw)})
            return None
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    # ---- items --------------------------------------------------------------------------------

    def items(self, rows, lookups: Lookups, by_code: dict[str, PlannedInstitution | None]) -> None:
        # The hot loop of a large file (150,000 rows): no per-row closures, parsed exam types memoised.
        sheet = wb.SHEET_ITEMS
        issue = self.issue
        catalogue = lookups.catalogue
        present = self.present_codes
        examination, diagnosis = InstitutionKind.EXAMINATION.value, InstitutionKind.DIAGNOSIS.value
        parse_types = _ExamTypeParser()
        seen: dict[tuple[str, str], int] = {}
        counts: dict[str, int] = {}
        total = len(rows)
        every = wb.PROGRESS_EVERY * 10
        for index, (row, raw_credit, code, raw_types, raw_category) in enumerate(rows, start=1):
            if self.progress and index % every == 0:
                self.progress("check_items", index, total)
            credit_code = raw_credit.upper()
            if not credit_code:
                issue(sheet, row, wb.COL_CREDIT_CODE, _("不能为空。"))
            elif credit_code not in present:
                issue(sheet, row, wb.COL_CREDIT_CODE,
                      _("统一社会信用代码「%(code)s」不在工作表「机构」中。") % {"code": raw_credit})
            else:
                counts[credit_code] = counts.get(credit_code, 0) + 1
            institution = by_code.get(credit_code)

            entry = None
            if not code:
                issue(sheet, row, wb.COL_ITEM, _("不能为空。"))
            else:
                entry = catalogue.get(code)
                key = (credit_code, code)
                if entry is None:
                    issue(sheet, row, wb.COL_ITEM, _("未知的项目代码「%(code)s」。请按工作表「项目代码」填写带版本的代码，"
                                                     "如 GBZ188-2014:6.1 或 OD-2013:1.1。") % {"code": code})
                elif key in seen:
                    issue(sheet, row, wb.COL_ITEM, _("项目「%(code)s」与第 %(first)s 行重复。")
                          % {"code": code, "first": seen[key]})
                    entry = None
                else:
                    seen[key] = row
            if entry is not None and institution is not None:
                if entry.is_disease and institution.kind == examination:
                    issue(sheet, row, wb.COL_ITEM, _("「%(code)s」是职业病目录中的疾病，职业健康检查机构应填写检查项目代码。")
                          % {"code": code})
                    entry = None
                elif not entry.is_disease and institution.kind == diagnosis:
                    issue(sheet, row, wb.COL_ITEM, _("「%(code)s」是检查项目，职业病诊断机构应填写职业病目录代码"
                                                     "（如 OD-2013:1.1）。") % {"code": code})
                    entry = None

            if raw_category and entry is not None and raw_category not in entry.category_keys:
                if raw_category in lookups.category_keys:
                    issue(sheet, row, wb.COL_CATEGORY, _("项目「%(code)s %(name)s」属于「%(actual)s」，"
                                                         "不属于所填类别「%(given)s」。")
                          % {"code": code, "name": entry.name, "actual": entry.category_name, "given": raw_category})
                else:
                    issue(sheet, row, wb.COL_CATEGORY, _("未知的类别代码「%(value)s」。") % {"value": raw_category})
                entry = None

            types: list[str] = []
            if entry is not None and entry.is_disease:
                if raw_types:
                    issue(sheet, row, wb.COL_EXAM_TYPES, _("职业病诊断项目不填写检查类型。"))
                    entry = None
            elif entry is not None:
                types, problems = parse_types(raw_types)
                for message in problems:
                    issue(sheet, row, wb.COL_EXAM_TYPES, message)
                if problems:
                    entry = None
            if entry is not None and institution is not None:
                institution.items.append((None if entry.is_disease else entry.pk,
                                          entry.pk if entry.is_disease else None, types, entry.edition_id))
        for planned in self.plan.create:
            if not counts.get(planned.credit_code):
                issue(wb.SHEET_INSTITUTIONS, planned.row, wb.COL_CREDIT_CODE,
                      _("工作表「备案项目」中没有该机构的任何项目，至少需要一项。"))


class _ExamTypeParser:
    """「上岗前,在岗期间」-> (["pre_employment", "on_duty"], problems); a file repeats a few spellings, so memoised."""

    def __init__(self):
        self.by_spelling = _exam_type_map()
        self.order = list(ExamType.values)
        self.labels = _exam_type_labels()
        self.memo: dict[str, tuple[list[str], list[str]]] = {}

    def __call__(self, raw: str) -> tuple[list[str], list[str]]:
        found = self.memo.get(raw)
        if found is None:
            found = self.memo[raw] = self._parse(raw)
        return list(found[0]), found[1]

    def _parse(self, raw: str) -> tuple[list[str], list[str]]:
        if not raw:
            return [], [_("请填写检查类型（%(labels)s，多个用逗号分隔）。") % {"labels": self.labels}]
        values, problems = set(), []
        for part in EXAM_TYPE_SPLIT.split(raw):
            if not part:
                continue
            value = self.by_spelling.get(part)
            if value is None:
                problems.append(_("未知的检查类型「%(value)s」，应为 %(labels)s。") % {"value": part, "labels": self.labels})
            else:
                values.add(value)
        return [t for t in self.order if t in values], problems


def check_rows(raw: wb.RawWorkbook, *, province: Region, progress: Progress | None = None) -> ImportPlan:
    """Check rows already read from a workbook against the rules and the database as it is now."""
    checker = _Checker(province, progress)
    checker.plan.institution_rows = len(raw.institutions)
    checker.plan.item_rows = len(raw.items)
    if not raw.institutions:
        checker.issue(wb.SHEET_INSTITUTIONS, None, "", _("没有任何机构数据。"))
        return checker.plan
    lookups = Lookups(province)
    by_code = checker.institutions(raw.institutions, lookups)
    checker.items(raw.items, lookups, by_code)
    if checker.plan.issues:
        checker.plan.create = []
    return checker.plan


def rejected_plan(province: Region, rejected: wb.WorkbookRejected) -> ImportPlan:
    plan = ImportPlan(province=province)
    plan.issues = list(rejected.issues)
    return plan
