"""/reporting/publications/: the authorities' pages (namespace reporting:publications)."""

from django.urls import path

from . import views

app_name = "publications"
urlpatterns = [
    path("", views.publication_list, name="list"),
    path("new/", views.publication_create, name="create"),
    path("<int:pk>/", views.publication_detail, name="detail"),
    path("<int:pk>/cancel/", views.publication_cancel, name="cancel"),
    path("<int:pk>/withdraw/", views.publication_withdraw, name="withdraw"),
]
