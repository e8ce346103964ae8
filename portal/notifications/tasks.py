from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5,
             time_limit=300, soft_time_limit=270, acks_late=True)
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """E-mail copies of notifications; each copy is claimed before sending, so a rerun sends none twice."""
    from .services import notification_emails_send

    return notification_emails_send(notification_ids=notification_ids)
