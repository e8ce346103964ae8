from django.urls import include, path

from . import views
from .reminders import views as reminder_views

app_name = "reporting"
urlpatterns = [
    path("", views.index, name="index"),
    path("reminders/", reminder_views.reminder_list, name="reminders"),
    path("reminders/schedule/", reminder_views.reminder_schedule_edit, name="reminder-schedule"),
    path("publications/", include("reporting.publications.urls")),
]
