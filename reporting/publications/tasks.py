from celery import shared_task
from django.db import OperationalError


# Idempotent: publishing claims the row under SKIP LOCKED and publishes only a scheduled one whose
# time has come, so a retry, a redelivery (acks_late) or the beat task running beside it does nothing new.
@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=10 * 60, soft_time_limit=9 * 60, acks_late=True)
def publish_publication(*, publication_id: int) -> str | None:
    """Publish one publication now ("publish now" queues this after the scheduling commits)."""
    from .services import publication_publish

    publication = publication_publish(publication_id=publication_id)
    return publication.status if publication is not None else None


# Runs every few minutes from django-celery-beat; two beat processes are harmless (see above).
@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=30 * 60, soft_time_limit=28 * 60, acks_late=True)
def publish_due_publications() -> int:
    """Publish every scheduled publication whose time has come; returns how many this run published."""
    from .services import publications_publish_due

    return publications_publish_due()
