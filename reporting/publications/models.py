"""Publications (公示 / 通报): dated, immutable snapshots of a public list [241-5]."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import SNAPSHOT_STATUSES, STATUS_BADGE, PublicationKind, PublicationStatus


class SnapshotFrozen(Exception):
    """A published snapshot was about to change: new data makes a new publication instead."""


def _file_path(instance: Publication, filename: str) -> str:
    # A fresh name every time: a file once served is never overwritten.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"publications/{instance.province.code}/{instance.year}/{instance.pk}-{uuid.uuid4().hex}.{extension}"


# Fields that make up the published snapshot; frozen once the publication is published.
FROZEN_FIELDS = ("province_id", "kind", "number", "year", "sequence", "title", "authority_id", "authority_name",
                 "data_as_of", "next_update_on", "notes", "published_at", "row_count", "columns", "pdf", "xlsx",
                 "pdf_pages")


class Publication(models.Model):
    """One dated snapshot of a public list: a page, a PDF and an Excel file, with a number.

    Written by :mod:`reporting.publications.services` only. Once published its rows and files
    never change (``save`` refuses, and rows cannot be updated or deleted); later data makes a
    new publication and the old one stays browsable.
    """

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    kind = models.CharField(_("公示类型"), max_length=32, choices=PublicationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    authority = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("发布机关"))
    # The name as it stood when published: a later renaming must not change a published document.
    authority_name = models.CharField(_("发布机关名称"), max_length=200)
    data_as_of = models.DateField(_("数据截止日期"))
    next_update_on = models.DateField(_("下次更新日期"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PublicationStatus.choices,
                              default=PublicationStatus.SCHEDULED, db_index=True)
    scheduled_for = models.DateTimeField(_("计划发布时间"))
    # Given when published, so that a cancelled one leaves no gap in the numbers.
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("文号"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("发布人"))
    row_count = models.PositiveIntegerField(_("条数"), default=0)
    columns = models.JSONField(_("列"), default=list, blank=True)
    pdf = models.FileField(upload_to=_file_path, max_length=255, blank=True)
    pdf_pages = models.PositiveIntegerField(default=0)
    xlsx = models.FileField(upload_to=_file_path, max_length=255, blank=True)
    failure_reason = models.TextField(_("失败原因"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(_("撤回原因"), blank=True)
    # A form's one-time key: the same form sent twice schedules one publication.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-scheduled_for", "-pk"]
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        constraints = [
            models.UniqueConstraint(fields=["province", "kind", "year", "sequence"], name="publication_number",
                                    condition=Q(sequence__isnull=False)),
        ]
        indexes = [
            # The public list: published ones, newest first, by kind and year.
            models.Index(fields=["status", "kind", "year", "published_at"], name="publication_public"),
            # The beat task: scheduled ones whose time has come.
            models.Index(fields=["status", "scheduled_for"], name="publication_due"),
        ]

    def __str__(self) -> str:
        return self.number or self.title

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded.get("status") in SNAPSHOT_STATUSES:
            changed = [name for name in FROZEN_FIELDS if name in loaded and name in self.__dict__
                       and _stored(self.__dict__[name]) != _stored(loaded[name])]
            if changed:
                raise SnapshotFrozen(f"publication {self.pk} is published; {', '.join(changed)} cannot change")
        super().save(*args, **kwargs)
        self._loaded = _loaded(self)

    def get_absolute_url(self) -> str:
        return reverse("public_publications:detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if getattr(self, "_loaded", {}).get("status") in SNAPSHOT_STATUSES:
            raise SnapshotFrozen(f"publication {self.pk} is published and cannot be deleted")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = _loaded(instance)
        return instance

    @property
    def badge(self) -> str:
        return STATUS_BADGE.get(self.status, "")

    @property
    def is_public(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    def file_name(self, extension: str) -> str:
        """The name a download is saved under: number and title, in Chinese."""
        stem = f"{self.number} {self.title}" if self.number else self.title
        return f"{stem}.{extension}".replace("/", "-")


def _loaded(instance: Publication) -> dict:
    # Only what was fetched: a deferred field is not a change when it is read later.
    return {name: instance.__dict__[name] for name in (*FROZEN_FIELDS, "status") if name in instance.__dict__}


def _stored(value):
    # A FieldFile compares by name; keep the comparison on what is stored.
    return getattr(value, "name", value)


class PublicationRowQuerySet(models.QuerySet):
    """Rows are written once, in bulk, by the publishing service; never updated or deleted."""

    def update(self, **kwargs):
        raise SnapshotFrozen("publication rows are a snapshot and cannot be updated")

    def delete(self):
        raise SnapshotFrozen("publication rows are a snapshot and cannot be deleted")


class PublicationRow(models.Model):
    """One row of a published list, as it stood when published (values: text, numbers, ISO dates)."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="rows")
    position = models.PositiveIntegerField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    objects = PublicationRowQuerySet.as_manager()

    class Meta:
        ordering = ["publication", "position"]
        verbose_name = _("公示条目")
        verbose_name_plural = _("公示条目")
        constraints = [models.UniqueConstraint(fields=["publication", "position"], name="publication_row_position")]

    def __str__(self) -> str:
        return f"{self.publication_id}#{self.position}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotFrozen("publication rows are a snapshot and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotFrozen("publication rows are a snapshot and cannot be deleted")


class PublicationSequence(models.Model):
    """The last number given per province, kind and year; locked while a number is taken."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=PublicationKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["province", "kind", "year"], name="publication_sequence")]

    def __str__(self) -> str:
        return f"{self.province_id} {self.kind} {self.year}: {self.last}"
