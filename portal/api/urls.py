"""The /api/v1/ tree. Each app contributes its routes here; the root URLconf names every app."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portal.accounts.api import MeView, OrganisationViewSet
from portal.regions.api import RegionViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("regions", RegionViewSet, basename="region")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("public/", include("filing.api.public_urls")),
    path("public/publications/", include("reporting.publications.api_urls")),
    path("filing/", include("filing.api.urls")),
    path("", include(router.urls)),
]
