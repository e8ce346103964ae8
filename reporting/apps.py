from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("报告与公示")

    def ready(self):
        from . import permissions  # noqa: F401  registers reporting capabilities

    def load_reference_data(self) -> str:
        """Called by ``manage.py load_reference_data``: the daily beat entry, created or updated."""
        from .reminders.services import beat_schedule_install

        return beat_schedule_install()
