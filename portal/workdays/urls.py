from django.urls import path

from . import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar_list, name="list"),
    # One name for both: reverse("workdays:year-edit") enters a new year,
    # reverse("workdays:year-edit", args=[2027]) replaces that year's schedule.
    path("year/", views.calendar_year_edit, name="year-edit"),
    path("year/<int:year>/", views.calendar_year_edit, name="year-edit"),
]
