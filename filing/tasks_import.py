"""Celery tasks of the bulk import. Arguments are ids; the worker re-reads the job and re-checks the actor."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, ConnectionError)


def _run(step, job_id: int) -> str:
    from .importing.services import import_job_mark_failed

    try:
        return step(job_id=job_id).status
    except TRANSIENT:
        raise
    except Exception:  # anything else is final: record it so that the page stops waiting
        logger.exception("filing import job %s failed", job_id)
        return import_job_mark_failed(job_id=job_id, message=_("处理文件时发生系统错误，未保存任何数据。请稍后重新上传；"
                                                              "如仍失败，请联系平台管理员。")).status


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, time_limit=900, soft_time_limit=840,
             acks_late=True)
def import_check(*, job_id: int) -> str:
    """The dry run of an uploaded workbook; a second delivery finds the job already checked."""
    from .importing.services import import_job_check

    return _run(import_job_check, job_id)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, time_limit=900, soft_time_limit=840,
             acks_late=True)
def import_commit(*, job_id: int) -> str:
    """The all-or-nothing import of a confirmed job; a second delivery finds it no longer importing."""
    from .importing.services import import_job_commit

    return _run(import_job_commit, job_id)
