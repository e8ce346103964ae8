from django.urls import path

from . import views

app_name = "qc"
urlpatterns = [
    path("", views.index, name="index"),
    path("sheets/", views.sheet_list, name="sheet-list"),
    path("sheets/import/", views.sheet_import, name="sheet-import"),
    path("sheets/template.xlsx", views.sheet_template, name="sheet-template"),
    path("sheets/<int:pk>/activate/", views.sheet_activate, name="sheet-activate"),
    path("sheets/versions/<int:pk>/", views.version_detail, name="version-detail"),
    path("sheets/versions/<int:pk>/export.xlsx", views.version_export, name="version-export"),
    path("sheets/versions/<int:pk>/publish/", views.version_publish, name="version-publish"),
    path("sheets/versions/<int:pk>/copy/", views.version_copy, name="version-copy"),
    path("sheets/versions/<int:pk>/discard/", views.version_discard, name="version-discard"),
    path("sheets/indicators/<int:pk>/edit/", views.indicator_edit, name="indicator-edit"),
    path("schemes/", views.scheme_list, name="scheme-list"),
    path("schemes/new/", views.scheme_create, name="scheme-create"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("assessments/", views.assessment_list, name="assessment-list"),
    path("assessments/new/", views.assessment_create, name="assessment-create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/lines/<int:sheet_id>/<int:indicator_id>/", views.assessment_line,
         name="assessment-line"),
    path("assessments/<int:pk>/evidence/<int:score_id>/", views.score_evidence, name="score-evidence"),
]
