"""/directory/: the public directory of filed institutions (no sign-in)."""

app_name = "directory"
urlpatterns: list = []
