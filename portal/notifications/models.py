"""In-app notifications: the bell, the list and the e-mail copy, for every app."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one user.

    A notification belongs to its recipient and to nobody else: selectors filter on
    ``recipient`` rather than on the tenant scope, so even a provincial administrator
    never sees a colleague's notifications. ``dedupe_key`` makes a repeated send of
    the same message to the same user a no-op (a retried task, a daily digest).
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("接收人"))
    province = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("省份"))
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=255)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    subject_id = models.CharField(max_length=64, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Set when the e-mail copy is claimed for sending, so that two workers never both send it.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The bell counts on every page: a small index of unread rows only.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="notification_once_per_key"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
