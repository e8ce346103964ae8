from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "reporting.dashboards"
    label = "dashboards"
    verbose_name = _("工作台统计")

    def home_panels(self, request) -> list[dict]:
        """Called by the portal's home page: the authority's dashboard panels, or the institution's own
        (portal never imports reporting, so it asks every app for panels)."""
        from django.utils import timezone

        from .panels import home_panels

        return home_panels(request.user, today=timezone.localdate())
