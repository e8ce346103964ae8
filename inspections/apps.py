from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("现场核查与外出体检")

    def ready(self):
        from filing.events import filing_accepted, filing_cancelled

        from . import permissions  # noqa: F401  registers inspections capabilities
        from .services.verification import open_case_on_first_acceptance, withdraw_case_on_cancellation

        filing_accepted.connect(open_case_on_first_acceptance, dispatch_uid="inspections.open_verification_case")
        filing_cancelled.connect(withdraw_case_on_cancellation, dispatch_uid="inspections.withdraw_verification_case")

    def seed_demo(self, ctx):
        """Verifications in every state and off-site notices, through the services."""
        from .demo import seed_inspections_demo

        seed_inspections_demo(ctx)
