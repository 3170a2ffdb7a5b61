"""Store a page's links once, however many requested URLs led to it.

Two URLs that redirect to one page (``/go/1`` -> ``/page-1.html``, also linked directly) are
both fetched and both get their ``pages`` row (url, redirect chain, final URL), but the final
page's links are stored only the first time; likewise each redirect hop (``redirect`` link
row) is stored once, however many chains pass through it. The pipeline keeps an 8-byte digest per stored
page, which bounds its memory to the crawl's page count. A resumed run (``LINKSPIDER_RESUME``) starts from the pages and hops its files
already hold, read in batches (``linkspider.runs.journal``). In a distributed run (``LINKSPIDER_REDIS_URL``) the seen pages and hops are
shared by every worker in Redis (``linkspider.distributed.dedupe``).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.distributed.dedupe import SharedSeen
    from linkspider.crawl.items import PageItem


def page_key(url: str) -> bytes:
    """Return the 8-byte digest that identifies a stored page."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()


class DedupePagesPipeline:
    """Clear the links of items whose final URL was already stored in this run."""

    def __init__(self, stats: StatsCollector | None = None, shared: SharedSeen | None = None) -> None:
        self.stats = stats
        self.shared = shared
        self.seen: set[bytes] = set()
        self.seen_hops: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePagesPipeline:
        from linkspider.runs.context import RunContext

        if crawler.settings.get("LINKSPIDER_REDIS_URL"):  # one run on many workers
            from linkspider.distributed.dedupe import SharedSeen

            return cls(crawler.stats, SharedSeen.from_crawler(crawler))
        pipeline = cls(crawler.stats)
        context = RunContext.for_crawler(crawler)
        if context.resume:
            journal = context.journal()
            pipeline.remember(journal.stored_final_urls(), journal.stored_redirect_hops())
        return pipeline

    def remember(self, final_urls: Iterable[str], hops: Iterable[tuple[str, str]]) -> None:
        """Count pages and redirect hops as stored already (those of a resumed run)."""
        self.seen.update(page_key(url) for url in final_urls)
        self.seen_hops.update(page_key(f"{a} -> {b}") for a, b in hops)

    def _new_hops(self, hops: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
        """Return the redirect hops not stored yet (a loop repeats its hops; chains share them)."""
        new = []
        for hop in hops:
            key = page_key(f"{hop[0]} -> {hop[1]}")
            if key not in self.seen_hops:
                self.seen_hops.add(key)
                new.append(hop)
        return new

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        if not hasattr(item, "redirect_hops"):  # a SitemapItem: rows of another table
            return item
        if self.shared is not None:
            item.redirect_hops, new_page = self.shared.claim(item)
            if not new_page:
                self._clear_links(item)
            return item
        if item.redirect_hops:
            item.redirect_hops = self._new_hops(item.redirect_hops)
        final_url = item.page.get("final_url")
        if final_url is None:
            return item  # failures are rows of their own
        key = page_key(final_url)
        if key in self.seen:
            self._clear_links(item)
            return item
        self.seen.add(key)
        return item

    def _clear_links(self, item: PageItem) -> None:
        """Keep the page row of a page stored already, without its links."""
        if self.stats is not None:
            self.stats.inc_value("linkspider/duplicate_pages")
        if item.raw is not None:  # the row still says how many links the page has
            item.page["links_count"] = sum(p is not None for p in item.raw.positions)
        item.links = {}
        item.raw = None
        item.page["duplicate_of_stored_page"] = True
