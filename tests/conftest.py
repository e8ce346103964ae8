"""Fixtures shared by the browser tests in this directory and in the apps' tests."""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app
from tests.browser import CHROMIUM_ARGS


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    # Set for this test only: subprocesses of other tests (check --deploy) must not inherit it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()




# ---- a real Celery worker (and beat) against Redis and the PostgreSQL test database ----


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


@contextmanager
def celery_process(arguments: list[str], log_path: Path):
    """Run `celery -A portal <arguments>` against this run's test database and broker, its output in
    ``log_path`` (the process carries it as ``log_path``); stopped with a warm shutdown at the end."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(connection.settings_dict["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # files the process writes are read back by the test
    }
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "portal", *arguments],
                                   cwd=Path(settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT)
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


@pytest.fixture
def celery_media(settings, tmp_path):
    """Files written by the worker go to this test's own folder, where the test reads them back."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker(queue, tmp_path, celery_media):
    # solo pool: one process, so SIGTERM is a warm shutdown of exactly the process started here.
    with celery_process(["worker", "--pool", "solo", "--queues", queue, "--hostname", f"{queue}@%h",
                         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                        tmp_path / "worker.log") as process:
        yield process


@pytest.fixture
def beat(queue, tmp_path, celery_media):
    """`celery -A portal beat` with the database scheduler, reading the test database's entries."""
    with celery_process(["beat", "--loglevel", "INFO", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                         "--max-interval", "1", "--schedule", str(tmp_path / "beat-schedule")],
                        tmp_path / "beat.log") as process:
        yield process
