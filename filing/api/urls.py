"""/api/v1/filing/: signed-in endpoints."""

urlpatterns: list = []
