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

    def seed_demo(self, ctx) -> None:
        """Today's deadline scan over the demo rows the other apps seeded (this app comes after
        them), so the demo users find the reminders due today in their bell, as if the 07:00
        beat had run. Safe to run twice: the scan records each reminder and each day's digest
        once, so a second run the same day sends nothing; a run on a later day sends that day's."""
        import sys

        from .reminders.services import deadlines_scan

        result = deadlines_scan()
        sys.stdout.write(
            f"reminders demo: {result.today}: {result.deadlines} open deadlines, {result.staged} at a reminder "
            f"stage, {result.reminders_sent} reminders sent in {result.digests_sent} digests\n")
