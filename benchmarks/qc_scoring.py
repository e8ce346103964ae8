"""Benchmark: saving a whole assessment (over 120 scored lines) and recomputing every total, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_qc .venv/bin/python benchmarks/qc_scoring.py

The database named in DATABASE_URL (default portal_bench_qc) is dropped and created
afresh, so its name must start with "portal_bench". The assessment uses the shipped
Jilin sample sheets for an institution filed for three categories: one institution-
level sheet and three work-sample sheets, 126 lines. Each run submits every line with
new deductions, so every line is written; the first run inserts, later runs update.
Prints the median and the slowest save; the median must stay under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_qc"
LIMIT_MS = 200.0


def build_assessment():
    """The sample sheets, an institution filed for dust, chemical and physical items, and its assessment."""
    from portal.accounts.choices import OrgKind
    from portal.accounts.models import Organisation, User
    from portal.regions.models import Region
    from portal.regions.services import regions_load
    from qc.services import assessment_create, qc_samples_load
    from qc.tests.helpers import file_institution

    regions_load()
    province = Region.objects.get(code="220000")
    qc_center = Organisation.objects.create(name="吉林省职业病防治院", kind=OrgKind.QC_CENTER, province=province,
                                            region=province)
    assessor = User.objects.create(username="bench_qc", full_name="李明", organisation=qc_center)
    institution = Organisation.objects.create(name="长春市职业病防治院", kind=OrgKind.INSTITUTION,
                                              province=province, region=Region.objects.get(code="220102"))
    file_institution(institution, ("dust", "chemical", "physical"))
    qc_samples_load(province=province, actor=assessor)
    assessment = assessment_create(province=province, institution=institution, year=2026,
                                   assessed_on=date(2026, 5, 20), team_ids=[assessor.pk], actor=assessor)
    return assessment, assessor


def entries_for(assessment, rng: random.Random):
    """Every line of every sheet, as the scoring page submits them, with fresh deductions."""
    from qc.scoring import load_inputs
    from qc.services import ScoreEntry

    inputs = load_inputs(assessment)
    entries = []
    for sheet in inputs.sheets:
        for line in sheet.lines:
            if not line.applies:
                entries.append(ScoreEntry(sheet.assessment_sheet_id, line.indicator_id, deducted="", note=""))
                continue
            tenths = int(line.max_points * 10)
            deducted = rng.randrange(0, tenths + 1) / 10
            entries.append(ScoreEntry(sheet.assessment_sheet_id, line.indicator_id, deducted=f"{deducted:.1f}",
                                      note=f"扣分说明 {rng.randrange(1000)}"))
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)

    ensure_database(url, drop=True)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qc.services import assessment_save_scores, compute_result

    print("migrating…", flush=True)
    call_command("migrate", verbosity=0)
    assessment, assessor = build_assessment()
    rng = random.Random(2026)
    batches = [entries_for(assessment, rng) for _ in range(args.runs + 1)]
    lines = len(batches[0])
    print(f"assessment: {assessment.sheets.count()} sheets, {lines} lines", flush=True)

    timings = []
    queries = 0
    for number, batch in enumerate(batches):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = assessment_save_scores(assessment_id=assessment.pk, entries=batch, actor=assessor)
            elapsed = (time.perf_counter() - started) * 1000
        if number == 0:
            print(f"first save (inserts every line): {elapsed:.1f} ms, {len(captured)} queries")
        else:
            timings.append(elapsed)
            queries = len(captured)
    started = time.perf_counter()
    compute_result(assessment)
    compute_ms = (time.perf_counter() - started) * 1000

    median = statistics.median(timings)
    print(f"save {lines} lines and recompute ({len(timings)} runs, every line changed): "
          f"median {median:.1f} ms, slowest {max(timings):.1f} ms, {queries} queries")
    print(f"compute_result alone: {compute_ms:.1f} ms")
    print(f"last result: total {result.total}, grade {result.grade}, failed key items {len(result.failed_key_items)}")
    if median > LIMIT_MS:
        sys.exit(f"FAIL: median {median:.1f} ms exceeds {LIMIT_MS:.0f} ms")
    print(f"OK: under {LIMIT_MS:.0f} ms")


if __name__ == "__main__":
    main()
