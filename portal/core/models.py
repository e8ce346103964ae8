import uuid

from django.db import models


class Heartbeat(models.Model):
    """Written by a worker to show that the task pipeline works (health checks, tests)."""

    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


def _stored_file_path(instance, filename):
    # Content-addressed and never reused: a new upload can never overwrite an old one.
    return f"uploads/{instance.sha256[:2]}/{instance.sha256}/{instance.uuid}{instance.extension}"


class StoredFile(models.Model):
    """An uploaded document, kept with its checksum. Rows are never changed or deleted
    by the application, so every version of a filing keeps pointing at what was filed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=_stored_file_path, max_length=255)
    original_name = models.CharField(max_length=255)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    province = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
