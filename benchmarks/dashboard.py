"""Speed of the authorities' home dashboards on a province-sized dataset, on PostgreSQL.

    .venv/bin/python benchmarks/dashboard.py [--institutions 5000] [--entries 20000] [--requests 200] [--keep]

``DATABASE_URL`` names the database (default
postgres://postgres@127.0.0.1:5432/portal_bench_dashboard); it is dropped and created afresh
unless ``--keep`` reuses it as it is, so its name must start with "portal_bench". The rows are
written with ``bulk_create`` across every city and county of Jilin: ``--institutions`` accepted
examination institutions, 300 filings waiting for their receipt (a third overdue), an on-site
verification for a quarter of the institutions (some overdue, some due soon), final official
QC assessments for most institutions in each of the last 3 years, ``--entries`` rectification
entries in every status, and 2,000 off-site notices around today.

``GET /`` is requested in-process through Django's test client with production settings
(DEBUG=0, cached templates) for a provincial commission user, the provincial QC center, a city
commission and the national level, ``--requests`` times each after a warm-up. The script prints
p50/p95 per reader and the SQL queries per request; the exit status says whether every p95 stayed
under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    LEDGER_STATUS_WEIGHTS,
    percentile,
    run_page_benchmark,
    time_requests,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_dashboard"
LIMIT_MS = 300.0
SEED = 2026
READERS = {
    "bench_province": ("吉林省卫生健康委员会", "health_commission", "220000"),
    "bench_qc": ("吉林省职业病防治院", "qc_center", "220000"),
    "bench_city": ("长春市卫生健康委员会", "health_commission", "220100"),
}


def build(institution_count: int, entries: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from inspections.choices import VerificationStatus
    from portal.accounts.models import Organisation, User
    from portal.regions.models import Region, RegionLevel
    from portal.regions.services import regions_load
    from qc.choices import CoverageRule
    from reporting.dashboards.tests import builders

    rng = random.Random(SEED)
    today = timezone.localdate()
    print("loading regions…", flush=True)
    regions_load()
    province = Region.objects.get(code="220000")
    places = list(Region.objects.filter(province=province).exclude(level=RegionLevel.PROVINCE).order_by("code"))
    for username, (name, kind, code) in READERS.items():
        org = Organisation.objects.create(name=name, kind=kind, province=province, region=Region.objects.get(code=code))
        User.objects.create(username=username, full_name=username, organisation=org)
    national = Organisation.objects.create(name="国家卫生健康委", kind="national", region=Region.objects.get(code="110000"))
    User.objects.create(username="bench_national", full_name="bench_national", organisation=national)
    qc_center = Organisation.objects.get(name="吉林省职业病防治院")

    print(f"writing {institution_count} institutions with their filings…", flush=True)
    shuffled = places[:]
    orgs = builders.institutions(shuffled, institution_count)
    rng.shuffle(orgs)
    builders.waiting_filings(places, [today + timedelta(days=rng.randint(-5, 10)) for _ in range(300)],
                             start=institution_count)

    print("writing verifications…", flush=True)
    quarter = orgs[: institution_count // 4]
    statuses = [VerificationStatus.OPEN, VerificationStatus.SCHEDULED, VerificationStatus.SIGNED_OFF,
                VerificationStatus.SIGNED_OFF]
    for n, status in enumerate(statuses):
        group = quarter[n::len(statuses)]
        builders.verifications(group, [today + timedelta(days=rng.randint(-30, 90)) for _ in group], status=status)

    print("writing assessments over 3 years…", flush=True)
    for year in (today.year - 2, today.year - 1, today.year):
        scheme = builders.scheme(province, year, rule=CoverageRule.YEARLY_ALL)
        assessed = [o for o in orgs if rng.random() < 0.8]
        builders.assessments(assessed, scheme=scheme, year=year, passed=[rng.random() < 0.85 for _ in assessed],
                             body=qc_center)

    print(f"writing {entries} ledger entries…", flush=True)
    names, weights = list(LEDGER_STATUS_WEIGHTS), list(LEDGER_STATUS_WEIGHTS.values())
    for start in range(0, entries, 5000):
        size = min(5000, entries - start)
        chosen = [orgs[rng.randrange(len(orgs))] for _ in range(size)]
        builders.ledger_entries(chosen, [today + timedelta(days=rng.randint(-200, 120)) for _ in range(size)],
                                rng.choices(names, weights, k=size))

    print("writing off-site notices…", flush=True)
    chosen = [orgs[rng.randrange(len(orgs))] for _ in range(2000)]
    builders.off_site(chosen, [today + timedelta(days=rng.randint(-60, 60)) for _ in chosen])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure(requests: int) -> bool:
    from django.test import Client
    from django.urls import reverse

    from inspections.models import OffSiteNotification, VerificationCase
    from portal.accounts.models import Organisation, User
    from qc.ledger.models import LedgerEntry
    from qc.models import Assessment

    url = reverse("core:home")
    print(f"{Organisation.objects.filter(kind='institution').count()} institutions, "
          f"{VerificationCase.objects.count()} verifications, {Assessment.objects.count()} assessments, "
          f"{LedgerEntry.objects.count()} ledger entries, {OffSiteNotification.objects.count()} off-site notices")
    print(f"{requests} timed requests per reader\n")
    print(f"{'reader':<18}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    ok = True
    for username in [*READERS, "bench_national"]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        timings, response, queries = time_requests(client, url, requests=requests, warm_up=5)
        if response.status_code != 200 or b'data-testid="dashboard"' not in response.content:
            sys.exit(f"{username}: HTTP {response.status_code} or no dashboard")
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        ok = ok and p95 < LIMIT_MS
        print(f"{username:<18}{queries:>9}{p50:>9.1f}{p95:>9.1f}{max(timings):>9.1f}")
    print(f"\nlimit: p95 under {LIMIT_MS:.0f} ms per reader")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args()
    run_page_benchmark(os.environ.get("DATABASE_URL", DEFAULT_URL), keep=args.keep,
                       static_prefix="dashboard-bench-static-", build=lambda: build(args.institutions, args.entries),
                       measure=lambda: measure(args.requests))


if __name__ == "__main__":
    main()
