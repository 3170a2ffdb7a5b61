"""Drop a page fetched a second time (same final URL), so it is stored once.

Scrapy's dupefilter stops most repeats before they are fetched, but not all: two URLs that
redirect to one page, or requests made with ``dont_filter``. The pipeline keeps an 8-byte
digest per stored page, which bounds its memory to the crawl's page count.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.items import PageItem


def page_key(url: str) -> bytes:
    """Return the 8-byte digest that identifies a stored page."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()


class DuplicatePage(DropItem):
    """The page was already stored in this run."""


class DedupePagesPipeline:
    """Drop items whose final URL was already stored in this run."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats
        self.seen: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePagesPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        final_url = item.page.get("final_url")
        if final_url is None:
            return item  # failures are rows of their own
        key = page_key(final_url)
        if key in self.seen:
            if self.stats is not None:
                self.stats.inc_value("linkspider/duplicate_pages")
            raise DuplicatePage(f"already stored: {final_url} (fetched again as {item.page['url']})")
        self.seen.add(key)
        return item
