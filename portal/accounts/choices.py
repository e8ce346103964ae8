from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    INSTITUTION = "institution", _("职业健康检查/职业病诊断机构")
    QC_CENTER = "qc_center", _("质量控制中心")
    HEALTH_COMMISSION = "health_commission", _("卫生健康行政部门")
    DISEASE_CONTROL = "disease_control", _("疾病预防控制主管部门")
    SUPERVISION = "supervision", _("卫生健康监督机构")
    NATIONAL = "national", _("国家级主管部门")


class Role(models.TextChoices):
    """What a user does, derived from their organisation and its level.

    Roles are not stored: an organisation's kind and region decide them, so moving
    a user to another organisation can never leave a stale role behind.
    """

    SYSTEM_ADMIN = "system_admin", _("平台管理员")
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    INSTITUTION = "institution", _("机构用户")
    QC_CENTER = "qc_center", _("质控中心")
    COMMISSION_PROVINCE = "commission_province", _("省级卫生健康委")
    COMMISSION_CITY = "commission_city", _("市级卫生健康委")
    COMMISSION_COUNTY = "commission_county", _("县级卫生健康局")
    DISEASE_CONTROL = "disease_control", _("疾控主管部门")
    SUPERVISION = "supervision", _("卫生监督机构")
    NATIONAL = "national", _("国家级（只读）")
    NONE = "none", _("未分配")


AUTHORITY_ROLES = frozenset(
    {
        Role.PROVINCE_ADMIN,
        Role.QC_CENTER,
        Role.COMMISSION_PROVINCE,
        Role.COMMISSION_CITY,
        Role.COMMISSION_COUNTY,
        Role.DISEASE_CONTROL,
        Role.SUPERVISION,
    }
)
COMMISSION_ROLES = frozenset({Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY, Role.COMMISSION_COUNTY})
# Organisation kinds whose users may be made provincial administrators.
ADMIN_CAPABLE_KINDS = frozenset({OrgKind.HEALTH_COMMISSION, OrgKind.QC_CENTER})
