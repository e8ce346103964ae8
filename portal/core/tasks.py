from celery import shared_task
from django.db import OperationalError


# A task's own time_limit needs its own soft_time_limit: the global soft limit (14 min) is longer,
# and Celery refuses to send a task whose soft limit exceeds its hard one.
@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=60, soft_time_limit=50, acks_late=True)
def record_heartbeat(*, token: str) -> str:
    """Proves end to end that a task queued after commit reaches a worker and writes.

    Idempotent: the token is unique, a second run finds the row and does nothing.
    """
    from .models import Heartbeat

    Heartbeat.objects.get_or_create(token=token)
    return token
