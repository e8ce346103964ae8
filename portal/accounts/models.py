from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.regions.models import Region, RegionLevel

from .choices import ADMIN_CAPABLE_KINDS, OrgKind, Role
from .scoping import ScopedQuerySet, ScopeSpec


class Organisation(models.Model):
    """An institution or an authority; the tenant is its ``province``.

    An authority's ``region`` is its jurisdiction (province, city or county); an
    institution's ``region`` is where it is located.
    """

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=32, choices=OrgKind.choices, db_index=True)
    province = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属省份"),
        limit_choices_to={"level": RegionLevel.PROVINCE},
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations",
        verbose_name=_("所在/管辖区划"),
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="region", institution="pk")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province__code", "kind", "name"]
        verbose_name = _("机构/单位")
        verbose_name_plural = _("机构/单位")
        permissions = [("act_for_institution", _("代表本机构办理业务"))]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str | None:
        return self.region.level if self.region_id else None


class PortalUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("所属单位"),
    )
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=32, blank=True)
    is_province_admin = models.BooleanField(
        _("省级管理员"), default=False, help_text=_("可管理本省的单位与用户、查看审计日志。")
    )

    scope = ScopeSpec(province="organisation__province", region="organisation__region",
                      institution="organisation")
    objects = PortalUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role(self) -> str:
        if self.is_superuser:
            return Role.SYSTEM_ADMIN
        org = self.organisation
        # A deactivated organisation's staff keep their accounts but no longer act for anyone.
        if org is None or not org.is_active:
            return Role.NONE
        if self.is_province_admin and org.kind in ADMIN_CAPABLE_KINDS:
            return Role.PROVINCE_ADMIN
        if org.kind == OrgKind.HEALTH_COMMISSION:
            return {
                RegionLevel.PROVINCE: Role.COMMISSION_PROVINCE,
                RegionLevel.CITY: Role.COMMISSION_CITY,
                RegionLevel.COUNTY: Role.COMMISSION_COUNTY,
            }.get(org.level, Role.NONE)
        return {
            OrgKind.INSTITUTION: Role.INSTITUTION,
            OrgKind.QC_CENTER: Role.QC_CENTER,
            OrgKind.DISEASE_CONTROL: Role.DISEASE_CONTROL,
            OrgKind.SUPERVISION: Role.SUPERVISION,
            OrgKind.NATIONAL: Role.NATIONAL,
        }[org.kind]

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def province_id_or_none(self) -> int | None:
        return self.organisation.province_id if self.organisation_id else None

    @property
    def is_admin(self) -> bool:
        """Administrators must use a second factor in production mode."""
        return self.is_superuser or self.is_staff or self.role == Role.PROVINCE_ADMIN


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key, as django-guardian recommends for performance."""

    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)
