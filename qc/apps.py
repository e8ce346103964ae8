from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QcConfig(AppConfig):
    name = "qc"
    verbose_name = _("质量控制")

    def ready(self):
        from . import permissions  # noqa: F401  registers QC capabilities

    def seed_demo(self, ctx) -> None:
        """The sample sheets and scheme in the demo province, and a few scored assessments; safe to run twice."""
        from .demo import seed_qc_demo

        seed_qc_demo(ctx)
