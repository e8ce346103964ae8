from celery import shared_task
from django.db import OperationalError


# Idempotent: the service acts only while the report is generating with this very token, so a retry,
# a second delivery (acks_late) or a superseded request does nothing; acks_late is safe.
@shared_task(autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=3,
             time_limit=10 * 60, soft_time_limit=9 * 60, acks_late=True)
def generate_provincial_report(*, report_id: int, token: str) -> str:
    """Compute the figures of a provincial report and render its Excel and PDF files."""
    from .services import report_generate

    report = report_generate(report_id=report_id, token=token)
    return report.status if report is not None else "nothing to do"
