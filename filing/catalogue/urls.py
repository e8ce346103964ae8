from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.catalogue_index, name="index"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("import/template.xlsx", views.template_download, name="template"),
    path("editions/<str:code>/", views.edition_detail, name="edition"),
    path("editions/<str:code>/export.xlsx", views.edition_export, name="edition-export"),
    path("editions/<str:code>/edit/", views.edition_edit, name="edition-edit"),
    path("editions/<str:code>/delete/", views.edition_delete, name="edition-delete"),
]
