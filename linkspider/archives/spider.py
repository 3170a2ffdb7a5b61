"""The ``archive`` spider: the backlinks spider's page work, fed from web archives.

``linkspider extract`` runs it through Scrapy's engine like a crawl, but nothing is downloaded:
``start()`` reads the archive files and, for each HTTP response record, builds the Scrapy
``Response`` a fetch would have produced and hands it to ``BacklinksSpider.parse_page``, the
same code a crawl runs (so a page's link rows are the same whether fetched or read from an
archive). The items then go through the crawl's pipelines into the same ``links`` and
``pages`` tables; each page row names its record (``warc_filename``, ``warc_offset``).

Redirects: each hop of a redirect is its own record. A 3xx record waits for its target's
record; when that comes, the page is written as a crawl writes a followed redirect (``url``
the first hop, ``final_url`` the target, ``redirect_chain``, a ``redirect`` link per hop).
A chain whose target is not in the files is written at the end as the 3xx page with its
``redirect`` link. ``revisit`` records take the payload of the capture they refer to when it
is in the given files (found by payload digest); otherwise they are page rows noted as such.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from linkspider.archives.records import (
    ArchiveError,
    ArchivedResponse,
    ReadCounts,
    member_start_after,
    read_archive,
)
from linkspider.crawl.items import PageItem
from linkspider.spiders.backlinks import BacklinksSpider
from linkspider.urls.domains import registrable_domain
from linkspider.urls.normalize import FETCHABLE_SCHEMES, resolve_href, url_host, url_scheme

logger = logging.getLogger(__name__)

#: Redirects waiting for their target's record; past this the oldest are written unresolved.
MAX_PENDING_REDIRECTS = 100_000
#: Headers of the record that no longer describe the decoded body handed to the parser.
DECODED_HEADERS = (b"Content-Encoding", b"Transfer-Encoding", b"Content-Length")


class ArchiveSpider(BacklinksSpider):
    """Yield one ``PageItem`` per HTTP response read from the archive files."""

    name = "archive"

    def __init__(self, files: list[str] | None = None, skip: dict[str, set[int]] | None = None,
                 all_files: list[str] | None = None, workers: Any = None,
                 names: dict[str, str] | None = None,
                 ranges: dict[str, tuple[int, int | None]] | None = None, **kwargs: Any) -> None:
        self.archive_files = [str(f) for f in files or []]
        if not self.archive_files and workers is None:
            raise ValueError("no archive files: give .warc, .warc.gz, .arc or .arc.gz files")
        # No seed URLs (shared_frontier lets the parent accept none); the run record keeps
        # the archive files as its seeds: they are the run's source.
        super().__init__(seeds=[], shared_frontier=True, **kwargs)
        self.shared_frontier = False
        self.seed_urls = list(all_files or self.archive_files)
        self.skip = skip or {}
        #: the processes (``archives.parallel.Workers``) or Spark tasks (``archives.spark.
        #: SparkWorkers``) reading the other shares into this run, started before this spider
        #: (their start-up overlaps this process's)
        self.workers = workers
        #: the name a local file is recorded under (a Spark task's copy of an s3:// file)
        self.names = names or {}
        #: files read in part: the records that start in ``[start, end)``
        self.ranges = ranges or {}
        self.counts = ReadCounts()
        self.file_errors: list[str] = []
        self._pending: dict[str, list[list[tuple[str, str, int, ArchivedResponse]]]] = {}
        self._by_digest: dict[str, tuple[str, int]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = 0  # nothing is followed: the archive is the crawl
        spider.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")
        return spider

    async def start(self) -> Any:
        workers = self.workers
        try:
            async for item in self._read_own_files():
                yield item
        finally:
            if workers is not None and not self.crawler.crawling:
                workers.stop()
        if workers is not None:
            await self._wait_for(workers)
        self._record_counts()

    async def _wait_for(self, workers: Any) -> None:
        from scrapy.exceptions import CloseSpider

        from linkspider.archives.spark import SparkJobFailed

        lost = []
        try:
            ended = await workers.wait()
        except SparkJobFailed as exc:
            logger.error("%s; continue the run with --resume", exc)
            raise CloseSpider("worker_failed") from None
        for spec, code in ended:
            errors = spec.read_errors()
            if errors is None or code not in (0, 4, 6):
                lost.append(f"worker on {len(spec.files)} file(s) ended with code {code}")
                continue
            for message in errors:
                self._file_failed(message)
        if lost:
            for message in lost:
                logger.error("%s; continue the run with --resume", message)
            raise CloseSpider("worker_failed")

    async def _read_own_files(self) -> Any:
        for name in self.archive_files:
            path = Path(name)
            skip = self.skip.get(self.names.get(name, name), set())
            start, end = self.ranges.get(name, (0, None))
            try:
                if start:
                    start = member_start_after(path, start)
                    if start is None or (end is not None and start >= end):
                        continue  # no record starts in this range: another process's
                for record in read_archive(path, self.max_body_bytes or 1 << 62, self.counts,
                                           start_offset=start):  # fmt: skip
                    if end is not None and record.offset >= end:
                        break  # the next range's first record
                    if record.offset in skip:  # a resumed run wrote it already
                        self.counts.skipped["already_extracted"] += 1
                        self._pending.pop(record.url, None)
                        continue
                    for work in self._work_of(record):
                        for item in await work.items():
                            yield item
            except ArchiveError as exc:
                self._file_failed(str(exc))
            except OSError as exc:
                self._file_failed(f"{path}: cannot read it: {exc.strerror or exc}")
        for work in self._unresolved_redirects():
            for item in await work.items():
                yield item

    def _file_failed(self, message: str) -> None:
        self.file_errors.append(message)
        logger.error("%s", message)
        stats = self.crawler.stats if hasattr(self, "crawler") else None
        if stats is not None:
            stats.inc_value("linkspider/archive_files_failed")
            stats.set_value("linkspider/archive_errors", self.file_errors[:100])

    def _record_counts(self) -> None:
        stats = self.crawler.stats if hasattr(self, "crawler") else None
        if stats is None:
            return
        stats.set_value("linkspider/archive_records", self.counts.records)
        stats.set_value("linkspider/archive_responses", self.counts.responses)
        for kind, count in self.counts.skipped.items():
            stats.set_value(f"linkspider/archive_skipped/{kind}", count)

    # -- records to items ---------------------------------------------------------------------

    def _work_of(self, record: ArchivedResponse) -> Iterator[PageWork]:
        url = resolve_href(record.url, record.url) if record.url else None
        if url is None or url_scheme(url) not in FETCHABLE_SCHEMES:
            self.counts.skipped["not_http_url"] += 1
            return
        record.url = url
        if url.split("?", 1)[0].endswith("/robots.txt") and url.count("/") == 3:
            self.counts.skipped["robots_txt"] += 1
            return
        if record.record_type == "revisit":
            record = self._revisited(record)
        elif record.payload_digest and record.problem is None:
            self._by_digest.setdefault(record.payload_digest, (record.filename, record.offset))
        if 300 <= record.status < 400 and record.header(b"Location"):
            target = resolve_href(record.header(b"Location").decode("latin-1").strip(), url)
            if target is not None and url_scheme(target) in FETCHABLE_SCHEMES and target != url:
                yield from self._redirect(record, target)
                return
        chains = self._pending.pop(url, None)
        if not chains:
            yield from self._page_items(record, [])
            return
        for chain in chains:
            yield from self._page_items(record, [(a, b, s) for a, b, s, _ in chain])

    def _redirect(self, record: ArchivedResponse, target: str) -> Iterator[PageWork]:
        """Let a 3xx record wait for its target's record. As Scrapy's RedirectMiddleware, a
        chain is followed ``REDIRECT_MAX_TIMES`` hops; the record past that ends it with the
        row a crawl writes for it (a loop is such a chain)."""
        hop = (record.url, target, record.status, record)
        chains = self._pending.pop(record.url, None) or [[]]
        for chain in chains:
            if len(chain) >= self.max_redirects:
                yield self._too_many_redirects(chain, record.url)
                continue
            self._pending.setdefault(target, []).append([*chain, hop])
        while len(self._pending) > MAX_PENDING_REDIRECTS:
            oldest = next(iter(self._pending))
            for chain in self._pending.pop(oldest):
                yield from self._unresolved(chain)

    def _too_many_redirects(self, chain: list, url: str) -> PageWork:
        hops = [(a, b, s) for a, b, s, _ in chain]
        host = url_host(hops[0][0])
        page = {
            "fetched_at": int(time.time() * 1_000_000), "url": hops[0][0], "final_url": None,
            "host": host, "domain": registrable_domain(host), "status": None,
            "redirect_chain": [{"url": a, "status": s} for a, _, s in hops], "depth": 0,
            "hops": 0, "discovered_by": "archive", "error": f"redirect loop or too many redirects at {url}", "drop_reason": None,
        }  # fmt: skip
        return PageWork(chain[-1][3], [PageItem(page, redirect_hops=hops)], self.names)

    def _unresolved_redirects(self) -> Iterator[PageWork]:
        pending, self._pending = self._pending, {}
        for chains in pending.values():
            for chain in chains:
                yield from self._unresolved(chain)

    def _unresolved(self, chain: list) -> Iterator[PageWork]:
        """Write a redirect chain whose target is not in the archive: the last 3xx page with
        the whole chain's hops as ``redirect`` links."""
        last = chain[-1][3]
        hops = [(a, b, s) for a, b, s, _ in chain]
        for work in self._page_items(last, hops[:-1]):
            work.redirect_hops = hops
            yield work

    def _revisited(self, record: ArchivedResponse) -> ArchivedResponse:
        """Return the revisit with the payload of its original capture, when it was read."""
        original = self._by_digest.get(record.payload_digest or "")
        if original is None:
            refers = record.refers_to or (None, None)
            record.problem = (f"a revisit record (same payload as the capture of {refers[0] or '?'} "
                              f"at {refers[1] or '?'}), whose original is not in the given files: "
                              "its links are not known; add that capture's file to read them")  # fmt: skip
            return record
        filename, offset = original
        counts = ReadCounts()
        for found in read_archive(Path(filename), self.max_body_bytes or 1 << 62, counts,
                                  start_offset=offset):  # fmt: skip
            record.body = found.body
            keep = {k.lower() for k, _ in record.headers}
            record.headers += [(k, v) for k, v in found.headers if k.lower() not in keep]
            break
        return record

    def _page_items(self, record: ArchivedResponse, hops: list[tuple[str, str, int]]
                    ) -> Iterator[PageWork]:
        """Build the Response a fetch would have given and run the spider's page work on it."""
        meta: dict[str, Any] = {"depth": 0, "hops": 0, "discovered_by": "archive"}
        if hops:
            meta["redirect_urls"] = [a for a, _, _ in hops]
            meta["redirect_reasons"] = [s for _, _, s in hops]
        headers = Headers([(k, v) for k, v in record.headers if k.title() not in DECODED_HEADERS])
        request = scrapy.Request(hops[0][0] if hops else record.url, meta=meta)
        cls = responsetypes.from_args(headers=headers, url=record.url, body=record.body)
        response = cls(url=record.url, status=record.status, headers=headers, body=record.body,
                       request=request, ip_address=None)  # fmt: skip
        if record.problem is not None:
            page, redirect_hops, _ = self._page_row(response)
            page.update(error=record.problem, drop_reason=record.problem_reason)
            yield PageWork(record, [PageItem(page, redirect_hops=redirect_hops)], self.names)
        else:
            yield PageWork(record, self.parse_page(response), self.names)


class PageWork:
    """The spider's output for one record: items now, or a parse under way in a worker thread
    (a big document, bounded by ``LINKSPIDER_PARSE_DEADLINE`` as in a crawl)."""

    def __init__(self, record: ArchivedResponse, result: Any, names: dict[str, str]) -> None:
        self.record = record
        self.result = result
        self.filename = names.get(record.filename, record.filename)
        #: an unresolved redirect chain: all its hops
        self.redirect_hops: list[tuple[str, str, int]] | None = None

    async def items(self) -> list[PageItem]:
        result = await self.result if inspect.iscoroutine(self.result) else list(self.result)
        record = self.record
        items = [item for item in result if isinstance(item, PageItem)]
        for item in items:
            page = item.page
            page["warc_filename"] = self.filename
            page["warc_offset"] = record.offset
            if record.date is not None:
                page["fetched_at"] = int(record.date.timestamp() * 1_000_000)
            if record.record_type == "revisit":
                page["warc_record_type"] = "revisit"
            if self.redirect_hops is not None:
                item.redirect_hops = self.redirect_hops
                page["redirect_chain"] = [{"url": a, "status": s} for a, _, s in self.redirect_hops]
        return items
