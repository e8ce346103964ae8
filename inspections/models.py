"""On-site verification after filing (现场核查) and off-site examination notices (外出职业健康检查告知书)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import (
    VERIFICATION_PENDING,
    Answer,
    ChecklistSection,
    ChecklistVersionStatus,
    NotificationStatus,
    VerificationOutcome,
    VerificationStatus,
)


class ChecklistVersion(models.Model):
    """One numbered edition of a province's verification checklist.

    A draft may be edited or replaced; once published it is frozen, because the
    verifications that used it must keep meaning what they meant.
    """

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=ChecklistVersionStatus.choices,
                              default=ChecklistVersionStatus.DRAFT, db_index=True)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province", "-number"]
        verbose_name = _("核查表版本")
        verbose_name_plural = _("核查表版本")
        constraints = [models.UniqueConstraint(fields=["province", "number"], name="checklist_version_number")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class ChecklistLine(models.Model):
    """One thing the inspectors check, under one of the key links."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="lines")
    section = models.CharField(_("核查环节"), max_length=32, choices=ChecklistSection.choices)
    code = models.CharField(_("编号"), max_length=16)
    text = models.CharField(_("核查内容"), max_length=500)
    method = models.CharField(_("核查方法"), max_length=255, blank=True)
    is_key = models.BooleanField(_("关键项"), default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("核查条目")
        verbose_name_plural = _("核查条目")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="checklist_line_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class VerificationCase(models.Model):
    """The on-site verification of one newly accepted filing, due 3 months after filing."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    filing = models.OneToOneField("filing.Filing", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("备案"))
    filing_version = models.ForeignKey("filing.FilingVersion", on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("核查依据的备案版本"))
    filed_on = models.DateField(_("备案日期"))
    due_on = models.DateField(_("核查期限"), db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=VerificationStatus.choices,
                              default=VerificationStatus.OPEN, db_index=True)
    scheduled_on = models.DateField(_("核查日期"), null=True, blank=True)
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                  verbose_name=_("核查组成员"))
    schedule_note = models.CharField(_("安排说明"), max_length=255, blank=True)
    checklist_version = models.ForeignKey(ChecklistVersion, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="cases", verbose_name=_("核查表版本"))
    started_at = models.DateTimeField(_("开始核查时间"), null=True, blank=True)
    outcome = models.CharField(_("核查结论"), max_length=16, choices=VerificationOutcome.choices, blank=True)
    outcome_note = models.TextField(_("结论说明"), blank=True)
    signed_off_on = models.DateField(_("签发日期"), null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("现场核查")
        verbose_name_plural = _("现场核查")

    def __str__(self) -> str:
        return f"{self.institution} 现场核查"

    def get_absolute_url(self) -> str:
        return reverse("inspections:verification-detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        """Still to be done (neither signed off nor ended with its filing): only such a case can be overdue."""
        return self.status in VERIFICATION_PENDING


class ChecklistAnswer(models.Model):
    """The inspectors' answer to one line of the checklist for one case."""

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="answers")
    line = models.ForeignKey(ChecklistLine, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(_("核查结果"), max_length=16, choices=Answer.choices)
    note = models.TextField(_("说明"), blank=True)
    evidence = models.ManyToManyField("core.StoredFile", blank=True, related_name="+",
                                      verbose_name=_("佐证照片或文件"))
    # The ledger belongs to QC; the id is kept rather than a foreign key so that this app
    # never depends on the ledger's schema.
    ledger_entry_id = models.PositiveIntegerField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line__order", "line_id"]
        constraints = [models.UniqueConstraint(fields=["case", "line"], name="one_answer_per_line")]

    def __str__(self) -> str:
        return f"{self.line.code}: {self.get_answer_display()}"


class ItemFinding(models.Model):
    """The verdict on one filed item: capable or not (the public directory follows it)."""

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="item_findings")
    item_code = models.CharField(_("项目代码"), max_length=64)
    item_name = models.CharField(_("项目名称"), max_length=300)
    capable = models.BooleanField(_("具备能力"), default=True)
    reason = models.CharField(_("理由"), max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["case", "item_code"], name="one_finding_per_item")]

    def __str__(self) -> str:
        return self.item_name


class VerificationCorrection(models.Model):
    """A change to a signed-off result; the only way such a result changes."""

    case = models.ForeignKey(VerificationCase, on_delete=models.PROTECT, related_name="corrections")
    reason = models.TextField(_("更正理由"))
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("核查结论更正")
        verbose_name_plural = _("核查结论更正")

    def __str__(self) -> str:
        return f"{self.case} 更正 {self.created_at:%Y-%m-%d}"


class OffSiteNotification(models.Model):
    """外出职业健康检查告知书 [JL attachment 2], routed to the authority where the employer is."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("检查机构"))
    filing = models.ForeignKey("filing.Filing", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("备案"))
    filing_version = models.ForeignKey("filing.FilingVersion", on_delete=models.PROTECT, related_name="+")
    employer_name = models.CharField(_("用人单位名称"), max_length=200)
    employer_credit_code = models.CharField(_("用人单位统一社会信用代码"), max_length=18)
    employer_address = models.CharField(_("用人单位地址"), max_length=255)
    employer_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("用人单位所在县（市、区）"))
    work_site = models.CharField(_("体检地点"), max_length=255)
    work_site_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("体检地点所在县（市、区）"))
    # The authority the notice goes to: the employer's county, or its city under delegation (代管) [JL-3].
    routed_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("告知的卫生健康行政部门辖区"))
    starts_on = models.DateField(_("开始日期"), db_index=True)
    ends_on = models.DateField(_("结束日期"))
    expected_workers = models.PositiveIntegerField(_("预计体检人数"))
    categories = models.JSONField(_("检查类别"), default=list)
    items = models.JSONField(_("检查项目"), default=list, help_text=_("[{code, name}]"))
    exam_types = models.JSONField(_("检查类型"), default=list)
    staff = models.JSONField(_("现场人员"), default=list, help_text=_("[{name, role}]"))
    vehicles = models.JSONField(_("车辆"), default=list)
    equipment = models.JSONField(_("仪器设备"), default=list)
    sample_handling = models.TextField(_("样品采集、保存与运送"))
    biosafety = models.TextField(_("放射防护与生物安全措施"))
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=NotificationStatus.choices,
                              default=NotificationStatus.SUBMITTED, db_index=True)
    submitted_at = models.DateTimeField(_("告知时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    acknowledgement_note = models.CharField(_("确认意见"), max_length=500, blank=True)
    visit_planned_on = models.DateField(_("拟现场监督日期"), null=True, blank=True)
    visit_note = models.CharField(_("现场监督安排"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="routed_region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("外出职业健康检查告知书")
        verbose_name_plural = _("外出职业健康检查告知书")
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="offsite_dates_in_order")]

    def __str__(self) -> str:
        return f"{self.institution} → {self.employer_name} {self.starts_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:notification-detail", args=[self.pk])
