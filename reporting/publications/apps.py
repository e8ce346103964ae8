from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationsConfig(AppConfig):
    name = "reporting.publications"
    label = "publications"
    verbose_name = _("公示与通报")

    def ready(self):
        from . import permissions  # noqa: F401  registers publication capabilities

    def load_reference_data(self) -> str:
        """Called by ``manage.py load_reference_data``: the beat entry that publishes scheduled ones."""
        from .services import beat_schedule_install

        return beat_schedule_install()

    def seed_demo(self, ctx) -> None:
        """One published list of each kind for the demo province, through the services; safe to run twice."""
        from .demo import seed_publications_demo

        seed_publications_demo(ctx)
