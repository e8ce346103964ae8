from django.urls import path

from . import views

app_name = "filing"
urlpatterns = [path("", views.index, name="index")]
