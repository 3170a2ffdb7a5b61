"""linkspider's per-page work on one core, in-process, without a network.

Feeds saved pages (the docs files, or the world's pages answered in-process) as Scrapy
``HtmlResponse``s through ``BacklinksSpider.parse_page`` (extract, resolve, follow) and the
item pipelines (dedupe, normalize, Parquet export) exactly as the engine would, pinned to one
CPU (``sched_setaffinity``: pyarrow's threads included). Every page is parsed on the calling
thread (``LINKSPIDER_PARSE_THREADS=0``: a crawl hands big documents to worker threads, whose
coroutine needs the reactor). Prints one JSON object: links/s, pages/s, CPU per page and the
time spent in each stage, per pass, best and median of ``--passes`` passes.

``python -m bench.pipeline --target docs|world --out DIR [--urls-file F] [--docs-base URL]
[--docs-root DIR] [--pages N] [--world-sites N ...] [--passes 3] [--setting NAME=VALUE ...]``

Without ``--urls-file`` the docs target reads every ``*.html`` under ``--docs-root`` (sorted;
the first ``--pages``). ``bench.ab`` runs this file over another revision's code.
"""

from __future__ import annotations

import argparse
import inspect
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

import linkspider
from linkspider.crawl.extensions import GarbageCollectorTuning
from linkspider.crawl.items import PageItem
from linkspider.spiders.backlinks import BacklinksSpider
from pipelines.dedupe import DedupePagesPipeline
from pipelines.normalize import NormalizeLinksPipeline
from pipelines.parquet import ParquetExportPipeline

DOCS_BASE = "http://docs.test/"


class BenchInputError(Exception):
    """The benchmark was given input it cannot read (its message says what to do)."""


def docs_urls(root: Path, base_url: str = DOCS_BASE) -> list[str]:
    """Return the URL of every ``*.html`` file under ``root``, sorted, as served from ``base_url``."""
    if not root.is_dir():
        raise BenchInputError(f"no pages at {root}: install python3.11-doc "
                              "(apt-get install -y python3.11-doc) or pass --docs-root DIR")  # fmt: skip
    urls = [base_url + p.relative_to(root).as_posix() for p in sorted(root.rglob("*.html"))]
    if not urls:
        raise BenchInputError(f"no *.html file under {root}")
    return urls


def load_docs(urls: list[str], base_url: str, root: Path) -> list[tuple[str, bytes, dict]]:
    """Return ``(url, body, headers)`` of the docs pages as nginx serves them."""
    try:
        return [(url, (root / url[len(base_url):]).read_bytes(), {"Content-Type": "text/html"})
                for url in urls]  # fmt: skip
    except OSError as exc:
        raise BenchInputError(f"cannot read a page: {exc}; are --docs-root and --docs-base "
                              "those of the URL list?") from None  # fmt: skip


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


def one_pass(pages: list[tuple[str, bytes, dict]], out: Path,
             overrides: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Run every page through the spider and the pipelines once; return the timings."""
    shutil.rmtree(out, ignore_errors=True)
    settings = Settings()
    settings.setmodule("linkspider.settings")
    settings.set("LINKSPIDER_OUTPUT_DIR", str(out))
    settings.set("LINKSPIDER_RUN_ID", "pipeline-bench")
    settings.set("LINKSPIDER_PARSE_THREADS", 0)  # parse here, on this core: no reactor runs
    for name, value in (overrides or {}).items():
        settings.set(name, value)
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
        output = spider.parse_page(response)
        if inspect.iscoroutine(output):  # a tree that ignores LINKSPIDER_PARSE_THREADS=0
            output.close()
            raise BenchInputError(f"parse_page returned a coroutine for {response.url}: this "
                                  "code parses big pages in threads only (needs a reactor)")  # fmt: skip
        results = list(output)
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
    cpu = time.process_time() - cpu_started
    gc_tuning.spider_closed()
    return {
        "pages": len(responses), "links": links, "follow_requests": requests,
        "seconds": total, "cpu_seconds": cpu, "cpu_us_per_page": cpu * 1e6 / len(responses),
        "links_per_s": links / total, "pages_per_s": len(responses) / total,
        "stage_seconds": {"parse_page (extract, resolve, follow)": t_parse,
                          "dedupe": t_dedupe, "normalize": t_normalize,
                          "parquet export": t_export},
        "output_bytes": sum(p.stat().st_size for p in out.rglob("*.parquet")),
    }  # fmt: skip


def parse_setting(text: str) -> tuple[str, str]:
    """Return ``(name, value)`` of a ``NAME=VALUE`` option."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: use NAME=VALUE")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("docs", "world"), required=True)
    parser.add_argument("--urls-file", help="URLs to read (default for docs: every page)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--pages", type=int, default=0, help="the first N URLs only (0: all)")
    parser.add_argument("--docs-base", default=DOCS_BASE)
    parser.add_argument("--docs-root", default="/usr/share/doc/python3.11/html")
    parser.add_argument("--world-sites", type=int, default=200)
    parser.add_argument("--world-pages-per-site", type=int, default=10)
    parser.add_argument("--world-external-links", type=int, default=3)
    parser.add_argument("--world-seed", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last)")
    parser.add_argument("--setting", type=parse_setting, action="append", default=[],
                        metavar="NAME=VALUE", help="a Scrapy setting for the pass (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        return run(args)
    except BenchInputError as exc:
        print(f"bench.pipeline: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    """Run the passes ``args`` ask for and print their JSON."""
    cpus = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else cpus[-1]
    os.sched_setaffinity(0, {cpu})
    docs_root = Path(args.docs_root)
    if args.urls_file:
        try:
            urls = Path(args.urls_file).read_text(encoding="utf-8").split()
        except OSError as exc:
            raise BenchInputError(f"cannot read --urls-file: {exc}") from None
    elif args.target == "docs":
        urls = docs_urls(docs_root, args.docs_base)
    else:
        raise BenchInputError("--target world needs --urls-file (bench.ab writes one)")
    if args.pages:
        urls = urls[: args.pages]
    if not urls:
        raise BenchInputError("no URL to read")
    if args.target == "docs":
        pages = load_docs(urls, args.docs_base, docs_root)
    else:
        pages = load_world(urls, args.world_sites, args.world_pages_per_site,
                           args.world_external_links, args.world_seed)  # fmt: skip
    overrides = dict(args.setting)
    passes = [one_pass(pages, Path(args.out), overrides) for _ in range(args.passes)]
    rates = [p["links_per_s"] for p in passes]
    best = max(passes, key=lambda p: p["links_per_s"])
    print(json.dumps({"cpu": cpu, "code": str(Path(linkspider.__file__).resolve().parents[1]),
                      "settings": overrides, "passes": passes,
                      "median_links_per_s": statistics.median(rates),
                      "median_cpu_us_per_page": statistics.median(
                          p["cpu_us_per_page"] for p in passes),
                      "best": best}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
