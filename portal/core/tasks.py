from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=60, acks_late=True)
def record_heartbeat(*, token: str) -> str:
    """Proves end to end that a task queued after commit reaches a worker and writes.

    Idempotent: the token is unique, a second run finds the row and does nothing.
    """
    from .models import Heartbeat

    Heartbeat.objects.get_or_create(token=token)
    return token
