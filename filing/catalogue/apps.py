from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "filing.catalogue"
    label = "catalogue"
    verbose_name = _("检查类别与项目目录")
