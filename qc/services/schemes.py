"""Writing a province's yearly assessment scheme: part weights, grade bands and the key-item rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.audit.services import audit, snapshot
from portal.regions.models import Region

from ..choices import (
    DEFAULT_RESPONSE_DAYS,
    MAX_RESPONSE_DAYS,
    MIN_RESPONSE_DAYS,
    SHEET_TOTAL_POINTS,
    CoverageRule,
    WorkSampleAveraging,
)
from ..importers import on_step
from ..models import GradeBand, QCScheme
from .sheets import assert_sheet_manager

SCHEME_FIELDS = ["year", "name", "institution_weight", "work_sample_weight", "work_sample_averaging",
                 "key_item_fails", "key_item_pass_ratio", "response_days", "coverage_rule"]


@dataclass(frozen=True)
class BandSpec:
    label: str
    min_score: Decimal
    passed: bool


def _validate(values: dict, bands: list[BandSpec]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(key, message):
        errors.setdefault(key, []).append(message)

    year = values["year"]
    if year is None or not 2000 <= year <= 2100:
        add("year", _("年度应为 2000–2100 之间的四位年份。"))
    if not (values["name"] or "").strip():
        add("name", _("不能为空。"))
    weights = (values["institution_weight"], values["work_sample_weight"])
    for key, weight in zip(("institution_weight", "work_sample_weight"), weights, strict=True):
        if weight is None or not Decimal(0) <= weight <= SHEET_TOTAL_POINTS:
            add(key, _("权重应在 0–100 之间。"))
    if all(w is not None for w in weights) and sum(weights) != SHEET_TOTAL_POINTS:
        add("work_sample_weight", _("两部分权重合计应为 100%%，现为 %(total)s%%。") % {"total": sum(weights)})
    if values["work_sample_averaging"] not in WorkSampleAveraging.values:
        add("work_sample_averaging", _("未知的合成方式。"))
    ratio = values["key_item_pass_ratio"]
    if ratio is None or not Decimal(0) <= ratio <= Decimal(1):
        add("key_item_pass_ratio", _("得分率应在 0–1 之间，如 0.6 表示得分不低于该项分值的 60%。"))
    days = values["response_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_RESPONSE_DAYS <= days <= MAX_RESPONSE_DAYS:
        add("response_days", _("机构反馈期限应为 {low}–{high} 个工作日的整数。").format(
            low=MIN_RESPONSE_DAYS, high=MAX_RESPONSE_DAYS))
    if values["coverage_rule"] not in CoverageRule.values:
        add("coverage_rule", _("未知的年度覆盖要求。"))

    if not bands:
        add("bands", _("至少需要一个等级。"))
    labels, thresholds = set(), set()
    for band in bands:
        if not band.label or len(band.label) > 32:
            add("bands", _("等级名称不能为空，且不超过 32 个字符。"))
        elif band.label in labels:
            add("bands", _("等级「%(label)s」重复。") % {"label": band.label})
        labels.add(band.label)
        if band.min_score is None or not Decimal(0) <= band.min_score <= SHEET_TOTAL_POINTS \
                or not on_step(band.min_score):
            add("bands", _("等级「%(label)s」的最低分应在 0–100 之间、为 0.1 的整数倍。") % {"label": band.label})
        elif band.min_score in thresholds:
            add("bands", _("最低分 %(score)s 出现了两次，每个等级的最低分必须不同。") % {"score": band.min_score})
        else:
            thresholds.add(band.min_score)
    if bands and Decimal(0) not in thresholds:
        add("bands", _("须有一个最低分为 0 的等级，使任何得分都有等级。"))
    ordered = sorted((b for b in bands if b.min_score is not None), key=lambda b: b.min_score, reverse=True)
    for higher, lower in zip(ordered, ordered[1:], strict=False):
        if lower.passed and not higher.passed:
            add("bands", _("等级「%(lower)s」分数低于不合格等级「%(higher)s」，却被设为合格。")
                % {"lower": lower.label, "higher": higher.label})
    if bands and not any(b.passed for b in bands):
        add("bands", _("至少需要一个视为合格的等级。"))
    if values["key_item_fails"] and bands and all(b.passed for b in bands):
        add("bands", _("“关键项不合格即考核不合格”需要一个不合格等级来标示结果。"))
    return errors


def _write_bands(scheme: QCScheme, bands: list[BandSpec]) -> None:
    scheme.bands.all().delete()
    GradeBand.objects.bulk_create([GradeBand(scheme=scheme, label=b.label.strip(), min_score=b.min_score,
                                             passed=b.passed) for b in bands])


def _bands_json(bands) -> list[list]:
    return [[b.label, str(b.min_score), b.passed] for b in sorted(bands, key=lambda b: b.min_score, reverse=True)]


@transaction.atomic
def scheme_create(*, province: Region, year: int, name: str, institution_weight: Decimal,
                  work_sample_weight: Decimal, work_sample_averaging: str = WorkSampleAveraging.MEAN,
                  key_item_fails: bool = True, key_item_pass_ratio: Decimal = Decimal("1"),
                  response_days: int = DEFAULT_RESPONSE_DAYS, coverage_rule: str = CoverageRule.BIENNIAL_ALL,
                  bands: list[BandSpec], actor) -> QCScheme:
    assert_sheet_manager(actor, province)
    values = {"year": year, "name": name, "institution_weight": institution_weight,
              "work_sample_weight": work_sample_weight, "work_sample_averaging": work_sample_averaging,
              "key_item_fails": key_item_fails, "key_item_pass_ratio": key_item_pass_ratio,
              "response_days": response_days, "coverage_rule": coverage_rule}
    errors = _validate(values, bands)
    if not errors and QCScheme.objects.filter(province=province, year=year).exists():
        errors["year"] = [_("%(year)s 年度已有考核方案，请修改该方案。") % {"year": year}]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            scheme = QCScheme.objects.create(province=province, name=name.strip(), year=year,
                                             institution_weight=institution_weight,
                                             work_sample_weight=work_sample_weight,
                                             work_sample_averaging=work_sample_averaging,
                                             key_item_fails=key_item_fails, key_item_pass_ratio=key_item_pass_ratio,
                                             response_days=response_days, coverage_rule=coverage_rule,
                                             updated_by=actor if getattr(actor, "is_authenticated", False) else None)
    except IntegrityError:
        raise ValidationError({"year": _("%(year)s 年度已有考核方案。") % {"year": year}}) from None
    _write_bands(scheme, bands)
    audit(actor=actor, obj=scheme, action="qc.scheme.created",
          new={**snapshot(scheme, SCHEME_FIELDS), "bands": _bands_json(bands)})
    return scheme


@transaction.atomic
def scheme_update(*, scheme_id: int, name: str, institution_weight: Decimal, work_sample_weight: Decimal,
                  work_sample_averaging: str, key_item_fails: bool, key_item_pass_ratio: Decimal,
                  response_days: int | None = None, coverage_rule: str | None = None,
                  bands: list[BandSpec], actor) -> QCScheme:
    """Change a scheme; the cached results of assessments still being scored are recomputed with it.

    ``response_days`` and ``coverage_rule`` left as None keep their current values. A new response
    window applies to results sent from now on; results already sent keep the due date they were given.
    """
    from .assessments import assessments_recompute_for_scheme

    scheme = QCScheme.objects.select_for_update().get(pk=scheme_id)
    assert_sheet_manager(actor, scheme.province)
    response_days = scheme.response_days if response_days is None else response_days
    coverage_rule = scheme.coverage_rule if coverage_rule is None else coverage_rule
    values = {"year": scheme.year, "name": name, "institution_weight": institution_weight,
              "work_sample_weight": work_sample_weight, "work_sample_averaging": work_sample_averaging,
              "key_item_fails": key_item_fails, "key_item_pass_ratio": key_item_pass_ratio,
              "response_days": response_days, "coverage_rule": coverage_rule}
    errors = _validate(values, bands)
    if errors:
        raise ValidationError(errors)
    before = {**snapshot(scheme, SCHEME_FIELDS), "bands": _bands_json(scheme.bands.all())}
    scheme.name = name.strip()
    scheme.institution_weight, scheme.work_sample_weight = institution_weight, work_sample_weight
    scheme.work_sample_averaging = work_sample_averaging
    scheme.key_item_fails, scheme.key_item_pass_ratio = key_item_fails, key_item_pass_ratio
    scheme.response_days, scheme.coverage_rule = response_days, coverage_rule
    scheme.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    scheme.save()
    _write_bands(scheme, bands)
    audit(actor=actor, obj=scheme, action="qc.scheme.updated", old=before,
          new={**snapshot(scheme, SCHEME_FIELDS), "bands": _bands_json(bands)})
    assessments_recompute_for_scheme(scheme_id=scheme.pk)
    return scheme
