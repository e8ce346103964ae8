"""Annual quality control (质量考核): scoring sheets as data, the scheme that combines them, and assessments.

A province authors its scoring sheets (评分表) and revises them; every revision is a
new :class:`SheetVersion`, and a version becomes frozen as soon as an assessment uses
it, so a result can always be traced to the exact lines it was scored against.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from filing.catalogue.choices import ExamCategoryCode
from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import (
    Applicability,
    AssessmentKind,
    AssessmentStatus,
    SheetPart,
    SheetVersionStatus,
    WorkSampleAveraging,
)

POINTS = {"max_digits": 5, "decimal_places": 1}
SCORE = {"max_digits": 6, "decimal_places": 1}


class ScoringSheet(models.Model):
    """A province's scoring sheet for one part of the assessment; its lines live in its versions.

    A work-sample sheet may be written for one exam category; one without a category
    serves every category that has no sheet of its own.
    """

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    code = models.CharField(_("评分表代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=200)
    part = models.CharField(_("考核部分"), max_length=16, choices=SheetPart.choices)
    category = models.CharField(_("检查类别"), max_length=16, choices=ExamCategoryCode.choices, blank=True,
                                help_text=_("仅工作样本评分表可限定类别；留空表示适用于所有类别。"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province", "part", "category", "code"]
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")
        constraints = [
            models.UniqueConstraint(fields=["province", "code"], name="qc_sheet_code_per_province"),
            # The sheet an assessment uses is found by part and category, so only one may be active.
            models.UniqueConstraint(fields=["province", "part", "category"], condition=models.Q(is_active=True),
                                    name="qc_one_active_sheet_per_part_and_category"),
            models.CheckConstraint(condition=models.Q(part=SheetPart.WORK_SAMPLE) | models.Q(category=""),
                                   name="qc_sheet_category_only_for_work_samples"),
        ]

    def __str__(self) -> str:
        return self.name


class SheetVersion(models.Model):
    """One revision of a sheet: the indicator tree as it stood when published."""

    sheet = models.ForeignKey(ScoringSheet, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=SheetVersionStatus.choices,
                              default=SheetVersionStatus.DRAFT, db_index=True)
    effective_year = models.PositiveSmallIntegerField(_("适用年度（起）"))
    total_points = models.DecimalField(_("总分"), **POINTS)
    notes = models.TextField(_("修订说明"), blank=True)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("复制自"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)

    scope = ScopeSpec(province="sheet__province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["sheet", "-number"]
        verbose_name = _("评分表版本")
        verbose_name_plural = _("评分表版本")
        constraints = [models.UniqueConstraint(fields=["sheet", "number"], name="qc_sheet_version_number")]

    def __str__(self) -> str:
        return f"{self.sheet} v{self.number}"


class Indicator(models.Model):
    """One line of a sheet version: a level-1, 2 or 3 indicator (一级/二级/三级指标).

    Only leaves are scored; a parent's points are the sum of its children's. ``is_leaf``
    is stored because the tree of a version never changes shape once written.
    """

    version = models.ForeignKey(SheetVersion, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    level = models.PositiveSmallIntegerField(_("层级"))
    code = models.CharField(_("编号"), max_length=16)
    title = models.CharField(_("指标"), max_length=500)
    max_points = models.DecimalField(_("分值"), **POINTS)
    deduction_rule = models.TextField(_("扣分标准"), blank=True)
    deduction_per_occurrence = models.DecimalField(_("每处扣分"), null=True, blank=True, **POINTS)
    is_key = models.BooleanField(_("关键项（★）"), default=False)
    applicability = models.CharField(_("适用条件"), max_length=24, choices=Applicability.choices,
                                     default=Applicability.ALWAYS)
    applicable_category = models.CharField(_("限定类别"), max_length=16, choices=ExamCategoryCode.choices,
                                           blank=True)
    is_leaf = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("评分指标")
        verbose_name_plural = _("评分指标")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="qc_indicator_code_per_version"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=3), name="qc_indicator_level"),
            models.CheckConstraint(condition=models.Q(max_points__gt=0), name="qc_indicator_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class QCScheme(models.Model):
    """How one province turns sheet scores into a result in one year: part weights, grade bands, key items."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=200)
    institution_weight = models.DecimalField(_("机构综合权重（%）"), max_digits=5, decimal_places=2)
    work_sample_weight = models.DecimalField(_("工作样本权重（%）"), max_digits=5, decimal_places=2)
    work_sample_averaging = models.CharField(_("多类别工作样本合成方式"), max_length=16,
                                             choices=WorkSampleAveraging.choices, default=WorkSampleAveraging.MEAN)
    key_item_fails = models.BooleanField(_("关键项不合格即考核不合格"), default=True)
    key_item_pass_ratio = models.DecimalField(
        _("关键项合格得分率"), max_digits=3, decimal_places=2, default=Decimal("1.00"),
        help_text=_("关键项得分低于“分值×得分率”即为不合格；1.00 表示关键项有任何扣分即不合格。"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province", "-year"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="qc_one_scheme_per_province_year"),
            models.CheckConstraint(
                condition=models.Q(institution_weight__gte=0, work_sample_weight__gte=0,
                                   institution_weight=Decimal("100") - models.F("work_sample_weight")),
                name="qc_scheme_weights_sum_to_100"),
            models.CheckConstraint(condition=models.Q(key_item_pass_ratio__gte=0, key_item_pass_ratio__lte=1),
                                   name="qc_scheme_key_ratio_range"),
        ]

    def __str__(self) -> str:
        return self.name


class GradeBand(models.Model):
    """A grade label (优秀 / 合格 / 基本合格 / 不合格) reached from ``min_score`` upward."""

    scheme = models.ForeignKey(QCScheme, on_delete=models.CASCADE, related_name="bands")
    label = models.CharField(_("等级"), max_length=32)
    min_score = models.DecimalField(_("最低分"), **POINTS)
    passed = models.BooleanField(_("视为合格"), default=True)

    class Meta:
        ordering = ["scheme", "-min_score"]
        verbose_name = _("等级划分")
        verbose_name_plural = _("等级划分")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "label"], name="qc_band_label_unique"),
            models.UniqueConstraint(fields=["scheme", "min_score"], name="qc_band_threshold_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ≥ {self.min_score}"


class Assessment(models.Model):
    """One quality assessment of one institution in one year, by a team of the QC center.

    The result fields are a cache written by the scoring service after every save, so
    lists never recompute; :func:`qc.services.compute_result` is the source of truth.
    """

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("被考核机构"))
    filing = models.ForeignKey("filing.Filing", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("备案"))
    scheme = models.ForeignKey(QCScheme, on_delete=models.PROTECT, related_name="assessments",
                               verbose_name=_("考核方案"))
    year = models.PositiveSmallIntegerField(_("考核年度"))
    assessed_on = models.DateField(_("考核日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=AssessmentKind.choices,
                            default=AssessmentKind.OFFICIAL)
    status = models.CharField(_("状态"), max_length=16, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.DRAFT, db_index=True)
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True,
                                  verbose_name=_("考核组成员"))
    # The categories filed when the assessment was created: applicability is judged against these.
    filed_categories = models.JSONField(_("备案检查类别"), default=list)
    institution_score = models.DecimalField(_("机构综合得分"), null=True, blank=True, **SCORE)
    work_sample_score = models.DecimalField(_("工作样本得分"), null=True, blank=True, **SCORE)
    total_score = models.DecimalField(_("加权总分"), null=True, blank=True, **SCORE)
    grade = models.CharField(_("等级"), max_length=32, blank=True)
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    failed_key_items = models.JSONField(_("不合格关键项"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="institution__region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-assessed_on", "-pk"]
        verbose_name = _("质量考核")
        verbose_name_plural = _("质量考核")

    def __str__(self) -> str:
        return f"{self.institution} {self.year}"


class AssessmentSheet(models.Model):
    """One sheet version used by an assessment: the institution-level sheet, or the work-sample sheet of
    one filed category. The same version may serve several categories, so scores hang on this row."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="sheets")
    version = models.ForeignKey(SheetVersion, on_delete=models.PROTECT, related_name="assessment_sheets")
    part = models.CharField(_("考核部分"), max_length=16, choices=SheetPart.choices)
    category = models.CharField(_("检查类别"), max_length=16, choices=ExamCategoryCode.choices, blank=True)
    awarded = models.DecimalField(_("得分"), null=True, blank=True, **SCORE)
    applicable_max = models.DecimalField(_("适用分值"), null=True, blank=True, **SCORE)
    score = models.DecimalField(_("折算得分"), null=True, blank=True, **SCORE)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "order"]
        verbose_name = _("考核评分表")
        verbose_name_plural = _("考核评分表")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "part", "category"], name="qc_one_sheet_per_part_category"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.get_category_display() or ''}".strip()


class Score(models.Model):
    """One scored line: the points **deducted** (扣分) on one leaf indicator of one assessment sheet.

    Sheets are written as deduction rules ("每缺一项扣0.5分"), so the assessor records
    what was deducted, and how many times; the points awarded are ``max_points -
    deducted``. A line without a row has no deduction.
    """

    assessment_sheet = models.ForeignKey(AssessmentSheet, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    deducted = models.DecimalField(_("扣分"), default=Decimal("0"), **POINTS)
    occurrences = models.PositiveIntegerField(_("问题处数"), null=True, blank=True)
    evidence = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("佐证材料"))
    note = models.TextField(_("扣分说明"), blank=True)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment_sheet", "pk"]
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(fields=["assessment_sheet", "indicator"], name="qc_one_score_per_line"),
            models.CheckConstraint(condition=models.Q(deducted__gte=0), name="qc_score_deduction_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} -{self.deducted}"
