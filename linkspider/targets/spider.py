"""The ``check_targets`` spider: how each target URL answers, with the crawler's politeness.

Runs in Scrapy's engine with the project's settings, so robots.txt
(``linkspider.crawl.robots.RobotsTxtMiddleware``), the address rule (``PrivateAddressMiddleware``,
``PublicAddressResolver``), the proxy, per-host concurrency and AutoThrottle all apply. Each
URL is requested once with HEAD; where the answer's status is in
``LINKSPIDER_TARGETS_HEAD_REFUSED`` (405, 501: servers that refuse HEAD) it is requested with
GET, whose body is not downloaded (the download stops at the headers). Redirects are not
followed by Scrapy but by ``linkspider.targets.chains``, so a URL shared by several chains is
still requested once. A check is one attempt: no retries (``RETRY_ENABLED`` off). One item
per target (``linkspider.dataset.schema.TARGETS_SCHEMA``), written by ``TargetsParquetPipeline``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload

from linkspider.urls.domains import registrable_domain
from linkspider.crawl.middlewares import PrivateAddressRefused, _location_target
from linkspider.crawl.resolver import refusal_for
from linkspider.spiders.backlinks import describe_failure
from linkspider.targets.chains import Answer, ChainResolver, Resolved
from linkspider.urls.normalize import FETCHABLE_SCHEMES, split_fragment, url_host

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

_OFF = None


class TargetCheckSpider(scrapy.Spider):
    """Request every target once (HEAD, GET where HEAD is refused); yield one row per target."""

    name = "check_targets"
    custom_settings = {
        "ITEM_PIPELINES": {"linkspider.targets.writer.TargetsParquetPipeline": 800},
        "EXTENSIONS": {
            "linkspider.runs.recorder.RunRecorder": _OFF,  # a check is not a crawl run
            "pipelines.feed.ParquetFeedAppendGuard": _OFF,
            "linkspider.scrapyd.check.ScrapydOutputCheck": _OFF,
        },
        "RETRY_ENABLED": False,
        "LINKSPIDER_HISTORY_UPDATE": False,
    }

    def __init__(self, urls: list[str] | None = None, run_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls or [])
        self.run_id = run_id
        self.chains = ChainResolver(self.urls)
        self.head_refused: set[int] = {405, 501}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> TargetCheckSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.head_refused = {int(s) for s in settings.getlist("LINKSPIDER_TARGETS_HEAD_REFUSED")}
        spider.chains.max_redirects = settings.getint("REDIRECT_MAX_TIMES", 10)
        crawler.signals.connect(spider.headers_received, signal=signals.headers_received)
        return spider

    async def start(self) -> Any:
        for url in self.urls:
            yield self._request(url, "HEAD")

    def _request(self, url: str, method: str) -> scrapy.Request:
        return scrapy.Request(
            url, method=method, callback=self.on_response, errback=self.on_error, dont_filter=True,
            meta={"dont_redirect": True, "handle_httpstatus_all": True, "target_method": method,
                  "target_url": url, "verbatim_url": True},
        )  # fmt: skip

    def headers_received(self, headers: Any, body_length: int, request: scrapy.Request, spider: Any) -> None:
        """Stop a GET of a target after its headers: the status is all a check needs."""
        if request.meta.get("target_method") == "GET":
            raise StopDownload(fail=False)

    # -- answers ----------------------------------------------------------------------------

    def on_response(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        url, method = meta["target_url"], meta["target_method"]
        if method == "HEAD" and response.status in self.head_refused:
            yield self._request(url, "GET")
            return
        location = None
        if 300 <= response.status < 400 and response.status != 304:
            target = _location_target(response, url)
            location = split_fragment(target)[0] if target else None
            if location is not None and location.partition(":")[0] not in FETCHABLE_SCHEMES:
                answer = Answer(response.status, None, f"redirect from {url} to a non-http URL {location}",
                                method=method, at=_now())  # fmt: skip
                yield from self._record(url, answer)
                return
        yield from self._record(url, Answer(response.status, location, method=method, at=_now()))

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        url = request.meta.get("target_url", request.url)
        exc = failure.value
        blocked = isinstance(exc, PrivateAddressRefused) or refusal_for(url_host(url)) is not None or (
            type(exc) is IgnoreRequest and "robots.txt" in str(exc).lower())  # fmt: skip
        answer = Answer(None, None, describe_failure(failure, url), blocked=blocked,
                        method=request.meta.get("target_method"), at=_now())  # fmt: skip
        yield from self._record(url, answer)

    def _record(self, url: str, answer: Answer) -> Iterator[Any]:
        fetch, resolved = self.chains.record(url, answer)
        for next_url in fetch:
            yield self._request(next_url, "HEAD")
        for row in resolved:
            yield self.row(row)

    def row(self, resolved: Resolved) -> dict[str, Any]:
        """Return the ``targets`` row of a resolved check."""
        host = url_host(resolved.url)
        return {
            "run_id": self.run_id, "url": resolved.url, "target_host": host,
            "target_domain": registrable_domain(host), "status": resolved.status,
            "final_url": resolved.final_url,
            "redirect_chain": [{"url": u, "status": s} for u, s in resolved.redirect_chain],
            "error": resolved.error, "outcome": resolved.outcome, "method": resolved.method,
            "checked_by": "check", "checked_at": resolved.at or _now(),
        }  # fmt: skip

    def leftover_rows(self) -> list[dict[str, Any]]:
        """Rows of targets whose chain never ended (the pipeline writes them at the close)."""
        return [self.row(r) for r in self.chains.unresolved()]


def _now() -> int:
    return int(time.time() * 1_000_000)
