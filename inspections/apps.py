from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("现场核查与外出体检")

    def ready(self):
        from filing.events import filing_accepted

        from . import permissions  # noqa: F401  registers inspections capabilities
        from .services.verification import open_case_on_first_acceptance

        filing_accepted.connect(open_case_on_first_acceptance, dispatch_uid="inspections.open_verification_case")

    def seed_demo(self, ctx):
        """Verifications in every state and off-site notices, through the services."""
        from .demo import seed_inspections_demo

        seed_inspections_demo(ctx)
