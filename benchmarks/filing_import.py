"""Benchmark: bulk import of 5,000 filed institutions (about 30 items each) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_import .venv/bin/python benchmarks/filing_import.py

The database named in DATABASE_URL (default portal_bench_import) is dropped and created
afresh, so its name must start with "portal_bench". Prints the time of each step; the
upload check, the dry run and the commit together must stay under 30 seconds.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_import"
LIMIT_SECONDS = 30.0


def generate(rows: int, items_per_row: int, seed: int = 2026) -> tuple[bytes, int]:
    """A workbook in the import layout: 90 % examination institutions, 10 % diagnosis institutions."""
    from openpyxl import Workbook

    from filing.catalogue.models import Disease, ExamItem
    from filing.demo import with_check_character
    from filing.importing import workbook as wb
    from portal.regions.models import Region

    rng = random.Random(seed)
    exam_items = list(ExamItem.objects.select_related("category").values_list("code", "category__code"))
    diseases = list(Disease.objects.select_related("category").values_list("code", "category__number"))
    regions = list(Region.objects.filter(province__code="220000", level__in=["city", "county"])
                   .values_list("code", flat=True))
    types = ["上岗前,在岗期间,离岗时", "上岗前,在岗期间,离岗时,应急", "在岗期间", "上岗前、在岗期间、离岗后医学随访"]
    book = Workbook(write_only=True)
    institutions = book.create_sheet(wb.SHEET_INSTITUTIONS)
    institutions.append(list(wb.INSTITUTION_COLUMNS))
    items = book.create_sheet(wb.SHEET_ITEMS)
    items.append(list(wb.ITEM_COLUMNS))
    item_rows = 0
    for n in range(1, rows + 1):
        diagnosis = n % 10 == 0
        code = with_check_character(f"12220000{n:09d}")
        institutions.append([
            f"吉林省第{n}职业健康检查机构", code, "职业病诊断机构" if diagnosis else "职业健康检查机构",
            f"PDY{n:08d}", rng.choice(regions), f"长春市南关区人民大街{n}号", "0431-88888888", "张三", "李四",
            "王五", date(2015, 1, 1) + timedelta(days=rng.randrange(3000)), f"吉备{n:05d}" if n % 3 == 0 else "",
            "是" if n % 4 == 0 else "否", round(rng.uniform(400, 5000), 2),
        ])
        count = max(1, int(rng.gauss(items_per_row, 4)))
        if diagnosis:
            for disease, category in rng.sample(diseases, min(count, len(diseases))):
                items.append([code, disease, "", category if n % 2 else ""])
                item_rows += 1
        else:
            for item, category in rng.sample(exam_items, min(count, len(exam_items))):
                items.append([code, item, rng.choice(types), category if n % 2 else ""])
                item_rows += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), item_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--items", type=int, default=30, help="average items per institution")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)

    ensure_database(url, drop=True)
    setup_django(url)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from filing.catalogue.services import catalogue_load_builtin
    from filing.importing import services
    from filing.models import FiledItem, Filing
    from filing.models_import import ImportStatus
    from portal.accounts.choices import Role
    from portal.regions.models import Region
    from portal.regions.services import regions_load
    from portal.testing.factories import make_user

    assert connection.vendor == "postgresql", "the benchmark is meant for PostgreSQL"
    call_command("migrate", verbosity=0)
    regions_load()
    catalogue_load_builtin()
    admin = make_user(Role.PROVINCE_ADMIN)
    jilin = Region.objects.get(code="220000")
    # The benchmark times each step itself rather than through the task queue.
    services._run_after_commit = lambda task, job: None

    started = time.perf_counter()
    content, item_rows = generate(args.rows, args.items)
    generated = time.perf_counter() - started
    print(f"generated: {args.rows} institutions, {item_rows} item rows, {len(content) / 1048576:.1f} MB "
          f"in {generated:.1f} s")

    figures: dict[str, tuple[float, float]] = {}

    def timed(step: str, run):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        figures[step] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    job = timed("upload (type, archive, sheets, store)", lambda: services.import_job_create(
        upload=SimpleUploadedFile("bench.xlsx", content), actor=admin, province=jilin))
    job = timed("dry run", lambda: services.import_job_check(job_id=job.pk))
    if job.status != ImportStatus.READY:
        sys.exit(f"dry run found {job.error_count} problems, e.g. {job.errors[:3]}")

    def commit():
        services.import_job_start(job_id=job.pk, actor=admin)
        return services.import_job_commit(job_id=job.pk)

    job = timed("commit", commit)
    if job.status != ImportStatus.DONE:
        sys.exit(f"commit ended {job.status}: {job.errors[:3]}")

    total = sum(wall for wall, _cpu in figures.values())
    print(f"{'step':40s} {'wall':>8s} {'cpu':>8s}  (cpu: this process; the rest is the database and waiting)")
    for step, (wall, cpu) in figures.items():
        print(f"{step:40s} {wall:6.2f} s {cpu:6.2f} s")
    print(f"{'total':40s} {total:6.2f} s {sum(c for _w, c in figures.values()):6.2f} s  "
          f"(limit {LIMIT_SECONDS:.0f} s wall)")
    print(f"created: {Filing.objects.count()} filings, {FiledItem.objects.count()} filed items")

    started = time.perf_counter()
    again = services.import_job_create(upload=SimpleUploadedFile("bench.xlsx", content), actor=admin, province=jilin)
    again = services.import_job_check(job_id=again.pk)
    print(f"re-upload dry run: {again.summary.get('skip')} skipped, {again.summary.get('create')} to create "
          f"in {time.perf_counter() - started:.1f} s")
    if total >= LIMIT_SECONDS:
        sys.exit(f"too slow: {total:.1f} s")


if __name__ == "__main__":
    main()
