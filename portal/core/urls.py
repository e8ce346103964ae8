from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("home/", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
