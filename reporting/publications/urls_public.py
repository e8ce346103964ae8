"""Public pages of the publications (/publications/): no sign-in."""

from django.urls import path  # noqa: F401

app_name = "public_publications"
urlpatterns: list = []
