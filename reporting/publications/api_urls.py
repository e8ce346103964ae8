"""/api/v1/public/publications/: open to anyone, a stable contract for integrators."""

from django.urls import path

from .api import PublicPublicationDetail, PublicPublicationList

urlpatterns = [
    path("", PublicPublicationList.as_view(), name="public-publication-list"),
    path("<int:pk>/", PublicPublicationDetail.as_view(), name="public-publication-detail"),
]
