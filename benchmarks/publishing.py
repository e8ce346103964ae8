"""Publishing the 5,000-institution directory list: snapshot rows, PDF and Excel.

    .venv/bin/python benchmarks/publishing.py [--fresh | --rebuild] [--workers N]

1. Builds (once; --rebuild to build the rows again, --fresh to drop and create the database,
   whose name must then start with "portal_bench") a PostgreSQL database, DATABASE_URL or
   postgres://postgres@127.0.0.1:5432/portal_bench_publishing, with 5,000 accepted
   institutions in Jilin averaging 30 items, plus drafts and cancelled filings that must stay
   out of the list (the builder of benchmarks/public_directory.py, all in one province).
2. In a fresh child process (so that its peak memory is the publishing's alone), schedules the
   filed-institutions list of Jilin through the service and publishes it: 5,000 snapshot rows,
   the PDF (rendered in parallel worker processes) and the Excel workbook.
3. Prints the wall time, the row and page counts, and the peak resident memory of the
   publishing process (RUSAGE_SELF) and of its largest render worker (RUSAGE_CHILDREN),
   against the targets: under 20 s, under 400 MB per process. The exit status says whether
   both held.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_publishing"
TARGET_SECONDS = 20.0
TARGET_MB = 400.0
INSTITUTIONS = 5000


def _environment(database_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings", "MEDIA_ROOT": media_root,
                "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    env.pop("REDIS_URL", None)  # tasks run in the process; nothing is queued
    return env


def build(database_url: str, *, fresh: bool, rebuild: bool) -> None:
    from benchmarks import public_directory

    public_directory.PROVINCES = ["220000"]  # the whole list in one province: one 5,000-row publication
    public_directory.ensure_database(database_url, fresh=fresh)
    public_directory.build_data(rebuild or fresh)


def publish(workers: int | None) -> dict:
    """Runs in the child: schedule and publish once, report time and memory."""
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from portal.accounts.choices import OrgKind
    from portal.accounts.models import Organisation, User
    from portal.regions.models import Region
    from reporting.publications import services
    from reporting.publications.choices import PublicationKind

    province = Region.objects.get(code="220000")
    commission, _created = Organisation.objects.get_or_create(
        name="基准测试吉林省卫生健康委员会", province=province,
        defaults={"kind": OrgKind.HEALTH_COMMISSION, "region": province})
    user, _created = User.objects.get_or_create(username="bench_publisher",
                                                defaults={"full_name": "基准测试", "organisation": commission})
    if workers:
        real = services.renderers

        def with_workers():
            found = real()
            render_pdf = found.render_pdf
            return services.Renderers(found.column, found.sheet,
                                      lambda sheet, rows, dest: render_pdf(sheet, rows, dest, workers=workers),
                                      found.render_xlsx)

        services.renderers = with_workers
    now = timezone.now()
    scheduled = services.publication_schedule(actor=user, kind=PublicationKind.FILED_INSTITUTIONS,
                                              data_as_of=timezone.localdate(), scheduled_for=now + timedelta(seconds=1),
                                              now=now, next_update_on=timezone.localdate() + timedelta(days=90))
    started = time.perf_counter()
    publication = services.publication_publish(publication_id=scheduled.pk, now=now + timedelta(seconds=1))
    seconds = time.perf_counter() - started
    return {
        "status": publication.status, "failure": publication.failure_reason, "number": publication.number,
        "rows": publication.row_count, "pages": publication.pdf_pages,
        "pdf_mb": publication.pdf.size / 2**20 if publication.pdf else 0,
        "xlsx_mb": publication.xlsx.size / 2**20 if publication.xlsx else 0,
        "seconds": seconds,
        # Linux reports ru_maxrss in KiB.
        "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database first")
    parser.add_argument("--workers", type=int, default=0, help="PDF render processes (default: one per CPU)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(publish(args.workers or None)))
        return
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    media_root = tempfile.mkdtemp(prefix="portal-bench-media-")
    env = _environment(database_url, media_root)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    build(database_url, fresh=args.fresh, rebuild=args.rebuild)
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(done.returncode)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != "published":
        raise SystemExit(f"not published: {result['failure']}")
    print(f"published {result['number']}: {result['rows']} rows, PDF {result['pages']} pages "
          f"({result['pdf_mb']:.1f} MB), Excel {result['xlsx_mb']:.1f} MB")
    print(f"wall time             {result['seconds']:6.1f} s    (target < {TARGET_SECONDS:.0f} s)")
    print(f"peak memory, publisher {result['self_mb']:6.0f} MB   (target < {TARGET_MB:.0f} MB per process)")
    print(f"peak memory, worker    {result['children_mb']:6.0f} MB   (largest render process)")
    ok = (result["rows"] == INSTITUTIONS and result["seconds"] < TARGET_SECONDS
          and max(result["self_mb"], result["children_mb"]) < TARGET_MB)
    print("targets met" if ok else "TARGETS MISSED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
