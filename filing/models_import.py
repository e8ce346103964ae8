"""Bulk import of institutions that were filed before the portal existed (provincial spreadsheets)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

__all__ = ["IMPORT_TRANSITIONS", "ImportJob", "ImportStatus"]


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("检查中")
    INVALID = "invalid", _("有错误，未导入")
    READY = "ready", _("检查通过，待确认导入")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("导入失败，未保存任何数据")


# A failed or invalid job is final: the administrator corrects the file and uploads it again.
IMPORT_TRANSITIONS = {
    ImportStatus.CHECKING: {ImportStatus.READY, ImportStatus.INVALID, ImportStatus.FAILED},
    ImportStatus.READY: {ImportStatus.IMPORTING},
    ImportStatus.IMPORTING: {ImportStatus.DONE, ImportStatus.INVALID, ImportStatus.FAILED},
    ImportStatus.INVALID: set(),
    ImportStatus.DONE: set(),
    ImportStatus.FAILED: set(),
}
IMPORT_RUNNING = frozenset({ImportStatus.CHECKING, ImportStatus.IMPORTING})


class ImportJob(models.Model):
    """One uploaded workbook of already-filed institutions: its dry run and, once confirmed, its import.

    The workbook is kept as a :class:`~portal.core.models.StoredFile` and never
    overwritten; the commit reads it again, so what is imported is exactly what was checked.
    """

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("上传的文件"))
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices,
                              default=ImportStatus.CHECKING, db_index=True)
    rows_total = models.PositiveIntegerField(_("机构行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    # [{"sheet", "row", "column", "message"}]; capped, error_count says how many were found.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # {"create": n, "skip": n, "items": n, "skipped": [{"row", "credit_code", "name", "reason"}], ...}
    summary = models.JSONField(_("检查结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("上传人"))
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("确认导入人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("检查完成时间"), null=True, blank=True)
    committed_at = models.DateTimeField(_("导入完成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("备案导入")
        verbose_name_plural = _("备案导入")

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in IMPORT_RUNNING
