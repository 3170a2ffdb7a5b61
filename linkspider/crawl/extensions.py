"""Scrapy extensions of linkspider.

``GarbageCollectorTuning``: a crawl allocates millions of small containers (a tuple per
resolved link, a list per rel value, Scrapy's requests and deferreds), almost none of them in
reference cycles. With CPython's default threshold (a collection every 700 net container
allocations) the cyclic collector took about a fifth of the per-page CPU time in the benchmark
(``bench/``); collecting every ``LINKSPIDER_GC_THRESHOLDS[0]`` allocations, with what start-up
built frozen out of the collector's sight, takes that back. Memory still returns at once:
reference counting frees everything that is not in a cycle.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


#: Crawls of this process running with tuned thresholds; the last one to close restores them.
_open_crawls = 0
_saved_thresholds: tuple[int, ...] | None = None


class GarbageCollectorTuning:
    """Set the cyclic garbage collector's thresholds for the crawl, and restore them after the
    process's last crawl closes (several crawlers may share a process)."""

    def __init__(self, thresholds: tuple[int, ...], freeze: bool = True) -> None:
        if not 1 <= len(thresholds) <= 3 or any(t < 0 for t in thresholds):
            raise ValueError(
                f"LINKSPIDER_GC_THRESHOLDS={list(thresholds)!r}: give 1 to 3 non-negative "
                "integers, e.g. 50000,20,10, or leave it empty for Python's defaults"
            )
        self.thresholds = thresholds
        self.freeze = freeze
        self.opened = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GarbageCollectorTuning:
        values = crawler.settings.getlist("LINKSPIDER_GC_THRESHOLDS")
        if not values:
            raise NotConfigured("LINKSPIDER_GC_THRESHOLDS is empty: Python's defaults kept")
        try:
            thresholds = tuple(int(v) for v in values)
        except ValueError:
            thresholds = ()
        extension = cls(thresholds, freeze=crawler.settings.getbool("LINKSPIDER_GC_FREEZE", True))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any = None) -> None:
        global _open_crawls, _saved_thresholds
        if _open_crawls == 0:  # the first crawl of the process saves what it changes
            _saved_thresholds = gc.get_threshold()
            if self.freeze:
                gc.collect()
                gc.freeze()  # start-up's objects: live for the whole crawl, never scanned again
        _open_crawls += 1
        self.opened = True
        gc.set_threshold(*self.thresholds)
        if spider is not None:
            spider.logger.debug("garbage collector thresholds %s", self.thresholds)

    def spider_closed(self, spider: Any = None) -> None:
        global _open_crawls
        if not self.opened:
            return
        self.opened = False
        _open_crawls -= 1
        if _open_crawls == 0:  # the last crawl of the process puts things back
            if _saved_thresholds is not None:
                gc.set_threshold(*_saved_thresholds)
            gc.unfreeze()
