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
    DEFAULT_RESPONSE_DAYS,
    Applicability,
    AssessmentKind,
    AssessmentStatus,
    CoverageRule,
    PointAnswer,
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
    response_days = models.PositiveSmallIntegerField(
        _("机构反馈期限（工作日）"), default=DEFAULT_RESPONSE_DAYS,
        help_text=_("考核结果送达机构后，机构可在此期限内就事实错误提出异议。"))
    coverage_rule = models.CharField(_("年度覆盖要求"), max_length=32, choices=CoverageRule.choices,
                                     default=CoverageRule.BIENNIAL_ALL)
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
    # Who ran it: the provincial or a city QC center (Shanxi counts coverage per level).
    assessing_body = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("考核单位"))
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    response_due_on = models.DateField(_("反馈截止日"), null=True, blank=True)
    responded_at = models.DateTimeField(_("机构反馈时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    flagged_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    flag_description = models.TextField(_("弄虚作假或重大质量问题"), blank=True)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Key indicators as figures [SX]; blank until recorded.
    contraindications_found = models.PositiveIntegerField(_("发现职业禁忌证人数"), null=True, blank=True)
    contraindications_notified = models.PositiveIntegerField(_("已告知职业禁忌证人数"), null=True, blank=True)
    suspected_found = models.PositiveIntegerField(_("发现疑似职业病人数"), null=True, blank=True)
    suspected_reported = models.PositiveIntegerField(_("已报告疑似职业病人数"), null=True, blank=True)
    diagnosis_accuracy = models.DecimalField(_("诊断准确率（%）"), max_digits=5, decimal_places=2, null=True,
                                             blank=True)
    diagnosis_timeliness = models.DecimalField(_("诊断报告及时率（%）"), max_digits=5, decimal_places=2, null=True,
                                               blank=True)
    case_report_completeness = models.DecimalField(_("个案报告卡完整率（%）"), max_digits=5, decimal_places=2,
                                                   null=True, blank=True)
    case_report_timeliness = models.DecimalField(_("个案报告卡及时率（%）"), max_digits=5, decimal_places=2,
                                                 null=True, blank=True)
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


class ResponsePoint(models.Model):
    """One factual error the institution points out in a sent result, with its evidence, and the QC
    center's answer."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="points")
    text = models.TextField(_("异议内容"))
    evidence = models.ManyToManyField("core.StoredFile", related_name="+", blank=True, verbose_name=_("证明材料"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"))
    answer = models.CharField(_("答复"), max_length=16, choices=PointAnswer.choices, default=PointAnswer.PENDING)
    answer_note = models.TextField(_("答复说明"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["assessment", "pk"]
        verbose_name = _("机构异议")
        verbose_name_plural = _("机构异议")

    def __str__(self) -> str:
        return self.text[:40]


class Suspension(models.Model):
    """Items of one filed category suspended because of an assessment's failed key items; lifted by the
    next final assessment of the institution that passes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="suspensions")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    filing = models.ForeignKey("filing.Filing", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("检查类别"), max_length=16, choices=ExamCategoryCode.choices)
    item_codes = models.JSONField(_("暂停的项目"), default=list)
    reason = models.TextField(_("暂停原因"))
    suspended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    suspended_at = models.DateTimeField(_("暂停时间"))
    lifted_by_assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT,
                                             related_name="lifted_suspensions")
    lifted_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-suspended_at"]
        verbose_name = _("考核暂停")
        verbose_name_plural = _("考核暂停")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "category"], name="qc_one_suspension_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.get_category_display()}"


class Finding(models.Model):
    """A failed line of a final assessment put on the rectification ledger; one entry per line."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    assessment_sheet = models.ForeignKey(AssessmentSheet, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    # The ledger is a sibling app; its entry is referenced by id so the QC schema does not depend on it.
    ledger_entry_id = models.PositiveIntegerField(_("整改台账条目"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "pk"]
        verbose_name = _("考核问题")
        verbose_name_plural = _("考核问题")
        constraints = [
            models.UniqueConstraint(fields=["assessment_sheet", "indicator"], name="qc_one_finding_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.indicator.code}"


class QCPlan(models.Model):
    """A province's yearly QC programme: which institutions, when, and by which QC center."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    year = models.PositiveSmallIntegerField(_("年度"))
    notes = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province", "-year"]
        verbose_name = _("年度考核计划")
        verbose_name_plural = _("年度考核计划")
        constraints = [models.UniqueConstraint(fields=["province", "year"], name="qc_one_plan_per_province_year")]

    def __str__(self) -> str:
        return f"{self.province} {self.year}"


class PlanItem(models.Model):
    """One planned assessment: an institution, the month, the QC center that runs it, and the figures
    that make it a candidate for extra assessments."""

    plan = models.ForeignKey(QCPlan, on_delete=models.CASCADE, related_name="items")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    planned_month = models.PositiveSmallIntegerField(_("计划月份"))
    assessed_by = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("考核单位"))
    complaints = models.PositiveIntegerField(_("投诉举报件数"), default=0)
    workers_examined = models.PositiveIntegerField(_("上年体检人数"), null=True, blank=True)
    is_extra = models.BooleanField(_("加密考核"), default=False)

    class Meta:
        ordering = ["plan", "planned_month", "pk"]
        verbose_name = _("计划考核")
        verbose_name_plural = _("计划考核")
        constraints = [
            models.CheckConstraint(condition=models.Q(planned_month__gte=1, planned_month__lte=12),
                                   name="qc_plan_month_range"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.planned_month}"
