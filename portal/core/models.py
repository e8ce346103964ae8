from django.db import models


class Heartbeat(models.Model):
    """Written by a worker to show that the task pipeline works (health checks, tests)."""

    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token
