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


class GarbageCollectorTuning:
    """Set the cyclic garbage collector's thresholds for the crawl, and restore them after."""

    def __init__(self, thresholds: tuple[int, ...], freeze: bool = True) -> None:
        if not 1 <= len(thresholds) <= 3 or any(t < 0 for t in thresholds):
            raise ValueError(
                f"LINKSPIDER_GC_THRESHOLDS={list(thresholds)!r}: give 1 to 3 non-negative "
                "integers, e.g. 50000,20,10, or leave it empty for Python's defaults"
            )
        self.thresholds = thresholds
        self.freeze = freeze
        self.previous: tuple[int, ...] | None = None

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
        self.previous = gc.get_threshold()
        if self.freeze:
            gc.collect()
            gc.freeze()  # start-up's objects: live for the whole crawl, never scanned again
        gc.set_threshold(*self.thresholds)
        if spider is not None:
            spider.logger.debug("garbage collector thresholds %s", self.thresholds)

    def spider_closed(self, spider: Any = None) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None
        if self.freeze:
            gc.unfreeze()
