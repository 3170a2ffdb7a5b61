"""The HTTP request and response of one fetch, rebuilt as the blocks of WARC records.

Scrapy keeps a response's status, headers and body, but not the bytes of the status line and
header block, and Twisted sets the connection-control headers (``Content-Length``,
``Transfer-Encoding``, ``Connection``, ``Keep-Alive``...) aside from the rest. The download
handler hands those back under ``X-Linkspider-Wire-*`` names when ``--warc`` is on
(``linkspider.crawl.downloader``); here they are put back in the header block, except that
the body is stored de-chunked: ``Transfer-Encoding`` becomes ``X-Crawler-Transfer-Encoding``
and ``Content-Length`` is the length of the stored body, as Common Crawl does
(docs/archives.md, "Writing WARC").
"""

from __future__ import annotations

from http.client import responses as REASONS
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders

from linkspider.archives import WIRE_PREFIX
from linkspider.archives.fetch import Header

#: Request headers never archived: they carry credentials of the crawler's proxy.
SECRET_REQUEST_HEADERS = frozenset({"proxy-authorization"})

def request_target(url: str) -> str:
    """Return the request target of an origin-form request line.

    >>> request_target("http://a.example/p?q=1#top")
    '/p?q=1'
    """
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def request_head(method: str, url: str, headers: list[Header], body_length: int) -> StatusAndHeaders:
    """Return the request line and headers as sent for ``url`` (``Host`` first, as Twisted
    sends it; ``Content-Length`` when there is a body; no proxy credentials).

    >>> request_head("GET", "http://a.example/x", [("Accept", "*/*")], 0).to_str()
    'GET /x HTTP/1.1\\r\\nHost: a.example\\r\\nAccept: */*\\r\\n'
    """
    names = {name.lower() for name, _ in headers}
    out: list[Header] = []
    if "host" not in names:
        out.append(("Host", urlsplit(url).netloc))
    out.extend((n, v) for n, v in headers if n.lower() not in SECRET_REQUEST_HEADERS)
    if body_length and "content-length" not in names:
        out.append(("Content-Length", str(body_length)))
    # warcio writes ``protocol`` before the status line: a request line carries its own
    return StatusAndHeaders(f"{method} {request_target(url)} HTTP/1.1", out, protocol="")


def response_head(protocol: str | None, status: int, headers: list[Header], body_length: int,
                  head_request: bool = False) -> StatusAndHeaders:  # fmt: skip
    """Return the status line and headers of a response whose stored body is ``body_length``
    bytes, with the connection-control headers put back (see the module doc). The answer to
    a ``head_request`` has no body and keeps the ``Content-Length`` the server sent.

    >>> response_head("HTTP/1.1", 200, [("Content-Type", "text/html"),
    ...     ("X-Linkspider-Wire-Transfer-Encoding", "chunked")], 5).headers
    [('Content-Type', 'text/html'), ('X-Crawler-Transfer-Encoding', 'chunked'), ('Content-Length', '5')]
    """
    out: list[Header] = []
    for name, value in headers:
        if name.startswith(WIRE_PREFIX):
            name = name[len(WIRE_PREFIX):]
        lowered = name.lower()
        if lowered == "content-length" and not head_request:
            continue  # written below, from the stored body
        if lowered == "transfer-encoding":
            name = "X-Crawler-Transfer-Encoding"
        out.append((name, value))
    if not head_request:
        out.append(("Content-Length", str(body_length)))
    reason = REASONS.get(status, "")
    statusline = f"{status} {reason}" if reason else str(status)
    return StatusAndHeaders(statusline, out, protocol=protocol or "HTTP/1.1")
