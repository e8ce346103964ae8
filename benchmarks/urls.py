"""The portal's URLs plus the hand-written baseline (benchmark runs only)."""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from .baseline import baseline_institutions

urlpatterns = [
    path("benchmark/baseline/institutions/", baseline_institutions, name="benchmark-baseline"),
    *portal_urlpatterns,
]
