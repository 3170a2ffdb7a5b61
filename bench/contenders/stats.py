"""A Scrapy extension that writes what the benchmark measures inside the crawling process.

Loaded into every contender with ``-s EXTENSIONS={"bench.contenders.stats.BenchStats": 900}``
and ``-s BENCH_STATS_DIR=DIR``. On ``spider_closed`` it writes ``DIR/stats-<pid>.json``:
the crawl window (``spider_opened`` to ``spider_closed``, so interpreter start-up and imports
are not counted), the process's CPU seconds in that window (``getrusage``), the pages fetched
(responses other than ``robots.txt``), the crawl's stats, and a progress series
``[wall time, pages, links]`` sampled every ``BENCH_PROGRESS_INTERVAL`` seconds, which the
driver joins with its RSS samples to place the 10%/50%/100% marks of a run.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

#: Stats that count links, by contender: linkspider's normalize pipeline, else items.
LINK_STATS = ("linkspider/links", "item_scraped_count")


class BenchStats:
    """Record the crawl window, CPU, pages and progress of one crawl (see module doc)."""

    def __init__(self, crawler: Any, directory: Path, interval: float) -> None:
        self.crawler = crawler
        self.directory = directory
        self.interval = interval
        self.pages = 0
        self.progress: list[tuple[float, int, int]] = []
        self._loop: task.LoopingCall | None = None
        self._opened_wall = self._opened = 0.0
        self._rusage: resource.struct_rusage | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> BenchStats:
        directory = crawler.settings.get("BENCH_STATS_DIR")
        if not directory:
            raise NotConfigured("BENCH_STATS_DIR is not set")
        ext = cls(crawler, Path(directory), crawler.settings.getfloat("BENCH_PROGRESS_INTERVAL", 0.2))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def _links(self) -> int:
        stats = self.crawler.stats
        for name in LINK_STATS:
            value = stats.get_value(name)
            if value:
                return int(value)
        return 0

    def _tick(self) -> None:
        self.progress.append((time.time(), self.pages, self._links()))

    def spider_opened(self, spider: Any) -> None:
        self._opened_wall = time.time()
        self._opened = time.monotonic()
        self._rusage = resource.getrusage(resource.RUSAGE_SELF)
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.interval, now=True)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        if not request.url.endswith("/robots.txt"):
            self.pages += 1

    def spider_closed(self, spider: Any, reason: str) -> None:
        elapsed = time.monotonic() - self._opened
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._tick()
        start = self._rusage
        stats = {
            k: v for k, v in self.crawler.stats.get_stats().items()
            if isinstance(v, (int, float, str)) and not k.startswith("start_time")
        }  # fmt: skip
        record = {
            "pid": os.getpid(),
            "reason": reason,
            "opened_at": self._opened_wall,
            "elapsed_s": elapsed,
            "cpu_user_s": usage.ru_utime - (start.ru_utime if start else 0.0),
            "cpu_sys_s": usage.ru_stime - (start.ru_stime if start else 0.0),
            "max_rss_kb": usage.ru_maxrss,
            "pages": self.pages,
            "links": self._links(),
            "stats": stats,
            "progress": self.progress,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"stats-{os.getpid()}.json"
        path.write_text(json.dumps(record, default=str), encoding="utf-8")
