"""A real `celery -A portal worker` against Redis and the PostgreSQL test database.

Everything else in the suite runs tasks eagerly; this proves the production path: a task queued
inside a transaction is published only at commit, travels through the broker, and a separate
worker process writes to the same database.
"""

import signal
import time
import uuid
from functools import partial

import pytest
from django.db import transaction

from portal.celery import app as celery_app
from portal.core.models import Heartbeat
from portal.core.tasks import record_heartbeat

TIMEOUT_SECONDS = 60


@pytest.mark.worker
def test_task_queued_in_a_transaction_runs_on_a_worker_after_commit(broker, transactional_db, queue,
                                                                    not_eager, worker):
    token = uuid.uuid4().hex
    with transaction.atomic():
        transaction.on_commit(partial(record_heartbeat.apply_async, kwargs={"token": token}, queue=queue))
        assert broker.llen(queue) == 0  # nothing published before commit
        assert not Heartbeat.objects.filter(token=token).exists()

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not Heartbeat.objects.filter(token=token).exists():
        assert worker.poll() is None, f"worker exited early:\n{worker.log_path.read_text()}"
        assert time.monotonic() < deadline, (
            f"no heartbeat after {TIMEOUT_SECONDS} s; worker log:\n{worker.log_path.read_text()}"
        )
        time.sleep(0.25)

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, worker.log_path.read_text()
    log = worker.log_path.read_text()
    assert "portal.core.tasks.record_heartbeat" in log
    assert "succeeded" in log


def test_every_task_can_be_sent_under_its_time_limits():
    """Celery refuses to send a task whose soft time limit exceeds its hard one, but only when it
    really sends: eager runs never check. A task that lowers time_limit must lower soft_time_limit."""
    celery_app.loader.import_default_modules()  # runs autodiscover_tasks over INSTALLED_APPS
    ours = [task for name, task in celery_app.tasks.items() if not name.startswith("celery.")]
    assert record_heartbeat in ours
    for task in ours:
        hard = task.time_limit or celery_app.conf.task_time_limit
        soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
        assert hard and soft, f"{task.name} runs without a time limit"
        assert soft <= hard, f"{task.name}: soft_time_limit {soft} > time_limit {hard}"
