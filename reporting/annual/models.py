"""The yearly provincial report to the national level (年度报告, due 10 January) [241-5].

A report holds a JSON snapshot of figures computed from the data at generation time, so the
files, the page and the national comparison all read the same numbers, and the numbers of a
submitted report never move when the underlying records change later.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import DUE_DAY, DUE_MONTH, NOTE_MAX_LENGTH, STATUS_BADGE, CaseKind, ReportStatus


class ProvincialReport(models.Model):
    """One province's report on one year: figures, typical cases, the generated Excel and PDF."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    year = models.PositiveSmallIntegerField(_("报告年度"))
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT,
                              db_index=True)
    figures = models.JSONField(_("统计数据"), default=dict, blank=True)
    xlsx_file = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("Excel 文件"))
    pdf_file = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("PDF 文件"))
    # The latest generation request; a task carrying another token is stale and does nothing.
    generation_token = models.CharField(max_length=32, blank=True)
    generation_requested_at = models.DateTimeField(_("申请生成时间"), null=True, blank=True)
    generation_error = models.TextField(_("生成失败原因"), blank=True)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("报送人"))
    submitted_late = models.BooleanField(_("逾期报送"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "province__code"]
        verbose_name = _("年度报告")
        verbose_name_plural = _("年度报告")
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="annual_one_report_per_province_year"),
            models.CheckConstraint(condition=~Q(status=ReportStatus.SUBMITTED) | Q(submitted_at__isnull=False),
                                   name="annual_submitted_has_date"),
        ]
        indexes = [models.Index(fields=["year", "status"], name="annual_year_status")]

    def __str__(self) -> str:
        return f"{self.province} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("annual_reports:detail", args=[self.pk])

    @property
    def due_on(self) -> date:
        return date(self.year + 1, DUE_MONTH, DUE_DAY)

    @property
    def badge(self) -> str:
        return STATUS_BADGE.get(self.status, "")

    @property
    def title(self) -> str:
        return f"{self.province.name}{self.year}年度职业健康检查质量控制、整改与监督情况报告"


class TypicalCase(models.Model):
    """A spot check or a penalty the provincial commission chose as a typical case (典型案例), with a note."""

    report = models.ForeignKey(ProvincialReport, on_delete=models.CASCADE, related_name="typical_cases")
    kind = models.CharField(_("类型"), max_length=16, choices=CaseKind.choices)
    spot_check = models.ForeignKey("supervision.SpotCheck", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("监督抽查"))
    penalty = models.ForeignKey("supervision.Penalty", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("行政处罚"))
    note = models.CharField(_("案例说明"), max_length=NOTE_MAX_LENGTH)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="report__province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "pk"]
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=CaseKind.SPOT_CHECK, spot_check__isnull=False, penalty__isnull=True)
                           | Q(kind=CaseKind.PENALTY, penalty__isnull=False, spot_check__isnull=True)),
                name="annual_case_one_subject"),
            models.UniqueConstraint(fields=["report", "spot_check"], name="annual_case_spot_check_once"),
            models.UniqueConstraint(fields=["report", "penalty"], name="annual_case_penalty_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.spot_check_id or self.penalty_id}"
