from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "filing.catalogue"
    label = "catalogue"
    verbose_name = _("检查类别与项目目录")

    def ready(self):
        from . import permissions  # noqa: F401  registers catalogue capabilities

    def load_reference_data(self) -> str:
        from .services import catalogue_load_builtin

        summary = catalogue_load_builtin()
        parts = [f"{code} +{c['created']} ~{c['updated']}" + (" (imported, skipped)" if c.get("skipped") else "")
                 for code, c in summary.items()]
        return "catalogues: " + ", ".join(parts)
