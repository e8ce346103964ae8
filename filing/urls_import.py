"""/filing/import/: bulk import of institutions already filed on provincial spreadsheets."""

from django.urls import path

from . import views_import

urlpatterns = [
    path("", views_import.import_start, name="import"),
    path("template.xlsx", views_import.import_template, name="import-template"),
    path("<int:pk>/", views_import.import_job_detail, name="import-job"),
    path("<int:pk>/progress.json", views_import.import_job_progress, name="import-progress"),
    path("<int:pk>/commit/", views_import.import_job_commit, name="import-commit"),
]
