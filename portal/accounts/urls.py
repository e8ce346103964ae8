from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login-verify"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/disable/", views.two_factor_disable, name="two-factor-disable"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/new/", views.organisation_create_view, name="organisation-create"),
    path("organisations/<int:pk>/", views.organisation_edit_view, name="organisation-edit"),
    path("organisations/<int:pk>/active/", views.organisation_toggle_view, name="organisation-toggle"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create_view, name="user-create"),
    path("users/<int:pk>/", views.user_edit_view, name="user-edit"),
    path("users/<int:pk>/active/", views.user_toggle_view, name="user-toggle"),
]
