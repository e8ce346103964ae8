"""Public pages of the publications (/publications/): no sign-in."""

from django.urls import path

from . import public_views

app_name = "public_publications"
urlpatterns = [
    path("", public_views.publication_list, name="list"),
    path("feed/", public_views.PublicationFeed(), name="feed"),
    path("feed/<str:kind>/", public_views.PublicationFeed(), name="feed-kind"),
    path("<int:pk>/", public_views.publication_detail, name="detail"),
    path("<int:pk>/<str:fmt>/", public_views.publication_download, name="download"),
]
