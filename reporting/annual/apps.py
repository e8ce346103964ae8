from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnualReportsConfig(AppConfig):
    name = "reporting.annual"
    label = "annual_reports"
    verbose_name = _("年度报告")
