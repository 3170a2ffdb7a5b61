"""HTTP download handler: Scrapy's HTTP/1.1 handler with bounded response headers and clear errors.

Installed for ``http`` and ``https`` in ``DOWNLOAD_HANDLERS``. Scrapy counts only the body
against ``DOWNLOAD_MAXSIZE``; a server can send megabytes of header lines, which Twisted keeps
in memory, so a response whose status line and headers pass ``LINKSPIDER_MAX_HEADER_BYTES`` is
refused (:class:`ResponseHeadersTooLarge`, with the status the server sent). A body cut short
of its ``Content-Length`` fails with :class:`ShortBody` saying how many bytes came of how
many. Both reach the spider's errback inside Twisted's ``ResponseFailed`` (or Scrapy's
``ResponseDataLossError``); ``linkspider.crawl.failures`` reads them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from twisted.web._newclient import BODY
from twisted.web.http import _IdentityTransferDecoder

from linkspider.archives import WIRE_PREFIX
from linkspider.crawl.errors import ResponseHeadersTooLarge, ShortBody

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred


class _BoundedParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, counting the bytes of the status line and headers."""

    header_limit = 256 * 1024
    header_bytes = 0
    #: pass the connection-control headers Twisted sets aside (``Content-Length``,
    #: ``Transfer-Encoding``...) on as ``X-Linkspider-Wire-*`` headers, for the WARC writer
    wire_headers = False

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 (Twisted API)
        if self.state != BODY:
            self.header_bytes += len(line) + 2
            if self.header_bytes > self.header_limit:
                status = self.response.code if getattr(self, "response", None) else None
                raise ResponseHeadersTooLarge(status, self.header_bytes, self.header_limit)
        super().lineReceived(line)

    def allHeadersReceived(self) -> None:  # noqa: N802 (Twisted API)
        if self.wire_headers:
            for name, values in self.connHeaders.getAllRawHeaders():
                self.headers.setRawHeaders(WIRE_PREFIX.encode() + name, values)
        super().allHeadersReceived()

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 (Twisted API)
        decoder = getattr(self, "bodyDecoder", None)
        if isinstance(decoder, _IdentityTransferDecoder) and decoder.contentLength:
            announced = self.response.length
            received = announced - decoder.contentLength
            self.bodyDecoder = _ShortBodyDecoder(decoder, ShortBody(self.response.code, announced, received))
        super().connectionLost(reason)


class _ShortBodyDecoder:
    """Stands in for a body decoder that got fewer bytes than its Content-Length: its
    ``noMoreData`` raises :class:`ShortBody` (Twisted's says nothing of the numbers)."""

    def __init__(self, decoder: _IdentityTransferDecoder, error: ShortBody) -> None:
        self.decoder = decoder
        self.error = error

    def noMoreData(self) -> None:  # noqa: N802 (Twisted API)
        self.decoder.dataCallback = self.decoder.finishCallback = None
        raise self.error


class _BoundedProtocol(_LenientHTTP11ClientProtocol):
    header_limit = 256 * 1024
    wire_headers = False

    def request(self, request: Any) -> Deferred:
        deferred = super().request(request)
        assert self._parser is not None
        # As Scrapy's own protocol does: the parser's class is swapped after creation.
        self._parser.__class__ = _BoundedParser
        self._parser.header_limit = self.header_limit
        self._parser.wire_headers = self.wire_headers
        return deferred


class _BoundedFactory(_LenientHTTP11ClientFactory):
    header_limit = 256 * 1024
    wire_headers = False

    def buildProtocol(self, addr: Any) -> _BoundedProtocol:  # noqa: N802 (Twisted API)
        protocol = _BoundedProtocol(self._quiescentCallback)
        protocol.header_limit = self.header_limit
        protocol.wire_headers = self.wire_headers
        return protocol


class BoundedHTTP11DownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, with ``LINKSPIDER_MAX_HEADER_BYTES`` enforced (and,
    with ``LINKSPIDER_WARC``, the connection-control headers passed on for the archive)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        limit = crawler.settings.getint("LINKSPIDER_MAX_HEADER_BYTES")
        wire = crawler.settings.getbool("LINKSPIDER_WARC")
        self._pool._factory = type("BoundedFactory", (_BoundedFactory,),
                                   {"header_limit": limit, "wire_headers": wire})  # fmt: skip
