"""``RenderingDownloadHandler``: scrapy-playwright's download handler over the crawl's own.

A request with ``playwright`` in its meta (a render request, ``linkspider.discovery.rendering``)
is loaded in headless Chromium by scrapy-playwright; every other request (pages, robots.txt,
the subresources a rendered page asks for) goes through ``BoundedHTTP11DownloadHandler`` as
in a crawl without ``--render``. Set by ``linkspider crawl --render``.
"""

from __future__ import annotations

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from linkspider.crawl.downloader import BoundedHTTP11DownloadHandler


class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler, BoundedHTTP11DownloadHandler):
    """scrapy-playwright for render requests, the bounded HTTP/1.1 handler for the rest."""
