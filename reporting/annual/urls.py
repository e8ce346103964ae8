from django.urls import path

from . import views

app_name = "annual_reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.report_create, name="create"),
    path("national/", views.national_comparison, name="compare"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/generate/", views.generate, name="generate"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/cases/", views.case_add, name="case-add"),
    path("<int:pk>/cases/<int:case_pk>/remove/", views.case_remove, name="case-remove"),
    path("<int:pk>/download/<str:fmt>/", views.download, name="download"),
]
