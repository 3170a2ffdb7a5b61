"""Sitemaps as data: a sitemap file's bytes -> its entries, through Scrapy's own parser.

``sitemap_body`` undoes gzip within a byte bound (Scrapy's ``gunzip``, so a gzip bomb stops at
``max_bytes``); ``parse_sitemap`` reads an XML urlset or sitemap index with Scrapy's
``Sitemap`` (lxml's streaming parser with entities, DTDs and processing instructions off) or a
text sitemap (one URL a line), and keeps at most ``max_urls`` entries. Bad input raises
``SitemapError`` with a ``drop_reason`` and a sentence for the ``pages`` row. Pure functions:
the crawl side is ``linkspider.discovery.crawling``; the manual is docs/sitemaps.md.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from linkspider.urls.normalize import FETCHABLE_SCHEMES, resolve_href, split_fragment, url_scheme

if TYPE_CHECKING:
    import lxml.etree

#: The sitemaps protocol's limits (sitemaps.org): 50,000 URLs and 50 MB uncompressed a file.
PROTOCOL_MAX_URLS = 50_000
PROTOCOL_MAX_BYTES = 50 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """A sitemap that cannot be read: ``reason`` is its ``pages.drop_reason``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class SitemapEntry:
    """One ``<url>`` of a urlset, ``<sitemap>`` of an index, or line of a text sitemap."""

    url: str
    lastmod: str | None = None
    changefreq: str | None = None
    priority: float | None = None
    #: ``<xhtml:link rel=alternate hreflang=... href=...>``: (hreflang, absolute URL)
    alternates: list[tuple[str | None, str]] = field(default_factory=list)


@dataclass
class ParsedSitemap:
    """A sitemap's entries: ``kind`` is urlset, sitemapindex or text."""

    kind: str
    entries: list[SitemapEntry]
    #: entries past ``max_urls``, counted, not kept
    entries_over_limit: int = 0


class _AlternatesSitemap(Sitemap):
    """Scrapy's ``Sitemap``, keeping each alternate's hreflang with its href (Scrapy keeps
    only the href)."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: lxml.etree._Element) -> dict[str, Any] | None:
        alternates = [(link.get("hreflang"), link.get("href")) for link in elem
                      if self._get_tag_name(link) == "link" and link.get("href")]  # fmt: skip
        entry = super()._process_sitemap_element(elem)
        if entry is not None and alternates:
            entry["alternate"] = alternates
        return entry


def robots_sitemap_urls(robots_body: bytes, robots_url: str) -> list[str]:
    """Return the http(s) URLs of a robots.txt's ``Sitemap:`` lines, resolved, once each.

    >>> robots_sitemap_urls(b"User-agent: *\\nSitemap: /s.xml\\nsitemap: http://a.com/s.xml",
    ...                     "http://a.com/robots.txt")
    ['http://a.com/s.xml']
    """
    urls: list[str] = []
    for raw in sitemap_urls_from_robots(robots_body, base_url=robots_url):
        url = absolute_url(raw, robots_url)
        if url is not None and url not in urls:
            urls.append(url)
    return urls


def absolute_url(loc: str, base_url: str | None) -> str | None:
    """Return ``loc`` as linkspider records URLs (WHATWG, no fragment), or None unless http(s).

    >>> absolute_url(" http://a.com/x#top ", None), absolute_url("mailto:x@a.com", None)
    ('http://a.com/x', None)
    """
    url = resolve_href(loc.strip(), base_url)
    if url is None or url_scheme(url) not in FETCHABLE_SCHEMES:
        return None
    return split_fragment(url)[0]


def sitemap_body(body: bytes, max_bytes: int = PROTOCOL_MAX_BYTES) -> bytes:
    """Return the sitemap's bytes, gunzipped when they are gzip (a ``.xml.gz`` file), at most
    ``max_bytes`` of them (0: no bound); raise ``SitemapError`` beyond, or for broken gzip.

    >>> import gzip; sitemap_body(gzip.compress(b"<urlset/>"))
    b'<urlset/>'
    """
    if body[:2] != GZIP_MAGIC:
        if max_bytes and len(body) > max_bytes:
            raise SitemapError("sitemap_too_large", f"the sitemap is {len(body):,} bytes, over "
                               f"LINKSPIDER_SITEMAP_MAX_BYTES={max_bytes:,}")  # fmt: skip
        return body
    try:
        return gunzip(body, max_size=max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError("sitemap_invalid", f"the sitemap is not valid gzip: {exc}") from exc
    except _DecompressionMaxSizeExceeded as exc:  # Scrapy's gunzip stopped at max_size
        raise SitemapError("sitemap_too_large", (
            f"the gzip sitemap ({len(body):,} bytes) unpacks to more than "
            f"LINKSPIDER_SITEMAP_MAX_BYTES={max_bytes:,} bytes (a compression bomb, or raise "
            "the setting): not read")) from exc  # fmt: skip


def _priority(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and 0.0 <= value <= 1.0 else None


def parse_sitemap(body: bytes, base_url: str, max_urls: int = PROTOCOL_MAX_URLS) -> ParsedSitemap:
    """Return the entries of an XML sitemap (urlset or index) or a text sitemap: URLs made
    absolute against ``base_url`` (entries without an http(s) URL skipped), at most
    ``max_urls`` kept (0: all); raise ``SitemapError`` when ``body`` is neither.

    >>> parse_sitemap(b"<urlset><url><loc>/a</loc><priority>0.5</priority></url></urlset>",
    ...               "http://a.com/s.xml").entries
    [SitemapEntry(url='http://a.com/a', lastmod=None, changefreq=None, priority=0.5, alternates=[])]
    >>> parse_sitemap(b"http://a.com/x\\nnot a url\\n", "http://a.com/s.txt").kind
    'text'
    """
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return _text_sitemap(body, base_url, max_urls)
    try:
        sitemap = _AlternatesSitemap(body)
        kind = sitemap.type
        if kind not in ("urlset", "sitemapindex"):
            raise SitemapError("sitemap_invalid", f"not a sitemap: its root element is <{kind}>, "
                               "not <urlset> or <sitemapindex>")  # fmt: skip
        parsed = ParsedSitemap(kind, [])
        for item in sitemap:
            url = absolute_url(item.get("loc", ""), base_url)
            if url is None:
                continue
            if max_urls and len(parsed.entries) >= max_urls:
                parsed.entries_over_limit += 1
                continue
            alternates = [(lang, absolute_url(href, base_url) or href)
                          for lang, href in item.get("alternate", ())]  # fmt: skip
            parsed.entries.append(SitemapEntry(
                url, item.get("lastmod") or None, item.get("changefreq") or None,
                _priority(item.get("priority")), alternates))  # fmt: skip
    except SitemapError:
        raise
    except Exception as exc:  # lxml.etree.XMLSyntaxError, StopIteration on an empty document
        raise SitemapError("sitemap_invalid", f"not a sitemap: the XML cannot be read "
                           f"({type(exc).__name__}: {str(exc)[:200]})") from exc  # fmt: skip
    return parsed


def _text_sitemap(body: bytes, base_url: str, max_urls: int) -> ParsedSitemap:
    """Return a text sitemap's entries: every line that is an absolute http(s) URL."""
    parsed = ParsedSitemap("text", [])
    for line in body.decode("utf-8-sig", "replace").splitlines():
        line = line.strip()
        if not line.lower().startswith(("http://", "https://")):
            continue
        url = absolute_url(line, None)
        if url is None:
            continue
        if max_urls and len(parsed.entries) >= max_urls:
            parsed.entries_over_limit += 1
        else:
            parsed.entries.append(SitemapEntry(url))
    if not parsed.entries and not parsed.entries_over_limit:
        raise SitemapError("sitemap_invalid", "not a sitemap: neither XML nor lines of "
                           "http(s) URLs")  # fmt: skip
    return parsed
