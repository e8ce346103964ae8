from celery import shared_task
from django.db import OperationalError

from .tasks_import import import_check, import_commit  # noqa: F401  autodiscovery reads tasks.py only


@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=120, soft_time_limit=100, acks_late=True)
def render_receipt(*, version_id: int) -> int | None:
    """Render the filing receipt of an accepted version; a second run keeps the first file."""
    from .receipts import receipt_render_and_store

    stored = receipt_render_and_store(version_id=version_id)
    return stored.pk if stored else None
