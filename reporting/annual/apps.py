from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnualReportsConfig(AppConfig):
    name = "reporting.annual"
    label = "annual_reports"
    verbose_name = _("年度报告")

    def ready(self):
        from . import permissions  # noqa: F401  registers the report's capabilities

    def seed_demo(self, ctx) -> None:
        """Last year's report of the demo province, generated and submitted; safe to run twice."""
        from .demo import seed_annual_demo

        seed_annual_demo(ctx)
