from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("delegation/", views.delegation_list, name="delegation"),
    path("delegation/<str:code>/", views.delegation_set, name="delegation-set"),
]
