"""The backlinks spider's sitemap discovery (``--sitemaps``, ``LINKSPIDER_SITEMAPS``).

For each seed site (its origin) the spider reads robots.txt's ``Sitemap:`` lines and
``/sitemap.xml``, follows sitemap indexes (up to ``LINKSPIDER_SITEMAP_MAX_NESTING`` levels,
each file once, ``LINKSPIDER_SITEMAP_MAX_FILES`` files a site), writes every URL listed to the
``sitemap_urls`` table and requests those on the seed's site as depth-1 pages
(``discovered_by = sitemap``) within ``LINKSPIDER_MAX_PAGES_PER_SITE``. A sitemap that cannot
be read gets a ``pages`` row with its ``drop_reason``; a missing or non-sitemap
``/sitemap.xml`` (a guess) gets none. A resumed run reads the sitemaps again (their URLs
requested already are not requested twice) without writing rows it has already. The manual is
docs/sitemaps.md.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import scrapy

from linkspider.crawl.items import LEASE_META, PageItem, SitemapItem
from linkspider.discovery.sitemaps import (
    PROTOCOL_MAX_BYTES,
    PROTOCOL_MAX_URLS,
    SitemapError,
    parse_sitemap,
    robots_sitemap_urls,
    sitemap_body,
)
from linkspider.dataset.layout import run_files
from linkspider.urls.domains import registrable_domain, site_key
from linkspider.urls.normalize import url_host

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from scrapy.http import Response
    from scrapy.settings import Settings
    from twisted.python.failure import Failure

    from linkspider.discovery.sitemaps import ParsedSitemap

#: ``sitemap_urls.sitemap_source`` of a guessed ``/sitemap.xml``: its absence is no error.
WELL_KNOWN = "well_known"


def seed_origins(seed_urls: list[str]) -> list[str]:
    """Return the distinct origins (``scheme://host[:port]``) of the seeds, in order.

    >>> seed_origins(["http://a.com/x", "http://a.com/", "https://b.org:8443/y"])
    ['http://a.com', 'https://b.org:8443']
    """
    origins: list[str] = []
    for url in seed_urls:
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        if origin not in origins:
            origins.append(origin)
    return origins


def stored_sitemap_files(root: str | Path, run_id: str) -> set[str]:
    """Return the sitemap files whose rows a run's ``sitemap_urls`` files hold."""
    import pyarrow.parquet as pq

    stored: set[str] = set()
    for path in run_files(root, "sitemap_urls", run_id):
        stored.update(pq.read_table(path, columns=["sitemap"]).column("sitemap").unique().to_pylist())
    return stored


class SitemapDiscovery:
    """Mixin of ``BacklinksSpider``: the sitemap requests and callbacks (see module doc).

    Uses the spider's ``seed_urls``, ``max_depth``, ``_request`` and ``_page_row``.
    """

    sitemaps = False
    sitemap_max_bytes = PROTOCOL_MAX_BYTES
    sitemap_max_urls = PROTOCOL_MAX_URLS
    sitemap_max_files = 100
    sitemap_max_nesting = 2

    def configure_sitemaps(self, settings: Settings) -> None:
        """Read the ``LINKSPIDER_SITEMAP*`` settings."""
        self.sitemaps = settings.getbool("LINKSPIDER_SITEMAPS")
        self.sitemap_max_bytes = settings.getint("LINKSPIDER_SITEMAP_MAX_BYTES")
        self.sitemap_max_urls = settings.getint("LINKSPIDER_SITEMAP_MAX_URLS")
        self.sitemap_max_files = settings.getint("LINKSPIDER_SITEMAP_MAX_FILES")
        self.sitemap_max_nesting = settings.getint("LINKSPIDER_SITEMAP_MAX_NESTING")
        if self.sitemaps and settings.get("LINKSPIDER_REDIS_URL"):
            raise ValueError("--sitemaps does not work in a distributed run (--redis) yet: "
                             "crawl the sitemaps in a single-process run")  # fmt: skip
        self._sitemaps_seen: set[str] = set()
        self._sitemaps_noted: set[str] = set()
        self._sitemap_files: Counter[str] = Counter()
        #: sitemaps whose rows a resumed run has already (``stored_sitemap_files``)
        self._sitemaps_stored: set[str] = set()

    def _sitemap_stat(self, name: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and count:
            crawler.stats.inc_value(f"linkspider/sitemaps/{name}", count)

    # -- requests ---------------------------------------------------------------------------

    def sitemap_start_requests(self, stored: set[str] | None = None) -> Iterator[scrapy.Request]:
        """Yield a robots.txt request per seed origin (its callback asks for the sitemaps);
        ``stored``: the sitemaps whose rows the (resumed) run has already."""
        self._sitemaps_stored = stored or set()
        for origin in seed_origins(self.seed_urls):  # type: ignore[attr-defined]
            site = site_key(url_host(origin + "/")) or origin
            yield scrapy.Request(
                origin + "/robots.txt", callback=self.parse_sitemap_robots,
                errback=self.on_sitemap_robots_error, dont_filter=True,
                meta={"dont_obey_robotstxt": True, "sitemap_site": site, "sitemap_origin": origin},
            )  # fmt: skip

    def _sitemap_request(self, url: str, site: str, source: str, index: str | None,
                         level: int) -> scrapy.Request | PageItem | None:  # fmt: skip
        """Return the request for a sitemap file, or the row of one the limits refuse (a loop,
        too deep, too many files), or None (already requested; its row is written)."""
        if url in self._sitemaps_seen:
            if source != "index" or url in self._sitemaps_noted:
                return None
            self._sitemaps_noted.add(url)
            return self._sitemap_refused(url, "sitemap_loop", (
                f"sitemap listed again by the index {index}: read once (an index loop, or a "
                "sitemap listed twice)"))  # fmt: skip
        if level > self.sitemap_max_nesting:
            self._sitemaps_seen.add(url)
            return self._sitemap_refused(url, "sitemap_nesting", (
                f"not fetched: a sitemap index {level} levels below robots.txt or /sitemap.xml, "
                f"over LINKSPIDER_SITEMAP_MAX_NESTING={self.sitemap_max_nesting}"))  # fmt: skip
        if self.sitemap_max_files and self._sitemap_files[site] >= self.sitemap_max_files:
            self._sitemap_stat("files_over_limit")
            if site in self._sitemaps_noted:
                return None
            self._sitemaps_noted.add(site)
            return self._sitemap_refused(url, "sitemap_files", (
                f"not fetched, nor the site's further sitemaps: {site} had "
                f"LINKSPIDER_SITEMAP_MAX_FILES={self.sitemap_max_files} sitemap files read "
                "already (stats: linkspider/sitemaps/files_over_limit)"))  # fmt: skip
        self._sitemaps_seen.add(url)
        self._sitemap_files[site] += 1
        meta = {"sitemap_site": site, "sitemap_source": source, "sitemap_index": index,
                "sitemap_level": level, "depth": 1, "hops": 0, "discovered_by": "sitemap",
                "download_maxsize": self.sitemap_max_bytes,
                "download_warnsize": self.sitemap_max_bytes}  # fmt: skip
        return scrapy.Request(url, callback=self.parse_sitemap_file, errback=self.on_sitemap_error,
                              meta=meta, dont_filter=True)  # fmt: skip

    def _has_row(self, url: str) -> bool:
        """Return True when ``url`` has its ``pages`` row already (a resumed run's, or the row
        of a page the crawl requested); else count it as having one from now on."""
        requested = self._requested  # type: ignore[attr-defined]
        key = hash(url)
        if key in requested:
            return True
        requested.add(key)
        return False

    def _sitemap_refused(self, url: str, reason: str, note: str) -> PageItem | None:
        """Return the ``pages`` row of a sitemap file the limits kept from being read."""
        host = url_host(url)
        self._sitemap_stat(reason)
        if self._has_row(url):
            return None
        return PageItem({
            "fetched_at": int(time.time() * 1_000_000), "url": url, "final_url": None,
            "host": host, "domain": registrable_domain(host), "status": None,
            "redirect_chain": [], "depth": 1, "hops": 0, "discovered_by": "sitemap",
            "error": None, "drop_reason": reason, "note": note,
        })  # fmt: skip

    # -- responses --------------------------------------------------------------------------

    def parse_sitemap_robots(self, response: Response) -> Iterator[Any]:
        """Ask for the sitemaps robots.txt names, then for ``/sitemap.xml`` unless named."""
        meta = response.meta
        meta["depth"] = 0  # Scrapy's DepthMiddleware: what this yields is depth 1
        urls = robots_sitemap_urls(response.body, response.url) if response.status == 200 else []
        self._sitemap_stat("robots_txt_lines", len(urls))
        well_known = meta["sitemap_origin"] + "/sitemap.xml"
        requests = [self._sitemap_request(url, meta["sitemap_site"], "robots_txt", None, 0)
                    for url in urls]  # fmt: skip
        if well_known not in urls:
            requests.append(self._sitemap_request(well_known, meta["sitemap_site"], WELL_KNOWN,
                                                  None, 0))  # fmt: skip
        yield from (r for r in requests if r is not None)

    def on_sitemap_robots_error(self, failure: Failure) -> None:
        """robots.txt could not be fetched: the seed's own request says why, in its row."""
        self._sitemap_stat("robots_txt_failed")

    def parse_sitemap_file(self, response: Response) -> Iterator[Any]:
        """Yield the sitemap's ``sitemap_urls`` rows and the requests for its URLs in scope
        (or for an index's sitemaps); a sitemap that cannot be read yields its row."""
        meta = response.meta
        meta["depth"] = 0  # Scrapy's DepthMiddleware: the sitemap's URLs are depth 1
        guess = meta["sitemap_source"] == WELL_KNOWN
        if response.status != 200:
            if guess:
                self._sitemap_stat("well_known_missing")
                return
            yield from self._sitemap_failed(response, "sitemap_invalid",
                                       f"the sitemap answered HTTP {response.status}")  # fmt: skip
            return
        try:
            parsed = parse_sitemap(sitemap_body(response.body, self.sitemap_max_bytes),
                                   response.url, self.sitemap_max_urls)  # fmt: skip
        except SitemapError as exc:
            if guess and exc.reason == "sitemap_invalid":  # e.g. a soft-404 HTML page
                self._sitemap_stat("well_known_missing")
                return
            yield from self._sitemap_failed(response, exc.reason, str(exc))
            return
        self._sitemap_stat("files_read")
        if parsed.kind == "sitemapindex":
            yield from self._index_requests(response, parsed)
        else:
            yield from self._urlset_output(response, parsed)
        if parsed.entries_over_limit:
            yield from self._sitemap_failed(response, "sitemap_too_many_urls", (
                f"read its first LINKSPIDER_SITEMAP_MAX_URLS={self.sitemap_max_urls:,} "
                f"entries; {parsed.entries_over_limit:,} more not read (the protocol allows "
                "50,000 a file)"), error=False)  # fmt: skip

    def _index_requests(self, response: Response, parsed: ParsedSitemap) -> Iterator[Any]:
        """Yield the requests (or rows) of an index's sitemaps on its site or host."""
        meta = response.meta
        site, host = meta["sitemap_site"], url_host(response.url)
        for entry in parsed.entries:
            entry_host = url_host(entry.url)
            if entry_host != host and site_key(entry_host) != site:
                self._sitemap_stat("index_entries_off_site")
                continue
            request = self._sitemap_request(entry.url, site, "index", response.url,
                                            meta["sitemap_level"] + 1)  # fmt: skip
            if request is not None:
                yield request

    def _urlset_output(self, response: Response, parsed: ParsedSitemap) -> Iterator[Any]:
        """Yield the ``SitemapItem`` of a urlset or text sitemap, then requests for its URLs
        on the seed's site (depth 1), within the site's page budget."""
        meta = response.meta
        site = meta["sitemap_site"]
        fetched_at = int(time.time() * 1_000_000)
        rows, in_scope = [], []
        for entry in parsed.entries:
            host = url_host(entry.url)
            scoped = site_key(host) == site
            rows.append({
                "fetched_at": fetched_at, "url": entry.url, "host": host,
                "domain": registrable_domain(host), "in_scope": scoped,
                "sitemap": response.url, "sitemap_kind": parsed.kind,
                "sitemap_index": meta["sitemap_index"], "sitemap_source": meta["sitemap_source"],
                "lastmod": entry.lastmod, "changefreq": entry.changefreq,
                "priority": entry.priority,
                "hreflang_alternates": [{"hreflang": h, "url": u} for h, u in entry.alternates],
            })  # fmt: skip
            if scoped:
                in_scope.append(entry.url)
        if response.url not in self._sitemaps_stored:
            yield SitemapItem(rows)
        if self.max_depth < 1:  # type: ignore[attr-defined]
            return
        before = self._over_budget  # type: ignore[has-type]
        for url in in_scope:
            request = self._request(url, 1, 0, "sitemap")  # type: ignore[attr-defined]
            if request is not None:
                yield request
        self._sitemap_stat("urls_over_budget", self._over_budget - before)

    def _sitemap_failed(self, response: Response, reason: str, message: str,
                        error: bool = True) -> list[PageItem]:  # fmt: skip
        """Return the ``pages`` row of a sitemap file read in part or not at all (none when
        the URL has its row already)."""
        self._sitemap_stat(reason)
        page, redirect_hops, _ = self._page_row(response)  # type: ignore[attr-defined]
        if self._has_row(page["url"]):
            return []
        page.update(depth=1, drop_reason=reason)
        page["note"] = f"sitemap {response.url}: {message}"
        if error:
            page["error"] = page["note"]
        return [PageItem(page, redirect_hops=redirect_hops, lease=response.meta.get(LEASE_META))]

    def on_sitemap_error(self, failure: Failure) -> Iterator[PageItem]:
        """A sitemap that could not be fetched: its row (none for a guessed /sitemap.xml)."""
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("sitemap_source") == WELL_KNOWN:
            self._sitemap_stat("well_known_missing")
            return
        for item in self.on_error(failure):  # type: ignore[attr-defined]
            if self._has_row(item.page["url"]):
                continue
            if item.page.get("drop_reason") == "body_too_large":
                item.page["error"] = (
                    f"sitemap {request.url}: over LINKSPIDER_SITEMAP_MAX_BYTES="
                    f"{self.sitemap_max_bytes:,} bytes, download cancelled, not read; raise "
                    "the setting to read it")  # fmt: skip
            self._sitemap_stat(item.page.get("drop_reason") or "fetch_failed")
            yield item
