from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.permissions import has_capability

# (label, url name, capability). Domain apps appear here once they have pages.
NAV = [
    (_("工作台"), "core:home", "portal.home"),
    (_("备案"), "filing:index", "portal.home"),
    (_("现场核查与外出体检"), "inspections:index", "portal.home"),
    (_("质量控制"), "qc:index", "portal.home"),
    (_("整改台账"), "ledger:list", "ledger.view"),
    (_("报告与公示"), "reporting:index", "portal.oversee"),
    (_("期限提醒"), "reporting:reminders", "portal.home"),
    (_("检查项目目录"), "catalogue:index", "catalogue.view"),
    (_("单位管理"), "accounts:organisation-list", "accounts.manage_province"),
    (_("用户管理"), "accounts:user-list", "accounts.manage_province"),
    (_("代管设置"), "regions:delegation", "accounts.manage_province"),
    (_("审计日志"), "audit:list", "audit.view"),
    (_("工作日历"), "workdays:list", "workdays.manage"),
]


def portal(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        nav = [
            {"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name))
             and reverse(name) != "/"}
            for label, name, cap in NAV
            if has_capability(user, cap)
        ]
    return {"portal_nav": nav, "portal_name": _("职业健康检查机构备案与质量控制平台")}
