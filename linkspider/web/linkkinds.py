"""Sites of head link kinds and HTTP Link headers, for the local web (tests of link kinds).

:class:`LinkKindsWeb` is a site source (``linkspider.web.server``) answering for two hosts;
its ground truth, by construction:

``hreflang.test``
    An hreflang cluster ``/en/``, ``/de/``, ``/fr/`` (each lists itself and the others with
    ``<link rel=alternate hreflang>``, ``/en/`` also as ``x-default``), except that ``/fr/``
    lists no ``/de/``: the one missing return link is ``/de/`` -> ``/fr/``
    (:data:`MISSING_RETURN`). ``/fr/`` also has an RSS feed and an Atom feed (``type``), a
    print version (``media``), an AMP version ``/fr/amp`` and ``rel=next`` ``/fr/2``, whose
    ``rel=prev`` is ``/fr/``. Each page links to the others with ``<a>``.
``headers.test``
    ``/`` has no ``<link rel=canonical>``; its Link headers give a canonical
    (``http://headers.test/``), an alternate ``hreflang=de`` ``/de``, a ``rel=next`` ``/x``
    and one malformed part. ``/de`` has ``<link rel=canonical href=/de>`` and a Link header
    canonical ``/elsewhere`` (the HTML wins) and the alternate ``hreflang=en`` back to ``/``.
"""

from __future__ import annotations

from linkspider.web.model import WebResponse

__all__ = ["HOSTS", "MISSING_RETURN", "LinkKindsWeb"]

HOSTS = ("hreflang.test", "headers.test")
_HTML = ("Content-Type", "text/html; charset=utf-8")
_TEXT = ("Content-Type", "text/plain")
_H = "http://hreflang.test"
#: The hreflang pair without a return link: (page, hreflang, target).
MISSING_RETURN = (f"{_H}/de/", "fr", f"{_H}/fr/")

_CLUSTER = {
    "/en/": [("en", "/en/"), ("de", "/de/"), ("fr", "/fr/"), ("x-default", "/en/")],
    "/de/": [("de", "/de/"), ("en", "/en/"), ("fr", "/fr/")],
    "/fr/": [("fr", "/fr/"), ("en", "/en/")],
}
_FR_EXTRA = (
    '<link rel="alternate" type="application/rss+xml" title="RSS" href="/fr/feed.rss">'
    '<link rel="alternate" type="application/atom+xml" href="/fr/feed.atom">'
    '<link rel="alternate" media="print" href="/fr/print">'
    '<link rel="amphtml" href="/fr/amp"><link rel="next" href="/fr/2">'
)


def _page(title: str, head: str, links: list[str]) -> bytes:
    anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head>"
            f"<body><p>{anchors}</p></body></html>").encode()  # fmt: skip


class LinkKindsWeb:
    """Answer the link-kind hosts (see module doc); other hosts get a 502."""

    def seeds(self) -> list[str]:
        """Return the home URL of each host."""
        return [f"{_H}/en/", "http://headers.test/"]

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer ``target`` (path + query) on ``host``."""
        host = host.lower().rstrip(".").split(":")[0]
        path = target.split("#", 1)[0].split("?", 1)[0]
        if path == "/robots.txt" and host in HOSTS:
            return WebResponse(200, [_TEXT], b"User-agent: *\nAllow: /\n")
        if host == "hreflang.test":
            return self._hreflang(path)
        if host == "headers.test":
            return self._headers(path)
        return WebResponse(502, [_TEXT], f"host {host!r} is not part of this local web\n".encode())

    def _hreflang(self, path: str) -> WebResponse:
        if path in _CLUSTER:
            head = "".join(f'<link rel="alternate" hreflang="{lang}" href="{href}">'
                           for lang, href in _CLUSTER[path])  # fmt: skip
            if path == "/fr/":
                head += _FR_EXTRA
            others = [p for p in _CLUSTER if p != path]
            return WebResponse(200, [_HTML], _page(path, head, others))
        if path == "/fr/2":
            return WebResponse(200, [_HTML], _page("page 2", '<link rel="prev" href="/fr/">', ["/fr/"]))
        if path in ("/fr/amp", "/fr/print"):
            return WebResponse(200, [_HTML], _page(path, '<link rel="canonical" href="/fr/">', ["/fr/"]))
        if path in ("/fr/feed.rss", "/fr/feed.atom"):
            kind = "rss" if path.endswith("rss") else "atom"
            return WebResponse(200, [("Content-Type", f"application/{kind}+xml")], b"<feed/>")
        return WebResponse(404, [_HTML], b"<title>not found</title>")

    def _headers(self, path: str) -> WebResponse:
        if path == "/":
            headers = [_HTML,
                       ("Link", '<http://headers.test/>; rel="canonical", </de>; rel="alternate"; '
                                'hreflang="de"'),
                       ("Link", 'rel=nofollow; no-url, </x>; rel=next')]  # fmt: skip
            return WebResponse(200, headers, _page("home", "", ["/de"]))
        if path == "/de":
            headers = [_HTML, ("Link", '</elsewhere>; rel=canonical, <http://headers.test/>; '
                                       'rel="alternate"; hreflang="en"')]  # fmt: skip
            return WebResponse(200, headers, _page("de", '<link rel="canonical" href="/de">', ["/"]))
        if path in ("/x", "/elsewhere"):
            return WebResponse(200, [_HTML], _page(path, "", ["/"]))
        return WebResponse(404, [_HTML], b"<title>not found</title>")
