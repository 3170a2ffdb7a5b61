"""The per-page path as one function, for fuzzing: response bytes, headers and URL in, Arrow
rows out (extraction, normalization, the pages and links tables), as the crawl runs it.

Used by ``tests/test_fuzz_page.py`` (a short Hypothesis run) and ``bench/fuzz_page.py``
(10^5 inputs). Seeds come from the local web's pages: the generated world and the hostile web.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st
from scrapy.http import Headers, Request
from scrapy.responsetypes import responsetypes

from linkspider.crawl.items import PageItem
from linkspider.dataset.schema import LINK_PAGE_COLUMNS, SCHEMAS
from linkspider.spiders.backlinks import BacklinksSpider
from linkspider.web.hostile import HostileConfig, HostileWeb, deep_page, many_links_page
from linkspider.web.world import World, WorldConfig
from pipelines.dedupe import DedupePagesPipeline
from pipelines.normalize import NormalizeLinksPipeline
from pipelines.parquet_writer import LinksBuffer, TableBuffer


@lru_cache(maxsize=1)
def seed_pages() -> list[bytes]:
    """Return the bodies fuzzing starts from: every page of a small world, hostile pages."""
    world = World(WorldConfig(sites=8, pages_per_site=10))
    bodies = []
    for seed in world.seeds():
        host = seed.split("/")[2]
        for path in ["/", *(f"/page-{k}.html" for k in range(1, 10)), "/logo.png", "/nope"]:
            bodies.append(world.respond(host, path).body)
    hostile = HostileWeb(HostileConfig(deep_site_pages=5, trap_links=3))
    for host, path in [("vm", "/"), ("hostile.test", "/garbage"), ("hostile.test", "/lying-type"),
                       ("deep.test", "/"), ("garbage-robots.test", "/robots.txt")]:  # fmt: skip
        bodies.append(hostile.respond(host, path).body)
    bodies += [deep_page(600), deep_page(700, "span"), many_links_page(300), b"", b"\0" * 64]
    return bodies


CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251",
                 "text/html; charset=shift_jis", "text/html; charset=bogus-charset",
                 "application/xhtml+xml", "text/plain", "image/png", "application/octet-stream",
                 "text/html; charset=utf-16", ""]  # fmt: skip
HOSTS = ["www.news-1.com", "vm", "github.io", "xn--bcher-kva.de", "127.0.0.1", "[::1]",
         "a.b.c.d.e.co.uk"]  # fmt: skip


@st.composite
def bodies(draw: Any) -> bytes:
    """A seed page, spliced: a slice replaced by arbitrary bytes or by another page's slice."""
    pages = seed_pages()
    body = draw(st.sampled_from(pages))
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(body)))
        end = draw(st.integers(start, min(len(body), start + 2000)))
        if draw(st.booleans()):
            insert = draw(st.binary(max_size=200))
        else:
            other = draw(st.sampled_from(pages))
            at = draw(st.integers(0, len(other)))
            insert = other[at : at + draw(st.integers(0, 3000))]
        body = body[:start] + insert + body[end:]
    return body


@st.composite
def page_inputs(draw: Any) -> tuple[bytes, dict[str, str], str]:
    """Return (body, headers, url) of one response."""
    headers: dict[str, str] = {}
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.integers(0, 9)) == 0:
        headers["X-Robots-Tag"] = draw(st.sampled_from(["nofollow", "noindex, nofollow", "googlebot: none", "\x00"]))
    path = draw(st.text(max_size=40))
    url = f"http://{draw(st.sampled_from(HOSTS))}/{path}"
    return draw(bodies()), headers, url


def page_rows(body: bytes, headers: dict[str, str], url: str) -> tuple[pa.Table, pa.Table]:
    """Return the ``pages`` and ``links`` rows the crawl would write for one response: the
    response's own row, then a row for each link the crawl chose not to fetch (over
    ``URLLENGTH_LIMIT``: ``drop_reason`` url_too_long), as the crawl writes them.

    Raises ``ValueError`` only for a URL a request cannot have (Scrapy refuses it before any
    fetch); anything else escaping is a bug.
    """
    request = Request(url, meta={"depth": 1, "hops": 0})  # ValueError for an unusable URL
    response_class = responsetypes.from_args(headers=Headers(headers), url=request.url, body=body)
    response = response_class(url=request.url, headers=headers, body=body, request=request)
    # A spider of its own: a shared one remembers the URLs earlier inputs requested, so an
    # input replayed by Hypothesis would give other rows (a link over URLLENGTH_LIMIT gets its
    # url_too_long row only the first time), and the run would fail as flaky.
    spider = new_spider()
    output = spider.parse_page(response)
    items = [item for item in output if isinstance(item, PageItem)]
    pages, links = TableBuffer(SCHEMAS["pages"]), LinksBuffer(SCHEMAS["links"], LINK_PAGE_COLUMNS)
    dedupe, normalize = DedupePagesPipeline(), NormalizeLinksPipeline()
    for item in items:
        item = normalize.process_item(dedupe.process_item(item))
        item.page["run_id"] = "fuzz"
        item.page.setdefault("links_count", item.links_count)
        pages.append(item.page)
        for source, columns in item.link_groups():
            links.append_page(source, columns)
    return pages.take(), links.take()


def new_spider() -> BacklinksSpider:
    """Return a spider as the crawl configures it, with nothing requested yet."""
    spider = BacklinksSpider(seeds="http://www.news-1.com/")
    spider.max_depth, spider.max_pages_per_site, spider.external_hops = 5, 1000, 1
    spider.crawl_nofollow, spider.link_context = True, "external"
    spider.parse_threads = 0  # the worker thread path is the same function, crawled elsewhere
    return spider
