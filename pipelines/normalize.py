"""Fill a page item's anchor text, rel, follow and referring-domain columns.

The spider resolves targets (it needs them to follow links); this pipeline does the rest of
the per-link normalization through the pure functions of ``linkspider.extraction.links``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linkspider.urls.domains import site_key, site_keys
from linkspider.extraction.links import clean_anchor_text, count_internal_external, describe_links

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.crawl.items import PageItem


class NormalizeLinksPipeline:
    """Turn the raw extracted links of a ``PageItem`` into the normalized ``links`` columns."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizeLinksPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        raw = getattr(item, "raw", None)
        if raw is None and not hasattr(item, "page"):  # a SitemapItem: rows of another table
            return item
        page = item.page
        if raw is None:
            page.setdefault("links_count", 0)
            return item
        links = item.links
        sites = site_keys(links["target_domain"], links["target_host"])
        links.update(
            describe_links(
                raw.texts,
                raw.alts,
                raw.rels,
                sites,
                page.get("domain") or site_key(page.get("host")),
                page.get("page_nofollow_reason"),
            )
        )
        links.update(
            link_kind=raw.kinds,
            tag=raw.tags,
            position=raw.positions,
            region=raw.regions,
            dom_path=raw.dom_paths,
            context_before=raw.contexts_before,
            context_after=raw.contexts_after,
            img_src=raw.img_srcs,
            img_alt=[clean_anchor_text(a) if a else a for a in raw.img_alts],
            title_attr=raw.title_attrs,
            hreflang=raw.hreflangs,
            target_attr=raw.target_attrs,
            type_attr=raw.type_attrs,
            media_attr=raw.media_attrs,
        )
        # The counts are the raw HTML's: links only a rendered DOM has (--render) are apart.
        seen_in = links.setdefault("seen_in", ["raw"] * len(raw.hrefs))
        positions = raw.positions if "rendered" not in seen_in else [
            position if seen != "rendered" else None for position, seen in zip(raw.positions, seen_in)]  # fmt: skip
        page["internal_links"], page["external_links"] = count_internal_external(
            sites, links["is_external"], positions
        )
        page["links_count"] = sum(position is not None for position in positions)
        item.raw = None
        if self.stats is not None:
            self.stats.inc_value("linkspider/links", len(raw.hrefs))
        return item
