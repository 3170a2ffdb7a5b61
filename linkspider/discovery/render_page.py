"""One page in headless Chromium: every request it makes routed through the crawl, its settling.

:class:`PageRouter` is the Playwright route handler of one rendered page. The page's own
document is answered with the bytes the crawl already downloaded (``route.fulfill``), so the
rendered DOM grows from exactly the raw HTML; every subresource (script, XHR/fetch, image,
style) is downloaded by the crawl's Scrapy downloader, so robots.txt, the private-address
rules, the proxy, politeness and the header and body bounds apply to it as to a page; a
navigation away (``location`` changes, forms, frames), anything past
``LINKSPIDER_RENDER_MAX_SUBRESOURCES`` and anything refused is aborted (a navigation answered
204 No Content, so the frame keeps its document) and counted. Chromium
itself is launched with a dead proxy (``linkspider.discovery.rendering``), so a request that
escaped routing could not reach the network either.

:func:`settle` waits until the document is complete, no routed request is in flight and the
DOM has not changed for ``quiet`` seconds, within a deadline. docs/rendering.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest

from linkspider.crawl.middlewares import PrivateAddressRefused

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from playwright.async_api import Page, Request as BrowserRequest, Route
    from scrapy.http import Response

#: Runs before the page's scripts: records when the DOM last changed, and makes
#: ``window.open`` open nothing (a popup is a page outside the routing).
INIT_SCRIPT = """
window.__linkspiderChanged = 0;
new MutationObserver(function () { window.__linkspiderChanged = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
window.open = function () { window.__linkspiderPopups = (window.__linkspiderPopups || 0) + 1; return null; };
"""
_STATE = "() => [document.readyState, performance.now() - window.__linkspiderChanged]"
#: Response headers not passed on to Chromium: the body given is already decoded and whole.
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class PageRouter:
    """Route one rendered page's requests (see module doc); counts what it fetched and refused."""

    def __init__(
        self,
        document_url: str,
        document: tuple[int, list[tuple[str, str]], bytes],
        fetch: Callable[[str, str, dict[str, str], bytes | None], Awaitable[Response]],
        max_subresources: int,
    ) -> None:
        self.document_url = document_url
        self.document = document
        self.fetch = fetch
        self.max_subresources = max_subresources
        self.fetched = 0
        self.refused: Counter[str] = Counter()
        self.in_flight = 0
        self.last_activity = time.monotonic()
        self._document_served = False
        self._requested = 0

    async def route(self, route: Route, request: BrowserRequest) -> None:
        """Answer, fetch through the crawl, or abort one request of the page."""
        # Any request, refused ones too, is activity: a script that keeps asking (a fetch loop
        # past the cap, a location loop) is not idle, however still its DOM looks meanwhile.
        self.last_activity = time.monotonic()
        with suppress(Exception):  # the page may be closed under us: nothing left to answer
            if request.is_navigation_request():
                if not self._document_served and request.frame.parent_frame is None:
                    self._document_served = True
                    status, headers, body = self.document
                    await route.fulfill(status=status, headers=dict(headers), body=body)
                    return
                # A 204 answer keeps the frame on its document (an abort would put an error
                # page in its place): location loops, forms and frames go nowhere.
                self.refused["navigation"] += 1
                await route.fulfill(status=204, body=b"")
                return
            if not request.url.startswith(("http://", "https://")):
                self.refused["scheme"] += 1
                await route.abort("blockedbyclient")
                return
            self._requested += 1
            if self._requested > self.max_subresources:
                self.refused["subresource_cap"] += 1
                await route.abort("blockedbyclient")
                return
            await self._fetch_and_fulfill(route, request)

    async def _fetch_and_fulfill(self, route: Route, request: BrowserRequest) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() in ("accept", "referer")}
            response = await self.fetch(request.url, request.method, headers, request.post_data_buffer)
        except PrivateAddressRefused:
            self.refused["private_address"] += 1
            await route.abort("blockedbyclient")
            return
        except IgnoreRequest:  # robots.txt (and any other rule of the crawl that says no)
            self.refused["robots_txt"] += 1
            await route.abort("blockedbyclient")
            return
        except Exception:
            self.refused["failed"] += 1
            await route.abort("failed")
            return
        finally:
            self.in_flight -= 1
            self.last_activity = time.monotonic()
        self.fetched += 1
        headers = {}
        for name, values in response.headers.items():
            key = name.decode("latin-1")
            if key.lower() not in _DROPPED_HEADERS:
                headers[key] = b", ".join(values).decode("latin-1")
        await route.fulfill(status=response.status, headers=headers, body=response.body)

    def idle_for(self) -> float:
        """Return the seconds since the last request of the page was routed, or a fetched one
        ended (0 while one is in flight)."""
        return 0.0 if self.in_flight else time.monotonic() - self.last_activity


async def settle(page: Page, router: PageRouter, deadline: float, quiet: float,
                 stopping: Callable[[], bool] = lambda: False) -> bool:  # fmt: skip
    """Return True once the page is complete, idle and unchanged for ``quiet`` seconds; False
    when the ``time.monotonic()`` ``deadline`` comes first, the crawl is ``stopping``, or the
    page's script never yields to answer."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or stopping():
            return False
        try:
            state: Any = await asyncio.wait_for(page.evaluate(_STATE), left)
        except asyncio.TimeoutError:
            return False
        except Exception:  # a navigation we aborted may reset the context: look again
            state = ("loading", 0)
        ready, unchanged_ms = state
        if ready == "complete" and unchanged_ms >= quiet * 1000 and router.idle_for() >= quiet:
            return True
        await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
