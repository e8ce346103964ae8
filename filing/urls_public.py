"""/directory/: the public directory of filed institutions (no sign-in)."""

from django.urls import path

from . import public_views

app_name = "directory"
urlpatterns = [
    path("", public_views.directory_list, name="list"),
    path("export/<str:fmt>/", public_views.directory_export, name="export"),
    path("<str:filing_number>/", public_views.directory_detail, name="detail"),
]
