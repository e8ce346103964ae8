from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationsConfig(AppConfig):
    name = "reporting.publications"
    label = "publications"
    verbose_name = _("公示与通报")
