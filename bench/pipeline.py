"""linkspider's per-page work on one core, in-process, without a network.

Feeds saved pages (the docs files, or the world's pages answered in-process) as Scrapy
``HtmlResponse``s through ``BacklinksSpider.parse_page`` (extract, resolve, follow) and the
item pipelines (dedupe, normalize, Parquet export) exactly as the engine would, pinned to one
CPU (``sched_setaffinity``: pyarrow's threads included). Prints one JSON object: links/s,
pages/s and the time spent in each stage, best and median of ``--passes`` passes.

``python -m bench.pipeline --target docs|world --urls-file F --out DIR [--docs-base URL]
[--world-sites N ...] [--passes 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from scrapy.utils.test import get_crawler

from linkspider.crawl.extensions import GarbageCollectorTuning
from linkspider.crawl.items import PageItem
from linkspider.spiders.backlinks import BacklinksSpider
from pipelines.dedupe import DedupePagesPipeline
from pipelines.normalize import NormalizeLinksPipeline
from pipelines.parquet import ParquetExportPipeline


def load_docs(urls: list[str], base_url: str, root: Path) -> list[tuple[str, bytes, dict]]:
    """Return ``(url, body, headers)`` of the docs pages as nginx serves them."""
    return [(url, (root / url[len(base_url):]).read_bytes(), {"Content-Type": "text/html"})
            for url in urls]  # fmt: skip


def load_world(urls: list[str], sites: int, pages_per_site: int, external: int, seed: int) -> list:
    """Return ``(url, body, headers)`` of the world's pages, answered in-process."""
    from linkspider.web.world import World, WorldConfig

    world = World(WorldConfig(seed=seed, sites=sites, pages_per_site=pages_per_site,
                              external_links_per_page=external))  # fmt: skip
    pages = []
    for url in urls:
        parts = urlsplit(url)
        answer = world.respond(parts.hostname or "", parts.path or "/")
        pages.append((url, answer.body, dict(answer.headers)))
    return pages


def one_pass(pages: list[tuple[str, bytes, dict]], out: Path) -> dict[str, Any]:
    """Run every page through the spider and the pipelines once; return the timings."""
    shutil.rmtree(out, ignore_errors=True)
    settings = Settings()
    settings.setmodule("linkspider.settings")
    settings.set("LINKSPIDER_OUTPUT_DIR", str(out))
    settings.set("LINKSPIDER_RUN_ID", "pipeline-bench")
    install_reactor(settings.get("TWISTED_REACTOR"))
    crawler = get_crawler(BacklinksSpider, settings.copy_to_dict())
    spider = BacklinksSpider.from_crawler(crawler, seeds=[pages[0][0]])
    dedupe, normalize = DedupePagesPipeline(), NormalizeLinksPipeline()
    export = ParquetExportPipeline.from_crawler(crawler)
    export.open_spider()
    responses = [
        HtmlResponse(url, body=body, headers=headers,
                     request=Request(url, meta={"depth": 0, "hops": 0}))
        for url, body, headers in pages
    ]  # fmt: skip
    gc_tuning = GarbageCollectorTuning.from_crawler(crawler)  # as in a crawl
    gc_tuning.spider_opened()
    t_parse = t_dedupe = t_normalize = t_export = 0.0
    links = requests = 0
    clock = time.perf_counter
    started = clock()
    cpu_started = time.process_time()
    for response in responses:
        t0 = clock()
        results = list(spider.parse_page(response))
        t1 = clock()
        t_parse += t1 - t0
        for result in results:
            if not isinstance(result, PageItem):
                requests += 1
                continue
            t0 = clock()
            dedupe.process_item(result)
            t1 = clock()
            normalize.process_item(result)
            t2 = clock()
            export.process_item(result)
            t3 = clock()
            t_dedupe += t1 - t0
            t_normalize += t2 - t1
            t_export += t3 - t2
            links += result.links_count
    t0 = clock()
    export.close_spider()
    t_export += clock() - t0
    total = clock() - started
    gc_tuning.spider_closed()
    return {
        "pages": len(responses), "links": links, "follow_requests": requests,
        "seconds": total, "cpu_seconds": time.process_time() - cpu_started,
        "links_per_s": links / total, "pages_per_s": len(responses) / total,
        "stage_seconds": {"parse_page (extract, resolve, follow)": t_parse,
                          "dedupe": t_dedupe, "normalize": t_normalize,
                          "parquet export": t_export},
        "output_bytes": sum(p.stat().st_size for p in out.rglob("*.parquet")),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("docs", "world"), required=True)
    parser.add_argument("--urls-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--docs-base")
    parser.add_argument("--docs-root", default="/usr/share/doc/python3.11/html")
    parser.add_argument("--world-sites", type=int, default=200)
    parser.add_argument("--world-pages-per-site", type=int, default=10)
    parser.add_argument("--world-external-links", type=int, default=3)
    parser.add_argument("--world-seed", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last)")
    args = parser.parse_args(argv)
    cpus = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else cpus[-1]
    os.sched_setaffinity(0, {cpu})
    urls = Path(args.urls_file).read_text(encoding="utf-8").split()
    if args.target == "docs":
        pages = load_docs(urls, args.docs_base, Path(args.docs_root))
    else:
        pages = load_world(urls, args.world_sites, args.world_pages_per_site,
                           args.world_external_links, args.world_seed)  # fmt: skip
    passes = [one_pass(pages, Path(args.out)) for _ in range(args.passes)]
    rates = [p["links_per_s"] for p in passes]
    best = max(passes, key=lambda p: p["links_per_s"])
    print(json.dumps({"cpu": cpu, "passes": passes, "median_links_per_s": statistics.median(rates),
                      "best": best}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
