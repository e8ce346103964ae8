"""The problem list and rectification ledger (问题清单、整改台账) [241-4] [241-5].

One ledger holds the findings of every source (QC assessments, on-site verification,
supervision, case-report spot checks). The source is kept as content type, id and a
text label, so the ledger never imports the app that found the problem.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import (
    FINAL_STATUSES,
    STATUS_BADGE,
    CaseReportKind,
    LedgerSource,
    LedgerStatus,
    Severity,
    StepKind,
    VerificationMethod,
)


class LedgerEntry(models.Model):
    """One problem found at one institution, with what must be done by when, and where it stands."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                    related_name="ledger_entries", verbose_name=_("机构"))
    source = models.CharField(_("问题来源"), max_length=32, choices=LedgerSource.choices)
    source_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    source_id = models.CharField(max_length=64, blank=True)
    source_label = models.CharField(_("来源记录"), max_length=255, blank=True)
    source_url = models.CharField(max_length=255, blank=True)
    description = models.TextField(_("问题描述"))
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices)
    requirement = models.TextField(_("整改要求"))
    due_on = models.DateField(_("整改期限"))
    responsible_name = models.CharField(_("整改责任人"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=LedgerStatus.choices, default=LedgerStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    # The authority that raised the problem: a supervision body keeps sight of what it raised.
    opened_by_organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+",
                                               verbose_name=_("提出单位"))
    opened_at = models.DateTimeField(_("列入时间"), default=timezone.now)
    plan_accepted_at = models.DateTimeField(_("方案认可时间"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("最近进展时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("整改台账条目")
        verbose_name_plural = _("整改台账")
        indexes = [
            # The list: a province's entries by due date, optionally one status.
            models.Index(fields=["province", "due_on", "id"], name="ledger_province_due"),
            # The national reading of every province, in the same order.
            models.Index(fields=["due_on", "id"], name="ledger_due"),
            models.Index(fields=["province", "status", "due_on"], name="ledger_province_status_due"),
            models.Index(fields=["institution", "status"], name="ledger_institution_status"),
            models.Index(fields=["source_type", "source_id"], name="ledger_source_object"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("ledger:detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"ZG{self.opened_at:%Y}-{self.pk or 0:06d}"

    @property
    def badge(self) -> str:
        return STATUS_BADGE.get(self.status, "")

    def is_overdue(self, today) -> bool:
        """Overdue: the due date has passed and the entry is not closed."""
        return self.due_on < today and self.status != LedgerStatus.CLOSED

    def overdue_days(self, today) -> int:
        return (today - self.due_on).days if self.is_overdue(today) else 0

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class LedgerStep(models.Model):
    """One dated step of an entry's timeline: who did what, when, with which text and files."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("步骤"), max_length=32, choices=StepKind.choices)
    status_after = models.CharField(_("之后状态"), max_length=16, choices=LedgerStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    # Copies, so the timeline still reads right after a person moves or an organisation is renamed.
    actor_name = models.CharField(_("经办人"), max_length=150, blank=True)
    organisation_name = models.CharField(_("经办单位"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    text = models.TextField(_("说明"), blank=True)
    verification_method = models.CharField(_("核查方式"), max_length=16, choices=VerificationMethod.choices,
                                           blank=True)
    verified_on = models.DateField(_("核查日期"), null=True, blank=True)

    scope = ScopeSpec(province="entry__province", region="entry__region", institution="entry__institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["entry", "at", "pk"]
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.kind} {self.at:%Y-%m-%d}"


class LedgerEvidence(models.Model):
    """A file attached to a step: a plan, proof of the fix, or the authority's verification record."""

    step = models.ForeignKey(LedgerStep, on_delete=models.CASCADE, related_name="evidence")
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")

    def __str__(self) -> str:
        return f"{self.step_id}: {self.file_id}"


class CaseReportCheck(models.Model):
    """An authority's spot check of one case report an institution uploaded (个案报告卡抽查) [241-4]."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                    related_name="case_report_checks", verbose_name=_("机构"))
    report_kind = models.CharField(_("报告卡类型"), max_length=16, choices=CaseReportKind.choices,
                                   default=CaseReportKind.EXAMINATION)
    report_number = models.CharField(_("报告卡编号"), max_length=64)
    sample_date = models.DateField(_("抽查日期"))
    note = models.TextField(_("抽查说明"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_by_organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+",
                                                verbose_name=_("抽查单位"))
    created_at = models.DateTimeField(auto_now_add=True)

    # Spot checks are the authorities' working files: institutions see the ledger entries opened from them.
    scope = ScopeSpec(province="province", region="region", institution=None)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sample_date", "-pk"]
        verbose_name = _("个案报告抽查")
        verbose_name_plural = _("个案报告抽查")
        constraints = [
            models.UniqueConstraint(fields=["institution", "report_kind", "report_number", "sample_date"],
                                    name="ledger_one_check_per_report_and_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_report_kind_display()} {self.report_number}"

    def get_absolute_url(self) -> str:
        return reverse("ledger:check-detail", args=[self.pk])


class CaseReportProblem(models.Model):
    """A problem found in a sampled case report; it becomes a ledger entry once the authority opens one."""

    check_record = models.ForeignKey(CaseReportCheck, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("发现的问题"))
    order = models.PositiveSmallIntegerField(default=0)
    ledger_entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="case_report_problem")

    class Meta:
        ordering = ["check_record", "order", "pk"]
        verbose_name = _("抽查发现的问题")
        verbose_name_plural = _("抽查发现的问题")

    def __str__(self) -> str:
        return self.description[:50]
