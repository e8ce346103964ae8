"""The demo province: real regions of Jilin, one organisation and one user per role.

Safe to run twice: everything is looked up by a natural key before it is created.
Domain apps extend it by defining ``seed_demo(context)`` on their AppConfig.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation, User
from portal.accounts.services import _sync_institution_perm
from portal.regions.models import Region

DEMO_PASSWORD = "Demo#2026portal"
DEMO_PROVINCE = "220000"  # 吉林省
OTHER_PROVINCE = "210000"  # 辽宁省: shows that tenants never see each other


@dataclass
class DemoContext:
    province: Region
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


ORGS = [
    # key, name, kind, region code
    ("commission_province", "吉林省卫生健康委员会", OrgKind.HEALTH_COMMISSION, "220000"),
    ("qc_center", "吉林省职业病防治院（省职业健康质量控制中心）", OrgKind.QC_CENTER, "220000"),
    ("disease_control", "吉林省疾病预防控制局", OrgKind.DISEASE_CONTROL, "220000"),
    ("supervision", "吉林省卫生健康综合监督保障中心", OrgKind.SUPERVISION, "220000"),
    ("commission_city", "长春市卫生健康委员会", OrgKind.HEALTH_COMMISSION, "220100"),
    ("commission_county", "长春市南关区卫生健康局", OrgKind.HEALTH_COMMISSION, "220102"),
    ("commission_city_jilin", "吉林市卫生健康委员会", OrgKind.HEALTH_COMMISSION, "220200"),
    ("institution", "长春市职业病防治院", OrgKind.INSTITUTION, "220104"),
]
USERS = [
    # username, full name, org key, province admin, role shown
    ("admin_jl", "王晓东", "commission_province", True, "省级管理员"),
    ("wjw_jl", "张艳梅", "commission_province", False, "省级卫生健康委"),
    ("zk_jl", "李明", "qc_center", False, "质控中心"),
    ("jk_jl", "杨光", "disease_control", False, "疾控主管部门"),
    ("jd_jl", "赵强", "supervision", False, "卫生监督机构"),
    ("wjw_cc", "孙丽", "commission_city", False, "市级卫生健康委"),
    ("wjw_ng", "周涛", "commission_county", False, "县级卫生健康局"),
    ("jg_ccz", "刘芳", "institution", False, "机构用户"),
]


def _org(key: str, name: str, kind: str, code: str, province: Region, credit_code: str | None = None):
    region = Region.objects.get(code=code)
    org, _ = Organisation.objects.get_or_create(
        name=name, province=province if kind != OrgKind.NATIONAL else None,
        defaults={"kind": kind, "region": region, "credit_code": credit_code},
    )
    return org


def _user(username: str, full_name: str, org: Organisation, is_admin: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "organisation": org, "is_province_admin": is_admin}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    _sync_institution_perm(user)
    return user


@transaction.atomic
def seed_demo() -> DemoContext:
    province = Region.objects.get(code=DEMO_PROVINCE)
    ctx = DemoContext(province=province)
    for key, name, kind, code in ORGS:
        credit = "12220100412345678C" if key == "institution" else None
        ctx.orgs[key] = _org(key, name, kind, code, province, credit)
    for username, full_name, org_key, is_admin, label in USERS:
        ctx.users[username] = _user(username, full_name, ctx.orgs[org_key], is_admin)
        ctx.logins.append((label, username, ctx.orgs[org_key].name))
    national = _org("national", "国家卫生健康委员会职业健康司", OrgKind.NATIONAL, "110000", province)
    national.province = None
    national.save(update_fields=["province"])
    ctx.users["gj"] = _user("gj_nhc", "陈静", national)
    ctx.logins.append(("国家级（只读）", "gj_nhc", national.name))
    other = Region.objects.get(code=OTHER_PROVINCE)
    other_org = _org("other", "辽宁省卫生健康委员会", OrgKind.HEALTH_COMMISSION, OTHER_PROVINCE, other)
    ctx.users["admin_ln"] = _user("admin_ln", "高峰", other_org, True)
    ctx.logins.append(("省级管理员（另一省，用于验证隔离）", "admin_ln", other_org.name))
    superuser, created = User.objects.get_or_create(username="platform", defaults={
        "full_name": "平台管理员", "is_superuser": True, "is_staff": True})
    if created:
        superuser.set_password(DEMO_PASSWORD)
        superuser.save()
    ctx.logins.append(("平台管理员（工作日历、系统后台）", "platform", "—"))
    for config in apps.get_app_configs():
        seeder = getattr(config, "seed_demo", None)
        if seeder:
            seeder(ctx)
    return ctx
