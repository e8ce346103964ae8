"""Supervision spot-checks and special campaigns (监督抽查、专项治理) [241-5] [HZ].

A spot-check plan is a supervising body's yearly list of institutions to inspect; each
planned inspection records its findings against the nine categories of the Hangzhou
form 附表2 and may lead to an administrative penalty. A special campaign has a period
and dated steps; the institutions in its scope file a self-inspection with the fields
of 附表1. Plans and campaigns belong to the organising body's region, so the usual
jurisdiction rules decide who sees them.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import FindingCategory, PenaltyStatus, SpotCheckStatus


class SpotCheckPlan(models.Model):
    """A supervising body's yearly spot-check plan (年度监督抽查计划) for institutions in its jurisdiction."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    # The organising body's region: the plan is seen by that area and the areas above it.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所属区划"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("组织单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("计划名称"), max_length=200)
    campaign = models.ForeignKey("Campaign", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="plans", verbose_name=_("所属专项治理"),
                                 help_text=_("作为专项治理执法检查阶段的检查计划时选择。"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="province", region="region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("监督抽查计划")
        verbose_name_plural = _("监督抽查计划")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "name"], name="supervision_plan_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:plan-detail", args=[self.pk])


class SpotCheck(models.Model):
    """One planned inspection of one institution; done once its date and findings are recorded."""

    plan = models.ForeignKey(SpotCheckPlan, on_delete=models.PROTECT, related_name="checks")
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    # The plan's region, so a check is seen by whoever sees its plan.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    status = models.CharField(_("状态"), max_length=16, choices=SpotCheckStatus.choices,
                              default=SpotCheckStatus.PLANNED, db_index=True)
    checked_on = models.DateField(_("检查日期"), null=True, blank=True)
    inspectors = models.CharField(_("检查人员"), max_length=200, blank=True)
    note = models.TextField(_("检查情况"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    scope = ScopeSpec(province="province", region="region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "institution__name"]
        verbose_name = _("监督抽查")
        verbose_name_plural = _("监督抽查")
        constraints = [
            models.UniqueConstraint(fields=["plan", "institution"], name="supervision_check_once_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}：{self.institution}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:check-detail", args=[self.pk])


class Finding(models.Model):
    """One failure found at a spot-check, in one of the nine categories of 附表2."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="findings")
    category = models.CharField(_("不合格情况"), max_length=32, choices=FindingCategory.choices)
    description = models.TextField(_("问题描述"))
    ledger_entry = models.ForeignKey("ledger.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("整改台账条目"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.description[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:check-detail", args=[self.spot_check_id])


class SpotCheckEvidence(models.Model):
    """A file kept with a spot-check record (photos, records of the inspection)."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="evidence")
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.file_id)


class Penalty(models.Model):
    """An administrative penalty decided after a spot-check (警告; 罚款 in 万元).

    A final decision is immutable and may be published; a correction is a new decision.
    """

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.PROTECT, related_name="penalties")
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    warning = models.BooleanField(_("警告"), default=False)
    fine = models.DecimalField(_("罚款（万元）"), max_digits=9, decimal_places=4, default=Decimal("0"))
    decision_number = models.CharField(_("处罚决定书文号"), max_length=100)
    decided_on = models.DateField(_("处罚决定日期"))
    status = models.CharField(_("状态"), max_length=16, choices=PenaltyStatus.choices,
                              default=PenaltyStatus.DRAFT, db_index=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="province", region="region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "pk"]
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        constraints = [
            models.CheckConstraint(condition=Q(fine__gte=0), name="supervision_penalty_fine_not_negative"),
            models.CheckConstraint(condition=Q(warning=True) | Q(fine__gt=0),
                                   name="supervision_penalty_is_something"),
            models.UniqueConstraint(fields=["province", "decision_number"], name="supervision_penalty_number"),
        ]

    def __str__(self) -> str:
        return self.decision_number


class Campaign(models.Model):
    """A special campaign (专项治理) with a period, dated steps and the institutions in scope."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所属区划"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("组织单位"))
    name = models.CharField(_("专项治理名称"), max_length=200)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # An institution sees the campaigns it is in scope of, through its membership.
    scope = ScopeSpec(province="province", region="region", institution="members__institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "name"]
        verbose_name = _("专项治理")
        verbose_name_plural = _("专项治理")
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")),
                                   name="supervision_campaign_period_in_order"),
            models.UniqueConstraint(fields=["organisation", "name"], name="supervision_campaign_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("supervision:campaign-detail", args=[self.pk])


class CampaignStep(models.Model):
    """One dated step of a campaign (e.g. 自查自改, 执法检查, 总结验收)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(_("阶段名称"), max_length=64)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="supervision_step_in_order"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignInstitution(models.Model):
    """An institution in a campaign's scope: it owes a self-inspection."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")

    scope = ScopeSpec(province="province", region="region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "institution"], name="supervision_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}：{self.institution}"


class SelfInspection(models.Model):
    """An institution's self-inspection for a campaign, with the fields of 附表1 (自查情况登记表).

    The exam categories are copied from the institution's accepted filing when it files,
    so the form shows what was filed at the time.
    """

    member = models.OneToOneField(CampaignInstitution, on_delete=models.PROTECT, related_name="self_inspection")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="self_inspections")
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    categories = models.JSONField(_("检查类别"), default=list, blank=True)
    off_site = models.BooleanField(_("外出体检"), default=False)
    employers_examined = models.PositiveIntegerField(_("职业健康检查家数"))
    workers_examined = models.PositiveIntegerField(_("职业健康检查人数"))
    report = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("自查报告"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    filed_at = models.DateTimeField(_("填报时间"))
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["institution__name"]
        verbose_name = _("自查情况")
        verbose_name_plural = _("自查情况")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "institution"], name="supervision_self_inspection_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}：{self.institution}"


class SelfInspectionProblem(models.Model):
    """A problem found in self-inspection, with the date it was (or will be) fixed."""

    self_inspection = models.ForeignKey(SelfInspection, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("自查发现问题"))
    fix_on = models.DateField(_("整改日期"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.description[:40]
