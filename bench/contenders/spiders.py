"""The two hand-written Scrapy spiders: the no-op ceiling and a LinkExtractor spider.

Both fetch a fixed list of URLs (no link following), so every contender fetches the same
pages. ``NoopSpider`` does nothing with a response: its rate is what Scrapy itself can fetch
on this machine. ``LinkExtractorSpider`` is what a user would write instead of linkspider:
Scrapy's ``LinkExtractor`` with its defaults, one item per link, exported as JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.linkextractors import LinkExtractor


class _ListSpider(scrapy.Spider):
    """Request every URL of ``urls_file`` once (a proxy comes from ``http_proxy``)."""

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with open(urls_file, encoding="utf-8") as handle:
            self.urls = [line.strip() for line in handle if line.strip()]

    async def start(self) -> Any:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)


class NoopSpider(_ListSpider):
    """Fetch the pages and do nothing: the framework ceiling."""

    name = "noop"

    def parse(self, response: Any) -> Iterator[Any]:
        return iter(())


class LinkExtractorSpider(_ListSpider):
    """Yield one item per link found by Scrapy's ``LinkExtractor`` (its defaults)."""

    name = "linkextractor"

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(urls_file, **kwargs)
        self.extractor = LinkExtractor()

    def parse(self, response: Any) -> Iterator[dict[str, Any]]:
        if not isinstance(response, scrapy.http.HtmlResponse):
            return
        source = response.url
        for link in self.extractor.extract_links(response):
            yield {
                "source_url": source,
                "target_url": link.url,
                "anchor_text": link.text,
                "nofollow": link.nofollow,
            }
