"""``WarcWriterMiddleware``: every fetch, robots.txt and redirect hops included, into WARC files.

A downloader middleware placed nearest the download handler (``DOWNLOADER_MIDDLEWARES``,
950): its ``process_response`` sees each response before ``HttpCompressionMiddleware`` (590)
decodes its body and before ``RedirectEveryHopMiddleware`` (600) follows it, and sees the
request with every header the other middlewares added. It copies both into a ``Fetch`` and
hands it to a writer thread (``linkspider.archives.warc_writer``), so digests, gzip and disk
writes stay off the reactor. Without ``LINKSPIDER_WARC`` it raises ``NotConfigured`` and is
not in the chain at all. Files go to ``DATASET/warc/run=RUN_ID/``; what a killed crawl left
open is repaired when the next one starts (``linkspider.archives.repair``).
Documentation: docs/archives.md.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

import linkspider
from linkspider.archives import WIRE_PREFIX
from linkspider.archives.fetch import Fetch, Header
from linkspider.runs.exitcodes import OUTPUT_FAILED_REASON

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from linkspider.archives.warc_writer import WarcFileWriter

logger = logging.getLogger(__name__)

#: Fetches, and bytes of their bodies, waiting for the writer thread at most; past either the
#: reactor waits for the disk (one fetch bigger than the bytes bound still passes alone).
QUEUE_FETCHES = 256
QUEUE_BYTES = 64 << 20
_WIRE = WIRE_PREFIX.encode()


def warcinfo_fields(run_id: str, settings: Any, writer_id: str | None) -> dict[str, str]:
    """Return the fields of each file's ``warcinfo`` record."""
    from importlib.metadata import version

    robots = "obey robots.txt" if settings.getbool("ROBOTSTXT_OBEY") else "ignore robots.txt"
    return {
        "software": f"linkspider/{linkspider.__version__} (Scrapy/{scrapy.__version__}; "
                    f"warcio/{version('warcio')})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": run_id,
        "description": f"linkspider crawl run {run_id}" + (f", worker {writer_id}" if writer_id else ""),
        "operator": settings.get("LINKSPIDER_WARC_OPERATOR") or "",
        "robots": robots,
        "http-header-user-agent": settings.get("USER_AGENT") or "",
        "hostname": socket.gethostname(),
    }  # fmt: skip


def _text(value: bytes | str) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def scrapy_headers(headers: Any) -> list[Header]:
    """Return a Scrapy ``Headers`` object as (name, value) text pairs, each value its own pair."""
    pairs: list[Header] = []
    for name, values in headers.items():
        text = _text(name)
        pairs.extend((text, _text(value)) for value in values)
    return pairs


def fetch_of(request: Request, response: Response) -> Fetch:
    """Return the plain data of one fetch; the wire headers are taken out of ``response``."""
    headers = response.headers
    wire = [name for name in headers if name.startswith(_WIRE)]
    response_headers = scrapy_headers(headers)
    for name in wire:
        del headers[name]
    ip = getattr(response, "ip_address", None)
    return Fetch(
        url=request.url, method=request.method, request_headers=scrapy_headers(request.headers),
        request_body=request.body, protocol=getattr(response, "protocol", None),
        status=response.status, response_headers=response_headers, body=response.body,
        ip_address=str(ip) if ip is not None else None,
        truncated="disconnect" if "dataloss" in response.flags else None,
    )  # fmt: skip


class WarcWriterMiddleware:
    """Hands every response, with its request, to a WARC writer thread (see module doc)."""

    def __init__(self, writer: WarcFileWriter, crawler: Crawler | None = None) -> None:
        self.writer = writer
        self.crawler = crawler
        self.failed: str | None = None
        self._queue: queue.Queue[Fetch | None] = queue.Queue(QUEUE_FETCHES)
        self._room = threading.Condition()
        self._queued_bytes = 0
        self._thread = threading.Thread(target=self._write_all, name="warc-writer", daemon=True)
        self._thread.start()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcWriterMiddleware:
        settings = crawler.settings
        if not settings.getbool("LINKSPIDER_WARC"):
            raise NotConfigured
        # imported here: a crawl without --warc loads none of it (warcio costs 20 ms)
        from linkspider.archives.repair import repair_open_files
        from linkspider.archives.warc_writer import SUFFIX, WarcFileWriter
        from linkspider.dataset.layout import warc_directory
        from linkspider.runs.context import RunContext

        context = RunContext.for_crawler(crawler)
        directory = warc_directory(context.root, context.run_id)
        for closed in repair_open_files(directory):
            logger.info("repaired %s", closed)
        writer_id = context.writer_id if context.shared else None
        prefix = f"linkspider-{context.run_id}" + (f"-{writer_id}" if writer_id else "")
        writer = WarcFileWriter(directory, prefix, settings.getint("LINKSPIDER_WARC_MAX_BYTES"),
                                warcinfo_fields(context.run_id, settings, writer_id))  # fmt: skip
        if not writer_id:  # a resumed run: the payloads its earlier attempts archived
            remembered = writer.remember(sorted(directory.glob(f"{prefix}-*{SUFFIX}")))
            logger.info("%d payload(s) of earlier attempts of run %s can be revisited",
                        remembered, context.run_id)  # fmt: skip
        middleware = cls(writer, crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:  # fmt: skip
        if request.meta.get("playwright"):  # --render: a DOM Chromium built, not a fetch
            return response
        fetch = fetch_of(request, response)
        if self.failed is None:
            size = len(fetch.body)
            with self._room:
                while self._queued_bytes and self._queued_bytes + size > QUEUE_BYTES:
                    self._room.wait()
                self._queued_bytes += size
            self._queue.put(fetch)
        return response

    def spider_closed(self, spider: Spider | None = None) -> None:
        """Write what is queued, close the last file, and put the counts in the stats."""
        self.close()
        stats = self.crawler.stats if self.crawler is not None else None
        if stats is not None:
            stats.set_value("linkspider/warc_files", len(self.writer.closed_files))
            stats.set_value("linkspider/warc_records", self.writer.records)
            stats.set_value("linkspider/warc_revisits", self.writer.revisits)
            stats.set_value("linkspider/warc_bytes", self.writer.bytes_written)

    def close(self) -> None:
        """Let the writer thread finish the queue, then close the file being written."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.failed is None:
            try:
                self.writer.close()
            except OSError as exc:
                self._fail(exc)

    def _write_all(self) -> None:
        while (fetch := self._queue.get()) is not None:
            try:
                if self.failed is None:
                    self.writer.write(fetch)
            except OSError as exc:
                self._fail(exc)
            except Exception as exc:  # a bug must not leave the reactor waiting on the queue
                logger.exception("the WARC writer failed on %s", fetch.url)
                self._fail(exc)
            finally:
                with self._room:
                    self._queued_bytes -= len(fetch.body)
                    self._room.notify()

    def _fail(self, exc: Exception) -> None:
        """Stop archiving and end the crawl cleanly (from any thread) after a write failed."""
        self.failed = (f"writing the WARC files in {self.writer.directory} failed: {exc}; is "
                       "the disk full? The crawl stops; continue it with --resume")  # fmt: skip
        logger.error(self.failed)
        crawler = self.crawler
        if crawler is None:
            return
        from twisted.internet import reactor

        def stop() -> None:
            if crawler.stats is not None:
                crawler.stats.set_value("linkspider/output_error", self.failed)
            engine = crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=OUTPUT_FAILED_REASON))

        reactor.callFromThread(stop)  # type: ignore[attr-defined]
