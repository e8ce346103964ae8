"""/api/v1/public/: endpoints open to anyone, stable for integrators."""

urlpatterns: list = []
