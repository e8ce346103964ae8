from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingConfig(AppConfig):
    name = "filing"
    verbose_name = _("备案")

    def ready(self):
        from . import events, permissions  # noqa: F401  registers filing capabilities and the public-cache listeners

    def seed_demo(self, ctx):
        """Called by portal.core.demo: a few hundred institutions in every filing state."""
        from .demo import seed_filing_demo

        seed_filing_demo(ctx)
