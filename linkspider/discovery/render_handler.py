"""``RenderingDownloadHandler``: scrapy-playwright's download handler over the crawl's own.

A request with ``playwright`` in its meta (a render request, ``linkspider.discovery.rendering``)
is loaded in headless Chromium by scrapy-playwright, within ``LINKSPIDER_RENDER_TIMEOUT`` of
its tab's creation (a page whose script never yields would hold scrapy-playwright's own read
of the DOM for ever); every other request (pages, robots.txt, the subresources a rendered page asks for) goes
through ``BoundedHTTP11DownloadHandler`` as in a crawl without ``--render``. Set by
``linkspider crawl --render``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from linkspider.crawl.downloader import BoundedHTTP11DownloadHandler
from linkspider.discovery.rendering import RENDER_META

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class RenderTimeout(Exception):
    """Chromium did not give the rendered page within the budget."""


class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler, BoundedHTTP11DownloadHandler):
    """scrapy-playwright for render requests (bounded in time), the bounded HTTP/1.1 handler
    for the rest."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.render_timeout = crawler.settings.getfloat("LINKSPIDER_RENDER_TIMEOUT")

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        # The budget runs from the page's creation (RenderState.started): waiting for a free
        # tab (LINKSPIDER_RENDER_PAGES) is bounded by the other pages' budgets.
        state = request.meta.get(RENDER_META)
        download = asyncio.ensure_future(super().download_request(request))
        while True:
            done, _ = await asyncio.wait({download}, timeout=0.25)
            if done:
                return download.result()
            started = getattr(state, "started", 0.0)
            if started and time.monotonic() - started > self.render_timeout:
                download.cancel()
                raise RenderTimeout(
                    f"{request.url} not loaded in Chromium within LINKSPIDER_RENDER_TIMEOUT="
                    f"{self.render_timeout:g} s (a script that never yields?)")  # fmt: skip
            if not self._crawler.crawling:  # stopped (Ctrl-C, SIGTERM): the browser closes next
                download.cancel()
                raise RenderTimeout(f"{request.url}: rendering cut short, the crawl was stopping")
