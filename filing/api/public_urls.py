"""/api/v1/public/: endpoints open to anyone, stable for integrators."""

from django.urls import path

from .public import PublicInstitutionDetail, PublicInstitutionList

urlpatterns = [
    path("institutions/", PublicInstitutionList.as_view(), name="public-institution-list"),
    path("institutions/<str:filing_number>/", PublicInstitutionDetail.as_view(), name="public-institution-detail"),
]
