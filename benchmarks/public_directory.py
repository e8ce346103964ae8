"""Speed of the public directory: the page and the public API under 20 concurrent clients.

    .venv/bin/python benchmarks/public_directory.py [--fresh | --rebuild] [--requests 3000] [--workers 3]
                                                    [--threads 4] [--no-cache]

1. Builds (once; --rebuild to build the rows again, --fresh to drop and create the database,
   whose name must then start with "portal_bench") a PostgreSQL database, DATABASE_URL or
   postgres://postgres@127.0.0.1:5432/portal_bench, with 5,000 accepted institutions
   averaging 30 items, plus drafts and cancelled filings that must stay out of sight.
2. Starts gunicorn on 127.0.0.1 with production settings (DEBUG=0, Redis from REDIS_URL or
   redis://127.0.0.1:6379/0, so the public cache is on unless --no-cache) and the baseline
   endpoint, which exists only under PORTAL_BENCHMARK_BASELINE=1 (benchmarks/settings.py).
3. Sends a fixed number of requests from 20 concurrent clients to /directory/, to
   /api/v1/public/institutions/ and to the baseline, which builds the same JSON in one
   SQL statement; API and baseline run in alternating rounds over the same pages.
4. Prints p50/p95 latency, requests per second, the server CPU (gunicorn workers and
   PostgreSQL backends) per request, and the API/baseline ratio by throughput and by CPU.
It prints figures; it is not a test and fails nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common  # noqa: E402
from benchmarks._common import ROOT, child_environment  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
INSTITUTIONS = 5000
AVERAGE_ITEMS = 30
HIDDEN = {"draft": 300, "cancelled": 200}  # filings that must never show
PROVINCES = ["220000", "210000", "230000"]  # Jilin, Liaoning, Heilongjiang
CLIENTS = 20
PAGE_SIZE = 20


def _environment(database_url: str, static_root: str, redis_url: str, cache: bool) -> dict[str, str]:
    return child_environment(
        database_url,
        # Production runs with Redis, which holds the public directory's cached responses
        # (filing.public_cache); --no-cache measures every request computed from the database.
        REDIS_URL=redis_url, PUBLIC_CACHE_SECONDS="600" if cache else "0",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0", STATIC_ROOT=static_root,
        # Connections live through the run (production: 60 s), so the CPU meter sees every backend.
        DB_CONN_MAX_AGE="3600",
        DJANGO_SETTINGS_MODULE="benchmarks.settings", PORTAL_BENCHMARK_BASELINE="1",
    )


# ---- 1. The database ---------------------------------------------------------------------

def ensure_database(database_url: str, *, fresh: bool = False) -> None:
    if _common.ensure_database(database_url, drop=fresh):
        print(f"created database {urlsplit(database_url).path.lstrip('/')}")


def build_data(rebuild: bool) -> None:
    """Bulk-created rows (no services: 150,000 items would take an hour through them)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from filing.catalogue.services import catalogue_load_builtin
    from filing.public_selectors import public_filings
    from portal.regions.models import Region
    from portal.regions.services import regions_load
    from portal.workdays.models import CalendarYear
    from portal.workdays.services import calendar_seed_from_package

    if not Region.objects.exists():
        regions_load()
    if not CalendarYear.objects.exists():
        calendar_seed_from_package()
    catalogue_load_builtin()
    if not rebuild and public_filings().count() == INSTITUTIONS:
        print(f"database ready: {INSTITUTIONS} public institutions (use --rebuild to build again)")
        _drop_cached_responses()
        return
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE filing_fileditem, filing_qualitydocument, filing_staffcertificate, "
                           "filing_staffmember, filing_room, filing_equipment, filing_vehicle, "
                           "filing_filingversion, filing_filing CASCADE")
            cursor.execute("DELETE FROM accounts_organisation WHERE name LIKE '基准测试%%'")
        _bulk_filings()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _drop_cached_responses()
    items = _count("filing_fileditem")
    print(f"built {INSTITUTIONS} public institutions, {sum(HIDDEN.values())} hidden filings and {items} "
          f"filed items in {time.perf_counter() - started:.0f} s")


def _drop_cached_responses() -> None:
    """bulk_create saves nothing one by one, so nothing told the public cache; and every run
    starts cold (the warm-up below fills it)."""
    from filing import public_cache

    public_cache.bump()


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _bulk_filings() -> None:
    from django.db import connection

    from filing.catalogue.models import CatalogueEdition, Disease, ExamItem
    from filing.choices import FilingStatus, InstitutionKind, ItemStatus, VersionStatus
    from filing.demo import credit_code
    from filing.models import FiledItem, Filing, FilingVersion
    from portal.accounts.choices import OrgKind
    from portal.accounts.models import Organisation
    from portal.regions.models import Region, RegionLevel

    rng = random.Random(5000)
    regions = list(Region.objects.filter(province__code__in=PROVINCES, level=RegionLevel.COUNTY)
                   .select_related("province", "parent"))
    exam_items = list(ExamItem.objects.values_list("pk", flat=True))
    diseases = list(Disease.objects.values_list("pk", flat=True))
    editions = {e.kind: e for e in CatalogueEdition.objects.filter(code__in=["GBZ188-2014", "OD-2013"])}
    total = INSTITUTIONS + sum(HIDDEN.values())
    statuses = ([FilingStatus.ACCEPTED] * INSTITUTIONS + [FilingStatus.DRAFT] * HIDDEN["draft"]
                + [FilingStatus.CANCELLED] * HIDDEN["cancelled"])
    rng.shuffle(statuses)
    orgs, plans = [], []
    for n in range(total):
        region = regions[n % len(regions)]
        kind = InstitutionKind.DIAGNOSIS if rng.random() < 0.2 else InstitutionKind.EXAMINATION
        name = f"基准测试{region.parent.name}{region.name}第{n + 1}医院"
        code = credit_code("12", region.code, f"{n:08d}")
        orgs.append(Organisation(name=name, kind=OrgKind.INSTITUTION, province=region.province, region=region,
                                 credit_code=code))
        plans.append((region, kind, statuses[n]))
    Organisation.objects.bulk_create(orgs, batch_size=2000)
    sequence: dict[str, int] = {}
    filings = []
    for org, (region, kind, status) in zip(orgs, plans, strict=True):
        number = None
        if status != FilingStatus.DRAFT:
            year = rng.choice([2024, 2025, 2026])
            key = f"{region.province.code}-{year}"
            sequence[key] = sequence.get(key, 0) + 1
            number = f"{key}-{sequence[key]:04d}"
        filings.append(Filing(
            institution=org, province=region.province, region=region, kind=kind, filing_number=number,
            status=status, filed_on=date(2024, 1, 2) + timedelta(days=rng.randint(0, 900)) if number else None,
        ))
    Filing.objects.bulk_create(filings, batch_size=2000)
    versions = []
    for filing, org in zip(filings, orgs, strict=True):
        versions.append(FilingVersion(
            filing=filing, number=1, status=VersionStatus.DRAFT if filing.status == FilingStatus.DRAFT
            else VersionStatus.ACCEPTED, name=org.name, credit_code=org.credit_code,
            licence_number=f"PDY{rng.randrange(10**8, 10**9)}", legal_representative="法定代表人",
            quality_manager="质量负责人", technical_manager="技术负责人",
            address=f"{filing.region.name}人民大街{rng.randint(1, 3999)}号", region=filing.region,
            phone=f"0431-{rng.randint(80000000, 89999999)}", total_area=1000, off_site=rng.random() < 0.3,
            item_edition=editions["exam_items" if filing.kind == InstitutionKind.EXAMINATION else "diseases"],
        ))
    FilingVersion.objects.bulk_create(versions, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE filing_filing f SET current_version_id = v.id FROM filing_filingversion v "
                       "WHERE v.filing_id = f.id AND f.status <> 'draft'")
    item_statuses = [ItemStatus.ACTIVE] * 96 + [ItemStatus.SUSPENDED] * 2 + [ItemStatus.NOT_CAPABLE] * 2
    rows = []
    for filing, version in zip(filings, versions, strict=True):
        exam = filing.kind == InstitutionKind.EXAMINATION
        pool = exam_items if exam else diseases
        for pk in rng.sample(pool, rng.randint(AVERAGE_ITEMS - 15, AVERAGE_ITEMS + 15)):
            rows.append(FiledItem(version=version, exam_item_id=pk if exam else None,
                                  disease_id=None if exam else pk, status=rng.choice(item_statuses),
                                  exam_types=["pre_employment", "on_duty", "leaving"] if exam else []))
        if len(rows) >= 20000:
            FiledItem.objects.bulk_create(rows, batch_size=5000)
            rows = []
    FiledItem.objects.bulk_create(rows, batch_size=5000)


def print_query_counts() -> None:
    """Queries per request at page sizes 10 and 100, on this PostgreSQL database (in-process):
    computed (a cache miss), then the same request again (a hit when the cache is on)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from filing import public_cache

    public_cache.bump()
    client = Client()
    for path in ("/directory/", "/api/v1/public/institutions/"):
        counts = []
        for size in (10, 100, 10):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, {"page_size": size}, HTTP_HOST="127.0.0.1")
            assert response.status_code == 200, (path, response.status_code)
            counts.append(len(queries))
        print(f"queries per request  {path:<32} page_size 10: {counts[0]}   page_size 100: {counts[1]}"
              f"   again: {counts[2]}")


# ---- 2. gunicorn ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, port: int, threads: int = 1) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads),
               "--backlog", "256", "--log-level", "warning", "--chdir", str(ROOT)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = _get(port, "/healthz")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not come up")


# ---- 3. The load ---------------------------------------------------------------------------

def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class CpuMeter:
    """CPU seconds used by the gunicorn workers and the database's backends, read from /proc:
    a figure per request that other load on the machine does not distort the way it does
    throughput (Linux only; reads nothing elsewhere)."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid, self.database = server_pid, database
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _pids(self) -> list[int]:
        from django.db import connection

        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                           [self.database])
            pids += [row[0] for row in cursor.fetchall()]
        return pids

    def read(self) -> float:
        total = 0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / self.ticks


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    client_cpu: float = 0.0  # the load generator's own CPU: it shares the machine

    def add(self, other: Result) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.client_cpu += other.client_cpu

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / len(self.latencies) * 1000 if self.latencies else 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return _common.percentile(self.latencies, p) * 1000


def run_load(name: str, port: int, paths: list[str], clients: int = CLIENTS, meter: CpuMeter | None = None
             ) -> Result:
    """``clients`` threads take the next path until none is left; each request is timed alone."""
    result = Result(name)
    cpu_before = meter.read() if meter else 0.0
    client_before = time.process_time()
    lock = threading.Lock()
    queue = iter(paths)

    def client() -> None:
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                return
            start = time.perf_counter()
            try:
                status, _body = _get(port, path)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - start
            with lock:
                if status == 200:
                    result.latencies.append(elapsed)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - client_before
    result.cpu = meter.read() - cpu_before if meter else 0.0
    return result


def _pages(count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    last = INSTITUTIONS // PAGE_SIZE
    return [rng.randint(1, last) for _ in range(count)]


def check_same_json(port: int) -> None:
    for page in (1, 2, 137, INSTITUTIONS // PAGE_SIZE):
        _, api = _get(port, f"/api/v1/public/institutions/?page={page}")
        _, baseline = _get(port, f"/benchmark/baseline/institutions/?page={page}")
        if json.loads(api) != json.loads(baseline):
            raise SystemExit(f"baseline and API differ on page {page}")
    print("baseline and API return the same JSON (checked on 4 pages)")


def report(result: Result) -> None:
    print(f"{result.name:<34} {len(result.latencies):>6} ok {result.errors:>3} errors   "
          f"p50 {result.percentile(50):6.1f} ms   p95 {result.percentile(95):6.1f} ms   "
          f"{result.throughput:6.1f} req/s   server CPU {result.cpu_per_request:5.1f} ms/req   "
          f"client CPU {result.client_cpu / max(1, len(result.latencies)) * 1000:4.1f} ms/req")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database first")
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating API/baseline rounds (default 3)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker, as docker/web.sh (default 4, gthread); 1 for sync workers")
    parser.add_argument("--no-cache", action="store_true",
                        help="PUBLIC_CACHE_SECONDS=0: every response computed from the database")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    static_root = tempfile.mkdtemp(prefix="portal-bench-static-")
    env = _environment(database_url, static_root, redis_url, cache=not args.no_cache)
    os.environ.update(env)
    ensure_database(database_url, fresh=args.fresh)
    build_data(args.rebuild or args.fresh)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT,
                   check=True)
    print_query_counts()

    port = _free_port()
    server = start_gunicorn(env, args.workers, port, args.threads)
    meter = CpuMeter(server.pid, urlsplit(database_url).path.lstrip("/"))
    try:
        check_same_json(port)
        warm = [f"/api/v1/public/institutions/?page={p}" for p in _pages(200, 1)]
        warm += [f"/benchmark/baseline/institutions/?page={p}" for p in _pages(200, 1)]
        warm += [f"/directory/?page={p}" for p in _pages(200, 1)]
        run_load("warm-up", port, warm)
        kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
        print(f"\n{CLIENTS} concurrent clients, gunicorn {args.workers} {kind} workers, {os.cpu_count()} CPUs, "
              f"page size {PAGE_SIZE}, random pages of {INSTITUTIONS // PAGE_SIZE}, public cache "
              f"{'off' if args.no_cache else 'on'}")
        per_round = args.requests // args.rounds
        api, baseline = Result("GET /api/v1/public/institutions/"), Result("baseline (one SQL statement)")
        for number in range(args.rounds):
            pages = _pages(per_round, 100 + number)
            api.add(run_load(api.name, port, [f"/api/v1/public/institutions/?page={p}" for p in pages],
                             meter=meter))
            baseline.add(run_load(baseline.name, port,
                                  [f"/benchmark/baseline/institutions/?page={p}" for p in pages], meter=meter))
        directory = run_load("GET /directory/", port, [f"/directory/?page={p}" for p in _pages(args.requests, 7)],
                             meter=meter)
        filtered = run_load("GET /api/v1/public/institutions/?region=220100&category=dust", port,
                            [f"/api/v1/public/institutions/?region=220100&category=dust&page={p % 3 + 1}"
                             for p in _pages(args.requests // 3, 9)], meter=meter)
        for result in (directory, api, baseline, filtered):
            report(result)
        ratio = api.throughput / baseline.throughput
        print(f"\nAPI / baseline throughput ratio: {ratio:.2f}  (target >= 0.60)")
        print(f"API / baseline by server CPU per request: {baseline.cpu_per_request / api.cpu_per_request:.2f}"
              "  (the same comparison, less sensitive to other load on the machine)")
        load = os.getloadavg()
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"(the clients and the database share the {os.cpu_count()} CPUs with gunicorn)")
        print(f"p95 under 100 ms: directory {'yes' if directory.percentile(95) < 100 else 'NO'}, "
              f"API {'yes' if api.percentile(95) < 100 else 'NO'}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    main()
