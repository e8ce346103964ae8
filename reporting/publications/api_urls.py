"""/api/v1/public/publications/: open to anyone, a stable contract for integrators."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
