from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "qc.ledger"
    label = "ledger"
    verbose_name = _("问题清单与整改台账")

    def ready(self):
        from . import permissions  # noqa: F401  registers ledger capabilities

    def seed_demo(self, ctx) -> None:
        """Entries from every source in every state for the demo institutions; safe to run twice."""
        from .demo import seed_ledger_demo

        seed_ledger_demo(ctx)
