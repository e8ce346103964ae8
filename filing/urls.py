"""/filing/: the institution's filing and the authorities' work on it."""

from django.urls import include, path

from . import views

app_name = "filing"
urlpatterns = [
    path("", views.index, name="index"),
    path("", include("filing.urls_workflow")),
    path("import/", include("filing.urls_import")),
]
