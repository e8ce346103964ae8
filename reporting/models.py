"""Reporting: deadline reminders (schedule, reminders sent, daily digests)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .reminders.stages import DEFAULT_DAYS_BEFORE, DEFAULT_OVERDUE_EVERY_DAYS


def default_days_before() -> list[int]:
    return list(DEFAULT_DAYS_BEFORE)


class ReminderSchedule(models.Model):
    """When a province's deadline reminders go out; a province without a row uses the defaults
    (30, 7 and 1 days before, on the day, weekly while overdue)."""

    province = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("省份"))
    days_before = models.JSONField(_("提前提醒天数"), default=default_days_before)
    on_due_day = models.BooleanField(_("到期当日提醒"), default=True)
    overdue_every_days = models.PositiveSmallIntegerField(_("逾期后每隔几天提醒"),
                                                          default=DEFAULT_OVERDUE_EVERY_DAYS)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("期限提醒设置")
        verbose_name_plural = _("期限提醒设置")

    def __str__(self) -> str:
        return f"{self.province}: {self.days_before}"


class ReminderDigest(models.Model):
    """The one message a person gets on a day about their new reminders.

    Unique per (recipient, day): of two scans, only the one that claims the row sends it.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest_date = models.DateField(_("日期"))
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-digest_date", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "digest_date"], name="reminder_digest_once_a_day"),
        ]
        indexes = [
            models.Index(fields=["digest_date"], condition=Q(sent_at__isnull=True), name="reminder_digest_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.digest_date}"


class Reminder(models.Model):
    """One stage of one deadline, for one person. The row is the proof that it was sent:
    its uniqueness makes a re-run, a retry or a second beat process send nothing again."""

    # Foreign keys without their own index where another index leads with the column (the
    # unique key, the inbox) or lookups go through the recipient (the digest) or nothing looks
    # rows up by it (regions are never deleted): the daily scan writes and then updates tens of
    # thousands of rows, and every index costs each of them twice.
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    subject_id = models.PositiveBigIntegerField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("接收人"), db_index=False)
    kind = models.CharField(_("期限类型"), max_length=64)
    due_date = models.DateField(_("到期日"))
    stage = models.CharField(_("提醒阶段"), max_length=24)
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"), db_index=False)
    title = models.CharField(_("事项"), max_length=255)
    url = models.CharField(max_length=500, blank=True)
    scan_date = models.DateField(_("发现日期"))
    digest = models.ForeignKey(ReminderDigest, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="reminders", db_index=False)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scan_date", "due_date", "pk"]
        verbose_name = _("期限提醒")
        verbose_name_plural = _("期限提醒")
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "recipient", "kind", "due_date", "stage"],
                                    name="reminder_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-scan_date"], name="reminder_inbox"),
            models.Index(fields=["scan_date"], name="reminder_scan_date"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.stage})"
