"""What the benchmark scripts share: their database, starting Django, and timing requests.

Each script is run on its own from the repository root (``.venv/bin/python benchmarks/<name>.py``),
where Python puts ``benchmarks/`` rather than the root on ``sys.path``. So every script first
puts the root there and then imports this module as ``benchmarks._common``, the same way
``publishing.py`` imports ``benchmarks.public_directory``: one module object, whichever script
started, and the portal's packages importable.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_PREFIX = "portal_bench"
# The mix of ledger statuses in both the ledger list's and the dashboards' datasets (weights),
# so that the two benchmarks count and list entries of the same kind.
LEDGER_STATUS_WEIGHTS = {"open": 15, "plan_submitted": 10, "accepted": 15, "returned": 5, "fix_submitted": 10,
                         "closed": 30, "refused": 8, "failed": 7}


# ---- The database --------------------------------------------------------------------------

def benchmark_database(url: str) -> str:
    """The database's name, or exit unless it starts with ``portal_bench``.

    A benchmark drops its database and fills it with made-up rows, and the database comes from
    ``DATABASE_URL``, the same variable that points the portal at real data. A name outside the
    ``portal_bench`` namespace is therefore taken as a mistake in the environment rather than
    an order: no benchmark drops or fills a database that a person or the portal may be using.
    """
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith(BENCHMARK_PREFIX):
        sys.exit(f"refusing to use database {name!r}: a benchmark database's name starts with 'portal_bench'")
    return name


def ensure_database(url: str, *, drop: bool) -> bool:
    """Create the PostgreSQL database named in ``url`` unless it exists; ``drop`` drops it first.

    Only a ``portal_bench*`` database is ever dropped or filled (``benchmark_database``). The drop is
    ``WITH (FORCE)``: the database belongs to the benchmark, and a connection left over from an
    interrupted run (a gunicorn worker, a psql session) must not stop the next one. The server
    is reached as Django will reach it, with the URL's user, or libpq's default one when it names
    none, so the database belongs to the role that then migrates it. Returns whether it created
    the database.
    """
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database")
    name = benchmark_database(url)
    admin = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                             password=parts.password, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        admin.close()


# ---- Django --------------------------------------------------------------------------------

def setup_django(url: str | None = None, *, static_root: str | None = None, quiet: bool = False,
                 **environ: str) -> None:
    """Point the portal's settings, which are read from the environment, at the benchmark and start Django.

    ``url`` is the database (none for a benchmark without one). Celery tasks run in the process
    unless the environment says otherwise: a benchmark times the work, and no worker is running.

    ``static_root`` asks for production mode as it is served (``DEBUG=0``: cached templates, no
    debug machinery), with a throwaway ``SECRET_KEY`` unless one is set, plain HTTP and the test
    client's host. Production's static storage needs the manifest that ``collectstatic`` writes,
    into ``static_root``.

    ``quiet`` turns the portal's INFO log lines off unless ``LOG_LEVEL`` is set: they would mix
    with the figures. ``environ`` sets further variables as given.
    """
    if url is not None:
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    if static_root is not None:
        os.environ.update({"STATIC_ROOT": static_root, "DEBUG": "0", "ALLOWED_HOSTS": "testserver",
                           "SECURE_SSL_REDIRECT": "0"})
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if quiet:
        os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(environ)
    import django

    django.setup()


def child_environment(url: str, **environ: str) -> dict[str, str]:
    """The environment of a process that a benchmark starts (gunicorn, a publisher).

    This process's own, pointed at the benchmark's database, with the repository importable
    (``PYTHONPATH``: the child does not start from ``benchmarks/``) and the portal's INFO log
    lines off; ``environ`` adds to it or overrides it.
    """
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings", "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT)})
    env.update(environ)
    return env


def run_page_benchmark(url: str, *, keep: bool, static_prefix: str, build: Callable[[], None],
                       measure: Callable[[], bool]) -> None:
    """The frame of a benchmark of pages requested in-process with production settings.

    Drops and creates the database unless ``keep``, starts Django in production mode, migrates,
    calls ``build`` (unless ``keep``: the rows are there) and ``measure``, which says whether
    every p95 held; the exit status says it too. The collected static files go into a temporary
    directory removed at the end, so a run leaves nothing in the working tree.
    """
    if not keep:
        ensure_database(url, drop=True)
    static_root = tempfile.mkdtemp(prefix=static_prefix)
    try:
        setup_django(url, static_root=static_root)
        from django.core.management import call_command

        # Production static storage needs its manifest, written to the throwaway directory.
        call_command("collectstatic", interactive=False, verbosity=0)
        print("migrating…", flush=True)
        call_command("migrate", verbosity=0)
        if not keep:
            started = time.perf_counter()
            build()
            print(f"built in {time.perf_counter() - started:.1f} s", flush=True)
        ok = measure()
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    if ok:
        print("OK: every p95 under the limit")
    else:
        sys.exit("FAIL: a p95 is over the limit")


# ---- Figures -------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """The value at the ``p``-th percentile, nearest rank: one of the measured values, never an interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_requests(client, target: str, *, requests: int, warm_up: int):
    """``warm_up`` GETs, then ``requests`` timed ones (milliseconds each), then one more whose SQL is counted.

    The warm-up fills what a serving process has already filled (compiled templates, the URL
    resolver, content types, the session); the queries are counted on a request of their own
    so that capturing them does not slow the timed ones. Returns the timings, the last response
    and its number of queries.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm_up):
        client.get(target)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(target)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target)
    return timings, response, len(captured)
