from datetime import date

from celery import shared_task
from django.db import OperationalError


# Idempotent (one row per subject, recipient, kind, due date and stage; one digest per person
# per day), so a retry or a second beat process sends nothing twice; acks_late is safe.
@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=20 * 60, soft_time_limit=18 * 60, acks_late=True)
def scan_deadlines(*, today: str | None = None) -> dict:
    """The daily deadline scan; ``today`` (ISO date) only to re-run a past day by hand."""
    from .reminders.services import deadlines_scan

    return deadlines_scan(today=date.fromisoformat(today) if today else None).as_dict()
