from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "inspections.supervision"
    label = "supervision"
    verbose_name = _("监督抽查与专项治理")

    def ready(self):
        from . import permissions  # noqa: F401  registers supervision capabilities

    def seed_demo(self, ctx) -> None:
        """A campaign with self-inspections filed and missing, and a spot-check plan with
        findings and a final penalty; safe to run twice."""
        from .demo import seed_supervision_demo

        seed_supervision_demo(ctx)
