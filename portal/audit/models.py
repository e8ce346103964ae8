from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec


class AuditImmutableError(Exception):
    pass


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AuditImmutableError("audit rows cannot be changed")

    def delete(self):
        raise AuditImmutableError("audit rows cannot be deleted")


class AuditEntry(models.Model):
    """Who did what to which record, with old and new values. Written once, never changed."""

    province = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("省份"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("记录类型")
    )
    object_id = models.CharField(_("记录编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("记录"), max_length=255, blank=True)
    old = models.JSONField(_("原值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("新值"), null=True, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    scope = ScopeSpec(province="province")
    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditImmutableError("audit rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("audit rows cannot be deleted")

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        old, new = self.old or {}, self.new or {}
        if not isinstance(old, dict) or not isinstance(new, dict):
            return [("value", old, new)]
        # Sorted: PostgreSQL's jsonb does not keep the order the keys were written in.
        keys = sorted(set(old) | set(new))
        return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]
