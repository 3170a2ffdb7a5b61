"""The ``backlinks`` spider: crawl seed sites and record every link on every page.

Seeds come as URLs (``-a seeds=URL,URL``) or a file of URLs (``-a seeds_file=PATH``, one per
line, ``#`` comments). Within each seed site (its registrable domain) the spider follows links
up to ``LINKSPIDER_MAX_DEPTH`` clicks and ``LINKSPIDER_MAX_PAGES_PER_SITE`` pages; links to
other sites are followed ``LINKSPIDER_EXTERNAL_HOPS`` sites out. Every link on every fetched
page is recorded, followed or not, in one ``PageItem`` per page. With ``LINKSPIDER_SITEMAPS``
the seed sites' sitemaps add their URLs as depth-1 pages (``linkspider.discovery.crawling``); with
``LINKSPIDER_RENDER`` pages are also rendered in headless Chromium (``linkspider.discovery.rendering``).
Requests carry only
serializable meta and spider-method callbacks, so a shared (Redis) scheduler can hold them.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import HtmlResponse

from linkspider.urls.domains import registrable_domain, site_key, site_keys
from linkspider.extraction.encoding import parser_input, response_encoding
from linkspider.extraction.headers import add_header_links, header_canonical
from linkspider.extraction.page import fill_link_contexts
from linkspider.crawl.failures import describe_failure, drop_reason, failure_status
from linkspider.crawl.items import LEASE_META, PageItem
from linkspider.discovery.crawling import SitemapDiscovery, stored_sitemap_files
from linkspider.discovery.rendering import RenderDiscovery
from linkspider.extraction.links import page_nofollow_reason, page_says_noindex, resolve_links
from linkspider.extraction.parsing import (
    DocumentBudget,
    ParseDeadlineExceeded,
    ParsedDocument,
    ParseWorkers,
    count_tags,
    limits_note,
    parse_document,
)
from linkspider.runs.context import RunContext, RunSetupError
from linkspider.runs.journal import FOLLOWABLE_COLUMNS
from linkspider.runs.recorder import seeds_digest
from linkspider.urls.normalize import FETCHABLE_SCHEMES, document_base_url, resolve_href, url_host, url_scheme

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from linkspider.runs.journal import RunJournal

    from scrapy.http import Response
    from twisted.python.failure import Failure


def read_seeds(seeds: str | Iterable[str] | None = None, seeds_file: str | None = None) -> list[str]:
    """Return the seed URLs from a comma/space separated string or list, and/or a file.

    A seed without a scheme gets ``http://``; duplicates are dropped, order kept.

    >>> read_seeds("example.com, http://b.org/x")
    ['http://example.com/', 'http://b.org/x']
    """
    items: list[str] = []
    if isinstance(seeds, str):
        items.extend(seeds.replace(",", " ").split())
    elif seeds:
        items.extend(seeds)
    if seeds_file:
        for line in Path(seeds_file).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                items.append(line)
    result: list[str] = []
    for raw in items:
        candidate = raw if "://" in raw else f"http://{raw}"
        url = resolve_href(candidate, candidate)
        if url is None or url.partition(":")[0] not in FETCHABLE_SCHEMES:
            raise ValueError(f"seed {raw!r} is not an http(s) URL; give e.g. http://example.com/")
        if url not in result:
            result.append(url)
    return result


def is_html(response: Response) -> bool:
    """Return True when the response is an HTML document (by type or sniffing)."""
    return isinstance(response, HtmlResponse)


class BacklinksSpider(SitemapDiscovery, RenderDiscovery, scrapy.Spider):
    """Crawl seed sites; yield one ``PageItem`` per fetched or failed URL."""

    name = "backlinks"

    def __init__(
        self,
        seeds: str | list[str] | None = None,
        seeds_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seed_urls = read_seeds(seeds, seeds_file)
        #: a distributed run (LINKSPIDER_REDIS_URL): the frontier in Redis keeps the seen-set
        #: and the pages-per-site budget; a worker may join without seeds
        self.shared_frontier = bool(kwargs.get("shared_frontier"))
        #: set by the distributed scheduler: URLs -> those whose site budget is spent run-wide
        self.shared_sites_full: Any = None
        if not self.seed_urls and not self.shared_frontier:
            raise ValueError(
                "no seeds: pass -a seeds=http://example.com/ or -a seeds_file=seeds.txt"
            )
        self.pages_per_site: Counter[str] = Counter()
        self.parse_thread_bytes = 1 << 20
        self.parse_deadline = 30.0
        self.max_nesting_depth = 512
        self.parse_threads = 2
        self.max_links_per_page: int | None = 100_000
        self.url_length_limit = 2083
        self.max_body_bytes = 0  # not download_maxsize: Scrapy reads (and deprecates) that attribute
        #: Links the page being followed could not request: its site's budget was full.
        self._over_budget = 0
        self.parse_workers: ParseWorkers | None = None
        self.big_documents: DocumentBudget | None = None  # made with parse_workers
        # Hashes of URLs already requested by this process: avoids building a Request for
        # every repeated internal link (Scrapy's dupefilter would drop it, but only after).
        self._requested: set[int] = set()
        self.verbatim_urls = True
        self.render = False  # LINKSPIDER_RENDER, read by configure_rendering

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BacklinksSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_depth = int(kwargs.get("max_depth", settings.getint("LINKSPIDER_MAX_DEPTH")))
        spider.max_pages_per_site = int(
            kwargs.get("max_pages_per_site", settings.getint("LINKSPIDER_MAX_PAGES_PER_SITE"))
        )
        spider.external_hops = int(
            kwargs.get("external_hops", settings.getint("LINKSPIDER_EXTERNAL_HOPS"))
        )
        spider.crawl_nofollow = settings.getbool("LINKSPIDER_CRAWL_NOFOLLOW_LINKS")
        spider.verbatim_urls = settings.getbool("LINKSPIDER_VERBATIM_URLS", True)
        spider.parse_thread_bytes = settings.getint("LINKSPIDER_PARSE_THREAD_BYTES")
        spider.parse_deadline = settings.getfloat("LINKSPIDER_PARSE_DEADLINE")
        spider.max_nesting_depth = settings.getint("LINKSPIDER_MAX_NESTING_DEPTH")
        spider.parse_threads = settings.getint("LINKSPIDER_PARSE_THREADS")
        spider.max_links_per_page = settings.getint("LINKSPIDER_MAX_LINKS_PER_PAGE") or None
        spider.url_length_limit = settings.getint("URLLENGTH_LIMIT")
        spider.max_body_bytes = settings.getint("DOWNLOAD_MAXSIZE")
        spider.link_context = settings.get("LINKSPIDER_LINK_CONTEXT")
        spider.configure_sitemaps(settings)
        spider.configure_rendering(settings)
        if spider.link_context not in ("all", "external", "none"):
            raise ValueError(
                f"LINKSPIDER_LINK_CONTEXT={spider.link_context!r}: use all, external or none"
            )
        context = RunContext.for_crawler(crawler)
        if context.previous is not None and context.previous.seeds_sha256 != seeds_digest(
            spider.seed_urls
        ):
            raise RunSetupError(
                f"run {context.run_id} was started with other seeds ({context.previous.seeds_count} "
                "URLs): resume it with the same seeds, or with none to take the recorded ones"
            )
        return spider

    # -- requests ---------------------------------------------------------------------------

    async def start(self) -> Any:
        context = RunContext.for_crawler(self.crawler) if hasattr(self, "crawler") else None
        resuming = context is not None and context.resume
        if resuming:
            self._mark_requested(context.journal().requested_urls())
        for url in self.seed_urls:
            request = self._request(url, depth=0, hops=0)
            if request is not None:
                yield request
        if resuming:
            for request in self._resumed_requests(context.journal()):
                yield request
        if self.sitemaps:
            stored = stored_sitemap_files(context.root, context.run_id) if resuming else None
            for request in self.sitemap_start_requests(stored):
                yield request

    def _mark_requested(self, urls: Iterable[str]) -> None:
        """Count ``urls`` as requested (and against their sites' budgets), as on resume."""
        for url in urls:
            key = hash(url)
            if key not in self._requested:
                self._requested.add(key)
                self.pages_per_site[site_key(url_host(url)) or url] += 1

    def _resumed_requests(self, journal: RunJournal) -> Iterator[scrapy.Request]:
        """Yield the requests a resumed run still has to make: the links in scope of every
        stored page, as ``parse_page`` follows them, less the URLs already requested.

        The stored links stream in no order (``RunJournal.followable_links``); only the first
        link to each URL not yet requested is kept, by the order of a replay page after page
        (shallowest first, then by URL and fewest hops, each page's links in document order),
        and the kept ones are requested in that order, so depth, hops and the sites' budgets
        come out as in that replay while memory holds the frontier, not the run's links."""
        first: dict[str, tuple[tuple[int, str, int, int], int]] = {}
        requested, crawl_nofollow, external_hops = self._requested, self.crawl_nofollow, self.external_hops
        for batch in journal.followable_links(self.max_depth, crawl_nofollow):
            for source, domain, depth, hops, position, url, scheme, target_domain, target_host, rel in zip(
                *(batch[name] for name in FOLLOWABLE_COLUMNS)
            ):  # fmt: skip
                # The rules of _follow, link by link.
                if scheme not in FETCHABLE_SCHEMES or hash(url) in requested:
                    continue
                if rel and not crawl_nofollow and "nofollow" in rel.lower():
                    continue
                site = domain or site_key(url_host(source))
                target_site = target_domain if target_domain is not None else site_key(target_host)
                next_hops = hops if target_site == site else hops + 1
                if next_hops > external_hops:
                    continue
                order = (depth, source, hops, _LAST_POSITION if position is None else position)
                kept = first.get(url)
                if kept is None or order < kept[0]:
                    first[url] = (order, next_hops)
        count = 0
        for url, (order, next_hops) in sorted(first.items(), key=lambda entry: entry[1][0]):
            request = self._request(url, order[0] + 1, next_hops)
            if request is not None:
                count += 1
                yield request
        self.logger.info("resumed run: %d requests rebuilt from the dataset", count)

    def _request(self, url: str, depth: int, hops: int,
                 discovered_by: str | None = None) -> scrapy.Request | PageItem | None:  # fmt: skip
        """Return a request for ``url`` unless it was requested already or its site is full
        (counted in ``_over_budget``); a URL too long to fetch gets its row instead.
        ``discovered_by`` goes to the row (None: seed at depth 0, else link)."""
        key = hash(url)
        if key in self._requested:
            return None
        if self.url_length_limit and len(url) > self.url_length_limit:
            self._requested.add(key)
            return self._not_fetched(url, depth, hops, discovered_by, "url_too_long", (
                f"not fetched: the URL is {len(url):,} characters, over URLLENGTH_LIMIT="
                f"{self.url_length_limit} (servers and browsers refuse such URLs; a URL growing "
                "on every hop is a trap); raise URLLENGTH_LIMIT to fetch them"))  # fmt: skip
        if not self.shared_frontier:  # shared: the scheduler counts in Redis, for every worker
            site = site_key(url_host(url)) or url
            if self.max_pages_per_site and self.pages_per_site[site] >= self.max_pages_per_site:
                self._over_budget += 1
                return None
            self.pages_per_site[site] += 1
        self._requested.add(key)
        meta: dict[str, Any] = {"depth": depth, "hops": hops}
        if discovered_by is not None:
            meta["discovered_by"] = discovered_by
        if self.verbatim_urls:  # url is already WHATWG-normalized (ada): no w3lib re-quoting
            meta["verbatim_url"] = True
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta)

    @staticmethod
    def _not_fetched(url: str, depth: int, hops: int, discovered_by: str | None, reason: str,
                     error: str) -> PageItem:  # fmt: skip
        """Return the row of a URL the crawl chose not to fetch."""
        host = url_host(url)
        return PageItem({
            "fetched_at": int(time.time() * 1_000_000), "url": url, "final_url": None,
            "host": host, "domain": registrable_domain(host), "status": None,
            "redirect_chain": [], "depth": depth, "hops": hops, "error": error,
            "drop_reason": reason, "discovered_by": discovered_by_of(discovered_by, depth),
        })  # fmt: skip

    # -- responses --------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Any:
        """Return the page's item, then requests for the links in scope: at once, or (for a
        document of ``LINKSPIDER_PARSE_THREAD_BYTES`` or more) as a coroutine that parses it
        in a worker thread while the crawl goes on."""
        page, redirect_hops, x_robots = self._page_row(response)
        if not is_html(response):
            return [PageItem(page, redirect_hops=redirect_hops, lease=response.meta.get(LEASE_META))]
        try:
            encoding, page["encoding_source"] = response_encoding(response)
            document = parser_input(response, encoding)
        except Exception as exc:  # undecodable body: record it, keep crawling
            page["error"] = f"cannot decode {response.url} as HTML: {exc}"
            return [PageItem(page, redirect_hops=redirect_hops, lease=response.meta.get(LEASE_META))]
        page["encoding"] = encoding
        if len(document) >= self.parse_thread_bytes and self.parse_threads > 0:
            return self._parse_in_worker(response, page, redirect_hops, x_robots, document)
        parsed = parse_document(document, self.max_nesting_depth, self.max_links_per_page)
        return self._page_output(response, page, redirect_hops, x_robots, parsed)

    async def _parse_in_worker(
        self, response: Response, page: dict[str, Any], redirect_hops: list, x_robots: str | None,
        document: str | bytes,
    ) -> list[Any]:
        from scrapy.utils.defer import maybe_deferred_to_future

        if self.parse_workers is None:  # the reactor Scrapy installed, once it runs
            from twisted.internet import reactor

            crawler = getattr(self, "crawler", None)
            self.parse_workers = ParseWorkers(
                reactor, self.parse_threads,
                stopping=(lambda: not crawler.crawling) if crawler is not None else None,
            )  # fmt: skip
            self.big_documents = DocumentBudget(self.max_links_per_page)
        # Big pages from their parse to their item hold at most LINKSPIDER_MAX_LINKS_PER_PAGE
        # links at once (by their "<" count; one page always): the memory of one page full of
        # links, not of every such page downloaded.
        tags = count_tags(document)
        size = min(tags, self.max_links_per_page or tags)
        await maybe_deferred_to_future(self.big_documents.acquire(size))
        try:
            return await self._parse_big_page(response, page, redirect_hops, x_robots, document, tags)
        finally:
            self.big_documents.release(size)

    async def _parse_big_page(
        self, response: Response, page: dict[str, Any], redirect_hops: list, x_robots: str | None,
        document: str | bytes, tags: int,
    ) -> list[Any]:
        from scrapy.utils.defer import maybe_deferred_to_future

        depth = self.max_nesting_depth
        try:
            max_links = self.max_links_per_page
            parsed = await maybe_deferred_to_future(self.parse_workers.submit(
                lambda: parse_document(document, depth, max_links, tags), self.parse_deadline))  # fmt: skip
        except ParseDeadlineExceeded as exc:
            page["error"] = (
                f"ParseDeadlineExceeded: {response.url} ({len(document):,} characters) was not "
                f"parsed: {exc} (LINKSPIDER_PARSE_DEADLINE={self.parse_deadline:g} s); its links "
                "are not recorded (raise the setting to wait longer for such pages)"
            )
            page["drop_reason"] = "parse_deadline"
            return [PageItem(page, redirect_hops=redirect_hops, lease=response.meta.get(LEASE_META))]
        return list(self._page_output(response, page, redirect_hops, x_robots, parsed))

    def _page_row(self, response: Response) -> tuple[dict[str, Any], list, str | None]:
        """Return the ``pages`` values every response has, its redirect hops and X-Robots-Tag."""
        meta = response.meta
        redirect_hops = redirect_hops_of(meta, response.url)
        x_robots = b", ".join(response.headers.getlist(b"X-Robots-Tag")).decode("latin-1") or None
        host = url_host(response.url)
        page: dict[str, Any] = {
            "fetched_at": int(time.time() * 1_000_000),
            "url": redirect_hops[0][0] if redirect_hops else response.url,
            "final_url": response.url,
            "host": host,
            "domain": registrable_domain(host),
            "status": response.status,
            "content_type": _media_type(response),
            "size": len(response.body),
            "content_sha1": hashlib.sha1(response.body).hexdigest(),
            "x_robots_tag": x_robots,
            "redirect_chain": [{"url": u, "status": s} for u, _, s in redirect_hops],
            "depth": meta.get("depth", 0),
            "hops": meta.get("hops", 0),
            "discovered_by": discovered_by_of(meta.get("discovered_by"), meta.get("depth", 0)),
            "error": None,
        }
        if 300 <= response.status < 400:
            _unfollowed_redirect(response, page, redirect_hops)
        return page, redirect_hops, x_robots

    def _page_output(
        self, response: Response, page: dict[str, Any], redirect_hops: list, x_robots: str | None,
        parsed: ParsedDocument,
    ) -> Iterator[Any]:
        """Yield the item of a parsed HTML page, then requests for its links in scope."""
        extracted = parsed.extracted
        depth, hops, domain = page["depth"], page["hops"], page["domain"]
        site = domain or site_key(page["host"])
        encoding = page["encoding"]
        if parsed.tags_beyond_depth or extracted.links_cut:
            page["tags_beyond_depth"] = parsed.tags_beyond_depth or None
            page["links_truncated"] = extracted.links_cut or None
            page["drop_reason"] = "nesting_depth" if parsed.tags_beyond_depth else "links_per_page"
            page["note"] = limits_note(parsed, self.max_nesting_depth, self.max_links_per_page)
        page_reason = page_nofollow_reason(extracted.meta_robots, x_robots)
        alternates = extracted.hreflang_alternates
        base = document_base_url(response.url, extracted.base_href) if alternates else None
        page.update(
            title=extracted.title,
            lang=extracted.lang,
            meta_robots=extracted.meta_robots,
            page_nofollow=page_reason is not None,
            page_nofollow_reason=page_reason,
            noindex=page_says_noindex(extracted.meta_robots, x_robots),
            hreflang_alternates=[
                {"hreflang": lang, "url": resolve_href(href, base) or href}
                for lang, href in alternates
            ],
        )
        link_headers = response.headers.getlist(b"Link")
        if link_headers:
            ignored = add_header_links(extracted, response.url, [v.decode("latin-1") for v in link_headers])
            if ignored:
                page["note"] = "; ".join(filter(None, [page.get("note"),
                                                       f"Link header: {ignored} part(s) ignored"]))  # fmt: skip
        links = resolve_links(response.url, extracted.base_href, extracted.hrefs, encoding)
        # The HTML's canonical first; one given only in the Link header counts when it has none.
        at = extracted.canonical_at if extracted.canonical_href is not None else (
            header_canonical(extracted) if link_headers else None)
        if at is not None:  # the canonical's own link row
            scheme = links["target_scheme"][at]
            page["canonical_url"] = links["target_url"][at] if scheme != "invalid" else None
            if scheme not in FETCHABLE_SCHEMES:
                page["note"] = "; ".join(filter(None, [page.get("note"), canonical_note(
                    extracted.hrefs[at] or "", scheme)]))  # fmt: skip
        sites = site_keys(links["target_domain"], links["target_host"])
        text = self.link_context != "none"
        fill_link_contexts(extracted, self._context_indices(sites, site), text=text)
        page["word_count"] = extracted.word_count if text else None
        page["main_terms"] = extracted.main_terms  # (term, count) pairs: Arrow takes them as structs
        follow = response.status < 400 and depth < self.max_depth and (
            page_reason is None or self.crawl_nofollow)
        # Requests first: the row counts the links refused by the site's budget.
        self._over_budget = 0
        requests = list(self._follow(links, extracted.rels, site, depth, hops)) if follow else []
        if requests and self.shared_sites_full is not None and self.max_pages_per_site:
            requests = self._drop_full_sites(requests)
        refresh_at = extracted.meta_refresh_at
        if requests and refresh_at is not None:
            refresh = links["target_url"][refresh_at]
            for request in requests:
                if request.url == refresh and isinstance(request, scrapy.Request):
                    request.meta["discovered_by"] = "redirect"
        page["links_over_budget"] = self._over_budget or None
        item = PageItem(page, links, extracted, redirect_hops, lease=response.meta.get(LEASE_META))
        # --render: the item waits for the rendered DOM (linkspider.discovery.rendering)
        yield (self.render and self.render_request(response, item)) or item
        yield from requests

    def _context_indices(self, target_sites: list[str | None], site: str | None) -> list[int]:
        """Return which links get a context, by ``LINKSPIDER_LINK_CONTEXT``."""
        if self.link_context == "all":
            return list(range(len(target_sites)))
        if self.link_context == "external":
            return [i for i, d in enumerate(target_sites) if d is not None and d != site]
        return []

    def _follow(
        self,
        links: dict[str, list],
        rels: list[str | None],
        site: str | None,
        depth: int,
        hops: int,
    ) -> Iterator[scrapy.Request]:
        """Yield requests for the links in scope; ``site`` is the page's (``site_key``)."""
        requested = self._requested
        for url, scheme, target_domain, target_host, rel in zip(
            links["target_url"], links["target_scheme"], links["target_domain"],
            links["target_host"], rels,
        ):  # fmt: skip
            if scheme not in FETCHABLE_SCHEMES or hash(url) in requested:  # most are, by now
                continue
            if rel and not self.crawl_nofollow and "nofollow" in rel.lower():
                continue
            target_site = target_domain if target_domain is not None else site_key(target_host)
            next_hops = hops if target_site == site else hops + 1
            if next_hops > self.external_hops:
                continue
            request = self._request(url, depth + 1, next_hops)
            if request is not None:
                yield request

    def _drop_full_sites(self, requests: list[Any]) -> list[Any]:
        """Return the requests whose site (run-wide, in Redis) has room; count the others in
        ``_over_budget`` (the shared queue would refuse them)."""
        full = self.shared_sites_full([r.url for r in requests if isinstance(r, scrapy.Request)])
        if not full:
            return requests
        self._over_budget += sum(isinstance(r, scrapy.Request) and r.url in full for r in requests)
        return [r for r in requests if not (isinstance(r, scrapy.Request) and r.url in full)]

    def closed(self, reason: str) -> None:
        self.render_closed()
        if self.parse_workers is not None:
            self.parse_workers.stop()

    def on_error(self, failure: Failure) -> Iterator[PageItem]:
        """Record a URL that could not be fetched, with what went wrong."""
        request = failure.request  # type: ignore[attr-defined]
        redirect_hops = redirect_hops_of(request.meta, request.url)
        url = redirect_hops[0][0] if redirect_hops else request.url
        host = url_host(url)
        crawler = getattr(self, "crawler", None)
        stopping = crawler is not None and not crawler.crawling
        yield PageItem(
            {
                "fetched_at": int(time.time() * 1_000_000),
                "url": url,
                "final_url": None,
                "host": host,
                "domain": registrable_domain(host),
                "status": failure_status(failure),
                "redirect_chain": [{"url": u, "status": s} for u, _, s in redirect_hops],
                "depth": request.meta.get("depth", 0),
                "hops": request.meta.get("hops", 0),
                "discovered_by": discovered_by_of(request.meta.get("discovered_by"),
                                                  request.meta.get("depth", 0)),
                "error": describe_failure(failure, request.url, stopping=stopping,
                                          maxsize=request.meta.get("download_maxsize",
                                                                   self.max_body_bytes)),
                "drop_reason": drop_reason(failure),
            },
            redirect_hops=redirect_hops,
            lease=request.meta.get(LEASE_META),
        )


#: Sorts a link without a position (a Link header's) after a page's body links.
_LAST_POSITION = 1 << 31


def discovered_by_of(discovered_by: str | None, depth: int) -> str:
    """Return ``pages.discovered_by``: as the request says, else seed (depth 0) or link.

    >>> discovered_by_of(None, 0), discovered_by_of(None, 2), discovered_by_of("sitemap", 1)
    ('seed', 'link', 'sitemap')
    """
    return discovered_by or ("seed" if depth == 0 else "link")


def redirect_hops_of(meta: dict[str, Any], final_url: str) -> list[tuple[str, str, int]]:
    """Return the HTTP redirects Scrapy followed, as ``(from_url, to_url, status)`` hops."""
    urls = list(meta.get("redirect_urls", ()))
    reasons = list(meta.get("redirect_reasons", ()))
    hops = []
    for i, from_url in enumerate(urls):
        to_url = urls[i + 1] if i + 1 < len(urls) else final_url
        status = reasons[i] if i < len(reasons) and isinstance(reasons[i], int) else 0
        hops.append((from_url, to_url, status))
    return hops


def _unfollowed_redirect(response: Response, page: dict[str, Any], hops: list) -> None:
    """Note on ``page`` why a redirect response reached the spider unfollowed (its target's
    scheme is not fetched, or its Location is no URL), and add the hop, so the target is a
    ``redirect`` link row."""
    raw = response.headers.get(b"Location")
    if not raw:
        return
    location = raw.decode("latin-1").strip()
    target = resolve_href(location, response.url)
    if target is None:
        page["drop_reason"] = "redirect_invalid"
        page["note"] = f"redirect not followed: its Location {location[:200]!r} is not a valid URL"
        return
    scheme = url_scheme(target)
    if scheme in FETCHABLE_SCHEMES:
        return
    page["drop_reason"] = "redirect_scheme"
    page["note"] = (f"redirect to a {scheme}: URL not followed: linkspider fetches http and "
                    "https only")  # fmt: skip
    hops.append((response.url, target[:4096], response.status))


def canonical_note(href: str, scheme: str) -> str:
    """Return the note of a page whose canonical is recorded but not obeyed.

    >>> canonical_note("file:///usr/share/doc/x.html", "file")
    "canonical 'file:///usr/share/doc/x.html' not obeyed: a file: URL, not http(s)"
    """
    why = "it is not a valid URL" if scheme == "invalid" else f"a {scheme}: URL, not http(s)"
    return f"canonical {href[:200]!r} not obeyed: {why}"


def _media_type(response: Response) -> str | None:
    content_type = response.headers.get(b"Content-Type")
    if not content_type:
        return None
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1") or None
