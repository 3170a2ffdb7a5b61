"""Fill a page item's anchor text, rel, follow and referring-domain columns.

The spider resolves targets (it needs them to follow links); this pipeline does the rest of
the per-link normalization through the pure functions of ``linkspider.links``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linkspider.links import describe_links

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.items import PageItem


class NormalizeLinksPipeline:
    """Turn the raw extracted links of a ``PageItem`` into the normalized ``links`` columns."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizeLinksPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        raw = item.raw
        page = item.page
        if raw is None:
            page["links_count"] = 0
            return item
        links = item.links
        links.update(
            describe_links(
                raw.texts,
                raw.alts,
                raw.rels,
                links["target_domain"],
                page.get("domain"),
                page.get("page_nofollow_reason"),
            )
        )
        links["position"] = list(range(len(raw.hrefs)))
        page["links_count"] = len(raw.hrefs)
        item.raw = None
        if self.stats is not None:
            self.stats.inc_value("linkspider/links", len(raw.hrefs))
        return item
