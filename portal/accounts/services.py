"""Writes on organisations and users. Every one is permission-checked by the caller
against the scoped queryset and audited here."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from portal.audit.services import audit, audit_create, snapshot
from portal.regions.models import Region, RegionLevel

from .choices import ADMIN_CAPABLE_KINDS, OrgKind
from .models import Organisation, User

ORG_FIELDS = ["name", "kind", "region", "credit_code", "contact_name", "contact_phone"]
USER_FIELDS = ["username", "full_name", "email", "phone", "organisation", "is_province_admin"]


def _check_region_in_province(*, region: Region | None, province: Region | None, kind: str) -> None:
    if kind == OrgKind.NATIONAL:
        return
    if region is None:
        raise ValidationError({"region": _("请选择所在或管辖的行政区划。")})
    if province is None or region.province_id != province.pk:
        raise ValidationError({"region": _("所选区划不属于本省。")})


def _check_credit_code(credit_code: str | None, *, exclude_pk: int | None = None) -> str | None:
    if not credit_code:
        return None
    code = credit_code.strip().upper()
    clash = Organisation.objects.filter(credit_code=code)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"credit_code": _("该统一社会信用代码已被其他单位使用。")})
    return code


@transaction.atomic
def organisation_create(*, actor, province: Region, name: str, kind: str, region: Region,
                        credit_code: str | None = None, contact_name: str = "",
                        contact_phone: str = "") -> Organisation:
    if province.level != RegionLevel.PROVINCE:
        raise ValidationError({"province": _("租户必须是省级区划。")})
    _check_region_in_province(region=region, province=province, kind=kind)
    org = Organisation(
        name=name.strip(), kind=kind, province=province, region=region,
        credit_code=_check_credit_code(credit_code), contact_name=contact_name, contact_phone=contact_phone,
    )
    org.full_clean()
    org.save()
    audit_create(actor=actor, obj=org, action="accounts.organisation.created")
    return org


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, **changes) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = snapshot(org, ORG_FIELDS)
    if "credit_code" in changes:
        changes["credit_code"] = _check_credit_code(changes["credit_code"], exclude_pk=org.pk)
    for field, value in changes.items():
        if field not in ORG_FIELDS:
            raise ValueError(field)
        setattr(org, field, value)
    _check_region_in_province(region=org.region, province=org.province, kind=org.kind)
    org.full_clean()
    org.save()
    after = snapshot(org, ORG_FIELDS)
    if after != before:
        audit(actor=actor, obj=org, action="accounts.organisation.updated", old=before, new=after)
    return org


@transaction.atomic
def organisation_set_active(*, actor, organisation: Organisation, active: bool) -> Organisation:
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not active and org.pk == actor.organisation_id:
        raise ValidationError({"is_active": _("不能停用自己所在的单位。")})
    if org.is_active == active:
        return org
    org.is_active = active
    org.save(update_fields=["is_active", "updated_at"])
    audit(actor=actor, obj=org, action="accounts.organisation.activated" if active else
          "accounts.organisation.deactivated", old={"is_active": not active}, new={"is_active": active})
    return org


def _check_user_org(*, organisation: Organisation | None, is_province_admin: bool) -> None:
    if organisation is None:
        raise ValidationError({"organisation": _("请选择所属单位。")})
    if is_province_admin and organisation.kind not in ADMIN_CAPABLE_KINDS:
        raise ValidationError({"is_province_admin": _("只有卫生健康委或质控中心的用户可以担任省级管理员。")})
    if is_province_admin and organisation.level != RegionLevel.PROVINCE:
        raise ValidationError({"is_province_admin": _("省级管理员必须属于省级单位。")})


def _sync_institution_perm(user: User) -> None:
    """Institution staff reach their institution's records through a guardian grant."""
    from .models import OrganisationUserObjectPermission

    OrganisationUserObjectPermission.objects.filter(
        user=user, permission__codename="act_for_institution"
    ).exclude(content_object_id=user.organisation_id if user.is_active else None).delete()
    if user.is_active and user.organisation and user.organisation.kind == OrgKind.INSTITUTION:
        assign_perm("accounts.act_for_institution", user, user.organisation)
    user.__dict__.pop("_institution_ids_cache", None)


@transaction.atomic
def user_create(*, actor, username: str, password: str, organisation: Organisation, full_name: str = "",
                email: str = "", phone: str = "", is_province_admin: bool = False) -> User:
    _check_user_org(organisation=organisation, is_province_admin=is_province_admin)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("该用户名已存在。")})
    user = User(username=username, full_name=full_name, email=email, phone=phone,
                organisation=organisation, is_province_admin=is_province_admin)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _sync_institution_perm(user)
    audit(actor=actor, obj=user, action="accounts.user.created", province_id=organisation.province_id,
          new=snapshot(user, USER_FIELDS + ["is_active"]))
    return user


@transaction.atomic
def user_update(*, actor, user: User, **changes) -> User:
    target = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(target, USER_FIELDS)
    for field, value in changes.items():
        if field not in USER_FIELDS or field == "username":
            raise ValueError(field)
        setattr(target, field, value)
    _check_user_org(organisation=target.organisation, is_province_admin=target.is_province_admin)
    target.full_clean(exclude=["password"])
    target.save()
    _sync_institution_perm(target)
    after = snapshot(target, USER_FIELDS)
    if after != before:
        audit(actor=actor, obj=target, action="accounts.user.updated",
              province_id=target.organisation.province_id, old=before, new=after)
    return target


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    target = User.objects.select_for_update().get(pk=user.pk)
    if target.pk == actor.pk and not active:
        raise ValidationError({"is_active": _("不能停用自己的账号。")})
    if target.is_active == active:
        return target
    target.is_active = active
    target.save(update_fields=["is_active"])
    _sync_institution_perm(target)
    audit(actor=actor, obj=target, action="accounts.user.activated" if active else "accounts.user.deactivated",
          province_id=target.organisation.province_id if target.organisation_id else None,
          old={"is_active": not active}, new={"is_active": active})
    return target


def user_revoke_institution(*, user: User, organisation: Organisation) -> None:
    remove_perm("accounts.act_for_institution", user, organisation)
