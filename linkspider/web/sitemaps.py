"""Sites with sitemaps, good and broken, for the local web (``linkspider web --sitemaps``).

:class:`SitemapWeb` is a site source (``linkspider.web.server``) answering for these hosts, and
for every other host through an optional fallback (the world). Its ground truth, by
construction:

``sitemapped.test``
    robots.txt says ``Sitemap: http://sitemapped.test/sitemap_index.xml``, an index of
    ``/sitemaps/pages.xml.gz`` (a gzip urlset of the ``ORPHANS`` pages ``/orphan-{k}.html``,
    with lastmod, changefreq, priority and a ``de`` alternate each) and ``/sitemaps/linked.txt``
    (a text sitemap of ``/`` and ``/about.html``). ``/`` links to ``/about.html`` and
    ``/unlisted.html`` (in no sitemap), which link home; each orphan links home only, so its
    sitemap is the only way to it. ``/sitemap.xml`` is a 404.
``textmap.test``
    robots.txt says ``Sitemap: /sitemap.txt`` (a relative URL): a text sitemap of
    ``/t-1.html``, ``/t-2.html``, a line that is no URL and ``http://elsewhere.test/x`` (off
    the site); ``/sitemap.xml`` (the well-known place) a urlset of ``/p-1.html`` .. ``/p-3.html``.
``badmaps.test``
    robots.txt lists one broken sitemap a line (``BAD_SITEMAPS``): random bytes, an HTML page,
    10 MB of XML, a gzip bomb (64 MB of zeros), 50,001 URLs, an index loop (``/loop-a.xml``
    lists itself and ``/loop-b.xml``, which lists ``/loop-a.xml``), an endless chain of indexes
    (``/nest/{k}.xml`` lists ``/nest/{k+1}.xml``), a 404. Its pages ``/``, ``/m/{i}`` are
    small pages linking home.
``widemap.test``
    ``/sitemap.xml`` is an index of ``WIDE_CHILDREN`` sitemaps ``/w/{i}.xml`` of one URL each.
"""

from __future__ import annotations

import gzip
import random
from functools import lru_cache
from typing import Protocol

from linkspider.web.hostile import compressed_zeros
from linkspider.web.model import WebResponse

__all__ = ["BAD_SITEMAPS", "ORPHANS", "SITEMAP_HOSTS", "WIDE_CHILDREN", "SitemapWeb"]

ORPHANS = 30
MANY_URLS = 50_001
WIDE_CHILDREN = 500
HUGE_BYTES = 10 * 1024 * 1024
BOMB_BYTES = 64 * 1024 * 1024
SITEMAP_HOSTS = ("sitemapped.test", "textmap.test", "badmaps.test", "widemap.test")
#: badmaps.test's sitemaps, each broken in its own way.
BAD_SITEMAPS = {
    "not_xml": "/not-xml.xml", "html": "/soft-404.xml", "huge": "/huge.xml",
    "bomb": "/bomb.xml.gz", "many": "/many.xml", "loop": "/loop-a.xml", "nest": "/nest/1.xml",
    "missing": "/missing.xml",
}  # fmt: skip
_HTML = ("Content-Type", "text/html; charset=utf-8")
_XML = ("Content-Type", "application/xml")
_TEXT = ("Content-Type", "text/plain; charset=utf-8")
_GZIP = ("Content-Type", "application/gzip")
_NS = ('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
       'xmlns:xhtml="http://www.w3.org/1999/xhtml"')  # fmt: skip


class _Source(Protocol):
    def respond(self, host: str, target: str) -> WebResponse: ...


def urlset(urls: list[str], extra: str = "") -> bytes:
    """Return a urlset of ``urls``; ``extra`` goes inside each ``<url>``."""
    entries = "".join(f"<url><loc>{u}</loc>{extra}</url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>{entries}</urlset>'.encode()


def sitemap_index(urls: list[str]) -> bytes:
    """Return a sitemap index of ``urls``."""
    entries = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_NS}>{entries}'
            "</sitemapindex>").encode()  # fmt: skip


def _page(body: str) -> WebResponse:
    return WebResponse(200, [_HTML], f"<!DOCTYPE html><title>page</title><body>{body}</body>".encode())


@lru_cache(maxsize=4)
def _big(name: str) -> bytes:
    if name == "many":
        return urlset([f"http://badmaps.test/m/{i}" for i in range(MANY_URLS)])
    if name == "huge":  # a valid urlset, padded with whitespace past HUGE_BYTES
        return urlset(["http://badmaps.test/m/huge"]).replace(b"<url>", b" " * HUGE_BYTES + b"<url>")
    return compressed_zeros("gzip", BOMB_BYTES)


class SitemapWeb:
    """Answer the sitemap hosts (see module doc); others go to ``fallback``, else 502."""

    def __init__(self, fallback: _Source | None = None) -> None:
        self.fallback = fallback

    def seeds(self) -> list[str]:
        """Return the home URL of every sitemap host."""
        return [f"http://{host}/" for host in SITEMAP_HOSTS]

    @staticmethod
    def orphan_urls() -> list[str]:
        """Return the URLs only sitemapped.test's sitemap leads to."""
        return [f"http://sitemapped.test/orphan-{k}.html" for k in range(1, ORPHANS + 1)]

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer ``target`` (path + query) on ``host``."""
        host = host.lower().rstrip(".")
        path = target.split("#", 1)[0].split("?", 1)[0]
        answer = {"sitemapped.test": self._sitemapped, "textmap.test": self._textmap,
                  "badmaps.test": self._badmaps, "widemap.test": self._widemap}.get(host)  # fmt: skip
        if answer is not None:
            return answer(path)
        if self.fallback is not None:
            return self.fallback.respond(host, target)
        body = f"502 Bad Gateway: host {host!r} is not part of this local web\n".encode()
        return WebResponse(502, [_TEXT], body)

    def _sitemapped(self, path: str) -> WebResponse:
        origin = "http://sitemapped.test"
        if path == "/robots.txt":
            return WebResponse(200, [_TEXT], f"User-agent: *\nAllow: /\n\nSitemap: {origin}"
                               "/sitemap_index.xml\n".encode())  # fmt: skip
        if path == "/sitemap_index.xml":
            return WebResponse(200, [_XML], sitemap_index(
                [f"{origin}/sitemaps/pages.xml.gz", f"{origin}/sitemaps/linked.txt"]))
        if path == "/sitemaps/pages.xml.gz":
            entries = "".join(
                f"<url><loc>{url}</loc><lastmod>2026-11-{k:02d}</lastmod><changefreq>weekly"
                f"</changefreq><priority>0.{k % 10}</priority><xhtml:link rel=\"alternate\" "
                f"hreflang=\"de\" href=\"{origin}/de/orphan-{k}.html\"/></url>"
                for k, url in enumerate(self.orphan_urls(), 1))  # fmt: skip
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>{entries}</urlset>'
            return WebResponse(200, [_GZIP], gzip.compress(body.encode(), mtime=0))
        if path == "/sitemaps/linked.txt":
            return WebResponse(200, [_TEXT], f"{origin}/\n{origin}/about.html\n".encode())
        if path == "/":
            return _page('<a href="/about.html">about</a> <a href="/unlisted.html">unlisted</a>')
        if path in ("/about.html", "/unlisted.html") or (path.startswith("/orphan-") and path.endswith(".html")
                                     and path[8:-5].isdigit() and 0 < int(path[8:-5]) <= ORPHANS):  # fmt: skip
            return _page('<a href="/">home</a>')
        return WebResponse(404, [_HTML], b"<title>not found</title>")

    def _textmap(self, path: str) -> WebResponse:
        origin = "http://textmap.test"
        if path == "/robots.txt":
            return WebResponse(200, [_TEXT], b"User-agent: *\nDisallow:\nSitemap: /sitemap.txt\n")
        if path == "/sitemap.txt":
            body = f"{origin}/t-1.html\r\nnot a url\n{origin}/t-2.html\nhttp://elsewhere.test/x\n"
            return WebResponse(200, [_TEXT], body.encode())
        if path == "/sitemap.xml":
            return WebResponse(200, [_XML], urlset([f"{origin}/p-{k}.html" for k in (1, 2, 3)]))
        if path in ("/", "/t-1.html", "/t-2.html", "/p-1.html", "/p-2.html", "/p-3.html"):
            return _page('<a href="/">home</a>')
        return WebResponse(404, [_HTML], b"<title>not found</title>")

    def _badmaps(self, path: str) -> WebResponse:
        if path == "/robots.txt":
            lines = "".join(f"Sitemap: http://badmaps.test{p}\n" for p in BAD_SITEMAPS.values())
            return WebResponse(200, [_TEXT], f"User-agent: *\nAllow: /\n{lines}".encode())
        if path == BAD_SITEMAPS["not_xml"]:
            return WebResponse(200, [_XML], random.Random("sitemap").randbytes(8192))
        if path == BAD_SITEMAPS["html"]:
            return _page("<h1>Sorry, nothing here</h1>")
        if path == BAD_SITEMAPS["huge"]:
            return WebResponse(200, [_XML], _big("huge"))
        if path == BAD_SITEMAPS["bomb"]:
            return WebResponse(200, [_GZIP], _big("bomb"))
        if path == BAD_SITEMAPS["many"]:
            return WebResponse(200, [_XML], _big("many"))
        if path in ("/loop-a.xml", "/loop-b.xml"):
            listed = ["/loop-a.xml", "/loop-b.xml"] if path == "/loop-a.xml" else ["/loop-a.xml"]
            return WebResponse(200, [_XML], sitemap_index([f"http://badmaps.test{p}" for p in listed]))
        if path.startswith("/nest/") and path.endswith(".xml") and path[6:-4].isdigit():
            following = f"http://badmaps.test/nest/{int(path[6:-4]) + 1}.xml"
            return WebResponse(200, [_XML], sitemap_index([following]))
        if path == "/" or path.startswith("/m/"):
            return _page('<a href="/">home</a>')
        return WebResponse(404, [_HTML], b"<title>not found</title>")

    def _widemap(self, path: str) -> WebResponse:
        origin = "http://widemap.test"
        if path == "/robots.txt":
            return WebResponse(200, [_TEXT], b"User-agent: *\nAllow: /\n")
        if path == "/sitemap.xml":
            return WebResponse(200, [_XML], sitemap_index(
                [f"{origin}/w/{i}.xml" for i in range(WIDE_CHILDREN)]))
        if path.startswith("/w/") and path.endswith(".xml"):
            return WebResponse(200, [_XML], urlset([f"{origin}/page-{path[3:-4]}.html"]))
        if path == "/" or path.startswith("/page-"):
            return _page('<a href="/">home</a>')
        return WebResponse(404, [_HTML], b"<title>not found</title>")
