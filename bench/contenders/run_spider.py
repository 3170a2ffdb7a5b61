"""Run the no-op or the LinkExtractor spider over a URL list with the benchmark's settings.

``python -m bench.contenders.run_spider noop|linkextractor --urls-file F --stats-dir D
[--concurrency N] [--feed FILE]`` (a proxy comes from ``http_proxy``). Settings are Scrapy's defaults (no project
settings) plus the ones every contender gets: the same concurrency in total and per host,
no throttling or delay, robots.txt obeyed, INFO logging, no telnet console.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from bench.contenders.spiders import LinkExtractorSpider, NoopSpider

SPIDERS = {"noop": NoopSpider, "linkextractor": LinkExtractorSpider}


def common_settings(concurrency: int, stats_dir: str) -> dict[str, object]:
    """Return the settings every contender runs with (see module doc)."""
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
        "EXTENSIONS": {"bench.contenders.stats.BenchStats": 900},
        "BENCH_STATS_DIR": stats_dir,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spider", choices=sorted(SPIDERS))
    parser.add_argument("--urls-file", required=True)
    parser.add_argument("--stats-dir", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--feed", help="JSON lines file for the items")
    args = parser.parse_args(argv)
    settings = Settings(common_settings(args.concurrency, args.stats_dir))
    if args.feed:
        settings.set("FEEDS", {args.feed: {"format": "jsonlines", "overwrite": True}})
    process = CrawlerProcess(settings)
    process.crawl(SPIDERS[args.spider], urls_file=args.urls_file)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
