"""Publishing the 5,000-institution directory list: snapshot rows, PDF and Excel.

    .venv/bin/python benchmarks/publishing.py [--fresh | --rebuild] [--workers N] [--one-table]

1. Builds (once; --rebuild to build the rows again, --fresh to drop and create the database,
   whose name must then start with "portal_bench") a PostgreSQL database, DATABASE_URL or
   postgres://postgres@127.0.0.1:5432/portal_bench_publishing, with 5,000 accepted
   institutions in Jilin averaging 30 items, plus drafts and cancelled filings that must stay
   out of the list (the builder of benchmarks/public_directory.py, all in one province).
2. In a fresh child process (so that its peak memory is the publishing's alone), schedules the
   filed-institutions list of Jilin through the service and publishes it: 5,000 snapshot rows,
   the PDF (rendered in parallel worker processes) and the Excel workbook.
3. Prints the wall time and where it went (collecting the rows, storing the snapshot rows,
   the PDF, the workbook), the row and page counts, and the peak resident memory of the
   publishing process (``VmHWM``) and of its largest render worker (``RUSAGE_CHILDREN``),
   against the targets: under 20 s, under 400 MB per process. The exit status says whether
   both held.

``--one-table`` publishes the same list with the PDF laid out as one WeasyPrint table in the
publishing process (WeasyPrint's own stylesheet, no chunks, no workers): the figure the
20 s target is set against ("about 50 s and 750 MB"), measured on the machine at hand.

The publisher's peak is read from ``/proc/self/status`` rather than ``RUSAGE_SELF``: Linux
carries the high-water mark of the process that forked a child over into the child's
``ru_maxrss`` at ``exec``, so after building the database (about 570 MB) the child would report
the builder's memory, not its own. A render worker's ``ru_maxrss`` likewise starts at the
publisher's size when it was started, so the worker figure is an upper bound.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, child_environment  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_publishing"
TARGET_SECONDS = 20.0
TARGET_MB = 400.0
INSTITUTIONS = 5000


def _environment(database_url: str, media_root: str) -> dict[str, str]:
    env = child_environment(database_url, MEDIA_ROOT=media_root)
    env.pop("REDIS_URL", None)  # tasks run in the process; nothing is queued
    return env


def build(database_url: str, *, fresh: bool, rebuild: bool) -> None:
    from benchmarks import public_directory

    public_directory.PROVINCES = ["220000"]  # the whole list in one province: one 5,000-row publication
    public_directory.ensure_database(database_url, fresh=fresh)
    public_directory.build_data(rebuild or fresh)


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (``VmHWM``, reset at ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(phases: dict, name: str, function):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
    return timed


def _one_table_pdf(sheet, rows, dest, *, while_rendering=None) -> int:
    """The PDF as one table in this process, the rest after it: what the chunked rendering is measured against."""
    from weasyprint import HTML

    from portal.core.pdf import safe_url_fetcher
    from reporting.publications import rendering

    rows = list(rows)
    with tempfile.TemporaryDirectory(prefix="bench-one-table-") as work:
        [chunk] = rendering._write_chunks(sheet, rows, Path(work), max(len(rows), 1))
        document = HTML(string=chunk.html.read_text(encoding="utf-8"), base_url="data:,",
                        url_fetcher=safe_url_fetcher()).render()
        document.write_pdf(dest)
    if while_rendering is not None:
        while_rendering()
    return len(document.pages)


def publish(workers: int | None, one_table: bool = False) -> dict:
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
    from reporting.publications.models import PublicationRow

    phases: dict[str, float] = {}
    real = services.renderers

    def timed_renderers():
        found = real()
        render_pdf = found.render_pdf
        if one_table:
            render_pdf = _one_table_pdf
        elif workers:
            def render_pdf(sheet, rows, dest, _render=found.render_pdf, **options):
                return _render(sheet, rows, dest, workers=workers, **options)
        return services.Renderers(found.column, found.sheet, _timed(phases, "pdf", render_pdf),
                                  _timed(phases, "xlsx", found.render_xlsx))

    services.renderers = timed_renderers
    PublicationRow.objects.bulk_create = _timed(phases, "snapshot", PublicationRow.objects.bulk_create)
    now = timezone.now()
    scheduled = services.publication_schedule(actor=user, kind=PublicationKind.FILED_INSTITUTIONS,
                                              data_as_of=timezone.localdate(), scheduled_for=now + timedelta(seconds=1),
                                              now=now, next_update_on=timezone.localdate() + timedelta(days=90))
    started = time.perf_counter()
    cpu_started = time.process_time()
    publication = services.publication_publish(publication_id=scheduled.pk, now=now + timedelta(seconds=1))
    seconds = time.perf_counter() - started
    cpu_self = time.process_time() - cpu_started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "status": publication.status, "failure": publication.failure_reason, "number": publication.number,
        "rows": publication.row_count, "pages": publication.pdf_pages,
        "pdf_mb": publication.pdf.size / 2**20 if publication.pdf else 0,
        "xlsx_mb": publication.xlsx.size / 2**20 if publication.xlsx else 0,
        "seconds": seconds,
        "phases": phases,
        "cpu_self": cpu_self,
        "cpu_workers": children.ru_utime + children.ru_stime,
        "self_mb": _peak_rss_mb(),
        # Linux reports ru_maxrss in KiB.
        "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database first")
    parser.add_argument("--workers", type=int, default=0, help="PDF render processes (default: one per CPU)")
    parser.add_argument("--one-table", action="store_true",
                        help="lay the PDF out as one table in the publishing process, for comparison")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(publish(args.workers or None, args.one_table)))
        return
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    media_root = tempfile.mkdtemp(prefix="portal-bench-media-")
    env = _environment(database_url, media_root)
    os.environ.update(env)
    build(database_url, fresh=args.fresh, rebuild=args.rebuild)
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.one_table:
        command += ["--one-table"]
        print("the PDF as one WeasyPrint table in the publishing process (for comparison):")
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
    phases = result["phases"]
    print("  PDF {pdf:.1f} s, reading the rows and, meanwhile, the snapshot rows {snapshot:.1f} s "
          "and the Excel workbook {xlsx:.1f} s".format(**{name: phases.get(name, 0.0) for name in ("snapshot", "pdf", "xlsx")}))
    print(f"CPU time: publisher {result['cpu_self']:.1f} s, render workers {result['cpu_workers']:.1f} s "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"peak memory, publisher {result['self_mb']:6.0f} MB   (target < {TARGET_MB:.0f} MB per process)")
    print(f"peak memory, worker    {result['children_mb']:6.0f} MB   (largest render process)")
    ok = (result["rows"] == INSTITUTIONS and result["seconds"] < TARGET_SECONDS
          and max(result["self_mb"], result["children_mb"]) < TARGET_MB)
    print("targets met" if ok else "TARGETS MISSED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
