"""The project URLconf plus the catalogue pages, for as long as the root URLconf does not include them yet."""

from django.urls import include, path

from portal.urls import urlpatterns as project_patterns

urlpatterns = list(project_patterns)
if not any(getattr(p, "namespace", None) == "catalogue" for p in project_patterns):
    urlpatterns.append(path("catalogue/", include("filing.catalogue.urls")))
