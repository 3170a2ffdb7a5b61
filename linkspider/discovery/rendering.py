"""The backlinks spider's rendering (``--render``, ``LINKSPIDER_RENDER``): links only JavaScript shows.

A page fetched and extracted as usual (its raw HTML) is, when HTML with a 2xx status and within
``LINKSPIDER_RENDER_SAMPLE`` pages of its site, rendered in headless Chromium through
scrapy-playwright (Debian's chromium, ``LINKSPIDER_RENDER_CHROMIUM``): the document is given
the downloaded bytes, every subresource goes through the crawl's downloader
(``linkspider.discovery.render_page``), the page settles within ``LINKSPIDER_RENDER_TIMEOUT``
and its DOM goes through the same page work as the raw HTML. Each link row says where it was
seen (``links.seen_in``: raw, rendered, both); the page row says how the rendering went
(``render_status`` and counts). Links only the rendered DOM has are followed like the others.
The manual is docs/rendering.md.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import scrapy

from linkspider.crawl.items import PageItem
from linkspider.discovery.render_page import INIT_SCRIPT, PageRouter, settle
from linkspider.discovery.seen_in import append_links, link_keys, match_rendered
from linkspider.extraction.links import resolve_links
from linkspider.extraction.page import fill_link_contexts
from linkspider.extraction.parsing import parse_document
from linkspider.urls.domains import site_key, site_keys

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.async_api import Page
    from scrapy.http import Response
    from scrapy.settings import Settings
    from twisted.python.failure import Failure

#: The download handler of a rendering crawl: scrapy-playwright's for render requests, the
#: crawl's bounded HTTP/1.1 handler for every other request.
HANDLER = "linkspider.discovery.render_handler.RenderingDownloadHandler"
#: Chromium's own network: a proxy on the discard port of loopback (nothing listens) and a
#: resolver that resolves nothing, so only what the routing fetches reaches a page.
DEAD_PROXY = "http://127.0.0.1:9"
RENDER_META = "linkspider_render"
#: All render requests share one downloader slot: a page waiting for a browser tab must not
#: hold the site's slot its open pages need for their subresources.
RENDER_SLOT = "linkspider-render"


def render_wiring(chromium: str, pages: int) -> dict[str, Any]:
    """Return the Scrapy settings that put scrapy-playwright in a crawl with ``--render``."""
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium, "headless": True, "proxy": {"server": DEAD_PROXY},
            "args": ["--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
                     "--disable-crash-reporter", "--disable-breakpad"],
        },  # fmt: skip
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
    }


@dataclass
class RenderState:
    """What a render request carries (in memory: a rendering crawl is single-process)."""

    item: PageItem
    document: tuple[int, list[tuple[str, str]], bytes]
    site: str
    router: PageRouter | None = None
    started: float = 0.0
    requests_done: list = field(default_factory=list)


class RenderDiscovery:
    """The spider's rendering: a mixin of ``BacklinksSpider`` (see module doc)."""

    crawler: Any
    logger: Any

    def configure_rendering(self, settings: Settings) -> None:
        """Read the ``LINKSPIDER_RENDER*`` settings."""
        self.render = settings.getbool("LINKSPIDER_RENDER")
        self.render_sample = settings.getint("LINKSPIDER_RENDER_SAMPLE")
        self.render_timeout = settings.getfloat("LINKSPIDER_RENDER_TIMEOUT")
        self.render_quiet = settings.getfloat("LINKSPIDER_RENDER_QUIET")
        self.render_max_subresources = settings.getint("LINKSPIDER_RENDER_MAX_SUBRESOURCES")
        if self.render and settings.get("LINKSPIDER_REDIS_URL"):
            raise ValueError("--render does not work in a distributed run (--redis) yet: "
                             "render in a single-process run")  # fmt: skip
        if self.render and settings.getdict("DOWNLOAD_HANDLERS").get("http") != HANDLER:
            raise ValueError(f"LINKSPIDER_RENDER needs DOWNLOAD_HANDLERS http and https = {HANDLER} "
                             "(linkspider crawl --render sets them)")  # fmt: skip
        if self.render and not os.path.exists(settings.get("LINKSPIDER_RENDER_CHROMIUM")):
            raise ValueError(f"--render needs Chromium at {settings.get('LINKSPIDER_RENDER_CHROMIUM')}: "
                             "install Debian's (apt-get install -y chromium) or set "
                             "LINKSPIDER_RENDER_CHROMIUM (Playwright downloads no browser)")  # fmt: skip
        #: per site: pages rendered, links only their rendered DOM has
        self.rendered_pages: Counter[str] = Counter()
        self.rendered_links: Counter[str] = Counter()

    def render_request(self, response: Response, item: PageItem) -> scrapy.Request | None:
        """Return the request that renders the page of ``item``, or None when it is not to
        be rendered (not 2xx HTML, or its site's sample is full)."""
        page = item.page
        if item.raw is None or not 200 <= page["status"] < 300:
            return None
        site = page["domain"] or site_key(page["host"]) or page["final_url"]
        if self.render_sample and self.rendered_pages[site] >= self.render_sample:
            return None
        self.rendered_pages[site] += 1
        headers = [(k.decode("latin-1"), b", ".join(v).decode("latin-1"))
                   for k, v in response.headers.items()
                   if k.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")]  # fmt: skip
        state = RenderState(item, (response.status, headers, response.body), site)
        meta = {
            "playwright": True, "playwright_include_page": True,
            "playwright_page_init_callback": self._init_page,
            "playwright_page_goto_kwargs": {"wait_until": "commit",
                                            "timeout": self.render_timeout * 1000},
            RENDER_META: state, "download_slot": RENDER_SLOT, "dont_retry": True,
            "verbatim_url": True, "depth": page["depth"], "hops": page["hops"],
        }  # fmt: skip
        return scrapy.Request(response.url, callback=self.parse_rendered, errback=self.render_failed,
                              meta=meta, dont_filter=True, priority=1)  # fmt: skip

    async def _init_page(self, page: Page, request: scrapy.Request) -> None:
        state: RenderState = request.meta[RENDER_META]
        state.started = time.monotonic()
        state.router = PageRouter(request.url, state.document, self._fetch_subresource,
                                  self.render_max_subresources)  # fmt: skip
        await page.add_init_script(INIT_SCRIPT)
        await page.route("**", state.router.route)
        page.on("popup", lambda popup: asyncio.ensure_future(popup.close()))

    async def _fetch_subresource(self, url: str, method: str, headers: dict[str, str],
                                 body: bytes | None) -> Response:  # fmt: skip
        """Return the response of one subresource, downloaded by the crawl's downloader."""
        request = scrapy.Request(url, method=method, headers=headers, body=body or b"",
                                 dont_filter=True, meta={"dont_retry": True, "verbatim_url": True,
                                 "download_timeout": self.render_timeout})  # fmt: skip
        return await self.crawler.engine.download_async(request)

    async def parse_rendered(self, response: Response) -> list[Any]:
        """Return the page's item with the rendered DOM's links merged in, then requests for
        the links only the rendered DOM has."""
        state: RenderState = response.meta[RENDER_META]
        page: Page = response.meta["playwright_page"]
        deadline = (state.started or time.monotonic()) + self.render_timeout
        html, settled, error = None, False, None
        crawler = getattr(self, "crawler", None)
        try:
            settled = await settle(page, state.router, deadline, self.render_quiet,
                                   stopping=lambda: crawler is not None and not crawler.crawling)  # fmt: skip
            html = await asyncio.wait_for(page.content(), 2.0)
        except Exception as exc:  # a page whose script never yields: what raw HTML gives stays
            error = f"{type(exc).__name__}: {exc}".strip()
        finally:
            await close_page(page)
        if not settled and error is None and crawler is not None and not crawler.crawling:
            error = "cut short: the crawl was stopping"
        status = "settled" if settled else "timeout"
        if html is None:
            status = "failed" if error and "Timeout" not in error and "cut short" not in error else "timeout"
        return list(self._rendered_output(state, html, status, error))

    def _rendered_output(self, state: RenderState, html: str | None, status: str,
                         error: str | None) -> Iterator[Any]:  # fmt: skip
        item, router = state.item, state.router
        page, raw, links = item.page, item.raw, item.links
        note_render(page, status, time.monotonic() - state.started, router, error)
        added: list[int] = []
        if html is not None and raw is not None:
            parsed = parse_document(html, self.max_nesting_depth, self.max_links_per_page)
            rendered = parsed.extracted
            columns = resolve_links(page["final_url"], rendered.base_href, rendered.hrefs, "utf-8")
            sites = site_keys(columns["target_domain"], columns["target_host"])
            fill_link_contexts(rendered, self._context_indices(sites, state.site), text=False)
            seen_in, added = match_rendered(link_keys(raw, links["target_url"]),
                                            link_keys(rendered, columns["target_url"]))  # fmt: skip
            first = len(raw.hrefs)
            append_links(raw, links, rendered, columns, added)
            links["seen_in"] = seen_in + ["rendered"] * len(added)
            page["rendered_links"] = len(added)
            self.rendered_links[state.site] += len(added)
            requests = self._rendered_follow(page, links, raw.rels, first, state.site)
        else:
            requests = []
        yield item
        yield from requests

    def _rendered_follow(self, page: dict, links: dict[str, list], rels: list, first: int,
                         site: str) -> list[Any]:  # fmt: skip
        """Return requests for the links from index ``first`` on (the rendered-only ones)."""
        follow = page["status"] < 400 and page["depth"] < self.max_depth and (
            not page.get("page_nofollow") or self.crawl_nofollow)
        if not follow or first >= len(links["target_url"]):
            return []
        tail = {name: links[name][first:] for name in
                ("target_url", "target_scheme", "target_domain", "target_host")}  # fmt: skip
        self._over_budget = 0
        requests = list(self._follow(tail, rels[first:], site, page["depth"], page["hops"]))
        if self._over_budget:
            page["links_over_budget"] = (page.get("links_over_budget") or 0) + self._over_budget
        return requests

    def render_failed(self, failure: Failure) -> Iterator[PageItem]:
        """Yield the page's raw item, its row saying why it could not be rendered."""
        request = failure.request  # type: ignore[attr-defined]
        state: RenderState = request.meta[RENDER_META]
        page = request.meta.get("playwright_page")
        if page is not None:
            asyncio.ensure_future(close_page(page))
        elapsed = time.monotonic() - state.started if state.started else 0.0
        note_render(state.item.page, "failed", elapsed, state.router,
                    f"{type(failure.value).__name__}: {failure.value}")  # fmt: skip
        yield state.item

    def render_closed(self) -> None:
        """Put the per-site rendering figures in the crawl's stats (the closing report)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None or not getattr(self, "render", False):
            return
        stats = crawler.stats
        stats.set_value("linkspider/render/pages", sum(self.rendered_pages.values()))
        stats.set_value("linkspider/render/links_added", sum(self.rendered_links.values()))
        stats.set_value("linkspider/render/sites", {
            site: {"pages": pages, "links_added": self.rendered_links[site]}
            for site, pages in sorted(self.rendered_pages.items())})  # fmt: skip


def note_render(page: dict[str, Any], status: str, seconds: float, router: PageRouter | None,
                error: str | None) -> None:  # fmt: skip
    """Set the rendering columns of a page row (and its note, for what was refused)."""
    page["render_status"] = status
    page["render_ms"] = int(seconds * 1000)
    page["render_requests"] = router.fetched if router is not None else 0
    refused = router.refused if router is not None else Counter()
    page["render_refused"] = sum(refused.values())
    parts = []
    if refused:
        parts.append("render refused " + ", ".join(f"{reason} {n}" for reason, n in sorted(refused.items())))
    if error:
        parts.append(f"render {status}: {error[:300]}")
    if parts:
        page["note"] = "; ".join(filter(None, [page.get("note"), *parts]))


async def close_page(page: Page) -> None:
    """Close a rendered page, within 5 s (a page busy in its script still closes)."""
    with suppress(Exception):
        await asyncio.wait_for(page.close(run_before_unload=False), 5.0)
