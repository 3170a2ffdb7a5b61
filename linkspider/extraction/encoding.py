"""Which encoding a fetched page is in, where that came from, and what the HTML parser reads.

The decision is Scrapy's own (``TextResponse.encoding``: byte order mark, then the HTTP
``Content-Type`` charset, then ``<meta charset>``, then detection), so ``response.text`` and
the recorded ``encoding`` always agree. It is made once per page: Scrapy re-derives it on every
``response.encoding`` read, through weak-keyed memo tables, and most pages of a crawl share a
handful of ``Content-Type`` values whose charset is looked up once per process here.
"""

from __future__ import annotations

from functools import lru_cache

from scrapy.http import TextResponse
from w3lib.encoding import http_content_type_encoding

#: First bytes of every byte order mark ``w3lib.encoding.read_bom`` knows (UTF-8/16/32).
_BOM_FIRST_BYTES = frozenset(b"\xef\xff\xfe\x00")


def response_encoding(response: TextResponse) -> tuple[str, str]:
    """Return the encoding Scrapy decodes ``response`` with, and where it came from:
    ``bom``, ``http_header``, ``meta`` or ``detection`` (``declared`` when the response was
    built with an explicit encoding).

    >>> from scrapy.http import HtmlResponse
    >>> response_encoding(HtmlResponse("http://a.com/", body=b"<p>x",
    ...                                headers={"Content-Type": "text/html; charset=ISO-8859-1"}))
    ('cp1252', 'http_header')
    """
    body = response.body
    if response._encoding is None and not (body and body[0] in _BOM_FIRST_BYTES):  # noqa: SLF001
        encoding = _header_encoding(response.headers.get(b"Content-Type") or b"")
        if encoding:
            return encoding, "http_header"
    return response.encoding, encoding_source(response)


@lru_cache(maxsize=1024)
def _header_encoding(content_type: bytes) -> str | None:
    """Return the encoding a ``Content-Type`` value names, as ``TextResponse`` reads it."""
    return http_content_type_encoding(content_type.decode("latin-1"))


def encoding_source(response: TextResponse) -> str:
    """Return where the response's encoding came from: declared, bom, http_header, meta or
    detection. Mirrors the order ``TextResponse`` itself uses to pick the encoding.
    """
    if response._encoding:  # noqa: SLF001 - Scrapy's own decision procedure
        return "declared"
    if response._bom_encoding():  # noqa: SLF001
        return "bom"
    if response._headers_encoding():  # noqa: SLF001
        return "http_header"
    if response._body_declared_encoding():  # noqa: SLF001
        return "meta"
    return "detection"


def parser_input(response: TextResponse, encoding: str | None = None) -> str | bytes:
    """Return the document to parse: the body's bytes when Scrapy decided on UTF-8 (lexbor
    decodes UTF-8 itself, invalid bytes to U+FFFD as Python's ``replace`` does), sparing a
    decode here and an encode in selectolax; else the text Scrapy decoded.

    ``encoding`` is the response's encoding when the caller already has it.
    """
    body = response.body
    if (encoding or response.encoding) == "utf-8" and not body.startswith(b"\xef\xbb\xbf"):
        return body
    return response.text
