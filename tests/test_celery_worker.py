"""A real `celery -A portal worker` against Redis and the PostgreSQL test database.

Everything else in the suite runs tasks eagerly; this proves the production path: a task queued
inside a transaction is published only at commit, travels through the broker, and a separate
worker process writes to the same database.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from portal.celery import app as celery_app
from portal.core.models import Heartbeat
from portal.core.tasks import record_heartbeat

TIMEOUT_SECONDS = 60


@pytest.fixture
def broker():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: a real worker needs the Redis broker (.ci/run sets it)")
    if connection.vendor != "postgresql":
        pytest.skip("the database is not PostgreSQL: a worker process cannot see the in-memory "
                    "SQLite test database (.ci/run sets DATABASE_URL)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.ping()
    yield client
    client.close()


@pytest.fixture
def queue(broker):
    """A queue of this run's own, so that messages left by earlier or concurrent runs cannot reach
    this worker, nor this test's message another worker."""
    name = f"portal-test-{uuid.uuid4().hex}"
    yield name
    broker.delete(name, f"_kombu.binding.{name}")


@pytest.fixture
def not_eager():
    # The test process decides at import whether to run tasks eagerly; publish for real here.
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = saved


def worker_database_url(test_db_name: str) -> str:
    """The DATABASE_URL the worker needs: the one this run uses, naming pytest's test database."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path=f"/{test_db_name}").geturl()


@pytest.fixture
def worker(queue, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(connection.settings_dict["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    # solo pool: one process, so SIGTERM is a warm shutdown of exactly the process started here.
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--queues", queue,
         "--hostname", f"{queue}@%h", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    process.log_path = log_path
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


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
