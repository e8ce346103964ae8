"""Speed of the rectification ledger list: 50,000 entries on PostgreSQL, filtered and paginated.

    .venv/bin/python benchmarks/ledger_list.py [--entries 50000] [--requests 40] [--keep]

``DATABASE_URL`` names the database (default
postgres://postgres@127.0.0.1:5432/portal_bench_ledger); it is dropped and created afresh
unless ``--keep`` reuses it as it is, so its name must start with "portal_bench". The entries
are written with ``bulk_create`` for 800 institutions across Jilin, in every source, severity
and status, due dates from 200 days ago to 120 days ahead (about a third overdue).

The list page is requested in-process through Django's test client with production
settings (DEBUG=0, cached templates), signed in as each kind of reader, with several filter
combinations and a deep page. Each combination is requested ``--requests`` times after a
warm-up; the script prints p50/p95 per combination and the number of SQL queries (a name filter
adds one: the matching institutions are looked up first). The exit status says whether every p95
stayed under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    LEDGER_STATUS_WEIGHTS,
    percentile,
    run_page_benchmark,
    time_requests,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_ledger"
LIMIT_MS = 150.0
INSTITUTIONS = 800
SEED = 2026
SUFFIXES = ["人民医院", "中心医院", "中医院", "职业病防治院", "疾病预防控制中心", "职工医院", "健康体检中心", "妇幼保健院"]


def build(entries: int) -> None:
    """Regions, authorities with one user each, 800 institutions and ``entries`` ledger entries."""
    from django.db import connection
    from django.utils import timezone

    from portal.accounts.choices import OrgKind
    from portal.accounts.models import Organisation, User
    from portal.accounts.services import _sync_institution_perm
    from portal.regions.models import Region, RegionLevel
    from portal.regions.services import regions_load
    from qc.ledger.choices import LedgerSource, Severity
    from qc.ledger.models import LedgerEntry

    rng = random.Random(SEED)
    print("loading regions…", flush=True)
    regions_load()
    province = Region.objects.get(code="220000")
    places = list(Region.objects.filter(province=province).exclude(level=RegionLevel.PROVINCE).order_by("code"))
    authorities = {
        "bench_qc": ("吉林省职业病防治院", OrgKind.QC_CENTER, "220000"),
        "bench_city": ("长春市卫生健康委员会", OrgKind.HEALTH_COMMISSION, "220100"),
        "bench_county": ("长春市南关区卫生健康局", OrgKind.HEALTH_COMMISSION, "220102"),
        "bench_supervision": ("吉林省卫生健康综合监督保障中心", OrgKind.SUPERVISION, "220000"),
    }
    openers = []
    for username, (name, kind, code) in authorities.items():
        org = Organisation.objects.create(name=name, kind=kind, province=province, region=Region.objects.get(code=code))
        User.objects.create(username=username, full_name=username, organisation=org)
        openers.append(org)
    national = Organisation.objects.create(name="国家卫生健康委", kind=OrgKind.NATIONAL,
                                           region=Region.objects.get(code="110000"))
    User.objects.create(username="bench_national", full_name="bench_national", organisation=national)
    institutions = Organisation.objects.bulk_create([
        Organisation(name=f"{places[i % len(places)].name}第{i}{SUFFIXES[i % len(SUFFIXES)]}", kind=OrgKind.INSTITUTION,
                     province=province, region=places[i % len(places)])
        for i in range(INSTITUTIONS)])
    member = User.objects.create(username="bench_institution", full_name="bench_institution",
                                 organisation=institutions[0])
    _sync_institution_perm(member)

    print(f"writing {entries} entries…", flush=True)
    today = timezone.localdate()
    now = timezone.now()
    statuses = list(LEDGER_STATUS_WEIGHTS)
    weights = list(LEDGER_STATUS_WEIGHTS.values())
    batch = []
    for n in range(entries):
        org = institutions[rng.randrange(INSTITUTIONS)]
        status = rng.choices(statuses, weights)[0]
        due_on = today + timedelta(days=rng.randint(-200, 120))
        closed_on = min(today, due_on + timedelta(days=rng.randint(-30, 10))) if status == "closed" else None
        batch.append(LedgerEntry(
            province_id=province.pk, region_id=org.region_id, institution=org,
            source=rng.choice(LedgerSource.values), description=f"问题描述 {n}：体检报告缺少主检医师签字",
            severity=rng.choice(Severity.values), requirement="限期整改并报送证明材料", due_on=due_on,
            responsible_name="质量负责人", status=status, opened_by_organisation=rng.choice(openers),
            opened_at=now, status_changed_at=now, closed_on=closed_on))
        if len(batch) == 5000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def combinations(city_id: int, county_id: int) -> dict[str, list[tuple[str, dict]]]:
    from django.utils import timezone

    today = timezone.localdate()
    window = {"due_from": (today - timedelta(days=30)).isoformat(), "due_to": today.isoformat()}
    return {
        "bench_qc": [
            ("no filter", {}),
            ("status", {"status": "open"}),
            ("source+severity", {"source": "supervision", "severity": "critical"}),
            ("overdue only", {"overdue_only": "on"}),
            ("due date range", window),
            ("region (city)", {"region": city_id}),
            ("region (county)", {"region": county_id}),
            ("institution name", {"institution_name": "人民医院"}),
            ("status+overdue+region", {"status": "accepted", "overdue_only": "on", "region": city_id}),
            ("page 50", {"page": 50}),
        ],
        "bench_city": [("no filter", {}), ("overdue only", {"overdue_only": "on"}),
                       ("institution name", {"institution_name": "中医院"})],
        "bench_county": [("no filter", {}), ("status", {"status": "fix_submitted"})],
        "bench_supervision": [("no filter (escalated)", {}), ("overdue only", {"overdue_only": "on"}),
                              ("page 20", {"page": 20})],
        "bench_institution": [("no filter", {}), ("status", {"status": "closed"})],
        "bench_national": [("no filter", {}), ("source", {"source": "qc_assessment"})],
    }


def measure(requests: int) -> bool:
    from django.test import Client
    from django.urls import reverse

    from portal.accounts.models import User
    from portal.regions.models import Region
    from qc.ledger.forms import LedgerFilterForm
    from qc.ledger.models import LedgerEntry
    from qc.ledger.selectors import filter_regions, ledger_entries

    url = reverse("ledger:list")
    city, county = Region.objects.get(code="220100"), Region.objects.get(code="220102")
    print(f"{LedgerEntry.objects.count()} entries; {requests} timed requests per line\n")
    print(f"{'reader':<20}{'filters':<26}{'rows':>7}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}")
    ok = True
    every: list[float] = []
    for username, combos in combinations(city.pk, county.pk).items():
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for label, params in combos:
            target = f"{url}?{urlencode(params)}" if params else url
            timings, response, queries = time_requests(client, target, requests=requests, warm_up=3)
            if response.status_code != 200:
                sys.exit(f"{username} {target}: HTTP {response.status_code}")
            form = LedgerFilterForm({k: str(v) for k, v in params.items()} or None, regions=filter_regions(user))
            rows = ledger_entries(user, form.filters()).count()
            p50, p95 = statistics.median(timings), percentile(timings, 95)
            every.extend(timings)
            ok = ok and p95 < LIMIT_MS
            print(f"{username:<20}{label:<26}{rows:>7}{queries:>9}{p50:>9.1f}{p95:>9.1f}")
    print(f"\nall requests: p50 {statistics.median(every):.1f} ms, p95 {percentile(every, 95):.1f} ms, "
          f"max {max(every):.1f} ms (limit: p95 under {LIMIT_MS:.0f} ms per line)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    args = parser.parse_args()
    run_page_benchmark(os.environ.get("DATABASE_URL", DEFAULT_URL), keep=args.keep,
                       static_prefix="ledger-bench-static-", build=lambda: build(args.entries),
                       measure=lambda: measure(args.requests))


if __name__ == "__main__":
    main()
