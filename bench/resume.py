"""Benchmark of ``--resume``: how long rebuilding a killed run's state from its files takes.

Crawls a generated world once (the real crawler, through the local web), then makes a large
run out of it by repeating its pages and links under ``copies`` URL prefixes (every URL gets a
``/copy-<k>`` path, so each copy is a distinct part of one frontier), marks the run
interrupted, and times what a resume does before its first request: the dedupe pipeline's
stored pages and redirect hops, the requested URLs, and the spider's rebuilt frontier
(``BacklinksSpider._resumed_requests``). Prints one JSON line with the sizes, seconds and peak
RSS.

``python -m bench.resume [--sites 200] [--copies 25] [--work bench/work/resume] [--source DIR]``

``--source DIR`` replicates the crawl an earlier run left in ``DIR`` (``WORK/source``) instead
of crawling again, to time other ``--copies`` of the same pages; ``--code DIR`` times the
rebuild of another tree's code (the code before a change) on the same files.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ["http://www.news-1.com/"]


def crawl_world(sites: int, out: Path) -> None:
    from linkspider.web import LocalWebProcess, World, WorldConfig

    world = World(WorldConfig(seed=3, sites=sites, pages_per_site=4))
    with LocalWebProcess(world) as web:
        subprocess.run([sys.executable, "-m", "linkspider", "crawl", *world.seeds(), "--proxy",
                        web.proxy_url, "--allow-private-addresses", "--out", str(out),
                        "--no-throttle", "--concurrency", "16", "--max-depth", "20",
                        "--max-pages-per-site", "0", "--run-id", "source"],
                       check=True, cwd=ROOT, capture_output=True)  # fmt: skip


def replicate(source: Path, out: Path, copies: int) -> dict[str, int]:
    """Write run ``big`` into ``out``: the source run's rows under ``copies`` URL prefixes."""
    con = duckdb.connect()
    shift = ("regexp_replace({col}, '^(https?://[^/]+)/', '\\1/copy-' || k || '/')")
    counts = {}
    for table, url_columns in (("pages", ("url", "final_url")),
                               ("links", ("source_url", "target_url"))):  # fmt: skip
        replaced = ", ".join(f"{shift.format(col=c)} AS {c}" for c in url_columns)
        con.execute(
            f"CREATE TABLE {table} AS SELECT * REPLACE ({replaced}, 'big' AS run_id) "
            f"FROM read_parquet('{source}/{table}/*/*/*.parquet', hive_partitioning = false), "
            f"range({copies}) t(k)"
        )
    # A kill lost a fifth of the pages, with their links: the frontier leads back to them.
    con.execute("CREATE TABLE lost AS SELECT DISTINCT final_url FROM pages WHERE hash(url) % 5 = 0")
    con.execute("DELETE FROM pages WHERE hash(url) % 5 = 0")
    con.execute("DELETE FROM links WHERE source_url IN (SELECT final_url FROM lost)")
    for table in ("pages", "links"):
        target = out / table / "crawl_date=2026-12-02" / "run=big"
        target.mkdir(parents=True)
        con.execute(f"COPY {table} TO '{target}/part-bench-1-00000.parquet' "
                    "(FORMAT parquet, COMPRESSION zstd)")  # fmt: skip
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return counts


def time_resume(out: Path) -> dict[str, float]:
    from scrapy.settings import Settings
    from scrapy.utils.reactor import install_reactor
    from scrapy.utils.test import get_crawler

    from linkspider.runs import RunRecord, write_run_record
    from linkspider.runs.context import RunContext, crawl_settings_json
    from linkspider.runs.recorder import seeds_digest
    from linkspider.spiders.backlinks import BacklinksSpider
    from pipelines.dedupe import DedupePagesPipeline

    settings = Settings()
    settings.setmodule("linkspider.settings")
    install_reactor(settings.get("TWISTED_REACTOR"))
    settings.setdict({"LINKSPIDER_OUTPUT_DIR": str(out), "LINKSPIDER_RUN_ID": "big",
                      "LINKSPIDER_RESUME": True, "LINKSPIDER_MAX_DEPTH": 20,
                      "LINKSPIDER_MAX_PAGES_PER_SITE": 0})  # fmt: skip
    from datetime import datetime, timezone

    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    write_run_record(out, RunRecord(run_id="big", output_dir=str(out), crawl_date="2026-12-02",
                                    started_at=now, heartbeat_at=now, host="gone", pid=1,
                                    settings=crawl_settings_json(settings), seeds=SEEDS,
                                    seeds_count=1, seeds_sha256=seeds_digest(SEEDS)))  # fmt: skip
    timings: dict[str, float] = {}

    def peak_mb() -> float:  # VmHWM: unlike ru_maxrss, not inherited from a forking parent
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    timings["rss_start_mb"] = peak_mb()
    started = time.perf_counter()
    crawler = get_crawler(BacklinksSpider, settings.copy_to_dict())
    context = RunContext.for_crawler(crawler)
    timings["prepare_s"] = time.perf_counter() - started
    timings["rss_prepared_mb"] = peak_mb()
    t0 = time.perf_counter()
    DedupePagesPipeline.from_crawler(crawler)
    timings["dedupe_state_s"] = time.perf_counter() - t0
    timings["rss_dedupe_mb"] = peak_mb()
    t0 = time.perf_counter()
    spider = BacklinksSpider.from_crawler(crawler, seeds=SEEDS)
    spider._mark_requested(context.journal().requested_urls())
    timings["requested_urls_s"] = time.perf_counter() - t0
    timings["rss_requested_mb"] = peak_mb()
    t0 = time.perf_counter()
    timings["frontier_requests"] = sum(1 for _ in spider._resumed_requests(context.journal()))
    timings["frontier_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started
    timings["peak_rss_mb"] = peak_mb()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--work", default=str(ROOT / "bench" / "work" / "resume"))
    parser.add_argument("--source", help="an earlier crawl to replicate (WORK/source)")
    parser.add_argument("--code", default=str(ROOT), help="tree whose rebuild is timed")
    parser.add_argument("--time-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = Path(args.work)
    if args.time_only:  # in a process of its own, for an honest peak RSS
        timings = time_resume(work / "big")
        print(json.dumps(timings))
        return 0
    if args.source:
        source = Path(args.source).absolute()
        shutil.rmtree(work / "big", ignore_errors=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
        source = work / "source"
        crawl_world(args.sites, source)
    counts = replicate(source, work / "big", args.copies)
    timed = subprocess.run([sys.executable, "-m", "bench.resume", "--work", str(work.absolute()),
                            "--time-only"], cwd=args.code, check=True, capture_output=True,
                           text=True)  # fmt: skip
    print(json.dumps({"pages": counts["pages"], "links": counts["links"],
                      **json.loads(timed.stdout.strip().splitlines()[-1])}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
