"""Rendering a published list (公示名单) of 5,000 institutions as PDF and Excel.

    .venv/bin/python benchmarks/publication_render.py [--rows 5000] [--chunk-rows 250,400] [--workers 2]
                                                      [--repeat 2] [--keep DIR]

No database: the rows are generated (institution name, credit code, region, categories, about
60 characters of examination items, filing number, filing date) and streamed to
``reporting.publications.rendering`` as a selector would. For each chunk size and repeat it
prints the wall time and CPU time of the PDF (parent and worker processes) and of the
workbook, and at the end the peak resident memory of this process and of the largest worker
(``getrusage`` ``RUSAGE_SELF`` / ``RUSAGE_CHILDREN``).

Limits: PDF + Excel under 20 s, every process under 400 MB. The exit status says
whether the best run held. The machine is shared, so the load average is printed beside each
run; the CPU time divided by the number of cores is what the run costs on an idle machine.

``--chunk-profile`` instead renders one chunk in this process, as a worker would, and prints
the CPU time of its phases (parsing, layout, drawing and writing the PDF) per run: the figure
to compare when trying a change to the markup or the stylesheet, since it does not depend on
how two busy processes share the cores. ``--chunk-profile --cprofile`` adds a cProfile listing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import setup_django  # noqa: E402

LIMIT_SECONDS = 20.0
LIMIT_MB = 400.0

CITIES = {
    "长春市": ["南关区", "宽城区", "朝阳区", "二道区", "绿园区", "双阳区", "九台区", "农安县", "榆树市", "德惠市"],
    "吉林市": ["昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"],
    "四平市": ["铁西区", "铁东区", "梨树县", "伊通满族自治县", "双辽市"],
    "辽源市": ["龙山区", "西安区", "东丰县", "东辽县"],
    "通化市": ["东昌区", "二道江区", "通化县", "辉南县", "柳河县", "梅河口市", "集安市"],
    "白山市": ["浑江区", "江源区", "抚松县", "靖宇县", "长白朝鲜族自治县", "临江市"],
    "松原市": ["宁江区", "前郭尔罗斯蒙古族自治县", "长岭县", "乾安县", "扶余市"],
    "白城市": ["洮北区", "镇赉县", "通榆县", "洮南市", "大安市"],
    "延边朝鲜族自治州": ["延吉市", "图们市", "敦化市", "珲春市", "龙井市", "和龙市", "汪清县", "安图县"],
}
KINDS = ["人民医院", "中心医院", "职业病防治院", "疾病预防控制中心", "中医院", "健康体检中心", "妇幼保健院",
         "化工集团有限公司职工医院", "石化分公司职工医院", "矿业集团总医院"]
ITEMS = ["粉尘作业", "化学因素（苯、甲苯、二甲苯）", "物理因素（噪声）", "高温作业", "放射因素", "生物因素（布鲁菌）",
         "特殊作业（高处作业）", "压力容器作业", "职业机动车驾驶作业", "视屏作业", "高原作业", "航空作业",
         "铅及其无机化合物", "锰及其无机化合物", "正己烷", "电工作业"]
CATEGORIES = ["职业健康检查", "职业健康检查；职业病诊断", "职业健康检查（放射）"]
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_sheet():
    from reporting.publications.rendering import Column, Sheet

    return Sheet(
        title="吉林省职业健康检查机构备案名单",
        number="吉卫职健公示〔2026〕3号",
        authority="吉林省卫生健康委员会",
        kind_label="职业健康检查机构备案名单",
        data_as_of=date(2026, 11, 20),
        next_update_on=date(2026, 12, 20),
        published_at=datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        columns=[
            Column("name", "机构名称", 4),
            Column("code", "统一社会信用代码", 3),
            Column("region", "所在地区", 3),
            Column("categories", "备案类别", 2),
            Column("items", "备案检查项目", 6),
            Column("filing_number", "备案编号", 3),
            Column("filed_on", "备案日期", 2),
        ],
        notes="根据《职业健康检查管理办法》，现将本省已备案的职业健康检查机构名单予以公示。"
              "如对名单有异议，请于公示之日起 15 个工作日内向省卫生健康委员会职业健康处书面反映。",
    )


def make_rows(count: int, seed: int = 6):
    rng = random.Random(seed)
    cities = list(CITIES)
    for number in range(1, count + 1):
        city = rng.choice(cities)
        county = rng.choice(CITIES[city])
        items = []
        while len("、".join(items)) < 55:
            item = rng.choice(ITEMS)
            if item not in items:
                items.append(item)
        yield {
            "name": f"{city}{county}{rng.choice(KINDS)}" if rng.random() < 0.8 else f"{county}第{number}{rng.choice(KINDS)}",
            "code": "12" + "".join(rng.choice(CODE_CHARS) for _ in range(16)),
            "region": f"吉林省{city}{county}",
            "categories": rng.choice(CATEGORIES),
            "items": "、".join(items),
            "filing_number": f"吉职健备〔2026〕{number:04d}号",
            "filed_on": date(2024, 1, 1) + timedelta(days=rng.randrange(1000)),
        }


def cpu_seconds() -> tuple[float, float]:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def chunk_profile(args) -> int:
    """Phases of one chunk (the second, so without the header block), best of ``--repeat`` runs."""
    import gc

    from portal.core.pdf import safe_url_fetcher
    from reporting.publications import render_chunk, rendering

    size = int(args.chunk_rows.split(",")[0]) if args.chunk_rows else rendering.CHUNK_ROWS
    out = Path(tempfile.mkdtemp(prefix="bench-chunk-"))
    chunks = list(rendering._write_chunks(make_sheet(), make_rows(2 * size), out, size))
    html = chunks[-1].html.read_text(encoding="utf-8")
    render_chunk.warm_up()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)  # as render_chunk.main does

    def run() -> tuple[int, float, float, float]:
        clock = time.process_time
        start = clock()
        document = render_chunk.ListHTML(string=html, base_url="data:,", url_fetcher=safe_url_fetcher())
        parsed = clock()
        rendered = document.render()
        laid_out = clock()
        rendered.write_pdf(out / "chunk.pdf")
        written = clock()
        pages = len(rendered.pages)
        del document, rendered
        gc.collect()
        return pages, parsed - start, laid_out - parsed, written - laid_out

    print(f"one chunk of {size} rows in this process, load {os.getloadavg()[0]:.1f}")
    results = []
    for attempt in range(1, max(args.repeat, 1) + 1):
        pages, parse, layout, write = run()
        results.append(parse + layout + write)
        print(f"run {attempt}: {pages} pages | parse {parse:.2f} s | style+layout {layout:.2f} s "
              f"| draw+write PDF {write:.2f} s | total {parse + layout + write:.2f} CPU-s "
              f"({1000 * (parse + layout + write) / size:.1f} ms per row)", flush=True)
    if args.cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(run)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    print(f"best {min(results):.2f} CPU-s, {1000 * min(results) / size:.1f} ms per row")
    shutil.rmtree(out, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--chunk-rows", default="", help="comma-separated chunk sizes (default: the module's)")
    parser.add_argument("--workers", type=int, default=None, help="render processes (default: one per CPU)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", help="write the files into this directory and keep them")
    parser.add_argument("--chunk-profile", action="store_true",
                        help="time the phases of one chunk rendered in this process instead")
    parser.add_argument("--cprofile", action="store_true", help="with --chunk-profile: print a cProfile listing")
    args = parser.parse_args()
    setup_django(quiet=True)
    if args.chunk_profile:
        return chunk_profile(args)
    from reporting.publications import rendering

    sizes = [int(size) for size in args.chunk_rows.split(",") if size] or [rendering.CHUNK_ROWS]
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-publication-"))
    out.mkdir(parents=True, exist_ok=True)
    sheet = make_sheet()
    cores = os.cpu_count() or 1
    print(f"{args.rows} rows, {cores} CPUs, workers {args.workers or cores}, output in {out}")
    best = None
    for size in sizes:
        for attempt in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            cpu0 = cpu_seconds()
            start = time.perf_counter()
            pages = rendering.render_pdf(sheet, make_rows(args.rows), out / "list.pdf", workers=args.workers,
                                         chunk_rows=size)
            pdf_wall = time.perf_counter() - start
            cpu1 = cpu_seconds()
            start = time.perf_counter()
            rendering.render_xlsx(sheet, make_rows(args.rows), out / "list.xlsx")
            xlsx_wall = time.perf_counter() - start
            cpu2 = cpu_seconds()
            pdf_parent, pdf_workers = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
            xlsx_cpu = cpu2[0] - cpu1[0]
            total = pdf_wall + xlsx_wall
            idle_estimate = max(pdf_parent, (pdf_parent + pdf_workers) / cores) + xlsx_cpu
            print(f"chunk {size:4d} run {attempt}: PDF {pdf_wall:5.1f} s ({pages} pages, "
                  f"{(out / 'list.pdf').stat().st_size / 1e6:.1f} MB; CPU parent {pdf_parent:4.1f} s, "
                  f"workers {pdf_workers:5.1f} s) | XLSX {xlsx_wall:4.1f} s "
                  f"({(out / 'list.xlsx').stat().st_size / 1e6:.1f} MB) | total {total:5.1f} s "
                  f"| CPU/{cores} cores {idle_estimate:5.1f} s | load {load:4.1f}", flush=True)
            if best is None or total < best[0]:
                best = (total, size, attempt)
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total, size, attempt = best
    ok = total < LIMIT_SECONDS and parent_mb < LIMIT_MB and child_mb < LIMIT_MB
    print(f"best total {total:.1f} s (chunk {size}, run {attempt}) against < {LIMIT_SECONDS:.0f} s")
    print(f"peak RSS: parent {parent_mb:.0f} MB, largest worker {child_mb:.0f} MB, against < {LIMIT_MB:.0f} MB")
    print("OK" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
