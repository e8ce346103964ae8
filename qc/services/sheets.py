"""Writing scoring sheets: Excel import, publication, copies for editing, and edits of a draft.

A version is never rewritten once published: the first assessment that uses it
freezes it, and revising it means copying it into a new draft
(:func:`sheet_version_new_from`), editing the draft and publishing that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode
from portal.audit.services import audit, snapshot
from portal.core.uploads import validate_upload
from portal.regions.models import Region, RegionLevel

from .. import importers
from ..choices import (
    SHEET_VERSION_EDITABLE,
    SHEET_VERSION_TRANSITIONS,
    Applicability,
    SheetVersionStatus,
)
from ..importers import IndicatorRow, Issue, SheetData, code_key
from ..models import Indicator, ScoringSheet, SheetVersion

INDICATOR_FIELDS = ["title", "max_points", "deduction_rule", "deduction_per_occurrence", "is_key", "applicability",
                    "applicable_category"]


class SheetVersionLocked(ValidationError):
    """The version is published or frozen by use; only a new version can change it."""


class TransitionError(ValidationError):
    """The record is not in a state that allows this step."""


@dataclass
class ImportResult:
    """What an import found: the parsed sheet, every issue, and the draft version created when clean."""

    data: SheetData | None
    issues: list[Issue] = field(default_factory=list)
    version: SheetVersion | None = None

    @property
    def ok(self) -> bool:
        return self.version is not None

    @property
    def messages(self) -> list[str]:
        return [str(i) for i in self.issues]


def assert_sheet_manager(actor, province: Region) -> None:
    """Sheets and schemes belong to the province: its provincial QC center or administrator edits them,
    not a city QC center."""
    if actor is None or getattr(actor, "is_superuser", False):
        # No actor: a load from code (demo seeding, shipped samples), never a request.
        return
    org = getattr(actor, "organisation", None)
    if org is None or org.province_id != province.pk or org.region is None or org.region.level != RegionLevel.PROVINCE:
        raise PermissionDenied(_("只有省级质控中心或省级管理员可以维护评分表和考核方案。"))


def assert_version_editable(version: SheetVersion) -> None:
    if version.status in SHEET_VERSION_EDITABLE:
        return
    if version.status == SheetVersionStatus.FROZEN:
        raise SheetVersionLocked(
            _("「%(sheet)s」第 %(n)s 版已被考核使用并冻结，不能修改。请先“另存为新版本”，在新版本中修改后发布。")
            % {"sheet": version.sheet.name, "n": version.number}, code="version_frozen")
    raise SheetVersionLocked(
        _("「%(sheet)s」第 %(n)s 版已发布，不能修改。请先“另存为新版本”，在新版本中修改后发布。")
        % {"sheet": version.sheet.name, "n": version.number}, code="version_published")


def _assert_transition(version: SheetVersion, target: str) -> None:
    if target not in SHEET_VERSION_TRANSITIONS.get(version.status, set()):
        raise TransitionError(_("评分表版本当前状态为“%(status)s”，不能执行此操作。")
                              % {"status": version.get_status_display()}, code="invalid_transition")


def version_data(version: SheetVersion, indicators=None) -> SheetData:
    """A stored version as :class:`SheetData`, for export and for validation before publishing."""
    sheet = version.sheet
    indicators = indicators if indicators is not None else version.indicators.order_by("order")
    return SheetData(
        code=sheet.code, name=sheet.name, part=sheet.part, category=sheet.category,
        effective_year=version.effective_year, notes=version.notes,
        indicators=[IndicatorRow(
            code=i.code, title=i.title, max_points=i.max_points, deduction_rule=i.deduction_rule,
            deduction_per_occurrence=i.deduction_per_occurrence, is_key=i.is_key, applicability=i.applicability,
            applicable_category=i.applicable_category, row=n,
        ) for n, i in enumerate(indicators, start=2)],
    )


def _write_tree(version: SheetVersion, rows: list[IndicatorRow]) -> int:
    """Create a version's indicators level by level so each row can point at its parent."""
    ordered = sorted(rows, key=lambda r: code_key(r.code))
    order = {r.code: n for n, r in enumerate(ordered, start=1)}
    parents_of = {r.parent_code for r in ordered if r.parent_code}
    created: dict[str, Indicator] = {}
    for level in (1, 2, 3):
        batch = [
            Indicator(version=version, parent=created.get(r.parent_code) if r.parent_code else None, level=level,
                      code=r.code, title=r.title, max_points=r.max_points, deduction_rule=r.deduction_rule,
                      deduction_per_occurrence=r.deduction_per_occurrence, is_key=r.is_key,
                      applicability=r.applicability, applicable_category=r.applicable_category,
                      is_leaf=r.code not in parents_of, order=order[r.code])
            for r in ordered if r.level == level
        ]
        for indicator in Indicator.objects.bulk_create(batch):
            created[indicator.code] = indicator
    return len(created)


def _existing_sheet(province: Region, code: str) -> dict | None:
    return (ScoringSheet.objects.filter(province=province, code=code)
            .values("part", "category", "name").first())


@transaction.atomic
def sheet_version_create(*, province: Region, data: SheetData, actor, copied_from: SheetVersion | None = None,
                         action: str = "qc.sheet.imported") -> SheetVersion:
    """Store a validated sheet as a new draft version: of the sheet with its code, created if new.

    A new sheet is active unless another active sheet already serves its part and
    category; the province then switches with :func:`sheet_activate`.
    """
    issues = importers.validate_sheet(data, existing_sheet=_existing_sheet(province, data.code))
    if issues:
        raise ValidationError([str(i) for i in issues])
    sheet = ScoringSheet.objects.select_for_update().filter(province=province, code=data.code).first()
    if sheet is None:
        clash = ScoringSheet.objects.filter(province=province, part=data.part, category=data.category,
                                            is_active=True).exists()
        try:
            with transaction.atomic():
                sheet = ScoringSheet.objects.create(province=province, code=data.code, name=data.name,
                                                    part=data.part, category=data.category, is_active=not clash)
        except IntegrityError:
            raise ValidationError({"code": _("评分表「%(code)s」正被同时创建，请重试。") % {"code": data.code}}) from None
    elif sheet.name != data.name:
        sheet.name = data.name
        sheet.save(update_fields=["name", "updated_at"])
    number = (sheet.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = SheetVersion.objects.create(
        sheet=sheet, number=number, status=SheetVersionStatus.DRAFT, effective_year=data.effective_year,
        total_points=data.total_points, notes=data.notes, copied_from=copied_from,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    count = _write_tree(version, data.indicators)
    audit(actor=actor, obj=version, action=action,
          new={"sheet": sheet.code, "name": sheet.name, "number": number, "indicators": count,
               "effective_year": data.effective_year,
               "copied_from": copied_from.number if copied_from else None})
    return version


def sheet_import(*, province: Region, file, actor) -> ImportResult:
    """Read an uploaded workbook and store it as a new draft version, all or nothing.

    Every issue found is returned (by sheet, row and column) and nothing is saved
    unless there are none.
    """
    assert_sheet_manager(actor, province)
    try:
        validate_upload(file, kinds=("xlsx",), max_bytes=importers.MAX_UPLOAD_BYTES)
    except ValidationError as exc:
        return ImportResult(None, [Issue(m) for m in exc.messages])
    file.seek(0)
    content = file.read()
    data, issues = importers.read_xlsx(content)
    if data is None or issues:
        return ImportResult(data, issues)
    issues = importers.validate_sheet(data, existing_sheet=_existing_sheet(province, data.code))
    if issues:
        return ImportResult(data, issues)
    try:
        version = sheet_version_create(province=province, data=data, actor=actor)
    except ValidationError as exc:
        return ImportResult(data, [Issue(m) for m in exc.messages])
    return ImportResult(data, [], version)


@transaction.atomic
def sheet_version_publish(*, version_id: int, actor) -> SheetVersion:
    version = SheetVersion.objects.select_for_update(of=("self",)).select_related("sheet").get(pk=version_id)
    assert_sheet_manager(actor, version.sheet.province)
    _assert_transition(version, SheetVersionStatus.PUBLISHED)
    issues = importers.validate_sheet(version_data(version))
    if issues:
        raise ValidationError([str(i) for i in issues], code="sheet_invalid")
    version.status = SheetVersionStatus.PUBLISHED
    version.total_points = sum((i.max_points for i in version.indicators.filter(level=1)), Decimal(0))
    version.published_at = timezone.now()
    version.published_by = actor if getattr(actor, "is_authenticated", False) else None
    version.save(update_fields=["status", "total_points", "published_at", "published_by"])
    audit(actor=actor, obj=version, action="qc.sheet_version.published",
          old={"status": SheetVersionStatus.DRAFT}, new={"status": version.status})
    return version


@transaction.atomic
def sheet_version_new_from(*, version_id: int, actor) -> SheetVersion:
    """Copy a version into a new draft of the same sheet, the way to revise a published or frozen one."""
    source = SheetVersion.objects.select_related("sheet").get(pk=version_id)
    assert_sheet_manager(actor, source.sheet.province)
    # Lock the sheet: two copies at once would both take the same number.
    ScoringSheet.objects.select_for_update().get(pk=source.sheet_id)
    draft = source.sheet.versions.filter(status=SheetVersionStatus.DRAFT).first()
    if draft is not None:
        raise TransitionError(_("「%(sheet)s」已有草稿第 %(n)s 版，请先编辑并发布或删除该草稿。")
                              % {"sheet": source.sheet.name, "n": draft.number}, code="draft_exists")
    data = version_data(source)
    return sheet_version_create(province=source.sheet.province, data=data, actor=actor, copied_from=source,
                                action="qc.sheet_version.copied")


@transaction.atomic
def sheet_version_discard(*, version_id: int, actor) -> None:
    """Delete a draft nobody uses (a wrong import, an abandoned revision)."""
    version = SheetVersion.objects.select_for_update(of=("self",)).select_related("sheet").get(pk=version_id)
    assert_sheet_manager(actor, version.sheet.province)
    assert_version_editable(version)
    audit(actor=actor, obj=version, action="qc.sheet_version.discarded",
          old={"sheet": version.sheet.code, "number": version.number, "status": version.status})
    sheet = version.sheet
    version.indicators.all().delete()
    version.delete()
    if not sheet.versions.exists():
        sheet.delete()


@transaction.atomic
def sheet_activate(*, sheet_id: int, actor) -> ScoringSheet:
    """Make this the sheet new assessments use for its part and category; the one it replaces is kept."""
    sheet = ScoringSheet.objects.select_for_update().get(pk=sheet_id)
    assert_sheet_manager(actor, sheet.province)
    if sheet.is_active:
        return sheet
    replaced = list(ScoringSheet.objects.select_for_update().filter(
        province=sheet.province, part=sheet.part, category=sheet.category, is_active=True))
    for other in replaced:
        other.is_active = False
        other.save(update_fields=["is_active", "updated_at"])
    sheet.is_active = True
    sheet.save(update_fields=["is_active", "updated_at"])
    audit(actor=actor, obj=sheet, action="qc.sheet.activated",
          old={"active": [o.code for o in replaced]}, new={"active": [sheet.code]})
    return sheet


def _indicator_issues(indicator: Indicator, values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    points = values["max_points"]
    if points is None or points <= 0 or points > 100 or not importers.on_step(points):
        errors["max_points"] = _("分值应为 0.1–100 之间、0.1 的整数倍。")
    per = values["deduction_per_occurrence"]
    if per is not None:
        if not indicator.is_leaf:
            errors["deduction_per_occurrence"] = _("只有末级指标可以设每处扣分。")
        elif per <= 0 or not importers.on_step(per) or (points and per > points):
            errors["deduction_per_occurrence"] = _("每处扣分应大于 0、为 0.1 的整数倍且不超过该项分值。")
    if values["is_key"] and not indicator.is_leaf:
        errors["is_key"] = _("关键项只能设在末级指标。")
    if indicator.is_leaf and not values["deduction_rule"].strip():
        errors["deduction_rule"] = _("末级指标须写明扣分标准。")
    if not values["title"].strip():
        errors["title"] = _("不能为空。")
    applicability, category = values["applicability"], values["applicable_category"]
    if applicability == Applicability.CATEGORY_ONLY and category not in ExamCategoryCode.values:
        errors["applicable_category"] = _("适用条件为「限定检查类别」时须选择检查类别。")
    elif applicability != Applicability.CATEGORY_ONLY and category:
        errors["applicable_category"] = _("只有适用条件为「限定检查类别」时才选择限定类别。")
    return errors


@transaction.atomic
def indicator_update(*, indicator_id: int, actor, title: str, max_points: Decimal,
                     deduction_rule: str = "", deduction_per_occurrence: Decimal | None = None,
                     is_key: bool = False, applicability: str = Applicability.ALWAYS,
                     applicable_category: str = "") -> Indicator:
    """Change one line of a draft. Sums are checked when the draft is published, so a parent and its
    children can be changed one after the other."""
    indicator = Indicator.objects.select_related("version__sheet").get(pk=indicator_id)
    version = SheetVersion.objects.select_for_update(of=("self",)).select_related("sheet").get(
        pk=indicator.version_id)
    assert_sheet_manager(actor, version.sheet.province)
    assert_version_editable(version)
    values = {"title": title, "max_points": max_points, "deduction_rule": deduction_rule or "",
              "deduction_per_occurrence": deduction_per_occurrence, "is_key": is_key,
              "applicability": applicability, "applicable_category": applicable_category or ""}
    errors = _indicator_issues(indicator, values)
    if errors:
        raise ValidationError(errors)
    before = snapshot(indicator, INDICATOR_FIELDS)
    for name, value in values.items():
        setattr(indicator, name, value.strip() if isinstance(value, str) else value)
    indicator.save(update_fields=INDICATOR_FIELDS)
    after = snapshot(indicator, INDICATOR_FIELDS)
    # Keyed by the line's code: audit keeps only what changed, and the code says which line it was.
    audit(actor=actor, obj=version, action="qc.indicator.updated",
          old={f"{indicator.code} {k}": v for k, v in before.items()},
          new={f"{indicator.code} {k}": v for k, v in after.items()})
    return indicator
